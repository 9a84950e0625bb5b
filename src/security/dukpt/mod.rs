//! DUKPT: derived unique key per transaction.
//!
//! * [`tdes`]: ANSI X9.24-1:2009 TDES DUKPT: the IPEK from the BDK and KSN, the
//!   terminal's future key registers ([`tdes::TerminalKeys`]), the host's derivation of
//!   the current key from BDK and KSN ([`tdes::derive()`]), and the PIN, MAC and data
//!   variants of a transaction key.
//! * [`aes`]: ANSI X9.24-3:2017 AES DUKPT, host side: the initial key from the BDK and
//!   initial key ID, and the working keys of a KSN for each key usage
//!   ([`aes::derive()`]).
//!
//! The derived keys are [`Key`](crate::security::Key)s, zeroized on drop.

pub mod aes;
pub mod tdes;
