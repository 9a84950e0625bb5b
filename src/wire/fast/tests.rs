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
            data.fill(b'A');
            data[pos] = b;
            assert_eq!(
                all_printable_ascii(&data),
                (0x20..0x7F).contains(&b),
                "{b:#x} at {pos}"
            );
        }
    }
}
