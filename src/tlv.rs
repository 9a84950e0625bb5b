//! EMV BER-TLV, as carried in field 55 (ICC system related data).
//!
//! * Tags: one byte, or more when the first byte's low five bits are all set; each
//!   following byte with bit 8 set continues the tag (at most 4 bytes here).
//! * Lengths: `< 0x80` is the length itself; `0x81`..`0x84` announce 1 to 4 length
//!   bytes.
//! * A tag with bit 6 of its first byte set is *constructed*: its value is TLV again.
//!
//! [`Tlvs`] iterates a buffer without copying; malformed data ends the iteration with a
//! [`TlvError`] naming the byte offset. [`find`] looks a tag up, also inside constructed
//! tags.
//!
//! ```
//! use iso8583_wire::tlv::{self, Tag};
//!
//! let data = [0x9F, 0x27, 0x01, 0x80, 0x95, 0x05, 0, 0, 0, 0, 0];
//! let items: Vec<_> = tlv::Tlvs::new(&data).collect::<Result<_, _>>()?;
//! assert_eq!(items[0].tag, Tag::new(0x9F27));
//! assert_eq!(items[0].value, &[0x80]);
//! assert_eq!(items[1].tag.name(), Some("Terminal Verification Results"));
//! assert_eq!(tlv::find(&data, Tag::new(0x95))?.map(|t| t.value.len()), Some(5));
//! # Ok::<(), iso8583_wire::tlv::TlvError>(())
//! ```

use core::fmt;

