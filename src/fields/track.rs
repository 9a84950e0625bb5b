//! Magnetic-stripe track data as terminals send it: track 2 (field 35) and track 1
//! (field 45), read into their parts.
//!
//! # What the field value looks like
//!
//! The decoder returns a track field as the characters it carries, after the length
//! prefix, with nothing added or removed:
//!
//! * **Track 2** (ISO/IEC 7813, `z`): the PAN, a separator, then `YYMM` expiry, a
//!   3-digit service code and discretionary data. The separator is `=` or `D` in
//!   character form, both accepted as terminals send either; in packed BCD it is nibble
//!   `D`, which the decoder returns as `=`. Start and end sentinels (`;` `?`) are
//!   normally stripped by the reader; [`Track2::parse`] accepts them if present.
//! * **Track 1** (ISO/IEC 7813, format B, `ans`): `B`, the PAN, `^`, the cardholder
//!   name (`SURNAME/GIVEN`), `^`, then `YYMM` expiry, service code and discretionary
//!   data. The start sentinel `%` and end sentinel `?` may be present or not; the field
//!   keeps what the terminal sent and [`Track1::parse`] accepts both.
//!
//! Both types keep a copy of the data (no allocation) and show it masked in `Debug`
//! and `Display`: the PAN as 6 first and 4 last digits, everything after it hidden.
//!
//! ```
//! use iso8583_wire::fields::{Track1, Track2};
//!
//! let t2 = Track2::parse(b"4761739001010119D25122011143804400")?;
//! assert_eq!(t2.pan(), "4761739001010119");
//! assert_eq!((t2.expiry(), t2.service_code()), ("2512", "201"));
//! assert_eq!(t2.to_string(), "476173******0119=*****************");
//!
//! let t1 = Track1::parse(b"%B4761739001010119^DOE/JANE^2512201100000000000000?")?;
//! assert_eq!(t1.pan(), "4761739001010119");
//! assert_eq!(t1.name(), "DOE/JANE");
//! assert_eq!(t1.expiry(), "2512");
//! assert!(!format!("{t1:?}").contains("DOE"));
//! # Ok::<(), iso8583_wire::fields::TrackError>(())
//! ```

use core::fmt;

use crate::message::{Message, pan_window};

/// Why track data could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The field is absent.
    #[error("field {0} is absent")]
    Missing(usize),
    /// Longer than the track allows (37 characters for track 2, 79 for track 1).
    #[error("track data of {length} characters is longer than {max}")]
    TooLong {
        /// Characters found.
        length: usize,
        /// The most the track holds.
        max: usize,
    },
    /// No separator after the account number.
    #[error("no separator after the account number")]
    NoSeparator,
    /// Track 1 does not start with format code `B`.
    #[error("track 1 does not start with format code B")]
    NotFormatB,
    /// The account number is not 12 to 19 digits.
    #[error("the account number is not 12 to 19 digits")]
    BadPan,
    /// The expiry date or service code is missing or not digits.
    #[error("the expiry date or service code is not digits")]
    BadExpiryOrServiceCode,
}

/// Track 2 data read into its parts (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
pub struct Track2 {
    data: [u8; Track2::MAX],
    len: u8,
    pan_len: u8,
}

/// Track 1 data read into its parts (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
pub struct Track1 {
    data: [u8; Track1::MAX],
    len: u8,
    pan_len: u8,
    /// End of the name (index of the second `^`).
    name_end: u8,
}

/// `data` without its sentinels, if present.
fn strip(data: &[u8], start: u8, end: u8) -> &[u8] {
    let data = data.strip_prefix(&[start]).unwrap_or(data);
    let data = data.strip_suffix(&[end]).unwrap_or(data);
    // A longitudinal redundancy check may follow the end sentinel; readers drop it,
    // and so does this.
    data
}

fn text(bytes: &[u8]) -> &str {
    // Every part handed out was checked to be ASCII.
    core::str::from_utf8(bytes).unwrap_or("")
}

