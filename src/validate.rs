//! The validation layer: trace codes, request/response pairing, mandatory fields,
//! duplicate and out-of-sequence STANs.
//!
//! Checks never stop at the first problem: a [`Report`] lists every [`Violation`], each
//! with the field number and a machine-readable [`Code`]. No detail text carries a
//! field's value, so reports are safe to log.
//!
//! ```
//! use iso8583_wire::validate::{Code, Validator};
//! use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
//!
//! let mut req = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
//! req.set(3, "000000")?.set(4, 100u32)?.set(11, 42u32)?.set(41, "TERM0001")?;
//! let req_bytes = req.to_bytes()?;
//! let mut resp = MessageBuilder::new(&ISO87_ASCII, Mti::new(210)?);
//! resp.set(3, "000000")?.set(4, 100u32)?.set(11, 43u32)?.set(39, "00")?.set(41, "TERM0001")?;
//! let resp_bytes = resp.to_bytes()?;
//!
//! let report = Validator::new().check_pair(
//!     &ISO87_ASCII.decode(&req_bytes)?,
//!     &ISO87_ASCII.decode(&resp_bytes)?,
//! );
//! let codes: Vec<_> = report.iter().map(|v| (v.field, v.code)).collect();
//! assert_eq!(codes, [(Some(11), Code::EchoMismatch), (Some(37), Code::RrnMissing)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Mandatory fields
//!
//! [`Validator::check`] requires these fields by MTI class and function (any version and
//! origin digit). A field the layout does not define is not required.
//!
//! | MTI | required fields |
//! |---|---|
//! | x200 financial request | 3, 4, 11, 41 |
//! | x210 financial response | 3, 4, 11, 39, 41 |
//! | x400 reversal request, x420 reversal advice | 3, 4, 11, 41, original data (90 in 1987 layouts, 56 in 1993 layouts) |
//! | x410, x430 reversal responses | 3, 4, 11, 39, 41 |
//! | x800 network management request | 11, and 70 (1987) or 24 (1993) |
//! | x810 network management response | 11, 39, and 70 (1987) or 24 (1993) |

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use chrono::{NaiveDateTime, TimeDelta};

use crate::fields::{Stan, TraceError};
use crate::message::{Field, Message};
use crate::spec::MessageSpec;

/// What a violation is about, machine-readable (see [`Code::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// Field 11 is not six digits.
    StanMalformed,
    /// Field 11 is `000000`.
    StanZero,
    /// Field 37 is not twelve letters or digits.
    RrnMalformed,
    /// The original-STAN part of the original data elements is malformed or zero.
    OriginalStanMalformed,
    /// The original data elements (90, 56 or 61) are malformed apart from the STAN.
    OriginalDataMalformed,
    /// A required field is absent.
    MandatoryMissing,
    /// The response MTI is not the request's response MTI.
    ResponseMtiMismatch,
    /// A field the response must echo is absent from it.
    EchoMissing,
    /// A field the response must echo differs from the request.
    EchoMismatch,
    /// A financial response without an RRN (field 37).
    RrnMissing,
    /// The same STAN from the same terminal within the duplicate window.
    DuplicateStan,
    /// A STAN lower than the last one recorded for the terminal.
    StanBackwards,
    /// A STAN that skips numbers after the last one recorded for the terminal.
    StanSkipped,
    /// A free-text field (`a`, `an`, `anp`, `ans`, `ns`) holds a character its class
    /// does not allow: accepted by the lenient decoder, refused in strict mode.
    ContentClass,
}

impl Code {
    /// The code as a stable string, e.g. `"stan.zero"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::StanMalformed => "stan.malformed",
            Code::StanZero => "stan.zero",
            Code::RrnMalformed => "rrn.malformed",
            Code::OriginalStanMalformed => "original.stan_malformed",
            Code::OriginalDataMalformed => "original.malformed",
            Code::MandatoryMissing => "mandatory.missing",
            Code::ResponseMtiMismatch => "pair.mti_mismatch",
            Code::EchoMissing => "pair.echo_missing",
            Code::EchoMismatch => "pair.echo_mismatch",
            Code::RrnMissing => "pair.rrn_missing",
            Code::DuplicateStan => "stan.duplicate",
            Code::StanBackwards => "stan.backwards",
            Code::StanSkipped => "stan.skipped",
            Code::ContentClass => "content.class",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field at fault (`None` for the MTI).
    pub field: Option<usize>,
    /// What is wrong.
    pub code: Code,
    /// An explanation for people; never carries a field's value.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(n) => write!(
                f,
                "field {n:<3}  {:<24} {}",
                self.code.as_str(),
                self.detail
            ),
            None => write!(f, "MTI        {:<24} {}", self.code.as_str(), self.detail),
        }
    }
}

