//! Card data at rest: the journal file never holds track data, PIN blocks or a
//! readable PAN, in any state; reversals and inquiries still go out right; journals
//! of the older format are converted; a wrong key is an error, never a fallback.

use std::path::{Path, PathBuf};

use iso8583_wire::exchange::{self, InquiryConfig, ResponseCode, ReversalKind, ReversalReason};
use iso8583_wire::fields::Stan;
use iso8583_wire::layouts::{ISO87_ASCII, ISO87_BINARY, ISO93_ASCII};
use iso8583_wire::pos::journal::{HostResult, UnknownOutcome, inspect};
use iso8583_wire::pos::{
    Action, Journal, JournalConfig, JournalError, PanAtRest, State, StoredPan, TxnId,
};
use iso8583_wire::spec::MessageSpec;
use iso8583_wire::tlv::{Tag, TlvBuilder, Tlvs};
use iso8583_wire::{MessageBuilder, Mti};

const PAN: &str = "4761739001010119";
const MASKED: &str = "476173******0119";
const TRACK2: &str = "4761739001010119=2512201998877665";
const DISCRETIONARY: &str = "998877665";
const PIN_BLOCK: [u8; 8] = [0x3A, 0x7C, 0x91, 0x5E, 0x0B, 0xD2, 0x64, 0xF8];
const TRACK1_DISCRETIONARY: &[u8] = b"T1DISCRETIONARY0042";

#[path = "support/crc.rs"]
mod crc;
use crc::crc32;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iso8583-wire-at-rest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Field 55 with the PAN (5A), track 2 equivalent data (57), track 1 discretionary
/// data (9F1F), and tags a reversal keeps.
fn emv() -> Vec<u8> {
    let mut t = TlvBuilder::new();
    t.put(
        Tag::new(0x5A),
        &[0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19],
    )
    .put(
        Tag::new(0x57),
        &[
            0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19, 0xD2, 0x51, 0x22, 0x01, 0x99, 0x88,
            0x77, 0x66, 0x5F,
        ],
    )
    .put(Tag::new(0x9F1F), TRACK1_DISCRETIONARY)
    .put(
        Tag::new(0x9F26),
        &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
    )
    .put(Tag::new(0x95), &[0, 0, 0x80, 0, 0])
    .put(Tag::new(0x9F36), &[0, 0x2A])
    .put(Tag::new(0x9F10), &[6, 1, 0x0A, 0x03, 0xA0, 0, 0]);
    t.finish()
}

/// A purchase carrying PAN, track 2, PIN block and (where the layout reads field 55
/// as TLV) EMV data; and either its reversal as [`exchange::reversal_for`] builds it
/// or a careless one that copies every field of the request.
fn purchase(spec: &'static MessageSpec<'static>, stan: u32, careless: bool) -> (Vec<u8>, Vec<u8>) {
    let v = if std::ptr::eq(spec, &ISO93_ASCII) {
        1
    } else {
        0
    };
    let mut b = MessageBuilder::new(spec, Mti::new(v * 1000 + 200).unwrap());
    b.set(2, PAN).unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, 1500u32).unwrap();
    b.set(7, 315_143_015u64).unwrap();
    b.set(11, stan).unwrap();
    b.set(14, "2512").unwrap();
    b.set(35, TRACK2).unwrap();
    b.set(41, "TERM0001").unwrap();
    b.set(42, "MERCHANT0000001").unwrap();
    b.set(49, "840").unwrap();
    b.set(52, &PIN_BLOCK).unwrap();
    if !std::ptr::eq(spec, &ISO87_ASCII) {
        b.set(55, emv()).unwrap();
    }
    let req = b.to_bytes().unwrap().to_vec();
    let m = spec.decode(&req).unwrap();
    let rev = if careless {
        let mut r = MessageBuilder::from_message(&m);
        r.set_mti(Mti::new(v * 1000 + 400).unwrap());
        r.to_bytes().unwrap().to_vec()
    } else {
        exchange::reversal_for(&m, &ReversalReason::OTHER, ReversalKind::Request).unwrap()
    };
    (req, rev)
}

