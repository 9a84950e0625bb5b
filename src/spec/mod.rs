//! The layout model: how each field of a message travels on the wire.
//!
//! A field's wire form is a handful of small, independent choices:
//!
//! * its [`Content`] class (`n`, `a`, `an`, `ans`, `b`, `z`, `x+n`, ...), which decides
//!   which characters are legal;
//! * its data [`Encoding`] (ASCII, packed BCD, EBCDIC, raw binary, hex-ASCII);
//! * its [`Length`]: fixed, or variable behind a [`Prefix`] of 1 to 4 digits;
//! * its [`Padding`] for fixed fields given a shorter value.
//!
//! A [`MessageSpec`] adds the optional fixed header, the MTI encoding, the bitmap form and
//! a table of up to 192 field definitions. Every constructor is a `const fn`, so a layout
//! is a `static` with no start-up cost; the built-in layouts in [`layouts`] are defined
//! with exactly the same types a user would use.
//!
//! ```
//! use iso8583_wire::spec::{Content, Encoding, FieldSpec, Prefix};
//!
//! // IFA_LLNUM(19): PAN, up to 19 ASCII digits behind a 2-digit ASCII length.
//! const PAN: FieldSpec = FieldSpec::var("PAN", Content::N, Encoding::Ascii, Prefix::ascii(2, 19))
//!     .pan();
//! // IFB_NUMERIC(6): STAN as 3 packed-BCD bytes.
//! const STAN: FieldSpec = FieldSpec::fixed("STAN", Content::N, Encoding::BCD, 6);
//! assert_eq!(STAN.fixed_wire_len(), Some(3));
//! assert!(PAN.sensitivity.is_sensitive());
//! ```

pub mod composite;
pub mod layouts;

pub use composite::{Composite, Part, PartLength, SubBitmap, TaggedField, TlvForm, TlvPart};

use crate::bitmap::MAX_FIELD;
use crate::mti::MtiEncoding;

/// Content class of a field: which characters its value may hold.
///
/// The classes follow the ISO 8583 data element attributes. `n`, `x+n`, `z` and `b` are
/// structure: they are checked in every [`ContentMode`]. The free-text classes (`a`,
/// `an`, `anp`, `ans`, `ns`; see [`Content::is_free_text`]) are checked only in
/// [`ContentMode::Strict`]: real traffic carries spaces, dashes and symbols in them.
///
/// ```
/// use iso8583_wire::spec::{Content, ContentMode};
///
/// assert!(!Content::An.allows(b'-'));
/// assert!(Content::An.accepts(b'-', ContentMode::Lenient));
/// assert!(!Content::An.accepts(b'-', ContentMode::Strict));
/// // Digits are structure: never lenient.
/// assert!(!Content::N.accepts(b' ', ContentMode::Lenient));
/// // Track data takes `=` or `D` as the separator.
/// assert!(Content::Z.allows(b'D') && Content::Z.allows(b'='));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Content {
    /// `n`: digits `0`-`9`.
    N,
    /// `a`: letters.
    A,
    /// `an`: letters and digits.
    An,
    /// `anp`: letters, digits and space.
    Anp,
    /// `ans`: printable characters, space and specials included.
    Ans,
    /// `ns`: digits and specials (no letters).
    Ns,
    /// `a/n`: letters or digits, not both (currency codes: `USD` or `840`).
    #[cfg_attr(feature = "serde", serde(rename = "a/n", alias = "a-or-n"))]
    AOrN,
    /// `z`: track data: digits and the `=` separator (nibble `D` in BCD).
    Z,
    /// `x+n`: `C` (credit) or `D` (debit) followed by digits.
    #[cfg_attr(feature = "serde", serde(rename = "x+n", alias = "x-n", alias = "xn"))]
    Xn,
    /// `b`: binary data.
    B,
}

impl Content {
    /// The short code used in ISO 8583 tables (`"n"`, `"ans"`, `"x+n"`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            Content::N => "n",
            Content::A => "a",
            Content::An => "an",
            Content::Anp => "anp",
            Content::Ans => "ans",
            Content::Ns => "ns",
            Content::AOrN => "a/n",
            Content::Z => "z",
            Content::Xn => "x+n",
            Content::B => "b",
        }
    }

    /// Whether values of this class are text (everything but `b`).
    pub const fn is_text(self) -> bool {
        !matches!(self, Content::B)
    }

    /// Whether this is a free-text class (`a`, `an`, `anp`, `ans`, `ns`): one whose
    /// characters only [`ContentMode::Strict`] enforces.
    pub const fn is_free_text(self) -> bool {
        matches!(
            self,
            Content::A | Content::An | Content::Anp | Content::Ans | Content::Ns | Content::AOrN
        )
    }

    /// Whether one logical character is accepted in `mode`: in
    /// [`ContentMode::Lenient`], any byte in a free-text class; otherwise as
    /// [`Content::allows`].
    #[inline]
    pub const fn accepts(self, c: u8, mode: ContentMode) -> bool {
        (self.is_free_text() && matches!(mode, ContentMode::Lenient)) || self.allows(c)
    }

    /// Whether one logical character (a Latin-1 byte) is allowed in this class.
    ///
    /// For `b` every byte is allowed. For `x+n` this checks the digit part; the sign
    /// position is checked separately by the codec.
    #[inline]
    pub const fn allows(self, c: u8) -> bool {
        CLASS_TABLE[c as usize] & self.mask() != 0
    }

    /// This class's bit in [`CLASS_TABLE`].
    #[inline]
    const fn mask(self) -> u16 {
        1 << (self as u16)
    }

    /// The definition behind [`CLASS_TABLE`].
    const fn allows_slow(self, c: u8) -> bool {
        match self {
            Content::N | Content::Xn => c.is_ascii_digit(),
            Content::A => c.is_ascii_alphabetic(),
            Content::An | Content::AOrN => c.is_ascii_alphanumeric(),
            Content::Anp => c.is_ascii_alphanumeric() || c == b' ',
            Content::Ans => is_printable(c),
            Content::Ns => is_printable(c) && !c.is_ascii_alphabetic(),
            Content::Z => c.is_ascii_digit() || c == b'=' || c == b'D',
            Content::B => true,
        }
    }

    /// The rule a whole value (padding removed) must follow beyond its characters:
    /// `a/n` is all letters or all digits. Returns the position of the first character
    /// that breaks it.
    pub(crate) fn value_rule_breaks(self, body: &[u8]) -> Option<usize> {
        if self != Content::AOrN {
            return None;
        }
        let letters = body.first().is_some_and(u8::is_ascii_alphabetic);
        body.iter().position(|c| c.is_ascii_alphabetic() != letters)
    }

    /// What [`Content::allows`] accepts, in words (used in error messages).
    pub const fn expectation(self) -> &'static str {
        match self {
            Content::N => "a digit",
            Content::A => "a letter",
            Content::An => "a letter or digit",
            Content::Anp => "a letter, digit or space",
            Content::Ans => "a printable character",
            Content::Ns => "a digit or special character",
            Content::AOrN => "a letter or digit (all letters or all digits)",
            Content::Z => "a digit or the separator '=' or 'D'",
            Content::Xn => "a digit",
            Content::B => "any byte",
        }
    }
}

