//! Unit tests.

use super::*;
use crate::layouts::{ISO87_BINARY, ISO93_ASCII};
use crate::mti::Mti;

fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|d| d.and_hms_opt(h, mi, s))
        .unwrap()
}

#[test]
fn year_is_inferred_around_new_year() {
    let mut buf = [0u8; 128];
    let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
    b.set_transmission_date_time(dt(2026, 1, 1, 0, 0, 5))
        .unwrap();
    b.set_local_date_time(dt(2026, 1, 1, 0, 0, 5)).unwrap();
    let n = b.encode_to_slice(&mut buf).unwrap();
    let msg = ISO87_BINARY.decode(&buf[..n]).unwrap();
    // Read back late on 31 December (clock skew): still next year's 1 January.
    let reference = dt(2025, 12, 31, 23, 59, 50);
    assert_eq!(
        msg.transmission_date_time(reference),
        Ok(dt(2026, 1, 1, 0, 0, 5))
    );
    assert_eq!(
        msg.local_date_time(reference.date()),
        Ok(dt(2026, 1, 1, 0, 0, 5))
    );
    assert_eq!(
        msg.local_time(),
        NaiveTime::from_hms_opt(0, 0, 5).ok_or(DateTimeError::Missing(0))
    );
}

#[test]
fn wide_local_date_time_in_1993_layout() {
    let mut buf = [0u8; 128];
    let mut b = MessageBuilder::new(&ISO93_ASCII, Mti::new(1200).unwrap());
    b.set_local_date_time(dt(2025, 3, 15, 14, 30, 15)).unwrap();
    let n = b.encode_to_slice(&mut buf).unwrap();
    let msg = ISO93_ASCII.decode(&buf[..n]).unwrap();
    assert_eq!(msg.field(12).and_then(|f| f.as_str()), Some("250315143015"));
    assert!(!msg.has(13));
    assert_eq!(
        msg.local_date_time(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()),
        Ok(dt(2025, 3, 15, 14, 30, 15))
    );
}

#[test]
fn bad_date_time_fields_are_errors() {
    let mut buf = [0u8; 128];
    let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
    b.set(7, 1_332_256_199_u64).unwrap();
    let n = b.encode_to_slice(&mut buf).unwrap();
    let msg = ISO87_BINARY.decode(&buf[..n]).unwrap();
    let r = dt(2025, 1, 1, 0, 0, 0);
    assert_eq!(
        msg.transmission_date_time(r),
        Err(DateTimeError::OutOfRange(7))
    );
    assert_eq!(msg.local_time(), Err(DateTimeError::Missing(12)));
    assert_eq!(msg.stan(), Err(TraceError::Missing(11)));
}
