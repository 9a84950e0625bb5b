//! Message authentication codes, and the MAC of an ISO 8583 message.
//!
//! | [`MacAlgorithm`] | what | key |
//! |---|---|---|
//! | [`CbcMac`](MacAlgorithm::CbcMac) | ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC, zero IV; with a single DES key, ANSI X9.9 | DES or TDES |
//! | [`Retail`](MacAlgorithm::Retail) | ISO/IEC 9797-1 MAC algorithm 3, the retail MAC of ANSI X9.19: CBC-MAC under K, then decipher under K' and encipher under K (K'' for a triple-length key) | TDES |
//! | [`UnionPayEcb`](MacAlgorithm::UnionPayEcb) | the UnionPay POS terminal "ECB" MAC (below) | DES or TDES |
//! | [`AesCmac`](MacAlgorithm::AesCmac) | AES-CMAC (NIST SP 800-38B, RFC 4493; ISO/IEC 9797-1 algorithm 5), leftmost 8 bytes | AES |
//!
//! [`ANSI_X9_9`](MacAlgorithm::ANSI_X9_9) and [`ANSI_X9_19`](MacAlgorithm::ANSI_X9_19)
//! name the usual settings: padding method 1 (zeros).
//!
//! **Padding** ([`Padding`]) for the CBC algorithms is a parameter, as schemes differ:
//! ISO/IEC 9797-1 method 1 appends zero bytes up to a block boundary (none when the
//! data fills its last block; one zero block for empty data); method 2 appends `0x80`
//! and then zeros, always. The UnionPay MAC pads with zeros; CMAC pads as its
//! standard says.
//!
//! **The UnionPay POS MAC**, as the UnionPay POS terminal specification and the
//! acquirers' integration guides describe it: split the MAC block into 8-byte blocks
//! (the last padded with zeros) and XOR them together; write the 8-byte result as 16
//! uppercase hex characters; encipher the first 8 characters under the MAC key; XOR
//! the result with the last 8 characters; encipher again; write that as 16 hex
//! characters and keep the first 8. The MAC is those 8 ASCII characters, carried as
//! the 8 bytes of field 64.
//!
//! **The MAC block of a message** ([`mac_input`]) runs from the MTI through the last
//! field before the MAC field, bitmaps included: the layout's header (the TPDU and
//! application header of `cup`) is left out. The MAC field is 64, or 128 when the
//! message has a secondary bitmap (192 behind a tertiary one); it must be the last
//! field, and its bitmap bit must be set: encode the message with a placeholder MAC
//! (eight zero bytes), then [`sign_message`] fills it in place. [`verify_message`]
//! checks a received message in constant time.
//!
//! ```
//! use iso8583_wire::security::{Key, mac::{self, MacAlgorithm}};
//!
//! // ISO/IEC 9797-1 annex B: algorithm 3 (ANSI X9.19), padding method 1.
//! let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! let tag = mac::mac(MacAlgorithm::ANSI_X9_19, &key, b"Now is the time for all ")?;
//! assert_eq!(tag, [0xA1, 0xC7, 0x2E, 0x74, 0xEA, 0x3F, 0xA9, 0xB6]);
//! // Received MACs are often truncated to 4 bytes.
//! mac::verify(MacAlgorithm::ANSI_X9_19, &key, b"Now is the time for all ", &tag[..4])?;
//! # Ok::<(), iso8583_wire::security::Error>(())
//! ```

use core::ops::Range;

use subtle::ConstantTimeEq;

use crate::security::cipher::{AesCipher, DesCipher, xor_into};
use crate::security::{Error, Key, KeyKind, hex};
use crate::spec::{Encoding, Length, MessageSpec};

/// The padding method of the CBC MAC algorithms (ISO/IEC 9797-1).
///
/// ```
/// use iso8583_wire::security::{Key, mac::{self, MacAlgorithm, Padding}};
/// let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// // ISO/IEC 9797-1 annex B: algorithm 3, padding method 2.
/// let tag = mac::mac(MacAlgorithm::Retail(Padding::Method2), &key, b"Now is the time for all ")?;
/// assert_eq!(tag, [0xE9, 0x08, 0x62, 0x30, 0xCA, 0x3B, 0xE7, 0x96]);
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Padding {
    /// Method 1: zero bytes up to a block boundary (none when the data fills its last
    /// block; one zero block for empty data).
    Method1,
    /// Method 2: one `0x80` byte, then zero bytes up to a block boundary.
    Method2,
}