/// For each byte, one bit per [`Content`] class that allows it (bit = variant index).
static CLASS_TABLE: [u16; 256] = {
    const ALL: [Content; 10] = [
        Content::N,
        Content::A,
        Content::An,
        Content::Anp,
        Content::Ans,
        Content::Ns,
        Content::Z,
        Content::Xn,
        Content::B,
        Content::AOrN,
    ];
    let mut table = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let mut k = 0;
        while k < ALL.len() {
            if ALL[k].allows_slow(c as u8) {
                table[c] |= ALL[k].mask();
            }
            k += 1;
        }
        c += 1;
    }
    table
};

/// How the characters of free-text fields (`a`, `an`, `anp`, `ans`, `ns`) are checked
/// when decoding and encoding.
///
/// Structure is checked in every mode: the MTI, bitmaps, length prefixes and maxima,
/// digits of `n` and `x+n`, track characters of `z`, BCD and pad nibbles, hex of
/// hex-encoded binary, and the end of the message.
///
/// * [`ContentMode::Lenient`] (the default) accepts **any byte** in a free-text field:
///   printable ASCII, ISO-8859-1 letters (common in field 43) and control characters
///   alike, as jPOS does. Text is read as ISO-8859-1: every byte is one character, so
///   any value decodes and encodes back to the same bytes. The validation layer
///   ([`crate::validate`]) reports each field whose characters break its class.
/// * [`ContentMode::Strict`] enforces the class as the standard defines it: `a`
///   letters, `an` letters and digits, `anp` with space, `ans` printable ISO-8859-1
///   (0x20-0x7E, 0xA0-0xFF), `ns` printable without letters. A fixed field's pad
///   characters are accepted at its padding end in both modes.
///
/// A layout carries a default ([`MessageSpec::with_content_mode`]); a decode
/// ([`crate::Message::decode_with`]) or a builder
/// ([`crate::MessageBuilder::set_content_mode`]) may choose otherwise.
///
/// ```
/// use iso8583_wire::{Message, layouts::ISO87_ASCII, spec::ContentMode};
///
/// // Field 39 (an 2) holding "0-": accepted by default, refused in strict mode.
/// let wire = b"021000000000020000000-";
/// assert_eq!(ISO87_ASCII.decode(wire)?.field(39).and_then(|f| f.as_str()), Some("0-"));
/// let err = Message::decode_with(&ISO87_ASCII, wire, ContentMode::Strict).unwrap_err();
/// assert_eq!(err.field(), Some(39));
/// # Ok::<(), iso8583_wire::DecodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum ContentMode {
    /// Free-text classes accept any byte (the default).
    #[default]
    Lenient,
    /// Free-text classes are enforced.
    Strict,
}

/// Printable Latin-1: 0x20-0x7E and 0xA0-0xFF.
pub(crate) const fn is_printable(c: u8) -> bool {
    matches!(c, 0x20..=0x7E | 0xA0..=0xFF)
}

/// Where the pad nibble goes when an odd number of digits is packed as BCD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Align {
    /// Digits start at the first nibble; the pad nibble is the last one (`"123"` -> `12 30`).
    Left,
    /// Digits end at the last nibble; the pad nibble is the first one (`"123"` -> `01 23`).
    Right,
}

/// EBCDIC code page used for EBCDIC text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum CodePage {
    /// IBM code page 037 (US/Canada).
    Cp037,
    /// IBM code page 1047 (Latin-1 open systems, z/OS).
    Cp1047,
}

/// How the units of a field's value are represented in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Encoding {
    /// One byte per character, as is (ASCII / ISO-8859-1).
    Ascii,
    /// One byte per character, EBCDIC in the given code page.
    Ebcdic(CodePage),
    /// Packed BCD: two digits per byte, high nibble first. An odd digit count gets one
    /// pad nibble, placed by `align`, with the value `filler` (0x0 or 0xF). For `x+n`,
    /// the sign travels as one ASCII byte before the packed digits; for `z`, the `=`
    /// separator is nibble `D`.
    Bcd {
        /// Where the pad nibble goes for odd digit counts.
        align: Align,
        /// The pad nibble's value (0x0 or 0xF).
        filler: u8,
    },
    /// Raw bytes.
    Binary,
    /// Each byte as two hex-ASCII characters (written uppercase, read in either case).
    HexAscii,
    /// Text in GBK (China's national code page; UnionPay fields 43 and 56): the bytes
    /// as received, one unit per byte. Shown as text (see [`crate::Field::value`]);
    /// with the `gbk` feature the characters are decoded, without it bytes from 0x80
    /// up are shown as `\xHH`.
    Gbk,
}

impl Encoding {
    /// Packed BCD, right-aligned (pad nibble first), filler 0: jPOS `IFB_NUMERIC` with
    /// `pad="true"`.
    pub const BCD: Encoding = Encoding::Bcd {
        align: Align::Right,
        filler: 0,
    };
    /// Packed BCD, left-aligned (pad nibble last), filler 0: jPOS `IFB_LLNUM` with
    /// `pad="false"`.
    pub const BCD_LEFT: Encoding = Encoding::Bcd {
        align: Align::Left,
        filler: 0,
    };
    /// Packed BCD, left-aligned, filler `F`.
    pub const BCD_LEFT_F: Encoding = Encoding::Bcd {
        align: Align::Left,
        filler: 0xF,
    };

    /// A short name for dumps and documentation.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Ebcdic(CodePage::Cp037) => "ebcdic-037",
            Encoding::Ebcdic(CodePage::Cp1047) => "ebcdic-1047",
            Encoding::Bcd {
                align: Align::Left, ..
            } => "bcd-left",
            Encoding::Bcd {
                align: Align::Right,
                ..
            } => "bcd-right",
            Encoding::Binary => "binary",
            Encoding::HexAscii => "hex-ascii",
            Encoding::Gbk => "gbk",
        }
    }
}

/// How a length prefix is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum PrefixEncoding {
    /// Decimal digits as ASCII characters (`"19"`).
    Ascii,
    /// Decimal digits as packed BCD, right-aligned (`LL` = 1 byte, `LLL`/`LLLL` = 2 bytes).
    Bcd,
    /// An unsigned big-endian binary number of `digits` bytes.
    Binary,
    /// Decimal digits as EBCDIC characters.
    Ebcdic(CodePage),
    /// An unsigned big-endian binary number of `digits` bytes, written as `2 * digits`
    /// hex-ASCII characters (moov-io `Hex.LL`: `"0010"` is 16).
    Hex,
}

/// What a length prefix counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Counts {
    /// Logical units: digits for BCD numerics, characters for text, bytes of value for
    /// binary (also for hex-ASCII binary, where each byte takes two characters).
    Units,
    /// Bytes on the wire after the prefix.
    Bytes,
}

/// A variable field's length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub struct Prefix {
    /// Number of digits (1-6: L to LLLLLL); for a binary or hex prefix, number of bytes
    /// of the number (1-4).
    pub digits: u8,
    /// How the prefix is written.
    pub encoding: PrefixEncoding,
    /// What it counts.
    pub counts: Counts,
    /// The largest length allowed, in what the prefix counts.
    pub max: u16,
}

