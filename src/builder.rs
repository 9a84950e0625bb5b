//! Building and encoding messages.
//!
//! A [`MessageBuilder`] holds borrowed values (or numbers) by field number. Each value is
//! checked against its field when it is set, so [`MessageBuilder::encode`] cannot fail
//! on content: it only writes. The bitmaps are derived from the fields set.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_ASCII};
//!
//! let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(800)?);
//! b.set(7, "0315143015")?.set(11, 124u32)?.set(70, 301u32)?;
//! let bytes = b.to_bytes()?;
//! assert_eq!(&bytes[..], b"0800822000000000000004000000000000000315143015000124301");
//!
//! // Values that do not fit are refused when set:
//! assert!(b.set(11, "12A456").is_err());
//! assert!(b.set(11, 1234567u32).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::bitmap::{Bitmap, MAX_FIELD};
use crate::error::{EncodeError, EncodeErrorKind, Part};
use crate::message::{Field, Message};
use crate::mti::{Mti, MtiEncoding};
use crate::spec::{
    BitmapEncoding, BitmapUnit, Content, ContentMode, FieldSpec, Length, MessageSpec, Padding,
};
use crate::wire::encode::{self, Plan, Sink, SliceSink, Source};
use crate::wire::{ebcdic, hex};

/// A value for a field.
///
/// * `Text`: the value as in the CLI JSON convention: text fields take their characters
///   (ASCII), numeric BCD fields their digits, binary fields hex text.
/// * `Bytes`: text fields take Latin-1 characters; binary fields take the raw bytes.
/// * `Number`: numeric fields only; zero-padded on the left to a fixed length.
/// * `Wire`: data already in the field's wire encoding.
/// * `Field`: a field of a decoded message, copied without conversion when both fields
///   share an encoding, else through its text (ASCII) or raw bytes (binary).
#[derive(Debug, Clone, Copy)]
pub enum Value<'v> {
    /// Text (see the type docs).
    Text(&'v str),
    /// Raw bytes.
    Bytes(&'v [u8]),
    /// A number for an `n` field.
    Number(u64),
    /// Wire data of the field's own encoding, with its length in units.
    Wire(&'v [u8], usize),
    /// A field of a decoded message.
    Field(Field<'v>),
}

impl<'v> From<&'v str> for Value<'v> {
    fn from(s: &'v str) -> Self {
        Value::Text(s)
    }
}
impl<'v> From<&'v [u8]> for Value<'v> {
    fn from(b: &'v [u8]) -> Self {
        Value::Bytes(b)
    }
}
impl<'v, const N: usize> From<&'v [u8; N]> for Value<'v> {
    fn from(b: &'v [u8; N]) -> Self {
        Value::Bytes(b)
    }
}
#[cfg(feature = "alloc")]
impl<'v> From<&'v alloc::string::String> for Value<'v> {
    fn from(s: &'v alloc::string::String) -> Self {
        Value::Text(s)
    }
}
impl<'v> From<Field<'v>> for Value<'v> {
    fn from(f: Field<'v>) -> Self {
        Value::Field(f)
    }
}
macro_rules! number_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::Number(n as u64)
            }
        }
    )*};
}
number_value!(u8, u16, u32, u64, usize);

#[derive(Debug, Clone, Copy)]
enum Slot<'v> {
    Absent,
    /// A value already in its wire form, with its length prefix worked out when it was
    /// set: encoding only copies (the common case: text in ASCII fields, raw bytes in
    /// binary ones, fields of a decoded message).
    Ready {
        prefix: [u8; MAX_READY_PREFIX],
        prefix_len: u8,
        data: &'v [u8],
        /// Units of the value (kept so the value can be read back as a source).
        units: usize,
    },
    /// A short ready value copied into the slot with its prefix (`wire[..len]`):
    /// encoding stores the whole block and moves on by `len`.
    Packed {
        wire: [u8; PACKED],
        len: u8,
        prefix_len: u8,
        units: u8,
    },
    Source(Source<'v>),
    Number(u64),
    /// A short value copied into the builder (see `set_copied`).
    Inline([u8; INLINE], u8),
}

