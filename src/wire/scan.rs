//! The decoder's fast path: one pass over a well-formed message, no diagnostics.
//!
//! [`scan`] locates every field and checks its content, but answers only "fine" or
//! "not fine". On "not fine" the decoder starts over with the detailed parsers, which
//! either explain the failure or accept what the fast checks were too strict for
//! (padding, Latin-1, classes without a fast check). So the fast path only has to be
//! exact when it accepts.
//!
//! What makes it fast:
//! * the bitmaps are walked as raw words, bit-reversed so that the next field is the
//!   lowest bit left (a trailing-zero count, and clearing it does not wait on the count);
//! * sizes come from the layout's compact table ([`FastField`]), one 8-byte entry per
//!   field and one 64-entry table per bitmap, so a fixed field continuing the current
//!   run costs a load, a comparison and an addition;
//! * the ends of fields 1-64 are stored by field number, with no rank to keep;
//! * content is checked in *runs*: consecutive fields checked the same way (say
//!   fields 3 to 25 of a 0200, all ASCII digits) are checked as one byte range, eight
//!   bytes at a time, instead of field by field;
//! * free text is not checked at all (the lenient [`crate::spec::ContentMode`]; strict
//!   mode checks the classes after the scan), so text fields, and binary fields next
//!   to them, form runs that cost nothing to check;
//! * hex bitmaps are decoded eight characters at a time.

use super::fast::{self, splat, word_at};
use crate::bitmap::Bitmap;
use crate::message::{ENDS, LATER};
use crate::mti::{Mti, MtiEncoding};
use crate::spec::{BitmapEncoding, BitmapUnit, FastCheck, FastField, FastSize, MessageSpec};

const HIGHS: u64 = 0x8080_8080_8080_8080;

/// What a successful scan found, besides the field ends.
pub(crate) struct Scanned {
    pub mti: Mti,
    /// The bitmaps as received.
    pub words: [u64; 3],
    /// Offset of the first data field.
    pub fields_start: usize,
}

/// Each byte of `x` in `lo..=hi` gets its high bit set (bytes of `x` below 0x80).
#[inline(always)]
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    x.wrapping_add(splat(0x80 - lo)) & !x.wrapping_add(splat(0x7F - hi)) & HIGHS
}

/// Eight hex characters (either case) as a 32-bit number, first character most
/// significant.
#[inline(always)]
#[cfg(test)]
fn hex8(x: u64) -> Option<u32> {
    (hex8_bad(x) == 0).then(|| hex8_value(x))
}

/// Nonzero unless all eight bytes of `x` are hex characters (either case).
#[inline(always)]
fn hex8_bad(x: u64) -> u64 {
    let digit = in_range(x, b'0', b'9');
    let letter = in_range(x | splat(0x20), b'a', b'f');
    (x | !(digit | letter)) & HIGHS
}

/// The value of eight hex characters that [`hex8_bad`] accepted, first character most
/// significant.
#[inline(always)]
fn hex8_value(x: u64) -> u32 {
    let letter = in_range(x | splat(0x20), b'a', b'f');
    // Nibble values: the low nibble, plus 9 for letters ('A' is 0x41).
    let v = (x & splat(0x0F)) + (letter >> 7) * 9;
    // Gather the nibbles, first character (lowest byte) on top.
    let v = v.swap_bytes();
    let v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
    let v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
    let v = (v | (v >> 16)) & 0xFFFF_FFFF;
    v as u32
}

/// One bitmap at `at`.
#[inline(always)]
fn bitmap_at(encoding: BitmapEncoding, input: &[u8], at: usize) -> Option<(u64, usize)> {
    match encoding {
        BitmapEncoding::Binary => Some((word_at(input, at)?.swap_bytes(), at + 8)),
        BitmapEncoding::HexAscii => {
            // One bounds check for both halves.
            let text: &[u8; 16] = input.get(at..)?.first_chunk()?;
            let (first, second) = text.split_at(8);
            let (hi, lo) = (word_at(first, 0)?, word_at(second, 0)?);
            // Both halves checked before one branch.
            if hex8_bad(hi) | hex8_bad(lo) != 0 {
                return None;
            }
            Some((
                (u64::from(hex8_value(hi)) << 32) | u64::from(hex8_value(lo)),
                at + 16,
            ))
        }
        BitmapEncoding::EbcdicHex(_) => {
            let rest = input.get(at..)?;
            let (after, word) = super::decode::bitmap(encoding)(rest).ok()?;
            Some((word, input.len() - after.len()))
        }
    }
}

