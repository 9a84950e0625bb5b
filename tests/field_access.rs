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
