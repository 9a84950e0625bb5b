//! The decoder's fast path: field sizes and content checks without error details.
//!
//! [`field_len`] answers "how many bytes does this field take, and is its content
//! valid?" with a plain `Option`. Only when it says no does the decoder run the nom
//! parsers of [`super::decode`] again on that field to build the detailed error, so
//! the common case pays nothing for diagnostics. Content checks look at eight bytes at
//! a time where the class allows it.

use super::decode::{check_content, read_prefix, units_for_wire};
use crate::spec::{ContentMode, Counts, FastCheck, FastField, FastSize, FieldSpec, Length};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// `b` in every byte of a word.
#[inline(always)]
pub(crate) const fn splat(b: u8) -> u64 {
    b as u64 * ONES
}

/// Little-endian word of the eight bytes at `at`, if `data` holds them.
#[inline(always)]
pub(crate) fn word_at(data: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Little-endian word of the four bytes at `at`, if `data` holds them.
#[inline(always)]
fn half_at(data: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(b)))
}

/// Up to eight bytes as one word, without copying or looping: four or more bytes as
/// two overlapping halves, one to three as the first, middle and last byte over a
/// word of `pad` (every byte lands in the word, some twice).
#[inline(always)]
fn short_word(data: &[u8], pad: u8) -> u64 {
    let n = data.len();
    if n >= 4 {
        let lo = half_at(data, 0).unwrap_or(splat(pad));
        let hi = half_at(data, n - 4).unwrap_or(splat(pad));
        return lo | hi << 32;
    }
    match (data.first(), data.get(n / 2), data.last()) {
        (Some(&first), Some(&middle), Some(&last)) => {
            (splat(pad) & !0xFF_FFFF)
                | u64::from(first)
                | u64::from(middle) << 8
                | u64::from(last) << 16
        }
        _ => splat(pad),
    }
}

/// Applies `bad` to `data` eight bytes at a time and says whether no word had a bad
/// byte: data of up to eight bytes is read as one word ([`short_word`]), up to sixteen
/// as two overlapping words, and a ragged end is covered by an overlapping last word.
/// `bad` returns a nonzero mask for a word with a byte it refuses, judging each byte
/// on its own (bytes may be seen twice, `pad` fills gaps). No early exit: the loop
/// stays straight-line.
#[inline(always)]
fn all_words(data: &[u8], pad: u8, bad: impl Fn(u64) -> u64) -> bool {
    let n = data.len();
    if n <= 8 {
        return bad(short_word(data, pad)) == 0;
    }
    let last = bad(word_at(data, n - 8).unwrap_or(splat(pad)));
    if n <= 16 {
        return (bad(word_at(data, 0).unwrap_or(splat(pad))) | last) == 0;
    }
    let mut acc = last;
    let mut i = 0;
    while i + 8 <= n {
        acc |= bad(word_at(data, i).unwrap_or(splat(pad)));
        i += 8;
    }
    acc == 0
}

/// High bit set in some byte unless all eight bytes are ASCII digits.
#[inline(always)]
pub(crate) const fn digits_bad(x: u64) -> u64 {
    // A byte below '0' borrows into its high bit, one above '9' carries into it, and
    // one above 0x7F has it already. Borrows and carries between bytes start at a
    // byte that is already refused.
    (x | x.wrapping_sub(splat(b'0')) | x.wrapping_add(splat(0x7F - b'9'))) & HIGHS
}

/// High bit set in some byte unless all eight bytes are printable ASCII (0x20..=0x7E).
#[inline(always)]
const fn printable_bad(x: u64) -> u64 {
    // Same idea: below 0x20 borrows, 0x7F carries, 0x80 and above have it.
    (x | x.wrapping_sub(splat(b' ')) | x.wrapping_add(splat(0x7F - b'~'))) & HIGHS
}

/// Nonzero unless every nibble of all eight bytes is 0-9.
#[inline(always)]
const fn bcd_bad(x: u64) -> u64 {
    // Adding 6 to a nibble above 9 carries out of it.
    let lo = x & splat(0x0F);
    let hi = (x >> 4) & splat(0x0F);
    ((lo + splat(0x06)) | (hi + splat(0x06))) & splat(0x10)
}

/// Whether every nibble of every byte is 0-9.
#[inline]
pub(crate) fn all_bcd_digits(data: &[u8]) -> bool {
    all_words(data, 0, bcd_bad)
}

