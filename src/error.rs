//! Decode and encode errors.
//!
//! A [`DecodeError`] names the part of the message at fault (header, MTI, a bitmap, a
//! field's length prefix or its data, trailing bytes), the byte offset from the start of
//! the input, what was expected and what was found. The byte found is shown only for
//! fields that are not sensitive: an error about a PAN, track or PIN never carries any of
//! its characters.

use core::fmt;

/// The part of a message an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// The fixed header before the MTI (TPDU, application header).
    Header,
    /// The message type indicator.
    Mti,
    /// A bitmap: 0 = primary, 1 = secondary, 2 = tertiary.
    Bitmap(u8),
    /// The length prefix of a field.
    LengthPrefix(usize),
    /// The data of a field.
    Field(usize),
    /// Bytes after the last announced field.
    Trailing,
}

impl Part {
    /// The field number, if the error is about a field (data or prefix).
    pub const fn field(self) -> Option<usize> {
        match self {
            Part::LengthPrefix(n) | Part::Field(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Header => f.write_str("header"),
            Part::Mti => f.write_str("MTI"),
            Part::Bitmap(0) => f.write_str("primary bitmap"),
            Part::Bitmap(1) => f.write_str("secondary bitmap"),
            Part::Bitmap(_) => f.write_str("tertiary bitmap"),
            Part::LengthPrefix(n) => write!(f, "field {n} length prefix"),
            Part::Field(n) => write!(f, "field {n}"),
            Part::Trailing => f.write_str("end of message"),
        }
    }
}

/// A byte found where it is not allowed, or its absence from an error about a
/// sensitive field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    /// The byte (or, for BCD, the nibble) found.
    Byte(u8),
    /// The field is sensitive: the value is not shown.
    Masked,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Found::Byte(b) if (0x20..0x7F).contains(&b) => write!(f, "0x{b:02X} '{}'", b as char),
            Found::Byte(b) => write!(f, "0x{b:02X}"),
            Found::Masked => f.write_str("a byte not shown (sensitive field)"),
        }
    }
}

/// What went wrong while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ends early.
    Truncated {
        /// Bytes the part needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// A byte or nibble not allowed at this place.
    InvalidByte {
        /// What is allowed.
        expected: &'static str,
        /// What was found.
        found: Found,
    },
    /// A length prefix above the field's maximum.
    LengthAboveMax {
        /// The length announced.
        length: usize,
        /// The field's maximum.
        max: usize,
    },
    /// A length in bytes that does not fit the field's encoding (e.g. an odd number of
    /// hex characters).
    LengthNotAligned {
        /// The length announced.
        length: usize,
    },
    /// The bitmap announces a field the layout does not define.
    UndefinedField,
    /// Bytes remain after the last announced field.
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The input is empty.
    Empty,
    /// The input is longer than a message may be.
    MessageTooLong {
        /// The input's length.
        length: usize,
        /// The longest message accepted.
        max: usize,
    },
    /// The subfields of a composite field do not match their definition (a subfield
    /// bitmap that is not hex, a subfield the bitmap announces but the layout does not
    /// define, bytes left after the last subfield ...).
    Subfield {
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeErrorKind::Truncated { needed, available } => write!(
                f,
                "input ends early: expected {needed} bytes, found {available}"
            ),
            DecodeErrorKind::InvalidByte { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            DecodeErrorKind::LengthAboveMax { length, max } => {
                write!(f, "length {length} is above the maximum {max}")
            }
            DecodeErrorKind::LengthNotAligned { length } => {
                write!(f, "length {length} does not fit the field's encoding")
            }
            DecodeErrorKind::UndefinedField => {
                f.write_str("announced by the bitmap but not defined by the layout")
            }
            DecodeErrorKind::TrailingBytes { count } => {
                write!(f, "expected end of message, found {count} more bytes")
            }
            DecodeErrorKind::Empty => f.write_str("expected a message, found empty input"),
            DecodeErrorKind::MessageTooLong { length, max } => {
                write!(f, "expected at most {max} bytes, found {length}")
            }
            DecodeErrorKind::Subfield { reason } => write!(f, "subfields: {reason}"),
        }
    }
}

