//! The terminal's write-ahead journal.
//!
//! Before a financial request goes on the wire, the terminal records it together with
//! the reversal it would need ([`Journal::begin`]); every step afterwards (sent, not
//! sent, response, timeout, MAC failure, inquiry, reversal and its response) is
//! appended and `fsync`ed before the terminal acts on it. After a crash,
//! [`Journal::open`] replays the file and [`Journal::pending`] says exactly what must
//! happen next: nothing, send this reversal, or send this inquiry.
//!
//! # Rules (as terminals do it)
//!
//! * The connection was never made ([`Journal::not_sent`]): the prepared reversal is
//!   dropped.
//! * A response arrived ([`Journal::response`]): approved or clearly declined, the
//!   transaction is settled and nothing is reversed.
//! * No response in time ([`Journal::timeout`]), or a crash with the fate unknown: by
//!   default the terminal first asks the host with a last-transaction inquiry
//!   ([`UnknownOutcome::Inquire`]); with [`UnknownOutcome::Reverse`] it reverses at once
//!   with reason 98.
//! * The inquiry answers: declined → settled, nothing to reverse; approved → by
//!   default reversed with reason 98, because a terminal that lost the response did
//!   not complete the sale ([`AfterApproval::Reverse`]); with [`AfterApproval::Keep`]
//!   the approval is kept. After `max_inquiries` unanswered inquiries the terminal
//!   reverses.
//! * The inquiry answers not found (25): a host that processes requests concurrently
//!   may not have processed the original *yet*, so "not found" does not prove it never
//!   will be. By default the terminal reverses anyway with reason 98
//!   ([`NotFoundPolicy::Reverse`]): a 0410 with 25 settles it, and a host that keeps
//!   the reversal refuses the original if it arrives later.
//!   [`NotFoundPolicy::Reinquire`] asks again after a delay (reversing when the last
//!   allowed inquiry still gets 25); [`NotFoundPolicy::Settle`] settles at once as
//!   completed with 25 (safe only with a host that processes requests in order). The
//!   event records the policy, so a replay decides the same way.
//! * A response that fails its MAC check ([`Journal::mac_failure`]): reversed with
//!   reason A0.
//! * A pending reversal or inquiry goes out before the next transaction:
//!   [`Journal::begin`] refuses while [`Journal::pending`] has an action.
//! * Reversals are retried with the repeat MTI (0401) once one was sent; a 0410 with
//!   00, 12 or 25 settles it, any other code leaves it pending.
//! * A response arriving after the terminal gave up on it ([`Journal::response`] on an
//!   unknown or inquiring transaction) counts as the inquiry's answer.
//!
//! # Card data at rest
//!
//! PCI DSS forbids keeping track data, card verification codes and PIN blocks after
//! authorisation, even enciphered, and requires a stored PAN to be unreadable. The
//! journal needs little of a transaction to settle it, so it keeps only that, from
//! [`Journal::begin`] on (nothing is written first and stripped later):
//!
//! * **The request** ([`Record::request`]) is reduced to its MTI, header and the
//!   fields of [`REQUEST_FIELDS_KEPT`] (3, 4, 7, 11, 12, 13, 32, 33, 41, 42, 49, 60):
//!   what a last-transaction inquiry names the original by
//!   ([`crate::exchange::inquiry_for`]), and what matches a late response (STAN,
//!   field 41). No PAN, expiry, track data, PIN block or EMV data.
//! * **The prepared reversal** ([`Record::reversal`]) keeps its fields (a reversal
//!   built by [`crate::exchange::reversal_for`] has little else: 3, 4, 7, 11, 14, 22,
//!   ..., the EMV subset of [`crate::exchange::REVERSAL_EMV_TAGS`]) less field 2, the
//!   fields of [`FIELDS_NEVER_STORED`] (34 extended PAN, 35 and 36 track 2 and 3, 45
//!   track 1, 52 PIN block) and, in field 55, the tags of [`EMV_TAGS_NEVER_STORED`]
//!   (56, 57 track equivalents, 5A PAN, 5F20 name, 99 PIN data, 9F1F, 9F20, 9F6B
//!   track data), at any depth. A field 55 that the layout does not declare BER-TLV,
//!   or that does not parse, is left out whole. The expiry date (14) stays: the
//!   reversal copies it, and PCI DSS allows it with a protected PAN.
//! * **The PAN** of the reversal ([`Record::pan`]) is kept apart, as
//!   [`JournalConfig::pan_at_rest`] says ([`PanAtRest`]): truncated to its first six
//!   and last four digits (the default), not at all, or enciphered under a key the
//!   application supplies (feature `crypto`: AES-GCM-SIV, RFC 8452, with a nonce per
//!   record and the transaction number and field as associated data, so a stored PAN
//!   cannot be moved to another record). Without a key the reversal goes out
//!   without field 2: hosts find the original by its STAN, date and time, terminal
//!   ids and original data elements. A host that requires field 2 in a reversal
//!   needs the key: [`Journal::pending`] then deciphers the PAN and puts it back into
//!   the 0400 it returns.
//!
//! A wrong key is never passed over: [`Journal::open`] compares the key check value
//! stored with each enciphered PAN to the configured key's and fails with
//! [`JournalError::PanKey`] (so does a journal holding enciphered PANs opened without
//! a key); a PAN whose authentication fails makes [`Journal::pending`] fail with
//! [`JournalError::PanUndecipherable`]. No reversal is sent without its PAN instead.
//! The key is the application's to keep (a secure element, a key derived from the
//! device's protected storage): the journal never writes it, only its check value.
//!
//! **Older journals.** Journals written before format 3 held the messages whole.
//! [`Journal::open`] converts them: every record is stripped and its PAN kept as
//! configured, then the file is rewritten atomically (a new file renamed over the
//! old). The old file's blocks are freed, not overwritten: on storage where that
//! matters, wipe the free space (or the device) after the first open.
//!
//! # File format and damage
//!
//! A fixed-size header line (format 3), then one event per line,
//! `KIND ID ARGS... CRC32`, then zeros: the file is extended 64 KiB at a time ahead
//! of its events, so that writing an event overwrites blocks the file already has and
//! its `fdatasync` has no file size or allocation to record (readers stop at the
//! zeros; a cut among them loses nothing). A transaction begins with `B ID REQUEST REVERSAL PAN`
//! (the messages in hex, as stored above; `PAN` is `-`, `T` and the truncated PAN, or
//! `E` with the key check value, nonce and ciphertext); a compaction writes one
//! snapshot per transaction, `X ID REQUEST REVERSAL PAN LATE STATE...`. The
//! header holds the number of events ever recorded and the length of the file as it
//! was last made durable; it is rewritten in place with every event, and the event and
//! the header are made durable by the same `fdatasync`. So the journal tells a clean
//! end from lost records:
//!
//! * A last line without its newline is an append a crash interrupted: the event was
//!   never acted on, so it is cut off, and [`Journal::recovery`] reports it. So is a
//!   damaged line past the length the header made durable (with what follows it): an
//!   append whose `fdatasync` never returned, whose pages reached the disk in any
//!   order over the zeros ahead of the events.
//! * A file shorter than its header says (truncated at any byte, a record boundary
//!   included) makes `open` fail with [`JournalError::Truncated`], saying how many
//!   bytes and events are gone; an existing but empty journal fails with
//!   [`JournalError::Emptied`]. [`Journal::open_after_loss`] is the documented way on:
//!   it keeps what is left, and its [`LossReport`] lists the transactions left
//!   unsettled, whose last steps may be among the lost ones (they are inquired about
//!   before anything is reversed, as after a crash).
//! * Any other damage (a checksum that does not match, an unknown event, an event for
//!   an unknown transaction) makes `open` fail with [`JournalError::Corrupt`] naming
//!   the line: nothing is discarded silently.
//!
//! When more than `max_records` transactions are kept, settled ones are compacted away
//! (down to three quarters of `max_records`, so the rewrite is not repeated at every
//! transaction; the newest is always kept) by rewriting the file atomically.
//!
//! # Ownership and failures
//!
//! A journal holds an exclusive lock on `<path>.lock` for its life: a second `open`
//! fails with [`JournalError::Locked`]. When a write or sync fails, the file is rolled
//! back to its last durable state and re-read, so the journal in memory is what is on
//! disk; the transaction that was in flight then reads as interrupted, and
//! [`Journal::pending`] asks for the inquiry (or reversal) that settles it, before any
//! new transaction, with no restart. [`Journal::begin`] never reports a failure for a
//! transaction it made durable (a failed compaction is retried later and shown by
//! [`Journal::compaction_error`]).

use std::borrow::ToOwned;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::string::String;
use std::time::Duration;
use std::vec::Vec;
use std::{fmt, format};

use crate::durable::{FileLock, LockError, Point, at, crc32, replace_file};
use crate::exchange::{self, ExchangeError, ResponseCode, ReversalReason};
use crate::fields::{Rrn, Stan};
use crate::pos::at_rest::{self, RestoreError};
pub use crate::pos::at_rest::{
    EMV_TAGS_NEVER_STORED, EncipheredPan, FIELDS_NEVER_STORED, PanAtRest, REQUEST_FIELDS_KEPT,
    StoredPan,
};
use crate::spec::MessageSpec;
use crate::wire::hex;

