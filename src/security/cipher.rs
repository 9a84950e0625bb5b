//! The block ciphers behind a [`Key`]: one enum over the RustCrypto types, so the
//! rest of the module works with 8- and 16-byte blocks and never with key schedules.

use aes::{Aes128, Aes192, Aes256};
use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2, TdesEde3};

use crate::security::{Error, Key, KeyKind};

/// A keyed DES-family block cipher (8-byte blocks). The key schedules zeroize
/// themselves on drop (the `zeroize` feature of `des`).
pub(crate) enum DesCipher {
    Des(Des),
    Tdes2(TdesEde2),
    Tdes3(TdesEde3),
}

impl DesCipher {
    /// The cipher of a DES or TDES key; `operation` names the caller in the error
    /// for an AES key.
    pub(crate) fn new(key: &Key, operation: &'static str) -> Result<DesCipher, Error> {
        let bytes = key.expose_secret();
        let wrong = || Error::WrongKey {
            operation,
            expected: "a DES or TDES key",
            found: key.kind(),
        };
        Ok(match key.kind() {
            KeyKind::Des => DesCipher::Des(Des::new_from_slice(bytes).map_err(|_| wrong())?),
            KeyKind::Tdes2 => {
                DesCipher::Tdes2(TdesEde2::new_from_slice(bytes).map_err(|_| wrong())?)
            }
            KeyKind::Tdes3 => {
                DesCipher::Tdes3(TdesEde3::new_from_slice(bytes).map_err(|_| wrong())?)
            }
            _ => return Err(wrong()),
        })
    }

    /// Single DES under one 8-byte part of a key.
    pub(crate) fn single(part: &[u8; 8]) -> DesCipher {
        DesCipher::Des(Des::new(&Array::from(*part)))
    }

    pub(crate) fn encrypt(&self, block: &mut [u8; 8]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            DesCipher::Des(c) => c.encrypt_block(b),
            DesCipher::Tdes2(c) => c.encrypt_block(b),
            DesCipher::Tdes3(c) => c.encrypt_block(b),
        }
    }

    pub(crate) fn decrypt(&self, block: &mut [u8; 8]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            DesCipher::Des(c) => c.decrypt_block(b),
            DesCipher::Tdes2(c) => c.decrypt_block(b),
            DesCipher::Tdes3(c) => c.decrypt_block(b),
        }
    }
}

/// A keyed AES block cipher (16-byte blocks); key schedules zeroize on drop.
pub(crate) enum AesCipher {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
}

impl AesCipher {
    /// The cipher of an AES key; `operation` names the caller in the error for a
    /// DES-family key.
    pub(crate) fn new(key: &Key, operation: &'static str) -> Result<AesCipher, Error> {
        let bytes = key.expose_secret();
        let wrong = || Error::WrongKey {
            operation,
            expected: "an AES key",
            found: key.kind(),
        };
        Ok(match key.kind() {
            KeyKind::Aes128 => {
                AesCipher::Aes128(Aes128::new_from_slice(bytes).map_err(|_| wrong())?)
            }
            KeyKind::Aes192 => {
                AesCipher::Aes192(Aes192::new_from_slice(bytes).map_err(|_| wrong())?)
            }
            KeyKind::Aes256 => {
                AesCipher::Aes256(Aes256::new_from_slice(bytes).map_err(|_| wrong())?)
            }
            _ => return Err(wrong()),
        })
    }

    pub(crate) fn encrypt(&self, block: &mut [u8; 16]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            AesCipher::Aes128(c) => c.encrypt_block(b),
            AesCipher::Aes192(c) => c.encrypt_block(b),
            AesCipher::Aes256(c) => c.encrypt_block(b),
        }
    }

    pub(crate) fn decrypt(&self, block: &mut [u8; 16]) {
        let b: &mut Array<u8, _> = block.into();
        match self {
            AesCipher::Aes128(c) => c.decrypt_block(b),
            AesCipher::Aes192(c) => c.decrypt_block(b),
            AesCipher::Aes256(c) => c.decrypt_block(b),
        }
    }

    /// AES-CMAC (NIST SP 800-38B) of `data`, the full 16-byte tag.
    pub(crate) fn cmac(key: &Key, data: &[u8], operation: &'static str) -> Result<[u8; 16], Error> {
        use cmac::{Cmac, Mac};
        let bytes = key.expose_secret();
        let wrong = || Error::WrongKey {
            operation,
            expected: "an AES key",
            found: key.kind(),
        };
        let tag: [u8; 16] = match key.kind() {
            KeyKind::Aes128 => {
                let mut m =
                    <Cmac<Aes128> as KeyInit>::new_from_slice(bytes).map_err(|_| wrong())?;
                m.update(data);
                m.finalize().into_bytes().into()
            }
            KeyKind::Aes192 => {
                let mut m =
                    <Cmac<Aes192> as KeyInit>::new_from_slice(bytes).map_err(|_| wrong())?;
                m.update(data);
                m.finalize().into_bytes().into()
            }
            KeyKind::Aes256 => {
                let mut m =
                    <Cmac<Aes256> as KeyInit>::new_from_slice(bytes).map_err(|_| wrong())?;
                m.update(data);
                m.finalize().into_bytes().into()
            }
            _ => return Err(wrong()),
        };
        Ok(tag)
    }
}

/// XORs `src` into `dst`, byte by byte, as far as both go.
pub(crate) fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}
