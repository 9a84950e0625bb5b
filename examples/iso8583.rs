//! `iso8583`: decode and encode ISO 8583 messages from the command line.
//!
//! ```text
//! iso8583 decode --spec <layout> [--hex HEX | --file PATH | (stdin)] [--json] [--no-mask]
//!                [--frame <kind>] [--strict]
//! iso8583 encode --spec <layout> --json '<JSON>' [--frame <kind>] [--strict]  # UPPERCASE hex
//! iso8583 validate --spec <layout> --hex <request> [--response <hex>] [--strict]
//! ```
//!
//! Free-text fields (`a`, `an`, `anp`, `ans`, `ns`) accept any character unless
//! `--strict` is given: then `decode` and `encode` refuse a character outside the
//! field's class, and `validate` counts such `content.class` findings as violations
//! (without it they are listed but do not fail). Text in JSON is ISO-8859-1: one
//! character U+0000-U+00FF per byte.
//!
//! `--frame` reads (or writes) messages behind a length header: `bin2`, `bin4`, `bcd2`
//! or `ascii4`, with `+self` when the length counts the header too (`bin2+self`).
//! Framed input may hold several messages; each is decoded in turn.
//!
//! `validate` prints one line per finding (field, code, explanation) and exits
//! non-zero when there is any violation.
//!
//! Layouts: iso87ascii, iso87binary, iso93ascii, cup; or `--spec-file PATH` instead of
//! `--spec` for a jPOS GenericPackager XML, moov-io JSON or iso8583-wire JSON layout
//! (recognised by content; needs `--features jpos,moov,serde`). Input given with `--file` or on
//! stdin may be hex text (whitespace ignored) or the raw message bytes. JSON is
//! `{"mti": "0200", "fields": {"2": "...", ...}}`, plus `"header": {...}` for layouts
//! with a header. Sensitive fields (PAN, track data, PIN block) are masked unless
//! `--no-mask` is given.

use std::io::Read;
use std::process::ExitCode;

use iso8583_wire::frame::{Framing, LengthHeader};
use iso8583_wire::spec::{ContentMode, MessageSpec};
use iso8583_wire::validate::{Code, Validator};
use iso8583_wire::wire::hex;
use iso8583_wire::{Message, MessageBuilder, Mti, layouts};
use serde_json::Value as Json;

const USAGE: &str = "usage:
  iso8583 decode --spec <layout> [--hex HEX | --file PATH | (stdin)] [--json] [--no-mask] [--frame <kind>] [--strict]
  iso8583 encode --spec <layout> --json '<JSON>' [--frame <kind>] [--strict]
  iso8583 validate --spec <layout> --hex <request> [--response <hex>] [--strict]
layouts: iso87ascii, iso87binary, iso93ascii, cup (or --spec-file PATH: jPOS XML, moov JSON, own JSON)
frames:  bin2, bin4, bcd2, ascii4 (add +self when the length counts the header)";

struct Args {
    command: String,
    spec: Option<String>,
    hex: Option<String>,
    file: Option<String>,
    json: Option<Option<String>>,
    response: Option<String>,
    frame: Option<Framing>,
    spec_file: Option<String>,
    no_mask: bool,
    strict: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1).peekable();
    let command = it.next().ok_or("missing command")?;
    let mut args = Args {
        command,
        spec: None,
        hex: None,
        file: None,
        json: None,
        response: None,
        frame: None,
        spec_file: None,
        no_mask: false,
        strict: false,
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--spec" => args.spec = Some(it.next().ok_or("--spec needs a layout name")?),
            "--hex" => args.hex = Some(it.next().ok_or("--hex needs a value")?),
            "--file" => args.file = Some(it.next().ok_or("--file needs a path")?),
            "--json" => {
                // `decode --json` is a flag; `encode --json '<JSON>'` takes a value.
                let value = if args.command == "encode" {
                    Some(it.next().ok_or("--json needs a JSON object")?)
                } else {
                    None
                };
                args.json = Some(value);
            }
            "--response" => args.response = Some(it.next().ok_or("--response needs hex")?),
            "--frame" => {
                let kind = it.next().ok_or("--frame needs a kind")?;
                let (name, counts_itself) = match kind.strip_suffix("+self") {
                    Some(n) => (n, true),
                    None => (kind.as_str(), false),
                };
                let header = LengthHeader::by_name(name).ok_or_else(|| {
                    format!("unknown frame kind '{kind}' (bin2, bin4, bcd2, ascii4)")
                })?;
                let mut framing = Framing::new(header).with_max_payload(header.capacity());
                if counts_itself {
                    framing = framing.counting_itself();
                }
                args.frame = Some(framing);
            }
            "--spec-file" => args.spec_file = Some(it.next().ok_or("--spec-file needs a path")?),
            "--no-mask" => args.no_mask = true,
            "--strict" => args.strict = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(args)
}

