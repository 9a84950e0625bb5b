//! Layouts loaded from jPOS GenericPackager XML, moov-io JSON and this crate's own JSON
//! form: each loader on several files, and loaded descriptions of the built-in layouts
//! decode the conformance vectors exactly like the built-in ones.
#![cfg(all(feature = "jpos", feature = "moov", feature = "serde"))]

use iso8583_wire::layout_def::{LayoutDef, LayoutError};
use iso8583_wire::loaders::{self, LayoutFormat};
use iso8583_wire::spec::{CodePage, Content, Encoding, MessageSpec};
use iso8583_wire::subfield::CompositeBuilder;
use iso8583_wire::wire::{ebcdic, hex};
use iso8583_wire::{MessageBuilder, Mti, json, layouts};
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/layouts/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/vectors.json")).unwrap()
}

/// Every vector of `layout` decodes with `loaded` to the same MTI and values as with the
/// built-in layout, re-encodes to the same bytes, and every invalid vector fails on the
/// same field.
fn same_as_builtin(layout: &str, loaded: &'static MessageSpec<'static>) {
    let builtin = layouts::by_name(layout).unwrap();
    let all = vectors();
    let mut checked = 0;
    for v in all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["spec"] == layout)
    {
        let wire = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        let a = builtin.decode(&wire).unwrap();
        let b = loaded
            .decode(&wire)
            .unwrap_or_else(|e| panic!("{}: {e}", v["name"]));
        assert_eq!(
            json::to_json(&a, true),
            json::to_json(&b, true),
            "{}",
            v["name"]
        );
        assert_eq!(
            MessageBuilder::from_message(&b).to_bytes().unwrap()[..],
            wire[..]
        );
        assert_eq!(
            json::encode_json(loaded, &json::to_json(&b, true)).unwrap(),
            wire,
            "{}",
            v["name"]
        );
        checked += 1;
    }
    for v in all["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["spec"] == layout)
    {
        let wire = hex::decode(v["hex"].as_str().unwrap()).unwrap();
        let err = loaded.decode(&wire).expect_err(v["name"].as_str().unwrap());
        assert_eq!(
            err.field().map(|n| n as u64),
            v["field"].as_u64(),
            "{}: {err}",
            v["name"]
        );
    }
    assert!(checked >= 2, "{layout}: only {checked} vectors");
}

#[test]
fn jpos_descriptions_of_the_builtin_layouts_decode_identically() {
    for layout in ["iso87ascii", "iso87binary", "iso93ascii"] {
        let def = loaders::from_jpos_xml(&fixture(&format!("{layout}.xml"))).unwrap();
        assert_eq!(def.fields.len(), 127, "{layout}");
        same_as_builtin(layout, def.build().unwrap());
    }
}

#[test]
fn moov_description_of_iso87ascii_decodes_identically() {
    let def = loaders::from_moov_json(&fixture("iso87ascii.moov.json")).unwrap();
    same_as_builtin("iso87ascii", def.build().unwrap());
}

#[test]
fn own_json_form_round_trips_every_builtin_layout() {
    for spec in layouts::ALL {
        let def = LayoutDef::from_spec(spec);
        let text = def.to_json();
        let back = LayoutDef::from_json(&text).unwrap();
        assert_eq!(back, def, "{}", spec.name);
        let built = back.build().unwrap();
        same_as_builtin(spec.name, built);
    }
    // The annotated example in examples/data is a valid layout.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/layout-example.json"
    ))
    .unwrap();
    let def = LayoutDef::from_json(&example).unwrap();
    let spec = def.build().unwrap();
    assert_eq!(spec.field(2).unwrap().content, Content::N);
}

