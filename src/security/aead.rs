//! Authenticated encryption with associated data: AES-GCM-SIV (RFC 8452), over the
//! RustCrypto `aes-gcm-siv` crate.
//!
//! The journal of [`crate::pos`] enciphers the PAN it keeps for a reversal with it
//! (see `pos::journal`, "Card data at rest"). AES-GCM-SIV is chosen over plain
//! AES-GCM because it resists nonce misuse: a nonce used twice under one key shows
//! only whether the two plaintexts (with the same associated data) were equal, where
//! AES-GCM would give away the authentication key and the XOR of the plaintexts.
//!
//! The functions work in place on caller buffers (no allocation, no `std`), with the
//! 16-byte tag kept apart. Only AES-128 and AES-256 keys are accepted.
//!
//! ```
//! use iso8583_wire::security::{aead, Key};
//!
//! let key = Key::aes(&[7; 32])?;
//! let nonce = [1u8; aead::NONCE_LEN];
//! let mut data = *b"4111111111111111";
//! let tag = aead::seal_in_place(&key, &nonce, b"record 1", &mut data)?;
//! assert_ne!(&data, b"4111111111111111");
//! aead::open_in_place(&key, &nonce, b"record 1", &mut data, &tag)?;
//! assert_eq!(&data, b"4111111111111111");
//! // Other associated data (or another key, or altered bytes): refused.
//! let mut again = data;
//! let sealed = aead::seal_in_place(&key, &nonce, b"record 1", &mut again)?;
//! assert!(aead::open_in_place(&key, &nonce, b"record 2", &mut again, &sealed).is_err());
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes128GcmSiv, Aes256GcmSiv, Nonce, Tag};

use crate::security::{Error, Key, KeyKind};

/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Authentication tag length in bytes.
pub const TAG_LEN: usize = 16;

const OPERATION: &str = "AES-GCM-SIV";

enum Cipher {
    Aes128(Aes128GcmSiv),
    Aes256(Aes256GcmSiv),
}

fn cipher(key: &Key) -> Result<Cipher, Error> {
    let wrong = || Error::WrongKey {
        operation: OPERATION,
        expected: "an AES-128 or AES-256 key",
        found: key.kind(),
    };
    let bytes = key.expose_secret();
    match key.kind() {
        KeyKind::Aes128 => Aes128GcmSiv::new_from_slice(bytes)
            .map(Cipher::Aes128)
            .map_err(|_| wrong()),
        KeyKind::Aes256 => Aes256GcmSiv::new_from_slice(bytes)
            .map(Cipher::Aes256)
            .map_err(|_| wrong()),
        _ => Err(wrong()),
    }
}

/// Checks that `key` can be used here (AES-128 or AES-256).
///
/// # Errors
///
/// [`Error::WrongKey`] for any other kind of key.
///
/// ```
/// use iso8583_wire::security::{aead, Key};
/// assert!(aead::check_key(&Key::aes(&[1; 16])?).is_ok());
/// assert!(aead::check_key(&Key::aes(&[1; 24])?).is_err());
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn check_key(key: &Key) -> Result<(), Error> {
    cipher(key).map(|_| ())
}

/// Enciphers `buffer` in place under `key` and `nonce`, authenticating `aad` with it;
/// returns the tag.
///
/// # Errors
///
/// [`Error::WrongKey`] for a key that is not AES-128 or AES-256; [`Error::Aead`] when
/// the data is too long for the cipher.
pub fn seal_in_place(
    key: &Key,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<[u8; TAG_LEN], Error> {
    let nonce = Nonce::from(*nonce);
    let tag = match cipher(key)? {
        Cipher::Aes128(c) => c.encrypt_inout_detached(&nonce, aad, buffer.into()),
        Cipher::Aes256(c) => c.encrypt_inout_detached(&nonce, aad, buffer.into()),
    }
    .map_err(|_| Error::Aead("data too long"))?;
    Ok(tag.into())
}

/// Deciphers `buffer` in place and checks `tag` over it and `aad`. On failure the
/// buffer is left zeroed, never holding unauthenticated plaintext.
///
/// # Errors
///
/// [`Error::WrongKey`] for a key that is not AES-128 or AES-256; [`Error::Aead`] when
/// the tag does not verify: another key, another nonce or associated data, or altered
/// bytes.
pub fn open_in_place(
    key: &Key,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), Error> {
    let nonce = Nonce::from(*nonce);
    let tag = Tag::from(*tag);
    let opened = match cipher(key)? {
        Cipher::Aes128(c) => c.decrypt_inout_detached(&nonce, aad, (&mut *buffer).into(), &tag),
        Cipher::Aes256(c) => c.decrypt_inout_detached(&nonce, aad, (&mut *buffer).into(), &tag),
    };
    if opened.is_err() {
        buffer.iter_mut().for_each(|b| *b = 0);
        return Err(Error::Aead(
            "authentication failed (wrong key, or altered data)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8452, appendix C.1, the first AEAD_AES_128_GCM_SIV vector with plaintext
    /// and no associated data.
    #[test]
    fn rfc8452_vector() {
        let key = Key::aes_from_hex("01000000000000000000000000000000").unwrap();
        let nonce = [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut data = [1u8, 0, 0, 0, 0, 0, 0, 0];
        let tag = seal_in_place(&key, &nonce, &[], &mut data).unwrap();
        assert_eq!(data, [0xb5, 0xd8, 0x39, 0x33, 0x0a, 0xc7, 0xb7, 0x86]);
        assert_eq!(
            tag,
            [
                0x57, 0x87, 0x82, 0xff, 0xf6, 0x01, 0x3b, 0x81, 0x5b, 0x28, 0x7c, 0x22, 0x49, 0x3a,
                0x36, 0x4c
            ]
        );
        open_in_place(&key, &nonce, &[], &mut data, &tag).unwrap();
        assert_eq!(data, [1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn wrong_key_and_tampering_are_refused() {
        let key = Key::aes(&[9; 16]).unwrap();
        let other = Key::aes(&[8; 16]).unwrap();
        let nonce = [0u8; NONCE_LEN];
        let mut data = *b"5413330089010434";
        let tag = seal_in_place(&key, &nonce, b"a", &mut data).unwrap();
        let mut copy = data;
        assert!(open_in_place(&other, &nonce, b"a", &mut copy, &tag).is_err());
        assert_eq!(copy, [0; 16]);
        let mut copy = data;
        copy[0] ^= 1;
        assert!(open_in_place(&key, &nonce, b"a", &mut copy, &tag).is_err());
        let des = Key::des(&[1; 16]).unwrap();
        assert!(matches!(
            seal_in_place(&des, &nonce, b"a", &mut data),
            Err(Error::WrongKey { .. })
        ));
    }
}
