//! TDES DUKPT (ANSI X9.24-1:2009).
//!
//! * The **KSN** ([`Ksn`]) is 10 bytes: the initial key serial number in its left 59
//!   bits, the transaction counter in its right 21 bits.
//! * The **IPEK** ([`ipek`]) is the BDK enciphering the KSN's left 8 bytes (counter
//!   cleared), and the BDK XOR `C0C0C0C000000000C0C0C0C000000000` enciphering them
//!   again.
//! * The **transaction key** of a counter ([`transaction_key`]) comes from the IPEK by
//!   the non-reversible key generation process, once per set counter bit from the
//!   left. A terminal counter never has more than 10 bits set; counters with more are
//!   skipped by terminals and refused here.
//! * The **working keys** ([`working_key`]) XOR a variant constant into both halves:
//!   PIN `00..00FF`, MAC request `00..FF00`, MAC response `00000000FF000000`, data
//!   request `0000000000FF0000`, data response `000000FF00000000`; the data keys are
//!   then passed through the one-way function of the 2009 edition (each half
//!   enciphered under the variant key).
//!
//! The host calls [`derive()`] (BDK + KSN); the terminal keeps a [`TerminalKeys`] (future
//! key registers, loaded once from the IPEK).
//!
//! ```
//! use iso8583_wire::security::{Key, dukpt::tdes::{self, KeyUsage, Ksn}};
//!
//! // ANSI X9.24-1 annex A.
//! let bdk = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! let ksn = Ksn::from_hex("FFFF9876543210E00001")?;
//! let ipek = tdes::ipek(&bdk, &ksn)?;
//! assert_eq!(ipek, Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?);
//! let pin_key = tdes::derive(&bdk, &ksn, KeyUsage::Pin)?;
//! assert_eq!(pin_key, Key::des_from_hex("042666B49184CF5C68DE9628D0397B36")?);
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::security::cipher::{DesCipher, xor_into};
use crate::security::{Error, Key, KeyKind, hex};

/// The mask turning a key into its counterpart for the left half of a derivation.
const C0_MASK: [u8; 16] = [
    0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0,
];

/// The 21 counter bits of the KSN.
const COUNTER_MASK: u32 = 0x1F_FFFF;

/// The most counter bits a terminal uses.
const MAX_COUNTER_BITS: u32 = 10;

/// A TDES DUKPT key serial number: 10 bytes, the transaction counter in the right 21
/// bits. Not secret: shown in hex.
///
/// ```
/// use iso8583_wire::security::dukpt::tdes::Ksn;
/// let ksn = Ksn::from_hex("FFFF9876543210E00008")?;
/// assert_eq!(ksn.counter(), 8);
/// assert_eq!(ksn.with_counter(0).to_string(), "FFFF9876543210E00000");
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; 10]);

impl Ksn {
    /// A KSN from its 10 bytes.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// let ksn = Ksn::new([0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x03]);
    /// assert_eq!(ksn.counter(), 3);
    /// ```
    pub const fn new(bytes: [u8; 10]) -> Ksn {
        Ksn(bytes)
    }