#[test]
fn jpos_private_layout_covers_every_class() {
    let def = loaders::from_jpos_xml(&fixture("private.xml")).unwrap();
    let spec = def.build().unwrap();
    assert!(matches!(
        spec.mti,
        iso8583_wire::mti::MtiEncoding::Ebcdic(CodePage::Cp1047)
    ));
    assert_eq!(spec.field(41).unwrap().name, "Terminal & lane");
    let long = "x".repeat(1500);
    let mut c63 = CompositeBuilder::new(spec.field(63).unwrap()).unwrap();
    c63.set("1", "07")
        .unwrap()
        .set("2", "000123")
        .unwrap()
        .set("3", "REF-1")
        .unwrap();
    let v63 = c63.finish().unwrap();
    let mut c127 = CompositeBuilder::new(spec.field(127).unwrap()).unwrap();
    c127.set("2", "AB12")
        .unwrap()
        .set("3", "12345")
        .unwrap()
        .set("12", "BEEF")
        .unwrap();
    let v127 = c127.finish().unwrap();
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set(2, "4111111111111111")
        .unwrap()
        .set(3, 0u32)
        .unwrap()
        .set(4, 1500u32)
        .unwrap()
        .set(11, 7u32)
        .unwrap()
        .set(32, "12345")
        .unwrap()
        .set(41, "LANE 01")
        .unwrap()
        .set(43, "CAFE")
        .unwrap()
        .set(44, "note")
        .unwrap()
        .set(45, "B4111^X")
        .unwrap()
        .set(48, long.as_str())
        .unwrap()
        .set(52, &[1u8, 2, 3, 4, 5, 6, 7, 8])
        .unwrap()
        .set(53, "CAFE")
        .unwrap()
        .set(54, "amounts")
        .unwrap()
        .set(55, "9F2701809F360200A1")
        .unwrap()
        .set(56, "12345")
        .unwrap()
        .set(57, "678")
        .unwrap()
        .set(58, "00FF")
        .unwrap()
        .set(59, "AA")
        .unwrap()
        .set(60, "1234567")
        .unwrap()
        .set(61, "89")
        .unwrap()
        .set(62, "text")
        .unwrap()
        .set(63, &v63[..])
        .unwrap()
        .set(64, "0102030405060708")
        .unwrap()
        .set(66, "D00000200")
        .unwrap()
        .set(67, "C00000100")
        .unwrap()
        .set(127, &v127[..])
        .unwrap();
    let wire = b.to_bytes().unwrap();
    // EBCDIC MTI.
    assert_eq!(&wire[..4], &[0xF0, 0xF2, 0xF0, 0xF0]);
    let msg = spec.decode(&wire).unwrap();
    assert_eq!(msg.field(41).unwrap().value().to_string(), "LANE 01 ");
    assert_eq!(
        msg.field(41).unwrap().data()[0],
        ebcdic::from_latin1(CodePage::Cp1047, b'L')
    );
    assert_eq!(msg.get("63.3").unwrap().unwrap().as_str(), Some("REF-1"));
    assert_eq!(msg.get("127.3").unwrap().unwrap().to_string(), "12345");
    assert_eq!(msg.field(48).unwrap().len(), 1500);
    assert_eq!(msg.field(66).unwrap().value().to_string(), "D00000200");
    assert_eq!(MessageBuilder::from_message(&msg).to_bytes().unwrap(), wire);
}

#[test]
fn jpos_packager_attributes() {
    let xml = fixture("iso87binary.xml").replace(
        "<isopackager>",
        "<isopackager headerLength=\"5\" maxValidField=\"128\">",
    );
    let def = loaders::from_jpos_xml(&xml).unwrap();
    assert_eq!(def.header.len(), 1);
    assert_eq!(def.header[0].len, 5);
    assert_eq!(def.bitmap.max_bitmaps, 2);
    let spec = def.build().unwrap();
    let mut b = MessageBuilder::new(spec, Mti::new(800).unwrap());
    b.set_header(b"HDR01").unwrap().set(11, 1u32).unwrap();
    let wire = b.to_bytes().unwrap();
    assert_eq!(spec.decode(&wire).unwrap().header(), b"HDR01");
    // Fields past 64 do not fit one bitmap: the definition is refused.
    let one =
        fixture("iso87binary.xml").replace("<isopackager>", "<isopackager maxValidField=\"64\">");
    assert!(matches!(
        loaders::from_jpos_xml(&one),
        Err(LayoutError::Field { field: 65, .. })
    ));
    let no_bitmap =
        fixture("iso87ascii.xml").replace("<isopackager>", "<isopackager emitBitmap=\"false\">");
    assert!(matches!(
        loaders::from_jpos_xml(&no_bitmap),
        Err(LayoutError::Layout(_))
    ));
}

#[test]
fn unknown_jpos_class_names_field_and_class() {
    let err = loaders::from_jpos_xml(&fixture("bad-class.xml")).unwrap_err();
    assert_eq!(
        err,
        LayoutError::Field {
            field: 7,
            reason: "unknown field packager class 'IFX_WEIRD'".into()
        }
    );
    assert!(loaders::from_jpos_xml("<isopackager><isofield id=\"2\"/></isopackager>").is_err());
    assert!(loaders::from_jpos_xml("<notapackager/>").is_err());
    assert!(loaders::from_jpos_xml("<isopackager><isofield id=\"2\" length=\"x\"").is_err());
}

