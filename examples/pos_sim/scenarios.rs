//! The `pos_sim` scenarios: a terminal and a host over TCP on 127.0.0.1, each scenario
//! returning its verdict. Shared by the example and the integration tests.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use iso8583_wire::exchange::ResponseCode;
use iso8583_wire::frame::{Framing, LengthHeader};
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::journal::{AfterApproval, HostResult, State};
use iso8583_wire::pos::terminal::one_line;
use iso8583_wire::pos::transport::TcpConnection;
use iso8583_wire::pos::{
    Connection, HostLedger, Journal, JournalConfig, MemoryLedger, NotFoundPolicy,
    PersistentTcpTransport, Purchase, PurchaseOutcome, TcpTransport, Terminal, Transport,
};
use iso8583_wire::security::Key;
use iso8583_wire::security::mac::MacAlgorithm;
use iso8583_wire::trace::{FileStanSequence, StanSequence};
use iso8583_wire::{Message, MessageBuilder};

/// What the simulated host does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// Process and answer.
    Normal,
    /// Process, never answer (the response is lost).
    DropResponse,
    /// Neither process nor answer (the request is lost).
    Ignore,
    /// Process, answer after this delay (too late).
    Delay(Duration),
    /// Process, then answer with one byte of the response changed in transit (after
    /// the host MACed it).
    Tamper,
}

/// The host side of the simulation.
pub struct SimHost {
    pub addr: SocketAddr,
    pub ledger: Arc<Mutex<MemoryLedger>>,
    directives: Arc<Mutex<Vec<Directive>>>,
    /// Every response the host produced, answered or not.
    pub produced: Arc<Mutex<Vec<Vec<u8>>>>,
    /// The key the host MACs its responses with, if any.
    pub mac_key: Arc<Mutex<Option<Key>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

pub const FRAMING: Framing = Framing::new(LengthHeader::Binary2);

impl SimHost {
    pub fn start() -> std::io::Result<SimHost> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
        let directives: Arc<Mutex<Vec<Directive>>> = Arc::new(Mutex::new(Vec::new()));
        let produced = Arc::new(Mutex::new(Vec::new()));
        let mac_key: Arc<Mutex<Option<Key>>> = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, d, p, s, k) = (
            ledger.clone(),
            directives.clone(),
            produced.clone(),
            stop.clone(),
            mac_key.clone(),
        );
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let (l, d, p, k) = (l.clone(), d.clone(), p.clone(), k.clone());
                        std::thread::spawn(move || serve(stream, l, d, p, k));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Ok(SimHost {
            addr,
            ledger,
            directives,
            produced,
            mac_key,
            stop,
            thread: Some(thread),
        })
    }

    /// Queues directives for the next requests (then `Normal`).
    pub fn expect(&self, directives: &[Directive]) {
        let mut d = self.directives.lock().unwrap_or_else(|e| e.into_inner());
        d.extend(directives.iter().rev());
    }
}

impl Drop for SimHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: std::net::TcpStream,
    ledger: Arc<Mutex<MemoryLedger>>,
    directives: Arc<Mutex<Vec<Directive>>>,
    produced: Arc<Mutex<Vec<Vec<u8>>>>,
    mac_key: Arc<Mutex<Option<Key>>>,
) {
    let mut conn = TcpConnection::from_stream(stream, FRAMING, Duration::from_secs(5));
    while let Ok(Some(request)) = conn.receive() {
        let directive = directives
            .lock()
            .map(|mut d| d.pop())
            .ok()
            .flatten()
            .unwrap_or(Directive::Normal);
        if directive == Directive::Ignore {
            continue;
        }
        let Ok(response) = ledger
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .handle(&request)
        else {
            continue;
        };
        // A host with a MAC key signs what it sends (field 64).
        let key = mac_key.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let response = match key {
            Some(key) => ISO87_ASCII
                .decode(&response)
                .ok()
                .and_then(|m| {
                    MessageBuilder::from_message(&m)
                        .to_bytes_with_mac(MacAlgorithm::ANSI_X9_19, &key)
                        .ok()
                })
                .unwrap_or(response),
            None => response,
        };
        produced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(response.clone());
        match directive {
            Directive::Normal => {
                if conn.send(&response).is_err() {
                    return;
                }
            }
            Directive::Delay(d) => {
                std::thread::sleep(d);
                let _ = conn.send(&response);
            }
            Directive::Tamper => {
                // The approval code's last digit changed on the way.
                let mut bad = response.clone();
                if let Some(b) = bad.len().checked_sub(20).and_then(|i| bad.get_mut(i)) {
                    *b ^= 0x01;
                }
                if conn.send(&bad).is_err() {
                    return;
                }
            }
            Directive::DropResponse | Directive::Ignore => {}
        }
    }
}