/// A MAC algorithm (see the [module documentation](self)).
///
/// ```
/// use iso8583_wire::security::mac::{MacAlgorithm, Padding};
/// assert_eq!(MacAlgorithm::ANSI_X9_9, MacAlgorithm::CbcMac(Padding::Method1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// ISO/IEC 9797-1 algorithm 1: CBC-MAC with a zero IV under a DES or TDES key;
    /// ANSI X9.9 with a single DES key.
    CbcMac(Padding),
    /// ISO/IEC 9797-1 algorithm 3, the ANSI X9.19 retail MAC: single-DES CBC-MAC under
    /// the first key part, then decipher under the second and encipher under the
    /// third (the first again for a double-length key).
    Retail(Padding),
    /// The UnionPay POS terminal MAC: XOR of the blocks, then two encipherments of its
    /// hex form; the result is 8 ASCII hex characters.
    UnionPayEcb,
    /// AES-CMAC, truncated to its leftmost 8 bytes.
    AesCmac,
}

impl MacAlgorithm {
    /// ANSI X9.9: ISO/IEC 9797-1 algorithm 1 with padding method 1.
    pub const ANSI_X9_9: MacAlgorithm = MacAlgorithm::CbcMac(Padding::Method1);
    /// ANSI X9.19: ISO/IEC 9797-1 algorithm 3 with padding method 1.
    pub const ANSI_X9_19: MacAlgorithm = MacAlgorithm::Retail(Padding::Method1);

    /// A short name, for errors and logs.
    ///
    /// ```
    /// use iso8583_wire::security::mac::MacAlgorithm;
    /// assert_eq!(MacAlgorithm::ANSI_X9_19.name(), "retail MAC (ISO 9797-1 algorithm 3)");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            MacAlgorithm::CbcMac(_) => "CBC-MAC (ISO 9797-1 algorithm 1)",
            MacAlgorithm::Retail(_) => "retail MAC (ISO 9797-1 algorithm 3)",
            MacAlgorithm::UnionPayEcb => "UnionPay ECB MAC",
            MacAlgorithm::AesCmac => "AES-CMAC",
        }
    }
}

/// The 8-byte MAC of `data` under `key`.
///
/// # Errors
///
/// [`Error::WrongKey`] when the key does not suit the algorithm: the retail MAC needs
/// a double- or triple-length TDES key, AES-CMAC an AES key, the others a DES or TDES
/// key.
///
/// ```
/// use iso8583_wire::security::{Key, mac::{self, MacAlgorithm}};
///
/// // ANSI X9.9 / ISO/IEC 9797-1 annex B, algorithm 1.
/// let key = Key::des_from_hex("0123456789ABCDEF")?;
/// let tag = mac::mac(MacAlgorithm::ANSI_X9_9, &key, b"Now is the time for all ")?;
/// assert_eq!(tag, [0x70, 0xA3, 0x06, 0x40, 0xCC, 0x76, 0xDD, 0x8B]);
///
/// // The UnionPay POS MAC: 8 ASCII hex characters.
/// let mak = Key::des_from_hex("2222222222222222")?;
/// let mab = [0x12, 0x34, 0x56, 0x78, 0x90, 0xAB, 0xCD, 0xEF,
///            0xAB, 0xCD, 0xEF, 0x12, 0x34, 0x56, 0x78, 0x90];
/// assert_eq!(&mac::mac(MacAlgorithm::UnionPayEcb, &mak, &mab)?, b"E267B6E2");
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn mac(algorithm: MacAlgorithm, key: &Key, data: &[u8]) -> Result<[u8; 8], Error> {
    match algorithm {
        MacAlgorithm::CbcMac(padding) => {
            let cipher = DesCipher::new(key, algorithm.name())?;
            let mut state = [0u8; 8];
            for_each_block(data, padding, |block| {
                xor_into(&mut state, block);
                cipher.encrypt(&mut state);
            });
            Ok(state)
        }
        MacAlgorithm::Retail(padding) => {
            let (k1, k2, k3) = match key.kind() {
                KeyKind::Tdes2 => (key.des_part(0), key.des_part(1), key.des_part(0)),
                KeyKind::Tdes3 => (key.des_part(0), key.des_part(1), key.des_part(2)),
                found => {
                    return Err(Error::WrongKey {
                        operation: algorithm.name(),
                        expected: "a double- or triple-length TDES key",
                        found,
                    });
                }
            };
            let first = DesCipher::single(&k1);
            let mut state = [0u8; 8];
            for_each_block(data, padding, |block| {
                xor_into(&mut state, block);
                first.encrypt(&mut state);
            });
            DesCipher::single(&k2).decrypt(&mut state);
            DesCipher::single(&k3).encrypt(&mut state);
            let mut parts = [k1, k2, k3];
            zeroize::Zeroize::zeroize(&mut parts);
            Ok(state)
        }
        MacAlgorithm::UnionPayEcb => {
            let cipher = DesCipher::new(key, algorithm.name())?;
            let mut sum = [0u8; 8];
            for_each_block(data, Padding::Method1, |block| xor_into(&mut sum, block));
            let mut text = [0u8; 16];
            hex::encode_into(&sum, &mut text);
            let (left, right) = text.split_at(8);
            let mut state = [0u8; 8];
            state.copy_from_slice(left);
            cipher.encrypt(&mut state);
            xor_into(&mut state, right);
            cipher.encrypt(&mut state);
            let mut out = [0u8; 8];
            hex::encode_into(state.get(..4).unwrap_or_default(), &mut out);
            Ok(out)
        }
        MacAlgorithm::AesCmac => {
            let tag = AesCipher::cmac(key, data, algorithm.name())?;
            let mut out = [0u8; 8];
            out.copy_from_slice(tag.get(..8).unwrap_or(&[0; 8]));
            Ok(out)
        }
    }
}

