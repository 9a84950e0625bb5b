//! A terminal driver: purchases with a write-ahead journal, and the inquiries and
//! reversals that settle a transaction whose response was lost.

use std::boxed::Box;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, io};

use crate::exchange::{
    self, InquiryAnswer, InquiryConfig, ResponseCode, ReversalKind, ReversalReason,
};
use crate::fields::Stan;
use crate::message::Message;
use crate::pos::journal::{
    Action, HostResult, Journal, JournalError, NotFoundPolicy, State, TxnId,
};
use crate::pos::transport::{Connection, Transport};
use crate::trace::{Clock, FileStanSequence, SequenceError, StanSequence, SystemClock};

/// Why the terminal could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TerminalError {
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The STAN sequence failed.
    #[error(transparent)]
    Stan(#[from] SequenceError),
    /// A message could not be built.
    #[error("cannot build a message: {0}")]
    Build(String),
    /// A reversal or inquiry is still pending after trying to send it: the host is
    /// unreachable; no new transaction may start.
    #[error("transaction {0} is still pending; the host did not answer")]
    StillPending(TxnId),
}

/// What happened to a purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurchaseOutcome {
    /// The host answered (approved or declined).
    Answered(HostResult),
    /// The connection was never made: nothing was sent.
    NotSent,
    /// No answer in time; the journal settles it (see [`Terminal::settle_pending`],
    /// which `purchase` calls at once). The final state is given.
    Unresolved(State),
}

/// One step taken while settling a pending transaction. `Debug` shows message sizes
/// only; print the messages with [`one_line`], which masks card data.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// An inquiry was sent about a transaction; the answer, if any.
    Inquiry {
        /// The transaction.
        id: TxnId,
        /// The inquiry message sent.
        sent: Vec<u8>,
        /// The response received.
        received: Option<Vec<u8>>,
    },
    /// A reversal was sent; the response, if any.
    Reversal {
        /// The transaction.
        id: TxnId,
        /// The reversal message sent.
        sent: Vec<u8>,
        /// The response received.
        received: Option<Vec<u8>>,
    },
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, id, sent, received) = match self {
            Step::Inquiry { id, sent, received } => ("Inquiry", id, sent, received),
            Step::Reversal { id, sent, received } => ("Reversal", id, sent, received),
        };
        f.debug_struct(kind)
            .field("id", id)
            .field("sent_len", &sent.len())
            .field("received_len", &received.as_ref().map(Vec::len))
            .finish()
    }
}

/// A check a response must pass before it is believed (e.g. its MAC).
type ResponseCheck = Box<dyn Fn(&[u8]) -> bool + Send>;

/// What turns an outgoing message into the bytes sent (e.g. adds its MAC).
type Signer = Box<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send>;

/// A purchase to make.
#[derive(Clone, Copy)]
pub struct Purchase<'p> {
    /// PAN (field 2).
    pub pan: &'p str,
    /// Expiry `YYMM` (field 14).
    pub expiry: &'p str,
    /// Amount in minor units (field 4).
    pub amount: u64,
    /// Currency code (field 49).
    pub currency: &'p str,
}

