//! Primary, secondary and tertiary bitmaps.
//!
//! Bit `n` (1-based, most significant bit of the first byte first) announces field `n`.
//! Bit 1 announces the secondary bitmap (fields 65-128); in a layout with a tertiary
//! bitmap, bit 65 announces it (fields 129-192). Those two bits are presence bits of
//! bitmaps, not of data fields: [`Bitmap::data_fields`] skips them.
//!
//! ```
//! use iso8583_wire::Bitmap;
//!
//! let mut map = Bitmap::new();
//! for n in [2, 3, 4, 11, 70] {
//!     map.set(n)?;
//! }
//! map.set_extension_bits(false);
//! assert!(map.is_set(1)); // field 70 needs the secondary bitmap
//! assert_eq!(map.bitmaps_needed(), 2);
//! assert_eq!(map.data_fields(false).collect::<Vec<_>>(), [2, 3, 4, 11, 70]);
//! assert_eq!(map.to_bytes(0), [0xF0, 0x20, 0, 0, 0, 0, 0, 0]);
//! # Ok::<(), iso8583_wire::bitmap::FieldNumberError>(())
//! ```

use bitvec::prelude::*;
use core::fmt;

/// The highest field number: three bitmaps of 64 bits.
pub const MAX_FIELD: usize = 192;

/// A field number outside 1..=192.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field number {0} is outside 1..=192")]
pub struct FieldNumberError(pub usize);

/// Up to three 64-bit bitmaps.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bitmap {
    bits: BitArray<[u64; 3], Msb0>,
}

impl Bitmap {
    /// An empty bitmap.
    pub const fn new() -> Bitmap {
        Bitmap {
            bits: BitArray::ZERO,
        }
    }

    /// Builds a bitmap from up to three 8-byte bitmaps.
    pub fn from_words(words: [u64; 3]) -> Bitmap {
        Bitmap {
            bits: BitArray::new(words),
        }
    }

    /// The three bitmaps as big-endian words (word 0 = fields 1-64).
    pub fn words(&self) -> [u64; 3] {
        self.bits.into_inner()
    }

    /// The bitmap words, without copying them.
    #[inline(always)]
    pub(crate) fn words_ref(&self) -> &[u64; 3] {
        self.bits.as_raw_slice().try_into().unwrap_or(&[0; 3])
    }

    /// Whether bit `n` is set (false for numbers outside 1..=192).
    #[inline]
    pub fn is_set(&self, n: usize) -> bool {
        n >= 1 && self.bits.get(n - 1).is_some_and(|b| *b)
    }

    /// Sets bit `n`.
    ///
    /// # Errors
    ///
    /// [`FieldNumberError`] for a number outside 1..=192.
    pub fn set(&mut self, n: usize) -> Result<(), FieldNumberError> {
        if n == 0 || n > MAX_FIELD {
            return Err(FieldNumberError(n));
        }
        self.bits.set(n - 1, true);
        Ok(())
    }

    /// Clears bit `n` (no effect outside 1..=192).
    pub fn clear(&mut self, n: usize) {
        if (1..=MAX_FIELD).contains(&n) {
            self.bits.set(n - 1, false);
        }
    }

    /// All set bits, ascending (bitmap-presence bits included).
    #[inline]
    pub fn iter(&self) -> Ones {
        Ones {
            words: self.words(),
            word: 0,
        }
    }

    /// The set bits that announce data fields: bit 1 is skipped, and bit 65 too when
    /// `tertiary` is true.
    pub fn data_fields(&self, tertiary: bool) -> impl Iterator<Item = usize> + '_ {
        self.iter()
            .filter(move |&n| n != 1 && !(tertiary && n == 65))
    }

    /// `words` (the bitmaps as received) without their extension bits: bit 1 always,
    /// bit 65 too when `tertiary` is true. What is left announces data fields.
    #[inline(always)]
    pub(crate) const fn data_words(mut words: [u64; 3], tertiary: bool) -> [u64; 3] {
        words[0] &= !(1u64 << 63);
        if tertiary {
            words[1] &= !(1u64 << 63);
        }
        words
    }

    /// How many bits are set below bit `n` (the rank of field `n` among the set bits).
    #[inline]
    pub fn count_below(&self, n: usize) -> usize {
        let end = n.saturating_sub(1).min(MAX_FIELD);
        let words = self.bits.as_raw_slice();
        let mut count = 0;
        for (i, w) in words.iter().enumerate() {
            let start = i * 64;
            if end >= start + 64 {
                count += w.count_ones() as usize;
            } else {
                if end > start {
                    count += (w >> (64 - (end - start))).count_ones() as usize;
                }
                break;
            }
        }
        count
    }

    /// Number of bits set.
    pub fn count(&self) -> usize {
        self.bits.count_ones()
    }

    /// Whether no bit is set.
    pub fn is_empty(&self) -> bool {
        self.bits.not_any()
    }

    /// Sets or clears bit 1 (and bit 65 when `tertiary`) from the data fields present,
    /// as an encoder must.
    pub fn set_extension_bits(&mut self, tertiary: bool) {
        let [_, w1, w2] = self.words();
        let second_data = if tertiary { w1 & !(1u64 << 63) } else { w1 };
        let needs_tertiary = tertiary && w2 != 0;
        self.bits.set(0, second_data != 0 || needs_tertiary);
        if tertiary {
            self.bits.set(64, needs_tertiary);
        }
    }

    /// How many bitmaps an encoder writes: 1, 2 or 3, from the extension bits.
    pub fn bitmaps_needed(&self) -> usize {
        if !self.bits[0] {
            1
        } else if self.bits[64] && self.words()[2] != 0 {
            3
        } else {
            2
        }
    }

    /// Bitmap `index` (0 = primary) as 8 big-endian bytes.
    pub fn to_bytes(&self, index: usize) -> [u8; 8] {
        self.words().get(index).copied().unwrap_or(0).to_be_bytes()
    }
}

/// Iterator over the set bits of a [`Bitmap`], ascending (1-based field numbers).
#[derive(Debug, Clone)]
pub struct Ones {
    words: [u64; 3],
    word: usize,
}

impl Iterator for Ones {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while let Some(w) = self.words.get_mut(self.word) {
            if *w != 0 {
                let bit = w.leading_zeros() as usize;
                *w &= !(1u64 << (63 - bit));
                return Some(self.word * 64 + bit + 1);
            }
            self.word += 1;
        }
        None
    }
}

impl fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for Bitmap {
    /// The bitmaps needed, as uppercase hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = self.words();
        for w in words.iter().take(self.bitmaps_needed()) {
            write!(f, "{w:016X}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
