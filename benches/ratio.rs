//! This crate against its peers, measured in alternation: every path a user runs
//! (decode, strict decode, decode + field reads, new and reused builder, prebuilt
//! encode, `encode_to_slice`) on the reference 0200, a 64-field iso87ascii message and
//! the reference content in iso87binary, against `iso_8583_rs` (and `i8583` for the
//! 64-field decode); a hand-written decoder and a copy of the message as the limits;
//! the journal against the disk's floor.
//!
//! `cargo bench --bench ratio`
//!
//! The criterion group `peers` measures each side on its own for a few seconds; when
//! the machine gets busier in the middle of a group (on a shared host this happens for
//! seconds at a time, and can double the times), the side measured then looks slower
//! than it is. Here each round times `CHUNK` operations of one side, then as many of
//! the other (the order flips every round), and the figure reported is the median of
//! the per-round ratios. `ROUNDS` (default 41), `CHUNK` (default 200000, an eighth of
//! it for the 64-field message), `SYNC_ROUNDS` and `SYNC_CHUNK` (the journal) change
//! the run length. Decoded messages are passed through `black_box`, so that the work
//! of storing every field's position is measured.

mod common;

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use iso8583_wire::layouts::{ISO87_ASCII, ISO87_BINARY};
use iso8583_wire::spec::{ContentMode, MessageSpec};
use iso8583_wire::{Message, MessageBuilder, Mti};

use common::{REFERENCE_0200, i8583_spec_from, peer_spec, peer_spec_from, sixty_four_field_values};

