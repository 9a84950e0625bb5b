//! The decoded message: a view that borrows the input.
//!
//! [`Message::decode`] walks the input once: header, MTI, bitmaps, then each present
//! field, checking its content. It records where each field ends and nothing else, so
//! decoding allocates nothing and any field is found in constant time afterwards.
//!
//! ```
//! use iso8583_wire::layouts::ISO87_ASCII;
//!
//! let wire = b"0800822000000000000004000000000000000315143015000124301";
//! let msg = ISO87_ASCII.decode(wire)?;
//! assert_eq!(msg.mti().to_string(), "0800");
//! assert_eq!(msg.field(11).and_then(|f| f.as_str()), Some("000124"));
//! assert_eq!(msg.field(70).map(|f| f.to_u64()), Some(Ok(301)));
//! assert!(msg.field(2).is_none());
//! # Ok::<(), iso8583_wire::DecodeError>(())
//! ```

use core::fmt;

use crate::bitmap::{Bitmap, MAX_FIELD};
use crate::error::{DecodeError, DecodeErrorKind, Part};
use crate::mti::Mti;
use crate::spec::{
    BitmapUnit, Content, ContentMode, Counts, Encoding, FastSize, FieldSpec, Length, MessageSpec,
    Prefix, PrefixEncoding, Sensitivity,
};
use crate::wire::decode::{self as dec, Fault};
use crate::wire::{Symbols, hex};

/// The longest message [`Message::decode`] accepts: 65535 bytes, the most a 2-byte
/// length header can frame (field offsets are kept as 16-bit numbers).
pub const MAX_MESSAGE_LEN: usize = u16::MAX as usize;

/// A free-text field whose characters break its class (see
/// [`Message::class_violations`]).
pub(crate) struct ClassViolation {
    pub field: usize,
    /// Offset of the field's data in the input.
    pub start: usize,
    /// Offset of the first bad byte in the field's data.
    pub position: usize,
    pub kind: DecodeErrorKind,
}

/// A decoded message borrowing its input.
///
/// ```
/// use iso8583_wire::{Message, layouts::ISO87_ASCII};
///
/// let wire = b"02003020000000C00000000000000000001500000042TERM0001MERCHANT0000001";
/// let msg = Message::decode(&ISO87_ASCII, wire)?;
/// assert_eq!(msg.mti().to_string(), "0200");
/// assert_eq!(msg.field_numbers().collect::<Vec<_>>(), [3, 4, 11, 41, 42]);
/// assert_eq!(msg.field(4).map(|f| f.to_u64()), Some(Ok(1500)));
/// assert_eq!(msg.stan()?.value(), 42);
/// // Every field is a view into `wire`: nothing was copied.
/// assert_eq!(msg.field(41).unwrap().data(), b"TERM0001");
/// # Ok::<(), iso8583_wire::Error>(())
/// ```
// A message is zeroed, filled and then moved at least once (out of `decode`, then
// through `?` or a `match`), so its size is paid on every decode: it fills four
// cache lines exactly, aligned so that each move copies whole lines.
#[derive(Clone)]
#[repr(C, align(64))]
pub struct Message<'a> {
    /// Where the present data fields end. Fields 1-64 by number: field `n` at index
    /// `n - 1`, found without a count. Fields 65-192 (rarer, and never many) by rank
    /// from index 64: the first present one at 64, the next at 65, as many as fit;
    /// any further are sized again when asked for.
    ends: [u16; ENDS],
    /// Where the first data field starts.
    fields_start: u16,
    mti: Mti,
    spec: &'a MessageSpec<'a>,
    input: &'a [u8],
    /// The bitmaps as received (extension bits included).
    bitmap: Bitmap,
    /// Data fields present (extension bits removed).
    present: Bitmap,
}

/// The size of [`Message`]'s table of field ends: 64 by number, then 25 by rank.
pub(crate) const ENDS: usize = 89;

/// Where the ends of fields 65-192 start in [`Message`]'s table.
pub(crate) const LATER: usize = 64;

/// The slot of present field `n`'s end in [`Message`]'s table, the fields taken in
/// ascending order: `n - 1` for fields 1-64, else `later`, which then moves on (it
/// starts at [`LATER`]). A slot past the table means the end is not kept.
#[inline(always)]
fn end_slot(n: usize, later: &mut usize) -> usize {
    if n <= LATER {
        n.wrapping_sub(1)
    } else {
        *later += 1;
        *later - 1
    }
}