/// A BER-TLV tag of 1 to 4 bytes, kept as its big-endian number (`9F26` = 0x9F26).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// A tag from its number (`Tag::new(0x9F26)`).
    pub const fn new(value: u32) -> Tag {
        Tag(value)
    }

    /// The tag's number.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Number of bytes the tag takes.
    pub const fn len(self) -> usize {
        match self.0 {
            0..=0xFF => 1,
            0x100..=0xFFFF => 2,
            0x1_0000..=0xFF_FFFF => 3,
            _ => 4,
        }
    }

    /// Always false: a tag has at least one byte.
    pub const fn is_empty(self) -> bool {
        false
    }

    /// The tag's bytes, written to the front of `out`; returns how many.
    pub fn write(self, out: &mut [u8; 4]) -> usize {
        let n = self.len();
        let be = self.0.to_be_bytes();
        for (o, b) in out.iter_mut().zip(be.iter().skip(4 - n)) {
            *o = *b;
        }
        n
    }

    /// The first byte.
    const fn first_byte(self) -> u8 {
        (self.0 >> (8 * (self.len() as u32 - 1))) as u8
    }

    /// Whether the tag is constructed (its value is TLV).
    pub const fn is_constructed(self) -> bool {
        self.first_byte() & 0x20 != 0
    }

    /// The EMV name of common tags.
    pub fn name(self) -> Option<&'static str> {
        EMV_TAGS
            .iter()
            .find(|(t, _, _)| *t == self.0)
            .map(|(_, name, _)| *name)
    }

    /// Whether the tag carries data that masked output always hides: PAN (`5A`), track
    /// data (`56`, `57`, `9F1F`, `9F20`, `9F6B`), PIN data (`99`), the cardholder's
    /// name (`5F20`, `9F0B`) and account (`5F53` IBAN), and the issuer-to-card
    /// cryptographic payloads `86` (script commands, which carry enciphered PINs for
    /// PIN change) and `91` (issuer authentication data).
    ///
    /// The cardholder name is cardholder data (PCI DSS) and personal data, and no
    /// operational reading of a dump needs it; `91` is masked because a single damaged
    /// bit turns `99` (PIN data) into `91`, and the two cannot be told apart.
    ///
    /// ```
    /// use iso8583_wire::tlv::Tag;
    ///
    /// assert!(Tag::new(0x5A).is_sensitive() && Tag::new(0x5F20).is_sensitive());
    /// assert!(!Tag::new(0x9F26).is_sensitive());
    /// ```
    pub fn is_sensitive(self) -> bool {
        EMV_TAGS
            .iter()
            .find(|(t, _, _)| *t == self.0)
            .is_some_and(|(_, _, s)| *s)
    }

    /// Whether masked output may show a primitive element of this tag holding
    /// `value`: the tag is a known EMV tag, not [sensitive](Tag::is_sensitive), and
    /// the value has the length and form EMV gives the tag (digits for numeric tags,
    /// printable characters for text tags, and no run of BCD digits as long as a PAN
    /// in a binary tag). Anything else may be card data under a damaged tag or length
    /// byte, and is hidden.
    ///
    /// ```
    /// use iso8583_wire::tlv::Tag;
    ///
    /// assert!(Tag::new(0x9F27).shown_masked(&[0x80]));
    /// assert!(!Tag::new(0x5A).shown_masked(&[0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19]));
    /// // A PAN under the Application Identifier's tag: not the form of an AID.
    /// assert!(!Tag::new(0x4F).shown_masked(&[0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19]));
    /// // An unknown tag.
    /// assert!(!Tag::new(0xDA).shown_masked(&[0x01]));
    /// ```
    pub fn shown_masked(self, value: &[u8]) -> bool {
        shown_masked_with(self, value.len(), |i| value.get(i).copied())
    }

    /// Whether masked output must hide `value` (BER-TLV, the value of a constructed
    /// tag or a whole field 55): it is malformed, nests deeper than [`MAX_DEPTH`], or
    /// holds at any depth an element [`Tag::shown_masked`] refuses.
    ///
    /// ```
    /// use iso8583_wire::tlv::Tag;
    ///
    /// assert!(!Tag::holds_sensitive(&[0x9F, 0x27, 0x01, 0x80]));
    /// assert!(Tag::holds_sensitive(&[0x5A, 0x02, 0x47, 0x61]));
    /// assert!(Tag::holds_sensitive(&[0x9F, 0x27, 0x05, 0x80])); // malformed
    /// ```
    pub fn holds_sensitive(value: &[u8]) -> bool {
        mask_verdict(&value) != Verdict::Shown
    }

    /// Parses a tag from hex text (`"9F26"`).
    pub fn from_hex(text: &str) -> Option<Tag> {
        if text.is_empty() || text.len() > 8 || !text.len().is_multiple_of(2) {
            return None;
        }
        u32::from_str_radix(text, 16).ok().map(Tag)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.len() * 2;
        write!(f, "{:0width$X}", self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// What is wrong with TLV data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlvErrorKind {
    /// The data ends inside a tag.
    TruncatedTag,
    /// A tag longer than 4 bytes.
    TagTooLong,
    /// The data ends inside a length.
    TruncatedLength,
    /// A length form this crate does not accept (`0x80` indefinite, or more than 4
    /// length bytes).
    BadLengthForm(u8),
    /// The value is longer than the data left.
    ValueBeyondEnd {
        /// The length announced.
        length: usize,
        /// Bytes left.
        available: usize,
    },
    /// Nesting deeper than the limit.
    TooDeep,
}

/// Malformed TLV data, with the byte offset of the element at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("malformed TLV at byte {offset}: {kind}")]
pub struct TlvError {
    /// Offset of the element (from the start of the data given to the iterator).
    pub offset: usize,
    /// What is wrong.
    pub kind: TlvErrorKind,
}

impl fmt::Display for TlvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TlvErrorKind::TruncatedTag => f.write_str("data ends inside a tag"),
            TlvErrorKind::TagTooLong => f.write_str("tag longer than 4 bytes"),
            TlvErrorKind::TruncatedLength => f.write_str("data ends inside a length"),
            TlvErrorKind::BadLengthForm(b) => write!(f, "unsupported length form 0x{b:02X}"),
            TlvErrorKind::ValueBeyondEnd { length, available } => {
                write!(f, "value of {length} bytes, only {available} left")
            }
            TlvErrorKind::TooDeep => f.write_str("constructed tags nested too deep"),
        }
    }
}

/// One element: tag, value (borrowed), and where it starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The value bytes.
    pub value: &'a [u8],
    /// Offset of the tag's first byte in the data iterated.
    pub offset: usize,
    /// Offset of the first value byte in the data iterated.
    pub value_offset: usize,
}

impl fmt::Debug for Tlv<'_> {
    /// The value is shown as hex only when masked output may show it
    /// ([`Tag::shown_masked`]); otherwise its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Tlv");
        d.field("tag", &self.tag).field("offset", &self.offset);
        if !self.tag.shown_masked(self.value) {
            d.field("value_len", &self.value.len());
        } else {
            d.field("value", &crate::wire::hex::Hex(self.value).to_display());
        }
        d.finish()
    }
}

