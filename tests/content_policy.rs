//! Structure strict, text content lenient: what real networks put in free-text fields
//! decodes by default, strict mode refuses it naming the field, and the validator
//! reports it; track data takes the separators terminals send.

use iso8583_wire::spec::ContentMode;
use iso8583_wire::validate::{Code, Validator};
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};

/// The messages of the examples: text that jPOS, moov and pyiso8583 all accept.
/// (layout, field, value)
const EXAMPLES: [(&str, usize, &[u8]); 8] = [
    ("iso87ascii", 37, b"RRN-0001    "),
    ("iso87ascii", 48, b"AB CD"),
    ("iso87ascii", 40, b"4$4"),
    ("iso87binary", 37, b"RRN-0001    "),
    ("iso87binary", 48, b"AB CD"),
    ("iso93ascii", 50, b"!  "),
    ("iso93ascii", 37, b"RRN-0001    "),
    ("cup", 39, b"A-"),
];

fn build(layout: &str, n: usize, value: &[u8]) -> Vec<u8> {
    let spec = layouts::by_name(layout).unwrap();
    let header = vec![0x60; spec.header_len()];
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    b.set_header(&header).unwrap();
    b.set(3, "000000").unwrap().set(11, "000123").unwrap();
    b.set(n, value).unwrap();
    b.to_bytes().unwrap().to_vec()
}

#[test]
fn free_text_with_spaces_and_symbols_decodes_by_default() {
    for (layout, n, value) in EXAMPLES {
        let spec = layouts::by_name(layout).unwrap();
        let wire = build(layout, n, value);
        let msg = Message::decode(spec, &wire).unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(msg.field(n).unwrap().data(), value, "{layout} field {n}");
        assert_eq!(
            msg,
            Message::decode_without_fast_path(spec, &wire).unwrap(),
            "{layout}"
        );
        // The same bytes again from the builder given the decoded value.
        let again = MessageBuilder::from_message(&msg).to_bytes().unwrap();
        assert_eq!(&again[..], &wire[..]);
    }
}

#[test]
fn strict_mode_refuses_each_example_naming_the_field_and_the_offset() {
    for (layout, n, value) in EXAMPLES {
        let spec = layouts::by_name(layout).unwrap();
        let wire = build(layout, n, value);
        let err = Message::decode_with(spec, &wire, ContentMode::Strict).unwrap_err();
        assert_eq!(err.field(), Some(n), "{layout}: {err}");
        // The offset points at the first character outside the class.
        let field = Message::decode(spec, &wire).unwrap().field(n).unwrap();
        let start = field.data().as_ptr() as usize - wire.as_ptr() as usize;
        let bad = value
            .iter()
            .position(|&c| !c.is_ascii_alphanumeric())
            .unwrap();
        // Trailing pad spaces of fixed fields are not the fault.
        assert_eq!(err.offset(), start + bad, "{layout}: {err}");
        // A strict layout refuses it with plain decode.
        let strict_layout: &'static _ =
            Box::leak(Box::new(spec.with_content_mode(ContentMode::Strict)));
        assert_eq!(Message::decode(strict_layout, &wire).unwrap_err(), err);
        // Strict encoding refuses the value too, naming the field.
        let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
        b.set_content_mode(ContentMode::Strict);
        let e = b.set(n, value).map(|_| ()).unwrap_err();
        assert_eq!(e.field(), Some(n), "{layout}: {e}");
    }
}

#[test]
fn the_validator_reports_each_class_violation_with_its_field_and_never_the_value() {
    for (layout, n, value) in EXAMPLES {
        let spec = layouts::by_name(layout).unwrap();
        let wire = build(layout, n, value);
        let msg = Message::decode(spec, &wire).unwrap();
        let report = Validator::new().check(&msg);
        let found: Vec<_> = report
            .iter()
            .filter(|v| v.code == Code::ContentClass)
            .collect();
        assert_eq!(found.len(), 1, "{layout}: {report}");
        assert_eq!(found[0].field, Some(n));
        assert_eq!(Code::ContentClass.as_str(), "content.class");
        let text = String::from_utf8_lossy(value);
        assert!(
            !found[0].detail.contains(text.trim()),
            "{layout}: {}",
            found[0].detail
        );
    }
    // Letters and digits only: nothing to report.
    let wire = build("iso87ascii", 37, b"ABC123456789");
    let msg = Message::decode(&layouts::ISO87_ASCII, &wire).unwrap();
    assert!(!Validator::new().check(&msg).has(Code::ContentClass, None));
}

