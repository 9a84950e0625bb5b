//! Typed data elements: trace codes (STAN, RRN), the date/time fields and track data.
//!
//! Typed values are read from a decoded [`Message`] on access and written through the
//! [`MessageBuilder`]:
//!
//! ```
//! use chrono::NaiveDate;
//! use iso8583_wire::fields::{Rrn, Stan};
//! use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
//!
//! let sent = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().and_hms_opt(23, 59, 58).unwrap();
//! let rrn: Rrn = "536523000001".parse()?;
//! let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
//! b.set_stan(Stan::new(123)?)?.set_rrn(rrn)?.set_transmission_date_time(sent)?;
//! let wire = b.to_bytes()?;
//! let msg = ISO87_ASCII.decode(&wire)?;
//! assert_eq!(msg.stan()?, Stan::new(123)?);
//! assert_eq!(msg.rrn()?, rrn);
//! // Field 7 carries no year: it is inferred next to a reference instant, here two
//! // seconds later and already in the next year.
//! let now = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
//! assert_eq!(msg.transmission_date_time(now)?, sent);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod original;
mod trace;
pub mod track;

pub use original::{OriginalData, OriginalDataError, OriginalDataForm};
pub use trace::{Rrn, Stan, TraceError};
pub use track::{Track1, Track2, TrackError};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use crate::builder::MessageBuilder;
use crate::error::EncodeError;
use crate::message::{Field, Message};

/// Why a date/time field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DateTimeError {
    /// The field is absent.
    #[error("field {0} is absent")]
    Missing(usize),
    /// The field does not hold the expected number of digits.
    #[error("field {0} does not hold the expected digits")]
    Malformed(usize),
    /// The digits do not form a valid date or time.
    #[error("field {0} is not a valid date or time")]
    OutOfRange(usize),
}

/// The year of a month and day, inferred next to `reference`: the candidate in the year
/// before, the same year or the year after that lies closest to the reference. So a
/// `1231` read on 1 January is last year's, and a `0101` read on 31 December is next
/// year's. `None` if the month/day exists in none of the three years.
///
/// ```
/// use chrono::NaiveDate;
/// use iso8583_wire::fields::infer_year;
///
/// let jan1 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
/// assert_eq!(infer_year(12, 31, jan1), NaiveDate::from_ymd_opt(2025, 12, 31));
/// assert_eq!(infer_year(1, 2, jan1), NaiveDate::from_ymd_opt(2026, 1, 2));
/// let feb = NaiveDate::from_ymd_opt(2027, 2, 10).unwrap();
/// assert_eq!(infer_year(2, 29, feb), NaiveDate::from_ymd_opt(2028, 2, 29));
/// assert_eq!(infer_year(2, 30, feb), None);
/// ```
pub fn infer_year(month: u32, day: u32, reference: NaiveDate) -> Option<NaiveDate> {
    let y = reference.year();
    [y - 1, y, y + 1]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .min_by_key(|d| (*d - reference).num_days().abs())
}

/// Up to `N` digits of a numeric field, as numbers.
fn digits<const N: usize>(field: &Field<'_>) -> Result<[u32; N], DateTimeError> {
    let number = field.number();
    let mut out = [0u32; N];
    let mut n = 0;
    for c in field.symbols() {
        let slot = out.get_mut(n).ok_or(DateTimeError::Malformed(number))?;
        if !c.is_ascii_digit() {
            return Err(DateTimeError::Malformed(number));
        }
        *slot = u32::from(c - b'0');
        n += 1;
    }
    if n != N {
        return Err(DateTimeError::Malformed(number));
    }
    Ok(out)
}

fn pair(d: &[u32], i: usize) -> u32 {
    d.get(i).copied().unwrap_or(0) * 10 + d.get(i + 1).copied().unwrap_or(0)
}

fn time_at(d: &[u32], i: usize, field: usize) -> Result<NaiveTime, DateTimeError> {
    NaiveTime::from_hms_opt(pair(d, i), pair(d, i + 2), pair(d, i + 4))
        .ok_or(DateTimeError::OutOfRange(field))
}

