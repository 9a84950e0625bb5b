//! Codec behaviour beyond the conformance vectors: user-defined layouts (EBCDIC,
//! tertiary bitmaps, binary and LLLL prefixes, F-filled BCD), padding, builder
//! refusals, masking and error positions.

use iso8583_wire::spec::{
    Align, BitmapEncoding, BitmapSpec, CodePage, Content, Encoding, FieldSpec, HeaderPart,
    MessageSpec, Prefix, PrefixEncoding,
};
use iso8583_wire::wire::hex;
use iso8583_wire::{
    DecodeErrorKind, EncodeErrorKind, Message, MessageBuilder, Mti, Part, layouts, mti::MtiEncoding,
};

static CUSTOM_FIELDS: [Option<FieldSpec<'static>>; 194] = {
    let mut f = [None; 194];
    f[2] = Some(
        FieldSpec::var(
            "PAN",
            Content::N,
            Encoding::BCD_LEFT_F,
            Prefix::binary(1, 19),
        )
        .pan(),
    );
    f[3] = Some(FieldSpec::fixed(
        "Processing code",
        Content::N,
        Encoding::Ebcdic(CodePage::Cp037),
        6,
    ));
    f[4] = Some(FieldSpec::fixed("Amount", Content::N, Encoding::BCD, 12));
    f[11] = Some(FieldSpec::fixed("STAN", Content::N, Encoding::Ascii, 6));
    f[43] = Some(FieldSpec::var(
        "Name/location",
        Content::Ans,
        Encoding::Ebcdic(CodePage::Cp1047),
        Prefix::ebcdic(2, CodePage::Cp1047, 99),
    ));
    f[48] = Some(FieldSpec::var(
        "Private",
        Content::Ans,
        Encoding::Ascii,
        Prefix::ascii(4, 9999),
    ));
    f[52] = Some(FieldSpec::fixed("PIN block", Content::B, Encoding::HexAscii, 8).secret());
    f[55] = Some(FieldSpec::var(
        "ICC",
        Content::B,
        Encoding::HexAscii,
        Prefix::binary(2, 510).counting_bytes(),
    ));
    f[65] = Some(FieldSpec::fixed(
        "never a data field here",
        Content::B,
        Encoding::Binary,
        1,
    ));
    f[70] = Some(FieldSpec::fixed(
        "Network code",
        Content::N,
        Encoding::Bcd {
            align: Align::Right,
            filler: 0xF,
        },
        3,
    ));
    f[130] = Some(FieldSpec::var(
        "Tertiary text",
        Content::Ans,
        Encoding::Ascii,
        Prefix::bcd(3, 999),
    ));
    f[192] = Some(FieldSpec::fixed("Last MAC", Content::B, Encoding::Binary, 8).secret());
    f
};

static HEADER: [HeaderPart<'static>; 1] = [HeaderPart { name: "h", len: 2 }];

static CUSTOM: MessageSpec<'static> = MessageSpec::new(
    "custom",
    "EBCDIC MTI, binary bitmaps with a tertiary bitmap",
    &HEADER,
    MtiEncoding::Ebcdic(CodePage::Cp037),
    BitmapSpec::new(BitmapEncoding::Binary, 3),
    &CUSTOM_FIELDS,
);

