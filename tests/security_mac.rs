//! MACs on every built-in layout: the builder fills the MAC field when it encodes,
//! the decoded message verifies it, and any flipped bit of the MAC block or the MAC
//! fails verification.

#![cfg(feature = "crypto")]

use iso8583_wire::layouts;
use iso8583_wire::security::mac::MacAlgorithm;
use iso8583_wire::security::{Error, Key};
use iso8583_wire::{Message, MessageBuilder, Mti};

fn key_for(layout: &str) -> (MacAlgorithm, Key) {
    if layout == "cup" {
        (
            MacAlgorithm::UnionPayEcb,
            Key::des_from_hex("2222222222222222").unwrap(),
        )
    } else {
        (
            MacAlgorithm::ANSI_X9_19,
            Key::des_from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap(),
        )
    }
}

#[test]
fn every_layout_round_trips_a_mac_and_refuses_any_flipped_bit() {
    for spec in layouts::ALL {
        let (alg, key) = key_for(spec.name);
        for secondary in [false, true] {
            let header = vec![0x60; spec.header_len()];
            let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
            b.set_header(&header).unwrap();
            b.set(2, "4761739001010119").unwrap();
            b.set(3, "000000").unwrap();
            b.set(4, 1500).unwrap();
            b.set(11, 42).unwrap();
            b.set(41, "TERM0001").unwrap();
            if secondary && spec.max_field() > 64 && spec.field(100).is_some() {
                b.set(100, "12345").unwrap();
            }
            let wire = b.to_bytes_with_mac(alg, &key).unwrap();
            let msg = Message::decode(spec, &wire).unwrap();
            let mac_field = if msg.field_numbers().any(|n| n > 64) {
                128
            } else {
                64
            };
            assert!(
                msg.has(mac_field),
                "{}: MAC in field {mac_field}",
                spec.name
            );
            msg.verify_mac(alg, &key)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            // Another key does not verify.
            let other = if spec.name == "cup" {
                Key::des_from_hex("3333333333333333").unwrap()
            } else {
                Key::des_from_hex("FEDCBA98765432100123456789ABCDEF").unwrap()
            };
            assert!(matches!(
                msg.verify_mac(alg, &other),
                Err(Error::MacMismatch)
            ));
            // Every bit after the header: the MAC block and the MAC itself.
            let mac_data = msg.field(mac_field).unwrap().data();
            let mac_start = mac_data.as_ptr() as usize - wire.as_ptr() as usize;
            let mut flipped = 0;
            for i in spec.header_len()..wire.len() {
                for bit in 0..8 {
                    // Hex-ASCII MACs read in either case: 'A' and 'a' are the same MAC.
                    let in_mac = (mac_start..mac_start + mac_data.len()).contains(&i);
                    if in_mac && bit == 5 && wire[i].is_ascii_alphabetic() {
                        continue;
                    }
                    let mut bad = wire.clone();
                    bad[i] ^= 1 << bit;
                    // A flip may make the message undecodable: that is refusal too.
                    if let Ok(m) = Message::decode(spec, &bad) {
                        assert!(
                            m.verify_mac(alg, &key).is_err(),
                            "{}: bit {bit} of byte {i} flipped and still verified",
                            spec.name
                        );
                        flipped += 1;
                    }
                }
            }
            assert!(
                flipped > 50,
                "{}: only {flipped} decodable flips",
                spec.name
            );
        }
    }
}
