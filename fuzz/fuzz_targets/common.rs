//! Shared checks for the decode targets.

use iso8583_wire::spec::MessageSpec;
use iso8583_wire::validate::Validator;
use iso8583_wire::{Message, MessageBuilder};

/// Decoding never panics; whatever decodes re-encodes to bytes that decode to the same
/// message and encode again to the same bytes, and every view of it (dump, Debug,
/// subfields, typed accessors, validation) works without panicking.
pub fn check_decode(spec: &'static MessageSpec<'static>, data: &[u8]) {
    // The fast path and the detailed parsers agree.
    let decoded = Message::decode(spec, data);
    match (&decoded, &Message::decode_without_fast_path(spec, data)) {
        (Ok(a), Ok(b)) => {
            let places = |m: &Message<'_>| {
                m.fields().map(|f| (f.number(), f.wire().as_ptr(), f.wire().len())).collect::<Vec<_>>()
            };
            assert!(a.bitmap() == b.bitmap() && places(a) == places(b), "paths disagree on fields");
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "paths disagree on the error"),
        (a, b) => panic!("fast path {:?}, detailed {:?}", a.as_ref().err(), b.as_ref().err()),
    }
    let Ok(msg) = decoded else { return };
    let once = MessageBuilder::from_message(&msg).to_bytes().expect("a decoded message re-encodes");
    let again = Message::decode(spec, &once).expect("re-encoded bytes decode");
    assert!(again == msg, "decode(encode(m)) != m");
    let twice = MessageBuilder::from_message(&again).to_bytes().expect("re-encodes");
    assert_eq!(once, twice, "encoding is not stable");
    let _ = format!("{msg:?}{}{}", msg.dump(), msg.dump().unmasked());
    for f in msg.fields() {
        // Random access finds each field as the ordered walk does.
        let found = msg.field(f.number()).expect("a present field is found");
        assert!(
            found.wire() == f.wire() && found.data() == f.data() && found.len() == f.len(),
            "field {} read two ways differs",
            f.number()
        );
        let _ = f.to_u64();
        for p in f.parts().flatten() {
            let _ = (p.to_string(), p.value().to_string(), p.parts().count());
        }
    }
    let _ = (msg.stan(), msg.rrn(), msg.local_time());
    let _ = Validator::new().check(&msg).len();
}
