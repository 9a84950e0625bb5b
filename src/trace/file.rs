//! The durable, file-backed STAN sequence.
//!
//! # How it survives `kill -9`
//!
//! The file holds a *high-water mark*: the counter up to which STANs may have been
//! handed out. Before issuing a STAN beyond the mark, the sequence reserves a block
//! (moves the mark `block` ahead) and makes that durable: it writes the new state to a
//! temporary file, `fsync`s it, renames it over the state file and `fsync`s the
//! directory. Only then does it hand the STAN out. A process that dies at any instant
//! leaves either the old or the new mark on disk, and both are at or above every STAN
//! it issued; the next process starts after the mark. A crash therefore costs at most
//! one block of unused STANs, never a reissue.
//!
//! # One owner at a time
//!
//! A handle holds an exclusive lock on `<path>.lock` for its whole life: a second
//! handle, in this process or another, fails at once with [`SequenceError::Locked`]
//! (or waits up to [`StanOpenOptions::lock_wait`]). Two terminals pointed at the same
//! file therefore cannot hand out the same STANs. A new state file is created
//! atomically: written and synced under a temporary name, then linked to its name,
//! which fails if the name is taken.
//!
//! # A state file that is lost, emptied or restored from a backup
//!
//! Each state line carries a CRC-32; a file that is damaged or edited is reported as
//! [`SequenceError::Corrupt`], never silently reset. [`FileStanSequence::open_checked`]
//! also cross-checks the mark with the last STAN the terminal's journal used
//! (`Journal::last_stan`): a state file that is missing or empty is rebuilt above that
//! STAN, and one that is behind it (an older copy) moves forward; the returned
//! [`StanRecovery`] says which. Only when both the state file and the journal's STAN
//! are absent does the sequence start over, as a new terminal.

use std::format;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::StanSequence;
use crate::durable::{FileLock, LockError, crc32};
use crate::fields::Stan;

const MAGIC: &str = "ISO8583-WIRE-STAN";
const VERSION: u32 = 2;

/// Why the durable sequence failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequenceError {
    /// The state file could not be read or written.
    #[error("STAN state file {path}: {source}")]
    Io {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The state file exists but is damaged: nothing is issued until a person looks at
    /// it.
    #[error("STAN state file {path} is corrupt: {reason}")]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `create` was asked to make a state file that already exists.
    #[error("STAN state file {path} already exists")]
    AlreadyExists {
        /// The state file.
        path: PathBuf,
    },
    /// Another handle (in this process or another) owns the state file.
    #[error("STAN state file {path} is in use by another process or handle (lock {lock})")]
    Locked {
        /// The state file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
}

#[derive(Debug)]
struct State {
    /// Counter of the last STAN issued.
    issued: u64,
    /// Counter up to which STANs may have been issued (durable).
    reserved: u64,
    /// The journal position to record with the next reservation.
    journal_seq: u64,
}

/// How [`FileStanSequence::open_checked`] opens the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StanOpenOptions {
    /// STANs reserved per durable write (at least 1).
    pub block: u32,
    /// How long to wait for another owner to let go of the file (zero: fail at once).
    pub lock_wait: Duration,
    /// The last STAN the terminal's journal shows as used, if any.
    pub journal_last: Option<Stan>,
}

impl StanOpenOptions {
    /// Blocks of `block`, no waiting, no journal.
    pub const fn new(block: u32) -> Self {
        StanOpenOptions {
            block,
            lock_wait: Duration::ZERO,
            journal_last: None,
        }
    }

    /// The same options with the journal's last STAN.
    pub const fn journal_last(self, journal_last: Option<Stan>) -> Self {
        StanOpenOptions {
            journal_last,
            ..self
        }
    }

    /// The same options waiting up to `wait` for the lock.
    pub const fn lock_wait(self, lock_wait: Duration) -> Self {
        StanOpenOptions { lock_wait, ..self }
    }
}

/// What [`FileStanSequence::open_checked`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StanRecovery {
    /// Neither a state file nor a journal STAN: a new terminal, starting at 000001.
    New,
    /// The state file was read and is not behind the journal.
    Resumed,
    /// The state file was missing or empty: rebuilt above the journal's last STAN.
    Rebuilt {
        /// The journal's last STAN.
        journal_last: Stan,
        /// Whether the file existed but was empty (else it was missing).
        was_empty: bool,
        /// The next STAN the sequence issues.
        next: Stan,
    },
    /// The state file was behind the journal (an older copy): moved forward.
    Advanced {
        /// The next STAN the file would have given.
        from: Stan,
        /// The journal's last STAN.
        journal_last: Stan,
        /// The next STAN the sequence issues.
        next: Stan,
    },
}

