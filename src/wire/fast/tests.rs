//! Unit tests.

use super::*;

#[test]
fn swar_checks_agree_with_byte_checks() {
    let mut data = [b'0'; 23];
    for b in 0..=255u8 {
        for pos in [0usize, 7, 8, 15, 22] {
            data.fill(b'5');
            data[pos] = b;
            assert_eq!(all_digits(&data), b.is_ascii_digit(), "{b:#x} at {pos}");
        }
    }
}

#[test]
fn bcd_check_agrees_with_nibble_checks() {
    let mut data = [0x12u8; 13];
    for b in 0..=255u8 {
        for pos in [0usize, 7, 8, 12] {
            data.fill(0x59);
            data[pos] = b;
            let ok = b >> 4 <= 9 && b & 0xF <= 9;
            assert_eq!(all_bcd_digits(&data), ok, "{b:#x} at {pos}");
            assert_eq!(
                all_bcd_digits(&data[..5.min(pos + 1)]),
                ok || pos >= 5,
                "{b:#x} at {pos} short"
            );
        }
    }
}

#[test]
fn hex_text_of_numbers_matches_the_formatter() {
    use crate::wire::hex::u64_upper;
    extern crate std;
    let mut x = 0x0123_4567_89AB_CDEFu64;
    for _ in 0..2000 {
        let expected = std::format!("{x:016X}");
        assert_eq!(&u64_upper(x), expected.as_bytes());
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }
    assert_eq!(&u64_upper(0), b"0000000000000000");
    assert_eq!(&u64_upper(u64::MAX), b"FFFFFFFFFFFFFFFF");
}

#[test]
fn word_checks_agree_with_byte_checks_at_every_length_and_position() {
    // Lengths cover the one-word, two-word and looping shapes, and every byte position
    // of each gets every byte value once, over backgrounds that pass.
    for len in 0..=40usize {
        for pos in 0..len.max(1) {
            for b in 0..=255u8 {
                let with = |fill: u8| {
                    let mut d = [fill; 40];
                    if pos < len {
                        d[pos] = b;
                    }
                    d
                };
                let hit = |ok: bool| pos >= len || ok;
                let d = with(b'7');
                assert_eq!(
                    all_digits(&d[..len]),
                    hit(b.is_ascii_digit()),
                    "digits {len} {pos} {b:#x}"
                );
                let track = b.is_ascii_digit() || b == b'=' || b == b'D';
                for fill in [b'7', b'=', b'D'] {
                    let d = with(fill);
                    assert_eq!(
                        all_track(&d[..len]),
                        hit(track),
                        "track {len} {pos} {b:#x} over {fill:#x}"
                    );
                }
                for fill in [b'7', b'a', b'F'] {
                    let d = with(fill);
                    assert_eq!(
                        all_hex(&d[..len]),
                        hit(b.is_ascii_hexdigit()),
                        "hex {len} {pos} {b:#x} over {fill:#x}"
                    );
                }
            }
        }
    }
}

#[test]
fn ascii_prefixes_read_as_numbers_or_refused() {
    extern crate std;
    let reference = |raw: &[u8]| -> Option<usize> {
        if raw.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(raw).ok()?.parse().ok().or(Some(0))
        } else {
            None
        }
    };
    let bytes = [
        b'0', b'1', b'5', b'9', b'/', b':', b' ', b'A', 0x00, 0xB9, 0xFF,
    ];
    for &a in &bytes {
        assert_eq!(ascii_number(&[a]), reference(&[a]));
        for &b in &bytes {
            assert_eq!(ascii_number(&[a, b]), reference(&[a, b]), "{a:#x} {b:#x}");
            for &c in &bytes {
                let raw = [a, b, c];
                assert_eq!(ascii_number(&raw), reference(&raw), "{raw:?}");
                assert_eq!(ascii_number(&[a, b, c, b'7']), reference(&[a, b, c, b'7']));
            }
        }
    }
}
