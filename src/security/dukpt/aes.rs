//! AES DUKPT (ANSI X9.24-3:2017), host side.
//!
//! * The **KSN** ([`Ksn`]) is 12 bytes: the 8-byte initial key ID (BDK ID and
//!   derivation ID) and a 32-bit transaction counter, of which at most 16 bits are
//!   ever set.
//! * Every derivation enciphers 16-byte **derivation data** under the deriving key
//!   with AES-ECB, one block per 128 bits of the derived key: version `01`, block
//!   counter, key usage (2 bytes), algorithm (2 bytes), length in bits (2 bytes), then
//!   the initial key ID (for the initial key) or the derivation ID and the counter.
//! * The **initial key** ([`initial_key`]) comes from the BDK (usage `8001`); the
//!   **intermediate derivation key** of a counter ([`derivation_key`]) from the initial
//!   key, once per set counter bit from the left (usage `8000`); the **working keys**
//!   ([`working_key`]) from that, for a [`KeyUsage`] and a key type (AES-128/192/256
//!   or TDES-2/3).
//!
//! ```
//! use iso8583_wire::security::{Key, KeyKind, dukpt::aes::{self, KeyUsage, Ksn}};
//!
//! // ANSI X9.24-3:2017 supplement test vectors, AES-128 BDK, counter 1.
//! let bdk = Key::aes_from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1")?;
//! let ksn = Ksn::from_hex("123456789012345600000001")?;
//! let pin_key = aes::derive(&bdk, &ksn, KeyUsage::PinEncryption, KeyKind::Aes128)?;
//! assert_eq!(pin_key, Key::aes_from_hex("AF8CB133A78F8DC2D1359F18527593FB")?);
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::security::cipher::AesCipher;
use crate::security::{Error, Key, KeyKind, hex};

/// The most counter bits a terminal uses.
const MAX_COUNTER_BITS: u32 = 16;

/// An AES DUKPT key serial number: the 8-byte initial key ID and the 32-bit counter.
/// Not secret: shown in hex.
///
/// ```
/// use iso8583_wire::security::dukpt::aes::Ksn;
/// let ksn = Ksn::from_hex("123456789012345600000008")?;
/// assert_eq!(ksn.counter(), 8);
/// assert_eq!(ksn.initial_key_id(), [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; 12]);

impl Ksn {
    /// A KSN from its initial key ID and counter.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// let ksn = Ksn::new([0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56], 1);
    /// assert_eq!(ksn.to_string(), "123456789012345600000001");
    /// ```
    pub fn new(initial_key_id: [u8; 8], counter: u32) -> Ksn {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&initial_key_id);
        b[8..].copy_from_slice(&counter.to_be_bytes());
        Ksn(b)
    }

    /// A KSN from 12 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Ksn`] when `bytes` is not 12 bytes long.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// assert_eq!(Ksn::from_bytes(&[0; 12])?.counter(), 0);
    /// assert!(Ksn::from_bytes(&[0; 10]).is_err());
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Ksn, Error> {
        <[u8; 12]>::try_from(bytes)
            .map(Ksn)
            .map_err(|_| Error::Ksn("an AES KSN is 12 bytes"))
    }

    /// A KSN from 24 hex digits.
    ///
    /// # Errors
    ///
    /// [`Error::NotHex`], or [`Error::Ksn`] for another length.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// assert!(Ksn::from_hex("1234567890123456").is_err());
    /// ```
    pub fn from_hex(text: &str) -> Result<Ksn, Error> {
        if text.len() != 24 {
            return Err(Error::Ksn("an AES KSN is 24 hex digits"));
        }
        let mut out = [0u8; 12];
        hex::decode(text, &mut out)?;
        Ok(Ksn(out))
    }

    /// The 12 bytes.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// assert_eq!(Ksn::new([0; 8], 0x0102).as_bytes()[10..], [0x01, 0x02]);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The initial key ID: BDK ID (4 bytes) and derivation ID (4 bytes).
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// assert_eq!(Ksn::new([7; 8], 1).initial_key_id(), [7; 8]);
    /// ```
    pub fn initial_key_id(&self) -> [u8; 8] {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[..8]);
        id
    }

    /// The transaction counter.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::aes::Ksn;
    /// assert_eq!(Ksn::from_hex("1234567890123456FFFF0000")?.counter(), 0xFFFF_0000);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([self.0[8], self.0[9], self.0[10], self.0[11]])
    }

    /// The derivation ID and a counter: the tail of the derivation data.
    fn tail(&self, counter: u32) -> [u8; 8] {
        let mut t = [0u8; 8];
        t[..4].copy_from_slice(&self.0[4..8]);
        t[4..].copy_from_slice(&counter.to_be_bytes());
        t
    }
}

