//! The message type indicator (MTI): four digits for version, class, function and origin.
//!
//! ```
//! use iso8583_wire::Mti;
//!
//! let mti: Mti = "0200".parse()?;
//! assert!(mti.is_request());
//! assert_eq!(mti.response()?.to_string(), "0210");
//! let reversal: Mti = "0400".parse()?;
//! assert_eq!(reversal.repeat()?.to_string(), "0401");
//! assert!(reversal.is_reversal());
//! # Ok::<(), iso8583_wire::MtiError>(())
//! ```

use core::fmt;
use core::str::FromStr;

use crate::spec::CodePage;

/// How the MTI travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum MtiEncoding {
    /// Four ASCII digits.
    Ascii,
    /// Two packed-BCD bytes.
    Bcd,
    /// Four EBCDIC digits.
    Ebcdic(CodePage),
    /// The four ASCII digits as eight hex-ASCII characters (`"0100"` is `30313030`,
    /// moov-io `Spec87Hex`).
    HexAscii,
}

impl MtiEncoding {
    /// Bytes the MTI takes on the wire.
    pub const fn wire_len(self) -> usize {
        match self {
            MtiEncoding::Bcd => 2,
            MtiEncoding::HexAscii => 8,
            _ => 4,
        }
    }
}

/// Why a value is not a valid MTI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MtiError {
    /// Not exactly four decimal digits.
    #[error("an MTI is four digits")]
    NotFourDigits,
    /// The MTI has no response counterpart (it is itself a response, or another function).
    #[error("MTI {0} has no response MTI (function digit must be 0, 2, 4 or 6)")]
    NoResponse(Mti),
    /// The MTI is already a repeat, or its origin has no repeat form.
    #[error("MTI {0} has no repeat MTI (origin digit must be 0, 2 or 4)")]
    NoRepeat(Mti),
}

/// ISO 8583 version (first MTI digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 0: ISO 8583:1987.
    Iso1987,
    /// 1: ISO 8583:1993.
    Iso1993,
    /// 2: ISO 8583:2003.
    Iso2003,
    /// 8: national use.
    National,
    /// 9: private use.
    Private,
    /// 3-7: reserved by ISO.
    Reserved(u8),
}

/// Message class (second MTI digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageClass {
    /// 1: authorization.
    Authorization,
    /// 2: financial presentment.
    Financial,
    /// 3: file actions.
    FileAction,
    /// 4: reversal and chargeback.
    Reversal,
    /// 5: reconciliation.
    Reconciliation,
    /// 6: administrative.
    Administrative,
    /// 7: fee collection.
    FeeCollection,
    /// 8: network management.
    NetworkManagement,
    /// 0 or 9: reserved by ISO.
    Reserved(u8),
}

/// Message function (third MTI digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// 0: request.
    Request,
    /// 1: request response.
    RequestResponse,
    /// 2: advice.
    Advice,
    /// 3: advice response.
    AdviceResponse,
    /// 4: notification.
    Notification,
    /// 5: notification acknowledgement.
    NotificationAck,
    /// 6: instruction (2003).
    Instruction,
    /// 7: instruction acknowledgement (2003).
    InstructionAck,
    /// 8-9: reserved by ISO.
    Reserved(u8),
}

/// Message origin (fourth MTI digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// 0: acquirer.
    Acquirer,
    /// 1: acquirer repeat.
    AcquirerRepeat,
    /// 2: issuer.
    Issuer,
    /// 3: issuer repeat.
    IssuerRepeat,
    /// 4: other.
    Other,
    /// 5: other repeat.
    OtherRepeat,
    /// 6-9: reserved by ISO.
    Reserved(u8),
}

/// A validated message type indicator: four decimal digits.
///
/// ```
/// use iso8583_wire::Mti;
///
/// let purchase: Mti = "0200".parse()?;
/// assert!(purchase.is_request());
/// assert_eq!(purchase.response()?.to_string(), "0210");
/// let reversal = Mti::new(400)?;
/// assert_eq!(reversal.repeat()?.to_string(), "0401");
/// assert_eq!(reversal.repeat()?.response()?.to_string(), "0410");
/// assert!(Mti::new(10_000).is_err());
/// # Ok::<(), iso8583_wire::MtiError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mti([u8; 4]);

impl Mti {
    /// Builds an MTI from a number 0..=9999 (`Mti::new(200)` is `0200`).
    ///
    /// # Errors
    ///
    /// [`MtiError`] for a number above 9999.
    pub const fn new(value: u16) -> Result<Mti, MtiError> {
        if value > 9999 {
            return Err(MtiError::NotFourDigits);
        }
        Ok(Mti([
            (value / 1000) as u8,
            (value / 100 % 10) as u8,
            (value / 10 % 10) as u8,
            (value % 10) as u8,
        ]))
    }

    /// Parses four ASCII digits.
    ///
    /// # Errors
    ///
    /// [`MtiError`] when the bytes are not four ASCII digits.
    pub fn from_ascii(bytes: &[u8]) -> Result<Mti, MtiError> {
        match bytes {
            [a, b, c, d] if bytes.iter().all(u8::is_ascii_digit) => {
                Ok(Mti([a - b'0', b - b'0', c - b'0', d - b'0']))
            }
            _ => Err(MtiError::NotFourDigits),
        }
    }

    /// An MTI from four values the caller has checked to be 0-9.
    #[inline]
    pub(crate) const fn from_valid_digits(d: [u8; 4]) -> Mti {
        Mti(d)
    }

