//! UnionPay fields 43 and 56 carry GBK text: shown as text in dumps, JSON and the CLI,
//! and encoded back to the same bytes, whatever the bytes are.

#![cfg(all(feature = "gbk", feature = "serde"))]

use iso8583_wire::layouts::CUP;
use iso8583_wire::spec::ContentMode;
use iso8583_wire::wire::gbk;
use iso8583_wire::{Message, MessageBuilder, Mti, json};

const HEADER: [u8; 11] = [0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 1, 0];

/// "Beijing Chaoyang, shop 12" in GBK, padded to field 43's 40 bytes.
fn merchant() -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode("北京市朝阳区 12号店");
    assert!(!bad);
    let mut v = bytes.into_owned();
    v.resize(40, b' ');
    v
}

fn message(f43: &[u8], f56: &[u8]) -> Vec<u8> {
    let mut b = MessageBuilder::new(&CUP, Mti::new(200).unwrap());
    b.set_header(&HEADER).unwrap();
    b.set(3, "000000").unwrap().set(11, 7).unwrap();
    b.set(43, f43).unwrap().set(56, f56).unwrap();
    b.to_bytes().unwrap().to_vec()
}

#[test]
fn gbk_text_is_shown_as_text_and_encodes_back_to_the_same_bytes() {
    let wire = message(&merchant(), b"\xB2\xE2\xCA\xD4 \\ test");
    let msg = Message::decode(&CUP, &wire).unwrap();
    let f43 = msg.field(43).unwrap();
    assert!(
        f43.value().to_string().starts_with("北京市朝阳区 12号店"),
        "{}",
        f43.value()
    );
    assert_eq!(
        f43.data(),
        merchant().as_slice(),
        "the raw bytes stay available"
    );
    // A backslash in the text is doubled, so the text form is unambiguous.
    assert_eq!(msg.field(56).unwrap().value().to_string(), "测试 \\\\ test");
    assert!(msg.dump().to_string().contains("北京市朝阳区"));
    // JSON and back.
    let value = json::to_json(&msg, false);
    assert!(
        value["fields"]["43"]
            .as_str()
            .unwrap()
            .starts_with("北京市")
    );
    assert_eq!(json::encode_json(&CUP, &value).unwrap(), wire);
    // The builder takes the text form too.
    let mut b = MessageBuilder::new(&CUP, Mti::new(200).unwrap());
    b.set_header(&HEADER).unwrap();
    b.set(3, "000000").unwrap().set(11, 7).unwrap();
    b.set(43, "北京市朝阳区 12号店").unwrap();
    b.set(56, "测试 \\\\ test").unwrap();
    assert_eq!(b.to_bytes().unwrap().to_vec(), wire);
}

#[test]
fn bytes_that_are_not_gbk_round_trip_through_the_escaped_form() {
    let junk: Vec<u8> = (0x80..=0xFF).collect();
    let wire = message(&merchant(), &junk);
    let msg = Message::decode(&CUP, &wire).unwrap();
    let text = msg.field(56).unwrap().value().to_string();
    assert!(text.contains("\\xFF"), "{text}");
    assert_eq!(gbk::to_bytes(&text).unwrap(), junk);
    let value = json::to_json(&msg, true);
    assert_eq!(json::encode_json(&CUP, &value).unwrap(), wire);
    // Strict mode refuses bytes that are not GBK, naming the field.
    let err = Message::decode_with(&CUP, &wire, ContentMode::Strict).unwrap_err();
    assert_eq!(err.field(), Some(56));
    // Every single byte value, alone and after a GBK lead byte.
    for b in 0..=255u8 {
        for bytes in [vec![b], vec![0xB2, b], vec![b, b'\\']] {
            let text = gbk::to_text(&bytes);
            assert_eq!(
                gbk::to_bytes(&text).unwrap(),
                bytes,
                "{bytes:02X?} as {text:?}"
            );
        }
    }
    // A malformed escape is an error, not a guess.
    assert!(gbk::to_bytes("a\\q").is_err());
    assert!(gbk::to_bytes("a\\x4").is_err());
}

#[test]
fn in_strict_mode_the_builder_refuses_bytes_that_are_not_gbk_as_the_decoder_does() {
    let mut b = MessageBuilder::new(&CUP, Mti::new(200).unwrap());
    b.set_content_mode(ContentMode::Strict);
    b.set_header(&HEADER).unwrap();
    // 0xFF is Latin-1 (y with diaeresis) but no GBK byte.
    let err = b.set(56, &b"ab\xFFcd"[..]).unwrap_err();
    assert_eq!(err.field(), Some(56));
    assert_eq!(
        err.to_string(),
        "field 56: character at position 2 is not GBK text"
    );
    // Whole GBK characters are taken, and the message decodes in strict mode.
    b.set(56, &b"\xB2\xE2\xCA\xD4 ok"[..]).unwrap();
    let wire = b.to_bytes().unwrap();
    let msg = Message::decode_with(&CUP, &wire, ContentMode::Strict).unwrap();
    assert_eq!(msg.field(56).unwrap().data(), b"\xB2\xE2\xCA\xD4 ok");
    // In the lenient default the bytes are kept as they are, and decode back.
    let mut lenient = MessageBuilder::new(&CUP, Mti::new(200).unwrap());
    lenient.set_header(&HEADER).unwrap();
    lenient.set(56, &b"ab\xFFcd"[..]).unwrap();
    let wire = lenient.to_bytes().unwrap();
    assert_eq!(
        CUP.decode(&wire).unwrap().field(56).unwrap().data(),
        b"ab\xFFcd"
    );
}
