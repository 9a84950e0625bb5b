//! The builder writes the common field forms through a fast path (plain ASCII or
//! binary, packed BCD digits, hex-ASCII octets, `z` and `x+n` text) and every other
//! case through its general path. Setting the same value through `set` (the fast path
//! where it applies, for borrowed and owned values alike) and through
//! `set_without_fast_path` (the general path alone) must give the same bytes or the same
//! error, for every field of every layout (built-in, and loaded from jPOS XML and
//! moov-io JSON), in both content modes.

#![cfg(all(feature = "jpos", feature = "moov"))]

use iso8583_wire::spec::{ContentMode, MessageSpec};
use iso8583_wire::{MessageBuilder, Mti};

#[path = "support/layouts.rs"]
mod layouts_under_test;
use layouts_under_test::all_layouts;
use proptest::prelude::*;
/// What one way of setting gives: the encoded message, or the error's field and kind.
fn outcome(
    spec: &'static MessageSpec<'static>,
    mode: ContentMode,
    set: impl FnOnce(&mut MessageBuilder<'static>) -> Result<(), iso8583_wire::EncodeError>,
) -> Result<Vec<u8>, String> {
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set_content_mode(mode);
    // A field set before, so the value under test is not alone in the store.
    let _ = b.set(11, "000123");
    set(&mut b).map_err(|e| format!("{:?} {:?}", e.field(), e.kind()))?;
    b.to_bytes()
        .map(|m| m.to_vec())
        .map_err(|e| format!("encode {:?} {:?}", e.field(), e.kind()))
}

/// Values the fast path has to judge: digits, track and amount text, letters,
/// symbols, Latin-1 and control bytes, from empty to past the longest field.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        6 => b'0'..=b'9',
        1 => Just(b'='),
        1 => Just(b'D'),
        1 => Just(b'C'),
        1 => Just(b' '),
        1 => b'A'..=b'Z',
        1 => b'!'..=b'/',
        1 => any::<u8>(),
    ];
    prop_oneof![
        3 => prop::collection::vec(byte.clone(), 0..24),
        1 => prop::collection::vec(byte, 24..140),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn borrowed_and_owned_values_encode_alike(
        layout in 0usize..64,
        pick in any::<prop::sample::Index>(),
        value in value(),
        strict in any::<bool>(),
    ) {
        let layouts = all_layouts();
        let spec = layouts[layout % layouts.len()];
        let defined: Vec<usize> = (2..=spec.max_field()).filter(|&n| spec.field(n).is_some()).collect();
        let field = *pick.get(&defined);
        let mode = if strict { ContentMode::Strict } else { ContentMode::Lenient };
        let general = outcome(spec, mode, |b| {
            b.set_without_fast_path(field, value.as_slice()).map(|_| ())
        });
        let fast = outcome(spec, mode, |b| b.set(field, value.as_slice()).map(|_| ()));
        prop_assert_eq!(&fast, &general, "{} field {} bytes", spec.name, field);
        let owned = outcome(spec, mode, |b| b.set(field, value.clone()).map(|_| ()));
        prop_assert_eq!(&owned, &general, "{} field {} owned bytes", spec.name, field);
        if let Ok(text) = std::str::from_utf8(&value) {
            let general =
                outcome(spec, mode, |b| b.set_without_fast_path(field, text).map(|_| ()));
            let fast = outcome(spec, mode, |b| b.set(field, text).map(|_| ()));
            prop_assert_eq!(&fast, &general, "{} field {} text", spec.name, field);
            let owned = outcome(spec, mode, |b| b.set(field, text.to_string()).map(|_| ()));
            prop_assert_eq!(&owned, &general, "{} field {} owned text", spec.name, field);
            if let Ok(number) = text.parse::<u64>() {
                let general = outcome(spec, mode, |b| {
                    b.set_without_fast_path(field, number).map(|_| ())
                });
                let fast = outcome(spec, mode, |b| b.set(field, number).map(|_| ()));
                prop_assert_eq!(&fast, &general, "{} field {} number", spec.name, field);
            }
        }
    }
}
