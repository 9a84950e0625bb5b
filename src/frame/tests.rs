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

/// The largest maxima: a 4-byte header announcing `u32::MAX` (plus or minus its own
/// size), under a maximum of `usize::MAX`, neither wraps nor panics on any width; the
/// splitter waits for data instead of reserving what the header announces.
#[test]
fn largest_maxima_never_overflow() {
    let all = [0xFFu8; 4];
    for framing in [
        Framing::new(LengthHeader::Binary4).with_max_payload(usize::MAX),
        Framing::new(LengthHeader::Binary4)
            .counting_itself()
            .with_max_payload(usize::MAX),
        Framing::new(LengthHeader::Binary4).with_max_payload(usize::MAX - 3),
    ] {
        let own = if framing.counts_itself { 4 } else { 0 };
        let announced = u32::MAX as usize - own;
        // Whole-buffer parse: the header is read, the payload is simply not there.
        assert_eq!(framing.payload_len(&all), Ok(Some(announced)));
        assert_eq!(framing.parse(&all), Ok(None));
        // Streaming: no frame, no error, and the buffer does not balloon.
        let mut s = FrameSplitter::new(framing);
        s.push(&all);
        s.push(&[0x55; 100]);
        assert_eq!(s.next_frame(), Ok(None));
        assert_eq!(s.next_frame(), Ok(None));
        assert_eq!(s.buffered(), 104);
        // The encoder refuses what no header can announce, without summing past the
        // end of the integer.
        for len in [
            usize::MAX,
            usize::MAX - 1,
            usize::MAX - 4,
            u32::MAX as usize + 1,
        ] {
            assert!(framing.header_for(len).is_err(), "{len}");
        }
        assert!(framing.header_for(announced).is_ok());
        assert!(framing.header_for(announced + 1).is_err());
    }
    // The tokio-style splitter on a header of the largest value with the default limit
    // reports the limit.
    let mut s = FrameSplitter::new(Framing::new(LengthHeader::Binary4));
    s.push(&all);
    assert_eq!(
        s.next_frame(),
        Err(FrameError::TooLarge {
            length: u32::MAX as usize,
            max: 8192
        })
    );
    // The header check itself on every header form, at its largest value.
    for (header, raw) in [
        (LengthHeader::Binary2, &[0xFF, 0xFF][..]),
        (LengthHeader::Bcd2, &[0x99, 0x99][..]),
        (LengthHeader::Ascii4, &b"9999"[..]),
    ] {
        let f = Framing::new(header)
            .counting_itself()
            .with_max_payload(usize::MAX);
        assert_eq!(
            f.payload_len(raw),
            Ok(Some(header.capacity() - header.len()))
        );
        assert!(f.header_for(usize::MAX).is_err());
    }
}