/// A terminal's files in a fresh temporary directory.
pub struct TermFiles {
    pub dir: PathBuf,
}

impl TermFiles {
    pub fn new(name: &str) -> TermFiles {
        let dir = std::env::temp_dir().join(format!("pos-sim-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        TermFiles { dir }
    }
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.log")
    }
    pub fn stan(&self) -> PathBuf {
        self.dir.join("stan.state")
    }
}

impl Drop for TermFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn terminal(
    host: &SimHost,
    files: &TermFiles,
    config: JournalConfig,
) -> Result<Terminal<TcpTransport>, String> {
    let transport = TcpTransport {
        addr: host.addr,
        framing: FRAMING,
        timeout: Duration::from_millis(300),
    };
    terminal_on(transport, files, config)
}

/// A terminal that keeps one connection to the host.
pub fn persistent_terminal(
    host: &SimHost,
    files: &TermFiles,
    config: JournalConfig,
) -> Result<Terminal<PersistentTcpTransport>, String> {
    let transport = PersistentTcpTransport::new(host.addr, FRAMING, Duration::from_millis(300));
    terminal_on(transport, files, config)
}

fn terminal_on<T: Transport>(
    transport: T,
    files: &TermFiles,
    config: JournalConfig,
) -> Result<Terminal<T>, String> {
    let journal = Journal::open(files.journal(), config).map_err(|e| e.to_string())?;
    let stans = FileStanSequence::open_or_create(files.stan(), 10).map_err(|e| e.to_string())?;
    Ok(Terminal::new(
        journal,
        stans,
        transport,
        "TERM0001",
        "MERCHANT0000001",
        &[],
    ))
}

/// A host and a terminal on fresh files, or the verdict explaining why not.
fn setup(
    name: &'static str,
    config: JournalConfig,
) -> Result<(SimHost, TermFiles, Terminal<TcpTransport>), Verdict> {
    let host =
        SimHost::start().map_err(|e| verdict::<TcpTransport>(name, None, Err(e.to_string())))?;
    let files = TermFiles::new(name);
    let t =
        terminal(&host, &files, config).map_err(|e| verdict::<TcpTransport>(name, None, Err(e)))?;
    Ok((host, files, t))
}

pub const CARD: Purchase<'static> = Purchase {
    pan: "4111111111111111",
    expiry: "2712",
    amount: 1500,
    currency: "840",
};

/// A scenario's verdict.
pub struct Verdict {
    pub name: &'static str,
    pub pass: bool,
    pub what: String,
    /// The messages exchanged, one masked line each (`>` sent, `<` received).
    pub log: Vec<String>,
}

fn log_of<T: Transport>(t: &Terminal<T>) -> Vec<String> {
    t.trace
        .iter()
        .map(|(out, bytes)| {
            format!(
                "{} {}",
                if *out { ">" } else { "<" },
                one_line(&ISO87_ASCII, bytes)
            )
        })
        .collect()
}

fn verdict<T: Transport>(
    name: &'static str,
    t: Option<&Terminal<T>>,
    result: Result<(bool, String), String>,
) -> Verdict {
    let log = t.map(log_of).unwrap_or_default();
    match result {
        Ok((pass, what)) => Verdict {
            name,
            pass,
            what,
            log,
        },
        Err(e) => Verdict {
            name,
            pass: false,
            what: format!("error: {e}"),
            log,
        },
    }
}

/// The messages the terminal sent, decoded.
fn sent<T: Transport>(t: &Terminal<T>) -> impl Iterator<Item = Message<'_>> {
    t.trace
        .iter()
        .filter(|(out, _)| *out)
        .filter_map(|(_, b)| ISO87_ASCII.decode(b).ok())
}

