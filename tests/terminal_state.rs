//! Terminal state under everyday faults: two processes on the same files, files lost,
//! emptied, truncated or restored from older copies, and failed writes.

#![cfg(feature = "fault-injection")]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use iso8583_wire::exchange::ResponseCode;
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::host::HostLedger;
use iso8583_wire::pos::{
    Action, Connection, Journal, JournalConfig, JournalError, MemoryLedger, Purchase,
    PurchaseOutcome, State, StateOptions, Terminal, TerminalError, Transport, open_state,
};
use iso8583_wire::trace::{StanRecovery, StanSequence};

#[path = "support/crc.rs"]
mod crc;
use crc::crc32;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iso8583-wire-state-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------
// A terminal talking to an in-memory host

#[derive(Clone)]
struct Direct {
    host: Rc<RefCell<MemoryLedger>>,
}

struct DirectConn {
    host: Rc<RefCell<MemoryLedger>>,
    replies: VecDeque<Vec<u8>>,
}

impl Transport for Direct {
    type Conn = DirectConn;
    fn connect(&mut self) -> io::Result<DirectConn> {
        Ok(DirectConn {
            host: Rc::clone(&self.host),
            replies: VecDeque::new(),
        })
    }
}

impl Connection for DirectConn {
    fn send(&mut self, message: &[u8]) -> io::Result<()> {
        let reply = self
            .host
            .borrow_mut()
            .handle(message)
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.replies.push_back(reply);
        Ok(())
    }
    fn receive(&mut self) -> io::Result<Option<Vec<u8>>> {
        Ok(self.replies.pop_front())
    }
}

const CARD: Purchase<'static> = Purchase {
    pan: "4761739001010119",
    expiry: "2512",
    amount: 1500,
    currency: "840",
};

fn terminal(d: &Path, host: &Rc<RefCell<MemoryLedger>>) -> Terminal<Direct> {
    let (journal, stans, _) = open_state(
        d.join("journal.log"),
        d.join("stan.state"),
        JournalConfig::new(&ISO87_ASCII),
        StateOptions::new(5),
    )
    .unwrap();
    Terminal::new(
        journal,
        stans,
        Direct {
            host: Rc::clone(host),
        },
        "TERM0001",
        "MERCHANT0000001",
        &[],
    )
}

/// Every transaction the host approved and did not reverse is completed-approved in
/// the journal, and every one the journal shows reversed is reversed at the host.
fn agree(t: &Terminal<Direct>, host: &MemoryLedger) -> Result<(), String> {
    for r in t.journal().records() {
        let Some(stan) = r.stan(&ISO87_ASCII) else {
            continue;
        };
        let entry = host.find("TERM0001", stan);
        let host_kept = entry.is_some_and(|e| e.code.is_approved() && !e.reversed);
        let terminal_kept = matches!(&r.state, State::Completed(h) if h.code.is_approved());
        if host_kept != terminal_kept {
            return Err(format!(
                "transaction {} (STAN {stan}): terminal {}, host {:?}",
                r.id, r.state, entry
            ));
        }
        if !r.state.is_settled() {
            return Err(format!("transaction {} not settled: {}", r.id, r.state));
        }
    }
    Ok(())
}

#[test]
fn a_failed_write_at_any_point_never_wedges_the_terminal() {
    use iso8583_wire::faults;
    let d = dir("faults");
    let host = Rc::new(RefCell::new(MemoryLedger::new(&ISO87_ASCII)));
    let mut t = terminal(&d, &host);
    t.purchase(&CARD).unwrap();
    let mut points = 0;
    for n in 0..200u64 {
        let before = faults::seen();
        faults::fail_nth(n);
        let failed = t.purchase(&CARD);
        faults::clear();
        let reached = faults::seen() - before;
        if reached <= n {
            // Every write and sync of a purchase has been failed once.
            break;
        }
        points += 1;
        // The very next purchase settles whatever the failure left, then goes through.
        let (_, outcome) = t
            .purchase(&CARD)
            .unwrap_or_else(|e| panic!("fault at point {n} ({failed:?}) wedged: {e}"));
        match outcome {
            PurchaseOutcome::Answered(r) => assert_eq!(r.code, ResponseCode::APPROVED),
            other => panic!("fault at point {n}: {other:?}"),
        }
        assert_eq!(t.journal().pending().unwrap(), Action::Nothing);
        agree(&t, &host.borrow()).unwrap_or_else(|e| panic!("fault at point {n}: {e}"));
        // What is in memory is what is on disk: a reopened journal agrees.
        let (journal, stans, _) = t.into_parts();
        let snapshot: Vec<_> = journal.records().cloned().collect();
        drop((journal, stans));
        let reopened = Journal::open(d.join("journal.log"), JournalConfig::new(&ISO87_ASCII))
            .unwrap_or_else(|e| panic!("fault at point {n}: reopen: {e}"));
        let again: Vec<_> = reopened.records().cloned().collect();
        assert_eq!(again.len(), snapshot.len());
        for (a, b) in again.iter().zip(&snapshot) {
            assert_eq!((a.id, &a.state), (b.id, &b.state), "fault at point {n}");
        }
        drop(reopened);
        t = terminal(&d, &host);
    }
    assert!(points >= 6, "only {points} write/sync points were failed");
}

