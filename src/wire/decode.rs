//! nom parsers: one function per structure (header, MTI, bitmap, length prefix, field).
//!
//! Each parser takes the remaining input and returns the rest; failures carry a
//! [`Fault`] that records how much input remained where it happened, so the caller can
//! turn it into an absolute byte offset.

use nom::{Err as NomErr, IResult};

use super::{ebcdic, hex};
use crate::error::{DecodeErrorKind, Found};
use crate::mti::{Mti, MtiEncoding};
use crate::spec::{
    BitmapEncoding, Content, ContentMode, Counts, Encoding, FieldSpec, Length, Padding, Prefix,
    PrefixEncoding,
};

/// A parse failure: what went wrong, and where relative to the end of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    /// Bytes of input that remained at the start of the failing structure.
    pub remaining: usize,
    /// Position of the fault inside that structure.
    pub pos: usize,
    /// Whether the fault is in a length prefix.
    pub in_prefix: bool,
    pub kind: DecodeErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for Fault {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        Fault {
            remaining: input.len(),
            pos: 0,
            in_prefix: false,
            kind: DecodeErrorKind::Truncated {
                needed: 1,
                available: input.len(),
            },
        }
    }
    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, Fault>;

fn fail<T>(input: &[u8], pos: usize, kind: DecodeErrorKind) -> Result<T, NomErr<Fault>> {
    Err(NomErr::Error(Fault {
        remaining: input.len(),
        pos,
        in_prefix: false,
        kind,
    }))
}

/// Takes exactly `n` bytes, or fails with [`DecodeErrorKind::Truncated`].
#[inline]
pub(crate) fn take_exact(n: usize) -> impl Fn(&[u8]) -> PResult<'_, &[u8]> {
    move |input: &[u8]| match nom::bytes::complete::take::<usize, &[u8], Fault>(n)(input) {
        Ok(ok) => Ok(ok),
        Err(_) => fail(
            input,
            0,
            DecodeErrorKind::Truncated {
                needed: n,
                available: input.len(),
            },
        ),
    }
}

fn invalid(expected: &'static str, byte: u8, masked: bool) -> DecodeErrorKind {
    DecodeErrorKind::InvalidByte {
        expected,
        found: if masked {
            Found::Masked
        } else {
            Found::Byte(byte)
        },
    }
}

/// The MTI.
pub(crate) fn mti(encoding: MtiEncoding) -> impl Fn(&[u8]) -> PResult<'_, Mti> {
    move |input: &[u8]| {
        let (rest, raw) = take_exact(encoding.wire_len())(input)?;
        let mut ascii = [0u8; 4];
        match encoding {
            MtiEncoding::Ascii => ascii.copy_from_slice(raw),
            MtiEncoding::HexAscii => {
                for (i, (a, pair)) in ascii.iter_mut().zip(raw.chunks_exact(2)).enumerate() {
                    let hi = pair.first().copied().and_then(hex::nibble);
                    let lo = pair.get(1).copied().and_then(hex::nibble);
                    match (hi, lo) {
                        (Some(h), Some(l)) => *a = (h << 4) | l,
                        (None, _) => {
                            let c = pair.first().copied().unwrap_or(0);
                            return fail(input, 2 * i, invalid("a hex digit", c, false));
                        }
                        (_, None) => {
                            let c = pair.get(1).copied().unwrap_or(0);
                            return fail(input, 2 * i + 1, invalid("a hex digit", c, false));
                        }
                    }
                }
            }
            MtiEncoding::Ebcdic(page) => {
                for (a, &b) in ascii.iter_mut().zip(raw) {
                    *a = ebcdic::to_latin1(page, b);
                }
            }
            MtiEncoding::Bcd => {
                for (i, &b) in raw.iter().enumerate() {
                    for (j, nib) in [b >> 4, b & 0xF].into_iter().enumerate() {
                        if nib > 9 {
                            return fail(input, i, invalid("a BCD digit", nib, false));
                        }
                        if let Some(a) = ascii.get_mut(2 * i + j) {
                            *a = b'0' + nib;
                        }
                    }
                }
            }
        }
        if let Some(i) = ascii.iter().position(|c| !c.is_ascii_digit()) {
            let (pos, found) = match encoding {
                MtiEncoding::HexAscii => (2 * i, ascii.get(i).copied().unwrap_or(0)),
                _ => (i, raw.get(i).copied().unwrap_or(0)),
            };
            return fail(input, pos, invalid("a digit", found, false));
        }
        match Mti::from_ascii(&ascii) {
            Ok(m) => Ok((rest, m)),
            Err(_) => fail(input, 0, invalid("a digit", 0, false)),
        }
    }
}