/// Checks `expected`, a MAC as received (4 to 8 bytes: the leftmost bytes of the
/// 8-byte MAC), against the MAC of `data`, in constant time.
///
/// # Errors
///
/// [`Error::MacMismatch`] when it does not match or is not 4 to 8 bytes long;
/// [`Error::WrongKey`] as for [`mac`].
///
/// ```
/// use iso8583_wire::security::{Error, Key, mac::{self, MacAlgorithm}};
/// let key = Key::aes_from_hex("2B7E151628AED2A6ABF7158809CF4F3C")?;
/// // RFC 4493 example 1: the CMAC of the empty string is BB1D6929E9593728...
/// mac::verify(MacAlgorithm::AesCmac, &key, b"", &[0xBB, 0x1D, 0x69, 0x29])?;
/// assert_eq!(mac::verify(MacAlgorithm::AesCmac, &key, b"", &[0; 8]), Err(Error::MacMismatch));
/// # Ok::<(), iso8583_wire::security::Error>(())
/// ```
pub fn verify(
    algorithm: MacAlgorithm,
    key: &Key,
    data: &[u8],
    expected: &[u8],
) -> Result<(), Error> {
    let ours = mac(algorithm, key, data)?;
    match ours.get(..expected.len()) {
        Some(ours) if expected.len() >= 4 && bool::from(ours.ct_eq(expected)) => Ok(()),
        _ => Err(Error::MacMismatch),
    }
}

/// Calls `f` with each 8-byte block of `data` padded by `padding`.
fn for_each_block(data: &[u8], padding: Padding, mut f: impl FnMut(&[u8; 8])) {
    let mut chunks = data.chunks_exact(8);
    let mut block = [0u8; 8];
    for chunk in &mut chunks {
        block.copy_from_slice(chunk);
        f(&block);
    }
    let rest = chunks.remainder();
    block = [0u8; 8];
    if let Some(head) = block.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    match padding {
        Padding::Method1 => {
            if !rest.is_empty() || data.is_empty() {
                f(&block);
            }
        }
        Padding::Method2 => {
            if let Some(b) = block.get_mut(rest.len()) {
                *b = 0x80;
            }
            f(&block);
        }
    }
}

/// Where the MAC of a message is: the bytes it covers and the field that carries it
/// (see [`mac_input`]).
///
/// ```
/// use iso8583_wire::{layouts::ISO87_BINARY, MessageBuilder, Mti};
/// use iso8583_wire::security::mac;
///
/// let mut req = MessageBuilder::new(&ISO87_BINARY, Mti::new(200)?);
/// req.set(3, "000000")?.set(64, &[0u8; 8][..])?;
/// let wire = req.to_bytes()?;
/// let input = mac::mac_input(&ISO87_BINARY, &wire)?;
/// assert_eq!((input.field, input.mac_len, input.hex), (64, 8, false));
/// assert_eq!(input.field_range, wire.len() - 8..wire.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows the MAC block's length, not its bytes (they hold the PAN, track data
/// and PIN block of the message).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MacInput<'a> {
    /// The MAC block: from the MTI through the last field before the MAC field.
    pub data: &'a [u8],
    /// The MAC field: 64, 128 or 192.
    pub field: usize,
    /// The MAC field's bytes within the message (the whole input, header included).
    pub field_range: Range<usize>,
    /// How many MAC bytes the field carries (8, or fewer for a shorter field).
    pub mac_len: usize,
    /// Whether the field carries the MAC as hex-ASCII (two characters a byte) rather
    /// than binary.
    pub hex: bool,
}

impl core::fmt::Debug for MacInput<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MacInput")
            .field("data_len", &self.data.len())
            .field("field", &self.field)
            .field("field_range", &self.field_range)
            .field("mac_len", &self.mac_len)
            .field("hex", &self.hex)
            .finish()
    }
}

