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
        "{name}: iso8583-wire {:.1} ns, iso_8583_rs {:.1} ns, ratio {:.3} \
         (median of {rounds} rounds; lowest {lowest:.3}, highest {highest:.3})",
        median(&mut a),
        median(&mut b),
        median(&mut ratios),
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
}
