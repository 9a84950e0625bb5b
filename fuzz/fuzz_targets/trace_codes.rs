#![no_main]
//! Trace-code parsing: STAN, RRN, original data elements (90, 56, 61), response codes
//! and STAN arithmetic never panic, and what parses prints back the same.

use iso8583_wire::exchange::ResponseCode;
use iso8583_wire::fields::{OriginalData, Rrn, Stan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Stan::try_from(data) {
        assert_eq!(s.to_string().as_bytes(), data);
        let _ = (s.next(), s.advance(u32::from(data[0]) * 4099), s.steps_to(Stan::MAX));
    }
    if let Ok(r) = Rrn::try_from(data) {
        assert_eq!(r.as_str().as_bytes(), data);
    }
    for parse in [OriginalData::parse_field90, OriginalData::parse_field56, OriginalData::parse_field61] {
        if let Ok(od) = parse(data) {
            let _ = (od.to_field90(), od.to_field56(), od.to_field61(), od.to_string());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(c) = ResponseCode::new(text) {
            assert_eq!(c.as_str(), text);
            let _ = (c.meaning(), c.is_approved(), c.settles_reversal());
        }
    }
});