fn check_pan(pan: &[u8]) -> Result<(), TrackError> {
    if (12..=19).contains(&pan.len()) && pan.iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(TrackError::BadPan)
    }
}

/// Checks `YYMM` + service code at the start of `rest`.
fn check_expiry_service(rest: &[u8]) -> Result<(), TrackError> {
    match rest.get(..7) {
        Some(d) if d.iter().all(u8::is_ascii_digit) => Ok(()),
        _ => Err(TrackError::BadExpiryOrServiceCode),
    }
}

/// Writes `data` masked: the PAN window of `pan_start..pan_end`, the separator after
/// it, every other character as `*`.
fn write_masked(
    f: &mut fmt::Formatter<'_>,
    data: &[u8],
    pan_start: usize,
    pan_end: usize,
    separator: u8,
) -> fmt::Result {
    let (first, last) = pan_window(pan_end - pan_start);
    for (i, &c) in data.iter().enumerate() {
        let shown = if i < pan_start {
            c
        } else if i < pan_end {
            let k = i - pan_start;
            if k < first || k >= pan_end - pan_start - last {
                c
            } else {
                b'*'
            }
        } else if i == pan_end {
            separator
        } else {
            b'*'
        };
        fmt::Write::write_char(f, char::from(shown))?;
    }
    Ok(())
}

impl Track2 {
    /// The most characters track 2 holds.
    pub const MAX: usize = 37;

    /// Reads track 2 characters: PAN, `=` or `D`, `YYMM`, service code, discretionary
    /// data (sentinels `;` and `?` allowed). A `D` separator is kept as `=`.
    ///
    /// # Errors
    ///
    /// [`TrackError`] when the data is too long, has no separator, or its PAN, expiry
    /// or service code are not digits.
    pub fn parse(chars: &[u8]) -> Result<Track2, TrackError> {
        let chars = strip(chars, b';', b'?');
        let mut data = [0u8; Track2::MAX];
        data.get_mut(..chars.len())
            .ok_or(TrackError::TooLong {
                length: chars.len(),
                max: Track2::MAX,
            })?
            .copy_from_slice(chars);
        let pan_len = chars
            .iter()
            .position(|&c| c == b'=' || c == b'D')
            .ok_or(TrackError::NoSeparator)?;
        check_pan(chars.get(..pan_len).unwrap_or(&[]))?;
        if let Some(sep) = data.get_mut(pan_len) {
            *sep = b'=';
        }
        let rest = chars.get(pan_len + 1..).unwrap_or(&[]);
        check_expiry_service(rest)?;
        if !rest.iter().all(u8::is_ascii_digit) {
            return Err(TrackError::BadExpiryOrServiceCode);
        }
        Ok(Track2 {
            data,
            len: chars.len() as u8,
            pan_len: pan_len as u8,
        })
    }

    fn part(&self, start: usize, end: usize) -> &str {
        text(
            self.data
                .get(start..end.min(usize::from(self.len)))
                .unwrap_or(&[]),
        )
    }

    /// The primary account number, in clear.
    pub fn pan(&self) -> &str {
        self.part(0, usize::from(self.pan_len))
    }

    /// Expiry date, `YYMM`.
    pub fn expiry(&self) -> &str {
        let at = usize::from(self.pan_len) + 1;
        self.part(at, at + 4)
    }

    /// The 3-digit service code.
    pub fn service_code(&self) -> &str {
        let at = usize::from(self.pan_len) + 5;
        self.part(at, at + 3)
    }

    /// Discretionary data (PIN verification value, CVV, ...), in clear.
    pub fn discretionary(&self) -> &str {
        let at = usize::from(self.pan_len) + 8;
        self.part(at, usize::from(self.len))
    }
}

impl fmt::Display for Track2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data.get(..usize::from(self.len)).unwrap_or(&[]);
        write_masked(f, data, 0, usize::from(self.pan_len), b'=')
    }
}

