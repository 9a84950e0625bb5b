//! Side by side with published Rust ISO 8583 crates, in one run on one machine:
//! decode and encode of the reference 0200 purchase (iso87ascii).
//!
//! `cargo bench --bench peers`
//!
//! * this crate: `Message::decode` (full content validation) and
//!   `MessageBuilder::encode_into` into a reused buffer;
//! * `iso_8583_rs` 0.2: `Message::parse` (its validating parse) and `Builder::pack_into`
//!   into a reused buffer;
//! * `i8583` 0.1: `Unpacker::unpack` (no content validation) and `Packer::pack`.

mod common;

use std::borrow::Cow;
use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::{Message, MessageBuilder};

use common::{REFERENCE_0200, peer_spec};

fn bench(c: &mut Criterion) {
    let ours = Message::decode(&ISO87_ASCII, REFERENCE_0200).expect("reference decodes");
    let spec = peer_spec();
    let theirs =
        iso_8583_rs::Message::parse(&spec, REFERENCE_0200).expect("peer parses the reference");
    assert_eq!(theirs.get(41), ours.field(41).map(|f| f.data()));
    let mut i = i8583::Unpacker::new(REFERENCE_0200);
    let unpacked = i
        .unpack(&i8583::v1987::SPEC)
        .expect("i8583 unpacks the reference");
    assert_eq!(unpacked[41], ours.field(41).map(|f| f.data()));

    let mut g = c.benchmark_group("peers/decode_reference_0200");
    g.throughput(Throughput::Bytes(REFERENCE_0200.len() as u64));
    g.bench_function("iso8583-wire", |b| {
        b.iter(|| Message::decode(&ISO87_ASCII, black_box(REFERENCE_0200)).map(|m| m.mti()))
    });
    g.bench_function("iso_8583_rs", |b| {
        b.iter(|| iso_8583_rs::Message::parse(&spec, black_box(REFERENCE_0200)).map(|m| m.mti))
    });
    g.bench_function("i8583", |b| {
        b.iter(|| {
            let mut u = i8583::Unpacker::new(black_box(REFERENCE_0200));
            u.unpack(&i8583::v1987::SPEC).map(|f| f.len())
        })
    });
    g.finish();

    let builder = MessageBuilder::from_message(&ours);
    let mut peer_builder = iso_8583_rs::Builder::new(&spec, b"0200").expect("peer builder");
    let mut packer = i8583::Packer::new(&i8583::v1987::SPEC);
    packer
        .set_field(0, Cow::Borrowed(b"0200"))
        .expect("i8583 MTI");
    for f in ours.fields() {
        peer_builder.set(f.number(), f.data()).expect("peer set");
        packer
            .set_field(f.number(), Cow::Borrowed(f.data()))
            .expect("i8583 set");
    }
    let mut check = Vec::new();
    peer_builder.pack_into(&mut check);
    assert_eq!(check, REFERENCE_0200);
    assert_eq!(
        packer.pack(Vec::new()).expect("i8583 packs"),
        REFERENCE_0200
    );

    let mut g = c.benchmark_group("peers/encode_reference_0200");
    g.throughput(Throughput::Bytes(REFERENCE_0200.len() as u64));
    let mut buf = BytesMut::with_capacity(512);
    g.bench_function("iso8583-wire", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&builder).encode_into(&mut buf).map(|_| buf.len())
        })
    });
    let mut out = Vec::with_capacity(512);
    g.bench_function("iso_8583_rs", |b| {
        b.iter(|| {
            out.clear();
            black_box(&peer_builder).pack_into(&mut out);
            out.len()
        })
    });
    g.bench_function("i8583", |b| {
        b.iter(|| {
            black_box(&packer)
                .pack(Vec::with_capacity(512))
                .map(|v| v.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
