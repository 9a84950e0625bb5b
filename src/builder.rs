//! Building and encoding messages.
//!
//! A [`MessageBuilder`] owns its values: each value is checked against its field and
//! written in the field's wire form (length prefix, encoding, padding) into one buffer
//! when it is set, so the caller's values need not outlive it and encoding only copies.
//! The bitmaps are derived from the fields set.
//!
//! ```
//! use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_ASCII};
//!
//! let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(800)?);
//! b.set(7, "0315143015")?.set(11, 124)?.set(70, 301)?;
//! let bytes = b.to_bytes()?;
//! assert_eq!(&bytes[..], b"0800822000000000000004000000000000000315143015000124301");
//!
//! // Values that do not fit are refused when set:
//! assert!(b.set(11, "12A456").is_err());
//! assert!(b.set(11, 1234567).is_err());
//!
//! // The builder owns what it was given: a temporary string is fine.
//! b.set(70, format!("{}", 2 * 150 + 1))?;
//! // A reused builder keeps its buffer: clear it and build the next message.
//! b.clear();
//! assert_eq!(b.field_numbers().count(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Speed
//!
//! Setting a field writes its wire bytes once; fields set in ascending order (the usual
//! way to fill a message) lie in the buffer in message order, so encoding copies the
//! header, MTI and bitmaps and then the whole field area in one move. Replacing or
//! removing fields, or setting them out of order, costs one copy per field at encode
//! time instead. A reused builder ([`MessageBuilder::clear`]) allocates nothing once its
//! buffer has grown to the largest message built.

use crate::bitmap::{Bitmap, MAX_FIELD};
use crate::error::{DecodeErrorKind, EncodeError, EncodeErrorKind, Found, Part};
use crate::message::{Field, Message};
use crate::mti::{Mti, MtiEncoding};
use crate::spec::{
    BitmapEncoding, BitmapUnit, BuildField, Content, ContentMode, Encoding, FieldSpec, Length,
    MessageSpec, Padding, PrefixEncoding,
};
use crate::wire::encode::{self, Sink, Source};
use crate::wire::{ebcdic, hex};

/// A value for a field, as [`MessageBuilder::set`] takes it.
///
/// * Text (`&str`, `String`): text fields take its characters (ASCII; give Latin-1 text
///   as bytes), numeric fields its digits, binary fields hex text.
/// * Bytes (`&[u8]`, `Vec<u8>`, arrays): text fields take the bytes as ISO-8859-1
///   characters; binary fields take the raw bytes.
/// * Numbers (any integer type): numeric fields only, zero-padded to a fixed length;
///   negative numbers are refused.
/// * A field of a decoded message: copied as it stands when both fields share an
///   encoding, else through its characters (text) or bytes (binary).
/// * [`Value::Wire`]: data already in the field's wire encoding.
///
/// `Debug` shows the kind and length of a value, never its content (a value may be a
/// card number).
#[derive(Clone)]
#[non_exhaustive]
pub enum Value<'v> {
    /// Text (see the type docs).
    Text(&'v str),
    /// Raw bytes.
    Bytes(&'v [u8]),
    /// A non-negative number for an `n` field.
    Number(u64),
    /// A negative number: refused by every field.
    Negative(i64),
    /// Wire data of the field's own encoding, with its length in units.
    Wire(&'v [u8], usize),
    /// A field of a decoded message.
    Field(Field<'v>),
    /// Owned text.
    #[cfg(feature = "alloc")]
    OwnedText(alloc::string::String),
    /// Owned bytes.
    #[cfg(feature = "alloc")]
    OwnedBytes(alloc::vec::Vec<u8>),
}

impl core::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (kind, len) = match self {
            Value::Text(s) => ("Text", s.len()),
            Value::Bytes(b) => ("Bytes", b.len()),
            Value::Number(_) | Value::Negative(_) => return f.write_str("Number(..)"),
            Value::Wire(d, _) => ("Wire", d.len()),
            Value::Field(field) => ("Field", field.data().len()),
            #[cfg(feature = "alloc")]
            Value::OwnedText(s) => ("Text", s.len()),
            #[cfg(feature = "alloc")]
            Value::OwnedBytes(b) => ("Bytes", b.len()),
        };
        write!(f, "{kind}({len} bytes)")
    }
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
#[cfg(feature = "alloc")]
impl From<alloc::string::String> for Value<'_> {
    fn from(s: alloc::string::String) -> Self {
        Value::OwnedText(s)
    }
}
#[cfg(feature = "alloc")]
impl<'v> From<&'v alloc::vec::Vec<u8>> for Value<'v> {
    fn from(b: &'v alloc::vec::Vec<u8>) -> Self {
        Value::Bytes(b)
    }
}
#[cfg(feature = "alloc")]
impl From<alloc::vec::Vec<u8>> for Value<'_> {
    fn from(b: alloc::vec::Vec<u8>) -> Self {
        Value::OwnedBytes(b)
    }
}
impl<'v> From<Field<'v>> for Value<'v> {
    fn from(f: Field<'v>) -> Self {
        Value::Field(f)
    }
}
impl From<crate::fields::Stan> for Value<'_> {
    fn from(s: crate::fields::Stan) -> Self {
        Value::Number(u64::from(s.value()))
    }
}
macro_rules! unsigned_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                Value::Number(n as u64)
            }
        }
    )*};
}
unsigned_value!(u8, u16, u32, u64, usize);
macro_rules! signed_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(n: $t) -> Self {
                match u64::try_from(n) {
                    Ok(v) => Value::Number(v),
                    Err(_) => Value::Negative(n as i64),
                }
            }
        }
    )*};
}
signed_value!(i8, i16, i32, i64, isize);

