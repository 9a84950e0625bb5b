//! `PersistentTcpTransport` over loopback TCP against scripted hosts: a response that
//! comes after the terminal stopped waiting arrives on the kept connection, is matched
//! (MTI, STAN, field 41) to its transaction, recorded as late, and settles it
//! correctly; a connection the host closed or broke is replaced.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use iso8583_wire::exchange::ResponseCode;
use iso8583_wire::frame::{Framing, LengthHeader};
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::journal::UnknownOutcome;
use iso8583_wire::pos::transport::TcpConnection;
use iso8583_wire::pos::{
    Connection, HostLedger, Journal, JournalConfig, MemoryLedger, PersistentTcpTransport, Purchase,
    PurchaseOutcome, State, Terminal,
};
use iso8583_wire::trace::FileStanSequence;

const FRAMING: Framing = Framing::new(LengthHeader::Binary2);
const TIMEOUT: Duration = Duration::from_millis(150);
const CARD: Purchase<'static> = Purchase {
    pan: "4111111111111111",
    expiry: "2712",
    amount: 2500,
    currency: "840",
};

type Ledger = Arc<Mutex<MemoryLedger>>;

/// A host that hands its `n`-th accepted connection to `script(n, conn, ledger)`.
fn host(
    ledger: Ledger,
    connections: usize,
    script: impl Fn(usize, &mut TcpConnection, &Ledger) + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        for n in 0..connections {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut conn = TcpConnection::from_stream(stream, FRAMING, Duration::from_secs(3));
            script(n, &mut conn, &ledger);
        }
    });
    (addr, thread)
}

fn answer(conn: &mut TcpConnection, ledger: &Ledger, request: &[u8]) {
    let response = ledger.lock().unwrap().handle(request).unwrap();
    conn.send(&response).unwrap();
}

/// Answers every request until the terminal closes the connection.
fn answer_all(conn: &mut TcpConnection, ledger: &Ledger) {
    while let Ok(Some(request)) = conn.receive() {
        answer(conn, ledger, &request);
    }
}

/// Processes the first request at once but holds its response until the next request
/// arrives (the terminal has timed out and sent an inquiry or a reversal by then);
/// sends the held response, then answers everything.
fn answer_first_late(conn: &mut TcpConnection, ledger: &Ledger) {
    let first = conn.receive().unwrap().unwrap();
    let held = ledger.lock().unwrap().handle(&first).unwrap();
    let next = conn.receive().unwrap().unwrap();
    conn.send(&held).unwrap();
    answer(conn, ledger, &next);
    answer_all(conn, ledger);
}

fn files(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "iso8583-wire-persistent-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn terminal(
    dir: &std::path::Path,
    addr: SocketAddr,
    config: JournalConfig,
) -> Terminal<PersistentTcpTransport> {
    let journal = Journal::open(dir.join("journal.log"), config).unwrap();
    let stans = FileStanSequence::open_or_create(dir.join("stan.state"), 10).unwrap();
    let transport = PersistentTcpTransport::new(addr, FRAMING, TIMEOUT);
    Terminal::new(
        journal,
        stans,
        transport,
        "TERM0001",
        "MERCHANT0000001",
        &[],
    )
}

fn sent_mtis(t: &Terminal<PersistentTcpTransport>) -> Vec<String> {
    t.trace
        .iter()
        .filter(|(out, _)| *out)
        .map(|(_, b)| ISO87_ASCII.decode(b).unwrap().mti().to_string())
        .collect()
}

