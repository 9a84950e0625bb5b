//! PIN blocks: ISO 9564-1 formats 0, 1, 3 and 4.
//!
//! | format | plain text (nibbles) | PAN | cipher |
//! |---|---|---|---|
//! | 0 | `0` `L` PIN, fill `F` (16 nibbles), XOR the PAN block | rightmost 12 digits without the check digit | DES / TDES |
//! | 1 | `1` `L` PIN, random fill (any nibble) | none | DES / TDES |
//! | 3 | `3` `L` PIN, random fill `A`-`F`, XOR the PAN block | as format 0 | DES / TDES |
//! | 4 | `4` `L` PIN, fill `A` (16 nibbles), then 8 random bytes | PAN block: `M` = PAN length - 12 (0 if shorter), the PAN (left-padded with zeros to 12 digits), zeros | AES |
//!
//! `L` is the PIN length, 4 to 12. The format 0 and 3 PAN block is four zero nibbles
//! and the 12 rightmost PAN digits excluding the check digit, left-padded with zeros
//! when the PAN is shorter. Format 4 enciphers twice: the PIN field under the key,
//! XOR the PAN block, under the key again.
//!
//! **Randomness** (formats 1, 3 and 4) comes from a [`RandomSource`] the caller
//! supplies: any `FnMut(&mut [u8]) -> Result<(), Error>` closure (deterministic in
//! tests), or with the `getrandom` feature [`OsRng`], the operating system's
//! generator. Format 3 fill digits are drawn without bias (rejection sampling).
//!
//! **Secrets.** [`Pin`] and [`PinBlock`] are zeroized on drop and print as masks; no
//! error names a digit.
//!
//! ```
//! use iso8583_wire::security::{Key, pin::{self, Pin, PinFormat}};
//!
//! // ANSI X9.24-1 annex A: PIN 1234, PAN 4012345678909, the PIN key of KSN
//! // FFFF9876543210E00001.
//! let key = Key::des_from_hex("042666B49184CF5C68DE9628D0397B36")?;
//! let pin = Pin::new("1234")?;
//! let block = pin::encipher(PinFormat::Iso0, &pin, Some("4012345678909"), &key, &mut pin::no_random)?;
//! assert_eq!(block.expose_secret(), [0x1B, 0x9C, 0x18, 0x45, 0xEB, 0x99, 0x3A, 0x7A]);
//! assert_eq!(format!("{block:?}"), "PinBlock(8 bytes)");
//!
//! let (format, read) = pin::decipher(block.expose_secret(), Some("4012345678909"), &key)?;
//! assert_eq!((format, read.expose_secret()), (PinFormat::Iso0, "1234"));
//! assert_eq!(format!("{read:?}"), "Pin(****)");
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::security::cipher::{AesCipher, DesCipher, xor_into};
use crate::security::{Error, Key};

/// A source of random bytes for PIN-block fill.
///
/// Implemented for closures `FnMut(&mut [u8]) -> Result<(), Error>` and, with the
/// `getrandom` feature, for [`OsRng`].
///
/// ```
/// use iso8583_wire::security::pin::{self, Pin, PinFormat};
/// // A deterministic source, for tests.
/// let mut rng = |buf: &mut [u8]| { buf.fill(0x5A); Ok(()) };
/// let block = pin::clear_block(PinFormat::Iso1, &Pin::new("1234")?, None, &mut rng)?;
/// assert_eq!(block.expose_secret(), [0x14, 0x12, 0x34, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub trait RandomSource {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when no randomness can be had.
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), Error>;
}

impl<F: FnMut(&mut [u8]) -> Result<(), Error>> RandomSource for F {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        self(dest)
    }
}

/// A [`RandomSource`] that always fails: for format 0, which needs no randomness.
///
/// # Errors
///
/// Always [`Error::Random`].
///
/// ```
/// use iso8583_wire::security::pin::{self, Pin, PinFormat};
/// let block = pin::clear_block(PinFormat::Iso0, &Pin::new("1234")?, Some("43219876543210987"), &mut pin::no_random)?;
/// assert_eq!(block.expose_secret(), [0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67]);
/// assert!(pin::clear_block(PinFormat::Iso1, &Pin::new("1234")?, None, &mut pin::no_random).is_err());
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn no_random(_: &mut [u8]) -> Result<(), Error> {
    Err(Error::Random)
}

