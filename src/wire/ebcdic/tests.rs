//! Unit tests.

use super::*;

#[test]
fn tables_are_inverse() {
    for page in [CodePage::Cp037, CodePage::Cp1047] {
        for b in 0..=255u8 {
            assert_eq!(from_latin1(page, to_latin1(page, b)), b);
        }
    }
    assert_eq!(to_latin1(CodePage::Cp037, 0x40), b' ');
    assert_eq!(to_latin1(CodePage::Cp037, 0x81), b'a');
    assert_eq!(to_latin1(CodePage::Cp1047, 0x5F), b'^');
    assert_eq!(to_latin1(CodePage::Cp037, 0x5F), 0xAC);
}