/// Every form the card data could take in the file: digits, the hex of their ASCII
/// form, the hex of binary values.
fn needles() -> Vec<(&'static str, String)> {
    vec![
        ("PAN", PAN.to_string()),
        ("PAN (ASCII hex)", hex(PAN.as_bytes())),
        ("track 2 discretionary data", DISCRETIONARY.to_string()),
        (
            "track 2 discretionary data (ASCII hex)",
            hex(DISCRETIONARY.as_bytes()),
        ),
        ("track 2 (ASCII hex)", hex(TRACK2.as_bytes())),
        ("PIN block", hex(&PIN_BLOCK)),
        ("PIN block (hex text)", hex(hex(&PIN_BLOCK).as_bytes())),
        ("track 1 discretionary data", hex(TRACK1_DISCRETIONARY)),
        (
            "track 1 discretionary data (text)",
            String::from_utf8(TRACK1_DISCRETIONARY.to_vec()).unwrap(),
        ),
    ]
}

fn assert_clean(path: &Path, when: &str) {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).to_uppercase();
    for (what, needle) in needles() {
        assert!(
            !text.contains(&needle.to_uppercase()),
            "{when}: the journal holds the {what}:\n{text}"
        );
    }
}

fn approved() -> HostResult {
    HostResult {
        code: ResponseCode::APPROVED,
        rrn: Some("500112000001".parse().unwrap()),
        auth_code: Some("A1B2C3".into()),
    }
}

#[cfg(feature = "crypto")]
fn key() -> iso8583_wire::security::Key {
    iso8583_wire::security::Key::aes_from_hex(
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
    )
    .unwrap()
}

fn policies() -> Vec<(&'static str, PanAtRest)> {
    #[allow(unused_mut)]
    let mut p = vec![("truncate", PanAtRest::Truncate), ("omit", PanAtRest::Omit)];
    #[cfg(feature = "crypto")]
    p.push(("encrypt", PanAtRest::Encrypt(key())));
    p
}

fn config(spec: &'static MessageSpec<'static>, pan: PanAtRest) -> JournalConfig {
    let mut c = JournalConfig::new(spec);
    c.pan_at_rest = pan;
    c
}

fn reversal_of(action: &Action) -> Vec<u8> {
    match action {
        Action::SendReversal { message, .. } => message.clone(),
        other => panic!("expected a reversal, got {other:?}"),
    }
}