impl fmt::Display for Ksn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&hex::Hex(&self.0), f)
    }
}

impl fmt::Debug for Ksn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ksn({self})")
    }
}

/// What an AES DUKPT working key is for (the key usage indicator of X9.24-3).
///
/// ```
/// use iso8583_wire::security::{Key, KeyKind, dukpt::aes::{self, KeyUsage, Ksn}};
/// let bdk = Key::aes_from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1")?;
/// let ksn = Ksn::from_hex("123456789012345600000001")?;
/// let kek = aes::derive(&bdk, &ksn, KeyUsage::KeyEncryption, KeyKind::Aes128)?;
/// assert_eq!(kek, Key::aes_from_hex("36A724B7BEFA5A25F5E7B5782A4554A2")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsage {
    /// Key encryption key (`0002`).
    KeyEncryption,
    /// PIN encryption (`1000`).
    PinEncryption,
    /// MAC generation (`2000`).
    MacGeneration,
    /// MAC verification (`2001`).
    MacVerification,
    /// MAC generation and verification (`2002`).
    MacBoth,
    /// Data encryption, encrypt (`3000`).
    DataEncrypt,
    /// Data encryption, decrypt (`3001`).
    DataDecrypt,
    /// Data encryption, both ways (`3002`).
    DataBoth,
}

impl KeyUsage {
    const fn code(self) -> u16 {
        match self {
            KeyUsage::KeyEncryption => 0x0002,
            KeyUsage::PinEncryption => 0x1000,
            KeyUsage::MacGeneration => 0x2000,
            KeyUsage::MacVerification => 0x2001,
            KeyUsage::MacBoth => 0x2002,
            KeyUsage::DataEncrypt => 0x3000,
            KeyUsage::DataDecrypt => 0x3001,
            KeyUsage::DataBoth => 0x3002,
        }
    }
}

/// Key derivation (intermediate keys).
const USAGE_DERIVATION: u16 = 0x8000;
/// Initial key derivation.
const USAGE_INITIAL: u16 = 0x8001;

/// The algorithm indicator of a derivable key kind.
fn algorithm(kind: KeyKind) -> Option<u16> {
    match kind {
        KeyKind::Tdes2 => Some(0x0000),
        KeyKind::Tdes3 => Some(0x0001),
        KeyKind::Aes128 => Some(0x0002),
        KeyKind::Aes192 => Some(0x0003),
        KeyKind::Aes256 => Some(0x0004),
        _ => None,
    }
}

/// Derives a key of `kind` under `key` from derivation data with `usage` and `tail`.
fn derive_key(key: &Key, usage: u16, kind: KeyKind, tail: &[u8; 8]) -> Result<Key, Error> {
    let cipher = AesCipher::new(key, "AES DUKPT derivation")?;
    let alg = algorithm(kind).ok_or(Error::WrongKey {
        operation: "AES DUKPT working key",
        expected: "AES-128/192/256 or TDES-2/3",
        found: kind,
    })?;
    let bits = (kind.len() * 8) as u16;
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(16).take(kind.len().div_ceil(16)).enumerate() {
        let mut data = [0u8; 16];
        data[0] = 0x01;
        data[1] = i as u8 + 1;
        data[2..4].copy_from_slice(&usage.to_be_bytes());
        data[4..6].copy_from_slice(&alg.to_be_bytes());
        data[6..8].copy_from_slice(&bits.to_be_bytes());
        data[8..].copy_from_slice(tail);
        cipher.encrypt(&mut data);
        chunk.copy_from_slice(&data);
        data.zeroize();
    }
    let key = Key::new(kind, out.get(..kind.len()).unwrap_or_default());
    out.zeroize();
    key
}

/// The initial key of a terminal, from the BDK (AES-128/192/256) and the initial key
/// ID; of the BDK's own kind.
///
/// # Errors
///
/// [`Error::WrongKey`] unless `bdk` is an AES key.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::aes};
/// let bdk = Key::aes_from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1")?;
/// let ik = aes::initial_key(&bdk, &[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56])?;
/// assert_eq!(ik, Key::aes_from_hex("1273671EA26AC29AFA4D1084127652A1")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn initial_key(bdk: &Key, initial_key_id: &[u8; 8]) -> Result<Key, Error> {
    derive_key(bdk, USAGE_INITIAL, bdk.kind(), initial_key_id)
}

