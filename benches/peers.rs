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

use std::borrow::Cow;
use std::collections::HashMap;
use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iso8583_wire::layouts::ISO87_ASCII;
use iso8583_wire::{Message, MessageBuilder};

/// The reference 0200 purchase (iso87ascii).
const REFERENCE_0200: &[u8] = b"02007238048008C080001641111111111111110000000000000100001122102030123456102030112205100123456789012TERM0001MERCHANT0000001840";

/// (field, content, length type, max length) for the fields of the reference message,
/// as the 1987 ASCII layout defines them.
const FIELDS: [(i64, &str, &str, usize); 13] = [
    (2, "n", "llvar", 19),
    (3, "n", "fixed", 6),
    (4, "n", "fixed", 12),
    (7, "n", "fixed", 10),
    (11, "n", "fixed", 6),
    (12, "n", "fixed", 6),
    (13, "n", "fixed", 4),
    (22, "n", "fixed", 3),
    (25, "n", "fixed", 2),
    (37, "an", "fixed", 12),
    (41, "ans", "fixed", 8),
    (42, "ans", "fixed", 15),
    (49, "an", "fixed", 3),
];

fn peer_spec() -> iso_8583_rs::CompiledSpec {
    let fields: HashMap<i64, iso_8583_rs::specfile::FieldDescription> = FIELDS
        .iter()
        .map(|&(n, c, l, m)| {
            (
                n,
                iso_8583_rs::specfile::FieldDescription {
                    content_type: c.into(),
                    max_len: m,
                    min_len: 0,
                    len_type: l.into(),
                    label: String::new(),
                },
            )
        })
        .collect();
    iso_8583_rs::CompiledSpec::compile(&iso_8583_rs::specfile::Spec { fields })
        .expect("peer spec compiles")
}

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