impl<'a> Message<'a> {
    /// Decodes `input` as one whole message of layout `spec`, checking free-text
    /// fields as the layout's [`MessageSpec::content_mode`] says (lenient unless the
    /// layout was made strict).
    ///
    /// Every byte must be accounted for: bytes after the last announced field are an
    /// error. Structure is checked as the fields are located: length prefixes and
    /// maxima, digits in `n` fields, BCD nibbles, hex characters (see [`ContentMode`]).
    ///
    /// # Errors
    ///
    /// [`DecodeError`] naming the part (header, MTI, a bitmap, a field's prefix or data,
    /// trailing bytes), the byte offset, what was expected and what was found.
    #[inline]
    pub fn decode(spec: &'a MessageSpec<'a>, input: &'a [u8]) -> Result<Message<'a>, DecodeError> {
        Self::decode_with(spec, input, spec.content_mode)
    }

    /// Decodes `input` as [`Message::decode`] does, with free-text fields checked as
    /// `mode` says whatever the layout's default.
    ///
    /// ```
    /// use iso8583_wire::{Message, layouts::ISO87_ASCII, spec::ContentMode};
    ///
    /// // Field 37 (RRN, an 12) holding "RRN-0001" and its pad spaces.
    /// let wire = b"02000000000008000000RRN-0001    ";
    /// let lenient = Message::decode_with(&ISO87_ASCII, wire, ContentMode::Lenient)?;
    /// assert_eq!(lenient.field(37).and_then(|f| f.as_str()), Some("RRN-0001    "));
    /// let err = Message::decode_with(&ISO87_ASCII, wire, ContentMode::Strict).unwrap_err();
    /// assert_eq!(err.field(), Some(37));
    /// assert_eq!(err.to_string(),
    ///     "field 37 at byte 23: expected a letter or digit, found 0x2D '-'");
    /// # Ok::<(), iso8583_wire::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Message::decode`]; in strict mode also a free-text character outside its class.
    #[inline]
    pub fn decode_with(
        spec: &'a MessageSpec<'a>,
        input: &'a [u8],
        mode: ContentMode,
    ) -> Result<Message<'a>, DecodeError> {
        // One value, built where it is returned: the fast path fills its field table in
        // place, and nothing is reassigned on the way out (each reassignment of a
        // `Result` this size is a copy the caller pays for).
        let mut msg = Message {
            ends: [0u16; ENDS],
            fields_start: 0,
            mti: Mti::from_valid_digits([0; 4]),
            spec,
            input,
            bitmap: Bitmap::new(),
            present: Bitmap::new(),
        };
        let Some(found) = crate::wire::scan::scan(spec, input, &mut msg.ends) else {
            return Self::decode_slow(spec, input, mode);
        };
        // Filled here rather than in the scanner, so that a caller reading the MTI or
        // the bitmap gets it from a register.
        msg.fill(found);
        if mode == ContentMode::Strict {
            msg.check_classes()?;
        }
        Ok(msg)
    }