/// A STAN sequence that never reissues a STAN across crashes and restarts.
///
/// ```
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::trace::{FileStanSequence, SequenceError, StanSequence};
///
/// let dir = std::env::temp_dir().join(format!("stan-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("terminal.stan");
/// # let _ = std::fs::remove_file(&path);
/// let seq = FileStanSequence::create(&path, Stan::new(1)?, 50)?;
/// assert_eq!(seq.next_stan()?.to_string(), "000001");
/// // A second owner is refused while the first holds the file.
/// assert!(matches!(FileStanSequence::open(&path, 50), Err(SequenceError::Locked { .. })));
/// drop(seq); // or a crash: the next process skips the rest of the block
/// let seq = FileStanSequence::open(&path, 50)?;
/// assert_eq!(seq.next_stan()?.to_string(), "000051");
/// # drop(seq);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileStanSequence {
    path: PathBuf,
    block: u64,
    state: Mutex<State>,
    /// The journal position read from the file at open.
    journal_anchor: u64,
    _lock: FileLock,
}

impl FileStanSequence {
    fn lock(path: &Path, wait: Duration) -> Result<FileLock, SequenceError> {
        crate::durable::lock(path, wait).map_err(|e| match e {
            LockError::Held => SequenceError::Locked {
                path: path.to_path_buf(),
                lock: crate::durable::lock_path(path),
            },
            LockError::Io(source) => SequenceError::Io {
                path: path.to_path_buf(),
                source,
            },
        })
    }

    fn with_state(path: PathBuf, block: u32, lock: FileLock, mark: u64, anchor: u64) -> Self {
        FileStanSequence {
            path,
            block: u64::from(block.max(1)),
            state: Mutex::new(State {
                issued: mark,
                reserved: mark,
                journal_seq: anchor,
            }),
            journal_anchor: anchor,
            _lock: lock,
        }
    }

    /// Creates a new state file whose first STAN will be `first`, reserving `block`
    /// STANs at a time (at least 1). Fails if the file exists (atomically: two
    /// creators never both succeed) or another handle owns it.
    ///
    /// # Errors
    ///
    /// [`SequenceError::AlreadyExists`] when the file exists, [`SequenceError::Locked`]
    /// when another handle owns it, [`SequenceError::Io`] when it cannot be written.
    pub fn create(path: impl AsRef<Path>, first: Stan, block: u32) -> Result<Self, SequenceError> {
        let path = path.as_ref().to_path_buf();
        let lock = Self::lock(&path, Duration::ZERO)?;
        Self::create_locked(path, first, block, lock)
    }

    fn create_locked(
        path: PathBuf,
        first: Stan,
        block: u32,
        lock: FileLock,
    ) -> Result<Self, SequenceError> {
        let issued = u64::from(first.value()) - 1;
        let line = state_line(issued, 0);
        match crate::durable::create_file(&path, line.as_bytes()) {
            Ok(()) => Ok(Self::with_state(path, block, lock, issued, 0)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(SequenceError::AlreadyExists { path })
            }
            Err(source) => Err(SequenceError::Io { path, source }),
        }
    }

    /// Opens an existing state file. Every STAN up to its mark is treated as issued.
    ///
    /// # Errors
    ///
    /// [`SequenceError::Locked`] when another handle owns the file,
    /// [`SequenceError::Corrupt`] when it is damaged or empty, [`SequenceError::Io`] when
    /// it cannot be read (a missing file included).
    pub fn open(path: impl AsRef<Path>, block: u32) -> Result<Self, SequenceError> {
        let path = path.as_ref().to_path_buf();
        let lock = Self::lock(&path, Duration::ZERO)?;
        let (mark, anchor) = read_state(&path)?;
        Ok(Self::with_state(path, block, lock, mark, anchor))
    }

    /// Opens the state file, or creates it (first STAN 000001) if there is none. A file
    /// that exists but cannot be read or parsed is an error, never a fresh start. Use
    /// [`FileStanSequence::open_checked`] to cross-check with the journal.
    ///
    /// # Errors
    ///
    /// As [`FileStanSequence::open`], but for a missing file, which is created.
    pub fn open_or_create(path: impl AsRef<Path>, block: u32) -> Result<Self, SequenceError> {
        let path = path.as_ref().to_path_buf();
        let lock = Self::lock(&path, Duration::ZERO)?;
        match read_state(&path) {
            Ok((mark, anchor)) => Ok(Self::with_state(path, block, lock, mark, anchor)),
            Err(SequenceError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Self::create_locked(path, Stan::FIRST, block, lock)
            }
            Err(e) => Err(e),
        }
    }