#[test]
fn late_0210_during_the_inquiry_is_recorded_and_its_approval_reversed() {
    let ledger: Ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let (addr, h) = host(ledger.clone(), 1, |_, conn, ledger| {
        answer_first_late(conn, ledger)
    });
    let dir = files("inquiry");
    let mut t = terminal(&dir, addr, JournalConfig::new(&ISO87_ASCII));
    let (id, outcome) = t.purchase(&CARD).unwrap();
    let record = t.journal().get(id).unwrap().clone();
    assert!(record.late_response, "{record:?}");
    assert_eq!(record.state, State::Reversed(ResponseCode::APPROVED));
    assert_eq!(
        outcome,
        PurchaseOutcome::Unresolved(State::Reversed(ResponseCode::APPROVED))
    );
    // The inquiry's own 0210 (which arrived after the late one) was not needed.
    assert_eq!(sent_mtis(&t), ["0200", "0200", "0400"]);
    assert_eq!(t.transport_mut().connections_opened(), 1);
    drop(t); // closes the connection: the host thread ends
    h.join().unwrap();
    let ledger = ledger.lock().unwrap();
    let entry = ledger
        .entries()
        .values()
        .find(|e| e.amount == 2500)
        .unwrap();
    assert!(entry.code.is_approved() && entry.reversed && entry.reversals_applied == 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn late_0210_during_the_reversal_is_recorded_and_changes_nothing() {
    let ledger: Ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let (addr, h) = host(ledger.clone(), 1, |_, conn, ledger| {
        answer_first_late(conn, ledger)
    });
    let dir = files("reversal");
    let mut config = JournalConfig::new(&ISO87_ASCII);
    config.unknown_outcome = UnknownOutcome::Reverse;
    let mut t = terminal(&dir, addr, config);
    let (id, _) = t.purchase(&CARD).unwrap();
    let record = t.journal().get(id).unwrap().clone();
    assert!(record.late_response, "{record:?}");
    assert_eq!(record.state, State::Reversed(ResponseCode::APPROVED));
    assert_eq!(sent_mtis(&t), ["0200", "0400"]);
    drop(t);
    h.join().unwrap();
    let ledger = ledger.lock().unwrap();
    assert!(ledger.entries().values().all(|e| e.reversals_applied == 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn late_decline_during_the_inquiry_settles_without_a_reversal() {
    let mut declining = MemoryLedger::new(&ISO87_ASCII);
    declining.decline_above = Some(1000);
    let ledger: Ledger = Arc::new(Mutex::new(declining));
    let (addr, h) = host(ledger.clone(), 1, |_, conn, ledger| {
        answer_first_late(conn, ledger)
    });
    let dir = files("decline");
    let mut t = terminal(&dir, addr, JournalConfig::new(&ISO87_ASCII));
    let (id, _) = t.purchase(&CARD).unwrap();
    let record = t.journal().get(id).unwrap().clone();
    assert!(record.late_response, "{record:?}");
    assert!(
        matches!(&record.state, State::Completed(h) if h.code == ResponseCode::INSUFFICIENT_FUNDS),
        "{record:?}"
    );
    assert_eq!(sent_mtis(&t), ["0200", "0200"]);
    drop(t);
    h.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn late_0210_read_between_transactions_is_recorded() {
    // The host answers the purchase only after the terminal has settled it (reversed
    // with 98, no inquiry) and gone idle; the late 0210 waits on the connection and is
    // recorded when the next purchase reads it.
    let ledger: Ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let (addr, h) = host(ledger.clone(), 1, move |_, conn, ledger| {
        let first = conn.receive().unwrap().unwrap();
        let held = ledger.lock().unwrap().handle(&first).unwrap();
        let reversal = conn.receive().unwrap().unwrap();
        answer(conn, ledger, &reversal);
        go_rx.lock().unwrap().recv().unwrap();
        conn.send(&held).unwrap();
        answer_all(conn, ledger);
    });
    let dir = files("idle");
    let mut config = JournalConfig::new(&ISO87_ASCII);
    config.unknown_outcome = UnknownOutcome::Reverse;
    let mut t = terminal(&dir, addr, config);
    let (first, _) = t.purchase(&CARD).unwrap();
    assert!(!t.journal().get(first).unwrap().late_response);
    go_tx.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let (second, outcome) = t.purchase(&CARD).unwrap();
    assert!(matches!(outcome, PurchaseOutcome::Answered(h) if h.code.is_approved()));
    let first = t.journal().get(first).unwrap();
    assert!(first.late_response);
    assert_eq!(first.state, State::Reversed(ResponseCode::APPROVED));
    assert!(!t.journal().get(second).unwrap().late_response);
    assert_eq!(t.transport_mut().connections_opened(), 1);
    drop(t);
    h.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_connection_the_host_closed_is_replaced_before_sending() {
    let ledger: Ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let (closed_tx, closed_rx) = mpsc::channel::<()>();
    let (addr, h) = host(ledger.clone(), 2, move |n, conn, ledger| {
        if n == 0 {
            let request = conn.receive().unwrap().unwrap();
            answer(conn, ledger, &request);
            let _ = closed_tx.send(()); // the connection is dropped on return
        } else {
            answer_all(conn, ledger);
        }
    });
    let dir = files("closed");
    let mut t = terminal(&dir, addr, JournalConfig::new(&ISO87_ASCII));
    let (_, first) = t.purchase(&CARD).unwrap();
    assert!(matches!(first, PurchaseOutcome::Answered(h) if h.code.is_approved()));
    closed_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(50)); // let the FIN arrive
    let (_, second) = t.purchase(&CARD).unwrap();
    // Answered at once on a new connection: nothing was sent into the closed one.
    assert!(matches!(second, PurchaseOutcome::Answered(h) if h.code.is_approved()));
    assert_eq!(sent_mtis(&t), ["0200", "0200"]);
    assert_eq!(t.transport_mut().connections_opened(), 2);
    drop(t);
    h.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_connection_broken_mid_exchange_is_replaced_and_the_transaction_settled() {
    // The host reads the purchase and drops the connection without processing it.
    let ledger: Ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let (addr, h) = host(ledger.clone(), 2, |n, conn, ledger| {
        if n == 0 {
            let _ = conn.receive();
        } else {
            answer_all(conn, ledger);
        }
    });
    let dir = files("broken");
    let mut t = terminal(&dir, addr, JournalConfig::new(&ISO87_ASCII));
    let (id, outcome) = t.purchase(&CARD).unwrap();
    // Inquiry (25: never processed), then the reversal the default policy sends (25).
    assert_eq!(
        outcome,
        PurchaseOutcome::Unresolved(State::Reversed(ResponseCode::UNABLE_TO_LOCATE))
    );
    assert_eq!(sent_mtis(&t), ["0200", "0200", "0400"]);
    assert_eq!(t.transport_mut().connections_opened(), 2);
    assert!(!t.journal().get(id).unwrap().late_response);
    drop(t);
    h.join().unwrap();
    let ledger = ledger.lock().unwrap();
    assert!(ledger.entries().is_empty());
    assert_eq!(ledger.orphan_reversals().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
