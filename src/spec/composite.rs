//! Composite fields: subfields inside a field's value.
//!
//! Three forms cover what networks use:
//!
//! * [`Composite::Positional`]: parts one after another in the parent's logical units
//!   (characters, or digits for a BCD field), each fixed, behind a short ASCII length,
//!   or running to the end. Trailing parts may be absent (UnionPay 60.4, 60.5 ...).
//! * [`Composite::Bitmapped`]: a bitmap, then the subfields it announces, each with its
//!   own wire form (a [`FieldSpec`]), as in many private fields 127 / 62.
//! * [`Composite::Tlv`]: tag-length-value elements, either EMV BER-TLV or simple
//!   fixed-size tags and lengths ([`TlvForm`]).
//! * [`Composite::Sequence`]: subfields one after another, each with its own wire form
//!   (a [`FieldSpec`]: encoding, length prefix, nested subfields), as jPOS
//!   `GenericSubFieldPackager` and moov-io positional composites lay them out.
//! * [`Composite::Tagged`]: a tag, then the subfield it names with its own wire form,
//!   as moov-io TLV composites with subfield definitions.
//!
//! The forms that loaders produce ([`Composite::Sequence`], [`Composite::Bitmapped`],
//! [`Composite::Tagged`])
//! are checked subfield by subfield when a message is decoded
//! ([`Composite::checked_on_decode`]), so a letter in a numeric subfield refuses the
//! message as it would in a numeric field.
//!
//! Subfields are read by path (`msg.get("60.2")`, `msg.get("55.9F26")`) without copying;
//! see [`crate::subfield`].

use super::{BitmapEncoding, CodePage, Content, FieldSpec};

/// How a positional part's length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum PartLength {
    /// Exactly this many units.
    Fixed(u16),
    /// A length of `digits` ASCII digits (in the parent's units) before the part.
    Prefixed {
        /// Digits of the length.
        digits: u8,
        /// Largest length allowed.
        max: u16,
    },
    /// Everything left in the parent, up to `max` units.
    Rest {
        /// Largest length allowed.
        max: u16,
    },
}

/// One positional part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Part<'s> {
    /// Name, for dumps.
    pub name: &'s str,
    /// Allowed characters.
    pub content: Content,
    /// Length.
    pub length: PartLength,
}

impl<'s> Part<'s> {
    /// A fixed part of `len` units.
    pub const fn fixed(name: &'s str, content: Content, len: u16) -> Self {
        Part {
            name,
            content,
            length: PartLength::Fixed(len),
        }
    }
    /// A part behind a `digits`-digit length.
    pub const fn prefixed(name: &'s str, content: Content, digits: u8, max: u16) -> Self {
        Part {
            name,
            content,
            length: PartLength::Prefixed { digits, max },
        }
    }
    /// A last part taking the rest of the value.
    pub const fn rest(name: &'s str, content: Content, max: u16) -> Self {
        Part {
            name,
            content,
            length: PartLength::Rest { max },
        }
    }
}

/// How a tag or a length of simple TLV is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum TlvPart {
    /// `n` ASCII characters (a tag as text; a length as decimal digits).
    Ascii(u8),
    /// `n` binary bytes (big-endian for a length).
    Binary(u8),
    /// `n` packed-BCD bytes (a length as decimal digits).
    Bcd(u8),
    /// `n` EBCDIC characters in a code page (a tag as text; a length as decimal
    /// digits), as moov-io `EBCDIC` and `EBCDIC1047` tags.
    Ebcdic(u8, CodePage),
    /// `n` bytes written as `2n` hex-ASCII characters: a tag is the text of those
    /// bytes (moov-io `HexToASCII` tags: `3031` is tag `01`), a length their
    /// big-endian number.
    HexAscii(u8),
    /// An EMV BER-TLV tag, 1 to 4 bytes as its first bytes say (tags of
    /// [`Composite::Tagged`] only; named as uppercase hex). A subfield whose length is
    /// [`super::Length::Rest`] is framed by a BER length after the tag (moov-io
    /// `BerTLVTag` with `BerTLV` subfield prefixes); any other subfield reads its own
    /// length prefix after the tag.
    Ber,
}