    /// Opens (or creates) the state file and cross-checks it with the last STAN the
    /// journal shows as used, so that a state file that was lost, emptied or restored
    /// from an older copy never reissues a STAN:
    ///
    /// * missing or empty, with a journal STAN: rebuilt to resume `block` STANs above
    ///   it ([`StanRecovery::Rebuilt`]);
    /// * behind the journal's STAN (within half the STAN cycle): moved to `block` above
    ///   it ([`StanRecovery::Advanced`]);
    /// * missing and no journal STAN: a new terminal ([`StanRecovery::New`]);
    /// * empty and no journal STAN, or damaged: [`SequenceError::Corrupt`].
    ///
    /// ```
    /// use iso8583_wire::fields::Stan;
    /// use iso8583_wire::trace::{FileStanSequence, StanOpenOptions, StanRecovery, StanSequence};
    ///
    /// let dir = std::env::temp_dir().join(format!("stan-checked-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("terminal.stan");
    /// # let _ = std::fs::remove_file(&path);
    /// // The state file is gone but the journal's last request used STAN 000250.
    /// let options = StanOpenOptions::new(10).journal_last(Some(Stan::new(250)?));
    /// let (seq, recovery) = FileStanSequence::open_checked(&path, options)?;
    /// assert!(matches!(recovery, StanRecovery::Rebuilt { was_empty: false, .. }));
    /// assert_eq!(seq.next_stan()?, Stan::new(261)?);
    /// # drop(seq);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SequenceError::Locked`] when another handle owns the file past
    /// `options.lock_wait`; [`SequenceError::Corrupt`] for a damaged file, or an empty
    /// one with no journal STAN to rebuild from; [`SequenceError::Io`].
    pub fn open_checked(
        path: impl AsRef<Path>,
        options: StanOpenOptions,
    ) -> Result<(Self, StanRecovery), SequenceError> {
        let path = path.as_ref().to_path_buf();
        let lock = Self::lock(&path, options.lock_wait)?;
        let block = options.block;
        /// What is on disk.
        enum Found {
            Missing,
            Empty,
            State(u64, u64),
        }
        let found = match read_state(&path) {
            Ok((mark, anchor)) => Found::State(mark, anchor),
            Err(SequenceError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Found::Missing
            }
            Err(SequenceError::Corrupt { reason: EMPTY, .. }) if options.journal_last.is_some() => {
                Found::Empty
            }
            Err(e) => return Err(e),
        };
        let margin = u64::from(block.max(1));
        match (found, options.journal_last) {
            (Found::Missing, None) => Ok((
                Self::create_locked(path, Stan::FIRST, block, lock)?,
                StanRecovery::New,
            )),
            // Empty without a journal STAN was refused above.
            (Found::Empty, None) => Err(SequenceError::Corrupt {
                path,
                reason: EMPTY,
            }),
            (found @ (Found::Missing | Found::Empty), Some(last)) => {
                let was_empty = matches!(found, Found::Empty);
                let mark = u64::from(last.value()) + margin;
                let line = state_line(mark, 0);
                let written = if was_empty {
                    crate::durable::replace_file(&path, line.as_bytes())
                } else {
                    crate::durable::create_file(&path, line.as_bytes())
                };
                written.map_err(|source| SequenceError::Io {
                    path: path.clone(),
                    source,
                })?;
                let seq = Self::with_state(path, block, lock, mark, 0);
                let next = Stan::from_counter(mark + 1);
                Ok((
                    seq,
                    StanRecovery::Rebuilt {
                        journal_last: last,
                        was_empty,
                        next,
                    },
                ))
            }
            (Found::State(mark, anchor), None) => Ok((
                Self::with_state(path, block, lock, mark, anchor),
                StanRecovery::Resumed,
            )),
            (Found::State(mark, anchor), Some(last)) => {
                // Steps forward from the STAN at the mark to the journal's: a file
                // behind the journal is at most half a cycle behind.
                let at_mark = Stan::from_counter(mark.max(1));
                let ahead = if mark == 0 {
                    u64::from(last.value())
                } else {
                    u64::from(at_mark.steps_to(last))
                };
                if ahead == 0 || ahead >= 999_999 / 2 {
                    return Ok((
                        Self::with_state(path, block, lock, mark, anchor),
                        StanRecovery::Resumed,
                    ));
                }
                let new_mark = mark
                    .checked_add(ahead + margin)
                    .ok_or(SequenceError::Corrupt {
                        path: path.clone(),
                        reason: "the counter has reached its end",
                    })?;
                write_state(&path, new_mark, anchor)?;
                Ok((
                    Self::with_state(path, block, lock, new_mark, anchor),
                    StanRecovery::Advanced {
                        from: Stan::from_counter(mark + 1),
                        journal_last: last,
                        next: Stan::from_counter(new_mark + 1),
                    },
                ))
            }
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last STAN issued by this process, or (after open) the last one that may
    /// have been issued before.
    pub fn last_issued(&self) -> Option<Stan> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (state.issued > 0).then(|| Stan::from_counter(state.issued))
    }

    /// Records the journal's position (its event count) with the next reservation, so
    /// that a journal restored from an older copy can be recognised (see
    /// [`FileStanSequence::journal_anchor`]).
    pub fn note_journal(&self, seq: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.journal_seq = state.journal_seq.max(seq);
    }

    /// The journal position the state file held when it was opened (0 if none): the
    /// journal had at least this many events when the mark was last moved.
    pub fn journal_anchor(&self) -> u64 {
        self.journal_anchor
    }

    fn advance(&self, by: u64) -> Result<u64, SequenceError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let corrupt = || SequenceError::Corrupt {
            path: self.path.clone(),
            reason: "the counter has reached its end",
        };
        let target = state.issued.checked_add(by).ok_or_else(corrupt)?;
        if target > state.reserved {
            let mark = target.checked_add(self.block - 1).ok_or_else(corrupt)?;
            write_state(&self.path, mark, state.journal_seq)?;
            state.reserved = mark;
        }
        state.issued = target;
        Ok(target)
    }
}

