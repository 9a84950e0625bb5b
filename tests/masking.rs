//! Masking is closed: thousands of mutated messages carrying a known PAN, track 2 and
//! PIN block (fields 2, 35, 52, and 55 with tags 5A, 57, 99), in every built-in
//! layout, go through every output a caller or log can see, and none shows the card
//! data. Unmasked output of the same messages still shows it.

#[path = "support/mutants.rs"]
mod mutants;

use std::fmt::Write as _;

use iso8583_wire::mti::MtiEncoding;
use iso8583_wire::spec::{
    BitmapEncoding, BitmapSpec, Composite, Content, ContentMode, Encoding, FieldSpec, MessageSpec,
    Prefix, TlvForm, TlvPart,
};
use iso8583_wire::subfield::{Element, SubfieldError};
use iso8583_wire::validate::Validator;
use iso8583_wire::{Message, json, layouts, tlv};

use mutants::{Rng, base, field_55_range, layouts as all_layouts, leak, mutate, secrets};

/// Every masked view of one element and its parts, appended to `out`.
fn element_views(out: &mut String, part: Result<Element<'_>, SubfieldError>, depth: usize) {
    match part {
        Ok(p) => {
            let _ = write!(out, "{p}|{p:?}|{}|{:?}|", p.masked(), p.masked());
            if depth < 6 {
                for sub in p.parts() {
                    element_views(out, sub, depth + 1);
                }
            }
        }
        Err(e) => {
            let _ = write!(out, "{e}|{e:?}|");
        }
    }
}

/// Everything masked output shows of `input` decoded with `spec`: decode errors
/// (lenient and strict), Display and Debug of the message, its fields and their
/// parts (and paths into field 55), the dump, both JSON forms, TLV items' Debug, and
/// validation reports.
fn masked_views(spec: &'static MessageSpec<'static>, input: &[u8]) -> (String, bool) {
    let mut out = String::new();
    if let Err(e) = Message::decode_with(spec, input, ContentMode::Strict) {
        let _ = write!(out, "{e}|{e:?}|");
    }
    let msg = match spec.decode(input) {
        Ok(m) => m,
        Err(e) => {
            let _ = write!(out, "{e}|{e:?}|");
            return (out, false);
        }
    };
    let _ = write!(out, "{msg:?}|{}|", msg.dump());
    for f in msg.fields() {
        let _ = write!(out, "{f}|{f:?}|{}|{:?}|", f.masked(), f.masked());
        for p in f.parts() {
            element_views(&mut out, p, 0);
        }
        if f.number() == 55 {
            for t in tlv::Tlvs::new(f.data()) {
                let _ = write!(out, "{t:?}|");
            }
        }
    }
    for path in [
        "55.5A", "55.57", "55.99", "55.9F10", "55.9F26", "2", "35", "52",
    ] {
        match msg.get(path) {
            Ok(Some(e)) => {
                let _ = write!(out, "{e}|{e:?}|");
            }
            Ok(None) => {}
            Err(e) => {
                let _ = write!(out, "{e}|{e:?}|");
            }
        }
    }
    let _ = write!(
        out,
        "{}|{}|",
        json::to_json(&msg, false),
        json::to_json_string(&msg, false)
    );
    let v = Validator::new();
    let report = v.check(&msg);
    let pair = v.check_pair(&msg, &msg);
    let _ = write!(out, "{report}|{report:?}|{pair}|{pair:?}|");
    (out, true)
}

#[test]
fn unmasked_output_shows_the_card_data_masked_output_does_not() {
    let secrets = secrets();
    for spec in all_layouts() {
        let wire = base(spec);
        let msg = spec.decode(&wire).unwrap();
        let full = msg.dump().unmasked().to_string();
        for s in &secrets {
            assert!(
                full.contains(s.as_str()),
                "{}: {s} missing in\n{full}",
                spec.name
            );
        }
        let value = json::to_json_string(&msg, true);
        assert!(value.contains(mutants::PAN), "{value}");
        let (masked, _) = masked_views(spec, &wire);
        assert_eq!(leak(&masked, &secrets), None, "{}: {masked}", spec.name);
    }
}

