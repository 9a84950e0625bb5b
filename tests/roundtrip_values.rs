//! Padding is not content: for every layout (built-in, and loaded from jPOS XML and
//! moov-io JSON), any value the decoder returns encodes back to the same bytes, and
//! decoding what the encoder wrote gives the same value.
//!
//! Values are drawn as real traffic has them: free text with any printable ASCII or
//! ISO-8859-1 character, leading and trailing spaces included; fixed fields given
//! short values (the encoder pads them); binary fields with any byte. Each message
//! goes value -> bytes -> value -> bytes through the library API and through the JSON
//! form of the command-line contract, in the lenient mode (the default).

#![cfg(all(feature = "serde", feature = "jpos", feature = "moov"))]

use iso8583_wire::json;
use iso8583_wire::spec::{Content, Encoding, Length, MessageSpec, Padding};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};
use proptest::prelude::*;

#[path = "support/layouts.rs"]
mod layouts_under_test;
use layouts_under_test::all_layouts;

/// Characters for a field of class `content` in the lenient mode.
fn charset(content: Content) -> Vec<u8> {
    let digits = b"0123456789".to_vec();
    match content {
        Content::N | Content::Xn => digits,
        Content::Z => b"0123456789=".to_vec(),
        Content::B => (0..=255).collect(),
        // Free text: printable ASCII (space included, often) and ISO-8859-1 letters.
        _ => (0x20..0x7F)
            .chain(0xA0..=0xFF)
            .chain(std::iter::repeat_n(b' ', 20))
            .collect(),
    }
}

/// A value for field `n` as the builder takes it: characters (text) or octets.
fn value_strategy(spec: &'static MessageSpec<'static>, n: usize) -> BoxedStrategy<Vec<u8>> {
    let f = spec.field(n).unwrap();
    let pads = !matches!(f.padding, Padding::None);
    let len = match f.length {
        // Short values for fields the encoder pads.
        Length::Fixed(k) if pads => 0..=(k as usize),
        Length::Fixed(k) => (k as usize)..=(k as usize),
        _ => 0..=f.max_units().min(40),
    };
    let content = f.content;
    let bcd = matches!(f.encoding, Encoding::Bcd { .. });
    let chars = prop::collection::vec(prop::sample::select(charset(content)), len);
    match content {
        Content::Xn => (prop::sample::select(vec![b'C', b'D']), chars)
            .prop_map(|(sign, mut digits)| {
                if let Some(first) = digits.first_mut() {
                    *first = sign;
                }
                digits
            })
            .boxed(),
        // The packed form has no room for a separator at a pad position: keep `=`
        // inside the digits.
        Content::Z if bcd => chars
            .prop_map(|mut c| {
                if let Some(last) = c.last_mut() {
                    *last = b'1';
                }
                c
            })
            .boxed(),
        _ => chars.boxed(),
    }
}

type Drawn = (u16, Vec<(usize, Vec<u8>)>);

fn message_strategy(spec: &'static MessageSpec<'static>) -> impl Strategy<Value = Drawn> {
    // Composites whose subfields are checked on decode take values built from their
    // subfields (see the loader tests), not random ones.
    let defined: Vec<usize> = (2..=spec.max_field())
        .filter(|&n| {
            spec.field(n)
                .is_some_and(|f| !f.subfields.is_some_and(|c| c.checked_on_decode()))
        })
        .collect();
    let most = defined.len().min(24);
    (0u16..=9999, prop::sample::subsequence(defined, 0..=most)).prop_flat_map(
        move |(mti, fields)| {
            let values: Vec<_> = fields
                .into_iter()
                .map(|n| value_strategy(spec, n).prop_map(move |v| (n, v)))
                .collect();
            (Just(mti), values)
        },
    )
}

/// Sets `n` to `value`: characters for text fields, octets for binary ones.
fn set<'v>(b: &mut MessageBuilder<'v>, spec: &MessageSpec<'_>, n: usize, value: &'v [u8]) {
    b.set(n, value)
        .unwrap_or_else(|e| panic!("{}: set {n} = {value:?}: {e}", spec.name));
}

