//! Builders for the message exchanges of a terminal and a host, with the echo rules
//! done for the caller.
//!
//! | exchange | request | response |
//! |---|---|---|
//! | purchase | [`financial_request`] -> 0200 | [`response_to`] -> 0210 |
//! | reversal | [`reversal_for`] -> 0400, [`repeat_of`] -> 0401 | [`response_to`] -> 0410 |
//! | reversal advice | [`reversal_for`] with [`ReversalKind::Advice`] -> 0420 / 0421 | 0430 |
//! | last-transaction inquiry | [`inquiry_for`] -> 0200 | [`inquiry_response`] -> 0210 |
//! | network management | [`network_request`] -> 0800 (1804 in 1993) | [`response_to`] |
//!
//! The layout decides where the original data elements go: field 90 (1987), field 56
//! (1993) or field 61 (UnionPay), see [`OriginalDataForm`]. Every builder returns the
//! encoded message.
//!
//! # The last-transaction inquiry
//!
//! No scheme standardises it. Here it is a 0200 whose processing code (field 3) is
//! [`InquiryConfig::processing_code`], by default [`DEFAULT_INQUIRY_PROCESSING_CODE`]
//! `960000` (transaction type 96, in the range ISO 8583 leaves to private use), which
//! names the transaction it asks about by its original data elements. The 0210
//! answers with the original's response code (39), RRN (37) and approval code (38), or
//! with 25 (unable to locate original) when the host never saw it.
//!
//! ```
//! use chrono::NaiveDate;
//! use iso8583_wire::exchange::{self, InquiryAnswer, InquiryConfig, ResponseCode};
//! use iso8583_wire::fields::{Rrn, Stan};
//! use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
//!
//! let at = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap().and_hms_opt(14, 30, 15).unwrap();
//! let mut purchase = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
//! purchase.set(3, "000000")?.set(4, 1500u32)?.set_transmission_date_time(at)?
//!     .set(11, 123u32)?.set(41, "TERM0001")?.set(42, "MERCHANT0000001")?;
//! let purchase = purchase.to_bytes()?;
//! let purchase = ISO87_ASCII.decode(&purchase)?;
//!
//! // The response was lost: ask the host what became of the purchase.
//! let config = InquiryConfig::default();
//! let inquiry = exchange::inquiry_for(&purchase, Stan::new(124)?, at, &config)?;
//! let inquiry = ISO87_ASCII.decode(&inquiry)?;
//! assert!(exchange::is_inquiry(&inquiry, &config));
//! assert_eq!(inquiry.get("90.2")?.unwrap().as_str(), Some("000123"));
//!
//! // The host found it approved.
//! let rrn: Rrn = "507414000123".parse()?;
//! let answer = InquiryAnswer::Found { code: ResponseCode::APPROVED, rrn: Some(rrn), auth_code: Some("A1B2C3") };
//! let reply = exchange::inquiry_response(&inquiry, &answer)?;
//! let reply = ISO87_ASCII.decode(&reply)?;
//! assert_eq!(exchange::inquiry_result(&reply), Some(answer));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use chrono::NaiveDateTime;

use crate::builder::MessageBuilder;
use crate::error::EncodeError;
use crate::fields::{OriginalData, OriginalDataError, OriginalDataForm, Rrn, Stan};
use crate::message::Message;
use crate::mti::{Mti, MtiError};
use crate::spec::{Length, MessageSpec};
use crate::tlv::{Tag, TlvBuilder, Tlvs};

/// Why an exchange message could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The MTI has no response or repeat form.
    #[error(transparent)]
    Mti(#[from] MtiError),
    /// A value does not fit the layout.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The original data elements could not be built or read.
    #[error(transparent)]
    OriginalData(#[from] OriginalDataError),
    /// A field the exchange needs is absent.
    #[error("field {0} is required for this exchange")]
    Missing(u16),
}

/// A response code (field 39): two characters in 1987 and UnionPay layouts, or a
/// three-digit action code in 1993 layouts.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode {
    bytes: [u8; 3],
    len: u8,
}