fn layout(args: &Args) -> Result<&'static MessageSpec<'static>, String> {
    if let Some(path) = &args.spec_file {
        return load_spec_file(path);
    }
    let name = args
        .spec
        .as_deref()
        .ok_or("--spec or --spec-file is required")?;
    layouts::by_name(name).ok_or_else(|| {
        format!("unknown layout '{name}' (known: iso87ascii, iso87binary, iso93ascii, cup)")
    })
}

/// A layout from a jPOS XML, moov-io JSON or iso8583-wire JSON file (detected by
/// content).
#[cfg(all(feature = "jpos", feature = "moov", feature = "serde"))]
fn load_spec_file(path: &str) -> Result<&'static MessageSpec<'static>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    iso8583_wire::loaders::load(&text)
        .and_then(|def| def.build())
        .map_err(|e| format!("{path}: {e}"))
}

#[cfg(not(all(feature = "jpos", feature = "moov", feature = "serde")))]
fn load_spec_file(_path: &str) -> Result<&'static MessageSpec<'static>, String> {
    Err("--spec-file needs the example built with --features jpos,moov,serde".into())
}

/// Hex text if the input is only hex digits and whitespace, raw bytes otherwise.
fn bytes_from_input(raw: Vec<u8>) -> Result<Vec<u8>, String> {
    let text: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
        let mut out = vec![0u8; text.len() / 2];
        hex::decode_into(&text, &mut out).map_err(|e| format!("bad hex input: {e}"))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn hex_arg(flag: &str, h: &str) -> Result<Vec<u8>, String> {
    let text: Vec<u8> = h.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = vec![0u8; text.len() / 2];
    hex::decode_into(&text, &mut out).map_err(|e| format!("bad {flag} value: {e}"))?;
    Ok(out)
}

fn read_input(args: &Args) -> Result<Vec<u8>, String> {
    if let Some(h) = &args.hex {
        return hex_arg("--hex", h);
    }
    let raw = if let Some(path) = &args.file {
        std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?
    } else {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        buf
    };
    bytes_from_input(raw)
}

fn to_json(msg: &Message<'_>, unmasked: bool) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = format!("{{\"mti\":{}", q(&msg.mti().to_string()));
    if !msg.spec().header.is_empty() {
        let parts: Vec<String> = msg
            .spec()
            .header
            .iter()
            .map(|p| {
                let bytes = msg.header_part(p.name).unwrap_or_default();
                format!("{}:{}", q(p.name), q(&hex::encode(bytes)))
            })
            .collect();
        out.push_str(&format!(",\"header\":{{{}}}", parts.join(",")));
    }
    let fields: Vec<String> = msg
        .fields()
        .map(|f| {
            let value = if unmasked {
                f.value().to_string()
            } else {
                f.masked().to_string()
            };
            format!("\"{}\":{}", f.number(), q(&value))
        })
        .collect();
    out.push_str(&format!(",\"fields\":{{{}}}}}", fields.join(",")));
    out
}

/// Writes to stdout; a closed pipe (e.g. `| head`) ends the program quietly.
fn emit(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {e}");
        std::process::exit(1);
    }
}

fn show(msg: &Message<'_>, args: &Args) {
    if args.json.is_some() {
        emit(format_args!("{}\n", to_json(msg, args.no_mask)));
    } else if args.no_mask {
        emit(format_args!("{}", msg.dump().unmasked()));
    } else {
        emit(format_args!("{}", msg.dump()));
    }
}

fn decode(args: &Args) -> Result<(), String> {
    let spec = layout(args)?;
    let input = read_input(args)?;
    let Some(framing) = args.frame else {
        let msg = Message::decode_with(spec, &input, args.content_mode())
            .map_err(|e| format!("decode failed: {e}"))?;
        show(&msg, args);
        return Ok(());
    };
    let mut rest = &input[..];
    let mut index = 0;
    while !rest.is_empty() {
        index += 1;
        let (payload, used) = framing
            .parse(rest)
            .map_err(|e| format!("frame {index}: {e}"))?
            .ok_or_else(|| format!("frame {index}: input ends inside the frame"))?;
        let msg = Message::decode_with(spec, payload, args.content_mode())
            .map_err(|e| format!("frame {index}: decode failed: {e}"))?;
        if args.json.is_none() && index > 1 {
            emit(format_args!("\n"));
        }
        show(&msg, args);
        rest = &rest[used..];
    }
    if index == 0 {
        return Err("no frame in the input".into());
    }
    Ok(())
}

