//! The one error type of the security module.

use crate::error::DecodeError;
use crate::security::keys::KeyKind;

/// What went wrong in a security operation.
///
/// No variant carries key, PIN or PIN-block material: messages name lengths,
/// positions and which check failed, never the bytes.
///
/// ```
/// use iso8583_wire::security::{Error, Key};
///
/// let err = Key::des_from_hex("0123456789ABCDEG").unwrap_err();
/// assert_eq!(err, Error::NotHex { position: 15 });
/// assert_eq!(err.to_string(), "not a hex digit at position 15");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key of the wrong length for its family.
    #[error("a {family} key is {expected} bytes, not {found}")]
    KeyLength {
        /// `"DES"` or `"AES"`.
        family: &'static str,
        /// The lengths the family allows, in words (`"8, 16 or 24"`).
        expected: &'static str,
        /// The length given.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("not a hex digit at position {position}")]
    NotHex {
        /// Offset of the character (the character itself is not reported).
        position: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({found})")]
    OddHexLength {
        /// How many digits were given.
        found: usize,
    },
    /// A DES key byte without odd parity (only from [`crate::security::Key::check_parity`]).
    #[error("key byte {byte} does not have odd parity")]
    Parity {
        /// Index of the first byte at fault.
        byte: usize,
    },
    /// An operation was given a key of the wrong kind.
    #[error("{operation} needs {expected}, not a {found} key")]
    WrongKey {
        /// The operation (`"ANSI X9.19 MAC"`).
        operation: &'static str,
        /// What it needs, in words.
        expected: &'static str,
        /// What it was given.
        found: KeyKind,
    },
    /// A PIN that is not 4 to 12 decimal digits.
    #[error("a PIN is 4 to 12 decimal digits")]
    Pin,
    /// A PAN unfit for the PIN block format.
    #[error("PAN: {0}")]
    Pan(&'static str),
    /// A PIN block that does not read as its format says (what is wrong, never the
    /// digits).
    #[error("PIN block: {0}")]
    PinBlock(&'static str),
    /// The random source failed or kept giving unusable values.
    #[error("random source failed")]
    Random,
    /// The message could not be decoded with the layout.
    #[error("message: {0}")]
    Message(#[from] DecodeError),
    /// The message could not be built or encoded.
    #[error("message: {0}")]
    Encode(crate::error::EncodeError),
    /// The message carries no MAC field where one is expected.
    #[error("MAC field {field} is absent")]
    MacFieldAbsent {
        /// 64, or 128 for a message with a secondary bitmap.
        field: usize,
    },
    /// A field follows the MAC field: the MAC must be the last field.
    #[error("field {after} follows the MAC field {field}")]
    MacFieldNotLast {
        /// The MAC field.
        field: usize,
        /// The field after it.
        after: usize,
    },
    /// The layout's MAC field is not an 8-byte binary or hex-ASCII field.
    #[error("field {field} of the layout cannot carry a MAC: {reason}")]
    MacField {
        /// The MAC field.
        field: usize,
        /// Why not.
        reason: &'static str,
    },
    /// A MAC did not verify.
    #[error("MAC does not verify")]
    MacMismatch,
    /// A key serial number that cannot be used.
    #[error("KSN: {0}")]
    Ksn(&'static str),
    /// The DUKPT terminal has used all its transaction counters.
    #[error("DUKPT transaction counter exhausted")]
    CounterExhausted,
    /// A UnionPay field 62 of a length this crate does not read.
    #[error("field 62 of {found} bytes is not a working-key layout (24, 40 or 60 bytes)")]
    WorkingKeysLength {
        /// The field's length.
        found: usize,
    },
    /// Authenticated encryption failed: a tag that does not verify (another key, or
    /// altered data), or data too long for the cipher.
    #[error("AEAD: {0}")]
    Aead(&'static str),
    /// A key check value did not match.
    #[error("{key} check value does not match")]
    CheckValue {
        /// Which key (`"PIK"`, `"MAK"`, `"TDK"`).
        key: &'static str,
    },
}
