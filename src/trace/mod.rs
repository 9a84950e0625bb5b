//! Trace-number generators: STAN sequences and the RRN generator.
//!
//! * [`StanSequence`] is what a terminal or host asks for its next STAN.
//! * [`AtomicStanSequence`]: in memory, lock-free, shared between threads.
//! * [`FileStanSequence`] (feature `std`): durable; a process killed at any instant
//!   never makes the next process reissue a STAN it had handed out.
//! * [`RrnGenerator`]: `YDDDHHNNNNNN` retrieval reference numbers from an injectable
//!   [`Clock`] and any STAN sequence.
//!
//! Sequences count with a monotonic 64-bit counter and map it to STANs with
//! [`Stan::from_counter`], so the wrap from 999999 to 000001 never confuses their
//! bookkeeping.

#[cfg(feature = "std")]
mod file;

#[cfg(feature = "std")]
pub use file::{FileStanSequence, SequenceError, StanOpenOptions, StanRecovery};

use core::convert::Infallible;
use core::sync::atomic::{AtomicU64, Ordering};

use chrono::{Datelike, NaiveDateTime, Timelike};

use crate::fields::{Rrn, Stan};

/// A source of STANs.
pub trait StanSequence {
    /// Why a STAN could not be issued.
    type Error;

    /// Issues the next STAN. A STAN returned here is never returned again (until the
    /// 999999 -> 000001 wrap comes round).
    fn next_stan(&self) -> Result<Stan, Self::Error>;

    /// Jumps forward by `n` without issuing, e.g. after the host answered 94
    /// (duplicate transmission): the next STAN is `n` further on.
    fn skip(&self, n: u32) -> Result<(), Self::Error>;
}

/// An in-memory STAN sequence: lock-free, `Sync`, correct under any number of threads.
///
/// ```
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::trace::{AtomicStanSequence, StanSequence};
///
/// let seq = AtomicStanSequence::starting_at(Stan::new(999_999)?);
/// assert_eq!(seq.next_stan().unwrap().to_string(), "999999");
/// assert_eq!(seq.next_stan().unwrap().to_string(), "000001");
/// seq.skip(10).unwrap();
/// assert_eq!(seq.next_stan().unwrap().to_string(), "000012");
/// # Ok::<(), iso8583_wire::fields::TraceError>(())
/// ```
#[derive(Debug, Default)]
pub struct AtomicStanSequence {
    /// Counter of the last STAN issued (0 = none yet).
    issued: AtomicU64,
}

impl AtomicStanSequence {
    /// A sequence whose first STAN is 000001.
    pub const fn new() -> Self {
        AtomicStanSequence {
            issued: AtomicU64::new(0),
        }
    }

    /// A sequence whose first STAN is `first`.
    pub const fn starting_at(first: Stan) -> Self {
        AtomicStanSequence {
            issued: AtomicU64::new(first.value() as u64 - 1),
        }
    }

    /// The last STAN issued, if any.
    pub fn last_issued(&self) -> Option<Stan> {
        match self.issued.load(Ordering::Acquire) {
            0 => None,
            c => Some(Stan::from_counter(c)),
        }
    }
}

impl StanSequence for AtomicStanSequence {
    type Error = Infallible;

    fn next_stan(&self) -> Result<Stan, Infallible> {
        let counter = self.issued.fetch_add(1, Ordering::AcqRel) + 1;
        Ok(Stan::from_counter(counter))
    }

    fn skip(&self, n: u32) -> Result<(), Infallible> {
        self.issued.fetch_add(u64::from(n), Ordering::AcqRel);
        Ok(())
    }
}

impl<T: StanSequence + ?Sized> StanSequence for &T {
    type Error = T::Error;
    fn next_stan(&self) -> Result<Stan, T::Error> {
        (**self).next_stan()
    }
    fn skip(&self, n: u32) -> Result<(), T::Error> {
        (**self).skip(n)
    }
}

/// A source of the current time, injectable for tests.
pub trait Clock {
    /// The current date and time.
    fn now(&self) -> NaiveDateTime;
}

impl<F: Fn() -> NaiveDateTime> Clock for F {
    fn now(&self) -> NaiveDateTime {
        self()
    }
}

/// The system clock, in UTC.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        chrono::Utc::now().naive_utc()
    }
}

/// Generates RRNs as `YDDDHHNNNNNN`: last digit of the year, day of the year (001-366),
/// hour, and a 6-digit number from a STAN sequence.
///
/// ```
/// use chrono::NaiveDate;
/// use iso8583_wire::trace::{AtomicStanSequence, RrnGenerator};
///
/// let clock = || NaiveDate::from_ymd_opt(2025, 2, 3).unwrap().and_hms_opt(14, 5, 0).unwrap();
/// let rrns = RrnGenerator::new(clock, AtomicStanSequence::new());
/// assert_eq!(rrns.next_rrn().unwrap().as_str(), "503414000001");
/// assert_eq!(rrns.next_rrn().unwrap().as_str(), "503414000002");
/// ```
#[derive(Debug)]
pub struct RrnGenerator<C, S> {
    clock: C,
    sequence: S,
}

impl<C: Clock, S: StanSequence> RrnGenerator<C, S> {
    /// A generator reading `clock` and numbering with `sequence`.
    pub const fn new(clock: C, sequence: S) -> Self {
        RrnGenerator { clock, sequence }
    }

    /// The next RRN.
    ///
    /// # Errors
    ///
    /// The sequence's error when it cannot issue the next number.
    pub fn next_rrn(&self) -> Result<Rrn, S::Error> {
        let now = self.clock.now();
        let n = self.sequence.next_stan()?.value();
        Ok(rrn_for(now, n))
    }

    /// The sequence behind the generator.
    pub fn sequence(&self) -> &S {
        &self.sequence
    }
}

/// The RRN `YDDDHHNNNNNN` for a time and a number 0..=999999.
pub fn rrn_for(at: NaiveDateTime, number: u32) -> Rrn {
    let mut out = [b'0'; 12];
    let mut put = |from: usize, len: usize, mut v: u32| {
        for i in (from..from + len).rev() {
            if let Some(slot) = out.get_mut(i) {
                *slot = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    put(0, 1, at.year().rem_euclid(10) as u32);
    put(1, 3, at.ordinal());
    put(4, 2, at.hour());
    put(6, 6, number % 1_000_000);
    // Twelve ASCII digits: always a valid RRN.
    Rrn::from_digits(out)
}