impl<'a> Tlv<'a> {
    /// The elements inside a constructed tag (empty iteration for a primitive one).
    pub fn children(&self) -> Tlvs<'a> {
        if self.tag.is_constructed() {
            Tlvs::with_base(self.value, self.value_offset)
        } else {
            Tlvs::with_base(&[], self.value_offset)
        }
    }
}

/// Iterator over the TLV elements of a buffer (one level; see [`Tlv::children`]).
#[derive(Clone)]
pub struct Tlvs<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    failed: bool,
}

impl fmt::Debug for Tlvs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tlvs")
            .field("len", &self.data.len())
            .field("pos", &self.pos)
            .finish()
    }
}

impl<'a> Tlvs<'a> {
    /// Iterates `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Tlvs::with_base(data, 0)
    }

    fn with_base(data: &'a [u8], base: usize) -> Self {
        Tlvs {
            data,
            pos: 0,
            base,
            failed: false,
        }
    }

    fn parse_one(&mut self) -> Result<Tlv<'a>, TlvErrorKind> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or(&[]);
        let first = *rest.first().ok_or(TlvErrorKind::TruncatedTag)?;
        let mut tag = u32::from(first);
        let mut i = 1;
        if first & 0x1F == 0x1F {
            loop {
                let b = *rest.get(i).ok_or(TlvErrorKind::TruncatedTag)?;
                i += 1;
                if i > 4 {
                    return Err(TlvErrorKind::TagTooLong);
                }
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let lb = *rest.get(i).ok_or(TlvErrorKind::TruncatedLength)?;
        i += 1;
        let length = if lb < 0x80 {
            usize::from(lb)
        } else {
            let n = usize::from(lb & 0x7F);
            if n == 0 || n > 4 {
                return Err(TlvErrorKind::BadLengthForm(lb));
            }
            let bytes = rest.get(i..i + n).ok_or(TlvErrorKind::TruncatedLength)?;
            i += n;
            bytes.iter().fold(0usize, |v, &b| (v << 8) | usize::from(b))
        };
        let available = rest.len() - i;
        if length > available {
            return Err(TlvErrorKind::ValueBeyondEnd { length, available });
        }
        let value = rest.get(i..i + length).unwrap_or(&[]);
        self.pos = start + i + length;
        Ok(Tlv {
            tag: Tag(tag),
            value,
            offset: self.base + start,
            value_offset: self.base + start + i,
        })
    }
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Result<Tlv<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let offset = self.base + self.pos;
        match self.parse_one() {
            Ok(t) => Some(Ok(t)),
            Err(kind) => {
                self.failed = true;
                Some(Err(TlvError { offset, kind }))
            }
        }
    }
}

/// Nesting limit for [`find`] and [`validate`].
pub const MAX_DEPTH: usize = 8;

/// Checks that `data` is well-formed TLV, constructed tags included.
///
/// # Errors
///
/// [`TlvError`] naming the offset of the first malformed tag or length, or a value running
/// past the end.
pub fn validate(data: &[u8]) -> Result<(), TlvError> {
    fn walk(items: Tlvs<'_>, depth: usize) -> Result<(), TlvError> {
        for item in items {
            let item = item?;
            if item.tag.is_constructed() {
                if depth >= MAX_DEPTH {
                    return Err(TlvError {
                        offset: item.offset,
                        kind: TlvErrorKind::TooDeep,
                    });
                }
                walk(item.children(), depth + 1)?;
            }
        }
        Ok(())
    }
    walk(Tlvs::new(data), 0)
}

/// The first element with `tag`, searching constructed tags depth-first.
///
/// # Errors
///
/// [`TlvError`] when the data is malformed before the tag is found.
pub fn find(data: &[u8], tag: Tag) -> Result<Option<Tlv<'_>>, TlvError> {
    fn walk<'a>(items: Tlvs<'a>, tag: Tag, depth: usize) -> Result<Option<Tlv<'a>>, TlvError> {
        for item in items {
            let item = item?;
            if item.tag == tag {
                return Ok(Some(item));
            }
            if item.tag.is_constructed()
                && depth < MAX_DEPTH
                && let Some(found) = walk(item.children(), tag, depth + 1)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
    walk(Tlvs::new(data), tag, 0)
}