/// The 128-bit bitmap units at `at` (see [`crate::spec::BitmapUnit::Bits128`]): the
/// words and where the fields start. `None` for anything the detailed decoder must
/// explain (a third unit, bits above 192).
#[inline(never)]
fn wide_bitmaps(spec: &MessageSpec<'_>, input: &[u8], at: usize) -> Option<([u64; 3], usize)> {
    let encoding = spec.bitmap.encoding;
    let (first, p) = bitmap_at(encoding, input, at)?;
    let (second, p) = bitmap_at(encoding, input, p)?;
    if first >> 63 == 0 {
        return Some(([first, second, 0], p));
    }
    if spec.bitmap.max_bitmaps < 2 {
        return None;
    }
    let (third, p) = bitmap_at(encoding, input, p)?;
    let (fourth, p) = bitmap_at(encoding, input, p)?;
    (third >> 63 == 0 && fourth == 0).then_some(([first, second, third], p))
}

/// The MTI at `at`.
#[inline(always)]
fn mti_at(encoding: MtiEncoding, input: &[u8], at: usize) -> Option<(Mti, usize)> {
    match encoding {
        MtiEncoding::Ascii => {
            let raw: [u8; 4] = input.get(at..at + 4)?.try_into().ok()?;
            let word = u32::from_le_bytes(raw);
            let x = u64::from(word) | (splat(b'0') << 32);
            if in_range(x, b'0', b'9') != HIGHS || x & HIGHS != 0 {
                return None;
            }
            // Four digits: no byte borrows from the next.
            let digits = word.wrapping_sub(u32::from_le_bytes([b'0'; 4]));
            Some((Mti::from_valid_digits(digits.to_le_bytes()), at + 4))
        }
        MtiEncoding::Bcd => Some((Mti::from_bcd(input.get(at..at + 2)?).ok()?, at + 2)),
        MtiEncoding::Ebcdic(_) | MtiEncoding::HexAscii => {
            let rest = input.get(at..)?;
            let (after, mti) = super::decode::mti(encoding)(rest).ok()?;
            Some((mti, input.len() - after.len()))
        }
    }
}

/// Whether `check` also accepts the bytes of an ASCII (digits) or BCD length prefix,
/// so that a run may continue through the prefix.
#[inline(always)]
fn run_spans_prefix(check: FastCheck, ascii_prefix: bool) -> bool {
    if ascii_prefix {
        check.joins_runs()
    } else {
        matches!(check, FastCheck::BcdDigits | FastCheck::None)
    }
}

/// Checks one run of bytes.
#[inline(always)]
fn run_ok(check: FastCheck, data: &[u8]) -> bool {
    match check {
        FastCheck::None => true,
        // The common checks in small functions of their own: cheap to call.
        FastCheck::Digits => digits_run(data),
        _ => other_run(check, data),
    }
}

/// [`run_ok`] for the other checks: a dispatcher that jumps on to one small function
/// per check, so that none of them pays for registers only another one needs.
#[inline(never)]
fn other_run(check: FastCheck, data: &[u8]) -> bool {
    match check {
        FastCheck::None => true,
        FastCheck::Digits => digits_run(data),
        FastCheck::BcdDigits => bcd_run(data),
        FastCheck::Track => track_run(data),
        FastCheck::SignedDigits => signed_digits_run(data),
        FastCheck::SignedBcd => fast::passes(check, data),
        FastCheck::Hex => hex_run(data),
        FastCheck::General => false,
    }
}

/// [`fast::all_bcd_digits`], kept out of line.
#[inline(never)]
fn bcd_run(data: &[u8]) -> bool {
    fast::all_bcd_digits(data)
}

/// [`fast::all_track`], kept out of line.
#[inline(never)]
fn track_run(data: &[u8]) -> bool {
    fast::all_track(data)
}

/// An `x+n` amount (`C` or `D`, then digits), kept out of line.
#[inline(never)]
fn signed_digits_run(data: &[u8]) -> bool {
    fast::signed(data, fast::all_digits)
}

/// [`fast::all_hex`], kept out of line.
#[inline(never)]
fn hex_run(data: &[u8]) -> bool {
    fast::all_hex(data)
}

/// [`fast::all_digits`], kept out of line.
#[inline(never)]
fn digits_run(data: &[u8]) -> bool {
    fast::all_digits(data)
}

