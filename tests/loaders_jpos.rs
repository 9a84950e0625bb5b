//! jPOS GenericPackager classes and subfield packagers: own-written packager files in
//! `tests/data/jpos`, and hand-assembled messages (hex) as jPOS packs them, decoded to
//! the expected values and re-encoded to the same bytes.
#![cfg(feature = "jpos")]

use iso8583_wire::layout_def::LayoutError;
use iso8583_wire::loaders;
use iso8583_wire::spec::{
    BitmapEncoding, CodePage, Composite, ContentMode, Length, MessageSpec, Prefix, PrefixEncoding,
};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder};

#[path = "support/loaded.rs"]
mod loaded;
use loaded::{reencodes, value};

fn layout(name: &str) -> &'static MessageSpec<'static> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/jpos/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    loaders::from_jpos_xml(&text)
        .and_then(|d| d.build())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const BASE1: &str = "0100D000000020359FE00000000000000006104111111111111111000000001500184111111111111111D2512101C3C1C6C540D3C9E2C2D6C14002C1F50568656C6C6F00046C6F6E67F9F7F8F0F1F0F2F0F3F0F4F0F5F0F6F0C1F0C2F0F3AABBCC9782000000001500049F2701800002CAFEC4F0F0F0F0F0F0F0F0F1F5F0F003616263F0F312345F2B8440000000000000D1D6C8D540E2D4C9E3C840404040404040404040404040404005012345C1C2C3F1F2F308E70301230042C1C2";

#[test]
fn base1_binary_lengths_ebcdic_and_visa_subfields() {
    let spec = layout("base1-style.xml");
    // IFB_LLHNUM: one binary length byte counting digits.
    let pan = spec.field(2).unwrap();
    assert_eq!(pan.length, Length::Var(Prefix::binary(1, 19)));
    // IFB_LLCHAR declared 255 long: the BCD LL prefix holds 99 at most.
    assert!(matches!(spec.field(58).unwrap().length, Length::Var(p) if p.max == 99));
    assert!(matches!(
        spec.field(126).unwrap().subfields,
        Some(Composite::Bitmapped { .. })
    ));
    assert!(matches!(
        spec.field(127).unwrap().subfields,
        Some(Composite::Sequence(_))
    ));

    let wire = hex::decode(BASE1).unwrap();
    let msg = spec.decode(&wire).unwrap();
    let expect = [
        ("2", "4111111111111111"),
        ("4", "000000001500"),
        ("35", "4111111111111111=2512101"),
        ("43", "CAFE LISBOA "),
        ("44", "A5"),
        ("46", "hello"),
        ("48", "long"),
        ("49", "978"),
        ("52", "0102030405060A0B"),
        ("53", "AABBCC"),
        ("54", "9782000000001500"),
        ("55", "9F270180"),
        ("56", "CAFE"),
        ("57", "D000000001500"),
        ("58", "abc"),
        ("59", "12345F"),
        ("126.1", "JOHN SMITH               "),
        ("126.6", "12345"),
        ("126.10", "ABC123"),
        ("127.0", "X"),
        ("127.1", "123"),
        ("127.2", "0042"),
        ("127.4", "AB"),
    ];
    for (path, v) in expect {
        assert_eq!(value(&msg, path), v, "{path}");
    }
    assert!(msg.get("127.3").unwrap().is_none(), "IF_NOP takes no bytes");
    reencodes(&msg, &wire);
    // The slow path agrees.
    assert!(Message::decode_without_fast_path(spec, &wire).unwrap() == msg);

    // A letter in a BCD subfield refuses the message, naming field 127 and the byte.
    let mut bad = wire.clone();
    let at = bad.len() - 3; // 127.2 "0042" -> "004A"
    bad[at] = 0x4A;
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.field(), Some(127), "{err}");
    assert_eq!(err.offset(), at, "{err}");
    assert!(err.to_string().contains("BCD digit"), "{err}");
}

const LONG: &str = "30323030A0000000000108100000000000000002303030303030303030303568656C6C6F000102030405060708090A0B0C0D0E0F000474657874303030303336E000000000000000040000000000000053574B4559303031303030303361626330303432";

