//! `iso8583`: decode, encode and validate ISO 8583 messages from the command line.
//!
//! Install with `cargo install iso8583-wire --features cli` (or `--path .` from a
//! clone); `iso8583 --help` lists the subcommands, `iso8583 help <command>` explains
//! one.
//!
//! Exit codes: 0 success; 1 the check found something (validation findings); 2 usage
//! error (unknown option, missing argument); 3 the input could not be used (a message
//! that does not decode, bad hex or JSON, a value refused, a file that cannot be read).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use iso8583_wire::frame::{Framing, LengthHeader};
use iso8583_wire::json;
use iso8583_wire::spec::{ContentMode, MessageSpec};
use iso8583_wire::validate::{Code, Validator};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, layouts};
use serde_json::Value as Json;

/// ISO 8583 messages on the command line: decode, encode, validate.
///
/// Layouts: iso87ascii, iso87binary, iso93ascii, cup, or --spec-file PATH (a jPOS
/// GenericPackager XML, moov-io JSON spec or this crate's JSON layout, recognised by
/// content). PAN, track data and PIN blocks are masked unless --no-mask is given.
///
/// Exit codes: 0 success, 1 findings (validate) or a MAC that does not verify, 2 usage
/// error, 3 unusable input.
#[derive(Debug, Parser)]
#[command(name = "iso8583", version, about, long_about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a message and print its fields (a dump, or JSON with --json).
    Decode(Decode),
    /// Encode a message given as JSON; prints its bytes as UPPERCASE hex.
    Encode(Encode),
    /// Check a message (and its response) against the validation rules.
    Validate(Validate),
    /// Compute (or with --verify, check) the MAC of a message's MAC block.
    Mac(MacArgs),
    /// Build an ISO 9564 PIN block (enciphered when a key is given).
    PinBlock(PinBlockArgs),
    /// Derive DUKPT keys: the initial key and a working key for a KSN.
    Dukpt(DukptArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Which layout, and how strictly to read text.
#[derive(Debug, Args)]
struct LayoutArgs {
    /// Built-in layout: iso87ascii, iso87binary, iso93ascii or cup.
    #[arg(long, value_name = "LAYOUT", required_unless_present = "spec_file")]
    spec: Option<String>,
    /// A layout file instead: jPOS XML, moov-io JSON or this crate's JSON.
    #[arg(long, value_name = "PATH", conflicts_with = "spec")]
    spec_file: Option<PathBuf>,
    /// Enforce the content classes of free-text fields (a, an, anp, ans, ns).
    #[arg(long)]
    strict: bool,
}

/// Where a message comes from.
#[derive(Debug, Args)]
struct InputArgs {
    /// The message as hex (whitespace allowed).
    #[arg(long, value_name = "HEX", conflicts_with = "file")]
    hex: Option<String>,
    /// A file holding the message: raw bytes, or hex text. Default: stdin.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// The most input read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_input: usize,
}

#[derive(Debug, Args)]
struct Decode {
    #[command(flatten)]
    layout: LayoutArgs,
    #[command(flatten)]
    input: InputArgs,
    /// Print JSON: {"mti": ..., "header": {...}, "fields": {"2": ..., ...}}.
    #[arg(long)]
    json: bool,
    /// Show sensitive values (PAN, track data, PIN block) in full.
    #[arg(long)]
    no_mask: bool,
    /// The input is framed: bin2, bin4, bcd2 or ascii4 (+self when the length counts
    /// the header); several frames are decoded in turn.
    #[arg(long, value_name = "KIND")]
    frame: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// UPPERCASE hex.
    Hex,
    /// {"hex": "..."}.
    Json,
}

#[derive(Debug, Args)]
struct Encode {
    #[command(flatten)]
    layout: LayoutArgs,
    /// The message: {"mti": "0200", "fields": {"2": "...", "4": 1000, ...}}.
    #[arg(long, value_name = "JSON")]
    json: String,
    /// Write a length header: bin2, bin4, bcd2 or ascii4 (+self).
    #[arg(long, value_name = "KIND")]
    frame: Option<String>,
    /// How to print the bytes.
    #[arg(long, value_enum, default_value_t = Output::Hex)]
    output: Output,
}

#[derive(Debug, Args)]
struct Validate {
    #[command(flatten)]
    layout: LayoutArgs,
    #[command(flatten)]
    input: InputArgs,
    /// The response to check against the request, as hex.
    #[arg(long, value_name = "HEX")]
    response: Option<String>,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MacChoice {
    /// ANSI X9.9 (ISO 9797-1 algorithm 1), single DES.
    #[value(name = "x9.9")]
    X99,
    /// ANSI X9.19 retail MAC (ISO 9797-1 algorithm 3), double-length key.
    #[value(name = "x9.19")]
    X919,
    /// The UnionPay POS MAC (printed as its 8 hex characters).
    #[value(name = "cup-ecb")]
    CupEcb,
    /// AES-CMAC, 8 bytes.
    #[value(name = "cmac-aes")]
    CmacAes,
}

#[derive(Debug, Args)]
struct MacArgs {
    #[command(flatten)]
    layout: LayoutArgs,
    #[command(flatten)]
    input: InputArgs,
    /// The MAC algorithm.
    #[arg(long, value_enum)]
    algorithm: MacChoice,
    /// The MAC key as hex (DES/TDES, or AES for cmac-aes).
    #[arg(long, value_name = "HEX")]
    key: String,
    /// Check the message's MAC field instead: exit 0 if it matches, 1 if not.
    #[arg(long)]
    verify: bool,
    /// Print JSON: {"mac": "..."} or {"verifies": true|false}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PinBlockArgs {
    /// ISO 9564-1 format: 0, 1, 3 or 4.
    #[arg(long, value_parser = ["0", "1", "3", "4"])]
    format: String,
    /// The PIN, 4 to 12 digits.
    #[arg(long, value_name = "DIGITS")]
    pin: String,
    /// The PAN (formats 0, 3 and 4).
    #[arg(long, value_name = "DIGITS")]
    pan: Option<String>,
    /// The PIN key as hex (DES/TDES for formats 0-3, AES for format 4).
    #[arg(long, value_name = "HEX")]
    key: Option<String>,
    /// Print JSON: {"pin_block": "..."}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Usage {
    /// PIN encryption.
    Pin,
    /// MAC (request or both ways).
    Mac,
    /// Data encryption (request or both ways).
    Data,
}

#[derive(Debug, Args)]
struct DukptArgs {
    /// The base derivation key as hex.
    #[arg(long, value_name = "HEX")]
    bdk: String,
    /// The key serial number as hex (10 bytes TDES, 12 bytes AES).
    #[arg(long, value_name = "HEX")]
    ksn: String,
    /// AES DUKPT (ANSI X9.24-3) instead of TDES (X9.24-1).
    #[arg(long)]
    aes: bool,
    /// The working key to derive.
    #[arg(long, value_enum, default_value_t = Usage::Pin)]
    usage: Usage,
    /// Print JSON: `{"ipek": "...", "pin": "..."}` (the usage names the second key).
    #[arg(long)]
    json: bool,
}

/// A failure and the exit code it gets.
struct Failure {
    code: u8,
    message: String,
}

/// The input could not be used (exit 3).
fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: 3,
        message: message.into(),
    }
}