fn mtis<T: Transport>(t: &Terminal<T>) -> Vec<String> {
    sent(t).map(|m| m.mti().to_string()).collect()
}

/// The reason code (field 39) of the first reversal the terminal sent.
fn reversal_reason<T: Transport>(t: &Terminal<T>) -> Option<String> {
    sent(t)
        .find(|m| m.mti().is_reversal())
        .and_then(|m| m.field(39).and_then(|f| f.as_str().map(str::to_string)))
}

/// Scenario 1: A normal purchase: approved, settled, nothing to reverse.
pub fn normal_purchase() -> Verdict {
    let name = "normal_purchase";
    let (host, _files, t) = match setup(name, JournalConfig::new(&ISO87_ASCII)) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut t = t;
    let r = t
        .purchase(&CARD)
        .map_err(|e| e.to_string())
        .map(|(id, outcome)| {
            let state = t.journal().get(id).map(|r| r.state.clone());
            let approved = matches!(&outcome, PurchaseOutcome::Answered(h) if h.code.is_approved());
            let settled = matches!(state, Some(State::Completed(_)));
            let one_entry = host
                .ledger
                .lock()
                .map(|l| l.entries().len() == 1)
                .unwrap_or(false);
            (
                approved && settled && one_entry,
                format!(
                    "approved, journal {}",
                    state.map_or("?".into(), |s| s.to_string())
                ),
            )
        });
    verdict(name, Some(&t), r)
}

/// Scenario 2: The response is lost; the inquiry learns the host approved; by the default
/// policy the terminal reverses (it never completed the sale).
pub fn lost_response_approved() -> Verdict {
    lost_response_approved_with(
        AfterApproval::Reverse,
        "response_lost_inquiry_approved_reversed",
    )
}

/// Scenario 2b: The same with the policy that keeps approvals learned from an inquiry.
pub fn lost_response_approved_kept() -> Verdict {
    lost_response_approved_with(AfterApproval::Keep, "response_lost_inquiry_approved_kept")
}

fn lost_response_approved_with(policy: AfterApproval, name: &'static str) -> Verdict {
    let mut config = JournalConfig::new(&ISO87_ASCII);
    config.after_approval = policy;
    let (host, _files, t) = match setup(name, config) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut t = t;
    host.expect(&[Directive::DropResponse]);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).map(|(id, _)| {
        let state = t.journal().get(id).map(|r| r.state.clone());
        let ledger = host.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let entry = ledger.entries().values().next().cloned();
        let sent = mtis(&t);
        let pass = match policy {
            AfterApproval::Reverse => {
                matches!(state, Some(State::Reversed(_)))
                    && entry
                        .as_ref()
                        .is_some_and(|e| e.reversed && e.reversals_applied == 1)
                    && sent == ["0200", "0200", "0400"]
            }
            AfterApproval::Keep => {
                matches!(&state, Some(State::Completed(h)) if h.code.is_approved())
                    && entry.as_ref().is_some_and(|e| !e.reversed)
                    && sent == ["0200", "0200"]
            }
            _ => false,
        };
        (
            pass,
            format!(
                "sent {}, journal {}",
                sent.join(" "),
                state.map_or("?".into(), |s| s.to_string())
            ),
        )
    });
    verdict(name, Some(&t), r)
}

/// Scenario 3: The request is lost: the host never saw it; the inquiry gets 25. The
/// host may only not have processed it *yet*, so by default the terminal reverses; the
/// host answers 25 (settled) and remembers the reversal.
pub fn lost_request_not_found() -> Verdict {
    lost_request_not_found_with(NotFoundPolicy::Reverse, "request_lost_inquiry_25_reversed")
}

/// Scenario 3b: The same with the policy that settles at once on 25 (safe only with a
/// host that processes requests in order).
pub fn lost_request_not_found_settled() -> Verdict {
    lost_request_not_found_with(NotFoundPolicy::Settle, "request_lost_inquiry_25_settled")
}