impl ResponseCode {
    const fn two(a: u8, b: u8) -> Self {
        ResponseCode {
            bytes: [a, b, 0],
            len: 2,
        }
    }
    /// 00: approved.
    pub const APPROVED: ResponseCode = ResponseCode::two(b'0', b'0');
    /// 06: error (the default reversal reason).
    pub const ERROR: ResponseCode = ResponseCode::two(b'0', b'6');
    /// 12: invalid transaction.
    pub const INVALID_TRANSACTION: ResponseCode = ResponseCode::two(b'1', b'2');
    /// 25: unable to locate the original.
    pub const UNABLE_TO_LOCATE: ResponseCode = ResponseCode::two(b'2', b'5');
    /// 51: insufficient funds.
    pub const INSUFFICIENT_FUNDS: ResponseCode = ResponseCode::two(b'5', b'1');
    /// 68: response received too late.
    pub const RESPONSE_TOO_LATE: ResponseCode = ResponseCode::two(b'6', b'8');
    /// 91: issuer or switch inoperative.
    pub const ISSUER_INOPERATIVE: ResponseCode = ResponseCode::two(b'9', b'1');
    /// 94: duplicate transmission (the terminal should jump its STAN forward).
    pub const DUPLICATE_TRANSMISSION: ResponseCode = ResponseCode::two(b'9', b'4');
    /// 96: system malfunction.
    pub const SYSTEM_MALFUNCTION: ResponseCode = ResponseCode::two(b'9', b'6');
    /// 98: reversal reason "no response in time".
    pub const NO_RESPONSE: ResponseCode = ResponseCode::two(b'9', b'8');
    /// A0: reversal reason "MAC failure".
    pub const MAC_FAILURE: ResponseCode = ResponseCode::two(b'A', b'0');

    /// A code of 2 or 3 ASCII letters or digits.
    pub fn new(code: &str) -> Option<ResponseCode> {
        let b = code.as_bytes();
        if !(2..=3).contains(&b.len()) || !b.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut bytes = [0u8; 3];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(ResponseCode {
            bytes,
            len: b.len() as u8,
        })
    }

    /// The code of a message (field 39), if present and well-formed.
    pub fn of(msg: &Message<'_>) -> Option<ResponseCode> {
        let f = msg.field(39)?;
        let mut buf = [0u8; 3];
        let mut n = 0;
        for c in f.symbols() {
            *buf.get_mut(n)? = c;
            n += 1;
        }
        let text = core::str::from_utf8(buf.get(..n)?).ok()?.trim_end();
        // A 1987 code written into a 1993 n3 field 39 travels as "0xy": read it back
        // as "xy" ("000", approved, stays as it is).
        let text = match text.strip_prefix('0') {
            Some(rest) if text.len() == 3 && text != "000" => rest,
            _ => text,
        };
        ResponseCode::new(text)
    }

    /// The code's characters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or(&[])).unwrap_or("")
    }

    /// Whether the code approves (`00`, or a 1993 action code `000`).
    pub fn is_approved(&self) -> bool {
        matches!(self.as_str(), "00" | "000")
    }

    /// Whether a 0410/0430 with this code settles a reversal: `00` (reversed), `12`
    /// (invalid: nothing to reverse) or `25` (original not found).
    pub fn settles_reversal(&self) -> bool {
        matches!(self.as_str(), "00" | "12" | "25" | "000" | "400")
    }

    /// A short meaning for the codes named here.
    pub fn meaning(&self) -> &'static str {
        match self.as_str() {
            "00" | "000" => "approved",
            "06" => "error",
            "12" => "invalid transaction",
            "25" => "unable to locate original",
            "51" => "insufficient funds",
            "68" => "response received too late",
            "91" => "issuer or switch inoperative",
            "94" => "duplicate transmission",
            "96" => "system malfunction",
            "98" => "no response in time",
            "A0" => "MAC failure",
            _ => "other",
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({} {})", self.as_str(), self.meaning())
    }
}

