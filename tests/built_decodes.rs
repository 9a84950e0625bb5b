//! Whatever the builder accepts, the decoder accepts: for every layout (built-in, and
//! loaded from jPOS XML and moov-io JSON) and both content modes, random values
//! (digits, printable text, any byte; as text or as bytes) are set into random fields,
//! values the builder refuses are left out, and the message it encodes must decode in
//! the same mode, and build back to the same bytes (from the whole message, and field
//! by field from its decoded fields). A builder that writes what its own decoder
//! refuses (it did, for composite fields whose subfields are checked on decode) fails
//! here.

#![cfg(all(feature = "jpos", feature = "moov"))]

use iso8583_wire::spec::ContentMode;
use iso8583_wire::{Message, MessageBuilder, Mti};
use proptest::prelude::*;

#[path = "support/layouts.rs"]
mod layouts_under_test;
use layouts_under_test::{all_layouts, data_fields};

fn value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![4 => b'0'..=b'9', 1 => b' '..=b'~', 1 => any::<u8>()];
    prop::collection::vec(byte, 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn what_the_builder_encodes_decodes(
        layout in 0usize..64,
        strict in any::<bool>(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), value(), any::<bool>()), 1..30),
    ) {
        let layouts = all_layouts();
        let spec = layouts[layout % layouts.len()];
        let defined = data_fields(spec);
        prop_assume!(!defined.is_empty());
        let mode = if strict { ContentMode::Strict } else { ContentMode::Lenient };
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        b.set_content_mode(mode);
        // Layouts with a header (a TPDU) need one.
        b.set_header(&vec![0x60; spec.header_len()]).unwrap();
        let mut accepted = 0;
        for (pick, v, as_text) in &picks {
            let n = *pick.get(&defined);
            let set = match std::str::from_utf8(v) {
                Ok(s) if *as_text => b.set(n, s).is_ok(),
                _ => b.set(n, v.as_slice()).is_ok(),
            };
            accepted += usize::from(set);
        }
        let wire = b.to_bytes().expect("a builder holding only accepted values encodes");
        let msg = Message::decode_with(spec, &wire, mode);
        prop_assert!(msg.is_ok(), "{} {:?}: {}", spec.name, mode, msg.unwrap_err());
        let msg = msg.unwrap();
        prop_assert!(accepted == 0 || msg.field_numbers().count() > 0);
        // The decoded message builds back to the same bytes, whole and field by field.
        let whole = MessageBuilder::from_message(&msg).to_bytes().unwrap();
        prop_assert_eq!(&whole[..], &wire[..], "{} from_message", spec.name);
        let mut again = MessageBuilder::new(spec, Mti::new(200).unwrap());
        again.set_content_mode(mode);
        again.set_header(msg.header()).unwrap();
        for f in msg.fields() {
            let set = again.set(f.number(), f);
            prop_assert!(set.is_ok(), "{} field {}: {}", spec.name, f.number(), set.unwrap_err());
        }
        prop_assert_eq!(&again.to_bytes().unwrap()[..], &wire[..], "{} field by field", spec.name);
    }
}