/// Writes one element's tag and length (BER, shortest form) to `out`; returns the bytes
/// used (at most 9).
pub fn write_header(tag: Tag, length: usize, out: &mut [u8; 9]) -> usize {
    let mut t = [0u8; 4];
    let n = tag.write(&mut t);
    let mut i = 0;
    for &b in t.iter().take(n) {
        if let Some(o) = out.get_mut(i) {
            *o = b;
        }
        i += 1;
    }
    let len_bytes = (length as u64).to_be_bytes();
    let significant = if length < 0x80 {
        0
    } else {
        8 - (length as u64).leading_zeros() as usize / 8
    };
    if significant == 0 {
        if let Some(o) = out.get_mut(i) {
            *o = length as u8;
        }
        i += 1;
    } else {
        if let Some(o) = out.get_mut(i) {
            *o = 0x80 | significant as u8;
        }
        i += 1;
        for &b in len_bytes.iter().skip(8 - significant) {
            if let Some(o) = out.get_mut(i) {
                *o = b;
            }
            i += 1;
        }
    }
    i
}

/// Random access to the bytes of BER-TLV data, raw or as hex characters.
pub(crate) trait ByteSource {
    /// Number of bytes.
    fn byte_len(&self) -> usize;
    /// Byte `i`, if it exists (and, for hex text, is made of two hex characters).
    fn byte(&self, i: usize) -> Option<u8>;
}

impl ByteSource for &[u8] {
    fn byte_len(&self) -> usize {
        self.len()
    }
    fn byte(&self, i: usize) -> Option<u8> {
        self.get(i).copied()
    }
}

/// BER-TLV written as hex characters (text field 55, `"5A08..."`).
pub(crate) struct HexText<'a>(pub &'a [u8]);

impl ByteSource for HexText<'_> {
    fn byte_len(&self) -> usize {
        self.0.len() / 2
    }
    fn byte(&self, i: usize) -> Option<u8> {
        let hi = crate::wire::hex::nibble(*self.0.get(i.checked_mul(2)?)?)?;
        let lo = crate::wire::hex::nibble(*self.0.get(i.checked_mul(2)?.checked_add(1)?)?)?;
        Some((hi << 4) | lo)
    }
}

/// What masked output may do with BER-TLV data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Well-formed, and every element may be shown.
    Shown,
    /// Well-formed, with elements that must be hidden (their neighbours may be shown).
    Hidden,
    /// Not well-formed BER-TLV (or hex text that is not hex): everything hidden.
    Malformed,
}

/// The masking verdict on BER-TLV data (raw bytes or hex text).
pub(crate) fn mask_verdict<S: ByteSource>(src: &S) -> Verdict {
    fn walk<S: ByteSource>(s: &S, start: usize, end: usize, depth: usize) -> Verdict {
        let mut verdict = Verdict::Shown;
        let mut pos = start;
        while pos < end {
            let Some((tag, from, to)) = element(&|i| s.byte(i), pos, end, true) else {
                return Verdict::Malformed;
            };
            if tag.is_constructed() {
                if depth >= MAX_DEPTH {
                    return Verdict::Malformed;
                }
                match walk(s, from, to, depth + 1) {
                    Verdict::Malformed => return Verdict::Malformed,
                    Verdict::Hidden => verdict = Verdict::Hidden,
                    Verdict::Shown => {}
                }
            } else if !shown_masked_with(tag, to - from, |i| {
                from.checked_add(i)
                    .filter(|&j| j < to)
                    .and_then(|j| s.byte(j))
            }) {
                verdict = Verdict::Hidden;
            }
            pos = to;
        }
        verdict
    }
    walk(src, 0, src.byte_len(), 0)
}

