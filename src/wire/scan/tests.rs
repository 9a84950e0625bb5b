//! Unit tests.

use super::*;
use crate::spec::Content;
use alloc::vec;
use alloc::vec::Vec;

#[test]
fn hex8_matches_a_byte_by_byte_parse() {
    for text in [
        b"0123ABCD",
        b"abcdef09",
        b"FFFFFFFF",
        b"00000000",
        b"7238C080",
        b"DeadBeef",
    ] {
        let expected = u32::from_str_radix(core::str::from_utf8(text).unwrap(), 16).unwrap();
        assert_eq!(hex8(u64::from_le_bytes(*text)), Some(expected), "{text:?}");
    }
}

#[test]
fn hex8_refuses_every_non_hex_byte_in_every_position() {
    for b in 0..=255u8 {
        let is_hex = b.is_ascii_hexdigit();
        for pos in 0..8 {
            let mut text = *b"0A1b2C3d";
            text[pos] = b;
            assert_eq!(
                hex8(u64::from_le_bytes(text)).is_some(),
                is_hex,
                "{b:#x} at {pos}"
            );
        }
    }
}

#[test]
fn in_range_marks_exactly_the_bytes_in_range() {
    for b in 0..0x80u8 {
        let x = u64::from_le_bytes([b, b'0', b, b'Z', b, b' ', b, b'~']);
        let marked = in_range(x, b'A', b'Z');
        for (i, byte) in x.to_le_bytes().iter().enumerate() {
            let bit = (marked >> (8 * i + 7)) & 1 == 1;
            assert_eq!(bit, byte.is_ascii_uppercase(), "{byte:#x} at {i}");
        }
    }
}

/// A valid value of `units` units for a field of class `content`.
fn sample_value(content: Content, units: usize) -> Vec<u8> {
    let fill = match content {
        Content::N | Content::Ns | Content::Z | Content::XN => b'7',
        Content::B => 0xA5,
        _ => b'K',
    };
    let mut v = vec![fill; units];
    if content == Content::XN && units > 0 {
        v[0] = b'C';
    }
    v
}

#[test]
fn every_field_of_every_layout_takes_the_fast_path() {
    use crate::{MessageBuilder, Mti, layouts};
    let mut checked = 0;
    for spec in layouts::ALL {
        for n in 2..=spec.max_field() {
            let Some(f) = spec.field(n) else { continue };
            let units = match f.length {
                crate::spec::Length::Fixed(k) => usize::from(k),
                crate::spec::Length::Var(_) => f.max_units().min(5),
            };
            let value = sample_value(f.content, units);
            let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
            let header = vec![0x60; spec.header_len()];
            b.set_header(&header).unwrap();
            b.set(11, "000001").unwrap();
            if b.set(n, value.as_slice()).is_err() {
                // Structured values (BER-TLV in 55) get a real one.
                b.set(n, &b"\x9F\x02\x06\x00\x00\x00\x00\x10\x00"[..])
                    .unwrap_or_else(|e| panic!("{} field {n}: {e}", spec.name));
            }
            let wire = b.to_bytes().unwrap();
            let mut ends = [0u16; MAX_FIELD];
            assert!(
                scan(spec, &wire, &mut ends).is_some(),
                "{} field {n} ({:?}) missed the fast path",
                spec.name,
                spec.fast_field(n)
            );
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} fields checked");
}