/// Why a transaction is reversed: the field 39 code of 1987 and UnionPay reversals,
/// and the field 25 message reason code of 1993 reversals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReversalReason {
    /// Field 39 in 1987 / UnionPay layouts.
    pub code: ResponseCode,
    /// Field 25 (n4) in 1993 layouts.
    pub message_reason: u16,
}

impl ReversalReason {
    /// No response in time: 39 = `98`; 1993 reason 4021 (time-out waiting for
    /// response).
    pub const NO_RESPONSE: ReversalReason = ReversalReason {
        code: ResponseCode::NO_RESPONSE,
        message_reason: 4021,
    };
    /// The response failed its MAC check: 39 = `A0`; 1993 reason 4002 (suspected
    /// malfunction).
    pub const MAC_FAILURE: ReversalReason = ReversalReason {
        code: ResponseCode::MAC_FAILURE,
        message_reason: 4002,
    };
    /// Any other reason: 39 = `06`; 1993 reason 4000.
    pub const OTHER: ReversalReason = ReversalReason {
        code: ResponseCode::ERROR,
        message_reason: 4000,
    };
}

/// Reversal request (x400) or reversal advice (x420).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReversalKind {
    /// x400: a request the host may answer.
    Request,
    /// x420: an advice (may not be declined).
    Advice,
}

/// Approval data for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approval<'r> {
    /// Field 37.
    pub rrn: Rrn,
    /// Field 38 (up to 6 characters).
    pub auth_code: &'r str,
}

/// Fields a response echoes from its request when the request carries them.
pub const ECHOED_FIELDS: [u16; 24] = [
    2, 3, 4, 5, 6, 7, 11, 12, 13, 15, 18, 19, 22, 23, 24, 25, 32, 33, 37, 41, 42, 49, 60, 90,
];

/// Fields a reversal copies from the original request when it carries them.
pub const REVERSAL_FIELDS: [u16; 19] = [
    2, 3, 4, 7, 11, 12, 13, 14, 18, 22, 23, 25, 32, 33, 37, 41, 42, 49, 60,
];

/// EMV tags a reversal keeps from the original field 55.
pub const REVERSAL_EMV_TAGS: [u32; 5] = [0x95, 0x9F10, 0x9F1E, 0x9F36, 0xDF31];

fn copy<'v>(b: &mut MessageBuilder<'v>, from: &Message<'v>, n: u16) -> Result<(), EncodeError> {
    if b.spec().field(usize::from(n)).is_none() {
        return Ok(());
    }
    if let Some(f) = from.field(usize::from(n)) {
        b.set(usize::from(n), f)?;
    }
    Ok(())
}

fn is_1993(spec: &MessageSpec<'_>) -> bool {
    OriginalDataForm::detect(spec) == OriginalDataForm::Field56
}

/// Writes field 39 with `code`; a two-character code becomes `000` (approved) or
/// keeps its characters where the layout's 39 is the 1993 three-digit action code.
fn set_code(b: &mut MessageBuilder<'_>, code: &ResponseCode) -> Result<(), EncodeError> {
    let three = matches!(b.spec().field(39).map(|f| f.length), Some(Length::Fixed(3)));
    if three && code.is_approved() {
        b.set_copied(39, b"000")?;
    } else {
        b.set_copied(39, code.as_str().as_bytes())?;
    }
    Ok(())
}

/// The header of a reply: the request's, with the TPDU's addresses swapped.
fn reply_header(request: &Message<'_>) -> Vec<u8> {
    let mut header = request.header().to_vec();
    if let Some(t) = request.tpdu()
        && let Some(dst) = header.get_mut(..5)
    {
        dst.copy_from_slice(&t.reply().to_bytes());
    }
    header
}