impl Prefix {
    /// An ASCII prefix of `digits` digits, counting units.
    pub const fn ascii(digits: u8, max: u16) -> Prefix {
        Prefix {
            digits,
            encoding: PrefixEncoding::Ascii,
            counts: Counts::Units,
            max,
        }
    }
    /// A packed-BCD prefix for `digits` digits, counting units.
    pub const fn bcd(digits: u8, max: u16) -> Prefix {
        Prefix {
            digits,
            encoding: PrefixEncoding::Bcd,
            counts: Counts::Units,
            max,
        }
    }
    /// A binary prefix of `bytes` bytes, counting units.
    pub const fn binary(bytes: u8, max: u16) -> Prefix {
        Prefix {
            digits: bytes,
            encoding: PrefixEncoding::Binary,
            counts: Counts::Units,
            max,
        }
    }
    /// An EBCDIC prefix of `digits` digits, counting units.
    pub const fn ebcdic(digits: u8, page: CodePage, max: u16) -> Prefix {
        Prefix {
            digits,
            encoding: PrefixEncoding::Ebcdic(page),
            counts: Counts::Units,
            max,
        }
    }
    /// The same prefix, counting wire bytes instead of units.
    pub const fn counting_bytes(self) -> Prefix {
        Prefix {
            counts: Counts::Bytes,
            ..self
        }
    }

    /// How many bytes the prefix itself takes.
    pub const fn wire_len(&self) -> usize {
        match self.encoding {
            PrefixEncoding::Ascii | PrefixEncoding::Ebcdic(_) | PrefixEncoding::Binary => {
                self.digits as usize
            }
            PrefixEncoding::Bcd => (self.digits as usize).div_ceil(2),
            PrefixEncoding::Hex => 2 * self.digits as usize,
        }
    }

    /// The largest number of digits (or bytes, for binary and hex prefixes) a prefix
    /// may have.
    pub const fn max_digits(&self) -> u8 {
        match self.encoding {
            PrefixEncoding::Binary | PrefixEncoding::Hex => 4,
            _ => 6,
        }
    }

    /// The largest number the prefix can express.
    pub const fn capacity(&self) -> usize {
        match self.encoding {
            PrefixEncoding::Binary | PrefixEncoding::Hex => {
                if self.digits >= 4 {
                    u32::MAX as usize
                } else {
                    (1usize << (8 * self.digits as u32)) - 1
                }
            }
            _ => match self.digits {
                0 => 0,
                1 => 9,
                2 => 99,
                3 => 999,
                4 => 9999,
                5 => 99_999,
                _ => 999_999,
            },
        }
    }
}

/// Fixed or variable length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Length {
    /// Exactly this many units.
    Fixed(u16),
    /// A length prefix followed by that many units (or bytes).
    Var(Prefix),
    /// No prefix: the value runs to the end of the enclosing data (the rest of the
    /// message for a field, the rest of the parent for a subfield), up to `max` units
    /// (moov-io `None.Fixed`, jPOS `trim="true"`).
    Rest {
        /// Largest length allowed.
        max: u16,
    },
    /// A length prefix giving the value's length, then the value, then fill up to the
    /// prefix's maximum: the field always takes the prefix and `max` units on the wire
    /// (jPOS `IFA_FLLCHAR`, `IFA_FLLNUM`: two ASCII digits, the text, spaces up to the
    /// declared length; `IFB_LLHFBINARY`: one binary byte, the bytes, zeros). The fill
    /// is written with the field's [`Padding`] character (spaces, or zeros for binary
    /// fields, when it has none) and not looked at when decoding.
    Filled(Prefix),
}

/// What an encoder does with a value shorter than a fixed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Padding {
    /// No padding: a shorter value is an error.
    None,
    /// Fill on the left with this character (numerics: `b'0'`).
    Left(u8),
    /// Fill on the right with this character (text: `b' '`).
    Right(u8),
}

/// How sensitive a field's content is, and so how dumps, `Debug` and errors show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Sensitivity {
    /// Shown as is.
    Public,
    /// A primary account number: only the first 6 and last 4 digits are shown.
    Pan,
    /// Track data: the account number part as for [`Sensitivity::Pan`], the rest hidden.
    Track,
    /// PIN block, CVV, keys and other secrets: nothing is shown but the length.
    Secret,
}

impl Sensitivity {
    /// Whether values are masked by default.
    pub const fn is_sensitive(self) -> bool {
        !matches!(self, Sensitivity::Public)
    }
}

/// The wire form of one data element.
///
/// ```
/// use iso8583_wire::spec::{Content, Encoding, FieldSpec, Padding, Prefix};
///
/// // IF_CHAR(40): merchant name, right-padded with spaces.
/// let name = FieldSpec::fixed("Card acceptor name", Content::Ans, Encoding::Ascii, 40);
/// assert_eq!(name.padding, Padding::Right(b' '));
/// assert_eq!(name.format().to_string(), "ans40");
/// // IFB_LLNUM(19): PAN in packed BCD behind a one-byte BCD length counting digits.
/// let pan = FieldSpec::var("PAN", Content::N, Encoding::BCD_LEFT, Prefix::bcd(2, 19)).pan();
/// assert_eq!(pan.wire_len_for_units(16), 8);
/// assert!(pan.sensitivity.is_sensitive());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FieldSpec<'s> {
    /// The element's name, for dumps.
    pub name: &'s str,
    /// Which characters are allowed.
    pub content: Content,
    /// How the value's units are written.
    pub encoding: Encoding,
    /// Fixed length or length prefix.
    pub length: Length,
    /// What an encoder does with a short value for a fixed field.
    pub padding: Padding,
    /// How dumps show the value.
    pub sensitivity: Sensitivity,
    /// The subfield structure, if the field is composite.
    pub subfields: Option<&'s Composite<'s>>,
}

impl<'s> FieldSpec<'s> {
    /// A fixed-length field of `len` units. Padding defaults to zeros on the left for
    /// `n`, none for `b`, `z` and `x+n`, and spaces on the right for other text.
    pub const fn fixed(name: &'s str, content: Content, encoding: Encoding, len: u16) -> Self {
        FieldSpec {
            name,
            content,
            encoding,
            length: Length::Fixed(len),
            padding: default_padding(content),
            sensitivity: Sensitivity::Public,
            subfields: None,
        }
    }

    /// A variable-length field behind `prefix`.
    pub const fn var(name: &'s str, content: Content, encoding: Encoding, prefix: Prefix) -> Self {
        FieldSpec {
            name,
            content,
            encoding,
            length: Length::Var(prefix),
            padding: Padding::None,
            sensitivity: Sensitivity::Public,
            subfields: None,
        }
    }

    /// The same field with other padding.
    pub const fn with_padding(self, padding: Padding) -> Self {
        FieldSpec { padding, ..self }
    }

    /// The same field with another sensitivity.
    pub const fn with_sensitivity(self, sensitivity: Sensitivity) -> Self {
        FieldSpec {
            sensitivity,
            ..self
        }
    }

    /// The same field with a subfield structure.
    pub const fn with_subfields(self, subfields: &'s Composite<'s>) -> Self {
        FieldSpec {
            subfields: Some(subfields),
            ..self
        }
    }

    /// Shorthand for `with_sensitivity(Sensitivity::Pan)`.
    pub const fn pan(self) -> Self {
        self.with_sensitivity(Sensitivity::Pan)
    }