/// The operating system's random generator (`getrandom`).
///
/// ```
/// use iso8583_wire::security::pin::{self, OsRng, Pin, PinFormat};
/// let a = pin::clear_block(PinFormat::Iso1, &Pin::new("1234")?, None, &mut OsRng)?;
/// assert_eq!(&a.expose_secret()[..2], &[0x14, 0x12]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[cfg(feature = "getrandom")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRng;

#[cfg(feature = "getrandom")]
impl RandomSource for OsRng {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(dest).map_err(|_| Error::Random)
    }
}

/// A PIN block format of ISO 9564-1.
///
/// ```
/// use iso8583_wire::security::pin::{self, PinFormat};
/// let (format, _) = pin::read_clear_block(&[0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67],
///     Some("43219876543210987"))?;
/// assert_eq!(format, PinFormat::Iso0);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinFormat {
    /// Format 0 (ANSI X9.8): PIN XOR PAN, fill `F`.
    Iso0,
    /// Format 1: no PAN, random fill.
    Iso1,
    /// Format 3: PIN XOR PAN, random fill `A`-`F`.
    Iso3,
    /// Format 4: AES, 16-byte PIN field and PAN block.
    Iso4,
}

impl PinFormat {
    /// The control nibble (0, 1, 3 or 4).
    const fn control(self) -> u8 {
        match self {
            PinFormat::Iso0 => 0,
            PinFormat::Iso1 => 1,
            PinFormat::Iso3 => 3,
            PinFormat::Iso4 => 4,
        }
    }
}

/// A clear PIN: 4 to 12 decimal digits, zeroized on drop, printed as `Pin(****)`.
#[derive(Clone)]
pub struct Pin {
    digits: [u8; 12],
    len: usize,
}