/// The response to `request` (function digit + 1): echoes [`ECHOED_FIELDS`] (and field
/// 56 in 1993 layouts), sets 39, and with an approval 37 and 38. A TPDU in the header
/// is answered with its addresses swapped.
///
/// # Errors
///
/// [`ExchangeError`] when the request lacks a field the response must echo, or a value does
/// not fit the layout.
pub fn response_to(
    request: &Message<'_>,
    code: ResponseCode,
    approval: Option<Approval<'_>>,
) -> Result<Vec<u8>, ExchangeError> {
    let spec = request.spec();
    let header = reply_header(request);
    let mut b = MessageBuilder::new(spec, request.mti().response()?);
    b.set_header(&header)?;
    for n in ECHOED_FIELDS {
        copy(&mut b, request, n)?;
    }
    if is_1993(spec) {
        copy(&mut b, request, 56)?;
    }
    set_code(&mut b, &code)?;
    if let Some(a) = &approval {
        b.set_rrn(a.rrn)?;
        if spec.field(38).is_some() && !a.auth_code.is_empty() {
            b.set_copied(38, a.auth_code.as_bytes())?;
        }
    }
    Ok(b.to_bytes()?.to_vec())
}

/// A financial request (0200) to build with [`financial_request`].
#[derive(Clone, Copy)]
pub struct FinancialRequest<'r> {
    /// Field 2.
    pub pan: &'r str,
    /// Field 3 (`000000` for a purchase).
    pub processing_code: &'r str,
    /// Field 4, minor units.
    pub amount: u64,
    /// Field 11.
    pub stan: Stan,
    /// Fields 7 (when the layout has it) and 12/13.
    pub at: NaiveDateTime,
    /// Field 14, `YYMM`.
    pub expiry: &'r str,
    /// Field 22.
    pub entry_mode: &'r str,
    /// Field 41.
    pub terminal_id: &'r str,
    /// Field 42.
    pub merchant_id: &'r str,
    /// Field 49.
    pub currency: &'r str,
    /// The layout's header (TPDU ...), empty for layouts without one.
    pub header: &'r [u8],
}

impl fmt::Debug for FinancialRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinancialRequest")
            .field("pan_len", &self.pan.len())
            .field("amount", &self.amount)
            .field("stan", &self.stan)
            .field("terminal_id", &self.terminal_id)
            .finish_non_exhaustive()
    }
}

/// A 0200 financial request (1200 in 1993 layouts) with fields 2, 3, 4, 7, 11, 12, 13,
/// 14, 22, 25 (condition 00, where the layout has a fixed 25), 41, 42 and 49.
///
/// ```
/// use chrono::NaiveDate;
/// use iso8583_wire::exchange::{financial_request, FinancialRequest};
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::layouts::ISO87_BINARY;
///
/// let at = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap().and_hms_opt(14, 30, 15).unwrap();
/// let wire = financial_request(&ISO87_BINARY, &FinancialRequest {
///     pan: "4111111111111111", processing_code: "000000", amount: 1500, stan: Stan::new(7)?, at,
///     expiry: "2712", entry_mode: "051", terminal_id: "TERM0001", merchant_id: "MERCHANT0000001",
///     currency: "840", header: &[],
/// })?;
/// let msg = ISO87_BINARY.decode(&wire)?;
/// assert_eq!((msg.mti().value(), msg.stan()?.value()), (200, 7));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`ExchangeError`] when a value does not fit its field (a PAN that is not digits, an
/// amount above the field's length, ids longer than 41/42).
pub fn financial_request(
    spec: &MessageSpec<'_>,
    r: &FinancialRequest<'_>,
) -> Result<Vec<u8>, ExchangeError> {
    let mti = if is_1993(spec) { 1200 } else { 200 };
    let mut b = MessageBuilder::new(spec, Mti::new(mti)?);
    b.set_header(r.header)?;
    b.set(2, r.pan)?
        .set(3, r.processing_code)?
        .set(4, r.amount)?;
    if spec.field(7).is_some() {
        b.set_transmission_date_time(r.at)?;
    }
    b.set_stan(r.stan)?.set_local_date_time(r.at)?;
    b.set(14, r.expiry)?.set(22, r.entry_mode)?;
    if !is_1993(spec) && spec.field(25).is_some_and(|f| f.fixed_wire_len().is_some()) {
        b.set(25, 0u32)?;
    }
    b.set(41, r.terminal_id)?
        .set(42, r.merchant_id)?
        .set(49, r.currency)?;
    Ok(b.to_bytes()?.to_vec())
}