impl LayoutArgs {
    fn mode(&self) -> ContentMode {
        if self.strict {
            ContentMode::Strict
        } else {
            ContentMode::Lenient
        }
    }

    fn layout(&self) -> Result<&'static MessageSpec<'static>, Failure> {
        if let Some(path) = &self.spec_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?;
            return iso8583_wire::loaders::load(&text)
                .and_then(|def| def.build())
                .map_err(|e| bad_input(format!("{}: {e}", path.display())));
        }
        let name = self.spec.as_deref().unwrap_or_default();
        layouts::by_name(name).ok_or_else(|| Failure {
            code: 2,
            message: format!(
                "unknown layout '{name}' (known: iso87ascii, iso87binary, iso93ascii, cup)"
            ),
        })
    }
}

fn framing(kind: &str) -> Result<Framing, Failure> {
    let (name, counts_itself) = match kind.strip_suffix("+self") {
        Some(n) => (n, true),
        None => (kind, false),
    };
    let header = LengthHeader::by_name(name).ok_or_else(|| Failure {
        code: 2,
        message: format!("unknown frame kind '{kind}' (bin2, bin4, bcd2, ascii4)"),
    })?;
    let framing = Framing::new(header).with_max_payload(header.capacity());
    Ok(if counts_itself {
        framing.counting_itself()
    } else {
        framing
    })
}

