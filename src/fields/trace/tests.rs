//! Unit tests.

use super::*;
use std::string::ToString;

#[test]
fn stan_wraps_and_counts_steps() {
    assert_eq!(Stan::MAX.next(), Stan::FIRST);
    assert_eq!(
        Stan::new(999_998).unwrap().advance(3),
        Stan::new(2).unwrap()
    );
    assert_eq!(Stan::MAX.steps_to(Stan::FIRST), 1);
    assert_eq!(Stan::FIRST.steps_to(Stan::MAX), 999_998);
    assert_eq!(Stan::new(5).unwrap().steps_to(Stan::new(5).unwrap()), 0);
    assert_eq!(Stan::from_counter(1), Stan::FIRST);
    assert_eq!(Stan::from_counter(999_999), Stan::MAX);
    assert_eq!(Stan::from_counter(1_000_000), Stan::FIRST);
    assert_eq!(Stan::new(0), Err(TraceError::StanZero));
    assert_eq!(Stan::new(1_000_000), Err(TraceError::StanTooLarge));
    assert_eq!(Stan::new(7).unwrap().to_ascii(), *b"000007");
}

#[test]
fn stan_and_rrn_parse_strictly() {
    assert_eq!("000000".parse::<Stan>(), Err(TraceError::StanZero));
    assert_eq!("12A456".parse::<Stan>(), Err(TraceError::StanNotSixDigits));
    assert_eq!("1234567".parse::<Stan>(), Err(TraceError::StanNotSixDigits));
    assert_eq!(Stan::try_from(&b"000123"[..]).unwrap().value(), 123);
    assert_eq!(
        Rrn::try_from(&b"A1B2C3D4E5F6"[..]).unwrap().to_string(),
        "A1B2C3D4E5F6"
    );
    assert_eq!("50741400012-".parse::<Rrn>(), Err(TraceError::RrnMalformed));
}