#[test]
fn custom_layout_round_trips_every_form() {
    let long = "x".repeat(1200);
    let mut b = MessageBuilder::new(&CUSTOM, Mti::new(1200).unwrap());
    b.set_header(&[0xAB, 0xCD]).unwrap();
    b.set(2, "6212345678901234567").unwrap(); // odd: F filler on the right
    b.set(3, "003000").unwrap();
    b.set(4, 250u32).unwrap();
    b.set(43, "CAFE [1] ^").unwrap();
    b.set(48, long.as_str()).unwrap();
    b.set(52, &[0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0])
        .unwrap();
    b.set(55, "9F2701809F3602000A").unwrap();
    b.set(70, 301u32).unwrap();
    b.set(130, "third").unwrap();
    b.set(192, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    let wire = b.to_bytes().unwrap();

    // Header, EBCDIC MTI ('1' = 0xF1), three binary bitmaps.
    assert_eq!(&wire[..6], &[0xAB, 0xCD, 0xF1, 0xF2, 0xF0, 0xF0]);
    let primary = u64::from_be_bytes(wire[6..14].try_into().unwrap());
    let secondary = u64::from_be_bytes(wire[14..22].try_into().unwrap());
    assert_eq!(primary >> 63, 1, "bit 1 announces the secondary bitmap");
    assert_eq!(secondary >> 63, 1, "bit 65 announces the tertiary bitmap");
    // Field 2: binary length 19, then 10 bytes, F filler last.
    assert_eq!(wire[30], 19);
    assert_eq!(
        &wire[31..41],
        &hex::decode("6212345678901234567F").unwrap()[..]
    );
    // Field 3 in EBCDIC digits.
    assert_eq!(&wire[41..47], &[0xF0, 0xF0, 0xF3, 0xF0, 0xF0, 0xF0]);

    let msg = Message::decode(&CUSTOM, &wire).unwrap();
    assert_eq!(msg.bitmap_count(), 3);
    assert_eq!(
        msg.field_numbers().collect::<Vec<_>>(),
        [2, 3, 4, 43, 48, 52, 55, 70, 130, 192]
    );
    assert_eq!(
        msg.field(2).unwrap().value().to_string(),
        "6212345678901234567"
    );
    assert_eq!(msg.field(3).unwrap().value().to_string(), "003000");
    assert_eq!(msg.field(4).unwrap().to_u64(), Ok(250));
    assert_eq!(msg.field(43).unwrap().value().to_string(), "CAFE [1] ^");
    assert_eq!(msg.field(48).unwrap().len(), 1200);
    assert_eq!(
        msg.field(52).unwrap().value().to_string(),
        "123456789ABCDEF0"
    );
    assert_eq!(msg.field(52).unwrap().to_string(), "****************");
    assert_eq!(msg.field(55).unwrap().len(), 9);
    assert_eq!(msg.field(55).unwrap().data(), b"9F2701809F3602000A");
    assert_eq!(msg.field(70).unwrap().data(), &[0xF3, 0x01]);
    assert_eq!(msg.field(130).unwrap().as_str(), Some("third"));
    assert!(
        msg.field(65).is_none(),
        "bit 65 is the tertiary bitmap here"
    );
    assert_eq!(
        &MessageBuilder::from_message(&msg).to_bytes().unwrap()[..],
        &wire[..]
    );
}

#[test]
fn filler_nibble_is_checked() {
    let mut b = MessageBuilder::new(&CUSTOM, Mti::new(1200).unwrap());
    b.set_header(&[0, 0]).unwrap();
    b.set(70, 301u32).unwrap();
    let mut wire = b.to_bytes().unwrap().to_vec();
    let last = wire.len() - 2;
    assert_eq!(wire[last], 0xF3);
    wire[last] = 0x03; // pad nibble 0 where the layout says F
    let err = Message::decode(&CUSTOM, &wire).unwrap_err();
    assert_eq!(err.part(), Part::Field(70));
    assert_eq!(err.offset(), last);
    assert!(err.to_string().contains("pad nibble F"), "{err}");
}

#[test]
fn empty_secondary_bitmap_is_kept_on_round_trip() {
    // Bit 1 set, secondary bitmap all zero: some hosts always send it.
    let wire: &[u8] = b"080080200000000000000000000000000000000001";
    let msg = layouts::ISO87_ASCII.decode(wire).unwrap();
    assert_eq!(msg.bitmap_count(), 2);
    assert_eq!(
        &MessageBuilder::from_message(&msg).to_bytes().unwrap()[..],
        wire
    );
    let mut b = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(800).unwrap());
    b.set(11, 1u32).unwrap();
    assert_eq!(b.encoded_len().unwrap(), 4 + 16 + 6);
    b.set_min_bitmaps(2);
    assert_eq!(b.encoded_len().unwrap(), 4 + 32 + 6);
}

#[test]
fn padding_follows_the_field_definition() {
    let mut b = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(210).unwrap());
    b.set(38, "AB12").unwrap(); // an6, right-padded with spaces
    b.set(4, "123").unwrap(); // n12, left-padded with zeros
    let wire = b.to_bytes().unwrap();
    let msg = layouts::ISO87_ASCII.decode(&wire).unwrap();
    assert_eq!(msg.field(38).unwrap().as_str(), Some("AB12  "));
    assert_eq!(msg.field(4).unwrap().as_str(), Some("000000000123"));
    // Fixed x+n and binary fields have no padding: a short value is refused.
    let err = b.set(28, "D200").unwrap_err();
    assert_eq!(
        err.kind(),
        EncodeErrorKind::TooShort {
            length: 4,
            expected: 9
        }
    );
    let err = b.set(52, "1234").unwrap_err();
    assert_eq!(
        err.kind(),
        EncodeErrorKind::TooShort {
            length: 2,
            expected: 8
        }
    );
}

