//! The builder against a model: random sequences of setting, replacing and removing
//! fields, in any order and with values long enough that replaced bytes push the
//! builder's store past 64 KiB (where it packs itself). After every sequence the
//! encoded message must have the length the builder announces and decode to exactly
//! the fields the model holds, with their last values; a builder filled again from the
//! decoded message must encode the same bytes.

use std::collections::BTreeMap;

use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::{Message, MessageBuilder, Mti};
use proptest::prelude::*;

/// Fields of iso87ascii and the values they take here: (field, longest value, digits
/// only).
const FIELDS: [(usize, usize, bool); 8] = [
    (2, 19, true),
    (3, 6, true),
    (11, 6, true),
    (32, 11, true),
    (41, 8, false),
    (48, 999, false),
    (62, 999, false),
    (70, 3, true),
];

#[derive(Debug, Clone)]
enum Op {
    /// Set field `FIELDS[i]` to a value of `len` characters starting at `seed`.
    Set { i: usize, len: usize, seed: u8 },
    /// Remove field `FIELDS[i]`.
    Remove { i: usize },
}

fn op() -> impl Strategy<Value = Op> {
    // The two LLL text fields (48 and 62) are set often and long, so that replaced
    // values fill the store past 64 KiB in many sequences.
    let long = (
        prop_oneof![Just(5usize), Just(6)],
        500usize..1000,
        any::<u8>(),
    )
        .prop_map(|(i, len, seed)| Op::Set { i, len, seed });
    let any_field = (0..FIELDS.len(), 0usize..1000, any::<u8>())
        .prop_map(|(i, len, seed)| Op::Set { i, len, seed });
    prop_oneof![
        4 => long,
        4 => any_field,
        1 => (0..FIELDS.len()).prop_map(|i| Op::Remove { i }),
    ]
}

/// The value `Op::Set` stands for, fitted to the field: digits for numeric fields,
/// printable text for the others; fixed fields take their full length.
fn value(i: usize, len: usize, seed: u8) -> Vec<u8> {
    let (n, max, digits) = FIELDS[i];
    let len = match n {
        3 | 11 => 6,
        41 => 8,
        70 => 3,
        _ => len.min(max).max(1),
    };
    (0..len)
        .map(|k| {
            let c = seed.wrapping_add(k as u8);
            if digits { b'0' + c % 10 } else { b' ' + c % 95 }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn set_replace_and_remove_agree_with_a_model(ops in prop::collection::vec(op(), 1..300)) {
        let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
        let mut model: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        for op in &ops {
            match *op {
                Op::Set { i, len, seed } => {
                    let v = value(i, len, seed);
                    let n = FIELDS[i].0;
                    b.set(n, v.as_slice()).unwrap_or_else(|e| panic!("field {n}: {e}"));
                    model.insert(n, v);
                }
                Op::Remove { i } => {
                    let n = FIELDS[i].0;
                    b.remove(n);
                    model.remove(&n);
                }
            }
        }
        prop_assert_eq!(b.field_numbers().collect::<Vec<_>>(), model.keys().copied().collect::<Vec<_>>());
        let wire = b.to_bytes().unwrap();
        prop_assert_eq!(b.encoded_len().unwrap(), wire.len());
        let mut out = vec![0u8; wire.len()];
        prop_assert_eq!(b.encode_to_slice(&mut out).unwrap(), wire.len());
        prop_assert_eq!(&out[..], &wire[..]);

        let msg = Message::decode(&ISO87_ASCII, &wire).unwrap();
        let decoded: BTreeMap<usize, Vec<u8>> =
            msg.fields().map(|f| (f.number(), f.data().to_vec())).collect();
        prop_assert_eq!(&decoded, &model);
        let again = MessageBuilder::from_message(&msg).to_bytes().unwrap();
        prop_assert_eq!(&again[..], &wire[..]);
    }
}