/// Why the journal failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Another handle (in this process or another) owns the journal.
    #[error("journal {path} is in use by another process or handle (lock {lock})")]
    Locked {
        /// The journal file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The journal is shorter than its header says: records were lost (the file was
    /// truncated, or a restored copy is incomplete). Nothing was changed; see
    /// [`Journal::open_after_loss`].
    #[error(
        "journal {path} lost data: {found_len} bytes of {expected_len} are left, \
         {lost_events} event(s) missing"
    )]
    Truncated {
        /// The journal file.
        path: PathBuf,
        /// The length the header records.
        expected_len: u64,
        /// The length found.
        found_len: u64,
        /// Events recorded but no longer in the file.
        lost_events: u64,
    },
    /// The journal file exists but is empty: its records were lost. Nothing was
    /// changed; see [`Journal::open_after_loss`].
    #[error("journal {path} is empty: its records were lost")]
    Emptied {
        /// The journal file.
        path: PathBuf,
    },
    /// The journal file is missing while the terminal's STAN state shows it ran
    /// before: its records were lost.
    #[error("journal {path} is missing, but the terminal has run before (its STAN state exists)")]
    Missing {
        /// The journal file.
        path: PathBuf,
    },
    /// The journal is older than the STAN state file says it was (a copy restored from
    /// a backup): events recorded since are not in it.
    #[error(
        "journal {path} holds {seq} events, but had at least {anchor} when the STAN \
         state was last saved: it is an older copy"
    )]
    OlderThanState {
        /// The journal file.
        path: PathBuf,
        /// Events the journal holds.
        seq: u64,
        /// Events the STAN state file recorded.
        anchor: u64,
    },
    /// The journal file could not be read or written.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The journal file is damaged; nothing was discarded.
    #[error("journal {path} is corrupt at line {line}: {reason}")]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A reversal or inquiry must go out before a new transaction.
    #[error("transaction {0} must be settled first (send its reversal or inquiry)")]
    PendingAction(TxnId),
    /// No such transaction.
    #[error("no transaction {0}")]
    UnknownTransaction(TxnId),
    /// The step does not fit the transaction's state.
    #[error("transaction {id}: cannot record '{event}' in state {state}")]
    WrongState {
        /// The transaction.
        id: TxnId,
        /// What was recorded.
        event: &'static str,
        /// Its state.
        state: &'static str,
    },
    /// The key for the PANs kept at rest does not fit the journal: it is not an
    /// AES-128 or AES-256 key, or the journal holds PANs enciphered under another key
    /// (or under a key while none is configured). Nothing was changed.
    #[error("journal {path}: {reason}")]
    PanKey {
        /// The journal file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A stored PAN did not decipher (its authentication failed): the record was
    /// altered, or enciphered under another key. The reversal is not sent, neither
    /// with nor without its PAN.
    #[error(
        "transaction {0}: its stored PAN does not decipher under the configured key \
         (altered record or another key); the reversal was not sent"
    )]
    PanUndecipherable(TxnId),
    /// A stored or received message could not be decoded or built.
    #[error("transaction {id}: {fault}")]
    Message {
        /// The transaction.
        id: TxnId,
        /// What failed.
        fault: MessageFault,
    },
}

/// What went wrong with a message the journal stores or rebuilds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageFault {
    /// The request does not decode with the journal's layout.
    #[error("request: {0}")]
    Request(crate::DecodeError),
    /// The reversal does not decode with the journal's layout.
    #[error("reversal: {0}")]
    Reversal(crate::DecodeError),
    /// A stored message could not be rebuilt (a value the layout refuses).
    #[error("rebuilding the message: {0}")]
    Rebuild(crate::EncodeError),
    /// The reversal could not be finished (reason code, repeat MTI).
    #[error("finishing the reversal: {0}")]
    Finish(ExchangeError),
    /// The PAN could not be enciphered for storage.
    #[cfg(feature = "crypto")]
    #[error("enciphering the PAN: {0}")]
    Encipher(crate::security::Error),
}

/// A transaction's number in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxnId(pub u64);

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What to do when a transaction's fate is unknown (no response, or a crash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownOutcome {
    /// Ask the host with a last-transaction inquiry first (default).
    Inquire,
    /// Reverse at once (reason 98).
    Reverse,
}

/// What to do when an inquiry (or a late response) says the host approved a
/// transaction whose response the terminal had lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AfterApproval {
    /// Reverse it (default): the terminal did not complete the sale.
    Reverse,
    /// Keep the approval.
    Keep,
}

/// What to do when a last-transaction inquiry is answered 25 (the host has no record
/// of the original).
///
/// A host that processes requests concurrently may answer the inquiry before it
/// processes the original (which was sent first but is still queued), then approve
/// the original: "not found" is not proof the money will not move. The policy in force
/// is written into the journal with the answer, so a replay decides the same way.
///
/// ```
/// use std::time::Duration;
/// use iso8583_wire::layouts::ISO87_ASCII;
/// use iso8583_wire::pos::journal::NotFoundPolicy;
/// use iso8583_wire::pos::JournalConfig;
///
/// let mut config = JournalConfig::new(&ISO87_ASCII);
/// assert_eq!(config.not_found, NotFoundPolicy::Reverse);
/// // Ask again 200 ms later, at most 3 inquiries in all, then reverse.
/// config.not_found = NotFoundPolicy::Reinquire { after: Duration::from_millis(200), max: 3 };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotFoundPolicy {
    /// Reverse with reason 98 (default). Harmless when the host really never saw the
    /// original: it answers the 0400 with 25, which settles the reversal.
    Reverse,
    /// Ask again after `after` (the [`crate::pos::Terminal`] driver waits), as long as
    /// fewer than `max` inquiries were sent for the transaction (and fewer than
    /// [`JournalConfig::max_inquiries`]); when the last one allowed is also answered
    /// 25, reverse with reason 98.
    Reinquire {
        /// How long to wait before asking again.
        after: std::time::Duration,
        /// Inquiries in all for one transaction, the first included.
        max: u32,
    },
    /// Settle as completed with 25, nothing reversed (the behaviour of journals written
    /// before this policy existed). Unsafe with a host that processes requests
    /// concurrently.
    Settle,
}

/// Journal settings.
#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// The layout of the stored messages.
    pub layout: &'static MessageSpec<'static>,
    /// Transactions kept before settled ones are compacted away.
    pub max_records: usize,
    /// See [`UnknownOutcome`].
    pub unknown_outcome: UnknownOutcome,
    /// See [`AfterApproval`].
    pub after_approval: AfterApproval,
    /// See [`NotFoundPolicy`].
    pub not_found: NotFoundPolicy,
    /// Unanswered inquiries before the terminal reverses instead.
    pub max_inquiries: u32,
    /// How the PAN of a prepared reversal is kept (see [`PanAtRest`] and the module
    /// documentation, "Card data at rest"). Default: truncated; reversals then go out
    /// without field 2.
    pub pan_at_rest: PanAtRest,
}

impl JournalConfig {
    /// Defaults: keep 1000 transactions, inquire first, reverse approvals that were
    /// lost, reverse what the host says it never saw, three inquiries at most, keep
    /// the PAN truncated only.
    pub fn new(layout: &'static MessageSpec<'static>) -> Self {
        JournalConfig {
            layout,
            max_records: 1000,
            unknown_outcome: UnknownOutcome::Inquire,
            after_approval: AfterApproval::Reverse,
            not_found: NotFoundPolicy::Reverse,
            max_inquiries: 3,
            pan_at_rest: PanAtRest::Truncate,
        }
    }
}

/// The result a host gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResult {
    /// Field 39.
    pub code: ResponseCode,
    /// Field 37, if any.
    pub rrn: Option<Rrn>,
    /// Field 38, if any.
    pub auth_code: Option<String>,
}

/// Where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Recorded; not yet known to be on the wire.
    Prepared,
    /// On the wire; waiting for the response.
    Sent,
    /// Settled: the connection was never made, nothing to reverse.
    NotSent,
    /// Settled: the host's answer is known (approved, or declined), nothing to reverse.
    Completed(HostResult),
    /// The fate is unknown (no response in time, or a crash).
    Unknown,
    /// Inquiries sent so far without an answer.
    Inquiring {
        /// Inquiries sent.
        attempts: u32,
    },
    /// A reversal is needed.
    Reversing {
        /// Why.
        reason: ReversalReason,
        /// Reversal messages sent so far.
        attempts: u32,
    },
    /// Settled: the host answered the reversal with 00, 12 or 25.
    Reversed(ResponseCode),
}

impl State {
    /// Whether nothing is left to do for the transaction.
    pub fn is_settled(&self) -> bool {
        matches!(
            self,
            State::NotSent | State::Completed(_) | State::Reversed(_)
        )
    }

