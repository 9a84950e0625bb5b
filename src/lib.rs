//! # iso8583-wire
//!
//! ISO 8583 messages, the format card terminals and acquiring hosts exchange: a
//! zero-copy decoder, a builder/encoder, and layouts described as data.
//!
//! * **Layouts are data.** A field is a [`spec::FieldSpec`]: content class x encoding
//!   (ASCII, packed BCD, EBCDIC, binary, hex-ASCII) x length (fixed or an L..LLLL prefix)
//!   x padding. Built-in layouts ([`layouts`]) are `static` tables; yours are the same
//!   types.
//! * **Decoding borrows.** [`Message::decode`] checks and locates every field in one pass
//!   over the input, without allocating; field values are slices of your buffer.
//! * **Encoding is checked.** [`MessageBuilder`] refuses values that do not fit a field
//!   when they are set, and encodes into any [`bytes::BufMut`] or a plain slice.
//! * **Errors say where.** A [`DecodeError`] names the field, the byte offset, what was
//!   expected and what was found, and never prints sensitive data.
//! * **Structure strict, text lenient.** Lengths, digits, BCD and hex are always
//!   checked; free-text fields accept what real networks send unless
//!   [`spec::ContentMode::Strict`] is asked for.
//!
//! ## Module map
//!
//! | module | what it holds |
//! |---|---|
//! | [`spec`], [`layouts`] | the layout model (`FieldSpec`, `MessageSpec`, composites) and the built-in layouts |
//! | [`message`], [`builder`] | the decoded view (`Message`, `Field`) and the builder/encoder |
//! | [`mti`], [`bitmap`] | message type indicators; primary, secondary and tertiary bitmaps |
//! | [`fields`] | typed elements: STAN, RRN, dates, original data elements, track data |
//! | [`subfield`], [`tlv`] | composite fields by path, EMV BER-TLV |
//! | [`frame`] | length headers, TPDU, a streaming frame splitter (sans-IO) |
//! | [`validate`] | trace-code, pairing and mandatory-field rules, content-class findings |
//! | `exchange` | building responses, reversals, repeats, inquiries (`alloc`) |
//! | `trace` | STAN sequences (durable with `std`), RRN generation |
//! | `pos` | the terminal: journal, terminal driver, transports, host ledger (`std`) |
//! | `security` | keys, MACs, PIN blocks, DUKPT, UnionPay working keys (`crypto`) |
//! | `loaders`, `layout_def`, `json` | jPOS/moov/own layouts and messages as JSON (`jpos`, `moov`, `serde`) |
//! | [`wire`] | the byte-level codec underneath (symbols, EBCDIC) |
//!
//! ## What this crate does not do
//!
//! * It is not a network switch or an authorization engine: the host side in `pos`
//!   (`MemoryLedger`) is a reference for tests and simulations, not a production host.
//! * It is not an HSM: keys live in process memory (zeroized on drop); PIN translation,
//!   key injection, TR-31 key blocks and remote key loading are out of scope.
//! * It does not open sockets on its own in the core: the codec and framing are
//!   sans-IO; the blocking TCP transports and the `tokio` codec are thin edges.
//! * It does not know every network's private fields: layouts for those are data you
//!   supply (or load from jPOS/moov files), and text in GBK or other code pages stays
//!   bytes for you to convert (GBK, for UnionPay, is built in with the `gbk` feature).
//!
//! ## Quick start
//!
//! ```
//! use iso8583_wire::{layouts::ISO87_ASCII, MessageBuilder, Mti};
//!
//! // Build a purchase request.
//! let mut req = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
//! req.set(2, "4111111111111111")?
//!     .set(3, "000000")?
//!     .set(4, 12_345u64)?          // zero-padded to n12
//!     .set(11, 123u32)?            // STAN 000123
//!     .set(41, "TERM0001")?
//!     .set(49, "840")?;
//! let wire = req.to_bytes()?;
//!
//! // Decode it again: the view borrows `wire`.
//! let msg = ISO87_ASCII.decode(&wire)?;
//! assert_eq!(msg.mti(), Mti::new(200)?);
//! assert_eq!(msg.field(4).unwrap().to_u64()?, 12_345);
//! assert_eq!(msg.field(41).unwrap().as_str(), Some("TERM0001"));
//! // Sensitive fields are masked when displayed:
//! assert_eq!(msg.field(2).unwrap().to_string(), "411111******1111");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! * `std` (default): implies `alloc`; standard-library error integration, files
//!   (the journal, the durable STAN sequence), clocks and TCP (`pos`).
//! * `alloc`: encoding into [`bytes`] buffers, owned helpers, the exchange builders and
//!   the validation layer.
//! * `serde`: layouts in this crate's JSON form and messages as JSON (`json`).
//! * `jpos`, `moov`: loading jPOS GenericPackager XML and moov-io/iso8583 JSON specs
//!   (`loaders`).
//! * `tokio`: a `tokio_util::codec` adapter for the framing.
//! * `cli`: the `iso8583` command-line binary.
//! * `gbk`: GBK text (UnionPay fields 43 and 56) decoded and encoded through
//!   `encoding_rs` ([`wire::gbk`]).
//! * `tracing`: events through the `tracing` facade for decode failures, frame errors,
//!   the terminal workflow (sent, timeout, inquiry, reversal, MAC failure) and journal
//!   recovery; they carry field numbers, MTIs, STANs and codes, never card data.
//! * `fault-injection`: tests only; fails chosen durable writes and syncs.
//! * `crypto`: [`security`]: keys, MACs (ISO 9797-1, X9.19, UnionPay, AES-CMAC) and the
//!   MAC of a message, ISO 9564 PIN blocks, TDES and AES DUKPT, UnionPay working keys,
//!   AES-GCM-SIV; with `std`, the journal's PAN enciphered at rest
//!   (`pos::PanAtRest::Encrypt`).
//!   Works without `std`. `getrandom` adds the operating system's random source.
//!
//! With `--no-default-features` the crate is `#![no_std]` and still decodes and encodes
//! into caller-provided slices ([`MessageBuilder::encode_to_slice`]).

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;

