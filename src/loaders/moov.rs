//! moov-io/iso8583 JSON specs (feature `moov`).
//!
//! The spec is `{"name": ..., "fields": {"0": {...}, "1": {...}, "2": {...}}}`; each
//! field has `type`, `length` (optional: 0 when absent, as in moov), `description`,
//! `enc`, `prefix` and optionally `padding`, and composites `subfields` with a `tag`
//! (TLV when the tag has an `enc`, positional in `sort` order when it has none) or a
//! `bitmap`.
//!
//! | moov | here |
//! |---|---|
//! | `type` `String`, `Numeric` | ans / n text in the field's encoding |
//! | `type` `Binary`, `Hex` | bytes (shown as uppercase hex) |
//! | `type` `Track1`, `Track3` | track text, masked as track data |
//! | `type` `Track2` | `z` text (`=` or `D` separator); raw nibbles (shown as hex) with `ASCIIToHex` or `Binary` |
//! | `type` `Composite` | subfields, see below |
//! | `enc` `ASCII` / `EBCDIC` / `EBCDIC1047` | ASCII / EBCDIC code page 037 / 1047 text (moov's own EBCDIC table differs from 037 on five punctuation marks) |
//! | `enc` `BCD` / `LBCD` | packed BCD, right / left aligned |
//! | `enc` `Binary`, `ASCIIToHex` | raw bytes |
//! | `enc` `HexToASCII` | hex-ASCII: bytes for `Binary` and `Hex`, the decoded text for `String` and `Numeric` |
//! | `prefix` `ASCII`, `BCD`, `EBCDIC`, `EBCDIC1047` `.L`..`.LLLLLL` | a length prefix of 1-6 digits |
//! | `prefix` `Binary.L`..`Binary.LLLL` | a binary length prefix of 1-4 bytes |
//! | `prefix` `Hex.L`..`Hex.LLLL` | a 1-4 byte number written as 2-8 hex characters |
//! | `prefix` `*.Fixed`, `Hex.Fixed` | fixed length |
//! | `prefix` `None.Fixed` | no prefix: the rest of the enclosing data (the message, or the parent composite) |
//! | `prefix` `BerTLV` | the BER length of an element of a BER-TLV composite |
//! | `padding` `{"type": "Left", "pad": "0"}` | [`Padding::Left`] |
//! | field 0 `enc` `HexToASCII` | the MTI as 8 hex characters ([`MtiEncoding::HexAscii`], `Spec87Hex`) |
//! | field 1 `disableAutoExpand` | one bitmap only |
//! | field 1 `length` 16 | 128-bit bitmap units ([`BitmapUnit::Bits128`], `Spec87ASCII`) |
//! | composite `tag` `{"sort": ...}` without `enc` | subfields in order ([`CompositeDef::Sequence`]), each with its own encoding and prefix, nested composites included |
//! | composite `bitmap` `{"length": 3, ...}` | a subfield bitmap of that many bytes; bit 1 is subfield 1 |
//! | composite `tag.enc` `BerTLVTag` | tagged subfields behind EMV BER-TLV tags ([`TlvPart::Ber`]): a `BerTLV` subfield framed by the BER length, any other by its own prefix; each subfield read as declared (`Hex` as hex, `String` as text, `Numeric` checked, constructed tags as declared composites) |
//! | composite `tag.enc` `ASCII`, `EBCDIC`, `EBCDIC1047`, `HexToASCII`, `Binary`, `ASCIIToHex`, `BCD` with `tag.length` | tagged subfields ([`CompositeDef::Tagged`]): the tag, then the subfield with its own prefix as its length; any subfield type, nested composites included; `tag.padding` Left: tags named without their pad (`"1"` for `"01"`); `HexToASCII` tags name the bytes their hex stands for (`3031` is `01`) |
//! | `skipUnknownTLVTags` with `prefUnknownTLV` (or BER-TLV tags) | unknown tags read as bytes with that prefix (BER-TLV: their BER length); without it an unknown tag refuses the message, as in moov |
//! | composite `prefix` | counts the bytes of the packed subfields, as moov |
//!
//! The subfields of positional, bitmapped and tagged composites are checked when a
//! message is decoded: a letter in a `Numeric` subfield refuses the message as it does in a
//! numeric field.
//!
//! A spec that defines fields above 128 gets a tertiary bitmap announced by bit 65, and
//! its definition of field 65 is dropped (moov never reads bit 65 as data). A message
//! bitmap of 16-byte units (`"length": 16` on field 1, moov's `Spec87ASCII`) is one
//! 128-bit unit always written whole ([`BitmapUnit::Bits128`]): field 65 is data, and
//! bit 1 announces a second unit (fields 130-192; a definition of field 129, whose bit
//! would announce a third unit, is dropped). Not
//! supported, with an error naming the field: other bitmap unit sizes, an unknown tag
//! moov would skip without a `prefUnknownTLV` (unless the tags are BER-TLV), and the
//! `BerTLV` prefix outside a BER-TLV composite. Unknown tags moov skips stay readable
//! here, as bytes (moov keeps them only with `storeUnknownTLVTags`).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