    /// What the fast path could not settle: the detailed decoder, then the classes in
    /// strict mode.
    #[cold]
    #[inline(never)]
    fn decode_slow(
        spec: &'a MessageSpec<'a>,
        input: &'a [u8],
        mode: ContentMode,
    ) -> Result<Message<'a>, DecodeError> {
        let msg = Self::decode_detailed(spec, input)?;
        if mode == ContentMode::Strict {
            msg.check_classes()?;
        }
        Ok(msg)
    }

    /// The first field whose characters break its free-text class (strict mode), as
    /// a decode error with the field and the offset of the character.
    #[inline]
    pub(crate) fn check_classes(&self) -> Result<(), DecodeError> {
        // One walk over the present fields, their starts from the ends already found;
        // only the free-text ones are looked at.
        // `present` holds data fields only (extension bits removed at decode).
        let present = self.present.words();
        let mut start = usize::from(self.fields_start);
        let mut later = LATER;
        for (w, (&word, &text)) in present.iter().zip(&self.spec.free_text).enumerate() {
            let mut bits = word;
            while bits != 0 {
                let top = bits.leading_zeros() as usize;
                bits &= !(1u64 << (63 - top));
                let n = w * 64 + top + 1;
                let end = self.end_of(n, &mut later, start);
                if text >> (63 - top) & 1 == 1
                    && let Some(v) = self.class_violation_at(n, start, end)
                {
                    return Err(DecodeError {
                        part: Part::Field(v.field),
                        offset: v.start + v.position,
                        kind: v.kind,
                    });
                }
                start = end;
            }
        }
        Ok(())
    }

    /// Field `n`, whose wire bytes are `start..end`, checked against its class.
    fn class_violation_at(&self, n: usize, start: usize, end: usize) -> Option<ClassViolation> {
        let spec = self.spec.field(n)?;
        let wire = self.input.get(start..end)?;
        // A fixed ASCII field whose bytes all pass is every class's common case: a
        // plain comparison per byte, which the compiler runs many bytes at a time.
        if let (Length::Fixed(_), Encoding::Ascii) = (spec.length, spec.encoding) {
            let passes = match spec.content {
                // Latin-1 letters fail here and are judged by the full check.
                Content::Ans => crate::wire::fast::all_printable_ascii(wire),
                Content::An => crate::wire::fast::all_alnum(wire),
                Content::AOrN => {
                    crate::wire::fast::all_digits(wire) || wire.iter().all(u8::is_ascii_alphabetic)
                }
                _ => wire.iter().all(|&c| spec.content.allows(c)),
            };
            if passes {
                return None;
            }
        }
        self.violation_of(Field::from_wire(n, spec, wire))
    }

    /// Field `n` checked against its class, if it breaks it.
    #[cfg(feature = "alloc")]
    fn class_violation(&self, n: usize) -> Option<ClassViolation> {
        self.violation_of(self.field(n)?)
    }

    /// `f` checked against its class, if it is free text and breaks it.
    fn violation_of(&self, f: Field<'_>) -> Option<ClassViolation> {
        let n = f.number();
        if !f.spec.content.is_free_text() {
            return None;
        }
        let data = f.data;
        let start = data.as_ptr() as usize - self.input.as_ptr() as usize;
        dec::check_content(f.spec, data, f.units, ContentMode::Strict)
            .err()
            .map(|(position, kind)| ClassViolation {
                field: n,
                start,
                position,
                kind,
            })
    }

    /// Every free-text field whose characters break its class.
    #[cfg(feature = "alloc")]
    pub(crate) fn class_violations(&self) -> impl Iterator<Item = ClassViolation> + '_ {
        self.present.iter().filter_map(|n| self.class_violation(n))
    }

    /// Decodes with the detailed parsers alone, skipping the fast path.
    ///
    /// Gives the same result as [`Message::decode`], more slowly; it exists so that
    /// tests and fuzz targets can check that the two paths agree.
    ///
    /// ```
    /// use iso8583_wire::{Message, layouts::ISO87_ASCII};
    ///
    /// let wire = b"0800822000000000000004000000000000000315143015000124301";
    /// assert!(Message::decode_without_fast_path(&ISO87_ASCII, wire)? == ISO87_ASCII.decode(wire)?);
    /// # Ok::<(), iso8583_wire::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Message::decode`].
    #[doc(hidden)]
    pub fn decode_without_fast_path(
        spec: &'a MessageSpec<'a>,
        input: &'a [u8],
    ) -> Result<Message<'a>, DecodeError> {
        Self::decode_detailed(spec, input)
    }

    /// Takes what the fast path (see [`crate::wire::scan`]) found besides the field ends.
    #[inline(always)]
    fn fill(&mut self, found: crate::wire::scan::Scanned) {
        self.mti = found.mti;
        self.bitmap = Bitmap::from_words(found.words);
        // Derived here rather than passed back: the scanner returns less.
        self.present = Bitmap::from_words(self.spec.bitmap.data_words(found.words));
        self.fields_start = found.fields_start as u16;
    }

    /// Where field `n`, present and starting at `start`, ends. `later` is the index
    /// of the next field past 64 in the table of ends, moved on when `n` is one; a
    /// field past the table is sized again.
    #[inline]
    fn end_of(&self, n: usize, later: &mut usize, start: usize) -> usize {
        match self.ends.get(end_slot(n, later)) {
            Some(&end) => usize::from(end),
            None => start + self.size_at(n, start),
        }
    }

    /// The wire size of field `n` at `start`, for a field past the table of ends.
    /// The message was decoded, so the field sizes as it did then.
    #[cold]
    #[inline(never)]
    fn size_at(&self, n: usize, start: usize) -> usize {
        let rest = self.input.get(start..).unwrap_or(&[]);
        self.spec
            .fields
            .get(n)
            .and_then(Option::as_ref)
            .and_then(|fspec| crate::wire::fast::field_len(self.spec.fast_field(n), fspec, rest))
            .unwrap_or(0)
    }

    /// The detailed decoder: the nom parsers, field by field, with a precise error (or
    /// a message the fast path was too strict for).
    #[cold]
    #[inline(never)]
    fn decode_detailed(
        spec: &'a MessageSpec<'a>,
        input: &'a [u8],
    ) -> Result<Message<'a>, DecodeError> {
        let out = Self::decode_parsers(spec, input);
        if let Err(e) = &out {
            // The error's text masks the bytes of sensitive fields.
            crate::event!(debug, layout = spec.name, error = %e, "message refused");
            let _ = e;
        }
        out
    }

    /// The nom parsers, field by field.
    fn decode_parsers(
        spec: &'a MessageSpec<'a>,
        input: &'a [u8],
    ) -> Result<Message<'a>, DecodeError> {
        let total = input.len();
        if total == 0 {
            return Err(DecodeError {
                part: if spec.header.is_empty() {
                    Part::Mti
                } else {
                    Part::Header
                },
                offset: 0,
                kind: DecodeErrorKind::Empty,
            });
        }
        if total > MAX_MESSAGE_LEN {
            return Err(DecodeError {
                part: Part::Trailing,
                offset: MAX_MESSAGE_LEN,
                kind: DecodeErrorKind::MessageTooLong {
                    length: total,
                    max: MAX_MESSAGE_LEN,
                },
            });
        }
        let at = |f: Fault, part: Part| DecodeError {
            part,
            offset: total - f.remaining + f.pos,
            kind: f.kind,
        };

        let header_len = spec.header_len();
        let (rest, _) =
            dec::take_exact(header_len)(input).map_err(|e| at(fault(e), Part::Header))?;
        let (rest, mti) = dec::mti(spec.mti)(rest).map_err(|e| at(fault(e), Part::Mti))?;

        let (mut rest, words) = match spec.bitmap.unit {
            BitmapUnit::Bits64 => {
                let mut words = [0u64; 3];
                let (mut rest, primary) = dec::bitmap(spec.bitmap.encoding)(rest)
                    .map_err(|e| at(fault(e), Part::Bitmap(0)))?;
                words[0] = primary;
                if primary >> 63 == 1 {
                    if spec.bitmap.max_bitmaps < 2 {
                        return Err(DecodeError {
                            part: Part::Bitmap(1),
                            offset: total - rest.len() - spec.bitmap.wire_len(),
                            kind: DecodeErrorKind::UndefinedField,
                        });
                    }
                    let (r, secondary) = dec::bitmap(spec.bitmap.encoding)(rest)
                        .map_err(|e| at(fault(e), Part::Bitmap(1)))?;
                    words[1] = secondary;
                    rest = r;
                    if spec.bitmap.has_tertiary() && secondary >> 63 == 1 {
                        let (r, tertiary) = dec::bitmap(spec.bitmap.encoding)(rest)
                            .map_err(|e| at(fault(e), Part::Bitmap(2)))?;
                        words[2] = tertiary;
                        rest = r;
                    }
                }
                (rest, words)
            }
            BitmapUnit::Bits128 => wide_bitmaps(spec, rest, total)?,
        };
        let bitmap = Bitmap::from_words(words);
        let present = Bitmap::from_words(spec.bitmap.data_words(words));

        let fields_start = (total - rest.len()) as u16;
        let mut ends = [0u16; ENDS];
        let mut later = LATER;
        for n in present.iter() {
            // `present` holds no bitmap bits, so the table answers directly.
            let Some(fspec) = spec.fields.get(n).and_then(Option::as_ref) else {
                return Err(DecodeError {
                    part: Part::Field(n),
                    offset: total - rest.len(),
                    kind: DecodeErrorKind::UndefinedField,
                });
            };
            // Fast path: size and validity only; the nom parser explains failures.
            let fast = spec.fast_field(n);
            let Some(used) = crate::wire::fast::field_len(fast, fspec, rest) else {
                let err = match dec::field(fspec)(rest) {
                    Err(e) => {
                        let f = fault(e);
                        let part = if f.in_prefix {
                            Part::LengthPrefix(n)
                        } else {
                            Part::Field(n)
                        };
                        at(f, part)
                    }
                    Ok(_) => DecodeError {
                        part: Part::Field(n),
                        offset: total - rest.len(),
                        kind: DecodeErrorKind::UndefinedField,
                    },
                };
                return Err(err);
            };
            let (_, r) = rest.split_at(used.min(rest.len()));
            rest = r;
            if let Some(slot) = ends.get_mut(end_slot(n, &mut later)) {
                *slot = (total - rest.len()) as u16;
            }
        }
        if !rest.is_empty() {
            return Err(DecodeError {
                part: Part::Trailing,
                offset: total - rest.len(),
                kind: DecodeErrorKind::TrailingBytes { count: rest.len() },
            });
        }
        Ok(Message {
            ends,
            fields_start,
            mti,
            spec,
            input,
            bitmap,
            present,
        })
    }

    /// The layout this message was decoded with.
    pub fn spec(&self) -> &'a MessageSpec<'a> {
        self.spec
    }

    /// The message type indicator.
    pub fn mti(&self) -> Mti {
        self.mti
    }

    /// The bitmaps as received (bit 1, and bit 65 in tertiary layouts, included).
    pub fn bitmap(&self) -> &Bitmap {
        &self.bitmap
    }

    /// How many bitmaps the message carried (1-3; bitmap units of the layout's
    /// [`BitmapSpec::unit`](crate::spec::BitmapSpec::unit) size, so 1 or 2 for 128-bit
    /// units).
    pub fn bitmap_count(&self) -> usize {
        self.spec.bitmap.units_in(self.bitmap.words())
    }

    /// The whole input.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.input
    }

    /// The fixed header before the MTI (empty for layouts without one).
    pub fn header(&self) -> &'a [u8] {
        self.input.get(..self.spec.header_len()).unwrap_or(&[])
    }

    /// The TPDU, for layouts whose header has a `tpdu` part (`cup`).
    pub fn tpdu(&self) -> Option<crate::frame::Tpdu> {
        self.header_part("tpdu")
            .and_then(crate::frame::Tpdu::from_bytes)
    }

    /// One named part of the header (`"tpdu"`), if the layout has it.
    pub fn header_part(&self, name: &str) -> Option<&'a [u8]> {
        let mut start = 0;
        for part in self.spec.header {
            if part.name == name {
                return self.input.get(start..start + part.len);
            }
            start += part.len;
        }
        None
    }

    /// Whether data field `n` is present.
    #[inline]
    pub fn has(&self, n: usize) -> bool {
        self.present.is_set(n)
    }

    /// Field `n`, if present. Constant time: the field's start is the end of the
    /// previous present field, found from the bitmap words. (A message keeps the ends
    /// of fields 1-64 and of the first 25 present fields past 64; a field past those,
    /// in a message that carries more, is found by walking on from the last one kept.)
    #[inline(always)]
    pub fn field(&self, n: usize) -> Option<Field<'a>> {
        let i = n.wrapping_sub(1);
        if i >= LATER {
            // Fields 65-192, and out of range (0, or above 192).
            return self.field_later(n);
        }
        let [word, ..] = *self.present.words_ref();
        if (word << i) >> 63 == 0 {
            return None;
        }
        let end = usize::from(*self.ends.get(i)?);
        let spec = self.spec.fields.get(n)?.as_ref()?;
        // The decoder's table entry gives the size of a fixed field, and says where
        // the data of a prefixed one starts; the other forms go the general way.
        let [table, ..] = &self.spec.fast;
        let fast = table.get(i)?;
        let (raw, data, units) = match (fast.size, spec.length) {
            (FastSize::Fixed, Length::Fixed(units)) => {
                let raw = self
                    .input
                    .get(end.checked_sub(usize::from(fast.len))?..end)?;
                (raw, raw, usize::from(units))
            }
            (FastSize::AsciiBytes | FastSize::BcdBytes, _) => {
                let raw = self.input.get(self.start_of(i, word)..end)?;
                let data = raw.get(usize::from(fast.prefix)..)?;
                (raw, data, data.len())
            }
            _ => {
                let raw = self.input.get(self.start_of(i, word)..end)?;
                return Self::field_general(n, spec, raw);
            }
        };
        Some(Field {
            number: n,
            spec,
            wire: raw,
            data,
            units,
        })
    }

    /// Where field `i + 1` (one of fields 1-64, present) starts: where the present
    /// field before it ends, found from the first bitmap word `word`.
    #[inline(always)]
    fn start_of(&self, i: usize, word: u64) -> usize {
        // The present fields before it: the top `i` bits (shifted twice so that
        // `i == 0` leaves none).
        let head = (word >> 1) >> (63 - i);
        if head == 0 {
            usize::from(self.fields_start)
        } else {
            // The lowest of them is the nearest.
            let previous = i - 1 - head.trailing_zeros() as usize;
            usize::from(self.ends.get(previous).copied().unwrap_or(0))
        }
    }

    /// A field in a form the decoder's table does not describe.
    #[inline(never)]
    fn field_general(n: usize, spec: &'a FieldSpec<'a>, raw: &'a [u8]) -> Option<Field<'a>> {
        Some(Field::from_wire(n, spec, raw))
    }

    /// [`Message::field`] for fields 65-192, whose ends are kept by rank.
    #[inline(never)]
    fn field_later(&self, n: usize) -> Option<Field<'a>> {
        let i = n.checked_sub(1)?;
        let (w, b) = (i / 64, i % 64);
        let words = self.present.words_ref();
        let word = *words.get(w)?;
        if (word << b) >> 63 == 0 {
            return None;
        }
        // Fields 65 and up present before `n`: its rank among them.
        let mut rank = ((word >> 1) >> (63 - b)).count_ones() as usize;
        rank += words
            .get(1..w)?
            .iter()
            .map(|x| x.count_ones() as usize)
            .sum::<usize>();
        let start = match rank.checked_sub(1) {
            Some(r) => self.ends.get(LATER + r).copied(),
            // The first past 64 starts where the last of fields 1-64 ends.
            None => Some(match *words.first()? {
                0 => self.fields_start,
                first => *self.ends.get(63 - first.trailing_zeros() as usize)?,
            }),
        };
        let (Some(start), Some(&end)) = (start, self.ends.get(LATER + rank)) else {
            // Past the table: walk on from the last field kept.
            return self.fields().find(|f| f.number() == n);
        };
        let raw = self.input.get(usize::from(start)..usize::from(end))?;
        let spec = self.spec.fields.get(n)?.as_ref()?;
        Some(Field::from_wire(n, spec, raw))
    }

    /// The present data fields, ascending.
    pub fn fields(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        let mut start = usize::from(self.fields_start);
        let mut later = LATER;
        self.present.iter().filter_map(move |n| {
            let end = self.end_of(n, &mut later, start);
            let raw = self.input.get(start..end)?;
            start = end;
            let spec = self.spec.field(n)?;
            Some(Field::from_wire(n, spec, raw))
        })
    }

    /// The numbers of the present data fields, ascending.
    pub fn field_numbers(&self) -> impl Iterator<Item = usize> + '_ {
        self.present.iter()
    }

    /// A multi-line dump with field names; sensitive values masked. Use
    /// [`Dump::unmasked`] to show everything.
    pub fn dump(&self) -> Dump<'_, 'a> {
        Dump {
            msg: self,
            unmasked: false,
        }
    }
}

