//! The pos_sim scenarios as integration tests over loopback TCP.

#[path = "../examples/pos_sim/scenarios.rs"]
#[allow(dead_code)]
mod scenarios;

fn check(v: scenarios::Verdict) {
    assert!(
        v.pass,
        "scenario {} failed: {}\n{}",
        v.name,
        v.what,
        v.log.join("\n")
    );
}

#[test]
fn normal_purchase() {
    check(scenarios::normal_purchase());
}

#[test]
fn response_lost_inquiry_approved_reversed() {
    check(scenarios::lost_response_approved());
}

#[test]
fn response_lost_inquiry_approved_kept() {
    check(scenarios::lost_response_approved_kept());
}

#[test]
fn request_lost_inquiry_25_reversed() {
    check(scenarios::lost_request_not_found());
}

#[test]
fn request_lost_inquiry_25_settled() {
    check(scenarios::lost_request_not_found_settled());
}

#[test]
fn late_response_on_kept_connection() {
    check(scenarios::late_response_persistent());
}

#[test]
fn crash_after_sending_settles_first() {
    check(scenarios::crash_after_sending());
}

#[test]
fn late_response_after_reversal() {
    check(scenarios::late_response_after_reversal());
}

#[test]
fn bad_mac_reversed_a0() {
    check(scenarios::bad_mac_reversed());
}

#[test]
fn mac_tampered_response_reversed_a0() {
    check(scenarios::tampered_response_reversed());
}

#[test]
fn card_data_at_rest() {
    check(scenarios::card_data_at_rest());
}

/// The journal of a run holds no card data, and the scanner does find it where it
/// is (so a clean result means something).
#[test]
fn card_data_scanner_finds_what_it_looks_for() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let raw = format!(
        "B 1 {} {} -",
        hex(scenarios::TRACK2.as_bytes()),
        hex(&scenarios::PIN_BLOCK)
    );
    let found = scenarios::card_data_in(raw.as_bytes());
    assert!(found.contains(&"PAN (hex of its characters)"), "{found:?}");
    assert!(found.contains(&"PIN block"), "{found:?}");
    assert!(
        found.contains(&"track 2 discretionary data (hex of its characters)"),
        "{found:?}"
    );
}

#[test]
fn masked_logs() {
    let v = scenarios::normal_purchase();
    assert!(
        v.log.iter().all(|l| !l.contains("4111111111111111")),
        "{:?}",
        v.log
    );
    assert!(v.log.iter().any(|l| l.contains("411111******1111")));
}
