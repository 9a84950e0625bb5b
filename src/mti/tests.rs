//! Unit tests.

use super::*;
use std::string::ToString;

#[test]
fn parses_and_classifies() {
    let m: Mti = "0420".parse().unwrap();
    assert_eq!(m.version(), Version::Iso1987);
    assert_eq!(m.class(), MessageClass::Reversal);
    assert_eq!(m.function(), Function::Advice);
    assert_eq!(m.origin(), Origin::Acquirer);
    assert!(m.is_advice() && m.is_reversal() && !m.is_request());
    assert_eq!(m.response().unwrap().to_string(), "0430");
    assert_eq!(m.repeat().unwrap().to_string(), "0421");
    assert_eq!(m.repeat().unwrap().original(), m);
    assert_eq!(
        "1804".parse::<Mti>().unwrap().class(),
        MessageClass::NetworkManagement
    );
}

#[test]
fn responses_and_repeats() {
    let rep: Mti = "0401".parse().unwrap();
    assert!(rep.is_repeat());
    assert_eq!(rep.response().unwrap().to_string(), "0410");
    assert_eq!(rep.repeat(), Err(MtiError::NoRepeat(rep)));
    let resp: Mti = "0210".parse().unwrap();
    assert!(resp.is_response());
    assert_eq!(resp.response(), Err(MtiError::NoResponse(resp)));
}

#[test]
fn rejects_non_digits() {
    assert_eq!("02X0".parse::<Mti>(), Err(MtiError::NotFourDigits));
    assert_eq!("020".parse::<Mti>(), Err(MtiError::NotFourDigits));
    assert_eq!(Mti::from_bcd(&[0x02, 0xA0]), Err(MtiError::NotFourDigits));
    assert_eq!(Mti::from_bcd(&[0x02, 0x10]).unwrap().value(), 210);
    assert_eq!(Mti::new(10000), Err(MtiError::NotFourDigits));
    assert_eq!(Mti::new(800).unwrap().to_bcd(), [0x08, 0x00]);
}