impl TlvPart {
    /// Bytes the part takes (0 for [`TlvPart::Ber`], whose size the data gives).
    pub const fn len(self) -> usize {
        match self {
            TlvPart::Ascii(n) | TlvPart::Binary(n) | TlvPart::Bcd(n) | TlvPart::Ebcdic(n, _) => {
                n as usize
            }
            TlvPart::HexAscii(n) => 2 * n as usize,
            // Variable: read from the data.
            TlvPart::Ber => 0,
        }
    }
    /// Whether the part takes no bytes.
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Tag-length-value forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum TlvForm {
    /// EMV BER-TLV (field 55).
    Ber,
    /// Fixed-size tags and lengths, e.g. 2-character tag + 3-digit length.
    Simple {
        /// The tag's form.
        tag: TlvPart,
        /// The length's form (counts value bytes).
        length: TlvPart,
    },
    /// The length first, counting the tag and the value, then the tag (jPOS
    /// `IFEP_LLCHAR` elements of `EuroSubFieldPackager`: `"06" "12" "abcd"`).
    LengthFirst {
        /// The length's form (counts tag and value bytes).
        length: TlvPart,
        /// The tag's form.
        tag: TlvPart,
    },
}

/// The subfield structure of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Composite<'s> {
    /// Parts one after another.
    Positional(&'s [Part<'s>]),
    /// A bitmap, then the subfields it announces; `fields[n]` defines subfield `n`
    /// (1-64; index 0 unused).
    Bitmapped {
        /// How the bitmap is written and sized.
        bitmap: SubBitmap,
        /// Subfield definitions by number.
        fields: &'s [Option<FieldSpec<'s>>],
    },
    /// Tag-length-value elements.
    Tlv(TlvForm),
    /// Subfields one after another in number order, each read with its own wire form;
    /// `fields[n]` defines subfield `n` (`None`: no such subfield). Trailing subfields
    /// may be absent: the sequence ends with the parent's data.
    Sequence(&'s [Option<FieldSpec<'s>>]),
    /// Tagged subfields in any order: a tag of fixed size, then the subfield named by
    /// the tag, read with its own wire form (its length prefix is the element's
    /// length), as moov-io TLV composites with subfield definitions. A tag the layout
    /// does not define is an error, unless an entry with the tag `"*"` reads it.
    Tagged {
        /// The tag's form (ASCII text, binary or BCD bytes).
        tag: TlvPart,
        /// A pad character leading short tags on the wire (`Some(b'0')`: tag `"1"`
        /// travels as `"01"`); tags are named without it.
        pad: Option<u8>,
        /// The subfields by tag.
        fields: &'s [TaggedField<'s>],
    },
}

/// One subfield of a [`Composite::Tagged`] field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaggedField<'s> {
    /// The tag as text: ASCII tags as they read, binary and BCD tags as uppercase hex,
    /// without the pad characters. `"*"` stands for any tag no other entry names.
    pub tag: &'s str,
    /// The subfield's wire form after the tag.
    pub spec: FieldSpec<'s>,
}

impl Composite<'_> {
    /// Whether the subfields are checked when a message is decoded (the forms loaders
    /// produce: [`Composite::Sequence`], [`Composite::Bitmapped`] and
    /// [`Composite::Tagged`]). The built-in
    /// layouts' positional and TLV fields are read lazily.
    pub const fn checked_on_decode(&self) -> bool {
        matches!(
            self,
            Composite::Sequence(_) | Composite::Bitmapped { .. } | Composite::Tagged { .. }
        )
    }
}

/// The bitmap of a [`Composite::Bitmapped`] field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub struct SubBitmap {
    /// How the bitmap is written.
    pub encoding: BitmapEncoding,
    /// Bytes of one bitmap unit (1-8): 8 is 64 subfields; moov-io allows e.g. 3.
    pub bytes: u8,
    /// Whether bit 1 of the first unit announces a second unit of 8 bytes (subfields
    /// 65-128), as the message bitmap does (jPOS `IFB_BITMAP` of length 16). Otherwise
    /// bit 1 is subfield 1.
    pub extends: bool,
    /// Bytes before the bitmap that belong to no subfield (jPOS sub-packager
    /// `headerLength`).
    pub header: u8,
}

impl SubBitmap {
    /// One 64-bit bitmap in `encoding`, bit 1 a subfield, no header.
    pub const fn new(encoding: BitmapEncoding) -> Self {
        SubBitmap {
            encoding,
            bytes: 8,
            extends: false,
            header: 0,
        }
    }

    /// Wire bytes of one unit of `bytes` bitmap bytes.
    pub const fn unit_wire_len(&self, bytes: usize) -> usize {
        match self.encoding {
            BitmapEncoding::Binary => bytes,
            BitmapEncoding::HexAscii | BitmapEncoding::EbcdicHex(_) => 2 * bytes,
        }
    }
}