/// What the decoder returns for each field: the characters of text fields (ISO-8859-1,
/// one per byte), the octets of binary ones.
fn returned_values(msg: &Message<'_>) -> Vec<(usize, Vec<u8>)> {
    msg.fields()
        .map(|f| (f.number(), f.symbols().collect()))
        .collect()
}

fn round_trip(spec: &'static MessageSpec<'static>, mti: u16, values: &[(usize, Vec<u8>)]) {
    let header = vec![0x60; spec.header_len()];
    let mut b = MessageBuilder::new(spec, Mti::new(mti).unwrap());
    b.set_header(&header).unwrap();
    for (n, v) in values {
        set(&mut b, spec, *n, v);
    }
    let wire = b.to_bytes().unwrap().to_vec();
    let msg = Message::decode(spec, &wire)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", spec.name, hex::encode(&wire)));
    let decoded = returned_values(&msg);
    assert_eq!(decoded.len(), values.len());

    // Each value the decoder returns encodes back to the same bytes...
    let mut again = MessageBuilder::new(spec, msg.mti());
    again.set_header(msg.header()).unwrap();
    for (n, v) in &decoded {
        set(&mut again, spec, *n, v);
    }
    let rewire = again.to_bytes().unwrap().to_vec();
    assert_eq!(
        hex::encode(&rewire),
        hex::encode(&wire),
        "{}: values {decoded:?}",
        spec.name
    );
    // ... and decodes to the same values.
    let msg2 = Message::decode(spec, &rewire).unwrap();
    assert_eq!(returned_values(&msg2), decoded, "{}", spec.name);

    // A value the encoder was given that needed no padding comes back as it was.
    for ((n, given), (_, got)) in values.iter().zip(&decoded) {
        let f = spec.field(*n).unwrap();
        let full = match f.length {
            Length::Fixed(k) => given.len() == k as usize,
            _ => true,
        };
        if full {
            assert_eq!(got, given, "{} field {n}", spec.name);
        }
    }

    // The JSON form of the command-line contract: decode to JSON, encode the JSON.
    let value = json::to_json(&msg, true);
    let from_json =
        json::encode_json(spec, &value).unwrap_or_else(|e| panic!("{}: {e}\n{value}", spec.name));
    assert_eq!(
        hex::encode(&from_json),
        hex::encode(&wire),
        "{}: {value}",
        spec.name
    );
}

/// A layout, and a message drawn for it.
fn any_layout_message() -> impl Strategy<Value = (usize, Drawn)> {
    let all = all_layouts();
    (0..all.len()).prop_flat_map(move |i| message_strategy(all[i]).prop_map(move |m| (i, m)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoded_values_encode_to_the_same_bytes_in_every_layout(
        (i, (mti, values)) in any_layout_message()
    ) {
        round_trip(all_layouts()[i], mti, &values);
    }
}

#[test]
fn padded_text_round_trips_and_strict_mode_keeps_pads_at_the_padding_end() {
    use iso8583_wire::spec::ContentMode;
    for spec in [&layouts::ISO87_ASCII, &layouts::ISO87_BINARY] {
        // Field 39 (an 2, right-padded with spaces): "5" is written "5 ", and the
        // "5 " the decoder returns encodes to the same bytes, in both modes.
        for mode in [ContentMode::Lenient, ContentMode::Strict] {
            let mut b = MessageBuilder::new(spec, Mti::new(210).unwrap());
            b.set_content_mode(mode);
            b.set(39, "5").unwrap();
            let wire = b.to_bytes().unwrap().to_vec();
            let msg = Message::decode_with(spec, &wire, mode).unwrap();
            let got = msg.field(39).unwrap().as_str().unwrap();
            assert_eq!(got, "5 ");
            let mut again = MessageBuilder::new(spec, Mti::new(210).unwrap());
            again.set_content_mode(mode);
            again.set(39, got).unwrap();
            assert_eq!(again.to_bytes().unwrap().to_vec(), wire);
            // A space before the value is content, not padding: strict refuses it.
            let lead = MessageBuilder::new(spec, Mti::new(210).unwrap())
                .set_content_mode(mode)
                .set(39, " 5")
                .map(|_| ());
            assert_eq!(lead.is_ok(), mode == ContentMode::Lenient, "{mode:?}");
        }
    }
}