use crate::layout_def::{CompositeDef, FieldDef, LayoutDef, LayoutError};
use crate::mti::MtiEncoding;
use crate::spec::{
    Align, BitmapEncoding, BitmapSpec, BitmapUnit, CodePage, Content, Counts, Encoding, Length,
    Padding, Prefix, PrefixEncoding, Sensitivity, TlvPart,
};

fn err(field: u16, reason: impl Into<String>) -> LayoutError {
    LayoutError::Field {
        field,
        reason: reason.into(),
    }
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn encoding(n: u16, enc: &str) -> Result<Encoding, LayoutError> {
    Ok(match enc {
        "ASCII" => Encoding::Ascii,
        "EBCDIC" => Encoding::Ebcdic(CodePage::Cp037),
        "EBCDIC1047" => Encoding::Ebcdic(CodePage::Cp1047),
        "BCD" => Encoding::Bcd {
            align: Align::Right,
            filler: 0,
        },
        "LBCD" => Encoding::Bcd {
            align: Align::Left,
            filler: 0,
        },
        "Binary" | "ASCIIToHex" => Encoding::Binary,
        "HexToASCII" | "Hex" => Encoding::HexAscii,
        other => return Err(err(n, format!("unknown encoding '{other}'"))),
    })
}

/// How a field's length is known, from a moov prefix name.
enum Sized {
    Fixed,
    Var(Prefix),
    Rest,
    Ber,
}

fn prefix(n: u16, name: &str, max: u16) -> Result<Sized, LayoutError> {
    if name == "BerTLV" {
        return Ok(Sized::Ber);
    }
    let (kind, ls) = name
        .split_once('.')
        .ok_or_else(|| err(n, format!("unknown prefix '{name}'")))?;
    if ls == "Fixed" {
        return match kind {
            "None" => Ok(Sized::Rest),
            "ASCII" | "BCD" | "EBCDIC" | "EBCDIC1047" | "Binary" | "Hex" => Ok(Sized::Fixed),
            _ => Err(err(n, format!("unknown prefix '{name}'"))),
        };
    }
    let digits = match ls {
        "L" => 1,
        "LL" => 2,
        "LLL" => 3,
        "LLLL" => 4,
        "LLLLL" => 5,
        "LLLLLL" => 6,
        _ => return Err(err(n, format!("unknown prefix '{name}'"))),
    };
    let encoding = match kind {
        "ASCII" => PrefixEncoding::Ascii,
        "BCD" => PrefixEncoding::Bcd,
        "EBCDIC" | "EBCDIC1047" => PrefixEncoding::Ebcdic(CodePage::Cp037),
        "Binary" => PrefixEncoding::Binary,
        "Hex" => PrefixEncoding::Hex,
        _ => return Err(err(n, format!("unknown prefix '{name}'"))),
    };
    let p = Prefix {
        digits,
        encoding,
        counts: Counts::Units,
        max: 0,
    };
    if digits > p.max_digits() {
        return Err(err(n, format!("prefix '{name}': at most 4 bytes")));
    }
    Ok(Sized::Var(Prefix {
        max: max.min(p.capacity().min(usize::from(u16::MAX)) as u16),
        ..p
    }))
}

fn padding(v: &Value, content: Content) -> Padding {
    let default = match content {
        Content::N => Padding::Left(b'0'),
        Content::B | Content::Z => Padding::None,
        _ => Padding::Right(b' '),
    };
    let Some(p) = v.get("padding") else {
        return default;
    };
    // moov ignores a padder it cannot build: so does this.
    let pad = text(p, "pad").filter(|s| s.chars().count() == 1 && s.len() == 1);
    match (text(p, "type"), pad.and_then(|s| s.bytes().next())) {
        (Some("Left"), Some(c)) => Padding::Left(c),
        (Some("Right"), Some(c)) => Padding::Right(c),
        (Some("None"), _) => Padding::None,
        _ => default,
    }
}

/// `length`, 0 when absent (as in moov); above 65,535 clamped (a field never exceeds the
/// message).
fn length(n: u16, v: &Value) -> Result<u16, LayoutError> {
    match v.get("length") {
        None | Some(Value::Null) => Ok(0),
        Some(l) => l
            .as_u64()
            .map(|l| l.min(u64::from(u16::MAX)) as u16)
            .ok_or_else(|| err(n, format!("length {l} is not a whole number"))),
    }
}

/// Where a field sits: a message field, a subfield of a BER-TLV composite, or another
/// subfield.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Message,
    BerElement,
    Subfield,
}

