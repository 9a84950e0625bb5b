//! Messages carrying known card data (PAN, track 2, PIN block) in fields 2, 35, 52 and
//! 55 (tags 5A, 57, 99), in every built-in layout, and seeded mutations of them; plus
//! the check that a text shows none of the card data.

#![allow(dead_code)]

use iso8583_wire::spec::MessageSpec;
use iso8583_wire::{MessageBuilder, Mti, layouts};

/// The PAN: 476173 (may be shown) 035829 (never) 1747 (may be shown).
pub const PAN: &str = "4761730358291747";
/// Track 2 discretionary data.
pub const DISCRETIONARY: &str = "9876543210";
/// The (enciphered) PIN block, in field 52 and tag 99.
pub const PIN_BLOCK: &str = "5C1E93A07F2B64D8";

/// Field 55: a cryptogram, issuer application data before the card data (so that a
/// damaged length can swallow it), then 5A, 57, 99 and a few public tags.
pub fn icc_hex() -> String {
    let track2 = format!("{PAN}D2512201{DISCRETIONARY}");
    [
        "9F2608C2B6A1D0E43F7788".to_string(),
        "9F100706010A03A00000".to_string(),
        format!("5A08{PAN}"),
        format!("57{:02X}{track2}", track2.len() / 2),
        format!("9908{PIN_BLOCK}"),
        "9F2701809505008004800082023C00".to_string(),
    ]
    .concat()
}

/// The base message of `spec`: a purchase with the card data in 2, 35, 52, 55.
pub fn base(spec: &'static MessageSpec<'static>) -> Vec<u8> {
    let mut b = MessageBuilder::new(spec, Mti::new(200).unwrap());
    if spec.name == layouts::CUP.name {
        b.set_header(&[0x60, 0, 3, 0, 0, 0x60, 0x31, 0, 0x31, 1, 0])
            .unwrap();
    }
    b.set(2, PAN).unwrap();
    b.set(3, "000000").unwrap();
    b.set(4, "000000001000").unwrap();
    b.set(11, "000123").unwrap();
    b.set(22, "051").unwrap();
    b.set(35, format!("{PAN}=2512201{DISCRETIONARY}").as_str())
        .unwrap();
    b.set(41, "TERM0001").unwrap();
    b.set(42, "MERCHANT0000001").unwrap();
    b.set(49, "156").unwrap();
    b.set(52, PIN_BLOCK).unwrap();
    b.set(55, icc_hex().as_str()).unwrap();
    b.to_bytes().unwrap().to_vec()
}

/// The four built-in layouts.
pub fn layouts() -> [&'static MessageSpec<'static>; 4] {
    [
        &layouts::ISO87_ASCII,
        &layouts::ISO87_BINARY,
        &layouts::ISO93_ASCII,
        &layouts::CUP,
    ]
}

/// The strings no masked output may contain: every 6-digit window of the PAN but
/// the first (digits 1-6 are shown), the discretionary data's 8-digit windows, and
/// the PIN block's 8-character windows.
pub fn secrets() -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..=PAN.len() - 6 {
        out.push(PAN[i..i + 6].to_string());
    }
    for i in 0..=DISCRETIONARY.len() - 8 {
        out.push(DISCRETIONARY[i..i + 8].to_string());
    }
    for i in 0..=PIN_BLOCK.len() - 8 {
        out.push(PIN_BLOCK[i..i + 8].to_string());
    }
    out
}

/// The first secret `text` shows (compared without case), if any.
pub fn leak<'s>(text: &str, secrets: &'s [String]) -> Option<&'s str> {
    let upper = text.to_ascii_uppercase();
    secrets
        .iter()
        .find(|s| upper.contains(s.as_str()))
        .map(String::as_str)
}

/// A small seeded generator (xorshift64*), so that every run feeds the same mutants.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random mutation of `wire`, biased towards `hot` (the bytes of field 55 and
/// its prefix): a byte replaced (by a hex character where the byte is one, so that
/// text layouts still decode), a bit flipped, a small delta (a length off by a few),
/// a byte inserted or removed; sometimes two at once.
pub fn mutate(rng: &mut Rng, wire: &[u8], hot: std::ops::Range<usize>) -> Vec<u8> {
    let mut out = wire.to_vec();
    let rounds = 1 + usize::from(rng.below(4) == 0);
    for _ in 0..rounds {
        if out.is_empty() {
            break;
        }
        let at = if rng.below(3) > 0 && !hot.is_empty() && hot.end <= out.len() {
            hot.start + rng.below(hot.len())
        } else {
            rng.below(out.len())
        };
        match rng.below(6) {
            0 => {
                let c = out[at];
                out[at] = if c.is_ascii_hexdigit() {
                    b"0123456789ABCDEF"[rng.below(16)]
                } else {
                    rng.next() as u8
                };
            }
            1 => out[at] ^= 1 << rng.below(8),
            2 => {
                let delta = 1 + rng.below(16) as u8;
                out[at] = if rng.below(2) == 0 {
                    out[at].wrapping_add(delta)
                } else {
                    out[at].wrapping_sub(delta)
                };
            }
            3 => out.insert(at, rng.next() as u8),
            4 => {
                out.remove(at);
            }
            _ => out[at] = rng.next() as u8,
        }
    }
    out
}

/// Where field 55 (prefix included) lies in `wire`.
pub fn field_55_range(spec: &'static MessageSpec<'static>, wire: &[u8]) -> std::ops::Range<usize> {
    let msg = spec.decode(wire).unwrap();
    let f = msg.field(55).unwrap();
    let start = f.wire().as_ptr() as usize - wire.as_ptr() as usize;
    start..start + f.wire().len()
}