#[test]
fn builder_refuses_what_does_not_fit() {
    let mut b = MessageBuilder::new(&layouts::ISO87_BINARY, Mti::new(200).unwrap());
    let kind =
        |r: Result<&mut MessageBuilder<'_>, iso8583_wire::EncodeError>| r.unwrap_err().kind();
    assert_eq!(kind(b.set(1, "x")), EncodeErrorKind::UndefinedField);
    assert_eq!(kind(b.set(193, "x")), EncodeErrorKind::UndefinedField);
    assert_eq!(
        kind(b.set(2, "41111111111111111111")),
        EncodeErrorKind::TooLong {
            length: 20,
            max: 19
        }
    );
    assert_eq!(
        kind(b.set(2, "4111x")),
        EncodeErrorKind::InvalidCharacter {
            expected: "a digit",
            position: 4
        }
    );
    assert_eq!(
        kind(b.set(11, 1_000_000u32)),
        EncodeErrorKind::TooLong { length: 7, max: 6 }
    );
    assert!(matches!(
        kind(b.set(41, 5u32)),
        EncodeErrorKind::WrongValueKind { .. }
    ));
    assert!(matches!(
        kind(b.set(55, "ABC")),
        EncodeErrorKind::WrongValueKind { .. }
    ));
    assert!(matches!(
        kind(b.set(55, "ZZ")),
        EncodeErrorKind::InvalidCharacter { .. }
    ));
    assert!(matches!(
        kind(b.set(41, "TÉRM0001")),
        EncodeErrorKind::InvalidCharacter { .. }
    ));
    assert_eq!(
        kind(b.set(28, "X00000200")),
        EncodeErrorKind::InvalidCharacter {
            expected: "'C' or 'D'",
            position: 0
        }
    );
    // Nothing refused was stored.
    assert_eq!(b.field_numbers().count(), 0);
    // A slice too small is refused without writing.
    b.set(11, 7u32).unwrap();
    let mut small = [0u8; 4];
    assert!(matches!(
        b.encode_to_slice(&mut small).unwrap_err().kind(),
        EncodeErrorKind::BufferTooSmall { needed: 13 }
    ));
    assert_eq!(small, [0; 4]);
    // A header of the wrong size is refused.
    let mut c = MessageBuilder::new(&layouts::CUP, Mti::new(800).unwrap());
    assert!(c.set_header(&[0; 5]).is_err());
    assert!(c.to_bytes().is_err(), "a cup message needs its header");
}

#[test]
fn copying_fields_between_layouts_converts_or_refuses() {
    let wire = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/purchase_0200.hex"
    ))
    .unwrap();
    let wire = hex::decode(wire.trim()).unwrap();
    let ascii = layouts::ISO87_ASCII.decode(&wire).unwrap();
    let mut b = MessageBuilder::new(&layouts::ISO93_ASCII, Mti::new(1200).unwrap());
    for n in [2, 3, 4, 11, 41, 42, 49] {
        b.set(n, ascii.field(n).unwrap()).unwrap();
    }
    let out = b.to_bytes().unwrap();
    let m93 = layouts::ISO93_ASCII.decode(&out).unwrap();
    assert_eq!(m93.field(41).unwrap().as_str(), Some("TERM0001"));
    // ASCII text into a BCD layout converts through the text.
    let mut bin = MessageBuilder::new(&layouts::ISO87_BINARY, Mti::new(200).unwrap());
    bin.set(11, ascii.field(11).unwrap()).unwrap();
    let out = bin.to_bytes().unwrap();
    assert_eq!(&out[out.len() - 3..], &[0x00, 0x01, 0x23]);
    // BCD into ASCII cannot borrow a text form: refused, not garbled.
    let m = layouts::ISO87_BINARY.decode(&out).unwrap();
    let mut back = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    assert!(back.set(11, m.field(11).unwrap()).is_err());
}