    /// Shorthand for `with_sensitivity(Sensitivity::Track)`.
    pub const fn track(self) -> Self {
        self.with_sensitivity(Sensitivity::Track)
    }

    /// Shorthand for `with_sensitivity(Sensitivity::Secret)`.
    pub const fn secret(self) -> Self {
        self.with_sensitivity(Sensitivity::Secret)
    }

    /// The bytes a value of `units` units takes on the wire (after any prefix).
    pub const fn wire_len_for_units(&self, units: usize) -> usize {
        match self.encoding {
            Encoding::Ascii | Encoding::Ebcdic(_) | Encoding::Binary | Encoding::Gbk => units,
            Encoding::HexAscii => units * 2,
            Encoding::Bcd { .. } => match self.content {
                Content::Xn => {
                    if units == 0 {
                        0
                    } else {
                        1 + (units - 1).div_ceil(2)
                    }
                }
                _ => units.div_ceil(2),
            },
        }
    }

    /// For a fixed field, its size on the wire.
    pub const fn fixed_wire_len(&self) -> Option<usize> {
        match self.length {
            Length::Fixed(n) => Some(self.wire_len_for_units(n as usize)),
            Length::Var(_) | Length::Rest { .. } | Length::Filled(_) => None,
        }
    }

    /// For a [`Length::Filled`] field, the bytes of its slot after the prefix (the
    /// value and its fill); 0 for other lengths.
    pub const fn filled_slot_len(&self) -> usize {
        match self.length {
            Length::Filled(p) => match p.counts {
                Counts::Units => self.wire_len_for_units(p.max as usize),
                Counts::Bytes => p.max as usize,
            },
            _ => 0,
        }
    }

    /// The byte that fills a [`Length::Filled`] field's slot after its value.
    pub(crate) fn fill_byte(&self) -> u8 {
        let c = match (self.padding, self.encoding) {
            (Padding::Left(c) | Padding::Right(c), _) => c,
            (Padding::None, Encoding::Binary) => 0,
            (Padding::None, _) => b' ',
        };
        match self.encoding {
            Encoding::Ebcdic(page) => crate::wire::ebcdic::from_latin1(page, c),
            _ => c,
        }
    }

    /// Most units a value may have.
    pub const fn max_units(&self) -> usize {
        match self.length {
            Length::Fixed(n) => n as usize,
            Length::Rest { max } => max as usize,
            Length::Var(p) | Length::Filled(p) => match p.counts {
                Counts::Units => p.max as usize,
                Counts::Bytes => match self.encoding {
                    Encoding::HexAscii => p.max as usize / 2,
                    Encoding::Bcd { .. } => p.max as usize * 2,
                    _ => p.max as usize,
                },
            },
        }
    }

    /// A format string in the usual table notation, e.g. `n6`, `ans..999`, `b8`.
    pub fn format(&self) -> FormatNotation<'_, 's> {
        FormatNotation(self)
    }
}

/// Display helper returned by [`FieldSpec::format`].
#[derive(Debug)]
pub struct FormatNotation<'f, 's>(&'f FieldSpec<'s>);

impl core::fmt::Display for FormatNotation<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Formatted into a small stack buffer first so width and alignment apply.
        struct Buf {
            bytes: [u8; 24],
            len: usize,
        }
        impl core::fmt::Write for Buf {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                let end = self.len + s.len();
                let dst = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
        }
        let spec = self.0;
        let mut buf = Buf {
            bytes: [0; 24],
            len: 0,
        };
        match spec.length {
            Length::Fixed(n) => {
                core::fmt::write(&mut buf, format_args!("{}{}", spec.content.code(), n))?
            }
            Length::Var(p) | Length::Filled(p) => {
                core::fmt::write(&mut buf, format_args!("{}..{}", spec.content.code(), p.max))?
            }
            Length::Rest { max } => {
                core::fmt::write(&mut buf, format_args!("{}..{}", spec.content.code(), max))?
            }
        }
        let text = buf
            .bytes
            .get(..buf.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("");
        f.pad(text)
    }
}

const fn default_padding(content: Content) -> Padding {
    match content {
        Content::N => Padding::Left(b'0'),
        Content::B | Content::Z | Content::Xn => Padding::None,
        _ => Padding::Right(b' '),
    }
}

/// How bitmaps are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum BitmapEncoding {
    /// 8 raw bytes per bitmap.
    Binary,
    /// 16 hex-ASCII characters per bitmap.
    HexAscii,
    /// 16 hex characters per bitmap, written in EBCDIC (`F0`-`F9`, `C1`-`C6`; jPOS
    /// `IFE_BITMAP`).
    EbcdicHex(CodePage),
}

/// The size of one message bitmap unit.
///
/// The ISO form is [`BitmapUnit::Bits64`]: bit 1 announces a secondary bitmap of 64
/// bits, and in tertiary layouts bit 65 a third. moov-io's `"length": 16` bitmap
/// (`Spec87ASCII`) is [`BitmapUnit::Bits128`]: the first unit of 128 bits is always
/// written whole, field 65 is an ordinary data field, and bit 1 announces a second
/// 128-bit unit (fields 130-192 here; its bit 129 would announce a third unit, and
/// its bits 193-256 name fields above 192: both are decode errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum BitmapUnit {
    /// 64-bit bitmaps (8 bytes, 16 hex characters).
    #[default]
    Bits64,
    /// 128-bit bitmaps (16 bytes, 32 hex characters).
    Bits128,
}

/// The bitmap part of a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub struct BitmapSpec {
    /// How each 64-bit bitmap word is written.
    pub encoding: BitmapEncoding,
    /// How many bitmaps the layout allows: 1 (fields 2-64), 2 (bit 1 announces the
    /// secondary bitmap, fields 65-128) or 3 (bit 65 announces a tertiary bitmap,
    /// fields 129-192; field 65 is then not a data field). With
    /// [`BitmapUnit::Bits128`], 1 (fields 2-128) or 2 (bit 1 announces a second unit,
    /// fields 130-192).
    pub max_bitmaps: u8,
    /// The size of one bitmap unit (64 bits when absent from a layout file).
    #[cfg_attr(feature = "serde", serde(default))]
    pub unit: BitmapUnit,
}

