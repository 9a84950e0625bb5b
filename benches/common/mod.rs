//! Shared by the benches that compare this crate with its peers: the reference 0200
//! and the `iso_8583_rs` layout for it.

use std::collections::HashMap;

/// The reference 0200 purchase (iso87ascii).
pub const REFERENCE_0200: &[u8] = b"02007238048008C080001641111111111111110000000000000100001122102030123456102030112205100123456789012TERM0001MERCHANT0000001840";

/// (field, content, length type, max length) for the fields of the reference message,
/// as the 1987 ASCII layout defines them.
const FIELDS: [(i64, &str, &str, usize); 13] = [
    (2, "n", "llvar", 19),
    (3, "n", "fixed", 6),
    (4, "n", "fixed", 12),
    (7, "n", "fixed", 10),
    (11, "n", "fixed", 6),
    (12, "n", "fixed", 6),
    (13, "n", "fixed", 4),
    (22, "n", "fixed", 3),
    (25, "n", "fixed", 2),
    (37, "an", "fixed", 12),
    (41, "ans", "fixed", 8),
    (42, "ans", "fixed", 15),
    (49, "an", "fixed", 3),
];

pub fn peer_spec() -> iso_8583_rs::CompiledSpec {
    let fields: HashMap<i64, iso_8583_rs::specfile::FieldDescription> = FIELDS
        .iter()
        .map(|&(n, c, l, m)| {
            (
                n,
                iso_8583_rs::specfile::FieldDescription {
                    content_type: c.into(),
                    max_len: m,
                    min_len: 0,
                    len_type: l.into(),
                    label: String::new(),
                },
            )
        })
        .collect();
    iso_8583_rs::CompiledSpec::compile(&iso_8583_rs::specfile::Spec { fields })
        .expect("peer spec compiles")
}

/// The values of the 64-field message: every field 2-64 of iso87ascii (63 data fields
/// after the bitmap), as a user hands them to a builder: text for text fields, raw
/// bytes for the binary fields 52 and 64. Variable fields carry 20 units or their
/// maximum, whichever is less; text values mix letters, digits, spaces and symbols.
#[allow(dead_code)]
pub fn sixty_four_field_values() -> Vec<(usize, Vec<u8>)> {
    use iso8583_wire::layouts::ISO87_ASCII;
    use iso8583_wire::spec::{Content, Length};
    let mut values = Vec::new();
    for n in 2..=64 {
        let f = ISO87_ASCII
            .field(n)
            .expect("iso87ascii defines fields 2-64");
        let len = match f.length {
            Length::Fixed(n) => n as usize,
            _ => f.max_units().min(20),
        };
        let value: Vec<u8> = match f.content {
            Content::N | Content::Ns => (0..len).map(|i| b'0' + (i % 10) as u8).collect(),
            Content::Z => {
                let mut v: Vec<u8> = (0..len).map(|i| b'0' + (i % 10) as u8).collect();
                if len > 17 {
                    v[16] = b'=';
                }
                v
            }
            Content::Xn => {
                let mut v = vec![b'0'; len];
                v[0] = b'C';
                v
            }
            Content::B => (0..len).map(|i| (i * 37) as u8).collect(),
            Content::A => cycle(b"AB cd EF ", len),
            Content::An => cycle(b"AB 12 cd 34 ", len),
            _ => cycle(b"AB 12-CD/ef.GH*ij: ", len),
        };
        values.push((n, value));
    }
    values
}

fn cycle(pattern: &[u8], len: usize) -> Vec<u8> {
    pattern.iter().copied().cycle().take(len).collect()
}

/// An `iso_8583_rs` layout matching `spec` for the fields in `wire`: the peer's content
/// classes where it has them (n, a, an, ans; anything else unchecked), and the wire
/// length of each field in characters (a binary field in hex-ASCII takes two).
#[allow(dead_code)]
pub fn peer_spec_from(msg: &iso8583_wire::Message<'_>) -> iso_8583_rs::CompiledSpec {
    use iso8583_wire::spec::{Content, Length};
    let fields: HashMap<i64, iso_8583_rs::specfile::FieldDescription> = msg
        .fields()
        .map(|f| {
            let s = f.spec();
            let content = match s.content {
                Content::N => "n",
                Content::A => "a",
                Content::An => "an",
                Content::Ans => "ans",
                _ => "b",
            };
            let (len_type, max_len) = match s.length {
                Length::Var(p) => (
                    match p.digits {
                        2 => "llvar",
                        3 => "lllvar",
                        _ => "llllvar",
                    },
                    if s.content == Content::B {
                        2 * s.max_units()
                    } else {
                        s.max_units()
                    },
                ),
                _ => ("fixed", f.data().len()),
            };
            (
                f.number() as i64,
                iso_8583_rs::specfile::FieldDescription {
                    content_type: content.into(),
                    max_len,
                    min_len: 0,
                    len_type: len_type.into(),
                    label: String::new(),
                },
            )
        })
        .collect();
    iso_8583_rs::CompiledSpec::compile(&iso_8583_rs::specfile::Spec { fields })
        .expect("peer spec compiles")
}

/// An `i8583` layout with the wire sizes of the fields of `msg` (it checks no content).
#[allow(dead_code)]
pub fn i8583_spec_from(msg: &iso8583_wire::Message<'_>) -> [Option<i8583::data::Spec>; 129] {
    use i8583::data::{Size, Spec, Type};
    use iso8583_wire::spec::Length;
    std::array::from_fn(|n| {
        if n == 0 {
            return Some(Spec {
                data_type: Type::NUM,
                data_size: Size::FIXED(4),
            });
        }
        if n == 1 {
            return Some(Spec {
                data_type: Type::BIN,
                data_size: Size::BMP,
            });
        }
        let f = msg.field(n)?;
        let wire_max = |s: &iso8583_wire::spec::FieldSpec<'_>| {
            if s.content.is_text() {
                s.max_units() as u16
            } else {
                2 * s.max_units() as u16
            }
        };
        let data_size = match f.spec().length {
            Length::Var(p) => match p.digits {
                2 => Size::LL(wire_max(f.spec())),
                3 => Size::LLL(wire_max(f.spec())),
                _ => Size::LLLL(wire_max(f.spec())),
            },
            _ => Size::FIXED(f.data().len() as u16),
        };
        Some(Spec {
            data_type: Type::ANS,
            data_size,
        })
    })
}
