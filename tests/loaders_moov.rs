//! moov-io/iso8583 spec JSON: own-written specs in `tests/data/moov` covering the
//! field types, encodings, prefixes and composite forms moov's JSON can say, and
//! hand-assembled messages (hex) as moov packs them, decoded to the expected values and
//! re-encoded to the same bytes.
#![cfg(feature = "moov")]

use iso8583_wire::layout_def::{LayoutDef, LayoutError};
use iso8583_wire::loaders;
use iso8583_wire::mti::MtiEncoding;
use iso8583_wire::spec::{
    BitmapUnit, Composite, Content, Counts, Length, MessageSpec, PrefixEncoding, Sensitivity,
    TlvPart,
};
use iso8583_wire::subfield::CompositeBuilder;
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti, Part};

#[path = "support/loaded.rs"]
mod loaded;
use loaded::{reencodes, value};

fn layout(name: &str) -> &'static MessageSpec<'static> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/moov/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    loaders::from_moov_json(&text)
        .and_then(|d| d.build())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const TRACK3: &str = "011234567890123445=724724000000000****00300XXXX020200099010=********************==1=100000000000000000**";
const TRACK1: &str = "B1234567890123445^PADILLA/L.                ^99011200000000000000**XXX******";

const COMPOSITES: &str = "30323030E0200000300B120F84000000000000004000000000000000313634313131313131313131313131313131303031303230F0F0F0F0F4F23237343131313131313131313131313131313D323531323130313132333130343031313233343536373839303132333434353D3732343732343030303030303030302A2A2A2A3030333030585858583032303230303039393031303D2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A3D3D313D3130303030303030303030303030303030302A2A373642313233343536373839303132333434355E504144494C4C412F4C2E202020202020202020202020202020205E39393031313230303030303030303030303030302A2A5858582A2A2A2A2A2A03120123323445303230303030324142303243443032313230343032595A0102030405060708303135019A032107209F02060000000005013030303568656C6C6F30313230313032414230323032434432383031303241423032303243443033303231323131303630313032595A1F0100179A063231303732309F020C303030303030303030353031020002BEEF33303130357468697264";

