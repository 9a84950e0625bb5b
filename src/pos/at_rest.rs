//! What the journal keeps of a transaction's card data, and how (see the journal's
//! module documentation, "Card data at rest").

use std::borrow::ToOwned;
use std::string::String;

use crate::pos::journal::MessageFault;
#[cfg(feature = "crypto")]
use std::string::ToString;
use std::vec::Vec;
use std::{fmt, format};

use crate::builder::MessageBuilder;
use crate::message::Message;
use crate::spec::MessageSpec;
use crate::spec::composite::{Composite, TlvForm};
use crate::tlv::{MAX_DEPTH, Tag, TlvBuilder, Tlvs};
use crate::wire::hex;

/// The fields the journal's copy of a request keeps: what a last-transaction inquiry
/// ([`crate::exchange::inquiry_for`]: the original data elements, amount, currency,
/// terminal ids, field 60) and the matching of a late response (STAN, field 41) read.
/// The MTI and the layout's header are kept too. Everything else (PAN, expiry, track
/// data, PIN block, EMV data, ...) is left out.
pub const REQUEST_FIELDS_KEPT: [u16; 12] = [3, 4, 7, 11, 12, 13, 32, 33, 41, 42, 49, 60];

/// Fields the journal never stores, whatever the message: extended PAN (34), track 2
/// (35), track 3 (36), track 1 (45) and the PIN block (52). Field 2 is kept apart, as
/// [`PanAtRest`] says.
pub const FIELDS_NEVER_STORED: [u16; 5] = [34, 35, 36, 45, 52];

/// EMV tags the journal never stores in field 55: track 1 and track 2 equivalent
/// data (56, 57), the PAN (5A), the cardholder name (5F20), PIN data (99), track 1 and
/// track 2 discretionary data (9F1F, 9F20) and contactless track 2 data (9F6B).
pub const EMV_TAGS_NEVER_STORED: [u32; 8] =
    [0x56, 0x57, 0x5A, 0x5F20, 0x99, 0x9F1F, 0x9F20, 0x9F6B];

/// How the journal keeps the PAN (field 2) of a prepared reversal
/// ([`crate::pos::JournalConfig::pan_at_rest`]). The request's copy never holds it,
/// and EMV tag 5A is never stored, whichever is chosen.
///
/// The default is [`PanAtRest::Truncate`]: a journal without a key must not hold a
/// readable PAN. Its reversals go out **without field 2**: the host finds the original
/// by its STAN, transmission date and time and terminal ids (fields 11, 7, 41, 42 and
/// the original data elements of field 90 / 56 / 61), as hosts commonly do. When the
/// host (or the scheme) requires field 2 in a reversal, configure
/// [`PanAtRest::Encrypt`] (feature `crypto`) with a key the application keeps outside
/// the journal: the PAN is then stored enciphered and put back into the reversal when
/// it is sent.
///
/// ```
/// use iso8583_wire::layouts::ISO87_ASCII;
/// use iso8583_wire::pos::{JournalConfig, PanAtRest};
///
/// let mut config = JournalConfig::new(&ISO87_ASCII);
/// assert!(matches!(config.pan_at_rest, PanAtRest::Truncate));
/// config.pan_at_rest = PanAtRest::Omit;
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum PanAtRest {
    /// Keep only the first six and last four digits, for display and review
    /// ([`StoredPan::Truncated`]); reversals go out without field 2 (default).
    #[default]
    Truncate,
    /// Keep nothing of the PAN; reversals go out without field 2.
    Omit,
    /// Keep the PAN enciphered under this AES-128 or AES-256 key (AES-GCM-SIV, a
    /// nonce per record, the transaction number and field as associated data); the
    /// reversal is sent with field 2 deciphered. A journal holding PANs enciphered
    /// under another key (told by its check value) is refused at open, and a PAN
    /// that does not decipher is an error: never a clear-text fallback.
    #[cfg(feature = "crypto")]
    Encrypt(crate::security::Key),
}

/// What the journal holds of a transaction's PAN.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredPan {
    /// Nothing (no field 2 in the reversal, or [`PanAtRest::Omit`]).
    None,
    /// The PAN masked but for its first six and last four digits (fewer for short
    /// numbers), length kept: `411111******1111`.
    Truncated(String),
    /// The PAN enciphered (see [`PanAtRest::Encrypt`]).
    Enciphered(EncipheredPan),
}

