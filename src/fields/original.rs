//! Original data elements: how a reversal, an advice or an inquiry names the
//! transaction it is about.

use core::fmt;

use crate::fields::Stan;
use crate::message::{Field, Message};
use crate::mti::Mti;
use crate::spec::{Content, Length, MessageSpec};

/// Where a layout keeps the original data elements of reversals and advices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OriginalDataForm {
    /// Field 90, n42: MTI 4 + STAN 6 + field 7 10 + acquirer 11 + forwarding 11 (1987).
    Field90,
    /// Field 56, n..35: MTI 4 + STAN 6 + date-time 12 + LLVAR acquirer (1993).
    Field56,
    /// Field 61 (UnionPay POS): batch 6 + POS trace 6 + date 4.
    Field61,
    /// No original data elements.
    None,
}

impl OriginalDataForm {
    /// Recognises the form from the layout's field definitions: 90 as fixed n42, else
    /// 56 as n..35, else 61 as variable n (UnionPay), else none.
    pub fn detect(spec: &MessageSpec<'_>) -> Self {
        let numeric = |n: usize| spec.field(n).filter(|s| s.content == Content::N);
        if numeric(90).is_some_and(|s| s.length == Length::Fixed(42)) {
            OriginalDataForm::Field90
        } else if numeric(56).is_some_and(|s| matches!(s.length, Length::Var(p) if p.max == 35)) {
            OriginalDataForm::Field56
        } else if numeric(61).is_some_and(|s| matches!(s.length, Length::Var(_))) {
            OriginalDataForm::Field61
        } else {
            OriginalDataForm::None
        }
    }

    /// The field number, if any.
    pub const fn field(self) -> Option<usize> {
        match self {
            OriginalDataForm::Field90 => Some(90),
            OriginalDataForm::Field56 => Some(56),
            OriginalDataForm::Field61 => Some(61),
            OriginalDataForm::None => None,
        }
    }
}

/// Why original data elements could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum OriginalDataError {
    /// Not the expected number of digits.
    #[error("original data elements: expected {expected} digits, found {found}")]
    Length {
        /// Digits expected.
        expected: &'static str,
        /// Digits found.
        found: usize,
    },
    /// A character that is not a digit.
    #[error("original data elements: character {0} is not a digit")]
    NotDigit(usize),
    /// A part does not fit its width.
    #[error("original data elements: {0} does not fit its width")]
    TooWide(&'static str),
}

/// The original data elements of a 1987 field 90, a 1993 field 56 or a UnionPay
/// field 61, as numbers; a zero means "unknown" (zero-filled on the wire).
///
/// ```
/// use iso8583_wire::fields::{OriginalData, Stan};
/// use iso8583_wire::Mti;
///
/// let od = OriginalData::parse_field90(b"020000012303151430150000012345600000000000")?;
/// assert_eq!(od.mti, Some(Mti::new(200)?));
/// assert_eq!(od.stan, Some(Stan::new(123)?));
/// assert_eq!(od.date_time, 315_143_015);
/// assert_eq!(od.acquirer, 123_456);
/// assert_eq!(&od.to_field90()?, b"020000012303151430150000012345600000000000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OriginalData {
    /// Original MTI (`None` if zero-filled).
    pub mti: Option<Mti>,
    /// Original STAN (`None` if zero-filled).
    pub stan: Option<Stan>,
    /// Original date and time: field 7 `MMDDhhmmss` (1987), `YYMMDDhhmmss` (1993), or
    /// the original date `MMDD` (UnionPay); 0 if unknown.
    pub date_time: u64,
    /// Original acquiring institution id (field 32), 0 if unknown.
    pub acquirer: u64,
    /// Original forwarding institution id (field 33), 0 if unknown (1987 only).
    pub forwarding: u64,
    /// Original batch number (UnionPay field 61 only), 0 if unknown.
    pub batch: u32,
}