#[test]
fn debug_and_dump_mask_sensitive_fields() {
    let all: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/vectors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "iso87binary_0200_transfer_pin")
        .unwrap();
    let wire = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let msg = layouts::ISO87_BINARY.decode(&wire).unwrap();
    for text in [
        format!("{msg:?}"),
        msg.dump().to_string(),
        format!("{:?}", msg.field(35).unwrap()),
    ] {
        assert!(!text.contains("4111111111111111"), "{text}");
        assert!(!text.contains("2512101123456789"), "{text}");
        assert!(!text.contains("7A3C9E21B4D5F608"), "{text}");
    }
    assert!(format!("{msg:?}").contains("411111******1111=****************"));
    assert!(
        msg.dump()
            .unmasked()
            .to_string()
            .contains("7A3C9E21B4D5F608")
    );
}

#[test]
fn decode_errors_name_part_and_offset() {
    let l = &layouts::ISO87_ASCII;
    let err = l.decode(b"").unwrap_err();
    assert_eq!(
        (err.part(), err.kind()),
        (Part::Mti, DecodeErrorKind::Empty)
    );
    // LL prefix above the maximum.
    let err = l.decode(b"0200400000000000000020").unwrap_err();
    assert_eq!(err.part(), Part::LengthPrefix(2));
    assert_eq!(err.offset(), 20);
    assert_eq!(
        err.kind(),
        DecodeErrorKind::LengthAboveMax {
            length: 20,
            max: 19
        }
    );
    // Undefined field in cup (field 5).
    let mut wire = hex::decode("600003000060310031010008000800000000000000").unwrap();
    wire.extend([0u8; 6]);
    let err = layouts::CUP.decode(&wire).unwrap_err();
    assert_eq!(
        (err.part(), err.kind(), err.offset()),
        (Part::Field(5), DecodeErrorKind::UndefinedField, 21)
    );
    // Secondary bitmap announced in a primary-only layout.
    let wire = hex::decode("6000030000603100310100080080000000000000000000000000000000").unwrap();
    let err = layouts::CUP.decode(&wire).unwrap_err();
    assert_eq!(err.part(), Part::Bitmap(1));
    // Trailing bytes.
    let err = l.decode(b"08000020000000000000000001XYZ").unwrap_err();
    assert_eq!((err.part(), err.offset()), (Part::Trailing, 26));
    assert_eq!(err.kind(), DecodeErrorKind::TrailingBytes { count: 3 });
}

#[test]
fn prefix_encodings() {
    for (enc, digits) in [
        (PrefixEncoding::Ascii, 3),
        (PrefixEncoding::Bcd, 4),
        (PrefixEncoding::Binary, 2),
    ] {
        let p = Prefix {
            digits,
            encoding: enc,
            counts: iso8583_wire::spec::Counts::Units,
            max: 999,
        };
        assert!(p.capacity() >= 999);
    }
    assert_eq!(Prefix::bcd(3, 999).wire_len(), 2);
    assert_eq!(Prefix::bcd(4, 9999).wire_len(), 2);
    assert_eq!(Prefix::binary(2, 9999).wire_len(), 2);
    assert_eq!(Prefix::ascii(4, 9999).wire_len(), 4);
}

/// Every way of encoding gives the same bytes: into a `BytesMut` with and without spare
/// room, into a slice of exactly the right size or a larger one (whose tail stays as
/// it was), and through the general `BufMut` writer.
fn encodings_agree(b: &MessageBuilder<'_>) -> Vec<u8> {
    let expected = b.to_bytes().unwrap().to_vec();
    assert_eq!(expected.len(), b.encoded_len().unwrap());

    let mut roomy = bytes::BytesMut::with_capacity(4096);
    roomy.extend_from_slice(b"prefix");
    b.encode_into(&mut roomy).unwrap();
    assert_eq!(&roomy[..6], b"prefix");
    assert_eq!(&roomy[6..], &expected[..]);

    let mut exact = bytes::BytesMut::with_capacity(expected.len());
    b.encode_into(&mut exact).unwrap();
    assert_eq!(&exact[..], &expected[..]);

    let mut slice = vec![0xEE; expected.len() + 40];
    assert_eq!(b.encode_to_slice(&mut slice).unwrap(), expected.len());
    assert_eq!(&slice[..expected.len()], &expected[..]);
    assert!(
        slice[expected.len()..].iter().all(|&c| c == 0xEE),
        "wrote past the message"
    );

    let mut tight = vec![0u8; expected.len()];
    b.encode_to_slice(&mut tight).unwrap();
    assert_eq!(tight, expected);

    let mut general: Vec<u8> = Vec::new();
    b.encode(&mut general).unwrap();
    assert_eq!(general, expected);
    expected
}