impl Slot<'_> {
    /// The value of a source, ready or packed slot as the planner takes it (a packed
    /// value's data is its block after the prefix).
    fn wire_source(&self) -> Option<Source<'_>> {
        match self {
            Slot::Source(src) => Some(*src),
            Slot::Ready { data, units, .. } => Some(Source::Wire(data, *units)),
            Slot::Packed {
                wire,
                len,
                prefix_len,
                units,
            } => Some(Source::Wire(
                wire.get(usize::from(*prefix_len)..usize::from(*len))
                    .unwrap_or(&[]),
                usize::from(*units),
            )),
            _ => None,
        }
    }
}

/// Longest value [`MessageBuilder::set_copied`] keeps inside the builder.
pub const INLINE: usize = 14;

/// Longest length prefix a ready slot holds (LLLL).
const MAX_READY_PREFIX: usize = 4;

/// Longest prefix-and-value a packed slot holds.
const PACKED: usize = 32;

/// The ready form of `source` for field `spec`, when its wire bytes are the source's
/// own bytes (no padding, no conversion): the prefix is written once, here.
fn ready<'v>(spec: &FieldSpec<'_>, source: Source<'v>) -> Option<Slot<'v>> {
    use crate::spec::Encoding;
    if let Length::Filled(_) = spec.length {
        // Written with its fill by the encoder.
        return None;
    }
    let (data, units) = match source {
        Source::Wire(data, units) => (data, units),
        Source::Bytes(data) => {
            if !matches!(spec.encoding, Encoding::Ascii | Encoding::Binary) {
                return None;
            }
            match spec.length {
                Length::Fixed(n) if usize::from(n) != data.len() => return None,
                _ => (data, data.len()),
            }
        }
        Source::Hex(_) => return None,
    };
    let mut sink = SliceSink {
        buf: &mut [0u8; MAX_READY_PREFIX],
        pos: 0,
    };
    encode::write_prefix(spec, units, data.len(), &mut sink);
    let prefix_len = sink.pos;
    if prefix_len > MAX_READY_PREFIX {
        return None;
    }
    let mut prefix = [0u8; MAX_READY_PREFIX];
    if let (Some(dst), Some(src)) = (prefix.get_mut(..prefix_len), sink.buf.get(..prefix_len)) {
        dst.copy_from_slice(src);
    }
    let total = prefix_len + data.len();
    if total <= PACKED && units <= usize::from(u8::MAX) {
        let mut wire = [0u8; PACKED];
        if let (Some(p), Some(d)) = (wire.get_mut(..prefix_len), prefix.get(..prefix_len)) {
            p.copy_from_slice(d);
        }
        if let Some(d) = wire.get_mut(prefix_len..total) {
            d.copy_from_slice(data);
        }
        return Some(Slot::Packed {
            wire,
            len: total as u8,
            prefix_len: prefix_len as u8,
            units: units as u8,
        });
    }
    Some(Slot::Ready {
        prefix,
        prefix_len: prefix_len as u8,
        data,
        units,
    })
}

/// Builds a message field by field and encodes it.
///
/// Reusing one builder and one output buffer allocates nothing once the buffer has
/// grown to the message size.
#[derive(Clone)]
pub struct MessageBuilder<'v> {
    spec: &'v MessageSpec<'v>,
    mti: Mti,
    header: &'v [u8],
    /// The fields set, bit-reversed per word (bit `i` of word `w` is field
    /// `64 w + i + 1`): the encoder walks them lowest bit first, so clearing the bit
    /// just taken does not wait for the bit search. [`MessageBuilder::present`] gives
    /// them in bitmap order.
    order: [u64; 3],
    min_bitmaps: u8,
    /// The bitmap words to write (extension bits included) and how many: kept up to
    /// date by every change, so encoding reads them.
    wire: ([u64; 3], usize),
    slots: [Slot<'v>; MAX_FIELD + 1],
    /// Encoded size of each field set (prefix included), and their sum.
    lens: [u32; MAX_FIELD + 1],
    fields_len: usize,
    /// How free-text values are checked when set.
    content_mode: ContentMode,
}

impl<'v> MessageBuilder<'v> {
    /// An empty message of layout `spec`.
    pub fn new(spec: &'v MessageSpec<'v>, mti: Mti) -> Self {
        MessageBuilder {
            spec,
            mti,
            header: &[],
            order: [0; 3],
            min_bitmaps: 1,
            wire: ([0; 3], spec.bitmap.unit_words()),
            slots: [Slot::Absent; MAX_FIELD + 1],
            lens: [0; MAX_FIELD + 1],
            fields_len: 0,
            content_mode: spec.content_mode,
        }
    }

