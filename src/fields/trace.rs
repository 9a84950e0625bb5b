//! Trace codes: the STAN (field 11) and the RRN (field 37).

use core::fmt;
use core::str::FromStr;

use crate::message::Field;

/// Why a trace code is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// A STAN must be exactly six digits.
    #[error("a STAN is exactly 6 digits")]
    StanNotSixDigits,
    /// `000000` is not a valid trace number.
    #[error("STAN 000000 is not a valid trace number")]
    StanZero,
    /// A STAN number above 999999.
    #[error("a STAN is at most 999999")]
    StanTooLarge,
    /// An RRN must be exactly twelve letters or digits.
    #[error("an RRN is exactly 12 letters or digits")]
    RrnMalformed,
    /// The message has no such field.
    #[error("field {0} is absent")]
    Missing(usize),
}

/// System trace audit number (field 11): n6, 000001-999999.
///
/// Unique per terminal within a day; the response echoes it. After 999999 comes 000001:
/// `000000` is never a valid trace.
///
/// ```
/// use iso8583_wire::fields::Stan;
///
/// let s: Stan = "999999".parse()?;
/// assert_eq!(s.next().to_string(), "000001");
/// assert!("000000".parse::<Stan>().is_err());
/// assert!("12345".parse::<Stan>().is_err());
/// assert_eq!(Stan::new(42)?.to_string(), "000042");
/// # Ok::<(), iso8583_wire::fields::TraceError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stan(u32);

impl Stan {
    /// The highest STAN.
    pub const MAX: Stan = Stan(999_999);
    /// The first STAN.
    pub const FIRST: Stan = Stan(1);

    /// A STAN from its number, 1..=999999.
    ///
    /// # Errors
    ///
    /// [`TraceError`] for 0 or a number above 999999.
    pub const fn new(value: u32) -> Result<Stan, TraceError> {
        match value {
            0 => Err(TraceError::StanZero),
            1..=999_999 => Ok(Stan(value)),
            _ => Err(TraceError::StanTooLarge),
        }
    }

    /// The number, 1..=999999.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// The following STAN: 999999 wraps to 000001.
    pub const fn next(self) -> Stan {
        if self.0 >= 999_999 {
            Stan(1)
        } else {
            Stan(self.0 + 1)
        }
    }

    /// The STAN `n` steps ahead, wrapping past 999999 to 000001.
    pub const fn advance(self, n: u32) -> Stan {
        let zero_based = (self.0 as u64 - 1 + n as u64) % 999_999;
        Stan(zero_based as u32 + 1)
    }

    /// How many steps forward lead from `self` to `later` (0 when equal), taking the
    /// wrap from 999999 to 000001 into account.
    pub const fn steps_to(self, later: Stan) -> u32 {
        (later.0 + 999_999 - self.0) % 999_999
    }

    /// The STAN for a monotonic counter value (1 -> 000001, 999999 -> 999999,
    /// 1000000 -> 000001): how sequences map their never-decreasing counters to STANs.
    pub const fn from_counter(counter: u64) -> Stan {
        let c = if counter == 0 { 0 } else { counter - 1 };
        Stan((c % 999_999) as u32 + 1)
    }

    /// Six ASCII digits.
    pub const fn to_ascii(self) -> [u8; 6] {
        let mut out = [b'0'; 6];
        let mut v = self.0;
        let mut i = 6;
        while i > 0 {
            i -= 1;
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out
    }

    /// Parses six ASCII digits.
    ///
    /// # Errors
    ///
    /// [`TraceError`] when the bytes are not the code's form (a STAN: six digits, not
    /// 000000; an RRN: 12 letters or digits).
    #[inline]
    pub fn from_ascii(bytes: &[u8]) -> Result<Stan, TraceError> {
        if bytes.len() != 6 {
            return Err(TraceError::StanNotSixDigits);
        }
        match crate::message::short_digits_value(bytes) {
            Some(v) => Stan::new(v as u32),
            None => Err(TraceError::StanNotSixDigits),
        }
    }

    /// Reads a STAN from a decoded field (ASCII, BCD or EBCDIC).
    ///
    /// # Errors
    ///
    /// [`TraceError`] when the field's characters are not the code's form.
    #[inline]
    pub fn from_field(field: &Field<'_>) -> Result<Stan, TraceError> {
        if let Some(text) = field.plain_symbols() {
            return Stan::from_ascii(text);
        }
        let mut buf = [0u8; 6];
        let mut n = 0;
        for c in field.symbols() {
            match buf.get_mut(n) {
                Some(slot) => *slot = c,
                None => return Err(TraceError::StanNotSixDigits),
            }
            n += 1;
        }
        Stan::from_ascii(buf.get(..n).unwrap_or(&[]))
    }
}

impl fmt::Display for Stan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl fmt::Debug for Stan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stan({self})")
    }
}