/// An event through `tracing` when the `tracing` feature is on, nothing otherwise.
/// Callers pass only masked or non-sensitive values (field numbers, MTIs, STANs,
/// response codes, error kinds whose bytes are masked for sensitive fields).
macro_rules! event {
    ($level:ident, $($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        {
            tracing::$level!(target: "iso8583_wire", $($arg)*);
        }
    }};
}
pub(crate) use event;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod bitmap;
pub mod builder;
#[cfg(feature = "std")]
mod durable;
pub mod error;
#[cfg(feature = "alloc")]
pub mod exchange;
pub mod fields;
pub mod frame;
#[cfg(feature = "serde")]
pub mod json;
#[cfg(feature = "alloc")]
pub mod layout_def;
#[cfg(feature = "alloc")]
pub mod loaders;
pub mod message;
pub mod mti;
#[cfg(feature = "std")]
pub mod pos;
#[cfg(feature = "crypto")]
pub mod security;
pub mod spec;
pub mod subfield;
pub mod tlv;
pub mod trace;
#[cfg(feature = "alloc")]
pub mod validate;
pub mod wire;

pub use bitmap::Bitmap;
pub use builder::{MessageBuilder, Value};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Found, Part};
pub use message::{Field, Message};
pub use mti::{Mti, MtiError};
pub use spec::layouts;
pub use spec::{FieldSpec, MessageSpec};

/// Every error the crate returns, for callers who want one `?` type.
///
/// ```
/// use iso8583_wire::{Error, MessageBuilder, Mti, layouts::ISO87_ASCII};
///
/// fn stan_of(wire: &[u8]) -> Result<u32, Error> {
///     let msg = ISO87_ASCII.decode(wire)?;          // DecodeError
///     Ok(msg.stan()?.value())                       // TraceError
/// }
/// let mut b = MessageBuilder::new(&ISO87_ASCII, Mti::new(200)?);
/// b.set(11, 42)?;
/// assert_eq!(stan_of(&b.to_bytes()?)?, 42);
/// assert!(matches!(stan_of(b"0200"), Err(Error::Decode(_))));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A message could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A message could not be built or encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// An MTI is not valid.
    #[error(transparent)]
    Mti(#[from] MtiError),
    /// A STAN or RRN is not valid or absent.
    #[error(transparent)]
    Trace(#[from] fields::TraceError),
    /// A date/time field is not valid or absent.
    #[error(transparent)]
    DateTime(#[from] fields::DateTimeError),
    /// Original data elements are not valid.
    #[error(transparent)]
    OriginalData(#[from] fields::OriginalDataError),
    /// Track data is not valid or absent.
    #[error(transparent)]
    Track(#[from] fields::TrackError),
    /// A subfield could not be read or built.
    #[error(transparent)]
    Subfield(#[from] subfield::SubfieldError),
    /// A frame could not be parsed or written.
    #[error(transparent)]
    Frame(#[from] frame::FrameError),
    /// A request, response or reversal could not be built.
    #[cfg(feature = "alloc")]
    #[error(transparent)]
    Exchange(#[from] exchange::ExchangeError),
    /// A layout definition is not valid.
    #[cfg(feature = "alloc")]
    #[error(transparent)]
    Layout(#[from] layout_def::LayoutError),
    /// JSON could not be turned into a message.
    #[cfg(feature = "serde")]
    #[error(transparent)]
    Json(#[from] json::JsonError),
    /// The journal failed.
    #[cfg(feature = "std")]
    #[error(transparent)]
    Journal(#[from] pos::JournalError),
    /// The durable STAN sequence failed.
    #[cfg(feature = "std")]
    #[error(transparent)]
    Sequence(#[from] trace::SequenceError),
    /// The terminal could not go on.
    #[cfg(feature = "std")]
    #[error(transparent)]
    Terminal(#[from] pos::TerminalError),
    /// A key, MAC, PIN block or DUKPT operation failed.
    #[cfg(feature = "crypto")]
    #[error(transparent)]
    Security(#[from] security::Error),
}

/// Test-only: fail the n-th durable write, sync or rename of the journal and the STAN
/// state file on this thread (feature `fault-injection`; never enable it in a build
/// that ships).
#[cfg(feature = "fault-injection")]
#[doc(hidden)]
pub use durable::faults;

/// The README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
