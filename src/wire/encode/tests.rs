//! Unit tests.

use super::*;
use alloc::{format, vec::Vec};

#[test]
fn short_copies_copy_exactly_the_source_for_every_length() {
    let src: [u8; 40] = core::array::from_fn(|i| i as u8 + 1);
    for n in 0..=40 {
        let mut dst = [0xEEu8; 48];
        let end = put_small_at(&mut dst, 3, &src[..n]);
        assert_eq!(end, 3 + n);
        assert_eq!(&dst[3..3 + n], &src[..n], "length {n}");
        assert!(dst[..3].iter().all(|&b| b == 0xEE), "length {n}: before");
        assert!(dst[3 + n..].iter().all(|&b| b == 0xEE), "length {n}: after");
    }
}

#[test]
fn short_copies_that_do_not_fit_write_nothing() {
    let mut dst = [0u8; 8];
    assert_eq!(put_small_at(&mut dst, 4, b"12345"), 9);
    assert_eq!(dst, [0; 8]);
}

#[test]
fn counts_are_written_as_their_last_digits_for_every_width() {
    for count in (0..=10_000).chain([65_535, 99_999, 123_456_789]) {
        for width in 1..=4 {
            // ASCII: the last `width` decimal digits.
            let mut dst = [0xEEu8; 4];
            write_count(&mut dst[..width], count, false);
            let text = format!("{:0w$}", count % 10usize.pow(width as u32), w = width);
            assert_eq!(
                &dst[..width],
                text.as_bytes(),
                "{count} in {width} ASCII digits"
            );
            assert!(dst[width..].iter().all(|&b| b == 0xEE));
            // BCD: the last `2 * width` digits, two to a byte.
            let mut dst = [0xEEu8; 4];
            write_count(&mut dst[..width], count, true);
            let digits = format!(
                "{:0w$}",
                count % 10usize.pow(2 * width as u32),
                w = 2 * width
            );
            let packed: Vec<u8> = digits
                .as_bytes()
                .chunks(2)
                .map(|p| (p[0] - b'0') << 4 | (p[1] - b'0'))
                .collect();
            assert_eq!(&dst[..width], &packed[..], "{count} in {width} BCD bytes");
            assert!(dst[width..].iter().all(|&b| b == 0xEE));
        }
    }
}