impl FromStr for Stan {
    type Err = TraceError;
    fn from_str(s: &str) -> Result<Stan, TraceError> {
        Stan::from_ascii(s.as_bytes())
    }
}

impl TryFrom<&[u8]> for Stan {
    type Error = TraceError;
    fn try_from(b: &[u8]) -> Result<Stan, TraceError> {
        Stan::from_ascii(b)
    }
}

impl TryFrom<u32> for Stan {
    type Error = TraceError;
    fn try_from(v: u32) -> Result<Stan, TraceError> {
        Stan::new(v)
    }
}

impl From<Stan> for u32 {
    fn from(s: Stan) -> u32 {
        s.0
    }
}

/// Retrieval reference number (field 37): an12, assigned by the acquirer or host and
/// echoed thereafter.
///
/// A common construction is `YDDDHHNNNNNN` (see [`crate::trace::RrnGenerator`]), but
/// received RRNs may contain letters: an RRN is validated as 12 letters or digits, not
/// as a structure.
///
/// ```
/// use iso8583_wire::fields::Rrn;
///
/// let r: Rrn = "507414000123".parse()?;
/// assert_eq!(r.as_str(), "507414000123");
/// assert!("ABC123XYZ789".parse::<Rrn>().is_ok());
/// assert!("50741400012".parse::<Rrn>().is_err());
/// assert!("5074140001 3".parse::<Rrn>().is_err());
/// # Ok::<(), iso8583_wire::fields::TraceError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rrn([u8; 12]);

impl Rrn {
    /// Parses 12 ASCII letters or digits.
    ///
    /// # Errors
    ///
    /// [`TraceError`] when the bytes are not the code's form (a STAN: six digits, not
    /// 000000; an RRN: 12 letters or digits).
    pub fn from_ascii(bytes: &[u8]) -> Result<Rrn, TraceError> {
        let arr: [u8; 12] = bytes.try_into().map_err(|_| TraceError::RrnMalformed)?;
        if arr.iter().all(u8::is_ascii_alphanumeric) {
            Ok(Rrn(arr))
        } else {
            Err(TraceError::RrnMalformed)
        }
    }

    /// An RRN from twelve bytes the caller built from ASCII digits.
    pub(crate) const fn from_digits(digits: [u8; 12]) -> Rrn {
        Rrn(digits)
    }

    /// Reads an RRN from a decoded field.
    ///
    /// # Errors
    ///
    /// [`TraceError`] when the field's characters are not the code's form.
    #[inline]
    pub fn from_field(field: &Field<'_>) -> Result<Rrn, TraceError> {
        if let Some(text) = field.plain_symbols() {
            return Rrn::from_ascii(text);
        }
        let mut buf = [0u8; 12];
        let mut n = 0;
        for c in field.symbols() {
            match buf.get_mut(n) {
                Some(slot) => *slot = c,
                None => return Err(TraceError::RrnMalformed),
            }
            n += 1;
        }
        Rrn::from_ascii(buf.get(..n).unwrap_or(&[]))
    }

    /// The twelve characters.
    pub fn as_str(&self) -> &str {
        // Always ASCII alphanumerics: from_utf8 cannot fail.
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The twelve bytes.
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

impl fmt::Display for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rrn({self})")
    }
}

impl FromStr for Rrn {
    type Err = TraceError;
    fn from_str(s: &str) -> Result<Rrn, TraceError> {
        Rrn::from_ascii(s.as_bytes())
    }
}

impl TryFrom<&[u8]> for Rrn {
    type Error = TraceError;
    fn try_from(b: &[u8]) -> Result<Rrn, TraceError> {
        Rrn::from_ascii(b)
    }
}

#[cfg(test)]
mod tests;