#[test]
fn every_encoder_entry_point_writes_the_same_bytes() {
    // Short and long values, padded ones, numbers, copied ones, wire copies of a
    // decoded message: every kind of stored value.
    let long = "L".repeat(200);
    let mut b = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    b.set(2, "4111111111111111111")
        .unwrap()
        .set(3, 0u32)
        .unwrap()
        .set(4, "000000001000")
        .unwrap()
        .set(11, 42u32)
        .unwrap()
        .set(41, "T1")
        .unwrap()
        .set(48, long.as_str())
        .unwrap()
        .set_copied(49, b"840")
        .unwrap()
        .set(102, "12345678901234567890123456")
        .unwrap();
    let wire = encodings_agree(&b);
    let msg = Message::decode(&layouts::ISO87_ASCII, &wire).unwrap();
    assert_eq!(msg.field(41).unwrap().data(), b"T1      ");
    assert_eq!(msg.field(48).unwrap().data(), long.as_bytes());
    assert_eq!(encodings_agree(&MessageBuilder::from_message(&msg)), wire);

    for spec in layouts::ALL {
        let header = vec![0x60; spec.header_len()];
        let mut b = MessageBuilder::new(spec, Mti::new(800).unwrap());
        b.set_header(&header).unwrap();
        b.set(11, 7u32).unwrap();
        if spec.field(70).is_some() {
            b.set(70, 301u32).unwrap();
        }
        let wire = encodings_agree(&b);
        let msg = Message::decode(spec, &wire).unwrap();
        assert_eq!(encodings_agree(&MessageBuilder::from_message(&msg)), wire);
    }
}

#[test]
fn removing_and_resetting_fields_encodes_like_a_fresh_builder() {
    // The builder keeps the walk order, the wire bitmaps and the sizes up to date on
    // every change: after removals, replacements and a minimum bitmap count, it must
    // write what a builder given only the final values writes.
    let mut edited = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    for (n, v) in [
        (2, "4111111111111111"),
        (3, "000000"),
        (11, "000001"),
        (41, "TERM0001"),
        (70, "301"),
        (102, "12345678"),
    ] {
        edited.set(n, v).unwrap();
    }
    edited.remove(70).remove(102).remove(2);
    edited.set(11, "000002").unwrap().set(4, 1000u32).unwrap();

    let mut fresh = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    fresh
        .set(3, "000000")
        .unwrap()
        .set(4, 1000u32)
        .unwrap()
        .set(11, "000002")
        .unwrap()
        .set(41, "TERM0001")
        .unwrap();
    let wire = encodings_agree(&edited);
    assert_eq!(wire, encodings_agree(&fresh));
    // No secondary bitmap is left once the fields that needed it are gone.
    assert_eq!(&wire[..20], b"02003020000000800000");
    assert_eq!(edited.field_numbers().collect::<Vec<_>>(), [3, 4, 11, 41]);

    edited.set_min_bitmaps(2);
    fresh.set_min_bitmaps(2);
    let wire = encodings_agree(&edited);
    assert_eq!(wire, encodings_agree(&fresh));
    assert_eq!(&wire[..36], b"0200B0200000008000000000000000000000");
    edited.set_min_bitmaps(1);
    assert_eq!(encodings_agree(&edited).len(), wire.len() - 16);
}