fn number(digits: &[u8], offset: usize) -> Result<u64, OriginalDataError> {
    let mut v = 0u64;
    for (i, &c) in digits.iter().enumerate() {
        if !c.is_ascii_digit() {
            return Err(OriginalDataError::NotDigit(offset + i));
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Ok(v)
}

fn put(out: &mut [u8], mut v: u64, what: &'static str) -> Result<(), OriginalDataError> {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    if v == 0 {
        Ok(())
    } else {
        Err(OriginalDataError::TooWide(what))
    }
}

fn stan_of(v: u64) -> Option<Stan> {
    u32::try_from(v).ok().and_then(|v| Stan::new(v).ok())
}

fn mti_of(v: u64) -> Option<Mti> {
    if v == 0 {
        None
    } else {
        u16::try_from(v).ok().and_then(|v| Mti::new(v).ok())
    }
}

fn digits_of(field: &Field<'_>, buf: &mut [u8; 48]) -> usize {
    let mut n = 0;
    for c in field.symbols() {
        if let Some(slot) = buf.get_mut(n) {
            *slot = c;
        }
        n += 1;
    }
    n.min(buf.len())
}

impl OriginalData {
    /// Parses 1987 field 90: MTI 4 + STAN 6 + field 7 10 + acquirer 11 + forwarding 11.
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when the data is not 42 digits or its original STAN is 000000.
    pub fn parse_field90(digits: &[u8]) -> Result<Self, OriginalDataError> {
        if digits.len() != 42 {
            return Err(OriginalDataError::Length {
                expected: "42",
                found: digits.len(),
            });
        }
        let part = |from: usize, to: usize| number(digits.get(from..to).unwrap_or(&[]), from);
        Ok(OriginalData {
            mti: mti_of(part(0, 4)?),
            stan: stan_of(part(4, 10)?),
            date_time: part(10, 20)?,
            acquirer: part(20, 31)?,
            forwarding: part(31, 42)?,
            batch: 0,
        })
    }

    /// Writes 1987 field 90 (42 digits).
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when a part does not fit its digits (an MTI, STAN or date too
    /// long).
    pub fn to_field90(&self) -> Result<[u8; 42], OriginalDataError> {
        let mut out = [b'0'; 42];
        let (mti, rest) = out.split_at_mut(4);
        put(mti, self.mti.map_or(0, |m| u64::from(m.value())), "MTI")?;
        let (stan, rest) = rest.split_at_mut(6);
        put(stan, self.stan.map_or(0, |s| u64::from(s.value())), "STAN")?;
        let (dt, rest) = rest.split_at_mut(10);
        put(dt, self.date_time, "date and time")?;
        let (acq, fwd) = rest.split_at_mut(11);
        put(acq, self.acquirer, "acquirer id")?;
        put(fwd, self.forwarding, "forwarding id")?;
        Ok(out)
    }

    /// Parses 1993 field 56: MTI 4 + STAN 6 + date-time 12 + LLVAR acquirer id.
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when the data is not the 1993 layout (MTI, STAN, 12-digit
    /// date-time, LLVAR acquirer) or its STAN is 000000.
    pub fn parse_field56(digits: &[u8]) -> Result<Self, OriginalDataError> {
        if digits.len() < 22 {
            return Err(OriginalDataError::Length {
                expected: "22 to 35",
                found: digits.len(),
            });
        }
        let part = |from: usize, to: usize| number(digits.get(from..to).unwrap_or(&[]), from);
        let acquirer = if digits.len() > 22 {
            let ll = part(22, 24)? as usize;
            if digits.len() != 24 + ll || ll > 11 {
                return Err(OriginalDataError::Length {
                    expected: "24 + the acquirer id length",
                    found: digits.len(),
                });
            }
            part(24, 24 + ll)?
        } else {
            0
        };
        Ok(OriginalData {
            mti: mti_of(part(0, 4)?),
            stan: stan_of(part(4, 10)?),
            date_time: part(10, 22)?,
            acquirer,
            forwarding: 0,
            batch: 0,
        })
    }

    /// Writes 1993 field 56; returns the buffer and how many digits are used.
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when a part does not fit (an acquirer id above 11 digits).
    pub fn to_field56(&self) -> Result<([u8; 35], usize), OriginalDataError> {
        let mut out = [b'0'; 35];
        let (mti, rest) = out.split_at_mut(4);
        put(mti, self.mti.map_or(0, |m| u64::from(m.value())), "MTI")?;
        let (stan, rest) = rest.split_at_mut(6);
        put(stan, self.stan.map_or(0, |s| u64::from(s.value())), "STAN")?;
        let (dt, rest) = rest.split_at_mut(12);
        put(dt, self.date_time, "date and time")?;
        if self.acquirer == 0 {
            return Ok((out, 22));
        }
        let len = (self.acquirer.ilog10() + 1) as usize;
        if len > 11 {
            return Err(OriginalDataError::TooWide("acquirer id"));
        }
        let (ll, rest) = rest.split_at_mut(2);
        put(ll, len as u64, "acquirer id length")?;
        put(
            rest.get_mut(..len).unwrap_or(&mut []),
            self.acquirer,
            "acquirer id",
        )?;
        Ok((out, 24 + len))
    }

    /// Parses UnionPay field 61: original batch 6 + original POS trace 6 + original date
    /// `MMDD` 4 (further digits are ignored).
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when the data is not 16 digits (batch, trace, date) or its
    /// trace is 000000.
    pub fn parse_field61(digits: &[u8]) -> Result<Self, OriginalDataError> {
        if digits.len() < 12 {
            return Err(OriginalDataError::Length {
                expected: "at least 12",
                found: digits.len(),
            });
        }
        let part = |from: usize, to: usize| number(digits.get(from..to).unwrap_or(&[]), from);
        Ok(OriginalData {
            mti: None,
            stan: stan_of(part(6, 12)?),
            date_time: if digits.len() >= 16 { part(12, 16)? } else { 0 },
            acquirer: 0,
            forwarding: 0,
            batch: part(0, 6)? as u32,
        })
    }

    /// Writes UnionPay field 61 (16 digits).
    ///
    /// # Errors
    ///
    /// [`OriginalDataError`] when a part does not fit its digits.
    pub fn to_field61(&self) -> Result<[u8; 16], OriginalDataError> {
        let mut out = [b'0'; 16];
        let (batch, rest) = out.split_at_mut(6);
        put(batch, u64::from(self.batch), "batch")?;
        let (stan, date) = rest.split_at_mut(6);
        put(stan, self.stan.map_or(0, |s| u64::from(s.value())), "STAN")?;
        put(date, self.date_time, "date")?;
        Ok(out)
    }

    /// Reads the original data elements a message carries: field 90, else 56, else 61,
    /// as the layout defines them.
    pub fn of_message(msg: &Message<'_>) -> Option<Result<Self, OriginalDataError>> {
        let form = OriginalDataForm::detect(msg.spec());
        let n = form.field()?;
        let field = msg.field(n)?;
        let mut buf = [0u8; 48];
        let len = digits_of(&field, &mut buf);
        let digits = buf.get(..len).unwrap_or(&[]);
        Some(match form {
            OriginalDataForm::Field90 => Self::parse_field90(digits),
            OriginalDataForm::Field56 => Self::parse_field56(digits),
            OriginalDataForm::Field61 => Self::parse_field61(digits),
            OriginalDataForm::None => return None,
        })
    }
}

impl fmt::Display for OriginalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mti {
            Some(m) => write!(f, "MTI {m}")?,
            None => f.write_str("MTI ----")?,
        }
        match self.stan {
            Some(s) => write!(f, ", STAN {s}")?,
            None => f.write_str(", STAN ------")?,
        }
        write!(f, ", date/time {}", self.date_time)
    }
}