#[test]
fn composites_tracks_prefixes_and_a_third_bitmap() {
    let spec = layout("composites.json");
    // Fields above 128: a third bitmap, and the definition of 65 dropped as moov does.
    assert_eq!(spec.bitmap.max_bitmaps, 3);
    assert!(spec.field(65).is_none());
    // Positional composites written moov's way ("tag": {"sort": ...}).
    assert!(matches!(
        spec.field(3).unwrap().subfields,
        Some(Composite::Sequence(_))
    ));
    // A composite's prefix counts the bytes of its packed subfields.
    assert!(matches!(
        spec.field(47).unwrap().length,
        Length::Var(p) if p.counts == Counts::Bytes && p.encoding == PrefixEncoding::Bcd
    ));
    assert!(matches!(
        spec.field(61).unwrap().length,
        Length::Var(p) if p.encoding == PrefixEncoding::Hex && p.wire_len() == 4
    ));
    for n in [35, 36, 45] {
        assert_eq!(
            spec.field(n).unwrap().sensitivity,
            Sensitivity::Track,
            "{n}"
        );
    }
    assert_eq!(spec.field(52).unwrap().content, Content::B);

    let wire = hex::decode(COMPOSITES).unwrap();
    let msg = spec.decode(&wire).unwrap();
    let expect = [
        ("2", "4111111111111111"),
        ("3.1", "00"),
        ("3.2", "10"),
        ("3.3", "20"),
        ("11", "000042"),
        ("35", "4111111111111111=2512101123"),
        ("36", TRACK3),
        ("45", TRACK1),
        // BCD subfields, each its own byte-aligned run; the prefix counted 3 bytes.
        ("47.1", "12"),
        ("47.2", "123"),
        // A 3-byte subfield bitmap (bit 1 is subfield 1), a nested composite.
        ("48.1", "AB"),
        ("48.2", "CD"),
        ("48.3", "12"),
        ("48.11.1", "YZ"),
        ("52", "0102030405060708"),
        // A composite without a length (None.Fixed) holding BER-TLV, after a lead byte.
        ("55.1", "01"),
        ("55.2.9A", "210720"),
        ("55.2.9F02", "000000000501"),
        ("61", "hello"),
        // Tags named without their pad zeros, as moov names them.
        ("62.1", "AB"),
        ("62.2", "CD"),
        // Tagged subfields with their own prefixes, a composite nested in one.
        ("63.1", "AB"),
        ("63.2", "CD"),
        ("63.3", "12"),
        ("63.11.1", "YZ"),
        // A one-byte binary tag holding BER-TLV; an unknown tag skipped with the
        // prefix moov is told to use for it.
        ("64.01.9A", "210720"),
        ("64.01.9F02", "000000000501"),
        ("64.02", "BEEF"),
        ("70", "301"),
        ("130", "third"),
    ];
    for (path, v) in expect {
        assert_eq!(value(&msg, path), v, "{path}");
    }
    // EBCDIC 1047 digits.
    assert_eq!(
        msg.field(11).unwrap().data(),
        &[0xF0, 0xF0, 0xF0, 0xF0, 0xF4, 0xF2]
    );
    reencodes(&msg, &wire);
    assert!(Message::decode_without_fast_path(spec, &wire).unwrap() == msg);
    // Tagged values are built from their subfields, tags padded as they travel.
    let mut c63 = CompositeBuilder::new(spec.field(63).unwrap()).unwrap();
    c63.set("3", "12").unwrap().set("1", "AB").unwrap();
    assert_eq!(c63.finish().unwrap(), b"0102AB030212");

    // Numeric subfields are checked when the message is decoded.
    let mut bad = wire.clone();
    let at = wire
        .windows(6)
        .position(|w| w == b"001020")
        .map(|i| i + 3)
        .unwrap();
    bad[at] = b'Q'; // 3.2 = "1Q"
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(3), "{err}");
    assert_eq!(err.offset(), at, "{err}");
    let mut bad = wire.clone();
    let at = wire.windows(4).position(|w| w == b"0212").unwrap() + 3;
    bad[at] = b'Q'; // 48.3 = "1Q", inside a bitmapped composite
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(48), "{err}");
    assert_eq!(err.offset(), at, "{err}");
    let mut bad = wire.clone();
    let at = wire.windows(6).position(|w| w == b"030212").unwrap() + 5;
    bad[at] = b'Q'; // 63.3 = "1Q", inside a tagged composite
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(63), "{err}");
    assert_eq!(err.offset(), at, "{err}");
    // An undefined tag is an error naming the field.
    let mut bad = wire.clone();
    let at = wire.windows(6).position(|w| w == b"030212").unwrap();
    bad[at + 1] = b'9'; // tag 09
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(63), "{err}");
    assert!(
        err.to_string().contains("a tag the layout does not define"),
        "{err}"
    );
}

const HEX_STYLE: &str = "3330333133303330363030303030303032303030313030303030313033343332333433323334333233343332333433323334333233343332333433323330333033303330333033300E4000340000000506D2512111123430313032303330343035303630373038";

#[test]
fn hex_ascii_mti_hex_prefixes_and_track2_nibbles() {
    let spec = layout("spec87hex-style.json");
    assert_eq!(spec.mti, MtiEncoding::HexAscii);
    let wire = hex::decode(HEX_STYLE).unwrap();
    let msg = spec.decode(&wire).unwrap();
    assert_eq!(msg.mti().to_string(), "0100");
    // Text over hex-ASCII: the decoded text, as moov's value.
    assert_eq!(value(&msg, "2"), "4242424242424242");
    assert_eq!(value(&msg, "3"), "000000");
    // Track 2 as raw nibbles: its hex, separator D.
    assert_eq!(value(&msg, "35"), "4000340000000506D25121111234");
    assert_eq!(value(&msg, "52"), "0102030405060708");
    reencodes(&msg, &wire);
    // A character that is not hex in the MTI.
    let mut bad = wire.clone();
    bad[1] = b'G';
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.offset(), 1, "{err}");
}

