//! Unit tests.

use super::*;
use std::string::ToString;

#[test]
fn multi_byte_tags_and_long_lengths() {
    // 3-byte tag DF8101 with a 0x81-form length of 130.
    let mut data = [0u8; 4 + 2 + 130];
    data[..5].copy_from_slice(&[0xDF, 0x81, 0x01, 0x81, 130]);
    let items: std::vec::Vec<_> = Tlvs::new(&data[..135]).collect();
    assert_eq!(items.len(), 1);
    let t = items[0].unwrap();
    assert_eq!(t.tag, Tag::new(0xDF8101));
    assert_eq!(t.value.len(), 130);
    assert_eq!(t.value_offset, 5);
}

#[test]
fn malformed_data_names_the_offset() {
    let data = [0x9F, 0x27, 0x01, 0x80, 0x95, 0x05, 0, 0];
    let err = Tlvs::new(&data).find_map(Result::err).unwrap();
    assert_eq!(err.offset, 4);
    assert_eq!(
        err.kind,
        TlvErrorKind::ValueBeyondEnd {
            length: 5,
            available: 2
        }
    );
    assert_eq!(
        Tlvs::new(&[0x9F]).next(),
        Some(Err(TlvError {
            offset: 0,
            kind: TlvErrorKind::TruncatedTag
        }))
    );
    assert_eq!(
        Tlvs::new(&[0x9F, 0x81, 0x82, 0x83, 0x01, 0x00])
            .next()
            .unwrap()
            .unwrap_err()
            .kind,
        TlvErrorKind::TagTooLong
    );
    assert_eq!(
        Tlvs::new(&[0x95, 0x80]).next().unwrap().unwrap_err().kind,
        TlvErrorKind::BadLengthForm(0x80)
    );
}

#[test]
fn nested_lookup_and_header_round_trip() {
    let data = [0x71, 0x07, 0x9F, 0x18, 0x04, 1, 2, 3, 4];
    let found = find(&data, Tag::new(0x9F18)).unwrap().unwrap();
    assert_eq!(found.value, &[1, 2, 3, 4]);
    assert_eq!(found.offset, 2);
    for len in [0usize, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000] {
        let mut h = [0u8; 9];
        let n = write_header(Tag::new(0x9F26), len, &mut h);
        let mut buf = std::vec::Vec::from(&h[..n]);
        buf.resize(n + len, 0);
        let t = Tlvs::new(&buf).next().unwrap().unwrap();
        assert_eq!((t.tag, t.value.len()), (Tag::new(0x9F26), len));
    }
    assert_eq!(Tag::from_hex("9F26"), Some(Tag::new(0x9F26)));
    assert_eq!(Tag::new(0x5A).to_string(), "5A");
    assert!(Tag::new(0x5A).is_sensitive() && !Tag::new(0x9F26).is_sensitive());
}