/// Every violation found by a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    violations: Vec<Violation>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Report::default()
    }

    /// Adds a violation.
    pub fn push(&mut self, field: Option<usize>, code: Code, detail: impl Into<String>) {
        self.violations.push(Violation {
            field,
            code,
            detail: detail.into(),
        });
    }

    /// Adds every violation of another report.
    pub fn extend(&mut self, other: Report) {
        self.violations.extend(other.violations);
    }

    /// Whether nothing was found.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violations, in the order found.
    pub fn iter(&self) -> core::slice::Iter<'_, Violation> {
        self.violations.iter()
    }

    /// Number of violations.
    pub fn len(&self) -> usize {
        self.violations.len()
    }

    /// Whether there is no violation.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether a violation with this code (and field, if given) was found.
    pub fn has(&self, code: Code, field: Option<usize>) -> bool {
        self.violations
            .iter()
            .any(|v| v.code == code && (field.is_none() || v.field == field))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.violations.is_empty() {
            return writeln!(f, "no violations");
        }
        for v in &self.violations {
            writeln!(f, "{v}")?;
        }
        Ok(())
    }
}

impl<'r> IntoIterator for &'r Report {
    type Item = &'r Violation;
    type IntoIter = core::slice::Iter<'r, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.violations.iter()
    }
}

pub use crate::fields::OriginalDataForm;

/// Stateless checks of one message or of a request/response pair.
///
/// ```
/// use iso8583_wire::validate::{Code, Validator};
/// use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_ASCII};
///
/// // A reversal without its original data elements (field 90) and with STAN 000000.
/// let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(400)?);
/// b.set(3, "000000")?.set(4, 1500)?.set(11, "000000")?.set(41, "TERM0001")?;
/// let wire = b.to_bytes()?;
/// let report = Validator::new().check(&ISO87_ASCII.decode(&wire)?);
/// assert!(report.has(Code::StanZero, Some(11)));
/// assert!(report.has(Code::MandatoryMissing, Some(90)));
/// println!("{report}"); // one line per finding; never a field's value
/// # Ok::<(), iso8583_wire::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Validator {
    echo: Vec<usize>,
    original: Option<OriginalDataForm>,
}

impl Default for Validator {
    fn default() -> Self {
        Validator::new()
    }
}

/// The fields a response must echo by default: 3, 4, 11, 37 (when the request has
/// it), 41, 42.
pub const DEFAULT_ECHO_FIELDS: [usize; 6] = [3, 4, 11, 37, 41, 42];

impl Validator {
    /// A validator with the default echo fields and the original-data form detected
    /// from each message's layout.
    pub fn new() -> Self {
        Validator {
            echo: DEFAULT_ECHO_FIELDS.to_vec(),
            original: None,
        }
    }

    /// Replaces the fields a response must echo (each is checked only when the request
    /// carries it).
    pub fn with_echo_fields(mut self, fields: &[usize]) -> Self {
        self.echo = fields.to_vec();
        self
    }

    /// Fixes the original-data form instead of detecting it from the layout.
    pub fn with_original_data_form(mut self, form: OriginalDataForm) -> Self {
        self.original = Some(form);
        self
    }

    fn original_form(&self, spec: &MessageSpec<'_>) -> OriginalDataForm {
        self.original
            .unwrap_or_else(|| OriginalDataForm::detect(spec))
    }

    /// Checks one message: content classes of free-text fields, trace codes,
    /// original data elements, mandatory fields.
    pub fn check(&self, msg: &Message<'_>) -> Report {
        let mut report = Report::new();
        check_content_classes(msg, &mut report);
        check_trace_codes(msg, &mut report);
        let form = self.original_form(msg.spec());
        check_original(msg, form, &mut report);
        check_mandatory(msg, form, &mut report);
        report
    }