/// A message could not be decoded.
///
/// ```
/// use iso8583_wire::layouts::ISO87_ASCII;
///
/// let err = ISO87_ASCII.decode(b"0200").unwrap_err();
/// assert_eq!(err.field(), None);
/// assert_eq!(err.offset(), 4);
/// assert_eq!(err.to_string(),
///     "primary bitmap at byte 4: input ends early: expected 16 bytes, found 0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{part} at byte {offset}: {kind}")]
pub struct DecodeError {
    pub(crate) part: Part,
    pub(crate) offset: usize,
    pub(crate) kind: DecodeErrorKind,
}

impl DecodeError {
    /// Where in the message: header, MTI, a bitmap, a field's prefix or data, or the
    /// bytes after the last field.
    pub const fn part(&self) -> Part {
        self.part
    }

    /// Byte offset of the fault from the start of the input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    pub const fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// The field number at fault, or `None` for header, MTI, bitmap and trailing-data
    /// errors.
    pub const fn field(&self) -> Option<usize> {
        self.part.field()
    }
}

/// What went wrong while building or encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The layout does not define the field (or it is a bitmap bit).
    UndefinedField,
    /// The value is longer than the field allows.
    TooLong {
        /// The value's length in the field's units.
        length: usize,
        /// The maximum.
        max: usize,
    },
    /// The value is shorter than a fixed field without padding.
    TooShort {
        /// The value's length in the field's units.
        length: usize,
        /// The fixed length.
        expected: usize,
    },
    /// A character the field's content class or encoding does not allow.
    InvalidCharacter {
        /// What is allowed.
        expected: &'static str,
        /// Position in the value (0-based).
        position: usize,
    },
    /// The kind of value does not fit the field (e.g. a number for a binary field).
    WrongValueKind {
        /// What the field takes.
        expected: &'static str,
    },
    /// The header given does not have the layout's header length.
    HeaderLength {
        /// The layout's header length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A header longer than a builder keeps: 64 bytes without the `alloc` feature,
    /// 65,535 with it.
    HeaderTooLong {
        /// The length given.
        length: usize,
        /// The most the builder keeps.
        max: usize,
    },
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
    /// The value of a composite field whose subfields the layout checks on decode
    /// does not read as those subfields (a message carrying it would be refused).
    InvalidSubfields {
        /// Byte position in the field's data where reading the subfields failed.
        position: usize,
        /// Why; the byte found is never shown (the error does not carry the value).
        problem: DecodeErrorKind,
    },
}

impl fmt::Display for EncodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeErrorKind::UndefinedField => f.write_str("not defined by the layout"),
            EncodeErrorKind::TooLong { length, max } => {
                write!(
                    f,
                    "value of length {length} is longer than the maximum {max}"
                )
            }
            EncodeErrorKind::TooShort { length, expected } => write!(
                f,
                "value of length {length} is shorter than the fixed length {expected}"
            ),
            EncodeErrorKind::InvalidCharacter { expected, position } => {
                write!(f, "character at position {position} is not {expected}")
            }
            EncodeErrorKind::WrongValueKind { expected } => {
                write!(f, "the field takes {expected}")
            }
            EncodeErrorKind::HeaderLength { expected, found } => {
                write!(f, "header must be {expected} bytes, got {found}")
            }
            EncodeErrorKind::HeaderTooLong { length, max } => {
                write!(f, "header of {length} bytes: a builder keeps at most {max}")
            }
            EncodeErrorKind::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
            EncodeErrorKind::InvalidSubfields { position, problem } => {
                write!(
                    f,
                    "the subfields do not read at byte {position} of the value: "
                )?;
                match problem {
                    // The byte itself is not kept (the error never carries the value).
                    DecodeErrorKind::InvalidByte { expected, .. } => {
                        write!(f, "expected {expected}")
                    }
                    other => write!(f, "{other}"),
                }
            }
        }
    }
}

/// A message could not be built or encoded. Never carries the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{part}: {kind}")]
pub struct EncodeError {
    pub(crate) part: Part,
    pub(crate) kind: EncodeErrorKind,
}

impl EncodeError {
    /// Where in the message (the header, or a field).
    pub const fn part(&self) -> Part {
        self.part
    }

    /// What went wrong.
    pub const fn kind(&self) -> EncodeErrorKind {
        self.kind
    }

    /// The field at fault, or `None` for the header and the output buffer.
    pub const fn field(&self) -> Option<usize> {
        self.part.field()
    }

    pub(crate) const fn for_field(n: usize, kind: EncodeErrorKind) -> EncodeError {
        EncodeError {
            part: Part::Field(n),
            kind,
        }
    }
}