/// Hex text (whitespace ignored) as bytes.
fn hex_bytes(what: &str, text: &str) -> Result<Vec<u8>, Failure> {
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = vec![0u8; digits.len() / 2];
    hex::decode_into(&digits, &mut out).map_err(|e| bad_input(format!("bad {what}: {e}")))?;
    Ok(out)
}

impl InputArgs {
    /// The message bytes, from --hex, --file or stdin, at most --max-input bytes.
    fn read(&self) -> Result<Vec<u8>, Failure> {
        let max = self.max_input;
        let too_big = || {
            bad_input(format!(
                "the input is larger than {max} bytes (--max-input)"
            ))
        };
        if let Some(h) = &self.hex {
            if h.len() / 2 > max {
                return Err(too_big());
            }
            return hex_bytes("--hex value", h);
        }
        let mut raw = Vec::new();
        let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
        let read = match &self.file {
            Some(path) => std::fs::File::open(path)
                .and_then(|f| f.take(limit).read_to_end(&mut raw))
                .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display()))),
            None => std::io::stdin()
                .lock()
                .take(limit)
                .read_to_end(&mut raw)
                .map_err(|e| bad_input(format!("cannot read stdin: {e}"))),
        };
        read?;
        if raw.len() > max {
            return Err(too_big());
        }
        // Hex text if the input is only hex digits and whitespace, raw bytes otherwise.
        let text: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
            let mut out = vec![0u8; text.len() / 2];
            hex::decode_into(&text, &mut out)
                .map_err(|e| bad_input(format!("bad hex input: {e}")))?;
            Ok(out)
        } else {
            Ok(raw)
        }
    }
}

/// Writes to stdout; a closed pipe (e.g. `| head`) ends the program quietly.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(bad_input(format!("cannot write output: {e}"))),
    }
}

fn show(msg: &Message<'_>, args: &Decode) -> Result<(), Failure> {
    if args.json {
        emit(&format!("{}\n", json::to_json_string(msg, args.no_mask)))
    } else if args.no_mask {
        emit(&msg.dump().unmasked().to_string())
    } else {
        emit(&msg.dump().to_string())
    }
}

fn decode(args: &Decode) -> Result<(), Failure> {
    let spec = args.layout.layout()?;
    let mode = args.layout.mode();
    let input = args.input.read()?;
    let Some(kind) = &args.frame else {
        let msg = Message::decode_with(spec, &input, mode)
            .map_err(|e| bad_input(format!("decode failed: {e}")))?;
        return show(&msg, args);
    };
    let framing = framing(kind)?;
    let mut rest = &input[..];
    let mut index = 0;
    while !rest.is_empty() {
        index += 1;
        let (payload, used) = framing
            .parse(rest)
            .map_err(|e| bad_input(format!("frame {index}: {e}")))?
            .ok_or_else(|| bad_input(format!("frame {index}: input ends inside the frame")))?;
        let msg = Message::decode_with(spec, payload, mode)
            .map_err(|e| bad_input(format!("frame {index}: decode failed: {e}")))?;
        if !args.json && index > 1 {
            emit("\n")?;
        }
        show(&msg, args)?;
        rest = rest.get(used..).unwrap_or_default();
    }
    if index == 0 {
        return Err(bad_input("no frame in the input"));
    }
    Ok(())
}

