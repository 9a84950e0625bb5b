//! GBK text (UnionPay fields 43 and 56) as text that converts back to the same bytes.
//!
//! A GBK field's value is shown as text in one lossless form:
//!
//! * with the `gbk` feature, when the whole value is valid GBK and encodes back to the
//!   same bytes, its characters, each backslash doubled (`\\`);
//! * otherwise ASCII bytes as characters (backslash doubled) and every byte from 0x80
//!   up as `\xHH`.
//!
//! [`to_bytes`] reads either form back to exactly the bytes it came from, so a value the
//! decoder shows encodes to the same bytes (what the JSON form and the CLI rely on).
//!
//! ```
//! use iso8583_wire::wire::gbk;
//!
//! let bytes = b"SHOP \\ 12\xFF"; // 0xFF is not GBK
//! let text = gbk::to_text(bytes);
//! assert_eq!(text, "SHOP \\\\ 12\\xFF");
//! assert_eq!(gbk::to_bytes(&text).unwrap(), bytes);
//! ```

#[cfg(feature = "alloc")]
use alloc::string::String;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// The position of the first byte that is not GBK text, if any (with the `gbk`
/// feature; without it nothing can be checked and `None` is returned).
pub fn first_invalid(bytes: &[u8]) -> Option<usize> {
    #[cfg(feature = "gbk")]
    {
        if encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
        {
            return None;
        }
        // Find the first bad position by decoding growing prefixes of whole characters.
        let mut i = 0;
        while i < bytes.len() {
            let step = if bytes.get(i).is_some_and(|&b| b < 0x80) {
                1
            } else {
                2
            };
            let end = (i + step).min(bytes.len());
            let ok = bytes.get(i..end).is_some_and(|c| {
                encoding_rs::GBK
                    .decode_without_bom_handling_and_without_replacement(c)
                    .is_some()
            });
            if !ok {
                return Some(i);
            }
            i = end;
        }
        None
    }
    #[cfg(not(feature = "gbk"))]
    {
        let _ = bytes;
        None
    }
}

#[cfg(feature = "alloc")]
/// The bytes of a GBK field as text (see the [module docs](self)).
pub fn to_text(bytes: &[u8]) -> String {
    #[cfg(feature = "gbk")]
    if let Some(text) = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes)
    {
        let (back, _, unmappable) = encoding_rs::GBK.encode(&text);
        if !unmappable && back.as_ref() == bytes {
            return text.replace('\\', "\\\\");
        }
    }
    escaped(bytes)
}

#[cfg(feature = "alloc")]
/// ASCII as is (backslash doubled), other bytes as `\xHH`.
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x00..=0x7F => out.push(char::from(b)),
            _ => {
                out.push_str("\\x");
                out.push(char::from(crate::wire::hex::UPPER[usize::from(b >> 4)]));
                out.push(char::from(crate::wire::hex::UPPER[usize::from(b & 0xF)]));
            }
        }
    }
    out
}

/// Why text could not be turned into GBK bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GbkError {
    /// A backslash not followed by `\` or `xHH`.
    #[error("a backslash at position {position} is not followed by \\\\ or xHH")]
    Escape {
        /// Byte position in the text.
        position: usize,
    },
    /// A character GBK cannot encode (or, without the `gbk` feature, any character
    /// outside ASCII: write it as `\xHH` bytes).
    #[error("the character at position {position} has no GBK form")]
    Unmappable {
        /// Byte position in the text.
        position: usize,
    },
}

#[cfg(feature = "alloc")]
/// The bytes a GBK field's text stands for (see the [module docs](self)).
///
/// # Errors
///
/// [`GbkError`] for a malformed escape or a character GBK cannot encode.
pub fn to_bytes(text: &str) -> Result<Vec<u8>, GbkError> {
    let mut out = Vec::with_capacity(text.len());
    let mut run_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            continue;
        }
        encode_run(text.get(run_start..i).unwrap_or(""), run_start, &mut out)?;
        match chars.next() {
            Some((_, '\\')) => out.push(b'\\'),
            Some((_, 'x')) => {
                let hi = chars.next().and_then(|(_, h)| h.to_digit(16));
                let lo = chars.next().and_then(|(_, l)| l.to_digit(16));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                    _ => return Err(GbkError::Escape { position: i }),
                }
            }
            _ => return Err(GbkError::Escape { position: i }),
        }
        run_start = chars.peek().map_or(text.len(), |&(j, _)| j);
    }
    encode_run(text.get(run_start..).unwrap_or(""), run_start, &mut out)?;
    Ok(out)
}

#[cfg(feature = "alloc")]
/// Encodes a run of text without escapes.
fn encode_run(run: &str, offset: usize, out: &mut Vec<u8>) -> Result<(), GbkError> {
    if run.is_ascii() {
        out.extend_from_slice(run.as_bytes());
        return Ok(());
    }
    #[cfg(feature = "gbk")]
    {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(run);
        if !unmappable {
            out.extend_from_slice(&bytes);
            return Ok(());
        }
    }
    let position = offset + run.find(|c: char| !c.is_ascii()).unwrap_or(0);
    Err(GbkError::Unmappable { position })
}