#[test]
fn no_card_data_in_the_file_in_any_state() {
    for spec in [&ISO87_ASCII, &ISO87_BINARY, &ISO93_ASCII] {
        for (name, pan) in policies() {
            for careless in [false, true] {
                let when = |step: &str| format!("{} {name} careless={careless}: {step}", spec.name);
                let path = temp(&format!("states-{}-{name}-{careless}.log", spec.name));
                let mut c = config(spec, pan.clone());
                c.max_records = 3;
                let mut j = Journal::open(&path, c.clone()).unwrap();
                // Completed.
                let (req, rev) = purchase(spec, 1, careless);
                let id = j.begin(&req, &rev).unwrap();
                assert_clean(&path, &when("begin"));
                j.sent(id).unwrap();
                j.response(id, approved()).unwrap();
                assert_clean(&path, &when("response"));
                // Lost response: inquiry, approval, reversal.
                let (req, rev) = purchase(spec, 2, careless);
                let id = j.begin(&req, &rev).unwrap();
                j.sent(id).unwrap();
                j.timeout(id).unwrap();
                let Action::SendInquiry { original, .. } = j.pending().unwrap() else {
                    panic!("expected an inquiry");
                };
                let original = spec.decode(&original).unwrap();
                let inquiry = exchange::inquiry_for(
                    &original,
                    Stan::new(3).unwrap(),
                    chrono::NaiveDate::from_ymd_opt(2025, 3, 15)
                        .unwrap()
                        .and_hms_opt(14, 30, 15)
                        .unwrap(),
                    &InquiryConfig::default(),
                )
                .unwrap();
                let inquiry = spec.decode(&inquiry).unwrap();
                assert!(!inquiry.has(2) && !inquiry.has(35) && !inquiry.has(52));
                j.inquiry_sent(id).unwrap();
                assert_clean(&path, &when("inquiry"));
                j.inquiry_answer(id, Some(approved())).unwrap();
                let reversal = reversal_of(&j.pending().unwrap());
                j.reversal_sent(id).unwrap();
                assert_clean(&path, &when("reversal"));
                j.reversal_response(id, ResponseCode::APPROVED).unwrap();
                // Crash with a transaction in flight, then compaction.
                let (req, rev) = purchase(spec, 4, careless);
                let id = j.begin(&req, &rev).unwrap();
                j.sent(id).unwrap();
                drop(j);
                let mut j = Journal::open(&path, c.clone()).unwrap();
                assert_clean(&path, &when("after the crash"));
                j.reversal_sent(id).unwrap();
                j.reversal_response(id, ResponseCode::APPROVED).unwrap();
                for stan in 5..9 {
                    let (req, rev) = purchase(spec, stan, careless);
                    let id = j.begin(&req, &rev).unwrap();
                    j.sent(id).unwrap();
                    j.response(id, approved()).unwrap();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(text.lines().any(|l| l.starts_with("X ")), "compacted");
                assert_clean(&path, &when("after compaction"));
                // The reversal that went out: no track data or PIN block, field 2 per
                // policy.
                let m = spec.decode(&reversal).unwrap();
                assert!(m.mti().is_reversal());
                for n in [35, 52] {
                    assert!(!m.has(n), "{}: field {n} in the reversal", when("reversal"));
                }
                match &pan {
                    #[cfg(feature = "crypto")]
                    PanAtRest::Encrypt(_) => {
                        assert_eq!(m.field(2).unwrap().value().to_string(), PAN);
                    }
                    _ => assert!(!m.has(2)),
                }
                if let Some(f55) = m.field(55) {
                    let tags: Vec<u32> = Tlvs::new(f55.data())
                        .map(|t| t.unwrap().tag.value())
                        .collect();
                    assert!(!tags.contains(&0x5A) && !tags.contains(&0x57), "{tags:x?}");
                    assert!(!tags.contains(&0x9F1F));
                    assert!(tags.contains(&0x9F36), "{tags:x?}");
                }
                // What the records show.
                for r in j.records() {
                    assert!(!spec.decode(&r.request).unwrap().has(2));
                    match (&pan, &r.pan) {
                        (PanAtRest::Truncate, StoredPan::Truncated(m)) => assert_eq!(m, MASKED),
                        (PanAtRest::Omit, StoredPan::None) => {}
                        #[cfg(feature = "crypto")]
                        (PanAtRest::Encrypt(k), StoredPan::Enciphered(e)) => {
                            assert_eq!(e.key_check_value(), k.check_value().to_string())
                        }
                        (_, other) => panic!("{}: stored {other:?}", when("records")),
                    }
                }
            }
        }
    }
}

#[test]
fn inquiry_after_a_crash_names_the_original() {
    let path = temp("inquiry.log");
    let mut j = Journal::open(&path, config(&ISO87_ASCII, PanAtRest::Truncate)).unwrap();
    let (req, rev) = purchase(&ISO87_ASCII, 77, false);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    drop(j);
    let j = Journal::open(&path, config(&ISO87_ASCII, PanAtRest::Truncate)).unwrap();
    let Action::SendInquiry { original, .. } = j.pending().unwrap() else {
        panic!("expected an inquiry");
    };
    let original = ISO87_ASCII.decode(&original).unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2025, 3, 15)
        .unwrap()
        .and_hms_opt(14, 30, 15)
        .unwrap();
    let inquiry = exchange::inquiry_for(
        &original,
        Stan::new(78).unwrap(),
        at,
        &InquiryConfig::default(),
    )
    .unwrap();
    let inquiry = ISO87_ASCII.decode(&inquiry).unwrap();
    // The original data elements: MTI 0200, STAN 000077, field 7 of the original.
    assert_eq!(
        inquiry.field(90).unwrap().as_str().unwrap().get(..20),
        Some("02000000770315143015")
    );
    assert_eq!(inquiry.field(4).unwrap().to_u64().unwrap(), 1500);
    assert_eq!(inquiry.field(41).unwrap().as_str(), Some("TERM0001"));
    assert!(!inquiry.has(2));
    assert_eq!(j.last_stan().map(|s| s.value()), Some(77));
}

