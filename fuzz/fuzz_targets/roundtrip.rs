#![no_main]
//! Any layout (chosen by the first byte): decode -> encode -> decode stability, and
//! building every decoded field into a fresh builder reproduces the bytes.

mod common;

use iso8583_wire::{MessageBuilder, layouts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let spec = layouts::ALL[usize::from(which) % layouts::ALL.len()];
    common::check_decode(spec, rest);
    if let Ok(msg) = spec.decode(rest) {
        let mut b = MessageBuilder::new(spec, msg.mti());
        b.set_header(msg.header()).expect("header length");
        for f in msg.fields() {
            b.set(f.number(), f).expect("a decoded field fits its own layout");
        }
        let copy = b.to_bytes().expect("encodes");
        assert!(spec.decode(&copy).expect("decodes") == msg);
    }
});