impl StanSequence for FileStanSequence {
    type Error = SequenceError;

    fn next_stan(&self) -> Result<Stan, SequenceError> {
        self.advance(1).map(Stan::from_counter)
    }

    fn skip(&self, n: u32) -> Result<(), SequenceError> {
        self.advance(u64::from(n)).map(|_| ())
    }
}

/// The reason [`parse_state`] gives for an empty file.
const EMPTY: &str = "empty (the file was emptied or its write was lost)";

fn state_line(mark: u64, journal_seq: u64) -> String {
    let body = format!("{MAGIC} {VERSION} {mark} {journal_seq}");
    format!("{body} {:08x}\n", crc32(body.as_bytes()))
}

/// Writes the mark durably (see [`crate::durable::replace_file`]).
fn write_state(path: &Path, mark: u64, journal_seq: u64) -> Result<(), SequenceError> {
    let line = state_line(mark, journal_seq);
    crate::durable::replace_file(path, line.as_bytes()).map_err(|source| SequenceError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses the state file: the mark and the journal position.
fn read_state(path: &Path) -> Result<(u64, u64), SequenceError> {
    let text = fs::read(path).map_err(|source| SequenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_state(&text).map_err(|reason| SequenceError::Corrupt {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parses a state file: `MAGIC 1 MARK CRC\n` or `MAGIC 2 MARK JOURNALSEQ CRC\n`.
fn parse_state(text: &[u8]) -> Result<(u64, u64), &'static str> {
    if text.is_empty() {
        return Err(EMPTY);
    }
    let text = std::str::from_utf8(text).map_err(|_| "not text")?;
    let line = text.strip_suffix('\n').ok_or("truncated (no line end)")?;
    if line.contains('\n') {
        return Err("more than one line");
    }
    let (body, crc) = line.rsplit_once(' ').ok_or("no checksum")?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| "checksum is not hex")?;
    if crc != crc32(body.as_bytes()) {
        return Err("checksum mismatch");
    }
    let mut parts = body.split(' ');
    if parts.next() != Some(MAGIC) {
        return Err("not a STAN state file");
    }
    let version = parts.next();
    if version != Some("1") && version != Some("2") {
        return Err("unknown version");
    }
    let mark = parts
        .next()
        .and_then(|m| m.parse::<u64>().ok())
        .ok_or("mark is not a number")?;
    let journal_seq = if version == Some("2") {
        parts
            .next()
            .and_then(|m| m.parse::<u64>().ok())
            .ok_or("journal position is not a number")?
    } else {
        0
    };
    if parts.next().is_some() {
        return Err("unexpected data after the mark");
    }
    Ok((mark, journal_seq))
}

#[cfg(test)]
mod tests;
