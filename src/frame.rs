//! Framing: the length header that precedes each message on a stream, the TPDU, and a
//! streaming splitter.
//!
//! Everything here is sans-IO: [`Framing::parse`] looks at bytes and says how much
//! makes a frame, [`FrameSplitter`] buffers arbitrary chunks (one byte at a time works)
//! and yields whole frames, [`Framing::encode`] writes a header and payload. With the
//! `tokio` feature, [`FrameCodec`] plugs the same logic into `tokio_util::codec`.
//!
//! ```
//! use iso8583_wire::frame::{Framing, LengthHeader};
//!
//! let framing = Framing::new(LengthHeader::Binary2);
//! let mut wire = Vec::new();
//! framing.encode(b"0800...", &mut wire)?;
//! assert_eq!(&wire[..2], &[0, 7]);
//! assert_eq!(framing.parse(&wire)?, Some((&b"0800..."[..], 9)));
//! assert_eq!(framing.parse(&wire[..5])?, None); // partial: wait for more
//! # Ok::<(), iso8583_wire::frame::FrameError>(())
//! ```

use core::fmt;

/// How the length of a frame is written before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LengthHeader {
    /// 2 bytes, binary big-endian (0-65535). The usual POS/UnionPay header.
    Binary2,
    /// 4 bytes, binary big-endian.
    Binary4,
    /// 2 bytes of packed BCD (0-9999).
    Bcd2,
    /// 4 ASCII digits (0-9999).
    Ascii4,
}

impl LengthHeader {
    /// Bytes the header takes.
    pub const fn len(self) -> usize {
        match self {
            LengthHeader::Binary2 | LengthHeader::Bcd2 => 2,
            LengthHeader::Binary4 | LengthHeader::Ascii4 => 4,
        }
    }

    /// Always false: a header has bytes.
    pub const fn is_empty(self) -> bool {
        false
    }

    /// The largest length the header can express.
    pub const fn capacity(self) -> usize {
        match self {
            LengthHeader::Binary2 => 0xFFFF,
            LengthHeader::Binary4 => u32::MAX as usize,
            LengthHeader::Bcd2 | LengthHeader::Ascii4 => 9999,
        }
    }

    /// A name for the command line (`bin2`, `bin4`, `bcd2`, `ascii4`).
    pub const fn name(self) -> &'static str {
        match self {
            LengthHeader::Binary2 => "bin2",
            LengthHeader::Binary4 => "bin4",
            LengthHeader::Bcd2 => "bcd2",
            LengthHeader::Ascii4 => "ascii4",
        }
    }

    /// The header by name (see [`LengthHeader::name`]).
    pub fn by_name(name: &str) -> Option<LengthHeader> {
        [
            LengthHeader::Binary2,
            LengthHeader::Binary4,
            LengthHeader::Bcd2,
            LengthHeader::Ascii4,
        ]
        .into_iter()
        .find(|h| h.name() == name)
    }
}

/// A bad frame header or a frame the limits refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The header is not a number in its encoding.
    #[error("bad frame length header at byte {position}: found 0x{found:02X}")]
    BadHeader {
        /// Position of the bad byte in the header.
        position: usize,
        /// The byte.
        found: u8,
    },
    /// The header announces more than the maximum frame size.
    #[error("frame of {length} bytes is above the maximum of {max}")]
    TooLarge {
        /// The length announced.
        length: usize,
        /// The maximum.
        max: usize,
    },
    /// A header that counts itself announces less than its own size.
    #[error("frame length {length} is shorter than its own {header}-byte header")]
    TooShort {
        /// The length announced.
        length: usize,
        /// The header's size.
        header: usize,
    },
    /// A payload too long for the header or the maximum.
    #[error("payload of {length} bytes does not fit (maximum {max})")]
    PayloadTooLong {
        /// The payload length.
        length: usize,
        /// The most the header and limit allow.
        max: usize,
    },
}