    /// Chooses how the values set from now on are checked in free-text fields
    /// (see [`ContentMode`]); a new builder takes its layout's default.
    ///
    /// ```
    /// use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_ASCII, spec::ContentMode};
    ///
    /// let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(210)?);
    /// b.set(39, "5 ")?.set(37, "RRN-0001")?; // lenient: any character
    /// b.set_content_mode(ContentMode::Strict);
    /// b.set(39, "5 ")?; // the pad space at the padding end is fine in strict mode
    /// assert!(b.set(37, "RRN-0001").is_err()); // '-' is not a letter or digit
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_content_mode(&mut self, mode: ContentMode) -> &mut Self {
        self.content_mode = mode;
        self
    }

    /// How values set now are checked in free-text fields.
    pub fn content_mode(&self) -> ContentMode {
        self.content_mode
    }

    /// A builder holding the header, MTI and every field of `msg` (copied as wire data,
    /// so encoding it reproduces `msg` byte for byte; a received secondary bitmap with
    /// no field in it is kept too, see [`MessageBuilder::set_min_bitmaps`]).
    pub fn from_message(msg: &Message<'v>) -> Self {
        let mut b = MessageBuilder::new(msg.spec(), msg.mti());
        b.header = msg.header();
        b.min_bitmaps = msg.bitmap_count() as u8;
        b.wire = b.compute_wire_bitmaps();
        for f in msg.fields() {
            let n = f.number();
            if let Some(slot) = b.slots.get_mut(n) {
                let source = Source::Wire(f.data(), f.len());
                *slot = ready(f.spec(), source).unwrap_or(Slot::Source(source));
                b.mark(n, f.wire().len());
            }
        }
        b
    }

    /// The layout.
    pub fn spec(&self) -> &'v MessageSpec<'v> {
        self.spec
    }

    /// The MTI.
    pub fn mti(&self) -> Mti {
        self.mti
    }

    /// Replaces the MTI.
    pub fn set_mti(&mut self, mti: Mti) -> &mut Self {
        self.mti = mti;
        self
    }