/// Nanoseconds per call of `f`, over `n` calls.
fn time(n: usize, mut f: impl FnMut() -> usize) -> f64 {
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..n {
        sink = sink.wrapping_add(f());
    }
    black_box(sink);
    start.elapsed().as_nanos() as f64 / n as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Decodes `wire` (in the layout's mode, or `mode`) and keeps the message, so that no
/// part of the work can be dropped; what every decode comparison times.
#[inline(always)]
fn decode_kept(spec: &MessageSpec<'_>, wire: &[u8], mode: Option<ContentMode>) -> usize {
    let wire = black_box(wire);
    let decoded = match mode {
        Some(mode) => Message::decode_with(spec, wire, mode),
        None => Message::decode(spec, wire),
    };
    decoded.map(|m| black_box(&m).bitmap_count()).unwrap_or(0)
}

/// Alternating rounds of `ours` and `theirs`; prints the medians and the ratios.
fn compare(
    name: &str,
    rounds: usize,
    chunk: usize,
    ours: impl FnMut() -> usize,
    theirs: impl FnMut() -> usize,
) {
    compare_with(
        name,
        rounds,
        chunk,
        "iso8583-wire",
        "iso_8583_rs",
        ours,
        theirs,
    );
}

/// [`compare`] with names for the two sides.
fn compare_with(
    name: &str,
    rounds: usize,
    chunk: usize,
    our_name: &str,
    their_name: &str,
    mut ours: impl FnMut() -> usize,
    mut theirs: impl FnMut() -> usize,
) {
    // Warm both up.
    time(chunk, &mut ours);
    time(chunk, &mut theirs);
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = time(chunk, &mut ours);
            (x, time(chunk, &mut theirs))
        } else {
            let y = time(chunk, &mut theirs);
            (time(chunk, &mut ours), y)
        };
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    let (lowest, highest) = ratios
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!(
        "{name}: {our_name} {:.1} ns, {their_name} {:.1} ns, ratio {:.3} \
         (median of {rounds} rounds; lowest {lowest:.3}, highest {highest:.3})",
        median(&mut a),
        median(&mut b),
        median(&mut ratios),
    );
}

/// The peer's side of the build comparisons: a new builder, the values set, packed
/// into a reused buffer.
fn peer_build(
    spec: &iso_8583_rs::CompiledSpec,
    values: &[(usize, Vec<u8>)],
    out: &mut Vec<u8>,
) -> usize {
    let Ok(mut b) = iso_8583_rs::Builder::new(spec, b"0200") else {
        return 0;
    };
    for (n, v) in values {
        let _ = b.set(*n, black_box(v.as_slice()));
    }
    out.clear();
    b.pack_into(out);
    out.len()
}

/// A decoder written by hand for iso87ascii messages with a primary bitmap: the
/// practical limit for decoding the reference layout. It does the work `decode` does
/// for such a message (MTI digits, hex bitmap, length prefixes within their maximum,
/// digits in `n` fields, every byte accounted for, the end of each field kept by
/// number) and nothing more: no other layout, no diagnostics.
struct HandWritten {
    /// Per field: prefix digits (0 for fixed), length or maximum, digits only.
    table: [Option<(usize, usize, bool)>; 65],
}

impl HandWritten {
    fn for_iso87ascii() -> Self {
        use iso8583_wire::spec::{Content, Length};
        let mut table = [None; 65];
        for (n, slot) in table.iter_mut().enumerate().skip(2) {
            let Some(f) = ISO87_ASCII.field(n) else {
                continue;
            };
            let wire = |units: usize| {
                if f.content.is_text() {
                    units
                } else {
                    2 * units
                }
            };
            *slot = match f.length {
                Length::Fixed(len) => Some((0, wire(len as usize), f.content == Content::N)),
                Length::Var(p) => Some((
                    p.digits as usize,
                    wire(f.max_units()),
                    f.content == Content::N,
                )),
                _ => None,
            };
        }
        HandWritten { table }
    }

    #[inline(always)]
    fn decode(&self, input: &[u8]) -> Option<[u16; 65]> {
        fn number(digits: &[u8]) -> Option<usize> {
            let mut n = 0usize;
            for &d in digits {
                let v = d.wrapping_sub(b'0');
                if v > 9 {
                    return None;
                }
                n = n * 10 + usize::from(v);
            }
            Some(n)
        }
        let head = input.get(..20)?;
        if !head[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut bitmap = 0u64;
        for &c in &head[4..20] {
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'A'..=b'F' => c - b'A' + 10,
                b'a'..=b'f' => c - b'a' + 10,
                _ => return None,
            };
            bitmap = bitmap << 4 | u64::from(v);
        }
        if bitmap >> 63 != 0 || input.len() > usize::from(u16::MAX) {
            return None;
        }
        let mut ends = [0u16; 65];
        let mut pos = 20;
        let mut bits = bitmap << 1;
        while bits != 0 {
            let n = bits.leading_zeros() as usize + 2;
            bits &= !(1u64 << 63 >> (n - 2));
            let (prefix, max, digits) = (*self.table.get(n)?)?;
            let len = if prefix == 0 {
                max
            } else {
                let len = number(input.get(pos..pos + prefix)?)?;
                pos += prefix;
                if len > max {
                    return None;
                }
                len
            };
            let data = input.get(pos..pos + len)?;
            if digits && !data.iter().all(u8::is_ascii_digit) {
                return None;
            }
            pos += len;
            ends[n] = pos as u16;
        }
        (pos == input.len()).then_some(ends)
    }
}

/// One message, every path a user runs on it, against the peer (`theirs`: the peer's
/// layout and values for the same content in iso87ascii).
struct Case<'a> {
    name: &'a str,
    spec: &'a MessageSpec<'a>,
    wire: &'a [u8],
    /// The values as a user hands them to the builder.
    values: &'a [(usize, Vec<u8>)],
    /// The two fields read after a decode.
    reads: (usize, usize),
    peer_spec: &'a iso_8583_rs::CompiledSpec,
    peer_wire: &'a [u8],
    peer_values: &'a [(usize, Vec<u8>)],
}