impl BitmapSpec {
    /// Bitmaps of 64-bit units in `encoding`, at most `max_bitmaps` of them.
    pub const fn new(encoding: BitmapEncoding, max_bitmaps: u8) -> Self {
        BitmapSpec {
            encoding,
            max_bitmaps,
            unit: BitmapUnit::Bits64,
        }
    }
    /// The same bitmaps with units of another size.
    pub const fn with_unit(self, unit: BitmapUnit) -> Self {
        BitmapSpec { unit, ..self }
    }
    /// Whether bit 65 announces a tertiary bitmap (64-bit units only).
    pub const fn has_tertiary(&self) -> bool {
        matches!(self.unit, BitmapUnit::Bits64) && self.max_bitmaps >= 3
    }
    /// Bytes one 64-bit bitmap word takes on the wire.
    pub const fn wire_len(&self) -> usize {
        match self.encoding {
            BitmapEncoding::Binary => 8,
            BitmapEncoding::HexAscii | BitmapEncoding::EbcdicHex(_) => 16,
        }
    }
    /// 64-bit words in one bitmap unit (1 or 2).
    pub const fn unit_words(&self) -> usize {
        match self.unit {
            BitmapUnit::Bits64 => 1,
            BitmapUnit::Bits128 => 2,
        }
    }
    /// Bytes one bitmap unit takes on the wire.
    pub const fn unit_wire_len(&self) -> usize {
        self.unit_words() * self.wire_len()
    }
    /// Whether bit `n` announces a bitmap rather than a data field: bit 1, bit 65 in
    /// tertiary layouts, bit 129 with 128-bit units.
    pub const fn is_extension_bit(&self, n: usize) -> bool {
        n == 1
            || (n == 65 && self.has_tertiary())
            || (n == 129 && matches!(self.unit, BitmapUnit::Bits128))
    }
    /// The highest field number a message of this layout can carry.
    pub const fn max_field(&self) -> usize {
        let bits = self.max_bitmaps as usize * 64 * self.unit_words();
        if bits > crate::bitmap::MAX_FIELD {
            crate::bitmap::MAX_FIELD
        } else {
            bits
        }
    }
    /// `words` (the bitmap words as received) without their extension bits: what is
    /// left announces data fields.
    #[inline(always)]
    pub(crate) const fn data_words(&self, mut words: [u64; 3]) -> [u64; 3] {
        match self.unit {
            BitmapUnit::Bits64 => crate::bitmap::Bitmap::data_words(words, self.has_tertiary()),
            BitmapUnit::Bits128 => {
                words[0] &= !(1u64 << 63);
                words[2] &= !(1u64 << 63);
                words
            }
        }
    }
    /// How many bitmap units a message with these bitmap words carried (1-3).
    pub(crate) const fn units_in(&self, words: [u64; 3]) -> usize {
        if words[0] >> 63 == 0 {
            1
        } else if self.has_tertiary() && words[1] >> 63 == 1 {
            3
        } else {
            2
        }
    }
}

/// A named fixed-length part of a message header (e.g. the TPDU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderPart<'s> {
    /// Name, used as the JSON key (`"tpdu"`).
    pub name: &'s str,
    /// Length in bytes.
    pub len: usize,
}

/// A complete message layout.
///
/// `fields[n]` is the definition of field `n` (index 0 and 1 are unused: field 1 is the
/// secondary bitmap). Fields beyond the slice, or `None`, are undefined: a message that
/// announces them cannot be decoded.
///
/// ```
/// use iso8583_wire::mti::MtiEncoding;
/// use iso8583_wire::spec::{BitmapEncoding, BitmapSpec, Content, Encoding, FieldSpec, MessageSpec, Prefix};
///
/// static FIELDS: [Option<FieldSpec<'static>>; 42] = {
///     let mut f = [None; 42];
///     f[2] = Some(FieldSpec::var("PAN", Content::N, Encoding::Ascii, Prefix::ascii(2, 19)).pan());
///     f[11] = Some(FieldSpec::fixed("STAN", Content::N, Encoding::Ascii, 6));
///     f[41] = Some(FieldSpec::fixed("Terminal id", Content::Ans, Encoding::Ascii, 8));
///     f
/// };
/// static MINE: MessageSpec<'static> = MessageSpec::new(
///     "mine", "ASCII, one bitmap", &[], MtiEncoding::Ascii,
///     BitmapSpec::new(BitmapEncoding::HexAscii, 1), &FIELDS,
/// );
/// let msg = MINE.decode(b"08000020000000800000000042TERM0001")?;
/// assert_eq!(msg.field(41).and_then(|f| f.as_str()), Some("TERM0001"));
/// # Ok::<(), iso8583_wire::DecodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageSpec<'s> {
    /// Layout name (`"iso87ascii"`).
    pub name: &'s str,
    /// A one-line description.
    pub description: &'s str,
    /// Fixed header parts before the MTI, in order.
    pub header: &'s [HeaderPart<'s>],
    /// How the MTI is written.
    pub mti: MtiEncoding,
    /// How bitmaps are written, and how many there may be.
    pub bitmap: BitmapSpec,
    /// Field definitions indexed by field number.
    pub fields: &'s [Option<FieldSpec<'s>>],
    /// How free-text fields are checked by default when decoding and encoding
    /// messages of this layout (lenient unless [`MessageSpec::with_content_mode`] says
    /// otherwise).
    pub content_mode: ContentMode,
    /// The decoder's compact view of each field, computed by [`MessageSpec::new`]:
    /// one table per bitmap, indexed by bit position from the top (see
    /// [`MessageSpec::fast_field`]).
    pub(crate) fast: [[FastField; 64]; 3],
    /// The free-text fields (see [`Content::is_free_text`]) as bitmap words, field 1 the
    /// top bit of word 0: what strict mode checks after the scan.
    pub(crate) free_text: [u64; 3],
    /// The builder's compact view of each field, indexed by field number.
    pub(crate) build: [BuildField; MAX_FIELD + 1],
}

/// How the builder writes a value into a field on its fast path: a fixed length or an
/// ASCII/BCD length prefix, and the value's bytes as they are (`PLAIN`), as packed BCD
/// digits (`BCD`) or as uppercase hex-ASCII (`HEX`). Sixteen bytes, so that finding a
/// field's entry is a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(align(16))]
pub(crate) struct BuildField {
    /// [`BuildField::FIXED`], [`BuildField::PREFIXED`] or [`BuildField::GENERAL`].
    pub kind: u8,
    /// What the value's bytes must be: [`BuildField::DIGITS`], [`BuildField::FREE`]
    /// (free text: checked only in strict mode), [`BuildField::OCTETS`] (binary),
    /// [`BuildField::TRACK`] (`z`: digits, `=`, `D`) or [`BuildField::SIGNED`] (`x+n`:
    /// `C` or `D`, then digits).
    pub check: u8,
    /// Fixed: the length in units; prefixed: the most units the prefix allows.
    pub len: u16,
    /// Prefixed: digits of the prefix; its encoding in `bcd`.
    pub prefix: u8,
    /// Prefixed: whether the prefix is packed BCD (else ASCII digits).
    pub bcd: bool,
    /// Prefixed: whether the prefix counts wire bytes (else units).
    pub counts_wire: bool,
    /// Prefixed: the prefix's bytes on the wire (0 for a fixed length).
    pub prefix_len: u8,
    /// Fixed: the pad character (with `pad_left`), or 0 for no padding.
    pub pad: u8,
    /// Fixed: whether padding goes on the left.
    pub pad_left: bool,
    /// [`BuildField::PLAIN`], [`BuildField::PACKED`] or [`BuildField::HEX`].
    pub form: u8,
    /// Packed: the pad nibble of an odd digit count.
    pub filler: u8,
    /// Packed: whether the pad nibble of an odd digit count comes first.
    pub filler_first: bool,
    /// An LL or LLL ASCII prefix before the value's bytes as they are: the builder's
    /// commonest converted form, written by a path of its own.
    pub ascii_plain_prefix: bool,
}

impl BuildField {
    pub(crate) const GENERAL_KIND: u8 = 0;
    pub(crate) const FIXED: u8 = 1;
    pub(crate) const PREFIXED: u8 = 2;
    pub(crate) const DIGITS: u8 = 1;
    pub(crate) const FREE: u8 = 2;
    pub(crate) const OCTETS: u8 = 3;
    pub(crate) const TRACK: u8 = 4;
    pub(crate) const SIGNED: u8 = 5;
    pub(crate) const PLAIN: u8 = 0;
    pub(crate) const PACKED: u8 = 1;
    pub(crate) const HEX: u8 = 2;