    /// A short name.
    pub fn name(&self) -> &'static str {
        match self {
            State::Prepared => "prepared",
            State::Sent => "sent",
            State::NotSent => "not-sent",
            State::Completed(_) => "completed",
            State::Unknown => "unknown",
            State::Inquiring { .. } => "inquiring",
            State::Reversing { .. } => "reversing",
            State::Reversed(_) => "reversed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Completed(r) => write!(f, "completed ({} {})", r.code, r.code.meaning()),
            State::Inquiring { attempts } => write!(f, "inquiring ({attempts} sent)"),
            State::Reversing { reason, attempts } => {
                write!(f, "reversing (reason {}, {attempts} sent)", reason.code)
            }
            State::Reversed(c) => write!(f, "reversed ({c})"),
            other => f.write_str(other.name()),
        }
    }
}

/// One transaction in the journal, as stored: no track data, PIN block or PAN in
/// clear (see the module documentation, "Card data at rest").
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Its number.
    pub id: TxnId,
    /// The request, reduced to what an inquiry about it needs: its MTI, header and
    /// the fields of [`REQUEST_FIELDS_KEPT`].
    pub request: Vec<u8>,
    /// The reversal prepared with it, without field 2 (see [`Record::pan`]), the
    /// fields of [`FIELDS_NEVER_STORED`] and the EMV tags of
    /// [`EMV_TAGS_NEVER_STORED`]. [`Journal::pending`] gives it ready to send.
    pub reversal: Vec<u8>,
    /// What is kept of the reversal's PAN (per [`JournalConfig::pan_at_rest`]).
    pub pan: StoredPan,
    /// Where it stands.
    pub state: State,
    /// Whether a response arrived after the terminal had given up waiting.
    pub late_response: bool,
}

impl fmt::Debug for Record {
    /// The stored messages hold card data: only their sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("request_len", &self.request.len())
            .field("reversal_len", &self.reversal.len())
            .field("pan", &self.pan)
            .field("late_response", &self.late_response)
            .finish()
    }
}

impl Record {
    /// The request's STAN, if it has a valid one.
    pub fn stan(&self, layout: &MessageSpec<'_>) -> Option<Stan> {
        layout
            .decode(&self.request)
            .ok()
            .and_then(|m| m.stan().ok())
    }
}

/// What the terminal must do next.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Nothing pending.
    Nothing,
    /// Send this reversal (0400, or 0401 when retrying), then record it with
    /// [`Journal::reversal_sent`] *before* sending.
    SendReversal {
        /// The transaction.
        id: TxnId,
        /// The encoded reversal, ready to send: the stored one with its final reason
        /// and MTI, and field 2 deciphered when the PAN was kept enciphered.
        message: Vec<u8>,
        /// Why.
        reason: ReversalReason,
    },
    /// Ask the host about this transaction: build the inquiry with
    /// [`crate::exchange::inquiry_for`] from `original` and a new STAN, record it with
    /// [`Journal::inquiry_sent`] before sending.
    SendInquiry {
        /// The transaction.
        id: TxnId,
        /// The original request as stored ([`Record::request`]): what the inquiry
        /// names it by, no card data.
        original: Vec<u8>,
    },
}

impl fmt::Debug for Action {
    /// The messages hold card data: only their sizes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Nothing => f.write_str("Nothing"),
            Action::SendReversal {
                id,
                message,
                reason,
            } => f
                .debug_struct("SendReversal")
                .field("id", id)
                .field("message_len", &message.len())
                .field("reason", reason)
                .finish(),
            Action::SendInquiry { id, original } => f
                .debug_struct("SendInquiry")
                .field("id", id)
                .field("original_len", &original.len())
                .finish(),
        }
    }
}

/// What `open` found and repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Recovery {
    /// Bytes of an interrupted last append that were cut off (0 if none).
    pub torn_tail_bytes: usize,
    /// Transactions whose fate was unknown because of a crash (prepared or sent).
    pub interrupted: usize,
    /// Whole events found after the length the header records: written by an append
    /// whose header update a crash interrupted (kept: they are valid events).
    pub unsynced_events: usize,
}

/// What [`Journal::open_after_loss`] accepted as lost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LossReport {
    /// The journal existed but was empty.
    pub emptied: bool,
    /// Bytes missing from the end of the file.
    pub lost_bytes: u64,
    /// Events missing from the end of the file.
    pub lost_events: u64,
    /// Transactions left unsettled: their last steps may be among the lost events.
    /// They are inquired about (or reversed, per policy) before any new transaction;
    /// an approval found for one of them is reversed under
    /// [`AfterApproval::Reverse`], so review them against the host's records.
    pub unsettled: Vec<TxnId>,
}

impl LossReport {
    /// Whether anything was lost.
    pub fn is_loss(&self) -> bool {
        self.emptied || self.lost_bytes > 0 || self.lost_events > 0
    }
}

/// The write-ahead journal. See the module documentation.
///
/// ```
/// use iso8583_wire::exchange::{self, ReversalKind, ReversalReason, ResponseCode};
/// use iso8583_wire::layouts::ISO87_ASCII;
/// use iso8583_wire::pos::journal::HostResult;
/// use iso8583_wire::pos::{Action, Journal, JournalConfig, State};
/// use iso8583_wire::{MessageBuilder, Mti};
///
/// let dir = std::env::temp_dir().join(format!("journal-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// # let _ = std::fs::remove_file(dir.join("journal.log"));
/// let mut journal = Journal::open(dir.join("journal.log"), JournalConfig::new(&ISO87_ASCII))?;
///
/// let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
/// b.set(3, "000000")?.set(4, 1500)?.set(7, "1129101500")?.set(11, 7)?.set(41, "TERM0001")?;
/// let request = b.to_bytes()?;
/// let reversal = exchange::reversal_for(
///     &ISO87_ASCII.decode(&request)?, &ReversalReason::OTHER, ReversalKind::Request)?;
///
/// // Journal the request and its reversal before sending; record each step after.
/// let id = journal.begin(&request, &reversal)?;
/// journal.sent(id)?;
/// journal.timeout(id)?; // no answer: the fate is unknown
/// assert!(matches!(journal.pending()?, Action::SendInquiry { .. }));
/// journal.inquiry_sent(id)?;
/// let approved = HostResult { code: ResponseCode::APPROVED, rrn: None, auth_code: None };
/// journal.inquiry_answer(id, Some(approved))?; // approved, but the sale was not completed
/// assert!(matches!(journal.pending()?, Action::SendReversal { .. }));
/// journal.reversal_sent(id)?;
/// assert!(journal.reversal_response(id, ResponseCode::APPROVED)?.is_settled());
/// assert!(matches!(journal.get(id).unwrap().state, State::Reversed(_)));
/// # drop(journal);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Journal {
    path: PathBuf,
    config: JournalConfig,
    file: File,
    records: BTreeMap<TxnId, Record>,
    next_id: u64,
    recovery: Recovery,
    /// The header as last made durable.
    header: Header,
    /// Events appended after `header.len` without a sync (see [`Journal::sent`]), and
    /// their bytes.
    lazy_events: u64,
    lazy_bytes: u64,
    /// The file's length: the events, then zeros written ahead of them (see
    /// [`PREALLOCATE`]).
    allocated: u64,
    /// The transaction between `begin` and its outcome, if any.
    in_flight: Option<TxnId>,
    /// Why the last compaction failed, if it did (it is retried).
    compaction_error: Option<String>,
    _lock: FileLock,
}

/// The journal's first line: events ever recorded, the event count when the file was
/// last rewritten, and the durable length of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    seq: u64,
    base: u64,
    len: u64,
}

const HEADER_MAGIC: &str = "ISO8583-WIRE-JOURNAL";
/// `MAGIC 3 SEQ BASE LEN CRC\n` with 20-digit numbers: always this long, so it is
/// rewritten in place.
const HEADER_LEN: usize = 95;
/// The format written: 3 keeps no card data in clear (`B` and `X` events carry the
/// stored PAN token). Format 2 (and the first, without a header) stored the messages
/// whole; such journals are converted when opened.
const FORMAT: u8 = 3;

/// The journal file is extended with zeros this many bytes at a time, ahead of the
/// events: an event then overwrites blocks the file already has, and its
/// `fdatasync` has no file size or block allocation to record. Readers stop at the
/// zeros (a journal holds only text).
const PREALLOCATE: u64 = 64 * 1024;

impl Header {
    const EMPTY: Header = Header {
        seq: 0,
        base: 0,
        len: HEADER_LEN as u64,
    };

    fn encode(&self) -> String {
        let body = format!(
            "{HEADER_MAGIC} {FORMAT} {:020} {:020} {:020}",
            self.seq, self.base, self.len
        );
        format!("{body} {:08x}\n", crc32(body.as_bytes()))
    }