fn encode(args: &Args) -> Result<(), String> {
    let spec = layout(args)?;
    let text = args
        .json
        .clone()
        .flatten()
        .ok_or("encode needs --json '<JSON>'")?;
    let json: Json = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let mti: Mti = json
        .get("mti")
        .and_then(Json::as_str)
        .ok_or("JSON needs \"mti\" as a string")?
        .parse()
        .map_err(|e| format!("bad mti: {e}"))?;
    let mut header = Vec::new();
    for part in spec.header {
        let value = json
            .get("header")
            .and_then(|h| h.get(part.name))
            .and_then(Json::as_str)
            .ok_or_else(|| format!("JSON needs \"header\": {{\"{}\": \"<hex>\"}}", part.name))?;
        let bytes = hex::decode(value).map_err(|e| format!("header {}: {e}", part.name))?;
        if bytes.len() != part.len {
            return Err(format!("header {} must be {} bytes", part.name, part.len));
        }
        header.extend(bytes);
    }
    let fields = json
        .get("fields")
        .and_then(Json::as_object)
        .ok_or("JSON needs \"fields\" as an object")?;
    // Text values are ISO-8859-1 on the wire: each character U+0000-U+00FF is one
    // byte. Binary values are hex; numbers are allowed for numeric fields.
    let mut values: Vec<(usize, FieldInput)> = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        let n: usize = key
            .parse()
            .map_err(|_| format!("field key '{key}' is not a number"))?;
        let text_field = spec.field(n).is_some_and(|f| f.content.is_text());
        let input = match value {
            Json::String(s) if text_field => FieldInput::Bytes(latin1(s).ok_or_else(|| {
                format!("field {n}: a character is not in ISO-8859-1 (U+0000-U+00FF)")
            })?),
            Json::String(s) => FieldInput::Hex(s.clone()),
            Json::Number(v) => FieldInput::Number(
                v.as_u64()
                    .ok_or_else(|| format!("field {n}: a number must be a whole number >= 0"))?,
            ),
            _ => return Err(format!("field {n}: value must be a string or a number")),
        };
        values.push((n, input));
    }
    let mut b = MessageBuilder::new(spec, mti);
    b.set_content_mode(args.content_mode());
    b.set_header(&header).map_err(|e| e.to_string())?;
    for (n, value) in &values {
        match value {
            FieldInput::Bytes(v) => b.set(*n, v.as_slice()),
            FieldInput::Hex(h) => b.set(*n, h.as_str()),
            FieldInput::Number(v) => b.set(*n, *v),
        }
        .map_err(|e| e.to_string())?;
    }
    let bytes = b.to_bytes().map_err(|e| e.to_string())?;
    match args.frame {
        Some(framing) => {
            let mut framed = Vec::new();
            framing
                .encode(&bytes, &mut framed)
                .map_err(|e| e.to_string())?;
            emit(format_args!("{}\n", hex::encode(&framed)));
        }
        None => emit(format_args!("{}\n", hex::encode(&bytes))),
    }
    Ok(())
}

/// A field value from the JSON, owned until the builder has encoded it.
enum FieldInput {
    Bytes(Vec<u8>),
    Hex(String),
    Number(u64),
}

/// The ISO-8859-1 bytes of `s`, if every character is in U+0000-U+00FF.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

impl Args {
    fn content_mode(&self) -> ContentMode {
        if self.strict {
            ContentMode::Strict
        } else {
            ContentMode::Lenient
        }
    }
}

/// Prints the report; `Ok(false)` when there are violations. Free-text class findings
/// (`content.class`) are listed always and count as violations with `--strict`.
fn validate(args: &Args) -> Result<bool, String> {
    let spec = layout(args)?;
    let request = read_input(args)?;
    let request = Message::decode(spec, &request).map_err(|e| format!("request: {e}"))?;
    let validator = Validator::new();
    let report = match &args.response {
        Some(h) => {
            let bytes = hex_arg("--response", h)?;
            let response = Message::decode(spec, &bytes).map_err(|e| format!("response: {e}"))?;
            validator.check_pair(&request, &response)
        }
        None => validator.check(&request),
    };
    emit(format_args!("{report}"));
    Ok(report
        .iter()
        .all(|v| v.code == Code::ContentClass && !args.strict))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e} (iso8583 --help shows the usage)");
            return ExitCode::from(2);
        }
    };
    let result = match args.command.as_str() {
        "decode" => decode(&args),
        "encode" => encode(&args),
        "validate" => match validate(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        other => {
            eprintln!("error: unknown command '{other}' (iso8583 --help shows the usage)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
