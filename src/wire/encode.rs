//! Field encoding: validate a value against a field definition ([`plan`]), then write
//! it ([`write`]).

use super::{bcd_nibble, ebcdic, hex};
use crate::error::EncodeErrorKind;
use crate::spec::{
    Align, Content, ContentMode, Counts, Encoding, FieldSpec, Length, Padding, Prefix,
    PrefixEncoding,
};

/// Where encoded bytes go.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);

    /// [`Sink::put`] for data that is usually short (a field value, a bitmap).
    #[inline(always)]
    fn put_small(&mut self, bytes: &[u8]) {
        self.put(bytes);
    }
}

/// Copies `src` into `dst` (same lengths) without a library call for up to 32 bytes:
/// two overlapping fixed-size moves cover any length from 4 to 32.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    fn fixed<const N: usize>(dst: &mut [u8], src: &[u8], at: usize) {
        if let (Some(d), Some(s)) = (dst.get_mut(at..at + N), src.get(at..at + N))
            && let (Ok(d), Ok(s)) = (<&mut [u8; N]>::try_from(d), <&[u8; N]>::try_from(s))
        {
            *d = *s;
        }
    }
    let n = src.len();
    // Sizes tested as a tree (two comparisons to any class): the length of field
    // values is data, so the branches are not always predicted.
    if n <= 16 {
        if n >= 8 {
            fixed::<8>(dst, src, 0);
            fixed::<8>(dst, src, n - 8);
        } else if n >= 4 {
            fixed::<4>(dst, src, 0);
            fixed::<4>(dst, src, n - 4);
        } else if let (Some(&first), Some(&middle), Some(&last)) =
            (src.first(), src.get(n / 2), src.last())
        {
            // One to three bytes: the first, middle and last cover them all.
            if let Some(d) = dst.get_mut(0) {
                *d = first;
            }
            if let Some(d) = dst.get_mut(n / 2) {
                *d = middle;
            }
            if let Some(d) = dst.get_mut(n - 1) {
                *d = last;
            }
        }
    } else if n <= 32 {
        fixed::<16>(dst, src, 0);
        fixed::<16>(dst, src, n - 16);
    } else {
        dst.copy_from_slice(src);
    }
}

/// A caller's slice; capacity is checked before writing.
pub(crate) struct SliceSink<'b> {
    pub buf: &'b mut [u8],
    pub pos: usize,
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    #[inline(always)]
    fn put_small(&mut self, bytes: &[u8]) {
        self.pos = put_small_at(self.buf, self.pos, bytes);
    }
}

/// Writes `bytes` at `pos` of `buf` (when they fit) and returns the position after
/// them. Short data is copied without a library call.
#[inline(always)]
pub(crate) fn put_small_at(buf: &mut [u8], pos: usize, bytes: &[u8]) -> usize {
    let end = pos + bytes.len();
    if let Some(dst) = buf.get_mut(pos..end) {
        copy_short(dst, bytes);
    }
    end
}

#[cfg(feature = "alloc")]
pub(crate) struct BufSink<'b, B: bytes::BufMut>(pub &'b mut B);

#[cfg(feature = "alloc")]
impl<B: bytes::BufMut> Sink for BufSink<'_, B> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0.put_slice(bytes);
    }
}

/// The logical content of a value, before padding and encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'v> {
    /// Logical characters (text) or octets (binary).
    Bytes(&'v [u8]),
    /// Octets given as hex text.
    Hex(&'v [u8]),
    /// Data already in the field's wire encoding, `units` long.
    Wire(&'v [u8], usize),
}

impl Source<'_> {
    fn units(&self) -> usize {
        match *self {
            Source::Bytes(b) => b.len(),
            Source::Hex(h) => h.len() / 2,
            Source::Wire(_, u) => u,
        }
    }
}

/// A value validated against a field: how many units, how much padding, how many bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan<'v> {
    pub source: Source<'v>,
    pub pad_left: usize,
    pub pad_right: usize,
    pub pad: u8,
    /// Units of the whole value (padding included).
    pub units: usize,
    /// Data bytes on the wire (prefix excluded).
    pub wire: usize,
}