/// The iso87ascii message of the issue: field 55 as hex text holding 5A.
#[test]
fn text_field_55_is_masked_like_binary_tlv() {
    let wire = iso8583_wire::wire::hex::decode(
        "30323030303030303030303030303030303230303032303541303834313131313131313131313131313131",
    )
    .unwrap();
    let msg = layouts::ISO87_ASCII.decode(&wire).unwrap();
    let dump = msg.dump().to_string();
    assert!(!dump.contains("41111111"), "{dump}");
    let masked = json::to_json_string(&msg, false);
    assert!(!masked.contains("41111111"), "{masked}");
    assert!(
        msg.dump()
            .unmasked()
            .to_string()
            .contains("5A084111111111111111")
    );
    assert_eq!(
        json::to_json(&msg, true)["fields"]["55"],
        "5A084111111111111111"
    );
    // Clean public EMV data stays readable in masked output.
    let mut b = iso8583_wire::MessageBuilder::new(
        &layouts::ISO87_ASCII,
        iso8583_wire::Mti::new(200).unwrap(),
    );
    b.set(55, "9F2701809505008004800082023C00").unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = layouts::ISO87_ASCII.decode(&wire).unwrap();
    assert_eq!(
        msg.field(55).unwrap().to_string(),
        "9F2701809505008004800082023C00"
    );
}

/// A damaged tag or length byte: the card data would land under a harmless tag.
#[test]
fn damaged_field_55_is_hidden_whole() {
    let secrets = secrets();
    for spec in [&layouts::ISO87_BINARY, &layouts::CUP] {
        let icc = mutants::icc_hex();
        let pan_at = icc.find(&format!("5A08{}", mutants::PAN)).unwrap();
        for damaged in [
            // 5A -> DA: an unknown tag.
            format!("{}DA{}", &icc[..pan_at], &icc[pan_at + 2..]),
            // 9F10's length swallowing 5A and the PAN.
            icc.replacen("9F1007", "9F1011", 1),
            // 5A -> 4F (an AID), 99 -> 91.
            format!("{}4F{}", &icc[..pan_at], &icc[pan_at + 2..]),
            icc.replacen("9908", "9108", 1),
            // A length one short: the rest no longer parses.
            icc.replacen("5A08", "5A07", 1),
        ] {
            let mut b =
                iso8583_wire::MessageBuilder::new(spec, iso8583_wire::Mti::new(200).unwrap());
            if spec.name == "cup" {
                b.set_header(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 1, 0])
                    .unwrap();
            }
            b.set(55, damaged.as_str()).unwrap();
            let wire = b.to_bytes().unwrap();
            let (views, decoded) = masked_views(spec, &wire);
            assert!(decoded);
            assert_eq!(leak(&views, &secrets), None, "{damaged}: {views}");
            // Unmasked output is unchanged by masking.
            let msg = spec.decode(&wire).unwrap();
            assert_eq!(msg.field(55).unwrap().value().to_string(), damaged);
        }
    }
}

/// The seeded mutation run, in each built-in layout: every byte of field 55 (prefix
/// included) set to 32 other values (every hex character in the text layout), then
/// 3000 random mutations of whole messages, two thirds of them inside field 55.
#[test]
fn thousands_of_mutated_messages_leak_nothing() {
    let secrets = secrets();
    let mut fed = 0usize;
    let mut decoded = 0usize;
    let mut check = |spec: &'static MessageSpec<'static>, input: &[u8]| {
        let (views, ok) = masked_views(spec, input);
        fed += 1;
        decoded += usize::from(ok);
        if let Some(s) = leak(&views, &secrets) {
            panic!(
                "{}: {s} shown for input {}:\n{views}",
                spec.name,
                iso8583_wire::wire::hex::encode(input)
            );
        }
    };
    for (k, spec) in all_layouts().into_iter().enumerate() {
        let wire = base(spec);
        let hot = field_55_range(spec, &wire);
        let text = spec.field(55).is_some_and(|f| f.content.is_text());
        for at in hot.clone() {
            // Hex characters in the text layout; in binary ones each bit flipped, the
            // byte moved by up to 4 either way (a length a little off), and 16 others.
            let c = wire[at];
            let values: Vec<u8> = if text {
                b"0123456789ABCDEF".to_vec()
            } else {
                let mut v: Vec<u8> = (0..8).map(|b| c ^ (1 << b)).collect();
                v.extend((1..=4).flat_map(|d| [c.wrapping_add(d), c.wrapping_sub(d)]));
                v.extend((0..16).map(|i| (at as u8).wrapping_mul(31).wrapping_add(i * 16 + 7)));
                v
            };
            for v in values {
                let mut m = wire.clone();
                m[at] = v;
                check(spec, &m);
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1));
        for _ in 0..3000 {
            let m = mutate(&mut rng, &wire, hot.clone());
            check(spec, &m);
        }
    }
    eprintln!("{fed} mutated messages fed, {decoded} decoded, no card data shown");
    assert!(
        fed > 15_000 && decoded > 5_000,
        "{fed} fed, {decoded} decoded"
    );
}