#[test]
fn what_moov_cannot_say_here_is_named() {
    let ber_outside = r#"{"fields": {"55": {"type": "Hex", "enc": "Binary", "prefix": "BerTLV"}}}"#;
    assert!(matches!(
        loaders::from_moov_json(ber_outside),
        Err(LayoutError::Field { field: 55, .. })
    ));
    let bad_tags = r#"{"fields": {"62": {"type": "Composite", "length": 99, "prefix": "ASCII.LL",
        "tag": {"length": 2, "enc": "LBCDX", "sort": "StringsByInt"},
        "subfields": {"01": {"type": "String", "length": 9, "enc": "ASCII", "prefix": "ASCII.LL"}}}}}"#;
    assert_eq!(
        loaders::from_moov_json(bad_tags).unwrap_err(),
        LayoutError::Field {
            field: 62,
            reason: "tag encoding 'LBCDX' is not supported".into()
        }
    );
    let bad_sort = r#"{"fields": {"3": {"type": "Composite", "length": 6, "prefix": "ASCII.Fixed",
        "tag": {"sort": "Alphabetical"},
        "subfields": {"1": {"type": "String", "length": 6, "enc": "ASCII", "prefix": "ASCII.Fixed"}}}}}"#;
    assert!(matches!(
        loaders::from_moov_json(bad_sort),
        Err(LayoutError::Field { field: 3, .. })
    ));
    // A subfield's own error names the subfield.
    let bad_sub = r#"{"fields": {"3": {"type": "Composite", "length": 6, "prefix": "ASCII.Fixed",
        "tag": {"sort": "StringsByInt"},
        "subfields": {"2": {"type": "Float", "length": 6, "enc": "ASCII", "prefix": "ASCII.Fixed"}}}}}"#;
    assert_eq!(
        loaders::from_moov_json(bad_sub).unwrap_err(),
        LayoutError::Field {
            field: 3,
            reason: "subfield 2: unsupported field type 'Float'".into()
        }
    );
}

#[test]
fn bitmaps_of_128_bit_units() {
    let spec = layout("spec87ascii-style.json");
    assert_eq!(spec.bitmap.unit, BitmapUnit::Bits128);
    assert_eq!(spec.bitmap.max_bitmaps, 2);
    // Field 65 is data; a definition of 129 is dropped (its bit announces a unit).
    assert!(spec.field(65).is_some());
    assert!(spec.field(129).is_none());
    assert_eq!(spec.max_field(), 192);

    // moov's own example: fields 2, 3, 4, 14 and 43, one unit of 32 hex characters.
    let one: &[u8] =
        b"0100700400000020000000000000000000001642424242424242420000000000000001002512ACME STORE";
    let msg = spec.decode(one).unwrap();
    assert_eq!(msg.bitmap_count(), 1);
    assert_eq!(
        msg.fields().map(|f| f.number()).collect::<Vec<_>>(),
        [2, 3, 4, 14, 43]
    );
    assert_eq!(value(&msg, "2"), "4242424242424242");
    assert_eq!(value(&msg, "4"), "000000000100");
    assert_eq!(value(&msg, "43"), "ACME STORE");
    assert!(Message::decode_without_fast_path(spec, one).unwrap() == msg);
    assert!(
        msg.dump()
            .to_string()
            .contains("bitmap  70040000002000000000000000000000\n")
    );
    reencodes(&msg, one);

    // Fields 65 and 70 in the first unit: bit 1 stays clear.
    let upper: &[u8] = b"020020000000000000008400000000000000000000X301";
    let msg = spec.decode(upper).unwrap();
    assert_eq!(
        msg.fields().map(|f| f.number()).collect::<Vec<_>>(),
        [3, 65, 70]
    );
    assert_eq!(value(&msg, "65"), "X");
    assert_eq!(value(&msg, "70"), "301");
    assert!(Message::decode_without_fast_path(spec, upper).unwrap() == msg);
    reencodes(&msg, upper);
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set(70, 301u32)
        .unwrap()
        .set(65, "X")
        .unwrap()
        .set(3, 0u32)
        .unwrap();
    assert_eq!(b.to_bytes().unwrap().as_ref(), upper);

    // Bit 1 announces a second unit of 128 bits: field 130.
    let two: &[u8] = b"0200C00000000000000000000000000000004000000000000000000000000000000016424242424242424205third";
    let msg = spec.decode(two).unwrap();
    assert_eq!(msg.bitmap_count(), 2);
    assert_eq!(
        msg.fields().map(|f| f.number()).collect::<Vec<_>>(),
        [2, 130]
    );
    assert_eq!(value(&msg, "130"), "third");
    assert!(Message::decode_without_fast_path(spec, two).unwrap() == msg);
    reencodes(&msg, two);
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set(130, "third")
        .unwrap()
        .set(2, "4242424242424242")
        .unwrap();
    assert_eq!(b.to_bytes().unwrap().as_ref(), two);
    // An empty message still writes its whole first unit.
    let empty = MessageBuilder::new(spec, Mti::new(800).unwrap());
    assert_eq!(
        empty.to_bytes().unwrap().as_ref(),
        format!("0800{}", "0".repeat(32)).as_bytes()
    );
    // A second unit asked for without a field in it.
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set(65, "X").unwrap().set_min_bitmaps(2);
    assert_eq!(
        b.to_bytes().unwrap().as_ref(),
        format!("0200{0}{0}{1}X", "8000000000000000", "0".repeat(32)).as_bytes()
    );
    assert_eq!(
        spec.decode(&b.to_bytes().unwrap()).unwrap().bitmap_count(),
        2
    );

    // Bit 129 would announce a third unit.
    let third: &[u8] =
        b"0200C000000000000000000000000000000080000000000000000000000000000000164242424242424242";
    let err = spec.decode(third).unwrap_err();
    assert_eq!((err.part(), err.offset()), (Part::Bitmap(2), 36), "{err}");
    // Bits 193-256 name fields this crate does not number.
    let high: &[u8] = b"0200C0000000000000000000000000000000000000000000000001000000000000000016424242424242424205third";
    let err = spec.decode(high).unwrap_err();
    assert_eq!((err.field(), err.offset()), (Some(200), 36), "{err}");
    // The first unit is always whole: 16 hex characters are not a bitmap.
    let short: &[u8] = b"02002000000000000000000000";
    let err = spec.decode(short).unwrap_err();
    assert_eq!(err.part(), Part::Bitmap(0), "{err}");
    assert_eq!(
        err,
        Message::decode_without_fast_path(spec, short).unwrap_err()
    );

    // This crate's JSON form keeps the unit; without one a layout has 64-bit units.
    let def = LayoutDef::from_spec(spec);
    let json = def.to_json();
    assert!(json.contains("\"unit\": \"bits128\""), "{json}");
    assert_eq!(LayoutDef::from_json(&json).unwrap(), def);
    let plain = json.replace(",\n    \"unit\": \"bits128\"", "");
    assert_eq!(
        LayoutDef::from_json(&plain).unwrap().bitmap.unit,
        BitmapUnit::Bits64
    );
}

