//! `Message::field` finds a field from the bitmap words and the decoder's table of
//! field forms, with a general path for the rest (the first field of a later bitmap,
//! forms the table does not describe). `Message::fields` walks the fields in order
//! through the general code alone. For random sets of fields of every layout (built-in,
//! and loaded from jPOS XML and moov-io JSON), both must give the same number, wire
//! bytes, data and length for every field, and `field` nothing for the absent ones.

#![cfg(all(feature = "jpos", feature = "moov"))]

use iso8583_wire::{Message, MessageBuilder, Mti};
use proptest::prelude::*;

#[path = "support/layouts.rs"]
mod layouts_under_test;
use layouts_under_test::{all_layouts, data_fields};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn field_agrees_with_the_ordered_walk(
        layout in 0usize..64,
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..40), 1..40),
    ) {
        let layouts = all_layouts();
        let spec = layouts[layout % layouts.len()];
        let defined = data_fields(spec);
        prop_assume!(!defined.is_empty());
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        for (pick, len) in &picks {
            let n = *pick.get(&defined);
            // Digits suit most fields; a field that refuses them is left out.
            let value: String = (0..*len).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
            let _ = b.set(n, value.as_str());
        }
        let Ok(wire) = b.to_bytes() else {
            return Ok(());
        };
        let msg = match Message::decode(spec, &wire) {
            Ok(m) => m,
            Err(e) => panic!("{}: {e} in {:?}", spec.name, String::from_utf8_lossy(&wire)),
        };
        let walked: Vec<_> = msg.fields().collect();
        prop_assert_eq!(walked.len(), msg.field_numbers().count());
        for f in &walked {
            let n = f.number();
            let found = msg.field(n);
            prop_assert!(found.is_some(), "{} field {} present but not found", spec.name, n);
            let found = found.unwrap();
            prop_assert_eq!(found.number(), n);
            prop_assert_eq!(found.wire(), f.wire(), "{} field {} wire", spec.name, n);
            prop_assert_eq!(found.data(), f.data(), "{} field {} data", spec.name, n);
            prop_assert_eq!(found.len(), f.len(), "{} field {} length", spec.name, n);
        }
        for n in [0, 1, 65, 129, 193, 1000, usize::MAX] {
            if !msg.has(n) {
                prop_assert!(msg.field(n).is_none(), "{} field {}", spec.name, n);
            }
        }
        for &n in &defined {
            prop_assert_eq!(msg.field(n).is_some(), msg.has(n), "{} field {}", spec.name, n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A message keeps the ends of fields 65-192 by rank, for the first 25 present;
    /// further ones are sized again when asked for. With many such fields, every
    /// field must still be found, the fields must tile the message exactly, and the
    /// fast and detailed decoders must agree.
    #[test]
    fn many_fields_past_64_are_all_found(
        layout in 0usize..64,
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..12), 1..150),
        primary in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        // The layouts that define more fields past 64 than a message keeps.
        let layouts: Vec<_> = all_layouts()
            .iter()
            .filter(|spec| data_fields(spec).iter().filter(|&&n| n > 64).count() > 25)
            .collect();
        prop_assert!(!layouts.is_empty());
        let spec = layouts[layout % layouts.len()];
        let defined = data_fields(spec);
        let later: Vec<usize> = defined.iter().copied().filter(|&n| n > 64).collect();
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        for (pick, len) in &picks {
            let value: String = (0..*len).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
            let _ = b.set(*pick.get(&later), value.as_str());
        }
        for pick in &primary {
            let _ = b.set(*pick.get(&defined), "1");
        }
        let Ok(wire) = b.to_bytes() else {
            return Ok(());
        };
        let msg = match Message::decode(spec, &wire) {
            Ok(m) => m,
            Err(e) => panic!("{}: {e} in {:?}", spec.name, String::from_utf8_lossy(&wire)),
        };
        let slow = Message::decode_without_fast_path(spec, &wire).unwrap();
        prop_assert!(msg == slow, "{}: fast and detailed decodes differ", spec.name);

        // The fields tile the bytes after the bitmaps, in order, up to the end.
        let walked: Vec<_> = msg.fields().collect();
        prop_assert_eq!(walked.len(), msg.field_numbers().count());
        let offset = |s: &[u8]| s.as_ptr() as usize - wire.as_ptr() as usize;
        // Every value may have been refused: then there is nothing to tile.
        let Some(first) = walked.first() else {
            return Ok(());
        };
        let mut at = offset(first.wire());
        for f in &walked {
            prop_assert_eq!(offset(f.wire()), at, "{} field {} start", spec.name, f.number());
            at += f.wire().len();
            let found = msg.field(f.number()).unwrap();
            prop_assert_eq!(found.wire(), f.wire(), "{} field {}", spec.name, f.number());
            prop_assert_eq!(found.data(), f.data(), "{} field {}", spec.name, f.number());
            let again = slow.field(f.number()).unwrap();
            prop_assert_eq!(offset(again.wire()), offset(f.wire()));
        }
        prop_assert_eq!(at, wire.len());
        for &n in &defined {
            prop_assert_eq!(msg.field(n).is_some(), msg.has(n), "{} field {}", spec.name, n);
        }
    }
}

/// Field 126 is the 26th field past 64 here, one more than a message keeps the end
/// of: it is found, read, and checked in strict mode all the same.
#[test]
fn a_field_past_the_kept_ends_is_found_and_checked() {
    use iso8583_wire::layouts::ISO87_ASCII;
    use iso8583_wire::spec::ContentMode;
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
    b.set(3, "000000").unwrap().set(11, "000042").unwrap();
    for n in 101..=125 {
        b.set(n, format!("TEXT {n}")).unwrap();
    }
    b.set(126, &b"AB\x01CD"[..]).unwrap();
    let wire = b.to_bytes().unwrap();

    let msg = Message::decode_with(&ISO87_ASCII, &wire, ContentMode::Lenient).unwrap();
    assert_eq!(msg.field_numbers().filter(|&n| n > 64).count(), 26);
    assert_eq!(msg.field(126).unwrap().data(), b"AB\x01CD");
    assert_eq!(msg.field(125).unwrap().data(), b"TEXT 125");
    assert_eq!(msg.field(101).unwrap().data(), b"TEXT 101");
    assert_eq!(msg.fields().last().unwrap().data(), b"AB\x01CD");
    assert!(msg.field(127).is_none());

    let err = Message::decode_with(&ISO87_ASCII, &wire, ContentMode::Strict).unwrap_err();
    assert_eq!(err.field(), Some(126));
    assert_eq!(err.offset(), wire.len() - 3);
}