    const GENERAL: BuildField = BuildField {
        kind: BuildField::GENERAL_KIND,
        check: 0,
        len: 0,
        prefix: 0,
        bcd: false,
        counts_wire: false,
        prefix_len: 0,
        pad: 0,
        pad_left: false,
        form: BuildField::PLAIN,
        filler: 0,
        filler_first: false,
        ascii_plain_prefix: false,
    };

    /// Wire bytes of `units` units in this form.
    #[inline(always)]
    pub(crate) const fn wire_len(&self, units: usize) -> usize {
        match self.form {
            BuildField::PACKED => units.div_ceil(2),
            BuildField::HEX => 2 * units,
            _ => units,
        }
    }

    /// The builder's view of `spec`.
    const fn of(spec: &FieldSpec<'_>) -> BuildField {
        let (check, form, filler, filler_first) = match (spec.encoding, spec.content) {
            (Encoding::Ascii, Content::N) => (BuildField::DIGITS, BuildField::PLAIN, 0, false),
            (Encoding::Ascii, Content::Z) => (BuildField::TRACK, BuildField::PLAIN, 0, false),
            (Encoding::Ascii, Content::Xn) if matches!(spec.length, Length::Fixed(_)) => {
                (BuildField::SIGNED, BuildField::PLAIN, 0, false)
            }
            (Encoding::Ascii, c) if c.is_free_text() => {
                (BuildField::FREE, BuildField::PLAIN, 0, false)
            }
            (Encoding::Binary, Content::B) => (BuildField::OCTETS, BuildField::PLAIN, 0, false),
            (Encoding::Bcd { align, filler }, Content::N) => (
                BuildField::DIGITS,
                BuildField::PACKED,
                filler,
                matches!(align, Align::Right),
            ),
            (Encoding::HexAscii, Content::B) => (BuildField::OCTETS, BuildField::HEX, 0, false),
            _ => return BuildField::GENERAL,
        };
        if spec.subfields.is_some() {
            return BuildField::GENERAL;
        }
        match spec.length {
            Length::Fixed(n) => {
                let (pad, pad_left) = match spec.padding {
                    Padding::None => (0, false),
                    Padding::Left(p) => (p, true),
                    Padding::Right(p) => (p, false),
                };
                if pad == 0 && !matches!(spec.padding, Padding::None) {
                    return BuildField::GENERAL;
                }
                // Packed digits pad with digits only; hex and signed values are
                // written at their full length only.
                let pad = match form {
                    BuildField::PACKED if !pad.is_ascii_digit() => 0,
                    BuildField::HEX => 0,
                    _ if check == BuildField::SIGNED => 0,
                    _ => pad,
                };
                BuildField {
                    kind: BuildField::FIXED,
                    check,
                    len: n,
                    pad,
                    pad_left,
                    form,
                    filler,
                    filler_first,
                    ..BuildField::GENERAL
                }
            }
            Length::Var(p)
                if p.digits >= 1
                    && p.digits <= 4
                    && matches!(p.encoding, PrefixEncoding::Ascii | PrefixEncoding::Bcd) =>
            {
                let counts_wire = matches!(p.counts, Counts::Bytes);
                // Packed digits counted in bytes: the general path.
                if counts_wire && form == BuildField::PACKED {
                    return BuildField::GENERAL;
                }
                let cap = p.capacity();
                let mut max = if (p.max as usize) < cap {
                    p.max
                } else {
                    cap as u16
                };
                if counts_wire && form == BuildField::HEX {
                    max /= 2;
                }
                BuildField {
                    kind: BuildField::PREFIXED,
                    check,
                    len: max,
                    prefix: p.digits,
                    bcd: matches!(p.encoding, PrefixEncoding::Bcd),
                    counts_wire,
                    prefix_len: p.wire_len() as u8,
                    form,
                    filler,
                    filler_first,
                    ascii_plain_prefix: form == BuildField::PLAIN
                        && matches!(p.encoding, PrefixEncoding::Ascii)
                        && (p.digits == 2 || p.digits == 3),
                    ..BuildField::GENERAL
                }
            }
            _ => BuildField::GENERAL,
        }
    }
}

/// The builder's view of every data field of a layout (bitmap bits and fields beyond
/// the layout's bitmaps stay on the general path, which refuses them).
const fn build_table(
    fields: &[Option<FieldSpec<'_>>],
    bitmap: BitmapSpec,
) -> [BuildField; MAX_FIELD + 1] {
    let mut out = [BuildField::GENERAL; MAX_FIELD + 1];
    let max = bitmap.max_field();
    let mut n = 2;
    while n < fields.len() && n <= MAX_FIELD && n <= max {
        if bitmap.is_extension_bit(n) {
            n += 1;
            continue;
        }
        if let Some(f) = &fields[n] {
            out[n] = BuildField::of(f);
        }
        n += 1;
    }
    out
}

impl core::fmt::Debug for MessageSpec<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageSpec")
            .field("name", &self.name)
            .field("header", &self.header)
            .field("mti", &self.mti)
            .field("bitmap", &self.bitmap)
            .field("content_mode", &self.content_mode)
            .field(
                "fields",
                &self.fields.iter().filter(|f| f.is_some()).count(),
            )
            .finish_non_exhaustive()
    }
}

/// How the decoder's fast path sizes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum FastSize {
    /// Not a data field of the layout.
    Undefined,
    /// A fixed number of bytes (`FastField::len`).
    Fixed,
    /// An ASCII length prefix of `FastField::prefix` digits giving the bytes that
    /// follow (at most `FastField::len`).
    AsciiBytes,
    /// A BCD length prefix of `FastField::prefix` bytes giving the bytes that follow.
    BcdBytes,
    /// A BCD length prefix of `FastField::prefix` bytes giving the digits of
    /// packed-BCD data.
    BcdDigits,
    /// Anything else: the general path.
    General,
}

/// How the decoder's fast path checks a field's bytes. Each variant is one byte, so
/// that the scanner compares checks cheaply when it joins fields into runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum FastCheck {
    /// Nothing to check: raw binary, and free text in ASCII (see [`ContentMode`]).
    None,
    /// ASCII digits.
    Digits,
    /// Packed BCD with an even number of digits: every nibble 0-9.
    BcdDigits,
    /// Digits, `=` and `D` (`z` in ASCII).
    Track,
    /// A fixed `x+n` amount in ASCII: `C` or `D`, then digits. Never joins a run (each
    /// field has its own sign).
    SignedDigits,
    /// A fixed `x+n` amount in packed BCD: `C` or `D` (one ASCII byte), then an even
    /// number of BCD digits. Never joins a run.
    SignedBcd,
    /// Hex digits in either case (binary data in hex-ASCII, of a fixed length: always
    /// an even count).
    Hex,
    /// The general content check.
    General,
}

impl FastCheck {
    /// Whether bytes checked this way may join a run of neighbouring fields checked the
    /// same way: not the general check, and not amounts (each has its own sign).
    pub(crate) const fn joins_runs(self) -> bool {
        !matches!(
            self,
            FastCheck::General | FastCheck::SignedDigits | FastCheck::SignedBcd
        )
    }
}