/// Validates `source` for `spec` (free text as `check` says; `None` for a value
/// already checked) and works out its size.
pub(crate) fn plan<'v>(
    spec: &FieldSpec<'_>,
    source: Source<'v>,
    check: Option<ContentMode>,
) -> Result<Plan<'v>, EncodeErrorKind> {
    if let Some(mode) = check {
        check_source(spec, source, mode)?;
    }
    let body = source.units();
    let (pad_left, pad_right, pad) = match spec.length {
        Length::Fixed(n) => {
            let n = n as usize;
            if body > n {
                return Err(EncodeErrorKind::TooLong {
                    length: body,
                    max: n,
                });
            }
            let missing = n - body;
            match spec.padding {
                _ if missing == 0 => (0, 0, 0),
                Padding::Left(p) if !matches!(source, Source::Wire(..)) => (missing, 0, p),
                Padding::Right(p) if !matches!(source, Source::Wire(..)) => (0, missing, p),
                _ => {
                    return Err(EncodeErrorKind::TooShort {
                        length: body,
                        expected: n,
                    });
                }
            }
        }
        Length::Var(_) | Length::Rest { .. } | Length::Filled(_) => (0, 0, 0),
    };
    if pad_left + pad_right > 0
        && matches!(spec.encoding, Encoding::Bcd { .. })
        && !pad.is_ascii_digit()
    {
        return Err(EncodeErrorKind::InvalidCharacter {
            expected: "a digit (padding of a BCD field)",
            position: 0,
        });
    }
    let units = body + pad_left + pad_right;
    let wire = match source {
        Source::Wire(w, _) => w.len(),
        _ => spec.wire_len_for_units(units),
    };
    // Maxima and prefix capacity.
    match spec.length {
        Length::Fixed(_) => {}
        Length::Rest { max } => {
            if units > usize::from(max) {
                return Err(EncodeErrorKind::TooLong {
                    length: units,
                    max: usize::from(max),
                });
            }
        }
        Length::Var(p) | Length::Filled(p) => {
            let count = match p.counts {
                Counts::Units => units,
                Counts::Bytes => wire,
            };
            if count > p.max as usize || count > p.capacity() {
                return Err(EncodeErrorKind::TooLong {
                    length: units,
                    max: spec.max_units(),
                });
            }
        }
    }
    Ok(Plan {
        source,
        pad_left,
        pad_right,
        pad,
        units,
        wire,
    })
}

fn check_source(
    spec: &FieldSpec<'_>,
    source: Source<'_>,
    mode: ContentMode,
) -> Result<(), EncodeErrorKind> {
    match source {
        Source::Wire(data, units) => {
            if spec.wire_len_for_units(units) != data.len()
                && !matches!(spec.length, Length::Var(p) | Length::Filled(p) if p.counts == Counts::Bytes)
            {
                return Err(EncodeErrorKind::WrongValueKind {
                    expected: "wire data of the field's own encoding",
                });
            }
            super::decode::check_content(spec, data, units, mode).map_err(|(pos, _)| {
                EncodeErrorKind::InvalidCharacter {
                    expected: "data valid for the field's encoding",
                    position: pos,
                }
            })
        }
        Source::Hex(h) => {
            match hex::validate(h) {
                Ok(()) => {}
                Err(hex::HexError::InvalidCharacter(i)) => {
                    return Err(EncodeErrorKind::InvalidCharacter {
                        expected: "a hex digit",
                        position: i,
                    });
                }
                Err(_) => {
                    return Err(EncodeErrorKind::WrongValueKind {
                        expected: "hex text of even length",
                    });
                }
            }
            Ok(())
        }
        Source::Bytes(b) => {
            if !spec.content.is_text() {
                return Ok(());
            }
            if mode == ContentMode::Lenient
                && spec.content.is_free_text()
                && !matches!(spec.encoding, Encoding::Bcd { .. })
            {
                return Ok(());
            }
            // Strict GBK text is judged as the decoder judges it: whole GBK
            // characters, whatever the class says of single bytes.
            if spec.encoding == Encoding::Gbk && spec.content.is_free_text() {
                return match super::gbk::first_invalid(b) {
                    Some(position) => Err(EncodeErrorKind::InvalidCharacter {
                        expected: "GBK text",
                        position,
                    }),
                    None => Ok(()),
                };
            }
            for (i, &c) in b.iter().enumerate() {
                check_symbol(spec, c, i, mode)?;
            }
            if mode == ContentMode::Strict {
                check_strict_padding(spec, b)?;
            }
            Ok(())
        }
    }
}