/// The bitmaps of a layout with 128-bit units: the first unit always, a second when
/// its bit 1 is set; the words read (bits 193-256 must be clear, bit 129 too: it would
/// announce a third unit) and the input after them.
#[cold]
fn wide_bitmaps<'a>(
    spec: &MessageSpec<'_>,
    input: &'a [u8],
    total: usize,
) -> Result<(&'a [u8], [u64; 3]), DecodeError> {
    let at = |f: Fault, part: Part| DecodeError {
        part,
        offset: total - f.remaining + f.pos,
        kind: f.kind,
    };
    let word = dec::bitmap(spec.bitmap.encoding);
    let (rest, first) = word(input).map_err(|e| at(fault(e), Part::Bitmap(0)))?;
    let (rest, second) = word(rest).map_err(|e| at(fault(e), Part::Bitmap(0)))?;
    if first >> 63 == 0 {
        return Ok((rest, [first, second, 0]));
    }
    let unit_start = total - rest.len();
    if spec.bitmap.max_bitmaps < 2 {
        return Err(DecodeError {
            part: Part::Bitmap(1),
            offset: unit_start - spec.bitmap.unit_wire_len(),
            kind: DecodeErrorKind::UndefinedField,
        });
    }
    let (after, third) = word(rest).map_err(|e| at(fault(e), Part::Bitmap(1)))?;
    let (after, fourth) = word(after).map_err(|e| at(fault(e), Part::Bitmap(1)))?;
    if third >> 63 == 1 {
        // Bit 129: a third 128-bit unit, beyond the fields this crate numbers.
        return Err(DecodeError {
            part: Part::Bitmap(2),
            offset: unit_start,
            kind: DecodeErrorKind::UndefinedField,
        });
    }
    if fourth != 0 {
        return Err(DecodeError {
            part: Part::Field(MAX_FIELD + 1 + fourth.leading_zeros() as usize),
            offset: unit_start,
            kind: DecodeErrorKind::UndefinedField,
        });
    }
    Ok((after, [first, second, third]))
}