/// The original data elements naming `original` (MTI, STAN, date-time, institution ids,
/// UnionPay batch from 60.2).
pub fn original_data_of(original: &Message<'_>) -> OriginalData {
    fn number(symbols: impl Iterator<Item = u8>) -> u64 {
        symbols.filter(u8::is_ascii_digit).fold(0u64, |v, c| {
            v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        })
    }
    let digits = |n: usize| original.field(n).map_or(0, |f| number(f.symbols()));
    let form = OriginalDataForm::detect(original.spec());
    let batch = match original.get("60.2") {
        Ok(Some(e)) => number(e.symbols()) as u32,
        _ => 0,
    };
    OriginalData {
        mti: Some(original.mti().original()),
        stan: original.stan().ok(),
        date_time: match form {
            OriginalDataForm::Field56 => digits(12),
            OriginalDataForm::Field61 => digits(13),
            _ => digits(7),
        },
        acquirer: digits(32),
        forwarding: if form == OriginalDataForm::Field90 {
            digits(33)
        } else {
            0
        },
        batch,
    }
}

/// The digits of the original data elements field for `spec`'s form, if it has one.
fn original_digits(
    spec: &MessageSpec<'_>,
    od: &OriginalData,
) -> Result<Option<(u16, Vec<u8>)>, ExchangeError> {
    Ok(match OriginalDataForm::detect(spec) {
        OriginalDataForm::Field90 => Some((90, od.to_field90()?.to_vec())),
        OriginalDataForm::Field56 => {
            let (buf, len) = od.to_field56()?;
            Some((56, buf.get(..len).unwrap_or(&[]).to_vec()))
        }
        OriginalDataForm::Field61 => Some((61, od.to_field61()?.to_vec())),
        OriginalDataForm::None => None,
    })
}

/// A reversal (or reversal advice) of `original`: same STAN, the fields of
/// [`REVERSAL_FIELDS`], the EMV tags of [`REVERSAL_EMV_TAGS`], original data elements
/// in field 90 (1987) or 56 (1993) (a UnionPay reversal names its original by the same
/// STAN and batch), and the reason in field 39 (1987, UnionPay) or 25 (1993).
///
/// # Errors
///
/// [`ExchangeError`] when the original is not a financial request or authorization, lacks a
/// field the reversal needs (3, 4, 11, 41), or the layout has no original-data field.
pub fn reversal_for(
    original: &Message<'_>,
    reason: &ReversalReason,
    kind: ReversalKind,
) -> Result<Vec<u8>, ExchangeError> {
    let spec = original.spec();
    if !original.has(11) {
        return Err(ExchangeError::Missing(11));
    }
    let [v, ..] = original.mti().digits();
    let function = match kind {
        ReversalKind::Request => 0,
        ReversalKind::Advice => 2,
    };
    let mti = Mti::new(u16::from(v) * 1000 + 400 + function * 10)?;
    let form = OriginalDataForm::detect(spec);
    let original_data = match form {
        OriginalDataForm::Field61 => None,
        _ => original_digits(spec, &original_data_of(original))?,
    };
    let mut emv = Vec::new();
    if let Some(f55) = original.field(55)
        && f55.spec().subfields.is_some()
    {
        let mut t = TlvBuilder::new();
        for item in Tlvs::new(f55.data()).flatten() {
            if REVERSAL_EMV_TAGS.contains(&item.tag.value()) {
                t.put(Tag::new(item.tag.value()), item.value);
            }
        }
        emv = t.finish();
    }
    let mut b = MessageBuilder::new(spec, mti);
    b.set_header(original.header())?;
    for n in REVERSAL_FIELDS {
        if form == OriginalDataForm::Field56 && n == 25 {
            continue;
        }
        copy(&mut b, original, n)?;
    }
    if let Some((n, digits)) = &original_data {
        b.set(usize::from(*n), &digits[..])?;
    }
    if !emv.is_empty() {
        b.set(55, &emv[..])?;
    }
    set_reason(&mut b, reason)?;
    Ok(b.to_bytes()?.to_vec())
}