/// In strict mode, a value may carry the field's pad character only at its padding
/// end (as the decoder accepts it): `"5 "` in a right-padded `an` field, not `" 5"`.
fn check_strict_padding(spec: &FieldSpec<'_>, value: &[u8]) -> Result<(), EncodeErrorKind> {
    let content = spec.content;
    if !content.is_free_text() {
        return Ok(());
    }
    let body: &[u8] = match spec.padding {
        Padding::Right(p) if !content.allows(p) => {
            let end = value.iter().rposition(|&c| c != p).map_or(0, |i| i + 1);
            value.get(..end).unwrap_or(value)
        }
        Padding::Left(p) if !content.allows(p) => {
            let start = value.iter().position(|&c| c != p).unwrap_or(value.len());
            value.get(start..).unwrap_or(value)
        }
        _ => value,
    };
    let offset = body.as_ptr() as usize - value.as_ptr() as usize;
    let bad = body
        .iter()
        .position(|&c| !content.allows(c))
        .or_else(|| content.value_rule_breaks(body));
    match bad {
        Some(i) => Err(EncodeErrorKind::InvalidCharacter {
            expected: content.expectation(),
            position: offset + i,
        }),
        None => Ok(()),
    }
}

/// Checks one logical character at position `i` of a text value (free text as `mode`
/// says; a fixed field's pad character passes here and
/// [`check_strict_padding`] places it).
fn check_symbol(
    spec: &FieldSpec<'_>,
    c: u8,
    i: usize,
    mode: ContentMode,
) -> Result<(), EncodeErrorKind> {
    let content = spec.content;
    let (ok, expected) = if content == Content::Xn && i == 0 {
        (c == b'C' || c == b'D', "'C' or 'D'")
    } else if let Encoding::Bcd { .. } = spec.encoding {
        let ok = match content {
            Content::Z => c.is_ascii_digit() || c == b'=' || c == b'D',
            _ => c.is_ascii_digit(),
        };
        (
            ok,
            if content == Content::Z {
                "a digit or the separator '=' or 'D'"
            } else {
                "a digit"
            },
        )
    } else if content.is_free_text() && mode == ContentMode::Strict {
        let pad = match (spec.length, spec.padding) {
            (Length::Fixed(_), Padding::Left(p) | Padding::Right(p)) => Some(p),
            _ => None,
        };
        (content.allows(c) || Some(c) == pad, content.expectation())
    } else {
        (content.accepts(c, mode), content.expectation())
    };
    if ok {
        Ok(())
    } else {
        Err(EncodeErrorKind::InvalidCharacter {
            expected,
            position: i,
        })
    }
}

/// The fill after the `wire` bytes of a [`Length::Filled`] field's value (nothing for
/// other lengths).
#[inline]
fn write_fill(spec: &FieldSpec<'_>, wire: usize, out: &mut impl Sink) {
    if let Length::Filled(_) = spec.length {
        let fill = spec.filled_slot_len().saturating_sub(wire);
        put_repeat(out, spec.fill_byte(), fill);
    }
}

/// Writes a planned value: prefix, then data.
pub(crate) fn write(spec: &FieldSpec<'_>, plan: &Plan<'_>, out: &mut impl Sink) {
    write_prefix(spec, plan.units, plan.wire, out);
    write_data(spec, plan, out);
    write_fill(spec, plan.wire, out);
}

