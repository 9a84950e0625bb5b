//! Unit tests.

use super::*;
use std::vec::Vec;

#[test]
fn every_header_form_round_trips() {
    for header in [
        LengthHeader::Binary2,
        LengthHeader::Binary4,
        LengthHeader::Bcd2,
        LengthHeader::Ascii4,
    ] {
        for framing in [Framing::new(header), Framing::new(header).counting_itself()] {
            let mut out = Vec::new();
            framing.encode(&[7u8; 300], &mut out).unwrap();
            assert_eq!(out.len(), header.len() + 300);
            let (payload, used) = framing.parse(&out).unwrap().unwrap();
            assert_eq!((payload.len(), used), (300, out.len()));
        }
    }
    let bcd = Framing::new(LengthHeader::Bcd2);
    assert_eq!(bcd.header_for(1234).unwrap().0[..2], [0x12, 0x34]);
    let f = Framing::new(LengthHeader::Binary2).counting_itself();
    assert_eq!(f.header_for(10).unwrap().0[..2], [0, 12]);
}

#[test]
fn bad_headers_and_limits() {
    let ascii = Framing::new(LengthHeader::Ascii4);
    assert_eq!(
        ascii.parse(b"00x1abc"),
        Err(FrameError::BadHeader {
            position: 2,
            found: b'x'
        })
    );
    let bcd = Framing::new(LengthHeader::Bcd2);
    assert_eq!(
        bcd.parse(&[0x0A, 0x00]),
        Err(FrameError::BadHeader {
            position: 0,
            found: 0x0A
        })
    );
    let small = Framing::new(LengthHeader::Binary2).with_max_payload(100);
    assert_eq!(
        small.parse(&[0x01, 0x00]),
        Err(FrameError::TooLarge {
            length: 256,
            max: 100
        })
    );
    assert!(small.header_for(101).is_err());
    let own = Framing::new(LengthHeader::Binary2).counting_itself();
    assert_eq!(
        own.parse(&[0, 1]),
        Err(FrameError::TooShort {
            length: 1,
            header: 2
        })
    );
    assert!(
        Framing::new(LengthHeader::Bcd2)
            .with_max_payload(20_000)
            .header_for(10_000)
            .is_err()
    );
}