fn set_reason(b: &mut MessageBuilder<'_>, reason: &ReversalReason) -> Result<(), ExchangeError> {
    if is_1993(b.spec()) {
        b.set(25, u64::from(reason.message_reason))?;
    } else {
        set_code(b, &reason.code)?;
    }
    Ok(())
}

/// The same message with its repeat MTI (0400 -> 0401, 0420 -> 0421): what a terminal
/// sends when retrying.
///
/// # Errors
///
/// [`ExchangeError`] when the message is not a request that has a repeat MTI (0200, 0400,
/// 0420, ...).
pub fn repeat_of(msg: &Message<'_>) -> Result<Vec<u8>, ExchangeError> {
    let mut b = MessageBuilder::from_message(msg);
    let mti = msg.mti();
    b.set_mti(if mti.is_repeat() { mti } else { mti.repeat()? });
    Ok(b.to_bytes()?.to_vec())
}

/// A prepared reversal with its final reason, as a repeat if `repeat`.
///
/// # Errors
///
/// [`ExchangeError`] when the prepared reversal cannot be rebuilt with the reason (a
/// response code the layout refuses).
pub fn finalize_reversal(
    prepared: &Message<'_>,
    reason: &ReversalReason,
    repeat: bool,
) -> Result<Vec<u8>, ExchangeError> {
    let mut b = MessageBuilder::from_message(prepared);
    set_reason(&mut b, reason)?;
    let mti = prepared.mti().original();
    b.set_mti(if repeat { mti.repeat()? } else { mti });
    Ok(b.to_bytes()?.to_vec())
}

/// Network management functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NetworkFunction {
    /// Sign-on (code 001; 1993 function code 801).
    SignOn,
    /// Sign-off (code 002; 1993 function code 802).
    SignOff,
    /// Echo test (code 301; 1993 function code 831).
    EchoTest,
}

impl NetworkFunction {
    /// The 1987 / UnionPay network management information code.
    pub const fn code(self) -> u16 {
        match self {
            NetworkFunction::SignOn => 1,
            NetworkFunction::SignOff => 2,
            NetworkFunction::EchoTest => 301,
        }
    }
    /// The 1993 function code (field 24).
    pub const fn function_code_1993(self) -> u16 {
        match self {
            NetworkFunction::SignOn => 801,
            NetworkFunction::SignOff => 802,
            NetworkFunction::EchoTest => 831,
        }
    }
}

/// A network management request: 0800 with field 70 (1987), 1804 with field 24
/// (1993), or 0800 with 60.3 (UnionPay); fields 7, 11 and, when given, 41.
///
/// # Errors
///
/// [`ExchangeError`] when a value does not fit the layout's network-management fields.
pub fn network_request(
    spec: &MessageSpec<'_>,
    function: NetworkFunction,
    stan: Stan,
    at: NaiveDateTime,
    terminal: Option<&str>,
    header: &[u8],
) -> Result<Vec<u8>, ExchangeError> {
    let form = OriginalDataForm::detect(spec);
    let mti = if form == OriginalDataForm::Field56 {
        1804
    } else {
        800
    };
    let sixty = alloc::format!("00000000{:03}", function.code());
    let mut b = MessageBuilder::new(spec, Mti::new(mti)?);
    b.set_header(header)?;
    if spec.field(7).is_some() {
        b.set_transmission_date_time(at)?;
    }
    b.set_stan(stan)?;
    if let Some(t) = terminal {
        b.set(41, t)?;
    }
    match form {
        OriginalDataForm::Field56 => {
            b.set(24, function.function_code_1993())?;
        }
        OriginalDataForm::Field61 => {
            b.set(60, sixty.as_str())?;
        }
        _ => {
            b.set(70, function.code())?;
        }
    }
    Ok(b.to_bytes()?.to_vec())
}

/// The processing code a last-transaction inquiry carries by default: transaction type
/// 96 (ISO private use), from-account 00, to-account 00.
pub const DEFAULT_INQUIRY_PROCESSING_CODE: &str = "960000";