/// The tag, value start and value end of the BER-TLV element at `pos`, reading
/// bytes through `byte` and nothing at or after `end`. With `whole`, the value must
/// end by `end`; without, it need only start before it (a header seen in a value cut
/// short).
fn element(
    byte: &impl Fn(usize) -> Option<u8>,
    pos: usize,
    end: usize,
    whole: bool,
) -> Option<(Tag, usize, usize)> {
    let get = |i: usize| if i < end { byte(i) } else { None };
    let first = get(pos)?;
    let mut tag = u32::from(first);
    let mut i = pos.checked_add(1)?;
    if first & 0x1F == 0x1F {
        loop {
            let b = get(i)?;
            i = i.checked_add(1)?;
            if i - pos > 4 {
                return None;
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let lb = get(i)?;
    i = i.checked_add(1)?;
    let length = if lb < 0x80 {
        usize::from(lb)
    } else {
        let n = usize::from(lb & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let mut v = 0usize;
        for _ in 0..n {
            v = v.checked_mul(256)?.checked_add(usize::from(get(i)?))?;
            i = i.checked_add(1)?;
        }
        v
    };
    let value_end = i.checked_add(length)?;
    let fits = if whole { value_end <= end } else { i < end };
    fits.then_some((Tag(tag), i, value_end))
}

/// The value forms of EMV (Book 3, annex A) that masking checks.
#[derive(Clone, Copy)]
enum Form {
    /// Packed BCD digits (`n`).
    Numeric,
    /// Printable ASCII (`a`, `an`, `ans`).
    Text,
    /// Binary with no further form (`b`).
    Binary,
    /// An application identifier: a registered (`A`) or national (`D`) RID first.
    Aid,
}

/// Length bounds (bytes) and form of the known primitive tags, as EMV defines them.
fn emv_form(tag: u32) -> Option<(usize, usize, Form)> {
    use Form::{Aid, Binary, Numeric, Text};
    Some(match tag {
        0x42 => (3, 4, Numeric),
        0x4F | 0x84 | 0x9F06 => (5, 16, Aid),
        0x50 | 0x9F12 => (1, 16, Text),
        0x5F24 | 0x5F25 | 0x9A | 0x9F21 => (3, 3, Numeric),
        0x5F28 | 0x5F2A | 0x5F30 | 0x9F15 | 0x9F1A => (2, 2, Numeric),
        0x5F2D => (2, 8, Text),
        0x5F34 | 0x9C | 0x9F35 | 0x9F39 => (1, 1, Numeric),
        0x82 | 0x9B | 0x9F07 | 0x9F09 | 0x9F36 => (2, 2, Binary),
        0x89 => (6, 6, Text),
        0x8A => (2, 2, Text),
        0x95 | 0x9F0D | 0x9F0E | 0x9F0F | 0x9F40 => (5, 5, Binary),
        0x9F01..=0x9F03 => (6, 6, Numeric),
        0x9F10 => (0, 32, Binary),
        0x9F16 => (15, 15, Text),
        0x9F1C | 0x9F1E => (8, 8, Text),
        0x9F26 => (8, 8, Binary),
        0x9F27 | 0x9F53 => (1, 1, Binary),
        0x9F33 | 0x9F34 => (3, 3, Binary),
        0x9F37 | 0x9F66 => (4, 4, Binary),
        0x9F41 => (2, 4, Numeric),
        0x9F5B | 0xDF31 => (0, 255, Binary),
        0x9F63 => (16, 16, Binary),
        0x9F6E => (4, 32, Binary),
        0x9F74 => (6, 6, Text),
        _ => return None,
    })
}

/// [`Tag::shown_masked`] over a value of `len` bytes read through `byte`.
fn shown_masked_with(tag: Tag, len: usize, byte: impl Fn(usize) -> Option<u8>) -> bool {
    if tag.is_sensitive() || tag.is_constructed() {
        return false;
    }
    let Some((min, max, form)) = emv_form(tag.0) else {
        return false;
    };
    if len < min || len > max {
        return false;
    }
    let bytes = || (0..len).map(&byte);
    match form {
        Form::Numeric => bytes().all(|b| b.is_some_and(|b| b >> 4 <= 9 && b & 0xF <= 9)),
        Form::Text => bytes().all(|b| b.is_some_and(|b| (0x20..=0x7E).contains(&b))),
        Form::Aid => {
            bytes().all(|b| b.is_some()) && byte(0).is_some_and(|b| b >> 4 == 0xA || b >> 4 == 0xD)
        }
        // Only a tag of variable length can swallow a neighbour whole or in part.
        Form::Binary => {
            bytes().all(|b| b.is_some())
                && !card_shaped(len, &byte)
                && (min == max || !embeds_sensitive(len, &byte))
        }
    }
}

/// Whether a binary value holds a run that reads like a PAN or track 2 in BCD: 6
/// bytes in a row (12 digits, the shortest PAN) of decimal nibbles, `D` separators and
/// `F` padding, with at least four different digits (so that runs of zeros and the
/// like in issuer data are not taken for card data).
fn card_shaped(len: usize, byte: &impl Fn(usize) -> Option<u8>) -> bool {
    const RUN: usize = 6;
    let bcd = |b: u8| {
        [b >> 4, b & 0xF]
            .iter()
            .all(|&n| n <= 9 || n == 0xD || n == 0xF)
    };
    let mut start = 0;
    while start + RUN <= len {
        let Some(bad) = (start..start + RUN)
            .rev()
            .find(|&i| !byte(i).is_some_and(bcd))
        else {
            let mut digits = 0u16;
            for b in (start..start + RUN).filter_map(byte) {
                for n in [b >> 4, b & 0xF] {
                    if n <= 9 {
                        digits |= 1 << n;
                    }
                }
            }
            if digits.count_ones() >= 4 {
                return true;
            }
            start += 1;
            continue;
        };
        start = bad + 1;
    }
    false
}

/// Whether a value holds, at any offset, the start of an element of a sensitive tag
/// announcing a value of a length that tag takes (4 bytes or more): what a length
/// byte damaged upwards makes a harmless tag swallow, whole or in part
/// (`9F10 0D 06010A03A00000 5A08 47617303`).
fn embeds_sensitive(len: usize, byte: &impl Fn(usize) -> Option<u8>) -> bool {
    let longest = |tag: Tag| match tag.0 {
        0x5A => 10,
        0x57 | 0x9F6B => 19,
        0x99 | 0x91 | 0x9F20 => 16,
        0x5F20 => 26,
        0x5F53 => 34,
        0x9F0B => 45,
        _ => 255,
    };
    (0..len).any(|i| {
        element(byte, i, len, false).is_some_and(|(tag, from, to)| {
            tag.is_sensitive() && (4..=longest(tag)).contains(&(to - from))
        })
    })
}

/// Builds BER-TLV data, constructed tags included.
///
/// ```
/// use iso8583_wire::tlv::{Tag, TlvBuilder, Tlvs};
///
/// let mut b = TlvBuilder::new();
/// b.put(Tag::new(0x9F02), &[0, 0, 0, 0, 0x10, 0]);
/// b.begin(Tag::new(0x71)); // issuer script template
/// b.put(Tag::new(0x86), &[0x84, 0x24]);
/// b.end();
/// let data = b.finish();
/// assert_eq!(data, [0x9F, 0x02, 6, 0, 0, 0, 0, 0x10, 0, 0x71, 4, 0x86, 2, 0x84, 0x24]);
/// assert_eq!(Tlvs::new(&data).count(), 2);
/// ```
///
/// `Debug` shows sizes only: the data may hold card data.
#[cfg(feature = "alloc")]
#[derive(Default, Clone)]
pub struct TlvBuilder {
    out: alloc::vec::Vec<u8>,
    open: alloc::vec::Vec<(Tag, usize)>,
}

#[cfg(feature = "alloc")]
impl fmt::Debug for TlvBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlvBuilder")
            .field("len", &self.out.len())
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "alloc")]
impl TlvBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        TlvBuilder::default()
    }

    /// Appends a primitive element.
    pub fn put(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        let mut h = [0u8; 9];
        let n = write_header(tag, value.len(), &mut h);
        self.out.extend_from_slice(h.get(..n).unwrap_or(&[]));
        self.out.extend_from_slice(value);
        self
    }

    /// Opens a constructed element; close it with [`TlvBuilder::end`].
    pub fn begin(&mut self, tag: Tag) -> &mut Self {
        self.open.push((tag, self.out.len()));
        self
    }

    /// Closes the innermost open constructed element.
    pub fn end(&mut self) -> &mut Self {
        if let Some((tag, start)) = self.open.pop() {
            let body: alloc::vec::Vec<u8> = self.out.split_off(start);
            self.put(tag, &body);
        }
        self
    }

    /// The encoded data (open constructed elements are closed first).
    pub fn finish(mut self) -> alloc::vec::Vec<u8> {
        while !self.open.is_empty() {
            self.end();
        }
        self.out
    }
}