fn field(n: u16, v: &Value, place: Place) -> Result<FieldDef, LayoutError> {
    let kind = text(v, "type").ok_or_else(|| err(n, "missing type"))?;
    let len = length(n, v)?;
    let prefix_name = text(v, "prefix").ok_or_else(|| err(n, "missing prefix"))?;
    let name = text(v, "description").unwrap_or("").to_string();
    if kind == "Composite" {
        return composite(n, v, name, len, prefix_name, place);
    }
    let content = match kind {
        "String" | "Track1" | "Track3" => Content::Ans,
        "Numeric" => Content::N,
        "Binary" | "Hex" => Content::B,
        "Track2" => Content::Z,
        "Bitmap" => return Err(err(n, "a Bitmap is only field 1 or a composite's bitmap")),
        other => return Err(err(n, format!("unsupported field type '{other}'"))),
    };
    let enc = text(v, "enc").ok_or_else(|| err(n, "missing enc"))?;
    let encoding = encoding(n, enc)?;
    let content = match (content, encoding) {
        // Track 2 as raw nibbles: the hex of its bytes.
        (Content::Z, Encoding::Binary) => Content::B,
        // BCD carries digits.
        (Content::Ans, Encoding::Bcd { .. }) => Content::N,
        (c, _) => c,
    };
    let length = match prefix(n, prefix_name, len)? {
        Sized::Fixed => Length::Fixed(len),
        Sized::Var(p) => Length::Var(p),
        Sized::Rest => Length::Rest { max: u16::MAX },
        // The element's BER length frames the value; no maximum when 0.
        Sized::Ber if place == Place::BerElement => Length::Rest {
            max: if len == 0 { u16::MAX } else { len },
        },
        Sized::Ber => {
            return Err(err(
                n,
                "prefix 'BerTLV' is supported for the subfields of a BER-TLV composite",
            ));
        }
    };
    let sensitivity = match (kind, place, n) {
        ("Track1" | "Track2" | "Track3", _, _) => Sensitivity::Track,
        (_, Place::Message, 35 | 36 | 45) => Sensitivity::Track,
        (_, Place::Message, 2 | 34) => Sensitivity::Pan,
        (_, Place::Message, 52) => Sensitivity::Secret,
        _ => Sensitivity::Public,
    };
    Ok(FieldDef {
        name,
        content,
        encoding,
        length,
        padding: if matches!(length, Length::Fixed(_)) {
            padding(v, content)
        } else {
            Padding::None
        },
        sensitivity,
        subfields: None,
    })
}

/// Whether every subfield (nested ones included) is text in ASCII, so that the parent
/// reads as text.
fn all_ascii_text(c: &CompositeDef) -> bool {
    let leaf = |f: &FieldDef| match &f.subfields {
        Some(inner) => all_ascii_text(inner),
        None => f.content.is_text() && f.encoding == Encoding::Ascii,
    };
    match c {
        CompositeDef::Sequence(fields) => fields.values().all(leaf),
        CompositeDef::Bitmapped { bitmap, fields, .. } => {
            *bitmap == BitmapEncoding::HexAscii && fields.values().all(leaf)
        }
        CompositeDef::Tagged {
            tag: TlvPart::Ascii(_),
            fields,
            ..
        } => fields.values().all(leaf),
        _ => false,
    }
}