/// The longest head a builder writes: a 64-byte header, a hex-ASCII MTI and two
/// 128-bit bitmap units in hex-ASCII (136 bytes). `encode` into a `BufMut` must
/// write it whole, exactly as `to_bytes` does.
#[test]
fn longest_head_is_written_whole_by_every_encoder() {
    static HEADER: [HeaderPart<'static>; 1] = [HeaderPart {
        name: "network header",
        len: 64,
    }];
    static FIELDS: [Option<FieldSpec<'static>>; 131] = {
        let mut f = [None; 131];
        f[2] = Some(FieldSpec::var(
            "PAN",
            Content::N,
            Encoding::Ascii,
            Prefix::ascii(2, 19),
        ));
        f[130] = Some(FieldSpec::fixed("Last", Content::An, Encoding::Ascii, 4));
        f
    };
    static WIDE: MessageSpec<'static> = MessageSpec::new(
        "wide",
        "64-byte header, hex-ASCII MTI, two 128-bit hex units",
        &HEADER,
        MtiEncoding::HexAscii,
        BitmapSpec::new(BitmapEncoding::HexAscii, 2)
            .with_unit(iso8583_wire::spec::BitmapUnit::Bits128),
        &FIELDS,
    );
    let mut b = MessageBuilder::new(&WIDE, Mti::new(200).unwrap());
    b.set_header(&[b'H'; 64]).unwrap();
    b.set(2, "4111111111111111")
        .unwrap()
        .set(130, "LAST")
        .unwrap();
    let whole = b.to_bytes().unwrap();
    let mut buf = bytes::BytesMut::new();
    let mut out = Vec::with_capacity(whole.len());
    let written = b.encode(&mut out).unwrap();
    assert_eq!(written, whole.len());
    assert_eq!(hex::encode(&out), hex::encode(&whole));
    b.encode_into(&mut buf).unwrap();
    assert_eq!(hex::encode(&buf), hex::encode(&whole));
    let msg = WIDE.decode(&whole).unwrap();
    assert_eq!(msg.field(130).and_then(|f| f.as_str()), Some("LAST"));
    assert_eq!(msg.header().len(), 64);
}

/// Fixed binary fields in hex-ASCII (iso87ascii field 52) are checked on the decoder's
/// fast path: hex in either case passes, with the same result as the detailed parsers;
/// anything else is refused naming the field.
#[test]
fn hex_ascii_binary_fields_are_checked_on_the_fast_path() {
    use iso8583_wire::layouts::ISO87_ASCII;
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200).unwrap());
    b.set(3, "000000").unwrap();
    b.set(52, &[0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89])
        .unwrap();
    b.set(53, "0000000000000000").unwrap();
    let wire = b.to_bytes().unwrap().to_vec();
    let at = wire
        .windows(16)
        .position(|w| w == b"ABCDEF0123456789")
        .expect("field 52 in hex");

    let mut lower = wire.clone();
    lower[at..at + 16].copy_from_slice(b"abcdef0123456789");
    let fast = Message::decode(&ISO87_ASCII, &lower).expect("lowercase hex decodes");
    let detailed = Message::decode_without_fast_path(&ISO87_ASCII, &lower).unwrap();
    assert_eq!(fast.field(52).unwrap().data(), b"abcdef0123456789");
    assert_eq!(
        fast.field(53).unwrap().data(),
        detailed.field(53).unwrap().data()
    );

    for bad in [b'G', b' ', b'g', 0xC1] {
        let mut wrong = wire.clone();
        wrong[at + 5] = bad;
        let fast = Message::decode(&ISO87_ASCII, &wrong).unwrap_err();
        let detailed = Message::decode_without_fast_path(&ISO87_ASCII, &wrong).unwrap_err();
        assert_eq!(fast, detailed);
        assert_eq!(fast.field(), Some(52), "{fast}");
    }
}

/// A layout may declare a header longer than the 64 bytes a builder keeps in itself
/// (jPOS and moov files can): it is kept on the heap, and every way of encoding writes
/// it, so a decoded message re-encodes byte for byte.
#[test]
fn headers_longer_than_64_bytes_round_trip() {
    static LONG_HEADER: [HeaderPart<'static>; 2] = [
        HeaderPart {
            name: "routing",
            len: 100,
        },
        HeaderPart {
            name: "trace",
            len: 20,
        },
    ];
    static LONG: MessageSpec<'static> = MessageSpec::new(
        "long-header",
        "iso87ascii fields behind a 120-byte header",
        &LONG_HEADER,
        MtiEncoding::Ascii,
        BitmapSpec::new(BitmapEncoding::HexAscii, 2),
        layouts::ISO87_ASCII.fields,
    );
    let header: Vec<u8> = (0..120u8).map(|i| b'A' + i % 26).collect();
    let mut b = MessageBuilder::new(&LONG, Mti::new(800).unwrap());
    b.set_header(&header).unwrap();
    b.set(11, "000042").unwrap().set(70, "301").unwrap();
    assert_eq!(b.header(), &header[..]);
    let wire = b.to_bytes().unwrap().to_vec();
    assert_eq!(&wire[..120], &header[..]);

    let msg = Message::decode(&LONG, &wire).unwrap();
    assert_eq!(msg.header(), &header[..]);
    assert_eq!(msg.header_part("trace"), Some(&header[100..]));
    let again = MessageBuilder::from_message(&msg);
    let mut slice = vec![0u8; wire.len()];
    assert_eq!(again.encode_to_slice(&mut slice).unwrap(), wire.len());
    assert_eq!(slice, wire);
    let mut buf = Vec::new();
    again.encode(&mut buf).unwrap();
    assert_eq!(buf, wire);
    let mut bytes = bytes::BytesMut::new();
    again.encode_into(&mut bytes).unwrap();
    assert_eq!(&bytes[..], &wire[..]);

    // Cleared and reused with a short header of the wrong length: refused, named.
    let mut b = again.clone();
    b.clear();
    let err = b.set_header(b"short").unwrap_err();
    assert!(matches!(
        err.kind(),
        EncodeErrorKind::HeaderLength {
            expected: 120,
            found: 5
        }
    ));
    b.set_header(&header).unwrap().set(11, "000043").unwrap();
    assert_eq!(
        Message::decode(&LONG, &b.to_bytes().unwrap())
            .unwrap()
            .stan()
            .unwrap()
            .value(),
        43
    );
}