impl std::fmt::Debug for Purchase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Purchase")
            .field("pan_len", &self.pan.len())
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// A terminal: journal, durable STANs, a transport to the host.
///
/// ```
/// use std::{cell::RefCell, collections::VecDeque, io, rc::Rc};
/// use iso8583_wire::layouts::ISO87_ASCII;
/// use iso8583_wire::pos::{Connection, HostLedger, JournalConfig, MemoryLedger, Purchase,
///     PurchaseOutcome, StateOptions, Terminal, Transport, open_state};
///
/// // An in-process host, for the example: each request is answered at once.
/// struct Direct(Rc<RefCell<MemoryLedger>>);
/// struct Conn(Rc<RefCell<MemoryLedger>>, VecDeque<Vec<u8>>);
/// impl Transport for Direct {
///     type Conn = Conn;
///     fn connect(&mut self) -> io::Result<Conn> { Ok(Conn(self.0.clone(), VecDeque::new())) }
/// }
/// impl Connection for Conn {
///     fn send(&mut self, m: &[u8]) -> io::Result<()> {
///         let reply = self.0.borrow_mut().handle(m).map_err(|e| io::Error::other(e.to_string()))?;
///         self.1.push_back(reply);
///         Ok(())
///     }
///     fn receive(&mut self) -> io::Result<Option<Vec<u8>>> { Ok(self.1.pop_front()) }
/// }
///
/// let dir = std::env::temp_dir().join(format!("terminal-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// # let _ = std::fs::remove_file(dir.join("journal.log")); let _ = std::fs::remove_file(dir.join("stan.state"));
/// let (journal, stans, _) = open_state(dir.join("journal.log"), dir.join("stan.state"),
///     JournalConfig::new(&ISO87_ASCII), StateOptions::new(10))?;
/// let host = Rc::new(RefCell::new(MemoryLedger::new(&ISO87_ASCII)));
/// let mut terminal = Terminal::new(journal, stans, Direct(host), "TERM0001", "MERCHANT0000001", &[]);
/// let card = Purchase { pan: "4761739001010119", expiry: "2512", amount: 1500, currency: "840" };
/// let (_, outcome) = terminal.purchase(&card)?;
/// assert!(matches!(outcome, PurchaseOutcome::Answered(r) if r.code.is_approved()));
/// # drop(terminal);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Terminal<T: Transport> {
    journal: Journal,
    stans: FileStanSequence,
    transport: T,
    terminal_id: String,
    merchant_id: String,
    header: Vec<u8>,
    inquiry: InquiryConfig,
    clock: Box<dyn Clock + Send>,
    verify: Option<ResponseCheck>,
    sign: Option<Signer>,
    /// Messages sent and received, for callers that print the exchange.
    pub trace: Vec<(bool, Vec<u8>)>,
}