    /// A KSN from 10 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Ksn`] when `bytes` is not 10 bytes long.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// assert!(Ksn::from_bytes(&[0xFF; 10]).is_ok());
    /// assert!(Ksn::from_bytes(&[0xFF; 8]).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Ksn, Error> {
        <[u8; 10]>::try_from(bytes)
            .map(Ksn)
            .map_err(|_| Error::Ksn("a TDES KSN is 10 bytes"))
    }

    /// A KSN from 20 hex digits.
    ///
    /// # Errors
    ///
    /// [`Error::NotHex`], [`Error::OddHexLength`], or [`Error::Ksn`] for another length.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// assert!(Ksn::from_hex("FFFF9876543210E0000").is_err());
    /// ```
    pub fn from_hex(text: &str) -> Result<Ksn, Error> {
        if text.len() != 20 {
            return Err(Error::Ksn("a TDES KSN is 20 hex digits"));
        }
        let mut out = [0u8; 10];
        hex::decode(text, &mut out)?;
        Ok(Ksn(out))
    }

    /// The 10 bytes.
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// assert_eq!(Ksn::from_hex("FFFF9876543210E00001")?.as_bytes()[9], 0x01);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// The transaction counter (21 bits).
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// assert_eq!(Ksn::from_hex("FFFF9876543210FFF800")?.counter(), 0x1FF800);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn counter(&self) -> u32 {
        u32::from_be_bytes([0, self.0[7], self.0[8], self.0[9]]) & COUNTER_MASK
    }

    /// The same KSN with another counter (the low 21 bits of `counter`).
    ///
    /// ```
    /// use iso8583_wire::security::dukpt::tdes::Ksn;
    /// let ksn = Ksn::from_hex("FFFF9876543210E00000")?.with_counter(0x12345);
    /// assert_eq!(ksn.to_string(), "FFFF9876543210E12345");
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    #[must_use]
    pub fn with_counter(&self, counter: u32) -> Ksn {
        let mut out = self.0;
        let [_, b7, b8, b9] = (counter & COUNTER_MASK).to_be_bytes();
        out[7] = (out[7] & 0xE0) | b7;
        out[8] = b8;
        out[9] = b9;
        Ksn(out)
    }

    /// The right 8 bytes, as the crypto register of the derivation starts from them.
    fn register(&self) -> u64 {
        let mut r = [0u8; 8];
        r.copy_from_slice(&self.0[2..]);
        u64::from_be_bytes(r)
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

/// What a TDES DUKPT working key is for: its variant constant.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, KeyUsage}};
/// let current = Key::des_from_hex("042666B49184CFA368DE9628D0397BC9")?;
/// assert_eq!(tdes::working_key(&current, KeyUsage::Pin)?,
///            Key::des_from_hex("042666B49184CF5C68DE9628D0397B36")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsage {
    /// PIN encryption: variant `00000000000000FF`.
    Pin,
    /// MAC, request (or both ways): variant `000000000000FF00`.
    MacRequest,
    /// MAC, response: variant `00000000FF000000`.
    MacResponse,
    /// Data encryption, request (or both ways): variant `0000000000FF0000`, then the
    /// one-way function.
    DataRequest,
    /// Data encryption, response: variant `000000FF00000000`, then the one-way
    /// function.
    DataResponse,
}

impl KeyUsage {
    /// The variant constant of one key half.
    const fn variant(self) -> [u8; 8] {
        match self {
            KeyUsage::Pin => [0, 0, 0, 0, 0, 0, 0, 0xFF],
            KeyUsage::MacRequest => [0, 0, 0, 0, 0, 0, 0xFF, 0],
            KeyUsage::MacResponse => [0, 0, 0, 0, 0xFF, 0, 0, 0],
            KeyUsage::DataRequest => [0, 0, 0, 0, 0, 0xFF, 0, 0],
            KeyUsage::DataResponse => [0, 0, 0, 0xFF, 0, 0, 0, 0],
        }
    }
}

