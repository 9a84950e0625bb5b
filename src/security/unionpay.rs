//! UnionPay POS working keys: the sign-in response (0810) field 62.
//!
//! After a successful sign-in the host sends the terminal's working keys in field 62,
//! each enciphered under the terminal master key (TMK, ECB, 8-byte blocks) and
//! followed by a 4-byte check value: the first 4 bytes of the clear key enciphering
//! eight zero bytes. The layouts this module reads, as the UnionPay POS terminal
//! specification and acquirers' integration guides give them:
//!
//! | length | content | keys |
//! |---|---|---|
//! | 24 bytes | PIK 8 + check 4, MAK 8 + check 4 | single-length DES |
//! | 40 bytes | PIK 16 + check 4, MAK 16 + check 4 | double-length TDES PIK; MAK double-length, or single-length DES when its last 8 bytes are zero |
//! | 60 bytes | PIK 16 + check 4, MAK 16 + check 4, TDK 16 + check 4 | as above, plus the track data key |
//!
//! PIK: PIN key (field 52); MAK: MAC key (field 64, [`MacAlgorithm::UnionPayEcb`]);
//! TDK: track data key. Every check value is verified in constant time before any key
//! is returned.
//!
//! [`MacAlgorithm::UnionPayEcb`]: crate::security::mac::MacAlgorithm::UnionPayEcb
//!
//! ```
//! use iso8583_wire::security::{Error, Key, unionpay::WorkingKeys};
//!
//! let tmk = Key::des_from_hex("1111111111111111")?;
//! // A 24-byte field 62 whose check values do not match.
//! let err = WorkingKeys::from_field62(&tmk, &[0u8; 24]).unwrap_err();
//! assert_eq!(err, Error::CheckValue { key: "PIK" });
//! assert!(WorkingKeys::from_field62(&tmk, &[0u8; 30]).is_err());
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use zeroize::Zeroize;

use crate::security::cipher::DesCipher;
use crate::security::{Error, Key};

/// The working keys of a UnionPay sign-in, check values verified.
///
/// `Debug` shows each key's kind and KCV only. Built by
/// [`WorkingKeys::from_field62`], which has an example.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkingKeys {
    /// The PIN key (PIK), for field 52.
    pub pik: Key,
    /// The MAC key (MAK), for field 64.
    pub mak: Key,
    /// The track data key (TDK), when the host sends one (60-byte form).
    pub tdk: Option<Key>,
}

