//! Crash test for the terminal: a child process runs purchases against a host in this
//! process (which loses responses and requests at random) and is SIGKILLed at random
//! points of the exchange, at least 50 times, restarting on the same journal and STAN
//! files. At the end a last child settles what is pending and lists its journal; the
//! test checks that terminal and host agree on every transaction: none lost (the host
//! never processed a purchase the journal does not know), none reversed twice, no STAN
//! reissued (the host never answered 94), and nothing left pending.
//!
//! Own `main` (`harness = false`): the same binary is the child when
//! `TERMINAL_CRASH_CHILD` is set.

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[path = "support/harness.rs"]
mod harness;

use iso8583_wire::exchange::ResponseCode;
use iso8583_wire::frame::{Framing, LengthHeader};
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::transport::TcpConnection;
use iso8583_wire::pos::{
    Action, Connection, HostLedger, Journal, JournalConfig, MemoryLedger, Purchase, State,
    TcpTransport, Terminal, TerminalError,
};
use iso8583_wire::trace::FileStanSequence;

const NAME: &str = "terminal_state_survives_sigkill";
const CHILD_ENV: &str = "TERMINAL_CRASH_CHILD";
const ROUNDS: usize = 60;
const FRAMING: Framing = Framing::new(LengthHeader::Binary2);
const CARD: Purchase<'static> = Purchase {
    pan: "4111111111111111",
    expiry: "2712",
    amount: 2500,
    currency: "840",
};

fn open_terminal(dir: &str, addr: &str) -> Result<Terminal<TcpTransport>, String> {
    let journal = Journal::open(
        format!("{dir}/journal.log"),
        JournalConfig::new(&ISO87_ASCII),
    )
    .map_err(|e| e.to_string())?;
    let stans = FileStanSequence::open_or_create(format!("{dir}/stan.state"), 5)
        .map_err(|e| e.to_string())?;
    let transport = TcpTransport {
        addr: addr.parse().map_err(|e| format!("{e}"))?,
        framing: FRAMING,
        timeout: Duration::from_millis(60),
    };
    Ok(Terminal::new(
        journal,
        stans,
        transport,
        "TERM0001",
        "MERCHANT0000001",
        &[],
    ))
}

fn child(dir: &str) -> ! {
    let addr = std::env::var("TERMINAL_CRASH_HOST").unwrap_or_default();
    let drain = std::env::var("TERMINAL_CRASH_DRAIN").is_ok();
    let mut t = match open_terminal(dir, &addr) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("child: {e}");
            std::process::exit(2);
        }
    };
    if drain {
        for _ in 0..100 {
            match t.settle_pending() {
                Ok(_) => break,
                Err(TerminalError::StillPending(_)) => continue,
                Err(e) => {
                    eprintln!("child: {e}");
                    std::process::exit(2);
                }
            }
        }
        for r in t.journal().records() {
            let stan = r.stan(&ISO87_ASCII).map_or(0, |s| s.value());
            let state = match &r.state {
                State::Completed(h) => format!("completed-{}", h.code),
                other => other.name().to_string(),
            };
            println!("{} {} {}", r.id.0, stan, state);
        }
        let pending = !matches!(t.journal().pending(), Ok(Action::Nothing));
        std::process::exit(if pending { 3 } else { 0 });
    }
    loop {
        match t.purchase(&CARD) {
            Ok(_) | Err(TerminalError::StillPending(_)) => {}
            Err(e) => {
                eprintln!("child: {e}");
                std::process::exit(2);
            }
        }
    }
}

struct Host {
    ledger: Arc<Mutex<MemoryLedger>>,
    reliable: Arc<AtomicBool>,
    duplicates: Arc<AtomicUsize>,
    addr: String,
}

