//! Checks shared by the layout-loader tests: a field's value by path, and the
//! byte-for-byte re-encoding of a decoded message.

use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder};

/// The unmasked value of a field or subfield path.
pub fn value(msg: &Message<'_>, path: &str) -> String {
    msg.get(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .unwrap_or_else(|| panic!("{path} absent"))
        .value()
        .to_string()
}

/// Building from the decoded fields gives back exactly `wire`.
pub fn reencodes(msg: &Message<'_>, wire: &[u8]) {
    assert_eq!(
        hex::encode(&MessageBuilder::from_message(msg).to_bytes().unwrap()),
        hex::encode(wire)
    );
}
