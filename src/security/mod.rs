//! Message security: keys, MACs, PIN blocks, DUKPT and UnionPay working keys
//! (feature `crypto`).
//!
//! The building blocks a terminal or an acquiring host needs around an ISO 8583
//! message, written over the RustCrypto block ciphers (`des`, `aes`, `cmac`) and AEAD
//! (`aes-gcm-siv`):
//!
//! | module | what | standard |
//! |---|---|---|
//! | [`keys`] | [`Key`]: DES, TDES and AES keys, zeroized on drop, shown only by check value | ANSI X9.24-1 (KCV) |
//! | [`mac`] | retail and wholesale MACs, the UnionPay POS MAC, AES-CMAC; the MAC block of a message | ISO 9797-1, ANSI X9.9 / X9.19, NIST SP 800-38B |
//! | [`pin`] | PIN blocks, formats 0, 1, 3 and 4, built, enciphered, deciphered and read | ISO 9564-1 |
//! | [`dukpt`] | TDES DUKPT (terminal and host) and AES DUKPT (host) | ANSI X9.24-1, X9.24-3 |
//! | [`unionpay`] | the working keys of a UnionPay sign-in response (0810 field 62) | UnionPay POS terminal specification |
//! | [`aead`] | AES-GCM-SIV authenticated encryption (the journal's PAN at rest) | RFC 8452 |
//!
//! ## Entry points
//!
//! * MAC a message: [`mac::sign_message`] fills the MAC field (64, or 128 behind a
//!   secondary bitmap) of an encoded message that carries a placeholder there;
//!   [`mac::verify_message`] checks a received one in constant time;
//!   [`mac::mac_input`] returns the bytes that are MACed.
//! * Build a PIN block: [`pin::encipher`]; read one: [`pin::decipher`].
//! * DUKPT: [`dukpt::tdes::derive()`] (host: BDK + KSN to a working key),
//!   [`dukpt::tdes::TerminalKeys`] (terminal: future key registers),
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

pub mod aead;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layouts;

    /// A small deterministic generator for junk inputs.
    fn junk(seed: u32, len: usize) -> std::vec::Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    /// Untrusted input never panics: every parsing entry point on junk of many lengths.
    #[test]
    fn junk_never_panics() {
        let des = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let aes = Key::aes(&[9; 16]).unwrap();
        for seed in 0..200u32 {
            for len in [0, 1, 7, 8, 9, 12, 16, 20, 24, 40, 60, 64] {
                let data = junk(seed, len);
                let _ = pin::decipher(&data, Some("4012345678909"), &des);
                let _ = pin::decipher(&data, Some("4012345678909"), &aes);
                let _ = pin::read_clear_block(&data, Some("4012345678909"));
                let _ = pin::read_clear_block(&data, None);
                let _ = unionpay::WorkingKeys::from_field62(&des, &data);
                let _ = dukpt::tdes::Ksn::from_bytes(&data);
                let _ = dukpt::aes::Ksn::from_bytes(&data);
                let _ = Key::des(&data);
                let _ = Key::aes(&data);
                for spec in layouts::ALL {
                    let _ = mac::mac_input(spec, &data);
                    let _ = mac::verify_message(spec, &data, mac::MacAlgorithm::ANSI_X9_19, &des);
                }
                if let Ok(text) = core::str::from_utf8(&data) {
                    let _ = Key::des_from_hex(text);
                    let _ = dukpt::tdes::Ksn::from_hex(text);
                }
            }
        }
        for text in [
            "",
            "é",
            "0é",
            "ééééééééééééééééééééééé",
            "zz",
            "0123456789ABCDEF0123",
        ] {
            let _ = Key::des_from_hex(text);
            let _ = Key::aes_from_hex(text);
            let _ = dukpt::tdes::Ksn::from_hex(text);
            let _ = dukpt::aes::Ksn::from_hex(text);
            let _ = pin::Pin::new(text);
        }
    }
}