fn start_host(seed: u64) -> Result<Host, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    let ledger = Arc::new(Mutex::new(MemoryLedger::new(&ISO87_ASCII)));
    let reliable = Arc::new(AtomicBool::new(false));
    let duplicates = Arc::new(AtomicUsize::new(0));
    let rng = Arc::new(Mutex::new(Rng(seed ^ 0x9E37_79B9_7F4A_7C15)));
    let (l, r, d) = (ledger.clone(), reliable.clone(), duplicates.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (l, r, d, rng) = (l.clone(), r.clone(), d.clone(), rng.clone());
            std::thread::spawn(move || {
                let mut conn = TcpConnection::from_stream(stream, FRAMING, Duration::from_secs(2));
                while let Ok(Some(req)) = conn.receive() {
                    let roll = if r.load(Ordering::Relaxed) {
                        99
                    } else {
                        rng.lock().map(|mut g| g.below(100)).unwrap_or(99)
                    };
                    if roll < 10 {
                        continue; // request lost: never processed
                    }
                    let Ok(resp) = l.lock().unwrap_or_else(|e| e.into_inner()).handle(&req) else {
                        continue;
                    };
                    if let Ok(m) = ISO87_ASCII.decode(&resp)
                        && ResponseCode::of(&m) == Some(ResponseCode::DUPLICATE_TRANSMISSION)
                    {
                        d.fetch_add(1, Ordering::Relaxed);
                    }
                    if roll < 30 {
                        continue; // response lost
                    }
                    if conn.send(&resp).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(Host {
        ledger,
        reliable,
        duplicates,
        addr,
    })
}

fn run() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!(
        "iso8583-wire-terminal-crash-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let dir_s = dir.to_string_lossy().to_string();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
        | 1;
    let mut rng = Rng(seed);
    let host = start_host(seed)?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;

    let mut kills = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, &dir_s)
            .env("TERMINAL_CRASH_HOST", &host.addr)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(5 + rng.below(150)));
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return Err(format!(
                "round {round}: the terminal stopped by itself ({status}): {err} (seed {seed})"
            ));
        }
        child.kill().map_err(|e| e.to_string())?;
        child.wait().map_err(|e| e.to_string())?;
        kills += 1;
    }

    // Settle everything with a reliable host and list the journal.
    host.reliable.store(true, Ordering::Relaxed);
    let out = Command::new(&exe)
        .env(CHILD_ENV, &dir_s)
        .env("TERMINAL_CRASH_HOST", &host.addr)
        .env("TERMINAL_CRASH_DRAIN", "1")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "drain failed ({}): {} (seed {seed})",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut journal: BTreeMap<u32, String> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut p = line.split(' ');
        let (_, stan, state) = (p.next(), p.next(), p.next());
        let stan: u32 = stan
            .and_then(|s| s.parse().ok())
            .ok_or("bad journal line")?;
        if journal
            .insert(stan, state.unwrap_or("").to_string())
            .is_some()
        {
            return Err(format!("STAN {stan:06} twice in the journal (seed {seed})"));
        }
    }
    let ledger = host.ledger.lock().map_err(|e| e.to_string())?;
    let mut reversed = 0;
    for (key, entry) in ledger.entries() {
        let Some(state) = journal.get(&key.stan) else {
            return Err(format!(
                "the host processed STAN {:06}, unknown to the journal (seed {seed})",
                key.stan
            ));
        };
        if entry.reversals_applied > 1 {
            return Err(format!(
                "STAN {:06} reversed {} times",
                key.stan, entry.reversals_applied
            ));
        }
        let agree = match state.as_str() {
            "reversed" => entry.reversed,
            "completed-00" => !entry.reversed && entry.code.is_approved(),
            _ => false,
        };
        if !agree {
            return Err(format!(
                "STAN {:06}: journal says {state}, host says {} reversed={} (seed {seed})",
                key.stan, entry.code, entry.reversed
            ));
        }
        reversed += usize::from(entry.reversed);
    }
    for (stan, state) in &journal {
        let seen = ledger.entries().keys().any(|k| k.stan == *stan);
        let ok = match state.as_str() {
            "not-sent" | "completed-25" => !seen,
            "reversed" => true, // reversal answered 00 (seen) or 25 (never seen)
            "completed-00" => seen,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "journal STAN {stan:06} {state} disagrees with the host (seed {seed})"
            ));
        }
    }
    let dups = host.duplicates.load(Ordering::Relaxed);
    if dups > 0 {
        return Err(format!(
            "the host answered 94 (STAN reused) {dups} times (seed {seed})"
        ));
    }
    if journal.len() < 20 {
        return Err(format!(
            "only {} transactions: the test proved too little",
            journal.len()
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "{kills} kills, {} transactions, {} processed by the host, {reversed} reversed once each, terminal and host agree (seed {seed})",
        journal.len(),
        ledger.entries().len()
    ))
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
    }
    harness::run_single(NAME, run);
}