// ---------------------------------------------------------------------------------
// Lost, emptied, truncated and older files

/// A journal with transactions in several states: completed, reversed, settled by
/// inquiry.
fn populated(d: &Path) -> Vec<u8> {
    let host = Rc::new(RefCell::new(MemoryLedger::new(&ISO87_ASCII)));
    let mut t = terminal(d, &host);
    for amount in [100, 200, 300] {
        t.purchase(&Purchase { amount, ..CARD }).unwrap();
    }
    drop(t);
    std::fs::read(d.join("journal.log")).unwrap()
}

#[test]
fn a_journal_cut_at_any_offset_is_reported_never_opened_silently() {
    let d = dir("cut");
    let full = populated(&d);
    let complete: Vec<(u64, State)> = {
        let j = Journal::open(d.join("journal.log"), JournalConfig::new(&ISO87_ASCII)).unwrap();
        j.records().map(|r| (r.id.0, r.state.clone())).collect()
    };
    // The file is extended with zeros ahead of its events: a cut among them loses
    // nothing, and the journal opens as it was.
    let content = full.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    assert!(content < full.len(), "zeros ahead of the events");
    let path = d.join("cut.log");
    for len in [
        content,
        content + 1,
        (content + full.len()) / 2,
        full.len() - 1,
    ] {
        std::fs::write(&path, &full[..len]).unwrap();
        let j = Journal::open(&path, JournalConfig::new(&ISO87_ASCII)).unwrap();
        let states: Vec<(u64, State)> = j.records().map(|r| (r.id.0, r.state.clone())).collect();
        assert_eq!(states, complete, "cut at {len}, among the zeros");
        assert_eq!(j.recovery().torn_tail_bytes, 0);
        drop(j);
        std::fs::remove_file(&path).unwrap();
    }
    for len in 0..content {
        std::fs::write(&path, &full[..len]).unwrap();
        let config = JournalConfig::new(&ISO87_ASCII);
        match Journal::open(&path, config.clone()) {
            // A cut inside a line loses that line; at a line end, the lines after it.
            Err(JournalError::Truncated { lost_events, .. }) => {
                assert!(lost_events >= 1, "cut at {len}: no event counted as lost")
            }
            Err(JournalError::Emptied { .. }) => assert!(len < 95, "{len}"),
            Err(JournalError::Corrupt { .. }) => panic!("cut at {len} read as corrupt"),
            Err(e) => panic!("cut at {len}: {e}"),
            Ok(_) => panic!("cut at {len} opened without a report"),
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            &full[..len],
            "nothing changed"
        );
        // The documented way on: accepted, reported, and every transaction that
        // was settled but now reads otherwise is named in the report.
        let (j, report) = Journal::open_after_loss(&path, config.clone()).unwrap();
        assert!(report.is_loss(), "cut at {len}");
        for r in j.records() {
            let was = complete
                .iter()
                .find(|(id, _)| *id == r.id.0)
                .map(|(_, s)| s);
            if was != Some(&r.state) && !r.state.is_settled() {
                assert!(
                    report.unsettled.contains(&r.id),
                    "cut at {len}: {} went from {was:?} to {} unreported",
                    r.id,
                    r.state
                );
            }
        }
        drop(j);
        // Reported once: the rewritten journal opens cleanly.
        Journal::open(&path, config).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn lost_emptied_and_older_files_are_detected_through_each_other() {
    let config = JournalConfig::new(&ISO87_ASCII);
    let options = StateOptions::new(5);
    let d = dir("lost");
    let (journal, stan) = (d.join("journal.log"), d.join("stan.state"));
    populated(&d);
    let last = {
        let j = Journal::open(&journal, config.clone()).unwrap();
        j.last_stan().unwrap()
    };

    // STAN state file deleted, emptied, or an older copy: resumes above the journal.
    let old_copy = std::fs::read(&stan).unwrap();
    for damage in ["delete", "empty", "older"] {
        match damage {
            "delete" => std::fs::remove_file(&stan).unwrap(),
            "empty" => std::fs::write(&stan, "").unwrap(),
            _ => {
                let body = "ISO8583-WIRE-STAN 2 1 0";
                let crc = crc32(body.as_bytes());
                std::fs::write(&stan, format!("{body} {crc:08x}\n")).unwrap();
            }
        }
        let (j, s, report) = open_state(&journal, &stan, config.clone(), options).unwrap();
        assert!(
            matches!(
                report.stan,
                StanRecovery::Rebuilt { .. } | StanRecovery::Advanced { .. }
            ),
            "{damage}: {:?}",
            report.stan
        );
        let next = s.next_stan().unwrap();
        assert!(
            last.steps_to(next) >= 1 && last.steps_to(next) < 100,
            "{damage}: {next}"
        );
        drop((j, s));
    }
    std::fs::write(&stan, &old_copy).unwrap();

    // Journal deleted while the STAN state exists: refused, then accepted on request.
    let saved = std::fs::read(&journal).unwrap();
    std::fs::remove_file(&journal).unwrap();
    assert!(matches!(
        open_state(&journal, &stan, config.clone(), options),
        Err(TerminalError::Journal(JournalError::Missing { .. }))
    ));
    let (j, s, report) =
        open_state(&journal, &stan, config.clone(), options.accepting_loss()).unwrap();
    assert!(report.loss.is_some_and(|l| l.is_loss()));
    drop((j, s));

    // Journal emptied: refused.
    std::fs::write(&journal, "").unwrap();
    assert!(matches!(
        open_state(&journal, &stan, config.clone(), options),
        Err(TerminalError::Journal(JournalError::Emptied { .. }))
    ));

    // Journal restored from an older copy (fewer events than the STAN state noted).
    std::fs::write(&journal, &saved).unwrap();
    {
        let (j, s, _) = open_state(&journal, &stan, config.clone(), options).unwrap();
        s.note_journal(j.seq() + 50);
        // Force a reservation so the position is written.
        s.skip(10).unwrap();
    }
    assert!(matches!(
        open_state(&journal, &stan, config, options),
        Err(TerminalError::Journal(JournalError::OlderThanState { .. }))
    ));
}

#[test]
fn a_purchase_costs_two_syncs_of_the_journal() {
    use iso8583_wire::faults;
    use iso8583_wire::pos::journal::HostResult;
    let d = dir("syncs");
    let mut j = Journal::open(d.join("journal.log"), JournalConfig::new(&ISO87_ASCII)).unwrap();
    let host = Rc::new(RefCell::new(MemoryLedger::new(&ISO87_ASCII)));
    let mut t = terminal(&dir("syncs-request"), &host);
    // A real request and reversal, from a purchase the terminal made.
    t.purchase(&CARD).unwrap();
    let r = t.journal().last().unwrap().clone();
    for round in 0..20 {
        let before = faults::syncs();
        let id = j.begin(&r.request, &r.reversal).unwrap();
        j.sent(id).unwrap();
        let result = HostResult {
            code: ResponseCode::APPROVED,
            rrn: None,
            auth_code: None,
        };
        j.response(id, result).unwrap();
        assert_eq!(
            faults::syncs() - before,
            2,
            "round {round}: begin and response only"
        );
    }
    // The sent step is kept all the same.
    drop(j);
    let j = Journal::open(d.join("journal.log"), JournalConfig::new(&ISO87_ASCII)).unwrap();
    assert_eq!(j.records().count(), 20);
    assert!(j.records().all(|r| r.state.is_settled()));
}

/// When the zeros the journal writes ahead of its events cannot be written (a nearly
/// full disk), the event is appended without them: the purchase is not refused.
#[test]
fn an_event_is_appended_when_no_room_ahead_can_be_written() {
    use iso8583_wire::faults;
    let d = dir("no-room");
    let path = d.join("journal.log");
    let mut j = Journal::open(&path, JournalConfig::new(&ISO87_ASCII)).unwrap();
    let mut b =
        iso8583_wire::MessageBuilder::new(&ISO87_ASCII, iso8583_wire::Mti::new(200).unwrap());
    b.set(3, "000000")
        .unwrap()
        .set(4, 1000u32)
        .unwrap()
        .set(11, 7u32)
        .unwrap();
    b.set(41, "TERM0001")
        .unwrap()
        .set(42, "MERCHANT0000001")
        .unwrap();
    let request = b.to_bytes().unwrap().to_vec();
    let msg = iso8583_wire::Message::decode(&ISO87_ASCII, &request).unwrap();
    let reversal = iso8583_wire::exchange::reversal_for(
        &msg,
        &iso8583_wire::exchange::ReversalReason::OTHER,
        iso8583_wire::exchange::ReversalKind::Request,
    )
    .unwrap()
    .to_vec();

    // The first write of the first event is the zeros ahead of it.
    faults::fail_nth(0);
    let id = j.begin(&request, &reversal).unwrap();
    let reached = faults::seen();
    faults::clear();
    assert!(reached >= 1, "the failure was injected");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'), "appended, no zeros after it");
    drop(j);
    let j = Journal::open(&path, JournalConfig::new(&ISO87_ASCII)).unwrap();
    assert_eq!(j.last().unwrap().id, id);
}
