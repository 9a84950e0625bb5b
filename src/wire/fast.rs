//! The decoder's fast path: field sizes and content checks without error details.
//!
//! [`field_len`] answers "how many bytes does this field take, and is its content
//! valid?" with a plain `Option`. Only when it says no does the decoder run the nom
//! parsers of [`super::decode`] again on that field to build the detailed error, so
//! the common case pays nothing for diagnostics. Content checks look at eight bytes at
//! a time where the class allows it.

use super::decode::{check_content, read_prefix, units_for_wire};
use crate::spec::{Counts, FastCheck, FastField, FastSize, FieldSpec, Length};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Applies `ok` to `data` eight bytes at a time: short data is padded with `pad` (a
/// byte `ok` accepts), a ragged end is covered by an overlapping last word.
#[inline(always)]
fn all_words(data: &[u8], pad: u8, ok: impl Fn(u64) -> bool) -> bool {
    let n = data.len();
    if n <= 8 {
        let mut b = [pad; 8];
        if let (Some(dst), Some(src)) = (b.get_mut(..n), data.get(..n)) {
            dst.copy_from_slice(src);
        }
        return ok(u64::from_le_bytes(b));
    }
    let word = |at: usize| {
        let mut b = [pad; 8];
        if let Some(src) = data.get(at..at + 8) {
            b.copy_from_slice(src);
        }
        u64::from_le_bytes(b)
    };
    let mut i = 0;
    while i + 8 <= n {
        if !ok(word(i)) {
            return false;
        }
        i += 8;
    }
    i == n || ok(word(n - 8))
}

/// Whether all eight bytes are ASCII digits.
#[inline(always)]
fn digits_word(x: u64) -> bool {
    // Every byte 0x30..=0x3F, and adding 6 keeps it there (low nibble <= 9).
    x & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
        && x.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030
}

/// Whether all eight bytes are printable ASCII (0x20..=0x7E).
#[inline(always)]
fn printable_word(x: u64) -> bool {
    // With all high bits clear: a byte below 0x20 borrows, and 0x7F is the only byte
    // that becomes zero when xored with 0x7F.
    let below = x.wrapping_sub(0x2020_2020_2020_2020) & !x & HIGHS;
    let y = x ^ 0x7F7F_7F7F_7F7F_7F7F;
    let del = y.wrapping_sub(ONES) & !y & HIGHS;
    x & HIGHS == 0 && below | del == 0
}

/// Whether every nibble of every byte is 0-9.
#[inline]
pub(crate) fn all_bcd_digits(data: &[u8]) -> bool {
    // Adding 6 to a nibble above 9 carries out of it.
    all_words(data, 0, |x| {
        let lo = x & 0x0F0F_0F0F_0F0F_0F0F;
        let hi = (x >> 4) & 0x0F0F_0F0F_0F0F_0F0F;
        ((lo + 0x0606_0606_0606_0606) | (hi + 0x0606_0606_0606_0606)) & 0x1010_1010_1010_1010 == 0
    })
}

/// Whether every byte is an ASCII digit.
#[inline]
pub(crate) fn all_digits(data: &[u8]) -> bool {
    all_words(data, b'0', digits_word)
}

/// Whether every byte is printable ASCII (0x20..=0x7E).
#[inline]
pub(crate) fn all_printable_ascii(data: &[u8]) -> bool {
    all_words(data, b' ', printable_word)
}

/// Bytes the field at the start of `input` takes, if it is whole and its content is
/// valid; `None` otherwise (the caller then asks the detailed parser why). `fast` is
/// the layout's compact view of `spec`.
#[inline]
pub(crate) fn field_len(fast: FastField, spec: &FieldSpec<'_>, input: &[u8]) -> Option<usize> {
    let (prefix, wire, units) = match fast.size {
        FastSize::Fixed(wire) => (0, usize::from(wire), None),
        FastSize::AsciiBytes { digits, max } => {
            let d = usize::from(digits);
            let raw = input.get(..d)?;
            let mut n = 0usize;
            for &c in raw {
                let v = c.wrapping_sub(b'0');
                if v > 9 {
                    return None;
                }
                n = n * 10 + usize::from(v);
            }
            if n > usize::from(max) {
                return None;
            }
            (d, n, Some(n))
        }
        FastSize::BcdBytes { bytes, max } | FastSize::BcdDigits { bytes, max } => {
            let b = usize::from(bytes);
            let raw = input.get(..b)?;
            let mut n = 0usize;
            for &c in raw {
                let (hi, lo) = (c >> 4, c & 0xF);
                if hi > 9 || lo > 9 {
                    return None;
                }
                n = n * 100 + usize::from(hi) * 10 + usize::from(lo);
            }
            if n > usize::from(max) {
                return None;
            }
            match fast.size {
                // Digits of packed BCD: two per byte.
                FastSize::BcdDigits { .. } => (b, n.div_ceil(2), Some(n)),
                _ => (b, n, Some(n)),
            }
        }
        FastSize::General | FastSize::Undefined => return general_len(spec, input),
    };
    let data = input.get(prefix..prefix + wire)?;
    let fast_ok = match fast.check {
        FastCheck::None => true,
        FastCheck::Digits => all_digits(data),
        FastCheck::Printable => all_printable_ascii(data),
        FastCheck::BcdDigits => all_bcd_digits(data),
        FastCheck::Class(content) => data.iter().all(|&c| content.allows(c)),
        FastCheck::General => false,
    };
    if fast_ok {
        return Some(prefix + wire);
    }
    let units = match (units, spec.length) {
        (Some(u), _) => u,
        (None, Length::Fixed(n)) => usize::from(n),
        (None, Length::Var(_)) => return None,
    };
    check_content(spec, data, units)
        .is_ok()
        .then_some(prefix + wire)
}

/// The general sizing for fields the compact view does not cover.
fn general_len(spec: &FieldSpec<'_>, input: &[u8]) -> Option<usize> {
    let (prefix, units, wire) = match spec.length {
        Length::Fixed(n) => (0, n as usize, spec.wire_len_for_units(n as usize)),
        Length::Var(p) => {
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
    check_content(spec, data, units)
        .is_ok()
        .then_some(prefix + wire)
}

#[cfg(test)]
mod tests;