impl fmt::Debug for Track2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Track2(\"{self}\")")
    }
}

impl Track1 {
    /// The most characters track 1 holds.
    pub const MAX: usize = 79;

    /// Reads track 1 format B characters: `B`, PAN, `^`, name, `^`, `YYMM`, service
    /// code, discretionary data (sentinels `%` and `?` allowed).
    ///
    /// # Errors
    ///
    /// [`TrackError`] when the data is too long, not format B, lacks a `^`, or its
    /// PAN, expiry or service code are not digits.
    pub fn parse(chars: &[u8]) -> Result<Track1, TrackError> {
        let chars = strip(chars, b'%', b'?');
        let mut data = [0u8; Track1::MAX];
        data.get_mut(..chars.len())
            .ok_or(TrackError::TooLong {
                length: chars.len(),
                max: Track1::MAX,
            })?
            .copy_from_slice(chars);
        if chars.first() != Some(&b'B') {
            return Err(TrackError::NotFormatB);
        }
        if !chars.is_ascii() {
            return Err(TrackError::BadExpiryOrServiceCode);
        }
        let pan_end = chars
            .iter()
            .position(|&c| c == b'^')
            .ok_or(TrackError::NoSeparator)?;
        check_pan(chars.get(1..pan_end).unwrap_or(&[]))?;
        let name_end = chars
            .iter()
            .skip(pan_end + 1)
            .position(|&c| c == b'^')
            .map(|i| i + pan_end + 1)
            .ok_or(TrackError::NoSeparator)?;
        check_expiry_service(chars.get(name_end + 1..).unwrap_or(&[]))?;
        Ok(Track1 {
            data,
            len: chars.len() as u8,
            pan_len: (pan_end - 1) as u8,
            name_end: name_end as u8,
        })
    }

    fn part(&self, start: usize, end: usize) -> &str {
        text(
            self.data
                .get(start..end.min(usize::from(self.len)))
                .unwrap_or(&[]),
        )
    }

    /// The primary account number, in clear.
    pub fn pan(&self) -> &str {
        self.part(1, 1 + usize::from(self.pan_len))
    }

    /// The cardholder name as recorded (`SURNAME/GIVEN`, space-padded), in clear.
    pub fn name(&self) -> &str {
        self.part(2 + usize::from(self.pan_len), usize::from(self.name_end))
    }

    /// Expiry date, `YYMM`.
    pub fn expiry(&self) -> &str {
        let at = usize::from(self.name_end) + 1;
        self.part(at, at + 4)
    }

    /// The 3-digit service code.
    pub fn service_code(&self) -> &str {
        let at = usize::from(self.name_end) + 5;
        self.part(at, at + 3)
    }

    /// Discretionary data, in clear.
    pub fn discretionary(&self) -> &str {
        let at = usize::from(self.name_end) + 8;
        self.part(at, usize::from(self.len))
    }
}

impl fmt::Display for Track1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data.get(..usize::from(self.len)).unwrap_or(&[]);
        write_masked(f, data, 1, 1 + usize::from(self.pan_len), b'^')
    }
}

impl fmt::Debug for Track1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Track1(\"{self}\")")
    }
}

impl Message<'_> {
    /// Field 35 read as track 2 (BCD, ASCII or EBCDIC alike).
    ///
    /// # Errors
    ///
    /// [`TrackError::Missing`] when the field is absent, else as [`Track2::parse`].
    pub fn track2(&self) -> Result<Track2, TrackError> {
        let f = self.field(35).ok_or(TrackError::Missing(35))?;
        let mut buf = [0u8; Track2::MAX + 2];
        let n = collect(f.symbols(), &mut buf)?;
        Track2::parse(buf.get(..n).unwrap_or(&[]))
    }

    /// Field 45 read as track 1.
    ///
    /// # Errors
    ///
    /// [`TrackError::Missing`] when the field is absent, else as [`Track1::parse`].
    pub fn track1(&self) -> Result<Track1, TrackError> {
        let f = self.field(45).ok_or(TrackError::Missing(45))?;
        let mut buf = [0u8; Track1::MAX + 2];
        let n = collect(f.symbols(), &mut buf)?;
        Track1::parse(buf.get(..n).unwrap_or(&[]))
    }
}