/// Whether every byte is an ASCII digit.
#[inline]
pub(crate) fn all_digits(data: &[u8]) -> bool {
    all_words(data, b'0', digits_bad)
}

/// Whether every byte is printable ASCII (0x20..=0x7E).
#[inline]
pub(crate) fn all_printable_ascii(data: &[u8]) -> bool {
    all_words(data, b' ', printable_bad)
}

/// Each byte of `x` in `lo..=hi` gets its high bit set (bytes of `x` must be below 0x80).
#[inline(always)]
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    x.wrapping_add(splat(0x80 - lo)) & !x.wrapping_add(splat(0x7F - hi)) & HIGHS
}

/// Nonzero unless all eight bytes are ASCII letters or digits (or spaces, with
/// `space`).
#[inline(always)]
const fn alnum_bad(x: u64, space: bool) -> u64 {
    let mut ok = in_range(x, b'0', b'9') | in_range(x | splat(0x20), b'a', b'z');
    if space {
        ok |= in_range(x, b' ', b' ');
    }
    (x | !ok) & HIGHS
}

/// Nonzero unless all eight bytes are digits, `=` or `D` (track data in characters).
#[inline(always)]
const fn track_bad(x: u64) -> u64 {
    let ok = in_range(x, b'0', b'9') | in_range(x, b'=', b'=') | in_range(x, b'D', b'D');
    (x | !ok) & HIGHS
}

/// Nonzero unless all eight bytes are hex digits, in either case.
#[inline(always)]
const fn hex_bad(x: u64) -> u64 {
    let ok = in_range(x, b'0', b'9') | in_range(x | splat(0x20), b'a', b'f');
    (x | !ok) & HIGHS
}

/// Whether every byte is a digit, `=` or `D`.
#[inline]
pub(crate) fn all_track(data: &[u8]) -> bool {
    all_words(data, b'0', track_bad)
}

/// Whether every byte is a hex digit (either case).
#[inline]
pub(crate) fn all_hex(data: &[u8]) -> bool {
    all_words(data, b'0', hex_bad)
}

/// Whether every byte is an ASCII letter or digit.
#[inline]
pub(crate) fn all_alnum(data: &[u8]) -> bool {
    // Most `an` values on the wire are digits (retrieval reference numbers, currency
    // codes): the cheaper digit check settles those.
    all_digits(data) || all_words(data, b'0', |x| alnum_bad(x, false))
}

/// Whether every byte of `data` passes `check` (exact when it says yes; the general
/// check has the last word when it says no).
#[inline]
pub(crate) fn passes(check: FastCheck, data: &[u8]) -> bool {
    match check {
        FastCheck::None => true,
        FastCheck::Digits => all_digits(data),
        FastCheck::BcdDigits => all_bcd_digits(data),
        FastCheck::Track => all_track(data),
        FastCheck::SignedDigits => signed(data, all_digits),
        FastCheck::SignedBcd => signed(data, all_bcd_digits),
        FastCheck::Hex => all_hex(data),
        FastCheck::General => false,
    }
}

/// Whether `data` is a sign (`C` or `D`) followed by bytes that `digits` accepts: an
/// `x+n` amount.
#[inline]
pub(crate) fn signed(data: &[u8], digits: fn(&[u8]) -> bool) -> bool {
    match data.split_first() {
        Some((b'C' | b'D', rest)) => digits(rest),
        _ => false,
    }
}

/// The number written in ASCII digits `raw` (a length prefix), if they are all digits.
#[inline(always)]
pub(crate) fn ascii_number(raw: &[u8]) -> Option<usize> {
    let digit = |c: u8| c.wrapping_sub(b'0');
    // LL and LLL without a loop: both digits checked with one comparison each.
    match *raw {
        [a, b] => {
            let (a, b) = (digit(a), digit(b));
            return (a.max(b) <= 9).then(|| usize::from(a) * 10 + usize::from(b));
        }
        [a, b, c] => {
            let (a, b, c) = (digit(a), digit(b), digit(c));
            return (a.max(b).max(c) <= 9)
                .then(|| usize::from(a) * 100 + usize::from(b) * 10 + usize::from(c));
        }
        _ => {}
    }
    let mut n = 0usize;
    for &c in raw {
        let v = c.wrapping_sub(b'0');
        if v > 9 {
            return None;
        }
        n = n * 10 + usize::from(v);
    }
    Some(n)
}

