//! Unit tests.

use super::*;
use std::string::ToString;
use std::vec::Vec;

#[test]
fn bits_are_msb_first() {
    let mut m = Bitmap::new();
    m.set(2).unwrap();
    m.set(64).unwrap();
    assert_eq!(m.to_bytes(0), [0x40, 0, 0, 0, 0, 0, 0, 0x01]);
    assert_eq!(m.count_below(64), 1);
    assert_eq!(m.count_below(65), 2);
    assert_eq!(m.set(0), Err(FieldNumberError(0)));
    assert_eq!(m.set(193), Err(FieldNumberError(193)));
}

#[test]
fn tertiary_bit_is_not_a_data_field() {
    let mut m = Bitmap::new();
    m.set(130).unwrap();
    m.set_extension_bits(true);
    assert!(m.is_set(1) && m.is_set(65));
    assert_eq!(m.bitmaps_needed(), 3);
    assert_eq!(m.data_fields(true).collect::<Vec<_>>(), [130]);
    assert_eq!(m.data_fields(false).collect::<Vec<_>>(), [65, 130]);
}

#[test]
fn extension_bits_follow_fields() {
    let mut m = Bitmap::new();
    m.set(3).unwrap();
    m.set(1).unwrap();
    m.set_extension_bits(false);
    assert!(!m.is_set(1));
    assert_eq!(m.bitmaps_needed(), 1);
    m.set(65).unwrap();
    m.set_extension_bits(false);
    assert_eq!(m.bitmaps_needed(), 2);
    assert_eq!(m.to_string().len(), 32);
}

#[test]
fn last_below_finds_the_previous_set_bit() {
    // Deterministic pseudo-random bitmaps, compared with a bit-by-bit search.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..300 {
        let mut m = Bitmap::new();
        for n in 1..=MAX_FIELD {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Sparse and dense maps both.
            if seed.is_multiple_of((1 + round % 9) as u64) {
                m.set(n).unwrap();
            }
        }
        for n in 0..=MAX_FIELD + 2 {
            let expected = (1..n.min(MAX_FIELD + 1)).rev().find(|&k| m.is_set(k));
            assert_eq!(m.last_below(n), expected, "round {round}, n {n}");
        }
    }
    assert_eq!(Bitmap::new().last_below(192), None);
}