    /// The header and the format it announces.
    fn parse(line: &str) -> Result<(Header, u8), &'static str> {
        let (body, crc) = line.rsplit_once(' ').ok_or("header without checksum")?;
        let crc = u32::from_str_radix(crc, 16).map_err(|_| "header checksum is not hex")?;
        if crc != crc32(body.as_bytes()) {
            return Err("header checksum mismatch");
        }
        let mut parts = body.split(' ');
        if parts.next() != Some(HEADER_MAGIC) {
            return Err("not a journal header");
        }
        let format = match parts.next() {
            Some("2") => 2,
            Some("3") => FORMAT,
            _ => return Err("not a journal header of a known version"),
        };
        let mut num = || {
            parts
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or("header number is malformed")
        };
        let header = Header {
            seq: num()?,
            base: num()?,
            len: num()?,
        };
        if header.base > header.seq || header.len < HEADER_LEN as u64 {
            return Err("header numbers are inconsistent");
        }
        Ok((header, format))
    }
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("records", &self.records.len())
            .field("recovery", &self.recovery)
            .field("seq", &self.header.seq)
            .finish_non_exhaustive()
    }
}

/// One journal event.
#[derive(Debug, Clone)]
enum Event {
    /// Request and reversal as stored, and the PAN kept apart.
    Begin(Vec<u8>, Vec<u8>, StoredPan),
    Sent,
    NotSent,
    Response(HostResult, AfterApproval),
    Timeout(UnknownOutcome),
    MacFailure,
    InquirySent,
    /// The policy for a 25 is only used (and only written) with `None`.
    InquiryAnswer(Option<HostResult>, AfterApproval, NotFoundPolicy),
    InquiryTimeout(u32),
    ReversalSent,
    ReversalResponse(ResponseCode),
    /// Written by `open`: a crash left the transaction prepared or sent.
    Interrupted,
    Snapshot(Box<Record>),
}

impl Event {
    fn name(&self) -> &'static str {
        match self {
            Event::Begin(..) => "begin",
            Event::Sent => "sent",
            Event::NotSent => "not sent",
            Event::Response(..) => "response",
            Event::Timeout(_) => "timeout",
            Event::MacFailure => "MAC failure",
            Event::InquirySent => "inquiry sent",
            Event::InquiryAnswer(..) => "inquiry answer",
            Event::InquiryTimeout(_) => "inquiry timeout",
            Event::ReversalSent => "reversal sent",
            Event::ReversalResponse(_) => "reversal response",
            Event::Interrupted => "interrupted",
            Event::Snapshot(_) => "snapshot",
        }
    }
}

fn opt(s: Option<&str>) -> &str {
    match s {
        Some(v) if !v.is_empty() => v,
        _ => "-",
    }
}

fn result_fields(r: &HostResult) -> String {
    let rrn = r.rrn.map(|r| r.to_string());
    format!(
        "{} {} {}",
        r.code,
        opt(rrn.as_deref()),
        opt(r
            .auth_code
            .as_deref()
            .map(|a| hex::encode(a.as_bytes()))
            .as_deref())
    )
}

fn parse_result<'a>(parts: &mut impl Iterator<Item = &'a str>) -> Option<HostResult> {
    let code = ResponseCode::new(parts.next()?)?;
    let rrn = match parts.next()? {
        "-" => None,
        r => Some(r.parse().ok()?),
    };
    let auth_code = match parts.next()? {
        "-" => None,
        a => Some(String::from_utf8(hex::decode(a).ok()?).ok()?),
    };
    Some(HostResult {
        code,
        rrn,
        auth_code,
    })
}

fn approval_token(p: AfterApproval) -> &'static str {
    match p {
        AfterApproval::Reverse => "R",
        AfterApproval::Keep => "K",
    }
}

fn parse_approval(token: Option<&str>) -> Option<AfterApproval> {
    match token? {
        "R" => Some(AfterApproval::Reverse),
        "K" => Some(AfterApproval::Keep),
        _ => None,
    }
}

fn not_found_token(p: NotFoundPolicy) -> String {
    match p {
        NotFoundPolicy::Reverse => "R".to_owned(),
        NotFoundPolicy::Settle => "S".to_owned(),
        NotFoundPolicy::Reinquire { after, max } => {
            let ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
            format!("Q{ms}/{max}")
        }
    }
}

/// A missing token is the old form of the event, written when a 25 always settled.
fn parse_not_found(token: Option<&str>) -> Option<NotFoundPolicy> {
    match token {
        None => Some(NotFoundPolicy::Settle),
        Some("R") => Some(NotFoundPolicy::Reverse),
        Some("S") => Some(NotFoundPolicy::Settle),
        Some(t) => {
            let (ms, max) = t.strip_prefix('Q')?.split_once('/')?;
            Some(NotFoundPolicy::Reinquire {
                after: std::time::Duration::from_millis(ms.parse().ok()?),
                max: max.parse().ok()?,
            })
        }
    }
}

fn reason_text(r: &ReversalReason) -> String {
    format!("{}/{}", r.code, r.message_reason)
}

fn parse_reason(s: &str) -> Option<ReversalReason> {
    let (code, reason) = s.split_once('/')?;
    Some(ReversalReason {
        code: ResponseCode::new(code)?,
        message_reason: reason.parse().ok()?,
    })
}

fn encode_event(id: TxnId, e: &Event) -> String {
    let body = match e {
        Event::Begin(req, rev, pan) => format!(
            "B {} {} {} {}",
            id.0,
            hex::encode(req),
            hex::encode(rev),
            at_rest::encode_pan(pan)
        ),
        Event::Sent => format!("S {}", id.0),
        Event::NotSent => format!("N {}", id.0),
        Event::Response(r, p) => format!("R {} {} {}", id.0, result_fields(r), approval_token(*p)),
        Event::Timeout(u) => format!(
            "T {} {}",
            id.0,
            match u {
                UnknownOutcome::Inquire => "I",
                UnknownOutcome::Reverse => "R",
            }
        ),
        Event::MacFailure => format!("M {}", id.0),
        Event::InquirySent => format!("Q {}", id.0),
        Event::InquiryAnswer(Some(r), p, _) => {
            format!("I {} F {} {}", id.0, result_fields(r), approval_token(*p))
        }
        Event::InquiryAnswer(None, p, n) => format!(
            "I {} N {} {}",
            id.0,
            approval_token(*p),
            not_found_token(*n)
        ),
        Event::InquiryTimeout(max) => format!("U {} {max}", id.0),
        Event::ReversalSent => format!("V {}", id.0),
        Event::ReversalResponse(c) => format!("W {} {}", id.0, c),
        Event::Interrupted => format!("K {}", id.0),
        Event::Snapshot(r) => {
            let state = match &r.state {
                State::Prepared => "P".to_owned(),
                State::Sent => "S".to_owned(),
                State::NotSent => "N".to_owned(),
                State::Completed(h) => format!("C {}", result_fields(h)),
                State::Unknown => "U".to_owned(),
                State::Inquiring { attempts } => format!("Q {attempts}"),
                State::Reversing { reason, attempts } => {
                    format!("V {} {attempts}", reason_text(reason))
                }
                State::Reversed(c) => format!("W {c}"),
            };
            format!(
                "X {} {} {} {} {} {}",
                id.0,
                hex::encode(&r.request),
                hex::encode(&r.reversal),
                at_rest::encode_pan(&r.pan),
                u8::from(r.late_response),
                state
            )
        }
    };
    format!("{body} {:08x}\n", crc32(body.as_bytes()))
}

/// Decodes one event line; `legacy` for the formats before 3, whose `B` and `X`
/// events carry the messages whole and no PAN token.
fn decode_event(line: &str, legacy: bool) -> Result<(TxnId, Event), &'static str> {
    let (body, crc) = line.rsplit_once(' ').ok_or("no checksum")?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| "checksum is not hex")?;
    if crc != crc32(body.as_bytes()) {
        return Err("checksum mismatch");
    }
    let mut parts = body.split(' ');
    let kind = parts.next().ok_or("empty line")?;
    let id = TxnId(
        parts
            .next()
            .and_then(|i| i.parse().ok())
            .ok_or("bad transaction number")?,
    );
    let bad = "malformed event";
    let hex_part = |p: Option<&str>| p.and_then(|h| hex::decode(h).ok()).ok_or(bad);
    let pan_part = |parts: &mut std::str::Split<'_, char>| {
        if legacy {
            Ok(StoredPan::None)
        } else {
            parts.next().and_then(at_rest::decode_pan).ok_or(bad)
        }
    };
    let event = match kind {
        "B" => Event::Begin(
            hex_part(parts.next())?,
            hex_part(parts.next())?,
            pan_part(&mut parts)?,
        ),
        "S" => Event::Sent,
        "N" => Event::NotSent,
        "R" => {
            let r = parse_result(&mut parts).ok_or(bad)?;
            Event::Response(r, parse_approval(parts.next()).ok_or(bad)?)
        }
        "T" => Event::Timeout(match parts.next() {
            Some("I") => UnknownOutcome::Inquire,
            Some("R") => UnknownOutcome::Reverse,
            _ => return Err(bad),
        }),
        "M" => Event::MacFailure,
        "Q" => Event::InquirySent,
        "I" => match parts.next() {
            Some("F") => {
                let r = parse_result(&mut parts).ok_or(bad)?;
                Event::InquiryAnswer(
                    Some(r),
                    parse_approval(parts.next()).ok_or(bad)?,
                    NotFoundPolicy::Settle, // not used by a found answer
                )
            }
            Some("N") => Event::InquiryAnswer(
                None,
                parse_approval(parts.next()).ok_or(bad)?,
                parse_not_found(parts.next()).ok_or(bad)?,
            ),
            _ => return Err(bad),
        },
        "U" => Event::InquiryTimeout(parts.next().and_then(|m| m.parse().ok()).ok_or(bad)?),
        "V" => Event::ReversalSent,
        "W" => Event::ReversalResponse(parts.next().and_then(ResponseCode::new).ok_or(bad)?),
        "K" => Event::Interrupted,
        "X" => {
            let request = hex_part(parts.next())?;
            let reversal = hex_part(parts.next())?;
            let pan = pan_part(&mut parts)?;
            let late_response = parts.next() == Some("1");
            let state = match parts.next() {
                Some("P") => State::Prepared,
                Some("S") => State::Sent,
                Some("N") => State::NotSent,
                Some("C") => State::Completed(parse_result(&mut parts).ok_or(bad)?),
                Some("U") => State::Unknown,
                Some("Q") => State::Inquiring {
                    attempts: parts.next().and_then(|a| a.parse().ok()).ok_or(bad)?,
                },
                Some("V") => State::Reversing {
                    reason: parts.next().and_then(parse_reason).ok_or(bad)?,
                    attempts: parts.next().and_then(|a| a.parse().ok()).ok_or(bad)?,
                },
                Some("W") => State::Reversed(parts.next().and_then(ResponseCode::new).ok_or(bad)?),
                _ => return Err(bad),
            };
            Event::Snapshot(Box::new(Record {
                id,
                request,
                reversal,
                pan,
                state,
                late_response,
            }))
        }
        _ => return Err("unknown event"),
    };
    if parts.next().is_some() {
        return Err("unexpected data in event");
    }
    Ok((id, event))
}