/// Copies the symbols into `buf`, refusing more than it holds.
fn collect(symbols: crate::wire::Symbols<'_>, buf: &mut [u8]) -> Result<usize, TrackError> {
    let length = symbols.len();
    let max = buf.len().saturating_sub(2);
    let dst = buf
        .get_mut(..length)
        .ok_or(TrackError::TooLong { length, max })?;
    for (d, s) in dst.iter_mut().zip(symbols) {
        *d = s;
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn track2_parts_and_separators() {
        for raw in [
            &b"4761739001010119=25122011143804400"[..],
            b"4761739001010119D25122011143804400",
            b";4761739001010119=25122011143804400?",
        ] {
            let t = Track2::parse(raw).unwrap();
            assert_eq!(t.pan(), "4761739001010119");
            assert_eq!(t.expiry(), "2512");
            assert_eq!(t.service_code(), "201");
            assert_eq!(t.discretionary(), "1143804400");
            assert_eq!(t.to_string(), "476173******0119=*****************");
            assert!(!format!("{t:?}").contains("1143804400"));
        }
        assert_eq!(
            Track2::parse(b"4761739001010119"),
            Err(TrackError::NoSeparator)
        );
        assert_eq!(Track2::parse(b"47617=2512201"), Err(TrackError::BadPan));
        assert_eq!(
            Track2::parse(b"4761739001010119=25X2201"),
            Err(TrackError::BadExpiryOrServiceCode)
        );
        assert!(matches!(
            Track2::parse(&[b'4'; 40]),
            Err(TrackError::TooLong { length: 40, .. })
        ));
    }

    #[test]
    fn track1_parts_with_and_without_sentinels() {
        for raw in [
            &b"%B4761739001010119^DOE/JANE                 ^2512201100000000000000?"[..],
            b"B4761739001010119^DOE/JANE                 ^2512201100000000000000",
        ] {
            let t = Track1::parse(raw).unwrap();
            assert_eq!(t.pan(), "4761739001010119");
            assert_eq!(t.name().trim_end(), "DOE/JANE");
            assert_eq!(t.expiry(), "2512");
            assert_eq!(t.service_code(), "201");
            assert_eq!(t.discretionary(), "100000000000000");
            let shown = t.to_string();
            assert!(shown.starts_with("B476173******0119^*"), "{shown}");
            assert!(!shown.contains("DOE"));
        }
        assert_eq!(
            Track1::parse(b"A4761739001010119^X^2512201"),
            Err(TrackError::NotFormatB)
        );
        assert_eq!(
            Track1::parse(b"B4761739001010119^DOE/JANE"),
            Err(TrackError::NoSeparator)
        );
    }

    #[test]
    fn track_fields_of_every_form() {
        use crate::layouts::{ISO87_ASCII, ISO87_BINARY};
        use crate::{MessageBuilder, Mti};
        for spec in [&ISO87_ASCII, &ISO87_BINARY] {
            let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
            b.set(35, "4761739001010119D25122011143804400").unwrap();
            b.set(45, "B4761739001010119^DOE/JANE^2512201100").unwrap();
            let wire = b.to_bytes().unwrap();
            let msg = spec.decode(&wire).unwrap();
            assert_eq!(msg.track2().unwrap().expiry(), "2512", "{}", spec.name);
            assert_eq!(msg.track1().unwrap().name(), "DOE/JANE");
        }
        let empty = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap())
            .to_bytes()
            .unwrap();
        let msg = ISO87_ASCII.decode(&empty).unwrap();
        assert_eq!(msg.track2(), Err(TrackError::Missing(35)));
    }
}
