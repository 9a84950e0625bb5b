//! Unit tests.

use super::*;
use std::string::{String, ToString};
use std::vec::Vec;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iso8583-wire-unit-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = fs::remove_file(&p);
    p
}

#[test]
fn reopen_skips_the_reserved_block_and_never_goes_back() {
    let p = temp("reopen.stan");
    let s = FileStanSequence::create(&p, Stan::new(999_998).unwrap(), 3).unwrap();
    let got: Vec<String> = (0..4).map(|_| s.next_stan().unwrap().to_string()).collect();
    assert_eq!(got, ["999998", "999999", "000001", "000002"]);
    drop(s);
    let s = FileStanSequence::open(&p, 3).unwrap();
    // The mark was at counter 999997 + 3 + 3 = 1000003 (STAN 000004).
    assert_eq!(s.next_stan().unwrap().to_string(), "000005");
    s.skip(100).unwrap();
    assert_eq!(s.next_stan().unwrap().to_string(), "000106");
    // While `s` owns the file, nobody else may open or create it.
    assert!(matches!(
        FileStanSequence::create(&p, Stan::FIRST, 3),
        Err(SequenceError::Locked { .. })
    ));
    assert!(matches!(
        FileStanSequence::open(&p, 3),
        Err(SequenceError::Locked { .. })
    ));
    drop(s);
    assert!(matches!(
        FileStanSequence::create(&p, Stan::FIRST, 3),
        Err(SequenceError::AlreadyExists { .. })
    ));
}

#[test]
fn corrupt_files_are_reported_not_reset() {
    let p = temp("corrupt.stan");
    FileStanSequence::create(&p, Stan::FIRST, 10)
        .unwrap()
        .next_stan()
        .unwrap();
    let good = fs::read_to_string(&p).unwrap();
    for (bad, why) in [
        (good.replace(" 10 ", " 19 "), "checksum mismatch"),
        (good.trim_end().to_string(), "truncated (no line end)"),
        (String::new(), EMPTY),
        ("garbage\n".to_string(), "no checksum"),
    ] {
        fs::write(&p, bad).unwrap();
        match FileStanSequence::open_or_create(&p, 10) {
            Err(SequenceError::Corrupt { reason, .. }) => assert_eq!(reason, why),
            other => panic!("expected corrupt ({why}), got {other:?}"),
        }
    }
    fs::remove_file(&p).unwrap();
    let s = FileStanSequence::open_or_create(&p, 10).unwrap();
    assert_eq!(s.next_stan().unwrap(), Stan::FIRST);
}

#[test]
fn a_lost_emptied_or_older_state_file_never_goes_below_the_journal() {
    let p = temp("checked.stan");
    let journal_last = Some(Stan::new(250).unwrap());
    let options = StanOpenOptions::new(10).journal_last(journal_last);
    // Missing: rebuilt above the journal's STAN.
    let (s, r) = FileStanSequence::open_checked(&p, options).unwrap();
    assert_eq!(
        r,
        StanRecovery::Rebuilt {
            journal_last: Stan::new(250).unwrap(),
            was_empty: false,
            next: Stan::new(261).unwrap()
        }
    );
    assert_eq!(s.next_stan().unwrap().value(), 261);
    drop(s);
    // Emptied: the same, and said so.
    fs::write(&p, "").unwrap();
    let (s, r) = FileStanSequence::open_checked(&p, options).unwrap();
    assert!(
        matches!(
            r,
            StanRecovery::Rebuilt {
                was_empty: true,
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(s.next_stan().unwrap().value(), 261);
    drop(s);
    // Emptied and no journal to rebuild from: reported, never reset.
    fs::write(&p, "").unwrap();
    assert!(matches!(
        FileStanSequence::open_checked(&p, StanOpenOptions::new(10)),
        Err(SequenceError::Corrupt { reason: EMPTY, .. })
    ));
    // Older (a copy from before STAN 250): moved forward.
    fs::remove_file(&p).unwrap();
    drop(FileStanSequence::create(&p, Stan::new(100).unwrap(), 10).unwrap());
    let (s, r) = FileStanSequence::open_checked(&p, options).unwrap();
    assert!(
        matches!(r, StanRecovery::Advanced { next, .. } if next.value() == 261),
        "{r:?}"
    );
    assert_eq!(s.next_stan().unwrap().value(), 261);
    drop(s);
    // Ahead of the journal (the normal case): resumed as it is.
    let (s, r) = FileStanSequence::open_checked(&p, options).unwrap();
    assert_eq!(r, StanRecovery::Resumed);
    assert_eq!(s.next_stan().unwrap().value(), 271);
    drop(s);
    // Across the wrap: a file at 999990 and a journal at 000005 is behind.
    fs::remove_file(&p).unwrap();
    drop(FileStanSequence::create(&p, Stan::new(999_990).unwrap(), 10).unwrap());
    let wrap = StanOpenOptions::new(10).journal_last(Some(Stan::new(5).unwrap()));
    let (s, r) = FileStanSequence::open_checked(&p, wrap).unwrap();
    assert!(matches!(r, StanRecovery::Advanced { .. }), "{r:?}");
    assert_eq!(s.next_stan().unwrap().value(), 16);
    drop(s);
    // Neither file nor journal: a new terminal.
    fs::remove_file(&p).unwrap();
    let (s, r) = FileStanSequence::open_checked(&p, StanOpenOptions::new(10)).unwrap();
    assert_eq!(r, StanRecovery::New);
    assert_eq!(s.next_stan().unwrap(), Stan::FIRST);
}

#[test]
fn the_journal_position_is_kept_with_each_reservation() {
    let p = temp("anchor.stan");
    let s = FileStanSequence::create(&p, Stan::FIRST, 2).unwrap();
    s.note_journal(7);
    s.next_stan().unwrap(); // reserves 1-2, writing position 7
    s.note_journal(9);
    s.next_stan().unwrap(); // within the block: not written
    drop(s);
    let s = FileStanSequence::open(&p, 2).unwrap();
    assert_eq!(s.journal_anchor(), 7);
    // A state file of the first format reads with no position.
    drop(s);
    let body = "ISO8583-WIRE-STAN 1 5";
    fs::write(&p, format!("{body} {:08x}\n", crc32(body.as_bytes()))).unwrap();
    let s = FileStanSequence::open(&p, 2).unwrap();
    assert_eq!((s.journal_anchor(), s.next_stan().unwrap().value()), (0, 6));
}