fn fault(e: nom::Err<Fault>) -> Fault {
    match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f,
        nom::Err::Incomplete(_) => Fault {
            remaining: 0,
            pos: 0,
            in_prefix: false,
            kind: DecodeErrorKind::Truncated {
                needed: 1,
                available: 0,
            },
        },
    }
}

impl PartialEq for Message<'_> {
    /// Two messages are equal when they carry the same header, MTI and field values
    /// (compared logically, so the same content in two layouts compares equal).
    fn eq(&self, other: &Self) -> bool {
        self.mti == other.mti
            && self.header() == other.header()
            && self.present == other.present
            && self
                .fields()
                .zip(other.fields())
                .all(|(a, b)| a.value_eq(&b))
    }
}

impl fmt::Debug for Message<'_> {
    /// Field values with sensitive ones masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Fields<'m, 'a>(&'m Message<'a>);
        impl fmt::Debug for Fields<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut m = f.debug_map();
                for field in self.0.fields() {
                    m.entry(&field.number(), &format_args!("\"{field}\""));
                }
                m.finish()
            }
        }
        f.debug_struct("Message")
            .field("spec", &self.spec.name)
            .field("mti", &self.mti)
            .field("fields", &Fields(self))
            .finish()
    }
}

/// One field of a decoded message.
///
/// `Display` shows the value with sensitive data masked; [`Field::value`] shows it in
/// full.
///
/// ```
/// use iso8583_wire::layouts::ISO87_BINARY;
/// use iso8583_wire::{MessageBuilder, Mti};
///
/// let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200)?);
/// b.set(2, "4761739001010119")?.set(11, 42)?;
/// let wire = b.to_bytes()?;
/// let msg = ISO87_BINARY.decode(&wire)?;
/// let pan = msg.field(2).unwrap();
/// assert_eq!(pan.to_string(), "476173******0119");      // masked
/// assert_eq!(pan.value().to_string(), "4761739001010119"); // in full
/// assert_eq!(pan.data().len(), 8);                          // 16 digits in packed BCD
/// assert_eq!(msg.field(11).unwrap().to_u64(), Ok(42));
/// # Ok::<(), iso8583_wire::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Field<'a> {
    number: usize,
    spec: &'a FieldSpec<'a>,
    wire: &'a [u8],
    data: &'a [u8],
    units: usize,
}

