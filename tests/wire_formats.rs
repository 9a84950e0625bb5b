//! Framing, TLV and composite fields: property round trips, chunked streams, custom
//! composite forms, and never-panic checks on random input.

use iso8583_wire::frame::{FrameSplitter, Framing, LengthHeader, Tpdu};
use iso8583_wire::mti::MtiEncoding;
use iso8583_wire::spec::{
    BitmapEncoding, BitmapSpec, Composite, Content, Encoding, FieldSpec, MessageSpec, Prefix,
    SubBitmap, TlvForm, TlvPart,
};
use iso8583_wire::subfield::{CompositeBuilder, SubfieldError};
use iso8583_wire::tlv::{self, Tag, TlvBuilder, Tlvs};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};
use proptest::prelude::*;

fn framings() -> Vec<Framing> {
    let mut v = Vec::new();
    for h in [
        LengthHeader::Binary2,
        LengthHeader::Binary4,
        LengthHeader::Bcd2,
        LengthHeader::Ascii4,
    ] {
        v.push(Framing::new(h));
        v.push(Framing::new(h).counting_itself());
    }
    v
}

/// A BER tag number of 1-3 bytes in a valid form.
fn tag_strategy() -> impl Strategy<Value = Tag> {
    prop_oneof![
        // one byte, low five bits not all set, primitive
        (0u32..=0xFF)
            .prop_filter("single-byte", |b| b & 0x1F != 0x1F && b & 0x20 == 0)
            .prop_map(Tag::new),
        // two bytes: first with low five bits set, second without bit 8
        (0u32..4, 0u32..0x80)
            .prop_map(|(c, b)| Tag::new(((0x1F | (c << 6)) << 8) | b))
            .prop_filter("primitive", |t| !t.is_constructed()),
        // three bytes
        (0x80u32..0x100, 0u32..0x80).prop_map(|(m, b)| Tag::new((0xDF << 16) | (m << 8) | b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn frames_survive_any_chunking(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..6),
        cuts in prop::collection::vec(1usize..64, 1..200),
        which in 0usize..8,
    ) {
        let framing = framings()[which];
        let mut stream = Vec::new();
        for p in &payloads {
            framing.encode(p, &mut stream).unwrap();
        }
        let mut splitter = FrameSplitter::new(framing);
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            splitter.push(&rest[..n]);
            rest = &rest[n..];
            while let Some(frame) = splitter.next_frame().unwrap() {
                got.push(frame.to_vec());
            }
        }
        prop_assert_eq!(got, payloads);
        prop_assert_eq!(splitter.buffered(), 0);
    }

    #[test]
    fn tlv_round_trips(items in prop::collection::vec((tag_strategy(), prop::collection::vec(any::<u8>(), 0..300)), 0..12)) {
        let mut b = TlvBuilder::new();
        for (t, v) in &items {
            b.put(*t, v);
        }
        b.begin(Tag::new(0x71));
        for (t, v) in items.iter().take(3) {
            b.put(*t, v);
        }
        b.end();
        let data = b.finish();
        let top: Vec<_> = Tlvs::new(&data).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(top.len(), items.len() + 1);
        for ((t, v), got) in items.iter().zip(&top) {
            prop_assert_eq!(got.tag, *t);
            prop_assert_eq!(got.value, &v[..]);
        }
        let nested: Vec<_> = top.last().unwrap().children().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(nested.len(), items.len().min(3));
        prop_assert!(tlv::validate(&data).is_ok());
    }

    #[test]
    fn cup_field_60_parts_round_trip(
        parts in (
            "[0-9]{2}", "[0-9]{6}", "[0-9]{3}", "[0-9]{1}", "[0-9]{1}",
        )
    ) {
        let (p1, p2, p3, p4, p5) = parts;
        let mut c = CompositeBuilder::new(layouts::CUP.field(60).unwrap()).unwrap();
        c.set("1", &p1).unwrap().set("2", &p2).unwrap().set("3", &p3).unwrap().set("4", &p4).unwrap().set("5", &p5).unwrap();
        let value = c.finish().unwrap();
        let mut b = MessageBuilder::new(&layouts::CUP, Mti::new(200).unwrap());
        b.set_header(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 1, 0]).unwrap();
        b.set(60, &value[..]).unwrap();
        let wire = b.to_bytes().unwrap();
        let msg = layouts::CUP.decode(&wire).unwrap();
        for (path, want) in [("60.1", &p1), ("60.2", &p2), ("60.3", &p3), ("60.4", &p4), ("60.5", &p5)] {
            prop_assert_eq!(msg.get(path).unwrap().unwrap().value().to_string(), want.clone());
        }
        prop_assert!(msg.get("60.6").unwrap().is_none());
    }

    #[test]
    fn random_bytes_never_panic_parsers(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = tlv::validate(&bytes);
        let _ = tlv::find(&bytes, Tag::new(0x9F26));
        for t in Tlvs::new(&bytes).flatten() {
            let _ = t.children().count();
        }
        for f in framings() {
            let _ = f.parse(&bytes);
            let mut s = FrameSplitter::new(f.with_max_payload(200));
            s.push(&bytes);
            while let Ok(Some(_)) = s.next_frame() {}
        }
        // Random field 55 / 60 / 61 content inside otherwise valid cup messages.
        for n in [55usize, 60, 61] {
            let spec = layouts::CUP.field(n).unwrap();
            let mut b = MessageBuilder::new(&layouts::CUP, Mti::new(200).unwrap());
            b.set_header(&[0; 11]).unwrap();
            let digits: String = bytes.iter().map(|b| char::from(b'0' + b % 10)).take(spec.max_units()).collect();
            let ok = if spec.content.is_text() { b.set(n, digits.as_str()).is_ok() } else { b.set(n, &bytes[..bytes.len().min(255)]).is_ok() };
            if ok {
                let wire = b.to_bytes().unwrap();
                let msg = layouts::CUP.decode(&wire).unwrap();
                let _ = msg.field(n).unwrap().parts().count();
                let _ = msg.get(&format!("{n}.2"));
                let _ = msg.get(&format!("{n}.9F26"));
                let _ = msg.dump().to_string();
            }
        }
    }
}