impl<T: Transport> Terminal<T> {
    /// A terminal with ids for fields 41 and 42, the header its layout needs (empty for
    /// most), the system clock and the default inquiry processing code.
    pub fn new(
        journal: Journal,
        stans: FileStanSequence,
        transport: T,
        terminal_id: &str,
        merchant_id: &str,
        header: &[u8],
    ) -> Self {
        Terminal {
            journal,
            stans,
            transport,
            terminal_id: terminal_id.to_string(),
            merchant_id: merchant_id.to_string(),
            header: header.to_vec(),
            inquiry: InquiryConfig::default(),
            clock: Box::new(SystemClock),
            verify: None,
            sign: None,
            trace: Vec::new(),
        }
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: impl Clock + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Checks each financial response before it is believed (typically its MAC); a
    /// response that fails is recorded as a MAC failure and reversed with reason A0.
    pub fn with_response_check(mut self, verify: impl Fn(&[u8]) -> bool + Send + 'static) -> Self {
        self.verify = Some(Box::new(verify));
        self
    }

    /// MACs every message the terminal sends (field 64, or 128 with a secondary
    /// bitmap) and checks the MAC of every response before believing it: a response
    /// whose MAC fails is reversed with reason A0 (feature `crypto`).
    ///
    /// ```no_run
    /// # use iso8583_wire::pos::{Journal, JournalConfig, TcpTransport, Terminal};
    /// # use iso8583_wire::trace::FileStanSequence;
    /// # use iso8583_wire::layouts::ISO87_ASCII;
    /// use iso8583_wire::security::{Key, mac::MacAlgorithm};
    /// # fn run(journal: Journal, stans: FileStanSequence, transport: TcpTransport) -> Result<(), Box<dyn std::error::Error>> {
    /// let mak = Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210")?;
    /// let terminal = Terminal::new(journal, stans, transport, "TERM0001", "MERCHANT0000001", &[])
    ///     .with_mac(MacAlgorithm::ANSI_X9_19, mak);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "crypto")]
    pub fn with_mac(
        mut self,
        algorithm: crate::security::mac::MacAlgorithm,
        key: crate::security::Key,
    ) -> Self {
        let layout = self.journal.config().layout;
        let signing = key.clone();
        self.sign = Some(Box::new(move |message: &[u8]| {
            let msg = layout.decode(message).ok()?;
            let mut b = crate::MessageBuilder::from_message(&msg);
            b.to_bytes_with_mac(algorithm, &signing).ok()
        }));
        self.verify = Some(Box::new(move |reply: &[u8]| {
            layout
                .decode(reply)
                .is_ok_and(|m| m.verify_mac(algorithm, &key).is_ok())
        }));
        self
    }

    /// The bytes to send for `message`: signed when a signer is set.
    fn outgoing(&self, message: &[u8]) -> Vec<u8> {
        self.sign
            .as_ref()
            .and_then(|sign| sign(message))
            .unwrap_or_else(|| message.to_vec())
    }

    /// Replaces the inquiry settings.
    pub fn with_inquiry(mut self, inquiry: InquiryConfig) -> Self {
        self.inquiry = inquiry;
        self
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The journal, for recording what arrives outside the driver (a late response
    /// read on another connection, a MAC failure found by the caller).
    pub fn journal_mut(&mut self) -> &mut Journal {
        &mut self.journal
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the parts back.
    pub fn into_parts(self) -> (Journal, FileStanSequence, T) {
        (self.journal, self.stans, self.transport)
    }

    fn build_err(e: impl std::fmt::Display) -> TerminalError {
        TerminalError::Build(e.to_string())
    }

    /// The 0200 for `p` with `stan`.
    fn purchase_request(&self, p: &Purchase<'_>, stan: Stan) -> Result<Vec<u8>, TerminalError> {
        let request = exchange::FinancialRequest {
            pan: p.pan,
            processing_code: "000000",
            amount: p.amount,
            stan,
            at: self.clock.now(),
            expiry: p.expiry,
            entry_mode: "012",
            terminal_id: &self.terminal_id,
            merchant_id: &self.merchant_id,
            currency: p.currency,
            header: &self.header,
        };
        exchange::financial_request(self.journal.config().layout, &request).map_err(Self::build_err)
    }

    /// Whether `reply` answers `request`: the response MTI of the request, its STAN
    /// and its terminal id (field 41). A late 0210 must not be taken for the 0410 of
    /// its reversal, nor for the 0210 of an inquiry.
    fn answers(request: &Message<'_>, reply: &Message<'_>) -> bool {
        let same_41 = match (request.field(41), reply.field(41)) {
            (Some(a), Some(b)) => a.value_eq(&b),
            (None, None) => true,
            _ => false,
        };
        request.mti().response().ok() == Some(reply.mti())
            && request.stan().is_ok()
            && request.stan().ok() == reply.stan().ok()
            && same_41
    }

    /// A response that is not the one awaited: if it answers the request of a
    /// transaction the terminal gave up waiting for (its fate unknown, being asked
    /// about, being reversed or reversed), it is recorded as that transaction's late
    /// response ([`Journal::response`]); anything else is ignored. A response that
    /// fails the response check is not believed.
    fn note_late(&mut self, reply: &[u8]) -> Result<(), TerminalError> {
        let layout = self.journal.config().layout;
        let Ok(m) = layout.decode(reply) else {
            return Ok(());
        };
        if m.stan().is_err() {
            return Ok(());
        }
        let owner = self
            .journal
            .records()
            .filter(|r| {
                matches!(
                    r.state,
                    State::Unknown
                        | State::Inquiring { .. }
                        | State::Reversing { .. }
                        | State::Reversed(_)
                )
            })
            .filter(|r| {
                layout
                    .decode(&r.request)
                    .is_ok_and(|req| Self::answers(&req, &m))
            })
            .map(|r| r.id)
            .last();
        let (Some(id), Some(result)) = (owner, HostResult::of(&m)) else {
            return Ok(());
        };
        if self.verify.as_ref().is_some_and(|verify| !verify(reply)) {
            return Ok(());
        }
        self.journal.response(id, result.clone())?;
        if result.code == ResponseCode::DUPLICATE_TRANSMISSION {
            self.stans.skip(100)?;
        }
        Ok(())
    }

    /// Sends `message` (on a new connection, or the one the transport keeps) and waits
    /// for its answer (see [`Self::answers`]); late responses of earlier transactions
    /// that arrive meanwhile are recorded. `Err` when the connection could not be made.
    fn round_trip(&mut self, message: &[u8]) -> Result<io::Result<Option<Vec<u8>>>, TerminalError> {
        let mut conn = match self.transport.connect() {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let wire = self.outgoing(message);
        self.trace.push((true, wire.clone()));
        if conn.send(&wire).is_err() {
            return Ok(Ok(None));
        }
        let layout = self.journal.config().layout;
        // A peer sending unrelated messages must not keep the terminal waiting.
        for _ in 0..16 {
            let Some(reply) = conn.receive().unwrap_or(None) else {
                return Ok(Ok(None));
            };
            self.trace.push((false, reply.clone()));
            let matches = match (layout.decode(message), layout.decode(&reply)) {
                (Ok(request), Ok(answer)) => Self::answers(&request, &answer),
                _ => false,
            };
            if matches {
                return Ok(Ok(Some(reply)));
            }
            self.note_late(&reply)?;
        }
        Ok(Ok(None))
    }

    /// Whether `id` is still waiting for an inquiry's answer (a late response read
    /// meanwhile may have settled the question).
    fn still_inquiring(&self, id: TxnId) -> bool {
        self.journal
            .get(id)
            .is_some_and(|r| matches!(r.state, State::Unknown | State::Inquiring { .. }))
    }

    /// Runs every pending action (inquiries, reversals) until nothing is pending or the
    /// host stops answering. Returns the steps taken.
    ///
    /// # Errors
    ///
    /// [`TerminalError::StillPending`] when the host does not answer an inquiry or
    /// reversal, [`TerminalError::Journal`] or [`TerminalError::Stan`] when the durable
    /// state fails, [`TerminalError::Build`] when a message cannot be built.
    pub fn settle_pending(&mut self) -> Result<Vec<Step>, TerminalError> {
        let mut steps = Vec::new();
        let layout = self.journal.config().layout;
        loop {
            match self.journal.pending()? {
                Action::Nothing => return Ok(steps),
                Action::SendInquiry { id, original } => {
                    let original = layout.decode(&original).map_err(Self::build_err)?;
                    self.stans.note_journal(self.journal.seq());
                    let stan = self.stans.next_stan()?;
                    let inquiry =
                        exchange::inquiry_for(&original, stan, self.clock.now(), &self.inquiry)
                            .map_err(Self::build_err)?;
                    self.journal.inquiry_sent(id)?;
                    crate::event!(info, txn = %id, stan = %stan, "inquiry sent");
                    let reply = self.round_trip(&inquiry)?.unwrap_or(None);
                    steps.push(Step::Inquiry {
                        id,
                        sent: inquiry,
                        received: reply.clone(),
                    });
                    if !self.still_inquiring(id) {
                        // The original's own response came late and was recorded.
                        continue;
                    }
                    let answer = reply.as_deref().and_then(|r| {
                        let m = layout.decode(r).ok()?;
                        Some(match exchange::inquiry_result(&m)? {
                            InquiryAnswer::NotFound => None,
                            InquiryAnswer::Found { .. } => HostResult::of(&m),
                        })
                    });
                    match answer {
                        Some(a) => {
                            let not_found = a.is_none();
                            crate::event!(
                                info,
                                txn = %id,
                                code = %a.as_ref().map_or("25", |r| r.code.as_str()),
                                "inquiry answered"
                            );
                            self.journal.inquiry_answer(id, a)?;
                            if let (true, NotFoundPolicy::Reinquire { after, .. }) =
                                (not_found, self.journal.config().not_found)
                                && self.still_inquiring(id)
                            {
                                // The host may not have processed the original yet.
                                std::thread::sleep(after);
                            }
                        }
                        None => {
                            crate::event!(warn, txn = %id, "inquiry unanswered");
                            self.journal.inquiry_timeout(id)?;
                            if !matches!(self.journal.pending()?, Action::SendReversal { .. }) {
                                return Err(TerminalError::StillPending(id));
                            }
                        }
                    }
                }
                Action::SendReversal {
                    id,
                    message,
                    reason,
                } => {
                    self.journal.reversal_sent(id)?;
                    crate::event!(info, txn = %id, reason = %reason.code, "reversal sent");
                    let _ = reason;
                    let reply = self.round_trip(&message)?.unwrap_or(None);
                    steps.push(Step::Reversal {
                        id,
                        sent: message,
                        received: reply.clone(),
                    });
                    let code = reply
                        .as_deref()
                        .and_then(|r| layout.decode(r).ok().and_then(|m| ResponseCode::of(&m)));
                    match code {
                        Some(code) => {
                            crate::event!(info, txn = %id, code = %code, "reversal answered");
                            let settled = self.journal.reversal_response(id, code)?.is_settled();
                            if !settled {
                                return Err(TerminalError::StillPending(id));
                            }
                        }
                        None => return Err(TerminalError::StillPending(id)),
                    }
                }
            }
        }
    }

    /// Makes a purchase: settles anything pending first, journals the request and its
    /// reversal, sends, and records the outcome. A lost response is settled at once
    /// (inquiry, then reversal if need be) when the host answers.
    ///
    /// # Errors
    ///
    /// As [`Terminal::settle_pending`] for what was pending, then the same errors for the
    /// purchase itself; a purchase the host did not answer is not an error but
    /// [`PurchaseOutcome::Unresolved`].
    pub fn purchase(
        &mut self,
        p: &Purchase<'_>,
    ) -> Result<(TxnId, PurchaseOutcome), TerminalError> {
        self.settle_pending()?;
        let layout = self.journal.config().layout;
        self.stans.note_journal(self.journal.seq());
        let stan = self.stans.next_stan()?;
        let request = self.purchase_request(p, stan)?;
        let decoded = layout.decode(&request).map_err(Self::build_err)?;
        let reversal =
            exchange::reversal_for(&decoded, &ReversalReason::OTHER, ReversalKind::Request)
                .map_err(Self::build_err)?;
        let id = self.journal.begin(&request, &reversal)?;
        let mut conn = match self.transport.connect() {
            Ok(c) => c,
            Err(_) => {
                self.journal.not_sent(id)?;
                return Ok((id, PurchaseOutcome::NotSent));
            }
        };
        let wire = self.outgoing(&request);
        self.trace.push((true, wire.clone()));
        if conn.send(&wire).is_ok() {
            self.journal.sent(id)?;
            crate::event!(info, txn = %id, stan = %stan, "request sent");
            let mut unrelated = 0;
            while let Ok(Some(reply)) = conn.receive() {
                unrelated += 1;
                if unrelated > 16 {
                    break;
                }
                self.trace.push((false, reply.clone()));
                let Ok(m) = layout.decode(&reply) else {
                    continue;
                };
                if !Self::answers(&decoded, &m) {
                    self.note_late(&reply)?;
                    continue;
                }
                if let Some(result) = HostResult::of(&m) {
                    if let Some(verify) = &self.verify
                        && !verify(&reply)
                    {
                        // The answer cannot be trusted (MAC): reverse with A0.
                        crate::event!(warn, txn = %id, stan = %stan, "response failed its check (MAC)");
                        self.journal.mac_failure(id)?;
                        drop(conn);
                        return self.unresolved(id);
                    }
                    // Record the answer first: a crash after it must not lose a 94.
                    self.journal.response(id, result.clone())?;
                    crate::event!(info, txn = %id, stan = %stan, code = %result.code, "response");
                    if result.code == ResponseCode::DUPLICATE_TRANSMISSION {
                        // The host has seen this STAN: jump the sequence forward.
                        self.stans.skip(100)?;
                    }
                    return Ok((id, PurchaseOutcome::Answered(result)));
                }
            }
        }
        crate::event!(warn, txn = %id, stan = %stan, "no response in time");
        self.journal.timeout(id)?;
        drop(conn);
        self.unresolved(id)
    }

    /// Settles what can be settled now and reports where `id` stands.
    fn unresolved(&mut self, id: TxnId) -> Result<(TxnId, PurchaseOutcome), TerminalError> {
        let state = match self.settle_pending() {
            Ok(_) | Err(TerminalError::StillPending(_)) => self
                .journal
                .get(id)
                .map(|r| r.state.clone())
                .ok_or(JournalError::UnknownTransaction(id))?,
            Err(e) => return Err(e),
        };
        Ok((id, PurchaseOutcome::Unresolved(state)))
    }

    /// A decoded view of a traced message (for printing).
    pub fn decode<'m>(&self, bytes: &'m [u8]) -> Option<Message<'m>> {
        self.journal.config().layout.decode(bytes).ok()
    }
}

impl<T: Transport> std::fmt::Debug for Terminal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("terminal_id", &self.terminal_id)
            .field("journal", &self.journal.path())
            .finish_non_exhaustive()
    }
}

/// Formats a traced message in one line with sensitive fields masked.
pub fn one_line(layout: &crate::spec::MessageSpec<'_>, bytes: &[u8]) -> String {
    match layout.decode(bytes) {
        Ok(m) => {
            let mut s = format!("{}", m.mti());
            for f in m.fields() {
                s.push_str(&format!(" {}={}", f.number(), f));
            }
            s
        }
        Err(e) => format!("<undecodable: {e}>"),
    }
}