fn lost_request_not_found_with(policy: NotFoundPolicy, name: &'static str) -> Verdict {
    let mut config = JournalConfig::new(&ISO87_ASCII);
    config.not_found = policy;
    let (host, _files, t) = match setup(name, config) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut t = t;
    host.expect(&[Directive::Ignore]);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).map(|(id, _)| {
        let state = t.journal().get(id).map(|r| r.state.clone());
        let sent = mtis(&t);
        let ledger = host.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let empty = ledger.entries().is_empty();
        let orphans = ledger.orphan_reversals().len();
        let pass = match policy {
            NotFoundPolicy::Settle => {
                matches!(&state, Some(State::Completed(h)) if h.code == ResponseCode::UNABLE_TO_LOCATE)
                    && sent == ["0200", "0200"]
                    && orphans == 0
            }
            _ => {
                matches!(&state, Some(State::Reversed(c)) if *c == ResponseCode::UNABLE_TO_LOCATE)
                    && sent == ["0200", "0200", "0400"]
                    && orphans == 1
            }
        } && empty;
        (
            pass,
            format!(
                "sent {}, journal {}, host remembers {orphans} reversal(s) of unseen originals",
                sent.join(" "),
                state.map_or("?".into(), |s| s.to_string())
            ),
        )
    });
    verdict(name, Some(&t), r)
}

/// Scenario 4: The terminal crashes after sending (before recording the answer); after the
/// restart the journal's pending action (inquiry, then reversal) goes out before the
/// next purchase.
pub fn crash_after_sending() -> Verdict {
    let name = "crash_after_sending";
    let (host, files) = match SimHost::start() {
        Ok(h) => (h, TermFiles::new(name)),
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e.to_string())),
    };
    let first = match crash_midway(&host, &files) {
        Ok(id) => id,
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e)),
    };
    // Restart: a new terminal on the same files.
    let mut t = match terminal(&host, &files, JournalConfig::new(&ISO87_ASCII)) {
        Ok(t) => t,
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e)),
    };
    let interrupted = t.journal().recovery().interrupted;
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).map(|(id, outcome)| {
        let first_state = t.journal().get(first).map(|r| r.state.clone());
        let sent = mtis(&t);
        let ledger = host.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let reversed_once = ledger.entries().values().filter(|e| e.reversed).count() == 1
            && ledger.entries().values().all(|e| e.reversals_applied <= 1);
        let pass = interrupted == 1
            && matches!(first_state, Some(State::Reversed(_)))
            && sent == ["0200", "0400", "0200"]
            && reversed_once
            && id != first
            && matches!(&outcome, PurchaseOutcome::Answered(h) if h.code.is_approved());
        (
            pass,
            format!(
                "restart found {interrupted} interrupted; sent {} (pending settled first), first {}",
                sent.join(" "),
                first_state.map_or("?".into(), |s| s.to_string())
            ),
        )
    });
    verdict(name, Some(&t), r)
}

/// Track 2 of the card the hand-made purchase is read from (magnetic stripe).
pub const TRACK2: &str = "4111111111111111=27122017531902468";
/// Its discretionary data: must never reach the journal.
pub const TRACK2_DISCRETIONARY: &str = "7531902468";
/// The enciphered PIN block of the hand-made purchase.
pub const PIN_BLOCK: [u8; 8] = [0x5C, 0x1E, 0x9A, 0x47, 0x20, 0xB3, 0x6D, 0x81];

/// Journals and sends a purchase by hand (with track 2 and a PIN block), then
/// "crashes" (drops everything) before the answer is recorded. The host processes
/// and answers it.
fn crash_midway(host: &SimHost, files: &TermFiles) -> Result<iso8583_wire::pos::TxnId, String> {
    crash_midway_with(host, files, JournalConfig::new(&ISO87_ASCII))
}