/// The number written in packed-BCD bytes `raw` (a length prefix), if every nibble is
/// a digit.
#[inline(always)]
pub(crate) fn bcd_number(raw: &[u8]) -> Option<usize> {
    let mut n = 0usize;
    for &c in raw {
        let (hi, lo) = (c >> 4, c & 0xF);
        if hi > 9 || lo > 9 {
            return None;
        }
        n = n * 100 + usize::from(hi) * 10 + usize::from(lo);
    }
    Some(n)
}

/// Whether the pad nibble of packed-BCD `data` is 0, `pad` saying where it sits (see
/// [`FastField::pad`]); true when there is no pad to check.
#[inline(always)]
pub(crate) fn pad_is_zero(pad: u8, data: &[u8]) -> bool {
    match pad {
        FastField::PAD_FIRST_HIGH => data.first().is_some_and(|b| b >> 4 == 0),
        FastField::PAD_LAST_LOW => data.last().is_some_and(|b| b & 0x0F == 0),
        _ => true,
    }
}

/// Bytes the field at the start of `input` takes, if it is whole and its content is
/// valid; `None` otherwise (the caller then asks the detailed parser why). `fast` is
/// the layout's compact view of `spec`.
#[inline]
pub(crate) fn field_len(fast: FastField, spec: &FieldSpec<'_>, input: &[u8]) -> Option<usize> {
    let (prefix, wire, units) = match fast.size {
        FastSize::Fixed => (0, usize::from(fast.len), None),
        FastSize::AsciiBytes => {
            let d = usize::from(fast.prefix);
            let n = ascii_number(input.get(..d)?)?;
            if n > usize::from(fast.len) {
                return None;
            }
            (d, n, Some(n))
        }
        FastSize::BcdBytes | FastSize::BcdDigits => {
            let b = usize::from(fast.prefix);
            let n = bcd_number(input.get(..b)?)?;
            if n > usize::from(fast.len) {
                return None;
            }
            match fast.size {
                // Digits of packed BCD: two per byte.
                FastSize::BcdDigits => (b, n.div_ceil(2), Some(n)),
                _ => (b, n, Some(n)),
            }
        }
        FastSize::General | FastSize::Undefined => return general_len(spec, input),
    };
    let data = input.get(prefix..prefix + wire)?;
    // An odd digit count also needs its 0 pad where the layout puts it.
    let odd = match units {
        Some(n) => n % 2 == 1,
        None => matches!(spec.length, Length::Fixed(n) if n % 2 == 1),
    };
    let fast_ok = passes(fast.check, data) && (!odd || pad_is_zero(fast.pad, data));
    if fast_ok {
        return Some(prefix + wire);
    }
    let units = match (units, spec.length) {
        (Some(u), _) => u,
        (None, Length::Fixed(n)) => usize::from(n),
        (None, Length::Var(_) | Length::Rest { .. } | Length::Filled(_)) => return None,
    };
    check_content(spec, data, units, ContentMode::Lenient)
        .is_ok()
        .then_some(prefix + wire)
}

/// The general sizing for fields the compact view does not cover.
fn general_len(spec: &FieldSpec<'_>, input: &[u8]) -> Option<usize> {
    let (prefix, units, wire) = match spec.length {
        Length::Fixed(n) => (0, n as usize, spec.wire_len_for_units(n as usize)),
        Length::Rest { max } => {
            let units = units_for_wire(spec, input.len())?;
            if units > usize::from(max) {
                return None;
            }
            (0, units, input.len())
        }
        Length::Var(p) | Length::Filled(p) => {
            let raw = input.get(..p.wire_len())?;
            let count = read_prefix(p, raw).ok()?;
            if count > p.max as usize {
                return None;
            }
            match p.counts {
                Counts::Units => (raw.len(), count, spec.wire_len_for_units(count)),
                Counts::Bytes => (raw.len(), units_for_wire(spec, count)?, count),
            }
        }
    };
    let data = input.get(prefix..prefix + wire)?;
    // A filled field takes its whole slot.
    let used = match spec.length {
        Length::Filled(_) => {
            let slot = spec.filled_slot_len();
            if wire > slot || input.len() < prefix + slot {
                return None;
            }
            prefix + slot
        }
        _ => prefix + wire,
    };
    (check_content(spec, data, units, ContentMode::Lenient).is_ok()
        && super::decode::check_subfields(spec, data).is_ok())
    .then_some(used)
}

#[cfg(test)]
mod tests;
