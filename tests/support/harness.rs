//! A minimal test harness for targets with their own `main` (`harness = false`): runs
//! one named test, honours name filters and `--list`, and prints the summary lines
//! `cargo test` prints.

use std::time::Instant;

/// Runs `run` as the test `name`; exits with 101 when it fails.
pub fn run_single(name: &str, run: impl FnOnce() -> Result<String, String>) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{name}: test");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
        println!(
            "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.00s\n"
        );
        return;
    }
    println!("\nrunning 1 test");
    let start = Instant::now();
    let result = run();
    let secs = start.elapsed().as_secs_f64();
    match result {
        Ok(summary) => {
            println!("test {name} ... ok ({summary})");
            println!(
                "\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in {secs:.2}s\n"
            );
        }
        Err(e) => {
            println!("test {name} ... FAILED\n{e}");
            println!(
                "\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in {secs:.2}s\n"
            );
            std::process::exit(101);
        }
    }
}
