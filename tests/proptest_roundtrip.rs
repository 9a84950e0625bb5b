//! Property tests: for every built-in layout, random valid messages round-trip
//! (decode(encode(m)) == m and encode(decode(b)) == b), and random or mutated bytes
//! never panic the decoder.

use iso8583_wire::spec::{Content, Length, MessageSpec};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};
use proptest::prelude::*;

/// A generated value: text or raw bytes.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Bytes(Vec<u8>),
}

fn charset(content: Content) -> Vec<u8> {
    let digits = b"0123456789".to_vec();
    let letters: Vec<u8> = (b'A'..=b'Z').chain(b'a'..=b'z').collect();
    match content {
        Content::N | Content::Xn | Content::AOrN => digits,
        Content::A => letters,
        Content::An => [digits, letters].concat(),
        Content::Anp => [digits, letters, b" ".to_vec()].concat(),
        Content::Ans => (0x20..0x7F).collect(),
        Content::Ns => (0x20..0x7F)
            .filter(|c: &u8| !c.is_ascii_alphabetic())
            .collect(),
        Content::Z => b"0123456789=".to_vec(),
        Content::B => (0..=255).collect(),
        _ => (0x20..0x7F).collect(),
    }
}

fn value_strategy(spec: &'static MessageSpec<'static>, n: usize) -> BoxedStrategy<(usize, Val)> {
    let f = spec.field(n).unwrap();
    let len = match f.length {
        Length::Fixed(k) => (k as usize)..=(k as usize),
        _ => 0..=f.max_units().min(48),
    };
    let content = f.content;
    // GBK fields read a backslash as the start of an escape (`\\`, `\xHH`): plain
    // text here.
    let mut set = charset(content);
    if f.encoding == iso8583_wire::spec::Encoding::Gbk {
        set.retain(|&c| c != b'\\');
    }
    let chars = prop::collection::vec(prop::sample::select(set), len);
    match content {
        Content::B => chars.prop_map(move |b| (n, Val::Bytes(b))).boxed(),
        Content::Xn => (prop::sample::select(vec![b'C', b'D']), chars)
            .prop_map(move |(sign, mut digits)| {
                if !digits.is_empty() {
                    digits[0] = sign;
                }
                (n, Val::Text(String::from_utf8(digits).unwrap()))
            })
            .boxed(),
        _ => chars
            .prop_map(move |c| (n, Val::Text(String::from_utf8(c).unwrap())))
            .boxed(),
    }
}

fn message_strategy(
    spec: &'static MessageSpec<'static>,
) -> impl Strategy<Value = (Vec<u8>, u16, Vec<(usize, Val)>)> {
    let defined: Vec<usize> = (2..=spec.max_field())
        .filter(|&n| spec.field(n).is_some())
        .collect();
    let header_len = spec.header_len();
    (
        prop::collection::vec(any::<u8>(), header_len..=header_len),
        0u16..=9999,
        prop::sample::subsequence(defined, 0..=24),
    )
        .prop_flat_map(move |(header, mti, fields)| {
            let values: Vec<_> = fields
                .into_iter()
                .map(|n| value_strategy(spec, n))
                .collect();
            (Just(header), Just(mti), values)
        })
}

fn expected_text(v: &Val) -> String {
    match v {
        Val::Text(s) => s.clone(),
        Val::Bytes(b) => hex::encode(b),
    }
}

fn round_trip(
    spec: &'static MessageSpec<'static>,
    header: &[u8],
    mti: u16,
    values: &[(usize, Val)],
) {
    let mut b = MessageBuilder::new(spec, Mti::new(mti).unwrap());
    b.set_header(header).unwrap();
    for (n, v) in values {
        match v {
            Val::Text(s) => b.set(*n, s.as_str()),
            Val::Bytes(bytes) => b.set(*n, bytes.as_slice()),
        }
        .unwrap_or_else(|e| panic!("{}: set {n} = {v:?}: {e}", spec.name));
    }
    let wire = b.to_bytes().unwrap();
    assert_eq!(wire.len(), b.encoded_len().unwrap());
    paths_agree(spec, &wire);
    let msg = Message::decode(spec, &wire)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", spec.name, hex::encode(&wire)));
    assert_eq!(msg.mti().value(), mti);
    assert_eq!(msg.header(), header);
    assert_eq!(msg.field_numbers().count(), values.len());
    for (n, v) in values {
        let got = msg.field(*n).unwrap().value().to_string();
        assert_eq!(got, expected_text(v), "{} field {n}", spec.name);
    }
    let again = MessageBuilder::from_message(&msg).to_bytes().unwrap();
    assert_eq!(&again[..], &wire[..]);
}