/// A framing: header form, whether the length counts the header itself, and the
/// largest frame accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Framing {
    /// The length header.
    pub header: LengthHeader,
    /// Whether the length includes the header's own bytes.
    pub counts_itself: bool,
    /// The largest payload accepted (bytes after the header).
    pub max_payload: usize,
}

impl Framing {
    /// A framing whose length counts only the payload, with a maximum of 8192 bytes.
    pub const fn new(header: LengthHeader) -> Self {
        Framing {
            header,
            counts_itself: false,
            max_payload: 8192,
        }
    }

    /// The same framing with the length counting the header too.
    pub const fn counting_itself(self) -> Self {
        Framing {
            counts_itself: true,
            ..self
        }
    }

    /// The same framing with another maximum payload.
    pub const fn with_max_payload(self, max_payload: usize) -> Self {
        Framing {
            max_payload,
            ..self
        }
    }

    /// Reads the header at the start of `input`: the payload length, or `None` if the
    /// header is not complete yet.
    ///
    /// # Errors
    ///
    /// [`FrameError`] when the header is not a number of its form, or the length is above
    /// the framing's maximum.
    pub fn payload_len(&self, input: &[u8]) -> Result<Option<usize>, FrameError> {
        let Some(raw) = input.get(..self.header.len()) else {
            return Ok(None);
        };
        let mut n = 0usize;
        match self.header {
            LengthHeader::Binary2 | LengthHeader::Binary4 => {
                for (i, &b) in raw.iter().enumerate() {
                    // Four bytes fill a 32-bit usize exactly; checked all the same,
                    // so that no width can wrap.
                    n = n.checked_mul(256).map(|v| v | usize::from(b)).ok_or(
                        FrameError::BadHeader {
                            position: i,
                            found: b,
                        },
                    )?;
                }
            }
            LengthHeader::Bcd2 => {
                for (i, &b) in raw.iter().enumerate() {
                    if b >> 4 > 9 || b & 0xF > 9 {
                        return Err(FrameError::BadHeader {
                            position: i,
                            found: b,
                        });
                    }
                    // At most 9999: cannot overflow, but kept checked with the rest.
                    n = n
                        .saturating_mul(100)
                        .saturating_add(usize::from(b >> 4) * 10 + usize::from(b & 0xF));
                }
            }
            LengthHeader::Ascii4 => {
                for (i, &b) in raw.iter().enumerate() {
                    if !b.is_ascii_digit() {
                        return Err(FrameError::BadHeader {
                            position: i,
                            found: b,
                        });
                    }
                    n = n.saturating_mul(10).saturating_add(usize::from(b - b'0'));
                }
            }
        }
        let header = self.header.len();
        let payload = if self.counts_itself {
            n.checked_sub(header)
                .ok_or(FrameError::TooShort { length: n, header })?
        } else {
            n
        };
        if payload > self.max_payload {
            return Err(FrameError::TooLarge {
                length: payload,
                max: self.max_payload,
            });
        }
        Ok(Some(payload))
    }