    /// Checks a request and its response: each on its own, then the pairing (response
    /// MTI, echoed fields, RRN in financial responses).
    pub fn check_pair(&self, request: &Message<'_>, response: &Message<'_>) -> Report {
        let mut report = self.check(request);
        report.extend(self.check(response));
        match request.mti().response() {
            Ok(expected) if expected == response.mti() => {}
            Ok(expected) => report.push(
                None,
                Code::ResponseMtiMismatch,
                alloc::format!(
                    "response MTI {} does not answer request MTI {} (expected {expected})",
                    response.mti(),
                    request.mti()
                ),
            ),
            Err(_) => report.push(
                None,
                Code::ResponseMtiMismatch,
                alloc::format!("request MTI {} has no response MTI", request.mti()),
            ),
        }
        for &n in &self.echo {
            let Some(sent) = request.field(n) else {
                continue;
            };
            match response.field(n) {
                None => report.push(
                    Some(n),
                    Code::EchoMissing,
                    "the request carries this field; the response must echo it",
                ),
                Some(got) if !same_value(&sent, &got) => report.push(
                    Some(n),
                    Code::EchoMismatch,
                    "the response changes the value the request carried",
                ),
                Some(_) => {}
            }
        }
        let resp_mti = response.mti();
        if resp_mti.digits()[1] == 2
            && resp_mti.is_response()
            && response.spec().field(37).is_some()
            && !response.has(37)
        {
            report.push(
                Some(37),
                Code::RrnMissing,
                "a financial response must carry the retrieval reference number",
            );
        }
        report
    }
}

fn same_value(a: &Field<'_>, b: &Field<'_>) -> bool {
    a.symbols().eq(b.symbols())
}

/// One finding per free-text field whose characters break its class: the position and
/// the class, never the character.
fn check_content_classes(msg: &Message<'_>, report: &mut Report) {
    for v in msg.class_violations() {
        let expected = match v.kind {
            crate::error::DecodeErrorKind::InvalidByte { expected, .. } => expected,
            _ => "a character of the field's class",
        };
        report.push(
            Some(v.field),
            Code::ContentClass,
            alloc::format!(
                "byte {} of the value is not {expected} (accepted leniently; strict mode refuses it)",
                v.position
            ),
        );
    }
}

fn check_trace_codes(msg: &Message<'_>, report: &mut Report) {
    if msg.has(11) {
        match msg.stan() {
            Ok(_) => {}
            Err(TraceError::StanZero) => report.push(
                Some(11),
                Code::StanZero,
                "000000 is not a valid trace number",
            ),
            Err(_) => report.push(Some(11), Code::StanMalformed, "a STAN is exactly 6 digits"),
        }
    }
    if msg.has(37) && msg.rrn().is_err() {
        report.push(
            Some(37),
            Code::RrnMalformed,
            "an RRN is exactly 12 letters or digits",
        );
    }
}

/// Up to 64 logical characters of a field, for structure checks.
fn chars(field: &Field<'_>) -> ([u8; 64], usize) {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in field.symbols() {
        if let Some(slot) = buf.get_mut(n) {
            *slot = c;
            n += 1;
        }
    }
    (buf, n)
}

fn digits_value(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0')))
}

fn plausible_time(d: &[u8]) -> bool {
    matches!(d, [h1, h2, m1, m2, s1, s2]
        if digits_value(&[*h1, *h2]).is_some_and(|h| h < 24)
        && digits_value(&[*m1, *m2]).is_some_and(|m| m < 60)
        && digits_value(&[*s1, *s2]).is_some_and(|s| s < 60))
}

fn plausible_mmdd(d: &[u8]) -> bool {
    matches!(d, [m1, m2, d1, d2]
        if digits_value(&[*m1, *m2]).is_some_and(|m| (1..=12).contains(&m))
        && digits_value(&[*d1, *d2]).is_some_and(|d| (1..=31).contains(&d)))
}

fn check_original(msg: &Message<'_>, form: OriginalDataForm, report: &mut Report) {
    let Some(n) = form.field() else { return };
    let Some(field) = msg.field(n) else {
        return;
    };
    let (buf, len) = chars(&field);
    let v = buf.get(..len).unwrap_or(&[]);
    let stan_at = |from: usize| v.get(from..from + 6).and_then(|s| Stan::from_ascii(s).ok());
    let mut bad_stan = false;
    let mut bad_rest: Option<&'static str> = None;
    match form {
        OriginalDataForm::Field90 => {
            bad_stan = stan_at(4).is_none();
            let mti_ok = v.get(..4).and_then(digits_value).is_some();
            let dt = v.get(10..20).unwrap_or(&[]);
            let dt_ok = dt.iter().all(|&c| c == b'0')
                || (dt.get(..4).is_some_and(plausible_mmdd)
                    && dt.get(4..).is_some_and(plausible_time));
            if len != 42 {
                bad_rest = Some("field 90 is 42 digits");
            } else if !mti_ok {
                bad_rest = Some("the original MTI is not 4 digits");
            } else if !dt_ok {
                bad_rest = Some("the original transmission date-time is not MMDDhhmmss");
            }
        }
        OriginalDataForm::Field56 => {
            bad_stan = stan_at(4).is_none();
            if len < 22 {
                bad_rest = Some("field 56 needs MTI 4 + STAN 6 + date-time 12 digits");
            } else if len > 22 {
                let ll = v.get(22..24).and_then(digits_value);
                if ll.is_none_or(|ll| 24 + ll as usize != len || ll > 11) {
                    bad_rest = Some("the acquirer identification length does not match");
                }
            }
        }
        OriginalDataForm::Field61 => {
            bad_stan = stan_at(6).is_none();
            if len < 12 {
                bad_rest = Some("field 61 needs batch 6 + POS trace 6 digits");
            } else if len >= 16 && !v.get(12..16).is_some_and(plausible_mmdd) {
                bad_rest = Some("the original date is not MMDD");
            }
        }
        OriginalDataForm::None => {}
    }
    if bad_stan {
        report.push(
            Some(n),
            Code::OriginalStanMalformed,
            "the original STAN is not 6 digits from 000001 to 999999",
        );
    }
    if let Some(why) = bad_rest {
        report.push(Some(n), Code::OriginalDataMalformed, why);
    }
}