/// moov-style TLV with ASCII tags ("005A" "016" "4761..."): a sensitive tag is masked
/// in its part and hides the field; in field 55 an unknown tag is masked too; content
/// that does not parse hides every part.
static ASCII_TLV: Composite<'static> = Composite::Tlv(TlvForm::Simple {
    tag: TlvPart::Ascii(4),
    length: TlvPart::Ascii(3),
});
static ASCII_FIELDS: [Option<FieldSpec<'static>>; 65] = {
    let mut f = [None; 65];
    f[48] = Some(
        FieldSpec::var(
            "Private",
            Content::Ans,
            Encoding::Ascii,
            Prefix::ascii(3, 999),
        )
        .with_subfields(&ASCII_TLV),
    );
    f[55] = Some(
        FieldSpec::var(
            "ICC data",
            Content::Ans,
            Encoding::Ascii,
            Prefix::ascii(3, 999),
        )
        .with_subfields(&ASCII_TLV),
    );
    f
};
static ASCII_TAGS: MessageSpec<'static> = MessageSpec::new(
    "ascii-tags",
    "simple TLV with ASCII tags in 48 and 55",
    &[],
    MtiEncoding::Ascii,
    BitmapSpec::new(BitmapEncoding::HexAscii, 1),
    &ASCII_FIELDS,
);

#[test]
fn ascii_tag_tlv_is_masked_like_binary_tlv() {
    let secrets = secrets();
    let pan = mutants::PAN;
    let build = |f48: &str, f55: &str| {
        let mut b =
            iso8583_wire::MessageBuilder::new(&ASCII_TAGS, iso8583_wire::Mti::new(200).unwrap());
        b.set(48, f48).unwrap();
        b.set(55, f55).unwrap();
        b.to_bytes().unwrap().to_vec()
    };
    let clean = build(
        &format!("00AB005hello005A016{pan}"),
        &format!("9F26016C2B6A1D0E43F7788005A016{pan}00DA004abcd"),
    );
    let msg = ASCII_TAGS.decode(&clean).unwrap();
    let (views, _) = masked_views(&ASCII_TAGS, &clean);
    assert_eq!(leak(&views, &secrets), None, "{views}");
    assert_eq!(
        msg.get("55.9F26").unwrap().unwrap().to_string(),
        "C2B6A1D0E43F7788"
    );
    assert_eq!(msg.get("55.00DA").unwrap().unwrap().to_string(), "****");
    assert_eq!(msg.get("48.00AB").unwrap().unwrap().to_string(), "hello");
    assert!(msg.field(48).unwrap().to_string().starts_with("****"));
    assert_eq!(
        msg.get("55.005A").unwrap().unwrap().value().to_string(),
        pan
    );
    // A length damaged: the PAN would land in the unknown tag's neighbour.
    let damaged = build(
        "00AB005hello",
        &format!("9F26016C2B6A1D0E43F7788005A0x6{pan}"),
    );
    let (views, decoded) = masked_views(&ASCII_TAGS, &damaged);
    assert!(decoded);
    assert_eq!(leak(&views, &secrets), None, "{views}");
    let msg = ASCII_TAGS.decode(&damaged).unwrap();
    let shown: Vec<String> = msg
        .field(55)
        .unwrap()
        .parts()
        .flatten()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(shown, ["****************"]);
}

#[test]
fn debug_of_byte_holding_types_shows_no_values() {
    let mut b = tlv::TlvBuilder::new();
    b.put(
        tlv::Tag::new(0x5A),
        &[0x47, 0x61, 0x73, 0x03, 0x58, 0x29, 0x17, 0x47],
    );
    let debug = format!("{b:?}");
    assert!(
        !debug.contains("71") && !debug.contains("47, 97"),
        "{debug}"
    );
    let pan = [0x47u8, 0x61, 0x73, 0x03, 0x58, 0x29, 0x17, 0x47];
    let debug = format!("{:?}", iso8583_wire::wire::hex::Hex(&pan));
    assert_eq!(debug, "Hex(8 bytes)");
    let wire = base(&layouts::ISO87_ASCII);
    let msg = layouts::ISO87_ASCII.decode(&wire).unwrap();
    let symbols = format!("{:?}", msg.field(2).unwrap().symbols());
    assert_eq!(leak(&symbols, &secrets()), None, "{symbols}");
}