/// Field numbers 0 and 1 are never data fields, even in a layout that defines them.
#[test]
fn fields_zero_and_one_are_refused_by_the_builder() {
    static ODD_FIELDS: [Option<FieldSpec<'static>>; 65] = {
        let mut f = [None; 65];
        f[0] = Some(FieldSpec::fixed("zero", Content::N, Encoding::Ascii, 2));
        f[1] = Some(FieldSpec::fixed("one", Content::N, Encoding::Ascii, 2));
        f[3] = Some(FieldSpec::fixed("three", Content::N, Encoding::Ascii, 2));
        f
    };
    static ODD: MessageSpec<'static> = MessageSpec::new(
        "odd",
        "defines fields 0 and 1",
        &[],
        MtiEncoding::Ascii,
        BitmapSpec::new(BitmapEncoding::HexAscii, 1),
        &ODD_FIELDS,
    );
    let mut b = MessageBuilder::new(&ODD, Mti::new(800).unwrap());
    for n in [0, 1] {
        let err = b.set(n, "12").unwrap_err();
        assert_eq!(err.kind(), EncodeErrorKind::UndefinedField, "field {n}");
        let err = b.set(n, String::from("12")).unwrap_err();
        assert_eq!(err.kind(), EncodeErrorKind::UndefinedField, "field {n}");
    }
    b.set(3, "12").unwrap();
    assert_eq!(&b.to_bytes().unwrap()[..], b"0800200000000000000012");
}

/// Fields of a decoded message set into a builder of the same layout (a request's
/// fields copied into its response) are copied as they stand, with the same result as
/// the general path: bytes, and the strict mode's refusal of a free-text field that
/// breaks its class.
#[test]
fn decoded_fields_copy_into_a_builder_as_they_stand() {
    use iso8583_wire::layouts::ISO87_ASCII;
    use iso8583_wire::spec::ContentMode;
    let wire = b"02007238048008C080001641111111111111110000000000000100001122102030123456102030112205100123456789012TERM-#01MERCHANT 000001840";
    let msg = Message::decode(&ISO87_ASCII, wire).unwrap();
    for mode in [ContentMode::Lenient, ContentMode::Strict] {
        let mut fast = MessageBuilder::new(&ISO87_ASCII, Mti::new(210).unwrap());
        let mut general = fast.clone();
        fast.set_content_mode(mode);
        general.set_content_mode(mode);
        for f in msg.fields() {
            let a = fast.set(f.number(), f).map(|_| ()).map_err(|e| e.kind());
            let b = general
                .set_without_fast_path(f.number(), f)
                .map(|_| ())
                .map_err(|e| e.kind());
            assert_eq!(a, b, "field {} in {mode:?}", f.number());
        }
        assert_eq!(fast.to_bytes().unwrap(), general.to_bytes().unwrap());
    }
    // Lenient: every field copied, the response's bytes after the MTI are the request's.
    let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(210).unwrap());
    for f in msg.fields() {
        b.set(f.number(), f).unwrap();
    }
    assert_eq!(&b.to_bytes().unwrap()[4..], &wire[4..]);
    // Strict: an `an` field holding '-' is refused by both paths.
    let bad = b"02000000000008000000RRN-0001    ";
    let msg = Message::decode(&ISO87_ASCII, bad).unwrap();
    let f = msg.field(37).unwrap();
    let mut strict = MessageBuilder::new(&ISO87_ASCII, Mti::new(210).unwrap());
    strict.set_content_mode(ContentMode::Strict);
    assert!(strict.set(37, f).is_err());
    assert!(strict.set_without_fast_path(37, f).is_err());
}