/// Subfields by key, in the order `sort` gives.
fn sorted<'v>(
    n: u16,
    subs: &'v serde_json::Map<String, Value>,
    sort: Option<&str>,
) -> Result<Vec<(&'v String, &'v Value)>, LayoutError> {
    let mut out: Vec<_> = subs.iter().collect();
    match sort {
        Some("StringsByHex") => out.sort_by_key(|(k, _)| {
            (
                crate::wire::hex::decode(k.as_str())
                    .ok()
                    .map(|b| b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))),
                k.to_string(),
            )
        }),
        Some("StringsByInt") | None => {
            out.sort_by_key(|(k, _)| (k.parse::<i64>().ok(), k.to_string()));
        }
        Some(other) => return Err(err(n, format!("unknown sort '{other}'"))),
    }
    Ok(out)
}

fn composite(
    n: u16,
    v: &Value,
    name: String,
    len: u16,
    prefix_name: &str,
    place: Place,
) -> Result<FieldDef, LayoutError> {
    let subs = v
        .get("subfields")
        .and_then(Value::as_object)
        .ok_or_else(|| err(n, "a composite needs subfields"))?;
    // The prefix counts the bytes of the packed subfields.
    let length = match prefix(n, prefix_name, len)? {
        Sized::Fixed => Length::Fixed(len),
        Sized::Var(p) => Length::Var(p.counting_bytes()),
        Sized::Rest => Length::Rest { max: u16::MAX },
        Sized::Ber if place == Place::BerElement => Length::Rest {
            max: if len == 0 { u16::MAX } else { len },
        },
        Sized::Ber => {
            return Err(err(
                n,
                "prefix 'BerTLV' is supported for the subfields of a BER-TLV composite",
            ));
        }
    };
    let tag = v.get("tag");
    let tag_enc = tag.and_then(|t| text(t, "enc"));
    let sort = tag.and_then(|t| text(t, "sort"));
    let structure = if let Some(bitmap) = v.get("bitmap") {
        let bitmap_enc = match text(bitmap, "enc") {
            Some("HexToASCII" | "Hex") => BitmapEncoding::HexAscii,
            Some("EBCDIC" | "EBCDIC1047") => {
                return Err(err(n, "an EBCDIC subfield bitmap is not supported"));
            }
            _ => BitmapEncoding::Binary,
        };
        let bytes = match length_of(bitmap) {
            0 => 8,
            b @ 1..=8 => b as u8,
            b => {
                return Err(err(
                    n,
                    format!("a subfield bitmap of {b} bytes (at most 8)"),
                ));
            }
        };
        let mut fields = BTreeMap::new();
        for (k, s) in subs {
            let i: u16 = k
                .parse()
                .map_err(|_| err(n, format!("subfield key '{k}' is not a number")))?;
            fields.insert(i, sub(n, i, s, Place::Subfield)?);
        }
        CompositeDef::Bitmapped {
            bitmap: bitmap_enc,
            bitmap_bytes: bytes,
            extends: false,
            header: 0,
            fields,
        }
    } else if let Some(enc) = tag_enc.filter(|e| !e.is_empty()) {
        tlv(n, tag, enc, subs)?
    } else {
        // Positional: every subfield in `sort` order, each with its own wire form.
        let mut fields = BTreeMap::new();
        for (pos, (k, s)) in sorted(n, subs, sort)?.into_iter().enumerate() {
            let i = match k.parse::<u16>() {
                Ok(i) => i,
                Err(_) => u16::try_from(pos + 1).unwrap_or(u16::MAX),
            };
            if fields.insert(i, sub(n, i, s, Place::Subfield)?).is_some() {
                return Err(err(n, format!("subfield key '{k}' repeats a number")));
            }
        }
        CompositeDef::Sequence(fields)
    };
    let text_parent = all_ascii_text(&structure);
    Ok(FieldDef {
        name,
        content: if text_parent {
            Content::Ans
        } else {
            Content::B
        },
        encoding: if text_parent {
            Encoding::Ascii
        } else {
            Encoding::Binary
        },
        length,
        padding: Padding::None,
        sensitivity: Sensitivity::Public,
        subfields: Some(structure),
    })
}