/// The double-length key bytes of a TDES DUKPT key (BDK, IPEK, transaction key).
fn key16(key: &Key, operation: &'static str) -> Result<[u8; 16], Error> {
    if key.kind() != KeyKind::Tdes2 {
        return Err(Error::WrongKey {
            operation,
            expected: "a double-length TDES key",
            found: key.kind(),
        });
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(key.expose_secret().get(..16).unwrap_or(&[0; 16]));
    Ok(out)
}

/// A key from 16 bytes, zeroizing the source.
fn into_key(mut bytes: [u8; 16]) -> Result<Key, Error> {
    let key = Key::new(KeyKind::Tdes2, &bytes);
    bytes.zeroize();
    key
}

/// The initial PIN encryption key (IPEK) of a terminal: from the BDK (double-length
/// TDES) and the terminal's KSN (its counter is ignored).
///
/// # Errors
///
/// [`Error::WrongKey`] unless `bdk` is a double-length TDES key.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, Ksn}};
/// let bdk = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// let ipek = tdes::ipek(&bdk, &Ksn::from_hex("FFFF9876543210E00000")?)?;
/// assert_eq!(ipek.check_value().to_string(), Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?.check_value().to_string());
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn ipek(bdk: &Key, ksn: &Ksn) -> Result<Key, Error> {
    let mut k = key16(bdk, "TDES DUKPT IPEK derivation")?;
    let base = ksn.with_counter(0);
    let mut reg = [0u8; 8];
    reg.copy_from_slice(&base.0[..8]);
    let mut out = [0u8; 16];
    let mut left = reg;
    DesCipher::new(bdk, "TDES DUKPT IPEK derivation")?.encrypt(&mut left);
    xor_into(&mut k, &C0_MASK);
    let masked = into_key(k);
    k.zeroize();
    let mut right = reg;
    DesCipher::new(&masked?, "TDES DUKPT IPEK derivation")?.encrypt(&mut right);
    out[..8].copy_from_slice(&left);
    out[8..].copy_from_slice(&right);
    left.zeroize();
    right.zeroize();
    into_key(out)
}

/// The non-reversible key generation process: the key of crypto register `reg` from
/// the current key `key`.
fn next_key(key: &[u8; 16], reg: u64) -> [u8; 16] {
    let reg = reg.to_be_bytes();
    let half = |k: &[u8; 16]| {
        let mut left = [0u8; 8];
        let mut right = [0u8; 8];
        left.copy_from_slice(&k[..8]);
        right.copy_from_slice(&k[8..]);
        let mut msg = reg;
        xor_into(&mut msg, &right);
        DesCipher::single(&left).encrypt(&mut msg);
        xor_into(&mut msg, &right);
        left.zeroize();
        right.zeroize();
        msg
    };
    let right = half(key);
    let mut masked = *key;
    xor_into(&mut masked, &C0_MASK);
    let left = half(&masked);
    masked.zeroize();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&left);
    out[8..].copy_from_slice(&right);
    out
}

/// Whether a counter is one a terminal uses: 1 or more, at most 10 bits set.
fn counter_valid(counter: u32) -> bool {
    counter != 0 && counter & !COUNTER_MASK == 0 && counter.count_ones() <= MAX_COUNTER_BITS
}

/// The transaction key (the "current key", before any variant) of `ksn`'s counter,
/// from the IPEK: the host side of the derivation.
///
/// # Errors
///
/// [`Error::WrongKey`] unless `ipek` is double-length TDES; [`Error::Ksn`] for
/// counter 0 or a counter with more than 10 bits set (no terminal uses them).
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, Ksn}};
/// let ipek = Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?;
/// let key = tdes::transaction_key(&ipek, &Ksn::from_hex("FFFF9876543210E00001")?)?;
/// assert_eq!(key, Key::des_from_hex("042666B49184CFA368DE9628D0397BC9")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn transaction_key(ipek: &Key, ksn: &Ksn) -> Result<Key, Error> {
    let counter = ksn.counter();
    if !counter_valid(counter) {
        return Err(Error::Ksn(
            "the counter must be 1 or more with at most 10 bits set",
        ));
    }
    let mut key = key16(ipek, "TDES DUKPT derivation")?;
    let mut reg = ksn.register() & !u64::from(COUNTER_MASK);
    for bit in (0..21).rev() {
        let b = 1u32 << bit;
        if counter & b != 0 {
            reg |= u64::from(b);
            let next = next_key(&key, reg);
            key.zeroize();
            key = next;
        }
    }
    into_key(key)
}

/// The working key of `usage` from a transaction key.
///
/// # Errors
///
/// [`Error::WrongKey`] unless `transaction_key` is double-length TDES.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, KeyUsage}};
/// let current = Key::des_from_hex("042666B49184CFA368DE9628D0397BC9")?;
/// let mac_key = tdes::working_key(&current, KeyUsage::MacRequest)?;
/// assert_eq!(mac_key, Key::des_from_hex("042666B4918430A368DE9628D03984C9")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn working_key(transaction_key: &Key, usage: KeyUsage) -> Result<Key, Error> {
    let mut k = key16(transaction_key, "TDES DUKPT working key")?;
    let v = usage.variant();
    xor_into(&mut k[..8], &v);
    xor_into(&mut k[8..], &v);
    if matches!(usage, KeyUsage::DataRequest | KeyUsage::DataResponse) {
        let variant = into_key(k)?;
        k.zeroize();
        let cipher = DesCipher::new(&variant, "TDES DUKPT working key")?;
        k = key16(&variant, "TDES DUKPT working key")?;
        let mut left = [0u8; 8];
        let mut right = [0u8; 8];
        left.copy_from_slice(&k[..8]);
        right.copy_from_slice(&k[8..]);
        cipher.encrypt(&mut left);
        cipher.encrypt(&mut right);
        k[..8].copy_from_slice(&left);
        k[8..].copy_from_slice(&right);
        left.zeroize();
        right.zeroize();
    }
    into_key(k)
}