/// The intermediate derivation key of `ksn`'s counter, from the initial key.
///
/// # Errors
///
/// [`Error::WrongKey`] unless `initial_key` is AES; [`Error::Ksn`] for counter 0 or
/// a counter with more than 16 bits set.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::aes::{self, Ksn}};
/// let ik = Key::aes_from_hex("1273671EA26AC29AFA4D1084127652A1")?;
/// let dk = aes::derivation_key(&ik, &Ksn::from_hex("123456789012345600000001")?)?;
/// assert_eq!(dk, Key::aes_from_hex("4F21B565BAD9835E112B6465635EAE44")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn derivation_key(initial_key: &Key, ksn: &Ksn) -> Result<Key, Error> {
    let counter = ksn.counter();
    if counter == 0 || counter.count_ones() > MAX_COUNTER_BITS {
        return Err(Error::Ksn(
            "the counter must be 1 or more with at most 16 bits set",
        ));
    }
    AesCipher::new(initial_key, "AES DUKPT derivation")?;
    let mut key = initial_key.clone();
    let mut working = 0u32;
    for bit in (0..32).rev() {
        let b = 1u32 << bit;
        if counter & b != 0 {
            working |= b;
            key = derive_key(&key, USAGE_DERIVATION, key.kind(), &ksn.tail(working))?;
        }
    }
    Ok(key)
}

/// The working key of `usage` and `kind` from an intermediate derivation key.
///
/// # Errors
///
/// [`Error::WrongKey`] unless `derivation_key` is AES and `kind` is AES or
/// double/triple-length TDES.
///
/// ```
/// use iso8583_wire::security::{Key, KeyKind, dukpt::aes::{self, KeyUsage, Ksn}};
/// let dk = Key::aes_from_hex("4F21B565BAD9835E112B6465635EAE44")?;
/// let ksn = Ksn::from_hex("123456789012345600000001")?;
/// let pin_key = aes::working_key(&dk, &ksn, KeyUsage::PinEncryption, KeyKind::Aes128)?;
/// assert_eq!(pin_key, Key::aes_from_hex("AF8CB133A78F8DC2D1359F18527593FB")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn working_key(
    derivation_key: &Key,
    ksn: &Ksn,
    usage: KeyUsage,
    kind: KeyKind,
) -> Result<Key, Error> {
    derive_key(derivation_key, usage.code(), kind, &ksn.tail(ksn.counter()))
}