#[test]
fn moov_private_spec_covers_encodings_prefixes_and_composites() {
    let def = loaders::from_moov_json(&fixture("private.moov.json")).unwrap();
    assert_eq!(def.fields[&2].encoding, Encoding::BCD_LEFT);
    assert_eq!(def.fields[&11].encoding, Encoding::Ebcdic(CodePage::Cp037));
    assert_eq!(def.fields[&35].content, Content::Z);
    let spec = def.build().unwrap();
    let mut c60 = CompositeBuilder::new(spec.field(60).unwrap()).unwrap();
    c60.set("1", "22")
        .unwrap()
        .set("2", "000727")
        .unwrap()
        .set("3", "ABC")
        .unwrap();
    let v60 = c60.finish().unwrap();
    let mut c62 = CompositeBuilder::new(spec.field(62).unwrap()).unwrap();
    c62.set("01", "one").unwrap().set("02", "two").unwrap();
    let v62 = c62.finish().unwrap();
    let mut c63 = CompositeBuilder::new(spec.field(63).unwrap()).unwrap();
    c63.set("1", "KEY1").unwrap().set("2", "42").unwrap();
    let v63 = c63.finish().unwrap();
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set(2, "6212345678901234567")
        .unwrap()
        .set(3, 0u32)
        .unwrap()
        .set(11, 42u32)
        .unwrap()
        .set(35, "6212345678901234567=2912")
        .unwrap()
        .set(41, "T1")
        .unwrap()
        .set(43, "SHOP")
        .unwrap()
        .set(52, &[9u8; 8])
        .unwrap()
        .set(53, "00112233")
        .unwrap()
        .set(55, "9F2701809F26081122334455667788")
        .unwrap()
        .set(60, &v60[..])
        .unwrap()
        .set(62, &v62[..])
        .unwrap()
        .set(63, &v63[..])
        .unwrap()
        .set(64, "A1A2A3A4A5A6A7A8")
        .unwrap();
    let wire = b.to_bytes().unwrap();
    assert_eq!(&wire[..2], &[0x02, 0x00], "BCD MTI");
    let msg = spec.decode(&wire).unwrap();
    assert_eq!(
        msg.field(11).unwrap().data(),
        &[0xF0, 0xF0, 0xF0, 0xF0, 0xF4, 0xF2]
    );
    assert_eq!(msg.field(43).unwrap().wire()[0], 4, "binary 1-byte length");
    assert_eq!(
        msg.get("55.9F27").unwrap().unwrap().value().to_string(),
        "80"
    );
    assert_eq!(msg.get("60.3").unwrap().unwrap().as_str(), Some("ABC"));
    assert_eq!(msg.get("62.02").unwrap().unwrap().as_str(), Some("two"));
    assert_eq!(msg.get("63.2").unwrap().unwrap().as_str(), Some("42"));
    assert_eq!(MessageBuilder::from_message(&msg).to_bytes().unwrap(), wire);
    // Errors name the field.
    let bad = r#"{"fields": {"7": {"type": "Float", "length": 4, "enc": "ASCII", "prefix": "ASCII.Fixed"}}}"#;
    assert!(matches!(
        loaders::from_moov_json(bad),
        Err(LayoutError::Field { field: 7, .. })
    ));
    let bad = r#"{"fields": {"7": {"type": "String", "length": 4, "enc": "UTF16", "prefix": "ASCII.Fixed"}}}"#;
    assert!(matches!(
        loaders::from_moov_json(bad),
        Err(LayoutError::Field { field: 7, .. })
    ));
}

#[test]
fn load_recognises_the_form_by_content() {
    assert_eq!(
        loaders::detect(&fixture("iso87ascii.xml")),
        Some(LayoutFormat::JposXml)
    );
    assert_eq!(
        loaders::detect(&fixture("iso87ascii.moov.json")),
        Some(LayoutFormat::MoovJson)
    );
    let own = LayoutDef::from_spec(&layouts::CUP).to_json();
    assert_eq!(loaders::detect(&own), Some(LayoutFormat::OwnJson));
    for text in [
        fixture("iso87binary.xml"),
        fixture("iso87ascii.moov.json"),
        own,
    ] {
        loaders::load(&text).unwrap().build().unwrap();
    }
    assert!(loaders::load("hello").is_err());
    // A definition that does not hold together is refused.
    let mut def = LayoutDef::from_spec(&layouts::ISO87_ASCII);
    def.fields.get_mut(&11).unwrap().encoding = Encoding::BCD;
    def.fields.get_mut(&11).unwrap().content = Content::Ans;
    assert!(matches!(
        def.check(),
        Err(LayoutError::Field { field: 11, .. })
    ));
}
