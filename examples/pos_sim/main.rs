//! `pos_sim`: a terminal and a host in one program, over TCP on 127.0.0.1, framed with
//! a 2-byte length. Runs the scenarios a terminal meets in the field and prints each
//! message (masked) and one verdict line per scenario:
//!
//! * `normal_purchase`: approved, nothing to settle.
//! * `response_lost_inquiry_approved_reversed`: the 0210 is lost; the last-transaction
//!   inquiry learns the host approved; by default the terminal reverses, since it never
//!   completed the sale.
//! * `response_lost_inquiry_approved_kept`: the same with the policy that keeps such
//!   approvals.
//! * `request_lost_inquiry_25_reversed`: the host never saw the 0200; the inquiry gets
//!   25; since a host may only not have processed it *yet*, the terminal reverses by
//!   default; the host answers 25 and remembers the reversal.
//! * `request_lost_inquiry_25_settled`: the same with the policy that settles on 25.
//! * `crash_after_sending`: the terminal dies after sending; after the restart the
//!   journal's pending inquiry and reversal go out before the next purchase.
//! * `late_response_after_reversal`: the 0210 arrives after the reversal; it is noted
//!   and changes nothing.
//! * `bad_mac_reversed_a0`: the 0210 fails the terminal's MAC check; the terminal
//!   reverses with reason A0.
//! * `late_response_on_kept_connection`: one connection kept across exchanges; the
//!   0210 comes after the terminal gave up, while the inquiry is out; it is recorded as
//!   late and the approval it carries is reversed.
//! * `card_data_at_rest`: a purchase with track 2 and a PIN block, a crash, a lost
//!   response: the journal file never holds the PAN, the track data or the PIN block
//!   (with the `crypto` feature the PAN is kept enciphered and reversals carry it).
//!
//! Exits non-zero if any scenario fails.

mod scenarios;

use std::process::ExitCode;

fn main() -> ExitCode {
    let verdicts = scenarios::all();
    let mut failed = 0;
    for v in &verdicts {
        println!("--- {}", v.name);
        for line in &v.log {
            println!("    {line}");
        }
        println!(
            "scenario {}: {} - {}",
            v.name,
            if v.pass { "PASS" } else { "FAIL" },
            v.what
        );
        if !v.pass {
            failed += 1;
        }
    }
    println!("{} passed, {} failed", verdicts.len() - failed, failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
