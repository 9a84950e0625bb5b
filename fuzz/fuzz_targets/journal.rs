#![no_main]
//! Journal file parsing: any bytes are either read as transactions or refused with a
//! line number, never a panic.

use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::pos::JournalConfig;
use iso8583_wire::pos::journal::inspect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = JournalConfig::new(&ISO87_ASCII);
    match inspect(data, &config) {
        Ok(records) => {
            for r in records {
                let _ = (r.state.to_string(), r.stan(&ISO87_ASCII));
            }
        }
        Err((line, reason)) => assert!(line >= 1 && !reason.is_empty()),
    }
});