impl<'a> Field<'a> {
    /// A field from its wire bytes (prefix included); the bytes must have been
    /// validated against `spec`.
    #[inline(always)]
    pub(crate) fn from_wire(number: usize, spec: &'a FieldSpec<'a>, wire: &'a [u8]) -> Field<'a> {
        // The common cases inline: a fixed length, and an ASCII or binary prefix
        // before one-byte units (ASCII, binary, EBCDIC) whose data is the rest.
        let (data, units) = match spec.length {
            Length::Fixed(n) => (wire, n as usize),
            Length::Var(Prefix {
                digits,
                encoding: PrefixEncoding::Ascii | PrefixEncoding::Binary,
                ..
            }) if matches!(
                spec.encoding,
                Encoding::Ascii | Encoding::Binary | Encoding::Ebcdic(_)
            ) =>
            {
                let data = wire.get(usize::from(digits)..).unwrap_or(&[]);
                (data, data.len())
            }
            _ => Self::locate(spec, wire),
        };
        Field {
            number,
            spec,
            wire,
            data,
            units,
        }
    }

    /// The data and the unit count of a field in any form, from its wire bytes.
    #[inline(never)]
    fn locate(spec: &'a FieldSpec<'a>, wire: &'a [u8]) -> (&'a [u8], usize) {
        match spec.length {
            Length::Fixed(n) => (wire, n as usize),
            Length::Rest { .. } => (wire, dec::units_for_wire(spec, wire.len()).unwrap_or(0)),
            Length::Filled(p) => {
                let (raw, rest) = wire.split_at(p.wire_len().min(wire.len()));
                let count = dec::read_prefix(p, raw).unwrap_or(0);
                let (len, units) = match p.counts {
                    Counts::Units => (spec.wire_len_for_units(count), count),
                    Counts::Bytes => (count, dec::units_for_wire(spec, count).unwrap_or(0)),
                };
                (rest.get(..len).unwrap_or(rest), units)
            }
            Length::Var(p) => {
                let (raw, data) = wire.split_at(p.wire_len().min(wire.len()));
                let units = match (p.counts, spec.encoding) {
                    // One byte per unit: the data's length is the count.
                    (_, Encoding::Ascii | Encoding::Binary | Encoding::Ebcdic(_)) => data.len(),
                    (Counts::Units, _) => dec::read_prefix(p, raw).unwrap_or(0),
                    (Counts::Bytes, _) => dec::units_for_wire(spec, data.len()).unwrap_or(0),
                };
                (data, units)
            }
        }
    }

    /// The field number.
    pub fn number(&self) -> usize {
        self.number
    }

    /// The field's definition.
    pub fn spec(&self) -> &'a FieldSpec<'a> {
        self.spec
    }

    /// The field's bytes on the wire, length prefix included.
    pub fn wire(&self) -> &'a [u8] {
        self.wire
    }

    /// The field's data bytes on the wire, after the length prefix (BCD still packed,
    /// hex-ASCII still as text).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The length in units: digits, characters, or bytes of binary value.
    pub fn len(&self) -> usize {
        self.units
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.units == 0
    }

    /// The value as text, without copying: available for text fields in ASCII whose
    /// bytes are all ASCII (0x00-0x7F).
    ///
    /// Text is ISO-8859-1, one character per byte: a value with bytes from 0x80 up has
    /// no `&str` form in the buffer, nor have BCD, EBCDIC and binary fields. Use
    /// [`Field::value`] (which implements `Display`, Latin-1 characters included) or
    /// [`Field::symbols`].
    pub fn as_str(&self) -> Option<&'a str> {
        match self.spec.encoding {
            Encoding::Ascii if self.spec.content.is_text() && self.data.is_ascii() => {
                core::str::from_utf8(self.data).ok()
            }
            _ => None,
        }
    }

    /// The logical characters (text fields) or bytes (binary fields) of the value.
    pub fn symbols(&self) -> Symbols<'a> {
        Symbols::new(self.spec, self.data, self.units)
    }

    /// The field's symbols when they are its data bytes as they stand (ASCII, binary
    /// and GBK fields): the fast path of the typed readings.
    #[inline]
    pub(crate) fn plain_symbols(&self) -> Option<&'a [u8]> {
        matches!(
            self.spec.encoding,
            Encoding::Ascii | Encoding::Binary | Encoding::Gbk
        )
        .then_some(self.data)
    }

    /// The value in full (not masked), for display: text as is, binary as uppercase hex.
    pub fn value(&self) -> FieldValue<'a> {
        FieldValue(*self)
    }

    /// The value with sensitive data masked (what `Display` shows).
    pub fn masked(&self) -> Masked<'a> {
        Masked(*self)
    }

    /// The value of a numeric field as a number.
    ///
    /// # Errors
    ///
    /// [`NumberError::NotNumeric`] for a field that is not `n` (or holds padding),
    /// [`NumberError::Overflow`] above `u64::MAX`.
    pub fn to_u64(&self) -> Result<u64, NumberError> {
        if !matches!(self.spec.content, Content::N) {
            return Err(NumberError::NotNumeric);
        }
        if let Some(digits) = self.plain_symbols() {
            return ascii_u64(digits);
        }
        let mut v: u64 = 0;
        for c in self.symbols() {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return Err(NumberError::NotNumeric);
            }
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d)))
                .ok_or(NumberError::Overflow)?;
        }
        Ok(v)
    }

    /// Whether two fields carry the same logical value.
    pub fn value_eq(&self, other: &Field<'_>) -> bool {
        self.number == other.number
            && self.spec.content.is_text() == other.spec.content.is_text()
            && self.symbols().eq(other.symbols())
    }
}