const TAGS: &str = "3031303000000000000003063033319A032107205F2A04303937385004564953419F360201579F3B059F4502047F30359A032107203133F0F1F0F2C1C2F0F2F0F3F1F2F3313533303331303258593330333202BEEF";

#[test]
fn ebcdic_and_hex_ascii_tags_and_ber_tlv_subfields() {
    let spec = layout("tags.json");
    assert!(matches!(
        spec.field(55).unwrap().subfields,
        Some(Composite::Tagged {
            tag: TlvPart::Ber,
            ..
        })
    ));
    let wire = hex::decode(TAGS).unwrap();
    let msg = spec.decode(&wire).unwrap();
    for (path, v) in [
        // Declared BER-TLV subfields with their types: text, digits, hex.
        ("55.9A", "210720"),
        ("55.5F2A", "0978"),
        ("55.50", "VISA"),
        // A declared constructed tag, its own subfields declared.
        ("55.9F3B.9F45", "047F"),
        // An unknown tag moov skips (skipUnknownTLVTags): kept here as bytes.
        ("55.9F36", "0157"),
        ("56.9A", "210720"),
        // EBCDIC 1047 tags named without their pad zeros; EBCDIC values.
        ("62.1", "AB"),
        ("62.2", "123"),
        // Hex-ASCII tags: "3031" is tag 01.
        ("63.01", "XY"),
        ("63.02", "BEEF"),
    ] {
        assert_eq!(value(&msg, path), v, "{path}");
    }
    assert!(Message::decode_without_fast_path(spec, &wire).unwrap() == msg);
    reencodes(&msg, &wire);

    // Built from subfield values, tags travel in their encodings.
    let data = |n: usize| msg.field(n).unwrap().data().to_vec();
    let mut c62 = CompositeBuilder::new(spec.field(62).unwrap()).unwrap();
    c62.set("2", "123").unwrap().set("1", "AB").unwrap();
    assert_eq!(c62.finish().unwrap(), data(62));
    let mut c63 = CompositeBuilder::new(spec.field(63).unwrap()).unwrap();
    c63.set("02", "BEEF").unwrap().set("01", "XY").unwrap();
    assert_eq!(c63.finish().unwrap(), data(63));
    let mut c55 = CompositeBuilder::new(spec.field(55).unwrap()).unwrap();
    c55.set("9A", "210720").unwrap().set("50", "VISA").unwrap();
    assert_eq!(
        hex::encode(&c55.finish().unwrap()),
        "500456495341".to_owned() + "9A03210720"
    );

    // Numeric BER-TLV subfields are checked when the message is decoded.
    let mut bad = wire.clone();
    let at = wire.windows(4).position(|w| w == b"0978").unwrap() + 1;
    bad[at] = b'Q';
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!((err.field(), err.offset()), (Some(55), at), "{err}");
    // Without skipUnknownTLVTags an unknown tag is an error.
    let mut bad = wire.clone();
    let at = wire
        .windows(6)
        .position(|w| w == b"\x30\x35\x9A\x03\x21\x07")
        .unwrap()
        + 2;
    bad[at] = 0x9B;
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!((err.field(), err.offset()), (Some(56), at), "{err}");
    assert!(
        err.to_string().contains("a tag the layout does not define"),
        "{err}"
    );
    // A BER length past the end of the field.
    let mut bad = wire.clone();
    bad[at + 1] = 0x09;
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(56), "{err}");
    // A letter in a numeric subfield behind an EBCDIC tag.
    let mut bad = wire.clone();
    let at = wire
        .windows(3)
        .position(|w| w == [0xF1, 0xF2, 0xF3])
        .unwrap()
        + 1;
    bad[at] = 0xC1;
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!((err.field(), err.offset()), (Some(62), at), "{err}");
}