/// Writes the length prefix of a value of `units` units taking `wire` bytes.
#[inline]
pub(crate) fn write_prefix(spec: &FieldSpec<'_>, units: usize, wire: usize, out: &mut impl Sink) {
    if let Length::Var(p) | Length::Filled(p) = spec.length {
        let count = match p.counts {
            Counts::Units => units,
            Counts::Bytes => wire,
        };
        let mut buf = [0u8; 8];
        let n = prefix_bytes(&p, count, &mut buf);
        out.put(buf.get(..n).unwrap_or(&[]));
    }
}

/// The two ASCII digits of each number 0-99.
const ASCII_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Each number 0-99 as one packed-BCD byte.
const BCD_PAIRS: [u8; 100] = {
    let mut t = [0u8; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = ((i / 10) as u8) << 4 | (i % 10) as u8;
        i += 1;
    }
    t
};

/// `count` right-aligned over all of `dst`, in ASCII digits or (`bcd`) two packed
/// digits per byte: the body of ASCII, EBCDIC and BCD length prefixes. One, two and
/// three bytes (the usual L, LL, LLL and LLLL) are written without a loop, two digits
/// at a time from a table.
#[inline(always)]
pub(crate) fn write_count(dst: &mut [u8], count: usize, bcd: bool) {
    let ascii = |v: usize| ASCII_PAIRS.get(v % 100).copied().unwrap_or([b'0'; 2]);
    let packed = |v: usize| BCD_PAIRS.get(v % 100).copied().unwrap_or(0);
    match (bcd, dst) {
        (false, [a]) => *a = b'0' + (count % 10) as u8,
        (false, [a, b]) => [*a, *b] = ascii(count),
        (false, [a, b, c]) => {
            *a = b'0' + (count / 100 % 10) as u8;
            [*b, *c] = ascii(count);
        }
        (true, [a]) => *a = packed(count),
        (true, [a, b]) => {
            *a = packed(count / 100);
            *b = packed(count);
        }
        (_, dst) => {
            let mut v = count;
            for slot in dst.iter_mut().rev() {
                *slot = if bcd {
                    let b = packed(v);
                    v /= 100;
                    b
                } else {
                    let b = b'0' + (v % 10) as u8;
                    v /= 10;
                    b
                };
            }
        }
    }
}

/// The two ASCII digits of `v` (below 100).
#[inline(always)]
pub(crate) fn ascii_pair(v: usize) -> Option<[u8; 2]> {
    ASCII_PAIRS.get(v).copied()
}

/// `count` as prefix `p` writes it, into `buf`; returns how many bytes of `buf` it
/// takes.
#[inline]
pub(crate) fn prefix_bytes(p: &Prefix, count: usize, buf: &mut [u8; 8]) -> usize {
    let n = p.wire_len().min(buf.len());
    let digits = p.digits as usize;
    match p.encoding {
        PrefixEncoding::Ascii | PrefixEncoding::Ebcdic(_) => {
            let dst = buf.get_mut(..n).unwrap_or(&mut []);
            write_count(dst, count, false);
            if let PrefixEncoding::Ebcdic(page) = p.encoding {
                for slot in dst {
                    *slot = ebcdic::from_latin1(page, *slot);
                }
            }
        }
        PrefixEncoding::Bcd => write_count(buf.get_mut(..n).unwrap_or(&mut []), count, true),
        PrefixEncoding::Binary => {
            let bytes = (count as u64).to_be_bytes();
            let from = bytes.len().saturating_sub(digits);
            for (slot, b) in buf.iter_mut().zip(bytes.iter().skip(from)) {
                *slot = *b;
            }
        }
        PrefixEncoding::Hex => {
            let mut v = count;
            for slot in buf.iter_mut().take(n).rev() {
                *slot = hex::UPPER.get(v % 16).copied().unwrap_or(b'0');
                v /= 16;
            }
        }
    }
    n
}