fn crash_midway_with(
    host: &SimHost,
    files: &TermFiles,
    config: JournalConfig,
) -> Result<iso8583_wire::pos::TxnId, String> {
    use iso8583_wire::exchange::{self, ReversalKind, ReversalReason};
    use iso8583_wire::pos::Transport;
    let mut journal = Journal::open(files.journal(), config).map_err(|e| e.to_string())?;
    let stans = FileStanSequence::open_or_create(files.stan(), 10).map_err(|e| e.to_string())?;
    let stan = stans.next_stan().map_err(|e| e.to_string())?;
    let mut b = iso8583_wire::MessageBuilder::new(
        &ISO87_ASCII,
        iso8583_wire::Mti::new(200).map_err(|e| e.to_string())?,
    );
    b.set(2, CARD.pan)
        .and_then(|b| b.set(3, "000000"))
        .and_then(|b| b.set(4, CARD.amount))
        .and_then(|b| b.set_stan(stan))
        .and_then(|b| b.set(7, 315_143_015u64))
        .and_then(|b| b.set(14, CARD.expiry))
        .and_then(|b| b.set(35, TRACK2))
        .and_then(|b| b.set(41, "TERM0001"))
        .and_then(|b| b.set(42, "MERCHANT0000001"))
        .and_then(|b| b.set(49, "840"))
        .and_then(|b| b.set(52, &PIN_BLOCK))
        .map_err(|e| e.to_string())?;
    let request = b.to_bytes().map_err(|e| e.to_string())?.to_vec();
    let decoded = ISO87_ASCII.decode(&request).map_err(|e| e.to_string())?;
    let reversal = exchange::reversal_for(&decoded, &ReversalReason::OTHER, ReversalKind::Request)
        .map_err(|e| e.to_string())?;
    let id = journal
        .begin(&request, &reversal)
        .map_err(|e| e.to_string())?;
    let mut transport = TcpTransport {
        addr: host.addr,
        framing: FRAMING,
        timeout: Duration::from_millis(300),
    };
    let mut conn = transport.connect().map_err(|e| e.to_string())?;
    conn.send(&request).map_err(|e| e.to_string())?;
    journal.sent(id).map_err(|e| e.to_string())?;
    // The host answers, but the terminal dies before reading it.
    let _ = conn.receive();
    drop(journal);
    Ok(id)
}

/// Scenario 5: The response comes after the terminal gave up and reversed: it is recorded as
/// late and does not undo the reversal.
pub fn late_response_after_reversal() -> Verdict {
    let name = "late_response_after_reversal";
    let mut config = JournalConfig::new(&ISO87_ASCII);
    config.unknown_outcome = iso8583_wire::pos::journal::UnknownOutcome::Reverse;
    let (host, _files, t) = match setup(name, config) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut t = t;
    host.expect(&[Directive::Delay(Duration::from_millis(600))]);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).and_then(|(id, _)| {
        // The late 0210 the host produced reaches the terminal now.
        std::thread::sleep(Duration::from_millis(400));
        let late = host.produced.lock().map_err(|e| e.to_string())?.first().cloned().ok_or("no response produced")?;
        t.trace.push((false, late.clone()));
        let late_msg = ISO87_ASCII.decode(&late).map_err(|e| e.to_string())?;
        let result = HostResult::of(&late_msg).ok_or("late response without 39")?;
        let state = t.journal().get(id).map(|r| r.state.clone());
        let after = t.journal_mut().response(id, result).map_err(|e| e.to_string())?.clone();
        let late_flag = t.journal().get(id).is_some_and(|r| r.late_response);
        let ledger = host.ledger.lock().map_err(|e| e.to_string())?;
        let applied_once = ledger.entries().values().all(|e| e.reversals_applied == 1);
        let pass = matches!(state, Some(State::Reversed(_))) && matches!(after, State::Reversed(_)) && late_flag && applied_once;
        Ok((pass, format!("reversed before the late 0210 arrived; journal stays {after}, late response noted")))
    });
    verdict(name, Some(&t), r)
}

/// Scenario 6: the response fails the terminal's MAC check; the terminal does not
/// believe it and reverses with reason A0.
pub fn bad_mac_reversed() -> Verdict {
    let name = "bad_mac_reversed_a0";
    let (host, _files, t) = match setup(name, JournalConfig::new(&ISO87_ASCII)) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let mut t = t.with_response_check(|_| false);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).map(|(id, _)| {
        let state = t.journal().get(id).map(|r| r.state.clone());
        let reason = reversal_reason(&t);
        let reversed = host
            .ledger
            .lock()
            .map(|l| l.entries().values().all(|e| e.reversed))
            .unwrap_or(false);
        let pass = matches!(state, Some(State::Reversed(_)))
            && reason.as_deref() == Some("A0")
            && reversed;
        (
            pass,
            format!(
                "response not trusted; reversal reason {reason:?}, journal {}",
                state.map_or("?".into(), |s| s.to_string())
            ),
        )
    });
    verdict(name, Some(&t), r)
}