impl StoredPan {
    /// The masked PAN, when one is kept in that form.
    pub fn masked(&self) -> Option<&str> {
        match self {
            StoredPan::Truncated(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the reversal needs the PAN deciphered and put back before it is sent.
    pub fn is_enciphered(&self) -> bool {
        matches!(self, StoredPan::Enciphered(_))
    }
}

impl fmt::Debug for StoredPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredPan::None => f.write_str("None"),
            StoredPan::Truncated(m) => f.debug_tuple("Truncated").field(m).finish(),
            StoredPan::Enciphered(e) => fmt::Debug::fmt(e, f),
        }
    }
}

/// A PAN enciphered at rest: the key's check value, the nonce, and the ciphertext
/// with its tag. Shows only the check value.
#[derive(Clone, PartialEq, Eq)]
pub struct EncipheredPan {
    kcv: String,
    nonce: [u8; NONCE_LEN],
    sealed: Vec<u8>,
}

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

impl EncipheredPan {
    /// The check value (six hex digits) of the key the PAN was enciphered under.
    pub fn key_check_value(&self) -> &str {
        &self.kcv
    }
}

impl fmt::Debug for EncipheredPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enciphered")
            .field("kcv", &self.kcv)
            .finish_non_exhaustive()
    }
}

/// The token written in the journal line: `-`, `T<masked>` or
/// `E<kcv>.<nonce>.<ciphertext and tag>` (hex).
pub(crate) fn encode_pan(p: &StoredPan) -> String {
    match p {
        StoredPan::None => "-".to_owned(),
        StoredPan::Truncated(m) => format!("T{m}"),
        StoredPan::Enciphered(e) => format!(
            "E{}.{}.{}",
            e.kcv,
            hex::encode(&e.nonce),
            hex::encode(&e.sealed)
        ),
    }
}

/// Reads a token written by [`encode_pan`].
pub(crate) fn decode_pan(token: &str) -> Option<StoredPan> {
    if token == "-" {
        return Some(StoredPan::None);
    }
    if let Some(m) = token.strip_prefix('T') {
        let ok = !m.is_empty()
            && m.len() <= 19
            && m.bytes().all(|b| b.is_ascii_digit() || b == b'*')
            && m.bytes().filter(u8::is_ascii_digit).count() <= 10;
        return ok.then(|| StoredPan::Truncated(m.to_owned()));
    }
    let body = token.strip_prefix('E')?;
    let mut parts = body.split('.');
    let kcv = parts.next()?;
    let nonce = hex::decode(parts.next()?).ok()?;
    let sealed = hex::decode(parts.next()?).ok()?;
    if parts.next().is_some()
        || kcv.len() != 6
        || !kcv.bytes().all(|b| b.is_ascii_hexdigit())
        || sealed.len() <= TAG_LEN
        || sealed.len() > TAG_LEN + 19
    {
        return None;
    }
    Some(StoredPan::Enciphered(EncipheredPan {
        kcv: kcv.to_ascii_uppercase(),
        nonce: nonce.try_into().ok()?,
        sealed,
    }))
}

