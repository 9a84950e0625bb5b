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
        Content::N | Content::Ns | Content::Z | Content::Xn => b'7',
        Content::B => 0xA5,
        _ => b'K',
    };
    let mut v = vec![fill; units];
    if content == Content::Xn && units > 0 {
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
                crate::spec::Length::Var(_)
                | crate::spec::Length::Rest { .. }
                | crate::spec::Length::Filled(_) => f.max_units().min(5),
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
            let mut ends = [0u16; ENDS];
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

#[test]
fn odd_length_bcd_numbers_take_the_fast_path_and_their_pad_is_checked() {
    use crate::layouts::ISO87_BINARY;
    use crate::{Message, MessageBuilder, Mti};
    use alloc::string::ToString;
    // Field 2 (LL, 17 digits, left-aligned: pad in the low nibble of its last byte)
    // and field 22 (n3, right-aligned: pad in the high nibble of its first byte).
    let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
    b.set(2, "41111111111111112").unwrap();
    b.set(11, "000001").unwrap();
    b.set(22, "051").unwrap();
    let wire = b.to_bytes().unwrap().to_vec();
    let mut ends = [0u16; ENDS];
    assert!(scan(&ISO87_BINARY, &wire, &mut ends).is_some());
    let msg = Message::decode(&ISO87_BINARY, &wire).unwrap();
    assert_eq!(msg.field(2).unwrap().to_string(), "411111*******1112");
    assert_eq!(msg.field(22).unwrap().to_u64().unwrap(), 51);

    // Where the pads are: the PAN's last byte, and field 22's first byte (the bitmap
    // is 8 bytes after the 2-byte MTI; field 2 is a 1-byte prefix and 9 bytes; field
    // 11 is 3 bytes).
    let pan_last = 2 + 8 + 1 + 8;
    let f22_first = 2 + 8 + 1 + 9 + 3;
    assert_eq!(wire[pan_last], 0x20);
    assert_eq!(&wire[f22_first..f22_first + 2], &[0x00, 0x51]);
    for (at, bad) in [(pan_last, 0x25u8), (f22_first, 0x50)] {
        let mut broken = wire.clone();
        broken[at] = bad;
        assert!(
            scan(&ISO87_BINARY, &broken, &mut ends).is_none(),
            "byte {at}"
        );
        let err = Message::decode(&ISO87_BINARY, &broken).unwrap_err();
        assert_eq!(
            err,
            Message::decode_without_fast_path(&ISO87_BINARY, &broken).unwrap_err()
        );
        assert!(err.to_string().contains("pad nibble 0"), "{err}");
    }
}

#[test]
fn free_text_takes_the_fast_path_whatever_it_holds_and_digits_around_it_are_checked() {
    use crate::layouts::ISO87_ASCII;
    use crate::spec::ContentMode;
    use crate::{Message, MessageBuilder, Mti};
    // A 0210: fields 37, 38 and 39 (`an`) and 41 (`ans`) follow the digits of 3 to 25.
    let build = |rrn: &[u8], approval: &[u8], response: &[u8]| {
        let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(210).unwrap());
        b.set(3, "000000").unwrap().set(4, 1000u32).unwrap();
        b.set(11, "000001").unwrap().set(25, "00").unwrap();
        b.set(37, rrn).unwrap();
        b.set(38, approval).unwrap();
        b.set(39, response).unwrap();
        b.set(41, "TERM0001").unwrap();
        b.to_bytes().unwrap().to_vec()
    };
    let mut ends = [0u16; ENDS];
    for (rrn, approval, response) in [
        (&b"205100123456"[..], &b"123456"[..], &b"00"[..]),
        (b"RRN-0001    ", b"A1 B2 ", b"5 "),
        (b"ABCDEF123456", b"\xE9t\xE9!?x", b"\x01\x7F"),
    ] {
        let wire = build(rrn, approval, response);
        assert!(
            scan(&ISO87_ASCII, &wire, &mut ends).is_some(),
            "{rrn:?} {approval:?} {response:?} missed the fast path"
        );
        let msg = Message::decode(&ISO87_ASCII, &wire).unwrap();
        assert_eq!(msg.field(37).unwrap().data(), rrn);
        assert_eq!(msg.field(38).unwrap().data(), approval);
        assert_eq!(msg.field(39).unwrap().data(), response);
        assert_eq!(
            msg,
            Message::decode_without_fast_path(&ISO87_ASCII, &wire).unwrap()
        );
        // Strict mode refuses every value above but the first.
        let strict = Message::decode_with(&ISO87_ASCII, &wire, ContentMode::Strict);
        assert_eq!(strict.is_ok(), rrn[3] == b'1', "{rrn:?}");
    }

    // Digits next to the free text are still checked, with the detailed error.
    let wire = build(b"205100123456", b"123456", b"00");
    let f37 = wire.len() - 8 - 2 - 6 - 12;
    for (at, bad, field) in [
        (f37 - 1, b'A', 25),
        (f37 - 2, b' ', 25),
        (f37 - 3, 0xE9, 11),
    ] {
        let mut broken = wire.clone();
        broken[at] = bad;
        assert!(
            scan(&ISO87_ASCII, &broken, &mut ends).is_none(),
            "byte {at}"
        );
        let err = Message::decode(&ISO87_ASCII, &broken).unwrap_err();
        assert_eq!(
            err,
            Message::decode_without_fast_path(&ISO87_ASCII, &broken).unwrap_err()
        );
        assert_eq!(err.offset, at, "{err}");
        assert_eq!(err.field(), Some(field), "{err}");
    }
}