#[test]
fn one_byte_at_a_time() {
    let framing = Framing::new(LengthHeader::Bcd2);
    let mut stream = Vec::new();
    framing.encode(b"hello", &mut stream).unwrap();
    framing.encode(b"", &mut stream).unwrap();
    framing.encode(&[9u8; 1000], &mut stream).unwrap();
    let mut s = FrameSplitter::new(framing);
    let mut got = Vec::new();
    for b in &stream {
        s.push(&[*b]);
        while let Some(f) = s.next_frame().unwrap() {
            got.push(f.len());
        }
    }
    assert_eq!(got, [5, 0, 1000]);
}

#[test]
fn splitter_enforces_the_maximum_and_reports_bad_headers() {
    let mut s = FrameSplitter::new(Framing::new(LengthHeader::Binary2).with_max_payload(64));
    s.push(&[0x00, 0x41]);
    let err = s.next_frame().unwrap_err();
    assert_eq!(
        err.to_string(),
        "frame of 65 bytes is above the maximum of 64"
    );
    s.push(&[0u8; 100]);
    assert!(s.next_frame().is_err(), "a broken stream stays broken");
    let mut a = FrameSplitter::new(Framing::new(LengthHeader::Ascii4));
    a.push(b"12x4");
    assert!(a.next_frame().unwrap_err().to_string().contains("0x78"));
}

#[test]
fn cup_vectors_expose_tpdu_and_subfields() {
    let wire = hex::decode(include_str!("../examples/data/cup_pay_0200.hex").trim()).unwrap();
    let msg = layouts::CUP.decode(&wire).unwrap();
    let tpdu = msg.tpdu().unwrap();
    assert_eq!(
        tpdu,
        Tpdu {
            id: 0x60,
            destination: 3,
            source: 0
        }
    );
    assert_eq!(tpdu.reply().to_bytes(), [0x60, 0, 0, 0, 3]);
    assert_eq!(
        msg.get("55.9F26").unwrap().unwrap().as_bytes().unwrap(),
        hex::decode("46FD62985CAAE758").unwrap()
    );
    assert_eq!(
        msg.get("55.9F02").unwrap().unwrap().name(),
        "Amount, Authorised (Numeric)"
    );
    assert!(msg.get("55.5A").unwrap().is_none());
    assert_eq!(msg.get("60.4").unwrap().unwrap().to_string(), "6");
    assert_eq!(
        msg.get("2.1").unwrap_err(),
        SubfieldError::NotComposite { field: 2 }
    );
    assert!(matches!(msg.get("x"), Err(SubfieldError::BadPath(_))));
    assert!(msg.get("61.1").unwrap().is_none(), "61 absent");
    let dump = msg.dump().to_string();
    assert!(
        dump.contains("55.9F26") && dump.contains("Application Cryptogram"),
        "{dump}"
    );
    assert!(
        dump.contains("60.2") && dump.contains("Batch number"),
        "{dump}"
    );
}