#[test]
fn structure_is_refused_in_every_mode() {
    // A letter in an n field, a bad length prefix: not content, structure.
    let spec = &layouts::ISO87_ASCII;
    let wire = build("iso87ascii", 48, b"AB CD");
    let eleven = wire.windows(6).position(|w| w == b"000123").unwrap();
    let mut letter = wire.clone();
    letter[eleven + 2] = b'X';
    let prefix = wire.windows(5).position(|w| w == b"AB CD").unwrap() - 3;
    let mut bad_prefix = wire.clone();
    bad_prefix[prefix] = b' ';
    for mode in [ContentMode::Lenient, ContentMode::Strict] {
        let e = Message::decode_with(spec, &letter, mode).unwrap_err();
        assert_eq!((e.field(), e.offset()), (Some(11), eleven + 2), "{e}");
        let e = Message::decode_with(spec, &bad_prefix, mode).unwrap_err();
        assert_eq!((e.field(), e.offset()), (Some(48), prefix), "{e}");
    }
}

#[test]
fn text_is_iso_8859_1_and_control_bytes_are_accepted_leniently() {
    // Field 43 with an e-acute (0xE9) and a tab: decodes, displays as Latin-1.
    let name = *b"CAF\xC9 DE LA GARE\tPARIS                 FR";
    let wire = build("iso87ascii", 43, &name);
    let msg = Message::decode(&layouts::ISO87_ASCII, &wire).unwrap();
    let f = msg.field(43).unwrap();
    assert_eq!(f.data(), &name);
    assert_eq!(f.as_str(), None, "0xC9 is not ASCII");
    assert!(f.value().to_string().starts_with("CAF\u{C9} DE LA GARE\t"));
    let e = Message::decode_with(&layouts::ISO87_ASCII, &wire, ContentMode::Strict).unwrap_err();
    // 0xC9 is printable Latin-1 (ans allows it); the tab is the fault.
    assert_eq!(
        e.offset(),
        f.data().as_ptr() as usize - wire.as_ptr() as usize + 15
    );
}

#[test]
fn track_2_takes_the_equals_sign_or_d_as_the_separator() {
    for sep in [b'=', b'D'] {
        let mut track = b"4761739001010119=25122011143804400".to_vec();
        track[16] = sep;
        for layout in ["iso87ascii", "iso93ascii", "iso87binary"] {
            let spec = layouts::by_name(layout).unwrap();
            for mode in [ContentMode::Lenient, ContentMode::Strict] {
                let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
                b.set_content_mode(mode);
                b.set(35, track.as_slice()).unwrap();
                let wire = b.to_bytes().unwrap().to_vec();
                let msg = Message::decode_with(spec, &wire, mode).unwrap();
                let value: Vec<u8> = msg.field(35).unwrap().symbols().collect();
                // In packed BCD the separator is nibble D, read back as '='.
                let expected_sep = if layout == "iso87binary" { b'=' } else { sep };
                assert_eq!(value[16], expected_sep, "{layout}");
                assert_eq!(value[..16], track[..16]);
                // Masked: the PAN window and the separator, nothing after it.
                let masked = msg.field(35).unwrap().masked().to_string();
                assert_eq!(
                    &masked[..17],
                    &format!("476173******0119{}", expected_sep as char)
                );
                assert!(masked[17..].bytes().all(|c| c == b'*'), "{masked}");
            }
        }
    }
    // Other letters are not track data, in any mode.
    let mut b = MessageBuilder::new(&layouts::ISO87_ASCII, Mti::new(200).unwrap());
    assert!(b.set(35, "4761739001010119X2512").is_err());
}

#[test]
fn currency_codes_are_three_letters_or_three_digits_in_strict_mode() {
    for (value, strict_ok) in [
        ("840", true),
        ("USD", true),
        ("EU", true), // padded with a space
        ("US1", false),
        ("8A0", false),
        ("U-D", false),
    ] {
        for layout in ["iso87ascii", "iso93ascii", "iso87binary"] {
            let spec = layouts::by_name(layout).unwrap();
            let wire = build(layout, 49, value.as_bytes());
            assert!(
                Message::decode(spec, &wire).is_ok(),
                "lenient {layout} {value}"
            );
            let strict = Message::decode_with(spec, &wire, ContentMode::Strict);
            assert_eq!(strict.is_ok(), strict_ok, "{layout} {value}: {strict:?}");
            if let Err(e) = strict {
                assert_eq!(e.field(), Some(49));
            }
            let report = Validator::new().check(&Message::decode(spec, &wire).unwrap());
            assert_eq!(
                report.has(Code::ContentClass, Some(49)),
                !strict_ok,
                "{value}"
            );
            let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
            b.set_content_mode(ContentMode::Strict);
            assert_eq!(b.set(49, value).is_ok(), strict_ok, "strict encode {value}");
        }
    }
}