#[test]
fn hex_bitmaps_are_read_whole_and_refused_for_a_bad_character_in_either_half() {
    let text = *b"7238048008C0800F";
    assert_eq!(
        bitmap_at(BitmapEncoding::HexAscii, &text, 0),
        Some((0x7238_0480_08C0_800F, 16))
    );
    let lower = *b"7238048008c0800f";
    assert_eq!(
        bitmap_at(BitmapEncoding::HexAscii, &lower, 0),
        Some((0x7238_0480_08C0_800F, 16))
    );
    for at in 0..16 {
        for bad in [b'G', b'g', b'/', b':', b'@', b'`', b' ', 0x80 | b'1'] {
            let mut broken = text;
            broken[at] = bad;
            assert_eq!(
                bitmap_at(BitmapEncoding::HexAscii, &broken, 0),
                None,
                "{at} {bad}"
            );
        }
    }
    // Fifteen characters are not a bitmap.
    assert_eq!(bitmap_at(BitmapEncoding::HexAscii, &text[..15], 0), None);
}

#[test]
fn amounts_with_a_sign_take_the_fast_path_and_each_needs_its_own_sign() {
    use crate::layouts::{ISO87_ASCII, ISO87_BINARY};
    use crate::{Message, MessageBuilder, Mti};
    use alloc::string::ToString;
    // Fields 28 to 31 are x+n 9: 'C' or 'D', then eight digits (ASCII or packed BCD).
    for spec in [&ISO87_ASCII, &ISO87_BINARY] {
        assert_eq!(
            spec.fast_field(28).check,
            if spec.name == "iso87ascii" {
                FastCheck::SignedDigits
            } else {
                FastCheck::SignedBcd
            }
        );
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        b.set(3, "000000").unwrap().set(11, "000001").unwrap();
        for (n, v) in [
            (28, "C00000100"),
            (29, "D00000250"),
            (30, "C00000000"),
            (31, "D99999999"),
        ] {
            b.set(n, v).unwrap();
        }
        b.set(32, "123456").unwrap();
        let wire = b.to_bytes().unwrap().to_vec();
        let mut ends = [0u16; ENDS];
        assert!(scan(spec, &wire, &mut ends).is_some(), "{}", spec.name);
        let msg = Message::decode(spec, &wire).unwrap();
        assert_eq!(msg.field(29).unwrap().to_string(), "D00000250");
        assert_eq!(msg, Message::decode_without_fast_path(spec, &wire).unwrap());

        // The sign of each amount is checked on its own (runs of amounts would only
        // see the first), and so are the digits after it.
        let f28 = usize::from(ends[2]); // end of field 3 (fields 3, 11, then 28)
        let f28 = f28 + if spec.name == "iso87ascii" { 6 } else { 3 };
        let width = if spec.name == "iso87ascii" { 9 } else { 5 };
        let ascii = spec.name == "iso87ascii";
        let signs = [f28, f28 + width, f28 + 3 * width].map(|at| (at, [b'0', b'E', b'c', 0xFF]));
        let digits = [f28 + 1, f28 + width + 4].map(|at| {
            (
                at,
                if ascii {
                    [b'E', b'c', 0xFF, b' ']
                } else {
                    [0xFF, 0x3A, 0xC1, 0x0B]
                },
            )
        });
        for (at, bads) in signs.into_iter().chain(digits) {
            for bad in bads {
                let mut broken = wire.clone();
                broken[at] = bad;
                let err = Message::decode(spec, &broken).unwrap_err();
                assert_eq!(
                    err,
                    Message::decode_without_fast_path(spec, &broken).unwrap_err(),
                    "{} byte {at}",
                    spec.name
                );
                assert_eq!(err.offset, at, "{} {err}", spec.name);
            }
        }
    }
}
