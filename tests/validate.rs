//! Every validation rule, with a message that passes it and one that breaks it.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use iso8583_wire::fields::Stan;
use iso8583_wire::mti::MtiEncoding;
use iso8583_wire::spec::{
    BitmapEncoding, BitmapSpec, Content, Encoding, FieldSpec, MessageSpec, Prefix,
};
use iso8583_wire::validate::{
    Code, ContinuityChecker, DuplicateChecker, OriginalDataForm, TerminalKey, Validator,
};
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};

/// Builds a message of `spec` with `fields` (number, text) and returns its bytes.
fn wire(spec: &'static MessageSpec<'static>, mti: u16, fields: &[(usize, &str)]) -> Vec<u8> {
    let mut b = MessageBuilder::new(spec, Mti::new(mti).unwrap());
    let header = vec![0x60; spec.header_len()];
    b.set_header(&header).unwrap();
    for (n, v) in fields {
        b.set(*n, *v).unwrap_or_else(|e| panic!("field {n}: {e}"));
    }
    b.to_bytes().unwrap().to_vec()
}

fn check(
    spec: &'static MessageSpec<'static>,
    mti: u16,
    fields: &[(usize, &str)],
) -> Vec<(Option<usize>, Code)> {
    let w = wire(spec, mti, fields);
    let msg = Message::decode(spec, &w).unwrap();
    Validator::new()
        .check(&msg)
        .iter()
        .map(|v| (v.field, v.code))
        .collect()
}

fn pair(
    req: &[(usize, &str)],
    resp_mti: u16,
    resp: &[(usize, &str)],
    v: &Validator,
) -> Vec<(Option<usize>, Code)> {
    let a = wire(&layouts::ISO87_ASCII, 200, req);
    let b = wire(&layouts::ISO87_ASCII, resp_mti, resp);
    let (a, b) = (
        layouts::ISO87_ASCII.decode(&a).unwrap(),
        layouts::ISO87_ASCII.decode(&b).unwrap(),
    );
    v.check_pair(&a, &b)
        .iter()
        .map(|v| (v.field, v.code))
        .collect()
}

const PURCHASE: [(usize, &str); 5] = [
    (3, "000000"),
    (4, "000000001000"),
    (11, "000123"),
    (41, "TERM0001"),
    (42, "MERCHANT0000001"),
];