/// Where a builder keeps the wire bytes of its fields: a growable `Vec<u8>` (with
/// `alloc`), or a fixed array for builds without an allocator ([`FixedStore`]).
pub trait FieldStore {
    /// The bytes kept.
    fn bytes(&self) -> &[u8];
    /// How many bytes are kept.
    fn used(&self) -> usize {
        self.bytes().len()
    }
    /// Forgets every byte from `len` on.
    fn truncate(&mut self, len: usize);
    /// Appends `bytes`; `false` when there is no room.
    fn append(&mut self, bytes: &[u8]) -> bool;
    /// Appends what `write` puts at the start of a space of `max` bytes, and returns
    /// how many it wrote; `false` (nothing kept) when there is no room or `write`
    /// returns `None`. Stores that can lend their own memory let the builder write
    /// converted values in place; the default assembles them on the stack (up to 256
    /// bytes) and appends them.
    fn append_with(&mut self, max: usize, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool
    where
        Self: Sized,
    {
        let mut tmp = [0u8; 256];
        let Some(space) = tmp.get_mut(..max) else {
            return false;
        };
        match write(space) {
            Some(n) => self.append(space.get(..n).unwrap_or(&[])),
            None => false,
        }
    }
}

#[cfg(feature = "alloc")]
impl FieldStore for alloc::vec::Vec<u8> {
    #[inline]
    fn bytes(&self) -> &[u8] {
        self
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        alloc::vec::Vec::truncate(self, len);
    }
    #[inline]
    fn append(&mut self, bytes: &[u8]) -> bool {
        self.extend_from_slice(bytes);
        true
    }
    #[inline]
    fn append_with(&mut self, max: usize, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        let start = self.len();
        self.resize(start + max, 0);
        let written = self.get_mut(start..).and_then(write);
        match written {
            Some(n) if n <= max => {
                alloc::vec::Vec::truncate(self, start + n);
                true
            }
            _ => {
                alloc::vec::Vec::truncate(self, start);
                false
            }
        }
    }
}

/// A fixed-capacity [`FieldStore`] for builds without an allocator.
///
/// ```
/// use iso8583_wire::builder::{FixedStore, MessageBuilder};
/// use iso8583_wire::{Mti, layouts::ISO87_ASCII};
///
/// let mut b = MessageBuilder::with_store(&ISO87_ASCII, Mti::new(800)?, FixedStore::<256>::new());
/// b.set(11, 124)?;
/// let mut out = [0u8; 64];
/// let n = b.encode_to_slice(&mut out)?;
/// assert_eq!(&out[..n], b"08000020000000000000000124");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FixedStore<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> core::fmt::Debug for FixedStore<N> {
    /// Sizes only: the store holds field values.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FixedStore")
            .field("capacity", &N)
            .field("used", &self.len)
            .finish()
    }
}

impl<const N: usize> FixedStore<N> {
    /// An empty store of `N` bytes.
    pub const fn new() -> Self {
        FixedStore {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Default for FixedStore<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FieldStore for FixedStore<N> {
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
    fn append(&mut self, bytes: &[u8]) -> bool {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
                true
            }
            None => false,
        }
    }
    fn append_with(&mut self, max: usize, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        let Some(space) = self.buf.get_mut(self.len..self.len + max) else {
            return false;
        };
        match write(space) {
            Some(n) if n <= max => {
                self.len += n;
                true
            }
            _ => false,
        }
    }
}

/// A growable [`FieldStore`]: a buffer kept zero-filled past the bytes in use, so
/// short values are stored with a couple of moves rather than a library call, and a
/// reused store (see [`MessageBuilder::clear`]) never allocates again once grown.
#[cfg(feature = "alloc")]
#[derive(Clone, Default)]
pub struct VecStore {
    buf: alloc::vec::Vec<u8>,
    used: usize,
}

#[cfg(feature = "alloc")]
impl core::fmt::Debug for VecStore {
    /// Sizes only: the store holds field values.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VecStore")
            .field("capacity", &self.buf.len())
            .field("used", &self.used)
            .finish()
    }
}

#[cfg(feature = "alloc")]
impl VecStore {
    /// An empty store with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        VecStore {
            buf: alloc::vec![0; capacity],
            used: 0,
        }
    }
}

#[cfg(feature = "alloc")]
impl FieldStore for VecStore {
    #[inline]
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.used).unwrap_or(&[])
    }
    #[inline(always)]
    fn used(&self) -> usize {
        self.used
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        self.used = self.used.min(len);
    }
    #[inline(always)]
    fn append(&mut self, bytes: &[u8]) -> bool {
        // Room for the bytes and a 16-byte block past them: short copies store whole
        // blocks (see `encode::put_small_at`).
        let need = self.used + bytes.len() + 16;
        if need > self.buf.len() {
            self.grow(need);
        }
        self.used = encode::put_small_at(&mut self.buf, self.used, bytes);
        true
    }
    #[inline(always)]
    fn append_with(&mut self, max: usize, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        let need = self.used + max + 16;
        if need > self.buf.len() {
            self.grow(need);
        }
        let Some(space) = self.buf.get_mut(self.used..self.used + max) else {
            return false;
        };
        match write(space) {
            Some(n) if n <= max => {
                self.used += n;
                true
            }
            _ => false,
        }
    }
}

#[cfg(feature = "alloc")]
impl VecStore {
    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        // Most messages fit the first kilobyte: one allocation, zero-filled only as
        // far as a short message needs at first, then all of it.
        let len = need.max(self.buf.len() * 2).max(256);
        if self.buf.capacity() == 0 {
            self.buf = alloc::vec::Vec::with_capacity(len.max(1024));
        } else if len <= self.buf.capacity() {
            self.buf.resize(self.buf.capacity(), 0);
            return;
        } else {
            self.buf.reserve(len - self.buf.len());
        }
        self.buf.resize(len, 0);
    }
}

/// The store a builder uses unless told otherwise.
#[cfg(feature = "alloc")]
pub type DefaultStore = VecStore;
/// The store a builder uses unless told otherwise (no allocator: 2 KiB inline).
#[cfg(not(feature = "alloc"))]
pub type DefaultStore = FixedStore<2048>;

/// Appends to a store, remembering a failure.
struct StoreSink<'s, S: FieldStore> {
    store: &'s mut S,
    full: bool,
}

impl<S: FieldStore> Sink for StoreSink<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if !self.store.append(bytes) {
            self.full = true;
        }
    }
}

/// Longest header a builder keeps in itself; a longer one (layouts loaded from jPOS or
/// moov files may declare one) is kept on the heap.
const MAX_HEADER: usize = 64;

