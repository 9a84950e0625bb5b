//! The host side: a ledger that answers purchases, reversals and last-transaction
//! inquiries.

use std::collections::BTreeMap;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::exchange::{self, Approval, InquiryAnswer, InquiryConfig, ResponseCode};
use crate::fields::{OriginalData, OriginalDataForm, Rrn, Stan};
use crate::message::Message;
use crate::spec::MessageSpec;
use crate::trace::rrn_for;

/// Why the host could not answer at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The request could not be decoded.
    #[error("cannot decode request: {0}")]
    Decode(String),
    /// The response could not be built.
    #[error("cannot build response: {0}")]
    Build(String),
}

/// Answers requests from terminals.
pub trait HostLedger {
    /// The encoded response to an encoded request.
    fn handle(&mut self, request: &[u8]) -> Result<Vec<u8>, HostError>;
}

/// How a transaction is found: terminal (fields 41/42), STAN, local date `MMDD`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerKey {
    /// Fields 41 and 42.
    pub terminal: String,
    /// The STAN.
    pub stan: u32,
    /// The date `MMDD` (0 when the message carries none).
    pub date: u32,
}

/// A transaction the host processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The answer given.
    pub code: ResponseCode,
    /// The RRN assigned.
    pub rrn: Rrn,
    /// The approval code given (approved only).
    pub auth_code: Option<String>,
    /// The amount (field 4).
    pub amount: u64,
    /// Whether it was reversed.
    pub reversed: bool,
    /// Reversal messages received for it (originals and repeats).
    pub reversal_messages: u32,
    /// Times a reversal was applied (never more than 1).
    pub reversals_applied: u32,
    /// The full date and time the request carried: field 7 `MMDDhhmmss`, or field 12
    /// `YYMMDDhhmmss` in 1993 layouts (0 if none).
    pub date_time: u64,
    /// Order of arrival.
    pub seq: u64,
}

/// A reversal the host received for an original it had not seen (answered 25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanReversal {
    /// The original's full date and time, as the reversal names it (0 if unknown).
    pub date_time: u64,
    /// The amount the reversal carries, if any.
    pub amount: Option<u64>,
    /// Reversal messages received for it (originals and repeats).
    pub messages: u32,
}

/// An in-memory [`HostLedger`]: approves purchases (unless `decline_above` is
/// exceeded), answers 94 to a STAN the terminal already used, reverses at most once
/// (a repeated 0401 is answered, not applied twice), answers 25 for originals it never
/// saw, and answers last-transaction inquiries from its records.
///
/// A reversal of an original it has not seen is answered 25 *and remembered*: when
/// that original arrives afterwards (it was delayed, or processed concurrently), it
/// is declined with 12 and moves no money. This is what makes a terminal's reversal
/// after an inquiry answered 25 safe (see
/// [`NotFoundPolicy`](crate::pos::journal::NotFoundPolicy)).
#[derive(Debug)]
pub struct MemoryLedger {
    layout: &'static MessageSpec<'static>,
    inquiry: InquiryConfig,
    entries: BTreeMap<LedgerKey, LedgerEntry>,
    orphans: BTreeMap<LedgerKey, OrphanReversal>,
    next: u32,
    /// Purchases above this amount are declined with 51.
    pub decline_above: Option<u64>,
    /// The clock for RRNs (`YDDDHHNNNNNN`); fixed by default for repeatable output.
    pub now: chrono::NaiveDateTime,
}

fn terminal_of(msg: &Message<'_>) -> String {
    let mut s = String::new();
    for n in [41, 42] {
        if let Some(f) = msg.field(n) {
            s.extend(f.symbols().map(char::from));
        }
        s.push('/');
    }
    s
}