    /// One frame at the start of `input`: its payload and the bytes it takes, or `None`
    /// if more input is needed.
    ///
    /// # Errors
    ///
    /// [`FrameError`] when the length header is malformed or announces more than the
    /// maximum.
    pub fn parse<'a>(&self, input: &'a [u8]) -> Result<Option<(&'a [u8], usize)>, FrameError> {
        let Some(len) = self.payload_len(input)? else {
            return Ok(None);
        };
        let start = self.header.len();
        let end = start.checked_add(len).ok_or(FrameError::TooLarge {
            length: len,
            max: self.max_payload,
        })?;
        Ok(input.get(start..end).map(|payload| (payload, end)))
    }

    /// The header for a payload of `len` bytes.
    ///
    /// # Errors
    ///
    /// [`FrameError::PayloadTooLong`] when the payload does not fit the header or the
    /// maximum.
    pub fn header_for(&self, len: usize) -> Result<([u8; 4], usize), FrameError> {
        let h = self.header.len();
        let own = if self.counts_itself { h } else { 0 };
        let max = self
            .max_payload
            .min(self.header.capacity().saturating_sub(own));
        // Checked before any sum: `len` may be anything the caller passes.
        let value = match len.checked_add(own) {
            Some(v) if len <= max => v,
            _ => return Err(FrameError::PayloadTooLong { length: len, max }),
        };
        let mut out = [0u8; 4];
        match self.header {
            LengthHeader::Binary2 => out[..2].copy_from_slice(&(value as u16).to_be_bytes()),
            LengthHeader::Binary4 => out.copy_from_slice(&(value as u32).to_be_bytes()),
            LengthHeader::Bcd2 => {
                let v = value as u16;
                out[0] = ((v / 1000 % 10) << 4 | (v / 100 % 10)) as u8;
                out[1] = ((v / 10 % 10) << 4 | (v % 10)) as u8;
            }
            LengthHeader::Ascii4 => {
                let mut v = value;
                for slot in out.iter_mut().rev() {
                    *slot = b'0' + (v % 10) as u8;
                    v /= 10;
                }
            }
        }
        Ok((out, h))
    }

    /// Writes the header and `payload` to `out`.
    ///
    /// # Errors
    ///
    /// [`FrameError::PayloadTooLong`] when the payload does not fit the header or the
    /// maximum.
    #[cfg(feature = "alloc")]
    pub fn encode(&self, payload: &[u8], out: &mut impl bytes::BufMut) -> Result<(), FrameError> {
        let (h, n) = self.header_for(payload.len())?;
        out.put_slice(h.get(..n).unwrap_or(&[]));
        out.put_slice(payload);
        Ok(())
    }
}

/// Buffers chunks of a stream and yields whole frames.
///
/// ```
/// use iso8583_wire::frame::{FrameSplitter, Framing, LengthHeader};
///
/// let mut s = FrameSplitter::new(Framing::new(LengthHeader::Ascii4));
/// for b in b"0003abc0002de" {
///     s.push(&[*b]); // one byte at a time
/// }
/// assert_eq!(s.next_frame()?.as_deref(), Some(&b"abc"[..]));
/// assert_eq!(s.next_frame()?.as_deref(), Some(&b"de"[..]));
/// assert_eq!(s.next_frame()?, None);
/// # Ok::<(), iso8583_wire::frame::FrameError>(())
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub struct FrameSplitter {
    framing: Framing,
    buf: bytes::BytesMut,
    error: Option<FrameError>,
}

#[cfg(feature = "alloc")]
impl fmt::Debug for FrameSplitter {
    /// Shows how much is buffered, never the bytes (they may hold card data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameSplitter")
            .field("framing", &self.framing)
            .field("buffered", &self.buf.len())
            .field("error", &self.error)
            .finish()
    }
}

#[cfg(feature = "alloc")]
impl FrameSplitter {
    /// A splitter for `framing`.
    pub fn new(framing: Framing) -> Self {
        FrameSplitter {
            framing,
            buf: bytes::BytesMut::new(),
            error: None,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Bytes buffered and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole frame's payload, `None` if more bytes are needed. After a header
    /// error the stream cannot be resynchronised: the same error is returned again.
    ///
    /// # Errors
    ///
    /// [`FrameError`] when a length header is malformed or announces more than the maximum.
    /// The error stays: later calls return it again, since the stream cannot be
    /// resynchronised after a bad header.
    pub fn next_frame(&mut self) -> Result<Option<bytes::Bytes>, FrameError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match split_frame(&self.framing, &mut self.buf) {
            Err(e) => {
                crate::event!(warn, error = %e, "frame refused; the stream cannot go on");
                self.error = Some(e);
                Err(e)
            }
            ok => ok.map(|f| f.map(bytes::BytesMut::freeze)),
        }
    }
}

/// Takes one frame off the front of `buf`, if whole.
#[cfg(feature = "alloc")]
fn split_frame(
    framing: &Framing,
    buf: &mut bytes::BytesMut,
) -> Result<Option<bytes::BytesMut>, FrameError> {
    let Some(len) = framing.payload_len(buf)? else {
        return Ok(None);
    };
    let h = framing.header.len();
    // Checked: with a raised maximum on a 32-bit target, a 4-byte header announcing
    // close to `u32::MAX` would wrap `h + len`.
    let total = h.checked_add(len).ok_or(FrameError::TooLarge {
        length: len,
        max: framing.max_payload,
    })?;
    if buf.len() < total {
        // Grow with the data, not with what a header announces.
        buf.reserve(total.saturating_sub(buf.len()).min(64 * 1024));
        return Ok(None);
    }
    let mut frame = buf.split_to(total);
    Ok(Some(frame.split_off(h)))
}

/// `tokio_util::codec` adapter over a [`Framing`] (feature `tokio`): decodes to payloads,
/// encodes payloads.
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy)]
pub struct FrameCodec {
    framing: Framing,
}