/// The length a 1-4 digit ASCII prefix at `at` announces.
#[inline(always)]
fn ascii_prefix(input: &[u8], at: usize, digits: u8) -> Option<usize> {
    fast::ascii_number(input.get(at..at + usize::from(digits))?)
}

/// The number a 1-2 byte BCD prefix at `at` announces.
#[inline(always)]
fn bcd_prefix(input: &[u8], at: usize, bytes: u8) -> Option<usize> {
    fast::bcd_number(input.get(at..at + usize::from(bytes))?)
}

/// Whether the pad nibble of the packed-BCD number at `start..end` is 0 (`pad` says
/// where it sits, see [`FastField::pad`]).
#[inline(always)]
fn pad_ok(input: &[u8], pad: u8, start: usize, end: usize) -> bool {
    input
        .get(start..end)
        .is_some_and(|data| fast::pad_is_zero(pad, data))
}

/// The run being scanned: bytes `start..` of the input, all to be checked with `check`.
struct Run {
    start: usize,
    check: FastCheck,
}

impl Run {
    /// A new run from `start` checked with `check`.
    #[inline(always)]
    fn restart(&mut self, start: usize, check: FastCheck) {
        self.start = start;
        self.check = check;
    }
}

/// The message being scanned.
#[derive(Clone, Copy)]
struct Fields<'s, 'i> {
    spec: &'s MessageSpec<'s>,
    input: &'i [u8],
}

/// Checks the run `run.start..end`.
#[inline(always)]
fn close(fields: &Fields<'_, '_>, run: &Run, end: usize) -> bool {
    fields
        .input
        .get(run.start..end)
        .is_some_and(|data| run_ok(run.check, data))
}

/// Any field but a fixed one without a pad nibble: sizes it, closes the run if the
/// field does not join it, and returns where the field ends.
#[inline(never)]
fn field(
    fields: &Fields<'_, '_>,
    n: usize,
    f: FastField,
    pos: usize,
    run: &mut Run,
) -> Option<usize> {
    let (spec, input) = (fields.spec, fields.input);
    let (data_start, end) = match f.size {
        FastSize::Fixed => {
            // An odd-length BCD number (other fixed fields come here only to close a
            // run of the general check).
            let end = pos + usize::from(f.len);
            if !pad_ok(input, f.pad, pos, end) {
                return None;
            }
            (pos, end)
        }
        FastSize::AsciiBytes => {
            let len = ascii_prefix(input, pos, f.prefix)?;
            if len > usize::from(f.len) {
                return None;
            }
            let start = pos + usize::from(f.prefix);
            (start, start + len)
        }
        FastSize::BcdBytes | FastSize::BcdDigits => {
            let count = bcd_prefix(input, pos, f.prefix)?;
            if count > usize::from(f.len) {
                return None;
            }
            let start = pos + usize::from(f.prefix);
            if f.size == FastSize::BcdBytes {
                (start, start + count)
            } else {
                // Packed digits, two per byte, with a pad nibble for an odd count.
                let end = start + count.div_ceil(2);
                if count % 2 == 1 && !pad_ok(input, f.pad, start, end) {
                    return None;
                }
                (start, end)
            }
        }
        FastSize::General | FastSize::Undefined => (pos, pos),
    };
    if matches!(f.size, FastSize::General | FastSize::Undefined) || f.check == FastCheck::General {
        // Close the run, then size and check this field the general way.
        if !close(fields, run, pos) {
            return None;
        }
        let fspec = spec.fields.get(n)?.as_ref()?;
        let end = pos + fast::field_len(f, fspec, input.get(pos..)?)?;
        run.restart(end, FastCheck::None);
        return Some(end);
    }
    let extends = f.check == run.check
        && (data_start == pos || run_spans_prefix(run.check, f.size == FastSize::AsciiBytes));
    if !extends {
        if !close(fields, run, pos) {
            return None;
        }
        run.restart(data_start, f.check);
    }
    Some(end)
}