    /// The header bytes set so far.
    pub fn header(&self) -> &'v [u8] {
        self.header
    }

    /// Sets the fixed header (TPDU, application header); it must have the layout's
    /// header length.
    pub fn set_header(&mut self, header: &'v [u8]) -> Result<&mut Self, EncodeError> {
        let expected = self.spec.header_len();
        if header.len() != expected {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::HeaderLength {
                    expected,
                    found: header.len(),
                },
            });
        }
        self.header = header;
        Ok(self)
    }

    /// Sets field `n`, checking that the value fits its definition.
    pub fn set(&mut self, n: usize, value: impl Into<Value<'v>>) -> Result<&mut Self, EncodeError> {
        let spec = self.field_spec(n)?;
        let slot = match value.into() {
            Value::Number(v) => {
                if spec.content != Content::N {
                    return Err(EncodeError::field(
                        n,
                        EncodeErrorKind::WrongValueKind {
                            expected: "text or bytes (not a number)",
                        },
                    ));
                }
                let mut buf = [0u8; 20];
                let digits = number_digits(v, &mut buf);
                let plan = encode::plan(
                    &number_spec(spec),
                    Source::Bytes(digits),
                    Some(self.content_mode),
                )
                .map_err(|k| EncodeError::field(n, k))?;
                (Slot::Number(v), plan.total)
            }
            value => {
                let source = source_for(spec, value).map_err(|k| EncodeError::field(n, k))?;
                let plan = encode::plan(spec, source, Some(self.content_mode))
                    .map_err(|k| EncodeError::field(n, k))?;
                (
                    ready(spec, source).unwrap_or(Slot::Source(source)),
                    plan.total,
                )
            }
        };
        let (slot, total) = slot;
        if let Some(s) = self.slots.get_mut(n) {
            *s = slot;
        }
        self.mark(n, total);
        Ok(self)
    }

    /// Records field `n` (1..=192) as present with `total` bytes on the wire (prefix
    /// included), keeping the presence bits, the sizes and the wire bitmaps in step.
    fn mark(&mut self, n: usize, total: usize) {
        if let Some((word, bit)) = self.order_bit(n) {
            *word |= bit;
            self.record_len(n, total);
            self.wire = self.compute_wire_bitmaps();
        }
    }

    /// Records field `n` as absent.
    fn unmark(&mut self, n: usize) {
        if let Some((word, bit)) = self.order_bit(n) {
            *word &= !bit;
            self.record_len(n, 0);
            self.wire = self.compute_wire_bitmaps();
        }
    }

    /// The word of [`MessageBuilder::order`] holding field `n` (1..=192), and its bit.
    fn order_bit(&mut self, n: usize) -> Option<(&mut u64, u64)> {
        let i = n.checked_sub(1).filter(|&i| i < MAX_FIELD)?;
        Some((self.order.get_mut(i / 64)?, 1 << (i % 64)))
    }

    /// The fields set, as a bitmap (no extension bits).
    fn present(&self) -> Bitmap {
        Bitmap::from_words(self.order.map(u64::reverse_bits))
    }

    /// Keeps the per-field sizes and their sum up to date.
    fn record_len(&mut self, n: usize, total: usize) {
        if let Some(l) = self.lens.get_mut(n) {
            self.fields_len = self.fields_len - *l as usize + total;
            *l = total as u32;
        }
    }

    /// Sets field `n` to a short value (at most 14 bytes) copied into the builder, so
    /// it need not outlive it: response codes, approval codes, RRNs. Text fields take
    /// the characters, binary fields the raw bytes.
    pub fn set_copied(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, EncodeError> {
        let mut inline = [0u8; INLINE];
        let dst = inline.get_mut(..value.len()).ok_or(EncodeError::field(
            n,
            EncodeErrorKind::TooLong {
                length: value.len(),
                max: INLINE,
            },
        ))?;
        dst.copy_from_slice(value);
        let spec = self.field_spec(n)?;
        let plan = encode::plan(spec, Source::Bytes(value), Some(self.content_mode))
            .map_err(|k| EncodeError::field(n, k))?;
        if let Some(s) = self.slots.get_mut(n) {
            *s = Slot::Inline(inline, value.len() as u8);
        }
        self.mark(n, plan.total);
        Ok(self)
    }

    /// Removes field `n`.
    pub fn remove(&mut self, n: usize) -> &mut Self {
        if let Some(s) = self.slots.get_mut(n) {
            *s = Slot::Absent;
        }
        self.unmark(n);
        self
    }

    /// Whether field `n` is set.
    pub fn has(&self, n: usize) -> bool {
        self.present().is_set(n)
    }

    /// The numbers of the fields set, ascending.
    pub fn field_numbers(&self) -> impl Iterator<Item = usize> + '_ {
        self.present().iter()
    }

    /// Writes at least `count` bitmaps (1-3, capped by the layout) even when no field
    /// needs them: for peers that expect a secondary bitmap in every message.
    pub fn set_min_bitmaps(&mut self, count: u8) -> &mut Self {
        self.min_bitmaps = count.clamp(1, self.spec.bitmap.max_bitmaps.max(1));
        self.wire = self.compute_wire_bitmaps();
        self
    }

    /// The bitmap an encoder writes (extension bits included).
    pub fn bitmap(&self) -> Bitmap {
        Bitmap::from_words(self.wire_bitmaps().0)
    }

    /// The bitmap words to write, extension bits included, and how many to write.
    #[inline(always)]
    fn wire_bitmaps(&self) -> ([u64; 3], usize) {
        self.wire
    }

    /// [`MessageBuilder::wire_bitmaps`] worked out from the fields set. The count is
    /// of 64-bit words; with 128-bit units it is 2 or 4, the fourth word (bits
    /// 193-256) written as zeros.
    fn compute_wire_bitmaps(&self) -> ([u64; 3], usize) {
        const EXTENSION: u64 = 1 << 63;
        if self.spec.bitmap.unit == BitmapUnit::Bits128 {
            // Bit 1 announces the second 128-bit unit (fields 130-192); the first is
            // written whole.
            let mut words = self.present().words();
            let second = words[2] != 0 || self.min_bitmaps >= 2;
            if second {
                words[0] |= EXTENSION;
            }
            return (words, if second { 4 } else { 2 });
        }
        let tertiary = self.spec.bitmap.has_tertiary();
        let mut words = self.present().words();
        let [_, second_word, third_word] = words;
        // In a tertiary layout, bit 65 is the third bitmap's presence bit, not data.
        let second_data = if tertiary {
            second_word & !EXTENSION
        } else {
            second_word
        };
        let third = tertiary && (third_word != 0 || self.min_bitmaps >= 3);
        let second = third || second_data != 0 || self.min_bitmaps >= 2;
        if second {
            words[0] |= EXTENSION;
        }
        if tertiary {
            words[1] = second_data | if third { EXTENSION } else { 0 };
        }
        (words, 1 + usize::from(second) + usize::from(third))
    }

    fn field_spec(&self, n: usize) -> Result<&'v FieldSpec<'v>, EncodeError> {
        if n > self.spec.max_field() {
            return Err(EncodeError::field(n, EncodeErrorKind::UndefinedField));
        }
        self.spec
            .field(n)
            .ok_or(EncodeError::field(n, EncodeErrorKind::UndefinedField))
    }

    /// Size of the encoded message in bytes.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        Ok(self.len_with(self.wire_bitmaps().1))
    }

    /// [`MessageBuilder::encoded_len`] with `bitmaps` bitmaps on the wire.
    fn len_with(&self, bitmaps: usize) -> usize {
        // Field sizes are known from when each value was set.
        let head = self.spec.header_len() + self.spec.mti.wire_len();
        head + bitmaps * self.spec.bitmap.wire_len() + self.fields_len
    }

    fn with_plan<R>(
        &self,
        n: usize,
        f: impl FnOnce(&FieldSpec<'_>, &Plan<'_>) -> R,
    ) -> Result<R, EncodeError> {
        let spec = self.field_spec(n)?;
        let slot = self.slots.get(n).copied().unwrap_or(Slot::Absent);
        match slot {
            Slot::Absent => Err(EncodeError::field(n, EncodeErrorKind::UndefinedField)),
            Slot::Source(_) | Slot::Ready { .. } | Slot::Packed { .. } => {
                let src = slot
                    .wire_source()
                    .ok_or(EncodeError::field(n, EncodeErrorKind::UndefinedField))?;
                let plan = encode::plan(spec, src, None).map_err(|k| EncodeError::field(n, k))?;
                Ok(f(spec, &plan))
            }
            Slot::Number(v) => {
                let mut buf = [0u8; 20];
                let digits = number_digits(v, &mut buf);
                let spec = number_spec(spec);
                let plan = encode::plan(&spec, Source::Bytes(digits), None)
                    .map_err(|k| EncodeError::field(n, k))?;
                Ok(f(&spec, &plan))
            }
            Slot::Inline(bytes, len) => {
                let value = bytes.get(..usize::from(len)).unwrap_or(&[]);
                let plan = encode::plan(spec, Source::Bytes(value), None)
                    .map_err(|k| EncodeError::field(n, k))?;
                Ok(f(spec, &plan))
            }
        }
    }

    /// Writes the header, MTI and bitmaps.
    fn write_head(
        &self,
        out: &mut impl Sink,
        (words, count): ([u64; 3], usize),
    ) -> Result<(), EncodeError> {
        let header_len = self.spec.header_len();
        if self.header.len() != header_len {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::HeaderLength {
                    expected: header_len,
                    found: self.header.len(),
                },
            });
        }
        if !self.header.is_empty() {
            out.put(self.header);
        }
        match self.spec.mti {
            MtiEncoding::Ascii => out.put_small(&self.mti.to_ascii()),
            MtiEncoding::Bcd => out.put_small(&self.mti.to_bcd()),
            MtiEncoding::HexAscii => {
                let mut text = [0u8; 8];
                for (pair, c) in text.chunks_exact_mut(2).zip(self.mti.to_ascii()) {
                    pair.copy_from_slice(&hex::byte_hex(c));
                }
                out.put_small(&text);
            }
            MtiEncoding::Ebcdic(page) => {
                let a = self.mti.to_ascii().map(|c| ebcdic::from_latin1(page, c));
                out.put(&a);
            }
        }
        for i in 0..count {
            // Past the three words: the zero tail of a second 128-bit unit.
            let word = words.get(i).copied().unwrap_or(0);
            match self.spec.bitmap.encoding {
                BitmapEncoding::Binary => out.put_small(&word.to_be_bytes()),
                BitmapEncoding::HexAscii => out.put_small(&hex::u64_upper(word)),
                BitmapEncoding::EbcdicHex(page) => {
                    out.put_small(&hex::u64_upper(word).map(|c| ebcdic::from_latin1(page, c)))
                }
            }
        }
        Ok(())
    }

    /// Writes field `n` (its prefix and data).
    fn write_field(&self, n: usize, out: &mut impl Sink) -> Result<(), EncodeError> {
        match (self.slots.get(n), self.spec.fields.get(n)) {
            (
                Some(Slot::Ready {
                    prefix,
                    prefix_len,
                    data,
                    ..
                }),
                _,
            ) => {
                out.put_prefix(prefix, usize::from(*prefix_len));
                out.put_small(data);
                Ok(())
            }
            (Some(Slot::Packed { wire, len, .. }), _) => {
                out.put_small(wire.get(..usize::from(*len)).unwrap_or(&[]));
                Ok(())
            }
            (Some(Slot::Source(Source::Wire(data, units))), Some(Some(spec))) => {
                encode::write_wire(spec, data, *units, out);
                Ok(())
            }
            _ => self.with_plan(n, |spec, plan| encode::write(spec, plan, out)),
        }
    }

    /// The numbers of the fields set, ascending, by walking the bitmap words.
    #[inline(always)]
    fn for_each_field(
        &self,
        mut f: impl FnMut(usize) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        for (w, mut bits) in self.order.into_iter().enumerate() {
            let first = w * 64 + 1;
            while bits != 0 {
                let n = first + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                f(n)?;
            }
        }
        Ok(())
    }

    /// Writes the whole message to `out`.
    #[cfg(feature = "alloc")]
    fn write_all(&self, out: &mut impl Sink) -> Result<(), EncodeError> {
        self.write_head(out, self.wire_bitmaps())?;
        self.for_each_field(|n| self.write_field(n, out))
    }

    /// Writes the whole message at the start of `buf` (sized by the caller with
    /// [`MessageBuilder::encoded_len`] into `needed`; `bitmaps` from
    /// [`MessageBuilder::wire_bitmaps`]) and returns the bytes written. The field loop
    /// keeps its position in a local, so ready values cost a few moves each.
    fn write_slice(
        &self,
        buf: &mut [u8],
        needed: usize,
        bitmaps: ([u64; 3], usize),
    ) -> Result<usize, EncodeError> {
        let mut head = SliceSink {
            buf: &mut *buf,
            pos: 0,
        };
        self.write_head(&mut head, bitmaps)?;
        let pos = head.pos;
        // With room for a whole block past the end of the message, a packed value is
        // stored as its whole block (what lies past its length is overwritten next, or
        // cut off by the caller). The message size fits 16 bits, so the window is
        // `limit + PACKED` bytes long and a block at `min(pos, limit)` always fits: no
        // bounds check per field. `pos` never passes `limit` unless the sizes kept at
        // set time are wrong, which the caller's length check catches.
        let window = u16::try_from(needed).ok().and_then(|limit| {
            let limit = usize::from(limit);
            buf.get_mut(..limit + PACKED).map(|w| (w, limit))
        });
        match window {
            Some((window, limit)) => self.write_fields(window, pos, |buf, at, wire, _| {
                let at = at.min(limit);
                if let Some(dst) = buf.get_mut(at..at + PACKED) {
                    dst.copy_from_slice(wire);
                }
            }),
            None => self.write_fields(buf, pos, |buf, at, wire, len| {
                encode::put_small_at(buf, at, wire.get(..len).unwrap_or(&[]));
            }),
        }
    }

    /// Writes the fields into `buf` from `pos` on and returns the position after them:
    /// packed values through `store` (buffer, position, block, length), the others in
    /// full.
    #[inline(always)]
    fn write_fields(
        &self,
        buf: &mut [u8],
        mut pos: usize,
        store: impl Fn(&mut [u8], usize, &[u8; PACKED], usize),
    ) -> Result<usize, EncodeError> {
        self.for_each_field(|n| {
            match self.slots.get(n) {
                Some(Slot::Packed { wire, len, .. }) => {
                    let len = usize::from(*len);
                    store(buf, pos, wire, len);
                    pos += len;
                }
                _ => pos = self.write_field_at(n, buf, pos)?,
            }
            Ok(())
        })?;
        Ok(pos)
    }

    /// [`MessageBuilder::write_slice`] for a field that is not packed: writes it at
    /// `pos` of `buf` and returns the position after it.
    #[inline(never)]
    fn write_field_at(&self, n: usize, buf: &mut [u8], pos: usize) -> Result<usize, EncodeError> {
        let mut sink = SliceSink { buf, pos };
        self.write_field(n, &mut sink)?;
        Ok(sink.pos)
    }

    /// Encodes into `buf`, returning the number of bytes written. Fails, writing
    /// nothing, if `buf` is too small.
    pub fn encode_to_slice(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let bitmaps = self.wire_bitmaps();
        let needed = self.len_with(bitmaps.1);
        match buf.get_mut(..needed) {
            // Nothing past the message is touched.
            Some(dst) => self.write_slice(dst, needed, bitmaps),
            None => Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::BufferTooSmall { needed },
            }),
        }
    }

    /// Appends the encoded message to any [`bytes::BufMut`], returning the number of
    /// bytes written. Nothing is written if the message cannot be encoded.
    #[cfg(feature = "alloc")]
    pub fn encode<B: bytes::BufMut>(&self, buf: &mut B) -> Result<usize, EncodeError> {
        let needed = self.encoded_len()?;
        if buf.remaining_mut() < needed {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::BufferTooSmall { needed },
            });
        }
        let mut sink = encode::BufSink(buf);
        self.write_all(&mut sink)?;
        Ok(needed)
    }

    /// Appends the encoded message to a `BytesMut`, reserving the space first. On error
    /// the buffer is left as it was.
    #[cfg(feature = "alloc")]
    pub fn encode_into(&self, buf: &mut bytes::BytesMut) -> Result<usize, EncodeError> {
        let bitmaps = self.wire_bitmaps();
        let needed = self.len_with(bitmaps.1);
        let start = buf.len();
        // Room for the block copies of packed values past the end; cut off below.
        buf.resize(start + needed + PACKED, 0);
        let written = match buf.get_mut(start..) {
            Some(dst) => self.write_slice(dst, needed, bitmaps),
            None => Ok(0),
        };
        buf.truncate(start + needed);
        match written {
            Ok(n) if n == needed => Ok(needed),
            Ok(_) => {
                buf.truncate(start);
                Err(EncodeError {
                    part: Part::Header,
                    kind: EncodeErrorKind::BufferTooSmall { needed },
                })
            }
            Err(e) => {
                buf.truncate(start);
                Err(e)
            }
        }
    }

    /// The encoded message in a new buffer.
    #[cfg(feature = "alloc")]
    pub fn to_bytes(&self) -> Result<bytes::BytesMut, EncodeError> {
        let mut buf = bytes::BytesMut::new();
        self.encode_into(&mut buf)?;
        Ok(buf)
    }
}

