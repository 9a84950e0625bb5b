//! Bytes to fields and back: the low-level codec shared by decoder and encoder.
//!
//! The public entry points are [`crate::Message::decode`] and
//! [`crate::MessageBuilder`]; this module holds the per-field machinery and the small
//! conversions ([`hex`], [`ebcdic`], BCD).

pub(crate) mod decode;
pub mod ebcdic;
mod ebcdic_tables;
pub(crate) mod encode;
pub(crate) mod fast;
pub mod gbk;
#[doc(hidden)]
pub mod hex;
pub(crate) mod scan;

use crate::spec::{Content, Encoding, FieldSpec};

/// The logical characters (for text) or octets (for binary) of a field's wire data.
///
/// Produced by [`crate::Field::symbols`]: BCD digits come out as ASCII digits (nibble `D`
/// as `=` for track data), EBCDIC as Latin-1, hex-ASCII as the decoded bytes. The
/// iterator assumes the data was validated by the decoder or builder; anything else
/// yields unspecified (but never panicking) output.
///
/// `Debug` shows the kind and position, never the data.
#[derive(Clone)]
pub struct Symbols<'a> {
    data: &'a [u8],
    kind: SymbolKind,
    /// Next index: a byte index, or a nibble index for BCD.
    pos: usize,
    /// End index (exclusive), same unit as `pos`.
    end: usize,
    /// For `x+n` in BCD: the sign byte still to be produced.
    sign: Option<u8>,
}

impl core::fmt::Debug for Symbols<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Symbols")
            .field(
                "kind",
                &match self.kind {
                    SymbolKind::Plain => "plain",
                    SymbolKind::Ebcdic(_) => "ebcdic",
                    SymbolKind::Hex => "hex",
                    SymbolKind::Bcd => "bcd",
                },
            )
            .field("pos", &self.pos)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
enum SymbolKind {
    Plain,
    Ebcdic(&'static [u8; 256]),
    Hex,
    Bcd,
}

impl<'a> Symbols<'a> {
    /// Symbols of `data` holding `units` units of a field defined by `spec`.
    pub(crate) fn new(spec: &FieldSpec<'_>, data: &'a [u8], units: usize) -> Symbols<'a> {
        match spec.encoding {
            Encoding::Ascii | Encoding::Binary | Encoding::Gbk => Symbols {
                data,
                kind: SymbolKind::Plain,
                pos: 0,
                end: data.len(),
                sign: None,
            },
            Encoding::Ebcdic(page) => Symbols {
                data,
                kind: SymbolKind::Ebcdic(ebcdic::to_latin1_table(page)),
                pos: 0,
                end: data.len(),
                sign: None,
            },
            Encoding::HexAscii => Symbols {
                data,
                kind: SymbolKind::Hex,
                pos: 0,
                end: data.len() / 2,
                sign: None,
            },
            Encoding::Bcd { align, .. } => {
                let (sign, digits_data, digits) = match (spec.content, data.split_first()) {
                    (Content::Xn, Some((s, rest))) => (Some(*s), rest, units.saturating_sub(1)),
                    _ => (None, data, units),
                };
                let nibbles = digits_data.len() * 2;
                let digits = digits.min(nibbles);
                let start = match align {
                    crate::spec::Align::Left => 0,
                    crate::spec::Align::Right => nibbles - digits,
                };
                Symbols {
                    data: digits_data,
                    kind: SymbolKind::Bcd,
                    pos: start,
                    end: start + digits,
                    sign,
                }
            }
        }
    }
}

impl Iterator for Symbols<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if let Some(s) = self.sign.take() {
            return Some(s);
        }
        if self.pos >= self.end {
            return None;
        }
        let i = self.pos;
        self.pos += 1;
        match self.kind {
            SymbolKind::Plain => self.data.get(i).copied(),
            SymbolKind::Ebcdic(table) => self.data.get(i).map(|&b| table[b as usize]),
            SymbolKind::Hex => {
                let hi = self.data.get(2 * i).copied().and_then(hex::nibble)?;
                let lo = self.data.get(2 * i + 1).copied().and_then(hex::nibble)?;
                Some((hi << 4) | lo)
            }
            SymbolKind::Bcd => {
                let byte = self.data.get(i / 2).copied()?;
                let nib = if i.is_multiple_of(2) {
                    byte >> 4
                } else {
                    byte & 0x0F
                };
                Some(bcd_symbol(nib))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.pos) + usize::from(self.sign.is_some());
        (n, Some(n))
    }
}

impl ExactSizeIterator for Symbols<'_> {}

/// A BCD nibble as a logical character: 0-9 as digits, D as `=`.
#[inline]
pub(crate) const fn bcd_symbol(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        0xD => b'=',
        n => hex::UPPER[(n & 0xF) as usize],
    }
}

/// A logical character as a BCD nibble: digits, and `=` (or `D`) as D.
#[inline]
pub(crate) const fn bcd_nibble(symbol: u8) -> Option<u8> {
    match symbol {
        b'0'..=b'9' => Some(symbol - b'0'),
        b'=' | b'D' => Some(0xD),
        _ => None,
    }
}
