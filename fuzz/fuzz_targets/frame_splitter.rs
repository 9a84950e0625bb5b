#![no_main]
//! The frame splitter, fed in chunks whose sizes come from the input, never panics and
//! yields the same frames as parsing the whole buffer at once.

use iso8583_wire::frame::{FrameSplitter, Framing, LengthHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let header = [LengthHeader::Binary2, LengthHeader::Binary4, LengthHeader::Bcd2, LengthHeader::Ascii4]
        [usize::from(control & 3)];
    let mut framing = Framing::new(header).with_max_payload(512);
    if control & 4 != 0 {
        framing = framing.counting_itself();
    }
    // Whole-buffer parse.
    let mut expected = Vec::new();
    let mut at = rest;
    while let Ok(Some((payload, used))) = framing.parse(at) {
        expected.push(payload.to_vec());
        at = &at[used..];
    }
    // Chunked.
    let mut s = FrameSplitter::new(framing);
    let mut got = Vec::new();
    let chunk = usize::from(control >> 3) + 1;
    for piece in rest.chunks(chunk) {
        s.push(piece);
        while let Ok(Some(f)) = s.next_frame() {
            got.push(f.to_vec());
        }
    }
    assert_eq!(got, expected);
});
