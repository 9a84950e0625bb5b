//! The write-ahead journal's rules, recovery and damage handling.

use iso8583_wire::exchange::{self, ResponseCode, ReversalKind, ReversalReason};
use iso8583_wire::fields::Rrn;
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::journal::{AfterApproval, HostResult, NotFoundPolicy, UnknownOutcome};
use iso8583_wire::pos::{Action, Journal, JournalConfig, JournalError, State};
use iso8583_wire::{MessageBuilder, Mti};
use std::path::PathBuf;
use std::time::Duration;

#[path = "support/crc.rs"]
mod crc;
use crc::crc32;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iso8583-wire-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn purchase(stan: u32) -> (Vec<u8>, Vec<u8>) {
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
    b.set(2, "4111111111111111")
        .unwrap()
        .set(3, "000000")
        .unwrap()
        .set(4, 1000u32)
        .unwrap()
        .set(7, 315_143_015u64)
        .unwrap()
        .set(11, stan)
        .unwrap()
        .set(41, "TERM0001")
        .unwrap()
        .set(42, "MERCHANT0000001")
        .unwrap()
        .set(49, "840")
        .unwrap();
    let req = b.to_bytes().unwrap().to_vec();
    let m = ISO87_ASCII.decode(&req).unwrap();
    let rev = exchange::reversal_for(&m, &ReversalReason::OTHER, ReversalKind::Request).unwrap();
    (req, rev)
}

fn result(code: ResponseCode) -> HostResult {
    HostResult {
        code,
        rrn: Some("500112000001".parse::<Rrn>().unwrap()),
        auth_code: Some("123456".into()),
    }
}

fn config() -> JournalConfig {
    JournalConfig::new(&ISO87_ASCII)
}

fn reversal_mti(action: &Action) -> String {
    match action {
        Action::SendReversal { message, .. } => {
            ISO87_ASCII.decode(message).unwrap().mti().to_string()
        }
        other => panic!("expected a reversal, got {other:?}"),
    }
}

fn reversal_reason(action: &Action) -> String {
    match action {
        Action::SendReversal { message, .. } => ISO87_ASCII
            .decode(message)
            .unwrap()
            .field(39)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string(),
        other => panic!("expected a reversal, got {other:?}"),
    }
}

#[test]
fn approved_and_declined_settle_without_reversal() {
    let mut j = Journal::open(temp("answered.log"), config()).unwrap();
    for (stan, code) in [
        (1, ResponseCode::APPROVED),
        (2, ResponseCode::INSUFFICIENT_FUNDS),
    ] {
        let (req, rev) = purchase(stan);
        let id = j.begin(&req, &rev).unwrap();
        j.sent(id).unwrap();
        assert!(matches!(
            j.response(id, result(code)).unwrap(),
            State::Completed(_)
        ));
        assert_eq!(j.pending().unwrap(), Action::Nothing);
    }
}

#[test]
fn never_connected_drops_the_reversal() {
    let mut j = Journal::open(temp("not-sent.log"), config()).unwrap();
    let (req, rev) = purchase(1);
    let id = j.begin(&req, &rev).unwrap();
    j.not_sent(id).unwrap();
    assert_eq!(j.get(id).unwrap().state, State::NotSent);
    assert_eq!(j.pending().unwrap(), Action::Nothing);
}

