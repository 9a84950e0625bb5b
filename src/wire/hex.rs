//! Hex-ASCII helpers.
//!
//! ```
//! use iso8583_wire::wire::hex;
//!
//! let mut out = [0u8; 2];
//! assert_eq!(hex::decode_into(b"aB01", &mut out), Ok(2));
//! assert_eq!(out, [0xAB, 0x01]);
//! assert_eq!(hex::nibble(b'g'), None);
//! ```

/// Uppercase hex digits.
pub const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Hex character values (0xFF for a non-hex byte).
static VALUES: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut c = 0;
    while c < 256 {
        if let Some(v) = nibble(c as u8) {
            t[c] = v;
        }
        c += 1;
    }
    t
};

/// Sixteen hex characters as a number, or the index of the first bad character.
#[inline]
pub(crate) fn parse_u64(text: &[u8; 16]) -> Result<u64, usize> {
    let mut v = 0u64;
    let mut bad = 0u8;
    for &c in text {
        let d = VALUES[usize::from(c)];
        bad |= d;
        v = (v << 4) | u64::from(d & 0xF);
    }
    if bad & 0xF0 == 0 {
        Ok(v)
    } else {
        Err(text.iter().position(|&c| nibble(c).is_none()).unwrap_or(0))
    }
}

/// The value of one hex character (either case).
#[inline]
pub const fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Why hex text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HexError {
    /// An odd number of characters.
    #[error("hex text has an odd number of characters")]
    OddLength,
    /// A character that is not a hex digit.
    #[error("character at position {0} is not a hex digit")]
    InvalidCharacter(usize),
    /// The output is too small.
    #[error("output too small for the decoded bytes")]
    OutputTooSmall,
}

/// Decodes hex text into `out`, returning the number of bytes written.
///
/// # Errors
///
/// [`HexError`] for a character that is not a hex digit, an odd number of digits, or output
/// too small.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> Result<usize, HexError> {
    if !text.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    let n = text.len() / 2;
    let out = out.get_mut(..n).ok_or(HexError::OutputTooSmall)?;
    for (i, (pair, o)) in text.chunks_exact(2).zip(out.iter_mut()).enumerate() {
        let (hi, lo) = (pair[0], pair[1]);
        let hi = nibble(hi).ok_or(HexError::InvalidCharacter(2 * i))?;
        let lo = nibble(lo).ok_or(HexError::InvalidCharacter(2 * i + 1))?;
        *o = (hi << 4) | lo;
    }
    Ok(n)
}

/// Checks that `text` is hex (even length, hex digits), returning the index of the first
/// bad character.
///
/// # Errors
///
/// [`HexError`] for a character that is not a hex digit or an odd number of digits.
pub fn validate(text: &[u8]) -> Result<(), HexError> {
    if let Some(i) = text.iter().position(|&c| nibble(c).is_none()) {
        return Err(HexError::InvalidCharacter(i));
    }
    if !text.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    Ok(())
}

/// Uppercase hex of `bytes`, written to a formatter.
///
/// `Display` writes the bytes (that is what the type is for); `Debug` writes only
/// their count, so that a `Hex` caught in a `{:?}` of some larger value does not
/// print card data.
#[derive(Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Hex({} bytes)", self.0.len())
    }
}

impl<'a> Hex<'a> {
    /// Itself, for use as a `Display` value in `Debug` output.
    pub fn to_display(self) -> impl core::fmt::Debug + 'a {
        struct D<'b>(Hex<'b>);
        impl core::fmt::Debug for D<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(&self.0, f)
            }
        }
        D(self)
    }
}

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // In blocks of 32 bytes: one write per block rather than per byte.
        let mut block = [0u8; 64];
        for chunk in self.0.chunks(32) {
            for (pair, &b) in block.chunks_exact_mut(2).zip(chunk) {
                pair.copy_from_slice(&byte_hex(b));
            }
            let text = block.get(..2 * chunk.len()).unwrap_or(&[]);
            f.write_str(core::str::from_utf8(text).map_err(|_| core::fmt::Error)?)?;
        }
        Ok(())
    }
}

/// One byte as two uppercase hex characters.
#[inline]
pub const fn byte_hex(b: u8) -> [u8; 2] {
    [UPPER[(b >> 4) as usize], UPPER[(b & 0xF) as usize]]
}

/// A 64-bit number as sixteen uppercase hex characters, most significant first.
///
/// ```
/// use iso8583_wire::wire::hex;
///
/// assert_eq!(&hex::u64_upper(0x7238_0480_08C0_8000), b"7238048008C08000");
/// ```
#[inline]
pub const fn u64_upper(v: u64) -> [u8; 16] {
    /// Eight hex characters of a 32-bit number, first character in the lowest byte.
    const fn eight(x: u32) -> u64 {
        // Spread the nibbles one per byte, most significant nibble in the top byte,
        // then put the first character in the lowest byte.
        let v = x as u64;
        let v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        let v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        let v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        let v = v.swap_bytes();
        // '0' + nibble, plus 7 more for 10-15 ('9' + 1 + 7 = 'A').
        let letters = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
        v + 0x3030_3030_3030_3030 + letters * 7
    }
    let hi = eight((v >> 32) as u32).to_le_bytes();
    let lo = eight(v as u32).to_le_bytes();
    [
        hi[0], hi[1], hi[2], hi[3], hi[4], hi[5], hi[6], hi[7], lo[0], lo[1], lo[2], lo[3], lo[4],
        lo[5], lo[6], lo[7],
    ]
}

/// Decodes hex text into a new vector.
///
/// # Errors
///
/// [`HexError`] for a character that is not a hex digit or an odd number of digits.
#[cfg(feature = "alloc")]
pub fn decode(text: &str) -> Result<alloc::vec::Vec<u8>, HexError> {
    let t: alloc::vec::Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = alloc::vec![0u8; t.len() / 2];
    decode_into(&t, &mut out)?;
    Ok(out)
}

/// Uppercase hex of `bytes` as a new string.
#[cfg(feature = "alloc")]
pub fn encode(bytes: &[u8]) -> alloc::string::String {
    let mut out = alloc::string::String::with_capacity(2 * bytes.len());
    for &b in bytes {
        let [hi, lo] = byte_hex(b);
        out.push(char::from(hi));
        out.push(char::from(lo));
    }
    out
}