/// The decoder's compact view of one field, eight bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C, align(8))]
pub(crate) struct FastField {
    /// Fixed wire size, or the prefix's maximum.
    pub len: u16,
    /// `check as u8` for a fixed field with a fast check, [`FastField::NOT_FIXED`]
    /// otherwise: the scanner extends its run through a fixed field with one comparison.
    pub fixed_check: u8,
    pub size: FastSize,
    pub check: FastCheck,
    /// Length prefix size: ASCII digits or BCD bytes.
    pub prefix: u8,
    /// Where the pad nibble of an odd digit count sits, for packed-BCD numerics with
    /// filler 0 ([`FastField::PAD_NONE`] otherwise): the run check accepts a 0 pad as a
    /// digit, so the scanner only checks that the pad is there.
    pub pad: u8,
    /// How the scanner steps over the field when it does not simply continue the run:
    /// [`FastField::STEP_FIXED`], [`FastField::STEP_ASCII_PREFIX`] or
    /// [`FastField::STEP_OTHER`], settled here once rather than per field scanned.
    pub step: u8,
}

impl FastField {
    /// [`FastField::fixed_check`] of a field that is not fixed.
    pub(crate) const NOT_FIXED: u8 = 0xFF;
    /// No pad nibble to check.
    pub(crate) const PAD_NONE: u8 = 0;
    /// Right-aligned digits: the pad is the high nibble of the first byte.
    pub(crate) const PAD_FIRST_HIGH: u8 = 1;
    /// Left-aligned digits: the pad is the low nibble of the last byte.
    pub(crate) const PAD_LAST_LOW: u8 = 2;
    /// A fixed field without a pad nibble, with a fast check: it closes the run and
    /// starts one of its own.
    pub(crate) const STEP_FIXED: u8 = 0;
    /// An ASCII length prefix and data whose check also accepts the prefix's digits:
    /// both join the run (or start one).
    pub(crate) const STEP_ASCII_PREFIX: u8 = 1;
    /// Everything else: the scanner's general step.
    pub(crate) const STEP_OTHER: u8 = 2;

    const UNDEFINED: FastField = FastField {
        size: FastSize::Undefined,
        check: FastCheck::General,
        fixed_check: FastField::NOT_FIXED,
        prefix: 0,
        len: 0,
        pad: FastField::PAD_NONE,
        step: FastField::STEP_OTHER,
    };

    /// The general path for everything.
    pub(crate) const GENERAL: FastField = FastField {
        size: FastSize::General,
        check: FastCheck::General,
        fixed_check: FastField::NOT_FIXED,
        prefix: 0,
        len: 0,
        pad: FastField::PAD_NONE,
        step: FastField::STEP_OTHER,
    };

    /// The compact view of `spec`.
    const fn of(spec: &FieldSpec<'_>) -> FastField {
        // Units equal bytes for one-byte-per-unit encodings; BCD numerics differ.
        let bytewise = matches!(
            spec.encoding,
            Encoding::Ascii | Encoding::Binary | Encoding::Gbk
        );
        let (size, prefix, len) = match spec.length {
            Length::Fixed(n) => {
                let wire = spec.wire_len_for_units(n as usize);
                if wire <= u16::MAX as usize {
                    (FastSize::Fixed, 0, wire as u16)
                } else {
                    (FastSize::General, 0, 0)
                }
            }
            Length::Var(p)
                if matches!(spec.encoding, Encoding::Bcd { .. })
                    && matches!(spec.content, Content::N | Content::Z)
                    && matches!(p.counts, Counts::Units)
                    && matches!(p.encoding, PrefixEncoding::Bcd)
                    && p.digits >= 1
                    && p.digits <= 4 =>
            {
                (FastSize::BcdDigits, p.wire_len() as u8, p.max)
            }
            Length::Var(p) if bytewise => match p.encoding {
                PrefixEncoding::Ascii if p.digits >= 1 && p.digits <= 4 => {
                    (FastSize::AsciiBytes, p.digits, p.max)
                }
                PrefixEncoding::Bcd if p.digits >= 1 && p.digits <= 4 => {
                    (FastSize::BcdBytes, p.wire_len() as u8, p.max)
                }
                _ => (FastSize::General, 0, 0),
            },
            Length::Var(_) | Length::Rest { .. } | Length::Filled(_) => (FastSize::General, 0, 0),
        };
        // Composites whose subfields are checked as the message is decoded go the
        // general way (no built-in layout has one).
        let (size, prefix, len) = match spec.subfields {
            Some(c) if c.checked_on_decode() => (FastSize::General, 0, 0),
            _ => (size, prefix, len),
        };
        // Packed-BCD numerics with filler 0 and an odd digit count (always for a fixed
        // length, when the count is odd for a prefixed one): the 0 pad passes the
        // digit check, and its place is checked field by field.
        let pad = match (spec.encoding, spec.content, spec.length) {
            (Encoding::Bcd { align, filler: 0 }, Content::N, length)
                if match length {
                    Length::Fixed(n) => n % 2 == 1,
                    Length::Var(_) | Length::Rest { .. } | Length::Filled(_) => {
                        matches!(size, FastSize::BcdDigits)
                    }
                } =>
            {
                match align {
                    Align::Right => FastField::PAD_FIRST_HIGH,
                    Align::Left => FastField::PAD_LAST_LOW,
                }
            }
            _ => FastField::PAD_NONE,
        };
        // A fast check that fails is retried with the general one (which allows
        // padding), so the fast checks only need to be exact when they pass. Free
        // text in one byte per character is not checked: the fast path decodes in
        // the lenient mode, and strict mode checks the classes afterwards.
        let check = match (spec.encoding, spec.content) {
            (Encoding::Binary, Content::B) => FastCheck::None,
            (Encoding::Ascii | Encoding::Binary | Encoding::Gbk, c) if c.is_free_text() => {
                FastCheck::None
            }
            (Encoding::Ascii, Content::N) => FastCheck::Digits,
            (Encoding::Bcd { .. }, Content::N)
                if pad != FastField::PAD_NONE
                    || matches!(spec.length, Length::Fixed(n) if n % 2 == 0) =>
            {
                FastCheck::BcdDigits
            }
            (Encoding::Ascii, Content::Z) => FastCheck::Track,
            (Encoding::HexAscii, Content::B) if matches!(size, FastSize::Fixed) => FastCheck::Hex,
            (Encoding::Ascii, Content::Xn) if matches!(spec.length, Length::Fixed(n) if n >= 1) => {
                FastCheck::SignedDigits
            }
            (Encoding::Bcd { .. }, Content::Xn) if matches!(spec.length, Length::Fixed(n) if n >= 1 && (n - 1) % 2 == 0) => {
                FastCheck::SignedBcd
            }
            _ => FastCheck::General,
        };
        FastField {
            size,
            check,
            // Only checks that join runs extend one, and a pad needs its own check.
            fixed_check: if matches!(size, FastSize::Fixed)
                && check.joins_runs()
                && pad == FastField::PAD_NONE
            {
                check as u8
            } else {
                FastField::NOT_FIXED
            },
            prefix,
            len,
            pad,
            step: if matches!(size, FastSize::Fixed)
                && pad == FastField::PAD_NONE
                && !matches!(check, FastCheck::General)
            {
                FastField::STEP_FIXED
            } else if matches!(size, FastSize::AsciiBytes) && check.joins_runs() {
                FastField::STEP_ASCII_PREFIX
            } else {
                FastField::STEP_OTHER
            },
        }
    }
}