/// The decoder's fast path and its detailed parsers give the same answer: the same
/// error, or messages with the same fields at the same places.
fn paths_agree(spec: &'static MessageSpec<'static>, bytes: &[u8]) {
    let fast = Message::decode(spec, bytes);
    let detailed = Message::decode_without_fast_path(spec, bytes);
    match (&fast, &detailed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.mti(), b.mti());
            assert_eq!(a.bitmap(), b.bitmap());
            let wires = |m: &Message<'_>| {
                m.fields()
                    .map(|f| (f.number(), f.wire().as_ptr(), f.wire().len()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(wires(a), wires(b), "{}: {}", spec.name, hex::encode(bytes));
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!(
            "{}: fast path {:?} but detailed {:?} for {}",
            spec.name,
            fast.as_ref().err(),
            detailed.as_ref().err(),
            hex::encode(bytes)
        ),
    }
}

fn never_panics(spec: &'static MessageSpec<'static>, bytes: &[u8]) {
    paths_agree(spec, bytes);
    if let Ok(msg) = Message::decode(spec, bytes) {
        // Whatever decodes must re-encode to the same bytes and display without panic.
        let again = MessageBuilder::from_message(&msg).to_bytes().unwrap();
        // Hex-ASCII bitmaps are read in either case and written in uppercase.
        let mut expected = bytes.to_vec();
        if spec.bitmap.encoding == iso8583_wire::spec::BitmapEncoding::HexAscii {
            let start = spec.header_len() + spec.mti.wire_len();
            let end = start + msg.bitmap_count() * spec.bitmap.unit_wire_len();
            expected[start..end].make_ascii_uppercase();
        }
        assert_eq!(&again[..], &expected[..]);
        let _ = format!("{msg:?}{}", msg.dump());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn iso87ascii_round_trips((h, mti, values) in message_strategy(&layouts::ISO87_ASCII)) {
        round_trip(&layouts::ISO87_ASCII, &h, mti, &values);
    }

    #[test]
    fn iso87binary_round_trips((h, mti, values) in message_strategy(&layouts::ISO87_BINARY)) {
        round_trip(&layouts::ISO87_BINARY, &h, mti, &values);
    }

    #[test]
    fn iso93ascii_round_trips((h, mti, values) in message_strategy(&layouts::ISO93_ASCII)) {
        round_trip(&layouts::ISO93_ASCII, &h, mti, &values);
    }

    #[test]
    fn cup_round_trips((h, mti, values) in message_strategy(&layouts::CUP)) {
        round_trip(&layouts::CUP, &h, mti, &values);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for spec in layouts::ALL {
            never_panics(spec, &bytes);
        }
    }

    #[test]
    fn mutated_messages_never_panic(
        (h, mti, values) in message_strategy(&layouts::ISO87_BINARY),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        for spec in layouts::ALL {
            let header = vec![0x60; spec.header_len()];
            let mut b = MessageBuilder::new(spec, Mti::new(mti).unwrap());
            b.set_header(&header).unwrap();
            for (n, v) in &values {
                let _ = match v {
                    Val::Text(s) => b.set(*n, s.as_str()),
                    Val::Bytes(bytes) => b.set(*n, bytes.as_slice()),
                };
            }
            let mut wire = b.to_bytes().unwrap().to_vec();
            never_panics(spec, &wire);
            for (i, byte) in &edits {
                let i = i.index(wire.len());
                wire[i] = *byte;
            }
            never_panics(spec, &wire);
            let keep = cut.index(wire.len() + 1);
            never_panics(spec, &wire[..keep]);
        }
        let _ = h;
    }
}