/// Builds a message field by field and encodes it. See the [module docs](self).
///
/// The struct is about 900 bytes (a 4-byte span per possible field), cheap to move;
/// the values live in its store.
///
/// ```
/// use bytes::BytesMut;
/// use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_ASCII};
///
/// let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
/// let mut out = BytesMut::with_capacity(256);
/// for stan in 1..=3 {
///     b.clear(); // reuse: no allocation once the store has grown
///     b.set(3, "000000")?.set(4, 1500)?.set(11, stan)?.set(41, "TERM0001")?;
///     out.clear();
///     b.encode_into(&mut out)?;
///     assert_eq!(ISO87_ASCII.decode(&out)?.stan()?.value(), stan);
/// }
/// # Ok::<(), iso8583_wire::Error>(())
/// ```
#[derive(Clone)]
pub struct MessageBuilder<'s, S: FieldStore = DefaultStore> {
    spec: &'s MessageSpec<'s>,
    mti: Mti,
    header: [u8; MAX_HEADER],
    header_len: u16,
    /// A header longer than [`MAX_HEADER`], when one is set.
    #[cfg(feature = "alloc")]
    long_header: alloc::vec::Vec<u8>,
    content_mode: ContentMode,
    min_bitmaps: u8,
    /// Whether the store holds exactly the fields set, in ascending order.
    in_order: bool,
    /// Highest field set so far while `in_order`.
    last: u16,
    /// The fields set, bit `i` of word `w` being field `64 w + i + 1`.
    present: [u64; 3],
    /// Bytes in the store that belong to no field (replaced or removed values): the
    /// fields set take the rest, so setting a field in order counts nothing.
    garbage: usize,
    /// Where each field's wire bytes are in the store: start, length.
    spans: [(u16, u16); MAX_FIELD + 1],
    store: S,
}

/// A builder's spans before any field is set (a constant, so that a new builder
/// fills its table in place instead of copying it from a zeroed temporary).
const NO_SPANS: [(u16, u16); MAX_FIELD + 1] = [(0, 0); MAX_FIELD + 1];

impl<'s> MessageBuilder<'s> {
    /// An empty message of layout `spec`, in the default store (it allocates room for
    /// a typical message at the first value set).
    #[inline(always)]
    pub fn new(spec: &'s MessageSpec<'s>, mti: Mti) -> Self {
        Self::with_store(spec, mti, DefaultStore::default())
    }

    /// A builder holding the header, MTI and every field of `msg`, copied as wire data,
    /// so encoding it reproduces `msg` byte for byte (a received secondary bitmap with
    /// no field in it is kept too, see [`MessageBuilder::set_min_bitmaps`]).
    pub fn from_message(msg: &Message<'s>) -> Self {
        let mut b = MessageBuilder::new(msg.spec(), msg.mti());
        b.fill_from(msg);
        b
    }
}

impl<'s, S: FieldStore> MessageBuilder<'s, S> {
    /// An empty message of layout `spec` whose values are kept in `store`.
    #[inline(always)]
    pub fn with_store(spec: &'s MessageSpec<'s>, mti: Mti, store: S) -> Self {
        MessageBuilder {
            spec,
            mti,
            header: [0; MAX_HEADER],
            header_len: 0,
            #[cfg(feature = "alloc")]
            long_header: alloc::vec::Vec::new(),
            content_mode: spec.content_mode,
            min_bitmaps: 1,
            in_order: true,
            last: 0,
            present: [0; 3],
            garbage: 0,
            spans: NO_SPANS,
            store,
        }
    }

    fn fill_from(&mut self, msg: &Message<'_>) {
        let _ = self.set_header(msg.header());
        self.min_bitmaps = msg.bitmap_count() as u8;
        for f in msg.fields() {
            let _ = self.put_wire(f.number(), f.wire());
        }
    }

