//! Unit tests.

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
}