/// A copied field whose received form the encoder would not write itself (a
/// lowercase hex length prefix, a filled field's fill) is re-encoded, as the general
/// path does: the response carries the encoder's own form.
#[test]
fn copied_fields_with_hex_prefixes_or_fill_are_re_encoded() {
    use iso8583_wire::spec::{Counts, Length, Padding};
    static COPY_FIELDS: [Option<FieldSpec<'static>>; 65] = {
        let mut f = [None; 65];
        let mut hex = FieldSpec::var(
            "hex-prefixed",
            Content::Ans,
            Encoding::Ascii,
            Prefix::ascii(2, 40),
        );
        hex.length = Length::Var(Prefix {
            digits: 1,
            encoding: PrefixEncoding::Hex,
            counts: Counts::Units,
            max: 40,
        });
        f[47] = Some(hex);
        let mut filled = FieldSpec::var(
            "filled",
            Content::Ans,
            Encoding::Ascii,
            Prefix::ascii(2, 10),
        );
        filled.length = Length::Filled(Prefix::ascii(2, 10));
        filled.padding = Padding::Right(b' ');
        f[48] = Some(filled);
        f
    };
    static COPY: MessageSpec<'static> = MessageSpec::new(
        "copy",
        "hex prefix and filled field",
        &[],
        MtiEncoding::Ascii,
        BitmapSpec::new(BitmapEncoding::HexAscii, 1),
        &COPY_FIELDS,
    );
    // Field 47: prefix "0a" (lowercase hex, 10 characters); field 48: "05" + 5
    // characters + a fill of zeros where the encoder writes spaces.
    let wire = b"08000000000000030000" // MTI, bitmap: fields 47 and 48
        .iter()
        .chain(b"0aABCDEFGHIJ")
        .chain(b"05HELLO00000")
        .copied()
        .collect::<Vec<u8>>();
    let msg = Message::decode(&COPY, &wire).unwrap();
    let mut fast = MessageBuilder::new(&COPY, Mti::new(810).unwrap());
    let mut general = fast.clone();
    for f in msg.fields() {
        fast.set(f.number(), f).unwrap();
        general.set_without_fast_path(f.number(), f).unwrap();
    }
    let out = fast.to_bytes().unwrap();
    assert_eq!(out, general.to_bytes().unwrap());
    assert_eq!(&out[20..], b"0AABCDEFGHIJ05HELLO     ");
}

/// Replacing a value leaves its old bytes in the builder's store; past 64 KiB the store
/// is packed and the new value recorded where the packing put it. The message must
/// come out whole and decode to the last values set, both when the replaced field is
/// the last one set and when a field after it is then set.
#[test]
fn replacing_values_past_64_kib_keeps_the_message_whole() {
    let spec = &layouts::ISO87_ASCII;
    // Field 48 (LLL, up to 999) takes 1,002 bytes a value: after fields 2 and 3 (24
    // bytes), the 67th value is the first to start past 64 KiB, so the store is packed
    // as it is set; with 70, three more are set after the packing.
    for (sets, then_later) in [(67, false), (67, true), (70, false), (70, true)] {
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        b.set(2, "4111111111111111").unwrap();
        b.set(3, "000000").unwrap();
        let mut last = String::new();
        for i in 0..sets {
            last = format!("{i:03}").repeat(333);
            b.set(48, last.as_str()).unwrap();
        }
        if then_later {
            b.set(41, "TERM0001").unwrap();
        }
        b.set(11, "000042").unwrap();
        let wire = b.to_bytes().unwrap();
        assert_eq!(b.encoded_len().unwrap(), wire.len());
        let msg = Message::decode(spec, &wire).unwrap();
        assert_eq!(msg.field(48).unwrap().data(), last.as_bytes());
        assert_eq!(msg.field(2).unwrap().data(), b"4111111111111111");
        assert_eq!(msg.field(11).unwrap().data(), b"000042");
        assert_eq!(msg.field(41).is_some(), then_later);
        let mut out = vec![0u8; wire.len()];
        assert_eq!(b.encode_to_slice(&mut out).unwrap(), wire.len());
        assert_eq!(out, &wire[..]);
    }
}