/// The host side: the working key of `usage` for `ksn`, from the BDK.
///
/// # Errors
///
/// As [`ipek`] and [`transaction_key`].
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, KeyUsage, Ksn}};
/// let bdk = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// let ksn = Ksn::from_hex("FFFF9876543210E00001")?;
/// let data_key = tdes::derive(&bdk, &ksn, KeyUsage::DataRequest)?;
/// assert_eq!(data_key, Key::des_from_hex("448D3F076D8304036A55A3D7E0055A78")?);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn derive(bdk: &Key, ksn: &Ksn, usage: KeyUsage) -> Result<Key, Error> {
    let ipek = ipek(bdk, ksn)?;
    let current = transaction_key(&ipek, ksn)?;
    working_key(&current, usage)
}

/// The counter after `counter` in a terminal's sequence: the next with at most 10
/// bits set, or `None` when the counter space is used up.
///
/// ```
/// use iso8583_wire::security::dukpt::tdes::next_counter;
/// assert_eq!(next_counter(1), Some(2));
/// assert_eq!(next_counter(0x3FF), Some(0x400)); // 10 bits set: skip ahead
/// assert_eq!(next_counter(0x1FF800), None);
/// ```
pub fn next_counter(counter: u32) -> Option<u32> {
    let next = if counter.count_ones() < MAX_COUNTER_BITS {
        counter.checked_add(1)?
    } else {
        counter.checked_add(counter & counter.wrapping_neg())?
    };
    (next & !COUNTER_MASK == 0).then_some(next)
}

/// The terminal side of TDES DUKPT: the 21 future key registers, loaded once from
/// the IPEK, advanced after each transaction as ANSI X9.24-1 annex A describes.
///
/// Each register holds the key of the counter that sets its bit on top of the
/// current counter's prefix; a used key is erased at once. Counters with more than
/// 10 bits set are skipped. The registers are zeroized when the terminal is dropped;
/// `Debug` shows the KSN only.
///
/// ```
/// use iso8583_wire::security::{Key, dukpt::tdes::{self, KeyUsage, Ksn, TerminalKeys}};
///
/// let ipek = Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?;
/// let mut terminal = TerminalKeys::load(&ipek, &Ksn::from_hex("FFFF9876543210E00000")?)?;
/// let (ksn, key) = terminal.next_key()?;
/// assert_eq!(ksn.to_string(), "FFFF9876543210E00001");
/// assert_eq!(tdes::working_key(&key, KeyUsage::Pin)?,
///            Key::des_from_hex("042666B49184CF5C68DE9628D0397B36")?);
/// assert_eq!(terminal.ksn().to_string(), "FFFF9876543210E00002");
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub struct TerminalKeys {
    /// The KSN with the counter of the next transaction (0 when exhausted).
    ksn: Ksn,
    /// Future key registers, indexed by counter bit (register `i` for bit `1 << i`).
    registers: [[u8; 16]; 21],
    /// Which registers hold a key.
    valid: u32,
    exhausted: bool,
}

