//! This crate against `iso_8583_rs`, measured in alternation: decode and encode of the
//! reference 0200 in short alternating rounds, so that both sides run under the same
//! load of a shared machine, and the ratio of each round.
//!
//! `cargo bench --bench ratio`
//!
//! The criterion group `peers` measures each side on its own for a few seconds; when
//! the machine gets busier in the middle of a group (on a shared host this happens for
//! seconds at a time, and can double the times), the side measured then looks slower
//! than it is. Here each round times 200,000 operations of one side, then as many of
//! the other (the order flips every round), and the figure reported is the median of
//! the per-round ratios. `ROUNDS` (default 41) and `CHUNK` (default 200000) change the
//! run length.

mod common;

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::spec::ContentMode;
use iso8583_wire::{Message, MessageBuilder};

use common::{REFERENCE_0200, peer_spec};

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

    let spec = peer_spec();
    let ours = Message::decode(&ISO87_ASCII, REFERENCE_0200).expect("reference decodes");
    compare(
        "decode_reference_0200",
        rounds,
        chunk,
        || {
            Message::decode(&ISO87_ASCII, black_box(REFERENCE_0200))
                .map(|m| usize::from(m.mti().digits()[3]))
                .unwrap_or(0)
        },
        || {
            iso_8583_rs::Message::parse(&spec, black_box(REFERENCE_0200))
                .map(|m| m.mti.len())
                .unwrap_or(0)
        },
    );

    // The same with the free-text classes enforced (strict mode): the check the
    // lenient default leaves to the validation layer.
    compare(
        "decode_reference_0200_strict",
        rounds,
        chunk,
        || {
            Message::decode_with(&ISO87_ASCII, black_box(REFERENCE_0200), ContentMode::Strict)
                .map(|m| usize::from(m.mti().digits()[3]))
                .unwrap_or(0)
        },
        || {
            iso_8583_rs::Message::parse(&spec, black_box(REFERENCE_0200))
                .map(|m| m.mti.len())
                .unwrap_or(0)
        },
    );

    let builder = MessageBuilder::from_message(&ours);
    let mut peer_builder = iso_8583_rs::Builder::new(&spec, b"0200").expect("peer builder");
    for f in ours.fields() {
        peer_builder.set(f.number(), f.data()).expect("peer set");
    }
    let mut buf = BytesMut::with_capacity(512);
    let mut out = Vec::with_capacity(512);
    builder.encode_into(&mut buf).expect("encodes");
    peer_builder.pack_into(&mut out);
    assert_eq!(&buf[..], REFERENCE_0200);
    assert_eq!(out, REFERENCE_0200);
    compare(
        "encode_reference_0200",
        rounds,
        chunk,
        || {
            buf.clear();
            black_box(&builder)
                .encode_into(&mut buf)
                .map(|_| buf.len())
                .unwrap_or(0)
        },
        || {
            out.clear();
            black_box(&peer_builder).pack_into(&mut out);
            out.len()
        },
    );

    // Decode, then read fields 4 and 41 (what a host does first).
    compare(
        "decode_and_read_fields_4_41",
        rounds,
        chunk,
        || {
            Message::decode(&ISO87_ASCII, black_box(REFERENCE_0200))
                .map(|m| {
                    m.field(4).map_or(0, |f| f.data().len())
                        + m.field(41).map_or(0, |f| f.data().len())
                })
                .unwrap_or(0)
        },
        || {
            iso_8583_rs::Message::parse(&spec, black_box(REFERENCE_0200))
                .map(|m| m.get(4).map_or(0, <[u8]>::len) + m.get(41).map_or(0, <[u8]>::len))
                .unwrap_or(0)
        },
    );

    // Building from values, what every terminal and host does per transaction: the
    // 13 fields of the reference 0200 given as their text, then encoded.
    let values: Vec<(usize, Vec<u8>)> = ours
        .fields()
        .map(|f| (f.number(), f.data().to_vec()))
        .collect();
    let mti = ours.mti();
    compare(
        "build_new_set_13_encode",
        rounds,
        chunk,
        || {
            let mut b = MessageBuilder::new(&ISO87_ASCII, mti);
            for (n, v) in &values {
                let _ = b.set(*n, black_box(v.as_slice()));
            }
            buf.clear();
            b.encode_into(&mut buf).unwrap_or(0)
        },
        || peer_build(&spec, &values, &mut out),
    );
    let mut reused = MessageBuilder::new(&ISO87_ASCII, mti);
    compare(
        "build_reused_set_13_encode",
        rounds,
        chunk,
        || {
            reused.clear();
            for (n, v) in &values {
                let _ = reused.set(*n, black_box(v.as_slice()));
            }
            buf.clear();
            reused.encode_into(&mut buf).unwrap_or(0)
        },
        || peer_build(&spec, &values, &mut out),
    );
    let mut slice = [0u8; 512];
    compare(
        "encode_to_slice_reference_0200",
        rounds,
        chunk,
        || black_box(&builder).encode_to_slice(&mut slice).unwrap_or(0),
        || {
            out.clear();
            black_box(&peer_builder).pack_into(&mut out);
            out.len()
        },
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