/// Finds the MAC block and MAC field of `wire`, one encoded message of layout `spec`
/// (header included) whose MAC field is present (a placeholder when signing).
///
/// # Errors
///
/// [`Error::Message`] when `wire` does not decode; [`Error::MacFieldAbsent`] when the
/// MAC field is not present; [`Error::MacFieldNotLast`] when a field follows it;
/// [`Error::MacField`] when the layout's MAC field is not a fixed binary or hex-ASCII
/// field of 4 to 8 bytes.
///
/// ```
/// use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
/// use iso8583_wire::security::mac;
///
/// let mut req = MessageBuilder::new(&ISO87_ASCII, Mti::new(800)?);
/// req.set(11, 1u32)?.set(70, 301u32)?.set(128, &[0u8; 8][..])?;
/// let wire = req.to_bytes()?;
/// let input = mac::mac_input(&ISO87_ASCII, &wire)?;
/// assert_eq!(input.field, 128);
/// assert_eq!(input.data, &wire[..wire.len() - 16]); // hex-ASCII MAC field
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mac_input<'a>(spec: &'a MessageSpec<'a>, wire: &'a [u8]) -> Result<MacInput<'a>, Error> {
    let msg = spec.decode(wire)?;
    let field = match msg.bitmap_count() {
        1 => 64,
        2 => 128,
        _ => 192,
    };
    let carrier = msg.field(field).ok_or(Error::MacFieldAbsent { field })?;
    if let Some(after) = msg.field_numbers().find(|&n| n > field) {
        return Err(Error::MacFieldNotLast { field, after });
    }
    let fspec = carrier.spec();
    let bad = |reason| Error::MacField { field, reason };
    if !matches!(fspec.length, Length::Fixed(_)) {
        return Err(bad("not a fixed-length field"));
    }
    let wire_len = carrier.wire().len();
    let (mac_len, hex) = match fspec.encoding {
        Encoding::Binary => (wire_len, false),
        Encoding::HexAscii => (wire_len / 2, true),
        _ => return Err(bad("neither binary nor hex-ASCII")),
    };
    if !(4..=8).contains(&mac_len) {
        return Err(bad("not 4 to 8 bytes long"));
    }
    let start = wire
        .len()
        .checked_sub(wire_len)
        .ok_or(bad("not at the end of the message"))?;
    let data = wire
        .get(spec.header_len()..start)
        .ok_or(bad("not at the end of the message"))?;
    Ok(MacInput {
        data,
        field,
        field_range: start..wire.len(),
        mac_len,
        hex,
    })
}

/// Computes the MAC of `wire` (one encoded message of layout `spec`, header included,
/// with a placeholder in its MAC field) and writes it into the MAC field, as binary or
/// hex-ASCII as the field is encoded. Returns the 8-byte MAC.
///
/// # Errors
///
/// As [`mac_input`] and [`mac`].
///
/// ```
/// use iso8583_wire::{layouts::CUP, MessageBuilder, Mti};
/// use iso8583_wire::security::{Key, mac::{self, MacAlgorithm}};
///
/// let mak = Key::des_from_hex("2222222222222222")?;
/// let mut req = MessageBuilder::new(&CUP, Mti::new(200)?);
/// req.set_header(&[0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0x00, 0x31, 0x01, 0x00])?
///     .set(3, "000000")?
///     .set(11, 1u32)?
///     .set(64, &[0u8; 8][..])?;
/// let mut wire = req.to_bytes()?.to_vec();
/// let tag = mac::sign_message(&CUP, &mut wire, MacAlgorithm::UnionPayEcb, &mak)?;
/// assert_eq!(&wire[wire.len() - 8..], &tag);
/// mac::verify_message(&CUP, &wire, MacAlgorithm::UnionPayEcb, &mak)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_message(
    spec: &MessageSpec<'_>,
    wire: &mut [u8],
    algorithm: MacAlgorithm,
    key: &Key,
) -> Result<[u8; 8], Error> {
    let (tag, range, mac_len, hex) = {
        let input = mac_input(spec, wire)?;
        let tag = mac(algorithm, key, input.data)?;
        (tag, input.field_range, input.mac_len, input.hex)
    };
    let slot = wire.get_mut(range).ok_or(Error::MacField {
        field: 0,
        reason: "not at the end of the message",
    })?;
    let tag_part = tag.get(..mac_len).unwrap_or_default();
    if hex {
        hex::encode_into(tag_part, slot);
    } else if let Some(dst) = slot.get_mut(..mac_len) {
        dst.copy_from_slice(tag_part);
    }
    Ok(tag)
}