fn length_of(v: &Value) -> u64 {
    v.get("length").and_then(Value::as_u64).unwrap_or(0)
}

/// One subfield, errors naming it inside field `n`.
fn sub(n: u16, i: u16, s: &Value, place: Place) -> Result<FieldDef, LayoutError> {
    field(n, s, place).map_err(|e| match e {
        LayoutError::Field { field, reason } if field == n => {
            err(n, format!("subfield {i}: {reason}"))
        }
        other => other,
    })
}

/// A composite with a tag encoding: BER-TLV or simple TLV.
fn tlv(
    n: u16,
    tag: Option<&Value>,
    enc: &str,
    subs: &serde_json::Map<String, Value>,
) -> Result<CompositeDef, LayoutError> {
    let tag_len = tag.map_or(0, length_of);
    let tag_len =
        u8::try_from(tag_len).map_err(|_| err(n, format!("a tag of {tag_len} characters")))?;
    let tag_part = match enc {
        // BER-TLV: the tag's size from its first bytes (`tag.length` ignored).
        "BerTLVTag" => TlvPart::Ber,
        "ASCII" => TlvPart::Ascii(tag_len),
        "EBCDIC" => TlvPart::Ebcdic(tag_len, CodePage::Cp037),
        "EBCDIC1047" => TlvPart::Ebcdic(tag_len, CodePage::Cp1047),
        "HexToASCII" => TlvPart::HexAscii(tag_len),
        "Binary" | "ASCIIToHex" => TlvPart::Binary(tag_len),
        "BCD" | "LBCD" => TlvPart::Bcd(tag_len.div_ceil(2)),
        _ => return Err(err(n, format!("tag encoding '{enc}' is not supported"))),
    };
    let place = if tag_part == TlvPart::Ber {
        Place::BerElement
    } else {
        Place::Subfield
    };
    let pad =
        tag.and_then(|t| t.get("padding"))
            .and_then(|p| match (text(p, "type"), text(p, "pad")) {
                (Some("Left"), Some(c)) if c.len() == 1 => c.bytes().next(),
                _ => None,
            });
    // Each element: the tag, then the subfield with its own prefix as its length.
    let mut fields = BTreeMap::new();
    for (k, s) in subs {
        let f = field(n, s, place).map_err(|e| match e {
            LayoutError::Field { field, reason } if field == n => {
                err(n, format!("subfield {k}: {reason}"))
            }
            other => other,
        })?;
        let key = match (pad, tag_part) {
            (Some(p), TlvPart::Ascii(_) | TlvPart::Ebcdic(..) | TlvPart::HexAscii(_)) => {
                let t = k.trim_start_matches(char::from(p));
                // A tag of pad characters only ("00") keeps one.
                if t.is_empty() {
                    k.get(k.len().saturating_sub(1)..).unwrap_or(k)
                } else {
                    t
                }
            }
            _ => k.as_str(),
        };
        fields.insert(key.to_ascii_uppercase(), f);
    }
    // Unknown tags moov skips, read with the prefix it is told to use for them.
    let skip = tag
        .and_then(|t| t.get("skipUnknownTLVTags"))
        .and_then(Value::as_bool)
        == Some(true);
    let unknown = match (skip, tag.and_then(|t| text(t, "prefUnknownTLV"))) {
        (true, Some(p)) => match prefix(n, p, u16::MAX)? {
            Sized::Var(p) => Some(Length::Var(p)),
            // A BER length after a BER tag.
            Sized::Ber if tag_part == TlvPart::Ber => Some(Length::Rest { max: u16::MAX }),
            _ => {
                return Err(err(
                    n,
                    format!("prefUnknownTLV '{p}' is not a length prefix"),
                ));
            }
        },
        // BER-TLV elements are skipped by their BER length.
        (true, None) if tag_part == TlvPart::Ber => Some(Length::Rest { max: u16::MAX }),
        _ => None,
    };
    if let Some(length) = unknown {
        fields.insert(
            "*".to_string(),
            FieldDef {
                name: "unknown tag".into(),
                content: Content::B,
                encoding: Encoding::Binary,
                length,
                padding: Padding::None,
                sensitivity: Sensitivity::Public,
                subfields: None,
            },
        );
    }
    Ok(CompositeDef::Tagged {
        tag: tag_part,
        pad,
        fields,
    })
}