#[test]
fn declared_lengths_above_the_message_cap_are_clamped() {
    let spec = layout("long-lengths.xml");
    // 99999 and 999999 do not fit a message: the maximum is the message cap.
    assert_eq!(
        spec.field(48).unwrap().length,
        Length::Var(Prefix::ascii(5, u16::MAX))
    );
    assert_eq!(
        spec.field(127).unwrap().length,
        Length::Var(Prefix::ascii(6, u16::MAX))
    );
    let wire = hex::decode(LONG).unwrap();
    let msg = spec.decode(&wire).unwrap();
    assert_eq!(value(&msg, "48"), "hello");
    assert_eq!(value(&msg, "53"), "000102030405060708090A0B0C0D0E0F");
    assert_eq!(value(&msg, "60"), "text");
    // A 16-byte subfield bitmap: bit 1 announces subfields 65-128.
    assert_eq!(value(&msg, "127.2"), "SWKEY001");
    assert_eq!(value(&msg, "127.3"), "abc");
    assert_eq!(value(&msg, "127.70"), "0042");
    reencodes(&msg, &wire);

    // A length of 99999 is above what any message can hold: an error naming field 48's
    // prefix and the cap, not a layout problem.
    let mut cut = hex::decode("303230302000000000010000").unwrap();
    cut.extend_from_slice(b"000000");
    cut.extend_from_slice(b"99999abc");
    let err = spec.decode(&cut).unwrap_err();
    assert_eq!(err.field(), Some(48), "{err}");
    assert_eq!(
        err.to_string(),
        "field 48 length prefix at byte 18: length 99999 is above the maximum 65535"
    );
    // One that fits the cap but not the message: the field is cut short.
    let mut short = cut[..18].to_vec();
    short.extend_from_slice(b"00009abc");
    let err = spec.decode(&short).unwrap_err();
    assert_eq!(err.field(), Some(48), "{err}");
    assert!(err.to_string().contains("input ends early"), "{err}");
}

const TAGGED: &str = "3032303034303030303030303038313130323136313634313131313131313131313131313131414243313233444546343536F0F1F5F1C1F0F0F1F0F7C1C2C3C4F0F2C8C9303137414243443035303178797A3034303270713030399F2701809F360200A1303138413130303568656C6C6F41323030336162633031345831323033616263393930327A7A3031323030313230303568656C6C6F";

#[test]
fn tagged_and_nested_packagers() {
    let spec = layout("tagged.xml");
    let wire = hex::decode(TAGGED).unwrap();
    let msg = spec.decode(&wire).unwrap();
    let expect = [
        ("2", "4111111111111111"),
        ("37", "ABC123DEF456"),
        // GenericPackager inside the field: a header byte, a 16-bit EBCDIC bitmap.
        ("44.1", "07"),
        ("44.3", "ABCD"),
        ("44.16", "HI"),
        // EuroSubFieldPackager: subfield 0, then LL TT elements.
        ("48.0", "ABCD"),
        ("48.1.01", "xyz"),
        ("48.1.02", "pq"),
        // BERTLVBinaryPackager.
        ("55.9F27", "80"),
        ("55.9F36", "00A1"),
        // GenericTaggedFieldsPackager, tags of 2 and lengths of 3.
        ("60.A1", "hello"),
        ("60.A2", "abc"),
        // TaggedSequencePackager with an untagged lead, then tagged elements.
        ("62.0", "X"),
        ("62.1.12", "abc"),
        ("62.1.99", "zz"),
        ("63.0012", "hello"),
    ];
    for (path, v) in expect {
        assert_eq!(value(&msg, path), v, "{path}");
    }
    reencodes(&msg, &wire);

    // Validators are strict-mode classes: IVA_ALPHANUMNOBLANK on field 37.
    let mut dash = wire.clone();
    let at = dash.windows(3).position(|w| w == b"123").unwrap();
    dash[at] = b'-';
    assert!(spec.decode(&dash).is_ok());
    let err = Message::decode_with(spec, &dash, ContentMode::Strict).unwrap_err();
    assert_eq!(err.field(), Some(37), "{err}");
}

#[test]
fn ebcdic_bitmap_and_header() {
    let xml = r#"<isopackager headerLength="2">
      <isofield id="0" length="4" name="MTI" class="org.jpos.iso.IFE_NUMERIC"/>
      <isofield id="1" length="16" name="Bitmap" class="org.jpos.iso.IFE_BITMAP"/>
      <isofield id="3" length="6" name="Processing code" class="org.jpos.iso.IFE_NUMERIC"/>
      <isofield id="70" length="3" name="Network code" class="org.jpos.iso.IFE_NUMERIC"/>
    </isopackager>"#;
    let spec = loaders::from_jpos_xml(xml).unwrap().build().unwrap();
    assert_eq!(
        spec.bitmap.encoding,
        BitmapEncoding::EbcdicHex(CodePage::Cp1047)
    );
    let wire = hex::decode("4848F0F8F0F0C1F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F4F0F0F0F0F0F0F0F0F0F0F0F0F0F0F9F9F0F0F0F0F3F0F1").unwrap();
    let msg = spec.decode(&wire).unwrap();
    assert_eq!(msg.header(), b"HH");
    assert_eq!(msg.mti().to_string(), "0800");
    assert_eq!(value(&msg, "3"), "990000");
    assert_eq!(value(&msg, "70"), "301");
    reencodes(&msg, &wire);
    // A bitmap character that is not EBCDIC hex is named with its offset.
    let mut bad = wire.clone();
    bad[7] = 0x4B;
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!(err.offset(), 7, "{err}");
}