/// Common EMV tags: number, name, whether masked output always hides the value (see
/// [`Tag::is_sensitive`]). Masked output also hides tags missing from this table.
pub static EMV_TAGS: &[(u32, &str, bool)] = &[
    (0x42, "Issuer Identification Number", false),
    (0x4F, "Application Identifier (AID) - card", false),
    (0x50, "Application Label", false),
    (0x56, "Track 1 Equivalent Data", true),
    (0x57, "Track 2 Equivalent Data", true),
    (0x5A, "Application Primary Account Number (PAN)", true),
    (0x5F20, "Cardholder Name", true),
    (0x5F53, "International Bank Account Number (IBAN)", true),
    (0x5F24, "Application Expiration Date", false),
    (0x5F25, "Application Effective Date", false),
    (0x5F28, "Issuer Country Code", false),
    (0x5F2A, "Transaction Currency Code", false),
    (0x5F2D, "Language Preference", false),
    (0x5F30, "Service Code", false),
    (0x5F34, "Application PAN Sequence Number", false),
    (0x71, "Issuer Script Template 1", false),
    (0x72, "Issuer Script Template 2", false),
    (0x82, "Application Interchange Profile", false),
    (0x84, "Dedicated File (DF) Name", false),
    (0x86, "Issuer Script Command", true),
    (0x89, "Authorisation Code", false),
    (0x8A, "Authorisation Response Code", false),
    (0x91, "Issuer Authentication Data", true),
    (0x95, "Terminal Verification Results", false),
    (0x9A, "Transaction Date", false),
    (0x9B, "Transaction Status Information", false),
    (
        0x99,
        "Transaction Personal Identification Number (PIN) Data",
        true,
    ),
    (0x9C, "Transaction Type", false),
    (0x9F01, "Acquirer Identifier", false),
    (0x9F02, "Amount, Authorised (Numeric)", false),
    (0x9F03, "Amount, Other (Numeric)", false),
    (0x9F06, "Application Identifier (AID) - terminal", false),
    (0x9F07, "Application Usage Control", false),
    (0x9F09, "Application Version Number - terminal", false),
    (0x9F0B, "Cardholder Name Extended", true),
    (0x9F0D, "Issuer Action Code - Default", false),
    (0x9F0E, "Issuer Action Code - Denial", false),
    (0x9F0F, "Issuer Action Code - Online", false),
    (0x9F10, "Issuer Application Data", false),
    (0x9F12, "Application Preferred Name", false),
    (0x9F15, "Merchant Category Code", false),
    (0x9F16, "Merchant Identifier", false),
    (0x9F1A, "Terminal Country Code", false),
    (0x9F1C, "Terminal Identification", false),
    (0x9F1E, "Interface Device (IFD) Serial Number", false),
    (0x9F1F, "Track 1 Discretionary Data", true),
    (0x9F20, "Track 2 Discretionary Data", true),
    (0x9F21, "Transaction Time", false),
    (0x9F26, "Application Cryptogram", false),
    (0x9F27, "Cryptogram Information Data", false),
    (0x9F33, "Terminal Capabilities", false),
    (
        0x9F34,
        "Cardholder Verification Method (CVM) Results",
        false,
    ),
    (0x9F35, "Terminal Type", false),
    (0x9F36, "Application Transaction Counter (ATC)", false),
    (0x9F37, "Unpredictable Number", false),
    (0x9F39, "Point-of-Service (POS) Entry Mode", false),
    (0x9F40, "Additional Terminal Capabilities", false),
    (0x9F41, "Transaction Sequence Counter", false),
    (0x9F53, "Transaction Category Code", false),
    (0x9F5B, "Issuer Script Results", false),
    (0x9F63, "Card Product Identification Information", false),
    (0x9F66, "Terminal Transaction Qualifiers (TTQ)", false),
    (0x9F6B, "Track 2 Data (contactless)", true),
    (0x9F6E, "Form Factor Indicator / Third Party Data", false),
    (0x9F74, "VLP Issuer Authorisation Code", false),
    (0xDF31, "Issuer Script Results (UnionPay)", false),
];

#[cfg(test)]
mod tests;