/// The outcome of replaying journal bytes.
struct Replayed {
    records: BTreeMap<TxnId, Record>,
    next_id: u64,
    /// Event lines after the header.
    lines: usize,
    /// Bytes up to the last line end.
    complete: usize,
    /// Bytes before the zeros that end a preallocated file (all of them otherwise).
    content: usize,
    /// The header, `None` for a journal of the first format (no header).
    header: Option<Header>,
    /// A format before 3: the records hold the messages whole, card data included,
    /// and must be converted ([`protect_legacy`]).
    legacy: bool,
}

/// The bytes of a journal file before the zeros it is extended with ahead of its
/// events (see [`PREALLOCATE`]): its content.
fn content_len(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

/// A journal line without its line end.
fn line_of(raw: &str) -> &str {
    let line = raw.strip_suffix('\n').unwrap_or(raw);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Replays journal content: the header (if the file has one), then every complete line
/// must be a valid event that fits its transaction. Returns the line number and reason
/// of the first that is not.
fn replay(bytes: &[u8], config: &JournalConfig) -> Result<Replayed, (usize, &'static str)> {
    let content = content_len(bytes);
    let bytes = bytes.get(..content).unwrap_or(&[]);
    let mut complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text =
        std::str::from_utf8(bytes.get(..complete).unwrap_or(&[])).map_err(|_| (1, "not text"))?;
    let mut records = BTreeMap::new();
    let mut next_id = 1;
    let mut lines = 0;
    let mut all = text.split_inclusive('\n');
    // Byte offset of the line being read.
    let mut offset = 0;
    let (header, format) = if bytes.starts_with(HEADER_MAGIC.as_bytes()) {
        let first = all.next().ok_or((1, "header without line end"))?;
        let (h, format) = Header::parse(line_of(first)).map_err(|reason| (1, reason))?;
        offset = first.len();
        (Some(h), format)
    } else {
        (None, 1)
    };
    let legacy = format < FORMAT;
    let skip = usize::from(header.is_some());
    for (i, raw) in all.enumerate() {
        let i = i + skip;
        let (id, event) = match decode_event(line_of(raw), legacy) {
            Ok(decoded) => decoded,
            // Past the length last made durable, a damaged line is an append whose
            // sync never returned: its pages reached the disk in any order (the
            // file is extended with zeros ahead of its events), so part of it may
            // still be zeros. It and what follows are a torn tail, never acted on.
            Err(_) if header.is_some_and(|h| offset as u64 >= h.len) => {
                complete = offset;
                break;
            }
            Err(reason) => return Err((i + 1, reason)),
        };
        let mut slot = records.remove(&id);
        let applied = Journal::transition(config, &mut slot, id, &event);
        if let Some(r) = slot {
            records.insert(id, r);
        }
        applied.map_err(|_| (i + 1, "event does not fit the transaction"))?;
        next_id = next_id.max(
            id.0.checked_add(1)
                .ok_or((i + 1, "transaction number too large"))?,
        );
        lines += 1;
        offset += raw.len();
    }
    Ok(Replayed {
        records,
        next_id,
        lines,
        complete,
        content,
        header,
        legacy,
    })
}

/// Converts the records of a journal written before format 3: each request and
/// reversal stripped as [`Journal::begin`] does now, the PAN kept as `config` says.
/// Returns the transaction whose messages cannot be read, if one cannot.
fn protect_legacy(
    records: &mut BTreeMap<TxnId, Record>,
    config: &JournalConfig,
) -> Result<(), (TxnId, MessageFault)> {
    for r in records.values_mut() {
        let p = at_rest::protect(
            config.layout,
            &config.pan_at_rest,
            r.id.0,
            &r.request,
            &r.reversal,
        )
        .map_err(|e| (r.id, e))?;
        r.request = p.request;
        r.reversal = p.reversal;
        r.pan = p.pan;
    }
    Ok(())
}

/// Checks that the configured PAN key, if any, is one AES-GCM-SIV takes.
fn check_key_kind(path: &Path, config: &JournalConfig) -> Result<(), JournalError> {
    #[cfg(feature = "crypto")]
    if let PanAtRest::Encrypt(key) = &config.pan_at_rest {
        crate::security::aead::check_key(key).map_err(|e| JournalError::PanKey {
            path: path.to_path_buf(),
            reason: format!("the key for PANs at rest must be AES-128 or AES-256: {e}"),
        })?;
    }
    let _ = (path, config);
    Ok(())
}

/// Checks that the configured PAN key is the key of every PAN the journal holds
/// enciphered.
fn check_pan_key<'r>(
    path: &Path,
    config: &JournalConfig,
    records: impl Iterator<Item = &'r Record>,
) -> Result<(), JournalError> {
    let refuse = |reason: String| JournalError::PanKey {
        path: path.to_path_buf(),
        reason,
    };
    let configured = at_rest::configured_kcv(&config.pan_at_rest);
    for r in records {
        let StoredPan::Enciphered(e) = &r.pan else {
            continue;
        };
        let stored = e.key_check_value();
        match &configured {
            Some(kcv) if kcv.eq_ignore_ascii_case(stored) => {}
            Some(kcv) => {
                return Err(refuse(format!(
                    "transaction {} holds its PAN enciphered under the key with check \
                     value {stored}, not under the configured key (check value {kcv}): \
                     open the journal with the key it was written with",
                    r.id
                )));
            }
            None => {
                return Err(refuse(format!(
                    "transaction {} holds its PAN enciphered under the key with check \
                     value {stored}, and no key is configured: open the journal with \
                     PanAtRest::Encrypt and that key (feature crypto)",
                    r.id
                )));
            }
        }
    }
    Ok(())
}

/// Reads journal content without opening a file (for inspection tools): the
/// transactions it holds, or the line and reason of the first damaged event. An
/// unterminated last line is ignored, as [`Journal::open`] would cut it off. The
/// records of a journal of an older format are given as [`Journal::open`] would
/// convert them, so no card data is returned in clear.
///
/// # Errors
///
/// The line number and reason of the first damaged event.
pub fn inspect(bytes: &[u8], config: &JournalConfig) -> Result<Vec<Record>, (usize, &'static str)> {
    let mut r = replay(bytes, config)?;
    if r.legacy {
        protect_legacy(&mut r.records, config)
            .map_err(|_| (1, "a stored message cannot be decoded"))?;
    }
    Ok(r.records.into_values().collect())
}

impl Journal {
    /// Opens (or creates) the journal at `path` and replays it, holding its lock until
    /// the journal is dropped.
    ///
    /// # Errors
    ///
    /// [`JournalError::Locked`] when another handle owns it; [`JournalError::Truncated`]
    /// or [`JournalError::Emptied`] when records were lost (nothing is changed: see
    /// [`Journal::open_after_loss`]); [`JournalError::Corrupt`] for damage;
    /// [`JournalError::Io`].
    pub fn open(path: impl AsRef<Path>, config: JournalConfig) -> Result<Journal, JournalError> {
        Self::open_inner(path.as_ref(), config, false).map(|(j, _)| j)
    }

    /// Opens the journal like [`Journal::open`], accepting that records were lost: a
    /// truncated journal keeps what is left, an emptied one starts over. The report
    /// says what was lost and which transactions it may concern; the journal is
    /// rewritten with a fresh header, so the loss is reported once.
    ///
    /// # Errors
    ///
    /// As [`Journal::open`], but for the losses it accepts.
    pub fn open_after_loss(
        path: impl AsRef<Path>,
        config: JournalConfig,
    ) -> Result<(Journal, LossReport), JournalError> {
        Self::open_inner(path.as_ref(), config, true)
    }

    fn open_inner(
        path: &Path,
        config: JournalConfig,
        accept_loss: bool,
    ) -> Result<(Journal, LossReport), JournalError> {
        let path = path.to_path_buf();
        let io_err = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let lock = crate::durable::lock(&path, Duration::ZERO).map_err(|e| match e {
            LockError::Held => JournalError::Locked {
                path: path.clone(),
                lock: crate::durable::lock_path(&path),
            },
            LockError::Io(source) => io_err(source),
        })?;
        let mut loss = LossReport::default();
        let mut bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let header = Header::EMPTY.encode();
                crate::durable::create_file(&path, header.as_bytes()).map_err(io_err)?;
                header.into_bytes()
            }
            Err(e) => return Err(io_err(e)),
        };
        // Empty, only zeros, or cut inside the header: every record is gone.
        let content = content_len(&bytes);
        if content < HEADER_LEN
            && HEADER_MAGIC
                .as_bytes()
                .starts_with(bytes.get(..content.min(HEADER_MAGIC.len())).unwrap_or(&[]))
        {
            if !accept_loss {
                return Err(JournalError::Emptied { path });
            }
            loss.emptied = true;
            bytes = Header::EMPTY.encode().into_bytes();
        }
        check_key_kind(&path, &config)?;
        let mut replayed =
            replay(&bytes, &config).map_err(|(line, reason)| JournalError::Corrupt {
                path: path.clone(),
                line,
                reason,
            })?;
        if replayed.legacy {
            // Written before card data was kept out: converted now, and rewritten
            // below, so that the clear copies are gone from the file.
            protect_legacy(&mut replayed.records, &config)
                .map_err(|(id, fault)| JournalError::Message { id, fault })?;
        }
        check_pan_key(&path, &config, replayed.records.values())?;
        let complete = replayed.complete;
        let torn = replayed.content - complete;
        let lines = replayed.lines as u64;
        let mut unsynced = 0;
        let header = match replayed.header {
            Some(h) if h.len > complete as u64 => {
                let lost_events = (h.seq - h.base).saturating_sub(lines);
                if !accept_loss {
                    return Err(JournalError::Truncated {
                        path,
                        expected_len: h.len,
                        found_len: replayed.content as u64,
                        lost_events,
                    });
                }
                loss.lost_bytes = h.len - complete as u64;
                loss.lost_events = lost_events;
                Header {
                    seq: h.seq,
                    base: h.seq - lines.min(h.seq),
                    len: complete as u64,
                }
            }
            Some(h) => {
                unsynced = lines.saturating_sub(h.seq - h.base);
                Header {
                    seq: h.base + lines,
                    base: h.base,
                    len: complete as u64,
                }
            }
            // The first format had no header: it is rewritten with one below.
            None => Header {
                seq: lines,
                base: 0,
                len: complete as u64,
            },
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        let mut journal = Journal {
            path: path.clone(),
            config,
            file,
            records: replayed.records,
            next_id: replayed.next_id,
            recovery: Recovery::default(),
            header,
            in_flight: None,
            lazy_events: 0,
            lazy_bytes: 0,
            allocated: bytes.len() as u64,
            compaction_error: None,
            _lock: lock,
        };
        if replayed.header.is_none() || replayed.legacy || loss.is_loss() {
            // A fresh header (and an older format converted: no card data in clear),
            // so the loss is reported once and the file says where it ends.
            journal.rewrite()?;
        } else if torn > 0 || unsynced > 0 {
            // An append the crash interrupted: never acted on, so it is cut off; and
            // the header brought up to the events that made it.
            journal.file.set_len(complete as u64).map_err(io_err)?;
            journal.allocated = complete as u64;
            journal.write_header(journal.header).map_err(io_err)?;
            journal.file.sync_all().map_err(io_err)?;
        }
        // A crash left these with an unknown fate; say so durably, so that the steps
        // that follow replay the same way.
        let interrupted: Vec<TxnId> = journal
            .records
            .values()
            .filter(|r| matches!(r.state, State::Prepared | State::Sent))
            .map(|r| r.id)
            .collect();
        for id in &interrupted {
            journal.record(*id, Event::Interrupted)?;
        }
        journal.recovery = Recovery {
            torn_tail_bytes: torn,
            interrupted: interrupted.len(),
            unsynced_events: unsynced as usize,
        };
        if torn > 0 || !interrupted.is_empty() || unsynced > 0 {
            crate::event!(
                warn,
                torn_tail_bytes = torn,
                interrupted = interrupted.len(),
                unsynced_events = unsynced,
                "journal recovered after a crash"
            );
        }
        if loss.is_loss() {
            crate::event!(
                error,
                emptied = loss.emptied,
                lost_bytes = loss.lost_bytes,
                lost_events = loss.lost_events,
                "journal records were lost; opened after loss"
            );
        }
        if loss.is_loss() {
            loss.unsettled = journal
                .records
                .values()
                .filter(|r| !r.state.is_settled())
                .map(|r| r.id)
                .collect();
        }
        Ok((journal, loss))
    }

    /// Events recorded over the journal's life (compaction keeps counting): a journal
    /// restored from an older copy has fewer than the STAN state file noted (see
    /// [`crate::trace::FileStanSequence::note_journal`]).
    pub fn seq(&self) -> u64 {
        self.header.seq
    }

    /// The STAN of the newest transaction's request, if it has one: the last STAN the
    /// journal shows as used (see [`crate::trace::FileStanSequence::open_checked`]).
    pub fn last_stan(&self) -> Option<Stan> {
        self.records
            .values()
            .rev()
            .find_map(|r| r.stan(self.config.layout))
    }

    /// Why the last compaction failed, if it did; it is tried again at the next
    /// transaction.
    pub fn compaction_error(&self) -> Option<&str> {
        self.compaction_error.as_deref()
    }

    /// What `open` found: an interrupted append cut off, transactions whose fate the
    /// crash left unknown.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings.
    pub fn config(&self) -> &JournalConfig {
        &self.config
    }

    /// The newest transaction.
    pub fn last(&self) -> Option<&Record> {
        self.records.values().next_back()
    }

    /// A transaction.
    pub fn get(&self, id: TxnId) -> Option<&Record> {
        self.records.get(&id)
    }

    /// Every transaction kept, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.values()
    }

    /// What must happen next (for the oldest unsettled transaction).
    ///
    /// # Errors
    ///
    /// [`JournalError::Message`] when the stored reversal cannot be rebuilt,
    /// [`JournalError::PanKey`] or [`JournalError::PanUndecipherable`] when its PAN cannot
    /// be deciphered.
    pub fn pending(&self) -> Result<Action, JournalError> {
        let Some(r) = self.records.values().find(|r| !r.state.is_settled()) else {
            return Ok(Action::Nothing);
        };
        let inquire = Action::SendInquiry {
            id: r.id,
            original: r.request.clone(),
        };
        match &r.state {
            // Between `begin` and its outcome: the caller is still at it.
            State::Prepared | State::Sent if self.in_flight == Some(r.id) => Ok(Action::Nothing),
            // Left behind by a failed write: as after a crash, the fate is unknown.
            State::Prepared | State::Sent | State::Unknown
                if self.config.unknown_outcome == UnknownOutcome::Inquire =>
            {
                Ok(inquire)
            }
            State::Prepared | State::Sent | State::Unknown => {
                self.reversal_action(r, ReversalReason::NO_RESPONSE, 0)
            }
            State::Inquiring { attempts } if *attempts >= self.config.max_inquiries => {
                self.reversal_action(r, ReversalReason::NO_RESPONSE, 0)
            }
            State::Inquiring { .. } => Ok(inquire),
            State::Reversing { reason, attempts } => self.reversal_action(r, *reason, *attempts),
            State::NotSent | State::Completed(_) | State::Reversed(_) => Ok(Action::Nothing),
        }
    }

    fn reversal_action(
        &self,
        r: &Record,
        reason: ReversalReason,
        attempts: u32,
    ) -> Result<Action, JournalError> {
        let msg_err = |fault: MessageFault| JournalError::Message { id: r.id, fault };
        // The PAN kept enciphered goes back into field 2; never a fallback without it.
        let restored = at_rest::restore_pan(
            self.config.layout,
            &self.config.pan_at_rest,
            r.id.0,
            &r.pan,
            &r.reversal,
        )
        .map_err(|e| match e {
            RestoreError::Undecipherable | RestoreError::NoKey => {
                JournalError::PanUndecipherable(r.id)
            }
            RestoreError::Message(fault) => JournalError::Message { id: r.id, fault },
        })?;
        let prepared = self
            .config
            .layout
            .decode(restored.as_deref().unwrap_or(&r.reversal))
            .map_err(|e| msg_err(MessageFault::Reversal(e)))?;
        let message = exchange::finalize_reversal(&prepared, &reason, attempts > 0)
            .map_err(|e: ExchangeError| msg_err(MessageFault::Finish(e)))?;
        Ok(Action::SendReversal {
            id: r.id,
            message,
            reason,
        })
    }

    /// Records a new transaction and its prepared reversal, durably, before the request
    /// is sent. Refused while a reversal or inquiry is pending.
    ///
    /// What is written is not the messages whole: the request is reduced to what an
    /// inquiry needs, the reversal loses its track data, PIN block and sensitive EMV
    /// tags, and its PAN is kept as [`JournalConfig::pan_at_rest`] says (see the
    /// module documentation, "Card data at rest").
    ///
    /// # Errors
    ///
    /// [`JournalError::PendingAction`] while a reversal or inquiry is pending,
    /// [`JournalError::Message`] when the request or reversal does not decode,
    /// [`JournalError::Io`] when the record could not be made durable (then nothing was
    /// recorded).
    pub fn begin(&mut self, request: &[u8], reversal: &[u8]) -> Result<TxnId, JournalError> {
        if let Some(r) = self.records.values().find(|r| !r.state.is_settled()) {
            return Err(JournalError::PendingAction(r.id));
        }
        for (is_request, bytes) in [(true, request), (false, reversal)] {
            self.config
                .layout
                .decode(bytes)
                .map_err(|e| JournalError::Message {
                    id: TxnId(self.next_id),
                    fault: if is_request {
                        MessageFault::Request(e)
                    } else {
                        MessageFault::Reversal(e)
                    },
                })?;
        }
        let id = TxnId(self.next_id);
        let stored = at_rest::protect(
            self.config.layout,
            &self.config.pan_at_rest,
            id.0,
            request,
            reversal,
        )
        .map_err(|fault| JournalError::Message { id, fault })?;
        self.record(
            id,
            Event::Begin(stored.request, stored.reversal, stored.pan),
        )?;
        self.in_flight = Some(id);
        // The transaction is durable: a failed compaction must not say otherwise. It
        // is tried again at the next transaction.
        self.compaction_error = self.compact_if_needed().err().map(|e| e.to_string());
        Ok(id)
    }

    /// The request went on the wire. Written without an `fdatasync` of its own (a
    /// purchase costs two: `begin` and its outcome): after a crash a transaction that
    /// was prepared and one that was sent are settled the same way.
    ///
    /// # Errors
    ///
    /// [`JournalError::WrongState`] or [`JournalError::UnknownTransaction`] when the step
    /// does not fit; [`JournalError::Io`] when it could not be written.
    pub fn sent(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.record(id, Event::Sent)
    }

    /// The connection was never made: the request did not leave; the reversal is
    /// dropped.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn not_sent(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.record(id, Event::NotSent)
    }

    /// The response arrived. Returns the new state.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn response(&mut self, id: TxnId, result: HostResult) -> Result<&State, JournalError> {
        self.record(id, Event::Response(result, self.config.after_approval))?;
        self.state(id)
    }

    /// No response in time.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn timeout(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.record(id, Event::Timeout(self.config.unknown_outcome))
    }

    /// The response failed its MAC check: reverse with reason A0.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn mac_failure(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.record(id, Event::MacFailure)
    }

    /// An inquiry about `id` is about to be sent.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn inquiry_sent(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.give_up_waiting(id)?;
        self.record(id, Event::InquirySent)
    }

    /// Records that a transaction still prepared or sent (left so by a failed write)
    /// lost its outcome, before its inquiry or reversal is recorded.
    fn give_up_waiting(&mut self, id: TxnId) -> Result<(), JournalError> {
        let waiting = self
            .records
            .get(&id)
            .is_some_and(|r| matches!(r.state, State::Prepared | State::Sent));
        if waiting {
            self.record(id, Event::Interrupted)?;
        }
        Ok(())
    }

    /// The inquiry was answered: `None` when the host never saw the original (25),
    /// which [`JournalConfig::not_found`] decides (see [`NotFoundPolicy`]).
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn inquiry_answer(
        &mut self,
        id: TxnId,
        answer: Option<HostResult>,
    ) -> Result<&State, JournalError> {
        let event = Event::InquiryAnswer(answer, self.config.after_approval, self.config.not_found);
        self.record(id, event)?;
        self.state(id)
    }

    /// The inquiry went unanswered.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn inquiry_timeout(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.record(id, Event::InquiryTimeout(self.config.max_inquiries))
    }

    /// A reversal for `id` is about to be sent.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn reversal_sent(&mut self, id: TxnId) -> Result<(), JournalError> {
        self.give_up_waiting(id)?;
        self.record(id, Event::ReversalSent)
    }

    /// The reversal was answered.
    ///
    /// # Errors
    ///
    /// As [`Journal::sent`].
    pub fn reversal_response(
        &mut self,
        id: TxnId,
        code: ResponseCode,
    ) -> Result<&State, JournalError> {
        self.record(id, Event::ReversalResponse(code))?;
        self.state(id)
    }

    fn state(&self, id: TxnId) -> Result<&State, JournalError> {
        self.records
            .get(&id)
            .map(|r| &r.state)
            .ok_or(JournalError::UnknownTransaction(id))
    }

    /// Checks, persists, then applies an event. On a failed write or sync the file is
    /// rolled back and re-read, so memory holds what is durable.
    fn record(&mut self, id: TxnId, event: Event) -> Result<(), JournalError> {
        // Dry run on a copy first: a refused event is never written.
        let mut probe = self.records.get(&id).cloned();
        Self::transition(&self.config, &mut probe, id, &event)?;
        let line = encode_event(id, &event);
        let before = self.header;
        let end = before.len + self.lazy_bytes;
        // `sent` is written without a sync: replay treats a transaction that is
        // prepared and one that is sent alike, so losing it loses nothing. It becomes
        // durable with the next event's sync.
        let lazy = matches!(event, Event::Sent);
        let written = if lazy {
            self.make_room(end, end + line.len() as u64).and_then(|()| {
                at(Point::Write, || {
                    self.file.seek(SeekFrom::Start(end))?;
                    self.file.write_all(line.as_bytes())
                })
            })
        } else {
            let after = Header {
                seq: before.seq + self.lazy_events + 1,
                base: before.base,
                len: end + line.len() as u64,
            };
            self.append(end, line.as_bytes(), after).map(|()| {
                self.header = after;
                self.lazy_events = 0;
                self.lazy_bytes = 0;
            })
        };
        if let Err(e) = written {
            crate::event!(error, txn = %id, error = %e, "journal write failed; rolled back");
            self.in_flight = None;
            self.roll_back(before, end);
            return Err(JournalError::Io {
                path: self.path.clone(),
                source: e,
            });
        }
        if lazy {
            self.lazy_events += 1;
            self.lazy_bytes += line.len() as u64;
        }
        if !matches!(event, Event::Begin(..) | Event::Sent) {
            // The transaction left the caller's hands (answered, timed out, ...).
            if self.in_flight == Some(id) {
                self.in_flight = None;
            }
        }
        self.apply(id, &event)
    }

    /// Writes `line` at `at`, then the header, then one `fdatasync` for both.
    fn append(&mut self, at_len: u64, line: &[u8], header: Header) -> io::Result<()> {
        self.make_room(at_len, at_len + line.len() as u64)?;
        at(Point::Write, || {
            self.file.seek(SeekFrom::Start(at_len))?;
            self.file.write_all(line)
        })?;
        at(Point::Write, || self.write_header(header))?;
        at(Point::Sync, || self.file.sync_data())
    }

    /// Before an event is written at `start..end`: extends the file with zeros (a
    /// [`PREALLOCATE`] block past `end`) when `end` is beyond it, never over the events
    /// before `start`. Made durable with the event that needed it.
    fn make_room(&mut self, start: u64, end: u64) -> io::Result<()> {
        if end <= self.allocated {
            return Ok(());
        }
        let target = (end + PREALLOCATE).next_multiple_of(4096);
        let from = self.allocated.max(start);
        let filled = at(Point::Write, || {
            self.file.seek(SeekFrom::Start(from))?;
            let zeros = [0u8; 4096];
            let mut at_len = from;
            while at_len < target {
                let n = (target - at_len).min(zeros.len() as u64) as usize;
                self.file.write_all(zeros.get(..n).unwrap_or(&[]))?;
                at_len += n as u64;
            }
            Ok(())
        });
        match filled {
            Ok(()) => {
                self.allocated = target;
                Ok(())
            }
            // No room ahead (a nearly full disk): what was written of the zeros is cut
            // off and the event is appended without them.
            Err(e) => match self.file.set_len(from) {
                Ok(()) => {
                    self.allocated = from;
                    Ok(())
                }
                Err(_) => Err(e),
            },
        }
    }

    /// Rewrites the header in place.
    fn write_header(&mut self, header: Header) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(header.encode().as_bytes())
    }

    /// After a failed append: cut the file back to `end` (where the append began),
    /// restore the header `before`, and re-read it, so that memory matches what is on
    /// disk.
    fn roll_back(&mut self, before: Header, end: u64) {
        // Whatever the zero extension wrote is cut off with the failed event.
        self.allocated = self.allocated.min(end);
        let restored = self
            .file
            .set_len(end)
            .and_then(|()| self.write_header(before))
            .and_then(|()| self.file.sync_data());
        if restored.is_ok() {
            self.header = before;
        }
        self.reload();
    }

    /// Re-reads the file and adopts what it holds (when it can be read and replayed).
    fn reload(&mut self) {
        let mut bytes = Vec::new();
        let read = self
            .file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_to_end(&mut bytes));
        if read.is_err() {
            return;
        }
        self.allocated = bytes.len() as u64;
        if let Ok(r) = replay(&bytes, &self.config) {
            let lines = r.lines as u64;
            self.records = r.records;
            self.next_id = self.next_id.max(r.next_id);
            if let Some(h) = r.header {
                self.header = Header {
                    seq: h.base + lines,
                    base: h.base,
                    len: r.complete as u64,
                };
                self.lazy_events = 0;
                self.lazy_bytes = 0;
            }
        }
    }

    fn apply(&mut self, id: TxnId, event: &Event) -> Result<(), JournalError> {
        let mut slot = self.records.remove(&id);
        let result = Self::transition(&self.config, &mut slot, id, event);
        if let Some(r) = slot {
            self.records.insert(id, r);
        }
        if result.is_ok() {
            self.next_id = self.next_id.max(id.0.saturating_add(1));
        }
        result
    }

    /// The state machine shared by live recording and replay.
    fn transition(
        config: &JournalConfig,
        slot: &mut Option<Record>,
        id: TxnId,
        event: &Event,
    ) -> Result<(), JournalError> {
        if let Event::Begin(req, rev, pan) = event {
            if slot.is_some() {
                return Err(JournalError::WrongState {
                    id,
                    event: "begin",
                    state: "existing",
                });
            }
            *slot = Some(Record {
                id,
                request: req.clone(),
                reversal: rev.clone(),
                pan: pan.clone(),
                state: State::Prepared,
                late_response: false,
            });
            return Ok(());
        }
        if let Event::Snapshot(r) = event {
            *slot = Some((**r).clone());
            return Ok(());
        }
        let r = slot.as_mut().ok_or(JournalError::UnknownTransaction(id))?;
        let wrong = |r: &Record| JournalError::WrongState {
            id,
            event: event.name(),
            state: r.state.name(),
        };
        // Decisions depend on the policy in force when the event was recorded (kept in
        // the event), never on the configuration of a later replay.
        let _ = config;
        let approved_lost = |result: &HostResult, policy: AfterApproval| -> State {
            if result.code.is_approved() && policy == AfterApproval::Reverse {
                State::Reversing {
                    reason: ReversalReason::NO_RESPONSE,
                    attempts: 0,
                }
            } else {
                State::Completed(result.clone())
            }
        };
        let next = match (&r.state, event) {
            (State::Prepared, Event::Sent) => State::Sent,
            (State::Prepared | State::Sent, Event::NotSent) => State::NotSent,
            (State::Prepared | State::Sent, Event::Response(h, _)) => State::Completed(h.clone()),
            (State::Prepared | State::Sent, Event::Timeout(outcome)) => match outcome {
                UnknownOutcome::Inquire => State::Unknown,
                UnknownOutcome::Reverse => State::Reversing {
                    reason: ReversalReason::NO_RESPONSE,
                    attempts: 0,
                },
            },
            (State::Prepared | State::Sent, Event::Interrupted) => State::Unknown,
            (State::Prepared | State::Sent, Event::MacFailure) => State::Reversing {
                reason: ReversalReason::MAC_FAILURE,
                attempts: 0,
            },
            // A response after the terminal gave up answers the question an inquiry
            // would have asked.
            (State::Unknown | State::Inquiring { .. }, Event::Response(h, policy)) => {
                r.late_response = true;
                approved_lost(h, *policy)
            }
            // A late decline before any reversal went out: nothing moved, nothing to
            // reverse (an A0 reversal stays: that answer was not trusted).
            (
                State::Reversing {
                    reason,
                    attempts: 0,
                },
                Event::Response(h, _),
            ) if !h.code.is_approved() && *reason != ReversalReason::MAC_FAILURE => {
                r.late_response = true;
                State::Completed(h.clone())
            }
            (State::Reversing { .. } | State::Reversed(_), Event::Response(..)) => {
                r.late_response = true;
                r.state.clone()
            }
            (State::Unknown, Event::InquirySent) => State::Inquiring { attempts: 1 },
            (State::Inquiring { attempts }, Event::InquirySent) => State::Inquiring {
                attempts: attempts.saturating_add(1),
            },
            // Not found (25): the host may not have processed the original yet.
            (State::Unknown | State::Inquiring { .. }, Event::InquiryAnswer(None, _, policy)) => {
                let sent = match r.state {
                    State::Inquiring { attempts } => attempts,
                    _ => 0,
                };
                match policy {
                    NotFoundPolicy::Settle => State::Completed(HostResult {
                        code: ResponseCode::UNABLE_TO_LOCATE,
                        rrn: None,
                        auth_code: None,
                    }),
                    NotFoundPolicy::Reinquire { max, .. } if sent < *max => r.state.clone(),
                    NotFoundPolicy::Reinquire { .. } | NotFoundPolicy::Reverse => {
                        State::Reversing {
                            reason: ReversalReason::NO_RESPONSE,
                            attempts: 0,
                        }
                    }
                }
            }
            (
                State::Unknown | State::Inquiring { .. },
                Event::InquiryAnswer(Some(h), policy, _),
            ) => approved_lost(h, *policy),
            (State::Inquiring { attempts }, Event::InquiryTimeout(max)) => {
                if attempts >= max {
                    State::Reversing {
                        reason: ReversalReason::NO_RESPONSE,
                        attempts: 0,
                    }
                } else {
                    State::Inquiring {
                        attempts: *attempts,
                    }
                }
            }
            (State::Unknown | State::Inquiring { .. }, Event::ReversalSent) => State::Reversing {
                reason: ReversalReason::NO_RESPONSE,
                attempts: 1,
            },
            (State::Reversing { reason, attempts }, Event::ReversalSent) => State::Reversing {
                reason: *reason,
                attempts: attempts.saturating_add(1),
            },
            (State::Reversing { reason, attempts }, Event::ReversalResponse(code)) => {
                if code.settles_reversal() {
                    State::Reversed(*code)
                } else {
                    State::Reversing {
                        reason: *reason,
                        attempts: *attempts,
                    }
                }
            }
            _ => return Err(wrong(r)),
        };
        r.state = next;
        Ok(())
    }

    fn compact_if_needed(&mut self) -> Result<(), JournalError> {
        let max = self.config.max_records;
        if self.records.len() <= max {
            return Ok(());
        }
        // Down to three quarters of the maximum, so the rewrite is not repeated at
        // every transaction.
        let keep = (max - max / 4).max(1);
        let newest = self.records.keys().next_back().copied();
        let excess = self.records.len().saturating_sub(keep);
        let drop: Vec<TxnId> = self
            .records
            .values()
            .filter(|r| r.state.is_settled() && Some(r.id) != newest)
            .take(excess)
            .map(|r| r.id)
            .collect();
        if drop.is_empty() {
            return Ok(());
        }
        for id in &drop {
            self.records.remove(id);
        }
        self.rewrite()
    }

    /// Rewrites the file atomically: a fresh header, then one snapshot per transaction.
    /// Whatever happens, the handle is reopened and the file re-read, so memory holds
    /// what the name now points at.
    fn rewrite(&mut self) -> Result<(), JournalError> {
        let mut body = String::new();
        for r in self.records.values() {
            body.push_str(&encode_event(r.id, &Event::Snapshot(Box::new(r.clone()))));
        }
        let lines = self.records.len() as u64;
        let header = Header {
            seq: self.header.seq.max(lines),
            base: self.header.seq.max(lines) - lines,
            len: (HEADER_LEN + body.len()) as u64,
        };
        let mut text = header.encode();
        text.push_str(&body);
        let path = self.path.clone();
        let io_err = move |source| JournalError::Io { path, source };
        let replaced = replace_file(&self.path, text.as_bytes());
        self.file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(file) => file,
            Err(e) => return Err(io_err(e)),
        };
        if replaced.is_ok() {
            // The file holds exactly what memory does.
            self.allocated = text.len() as u64;
            self.header = header;
            self.lazy_events = 0;
            self.lazy_bytes = 0;
        } else {
            // Whichever file is in place now, memory is made to match it.
            self.reload();
        }
        replaced.map_err(io_err)
    }
}

impl HostResult {
    /// The result a decoded response carries (39, 37, 38).
    pub fn of(msg: &crate::Message<'_>) -> Option<HostResult> {
        Some(HostResult {
            code: ResponseCode::of(msg)?,
            rrn: msg.rrn().ok(),
            auth_code: msg
                .field(38)
                .and_then(|f| f.as_str())
                .map(|s| s.trim_end().to_owned())
                .filter(|s| !s.is_empty()),
        })
    }
}

use std::boxed::Box;
use std::string::ToString;