/// Scenario 6b: the host MACs its responses (ANSI X9.19, field 64) and the terminal
/// checks them with the same key; one response is changed in transit: its MAC fails,
/// so the terminal reverses it with reason A0, and the next purchase goes through.
pub fn tampered_response_reversed() -> Verdict {
    let name = "mac_tampered_response_reversed_a0";
    let (host, _files, t) = match setup(name, JournalConfig::new(&ISO87_ASCII)) {
        Ok(s) => s,
        Err(v) => return v,
    };
    let key = match Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210") {
        Ok(k) => k,
        Err(e) => return verdict(name, Some(&t), Err(e.to_string())),
    };
    *host.mac_key.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
    let mut t = t.with_mac(MacAlgorithm::ANSI_X9_19, key);
    host.expect(&[Directive::Tamper]);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).and_then(|(id, _)| {
        let state = t.journal().get(id).map(|r| r.state.clone());
        let reason = reversal_reason(&t);
        let signed = sent(&t).all(|m| m.has(64) || m.has(128));
        let (_, next) = t.purchase(&CARD).map_err(|e| e.to_string())?;
        let next_ok = matches!(next, PurchaseOutcome::Answered(ref r) if r.code.is_approved());
        let pass = matches!(state, Some(State::Reversed(_)))
            && reason.as_deref() == Some("A0")
            && signed
            && next_ok;
        Ok((
            pass,
            format!(
                "tampered response refused; reversal reason {reason:?}, journal {}; every message MACed: {signed}; next purchase approved: {next_ok}",
                state.map_or("?".into(), |s| s.to_string())
            ),
        ))
    });
    verdict(name, Some(&t), r)
}

/// Scenario 7: one connection kept across exchanges: the host answers the 0200 after
/// the terminal stopped waiting; the late 0210 arrives on the same connection while
/// the inquiry is out, is recorded as late, and the approval it carries is reversed.
pub fn late_response_persistent() -> Verdict {
    let name = "late_response_on_kept_connection";
    let host = match SimHost::start() {
        Ok(h) => h,
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e.to_string())),
    };
    let files = TermFiles::new(name);
    let mut t = match persistent_terminal(&host, &files, JournalConfig::new(&ISO87_ASCII)) {
        Ok(t) => t,
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e)),
    };
    host.expect(&[Directive::Delay(Duration::from_millis(450))]);
    let r = t.purchase(&CARD).map_err(|e| e.to_string()).map(|(id, _)| {
        let record = t.journal().get(id).cloned();
        let sent = mtis(&t);
        let ledger = host.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let reversed_once = ledger.entries().len() == 1
            && ledger
                .entries()
                .values()
                .all(|e| e.reversed && e.reversals_applied == 1);
        let connections = t.transport_mut().connections_opened();
        let pass = record
            .as_ref()
            .is_some_and(|r| r.late_response && matches!(r.state, State::Reversed(_)))
            && reversed_once
            && sent == ["0200", "0200", "0400"]
            && connections == 1;
        (
            pass,
            format!(
                "sent {} on {connections} connection(s); late 0210 recorded: {}; journal {}",
                sent.join(" "),
                record.as_ref().is_some_and(|r| r.late_response),
                record.map_or("?".into(), |r| r.state.to_string())
            ),
        )
    });
    verdict(name, Some(&t), r)
}

/// The journal settings of [`card_data_at_rest`]: with the `crypto` feature, the PAN
/// is kept enciphered under a key (a demo key here: a terminal loads its own from
/// protected storage, never from its code); without it, truncated.
pub fn at_rest_config() -> JournalConfig {
    #[allow(unused_mut)]
    let mut config = JournalConfig::new(&ISO87_ASCII);
    #[cfg(feature = "crypto")]
    if let Ok(key) = iso8583_wire::security::Key::aes_from_hex(
        "2B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFE",
    ) {
        config.pan_at_rest = iso8583_wire::pos::PanAtRest::Encrypt(key);
    }
    config
}