#[cfg(feature = "crypto")]
#[test]
fn a_pending_reversal_after_a_crash_carries_the_deciphered_pan() {
    let path = temp("crash-key.log");
    let mut c = config(&ISO87_BINARY, PanAtRest::Encrypt(key()));
    c.unknown_outcome = UnknownOutcome::Reverse;
    let mut j = Journal::open(&path, c.clone()).unwrap();
    let (req, rev) = purchase(&ISO87_BINARY, 9, true);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    drop(j); // crash
    assert_clean(&path, "after the crash");
    let mut j = Journal::open(&path, c.clone()).unwrap();
    let first = reversal_of(&j.pending().unwrap());
    let m = ISO87_BINARY.decode(&first).unwrap();
    assert_eq!(m.mti().value(), 400);
    assert_eq!(m.field(2).unwrap().value().to_string(), PAN);
    assert_eq!(m.field(39).unwrap().value().to_string(), "98");
    assert!(!m.has(35) && !m.has(52));
    j.reversal_sent(id).unwrap();
    drop(j); // crash again: the repeat carries the PAN too
    let j = Journal::open(&path, c).unwrap();
    let again = reversal_of(&j.pending().unwrap());
    let m = ISO87_BINARY.decode(&again).unwrap();
    assert_eq!(m.mti().value(), 401);
    assert_eq!(m.field(2).unwrap().value().to_string(), PAN);
    assert_clean(&path, "after the repeat");
    // Debug output shows no card data.
    let shown = format!("{:?} {:?} {:?}", j.pending().unwrap(), j.last(), j.config());
    assert!(
        !shown.contains(PAN) && !shown.contains(&hex(&PIN_BLOCK)),
        "{shown}"
    );
}

#[test]
fn without_a_key_the_reversal_goes_out_without_field_2() {
    for (pan, stored) in [
        (PanAtRest::Truncate, StoredPan::Truncated(MASKED.into())),
        (PanAtRest::Omit, StoredPan::None),
    ] {
        let path = temp("no-key.log");
        let mut c = config(&ISO87_ASCII, pan);
        c.unknown_outcome = UnknownOutcome::Reverse;
        let mut j = Journal::open(&path, c).unwrap();
        let (req, rev) = purchase(&ISO87_ASCII, 5, false);
        let id = j.begin(&req, &rev).unwrap();
        j.sent(id).unwrap();
        j.timeout(id).unwrap();
        assert_eq!(j.get(id).unwrap().pan, stored);
        let m = reversal_of(&j.pending().unwrap());
        let m = ISO87_ASCII.decode(&m).unwrap();
        assert!(!m.has(2));
        assert_eq!(m.field(11).unwrap().to_u64().unwrap(), 5);
        assert_eq!(m.field(14).unwrap().as_str(), Some("2512"));
        assert!(m.has(90));
        let shown = format!("{:?}", j.get(id).unwrap());
        assert!(!shown.contains(PAN), "{shown}");
    }
}