fn run_case(case: &Case<'_>, rounds: usize, chunk: usize) {
    let (spec, wire, peer_spec, peer_wire) = (case.spec, case.wire, case.peer_spec, case.peer_wire);
    let (r1, r2) = case.reads;
    let parsed = iso_8583_rs::Message::parse(peer_spec, peer_wire)
        .map(|m| m.fields().count())
        .expect("the peer decodes the case");
    assert_eq!(
        parsed,
        Message::decode(spec, wire).map_or(0, |m| m.field_numbers().count()),
        "{}: the peer sees every field",
        case.name
    );
    let name = |path: &str| format!("{}/{path}", case.name);
    let peer_decode = || {
        iso_8583_rs::Message::parse(peer_spec, black_box(peer_wire))
            .map(|m| black_box(&m).mti.len())
            .unwrap_or(0)
    };
    compare(
        &name("decode"),
        rounds,
        chunk,
        || decode_kept(spec, wire, None),
        peer_decode,
    );
    compare(
        &name("decode_strict"),
        rounds,
        chunk,
        || decode_kept(spec, wire, Some(ContentMode::Strict)),
        peer_decode,
    );
    compare(
        &name(&format!("decode_read_{r1}_{r2}")),
        rounds,
        chunk,
        || {
            Message::decode(spec, black_box(wire))
                .map(|m| {
                    m.field(r1).map_or(0, |f| f.data().len())
                        + m.field(r2).map_or(0, |f| f.data().len())
                })
                .unwrap_or(0)
        },
        || {
            iso_8583_rs::Message::parse(peer_spec, black_box(peer_wire))
                .map(|m| m.get(r1).map_or(0, <[u8]>::len) + m.get(r2).map_or(0, <[u8]>::len))
                .unwrap_or(0)
        },
    );

    let mti = Mti::new(200).expect("MTI");
    let mut buf = BytesMut::with_capacity(2048);
    let mut out = Vec::with_capacity(2048);
    compare(
        &name("build_new_set_encode"),
        rounds,
        chunk,
        || {
            let mut b = MessageBuilder::new(spec, mti);
            for (n, v) in case.values {
                let _ = b.set(*n, black_box(v.as_slice()));
            }
            buf.clear();
            b.encode_into(&mut buf).unwrap_or(0)
        },
        || peer_build(peer_spec, case.peer_values, &mut out),
    );
    let mut reused = MessageBuilder::new(spec, mti);
    compare(
        &name("build_reused_set_encode"),
        rounds,
        chunk,
        || {
            reused.clear();
            for (n, v) in case.values {
                let _ = reused.set(*n, black_box(v.as_slice()));
            }
            buf.clear();
            reused.encode_into(&mut buf).unwrap_or(0)
        },
        || peer_build(peer_spec, case.peer_values, &mut out),
    );

    let ours = Message::decode(spec, wire).expect("case decodes");
    let builder = MessageBuilder::from_message(&ours);
    let mut peer_builder = iso_8583_rs::Builder::new(peer_spec, b"0200").expect("peer builder");
    for (n, v) in case.peer_values {
        peer_builder.set(*n, v).expect("peer set");
    }
    buf.clear();
    builder.encode_into(&mut buf).expect("encodes");
    assert_eq!(&buf[..], wire, "{}: prebuilt encode", case.name);
    out.clear();
    peer_builder.pack_into(&mut out);
    assert_eq!(out, peer_wire, "{}: peer encode", case.name);
    let mut peer_encode = || {
        out.clear();
        black_box(&peer_builder).pack_into(&mut out);
        out.len()
    };
    compare(
        &name("encode_prebuilt"),
        rounds,
        chunk,
        || {
            buf.clear();
            black_box(&builder)
                .encode_into(&mut buf)
                .map(|_| buf.len())
                .unwrap_or(0)
        },
        &mut peer_encode,
    );
    let mut slice = [0u8; 2048];
    compare(
        &name("encode_to_slice_prebuilt"),
        rounds,
        chunk,
        || black_box(&builder).encode_to_slice(&mut slice).unwrap_or(0),
        &mut peer_encode,
    );
}