fn with(
    base: &[(usize, &'static str)],
    extra: &[(usize, &'static str)],
) -> Vec<(usize, &'static str)> {
    let mut v: Vec<_> = base
        .iter()
        .copied()
        .filter(|(n, _)| !extra.iter().any(|(m, _)| m == n))
        .collect();
    v.extend_from_slice(extra);
    v
}

fn without(base: &[(usize, &'static str)], drop: usize) -> Vec<(usize, &'static str)> {
    base.iter().copied().filter(|(n, _)| *n != drop).collect()
}

#[test]
fn valid_purchase_has_no_violation() {
    assert_eq!(check(&layouts::ISO87_ASCII, 200, &PURCHASE), []);
}

#[test]
fn stan_zero() {
    assert_eq!(
        check(
            &layouts::ISO87_ASCII,
            200,
            &with(&PURCHASE, &[(11, "000000")])
        ),
        [(Some(11), Code::StanZero)]
    );
    assert_eq!(
        check(
            &layouts::ISO87_ASCII,
            200,
            &with(&PURCHASE, &[(11, "000001")])
        ),
        []
    );
}

static LOOSE_FIELDS: [Option<FieldSpec<'static>>; 65] = {
    let mut f = [None; 65];
    f[11] = Some(FieldSpec::var(
        "STAN (loose)",
        Content::N,
        Encoding::Ascii,
        Prefix::ascii(2, 12),
    ));
    f[37] = Some(FieldSpec::var(
        "RRN (loose)",
        Content::Ans,
        Encoding::Ascii,
        Prefix::ascii(2, 20),
    ));
    f
};
static LOOSE: MessageSpec<'static> = MessageSpec::new(
    "loose",
    "a layout whose trace fields the decoder cannot hold to shape",
    &[],
    MtiEncoding::Ascii,
    BitmapSpec::new(BitmapEncoding::HexAscii, 1),
    &LOOSE_FIELDS,
);

#[test]
fn stan_malformed() {
    assert_eq!(
        check(&LOOSE, 9100, &[(11, "12345")]),
        [(Some(11), Code::StanMalformed)]
    );
    assert_eq!(
        check(&LOOSE, 9100, &[(11, "1234567")]),
        [(Some(11), Code::StanMalformed)]
    );
    assert_eq!(check(&LOOSE, 9100, &[(11, "123456")]), []);
}

#[test]
fn rrn_malformed() {
    assert_eq!(
        check(&LOOSE, 9100, &[(37, "5074-1400012")]),
        [(Some(37), Code::RrnMalformed)]
    );
    assert_eq!(
        check(&LOOSE, 9100, &[(37, "50741400012")]),
        [(Some(37), Code::RrnMalformed)]
    );
    assert_eq!(check(&LOOSE, 9100, &[(37, "AB7414000123")]), []);
    // In iso87ascii, 37 is space-padded an12: a short RRN decodes but is malformed.
    assert_eq!(
        check(
            &layouts::ISO87_ASCII,
            200,
            &with(&PURCHASE, &[(37, "12345")])
        ),
        [(Some(37), Code::RrnMalformed)]
    );
}

const REVERSAL: [(usize, &str); 5] = [
    (3, "000000"),
    (4, "000000001000"),
    (11, "000124"),
    (41, "TERM0001"),
    (42, "MERCHANT0000001"),
];

#[test]
fn original_data_field_90() {
    let good = "020000012303151430150000012345600000000000";
    assert_eq!(
        check(&layouts::ISO87_ASCII, 400, &with(&REVERSAL, &[(90, good)])),
        []
    );
    let zero_stan = "020000000003151430150000012345600000000000";
    assert_eq!(
        check(
            &layouts::ISO87_ASCII,
            400,
            &with(&REVERSAL, &[(90, zero_stan)])
        ),
        [(Some(90), Code::OriginalStanMalformed)]
    );
    let bad_date = "020000012313321430150000012345600000000000";
    assert_eq!(
        check(
            &layouts::ISO87_BINARY,
            420,
            &with(&REVERSAL, &[(90, bad_date)])
        ),
        [(Some(90), Code::OriginalDataMalformed)]
    );
    // Zero-filled date-time is allowed (unknown).
    let unknown = "020000012300000000000000000000000000000000";
    assert_eq!(
        check(
            &layouts::ISO87_ASCII,
            400,
            &with(&REVERSAL, &[(90, unknown)])
        ),
        []
    );
}

#[test]
fn original_data_field_56() {
    let good = "0200000123250315143015051234500000";
    let good = &good[..29]; // MTI + STAN + YYMMDDhhmmss + LL 05 + 5 digits
    assert_eq!(
        check(&layouts::ISO93_ASCII, 1420, &with(&REVERSAL, &[(56, good)])),
        []
    );
    let bad_ll = "02000001232503151430150912345";
    assert_eq!(
        check(
            &layouts::ISO93_ASCII,
            1420,
            &with(&REVERSAL, &[(56, bad_ll)])
        ),
        [(Some(56), Code::OriginalDataMalformed)]
    );
    let zero = "02000000002503151430150512345";
    assert_eq!(
        check(&layouts::ISO93_ASCII, 1420, &with(&REVERSAL, &[(56, zero)])),
        [(Some(56), Code::OriginalStanMalformed)]
    );
}

#[test]
fn original_data_field_61_cup() {
    let base = [
        (3, "000000"),
        (4, "000000001000"),
        (11, "000125"),
        (41, "10016919"),
        (42, "84329004582000B"),
    ];
    assert_eq!(
        check(
            &layouts::CUP,
            200,
            &with(&base, &[(61, "0000010000790824")])
        ),
        []
    );
    assert_eq!(
        check(
            &layouts::CUP,
            200,
            &with(&base, &[(61, "0000010000000824")])
        ),
        [(Some(61), Code::OriginalStanMalformed)]
    );
    assert_eq!(
        check(
            &layouts::CUP,
            200,
            &with(&base, &[(61, "0000010000791399")])
        ),
        [(Some(61), Code::OriginalDataMalformed)]
    );
    assert_eq!(
        OriginalDataForm::detect(&layouts::CUP),
        OriginalDataForm::Field61
    );
    assert_eq!(
        OriginalDataForm::detect(&layouts::ISO93_ASCII),
        OriginalDataForm::Field56
    );
    assert_eq!(
        OriginalDataForm::detect(&layouts::ISO87_BINARY),
        OriginalDataForm::Field90
    );
}

#[test]
fn mandatory_fields() {
    assert_eq!(
        check(&layouts::ISO87_ASCII, 200, &without(&PURCHASE, 41)),
        [(Some(41), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO87_ASCII, 210, &PURCHASE),
        [(Some(39), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO87_ASCII, 400, &REVERSAL),
        [(Some(90), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO93_ASCII, 1420, &REVERSAL),
        [(Some(56), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO87_ASCII, 800, &[(11, "000001")]),
        [(Some(70), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO87_ASCII, 800, &[(11, "000001"), (70, "301")]),
        []
    );
    assert_eq!(
        check(&layouts::ISO93_ASCII, 1804, &[(11, "000001")]),
        [(Some(24), Code::MandatoryMissing)]
    );
    assert_eq!(
        check(&layouts::ISO87_ASCII, 810, &[(11, "000001"), (70, "301")]),
        [(Some(39), Code::MandatoryMissing)]
    );
    // cup has no field 70: an 0800 sign-in is complete with its STAN.
    assert_eq!(
        check(&layouts::CUP, 800, &[(11, "000078"), (41, "10016919")]),
        []
    );
}

fn approved(extra: &[(usize, &'static str)]) -> Vec<(usize, &'static str)> {
    with(&with(&PURCHASE, &[(39, "00"), (37, "507414000123")]), extra)
}

#[test]
fn pair_response_mti() {
    let v = Validator::new();
    assert_eq!(pair(&PURCHASE, 210, &approved(&[]), &v), []);
    assert_eq!(
        pair(&PURCHASE, 410, &approved(&[]), &v),
        [(None, Code::ResponseMtiMismatch)]
    );
}

#[test]
fn pair_echo_missing_and_mismatch() {
    let v = Validator::new();
    let resp = without(&approved(&[]), 42);
    assert_eq!(
        pair(&PURCHASE, 210, &resp, &v),
        [(Some(42), Code::EchoMissing)]
    );
    let resp = approved(&[(4, "000000009999"), (11, "000999")]);
    assert_eq!(
        pair(&PURCHASE, 210, &resp, &v),
        [
            (Some(4), Code::EchoMismatch),
            (Some(11), Code::EchoMismatch)
        ]
    );
    // The echo set is configurable.
    let only_stan = Validator::new().with_echo_fields(&[11, 41]);
    assert_eq!(
        pair(
            &PURCHASE,
            210,
            &approved(&[(4, "000000009999")]),
            &only_stan
        ),
        []
    );
}

#[test]
fn pair_rrn_in_financial_response() {
    let v = Validator::new();
    let resp = without(&approved(&[]), 37);
    assert_eq!(
        pair(&PURCHASE, 210, &resp, &v),
        [(Some(37), Code::RrnMissing)]
    );
}

#[test]
fn reports_list_every_violation_and_hide_values() {
    let req = with(&PURCHASE, &[(2, "4111111111111111")]);
    let resp = without(
        &without(&approved(&[(2, "4111111111111112"), (11, "000000")]), 37),
        41,
    );
    let a = wire(&layouts::ISO87_ASCII, 200, &req);
    let b = wire(&layouts::ISO87_ASCII, 230, &resp);
    let report = Validator::new().check_pair(
        &layouts::ISO87_ASCII.decode(&a).unwrap(),
        &layouts::ISO87_ASCII.decode(&b).unwrap(),
    );
    let codes: Vec<_> = report.iter().map(|v| (v.field, v.code)).collect();
    assert_eq!(
        codes,
        [
            (Some(11), Code::StanZero),
            (None, Code::ResponseMtiMismatch),
            (Some(11), Code::EchoMismatch),
            (Some(41), Code::EchoMissing),
            (Some(37), Code::RrnMissing),
        ]
    );
    let text = report.to_string();
    assert!(
        !text.contains("4111111111111111") && !text.contains("411111"),
        "{text}"
    );
    assert!(
        text.contains("stan.zero") && text.contains("pair.rrn_missing"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 5);
}

fn t(min: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 15)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        + TimeDelta::minutes(min)
}

#[test]
fn duplicate_stan_within_window() {
    let mut d = DuplicateChecker::new(TimeDelta::hours(1), 100);
    let a = TerminalKey::new(b"TERM0001");
    let s = Stan::new(5).unwrap();
    assert!(d.check(a, s, t(0)).is_none());
    assert_eq!(
        d.check(a, s, t(30)).map(|v| v.code),
        Some(Code::DuplicateStan)
    );
    assert!(d.check(a, s, t(200)).is_none(), "outside the window");
    assert!(
        d.check(TerminalKey::new(b"TERM0002"), s, t(200)).is_none(),
        "other terminal"
    );
    // Memory stays bounded.
    for i in 1..=1000 {
        d.check(a, Stan::new(i).unwrap(), t(201));
    }
    assert!(d.len() <= 100);
    // Through messages: terminal from fields 41/42.
    let w = wire(&layouts::ISO87_ASCII, 200, &PURCHASE);
    let m = layouts::ISO87_ASCII.decode(&w).unwrap();
    let mut d = DuplicateChecker::new(TimeDelta::hours(24), 10);
    assert!(d.check_message(&m, t(0)).is_none());
    assert_eq!(d.check_message(&m, t(1)).map(|v| v.field), Some(Some(11)));
}

#[test]
fn stan_continuity() {
    let mut c = ContinuityChecker::new(10);
    let a = TerminalKey::new(b"A");
    let s = |n| Stan::new(n).unwrap();
    assert!(c.check(a, s(10)).is_none(), "first seen");
    assert!(c.check(a, s(11)).is_none());
    assert_eq!(c.check(a, s(15)).map(|v| v.code), Some(Code::StanSkipped));
    assert_eq!(c.check(a, s(14)).map(|v| v.code), Some(Code::StanBackwards));
    assert_eq!(
        c.check(a, s(14)).map(|v| v.code),
        Some(Code::StanBackwards),
        "repeat"
    );
    assert!(c.check(a, s(15)).is_none());
    let mut loose = ContinuityChecker::new(10).with_allowed_gap(5);
    assert!(loose.check(a, s(1)).is_none());
    assert!(loose.check(a, s(6)).is_none());
    assert_eq!(
        loose.check(a, s(12)).map(|v| v.code),
        Some(Code::StanSkipped)
    );
    // Bounded: the least recently seen terminal is forgotten.
    let mut small = ContinuityChecker::new(2);
    small.check(TerminalKey::new(b"1"), s(1));
    small.check(TerminalKey::new(b"2"), s(1));
    small.check(TerminalKey::new(b"3"), s(1));
    assert!(
        small.check(TerminalKey::new(b"1"), s(9)).is_none(),
        "terminal 1 was forgotten"
    );
}
