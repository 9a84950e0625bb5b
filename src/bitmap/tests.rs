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
