//! Crash test for the durable STAN sequence: a child process issues STANs as fast as it
//! can and prints each one; the parent SIGKILLs it at random moments, at least 100
//! times, restarting it on the same state file, and checks that no STAN was ever
//! issued twice (every STAN printed is above all STANs printed before).
//!
//! This target has its own `main` (`harness = false`): the same binary is the child
//! when `STAN_CRASH_CHILD_STATE` is set.

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "support/harness.rs"]
mod harness;

use iso8583_wire::trace::{FileStanSequence, StanSequence};

const NAME: &str = "stan_never_reissued_after_sigkill";
const CHILD_ENV: &str = "STAN_CRASH_CHILD_STATE";
const ROUNDS: usize = 120;
const BLOCK: u32 = 8;

fn child(path: &str) -> ! {
    let seq = match FileStanSequence::open_or_create(path, BLOCK) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("child: {e}");
            std::process::exit(3);
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    loop {
        match seq.next_stan() {
            Ok(stan) => {
                // One write per line: a line is either in the pipe whole or not at all.
                let line = format!("{}\n", stan.value());
                if out
                    .write_all(line.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    std::process::exit(0);
                }
            }
            Err(e) => {
                eprintln!("child: {e}");
                std::process::exit(4);
            }
        }
    }
}

fn run() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("iso8583-wire-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let state = dir.join("terminal.stan");
    let _ = std::fs::remove_file(&state);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;

    let mut last: Option<u32> = None;
    let mut issued_total = 0usize;
    let mut kills = 0usize;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, &state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn: {e}"))?;
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        // Kill after a random number of STANs, or after a random delay.
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        if rng.below(2) == 0 {
            let want = rng.below(300) as usize;
            let deadline = Instant::now() + Duration::from_secs(5);
            while got.iter().filter(|&&b| b == b'\n').count() < want && Instant::now() < deadline {
                match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        } else {
            std::thread::sleep(Duration::from_micros(rng.below(15_000)));
        }
        child.kill().map_err(|e| format!("kill: {e}"))?; // SIGKILL
        kills += 1;
        let status = child.wait().map_err(|e| e.to_string())?;
        stdout.read_to_end(&mut got).map_err(|e| e.to_string())?;
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        if !err.is_empty() {
            return Err(format!("round {round}: child failed ({status}): {err}"));
        }
        // Only whole lines were issued and seen; a trailing fragment is ignored.
        let text = String::from_utf8_lossy(&got);
        let complete = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => "",
        };
        for line in complete.lines() {
            let stan: u32 = line
                .parse()
                .map_err(|_| format!("round {round}: bad line {line:?}"))?;
            if let Some(prev) = last
                && stan <= prev
            {
                return Err(format!(
                    "round {round}: STAN {stan:06} issued after {prev:06}: reissued (seed {seed})"
                ));
            }
            last = Some(stan);
            issued_total += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if kills < 100 {
        return Err(format!("only {kills} kills"));
    }
    if issued_total < 1000 {
        return Err(format!(
            "only {issued_total} STANs observed: the test proved too little"
        ));
    }
    let last = last.unwrap_or(0);
    if last >= 999_999 {
        return Err("the sequence wrapped during the test; lower the rate".into());
    }
    Ok(format!(
        "{kills} kills, {issued_total} STANs observed, none reissued, last {last:06} (seed {seed})"
    ))
}

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
    }
    harness::run_single(NAME, run);
}
