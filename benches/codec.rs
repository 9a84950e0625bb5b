//! The hot paths: decode and encode of (a) the reference 0200 purchase in iso87ascii,
//! (b) the same content in iso87binary, (c) a heavy iso87binary message with fields
//! 2-64 and a secondary bitmap, (d) a UnionPay 0200 with field 55; decode time against
//! message size; building a 0400 from a 0200; validating a request/response pair.
//! Codec groups report bytes per second, exchange groups messages per second.
//!
//! `cargo bench --bench codec`

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::exchange::{self, Approval, ResponseCode, ReversalKind, ReversalReason};
use iso8583_wire::layouts::{CUP, ISO87_ASCII, ISO87_BINARY};
use iso8583_wire::spec::Content;
use iso8583_wire::validate::Validator;
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti};

/// The reference 0200 purchase (iso87ascii).
const REFERENCE_0200: &[u8] = b"02007238048008C080001641111111111111110000000000000100001122102030123456102030112205100123456789012TERM0001MERCHANT0000001840";

fn bench(c: &mut Criterion) {
    let ascii = Message::decode(&ISO87_ASCII, REFERENCE_0200).expect("reference decodes");
    // The same content in iso87binary.
    let mut b = MessageBuilder::new(&ISO87_BINARY, ascii.mti());
    for f in ascii.fields() {
        b.set(f.number(), f).expect("field converts");
    }
    let binary_wire = b.to_bytes().expect("encodes").to_vec();

    for (name, spec, wire) in [
        ("iso87ascii", &ISO87_ASCII, REFERENCE_0200),
        ("iso87binary", &ISO87_BINARY, &binary_wire[..]),
    ] {
        let mut g = c.benchmark_group(format!("reference_0200/{name}"));
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function("decode", |bench| {
            bench.iter(|| Message::decode(spec, black_box(wire)).map(|m| m.mti()))
        });
        g.bench_function("decode_and_read_all_fields", |bench| {
            bench.iter(|| {
                let m = Message::decode(spec, black_box(wire)).expect("decodes");
                m.fields().map(|f| f.data().len()).sum::<usize>()
            })
        });
        let msg = Message::decode(spec, wire).expect("decodes");
        let builder = MessageBuilder::from_message(&msg);
        let mut buf = BytesMut::with_capacity(512);
        g.bench_function("encode_reused_buffer", |bench| {
            bench.iter(|| {
                buf.clear();
                black_box(&builder).encode_into(&mut buf).map(|_| buf.len())
            })
        });
        g.finish();
    }
}

/// A heavy iso87binary message: every defined field 2-64 filled, plus 70 and 128 (so a
/// secondary bitmap), built from the layout's own definitions.
fn heavy_message() -> Vec<u8> {
    let spec = &ISO87_BINARY;
    let mut texts: Vec<(usize, String)> = Vec::new();
    for n in (2..=64).chain([70, 128]) {
        let Some(f) = spec.field(n) else { continue };
        let len = f.max_units().min(30);
        let value = match f.content {
            Content::N => "7".repeat(len),
            Content::Z => "4".repeat(len),
            Content::Xn => format!("D{}", "0".repeat(len - 1)),
            Content::B => "AB".repeat(len),
            Content::Ns => "9".repeat(len),
            _ => "X".repeat(len),
        };
        texts.push((n, value));
    }
    let mut b = MessageBuilder::new(spec, Mti::new(200).expect("MTI"));
    for (n, v) in &texts {
        if let Err(e) = b.set(*n, v.as_str()) {
            panic!("heavy field {n}: {e}");
        }
    }
    b.to_bytes().expect("heavy message encodes").to_vec()
}

fn bench_more(c: &mut Criterion) {
    let heavy = heavy_message();
    let cup =
        hex::decode(include_str!("../examples/data/cup_pay_0200.hex").trim()).expect("cup sample");
    for (name, spec, wire) in [
        ("heavy_iso87binary", &ISO87_BINARY, &heavy[..]),
        ("cup_0200_with_55", &CUP, &cup[..]),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function("decode", |b| {
            b.iter(|| Message::decode(spec, black_box(wire)).map(|m| m.mti()))
        });
        let msg = Message::decode(spec, wire).expect("decodes");
        let builder = MessageBuilder::from_message(&msg);
        let mut buf = BytesMut::with_capacity(2048);
        g.bench_function("encode_reused_buffer", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&builder).encode_into(&mut buf).map(|_| buf.len())
            })
        });
        g.finish();
    }

    // Scaling: decode time grows with the number of fields (throughput in bytes).
    let mut g = c.benchmark_group("decode_scaling_iso87binary");
    let full = Message::decode(&ISO87_BINARY, &heavy).expect("heavy decodes");
    for keep in [8usize, 16, 32, 64] {
        let mut b = MessageBuilder::new(&ISO87_BINARY, full.mti());
        for f in full.fields().take(keep) {
            b.set(f.number(), f).expect("copy");
        }
        let wire = b.to_bytes().expect("encodes").to_vec();
        g.throughput(Throughput::Bytes(wire.len() as u64));
        g.bench_function(format!("{keep}_fields_{}_bytes", wire.len()), |bench| {
            bench.iter(|| Message::decode(&ISO87_BINARY, black_box(&wire)).map(|m| m.mti()))
        });
    }
    g.finish();

    // Whole exchanges, one message each.
    let request = Message::decode(&ISO87_ASCII, REFERENCE_0200).expect("reference decodes");
    let mut g = c.benchmark_group("exchanges");
    g.throughput(Throughput::Elements(1));
    g.bench_function("build_0400_from_0200", |b| {
        b.iter(|| {
            exchange::reversal_for(
                black_box(&request),
                &ReversalReason::NO_RESPONSE,
                ReversalKind::Request,
            )
        })
    });
    let rrn = "507414000123".parse().expect("RRN");
    let response = exchange::response_to(
        &request,
        ResponseCode::APPROVED,
        Some(Approval {
            rrn,
            auth_code: "A1B2C3",
        }),
    )
    .expect("response builds");
    let response = Message::decode(&ISO87_ASCII, &response).expect("response decodes");
    let validator = Validator::new();
    g.bench_function("validate_request_response_pair", |b| {
        b.iter(|| {
            validator
                .check_pair(black_box(&request), black_box(&response))
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_more);
criterion_main!(benches);