/// The number ASCII digits `d` write, eight digits at a time.
#[inline]
fn ascii_u64(d: &[u8]) -> Result<u64, NumberError> {
    match short_digits_value(d) {
        Some(v) => Ok(v),
        None if d.len() <= 19 => Err(NumberError::NotNumeric),
        None => long_digits_value(d),
    }
}

/// [`ascii_u64`] past 19 digits, where the number may not fit (leading zeros may
/// still make it fit).
#[cold]
#[inline(never)]
fn long_digits_value(d: &[u8]) -> Result<u64, NumberError> {
    if !crate::wire::fast::all_digits(d) {
        return Err(NumberError::NotNumeric);
    }
    d.iter().try_fold(0u64, |v, &c| {
        v.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(NumberError::Overflow)
    })
}

/// The number up to 19 ASCII digits `d` write (up to 19 digits always fit in 64
/// bits); `None` when a byte is not a digit, or for more than 19. The first
/// `len % 8` digits are read as one block padded with zeros in front, then blocks of
/// eight, each checked and converted whole.
#[inline]
pub(crate) fn short_digits_value(d: &[u8]) -> Option<u64> {
    use crate::wire::fast::digits_bad;
    if d.len() > 19 {
        return None;
    }
    let (head, blocks) = d.split_at(d.len() % 8);
    let mut first = [b'0'; 8];
    crate::wire::encode::copy_short(first.get_mut(8 - head.len()..)?, head);
    let word = u64::from_le_bytes(first);
    let mut bad = digits_bad(word);
    let mut v = eight_digits(word);
    for block in blocks.chunks_exact(8) {
        let word = u64::from_le_bytes(block.try_into().ok()?);
        bad |= digits_bad(word);
        v = v * 100_000_000 + eight_digits(word);
    }
    (bad == 0).then_some(v)
}

/// The value of eight ASCII digits (checked elsewhere) in a little-endian word, the
/// first (lowest byte) most significant: pairs, then quadruples, then the whole, each
/// step one multiplication.
#[inline(always)]
fn eight_digits(word: u64) -> u64 {
    let x = word & 0x0F0F_0F0F_0F0F_0F0F;
    let x = (x.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    x.wrapping_mul(10_000 << 32 | 1) >> 32
}

/// A field's value is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The field is not numeric (or holds padding).
    #[error("the field is not numeric")]
    NotNumeric,
    /// The number does not fit in 64 bits.
    #[error("the number does not fit in 64 bits")]
    Overflow,
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("number", &self.number)
            .field("name", &self.spec.name)
            .field("value", &format_args!("{}", self.masked()))
            .finish()
    }
}

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.masked(), f)
    }
}

/// A field's full value for display: text fields as their characters (Latin-1), binary
/// fields as uppercase hex.
#[derive(Clone, Copy)]
pub struct FieldValue<'a>(Field<'a>);

impl fmt::Display for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.0;
        if let Some(s) = field.as_str() {
            return f.write_str(s);
        }
        if field.spec.encoding == Encoding::Gbk {
            // Lossless text: see `wire::gbk`.
            #[cfg(feature = "alloc")]
            return f.write_str(&crate::wire::gbk::to_text(field.data));
            #[cfg(not(feature = "alloc"))]
            for &b in field.data {
                match b {
                    b'\\' => f.write_str("\\\\")?,
                    0x00..=0x7F => fmt::Write::write_char(f, char::from(b))?,
                    _ => write!(f, "\\x{b:02X}")?,
                }
            }
            #[cfg(not(feature = "alloc"))]
            return Ok(());
        }
        if field.spec.content.is_text() {
            for c in field.symbols() {
                fmt::Write::write_char(f, char::from(c))?;
            }
        } else if field.spec.encoding == Encoding::HexAscii {
            for c in field.data {
                fmt::Write::write_char(f, char::from(c.to_ascii_uppercase()))?;
            }
        } else {
            fmt::Display::fmt(&hex::Hex(field.data), f)?;
        }
        Ok(())
    }
}

impl fmt::Debug for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// A field's value with sensitive data masked.
///
/// PAN: the first 6 and last 4 digits are kept (fewer for short numbers). Track data:
/// the account number part as for a PAN, everything after the first separator hidden.
/// Secrets (PIN block, keys): every character hidden. Masking keeps the length.
///
/// EMV data (field 55, binary BER-TLV or its hex characters in a text field 55) and
/// tagged composites are shown only when they parse cleanly and every element may be
/// shown ([`crate::tlv::Tag::shown_masked`]); otherwise the whole value is hidden, so
/// that card data under a damaged tag or length byte stays hidden too. The unmasked
/// value ([`Field::value`]) is never affected.
#[derive(Clone, Copy)]
pub struct Masked<'a>(Field<'a>);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.0;
        let mut sensitivity = field.spec.sensitivity;
        // EMV data (field 55, binary or as hex characters) and tagged composites may
        // carry the PAN or track 2 equivalent in their tags, or, when a tag or length
        // byte is damaged, under a harmless tag: hidden whole unless every element
        // may be shown.
        if sensitivity == Sensitivity::Public
            && crate::subfield::field_verdict(field) != crate::tlv::Verdict::Shown
        {
            sensitivity = Sensitivity::Secret;
        }
        if sensitivity == Sensitivity::Public {
            return fmt::Display::fmt(&field.value(), f);
        }
        let shown_len = if field.spec.content.is_text() {
            field.units
        } else {
            field.units * 2
        };
        match sensitivity {
            Sensitivity::Pan | Sensitivity::Track if field.spec.content.is_text() => {
                let track2 = field.spec.content == Content::Z;
                let pan_len = field
                    .symbols()
                    .position(|c| c == b'=' || c == b'^' || (track2 && c == b'D'))
                    .unwrap_or(field.units);
                let (keep_first, keep_last) = pan_window(pan_len);
                for (i, c) in field.symbols().enumerate() {
                    let show = i < pan_len && (i < keep_first || i >= pan_len - keep_last);
                    let shown = if show || i == pan_len { c } else { b'*' };
                    fmt::Write::write_char(f, char::from(shown))?;
                }
                Ok(())
            }
            _ => {
                for _ in 0..shown_len {
                    f.write_str("*")?;
                }
                Ok(())
            }
        }
    }
}