impl Message<'_> {
    #[inline(always)]
    fn required(&self, n: usize) -> Result<Field<'_>, TraceError> {
        self.field(n).ok_or(TraceError::Missing(n))
    }

    /// Field 11, the STAN.
    ///
    /// # Errors
    ///
    /// [`TraceError`] when field 11 is absent or is not a valid STAN (six digits, not
    /// 000000).
    #[inline]
    pub fn stan(&self) -> Result<Stan, TraceError> {
        Stan::from_field(&self.required(11)?)
    }

    /// Field 37, the RRN.
    ///
    /// # Errors
    ///
    /// [`TraceError`] when field 37 is absent or is not 12 letters or digits.
    #[inline]
    pub fn rrn(&self) -> Result<Rrn, TraceError> {
        Rrn::from_field(&self.required(37)?)
    }

    /// Field 7, transmission date and time (`MMDDhhmmss`, UTC), with the year inferred
    /// next to `reference` (see [`infer_year`]).
    ///
    /// # Errors
    ///
    /// [`DateTimeError`] when field 7 is absent, not ten digits, or not a valid date and
    /// time in any of the three candidate years.
    pub fn transmission_date_time(
        &self,
        reference: NaiveDateTime,
    ) -> Result<NaiveDateTime, DateTimeError> {
        let f = self.field(7).ok_or(DateTimeError::Missing(7))?;
        let d = digits::<10>(&f)?;
        let time = time_at(&d, 4, 7)?;
        // Infer the year from the full instant, so that 31 Dec 23:59 read at 1 Jan
        // 00:00 lands in the previous year.
        let y = reference.year();
        [y - 1, y, y + 1]
            .into_iter()
            .filter_map(|year| NaiveDate::from_ymd_opt(year, pair(&d, 0), pair(&d, 2)))
            .map(|date| date.and_time(time))
            .min_by_key(|dt| (*dt - reference).num_seconds().abs())
            .ok_or(DateTimeError::OutOfRange(7))
    }

    /// Field 12, local transaction time: `hhmmss` (1987), or the time part of
    /// `YYMMDDhhmmss` in layouts where field 12 is n12 (1993).
    ///
    /// # Errors
    ///
    /// [`DateTimeError`] when field 12 is absent, not six digits, or not a valid time.
    pub fn local_time(&self) -> Result<NaiveTime, DateTimeError> {
        let f = self.field(12).ok_or(DateTimeError::Missing(12))?;
        if f.len() == 12 {
            let d = digits::<12>(&f)?;
            time_at(&d, 6, 12)
        } else {
            let d = digits::<6>(&f)?;
            time_at(&d, 0, 12)
        }
    }

    /// Local transaction date and time: field 12 `YYMMDDhhmmss` where it is n12 (1993);
    /// otherwise field 13 `MMDD` with the year inferred next to `reference`, and field
    /// 12 `hhmmss`.
    ///
    /// # Errors
    ///
    /// [`DateTimeError`] when field 12 or 13 is absent, malformed, or not a valid date and
    /// time.
    pub fn local_date_time(&self, reference: NaiveDate) -> Result<NaiveDateTime, DateTimeError> {
        let f12 = self.field(12).ok_or(DateTimeError::Missing(12))?;
        if f12.len() == 12 {
            let d = digits::<12>(&f12)?;
            let year = 2000 + pair(&d, 0) as i32;
            let date = NaiveDate::from_ymd_opt(year, pair(&d, 2), pair(&d, 4))
                .ok_or(DateTimeError::OutOfRange(12))?;
            return Ok(date.and_time(time_at(&d, 6, 12)?));
        }
        let time = self.local_time()?;
        let f13 = self.field(13).ok_or(DateTimeError::Missing(13))?;
        let d = digits::<4>(&f13)?;
        let date =
            infer_year(pair(&d, 0), pair(&d, 2), reference).ok_or(DateTimeError::OutOfRange(13))?;
        Ok(date.and_time(time))
    }
}

fn mmdd(dt: &impl Datelike) -> u64 {
    u64::from(dt.month()) * 100 + u64::from(dt.day())
}

fn hhmmss(t: &impl chrono::Timelike) -> u64 {
    u64::from(t.hour()) * 10_000 + u64::from(t.minute()) * 100 + u64::from(t.second())
}

impl MessageBuilder<'_> {
    /// Sets field 11.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the layout does not define field 11 as six digits.
    pub fn set_stan(&mut self, stan: Stan) -> Result<&mut Self, EncodeError> {
        self.set(11, stan.value())
    }

    /// Sets field 37.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the layout does not define field 37 for 12 characters.
    pub fn set_rrn(&mut self, rrn: Rrn) -> Result<&mut Self, EncodeError> {
        self.set_copied(37, &rrn.as_bytes()[..])
    }

    /// Sets field 7 (`MMDDhhmmss`; give UTC).
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the layout does not define field 7 for ten digits.
    pub fn set_transmission_date_time(
        &mut self,
        at: NaiveDateTime,
    ) -> Result<&mut Self, EncodeError> {
        self.set(7, mmdd(&at) * 1_000_000 + hhmmss(&at))
    }

    /// Sets the local transaction date and time: field 12 as `YYMMDDhhmmss` in layouts
    /// where it is n12 (1993), else field 12 `hhmmss` and field 13 `MMDD`.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the layout does not define fields 12 and 13 for their digits.
    pub fn set_local_date_time(&mut self, at: NaiveDateTime) -> Result<&mut Self, EncodeError> {
        let wide = matches!(
            self.spec().field(12).map(|f| f.length),
            Some(crate::spec::Length::Fixed(12))
        );
        if wide {
            let yy = (at.year().rem_euclid(100)) as u64;
            self.set(12, (yy * 10_000 + mmdd(&at)) * 1_000_000 + hhmmss(&at))
        } else {
            self.set(12, hhmmss(&at))?;
            self.set(13, mmdd(&at))
        }
    }
}

#[cfg(test)]
mod tests;