    /// Forgets the fields and the header, keeping the layout, the MTI, the content
    /// mode and the store's memory: a reused builder allocates nothing once its store
    /// has grown to the largest message built.
    pub fn clear(&mut self) -> &mut Self {
        self.store.truncate(0);
        self.present = [0; 3];
        self.garbage = 0;
        self.in_order = true;
        self.last = 0;
        self.header_len = 0;
        self.min_bitmaps = 1;
        self
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

    /// The layout.
    pub fn spec(&self) -> &'s MessageSpec<'s> {
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

    /// The header bytes set (empty until set).
    pub fn header(&self) -> &[u8] {
        let len = usize::from(self.header_len);
        #[cfg(feature = "alloc")]
        if len > MAX_HEADER {
            return &self.long_header;
        }
        self.header.get(..len).unwrap_or(&[])
    }

    /// Sets the header (TPDU and the like); it must have the layout's header length.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::HeaderLength`] when `header` is not the layout's length;
    /// [`EncodeErrorKind::HeaderTooLong`] for a header over 64 bytes in a build without
    /// the `alloc` feature.
    pub fn set_header(&mut self, header: &[u8]) -> Result<&mut Self, EncodeError> {
        let expected = self.spec.header_len();
        let error = |kind| EncodeError {
            part: Part::Header,
            kind,
        };
        if header.len() != expected {
            return Err(error(EncodeErrorKind::HeaderLength {
                expected,
                found: header.len(),
            }));
        }
        let Ok(len) = u16::try_from(header.len()) else {
            return Err(error(EncodeErrorKind::HeaderTooLong {
                length: header.len(),
                max: usize::from(u16::MAX),
            }));
        };
        match self.header.get_mut(..header.len()) {
            Some(dst) => dst.copy_from_slice(header),
            #[cfg(feature = "alloc")]
            None => {
                self.long_header.clear();
                self.long_header.extend_from_slice(header);
            }
            #[cfg(not(feature = "alloc"))]
            None => {
                return Err(error(EncodeErrorKind::HeaderTooLong {
                    length: header.len(),
                    max: MAX_HEADER,
                }));
            }
        }
        self.header_len = len;
        Ok(self)
    }

    fn field_spec(&self, n: usize) -> Result<&'s FieldSpec<'s>, EncodeError> {
        // Field 1 is the secondary bitmap, and there is no field 0.
        if n < 2 || n > self.spec.max_field() {
            return Err(EncodeError::for_field(n, EncodeErrorKind::UndefinedField));
        }
        self.spec
            .field(n)
            .ok_or(EncodeError::for_field(n, EncodeErrorKind::UndefinedField))
    }

    /// Sets field `n`, checking that the value fits its definition; the value is
    /// copied, in its wire form, into the builder.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] naming the field: not defined by the layout, too long or short,
    /// a character or digit the field does not take (free-text classes only in
    /// [`ContentMode::Strict`]), a kind of value the field does not take, or no room
    /// left in a fixed store.
    #[inline(always)]
    pub fn set<'v>(
        &mut self,
        n: usize,
        value: impl Into<Value<'v>>,
    ) -> Result<&mut Self, EncodeError> {
        let value = value.into();
        let start = self.store.used();
        // The common cases, written straight into the store.
        let fast = match &value {
            Value::Text(s) => self.set_fast(n, s.as_bytes(), true),
            Value::Bytes(b) => self.set_fast(n, b, false),
            #[cfg(feature = "alloc")]
            Value::OwnedText(s) => self.set_fast(n, s.as_bytes(), true),
            #[cfg(feature = "alloc")]
            Value::OwnedBytes(b) => self.set_fast(n, b, false),
            Value::Number(v) => self.set_fast_number(n, *v),
            // A field of a message of this layout (a request's fields copied into
            // its response): its wire bytes as they are.
            Value::Field(f) => self.set_same_field(n, f),
            _ => false,
        };
        if fast {
            let end = self.store.used();
            self.commit(n, start, end)?;
            return Ok(self);
        }
        self.set_general(n, value, start)
    }

    /// Writes `value` for field `n` on the fast path, if the field and the value allow
    /// it (see [`crate::spec::BuildField`]); `false` leaves everything to the general
    /// path, which also explains refusals.
    #[inline(always)]
    fn set_fast(&mut self, n: usize, value: &[u8], text: bool) -> bool {
        let spec: &'s MessageSpec<'s> = self.spec;
        let Some(f) = spec.build.get(n) else {
            return false;
        };
        // Tested in order of frequency with plain branches: a jump table here costs a
        // misprediction whenever the kind of field changes.
        let ok = if f.check == BuildField::DIGITS {
            crate::wire::fast::all_digits(value)
        } else if f.check == BuildField::FREE {
            // Text is ASCII (Latin-1 text comes as bytes): the general path refuses
            // the rest.
            self.content_mode == ContentMode::Lenient && (!text || value.is_ascii())
        } else {
            rarer_check(f.check, value, text)
        };
        ok && self.put_fast(f, value)
    }

    /// [`MessageBuilder::set_fast`] for a decoded field defined by this very field
    /// definition (so its wire bytes are valid here), whose content needs no check in
    /// the current mode, and whose wire form is the only one the encoder would write:
    /// a fixed length, or an ASCII or binary length prefix (hex prefixes may come in
    /// lowercase and filled fields with any fill, which the encoder writes its own way).
    #[inline(always)]
    fn set_same_field(&mut self, n: usize, f: &Field<'_>) -> bool {
        let spec: &'s MessageSpec<'s> = self.spec;
        if n < 2 || n > spec.max_field() || spec.bitmap.is_extension_bit(n) {
            return false;
        }
        match spec.fields.get(n) {
            Some(Some(own))
                if core::ptr::eq(own, f.spec())
                    && match own.length {
                        Length::Fixed(_) | Length::Rest { .. } => true,
                        Length::Var(p) => {
                            matches!(p.encoding, PrefixEncoding::Ascii | PrefixEncoding::Binary)
                        }
                        Length::Filled(_) => false,
                    } =>
            {
                (self.content_mode == ContentMode::Lenient || !own.content.is_free_text())
                    && self.store.append(f.wire())
            }
            _ => false,
        }
    }

    /// [`MessageBuilder::set_fast`] for a number in a numeric field.
    #[inline(always)]
    fn set_fast_number(&mut self, n: usize, v: u64) -> bool {
        let Some(f) = self.spec.build.get(n).copied() else {
            return false;
        };
        if f.check != BuildField::DIGITS {
            return false;
        }
        let mut buf = [0u8; 20];
        let digits = number_digits(v, &mut buf);
        // A number is zero-padded on the left whatever the field's padding.
        let f = BuildField {
            pad: b'0',
            pad_left: true,
            ..f
        };
        self.put_fast(&f, digits)
    }

    /// Appends `value` in the form `f` describes; `false` (nothing written) when the
    /// value does not fit and the general path must say why.
    #[inline(always)]
    fn put_fast(&mut self, f: &BuildField, value: &[u8]) -> bool {
        let len = value.len();
        let max = usize::from(f.len);
        if len > max {
            return false;
        }
        // Plain values at full length: appended as they are.
        if f.form == BuildField::PLAIN && f.kind == BuildField::FIXED && len == max {
            return self.store.append(value);
        }
        // LL and LLL ASCII prefixes before plain values: the commonest converted form.
        if f.ascii_plain_prefix {
            let digits = usize::from(f.prefix_len);
            return self
                .store
                .append_with(digits + len, |dst| ascii_prefixed(digits, value, dst));
        }
        // Everything else is written in place: prefix, padding, converted value.
        let units = if f.kind == BuildField::FIXED {
            max
        } else {
            len
        };
        let room = usize::from(f.prefix_len) + f.wire_len(units);
        self.store.append_with(room, |dst| fast_wire(f, value, dst))
    }

    /// Sets field `n` as [`MessageBuilder::set`] does, through the general path only
    /// (never the fast path of the common forms). The result is the same, more slowly;
    /// it exists so that tests can check that the two paths agree.
    ///
    /// # Errors
    ///
    /// As [`MessageBuilder::set`].
    #[doc(hidden)]
    pub fn set_without_fast_path<'v>(
        &mut self,
        n: usize,
        value: impl Into<Value<'v>>,
    ) -> Result<&mut Self, EncodeError> {
        let start = self.store.used();
        self.set_general(n, value.into(), start)
    }

