#![no_main]
//! BER-TLV: iteration, nesting, lookup and validation never panic; whatever validates
//! rebuilds to the same bytes.

use iso8583_wire::tlv::{self, Tag, TlvBuilder, Tlvs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tlv::find(data, Tag::new(0x9F26));
    let _ = tlv::find(data, Tag::new(0x86));
    let mut b = TlvBuilder::new();
    let mut whole = true;
    for item in Tlvs::new(data) {
        match item {
            Ok(t) => {
                let _ = t.children().count();
                let _ = (t.tag.name(), t.tag.is_sensitive(), t.tag.to_string());
                b.put(t.tag, t.value);
            }
            Err(_) => whole = false,
        }
    }
    let rebuilt = b.finish();
    if whole {
        // Lengths may have been written in a longer form than needed: compare content.
        let a: Vec<_> = Tlvs::new(data).map(|t| t.map(|t| (t.tag, t.value.to_vec()))).collect();
        let c: Vec<_> = Tlvs::new(&rebuilt).map(|t| t.map(|t| (t.tag, t.value.to_vec()))).collect();
        assert_eq!(a, c);
    }
    let _ = tlv::validate(data);
});