fn main() {
    let setting = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    };
    let rounds = setting("ROUNDS", 41);
    let chunk = setting("CHUNK", 200_000);

    // The reference 0200 (iso87ascii, 13 fields).
    let spec = peer_spec();
    let ours = Message::decode(&ISO87_ASCII, REFERENCE_0200).expect("reference decodes");
    let values: Vec<(usize, Vec<u8>)> = ours
        .fields()
        .map(|f| (f.number(), f.data().to_vec()))
        .collect();
    run_case(
        &Case {
            name: "reference_0200",
            spec: &ISO87_ASCII,
            wire: REFERENCE_0200,
            values: &values,
            reads: (4, 41),
            peer_spec: &spec,
            peer_wire: REFERENCE_0200,
            peer_values: &values,
        },
        rounds,
        chunk,
    );

    // The practical limit and the floor for decoding the reference: a decoder written
    // by hand for this layout, and a copy of the message.
    let hand = HandWritten::for_iso87ascii();
    let hand_ends = hand.decode(REFERENCE_0200).expect("hand-written decoder");
    for f in ours.fields() {
        assert_eq!(
            usize::from(hand_ends[f.number()]),
            f.data().as_ptr() as usize - REFERENCE_0200.as_ptr() as usize + f.data().len()
        );
    }
    let mut copy = [0u8; 512];
    compare_with(
        "reference_0200/decode_vs_hand_written",
        rounds,
        chunk,
        "iso8583-wire",
        "hand-written",
        || decode_kept(&ISO87_ASCII, REFERENCE_0200, None),
        || {
            hand.decode(black_box(REFERENCE_0200))
                .map(|e| usize::from(black_box(&e)[41]))
                .unwrap_or(0)
        },
    );
    compare_with(
        "reference_0200/hand_written_vs_memcpy",
        rounds,
        chunk,
        "hand-written",
        "memcpy",
        || {
            hand.decode(black_box(REFERENCE_0200))
                .map(|e| usize::from(black_box(&e)[41]))
                .unwrap_or(0)
        },
        || {
            let input = black_box(REFERENCE_0200);
            if let Some(dst) = copy.get_mut(..input.len()) {
                dst.copy_from_slice(input);
            }
            usize::from(black_box(&copy)[7])
        },
    );

    // The 64-field message: fields 2-64 of iso87ascii.
    let values64 = sixty_four_field_values();
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).expect("MTI"));
    for (n, v) in &values64 {
        b.set(*n, v.as_slice()).expect("64-field value");
    }
    let wire64 = b.to_bytes().expect("64-field message encodes").to_vec();
    let msg64 = Message::decode(&ISO87_ASCII, &wire64).expect("64-field message decodes");
    assert_eq!(msg64.field_numbers().count(), 63);
    let spec64 = peer_spec_from(&msg64);
    let peer_values64: Vec<(usize, Vec<u8>)> = msg64
        .fields()
        .map(|f| (f.number(), f.data().to_vec()))
        .collect();
    let chunk64 = (chunk / 8).max(1);
    run_case(
        &Case {
            name: "64_fields",
            spec: &ISO87_ASCII,
            wire: &wire64,
            values: &values64,
            reads: (4, 41),
            peer_spec: &spec64,
            peer_wire: &wire64,
            peer_values: &peer_values64,
        },
        rounds,
        chunk64,
    );
    let i_spec = i8583_spec_from(&msg64);
    let unpacked = i8583::Unpacker::new(&wire64)
        .unpack(&i_spec)
        .map(|f| f.iter().flatten().count())
        .expect("i8583 unpacks the 64-field message");
    assert_eq!(unpacked, 65, "MTI, bitmap and 63 fields");
    compare_with(
        "64_fields/decode_vs_i8583",
        rounds,
        chunk64,
        "iso8583-wire",
        "i8583",
        || decode_kept(&ISO87_ASCII, &wire64, None),
        || {
            let mut u = i8583::Unpacker::new(black_box(&wire64));
            u.unpack(&i_spec).map(|f| black_box(f).len()).unwrap_or(0)
        },
    );

    // The reference content in iso87binary (BCD numbers, binary bitmap), against the
    // peer's iso87ascii (it has no BCD), and against this crate's own iso87ascii.
    let mut b = MessageBuilder::new(&ISO87_BINARY, ours.mti());
    for (n, v) in &values {
        b.set(*n, v.as_slice()).expect("binary value");
    }
    let binary_wire = b.to_bytes().expect("binary encodes").to_vec();
    run_case(
        &Case {
            name: "iso87binary",
            spec: &ISO87_BINARY,
            wire: &binary_wire,
            values: &values,
            reads: (4, 41),
            peer_spec: &spec,
            peer_wire: REFERENCE_0200,
            peer_values: &values,
        },
        rounds,
        chunk,
    );
    let mut buf = BytesMut::with_capacity(512);
    let mut binary_builder = MessageBuilder::new(&ISO87_BINARY, ours.mti());
    let mut ascii_builder = MessageBuilder::new(&ISO87_ASCII, ours.mti());
    let mut buf2 = BytesMut::with_capacity(512);
    compare_with(
        "iso87binary/build_reused_set_encode_vs_iso87ascii",
        rounds,
        chunk,
        "iso87binary",
        "iso87ascii",
        || {
            binary_builder.clear();
            for (n, v) in &values {
                let _ = binary_builder.set(*n, black_box(v.as_slice()));
            }
            buf.clear();
            binary_builder.encode_into(&mut buf).unwrap_or(0)
        },
        || {
            ascii_builder.clear();
            for (n, v) in &values {
                let _ = ascii_builder.set(*n, black_box(v.as_slice()));
            }
            buf2.clear();
            ascii_builder.encode_into(&mut buf2).unwrap_or(0)
        },
    );
    compare_with(
        "iso87binary/decode_vs_iso87ascii",
        rounds,
        chunk,
        "iso87binary",
        "iso87ascii",
        || decode_kept(&ISO87_BINARY, &binary_wire, None),
        || decode_kept(&ISO87_ASCII, REFERENCE_0200, None),
    );

    // The journal: one purchase (begin, sent, response) against the disk's floor, a
    // 100-byte write and an fdatasync, timed in alternation on the same file system.
    let dir = std::env::temp_dir().join(format!("iso8583-ratio-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench directory");
    let mut journal = iso8583_wire::pos::Journal::open(
        dir.join("journal.log"),
        iso8583_wire::pos::JournalConfig::new(&ISO87_ASCII),
    )
    .expect("journal");
    let reversal = iso8583_wire::exchange::reversal_for(
        &ours,
        &iso8583_wire::exchange::ReversalReason::OTHER,
        iso8583_wire::exchange::ReversalKind::Request,
    )
    .expect("reversal");
    let mut floor = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("floor.bin"))
        .expect("floor file");
    let line = [b'x'; 100];
    let sync_chunk = setting("SYNC_CHUNK", 200);
    compare_with(
        "journal_purchase_vs_disk_floor",
        setting("SYNC_ROUNDS", 15),
        sync_chunk,
        "journal purchase",
        "100-byte write + fdatasync",
        || {
            let Ok(id) = journal.begin(REFERENCE_0200, &reversal) else {
                return 0;
            };
            let _ = journal.sent(id);
            let result = iso8583_wire::pos::journal::HostResult {
                code: iso8583_wire::exchange::ResponseCode::APPROVED,
                rrn: None,
                auth_code: None,
            };
            journal.response(id, result).map_or(0, |_| 1)
        },
        || {
            use std::io::Write;
            let _ = floor.write_all(&line);
            floor.sync_data().map_or(0, |()| 1)
        },
    );
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}
