//! Terminal-side transaction safety (feature `std`): the write-ahead journal, the
//! terminal driver that settles lost responses with last-transaction inquiries and
//! reversals, blocking transports, and an in-memory host ledger.
//!
//! The usual terminal loop:
//!
//! 1. [`Terminal::purchase`] first settles anything pending (a reversal or inquiry left
//!    by a lost response or a crash), then journals the 0200 *and* its prepared 0400
//!    before sending.
//! 2. When the response does not come, the journal decides: inquire
//!    ([`crate::exchange::inquiry_for`]) and, if the host approved or cannot be asked,
//!    reverse.
//! 3. After a crash, [`Journal::open`] replays the file; [`Journal::pending`] (and
//!    [`Terminal::settle_pending`]) carry on where the crash stopped.

pub mod host;
pub mod journal;
pub mod terminal;
pub mod transport;

pub use host::{HostLedger, MemoryLedger};
pub use journal::{
    Action, Journal, JournalConfig, JournalError, NotFoundPolicy, Record, State, TxnId,
};
pub use terminal::{Purchase, PurchaseOutcome, Terminal, TerminalError};
pub use transport::{
    Connection, PersistentConnection, PersistentTcpTransport, TcpTransport, Transport,
};