/// One 64-bit bitmap.
pub(crate) fn bitmap(encoding: BitmapEncoding) -> impl Fn(&[u8]) -> PResult<'_, u64> {
    move |input: &[u8]| match encoding {
        BitmapEncoding::Binary => {
            let (rest, raw) = take_exact(8)(input)?;
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            Ok((rest, u64::from_be_bytes(b)))
        }
        BitmapEncoding::HexAscii | BitmapEncoding::EbcdicHex(_) => {
            let (rest, raw) = take_exact(16)(input)?;
            let mut text = [0u8; 16];
            text.copy_from_slice(raw);
            if let BitmapEncoding::EbcdicHex(page) = encoding {
                for c in text.iter_mut() {
                    *c = ebcdic_hex_char(page, *c);
                }
            }
            match hex::parse_u64(&text) {
                Ok(w) => Ok((rest, w)),
                Err(i) => {
                    let c = raw.get(i).copied().unwrap_or(0);
                    fail(input, i, invalid("a hex digit", c, false))
                }
            }
        }
    }
}

/// An EBCDIC hex character as its ASCII form; anything else as a byte that is not hex.
pub(crate) fn ebcdic_hex_char(page: crate::spec::CodePage, c: u8) -> u8 {
    let l = ebcdic::to_latin1(page, c);
    if l.is_ascii_hexdigit() { l } else { b'G' }
}

/// A length prefix: the count it announces, checked against the maximum.
pub(crate) fn length_prefix(p: Prefix) -> impl Fn(&[u8]) -> PResult<'_, usize> {
    move |input: &[u8]| {
        let (rest, raw) = take_exact(p.wire_len())(input).map_err(|e| {
            e.map(|f| Fault {
                in_prefix: true,
                ..f
            })
        })?;
        let value = read_prefix(p, raw).map_err(|(pos, kind)| {
            NomErr::Error(Fault {
                remaining: input.len(),
                pos,
                in_prefix: true,
                kind,
            })
        })?;
        if value > p.max as usize {
            return Err(NomErr::Error(Fault {
                remaining: input.len(),
                pos: 0,
                in_prefix: true,
                kind: DecodeErrorKind::LengthAboveMax {
                    length: value,
                    max: p.max as usize,
                },
            }));
        }
        Ok((rest, value))
    }
}

/// `v * 10 + d`, or an error at position `i` when the number no longer fits.
fn push_digit(v: usize, d: u8, i: usize) -> Result<usize, (usize, DecodeErrorKind)> {
    v.checked_mul(10)
        .and_then(|v| v.checked_add(usize::from(d)))
        .ok_or((i, DecodeErrorKind::LengthNotAligned { length: usize::MAX }))
}

/// The number a prefix's bytes announce.
pub(crate) fn read_prefix(p: Prefix, raw: &[u8]) -> Result<usize, (usize, DecodeErrorKind)> {
    let mut v = 0usize;
    match p.encoding {
        PrefixEncoding::Ascii => {
            for (i, &c) in raw.iter().enumerate() {
                if !c.is_ascii_digit() {
                    return Err((i, invalid("a digit", c, false)));
                }
                v = push_digit(v, c - b'0', i)?;
            }
        }
        PrefixEncoding::Ebcdic(page) => {
            for (i, &c) in raw.iter().enumerate() {
                let l = ebcdic::to_latin1(page, c);
                if !l.is_ascii_digit() {
                    return Err((i, invalid("an EBCDIC digit", c, false)));
                }
                v = push_digit(v, l - b'0', i)?;
            }
        }
        PrefixEncoding::Bcd => {
            for (i, &b) in raw.iter().enumerate() {
                for nib in [b >> 4, b & 0xF] {
                    if nib > 9 {
                        return Err((i, invalid("a BCD digit", b, false)));
                    }
                    v = push_digit(v, nib, i)?;
                }
            }
        }
        PrefixEncoding::Binary => {
            for (i, &b) in raw.iter().enumerate() {
                v = v
                    .checked_mul(256)
                    .map(|v| v | usize::from(b))
                    .ok_or((i, DecodeErrorKind::LengthNotAligned { length: usize::MAX }))?;
            }
        }
        PrefixEncoding::Hex => {
            for (i, &c) in raw.iter().enumerate() {
                let Some(d) = hex::nibble(c) else {
                    return Err((i, invalid("a hex digit", c, false)));
                };
                v = v
                    .checked_mul(16)
                    .map(|v| v | usize::from(d))
                    .ok_or((i, DecodeErrorKind::LengthNotAligned { length: usize::MAX }))?;
            }
        }
    }
    Ok(v)
}