impl WorkingKeys {
    /// Reads field 62 of a sign-in response (its value, after the length prefix),
    /// deciphers the keys under `tmk` and verifies their check values.
    ///
    /// # Errors
    ///
    /// [`Error::WorkingKeysLength`] for a length other than 24, 40 or 60;
    /// [`Error::CheckValue`] naming the first key whose check value does not match;
    /// [`Error::WrongKey`] when `tmk` is not a DES or TDES key.
    ///
    /// ```
    /// use iso8583_wire::security::{Key, unionpay::WorkingKeys};
    /// # fn field62(tmk: &Key, keys: &[&Key]) -> Vec<u8> {
    /// #     use des::cipher::{BlockCipherEncrypt, KeyInit};
    /// #     let mut out = Vec::new();
    /// #     for key in keys {
    /// #         let mut bytes = key.expose_secret().to_vec();
    /// #         if bytes.len() == 8 && tmk.expose_secret().len() == 16 { bytes.extend([0; 8]); }
    /// #         let c = des::TdesEde2::new_from_slice(tmk.expose_secret()).unwrap();
    /// #         for (i, chunk) in bytes.chunks_mut(8).enumerate() {
    /// #             if key.expose_secret().len() == 8 && i == 1 { continue; }
    /// #             let b: &mut [u8; 8] = chunk.try_into().unwrap();
    /// #             c.encrypt_block(b.into());
    /// #         }
    /// #         out.extend(bytes);
    /// #         out.extend(&key.check_value().as_bytes()[..4]);
    /// #     }
    /// #     out
    /// # }
    /// let tmk = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
    /// let pik = Key::des_from_hex("1C1C1C1C1C1C1C1C2A2A2A2A2A2A2A2A")?;
    /// let mak = Key::des_from_hex("3D3D3D3D3D3D3D3D")?;
    /// let field = field62(&tmk, &[&pik, &mak]); // 40 bytes, as the host sends them
    /// let keys = WorkingKeys::from_field62(&tmk, &field)?;
    /// assert_eq!((keys.pik, keys.mak, keys.tdk), (pik, mak, None));
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn from_field62(tmk: &Key, field: &[u8]) -> Result<WorkingKeys, Error> {
        let cipher = DesCipher::new(tmk, "UnionPay working keys")?;
        let (key_len, count) = match field.len() {
            24 => (8, 2),
            40 => (16, 2),
            60 => (16, 3),
            found => return Err(Error::WorkingKeysLength { found }),
        };
        let names = ["PIK", "MAK", "TDK"];
        let mut keys: [Option<Key>; 3] = [None, None, None];
        for (i, (chunk, slot)) in field
            .chunks_exact(key_len + 4)
            .zip(keys.iter_mut())
            .take(count)
            .enumerate()
        {
            let (enciphered, check) = chunk.split_at(key_len);
            let name = names.get(i).copied().unwrap_or("TDK");
            // A double-length MAK whose second half is zero is a single-length key.
            let used = if i == 1
                && key_len == 16
                && enciphered
                    .get(8..)
                    .is_some_and(|r| r.iter().all(|&b| b == 0))
            {
                8
            } else {
                key_len
            };
            let mut clear = [0u8; 16];
            for (dst, src) in clear
                .chunks_exact_mut(8)
                .zip(enciphered.chunks_exact(8))
                .take(used / 8)
            {
                let mut block = [0u8; 8];
                block.copy_from_slice(src);
                cipher.decrypt(&mut block);
                dst.copy_from_slice(&block);
                block.zeroize();
            }
            let key = Key::des(clear.get(..used).unwrap_or_default());
            clear.zeroize();
            let key = key?;
            if !key.check_value().matches(check) {
                return Err(Error::CheckValue { key: name });
            }
            *slot = Some(key);
        }
        let [pik, mak, tdk] = keys;
        match (pik, mak) {
            (Some(pik), Some(mak)) => Ok(WorkingKeys { pik, mak, tdk }),
            _ => Err(Error::WorkingKeysLength { found: field.len() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Builds a field 62 the way a host does: each key enciphered under the TMK, then
    /// its 4-byte check value.
    fn field62(tmk: &Key, keys: &[(&Key, usize)]) -> Vec<u8> {
        let cipher = DesCipher::new(tmk, "test").unwrap();
        let mut out = Vec::new();
        for (key, width) in keys {
            let mut bytes = [0u8; 16];
            let clear = key.expose_secret();
            bytes[..clear.len()].copy_from_slice(clear);
            for block in bytes[..clear.len()].chunks_exact_mut(8) {
                let b: &mut [u8; 8] = block.try_into().unwrap();
                cipher.encrypt(b);
            }
            out.extend_from_slice(&bytes[..*width]);
            out.extend_from_slice(&key.check_value().as_bytes()[..4]);
        }
        out
    }

    fn k(hex: &str) -> Key {
        Key::des_from_hex(hex).unwrap()
    }

    #[test]
    fn single_length_form() {
        let tmk = k("1111111111111111");
        let pik = k("2222222222222222");
        let mak = k("3333333333333333");
        let field = field62(&tmk, &[(&pik, 8), (&mak, 8)]);
        assert_eq!(field.len(), 24);
        let keys = WorkingKeys::from_field62(&tmk, &field).unwrap();
        assert_eq!((keys.pik, keys.mak, keys.tdk), (pik, mak, None));
    }

    #[test]
    fn double_length_with_tdk_and_tampering() {
        let tmk = k("0123456789ABCDEFFEDCBA9876543210");
        let pik = k("1C1C1C1C1C1C1C1C2A2A2A2A2A2A2A2A");
        let mak = k("3D3D3D3D3D3D3D3D4F4F4F4F4F4F4F4F");
        let tdk = k("5E5E5E5E5E5E5E5E6D6D6D6D6D6D6D6D");
        let mut field = field62(&tmk, &[(&pik, 16), (&mak, 16), (&tdk, 16)]);
        assert_eq!(field.len(), 60);
        let keys = WorkingKeys::from_field62(&tmk, &field).unwrap();
        assert_eq!(keys.tdk.as_ref(), Some(&tdk));
        assert_eq!(keys.mak, mak);
        // Debug shows check values only.
        let shown = std::format!("{keys:?}");
        assert!(!shown.contains("1C1C") && shown.contains("kcv"));
        field[20] ^= 0x01; // first byte of the MAK
        assert_eq!(
            WorkingKeys::from_field62(&tmk, &field),
            Err(Error::CheckValue { key: "MAK" })
        );
        field[20] ^= 0x01;
        field[59] ^= 0x01; // last byte of the TDK check value
        assert_eq!(
            WorkingKeys::from_field62(&tmk, &field),
            Err(Error::CheckValue { key: "TDK" })
        );
    }

    #[test]
    fn odd_lengths_are_refused() {
        let tmk = k("1111111111111111");
        for len in [0, 12, 23, 25, 44, 56, 61, 100] {
            assert_eq!(
                WorkingKeys::from_field62(&tmk, &std::vec![0u8; len]),
                Err(Error::WorkingKeysLength { found: len })
            );
        }
        let aes = Key::aes_from_hex("00112233445566778899AABBCCDDEEFF").unwrap();
        assert!(matches!(
            WorkingKeys::from_field62(&aes, &[0u8; 24]),
            Err(Error::WrongKey { .. })
        ));
    }
}