    /// The general path: every form of field and value, with the precise error.
    #[inline(never)]
    fn set_general(
        &mut self,
        n: usize,
        value: Value<'_>,
        start: usize,
    ) -> Result<&mut Self, EncodeError> {
        let spec = self.field_spec(n)?;
        let written = write_value(spec, value, self.content_mode, &mut self.store)
            .and_then(|()| subfields_read(spec, self.store.bytes().get(start..).unwrap_or(&[])));
        match written {
            Ok(()) => {
                let end = self.store.used();
                self.commit(n, start, end)?;
                Ok(self)
            }
            Err(kind) => {
                self.store.truncate(start);
                Err(EncodeError::for_field(n, kind))
            }
        }
    }

    /// Sets field `n` to a short value copied into the builder: the same as
    /// [`MessageBuilder::set`] with bytes (every value is copied now).
    ///
    /// # Errors
    ///
    /// As [`MessageBuilder::set`].
    pub fn set_copied(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, EncodeError> {
        self.set(n, value)
    }

    /// Sets field `n` from bytes already in its complete wire form (length prefix
    /// included), trusted as such: how [`MessageBuilder::from_message`] copies.
    fn put_wire(&mut self, n: usize, wire: &[u8]) -> Result<(), EncodeError> {
        let start = self.store.used();
        if !self.store.append(wire) {
            return Err(EncodeError::for_field(n, no_room()));
        }
        self.commit(n, start, start + wire.len())
    }

    /// Records field `n` as the bytes `start..end` of the store.
    #[inline(always)]
    fn commit(&mut self, n: usize, start: usize, end: usize) -> Result<(), EncodeError> {
        if end <= usize::from(u16::MAX) {
            self.record(n, start as u16, (end - start) as u16);
            return Ok(());
        }
        self.commit_large(n, start, end)
    }

    /// [`MessageBuilder::commit`] past 64 KiB of store.
    #[cold]
    #[inline(never)]
    fn commit_large(&mut self, n: usize, start: usize, end: usize) -> Result<(), EncodeError> {
        let (Ok(s), Ok(len)) = (u16::try_from(start), u16::try_from(end - start)) else {
            // Replaced values left the store past 64 KiB: pack it and try again.
            let value_len = end - start;
            if self.compact_except(start) && self.store.used() <= usize::from(u16::MAX) {
                // The value was moved to the end of the packed store.
                let end_now = self.store.used();
                let tail_start = end_now.saturating_sub(value_len);
                if let (Ok(s), Ok(l)) = (u16::try_from(tail_start), u16::try_from(value_len))
                    && end_now <= usize::from(u16::MAX)
                {
                    self.record(n, s, l);
                    return Ok(());
                }
            }
            self.store.truncate(start);
            return Err(EncodeError::for_field(
                n,
                EncodeErrorKind::TooLong {
                    length: end,
                    max: usize::from(u16::MAX),
                },
            ));
        };
        self.record(n, s, len);
        Ok(())
    }

    #[inline(always)]
    fn record(&mut self, n: usize, start: u16, len: u16) {
        let (w, bit) = ((n - 1) / 64, 1u64 << ((n - 1) % 64));
        if n as u16 > self.last
            && let (Some(word), Some(span)) = (self.present.get_mut(w), self.spans.get_mut(n))
        {
            // A field past the last one set: the usual ascending fill.
            *word |= bit;
            *span = (start, len);
            self.last = n as u16;
            return;
        }
        self.record_again(n, start, len);
    }

    /// [`MessageBuilder::record`] for a field set out of order or replaced.
    #[inline(never)]
    fn record_again(&mut self, n: usize, start: u16, len: u16) {
        let (w, bit) = ((n - 1) / 64, 1u64 << ((n - 1) % 64));
        let Some(word) = self.present.get_mut(w) else {
            return;
        };
        let was = *word & bit != 0;
        *word |= bit;
        if let Some(span) = self.spans.get_mut(n) {
            if was {
                // The old value's bytes stay in the store.
                self.garbage += usize::from(span.1);
            }
            *span = (start, len);
        }
        // Replaced (its old bytes stay in the store) or before the last field set:
        // the store is no longer in message order.
        self.in_order = false;
        self.last = self.last.max(n as u16);
    }

    /// Packs the store so it holds only the fields set, in order, then appends the
    /// bytes that were at `tail..` (a value being set). `false` if that failed.
    fn compact_except(&mut self, tail: usize) -> bool {
        #[cfg(feature = "alloc")]
        {
            let old: alloc::vec::Vec<u8> = self.store.bytes().to_vec();
            self.store.truncate(0);
            let mut ok = true;
            let mut pos = 0usize;
            for n in Bitmap::from_words(self.present.map(u64::reverse_bits)).iter() {
                let (s, l) = self.spans.get(n).copied().unwrap_or((0, 0));
                let bytes = old
                    .get(usize::from(s)..usize::from(s) + usize::from(l))
                    .unwrap_or(&[]);
                ok &= self.store.append(bytes);
                if let Some(span) = self.spans.get_mut(n) {
                    *span = (pos as u16, l);
                }
                pos += usize::from(l);
            }
            self.in_order = true;
            self.garbage = 0;
            ok && self.store.append(old.get(tail..).unwrap_or(&[]))
        }
        #[cfg(not(feature = "alloc"))]
        {
            let _ = tail;
            false
        }
    }

    /// Removes field `n`.
    pub fn remove(&mut self, n: usize) -> &mut Self {
        if let Some(i) = n.checked_sub(1).filter(|&i| i < MAX_FIELD) {
            let bit = 1u64 << (i % 64);
            if let Some(word) = self.present.get_mut(i / 64)
                && *word & bit != 0
            {
                *word &= !bit;
                let len = self.spans.get(n).map_or(0, |s| usize::from(s.1));
                self.garbage += len;
                self.in_order = false;
            }
        }
        self
    }

    /// Whether field `n` is set.
    pub fn has(&self, n: usize) -> bool {
        n.checked_sub(1)
            .filter(|&i| i < MAX_FIELD)
            .and_then(|i| self.present.get(i / 64).map(|w| w >> (i % 64) & 1 == 1))
            .unwrap_or(false)
    }

    /// The wire bytes of field `n` as set (length prefix included).
    pub fn wire(&self, n: usize) -> Option<&[u8]> {
        if !self.has(n) {
            return None;
        }
        let (s, l) = self.spans.get(n).copied()?;
        self.store
            .bytes()
            .get(usize::from(s)..usize::from(s) + usize::from(l))
    }

    /// The numbers of the fields set, ascending.
    pub fn field_numbers(&self) -> impl Iterator<Item = usize> + '_ {
        self.bitmap().iter()
    }