impl core::fmt::Debug for MessageBuilder<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("spec", &self.spec.name)
            .field("mti", &self.mti)
            .field("fields", &self.present())
            .finish_non_exhaustive()
    }
}

/// The spec used for a number: zero-padded on the left whatever the field's padding.
fn number_spec<'s>(spec: &FieldSpec<'s>) -> FieldSpec<'s> {
    match spec.length {
        Length::Fixed(_) => spec.with_padding(Padding::Left(b'0')),
        Length::Var(_) | Length::Rest { .. } | Length::Filled(_) => *spec,
    }
}

/// The decimal digits of `v`, without leading zeros ("0" for zero).
fn number_digits(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// How a value is read for a field.
fn source_for<'v>(spec: &FieldSpec<'_>, value: Value<'v>) -> Result<Source<'v>, EncodeErrorKind> {
    match value {
        Value::Text(s) if !spec.content.is_text() => Ok(Source::Hex(s.as_bytes())),
        Value::Text(s) => {
            if let Some(i) = s.bytes().position(|c| !c.is_ascii()) {
                return Err(EncodeErrorKind::InvalidCharacter {
                    expected: "an ASCII character (use bytes for Latin-1 text)",
                    position: i,
                });
            }
            Ok(Source::Bytes(s.as_bytes()))
        }
        Value::Bytes(b) => Ok(Source::Bytes(b)),
        Value::Wire(d, u) => Ok(Source::Wire(d, u)),
        Value::Field(f) => {
            let from = f.spec();
            if from.encoding == spec.encoding && from.content == spec.content {
                Ok(Source::Wire(f.data(), f.len()))
            } else if let Some(s) = f.as_str() {
                source_for(spec, Value::Text(s))
            } else if from.encoding == crate::spec::Encoding::Binary {
                Ok(Source::Bytes(f.data()))
            } else {
                Err(EncodeErrorKind::WrongValueKind {
                    expected: "a field of the same encoding, ASCII text or raw binary",
                })
            }
        }
        Value::Number(_) => Err(EncodeErrorKind::WrongValueKind {
            expected: "a number",
        }),
    }
}