/// Verifies the MAC field of a received message `wire` of layout `spec` (header
/// included), in constant time.
///
/// # Errors
///
/// [`Error::MacMismatch`] when the MAC does not verify (or its hex-ASCII is not hex);
/// otherwise as [`mac_input`] and [`mac`].
///
/// ```
/// use iso8583_wire::{layouts::ISO87_BINARY, MessageBuilder, Mti};
/// use iso8583_wire::security::{Error, Key, mac::{self, MacAlgorithm}};
///
/// let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// let mut req = MessageBuilder::new(&ISO87_BINARY, Mti::new(200)?);
/// req.set(3, "000000")?.set(11, 7u32)?.set(64, &[0u8; 8][..])?;
/// let mut wire = req.to_bytes()?.to_vec();
/// mac::sign_message(&ISO87_BINARY, &mut wire, MacAlgorithm::ANSI_X9_19, &key)?;
/// mac::verify_message(&ISO87_BINARY, &wire, MacAlgorithm::ANSI_X9_19, &key)?;
/// wire[5] ^= 1; // tamper with the bitmap
/// assert!(mac::verify_message(&ISO87_BINARY, &wire, MacAlgorithm::ANSI_X9_19, &key).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_message(
    spec: &MessageSpec<'_>,
    wire: &[u8],
    algorithm: MacAlgorithm,
    key: &Key,
) -> Result<(), Error> {
    let input = mac_input(spec, wire)?;
    let received = wire.get(input.field_range.clone()).unwrap_or_default();
    let mut buf = [0u8; 8];
    let got = if input.hex {
        for (dst, pair) in buf.iter_mut().zip(received.chunks_exact(2)) {
            let (hi, lo) = match pair {
                [hi, lo] => (hex::nibble(*hi), hex::nibble(*lo)),
                _ => (None, None),
            };
            match (hi, lo) {
                (Some(hi), Some(lo)) => *dst = hi << 4 | lo,
                _ => return Err(Error::MacMismatch),
            }
        }
        buf.get(..input.mac_len)
    } else {
        received.get(..input.mac_len)
    }
    .ok_or(Error::MacMismatch)?;
    verify(algorithm, key, input.data, got)
}

/// Where the builder and the decoded message meet the MAC: the builder fills the MAC
/// field when it encodes, the message checks it.
impl<S: crate::builder::FieldStore> crate::MessageBuilder<'_, S> {
    /// Encodes the message with its MAC: sets the MAC field (64, or 128 when the
    /// message needs a secondary bitmap) to a placeholder, encodes, and writes the MAC
    /// of the MAC block (MTI through the field before the MAC, header excluded) into
    /// it. The builder keeps the placeholder; call again after changing a field.
    ///
    /// ```
    /// use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
    /// use iso8583_wire::security::{Key, mac::MacAlgorithm};
    ///
    /// let key = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
    /// let mut req = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
    /// req.set(3, "000000")?.set(4, 1500)?.set(11, 7)?.set(41, "TERM0001")?;
    /// let wire = req.to_bytes_with_mac(MacAlgorithm::ANSI_X9_19, &key)?;
    /// let msg = ISO87_ASCII.decode(&wire)?;
    /// assert!(msg.has(64));
    /// msg.verify_mac(MacAlgorithm::ANSI_X9_19, &key)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::MacFieldAbsent`] when the layout does not define the MAC field, an
    /// encoding error as [`Error::Encode`], or a key that does not suit the algorithm.
    #[cfg(feature = "alloc")]
    pub fn to_bytes_with_mac(
        &mut self,
        algorithm: MacAlgorithm,
        key: &Key,
    ) -> Result<alloc::vec::Vec<u8>, Error> {
        let field = self.mac_field();
        let spec = self.spec();
        let placeholder_len = spec
            .field(field)
            .and_then(|f| f.fixed_wire_len())
            .ok_or(Error::MacFieldAbsent { field })?;
        let placeholder = match spec.field(field).map(|f| f.encoding) {
            Some(Encoding::HexAscii) => alloc::vec![0u8; placeholder_len / 2],
            _ => alloc::vec![0u8; placeholder_len],
        };
        self.set(field, placeholder.as_slice())
            .map_err(Error::Encode)?;
        let mut wire = self.to_bytes().map_err(Error::Encode)?.to_vec();
        sign_message(spec, &mut wire, algorithm, key)?;
        Ok(wire)
    }

    /// The MAC field this message uses: 128 when any field 65-127 is set (or at least
    /// two bitmaps are asked for), else 64.
    fn mac_field(&self) -> usize {
        let secondary = (65..=127).any(|n| n != 65 && self.has(n))
            || (self.has(65) && !self.spec().bitmap.has_tertiary());
        if secondary { 128 } else { 64 }
    }
}