impl TerminalKeys {
    /// Loads the IPEK and generates the 21 future keys; the first transaction uses
    /// counter 1 (the counter bits of `ksn` are ignored). The IPEK is not kept.
    ///
    /// The registers live in memory only: a terminal that must survive restarts
    /// keeps them in its secure storage, which this type does not provide.
    ///
    /// # Errors
    ///
    /// [`Error::WrongKey`] unless `ipek` is double-length TDES.
    ///
    /// ```
    /// use iso8583_wire::security::{Key, dukpt::tdes::{Ksn, TerminalKeys}};
    /// let ipek = Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?;
    /// let terminal = TerminalKeys::load(&ipek, &Ksn::from_hex("FFFF9876543210E00000")?)?;
    /// assert_eq!(terminal.ksn().counter(), 1);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn load(ipek: &Key, ksn: &Ksn) -> Result<TerminalKeys, Error> {
        let key = key16(ipek, "TDES DUKPT terminal")?;
        let mut terminal = TerminalKeys {
            ksn: ksn.with_counter(0),
            registers: [[0; 16]; 21],
            valid: 0,
            exhausted: false,
        };
        terminal.fill_below(&key, 0, 21);
        let mut key = key;
        key.zeroize();
        terminal.ksn = terminal.ksn.with_counter(1);
        Ok(terminal)
    }

    /// Generates the registers for bits below `top` from `key`, the key of `counter`.
    fn fill_below(&mut self, key: &[u8; 16], counter: u32, top: u32) {
        let base = self.ksn.with_counter(counter).register();
        for bit in (0..top).rev() {
            let reg = base | (1u64 << bit);
            if let Some(slot) = self.registers.get_mut(bit as usize) {
                *slot = next_key(key, reg);
                self.valid |= 1 << bit;
            }
        }
    }

    /// The KSN the next transaction will use.
    ///
    /// ```
    /// use iso8583_wire::security::{Key, dukpt::tdes::{Ksn, TerminalKeys}};
    /// let ipek = Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?;
    /// let mut terminal = TerminalKeys::load(&ipek, &Ksn::from_hex("FFFF9876543210E00000")?)?;
    /// terminal.next_key()?;
    /// assert_eq!(terminal.ksn().to_string(), "FFFF9876543210E00002");
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn ksn(&self) -> Ksn {
        self.ksn
    }

    /// The KSN and transaction key for the next transaction; the terminal then moves
    /// on (the key is erased from its register, and the registers below it are filled
    /// from it). Derive the working keys with [`working_key`].
    ///
    /// # Errors
    ///
    /// [`Error::CounterExhausted`] when the counter space is used up.
    ///
    /// ```
    /// use iso8583_wire::security::{Key, dukpt::tdes::{self, Ksn, TerminalKeys}};
    /// let ipek = Key::des_from_hex("6AC292FAA1315B4D858AB3A3D7D5933A")?;
    /// let mut terminal = TerminalKeys::load(&ipek, &Ksn::from_hex("FFFF9876543210E00000")?)?;
    /// let (ksn, key) = terminal.next_key()?;
    /// assert_eq!(key, tdes::transaction_key(&ipek, &ksn)?);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn next_key(&mut self) -> Result<(Ksn, Key), Error> {
        if self.exhausted {
            return Err(Error::CounterExhausted);
        }
        let ksn = self.ksn;
        let counter = ksn.counter();
        let low = counter.trailing_zeros();
        if self.valid & (1 << low) == 0 {
            return Err(Error::CounterExhausted);
        }
        let slot = self
            .registers
            .get_mut(low as usize)
            .ok_or(Error::CounterExhausted)?;
        let mut key = *slot;
        slot.zeroize();
        self.valid &= !(1 << low);
        if counter.count_ones() < MAX_COUNTER_BITS {
            self.fill_below(&key, counter, low);
        }
        let out = into_key(key);
        key.zeroize();
        match next_counter(counter) {
            Some(next) => self.ksn = self.ksn.with_counter(next),
            None => self.exhausted = true,
        }
        Ok((ksn, out?))
    }
}