/// Sizes field `n`, whose table entry is `f`, at `pos`, extending or closing the run;
/// where the field ends, or `None` when the scan must stop.
#[inline(always)]
fn place(
    fields: &Fields<'_, '_>,
    entry: &FastField,
    n: usize,
    pos: usize,
    run: &mut Run,
) -> Option<usize> {
    // The common case reads the two bytes it needs from the table in place; the
    // others take the whole entry.
    if entry.fixed_check == run.check as u8 {
        // The common case: a fixed field continuing the run.
        return Some(pos + usize::from(entry.len));
    }
    let f = *entry;
    if f.step == FastField::STEP_FIXED {
        if run.start != pos {
            // A fixed field checked another way: close the run.
            if !close(fields, run, pos) {
                return None;
            }
        }
        // The field starts a run (or an empty run takes its check).
        run.restart(pos, f.check);
        Some(pos + usize::from(f.len))
    } else if f.step == FastField::STEP_ASCII_PREFIX {
        // An LL..LLLL field whose prefix and data join the run (an empty run takes
        // this field's check), or start a new one.
        if f.check != run.check && run.start != pos {
            if !close(fields, run, pos) {
                return None;
            }
            run.start = pos;
        }
        run.check = f.check;
        let len = ascii_prefix(fields.input, pos, f.prefix)?;
        if len > usize::from(f.len) {
            return None;
        }
        Some(pos + usize::from(f.prefix) + len)
    } else {
        field(fields, n, f, pos, run)
    }
}

/// Fields 65-192 (the second and third bitmap words) from `pos`: their ends go to
/// `ends` by rank from [`LATER`], as many as fit. Where the last one ends.
#[inline(never)]
fn scan_later(
    fields: &Fields<'_, '_>,
    words: [u64; 2],
    mut pos: usize,
    run: &mut Run,
    ends: &mut [u16; ENDS],
) -> Option<usize> {
    let mut later = LATER;
    for (w, (table, word)) in fields.spec.fast.iter().skip(1).zip(words).enumerate() {
        let mut bits = word.reverse_bits();
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let f = table.get(bit)?;
            pos = place(fields, f, (w + 1) * 64 + bit + 1, pos, run)?;
            if let Some(slot) = ends.get_mut(later) {
                *slot = pos as u16;
            }
            later += 1;
        }
    }
    Some(pos)
}

/// Scans `input` as a message of `spec`, filling `ends` with the end offset of each
/// present data field as [`crate::Message`] keeps them: fields 1-64 by number (at
/// index `n - 1`), later ones by rank from index [`LATER`], as many as fit. `None`
/// when anything is off, or when the message needs checks the fast path does not
/// make; the caller then runs the detailed decoder.
#[inline(never)]
pub(crate) fn scan(
    spec: &MessageSpec<'_>,
    input: &[u8],
    ends: &mut [u16; ENDS],
) -> Option<Scanned> {
    let total = input.len();
    if total > usize::from(u16::MAX) {
        return None;
    }
    let (mti, mut pos) = mti_at(spec.mti, input, spec.header_len())?;

    let encoding = spec.bitmap.encoding;
    let (words, present) = match spec.bitmap.unit {
        BitmapUnit::Bits64 => {
            let mut words = [0u64; 3];
            let (primary, p) = bitmap_at(encoding, input, pos)?;
            pos = p;
            words[0] = primary;
            let tertiary = spec.bitmap.has_tertiary();
            if primary >> 63 == 1 {
                if spec.bitmap.max_bitmaps < 2 {
                    return None;
                }
                let (secondary, p) = bitmap_at(encoding, input, pos)?;
                pos = p;
                words[1] = secondary;
                if tertiary && secondary >> 63 == 1 {
                    let (third, p) = bitmap_at(encoding, input, pos)?;
                    pos = p;
                    words[2] = third;
                }
            }
            (words, Bitmap::data_words(words, tertiary))
        }
        BitmapUnit::Bits128 => {
            let (words, p) = wide_bitmaps(spec, input, pos)?;
            pos = p;
            (words, spec.bitmap.data_words(words))
        }
    };
    let fields_start = pos;

    // The pending run: bytes `run.start..pos` all to be checked with `run.check`.
    // Positions may run past the end of the input for a while: every read goes
    // through `get`, and the end must match exactly.
    let fields = &Fields { spec, input };
    let mut run = Run {
        start: pos,
        check: FastCheck::None,
    };
    let [first, second, third] = present;
    let [table, ..] = &spec.fast;
    // Bit-reversed, so that the lowest bit left is the next field: clearing it does
    // not wait for the bit search.
    let mut bits = first.reverse_bits();
    while bits != 0 {
        let bit = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        // `bit` < 64: both in bounds.
        pos = place(fields, &table[bit], bit + 1, pos, &mut run)?;
        ends[bit] = pos as u16;
    }
    if second | third != 0 {
        pos = scan_later(fields, [second, third], pos, &mut run, ends)?;
    }
    if pos != total || !close(fields, &run, pos) {
        return None;
    }
    Some(Scanned {
        mti,
        words,
        fields_start,
    })
}

#[cfg(test)]
mod tests;