impl Pin {
    /// A PIN from its digits.
    ///
    /// # Errors
    ///
    /// [`Error::Pin`] unless `digits` is 4 to 12 ASCII digits.
    ///
    /// ```
    /// use iso8583_wire::security::pin::Pin;
    /// assert_eq!(Pin::new("123456")?.len(), 6);
    /// assert!(Pin::new("123").is_err() && Pin::new("12a4").is_err());
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn new(digits: &str) -> Result<Pin, Error> {
        let bytes = digits.as_bytes();
        if !(4..=12).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(Error::Pin);
        }
        let mut pin = Pin {
            digits: [0; 12],
            len: bytes.len(),
        };
        if let Some(dst) = pin.digits.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        Ok(pin)
    }

    /// The number of digits (4 to 12).
    ///
    /// ```
    /// use iso8583_wire::security::pin::Pin;
    /// assert_eq!(Pin::new("0000")?.len(), 4);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The digits.
    ///
    /// ```
    /// use iso8583_wire::security::pin::Pin;
    /// assert_eq!(Pin::new("4321")?.expose_secret(), "4321");
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn expose_secret(&self) -> &str {
        core::str::from_utf8(self.digits.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }

    /// Digit `i` as a number.
    fn digit(&self, i: usize) -> u8 {
        self.digits.get(i).map_or(0, |d| d.wrapping_sub(b'0'))
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl ZeroizeOnDrop for Pin {}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// A PIN block, clear or enciphered: 8 bytes (formats 0, 1, 3) or 16 (format 4).
/// Zeroized on drop; `Debug` shows only its length.
#[derive(Clone)]
pub struct PinBlock {
    bytes: [u8; 16],
    len: usize,
}

impl PinBlock {
    /// The block's bytes.
    ///
    /// ```
    /// use iso8583_wire::security::pin::{self, Pin, PinFormat};
    /// let block = pin::clear_block(PinFormat::Iso0, &Pin::new("1234")?, Some("4012345678909"), &mut pin::no_random)?;
    /// assert_eq!(block.expose_secret().len(), 8);
    /// # Ok::<(), iso8583_wire::security::Error>(())
    /// ```
    pub fn expose_secret(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    fn new(bytes: &[u8]) -> PinBlock {
        let mut block = PinBlock {
            bytes: [0; 16],
            len: bytes.len().min(16),
        };
        if let Some(dst) = block.bytes.get_mut(..block.len) {
            dst.copy_from_slice(bytes.get(..block.len).unwrap_or_default());
        }
        block
    }
}

impl Drop for PinBlock {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl ZeroizeOnDrop for PinBlock {}

impl fmt::Debug for PinBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PinBlock({} bytes)", self.len)
    }
}

/// Sets nibble `i` (high nibble of byte `i / 2` first) of `buf` to `v`.
fn set_nibble(buf: &mut [u8], i: usize, v: u8) {
    if let Some(b) = buf.get_mut(i / 2) {
        if i.is_multiple_of(2) {
            *b = (*b & 0x0F) | (v << 4);
        } else {
            *b = (*b & 0xF0) | (v & 0x0F);
        }
    }
}

/// Nibble `i` of `buf`.
fn nibble(buf: &[u8], i: usize) -> u8 {
    buf.get(i / 2).map_or(0, |b| {
        if i.is_multiple_of(2) {
            b >> 4
        } else {
            b & 0x0F
        }
    })
}

/// Checks a PAN: 1 to 19 decimal digits.
fn pan_digits(pan: Option<&str>) -> Result<&[u8], Error> {
    let pan = pan
        .ok_or(Error::Pan("formats 0, 3 and 4 need the PAN"))?
        .as_bytes();
    if pan.is_empty() || pan.len() > 19 || !pan.iter().all(u8::is_ascii_digit) {
        return Err(Error::Pan("must be 1 to 19 decimal digits"));
    }
    Ok(pan)
}

/// The format 0 / 3 PAN block: four zero nibbles, then the 12 rightmost digits
/// before the check digit (left-padded with zeros).
fn pan_block8(pan: Option<&str>) -> Result<[u8; 8], Error> {
    let pan = pan_digits(pan)?;
    let body = pan.get(..pan.len() - 1).unwrap_or_default();
    let take = body.len().min(12);
    let digits = body.get(body.len() - take..).unwrap_or_default();
    let mut out = [0u8; 8];
    for (k, d) in digits.iter().enumerate() {
        set_nibble(&mut out, 16 - take + k, d - b'0');
    }
    Ok(out)
}

/// The format 4 PAN block: M = length - 12 (0 when shorter), the PAN left-padded with
/// zeros to 12 digits, zero fill.
fn pan_block16(pan: Option<&str>) -> Result<[u8; 16], Error> {
    let pan = pan_digits(pan)?;
    let mut out = [0u8; 16];
    set_nibble(&mut out, 0, pan.len().saturating_sub(12) as u8);
    let start = 1 + 12usize.saturating_sub(pan.len());
    for (k, d) in pan.iter().enumerate() {
        set_nibble(&mut out, start + k, d - b'0');
    }
    Ok(out)
}

/// `count` random nibbles in `A`-`F`, without bias.
fn fill_a_to_f(rng: &mut (impl RandomSource + ?Sized), out: &mut [u8; 12]) -> Result<(), Error> {
    let mut have = 0;
    let mut pool = [0u8; 16];
    for _ in 0..16 {
        rng.fill(&mut pool)?;
        for i in 0..32 {
            let n = nibble(&pool, i);
            // 12 = 2 x 6 values: accept 0-11, map to A-F.
            if n < 12
                && let Some(slot) = out.get_mut(have)
            {
                *slot = 10 + n % 6;
                have += 1;
            }
        }
        if have >= out.len() {
            pool.zeroize();
            return Ok(());
        }
    }
    pool.zeroize();
    Err(Error::Random)
}

/// The clear PIN block of `format`: 8 bytes for formats 0, 1 and 3 (the PAN block
/// XORed in for 0 and 3); for format 4, the 16-byte plain-text PIN field (the PAN
/// enters at encipherment).
///
/// # Errors
///
/// [`Error::Pan`] when format 0, 3 or 4 has no PAN or a PAN that is not 1 to 19
/// digits; [`Error::Random`] when the random source fails.
///
/// ```
/// use iso8583_wire::security::pin::{self, Pin, PinFormat};
/// // Format 4 plain-text PIN field with a fixed random part.
/// let mut rng = |buf: &mut [u8]| { buf.fill(0x11); Ok(()) };
/// let field = pin::clear_block(PinFormat::Iso4, &Pin::new("1234")?, None, &mut rng)?;
/// assert_eq!(field.expose_secret()[..8], [0x44, 0x12, 0x34, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn clear_block(
    format: PinFormat,
    pin: &Pin,
    pan: Option<&str>,
    rng: &mut (impl RandomSource + ?Sized),
) -> Result<PinBlock, Error> {
    let mut buf = [0u8; 16];
    set_nibble(&mut buf, 0, format.control());
    set_nibble(&mut buf, 1, pin.len() as u8);
    for i in 0..pin.len() {
        set_nibble(&mut buf, 2 + i, pin.digit(i));
    }
    let fill = 2 + pin.len()..16;
    let len = match format {
        PinFormat::Iso0 => {
            fill.for_each(|i| set_nibble(&mut buf, i, 0xF));
            let pan = pan_block8(pan)?;
            xor_into(&mut buf, &pan);
            8
        }
        PinFormat::Iso1 => {
            let mut random = [0u8; 8];
            rng.fill(&mut random)?;
            fill.for_each(|i| set_nibble(&mut buf, i, nibble(&random, i)));
            random.zeroize();
            8
        }
        PinFormat::Iso3 => {
            let pan = pan_block8(pan)?;
            let mut digits = [0u8; 12];
            fill_a_to_f(rng, &mut digits)?;
            for (k, i) in fill.enumerate() {
                set_nibble(&mut buf, i, digits.get(k).copied().unwrap_or(0xA));
            }
            digits.zeroize();
            xor_into(&mut buf, &pan);
            8
        }
        PinFormat::Iso4 => {
            fill.for_each(|i| set_nibble(&mut buf, i, 0xA));
            if let Some(random) = buf.get_mut(8..) {
                rng.fill(random)?;
            }
            16
        }
    };
    let block = PinBlock::new(buf.get(..len).unwrap_or_default());
    buf.zeroize();
    Ok(block)
}

/// Reads a clear PIN block: 8 bytes of format 0, 1 or 3 (the format from its control
/// nibble; `pan` needed for 0 and 3), or a 16-byte format 4 plain-text PIN field.
///
/// # Errors
///
/// [`Error::PinBlock`] when the block breaks its format (control nibble, PIN length,
/// digits, fill), [`Error::Pan`] as for [`clear_block`].
///
/// ```
/// use iso8583_wire::security::pin::{self, PinFormat};
/// let block = [0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67];
/// let (format, pin) = pin::read_clear_block(&block, Some("43219876543210987"))?;
/// assert_eq!((format, pin.expose_secret()), (PinFormat::Iso0, "1234"));
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn read_clear_block(block: &[u8], pan: Option<&str>) -> Result<(PinFormat, Pin), Error> {
    let mut buf = [0u8; 16];
    let format = match (block.len(), nibble(block, 0)) {
        (8, 0) => PinFormat::Iso0,
        (8, 1) => PinFormat::Iso1,
        (8, 3) => PinFormat::Iso3,
        (16, 4) => PinFormat::Iso4,
        (8 | 16, _) => return Err(Error::PinBlock("unsupported format for its length")),
        _ => return Err(Error::PinBlock("not 8 or 16 bytes")),
    };
    if let Some(dst) = buf.get_mut(..block.len()) {
        dst.copy_from_slice(block);
    }
    if matches!(format, PinFormat::Iso0 | PinFormat::Iso3) {
        match pan_block8(pan) {
            Ok(p) => xor_into(&mut buf, &p),
            Err(e) => {
                buf.zeroize();
                return Err(e);
            }
        }
    }
    let result = read_fields(&buf, format);
    buf.zeroize();
    result.map(|pin| (format, pin))
}

/// Reads the PIN out of a plain-text block or PIN field, checking the fill.
fn read_fields(buf: &[u8; 16], format: PinFormat) -> Result<Pin, Error> {
    let len = usize::from(nibble(buf, 1));
    if !(4..=12).contains(&len) {
        return Err(Error::PinBlock("PIN length is not 4 to 12"));
    }
    let mut pin = Pin {
        digits: [0; 12],
        len,
    };
    for i in 0..len {
        let d = nibble(buf, 2 + i);
        if d > 9 {
            return Err(Error::PinBlock("PIN digit is not decimal"));
        }
        if let Some(slot) = pin.digits.get_mut(i) {
            *slot = b'0' + d;
        }
    }
    let fill_ok = (2 + len..16).all(|i| {
        let n = nibble(buf, i);
        match format {
            PinFormat::Iso0 => n == 0xF,
            PinFormat::Iso1 => true,
            PinFormat::Iso3 => n >= 0xA,
            PinFormat::Iso4 => n == 0xA,
        }
    });
    if !fill_ok {
        return Err(Error::PinBlock("fill digits do not match the format"));
    }
    Ok(pin)
}

/// Builds the PIN block of `format` and enciphers it: formats 0, 1 and 3 under a DES
/// or TDES key (8 bytes, ECB), format 4 under an AES key (16 bytes, the PAN block
/// between the two encipherments).
///
/// # Errors
///
/// [`Error::WrongKey`] when the key does not suit the format; otherwise as
/// [`clear_block`].
///
/// ```
/// use iso8583_wire::security::{Key, pin::{self, Pin, PinFormat}};
/// let key = Key::aes_from_hex("D30D421EC808407A61972EDBA36482FF")?;
/// let mut rng = |buf: &mut [u8]| {
///     buf.copy_from_slice(&[0x7B, 0xFD, 0xA9, 0x1F, 0x39, 0xF6, 0x32, 0x84]);
///     Ok(())
/// };
/// let block = pin::encipher(PinFormat::Iso4, &Pin::new("1234")?, Some("4001234567890120"), &key, &mut rng)?;
/// assert_eq!(block.expose_secret()[..4], [0x21, 0x96, 0x96, 0x13]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn encipher(
    format: PinFormat,
    pin: &Pin,
    pan: Option<&str>,
    key: &Key,
    rng: &mut (impl RandomSource + ?Sized),
) -> Result<PinBlock, Error> {
    if format == PinFormat::Iso4 {
        let cipher = AesCipher::new(key, "PIN block format 4")?;
        let pan_block = pan_block16(pan)?;
        let clear = clear_block(format, pin, pan, rng)?;
        let mut block = [0u8; 16];
        block.copy_from_slice(clear.expose_secret().get(..16).unwrap_or(&[0; 16]));
        cipher.encrypt(&mut block);
        xor_into(&mut block, &pan_block);
        cipher.encrypt(&mut block);
        Ok(PinBlock::new(&block))
    } else {
        let cipher = DesCipher::new(key, "PIN block formats 0, 1 and 3")?;
        let clear = clear_block(format, pin, pan, rng)?;
        let mut block = [0u8; 8];
        block.copy_from_slice(clear.expose_secret().get(..8).unwrap_or(&[0; 8]));
        cipher.encrypt(&mut block);
        Ok(PinBlock::new(&block))
    }
}

