//! CRC-32 (IEEE), as the journal and the STAN state file use it for their line
//! checksums: written here bit by bit, independently of the crate's table version, to
//! write damaged or older-format files by hand.

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}