/// The free-text fields of a layout as bitmap words (field `n` is bit `n - 1` from the
/// top).
const fn free_text_words(fields: &[Option<FieldSpec<'_>>]) -> [u64; 3] {
    let mut out = [0u64; 3];
    let mut n = 2;
    while n < fields.len() && n <= MAX_FIELD {
        if let Some(f) = &fields[n]
            && f.content.is_free_text()
        {
            out[(n - 1) / 64] |= 1 << (63 - (n - 1) % 64);
        }
        n += 1;
    }
    out
}

/// The compact view of every field of a layout, laid out as
/// [`MessageSpec::fast_field`] reads it.
const fn fast_table(fields: &[Option<FieldSpec<'_>>]) -> [[FastField; 64]; 3] {
    let mut out = [[FastField::UNDEFINED; 64]; 3];
    let mut n = 1;
    while n < fields.len() && n <= MAX_FIELD {
        if let Some(f) = &fields[n] {
            out[(n - 1) / 64][(n - 1) % 64] = FastField::of(f);
        }
        n += 1;
    }
    out
}

impl<'s> MessageSpec<'s> {
    /// A layout. `fields` is indexed by field number and may be up to 193 long.
    pub const fn new(
        name: &'s str,
        description: &'s str,
        header: &'s [HeaderPart<'s>],
        mti: MtiEncoding,
        bitmap: BitmapSpec,
        fields: &'s [Option<FieldSpec<'s>>],
    ) -> Self {
        MessageSpec {
            name,
            description,
            header,
            mti,
            bitmap,
            fields,
            content_mode: ContentMode::Lenient,
            fast: fast_table(fields),
            free_text: free_text_words(fields),
            build: build_table(fields, bitmap),
        }
    }

    /// The same layout with another default [`ContentMode`] for its messages.
    ///
    /// ```
    /// use iso8583_wire::{layouts::ISO87_ASCII, spec::{ContentMode, MessageSpec}};
    ///
    /// static STRICT_87: MessageSpec<'static> = ISO87_ASCII.with_content_mode(ContentMode::Strict);
    /// let wire = b"021000000000020000000-";
    /// assert!(ISO87_ASCII.decode(wire).is_ok());
    /// assert_eq!(STRICT_87.decode(wire).unwrap_err().field(), Some(39));
    /// ```
    pub const fn with_content_mode(self, content_mode: ContentMode) -> Self {
        MessageSpec {
            content_mode,
            ..self
        }
    }

    /// The decoder's compact view of field `n` (1 to 192): field `64w + b + 1`, bit `b`
    /// of bitmap `w` counted from the top, is entry `b` of table `w`.
    pub(crate) fn fast_field(&self, n: usize) -> FastField {
        let Some(i) = n.checked_sub(1) else {
            return FastField::GENERAL;
        };
        self.fast
            .get(i / 64)
            .and_then(|t| t.get(i % 64))
            .copied()
            .unwrap_or(FastField::GENERAL)
    }

    /// The definition of field `n`, if the layout defines it as a data field.
    #[inline]
    pub fn field(&self, n: usize) -> Option<&FieldSpec<'s>> {
        if n > MAX_FIELD || self.bitmap.is_extension_bit(n) {
            return None;
        }
        self.fields.get(n).and_then(Option::as_ref)
    }

    /// Total header length in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header.iter().map(|p| p.len).sum()
    }

    /// The highest field number a message of this layout can carry.
    pub const fn max_field(&self) -> usize {
        self.bitmap.max_field()
    }

    /// Decodes `input` as a message of this layout. See [`crate::Message::decode`].
    ///
    /// # Errors
    ///
    /// As [`crate::Message::decode`].
    pub fn decode<'a>(&'a self, input: &'a [u8]) -> Result<crate::Message<'a>, crate::DecodeError>
    where
        's: 'a,
    {
        crate::Message::decode(self, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_table_answers_for_every_field_number() {
        for spec in crate::layouts::ALL {
            for n in 1..=MAX_FIELD {
                let expected = match spec.fields.get(n) {
                    Some(Some(f)) => FastField::of(f),
                    _ => FastField::UNDEFINED,
                };
                assert_eq!(spec.fast_field(n), expected, "{} field {n}", spec.name);
                // The scanner's view: bitmap w, bit position from the top.
                let (w, from_top) = ((n - 1) / 64, (n - 1) % 64);
                assert_eq!(spec.fast[w][from_top], expected);
            }
            assert_eq!(spec.fast_field(0), FastField::GENERAL);
            assert_eq!(spec.fast_field(MAX_FIELD + 1), FastField::GENERAL);
        }
    }

    #[test]
    fn the_free_text_words_mark_exactly_the_free_text_fields() {
        for spec in crate::layouts::ALL {
            for n in 2..=MAX_FIELD {
                let marked = spec.free_text[(n - 1) / 64] >> (63 - (n - 1) % 64) & 1 == 1;
                let expected = spec.field(n).is_some_and(|f| f.content.is_free_text());
                assert_eq!(marked, expected, "{} field {n}", spec.name);
            }
            assert_eq!(spec.free_text[0] >> 63, 0, "bit 1 is the secondary bitmap");
        }
    }

    #[test]
    fn each_field_steps_as_its_form_says() {
        for spec in crate::layouts::ALL {
            for n in 1..=MAX_FIELD {
                let f = spec.fast_field(n);
                let expected = if f.size == FastSize::Fixed
                    && f.pad == FastField::PAD_NONE
                    && f.check != FastCheck::General
                {
                    FastField::STEP_FIXED
                } else if f.size == FastSize::AsciiBytes && f.check.joins_runs() {
                    FastField::STEP_ASCII_PREFIX
                } else {
                    FastField::STEP_OTHER
                };
                assert_eq!(f.step, expected, "{} field {n}", spec.name);
            }
        }
        // Each step occurs in the built-in layouts.
        let steps: alloc::vec::Vec<u8> = crate::layouts::ALL
            .iter()
            .flat_map(|spec| (1..=MAX_FIELD).map(|n| spec.fast_field(n).step))
            .collect();
        for step in [
            FastField::STEP_FIXED,
            FastField::STEP_ASCII_PREFIX,
            FastField::STEP_OTHER,
        ] {
            assert!(steps.contains(&step), "step {step} unused");
        }
    }

    #[test]
    fn only_fixed_fields_with_a_fast_check_carry_a_fixed_check() {
        for spec in crate::layouts::ALL {
            for n in 1..=MAX_FIELD {
                let f = spec.fast_field(n);
                if f.size == FastSize::Fixed && f.check.joins_runs() && f.pad == FastField::PAD_NONE
                {
                    assert_eq!(f.fixed_check, f.check as u8);
                } else {
                    assert_eq!(
                        f.fixed_check,
                        FastField::NOT_FIXED,
                        "{} field {n}",
                        spec.name
                    );
                }
            }
        }
    }
}