#[test]
fn original_data_subfields_in_1987_and_1993() {
    let all: serde_json::Value = serde_json::from_str(include_str!("data/vectors.json")).unwrap();
    let hex_of = |name: &str| {
        all["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()["hex"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (spec, name) in [
        (&layouts::ISO87_ASCII, "iso87ascii_0400_reversal"),
        (&layouts::ISO87_BINARY, "iso87binary_0400_reversal"),
    ] {
        let wire = hex::decode(&hex_of(name)).unwrap();
        let msg = spec.decode(&wire).unwrap();
        let parts: Vec<String> = msg
            .field(90)
            .unwrap()
            .parts()
            .map(|p| p.unwrap().to_string())
            .collect();
        assert_eq!(
            parts,
            ["0200", "000123", "0315143015", "00000123456", "00000000000"],
            "{name}"
        );
    }
    let wire = hex::decode(&hex_of("iso93ascii_0400_reversal")).unwrap();
    let msg = layouts::ISO93_ASCII.decode(&wire).unwrap();
    assert_eq!(msg.get("56.2").unwrap().unwrap().as_str(), Some("000123"));
    assert_eq!(msg.get("56.1").unwrap().unwrap().as_str(), Some("0200"));
    assert!(msg.get("56.4").unwrap().is_some());
}

static SUB_127: [Option<FieldSpec<'static>>; 65] = {
    let mut f = [None; 65];
    f[2] = Some(FieldSpec::fixed(
        "Switch key",
        Content::Ans,
        Encoding::Ascii,
        4,
    ));
    f[3] = Some(FieldSpec::var(
        "Routing",
        Content::N,
        Encoding::BCD_LEFT,
        Prefix::bcd(2, 20),
    ));
    f[12] = Some(FieldSpec::fixed("Token", Content::B, Encoding::Binary, 2));
    f
};
static BITMAPPED: Composite<'static> = Composite::Bitmapped {
    bitmap: SubBitmap::new(BitmapEncoding::Binary),
    fields: &SUB_127,
};
static SIMPLE_TLV: Composite<'static> = Composite::Tlv(TlvForm::Simple {
    tag: TlvPart::Ascii(2),
    length: TlvPart::Ascii(3),
});
static BINARY_TLV: Composite<'static> = Composite::Tlv(TlvForm::Simple {
    tag: TlvPart::Binary(1),
    length: TlvPart::Bcd(1),
});

static PRIVATE_FIELDS: [Option<FieldSpec<'static>>; 129] = {
    let mut f = [None; 129];
    f[48] = Some(
        FieldSpec::var(
            "Additional data",
            Content::Ans,
            Encoding::Ascii,
            Prefix::ascii(3, 999),
        )
        .with_subfields(&SIMPLE_TLV),
    );
    f[62] = Some(
        FieldSpec::var(
            "Vendor data",
            Content::B,
            Encoding::Binary,
            Prefix::binary(2, 999),
        )
        .with_subfields(&BINARY_TLV),
    );
    f[127] = Some(
        FieldSpec::var("Private", Content::B, Encoding::Binary, Prefix::bcd(3, 999))
            .with_subfields(&BITMAPPED),
    );
    f
};
static PRIVATE: MessageSpec<'static> = MessageSpec::new(
    "private",
    "bitmapped and TLV subfields",
    &[],
    MtiEncoding::Bcd,
    BitmapSpec::new(BitmapEncoding::Binary, 2),
    &PRIVATE_FIELDS,
);

