//! EBCDIC translation (code pages 037 and 1047) to and from ISO-8859-1.
//!
//! ```
//! use iso8583_wire::spec::CodePage;
//! use iso8583_wire::wire::ebcdic;
//!
//! assert_eq!(ebcdic::to_latin1(CodePage::Cp037, 0xF1), b'1');
//! assert_eq!(ebcdic::from_latin1(CodePage::Cp1047, b'A'), 0xC1);
//! // The two pages differ on a few characters, e.g. '[':
//! assert_eq!(ebcdic::from_latin1(CodePage::Cp037, b'['), 0xBA);
//! assert_eq!(ebcdic::from_latin1(CodePage::Cp1047, b'['), 0xAD);
//! ```

use super::ebcdic_tables::{CP037_TO_LATIN1, CP1047_TO_LATIN1, LATIN1_TO_CP037, LATIN1_TO_CP1047};
use crate::spec::CodePage;

/// The EBCDIC -> Latin-1 table of a code page.
pub(crate) const fn to_latin1_table(page: CodePage) -> &'static [u8; 256] {
    match page {
        CodePage::Cp037 => &CP037_TO_LATIN1,
        CodePage::Cp1047 => &CP1047_TO_LATIN1,
    }
}

/// The Latin-1 -> EBCDIC table of a code page.
pub(crate) const fn from_latin1_table(page: CodePage) -> &'static [u8; 256] {
    match page {
        CodePage::Cp037 => &LATIN1_TO_CP037,
        CodePage::Cp1047 => &LATIN1_TO_CP1047,
    }
}

/// One EBCDIC byte as Latin-1.
pub const fn to_latin1(page: CodePage, b: u8) -> u8 {
    to_latin1_table(page)[b as usize]
}

/// One Latin-1 byte as EBCDIC.
pub const fn from_latin1(page: CodePage, b: u8) -> u8 {
    from_latin1_table(page)[b as usize]
}

#[cfg(test)]
mod tests;