/// Units of a value from its size in wire bytes (for prefixes that count bytes).
pub(crate) fn units_for_wire(spec: &FieldSpec<'_>, wire: usize) -> Option<usize> {
    match spec.encoding {
        Encoding::HexAscii => wire.is_multiple_of(2).then_some(wire / 2),
        Encoding::Bcd { .. } => Some(match spec.content {
            Content::Xn if wire > 0 => 1 + 2 * (wire - 1),
            _ => 2 * wire,
        }),
        _ => Some(wire),
    }
}

/// One field: its length prefix (if any) and its data, content checked. Returns the
/// number of units.
pub(crate) fn field<'s>(spec: &'s FieldSpec<'s>) -> impl Fn(&[u8]) -> PResult<'_, usize> + 's {
    move |input: &[u8]| {
        let (rest, units, wire) = match spec.length {
            Length::Fixed(n) => (input, n as usize, spec.wire_len_for_units(n as usize)),
            Length::Rest { max } => {
                let wire = input.len();
                let Some(units) = units_for_wire(spec, wire) else {
                    return fail(input, 0, DecodeErrorKind::LengthNotAligned { length: wire });
                };
                if units > usize::from(max) {
                    return fail(
                        input,
                        0,
                        DecodeErrorKind::LengthAboveMax {
                            length: units,
                            max: usize::from(max),
                        },
                    );
                }
                (input, units, wire)
            }
            Length::Var(p) | Length::Filled(p) => {
                let (rest, count) = length_prefix(p)(input)?;
                match p.counts {
                    Counts::Units => (rest, count, spec.wire_len_for_units(count)),
                    Counts::Bytes => match units_for_wire(spec, count) {
                        Some(units) => (rest, units, count),
                        None => {
                            return Err(NomErr::Error(Fault {
                                remaining: input.len(),
                                pos: 0,
                                in_prefix: true,
                                kind: DecodeErrorKind::LengthNotAligned { length: count },
                            }));
                        }
                    },
                }
            }
        };
        let (rest, data) = take_exact(wire)(rest)?;
        // A filled field's slot runs on past its value; the fill is not looked at.
        let (rest, _fill) = match spec.length {
            Length::Filled(_) => {
                let slot = spec.filled_slot_len();
                if wire > slot {
                    return fail(
                        input,
                        0,
                        DecodeErrorKind::LengthAboveMax {
                            length: wire,
                            max: slot,
                        },
                    );
                }
                take_exact(slot - wire)(rest)?
            }
            _ => (rest, &[][..]),
        };
        let checked = check_content(spec, data, units, ContentMode::Lenient)
            .and_then(|()| check_subfields(spec, data));
        if let Err((pos, kind)) = checked {
            return fail(data, pos, kind).map_err(|e| {
                e.map(|f| Fault {
                    remaining: rest.len() + data.len(),
                    ..f
                })
            });
        }
        Ok((rest, units))
    }
}

/// Checks the subfields of a composite that is checked on decode
/// ([`crate::spec::Composite::checked_on_decode`]): each subfield is located and its
/// content checked as a field's would be (nested composites too). On failure, the byte
/// position in `data` and the error.
pub(crate) fn check_subfields(
    spec: &FieldSpec<'_>,
    data: &[u8],
) -> Result<(), (usize, DecodeErrorKind)> {
    match spec.subfields {
        Some(c) if c.checked_on_decode() => crate::subfield::walk(c, data),
        _ => Ok(()),
    }
}