#[cfg(feature = "crypto")]
#[test]
fn a_wrong_or_missing_key_is_refused_and_nothing_changes() {
    use iso8583_wire::security::Key;
    let path = temp("wrong-key.log");
    let mut j = Journal::open(&path, config(&ISO87_ASCII, PanAtRest::Encrypt(key()))).unwrap();
    let (req, rev) = purchase(&ISO87_ASCII, 1, false);
    let id = j.begin(&req, &rev).unwrap();
    j.sent(id).unwrap();
    drop(j);
    let before = std::fs::read(&path).unwrap();
    let other = Key::aes(&[0x42; 16]).unwrap();
    let kcv = key().check_value().to_string();
    let other_kcv = other.check_value().to_string();
    for (pan, expect) in [
        (PanAtRest::Encrypt(other), vec![kcv.clone(), other_kcv]),
        (PanAtRest::Truncate, vec![kcv.clone(), "no key".into()]),
        (PanAtRest::Omit, vec![kcv.clone(), "no key".into()]),
        (
            PanAtRest::Encrypt(Key::des(&[1; 16]).unwrap()),
            vec!["AES-128 or AES-256".into()],
        ),
    ] {
        match Journal::open(&path, config(&ISO87_ASCII, pan)) {
            Err(e @ JournalError::PanKey { .. }) => {
                let text = e.to_string();
                for part in expect {
                    assert!(text.contains(&part), "{text}");
                }
            }
            other => panic!("expected a key error, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing changed");
    }
    // The right key opens it.
    let j = Journal::open(&path, config(&ISO87_ASCII, PanAtRest::Encrypt(key()))).unwrap();
    assert!(matches!(j.pending().unwrap(), Action::SendInquiry { .. }));
}

fn line(body: &str) -> String {
    format!("{body} {:08x}\n", crc32(body.as_bytes()))
}

fn header(version: u8, seq: u64, len: u64) -> String {
    line(&format!(
        "ISO8583-WIRE-JOURNAL {version} {seq:020} {:020} {len:020}",
        0
    ))
}

#[cfg(feature = "crypto")]
#[test]
fn an_altered_pan_is_an_error_never_a_reversal_without_it() {
    let path = temp("altered.log");
    let mut c = config(&ISO87_ASCII, PanAtRest::Encrypt(key()));
    c.unknown_outcome = UnknownOutcome::Reverse;
    let mut j = Journal::open(&path, c.clone()).unwrap();
    for stan in [1, 2] {
        let (req, rev) = purchase(&ISO87_ASCII, stan, false);
        let id = j.begin(&req, &rev).unwrap();
        j.sent(id).unwrap();
        if stan == 1 {
            j.response(id, approved()).unwrap();
        }
    }
    drop(j);
    // The events, without the zeros the file is extended with ahead of them.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .trim_end_matches('\0')
        .to_string();
    let token = |id: u64| -> String {
        let l = text
            .lines()
            .find(|l| l.starts_with(&format!("B {id} ")))
            .unwrap();
        l.split(' ').nth(4).unwrap().to_string()
    };
    let (first, second) = (token(1), token(2));
    // A flipped bit in the ciphertext, and the token of another transaction moved in.
    let mut flipped = second.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    for replacement in [flipped, first] {
        let mut out = String::new();
        for l in text.lines() {
            if l.starts_with("B 2 ") {
                let body = l.rsplit_once(' ').unwrap().0.replace(&second, &replacement);
                out.push_str(&line(&body));
            } else {
                out.push_str(l);
                out.push('\n');
            }
        }
        // Same length: the header still holds.
        assert_eq!(out.len(), text.len());
        std::fs::write(&path, out).unwrap();
        let j = Journal::open(&path, c.clone()).unwrap();
        match j.pending() {
            Err(JournalError::PanUndecipherable(TxnId(2))) => {}
            other => panic!("expected an undecipherable PAN, got {other:?}"),
        }
    }
}

#[test]
fn an_old_format_journal_is_converted_on_open() {
    let (req, rev) = purchase(&ISO87_BINARY, 21, true);
    let (req2, rev2) = purchase(&ISO87_BINARY, 22, true);
    let b1 = line(&format!("B 1 {} {}", hex(&req), hex(&rev)));
    let s1 = line("S 1");
    let r1 = line("R 1 00 500112000001 - R");
    let snapshot = line(&format!("X 2 {} {} 0 U", hex(&req2), hex(&rev2)));
    let body = format!("{b1}{s1}{r1}{snapshot}");
    let v2 = format!("{}{body}", header(2, 4, (95 + body.len()) as u64));
    assert!(
        v2.to_uppercase().contains(PAN),
        "the old format holds the PAN"
    );
    let v1 = format!("{b1}{s1}");
    for (name, old) in [("v2", v2), ("v1", v1)] {
        #[allow(unused_mut)]
        let mut policies = vec![PanAtRest::Truncate];
        #[cfg(feature = "crypto")]
        policies.push(PanAtRest::Encrypt(key()));
        for pan in policies {
            let path = temp(&format!("old-{name}.log"));
            std::fs::write(&path, &old).unwrap();
            // Inspection of the old bytes gives stripped records already.
            let c = config(&ISO87_BINARY, pan.clone());
            for r in inspect(old.as_bytes(), &c).unwrap() {
                assert!(!ISO87_BINARY.decode(&r.reversal).unwrap().has(35));
            }
            let mut c = c;
            c.unknown_outcome = UnknownOutcome::Reverse;
            let j = Journal::open(&path, c.clone()).unwrap();
            assert_clean(&path, &format!("{name} converted"));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with("ISO8583-WIRE-JOURNAL 3 "), "{text}");
            assert!(matches!(
                j.get(TxnId(1)).unwrap().state,
                State::Completed(_) | State::Unknown
            ));
            // The pending transaction's reversal still goes out.
            let m = reversal_of(&j.pending().unwrap());
            let m = ISO87_BINARY.decode(&m).unwrap();
            assert!(!m.has(35) && !m.has(52));
            if matches!(pan, PanAtRest::Truncate) {
                assert!(!m.has(2));
            } else {
                assert_eq!(m.field(2).unwrap().value().to_string(), PAN);
            }
            drop(j);
            // Opened again: nothing more to convert, same content.
            let again = Journal::open(&path, c).unwrap();
            assert_eq!(again.records().count(), if name == "v2" { 2 } else { 1 });
        }
    }
}