fn check_mandatory(msg: &Message<'_>, form: OriginalDataForm, report: &mut Report) {
    let mti = msg.mti();
    let [_, class, function, _] = mti.digits();
    let network_code: usize = if mti.digits()[0] == 1 { 24 } else { 70 };
    let mut required: Vec<usize> = match (class, function) {
        (2, 0) => [3, 4, 11, 41].to_vec(),
        (2, 1) | (4, 1) | (4, 3) => [3, 4, 11, 39, 41].to_vec(),
        (4, 0) | (4, 2) => [3, 4, 11, 41].to_vec(),
        (8, 0) => [11, network_code].to_vec(),
        (8, 1) => [11, 39, network_code].to_vec(),
        _ => Vec::new(),
    };
    if class == 4
        && (function == 0 || function == 2)
        && let Some(n) = form.field().filter(|&n| n != 61)
    {
        required.push(n);
    }
    for n in required {
        if msg.spec().field(n).is_some() && !msg.has(n) {
            report.push(
                Some(n),
                Code::MandatoryMissing,
                alloc::format!("MTI {mti} requires this field"),
            );
        }
    }
}

/// Who sent a message: terminal id (field 41) and card acceptor id (field 42).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TerminalKey {
    bytes: [u8; 24],
    len: u8,
}

impl TerminalKey {
    /// A key from any identifying bytes (up to 24 are kept).
    pub fn new(id: &[u8]) -> Self {
        let mut bytes = [0u8; 24];
        let len = id.len().min(24);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), id.get(..len)) {
            dst.copy_from_slice(src);
        }
        TerminalKey {
            bytes,
            len: len as u8,
        }
    }

    /// The key of a message: fields 41 and 42 (absent fields count as empty).
    pub fn of(msg: &Message<'_>) -> Self {
        let mut buf = [0u8; 24];
        let mut n = 0;
        for f in [41, 42] {
            if let Some(field) = msg.field(f) {
                for c in field.symbols() {
                    if let Some(slot) = buf.get_mut(n) {
                        *slot = c;
                        n += 1;
                    }
                }
            }
            if let Some(slot) = buf.get_mut(n) {
                *slot = b'/';
                n += 1;
            }
        }
        TerminalKey::new(buf.get(..n).unwrap_or(&[]))
    }
}

/// Finds the same STAN from the same terminal within a time window, with bounded
/// memory: at most `capacity` entries are kept, the oldest dropped first.
///
/// ```
/// use chrono::{NaiveDate, TimeDelta};
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::validate::{DuplicateChecker, TerminalKey};
///
/// let t0 = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap().and_hms_opt(10, 0, 0).unwrap();
/// let mut dup = DuplicateChecker::new(TimeDelta::hours(24), 10_000);
/// let term = TerminalKey::new(b"TERM0001");
/// assert!(dup.check(term, Stan::new(7)?, t0).is_none());
/// assert!(dup.check(term, Stan::new(7)?, t0 + TimeDelta::minutes(5)).is_some());
/// assert!(dup.check(TerminalKey::new(b"TERM0002"), Stan::new(7)?, t0).is_none());
/// # Ok::<(), iso8583_wire::fields::TraceError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DuplicateChecker {
    window: TimeDelta,
    capacity: usize,
    seen: BTreeMap<(TerminalKey, Stan), NaiveDateTime>,
    order: VecDeque<(TerminalKey, Stan, NaiveDateTime)>,
}