/// Writes the data of a planned value.
fn write_data(spec: &FieldSpec<'_>, plan: &Plan<'_>, out: &mut impl Sink) {
    if let Source::Wire(data, _) = plan.source {
        out.put(data);
        return;
    }
    match spec.encoding {
        Encoding::Ascii | Encoding::Binary | Encoding::Gbk => {
            if let Source::Bytes(b) = plan.source {
                put_repeat(out, plan.pad, plan.pad_left);
                out.put(b);
                put_repeat(out, plan.pad, plan.pad_right);
            } else {
                write_bytes(out, symbols(plan));
            }
        }
        Encoding::Ebcdic(page) => {
            let table = ebcdic::from_latin1_table(page);
            write_bytes(out, symbols(plan).map(|c| table[c as usize]));
        }
        Encoding::HexAscii => {
            if let (Source::Hex(h), 0, 0) = (plan.source, plan.pad_left, plan.pad_right)
                && h.iter().all(|c| !c.is_ascii_lowercase())
            {
                out.put(h);
                return;
            }
            write_bytes(out, symbols(plan).flat_map(hex::byte_hex));
        }
        Encoding::Bcd { align, filler } => {
            let mut syms = symbols(plan);
            let mut digits = plan.units;
            if spec.content == Content::Xn {
                if let Some(sign) = syms.next() {
                    out.put(&[sign]);
                }
                digits = digits.saturating_sub(1);
            }
            let pad_first = align == Align::Right && digits % 2 == 1;
            let pad_last = align == Align::Left && digits % 2 == 1;
            let mut nibbles = core::iter::once(filler)
                .take(usize::from(pad_first))
                .chain(syms.map(|c| bcd_nibble(c).unwrap_or(0)))
                .chain(core::iter::once(filler).take(usize::from(pad_last)));
            let bytes = core::iter::from_fn(|| {
                let hi = nibbles.next()?;
                let lo = nibbles.next().unwrap_or(filler);
                Some((hi << 4) | (lo & 0xF))
            });
            write_bytes(out, bytes);
        }
    }
}

fn put_repeat(out: &mut impl Sink, c: u8, n: usize) {
    let block = [c; 32];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        out.put(block.get(..k).unwrap_or(&[]));
        left -= k;
    }
}

/// The logical symbols of a plan: padding and body.
fn symbols<'p>(plan: &'p Plan<'_>) -> impl Iterator<Item = u8> + 'p {
    let body: SourceIter<'_> = match plan.source {
        Source::Bytes(b) => SourceIter::Bytes(b.iter()),
        Source::Hex(h) => SourceIter::Hex(h.chunks_exact(2)),
        Source::Wire(..) => SourceIter::Bytes([].iter()),
    };
    core::iter::repeat_n(plan.pad, plan.pad_left)
        .chain(body)
        .chain(core::iter::repeat_n(plan.pad, plan.pad_right))
}

enum SourceIter<'v> {
    Bytes(core::slice::Iter<'v, u8>),
    Hex(core::slice::ChunksExact<'v, u8>),
}

impl Iterator for SourceIter<'_> {
    type Item = u8;
    #[inline]
    fn next(&mut self) -> Option<u8> {
        match self {
            SourceIter::Bytes(it) => it.next().copied(),
            SourceIter::Hex(it) => it.next().map(|p| {
                let hi = p.first().copied().and_then(hex::nibble).unwrap_or(0);
                let lo = p.get(1).copied().and_then(hex::nibble).unwrap_or(0);
                (hi << 4) | lo
            }),
        }
    }
}

/// Writes bytes from an iterator through a small stack buffer.
fn write_bytes(out: &mut impl Sink, bytes: impl Iterator<Item = u8>) {
    let mut chunk = [0u8; 64];
    let mut n = 0;
    for b in bytes {
        if let Some(slot) = chunk.get_mut(n) {
            *slot = b;
        }
        n += 1;
        if n == chunk.len() {
            out.put(&chunk);
            n = 0;
        }
    }
    out.put(chunk.get(..n).unwrap_or(&[]));
}

#[cfg(test)]
mod tests;
