//! Opening a terminal's durable state (journal and STAN state file) together, so that
//! each checks the other.
//!
//! The two files guard against each other's loss:
//!
//! * the STAN sequence resumes above the last STAN the journal used, so a lost,
//!   emptied or older STAN state file never reissues a STAN
//!   ([`FileStanSequence::open_checked`]);
//! * the STAN state file records how many events the journal held at each block
//!   reservation, so a journal restored from an older copy is recognised
//!   ([`JournalError::OlderThanState`]), and a missing journal next to an existing
//!   STAN state is reported ([`JournalError::Missing`]) instead of starting over;
//! * the journal itself reports truncation and emptying ([`JournalError::Truncated`],
//!   [`JournalError::Emptied`]).
//!
//! Every loss is an error unless the caller accepts it ([`StateOptions::accept_loss`]);
//! then the [`StateReport`] says what was lost. Only when both files are absent is
//! the terminal new.
//!
//! ```
//! use iso8583_wire::layouts::ISO87_ASCII;
//! use iso8583_wire::pos::{JournalConfig, JournalError, TerminalError};
//! use iso8583_wire::pos::state::{StateOptions, open_state};
//! use iso8583_wire::trace::StanRecovery;
//!
//! let dir = std::env::temp_dir().join(format!("state-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let (journal, stan) = (dir.join("journal.log"), dir.join("stan.state"));
//! # let _ = std::fs::remove_file(&journal); let _ = std::fs::remove_file(&stan);
//! let options = StateOptions::new(50);
//! let (j, s, report) = open_state(&journal, &stan, JournalConfig::new(&ISO87_ASCII), options)?;
//! assert_eq!(report.stan, StanRecovery::New);
//! // A second terminal on the same files is refused.
//! let second = open_state(&journal, &stan, JournalConfig::new(&ISO87_ASCII), options);
//! assert!(matches!(second, Err(TerminalError::Journal(JournalError::Locked { .. }))));
//! drop((j, s));
//! // The journal lost, the STAN state kept: reported, not started over.
//! std::fs::remove_file(&journal)?;
//! let lost = open_state(&journal, &stan, JournalConfig::new(&ISO87_ASCII), options);
//! assert!(matches!(lost, Err(TerminalError::Journal(JournalError::Missing { .. }))));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;
use std::time::Duration;

use crate::pos::journal::{Journal, JournalConfig, JournalError, LossReport, Recovery};
use crate::pos::terminal::TerminalError;
use crate::trace::{FileStanSequence, StanOpenOptions, StanRecovery};

/// How [`open_state`] opens the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateOptions {
    /// STANs reserved per durable write of the STAN state file.
    pub block: u32,
    /// How long to wait for another owner of the STAN state file to let go.
    pub lock_wait: Duration,
    /// Accept lost journal records (truncated, emptied, missing or older journal) and
    /// go on with what is left; the report says what was lost.
    pub accept_loss: bool,
}

impl StateOptions {
    /// Blocks of `block` STANs, no waiting, losses refused.
    pub const fn new(block: u32) -> Self {
        StateOptions {
            block,
            lock_wait: Duration::ZERO,
            accept_loss: false,
        }
    }

    /// The same options accepting lost journal records.
    pub const fn accepting_loss(self) -> Self {
        StateOptions {
            accept_loss: true,
            ..self
        }
    }

    /// The same options waiting up to `wait` for the STAN state file's lock.
    pub const fn lock_wait(self, wait: Duration) -> Self {
        StateOptions {
            lock_wait: wait,
            ..self
        }
    }
}

/// What [`open_state`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateReport {
    /// What the STAN sequence did (resumed, rebuilt or moved above the journal, new).
    pub stan: StanRecovery,
    /// What the journal repaired after a crash.
    pub journal: Recovery,
    /// Journal records accepted as lost (only with [`StateOptions::accept_loss`]).
    pub loss: Option<LossReport>,
}

/// Opens the journal and the STAN state file of one terminal, each checked against the
/// other (see the [module docs](self)). Both stay locked until dropped.
///
/// # Errors
///
/// [`TerminalError::Journal`] with [`JournalError::Locked`] when another process owns
/// the journal; [`JournalError::Missing`], [`JournalError::Truncated`],
/// [`JournalError::Emptied`] or [`JournalError::OlderThanState`] for lost records
/// (unless accepted); [`TerminalError::Stan`] when the STAN state file is owned by
/// another handle, damaged, or empty with nothing to rebuild it from.
pub fn open_state(
    journal_path: impl AsRef<Path>,
    stan_path: impl AsRef<Path>,
    config: JournalConfig,
    options: StateOptions,
) -> Result<(Journal, FileStanSequence, StateReport), TerminalError> {
    let (journal_path, stan_path) = (journal_path.as_ref(), stan_path.as_ref());
    let journal_missing = !journal_path.exists();
    if journal_missing && stan_path.exists() && !options.accept_loss {
        return Err(JournalError::Missing {
            path: journal_path.to_path_buf(),
        }
        .into());
    }
    let (journal, mut loss) = if options.accept_loss {
        let (j, l) = Journal::open_after_loss(journal_path, config)?;
        (j, l.is_loss().then_some(l))
    } else {
        (Journal::open(journal_path, config)?, None)
    };
    let stan_options = StanOpenOptions::new(options.block)
        .lock_wait(options.lock_wait)
        .journal_last(journal.last_stan());
    let (stans, stan) = FileStanSequence::open_checked(stan_path, stan_options)?;
    let anchor = stans.journal_anchor();
    if journal.seq() < anchor {
        if !options.accept_loss {
            return Err(JournalError::OlderThanState {
                path: journal_path.to_path_buf(),
                seq: journal.seq(),
                anchor,
            }
            .into());
        }
        let report = loss.get_or_insert_with(LossReport::default);
        report.lost_events = report.lost_events.max(anchor - journal.seq());
    }
    if journal_missing && options.accept_loss && stan != StanRecovery::New {
        loss.get_or_insert_with(LossReport::default).emptied = true;
    }
    stans.note_journal(journal.seq());
    let report = StateReport {
        stan,
        journal: journal.recovery(),
        loss,
    };
    Ok((journal, stans, report))
}