/// Reads a moov-io/iso8583 JSON spec.
///
/// # Errors
///
/// [`LayoutError`] for JSON that is not a moov-io spec, or a type, encoding or prefix that
/// is not supported (the error names the field).
pub fn from_moov_json(text_in: &str) -> Result<LayoutDef, LayoutError> {
    let root: Value =
        serde_json::from_str(text_in).map_err(|e| LayoutError::Syntax(format!("{e}")))?;
    let fields = root
        .get("fields")
        .and_then(Value::as_object)
        .ok_or_else(|| LayoutError::Syntax("a moov spec has a \"fields\" object".into()))?;
    let mut def = LayoutDef {
        name: text(&root, "name").unwrap_or("moov").to_string(),
        description: "loaded from a moov-io/iso8583 JSON spec".into(),
        header: Vec::new(),
        mti: MtiEncoding::Ascii,
        bitmap: BitmapSpec::new(BitmapEncoding::HexAscii, 2),
        fields: BTreeMap::new(),
    };
    let mut one_bitmap = false;
    for (k, v) in fields {
        let n: u16 = k
            .trim()
            .parse()
            .map_err(|_| LayoutError::Syntax(format!("field key '{k}' is not a number")))?;
        match n {
            0 => {
                def.mti = match text(v, "enc") {
                    Some("ASCII") => MtiEncoding::Ascii,
                    Some("BCD" | "LBCD") => MtiEncoding::Bcd,
                    Some("EBCDIC") => MtiEncoding::Ebcdic(CodePage::Cp037),
                    Some("EBCDIC1047") => MtiEncoding::Ebcdic(CodePage::Cp1047),
                    Some("HexToASCII") => MtiEncoding::HexAscii,
                    other => return Err(err(0, format!("unsupported MTI encoding {other:?}"))),
                };
            }
            1 => {
                def.bitmap.encoding = match text(v, "enc") {
                    Some("HexToASCII" | "Hex") => BitmapEncoding::HexAscii,
                    Some("Binary" | "ASCIIToHex" | "ASCII") => BitmapEncoding::Binary,
                    other => return Err(err(1, format!("unsupported bitmap encoding {other:?}"))),
                };
                // moov's unit: 8 bytes (the ISO bitmaps) or 16 (`Spec87ASCII`: 128 bits
                // always written, bit 1 announcing a further 128-bit unit).
                def.bitmap.unit = match length_of(v) {
                    0 | 8 => BitmapUnit::Bits64,
                    16 => BitmapUnit::Bits128,
                    l => {
                        return Err(err(
                            1,
                            format!(
                                "a message bitmap of {l}-byte units is not supported (8 or 16)"
                            ),
                        ));
                    }
                };
                one_bitmap = v.get("disableAutoExpand").and_then(Value::as_bool) == Some(true);
            }
            193.. => return Err(err(n, "fields above 192 are not supported")),
            _ => {
                def.fields.insert(n, field(n, v, Place::Message)?);
            }
        }
    }
    let highest = def.fields.keys().max().copied().unwrap_or(0);
    // moov's bitmap grows by a unit whenever the first bit of the last one is set: bits
    // 1 and 65 announce bitmaps, never data. A third bitmap appears only past field 128,
    // and then moov ignores a definition of field 65.
    def.bitmap.max_bitmaps = if one_bitmap {
        1
    } else if def.bitmap.unit == BitmapUnit::Bits128 {
        // Field 65 is data; bit 129 announces a third unit, so moov never reads a
        // definition of field 129.
        def.fields.remove(&129);
        2
    } else if highest > 128 {
        def.fields.remove(&65);
        3
    } else {
        2
    };
    def.check()?;
    Ok(def)
}
