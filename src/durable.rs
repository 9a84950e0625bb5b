//! Durable file helpers shared by the STAN state file and the journal: exclusive
//! locks, atomic replacement and creation, directory fsync, CRC-32, and the fault
//! points that tests use to fail any write or sync.

use std::borrow::ToOwned;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An exclusive advisory lock on `<path>.lock`, held until dropped.
///
/// The lock lives in a file of its own because the locked files themselves are
/// replaced by rename (the STAN state at every reservation, the journal at
/// compaction): a lock on the old file would not cover the new one. The lock file is
/// never deleted, so two processes always lock the same file.
#[derive(Debug)]
pub(crate) struct FileLock {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub(crate) enum LockError {
    /// Another handle (in this or another process) holds it.
    Held,
    /// The lock file could not be opened or locked.
    Io(io::Error),
}

/// The lock file of `path`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive lock of `path`, waiting up to `wait` for another holder to let
/// go (zero: fail at once).
pub(crate) fn lock(path: &Path, wait: Duration) -> Result<FileLock, LockError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path(path))
        .map_err(LockError::Io)?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FileLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => {
                if Instant::now() >= deadline {
                    return Err(LockError::Held);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(fs::TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
    }
}

/// Where a write or sync happens, for fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    Write,
    Sync,
    Rename,
}

/// Runs `op` unless the fault plan fails this point (see [`faults`]).
pub(crate) fn at<T>(point: Point, op: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    faults::check(point)?;
    op()
}

/// Test-only fault injection: fail the n-th write, sync or rename made by this thread.
#[cfg(feature = "fault-injection")]
pub mod faults {
    use std::cell::Cell;
    use std::io;

    use super::Point;

    std::thread_local! {
        static COUNTDOWN: Cell<Option<u64>> = const { Cell::new(None) };
        static SEEN: Cell<u64> = const { Cell::new(0) };
        static SYNCS: Cell<u64> = const { Cell::new(0) };
    }

    /// Fails the `n`-th durable write, sync or rename (0 = the next one) made by this
    /// thread from now on, once.
    pub fn fail_nth(n: u64) {
        COUNTDOWN.with(|c| c.set(Some(n)));
    }

    /// Cancels a pending failure.
    pub fn clear() {
        COUNTDOWN.with(|c| c.set(None));
    }

    /// Durable writes, syncs and renames made by this thread so far.
    pub fn seen() -> u64 {
        SEEN.with(Cell::get)
    }

    /// Durable syncs (`fsync`/`fdatasync`) made by this thread so far.
    pub fn syncs() -> u64 {
        SYNCS.with(Cell::get)
    }

    pub(crate) fn check(point: Point) -> io::Result<()> {
        SEEN.with(|s| s.set(s.get() + 1));
        if point == Point::Sync {
            SYNCS.with(|s| s.set(s.get() + 1));
        }
        let fire = COUNTDOWN.with(|c| match c.get() {
            Some(0) => {
                c.set(None);
                true
            }
            Some(n) => {
                c.set(Some(n - 1));
                false
            }
            None => false,
        });
        if fire {
            Err(io::Error::other(std::format!(
                "injected fault at {point:?}"
            )))
        } else {
            Ok(())
        }
    }
}

#[cfg(not(feature = "fault-injection"))]
pub(crate) mod faults {
    use super::Point;

    #[inline(always)]
    pub(crate) fn check(_: Point) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `bytes` to a new file beside `path`, fsynced: the first step of an atomic
/// replacement or creation. The name is covered by the lock of `path`, which every
/// caller holds, so no other writer can use it at the same time.
fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    at(Point::Write, || f.write_all(bytes))?;
    at(Point::Sync, || f.sync_all())?;
    Ok(tmp)
}

/// Replaces `path` with `bytes` so that a crash at any instant leaves either the old or
/// the new content: write a temporary file, fsync it, rename it over `path`, fsync the
/// directory. The caller holds the lock of `path`.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    at(Point::Rename, || fs::rename(&tmp, path))?;
    sync_dir(path)
}

/// Creates `path` with `bytes`, failing with `AlreadyExists` if it exists: the content
/// is written and fsynced under a temporary name, then linked to `path` (which fails
/// atomically if the name is taken), so `path` never appears half written. The caller
/// holds the lock of `path`.
pub(crate) fn create_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    let linked = at(Point::Rename, || fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => sync_dir(path),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // File systems without hard links: create the name exclusively, then write.
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
            at(Point::Write, || f.write_all(bytes))?;
            at(Point::Sync, || f.sync_all())?;
            sync_dir(path)
        }
        Err(e) => Err(e),
    }
}

/// Fsyncs the directory holding `path`, making a rename or creation durable.
///
/// An error opening or syncing the directory is returned: a rename that cannot be
/// made durable is not reported as done. The one exception is a platform where a
/// directory cannot be opened as a file at all (Windows, where renames are durable
/// once the call returns): there, `PermissionDenied` on opening it is not an error.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match File::open(dir) {
        Ok(d) => at(Point::Sync, || d.sync_all()),
        Err(e) if cfg!(windows) && e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => Err(e),
    }
}

/// CRC-32 (IEEE 802.3, reflected, as in zlib).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = (crc >> 8) ^ CRC_TABLE[usize::from((crc as u8) ^ b)];
    }
    !crc
}

/// The CRC-32 (IEEE, reflected) of each byte value: one lookup per byte.
static CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut k = 0;
        while k < 8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
            k += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests;
