//! Hex without allocation, for keys and check values.

use core::fmt;

use crate::security::Error;

/// Decodes `text` (either case, no separators) into `out`, returning the byte count.
pub(crate) fn decode(text: &str, out: &mut [u8]) -> Result<usize, Error> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(Error::OddHexLength {
            found: digits.len(),
        });
    }
    let n = digits.len() / 2;
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let (hi, lo) = match pair {
            [hi, lo] => (*hi, *lo),
            _ => {
                return Err(Error::OddHexLength {
                    found: digits.len(),
                });
            }
        };
        let hi = nibble(hi).ok_or(Error::NotHex { position: 2 * i })?;
        let lo = nibble(lo).ok_or(Error::NotHex {
            position: 2 * i + 1,
        })?;
        if let Some(slot) = out.get_mut(i) {
            *slot = hi << 4 | lo;
        }
    }
    Ok(n)
}

/// The value of one hex digit.
pub(crate) const fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The uppercase hex digit of a nibble's value (low four bits).
pub(crate) const fn digit(v: u8) -> u8 {
    b"0123456789ABCDEF"[(v & 0x0F) as usize]
}

/// Writes `bytes` as uppercase hex into `out` (two characters per byte, as far as
/// `out` goes).
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) {
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            *hi = digit(b >> 4);
            *lo = digit(*b);
        }
    }
}

/// Displays bytes as uppercase hex.
pub(crate) struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}