    /// Writes at least `count` bitmaps (1-3) even when the fields set need fewer.
    pub fn set_min_bitmaps(&mut self, count: u8) -> &mut Self {
        self.min_bitmaps = count.clamp(1, self.spec.bitmap.max_bitmaps.max(1));
        self
    }

    /// The fields set, as a bitmap (no extension bits).
    pub fn bitmap(&self) -> Bitmap {
        Bitmap::from_words(self.present.map(u64::reverse_bits))
    }

    /// The bitmap words to write (extension bits included) and how many 64-bit words
    /// (past the three kept, the zero tail of a second 128-bit unit).
    #[inline]
    fn wire_bitmaps(&self) -> ([u64; 3], usize) {
        const EXTENSION: u64 = 1 << 63;
        // Kept lowest bit first; written highest bit first. Most messages have one
        // bitmap: the other words are reversed only when they hold a field.
        let [a, b, c] = match self.present {
            [a, 0, 0] => [a.reverse_bits(), 0, 0],
            words => words.map(u64::reverse_bits),
        };
        if self.spec.bitmap.unit == BitmapUnit::Bits128 {
            // Bit 1 announces the second 128-bit unit (fields 130-192); the first is
            // written whole.
            let second = c != 0 || self.min_bitmaps >= 2;
            let first = if second {
                a | EXTENSION
            } else {
                a & !EXTENSION
            };
            return ([first, b, c], if second { 4 } else { 2 });
        }
        let tertiary = self.spec.bitmap.has_tertiary();
        let mut words = [a & !EXTENSION, b, c];
        // In a tertiary layout, bit 65 is the third bitmap's presence bit, not data.
        let second_data = if tertiary { b & !EXTENSION } else { b };
        let third = tertiary && (c != 0 || self.min_bitmaps >= 3);
        let second = third || second_data != 0 || self.min_bitmaps >= 2;
        if second {
            words[0] |= EXTENSION;
        }
        if tertiary {
            words[1] = second_data | if third { EXTENSION } else { 0 };
        }
        (words, 1 + usize::from(second) + usize::from(third))
    }

    /// Size of the encoded message in bytes.
    ///
    /// # Errors
    ///
    /// Never at present; kept fallible for layouts whose size depends on encoding.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        Ok(self.len_with(self.wire_bitmaps().1))
    }

    /// Bytes of the fields set, in total.
    #[inline]
    fn fields_len(&self) -> usize {
        self.store.used().saturating_sub(self.garbage)
    }

    #[inline]
    fn len_with(&self, bitmaps: usize) -> usize {
        let head = self.spec.header_len() + self.spec.mti.wire_len();
        head + bitmaps * self.spec.bitmap.wire_len() + self.fields_len()
    }

    /// Writes the header, MTI and bitmaps.
    fn write_head(
        &self,
        out: &mut impl Sink,
        (words, count): ([u64; 3], usize),
    ) -> Result<(), EncodeError> {
        let header_len = self.spec.header_len();
        if usize::from(self.header_len) != header_len {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::HeaderLength {
                    expected: header_len,
                    found: usize::from(self.header_len),
                },
            });
        }
        if header_len > 0 {
            out.put(self.header());
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

    /// Writes the fields: the whole store at once when it holds them in order, else
    /// field by field.
    #[inline]
    fn write_fields(&self, out: &mut impl Sink) {
        let store = self.store.bytes();
        if self.in_order && self.garbage == 0 {
            out.put(store);
            return;
        }
        for (w, word) in self.present.into_iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let n = w * 64 + bits.trailing_zeros() as usize + 1;
                bits &= bits - 1;
                let (s, l) = self.spans.get(n).copied().unwrap_or((0, 0));
                let (s, l) = (usize::from(s), usize::from(l));
                out.put(store.get(s..s + l).unwrap_or(&[]));
            }
        }
    }

    /// Encodes into `buf`, returning the number of bytes written. Fails, writing
    /// nothing, if `buf` is too small.
    ///
    /// # Errors
    ///
    /// [`EncodeErrorKind::BufferTooSmall`], or [`EncodeErrorKind::HeaderLength`] when
    /// the layout needs a header that was not set.
    pub fn encode_to_slice(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let bitmaps = self.wire_bitmaps();
        let needed = self.len_with(bitmaps.1);
        let Some(dst) = buf.get_mut(..needed) else {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::BufferTooSmall { needed },
            });
        };
        let mut sink = encode::SliceSink { buf: dst, pos: 0 };
        self.write_head(&mut sink, bitmaps)?;
        self.write_fields(&mut sink);
        Ok(needed)
    }

    /// Appends the encoded message to any [`bytes::BufMut`], returning the number of
    /// bytes written. Nothing is written if the message cannot be encoded.
    ///
    /// # Errors
    ///
    /// As [`MessageBuilder::encode_to_slice`].
    #[cfg(feature = "alloc")]
    pub fn encode<B: bytes::BufMut>(&self, buf: &mut B) -> Result<usize, EncodeError> {
        let bitmaps = self.wire_bitmaps();
        let needed = self.len_with(bitmaps.1);
        if buf.remaining_mut() < needed {
            return Err(EncodeError {
                part: Part::Header,
                kind: EncodeErrorKind::BufferTooSmall { needed },
            });
        }
        // The head is checked before anything is written. Its longest form: the header,
        // a hex-ASCII MTI (8) and two 128-bit bitmap units in hex-ASCII (4 x 16).
        let mut short = [0u8; MAX_HEADER + 8 + 4 * 16];
        let mut long = alloc::vec::Vec::new();
        let head: &mut [u8] = if self.header().len() > MAX_HEADER {
            long.resize(self.header().len() + 8 + 4 * 16, 0);
            &mut long
        } else {
            &mut short
        };
        let mut sink = encode::SliceSink { buf: head, pos: 0 };
        self.write_head(&mut sink, bitmaps)?;
        let head_len = sink.pos;
        buf.put_slice(head.get(..head_len).unwrap_or(&[]));
        self.write_fields(&mut encode::BufSink(buf));
        Ok(needed)
    }

    /// Appends the encoded message to a `BytesMut`, reserving the space first. On error
    /// the buffer is left as it was.
    ///
    /// # Errors
    ///
    /// As [`MessageBuilder::encode_to_slice`].
    #[cfg(feature = "alloc")]
    pub fn encode_into(&self, buf: &mut bytes::BytesMut) -> Result<usize, EncodeError> {
        let bitmaps = self.wire_bitmaps();
        let needed = self.len_with(bitmaps.1);
        let start = buf.len();
        // Appended rather than written over zeros: the buffer is not filled first.
        buf.reserve(needed);
        let mut sink = encode::BufSink(buf);
        match self.write_head(&mut sink, bitmaps) {
            Ok(()) => {
                self.write_fields(&mut sink);
                Ok(needed)
            }
            Err(e) => {
                buf.truncate(start);
                Err(e)
            }
        }
    }

    /// The encoded message in a new buffer.
    ///
    /// # Errors
    ///
    /// As [`MessageBuilder::encode_to_slice`].
    #[cfg(feature = "alloc")]
    pub fn to_bytes(&self) -> Result<bytes::BytesMut, EncodeError> {
        let mut buf = bytes::BytesMut::new();
        self.encode_into(&mut buf)?;
        Ok(buf)
    }
}

