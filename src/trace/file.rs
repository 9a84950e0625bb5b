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
//! Each state line carries a CRC-32; a file that is damaged, truncated or edited is
//! reported as [`SequenceError::Corrupt`], never silently reset.

use std::format;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::{Mutex, PoisonError};

use super::StanSequence;
use crate::durable::crc32;
use crate::fields::Stan;

const MAGIC: &str = "ISO8583-WIRE-STAN";
const VERSION: u32 = 1;

/// Why the durable sequence failed.
#[derive(Debug, thiserror::Error)]
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
}

#[derive(Debug)]
struct State {
    /// Counter of the last STAN issued.
    issued: u64,
    /// Counter up to which STANs may have been issued (durable).
    reserved: u64,
}

/// A STAN sequence that never reissues a STAN across crashes and restarts.
///
/// ```
/// use iso8583_wire::fields::Stan;
/// use iso8583_wire::trace::{FileStanSequence, StanSequence};
///
/// let dir = std::env::temp_dir().join(format!("stan-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("terminal.stan");
/// # let _ = std::fs::remove_file(&path);
/// let seq = FileStanSequence::create(&path, Stan::new(1)?, 50)?;
/// assert_eq!(seq.next_stan()?.to_string(), "000001");
/// drop(seq); // or a crash: the next process skips the rest of the block
/// let seq = FileStanSequence::open(&path, 50)?;
/// assert_eq!(seq.next_stan()?.to_string(), "000051");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileStanSequence {
    path: PathBuf,
    block: u64,
    state: Mutex<State>,
}

impl FileStanSequence {
    /// Creates a new state file whose first STAN will be `first`, reserving `block`
    /// STANs at a time (at least 1). Fails if the file exists.
    pub fn create(path: impl AsRef<Path>, first: Stan, block: u32) -> Result<Self, SequenceError> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(SequenceError::AlreadyExists { path });
        }
        let issued = u64::from(first.value()) - 1;
        write_state(&path, issued)?;
        Ok(FileStanSequence {
            path,
            block: u64::from(block.max(1)),
            state: Mutex::new(State {
                issued,
                reserved: issued,
            }),
        })
    }

    /// Opens an existing state file. Every STAN up to its mark is treated as issued.
    pub fn open(path: impl AsRef<Path>, block: u32) -> Result<Self, SequenceError> {
        let path = path.as_ref().to_path_buf();
        let text = fs::read(&path).map_err(|source| SequenceError::Io {
            path: path.clone(),
            source,
        })?;
        let reserved = parse_state(&text).map_err(|reason| SequenceError::Corrupt {
            path: path.clone(),
            reason,
        })?;
        Ok(FileStanSequence {
            path,
            block: u64::from(block.max(1)),
            state: Mutex::new(State {
                issued: reserved,
                reserved,
            }),
        })
    }

    /// Opens the state file, or creates it (first STAN 000001) if there is none. A file
    /// that exists but cannot be read or parsed is an error, never a fresh start.
    pub fn open_or_create(path: impl AsRef<Path>, block: u32) -> Result<Self, SequenceError> {
        match Self::open(&path, block) {
            Err(SequenceError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Self::create(path, Stan::FIRST, block)
            }
            other => other,
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

    fn advance(&self, by: u64) -> Result<u64, SequenceError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let corrupt = || SequenceError::Corrupt {
            path: self.path.clone(),
            reason: "the counter has reached its end",
        };
        let target = state.issued.checked_add(by).ok_or_else(corrupt)?;
        if target > state.reserved {
            let mark = target.checked_add(self.block - 1).ok_or_else(corrupt)?;
            write_state(&self.path, mark)?;
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

fn body(mark: u64) -> String {
    format!("{MAGIC} {VERSION} {mark}")
}

/// Writes the mark durably (see [`crate::durable::replace_file`]).
fn write_state(path: &Path, mark: u64) -> Result<(), SequenceError> {
    let body = body(mark);
    let line = format!("{body} {:08x}\n", crc32(body.as_bytes()));
    crate::durable::replace_file(path, line.as_bytes()).map_err(|source| SequenceError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses a state file: `MAGIC VERSION MARK CRC\n`.
fn parse_state(text: &[u8]) -> Result<u64, &'static str> {
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
    if parts.next() != Some("1") {
        return Err("unknown version");
    }
    let mark = parts
        .next()
        .and_then(|m| m.parse::<u64>().ok())
        .ok_or("mark is not a number")?;
    if parts.next().is_some() {
        return Err("unexpected data after the mark");
    }
    Ok(mark)
}

#[cfg(test)]
mod tests;