/// How many leading and trailing digits of a PAN of `len` digits may be shown.
pub(crate) fn pan_window(len: usize) -> (usize, usize) {
    if len >= 16 {
        (6, 4)
    } else if len >= 10 {
        (len - 10, 4)
    } else {
        (0, len / 4)
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// A human-readable dump of a message, from [`Message::dump`].
pub struct Dump<'m, 'a> {
    msg: &'m Message<'a>,
    unmasked: bool,
}

impl fmt::Debug for Dump<'_, '_> {
    /// The dump's settings; print it with `Display` for its content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dump")
            .field("layout", &self.msg.spec.name)
            .field("unmasked", &self.unmasked)
            .finish()
    }
}

impl Dump<'_, '_> {
    /// Shows sensitive values in full.
    pub fn unmasked(mut self) -> Self {
        self.unmasked = true;
        self
    }
}

impl fmt::Display for Dump<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.msg;
        writeln!(f, "layout  {}", msg.spec.name)?;
        let mut start = 0;
        for part in msg.spec.header {
            let bytes = msg.input.get(start..start + part.len).unwrap_or(&[]);
            writeln!(f, "header  {:<14} {}", part.name, hex::Hex(bytes))?;
            start += part.len;
        }
        writeln!(f, "MTI     {}", msg.mti)?;
        f.write_str("bitmap  ")?;
        let words = msg.bitmap.words();
        let count = msg.bitmap_count() * msg.spec.bitmap.unit_words();
        for i in 0..count {
            write!(f, "{:016X}", words.get(i).copied().unwrap_or(0))?;
        }
        writeln!(f)?;
        for field in msg.fields() {
            let spec = field.spec;
            write!(
                f,
                "{:>4}  {:<44} {:<9} [{:>3}] ",
                field.number,
                truncate(spec.name, 44),
                spec.format(),
                field.units
            )?;
            if self.unmasked {
                writeln!(f, "{}", field.value())?;
            } else {
                writeln!(f, "{}", field.masked())?;
            }
            dump_parts(f, &field.number(), field.parts(), self.unmasked, 1)?;
        }
        Ok(())
    }
}

/// Subfields (and TLV inside constructed tags) under their field, indented.
fn dump_parts(
    f: &mut fmt::Formatter<'_>,
    path: &dyn fmt::Display,
    parts: crate::subfield::Parts<'_>,
    unmasked: bool,
    depth: usize,
) -> fmt::Result {
    for part in parts {
        let indent = 2 + 4 * depth;
        match part {
            Ok(p) => {
                let label = crate::subfield::PathLabel(path, p.label());
                write!(
                    f,
                    "{:indent$}{:<12} {:<40} [{:>3}] ",
                    "",
                    label,
                    truncate(p.name(), 40),
                    p.len()
                )?;
                if unmasked {
                    writeln!(f, "{}", p.value())?;
                } else {
                    writeln!(f, "{}", p.masked())?;
                }
                if depth < 4 {
                    dump_parts(f, &label, p.parts(), unmasked, depth + 1)?;
                }
            }
            Err(e) => writeln!(f, "{:indent$}({e})", "")?,
        }
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// What `to_u64` must give: the digits read one by one, in 128 bits.
    fn reference(d: &[u8]) -> Result<u64, NumberError> {
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return if d.is_empty() {
                Ok(0)
            } else {
                Err(NumberError::NotNumeric)
            };
        }
        let v = d.iter().fold(0u128, |v, &c| v * 10 + u128::from(c - b'0'));
        u64::try_from(v).map_err(|_| NumberError::Overflow)
    }

    #[test]
    fn ascii_numbers_of_every_length_read_as_digit_by_digit() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0usize..=26 {
            for round in 0..200 {
                let mut d: Vec<u8> = (0..len).map(|_| b'0' + (next() % 10) as u8).collect();
                match round % 4 {
                    // Leading zeros: long strings that still fit.
                    1 => d
                        .iter_mut()
                        .take(len.saturating_sub(18))
                        .for_each(|c| *c = b'0'),
                    // The largest values.
                    2 => d.iter_mut().for_each(|c| *c = b'9'),
                    // A byte that is not a digit somewhere.
                    3 if len > 0 => {
                        let at = (next() as usize) % len;
                        d[at] = [b'/', b':', b' ', b'A', 0xB0][(next() % 5) as usize];
                    }
                    _ => {}
                }
                assert_eq!(
                    ascii_u64(&d),
                    reference(&d),
                    "{:?}",
                    core::str::from_utf8(&d)
                );
            }
        }
        assert_eq!(ascii_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            ascii_u64(b"18446744073709551616"),
            Err(NumberError::Overflow)
        );
        assert_eq!(ascii_u64(b"000000000000000000000000042"), Ok(42));
    }
}