#[test]
fn bitmapped_and_simple_tlv_subfields() {
    let f127 = PRIVATE.field(127).unwrap();
    let mut c = CompositeBuilder::new(f127).unwrap();
    c.set("2", "AB12")
        .unwrap()
        .set("3", "12345")
        .unwrap()
        .set("12", "BEEF")
        .unwrap();
    let v127 = c.finish().unwrap();
    assert_eq!(&v127[..8], &[0x60, 0x10, 0, 0, 0, 0, 0, 0]);
    let mut t = CompositeBuilder::new(PRIVATE.field(48).unwrap()).unwrap();
    t.set("AB", "hello").unwrap().set("ZZ", "").unwrap();
    let v48 = t.finish().unwrap();
    assert_eq!(v48, b"AB005helloZZ000");
    let mut bt = CompositeBuilder::new(PRIVATE.field(62).unwrap()).unwrap();
    bt.set("01", "CAFE").unwrap();
    let v62 = bt.finish().unwrap();
    assert_eq!(v62, [0x01, 0x02, 0xCA, 0xFE]);

    let mut b = MessageBuilder::new(&PRIVATE, Mti::new(200).unwrap());
    b.set(48, &v48[..])
        .unwrap()
        .set(62, &v62[..])
        .unwrap()
        .set(127, &v127[..])
        .unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = Message::decode(&PRIVATE, &wire).unwrap();
    assert_eq!(msg.get("127.2").unwrap().unwrap().as_str(), Some("AB12"));
    assert_eq!(msg.get("127.3").unwrap().unwrap().to_string(), "12345");
    assert_eq!(
        msg.get("127.12").unwrap().unwrap().value().to_string(),
        "BEEF"
    );
    assert!(msg.get("127.4").unwrap().is_none());
    assert_eq!(msg.get("48.AB").unwrap().unwrap().as_str(), Some("hello"));
    assert_eq!(msg.get("48.ZZ").unwrap().unwrap().len(), 0);
    assert_eq!(
        msg.get("62.01").unwrap().unwrap().as_bytes(),
        Some(&[0xCA, 0xFE][..])
    );

    // Broken bitmapped content is refused by the builder, and is a decode error naming
    // the field (its subfields are checked as the message is decoded).
    let mut bad = v127.clone();
    bad[1] = 0x18; // announce subfield 13, which is not defined
    let mut b = MessageBuilder::new(&PRIVATE, Mti::new(200).unwrap());
    let err = b.set(127, &bad[..]).unwrap_err();
    assert_eq!(err.field(), Some(127), "{err}");
    assert!(err.to_string().contains("undefined subfield"), "{err}");
    b.set(127, &v127[..]).unwrap();
    let mut wire = b.to_bytes().unwrap().to_vec();
    let at = wire
        .windows(v127.len())
        .position(|w| w == &v127[..])
        .expect("field 127's value is in the message");
    wire[at + 1] = 0x18;
    let err = Message::decode(&PRIVATE, &wire).unwrap_err();
    assert_eq!(err.field(), Some(127), "{err}");
    assert!(err.to_string().contains("undefined subfield"), "{err}");
    // Simple TLV stays lazy: a broken element is found when the parts are read.
    let mut b = MessageBuilder::new(&PRIVATE, Mti::new(200).unwrap());
    b.set(48, &b"AB009hi"[..]).unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = Message::decode(&PRIVATE, &wire).unwrap();
    let err = msg
        .field(48)
        .unwrap()
        .parts()
        .find_map(Result::err)
        .unwrap();
    assert!(
        matches!(err, SubfieldError::Malformed { field: 48, .. }),
        "{err}"
    );
}

#[cfg(feature = "tokio")]
mod tokio_codec {
    use super::*;
    use iso8583_wire::frame::FrameCodec;
    use std::pin::Pin;
    use tokio::io::AsyncWriteExt;
    use tokio_util::codec::{Decoder, Encoder, FramedRead};

    #[test]
    fn codec_decodes_and_encodes() {
        let mut codec = FrameCodec::new(Framing::new(LengthHeader::Binary2));
        let mut buf = bytes::BytesMut::new();
        codec.encode(&b"abc"[..], &mut buf).unwrap();
        codec.encode(&b"defg"[..], &mut buf).unwrap();
        let mut partial = buf.split_to(4);
        assert_eq!(codec.decode(&mut partial).unwrap(), None);
        partial.unsplit(buf);
        assert_eq!(&codec.decode(&mut partial).unwrap().unwrap()[..], b"abc");
        assert_eq!(&codec.decode(&mut partial).unwrap().unwrap()[..], b"defg");
        assert_eq!(codec.decode(&mut partial).unwrap(), None);
    }

    #[test]
    fn framed_read_over_a_stream() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut tx, rx) = tokio::io::duplex(16);
            let writer = tokio::spawn(async move {
                let mut out = Vec::new();
                let f = Framing::new(LengthHeader::Ascii4);
                for p in [&b"0800"[..], &b"0810"[..]] {
                    f.encode(p, &mut out).unwrap();
                }
                for b in out {
                    tx.write_all(&[b]).await.unwrap();
                }
            });
            let mut framed =
                FramedRead::new(rx, FrameCodec::new(Framing::new(LengthHeader::Ascii4)));
            let mut got = Vec::new();
            while let Some(item) = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(Pin::new(&mut framed), cx)
            })
            .await
            {
                got.push(item.unwrap().to_vec());
            }
            writer.await.unwrap();
            assert_eq!(got, [b"0800".to_vec(), b"0810".to_vec()]);
        });
    }
}