impl DuplicateChecker {
    /// A checker remembering STANs for `window`, at most `capacity` of them.
    pub fn new(window: TimeDelta, capacity: usize) -> Self {
        DuplicateChecker {
            window,
            capacity: capacity.max(1),
            seen: BTreeMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `stan` from `terminal` at `at`; returns a violation if it was seen within
    /// the window.
    pub fn check(
        &mut self,
        terminal: TerminalKey,
        stan: Stan,
        at: NaiveDateTime,
    ) -> Option<Violation> {
        while let Some(&(t, s, when)) = self.order.front() {
            if at - when <= self.window && self.order.len() < self.capacity {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&(t, s)) == Some(&when) {
                self.seen.remove(&(t, s));
            }
        }
        let previous = self.seen.insert((terminal, stan), at);
        self.order.push_back((terminal, stan, at));
        match previous {
            Some(when) if at - when <= self.window => Some(Violation {
                field: Some(11),
                code: Code::DuplicateStan,
                detail: alloc::format!(
                    "STAN {stan} was already used by this terminal {} s earlier",
                    (at - when).num_seconds()
                ),
            }),
            _ => None,
        }
    }

    /// Checks a message's STAN (field 11) for its terminal (fields 41, 42). Messages
    /// without a valid STAN are not recorded.
    pub fn check_message(&mut self, msg: &Message<'_>, at: NaiveDateTime) -> Option<Violation> {
        let stan = msg.stan().ok()?;
        self.check(TerminalKey::of(msg), stan, at)
    }

    /// Entries currently remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Finds STANs that go backwards or skip numbers, per terminal, with bounded memory.
///
/// The STAN after `last` is `last.next()`; a STAN less than half the cycle ahead is a
/// skip, anything else (the same STAN included) goes backwards.
///
/// ```
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::validate::{Code, ContinuityChecker, TerminalKey};
///
/// let mut seq = ContinuityChecker::new(1000);
/// let t = TerminalKey::new(b"T1");
/// assert!(seq.check(t, Stan::new(999_999)?).is_none());
/// assert!(seq.check(t, Stan::new(1)?).is_none()); // the wrap is continuous
/// assert_eq!(seq.check(t, Stan::new(5)?).unwrap().code, Code::StanSkipped);
/// assert_eq!(seq.check(t, Stan::new(3)?).unwrap().code, Code::StanBackwards);
/// # Ok::<(), iso8583_wire::fields::TraceError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ContinuityChecker {
    capacity: usize,
    allowed_gap: u32,
    last: BTreeMap<TerminalKey, (Stan, u64)>,
    tick: u64,
}

impl ContinuityChecker {
    /// A checker tracking at most `capacity` terminals (the least recently seen is
    /// forgotten first).
    pub fn new(capacity: usize) -> Self {
        ContinuityChecker {
            capacity: capacity.max(1),
            allowed_gap: 1,
            last: BTreeMap::new(),
            tick: 0,
        }
    }

    /// Accepts forward steps up to `gap` (1 = strictly consecutive), e.g. to allow the
    /// STANs a terminal burns on messages the host never sees.
    pub fn with_allowed_gap(mut self, gap: u32) -> Self {
        self.allowed_gap = gap.max(1);
        self
    }

    /// Records `stan` for `terminal`; returns a violation if it does not follow the last
    /// one recorded.
    pub fn check(&mut self, terminal: TerminalKey, stan: Stan) -> Option<Violation> {
        self.tick += 1;
        let previous = self.last.insert(terminal, (stan, self.tick));
        if previous.is_none() && self.last.len() > self.capacity {
            let oldest = self
                .last
                .iter()
                .min_by_key(|(_, (_, tick))| *tick)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.last.remove(&k);
            }
        }
        let (last, _) = previous?;
        let steps = last.steps_to(stan);
        if (1..=self.allowed_gap).contains(&steps) {
            None
        } else if steps != 0 && steps < 999_999 / 2 {
            Some(Violation {
                field: Some(11),
                code: Code::StanSkipped,
                detail: alloc::format!("STAN {stan} skips {} numbers after {last}", steps - 1),
            })
        } else {
            Some(Violation {
                field: Some(11),
                code: Code::StanBackwards,
                detail: alloc::format!("STAN {stan} does not move forward from {last}"),
            })
        }
    }

    /// Checks a message's STAN for its terminal (fields 41, 42).
    pub fn check_message(&mut self, msg: &Message<'_>) -> Option<Violation> {
        let stan = msg.stan().ok()?;
        self.check(TerminalKey::of(msg), stan)
    }
}