#[test]
fn timeout_inquires_then_reverses_with_98_and_repeats_with_0401() {
    let path = temp("timeout.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(7);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    assert!(matches!(j.pending().unwrap(), Action::SendInquiry { id: i, .. } if i == id));
    // A pending action blocks the next transaction.
    let (req2, rev2) = purchase(8);
    assert!(matches!(j.begin(&req2, &rev2), Err(JournalError::PendingAction(i)) if i == id));
    // The host approved: by default the terminal reverses.
    j.inquiry_sent(id).unwrap();
    j.inquiry_answer(id, Some(result(ResponseCode::APPROVED)))
        .unwrap();
    let action = j.pending().unwrap();
    assert_eq!(reversal_mti(&action), "0400");
    assert_eq!(reversal_reason(&action), "98");
    j.reversal_sent(id).unwrap();
    // No answer: retried as a repeat, even after a restart.
    drop(j);
    let mut j = Journal::open(&path, config()).unwrap();
    let action = j.pending().unwrap();
    assert_eq!(reversal_mti(&action), "0401");
    j.reversal_sent(id).unwrap();
    // 96 does not settle; 25 does.
    assert!(matches!(
        j.reversal_response(id, ResponseCode::SYSTEM_MALFUNCTION)
            .unwrap(),
        State::Reversing { attempts: 2, .. }
    ));
    assert!(matches!(
        j.reversal_response(id, ResponseCode::UNABLE_TO_LOCATE)
            .unwrap(),
        State::Reversed(_)
    ));
    assert_eq!(j.pending().unwrap(), Action::Nothing);
    j.begin(&req2, &rev2).unwrap();
}

#[test]
fn reversal_settles_on_00_12_25_only() {
    for (code, settles) in [
        ("00", true),
        ("12", true),
        ("25", true),
        ("96", false),
        ("91", false),
        ("05", false),
    ] {
        let mut cfg = config();
        cfg.unknown_outcome = UnknownOutcome::Reverse;
        let mut j = Journal::open(temp(&format!("settle-{code}.log")), cfg).unwrap();
        let (req, rev) = purchase(3);
        let id = j.begin(&req, &rev).unwrap();
        j.sent(id).unwrap();
        j.timeout(id).unwrap();
        j.reversal_sent(id).unwrap();
        let state = j
            .reversal_response(id, ResponseCode::new(code).unwrap())
            .unwrap();
        assert_eq!(state.is_settled(), settles, "{code}");
    }
}

#[test]
fn mac_failure_reverses_with_a0() {
    let mut j = Journal::open(temp("mac.log"), config()).unwrap();
    let (req, rev) = purchase(4);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.mac_failure(id).unwrap();
    assert_eq!(reversal_reason(&j.pending().unwrap()), "A0");
}

#[test]
fn inquiry_outcomes() {
    // Not found: the host may not have processed it yet; reversed by default (see the
    // not_found_* tests for the other policies).
    let mut j = Journal::open(temp("inq-25.log"), config()).unwrap();
    let (req, rev) = purchase(5);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.inquiry_sent(id).unwrap();
    assert!(matches!(
        j.inquiry_answer(id, None).unwrap(),
        State::Reversing { .. }
    ));
    // Declined: settled.
    let mut j = Journal::open(temp("inq-51.log"), config()).unwrap();
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.inquiry_sent(id).unwrap();
    assert!(
        j.inquiry_answer(id, Some(result(ResponseCode::INSUFFICIENT_FUNDS)))
            .unwrap()
            .is_settled()
    );
    // Approved with the Keep policy: settled as approved.
    let mut cfg = config();
    cfg.after_approval = AfterApproval::Keep;
    let mut j = Journal::open(temp("inq-keep.log"), cfg).unwrap();
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.inquiry_sent(id).unwrap();
    assert!(
        matches!(j.inquiry_answer(id, Some(result(ResponseCode::APPROVED))).unwrap(), State::Completed(h) if h.code.is_approved())
    );
    // Unanswered inquiries: after max_inquiries, reverse.
    let mut j = Journal::open(temp("inq-max.log"), config()).unwrap();
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    for _ in 0..3 {
        assert!(matches!(j.pending().unwrap(), Action::SendInquiry { .. }));
        j.inquiry_sent(id).unwrap();
        j.inquiry_timeout(id).unwrap();
    }
    assert_eq!(reversal_reason(&j.pending().unwrap()), "98");
}

#[test]
fn crash_recovery_treats_prepared_and_sent_as_unknown() {
    let path = temp("recover.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(9);
    let id = j.begin(&req, &rev).unwrap();
    drop(j); // crash before sending
    let j = Journal::open(&path, config()).unwrap();
    assert_eq!(j.recovery().interrupted, 1);
    assert_eq!(j.get(id).unwrap().state, State::Unknown);
    assert!(matches!(j.pending().unwrap(), Action::SendInquiry { .. }));
    assert_eq!(j.last().unwrap().id, id);
}

#[test]
fn torn_last_line_is_cut_and_reported() {
    let path = temp("torn.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(10);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    drop(j);
    let mut bytes = content(&path);
    let good_len = bytes.len();
    bytes.extend_from_slice(b"R 1 00 5001120");
    std::fs::write(&path, &bytes).unwrap();
    let j = Journal::open(&path, config()).unwrap();
    assert_eq!(j.recovery().torn_tail_bytes, 14);
    let after = content(&path);
    // The events are kept as they were (the header line before them counts one more
    // event: the interruption).
    let header = after.iter().position(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(after[header..good_len], bytes[header..good_len]);
    let tail = String::from_utf8(after[good_len..].to_vec()).unwrap();
    assert!(
        tail.starts_with("K 1 ") && !tail.contains("5001120"),
        "torn append cut, interruption recorded: {tail}"
    );
    assert_eq!(j.get(id).unwrap().state, State::Unknown);
}

#[test]
fn corrupt_journal_is_an_error_and_nothing_is_discarded() {
    let path = temp("corrupt.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(11);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    // Made durable by the next event's sync: every line is within the header's length.
    j.timeout(id).unwrap();
    drop(j);
    let text = String::from_utf8(content(&path)).unwrap();
    for (bad, line) in [
        // Line 1 is the header.
        (text.replacen("S 1", "S 2", 1), 3), // checksum no longer matches
        (text.replacen("B 1 ", "B 1 ZZ", 1), 2), // checksum no longer matches
        (text.replacen("T 1 ", "T 1 Z", 1), 4), // checksum no longer matches
        (text.replacen("JOURNAL 3 0", "JOURNAL 3 1", 1), 1), // header checksum
    ] {
        std::fs::write(&path, &bad).unwrap();
        match Journal::open(&path, config()) {
            Err(JournalError::Corrupt { line: l, .. }) => assert_eq!(l, line),
            other => panic!("expected corrupt, got {other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            bad,
            "nothing rewritten"
        );
    }
    // Past the length the header made durable, a line that is not an event is an
    // append whose sync never returned: cut, reported, the events before it kept.
    std::fs::write(&path, format!("{text}garbage line\n")).unwrap();
    let j = Journal::open(&path, config()).unwrap();
    assert_eq!(j.recovery().torn_tail_bytes, "garbage line\n".len());
    assert_eq!(j.get(id).unwrap().state, State::Unknown);
}

#[test]
fn compaction_keeps_the_journal_bounded() {
    let path = temp("compact.log");
    let mut cfg = config();
    cfg.max_records = 5;
    let mut j = Journal::open(&path, cfg.clone()).unwrap();
    for stan in 1..=40 {
        let (req, rev) = purchase(stan);
        let id = j.begin(&req, &rev).unwrap();
        j.sent(id).unwrap();
        j.response(id, result(ResponseCode::APPROVED)).unwrap();
    }
    assert!(j.records().count() <= 6);
    let last = j.last().unwrap().id;
    // Memory after the compactions is what the file holds, event count included.
    let kept: Vec<_> = j.records().cloned().collect();
    let seq = j.seq();
    drop(j);
    let mut j = Journal::open(&path, cfg.clone()).unwrap();
    assert_eq!(j.last().unwrap().id, last);
    assert!(j.records().cloned().eq(kept));
    assert_eq!(j.seq(), seq);
    assert!(std::fs::read_to_string(&path).unwrap().lines().count() < 20);

    // The same with a transaction left unsettled across a compaction.
    let (req, rev) = purchase(41);
    let open = j.begin(&req, &rev).unwrap();
    j.sent(open).unwrap();
    j.timeout(open).unwrap();
    let kept: Vec<_> = j.records().cloned().collect();
    drop(j);
    let j = Journal::open(&path, cfg).unwrap();
    assert!(j.records().cloned().eq(kept));
}

#[test]
fn late_response_does_not_undo_a_reversal() {
    let mut cfg = config();
    cfg.unknown_outcome = UnknownOutcome::Reverse;
    let mut j = Journal::open(temp("late.log"), cfg).unwrap();
    let (req, rev) = purchase(12);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.reversal_sent(id).unwrap();
    let state = j
        .response(id, result(ResponseCode::APPROVED))
        .unwrap()
        .clone();
    assert!(matches!(state, State::Reversing { .. }));
    assert!(j.get(id).unwrap().late_response);
}

#[test]
fn wrong_steps_are_refused_and_not_written() {
    let path = temp("wrong.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(13);
    let id = j.begin(&req, &rev).unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        j.reversal_response(id, ResponseCode::APPROVED),
        Err(JournalError::WrongState { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(j.begin(b"garbage", &rev).is_err());
}

#[test]
fn replay_keeps_the_policy_in_force_when_events_were_written() {
    let path = temp("policy.log");
    let mut keep = config();
    keep.after_approval = AfterApproval::Keep;
    let mut j = Journal::open(&path, keep).unwrap();
    let (req, rev) = purchase(21);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.inquiry_sent(id).unwrap();
    assert!(matches!(
        j.inquiry_answer(id, Some(result(ResponseCode::APPROVED)))
            .unwrap(),
        State::Completed(_)
    ));
    drop(j);
    // Reopened with the default policy (reverse approvals learned by inquiry): the kept
    // sale stays kept.
    let j = Journal::open(&path, config()).unwrap();
    assert!(matches!(j.get(id).unwrap().state, State::Completed(_)));
    assert_eq!(j.pending().unwrap(), Action::Nothing);
}

#[test]
fn late_decline_before_any_reversal_settles_without_one() {
    let mut cfg = config();
    cfg.unknown_outcome = UnknownOutcome::Reverse;
    let mut j = Journal::open(temp("late-decline.log"), cfg).unwrap();
    let (req, rev) = purchase(22);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    assert!(matches!(
        j.response(id, result(ResponseCode::INSUFFICIENT_FUNDS))
            .unwrap(),
        State::Completed(_)
    ));
    assert_eq!(j.pending().unwrap(), Action::Nothing);
}

fn not_found_after_timeout(j: &mut Journal, stan: u32) -> iso8583_wire::pos::TxnId {
    let (req, rev) = purchase(stan);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.timeout(id).unwrap();
    j.inquiry_sent(id).unwrap();
    id
}

#[test]
fn not_found_reverses_by_default() {
    // A 25 only says the host has not processed the original *yet*.
    let mut j = Journal::open(temp("nf-default.log"), config()).unwrap();
    assert_eq!(j.config().not_found, NotFoundPolicy::Reverse);
    let id = not_found_after_timeout(&mut j, 31);
    assert!(matches!(
        j.inquiry_answer(id, None).unwrap(),
        State::Reversing { attempts: 0, .. }
    ));
    let action = j.pending().unwrap();
    assert_eq!(reversal_mti(&action), "0400");
    assert_eq!(reversal_reason(&action), "98");
    j.reversal_sent(id).unwrap();
    // The host never saw it: 25 settles the reversal.
    assert_eq!(
        j.reversal_response(id, ResponseCode::UNABLE_TO_LOCATE)
            .unwrap(),
        &State::Reversed(ResponseCode::UNABLE_TO_LOCATE)
    );
    assert_eq!(j.pending().unwrap(), Action::Nothing);
}

#[test]
fn not_found_reinquires_up_to_max_then_reverses() {
    let mut cfg = config();
    cfg.not_found = NotFoundPolicy::Reinquire {
        after: Duration::from_millis(5),
        max: 2,
    };
    let mut j = Journal::open(temp("nf-reinquire.log"), cfg.clone()).unwrap();
    let id = not_found_after_timeout(&mut j, 32);
    // First 25: ask again.
    assert_eq!(
        j.inquiry_answer(id, None).unwrap(),
        &State::Inquiring { attempts: 1 }
    );
    assert!(matches!(j.pending().unwrap(), Action::SendInquiry { id: i, .. } if i == id));
    j.inquiry_sent(id).unwrap();
    // Second (the last allowed) 25: reverse.
    assert!(matches!(
        j.inquiry_answer(id, None).unwrap(),
        State::Reversing { attempts: 0, .. }
    ));
    assert_eq!(reversal_reason(&j.pending().unwrap()), "98");

    // Found on the second inquiry: the answer decides as any found answer does.
    let mut j = Journal::open(temp("nf-reinquire-found.log"), cfg).unwrap();
    let id = not_found_after_timeout(&mut j, 33);
    j.inquiry_answer(id, None).unwrap();
    j.inquiry_sent(id).unwrap();
    let declined = j
        .inquiry_answer(id, Some(result(ResponseCode::INSUFFICIENT_FUNDS)))
        .unwrap();
    assert!(matches!(declined, State::Completed(h) if h.code == ResponseCode::INSUFFICIENT_FUNDS));
}

#[test]
fn not_found_settle_policy_settles_as_25() {
    let mut cfg = config();
    cfg.not_found = NotFoundPolicy::Settle;
    let mut j = Journal::open(temp("nf-settle.log"), cfg).unwrap();
    let id = not_found_after_timeout(&mut j, 34);
    assert!(
        matches!(j.inquiry_answer(id, None).unwrap(), State::Completed(h) if h.code == ResponseCode::UNABLE_TO_LOCATE)
    );
    assert_eq!(j.pending().unwrap(), Action::Nothing);
}

#[test]
fn replay_keeps_the_not_found_policy_in_force_when_written() {
    let path = temp("nf-replay.log");
    let mut settle = config();
    settle.not_found = NotFoundPolicy::Settle;
    let mut j = Journal::open(&path, settle).unwrap();
    let settled = not_found_after_timeout(&mut j, 35);
    j.inquiry_answer(settled, None).unwrap();
    drop(j);
    let mut reinquire = config();
    reinquire.not_found = NotFoundPolicy::Reinquire {
        after: Duration::from_millis(250),
        max: 3,
    };
    let mut j = Journal::open(&path, reinquire).unwrap();
    let asking = not_found_after_timeout(&mut j, 36);
    j.inquiry_answer(asking, None).unwrap();
    drop(j);
    // Reopened with the default (reverse): each answer replays as it was decided.
    let j = Journal::open(&path, config()).unwrap();
    assert!(
        matches!(&j.get(settled).unwrap().state, State::Completed(h) if h.code == ResponseCode::UNABLE_TO_LOCATE)
    );
    assert_eq!(
        j.get(asking).unwrap().state,
        State::Inquiring { attempts: 1 }
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(" N R S "), "{text}");
    assert!(text.contains(" N R Q250/3 "), "{text}");
}

/// The journal's events: the file without the zeros it is extended with ahead of
/// them (an event a test adds goes where the journal would write it).
fn content(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes.truncate(end);
    bytes
}

#[test]
fn old_not_found_event_without_policy_replays_as_settled() {
    // Journals written before the policy existed: `I <id> N <approval>`; a 25 settled.
    let path = temp("nf-old-form.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let id = not_found_after_timeout(&mut j, 37);
    drop(j);
    let mut text = String::from_utf8(content(&path)).unwrap();
    let body = format!("I {} N R", id.0);
    text.push_str(&format!("{body} {:08x}\n", crc32(body.as_bytes())));
    std::fs::write(&path, &text).unwrap();
    let j = Journal::open(&path, config()).unwrap();
    assert!(
        matches!(&j.get(id).unwrap().state, State::Completed(h) if h.code == ResponseCode::UNABLE_TO_LOCATE)
    );
    assert_eq!(j.pending().unwrap(), Action::Nothing);
    drop(j);
    // A malformed policy token is damage, not a default.
    let body = format!("I {} N R Qx/3", id.0);
    std::fs::write(
        &path,
        format!(
            "{}{body} {:08x}\n",
            text.lines()
                .take(4)
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
            crc32(body.as_bytes())
        ),
    )
    .unwrap();
    let got = Journal::open(&path, config());
    assert!(
        matches!(got, Err(JournalError::Corrupt { line: 5, .. })),
        "{got:?}"
    );
}

/// An event whose sync never returned may reach the disk in pieces, over the zeros the
/// file was extended with: a damaged line past the length the header made durable is a
/// torn tail, cut and reported; the same damage before it is corruption.
#[test]
fn a_torn_event_over_the_zeros_is_cut_not_called_corrupt() {
    let path = temp("torn-zeros.log");
    let mut j = Journal::open(&path, config()).unwrap();
    let (req, rev) = purchase(14);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    j.response(id, result(ResponseCode::APPROVED)).unwrap();
    let kept: Vec<_> = j.records().cloned().collect();
    drop(j);
    let durable = content(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.len() > durable.len() + 200,
        "zeros ahead of the events"
    );
    // The next event's first and last pieces reached the disk, its middle did not.
    let piece = b"B 2 30323030";
    bytes[durable.len()..durable.len() + piece.len()].copy_from_slice(piece);
    let end = durable.len() + 150;
    bytes[end - 9..end].copy_from_slice(b" 1a2b3c4\n");
    std::fs::write(&path, &bytes).unwrap();

    let j = Journal::open(&path, config()).unwrap();
    assert_eq!(j.recovery().torn_tail_bytes, 150);
    assert!(j.records().cloned().eq(kept.iter().cloned()));
    drop(j);
    assert_eq!(
        content(&path),
        durable,
        "the torn event is gone, nothing else"
    );

    // The same bytes inside the durable length: refused, named, nothing rewritten.
    let mut bad = durable.clone();
    let last_line = bad[..bad.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    bad[last_line + 3..last_line + 8].fill(0);
    std::fs::write(&path, &bad).unwrap();
    assert!(matches!(
        Journal::open(&path, config()),
        Err(JournalError::Corrupt { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), bad);
}

/// A journal file holding only zeros (its events never reached the disk, or were
/// wiped) is reported as emptied, never opened as a fresh journal.
#[test]
fn a_journal_of_zeros_is_reported_emptied() {
    let path = temp("zeros.log");
    std::fs::write(&path, vec![0u8; 4096]).unwrap();
    assert!(matches!(
        Journal::open(&path, config()),
        Err(JournalError::Emptied { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), vec![0u8; 4096]);
}