#[test]
fn a_composite_value_that_does_not_read_as_its_subfields_is_refused_when_set() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/layouts/private.moov.json"
    ))
    .unwrap();
    let spec: &'static MessageSpec<'static> = loaders::from_moov_json(&text)
        .and_then(|d| d.build())
        .unwrap();
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    // Field 62: two-character tags, then an LL value. "99" is no tag of the layout.
    let err = b.set(62, "9903abc").unwrap_err();
    assert_eq!(err.field(), Some(62));
    assert!(
        matches!(
            err.kind(),
            iso8583_wire::EncodeErrorKind::InvalidSubfields { position: 0, .. }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("subfields do not read at byte 0"),
        "{err}"
    );
    // The same value with tag 01 and a wrong length inside: refused at the value.
    let err = b.set(62, "0105ab").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            iso8583_wire::EncodeErrorKind::InvalidSubfields { .. }
        ),
        "{err}"
    );
    // Field 55: EMV tags 9F26 and 9F27 only; 9F10 is not defined.
    let err = b.set(55, &[0x9F, 0x10, 0x01, 0x00][..]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            iso8583_wire::EncodeErrorKind::InvalidSubfields { .. }
        ),
        "{err}"
    );
    // A bad character inside a subfield is named by what was expected, never by the
    // byte (an encode error does not carry the value).
    let kind = iso8583_wire::EncodeErrorKind::InvalidSubfields {
        position: 3,
        problem: iso8583_wire::DecodeErrorKind::InvalidByte {
            expected: "a digit",
            found: iso8583_wire::error::Found::Masked,
        },
    };
    assert_eq!(
        kind.to_string(),
        "the subfields do not read at byte 3 of the value: expected a digit"
    );
    // Nothing refused was kept; well-formed values are, and the message decodes.
    assert!(!b.has(62) && !b.has(55));
    b.set(62, "0103abc0202xy").unwrap();
    b.set(55, &[0x9F, 0x27, 0x01, 0x80][..]).unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = Message::decode(spec, &wire).unwrap();
    assert_eq!(msg.field(62).unwrap().data(), b"0103abc0202xy");
    assert_eq!(msg.field(55).unwrap().data(), [0x9F, 0x27, 0x01, 0x80]);
}
