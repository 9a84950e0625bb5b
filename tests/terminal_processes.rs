//! Terminal state shared by two processes: the locks keep a second terminal out, and
//! processes racing on one STAN state file never hand out the same STAN. (A test binary
//! of its own: the child processes it starts must not inherit the locks of other
//! tests running at the same time.)

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::{JournalConfig, JournalError, StateOptions, TerminalError, open_state};
use iso8583_wire::trace::{FileStanSequence, SequenceError, StanOpenOptions, StanSequence};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iso8583-wire-procs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------
// Two processes

/// Runs as a child process when `STAN_WORKER` names a state file: takes the STAN
/// state file (waiting for the lock) `ROUNDS` times, issues `PER_ROUND` STANs each
/// time, and prints them.
#[test]
fn child_stan_worker() {
    let Ok(path) = std::env::var("STAN_WORKER") else {
        return;
    };
    for _ in 0..5 {
        let options = StanOpenOptions::new(7).lock_wait(Duration::from_secs(20));
        let (seq, _) = FileStanSequence::open_checked(&path, options).unwrap();
        for _ in 0..25 {
            println!("STAN {}", seq.next_stan().unwrap());
        }
        drop(seq);
    }
}

fn spawn_workers(path: &Path, n: usize) -> Vec<std::process::Child> {
    (0..n)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "child_stan_worker",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("STAN_WORKER", path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

#[test]
fn processes_racing_on_one_stan_file_never_share_a_stan() {
    // Both races: creating the file (it does not exist yet), then reopening it.
    for round in 0..2 {
        let d = dir(&format!("race{round}"));
        let path = d.join("stan.state");
        if round == 1 {
            drop(FileStanSequence::create(&path, iso8583_wire::fields::Stan::FIRST, 7).unwrap());
        }
        let children = spawn_workers(&path, 4);
        let mut all = Vec::new();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "worker failed");
            let text = String::from_utf8(out.stdout).unwrap();
            all.extend(
                text.lines()
                    // libtest may print its "test ... " prefix on the same line.
                    .filter_map(|l| l.split("STAN ").nth(1))
                    .map(str::to_string),
            );
        }
        assert_eq!(all.len(), 4 * 5 * 25, "every worker issued its STANs");
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "duplicate STANs across processes");
    }
}

/// Runs as a child process when `HOLD_STATE` names a directory: opens the terminal
/// state there and holds it until stdin closes.
#[test]
fn child_state_holder() {
    let Ok(d) = std::env::var("HOLD_STATE") else {
        return;
    };
    let d = PathBuf::from(d);
    let held = open_state(
        d.join("journal.log"),
        d.join("stan.state"),
        JournalConfig::new(&ISO87_ASCII),
        StateOptions::new(10),
    )
    .unwrap();
    println!("HELD");
    let mut line = String::new();
    let _ = io::stdin().read_line(&mut line);
    drop(held);
}

#[test]
fn a_second_terminal_process_on_the_same_files_is_refused_with_locked() {
    use std::io::{BufRead, BufReader};
    let d = dir("second");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_state_holder",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HOLD_STATE", &d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("HELD") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "holder ended early");
    }
    let second = open_state(
        d.join("journal.log"),
        d.join("stan.state"),
        JournalConfig::new(&ISO87_ASCII),
        StateOptions::new(10),
    );
    match second {
        Err(TerminalError::Journal(JournalError::Locked { path, .. })) => {
            assert!(path.ends_with("journal.log"))
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(matches!(
        FileStanSequence::open(d.join("stan.state"), 10),
        Err(SequenceError::Locked { .. })
    ));
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    // Once the first has let go, the files open.
    open_state(
        d.join("journal.log"),
        d.join("stan.state"),
        JournalConfig::new(&ISO87_ASCII),
        StateOptions::new(10),
    )
    .unwrap();
}
