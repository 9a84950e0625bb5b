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