impl Drop for TerminalKeys {
    fn drop(&mut self) {
        self.registers.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for TerminalKeys {}

impl fmt::Debug for TerminalKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalKeys")
            .field("ksn", &self.ksn)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(hex: &str) -> Key {
        Key::des_from_hex(hex).unwrap()
    }

    /// ANSI X9.24-1 annex A: BDK 0123456789ABCDEFFEDCBA9876543210, KSN
    /// FFFF9876543210E0000n: (counter, PIN key, MAC request key, data request key).
    const ANNEX_A: [(u32, &str, &str, &str); 5] = [
        (
            1,
            "042666B49184CF5C68DE9628D0397B36",
            "042666B4918430A368DE9628D03984C9",
            "448D3F076D8304036A55A3D7E0055A78",
        ),
        (
            2,
            "C46551CEF9FD244FAA9AD834130D3B38",
            "C46551CEF9FDDBB0AA9AD834130DC4C7",
            "F1BE73B36135C5C26CF937D50ABBE5AF",
        ),
        (
            3,
            "0DF3D9422ACA561A47676D07AD6BAD05",
            "0DF3D9422ACAA9E547676D07AD6B52FA",
            "EEEEF522C67239E4A2A65FEBF4C511F4",
        ),
        (
            4,
            "279C0F6AEED0BE9A2B2C733E1383AE6E",
            "279C0F6AEED041652B2C733E13835191",
            "BCF2610997C3AC3C5F13AE965A1B773B",
        ),
        (
            5,
            "5F8DC6D2C845C1DA508DDC048093B8C0",
            "5F8DC6D2C8453E25508DDC048093473F",
            "F3054D8B7471284BDB4EE18AFC3B091B",
        ),
    ];

    #[test]
    fn annex_a_host_side() {
        let bdk = k("0123456789ABCDEFFEDCBA9876543210");
        let base = Ksn::from_hex("FFFF9876543210E00000").unwrap();
        assert_eq!(
            ipek(&bdk, &base).unwrap(),
            k("6AC292FAA1315B4D858AB3A3D7D5933A")
        );
        for (counter, pin, mac, data) in ANNEX_A {
            let ksn = base.with_counter(counter);
            assert_eq!(
                derive(&bdk, &ksn, KeyUsage::Pin).unwrap(),
                k(pin),
                "{counter}"
            );
            assert_eq!(derive(&bdk, &ksn, KeyUsage::MacRequest).unwrap(), k(mac));
            assert_eq!(derive(&bdk, &ksn, KeyUsage::DataRequest).unwrap(), k(data));
        }
    }

    #[test]
    fn terminal_matches_host_along_the_sequence() {
        let bdk = k("0123456789ABCDEFFEDCBA9876543210");
        let base = Ksn::from_hex("FFFF9876543210E00000").unwrap();
        let ipek = ipek(&bdk, &base).unwrap();
        let mut terminal = TerminalKeys::load(&ipek, &base).unwrap();
        for (counter, pin, _, _) in ANNEX_A {
            let (ksn, key) = terminal.next_key().unwrap();
            assert_eq!(ksn.counter(), counter);
            assert_eq!(working_key(&key, KeyUsage::Pin).unwrap(), k(pin));
        }
        // Further on, the terminal and the host agree, including across skips.
        let mut seen = 5;
        while seen < 3000 {
            let (ksn, key) = terminal.next_key().unwrap();
            assert!(ksn.counter().count_ones() <= 10);
            if seen % 97 == 0 {
                assert_eq!(transaction_key(&ipek, &ksn).unwrap(), key, "{ksn}");
            }
            seen += 1;
        }
    }

    #[test]
    fn skipping_and_exhaustion() {
        // The counter sequence has 2^20 - 1 members: every 21-bit value with 1 to 10
        // bits set.
        let mut count = 1u32;
        let mut c = 1u32;
        while let Some(n) = next_counter(c) {
            assert!(n > c && n.count_ones() <= 10);
            c = n;
            count += 1;
        }
        assert_eq!(count, (1 << 20) - 1);
        assert_eq!(c, 0x1FF800);
        // The terminal near the end: load a state by walking from a late counter.
        let ipek = k("6AC292FAA1315B4D858AB3A3D7D5933A");
        let base = Ksn::from_hex("FFFF9876543210E00000").unwrap();
        let mut terminal = TerminalKeys::load(&ipek, &base).unwrap();
        let mut last = 0;
        for _ in 0..2000 {
            let (ksn, _) = terminal.next_key().unwrap();
            assert!(ksn.counter() > last);
            last = ksn.counter();
        }
        assert!(transaction_key(&ipek, &base.with_counter(0x7FF)).is_err());
        assert!(transaction_key(&ipek, &base).is_err());
    }

    #[test]
    fn response_variants_differ_from_request() {
        let current = k("042666B49184CFA368DE9628D0397BC9");
        let resp = working_key(&current, KeyUsage::MacResponse).unwrap();
        assert_eq!(resp, k("042666B46E84CFA368DE96282F397BC9"));
        let data_resp = working_key(&current, KeyUsage::DataResponse).unwrap();
        assert_ne!(
            data_resp,
            working_key(&current, KeyUsage::DataRequest).unwrap()
        );
    }
}
