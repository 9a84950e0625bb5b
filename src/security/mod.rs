//! Message security: keys, MACs, PIN blocks, DUKPT and UnionPay working keys
//! (feature `crypto`).
//!
//! The building blocks a terminal or an acquiring host needs around an ISO 8583
//! message, written over the RustCrypto block ciphers (`des`, `aes`, `cmac`):
//!
//! | module | what | standard |
//! |---|---|---|
//! | [`keys`] | [`Key`]: DES, TDES and AES keys, zeroized on drop, shown only by check value | ANSI X9.24-1 (KCV) |
//! | [`mac`] | retail and wholesale MACs, the UnionPay POS MAC, AES-CMAC; the MAC block of a message | ISO 9797-1, ANSI X9.9 / X9.19, NIST SP 800-38B |
//! | [`pin`] | PIN blocks, formats 0, 1, 3 and 4, built, enciphered, deciphered and read | ISO 9564-1 |
//! | [`dukpt`] | TDES DUKPT (terminal and host) and AES DUKPT (host) | ANSI X9.24-1, X9.24-3 |
//! | [`unionpay`] | the working keys of a UnionPay sign-in response (0810 field 62) | UnionPay POS terminal specification |
//!
//! ## Entry points
//!
//! * MAC a message: [`mac::sign_message`] fills the MAC field (64, or 128 behind a
//!   secondary bitmap) of an encoded message that carries a placeholder there;
//!   [`mac::verify_message`] checks a received one in constant time;
//!   [`mac::mac_input`] returns the bytes that are MACed.
//! * Build a PIN block: [`pin::encipher`]; read one: [`pin::decipher`].
//! * DUKPT: [`dukpt::tdes::derive()`] (host: BDK + KSN to a working key),
//!   [`dukpt::tdes::Terminal`] (terminal: future key registers),
//!   [`dukpt::aes::derive()`] (host, AES).
//! * UnionPay sign-in: [`unionpay::WorkingKeys::from_field62`].
//!
//! ## What is secret, and how it is kept
//!
//! Keys ([`Key`]), PINs ([`pin::Pin`]) and clear PIN blocks are zeroized when dropped
//! and print only a key check value or a mask: `Debug` and `Display` never show their
//! bytes, and no [`Error`] carries them. Their bytes are reached only through methods
//! named `expose_*`. MACs are compared in constant time (`subtle`).
//!
//! The crate keeps keys in process memory: it is no HSM, it does not lock pages or
//! keep copies out of swap, and the compiler may leave copies in registers and on the
//! stack that zeroizing cannot reach. Where the threat model needs more, keep the keys
//! in a secure cryptographic device and use this module for the message formats only.
//!
//! ```
//! use iso8583_wire::security::{Key, mac::{self, MacAlgorithm}};
//!
//! let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! assert_eq!(key.to_string(), "TDES-2 key, KCV 08D7B4");
//! let tag = mac::mac(MacAlgorithm::ANSI_X9_19, &key, b"Now is the time for all ")?;
//! assert_eq!(tag, [0xA1, 0xC7, 0x2E, 0x74, 0xEA, 0x3F, 0xA9, 0xB6]);
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

mod cipher;
pub mod dukpt;
mod error;
mod hex;
pub mod keys;
pub mod mac;
pub mod pin;
pub mod unionpay;

pub use error::Error;
pub use keys::{CheckValue, Key, KeyKind};