/// How last-transaction inquiries are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InquiryConfig {
    /// Field 3 of an inquiry (six digits).
    pub processing_code: &'static str,
}

impl Default for InquiryConfig {
    fn default() -> Self {
        InquiryConfig {
            processing_code: DEFAULT_INQUIRY_PROCESSING_CODE,
        }
    }
}

/// A last-transaction inquiry about `original`: a 0200 with the inquiry processing
/// code, a new STAN, the original amount and currency, the same terminal ids, and the
/// original data elements (90 / 56 / 61).
///
/// # Errors
///
/// [`ExchangeError`] when the original lacks the fields an inquiry names it by (11, 41) or
/// they do not fit the layout.
pub fn inquiry_for(
    original: &Message<'_>,
    stan: Stan,
    at: NaiveDateTime,
    config: &InquiryConfig,
) -> Result<Vec<u8>, ExchangeError> {
    let spec = original.spec();
    let [v, ..] = original.mti().digits();
    let original_data = original_digits(spec, &original_data_of(original))?;
    let mut b = MessageBuilder::new(spec, Mti::new(u16::from(v) * 1000 + 200)?);
    b.set_header(original.header())?;
    b.set(3, config.processing_code)?;
    copy(&mut b, original, 4)?;
    if spec.field(7).is_some() {
        b.set_transmission_date_time(at)?;
    }
    b.set_stan(stan)?;
    if spec.field(12).is_some() {
        b.set_local_date_time(at)?;
    }
    for n in [32, 33, 41, 42, 49, 60] {
        copy(&mut b, original, n)?;
    }
    if let Some((n, digits)) = &original_data {
        b.set(usize::from(*n), &digits[..])?;
    }
    Ok(b.to_bytes()?.to_vec())
}

/// Whether `msg` is a last-transaction inquiry (a financial request with the inquiry
/// processing code).
pub fn is_inquiry(msg: &Message<'_>, config: &InquiryConfig) -> bool {
    let [_, class, function, _] = msg.mti().digits();
    class == 2
        && function == 0
        && msg
            .field(3)
            .is_some_and(|f| f.symbols().eq(config.processing_code.bytes()))
}

/// What the host knows of the original an inquiry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InquiryAnswer<'r> {
    /// The host processed the original: its response code, RRN and approval code.
    Found {
        /// The original's field 39.
        code: ResponseCode,
        /// The original's field 37.
        rrn: Option<Rrn>,
        /// The original's field 38.
        auth_code: Option<&'r str>,
    },
    /// The host never saw the original (answered with 25).
    NotFound,
}

/// The 0210 answering an inquiry: the original's 39/37/38, or 25.
///
/// # Errors
///
/// [`ExchangeError`] when the inquiry is not one ([`is_inquiry`]) or the answer does not
/// fit the layout.
pub fn inquiry_response(
    inquiry: &Message<'_>,
    answer: &InquiryAnswer<'_>,
) -> Result<Vec<u8>, ExchangeError> {
    match *answer {
        InquiryAnswer::Found {
            code,
            rrn: Some(rrn),
            auth_code,
        } => response_to(
            inquiry,
            code,
            Some(Approval {
                rrn,
                auth_code: auth_code.unwrap_or(""),
            }),
        ),
        InquiryAnswer::Found {
            code, rrn: None, ..
        } => response_to(inquiry, code, None),
        InquiryAnswer::NotFound => response_to(inquiry, ResponseCode::UNABLE_TO_LOCATE, None),
    }
}

/// Reads an inquiry's 0210: `None` if it carries no response code.
pub fn inquiry_result<'a>(response: &'a Message<'a>) -> Option<InquiryAnswer<'a>> {
    let code = ResponseCode::of(response)?;
    if code.as_str() == "25" {
        return Some(InquiryAnswer::NotFound);
    }
    Some(InquiryAnswer::Found {
        code,
        rrn: response.rrn().ok(),
        auth_code: response
            .field(38)
            .and_then(|f| f.as_str())
            .map(str::trim_end),
    })
}