fn encode(args: &Encode) -> Result<(), Failure> {
    let spec = args.layout.layout()?;
    let value: Json =
        serde_json::from_str(&args.json).map_err(|e| bad_input(format!("bad JSON: {e}")))?;
    let bytes = json::encode_json_with(spec, &value, args.layout.mode())
        .map_err(|e| bad_input(e.to_string()))?;
    let bytes = match &args.frame {
        Some(kind) => {
            let mut framed = Vec::new();
            framing(kind)?
                .encode(&bytes, &mut framed)
                .map_err(|e| bad_input(e.to_string()))?;
            framed
        }
        None => bytes,
    };
    let hex = hex::encode(&bytes);
    match args.output {
        Output::Hex => emit(&format!("{hex}\n")),
        Output::Json => emit(&format!("{}\n", serde_json::json!({ "hex": hex }))),
    }
}

/// Prints the report; `Ok(false)` when there is a violation. Free-text class
/// findings (`content.class`) are listed always and count only with --strict.
fn validate(args: &Validate) -> Result<bool, Failure> {
    let spec = args.layout.layout()?;
    let request = args.input.read()?;
    let request =
        Message::decode(spec, &request).map_err(|e| bad_input(format!("request: {e}")))?;
    let validator = Validator::new();
    let response_bytes = match &args.response {
        Some(h) => Some(hex_bytes("--response value", h)?),
        None => None,
    };
    let report = match &response_bytes {
        Some(bytes) => {
            let response =
                Message::decode(spec, bytes).map_err(|e| bad_input(format!("response: {e}")))?;
            validator.check_pair(&request, &response)
        }
        None => validator.check(&request),
    };
    let ok = report
        .iter()
        .all(|v| v.code == Code::ContentClass && !args.layout.strict);
    if args.json {
        let findings: Vec<Json> = report
            .iter()
            .map(|v| {
                serde_json::json!({
                    "field": v.field,
                    "code": v.code.as_str(),
                    "detail": v.detail,
                })
            })
            .collect();
        emit(&format!(
            "{}\n",
            serde_json::json!({ "ok": ok, "findings": findings })
        ))?;
    } else {
        emit(&report.to_string())?;
    }
    Ok(ok)
}

fn mac(args: &MacArgs) -> Result<bool, Failure> {
    use iso8583_wire::security::mac::{self as m, MacAlgorithm};
    use iso8583_wire::security::{Error, Key};
    let spec = args.layout.layout()?;
    let wire = args.input.read()?;
    let key = match args.algorithm {
        MacChoice::CmacAes => Key::aes_from_hex(&args.key),
        _ => Key::des_from_hex(&args.key),
    }
    .map_err(|e| bad_input(format!("--key: {e}")))?;
    let algorithm = match args.algorithm {
        MacChoice::X99 => MacAlgorithm::ANSI_X9_9,
        MacChoice::X919 => MacAlgorithm::ANSI_X9_19,
        MacChoice::CupEcb => MacAlgorithm::UnionPayEcb,
        MacChoice::CmacAes => MacAlgorithm::AesCmac,
    };
    if args.verify {
        let verifies = match m::verify_message(spec, &wire, algorithm, &key) {
            Ok(()) => true,
            Err(Error::MacMismatch) => false,
            Err(e) => return Err(bad_input(e.to_string())),
        };
        let text = match (args.json, verifies) {
            (true, v) => format!("{}\n", serde_json::json!({ "verifies": v })),
            (false, true) => "MAC verifies\n".to_string(),
            (false, false) => "MAC does not verify\n".to_string(),
        };
        return emit(&text).map(|()| verifies);
    }
    let input = m::mac_input(spec, &wire).map_err(|e| bad_input(e.to_string()))?;
    let tag = m::mac(algorithm, &key, input.data).map_err(|e| bad_input(e.to_string()))?;
    let text = match algorithm {
        // The UnionPay MAC is 8 hex characters already.
        MacAlgorithm::UnionPayEcb => String::from_utf8_lossy(&tag).to_uppercase(),
        _ => hex::encode(&tag),
    };
    if args.json {
        return emit(&format!("{}\n", serde_json::json!({ "mac": text }))).map(|()| true);
    }
    emit(&format!("{text}\n")).map(|()| true)
}