    /// Parses two packed-BCD bytes.
    ///
    /// # Errors
    ///
    /// [`MtiError`] when the bytes are not two packed-BCD bytes of digits.
    pub fn from_bcd(bytes: &[u8]) -> Result<Mti, MtiError> {
        match bytes {
            [hi, lo] => {
                let d = [hi >> 4, hi & 0xF, lo >> 4, lo & 0xF];
                if d.iter().all(|&n| n <= 9) {
                    Ok(Mti(d))
                } else {
                    Err(MtiError::NotFourDigits)
                }
            }
            _ => Err(MtiError::NotFourDigits),
        }
    }

    /// The four digits, each 0-9.
    pub const fn digits(self) -> [u8; 4] {
        self.0
    }

    /// The MTI as four ASCII digits.
    pub const fn to_ascii(self) -> [u8; 4] {
        // Four digits 0-9 at once: no byte carries into the next.
        u32::from_le_bytes(self.0)
            .wrapping_add(u32::from_le_bytes([b'0'; 4]))
            .to_le_bytes()
    }

    /// The MTI as two packed-BCD bytes.
    pub const fn to_bcd(self) -> [u8; 2] {
        [(self.0[0] << 4) | self.0[1], (self.0[2] << 4) | self.0[3]]
    }

    /// The MTI as a number (`0200` -> 200).
    pub const fn value(self) -> u16 {
        self.0[0] as u16 * 1000 + self.0[1] as u16 * 100 + self.0[2] as u16 * 10 + self.0[3] as u16
    }

    /// Version digit.
    pub const fn version(self) -> Version {
        match self.0[0] {
            0 => Version::Iso1987,
            1 => Version::Iso1993,
            2 => Version::Iso2003,
            8 => Version::National,
            9 => Version::Private,
            d => Version::Reserved(d),
        }
    }

    /// Class digit.
    pub const fn class(self) -> MessageClass {
        match self.0[1] {
            1 => MessageClass::Authorization,
            2 => MessageClass::Financial,
            3 => MessageClass::FileAction,
            4 => MessageClass::Reversal,
            5 => MessageClass::Reconciliation,
            6 => MessageClass::Administrative,
            7 => MessageClass::FeeCollection,
            8 => MessageClass::NetworkManagement,
            d => MessageClass::Reserved(d),
        }
    }

    /// Function digit.
    pub const fn function(self) -> Function {
        match self.0[2] {
            0 => Function::Request,
            1 => Function::RequestResponse,
            2 => Function::Advice,
            3 => Function::AdviceResponse,
            4 => Function::Notification,
            5 => Function::NotificationAck,
            6 => Function::Instruction,
            7 => Function::InstructionAck,
            d => Function::Reserved(d),
        }
    }

    /// Origin digit.
    pub const fn origin(self) -> Origin {
        match self.0[3] {
            0 => Origin::Acquirer,
            1 => Origin::AcquirerRepeat,
            2 => Origin::Issuer,
            3 => Origin::IssuerRepeat,
            4 => Origin::Other,
            5 => Origin::OtherRepeat,
            d => Origin::Reserved(d),
        }
    }

    /// The response MTI: function digit + 1 (`0200` -> `0210`, `0420` -> `0430`). The
    /// origin digit becomes its non-repeat form, since a response answers the original
    /// and its repeats alike (`0401` -> `0410`).
    ///
    /// # Errors
    ///
    /// [`MtiError::NoResponse`] when the function digit is odd (already a response) or
    /// above 6.
    pub const fn response(self) -> Result<Mti, MtiError> {
        let [v, c, f, o] = self.0;
        if f % 2 != 0 || f > 6 {
            return Err(MtiError::NoResponse(self));
        }
        Ok(Mti([v, c, f + 1, o - o % 2]))
    }

    /// The repeat MTI: origin digit + 1 (`0400` -> `0401`, `0420` -> `0421`).
    ///
    /// # Errors
    ///
    /// [`MtiError::NoRepeat`] when the origin digit is odd (already a repeat) or above
    /// 4.
    pub const fn repeat(self) -> Result<Mti, MtiError> {
        let [v, c, f, o] = self.0;
        if o % 2 != 0 || o > 4 {
            return Err(MtiError::NoRepeat(self));
        }
        Ok(Mti([v, c, f, o + 1]))
    }

    /// The MTI with a repeat origin turned back into the original origin
    /// (`0401` -> `0400`); other MTIs are returned unchanged.
    pub const fn original(self) -> Mti {
        let [v, c, f, o] = self.0;
        if o % 2 == 1 && o <= 5 {
            Mti([v, c, f, o - 1])
        } else {
            self
        }
    }

    /// Function 0: a request.
    pub const fn is_request(self) -> bool {
        self.0[2] == 0
    }
    /// Function 1 or 3: a response to a request or an advice.
    pub const fn is_response(self) -> bool {
        self.0[2] == 1 || self.0[2] == 3
    }
    /// Function 2: an advice (which may not be declined).
    pub const fn is_advice(self) -> bool {
        self.0[2] == 2
    }
    /// Class 4: a reversal (or chargeback).
    pub const fn is_reversal(self) -> bool {
        self.0[1] == 4
    }
    /// Origin 1, 3 or 5: a repeat.
    pub const fn is_repeat(self) -> bool {
        self.0[3] % 2 == 1 && self.0[3] <= 5
    }
}

impl fmt::Display for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.to_ascii();
        for c in a {
            fmt::Write::write_char(f, char::from(c))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mti({self})")
    }
}

impl FromStr for Mti {
    type Err = MtiError;
    fn from_str(s: &str) -> Result<Mti, MtiError> {
        Mti::from_ascii(s.as_bytes())
    }
}

impl TryFrom<u16> for Mti {
    type Error = MtiError;
    fn try_from(v: u16) -> Result<Mti, MtiError> {
        Mti::new(v)
    }
}

#[cfg(test)]
mod tests;