/// A PAN masked but for its first six and last four digits (PCI DSS 3.4), fewer for
/// short numbers: at least six digits are hidden (half of them below twelve digits).
pub(crate) fn truncate(pan: &str) -> String {
    let n = pan.len();
    let (head, tail) = if n >= 12 {
        (n.saturating_sub(10).min(6), 4)
    } else {
        (0, n / 2)
    };
    pan.char_indices()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// The associated data binding an enciphered PAN to its transaction and field.
#[cfg(feature = "crypto")]
fn associated_data(id: u64) -> String {
    format!("iso8583-wire journal 3: transaction {id}, field 2")
}

/// A nonce for transaction `id`: its number (unique within a journal), then four
/// bytes that differ between processes and calls (from the standard library's
/// randomly keyed hasher, the clock and a counter), so that journals sharing a key
/// do not share nonces. AES-GCM-SIV stays safe if a nonce ever repeats.
#[cfg(feature = "crypto")]
fn nonce_for(id: u64) -> [u8; NONCE_LEN] {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let salt = h.finish().to_be_bytes();
    let mut nonce = [0u8; NONCE_LEN];
    for (o, b) in nonce
        .iter_mut()
        .zip(id.to_be_bytes().iter().chain(salt.iter()))
    {
        *o = *b;
    }
    nonce
}

/// Enciphers `pan` for transaction `id`.
#[cfg(feature = "crypto")]
pub(crate) fn encipher(
    key: &crate::security::Key,
    id: u64,
    pan: &str,
) -> Result<EncipheredPan, crate::security::Error> {
    use crate::security::aead;
    let nonce = nonce_for(id);
    let mut sealed = pan.as_bytes().to_vec();
    let tag = aead::seal_in_place(key, &nonce, associated_data(id).as_bytes(), &mut sealed)?;
    sealed.extend_from_slice(&tag);
    Ok(EncipheredPan {
        kcv: key.check_value().to_string(),
        nonce,
        sealed,
    })
}

/// Deciphers the PAN of transaction `id`; `None` when it does not authenticate (or
/// is not digits).
#[cfg(feature = "crypto")]
fn decipher(key: &crate::security::Key, id: u64, e: &EncipheredPan) -> Option<Secret> {
    use crate::security::aead;
    let split = e.sealed.len().checked_sub(TAG_LEN)?;
    let (ct, tag) = e.sealed.split_at(split);
    let tag: [u8; TAG_LEN] = tag.try_into().ok()?;
    let mut clear = SecretBytes(ct.to_vec());
    aead::open_in_place(
        key,
        &e.nonce,
        associated_data(id).as_bytes(),
        &mut clear.0,
        &tag,
    )
    .ok()?;
    if clear.0.is_empty() || !clear.0.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Digits are UTF-8: the buffer moves into the string, no copy is left behind.
    match String::from_utf8(std::mem::take(&mut clear.0)) {
        Ok(text) => Some(Secret(text)),
        Err(e) => {
            wipe(&mut e.into_bytes());
            None
        }
    }
}

/// The check value of the configured key, if one is configured.
pub(crate) fn configured_kcv(p: &PanAtRest) -> Option<String> {
    match p {
        #[cfg(feature = "crypto")]
        PanAtRest::Encrypt(key) => Some(key.check_value().to_string()),
        _ => None,
    }
}

/// A request and its reversal as the journal stores them.
pub(crate) struct Protected {
    pub(crate) request: Vec<u8>,
    pub(crate) reversal: Vec<u8>,
    pub(crate) pan: StoredPan,
}

/// The PAN (field 2) of a message as digits.
fn pan_of(msg: &Message<'_>) -> Option<Secret> {
    let f = msg.field(2)?;
    let digits: String = f.symbols().map(char::from).collect();
    Some(Secret(digits))
}

/// A PAN in clear, its bytes wiped on drop.
struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut std::mem::take(&mut self.0).into_bytes());
    }
}

/// Clear bytes being deciphered, wiped on drop.
#[cfg(feature = "crypto")]
struct SecretBytes(Vec<u8>);