#[cfg(feature = "tokio")]
impl FrameCodec {
    /// A codec for `framing`.
    pub const fn new(framing: Framing) -> Self {
        FrameCodec { framing }
    }
}

/// Errors of the tokio codec: framing or I/O.
#[cfg(feature = "tokio")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A framing error.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An I/O error of the underlying stream.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[cfg(feature = "tokio")]
impl tokio_util::codec::Decoder for FrameCodec {
    type Item = bytes::BytesMut;
    type Error = CodecError;

    fn decode(&mut self, src: &mut bytes::BytesMut) -> Result<Option<Self::Item>, CodecError> {
        Ok(split_frame(&self.framing, src)?)
    }
}

#[cfg(feature = "tokio")]
impl<T: AsRef<[u8]>> tokio_util::codec::Encoder<T> for FrameCodec {
    type Error = CodecError;

    fn encode(&mut self, item: T, dst: &mut bytes::BytesMut) -> Result<(), CodecError> {
        let payload = item.as_ref();
        dst.reserve(self.framing.header.len() + payload.len());
        Ok(self.framing.encode(payload, dst)?)
    }
}

/// The 5-byte transport protocol data unit before UnionPay and many POS messages:
/// id (usually `0x60`), destination address, source address.
///
/// ```
/// use iso8583_wire::frame::Tpdu;
///
/// let t = Tpdu::from_bytes(&[0x60, 0x00, 0x03, 0x00, 0x00]).unwrap();
/// assert_eq!((t.id, t.destination, t.source), (0x60, 0x0003, 0x0000));
/// assert_eq!(t.reply().to_bytes(), [0x60, 0x00, 0x00, 0x00, 0x03]);
/// assert_eq!(t.to_string(), "6000030000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tpdu {
    /// Protocol id (`0x60` for TPDU).
    pub id: u8,
    /// Destination address (NII).
    pub destination: u16,
    /// Source address.
    pub source: u16,
}

impl Tpdu {
    /// Reads 5 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Tpdu> {
        match bytes {
            [id, d1, d2, s1, s2] => Some(Tpdu {
                id: *id,
                destination: u16::from_be_bytes([*d1, *d2]),
                source: u16::from_be_bytes([*s1, *s2]),
            }),
            _ => None,
        }
    }

    /// The 5 bytes.
    pub fn to_bytes(self) -> [u8; 5] {
        let d = self.destination.to_be_bytes();
        let s = self.source.to_be_bytes();
        [self.id, d[0], d[1], s[0], s[1]]
    }

    /// The TPDU of a reply: source and destination swapped.
    pub const fn reply(self) -> Tpdu {
        Tpdu {
            id: self.id,
            destination: self.source,
            source: self.destination,
        }
    }
}

impl fmt::Display for Tpdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X}{:04X}{:04X}",
            self.id, self.destination, self.source
        )
    }
}

#[cfg(test)]
mod tests;