fn digits(msg: &Message<'_>, n: usize) -> Option<u64> {
    let f = msg.field(n)?;
    let mut v = 0u64;
    for c in f.symbols() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// The local date `MMDD` a message carries: field 12 when it is `YYMMDDhhmmss`, else
/// field 7's `MMDD`, else field 13.
fn date_of(msg: &Message<'_>) -> u32 {
    if msg.field(12).is_some_and(|f| f.len() == 12) {
        return digits(msg, 12).map_or(0, |v| (v / 1_000_000 % 10_000) as u32);
    }
    if let Some(v) = digits(msg, 7) {
        return (v / 1_000_000) as u32;
    }
    digits(msg, 13).map_or(0, |v| v as u32)
}

/// The date `MMDD` of original data elements, per form.
fn original_date(form: OriginalDataForm, od: &OriginalData) -> u32 {
    match form {
        OriginalDataForm::Field56 => (od.date_time / 1_000_000 % 10_000) as u32,
        OriginalDataForm::Field90 => (od.date_time / 1_000_000) as u32,
        _ => od.date_time as u32,
    }
}

impl MemoryLedger {
    /// An empty ledger for `layout`.
    pub fn new(layout: &'static MessageSpec<'static>) -> Self {
        MemoryLedger {
            layout,
            inquiry: InquiryConfig::default(),
            entries: BTreeMap::new(),
            orphans: BTreeMap::new(),
            next: 1,
            decline_above: None,
            now: chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .unwrap_or_default(),
        }
    }

    /// Every transaction the host processed.
    pub fn entries(&self) -> &BTreeMap<LedgerKey, LedgerEntry> {
        &self.entries
    }

    /// Reversals received for originals not seen (yet); an original that arrives
    /// later is declined and leaves this list.
    pub fn orphan_reversals(&self) -> &BTreeMap<LedgerKey, OrphanReversal> {
        &self.orphans
    }

    /// The newest entry for terminal id `terminal` (field 41) and `stan`.
    pub fn find(&self, terminal: &str, stan: Stan) -> Option<&LedgerEntry> {
        self.entries
            .iter()
            .filter(|(k, _)| {
                k.terminal.split('/').next() == Some(terminal) && k.stan == stan.value()
            })
            .map(|(_, e)| e)
            .max_by_key(|e| e.seq)
    }

    /// The entry a reversal or inquiry names, if its key, full date-time (where the
    /// message carries it) and amount all match.
    fn original_entry(&mut self, msg: &Message<'_>) -> Option<&mut LedgerEntry> {
        let key = Self::original_key(msg)?;
        let form = OriginalDataForm::detect(msg.spec());
        let date_time = match (form, OriginalData::of_message(msg)) {
            (OriginalDataForm::Field90 | OriginalDataForm::Field56, Some(Ok(od))) => od.date_time,
            _ => 0,
        };
        let amount = digits(msg, 4);
        let e = self.entries.get_mut(&key)?;
        let same_time = date_time == 0 || e.date_time == 0 || e.date_time == date_time;
        let same_amount = amount.is_none_or(|a| a == e.amount);
        (same_time && same_amount).then_some(e)
    }

    fn key(msg: &Message<'_>, stan: u32, date: u32) -> LedgerKey {
        LedgerKey {
            terminal: terminal_of(msg),
            stan,
            date,
        }
    }

    /// The original a reversal or inquiry names.
    fn original_key(msg: &Message<'_>) -> Option<LedgerKey> {
        let form = OriginalDataForm::detect(msg.spec());
        match OriginalData::of_message(msg) {
            Some(Ok(od)) => {
                let stan = od.stan?.value();
                Some(Self::key(msg, stan, original_date(form, &od)))
            }
            Some(Err(_)) => None,
            // No original data elements (UnionPay reversal): same STAN, same date.
            None => Some(Self::key(msg, msg.stan().ok()?.value(), date_of(msg))),
        }
    }

    fn build<E: core::fmt::Display>(r: Result<Vec<u8>, E>) -> Result<Vec<u8>, HostError> {
        r.map_err(|e| HostError::Build(e.to_string()))
    }

    fn answer(&mut self, msg: &Message<'_>) -> Result<Vec<u8>, HostError> {
        let mti = msg.mti();
        let [_, class, function, _] = mti.digits();
        if !mti.is_request() && !mti.is_advice() {
            return Self::build(exchange::response_to(
                msg,
                ResponseCode::INVALID_TRANSACTION,
                None,
            ));
        }
        match class {
            8 => Self::build(exchange::response_to(msg, ResponseCode::APPROVED, None)),
            2 if exchange::is_inquiry(msg, &self.inquiry) => {
                let found = self
                    .original_entry(msg)
                    .map(|e| (e.code, e.rrn, e.auth_code.clone()));
                let answer = match &found {
                    Some((code, rrn, auth)) => InquiryAnswer::Found {
                        code: *code,
                        rrn: Some(*rrn),
                        auth_code: auth.as_deref(),
                    },
                    None => InquiryAnswer::NotFound,
                };
                Self::build(exchange::inquiry_response(msg, &answer))
            }
            2 | 1 if function == 0 => {
                let Ok(stan) = msg.stan() else {
                    return Self::build(exchange::response_to(
                        msg,
                        ResponseCode::INVALID_TRANSACTION,
                        None,
                    ));
                };
                let key = Self::key(msg, stan.value(), date_of(msg));
                if self.entries.contains_key(&key) {
                    return Self::build(exchange::response_to(
                        msg,
                        ResponseCode::DUPLICATE_TRANSMISSION,
                        None,
                    ));
                }
                let amount = digits(msg, 4).unwrap_or(0);
                let date_time = if msg.field(12).is_some_and(|f| f.len() == 12) {
                    digits(msg, 12).unwrap_or(0)
                } else {
                    digits(msg, 7).unwrap_or(0)
                };
                // Already reversed (the reversal overtook it): refused, no money moves.
                let reversed_first = self.orphans.get(&key).and_then(|o| {
                    let same_time = o.date_time == 0 || date_time == 0 || o.date_time == date_time;
                    let same_amount = o.amount.is_none_or(|a| a == amount);
                    (same_time && same_amount).then_some(o.messages)
                });
                if let Some(messages) = reversed_first {
                    self.orphans.remove(&key);
                    let rrn = rrn_for(self.now, self.next);
                    self.next = self.next.wrapping_add(1).max(1);
                    let code = ResponseCode::INVALID_TRANSACTION;
                    self.entries.insert(
                        key,
                        LedgerEntry {
                            code,
                            rrn,
                            auth_code: None,
                            amount,
                            reversed: false,
                            reversal_messages: messages,
                            reversals_applied: 0,
                            date_time,
                            seq: u64::from(self.next),
                        },
                    );
                    return Self::build(exchange::response_to(msg, code, None));
                }
                let approved = self.decline_above.is_none_or(|limit| amount <= limit);
                let rrn = rrn_for(self.now, self.next);
                let auth = std::format!("{:06}", (u64::from(self.next) * 7919) % 1_000_000);
                self.next = self.next.wrapping_add(1).max(1);
                let (code, auth_code) = if approved {
                    (ResponseCode::APPROVED, Some(auth))
                } else {
                    (ResponseCode::INSUFFICIENT_FUNDS, None)
                };
                self.entries.insert(
                    key,
                    LedgerEntry {
                        code,
                        rrn,
                        auth_code: auth_code.clone(),
                        amount,
                        reversed: false,
                        reversal_messages: 0,
                        reversals_applied: 0,
                        date_time,
                        seq: u64::from(self.next),
                    },
                );
                let approval = Approval {
                    rrn,
                    auth_code: auth_code.as_deref().unwrap_or(""),
                };
                Self::build(exchange::response_to(msg, code, Some(approval)))
            }
            4 => {
                let code = match self.original_entry(msg) {
                    Some(e) => {
                        e.reversal_messages += 1;
                        // A declined original moved no money: answered, nothing applied.
                        if !e.reversed && e.code.is_approved() {
                            e.reversed = true;
                            e.reversals_applied += 1;
                        }
                        ResponseCode::APPROVED
                    }
                    None => {
                        // Remember it: the original may still be on its way.
                        if let Some(key) = Self::original_key(msg) {
                            let form = OriginalDataForm::detect(msg.spec());
                            let date_time = match (form, OriginalData::of_message(msg)) {
                                (
                                    OriginalDataForm::Field90 | OriginalDataForm::Field56,
                                    Some(Ok(od)),
                                ) => od.date_time,
                                _ => 0,
                            };
                            let orphan = self.orphans.entry(key).or_insert(OrphanReversal {
                                date_time,
                                amount: digits(msg, 4),
                                messages: 0,
                            });
                            orphan.messages = orphan.messages.saturating_add(1);
                        }
                        ResponseCode::UNABLE_TO_LOCATE
                    }
                };
                Self::build(exchange::response_to(msg, code, None))
            }
            _ => Self::build(exchange::response_to(
                msg,
                ResponseCode::INVALID_TRANSACTION,
                None,
            )),
        }
    }
}

impl HostLedger for MemoryLedger {
    fn handle(&mut self, request: &[u8]) -> Result<Vec<u8>, HostError> {
        let msg = self
            .layout
            .decode(request)
            .map_err(|e| HostError::Decode(e.to_string()))?;
        self.answer(&msg)
    }
}