/// Checks a field's wire data against its content class and encoding (free-text
/// classes as `mode` says). On failure, returns the byte position in `data` and the
/// error.
pub(crate) fn check_content(
    spec: &FieldSpec<'_>,
    data: &[u8],
    units: usize,
    mode: ContentMode,
) -> Result<(), (usize, DecodeErrorKind)> {
    let masked = spec.sensitivity.is_sensitive();
    let content = spec.content;
    let lenient = mode == ContentMode::Lenient && content.is_free_text();
    match spec.encoding {
        Encoding::Binary => Ok(()),
        Encoding::Ascii | Encoding::Ebcdic(_) | Encoding::Gbk if lenient => Ok(()),
        // Strict: the bytes must be GBK text (checked with the `gbk` feature).
        Encoding::Gbk => match super::gbk::first_invalid(data) {
            Some(i) => Err((
                i,
                invalid("GBK text", data.get(i).copied().unwrap_or(0), masked),
            )),
            None => Ok(()),
        },
        Encoding::Ascii => {
            // Fast path: one table lookup per byte, no iterator adaptors.
            if !matches!(content, Content::Xn | Content::AOrN)
                && data.iter().all(|&c| content.allows(c))
            {
                return Ok(());
            }
            check_text(spec, data.iter().copied(), masked)
        }
        Encoding::Ebcdic(page) => {
            let table = ebcdic::to_latin1_table(page);
            check_text(spec, data.iter().map(|&b| table[b as usize]), masked)
        }
        Encoding::HexAscii => {
            if let Some(i) = data.iter().position(|&c| hex::nibble(c).is_none()) {
                let c = data.get(i).copied().unwrap_or(0);
                return Err((i, invalid("a hex digit", c, masked)));
            }
            if content.is_text() && !lenient {
                let syms = super::Symbols::new(spec, data, units);
                check_text(spec, syms, masked).map_err(|(i, k)| (2 * i, k))
            } else {
                Ok(())
            }
        }
        Encoding::Bcd { align, filler } => {
            let (digits_data, digits, offset) = match content {
                Content::Xn => {
                    let Some((&sign, rest)) = data.split_first() else {
                        return Ok(());
                    };
                    if sign != b'C' && sign != b'D' {
                        return Err((0, invalid("'C' or 'D'", sign, masked)));
                    }
                    (rest, units.saturating_sub(1), 1)
                }
                _ => (data, units, 0),
            };
            let nibbles = digits_data.len() * 2;
            let pad = nibbles.saturating_sub(digits);
            let first_digit = match align {
                crate::spec::Align::Left => 0,
                crate::spec::Align::Right => pad,
            };
            for (i, &b) in digits_data.iter().enumerate() {
                for (j, nib) in [b >> 4, b & 0xF].into_iter().enumerate() {
                    let k = 2 * i + j;
                    let is_digit = k >= first_digit && k < first_digit + digits;
                    let ok = if !is_digit {
                        nib == filler
                    } else if content == Content::Z {
                        nib <= 9 || nib == 0xD
                    } else {
                        nib <= 9
                    };
                    if !ok {
                        let expected = if !is_digit {
                            if filler == 0 {
                                "pad nibble 0"
                            } else {
                                "pad nibble F"
                            }
                        } else if content == Content::Z {
                            "a BCD digit or separator D"
                        } else {
                            "a BCD digit"
                        };
                        return Err((offset + i, invalid(expected, nib, masked)));
                    }
                }
            }
            Ok(())
        }
    }
}

/// Checks logical characters against the content class, allowing the padding
/// character in the padded part of a fixed field.
fn check_text(
    spec: &FieldSpec<'_>,
    chars: impl Iterator<Item = u8> + Clone,
    masked: bool,
) -> Result<(), (usize, DecodeErrorKind)> {
    check_chars(spec, chars.clone(), masked)?;
    // `a/n`: the characters of the class (pad characters are not) are all letters or
    // all digits.
    if spec.content == Content::AOrN {
        let mut body = chars.enumerate().filter(|&(_, c)| spec.content.allows(c));
        if let Some((_, first)) = body.clone().next() {
            let letters = first.is_ascii_alphabetic();
            if let Some((i, c)) = body.find(|&(_, c)| c.is_ascii_alphabetic() != letters) {
                return Err((i, invalid(spec.content.expectation(), c, masked)));
            }
        }
    }
    Ok(())
}

/// Checks each logical character against the class, allowing the padding character in
/// the padded part of a fixed field.
fn check_chars(
    spec: &FieldSpec<'_>,
    chars: impl Iterator<Item = u8> + Clone,
    masked: bool,
) -> Result<(), (usize, DecodeErrorKind)> {
    let content = spec.content;
    let mut chars = chars.enumerate();
    // The sign of x+n comes first.
    if content == Content::Xn {
        let mut probe = chars.clone();
        if let Some((i, c)) = probe.next() {
            if c != b'C' && c != b'D' {
                return Err((i, invalid("'C' or 'D'", c, masked)));
            }
            chars = probe;
        }
    }
    // Fast path: every character allowed by the class.
    let mut rest = chars.clone();
    let Some((i, c)) = rest.find(|&(_, c)| !content.allows(c)) else {
        return Ok(());
    };
    // Padding: a leading run of the left pad character, or a trailing run of the right
    // pad character, of a fixed field.
    if let Length::Fixed(_) = spec.length {
        match spec.padding {
            Padding::Right(p) if c == p && rest.clone().all(|(_, c)| c == p) => return Ok(()),
            Padding::Left(p) => {
                let mut after_pad = chars.skip_while(|&(_, c)| c == p);
                if after_pad.all(|(_, c)| content.allows(c)) {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
    Err((i, invalid(content.expectation(), c, masked)))
}