impl crate::Message<'_> {
    /// Checks the message's MAC field against the MAC of its MAC block, in constant
    /// time.
    ///
    /// # Errors
    ///
    /// [`Error::MacMismatch`] when it does not match; [`Error::MacFieldAbsent`] or
    /// [`Error::MacFieldNotLast`] when the message has no MAC field last.
    pub fn verify_mac(&self, algorithm: MacAlgorithm, key: &Key) -> Result<(), Error> {
        verify_message(self.spec(), self.as_bytes(), algorithm, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layouts::{CUP, ISO87_ASCII, ISO87_BINARY};
    use crate::{MessageBuilder, Mti};
    use aes::Aes128;
    use des::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
    use std::vec::Vec;

    const S1: &[u8] = b"Now is the time for all ";
    const S2: &[u8] = b"Now is the time for it";

    fn h(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn des_key(text: &str) -> Key {
        Key::des_from_hex(text).unwrap()
    }

    /// ISO/IEC 9797-1 annex B (and ANSI X9.9 / X9.19): K = 0123456789ABCDEF,
    /// K' = FEDCBA9876543210.
    #[test]
    fn iso9797_annex_b() {
        let k = des_key("0123456789ABCDEF");
        let kk = des_key("0123456789ABCDEFFEDCBA9876543210");
        let m1 = Padding::Method1;
        let m2 = Padding::Method2;
        for (alg, key, data, expected) in [
            // Published: algorithm 1 (X9.9) and algorithm 3 (X9.19), method 1.
            (MacAlgorithm::CbcMac(m1), &k, S1, "70A30640CC76DD8B"),
            (MacAlgorithm::Retail(m1), &kk, S1, "A1C72E74EA3FA9B6"),
            (MacAlgorithm::Retail(m1), &kk, S2, "2E2B1428CC78254F"),
            (MacAlgorithm::Retail(m2), &kk, S1, "E9086230CA3BE796"),
            // Cross-checked with an independent DES implementation.
            (MacAlgorithm::CbcMac(m2), &k, S1, "10E1F0F108341B6D"),
            (MacAlgorithm::CbcMac(m1), &k, S2, "E45B3AD2B7CC0856"),
            (MacAlgorithm::CbcMac(m2), &k, S2, "A924C72136149211"),
            (MacAlgorithm::Retail(m2), &kk, S2, "5A692CE64F404145"),
        ] {
            assert_eq!(
                mac(alg, key, data).unwrap().to_vec(),
                h(expected),
                "{alg:?}"
            );
        }
    }

    /// RFC 4493 section 4: AES-128 key 2B7E151628AED2A6ABF7158809CF4F3C.
    #[test]
    fn rfc4493() {
        let key = Key::aes_from_hex("2B7E151628AED2A6ABF7158809CF4F3C").unwrap();
        let msg = h(concat!(
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51",
            "30C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710"
        ));
        for (len, expected) in [
            (0, "BB1D6929E95937287FA37D129B756746"),
            (16, "070A16B46B4D4144F79BDD9DD04A287C"),
            (40, "DFA66747DE9AE63030CA32611497C827"),
            (64, "51F0BEBF7E3B9D92FC49741779363CFE"),
        ] {
            let full = AesCipher::cmac(&key, &msg[..len], "test").unwrap();
            assert_eq!(full.to_vec(), h(expected));
            assert_eq!(
                mac(MacAlgorithm::AesCmac, &key, &msg[..len])
                    .unwrap()
                    .to_vec(),
                h(expected)[..8]
            );
            assert_eq!(full, independent_cmac(key.expose_secret(), &msg[..len]));
        }
    }

    /// The UnionPay POS MAC worked example: MAB 1234567890ABCDEFABCDEF1234567890 under
    /// MAK 2222222222222222: XOR B9F9B96AA4FDB57F, MAC "E267B6E2".
    #[test]
    fn unionpay_worked_example() {
        let mak = des_key("2222222222222222");
        let mab = h("1234567890ABCDEFABCDEF1234567890");
        assert_eq!(
            &mac(MacAlgorithm::UnionPayEcb, &mak, &mab).unwrap(),
            b"E267B6E2"
        );
        for len in [0, 1, 7, 8, 9, 31, 64, 100] {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(
                mac(MacAlgorithm::UnionPayEcb, &mak, &data).unwrap(),
                independent_unionpay(&[0x22; 8], &data)
            );
        }
    }

    /// A second computation of algorithms 1 and 3 and CMAC straight from the block
    /// ciphers, on data of many lengths.
    #[test]
    fn agrees_with_independent_compositions() {
        let k1 = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
        let k2 = [0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10];
        let k3 = [0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67];
        let double = Key::des(&[k1, k2].concat()).unwrap();
        let triple = Key::des(&[k1, k2, k3].concat()).unwrap();
        let aes = Key::aes(&[0x5A; 32]).unwrap();
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 11 + 3) as u8).collect();
            for padding in [Padding::Method1, Padding::Method2] {
                let padded = pad(&data, padding);
                assert_eq!(
                    mac(
                        MacAlgorithm::CbcMac(padding),
                        &Key::des(&k1).unwrap(),
                        &data
                    )
                    .unwrap(),
                    independent_retail(&k1, None, &padded)
                );
                assert_eq!(
                    mac(MacAlgorithm::Retail(padding), &double, &data).unwrap(),
                    independent_retail(&k1, Some((&k2, &k1)), &padded)
                );
                assert_eq!(
                    mac(MacAlgorithm::Retail(padding), &triple, &data).unwrap(),
                    independent_retail(&k1, Some((&k2, &k3)), &padded)
                );
            }
            let tag = independent_cmac_generic::<aes::Aes256>(aes.expose_secret(), &data);
            assert_eq!(mac(MacAlgorithm::AesCmac, &aes, &data).unwrap(), tag[..8]);
        }
    }

    fn pad(data: &[u8], padding: Padding) -> Vec<u8> {
        let mut out = data.to_vec();
        if padding == Padding::Method2 {
            out.push(0x80);
        }
        while !out.len().is_multiple_of(8) || out.is_empty() {
            out.push(0);
        }
        out
    }

    fn independent_retail(
        k1: &[u8; 8],
        outer: Option<(&[u8; 8], &[u8; 8])>,
        padded: &[u8],
    ) -> [u8; 8] {
        let c1 = des::Des::new(&Array::from(*k1));
        let mut state = Array::from([0u8; 8]);
        for block in padded.chunks(8) {
            for (s, b) in state.iter_mut().zip(block) {
                *s ^= b;
            }
            c1.encrypt_block(&mut state);
        }
        if let Some((k2, k3)) = outer {
            des::Des::new(&Array::from(*k2)).decrypt_block(&mut state);
            des::Des::new(&Array::from(*k3)).encrypt_block(&mut state);
        }
        state.into()
    }

    fn independent_unionpay(k: &[u8; 8], data: &[u8]) -> [u8; 8] {
        let c = des::Des::new(&Array::from(*k));
        let mut x = [0u8; 8];
        for (i, b) in data.iter().enumerate() {
            x[i % 8] ^= b;
        }
        let text: Vec<u8> = std::format!("{:016X}", u64::from_be_bytes(x)).into_bytes();
        let mut a = Array::from(<[u8; 8]>::try_from(&text[..8]).unwrap());
        c.encrypt_block(&mut a);
        for (s, b) in a.iter_mut().zip(&text[8..]) {
            *s ^= b;
        }
        c.encrypt_block(&mut a);
        let out = std::format!("{:016X}", u64::from_be_bytes(a.into()));
        out.as_bytes()[..8].try_into().unwrap()
    }

    fn independent_cmac(key: &[u8], data: &[u8]) -> [u8; 16] {
        independent_cmac_generic::<Aes128>(key, data)
    }

    /// CMAC per NIST SP 800-38B from the raw block cipher.
    fn independent_cmac_generic<C>(key: &[u8], data: &[u8]) -> [u8; 16]
    where
        C: KeyInit + BlockCipherEncrypt<BlockSize = des::cipher::consts::U16>,
    {
        let c = C::new_from_slice(key).unwrap();
        let dbl = |b: [u8; 16]| {
            let v = u128::from_be_bytes(b);
            let r = (v << 1) ^ if v >> 127 == 1 { 0x87 } else { 0 };
            r.to_be_bytes()
        };
        let mut l = Array::from([0u8; 16]);
        c.encrypt_block(&mut l);
        let k1 = dbl(l.into());
        let k2 = dbl(k1);
        let n = data.len().div_ceil(16).max(1);
        let complete = !data.is_empty() && data.len().is_multiple_of(16);
        let mut last = [0u8; 16];
        let tail = &data[(n - 1) * 16..];
        last[..tail.len()].copy_from_slice(tail);
        if complete {
            last.iter_mut().zip(k1).for_each(|(a, b)| *a ^= b);
        } else {
            last[tail.len()] = 0x80;
            last.iter_mut().zip(k2).for_each(|(a, b)| *a ^= b);
        }
        let mut x = Array::from([0u8; 16]);
        for i in 0..n {
            let block: [u8; 16] = if i == n - 1 {
                last
            } else {
                data[i * 16..i * 16 + 16].try_into().unwrap()
            };
            x.iter_mut().zip(block).for_each(|(a, b)| *a ^= b);
            c.encrypt_block(&mut x);
        }
        x.into()
    }

    #[test]
    fn message_mac_binary_and_hex_fields() {
        let key = des_key("0123456789ABCDEFFEDCBA9876543210");
        // Binary field 64, primary bitmap only.
        let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
        b.set(3, "000000").unwrap().set(11, 42u32).unwrap();
        b.set(64, &[0u8; 8][..]).unwrap();
        let mut wire = b.to_bytes().unwrap().to_vec();
        let input = mac_input(&ISO87_BINARY, &wire).unwrap();
        assert_eq!(input.field, 64);
        assert_eq!(input.data, &wire[..wire.len() - 8]);
        let tag = sign_message(&ISO87_BINARY, &mut wire, MacAlgorithm::ANSI_X9_19, &key).unwrap();
        assert_eq!(
            tag,
            mac(MacAlgorithm::ANSI_X9_19, &key, &wire[..wire.len() - 8]).unwrap()
        );
        verify_message(&ISO87_BINARY, &wire, MacAlgorithm::ANSI_X9_19, &key).unwrap();
        let last = wire.len() - 1;
        wire[last] ^= 0x01;
        assert_eq!(
            verify_message(&ISO87_BINARY, &wire, MacAlgorithm::ANSI_X9_19, &key),
            Err(Error::MacMismatch)
        );

        // Hex-ASCII field 128 behind a secondary bitmap.
        let mut a = MessageBuilder::new(&ISO87_ASCII, Mti::new(800).unwrap());
        a.set(11, 1u32).unwrap().set(70, 301u32).unwrap();
        a.set(128, &[0u8; 8][..]).unwrap();
        let mut wire = a.to_bytes().unwrap().to_vec();
        let tag = sign_message(
            &ISO87_ASCII,
            &mut wire,
            MacAlgorithm::ANSI_X9_9,
            &des_key("0123456789ABCDEF"),
        )
        .unwrap();
        let shown: Vec<u8> = std::format!("{}", hex::Hex(&tag)).into_bytes();
        assert_eq!(&wire[wire.len() - 16..], &shown[..]);
        verify_message(
            &ISO87_ASCII,
            &wire,
            MacAlgorithm::ANSI_X9_9,
            &des_key("0123456789ABCDEF"),
        )
        .unwrap();
        // Lowercase hex from the peer still verifies.
        let n = wire.len();
        wire[n - 16..].make_ascii_lowercase();
        verify_message(
            &ISO87_ASCII,
            &wire,
            MacAlgorithm::ANSI_X9_9,
            &des_key("0123456789ABCDEF"),
        )
        .unwrap();
    }

    #[test]
    fn message_mac_cup_excludes_header() {
        let mak = des_key("2222222222222222");
        let header = [
            0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0x00, 0x31, 0x01, 0x00,
        ];
        let mut b = MessageBuilder::new(&CUP, Mti::new(200).unwrap());
        b.set_header(&header).unwrap();
        b.set(3, "000000").unwrap().set(11, 1u32).unwrap();
        b.set(64, &[0u8; 8][..]).unwrap();
        let mut wire = b.to_bytes().unwrap().to_vec();
        let input = mac_input(&CUP, &wire).unwrap();
        assert_eq!(input.data, &wire[11..wire.len() - 8]);
        assert_eq!(input.data[..2], [0x02, 0x00]); // BCD MTI first
        let tag = sign_message(&CUP, &mut wire, MacAlgorithm::UnionPayEcb, &mak).unwrap();
        assert!(tag.iter().all(u8::is_ascii_hexdigit));
        verify_message(&CUP, &wire, MacAlgorithm::UnionPayEcb, &mak).unwrap();
        // The header is not covered: changing it keeps the MAC valid.
        wire[1] ^= 0xFF;
        verify_message(&CUP, &wire, MacAlgorithm::UnionPayEcb, &mak).unwrap();
    }

    #[test]
    fn message_mac_errors() {
        let key = des_key("0123456789ABCDEF");
        let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
        b.set(3, "000000").unwrap();
        let wire = b.to_bytes().unwrap().to_vec();
        assert_eq!(
            mac_input(&ISO87_BINARY, &wire),
            Err(Error::MacFieldAbsent { field: 64 })
        );
        // Field 64 present, but a secondary bitmap puts the MAC in 128.
        b.set(64, &[0u8; 8][..]).unwrap().set(70, 1u32).unwrap();
        let wire = b.to_bytes().unwrap().to_vec();
        assert_eq!(
            mac_input(&ISO87_BINARY, &wire),
            Err(Error::MacFieldAbsent { field: 128 })
        );
        b.set(128, &[0u8; 8][..]).unwrap();
        b.remove(64);
        let wire = b.to_bytes().unwrap().to_vec();
        assert_eq!(mac_input(&ISO87_BINARY, &wire).map(|i| i.field), Ok(128));
        // Garbage never panics.
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 53 + 7) as u8).collect();
            let _ = verify_message(&ISO87_BINARY, &junk, MacAlgorithm::ANSI_X9_9, &key);
            let _ = verify_message(&CUP, &junk, MacAlgorithm::UnionPayEcb, &key);
        }
        // Wrong keys are named, not printed.
        let aes = Key::aes(&[7; 16]).unwrap();
        let err = mac(MacAlgorithm::ANSI_X9_19, &key, b"x").unwrap_err();
        assert!(matches!(
            err,
            Error::WrongKey {
                found: KeyKind::Des,
                ..
            }
        ));
        assert!(mac(MacAlgorithm::AesCmac, &key, b"x").is_err());
        assert!(mac(MacAlgorithm::ANSI_X9_9, &aes, b"x").is_err());
        assert!(verify(MacAlgorithm::ANSI_X9_9, &key, b"x", &[1, 2, 3]).is_err());
    }
}
