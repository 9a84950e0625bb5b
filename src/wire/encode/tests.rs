//! Unit tests.

use super::*;

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
