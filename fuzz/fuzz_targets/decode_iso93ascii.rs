#![no_main]
//! Decode as iso93ascii: never panics; decode -> encode -> decode is stable.

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::check_decode(&iso8583_wire::layouts::ISO93_ASCII, data);
});