#[test]
fn enciphered_pans_without_a_key_are_refused() {
    // A journal written with a key, opened without one (or by a build without the
    // `crypto` feature): refused, the file untouched.
    let path = temp("no-key-for-enciphered.log");
    let mut j = Journal::open(&path, config(&ISO87_ASCII, PanAtRest::Omit)).unwrap();
    let (req, rev) = purchase(&ISO87_ASCII, 3, false);
    let id = j.begin(&req, &rev).unwrap();
    let r = j.get(id).unwrap().clone();
    drop(j);
    let token = format!("EABCDEF.{}.{}", "00".repeat(12), "11".repeat(32));
    let body = line(&format!(
        "B 1 {} {} {token}",
        hex(&r.request),
        hex(&r.reversal)
    ));
    let text = format!("{}{body}", header(3, 1, (95 + body.len()) as u64));
    std::fs::write(&path, &text).unwrap();
    for pan in [PanAtRest::Truncate, PanAtRest::Omit] {
        match Journal::open(&path, config(&ISO87_ASCII, pan)) {
            Err(e @ JournalError::PanKey { .. }) => {
                let shown = e.to_string();
                assert!(
                    shown.contains("ABCDEF") && shown.contains("no key"),
                    "{shown}"
                );
            }
            other => panic!("expected a key error, got {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
