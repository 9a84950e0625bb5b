//! Decode and encode of the reference 0200 purchase in iso87ascii and iso87binary.
//!
//! `cargo bench --bench codec`

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::layouts::{ISO87_ASCII, ISO87_BINARY};
use iso8583_wire::{Message, MessageBuilder};

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

criterion_group!(benches, bench);
criterion_main!(benches);