#[test]
fn unsupported_classes_name_the_field_and_the_class() {
    let gicc = r#"<isopackager>
      <isofield id="0" length="4" class="org.jpos.iso.IFA_NUMERIC"/>
      <isofield id="1" length="16" class="org.jpos.iso.IFA_BITMAP"/>
      <isofieldpackager id="60" length="999" class="org.jpos.iso.IFE_LLLBINARY"
          packager="org.jpos.iso.packager.GICCSubFieldPackager">
        <isofield id="0" length="9" class="org.jpos.iso.IF_CHAR"/>
      </isofieldpackager>
    </isopackager>"#;
    assert_eq!(
        loaders::from_jpos_xml(gicc).unwrap_err(),
        LayoutError::Field {
            field: 60,
            reason: "subfield packager 'GICCSubFieldPackager' is not supported".into()
        }
    );
    let x92 = r#"<isopackager>
      <isofield id="0" length="4" class="org.jpos.iso.IFA_NUMERIC"/>
      <isofield id="1" length="19" class="org.jpos.iso.IFA_FLLNUM"/>
    </isopackager>"#;
    let err = loaders::from_jpos_xml(x92).unwrap_err();
    assert!(
        matches!(&err, LayoutError::Field { field: 1, reason } if reason.contains("IFA_FLLNUM")),
        "{err}"
    );
    let not_a_number = r#"<isopackager>
      <isofield id="0" length="4" class="org.jpos.iso.IFA_NUMERIC"/>
      <isofield id="2" length="19x" class="org.jpos.iso.IFA_LLNUM"/>
    </isopackager>"#;
    assert_eq!(
        loaders::from_jpos_xml(not_a_number).unwrap_err(),
        LayoutError::Field {
            field: 2,
            reason: "length \"19x\" is not a number".into()
        }
    );
    // Six-digit lengths are a prefix form of their own.
    let six = Prefix::ascii(6, 1000);
    assert_eq!(six.capacity(), 999_999);
    assert_eq!(six.wire_len(), 6);
    assert_eq!(
        Prefix {
            encoding: PrefixEncoding::Bcd,
            ..six
        }
        .wire_len(),
        3
    );
}

const FILLED: &str = "30323030343030303030303138303231303030343136343131313131313131313131313131312020200512345F00030123303441434D452020202020202020202020202020202002AABB0000000000003031303032414220202058595A";

#[test]
fn filled_length_classes_take_their_whole_slot() {
    let spec = layout("filled.xml");
    assert_eq!(
        spec.field(2).unwrap().length,
        Length::Filled(Prefix::ascii(2, 19))
    );
    assert_eq!(
        spec.field(48).unwrap().length,
        Length::Filled(Prefix::binary(1, 8))
    );
    // IFB_FLLNUM is an ordinary BCD LL field, its odd pad nibble F.
    assert_eq!(
        spec.field(32).unwrap().length,
        Length::Var(Prefix::bcd(2, 11))
    );

    let wire = hex::decode(FILLED).unwrap();
    let msg = spec.decode(&wire).unwrap();
    for (path, v) in [
        ("2", "4111111111111111"),
        ("32", "12345"),
        ("33", "123"),
        ("43", "ACME"),
        ("48", "AABB"),
        ("62.0", "AB"),
        ("62.1", "XYZ"),
    ] {
        assert_eq!(value(&msg, path), v, "{path}");
    }
    // The prefix and the whole declared length, whatever the value's length.
    assert_eq!(msg.field(2).unwrap().wire().len(), 2 + 19);
    assert_eq!(msg.field(43).unwrap().wire().len(), 2 + 20);
    assert_eq!(msg.field(48).unwrap().wire().len(), 1 + 8);
    assert!(Message::decode_without_fast_path(spec, &wire).unwrap() == msg);
    reencodes(&msg, &wire);

    // Built from values, the fill is written as jPOS writes it.
    let (long, longest) = ("A".repeat(21), "A".repeat(20));
    let mut b = MessageBuilder::new(spec, iso8583_wire::Mti::new(200).unwrap());
    b.set(2, "4111111111111111").unwrap();
    b.set(32, "12345").unwrap();
    b.set(33, "123").unwrap();
    b.set(43, "ACME").unwrap();
    b.set(48, &[0xAA, 0xBB][..]).unwrap();
    b.set(62, "02AB   XYZ").unwrap();
    assert_eq!(hex::encode(&b.to_bytes().unwrap()), FILLED);
    // The declared length is the most a value may have.
    assert!(b.set(43, long.as_str()).is_err());
    assert!(b.set(43, longest.as_str()).is_ok());

    // A length above the declared one is refused at the prefix.
    let mut bad = wire.clone();
    bad[20..22].copy_from_slice(b"20");
    let err = spec.decode(&bad).unwrap_err();
    assert_eq!((err.field(), err.offset()), (Some(2), 20), "{err}");
    // A slot cut short, even inside the fill, is an error naming the field.
    let at = wire.len() - 13 - 5;
    let err = spec.decode(&wire[..at]).unwrap_err();
    assert_eq!(err.field(), Some(48), "{err}");
}