/// The host side: the working key of `usage` and `kind` for `ksn`, from the BDK.
///
/// # Errors
///
/// As [`initial_key`], [`derivation_key`] and [`working_key`].
///
/// ```
/// use iso8583_wire::security::{Key, KeyKind, dukpt::aes::{self, KeyUsage, Ksn}};
/// let bdk = Key::aes_from_hex("FEDCBA9876543210F1F1F1F1F1F1F1F1")?;
/// let ksn = Ksn::from_hex("123456789012345600000001")?;
/// let mac_key = aes::derive(&bdk, &ksn, KeyUsage::MacGeneration, KeyKind::Aes128)?;
/// assert_eq!(mac_key, Key::aes_from_hex("A2DC23DE6FDE0824A2BC321E08E4B8B7")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn derive(bdk: &Key, ksn: &Ksn, usage: KeyUsage, kind: KeyKind) -> Result<Key, Error> {
    let ik = initial_key(bdk, &ksn.initial_key_id())?;
    let dk = derivation_key(&ik, ksn)?;
    working_key(&dk, ksn, usage, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(hex: &str) -> Key {
        Key::aes_from_hex(hex).unwrap()
    }

    const IKID: [u8; 8] = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];

    #[test]
    fn x9_24_3_aes128_initial_and_derivation_keys() {
        let bdk = k("FEDCBA9876543210F1F1F1F1F1F1F1F1");
        let ik = initial_key(&bdk, &IKID).unwrap();
        assert_eq!(ik, k("1273671EA26AC29AFA4D1084127652A1"));
        // Intermediate derivation keys, supplement test vectors.
        for (counter, expected) in [
            (1, "4F21B565BAD9835E112B6465635EAE44"),
            (2, "2F34D68DE10F68D38091A73B9E7C437C"),
            (3, "031504E530365CF81264238540518318"),
            (4, "0EEFC7ADA628BA68878DA9165A8A1887"),
            (8, "718EE6CF0B27E53D5F7AF99C4D8146A2"),
            (0x1FFFE, "E21E8C8D347F8561A2BE752DAA85A111"),
            (0x20000, "F7AE9025468A25D37B7249CFFED224C8"),
            (0xFFFE_2000, "48E585B694EB0B18D5C35443E163C0BA"),
            (0xFFFF_0000, "F6BA59389BD14A9855BE9727E7C52E3C"),
        ] {
            let ksn = Ksn::new(IKID, counter);
            assert_eq!(
                derivation_key(&ik, &ksn).unwrap(),
                k(expected),
                "{counter:X}"
            );
        }
        // 0x1FFFF has 17 bits set: not a counter a terminal uses.
        assert!(derivation_key(&ik, &Ksn::new(IKID, 0x1FFFF)).is_err());
    }

    #[test]
    fn x9_24_3_aes128_working_keys() {
        let bdk = k("FEDCBA9876543210F1F1F1F1F1F1F1F1");
        let ksn1 = Ksn::new(IKID, 1);
        for (usage, expected) in [
            (KeyUsage::PinEncryption, "AF8CB133A78F8DC2D1359F18527593FB"),
            (KeyUsage::MacGeneration, "A2DC23DE6FDE0824A2BC321E08E4B8B7"),
            (
                KeyUsage::MacVerification,
                "DBB463945B286C07CD3AD82EE96FD9C9",
            ),
            (KeyUsage::MacBoth, "85675439D18D7F1158BD8E3EAA3D502B"),
            (KeyUsage::DataEncrypt, "A35C412EFD41FDB98B69797C02DCD08F"),
            (KeyUsage::DataDecrypt, "16292C6EA8F64C5420A0584BFBC577BE"),
            (KeyUsage::DataBoth, "A308E080DD15A1B741F1721BF67DE11C"),
            (KeyUsage::KeyEncryption, "36A724B7BEFA5A25F5E7B5782A4554A2"),
        ] {
            assert_eq!(
                derive(&bdk, &ksn1, usage, KeyKind::Aes128).unwrap(),
                k(expected),
                "{usage:?}"
            );
        }
        let ksn8 = Ksn::new(IKID, 8);
        assert_eq!(
            derive(&bdk, &ksn8, KeyUsage::PinEncryption, KeyKind::Aes128).unwrap(),
            k("4D9DF3FBEE3448FC3E676D04320A90F5")
        );
        assert_eq!(
            derive(&bdk, &ksn8, KeyUsage::MacGeneration, KeyKind::Aes128).unwrap(),
            k("6FD572E5D59E618875F193484F9178FB")
        );
        assert_eq!(
            derive(&bdk, &ksn8, KeyUsage::DataEncrypt, KeyKind::Aes128).unwrap(),
            k("650F34204ABD4E57764D61AC3D266FB1")
        );
    }

    #[test]
    fn x9_24_3_aes256_initial_key() {
        let bdk = k("FEDCBA9876543210F1F1F1F1F1F1F1F1FEDCBA9876543210F1F1F1F1F1F1F1F1");
        assert_eq!(
            initial_key(&bdk, &IKID).unwrap(),
            k("CE9CE0C101D1138F97FB6CAD4DF045A7083D4EAE2D35A31789D01CCF0949550F")
        );
        // Intermediate derivation key of counter 1 (supplement test vectors).
        let ik = initial_key(&bdk, &IKID).unwrap();
        assert_eq!(
            derivation_key(&ik, &Ksn::new(IKID, 1)).unwrap(),
            k("54AC2B32B145EA4A554CB8BC44B17467063A799856B1CCC2A138D36E8DBF78B3")
        );
    }

    #[test]
    fn tdes_working_keys_and_wrong_keys() {
        let bdk = k("FEDCBA9876543210F1F1F1F1F1F1F1F1");
        let ksn = Ksn::new(IKID, 1);
        let tdes = derive(&bdk, &ksn, KeyUsage::PinEncryption, KeyKind::Tdes2).unwrap();
        assert_eq!(tdes.kind(), KeyKind::Tdes2);
        assert!(derive(&bdk, &ksn, KeyUsage::PinEncryption, KeyKind::Des).is_err());
        let des_bdk = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        assert!(derive(&des_bdk, &ksn, KeyUsage::PinEncryption, KeyKind::Aes128).is_err());
        assert!(derivation_key(&bdk, &Ksn::new(IKID, 0)).is_err());
    }
}
