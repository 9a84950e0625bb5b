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
        (String::new(), "truncated (no line end)"),
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