fn pin_block(args: &PinBlockArgs) -> Result<(), Failure> {
    use iso8583_wire::security::Key;
    use iso8583_wire::security::pin::{self, OsRng, Pin, PinFormat};
    let format = match args.format.as_str() {
        "0" => PinFormat::Iso0,
        "1" => PinFormat::Iso1,
        "3" => PinFormat::Iso3,
        _ => PinFormat::Iso4,
    };
    let pin = Pin::new(&args.pin).map_err(|e| bad_input(format!("--pin: {e}")))?;
    let pan = args.pan.as_deref();
    let mut rng = OsRng;
    let block = match &args.key {
        Some(k) => {
            let key = if format == PinFormat::Iso4 {
                Key::aes_from_hex(k)
            } else {
                Key::des_from_hex(k)
            }
            .map_err(|e| bad_input(format!("--key: {e}")))?;
            pin::encipher(format, &pin, pan, &key, &mut rng)
        }
        None => pin::clear_block(format, &pin, pan, &mut rng),
    }
    .map_err(|e| bad_input(e.to_string()))?;
    let hex = hex::encode(block.expose_secret());
    if args.json {
        return emit(&format!("{}\n", serde_json::json!({ "pin_block": hex })));
    }
    emit(&format!("{hex}\n"))
}

fn dukpt(args: &DukptArgs) -> Result<(), Failure> {
    use iso8583_wire::security::dukpt::{aes, tdes};
    use iso8583_wire::security::{Key, KeyKind};
    let key_hex = |k: &Key| hex::encode(k.expose_secret());
    if args.aes {
        let bdk = Key::aes_from_hex(&args.bdk).map_err(|e| bad_input(format!("--bdk: {e}")))?;
        let ksn = aes::Ksn::from_hex(&args.ksn).map_err(|e| bad_input(format!("--ksn: {e}")))?;
        let ik =
            aes::initial_key(&bdk, &ksn.initial_key_id()).map_err(|e| bad_input(e.to_string()))?;
        let usage = match args.usage {
            Usage::Pin => aes::KeyUsage::PinEncryption,
            Usage::Mac => aes::KeyUsage::MacBoth,
            Usage::Data => aes::KeyUsage::DataBoth,
        };
        let kind = bdk.kind();
        let working = aes::derive(&bdk, &ksn, usage, kind).map_err(|e| bad_input(e.to_string()))?;
        keys_out(args, &key_hex(&ik), &key_hex(&working))
    } else {
        let bdk = Key::des_from_hex(&args.bdk).map_err(|e| bad_input(format!("--bdk: {e}")))?;
        if bdk.kind() == KeyKind::Des {
            return Err(bad_input("--bdk: a TDES DUKPT base key is 16 or 24 bytes"));
        }
        let ksn = tdes::Ksn::from_hex(&args.ksn).map_err(|e| bad_input(format!("--ksn: {e}")))?;
        let ipek = tdes::ipek(&bdk, &ksn).map_err(|e| bad_input(e.to_string()))?;
        let usage = match args.usage {
            Usage::Pin => tdes::KeyUsage::Pin,
            Usage::Mac => tdes::KeyUsage::MacRequest,
            Usage::Data => tdes::KeyUsage::DataRequest,
        };
        let working = tdes::derive(&bdk, &ksn, usage).map_err(|e| bad_input(e.to_string()))?;
        keys_out(args, &key_hex(&ipek), &key_hex(&working))
    }
}

/// The `dukpt` output: `ipek=` and `<usage>=` lines, or one JSON object.
fn keys_out(args: &DukptArgs, ipek: &str, working: &str) -> Result<(), Failure> {
    let usage = name(args.usage);
    if args.json {
        let mut object = serde_json::Map::new();
        object.insert("ipek".into(), Json::String(ipek.into()));
        object.insert(usage.into(), Json::String(working.into()));
        return emit(&format!("{}\n", Json::Object(object)));
    }
    emit(&format!("ipek={ipek}\n{usage}={working}\n"))
}

fn name(usage: Usage) -> &'static str {
    match usage {
        Usage::Pin => "pin",
        Usage::Mac => "mac",
        Usage::Data => "data",
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match &cli.command {
        Command::Decode(args) => decode(args),
        Command::Encode(args) => encode(args),
        Command::Validate(args) => match validate(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Mac(args) => match mac(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::PinBlock(args) => pin_block(args),
        Command::Dukpt(args) => dukpt(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "iso8583",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