#[cfg(feature = "crypto")]
impl Drop for SecretBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites `bytes` with zeros (with `zeroize` where the `crypto` feature brings
/// it, so the writes are not optimised away).
fn wipe(bytes: &mut [u8]) {
    #[cfg(feature = "crypto")]
    zeroize::Zeroize::zeroize(bytes);
    #[cfg(not(feature = "crypto"))]
    bytes.iter_mut().for_each(|b| *b = 0);
}

/// Field 55 without the tags of [`EMV_TAGS_NEVER_STORED`], at any depth; `None` when
/// it does not read as BER-TLV (it is then not stored at all).
fn strip_emv(data: &[u8]) -> Option<Vec<u8>> {
    fn walk(items: Tlvs<'_>, out: &mut TlvBuilder, depth: usize) -> Option<()> {
        for item in items {
            let item = item.ok()?;
            if EMV_TAGS_NEVER_STORED.contains(&item.tag.value()) {
                continue;
            }
            if item.tag.is_constructed() {
                if depth >= MAX_DEPTH {
                    return None;
                }
                out.begin(item.tag);
                walk(item.children(), out, depth + 1)?;
                out.end();
            } else {
                out.put(Tag::new(item.tag.value()), item.value);
            }
        }
        Some(())
    }
    let mut out = TlvBuilder::new();
    walk(Tlvs::new(data), &mut out, 0)?;
    Some(out.finish())
}

/// The request as stored: MTI, header and [`REQUEST_FIELDS_KEPT`].
fn stored_request(spec: &MessageSpec<'_>, request: &[u8]) -> Result<Vec<u8>, MessageFault> {
    let m = spec.decode(request).map_err(MessageFault::Request)?;
    let mut b = MessageBuilder::new(spec, m.mti());
    b.set_header(m.header()).map_err(MessageFault::Rebuild)?;
    for n in REQUEST_FIELDS_KEPT {
        if let Some(f) = m.field(usize::from(n)) {
            b.set(usize::from(n), f).map_err(MessageFault::Rebuild)?;
        }
    }
    Ok(b.to_bytes().map_err(MessageFault::Rebuild)?.to_vec())
}

/// The reversal as stored: without field 2 (kept apart), [`FIELDS_NEVER_STORED`] and
/// the EMV tags of [`EMV_TAGS_NEVER_STORED`].
fn stored_reversal(spec: &MessageSpec<'_>, reversal: &[u8]) -> Result<Vec<u8>, MessageFault> {
    let m = spec.decode(reversal).map_err(MessageFault::Reversal)?;
    let mut b = MessageBuilder::from_message(&m);
    b.remove(2);
    for n in FIELDS_NEVER_STORED {
        b.remove(usize::from(n));
    }
    if let Some(f55) = m.field(55) {
        b.remove(55);
        let ber = matches!(f55.spec().subfields, Some(Composite::Tlv(TlvForm::Ber)));
        let data: Vec<u8> = f55.symbols().collect();
        if let Some(kept) = ber.then(|| strip_emv(&data)).flatten()
            && !kept.is_empty()
        {
            b.set(55, kept).map_err(MessageFault::Rebuild)?;
        }
    }
    Ok(b.to_bytes().map_err(MessageFault::Rebuild)?.to_vec())
}

/// What the journal stores of `request` and `reversal` for transaction `id`.
pub(crate) fn protect(
    spec: &MessageSpec<'_>,
    policy: &PanAtRest,
    id: u64,
    request: &[u8],
    reversal: &[u8],
) -> Result<Protected, MessageFault> {
    let pan = spec
        .decode(reversal)
        .map_err(MessageFault::Reversal)
        .map(|m| pan_of(&m))?;
    let stored = match (&pan, policy) {
        (None, _) | (_, PanAtRest::Omit) => StoredPan::None,
        (Some(p), PanAtRest::Truncate) => StoredPan::Truncated(truncate(&p.0)),
        #[cfg(feature = "crypto")]
        (Some(p), PanAtRest::Encrypt(key)) => {
            StoredPan::Enciphered(encipher(key, id, &p.0).map_err(MessageFault::Encipher)?)
        }
    };
    let _ = id;
    Ok(Protected {
        request: stored_request(spec, request)?,
        reversal: stored_reversal(spec, reversal)?,
        pan: stored,
    })
}

/// The stored reversal with field 2 put back, when its PAN was kept enciphered.
pub(crate) fn restore_pan(
    spec: &MessageSpec<'_>,
    policy: &PanAtRest,
    id: u64,
    pan: &StoredPan,
    reversal: &[u8],
) -> Result<Option<Vec<u8>>, RestoreError> {
    let StoredPan::Enciphered(e) = pan else {
        return Ok(None);
    };
    #[cfg(feature = "crypto")]
    if let PanAtRest::Encrypt(key) = policy {
        let clear = decipher(key, id, e).ok_or(RestoreError::Undecipherable)?;
        let m = spec
            .decode(reversal)
            .map_err(|e| RestoreError::Message(MessageFault::Reversal(e)))?;
        let mut b = MessageBuilder::from_message(&m);
        b.set(2, clear.0.as_str())
            .map_err(|e| RestoreError::Message(MessageFault::Rebuild(e)))?;
        let bytes = b
            .to_bytes()
            .map_err(|e| RestoreError::Message(MessageFault::Rebuild(e)))?;
        return Ok(Some(bytes.to_vec()));
    }
    let _ = (spec, policy, id, reversal, e);
    Err(RestoreError::NoKey)
}

/// Why a stored PAN could not be put back.
#[cfg_attr(not(feature = "crypto"), allow(dead_code))]
pub(crate) enum RestoreError {
    /// No key configured.
    NoKey,
    /// The PAN does not decipher (wrong key or altered record).
    Undecipherable,
    /// The message could not be rebuilt.
    Message(MessageFault),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_at_most_six_and_four() {
        assert_eq!(truncate("4111111111111111"), "411111******1111");
        assert_eq!(truncate("4111111111111111111"), "411111*********1111");
        assert_eq!(truncate("4012345678909"), "401******8909");
        assert_eq!(truncate("12345678"), "****5678");
        for pan in ["4012345678909", "12345678901234", "123456789012", "1", ""] {
            let t = truncate(pan);
            assert_eq!(t.len(), pan.len());
            let hidden = t.bytes().filter(|&b| b == b'*').count();
            assert!(hidden >= 6.min(pan.len().div_ceil(2)), "{t}");
        }
    }

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        for p in [
            StoredPan::None,
            StoredPan::Truncated("411111******1111".into()),
        ] {
            assert!(decode_pan(&encode_pan(&p)) == Some(p));
        }
        for junk in [
            "",
            "T",
            "T4111111111111111",
            "E",
            "EABC",
            "E123456.00.00",
            "Tx",
        ] {
            assert!(decode_pan(junk).is_none(), "{junk}");
        }
    }
}
