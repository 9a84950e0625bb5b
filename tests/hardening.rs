//! Regression tests for hostile inputs and masking gaps found in review.

use iso8583_wire::mti::MtiEncoding;
use iso8583_wire::spec::{
    BitmapEncoding, BitmapSpec, Composite, Content, Encoding, FieldSpec, MessageSpec, Prefix,
    TlvForm, TlvPart,
};
use iso8583_wire::{MessageBuilder, Mti, layouts};

#[test]
fn constructed_tags_holding_card_data_are_masked() {
    // Tag 70 (constructed) holding 5A (PAN) inside field 55 of the cup layout.
    let mut b = MessageBuilder::new(&layouts::CUP, Mti::new(200).unwrap());
    b.set_header(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 1, 0])
        .unwrap();
    b.set(55, "700A5A084111111111111111").unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = layouts::CUP.decode(&wire).unwrap();
    let dump = msg.dump().to_string();
    assert!(!dump.contains("4111111111111111"), "{dump}");
    let t70 = msg.get("55.70").unwrap().unwrap();
    assert!(!t70.to_string().contains("41111111"), "{t70}");
    assert!(!format!("{t70:?}").contains("41111111"));
    // Shown in full on request.
    assert!(t70.value().to_string().contains("4111111111111111"));
}

#[test]
fn track_1_with_separators_decodes_in_1987_layouts() {
    let mut b = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    b.set(45, "B4111111111111111^DOE/JOHN^2512101").unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = layouts::ISO87_ASCII.decode(&wire).unwrap();
    let shown = msg.field(45).unwrap().to_string();
    assert!(
        !shown.contains("DOE") && !shown.contains("4111111111111111"),
        "{shown}"
    );
}

static ZERO_TLV: Composite<'static> = Composite::Tlv(TlvForm::Simple {
    tag: TlvPart::Ascii(0),
    length: TlvPart::Ascii(0),
});
static ZERO_FIELDS: [Option<FieldSpec<'static>>; 65] = {
    let mut f = [None; 65];
    f[48] = Some(
        FieldSpec::var("Odd", Content::Ans, Encoding::Ascii, Prefix::ascii(3, 999))
            .with_subfields(&ZERO_TLV),
    );
    f
};
static ZERO: MessageSpec<'static> = MessageSpec::new(
    "zero",
    "zero-width TLV parts",
    &[],
    MtiEncoding::Ascii,
    BitmapSpec::new(BitmapEncoding::HexAscii, 1),
    &ZERO_FIELDS,
);

#[test]
fn zero_width_tlv_parts_are_an_error_not_a_hang() {
    let mut b = MessageBuilder::new(&ZERO, Mti::new(200).unwrap());
    b.set(48, "abc").unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = ZERO.decode(&wire).unwrap();
    let parts: Vec<_> = msg.field(48).unwrap().parts().take(5).collect();
    assert_eq!(parts.len(), 1);
    assert!(parts[0].is_err());
    assert!(msg.get("48.x").is_err());
    let _ = msg.dump().to_string();
}

#[cfg(feature = "std")]
#[test]
fn journal_numbers_at_the_limit_are_corrupt_not_a_panic() {
    use iso8583_wire::pos::JournalConfig;
    use iso8583_wire::pos::journal::inspect;
    let body = "S 18446744073709551615";
    let crc = {
        // The journal's CRC-32 over the body.
        let mut c = !0u32;
        for &b in body.as_bytes() {
            c ^= u32::from(b);
            for _ in 0..8 {
                let m = (c & 1).wrapping_neg();
                c = (c >> 1) ^ (0xEDB8_8320 & m);
            }
        }
        !c
    };
    let text = format!("{body} {crc:08x}\n");
    let config = JournalConfig::new(&layouts::ISO87_ASCII);
    assert!(inspect(text.as_bytes(), &config).is_err());
}

#[cfg(feature = "moov")]
#[test]
fn moov_layouts_mask_track_and_pan_fields() {
    use iso8583_wire::spec::Sensitivity;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/layouts/iso87ascii.moov.json"
    ))
    .unwrap();
    let def = iso8583_wire::loaders::from_moov_json(&text).unwrap();
    assert_eq!(def.fields[&35].sensitivity, Sensitivity::Track);
    assert_eq!(def.fields[&2].sensitivity, Sensitivity::Pan);
    assert_eq!(def.fields[&52].sensitivity, Sensitivity::Secret);
}