/// Deciphers and reads an enciphered PIN block (as field 52 carries it): 8 bytes under
/// a DES or TDES key (formats 0, 1, 3), or 16 bytes under an AES key (format 4).
///
/// # Errors
///
/// [`Error::WrongKey`] when the key does not suit the block's length; otherwise as
/// [`read_clear_block`].
///
/// ```
/// use iso8583_wire::security::{Key, pin::{self, PinFormat}};
/// let key = Key::aes_from_hex("00112233445566778899AABBCCDDEEFF")?;
/// let block = [0x88, 0xE3, 0x3C, 0x3A, 0xCF, 0x40, 0x4F, 0x23,
///              0x4F, 0x10, 0xF8, 0x89, 0xC3, 0x64, 0xE3, 0x77];
/// let (format, pin) = pin::decipher(&block, Some("432198765432109870"), &key)?;
/// assert_eq!((format, pin.expose_secret()), (PinFormat::Iso4, "1234"));
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn decipher(block: &[u8], pan: Option<&str>, key: &Key) -> Result<(PinFormat, Pin), Error> {
    match block.len() {
        8 => {
            let cipher = DesCipher::new(key, "an 8-byte PIN block")?;
            let mut clear = [0u8; 8];
            clear.copy_from_slice(block);
            cipher.decrypt(&mut clear);
            let result = read_clear_block(&clear, pan);
            clear.zeroize();
            result
        }
        16 => {
            let cipher = AesCipher::new(key, "a 16-byte PIN block")?;
            let pan_block = pan_block16(pan)?;
            let mut clear = [0u8; 16];
            clear.copy_from_slice(block);
            cipher.decrypt(&mut clear);
            xor_into(&mut clear, &pan_block);
            cipher.decrypt(&mut clear);
            let result = read_clear_block(&clear, pan);
            clear.zeroize();
            match result {
                Ok((PinFormat::Iso4, pin)) => Ok((PinFormat::Iso4, pin)),
                Ok(_) => Err(Error::PinBlock("a 16-byte block must be format 4")),
                Err(e) => Err(e),
            }
        }
        _ => Err(Error::PinBlock("not 8 or 16 bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn fixed(byte: u8) -> impl FnMut(&mut [u8]) -> Result<(), Error> {
        move |buf: &mut [u8]| {
            buf.fill(byte);
            Ok(())
        }
    }

    #[test]
    fn format0_published_examples() {
        // EFTlab, "Complete list of PIN blocks": PAN 43219876543210987, PIN 1234.
        let pin = Pin::new("1234").unwrap();
        let block = clear_block(
            PinFormat::Iso0,
            &pin,
            Some("43219876543210987"),
            &mut no_random,
        )
        .unwrap();
        assert_eq!(
            block.expose_secret(),
            [0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67]
        );
        // ANSI X9.24-1 annex A: PAN 4012345678909, PIN 1234; enciphered under the
        // PIN key of KSN FFFF9876543210E00001.
        let block =
            clear_block(PinFormat::Iso0, &pin, Some("4012345678909"), &mut no_random).unwrap();
        assert_eq!(
            block.expose_secret(),
            [0x04, 0x12, 0x74, 0xED, 0xCB, 0xA9, 0x87, 0x6F]
        );
        let key = Key::des_from_hex("042666B49184CF5C68DE9628D0397B36").unwrap();
        let enc = encipher(
            PinFormat::Iso0,
            &pin,
            Some("4012345678909"),
            &key,
            &mut no_random,
        )
        .unwrap();
        assert_eq!(
            enc.expose_secret(),
            [0x1B, 0x9C, 0x18, 0x45, 0xEB, 0x99, 0x3A, 0x7A]
        );
    }

    #[test]
    fn format4_published_examples() {
        // A public PIN-block calculator's worked example: clear PIN field
        // 441234AAAAAAAAAA7BFDA91F39F63284, PAN block 44001234567890120000000000000000,
        // intermediate 5EA985DAD0358E6BC29639CB1D5395D3.
        let key = Key::aes_from_hex("D30D421EC808407A61972EDBA36482FF").unwrap();
        let random = [0x7B, 0xFD, 0xA9, 0x1F, 0x39, 0xF6, 0x32, 0x84];
        let mut rng = |buf: &mut [u8]| {
            buf.copy_from_slice(&random);
            Ok(())
        };
        let pin = Pin::new("1234").unwrap();
        assert_eq!(
            pan_block16(Some("4001234567890120")).unwrap(),
            [
                0x44, 0x00, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        let block = encipher(
            PinFormat::Iso4,
            &pin,
            Some("4001234567890120"),
            &key,
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            block.expose_secret(),
            [
                0x21, 0x96, 0x96, 0x13, 0xF4, 0xEB, 0x77, 0xC2, 0x08, 0x14, 0x78, 0x88, 0xEB, 0x67,
                0x44, 0x57
            ]
        );
        let (format, back) =
            decipher(block.expose_secret(), Some("4001234567890120"), &key).unwrap();
        assert_eq!((format, back.expose_secret()), (PinFormat::Iso4, "1234"));
        // EFTlab's ISO-4 example: an 18-digit PAN, so M = 6.
        assert_eq!(
            pan_block16(Some("432198765432109870")).unwrap(),
            [
                0x64, 0x32, 0x19, 0x87, 0x65, 0x43, 0x21, 0x09, 0x87, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        // Short PANs are left-padded with zeros to 12 digits.
        assert_eq!(
            pan_block16(Some("12345")).unwrap()[..8],
            [0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x50, 0x00]
        );
    }

    #[test]
    fn formats_1_and_3_round_trip_and_fill() {
        let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
        for digits in ["1234", "12345", "000000000000", "987654321"] {
            let pin = Pin::new(digits).unwrap();
            for byte in [0x00, 0x5A, 0xB7, 0x3C] {
                for format in [PinFormat::Iso1, PinFormat::Iso3] {
                    let pan = Some("5500000000000004");
                    let mut rng = fixed(byte);
                    let clear = clear_block(format, &pin, pan, &mut rng).unwrap();
                    assert_eq!(nibble(clear.expose_secret(), 0), format.control());
                    if format == PinFormat::Iso3 {
                        // Undo the PAN: every fill nibble is A-F.
                        let mut plain = [0u8; 8];
                        plain.copy_from_slice(clear.expose_secret());
                        xor_into(&mut plain, &pan_block8(pan).unwrap());
                        assert!((2 + digits.len()..16).all(|i| nibble(&plain, i) >= 0xA));
                    }
                    let enc = encipher(format, &pin, pan, &key, &mut fixed(byte)).unwrap();
                    let (f, back) = decipher(enc.expose_secret(), pan, &key).unwrap();
                    assert_eq!((f, back.expose_secret()), (format, digits));
                }
            }
        }
        // Format 3 with an all-F fill is format 0 with another control nibble.
        let b3 = [0x34, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67];
        let (f, pin) = read_clear_block(&b3, Some("43219876543210987")).unwrap();
        assert_eq!((f, pin.expose_secret()), (PinFormat::Iso3, "1234"));
    }

    #[test]
    fn format3_rejection_sampling_gives_up_on_a_useless_source() {
        // Nibbles C-F are never used for fill: a source of 0xFF is useless.
        let pin = Pin::new("1234").unwrap();
        assert_eq!(
            clear_block(
                PinFormat::Iso3,
                &pin,
                Some("4012345678909"),
                &mut fixed(0xFF)
            )
            .map(|_| ()),
            Err(Error::Random)
        );
    }

    #[test]
    fn bad_blocks_and_inputs_are_errors_without_digits() {
        let pan = Some("43219876543210987");
        for block in [
            [0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x66], // fill not F
            [0x03, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67], // length 3
            [0x04, 0x1A, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67], // digit A
            [0x24, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67], // format 2
        ] {
            let err = read_clear_block(&block, pan).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("1234"), "{shown}");
        }
        assert!(read_clear_block(&[0x04, 0x12], pan).is_err());
        assert!(read_clear_block(&[0x04; 8], None).is_err());
        assert!(Pin::new("1234567890123").is_err());
        assert!(Pin::new("").is_err());
        let pin = Pin::new("1234").unwrap();
        assert!(clear_block(PinFormat::Iso0, &pin, Some("4012-3456"), &mut no_random).is_err());
        assert!(
            clear_block(
                PinFormat::Iso0,
                &pin,
                Some("12345678901234567890"),
                &mut no_random
            )
            .is_err()
        );
        assert!(clear_block(PinFormat::Iso0, &pin, None, &mut no_random).is_err());
        let aes = Key::aes(&[1; 16]).unwrap();
        assert!(
            encipher(
                PinFormat::Iso0,
                &pin,
                Some("4012345678909"),
                &aes,
                &mut no_random
            )
            .is_err()
        );
        assert!(decipher(&[0; 8], Some("4012345678909"), &aes).is_err());
        assert!(decipher(&[0; 12], Some("4012345678909"), &aes).is_err());
        // Masks.
        assert_eq!(format!("{pin:?}"), "Pin(****)");
        let block =
            clear_block(PinFormat::Iso0, &pin, Some("4012345678909"), &mut no_random).unwrap();
        assert_eq!(format!("{block:?}"), "PinBlock(8 bytes)");
    }
}