/// What of the card must never be found in a journal file, in every form it could
/// take there (the messages are stored as hex): a description and the text.
pub fn card_data_needles() -> Vec<(&'static str, String)> {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    vec![
        ("PAN", CARD.pan.to_string()),
        ("PAN (hex of its characters)", hex(CARD.pan.as_bytes())),
        (
            "track 2 discretionary data",
            TRACK2_DISCRETIONARY.to_string(),
        ),
        (
            "track 2 discretionary data (hex of its characters)",
            hex(TRACK2_DISCRETIONARY.as_bytes()),
        ),
        ("PIN block", hex(&PIN_BLOCK)),
        (
            "PIN block (hex of its hex)",
            hex(hex(&PIN_BLOCK).as_bytes()),
        ),
    ]
}

/// The card data found in `bytes`, by description.
pub fn card_data_in(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes).to_uppercase();
    card_data_needles()
        .into_iter()
        .filter(|(_, needle)| text.contains(&needle.to_uppercase()))
        .map(|(what, _)| what)
        .collect()
}

/// Scenario 8: card data at rest. A purchase with track 2 and a PIN block is sent and
/// the terminal crashes; after the restart its inquiry and reversal go out, then a
/// purchase is approved and another loses its response (inquired, reversed). The
/// journal file never holds the PAN, the track data or the PIN block. With the
/// `crypto` feature the PAN is kept enciphered and the reversals carry field 2; without,
/// it is kept truncated and the reversals go without it.
pub fn card_data_at_rest() -> Verdict {
    let name = "card_data_at_rest";
    let (host, files) = match SimHost::start() {
        Ok(h) => (h, TermFiles::new(name)),
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e.to_string())),
    };
    if let Err(e) = crash_midway_with(&host, &files, at_rest_config()) {
        return verdict::<TcpTransport>(name, None, Err(e));
    }
    let mut found = card_data_in(&std::fs::read(files.journal()).unwrap_or_default());
    let mut t = match terminal(&host, &files, at_rest_config()) {
        Ok(t) => t,
        Err(e) => return verdict::<TcpTransport>(name, None, Err(e)),
    };
    let r = t
        .purchase(&CARD)
        .and_then(|_| {
            host.expect(&[Directive::DropResponse]);
            t.purchase(&CARD)
        })
        .map_err(|e| e.to_string())
        .map(|_| {
            found.extend(card_data_in(
                &std::fs::read(files.journal()).unwrap_or_default(),
            ));
            found.sort_unstable();
            found.dedup();
            let reversals: Vec<bool> = sent(&t)
                .filter(|m| m.mti().is_reversal())
                .map(|m| {
                    m.field(2)
                        .is_some_and(|f| f.value().to_string() == CARD.pan)
                })
                .collect();
            let with_key = cfg!(feature = "crypto");
            let pass = found.is_empty()
                && reversals.len() == 2
                && reversals.iter().all(|&has_pan| has_pan == with_key)
                && mtis(&t) == ["0200", "0400", "0200", "0200", "0200", "0400"];
            (
                pass,
                format!(
                    "journal holds {}; sent {}; PAN {} ({} reversal(s) with field 2)",
                    if found.is_empty() {
                        "no PAN, track or PIN data".to_string()
                    } else {
                        found.join(", ")
                    },
                    mtis(&t).join(" "),
                    if with_key {
                        "enciphered at rest"
                    } else {
                        "truncated at rest"
                    },
                    reversals.iter().filter(|&&p| p).count()
                ),
            )
        });
    verdict(name, Some(&t), r)
}

/// Every scenario, in order.
pub fn all() -> Vec<Verdict> {
    vec![
        normal_purchase(),
        lost_response_approved(),
        lost_response_approved_kept(),
        lost_request_not_found(),
        lost_request_not_found_settled(),
        crash_after_sending(),
        late_response_after_reversal(),
        bad_mac_reversed(),
        tampered_response_reversed(),
        late_response_persistent(),
        card_data_at_rest(),
    ]
}