impl<S: FieldStore> core::fmt::Debug for MessageBuilder<'_, S> {
    /// The layout, MTI and fields set; never the values.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MessageBuilder")
            .field("spec", &self.spec.name)
            .field("mti", &self.mti)
            .field("fields", &self.bitmap())
            .finish_non_exhaustive()
    }
}

fn no_room() -> EncodeErrorKind {
    EncodeErrorKind::BufferTooSmall { needed: 0 }
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

/// Whether `value` is all track characters (digits, `=`, `D`), eight bytes at a time;
/// out of line, so that the builder's hot loop stays as it is for the other fields.
#[inline(never)]
fn track_value(value: &[u8]) -> bool {
    crate::wire::fast::all_track(value)
}

/// For a composite whose subfields the layout checks on decode, whether the field
/// just written (`wire`, length prefix included) reads as its subfields: the builder
/// refuses what the decoder would refuse.
fn subfields_read(spec: &FieldSpec<'_>, wire: &[u8]) -> Result<(), EncodeErrorKind> {
    if !spec.subfields.is_some_and(|c| c.checked_on_decode()) {
        return Ok(());
    }
    let data = Field::from_wire(0, spec, wire).data();
    crate::wire::decode::check_subfields(spec, data).map_err(|(position, problem)| {
        EncodeErrorKind::InvalidSubfields {
            position,
            problem: match problem {
                DecodeErrorKind::InvalidByte { expected, .. } => DecodeErrorKind::InvalidByte {
                    expected,
                    found: Found::Masked,
                },
                other => other,
            },
        }
    })
}

/// Writes `value` in the wire form of `spec` (prefix included) at the end of `store`.
/// On error the caller cuts the store back.
fn write_value<S: FieldStore>(
    spec: &FieldSpec<'_>,
    value: Value<'_>,
    mode: ContentMode,
    store: &mut S,
) -> Result<(), EncodeErrorKind> {
    match value {
        Value::Number(v) => {
            if spec.content != Content::N {
                return Err(EncodeErrorKind::WrongValueKind {
                    expected: "text or bytes (not a number)",
                });
            }
            let mut buf = [0u8; 20];
            let digits = number_digits(v, &mut buf);
            // A number is zero-padded on the left whatever the field's padding.
            let number_spec = match spec.length {
                Length::Fixed(_) => spec.with_padding(Padding::Left(b'0')),
                _ => *spec,
            };
            general(&number_spec, Source::Bytes(digits), mode, store)
        }
        Value::Negative(_) => Err(EncodeErrorKind::WrongValueKind {
            expected: "a number that is not negative",
        }),
        Value::Text(s) => text(spec, s, mode, store),
        #[cfg(feature = "alloc")]
        Value::OwnedText(s) => text(spec, &s, mode, store),
        Value::Bytes(b) => bytes(spec, b, mode, store),
        #[cfg(feature = "alloc")]
        Value::OwnedBytes(b) => bytes(spec, &b, mode, store),
        Value::Wire(d, u) => general(spec, Source::Wire(d, u), mode, store),
        Value::Field(f) => {
            let from = f.spec();
            if from.encoding == spec.encoding && from.content == spec.content {
                general(spec, Source::Wire(f.data(), f.len()), mode, store)
            } else if let Some(s) = f.as_str() {
                text(spec, s, mode, store)
            } else if from.encoding == Encoding::Binary {
                bytes(spec, f.data(), mode, store)
            } else {
                Err(EncodeErrorKind::WrongValueKind {
                    expected: "a field of the same encoding, ASCII text or raw binary",
                })
            }
        }
    }
}

fn text<S: FieldStore>(
    spec: &FieldSpec<'_>,
    s: &str,
    mode: ContentMode,
    store: &mut S,
) -> Result<(), EncodeErrorKind> {
    if !spec.content.is_text() {
        return general(spec, Source::Hex(s.as_bytes()), mode, store);
    }
    // A GBK field takes text in its lossless form (see `wire::gbk`): characters are
    // encoded in GBK, `\xHH` gives a byte.
    #[cfg(feature = "alloc")]
    if spec.encoding == Encoding::Gbk {
        let bytes_of = crate::wire::gbk::to_bytes(s).map_err(|e| match e {
            crate::wire::gbk::GbkError::Escape { position }
            | crate::wire::gbk::GbkError::Unmappable { position } => {
                EncodeErrorKind::InvalidCharacter {
                    expected: "GBK text (a character GBK encodes, or \\xHH)",
                    position,
                }
            }
        })?;
        return bytes(spec, &bytes_of, mode, store);
    }
    if let Some(i) = s.bytes().position(|c| !c.is_ascii()) {
        return Err(EncodeErrorKind::InvalidCharacter {
            expected: "an ASCII character (use bytes for Latin-1 text)",
            position: i,
        });
    }
    bytes(spec, s.as_bytes(), mode, store)
}

fn bytes<S: FieldStore>(
    spec: &FieldSpec<'_>,
    b: &[u8],
    mode: ContentMode,
    store: &mut S,
) -> Result<(), EncodeErrorKind> {
    general(spec, Source::Bytes(b), mode, store)
}

/// [`MessageBuilder::set_fast`]'s check for the rarer kinds of field, out of line so
/// that the two common ones are two plain comparisons (inline, the compiler made all
/// five a jump table).
#[inline(never)]
fn rarer_check(check: u8, value: &[u8], text: bool) -> bool {
    if check == BuildField::OCTETS {
        // Text for a binary field is hex: the general path decodes it.
        !text
    } else if check == BuildField::TRACK {
        track_value(value)
    } else if check == BuildField::SIGNED {
        match value.split_first() {
            Some((sign, digits)) => {
                (*sign == b'C' || *sign == b'D') && crate::wire::fast::all_digits(digits)
            }
            None => false,
        }
    } else {
        false
    }
}

/// Writes `count` as the length prefix of `f` (ASCII or BCD digits, `count` within
/// the prefix's capacity) at the start of `out`; returns its length.
#[inline(always)]
fn put_prefix(f: &BuildField, count: usize, out: &mut [u8]) -> Option<usize> {
    let n = usize::from(f.prefix_len);
    encode::write_count(out.get_mut(..n)?, count, f.bcd);
    Some(n)
}

/// The wire bytes of `value` in field form `f` (whose content check it passed), at
/// the start of `out`: the length prefix, then the value padded to a fixed length and
/// packed or hex-encoded as `f` says. `None` when the result would not fit `out` or
/// needs padding the fast path does not write.
///
/// Out of line on purpose: inlined, whether the compiler kept it in the caller's loop
/// depended on the caller, and the builder's speed moved by up to a tenth with it.
#[inline(never)]
fn fast_wire(f: &BuildField, value: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = value.len();
    let (units, pad_before, mut at) = if f.kind == BuildField::FIXED {
        let units = usize::from(f.len);
        let missing = units - len;
        if missing > 0 && f.pad == 0 {
            return None;
        }
        (units, if f.pad_left { missing } else { 0 }, 0)
    } else if f.kind == BuildField::PREFIXED {
        let count = if f.counts_wire { f.wire_len(len) } else { len };
        (len, 0, put_prefix(f, count, out)?)
    } else {
        return None;
    };
    match f.form {
        BuildField::PLAIN => {
            let end = at + units;
            let dst = out.get_mut(at..end)?;
            if units == len {
                encode::copy_short(dst, value);
            } else {
                let (before, rest) = dst.split_at_mut(pad_before);
                before.fill(f.pad);
                let (body, after) = rest.split_at_mut(len);
                body.copy_from_slice(value);
                after.fill(f.pad);
            }
            Some(end)
        }
        BuildField::HEX => {
            let dst = out.get_mut(at..at + 2 * len)?;
            for (pair, &b) in dst.chunks_exact_mut(2).zip(value) {
                pair.copy_from_slice(&hex::byte_hex(b));
            }
            Some(at + 2 * len)
        }
        BuildField::PACKED => {
            // The logical digits: padding, value, padding; then a pad nibble when
            // their count is odd.
            let pad = f.pad.wrapping_sub(b'0');
            let digit = |i: usize| -> u8 {
                if i < pad_before || i >= pad_before + len {
                    pad
                } else {
                    value
                        .get(i - pad_before)
                        .map_or(0, |c| c.wrapping_sub(b'0'))
                }
            };
            let odd = units % 2 == 1;
            let lead = usize::from(odd && f.filler_first);
            let bytes = units.div_ceil(2);
            let dst = out.get_mut(at..at + bytes)?;
            let nibble = |k: usize| -> u8 {
                if k < lead {
                    f.filler
                } else if k - lead < units {
                    digit(k - lead)
                } else {
                    f.filler
                }
            };
            let pack = |j: usize| (nibble(2 * j) << 4) | (nibble(2 * j + 1) & 0xF);
            let head = lead + pad_before;
            if head % 2 == 0 {
                // The value starts on a byte: its digit pairs are packed directly,
                // the bytes around it nibble by nibble.
                let (first, pairs) = (head / 2, len / 2);
                let (before, rest) = dst.split_at_mut(first);
                for (j, slot) in before.iter_mut().enumerate() {
                    *slot = pack(j);
                }
                let (body, after) = rest.split_at_mut(pairs.min(rest.len()));
                for (slot, pair) in body.iter_mut().zip(value.chunks_exact(2)) {
                    if let [hi, lo] = pair {
                        *slot = (hi.wrapping_sub(b'0') << 4) | (lo.wrapping_sub(b'0') & 0xF);
                    }
                }
                for (j, slot) in after.iter_mut().enumerate() {
                    *slot = pack(first + pairs + j);
                }
            } else {
                for (j, slot) in dst.iter_mut().enumerate() {
                    *slot = pack(j);
                }
            }
            at += bytes;
            Some(at)
        }
        _ => None,
    }
}

/// [`fast_wire`] for the commonest form it writes, an LL or LLL ASCII prefix of
/// `digits` digits before the value's bytes as they are, at the start of `out`: small
/// enough to need no saved registers.
#[inline(never)]
fn ascii_prefixed(digits: usize, value: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = value.len();
    let (prefix, body) = out.split_at_mut_checked(digits)?;
    match prefix {
        [a, b] => [*a, *b] = encode::ascii_pair(len)?,
        [a, b, c] => {
            let hundreds = len / 100;
            *a = b'0' + u8::try_from(hundreds).ok().filter(|&h| h < 10)?;
            [*b, *c] = encode::ascii_pair(len - 100 * hundreds)?;
        }
        _ => return None,
    }
    encode::copy_short(body.get_mut(..len)?, value);
    Some(digits + len)
}

/// Every other case: the codec's planner and writer.
fn general<S: FieldStore>(
    spec: &FieldSpec<'_>,
    source: Source<'_>,
    mode: ContentMode,
    store: &mut S,
) -> Result<(), EncodeErrorKind> {
    let plan = encode::plan(spec, source, Some(mode))?;
    let mut sink = StoreSink { store, full: false };
    encode::write(spec, &plan, &mut sink);
    if sink.full { Err(no_room()) } else { Ok(()) }
}
