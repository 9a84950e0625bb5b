//! Terminal-side transaction safety (feature `std`): the write-ahead journal, the
//! terminal driver that settles lost responses with last-transaction inquiries and
//! reversals, blocking transports, and an in-memory host ledger.
//!
//! The usual terminal loop:
//!
//! 1. [`Terminal::purchase`] first settles anything pending (a reversal or inquiry left
//!    by a lost response or a crash), then journals the 0200 *and* its prepared 0400
//!    before sending: both without track data, PIN block or PAN in clear (see
//!    [`journal`], "Card data at rest", and [`PanAtRest`]).
//! 2. When the response does not come, the journal decides: inquire
//!    ([`crate::exchange::inquiry_for`]) and, if the host approved or cannot be asked,
//!    reverse.
//! 3. After a crash, [`Journal::open`] replays the file; [`Journal::pending`] (and
//!    [`Terminal::settle_pending`]) carry on where the crash stopped.
//!
//! # An inquiry answered 25 ("not found")
//!
//! A host that processes requests concurrently can answer the inquiry before it
//! processes the purchase the inquiry is about (sent earlier, still queued), and then
//! approve that purchase. Settling on 25 would leave the money taken and the sale not
//! completed. [`JournalConfig::not_found`] decides ([`NotFoundPolicy`]):
//!
//! * [`NotFoundPolicy::Reverse`] (default): reverse anyway, reason 98. If the host
//!   never saw the purchase it answers the 0400 with 25, which settles the reversal;
//!   a host must then refuse the purchase should it arrive after its reversal, as
//!   [`MemoryLedger`] does.
//! * [`NotFoundPolicy::Reinquire`]: wait, ask again, up to a number of inquiries, then
//!   reverse. Needs no help from the host when the wait is longer than the host's
//!   longest processing time.
//! * [`NotFoundPolicy::Settle`]: settle as completed with 25 (the former behaviour);
//!   safe only with a host that processes each terminal's requests in order.
//!
//! The journal records the policy with the answer, so a replay decides the same way.
//!
//! # Late responses
//!
//! [`TcpTransport`] opens a connection per exchange: a response that comes after the
//! terminal stopped waiting is lost with its connection. [`PersistentTcpTransport`]
//! keeps one connection (and replaces it when it fails), so a late response is read
//! during a later exchange. The terminal matches every response to its request by
//! response MTI, STAN and field 41; one that answers a transaction it gave up on is
//! recorded with [`Journal::response`] (the record's `late_response` is set): a late
//! decline before any reversal settles the transaction, a late approval is reversed
//! (or kept, per [`journal::AfterApproval`]), and a reversal already made stays.

mod at_rest;
pub mod host;
pub mod journal;
pub mod state;
pub mod terminal;
pub mod transport;

pub use host::{HostLedger, MemoryLedger};
pub use journal::{
    Action, Journal, JournalConfig, JournalError, LossReport, NotFoundPolicy, PanAtRest, Record,
    State, StoredPan, TxnId,
};
pub use state::{StateOptions, StateReport, open_state};
pub use terminal::{Purchase, PurchaseOutcome, Terminal, TerminalError};
pub use transport::{
    Connection, PersistentConnection, PersistentTcpTransport, TcpTransport, Transport,
};
