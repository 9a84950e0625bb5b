//! moov-io/iso8583 JSON specs (feature `moov`).
//!
//! The spec is `{"name": ..., "fields": {"0": {...}, "1": {...}, "2": {...}}}`; each
//! field has `type` (`String`, `Numeric`, `Binary`, `Bitmap`, `Composite`, `Track2`),
//! `length`, `description`, `enc`, `prefix` and optionally `padding`, and composites
//! `subfields` with a `tag` (TLV) or a `bitmap` or neither (positional).
//!
//! | moov | here |
//! |---|---|
//! | `enc` `ASCII` / `EBCDIC` | ASCII / EBCDIC code page 037 text (moov's own EBCDIC table differs from 037 on a few punctuation marks) |
//! | `enc` `BCD` / `LBCD` | packed BCD, right / left aligned |
//! | `enc` `Binary`, `ASCIIToHex` | raw bytes |
//! | `enc` `HexToASCII` (also `Hex`) | bytes as hex-ASCII |
//! | `prefix` `ASCII.L`..`ASCII.LLLL`, `BCD.*`, `EBCDIC.*` | length prefix of 1-4 digits |
//! | `prefix` `Binary.L`..`Binary.LLLL` | binary length prefix of 1-4 bytes |
//! | `prefix` `*.Fixed` | fixed length |
//! | `padding` `{"type": "Left", "pad": "0"}` | [`Padding::Left`] |
//! | composite `tag.enc` `BerTLVTag` | EMV BER-TLV |
//!
//! `length` counts characters, BCD digits or binary bytes as in moov.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};

use serde_json::Value;

use crate::layout_def::{CompositeDef, FieldDef, LayoutDef, LayoutError, PartDef};
use crate::mti::MtiEncoding;
use crate::spec::{
    Align, BitmapEncoding, BitmapSpec, CodePage, Content, Counts, Encoding, Length, Padding,
    PartLength, Prefix, PrefixEncoding, Sensitivity, TlvForm, TlvPart,
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

/// `(fixed, prefix)` from a moov prefix name.
fn prefix(n: u16, name: &str, max: u16) -> Result<Option<Prefix>, LayoutError> {
    let (kind, ls) = name
        .split_once('.')
        .ok_or_else(|| err(n, format!("unknown prefix '{name}'")))?;
    if ls == "Fixed" {
        return Ok(None);
    }
    let digits = match ls {
        "L" => 1,
        "LL" => 2,
        "LLL" => 3,
        "LLLL" => 4,
        _ => return Err(err(n, format!("unknown prefix '{name}'"))),
    };
    let encoding = match kind {
        "ASCII" => PrefixEncoding::Ascii,
        "BCD" => PrefixEncoding::Bcd,
        "EBCDIC" => PrefixEncoding::Ebcdic(CodePage::Cp037),
        "Binary" => PrefixEncoding::Binary,
        _ => return Err(err(n, format!("unsupported prefix '{name}'"))),
    };
    Ok(Some(Prefix {
        digits,
        encoding,
        counts: Counts::Units,
        max,
    }))
}

fn padding(n: u16, v: &Value, content: Content) -> Result<Padding, LayoutError> {
    let Some(p) = v.get("padding") else {
        return Ok(match content {
            Content::N => Padding::Left(b'0'),
            Content::B | Content::Z => Padding::None,
            _ => Padding::Right(b' '),
        });
    };
    let pad = text(p, "pad").and_then(|s| s.bytes().next());
    match (text(p, "type"), pad) {
        (Some("Left"), Some(c)) => Ok(Padding::Left(c)),
        (Some("Right"), Some(c)) => Ok(Padding::Right(c)),
        (Some("None"), _) => Ok(Padding::None),
        _ => Err(err(
            n,
            "padding needs a type (Left, Right, None) and a pad character",
        )),
    }
}

fn length(n: u16, v: &Value) -> Result<u16, LayoutError> {
    v.get("length")
        .and_then(Value::as_u64)
        .and_then(|l| u16::try_from(l).ok())
        .ok_or_else(|| err(n, "length must be a number up to 65535"))
}

fn field(n: u16, v: &Value) -> Result<FieldDef, LayoutError> {
    let kind = text(v, "type").ok_or_else(|| err(n, "missing type"))?;
    let len = length(n, v)?;
    let prefix_name = text(v, "prefix").ok_or_else(|| err(n, "missing prefix"))?;
    let name = text(v, "description").unwrap_or("").to_string();
    if kind == "Composite" {
        return composite(n, v, name, len, prefix_name);
    }
    let content = match kind {
        "String" => Content::Ans,
        "Numeric" => Content::N,
        "Binary" => Content::B,
        "Track2" => Content::Z,
        other => return Err(err(n, format!("unsupported field type '{other}'"))),
    };
    let mut encoding = encoding(n, text(v, "enc").ok_or_else(|| err(n, "missing enc"))?)?;
    let mut content = content;
    // Hex-ASCII or binary data is bytes whatever the moov type.
    if matches!(encoding, Encoding::HexAscii | Encoding::Binary) && content != Content::B {
        content = Content::B;
    }
    if matches!(encoding, Encoding::Bcd { .. }) && content == Content::Ans {
        content = Content::N;
    }
    if content == Content::Z && encoding == Encoding::Ascii {
        encoding = Encoding::Ascii;
    }
    let padding = padding(n, v, content)?;
    let length = match prefix(n, prefix_name, len)? {
        None => Length::Fixed(len),
        Some(p) => Length::Var(p),
    };
    let sensitivity = match (content, n) {
        (Content::Z, _) | (_, 35 | 36 | 45) => Sensitivity::Track,
        (_, 2 | 34) => Sensitivity::Pan,
        (_, 52) => Sensitivity::Secret,
        _ => Sensitivity::Public,
    };
    Ok(FieldDef {
        name,
        content,
        encoding,
        length,
        padding: if matches!(length, Length::Var(_)) {
            Padding::None
        } else {
            padding
        },
        sensitivity,
        subfields: None,
    })
}

fn composite(
    n: u16,
    v: &Value,
    name: String,
    len: u16,
    prefix_name: &str,
) -> Result<FieldDef, LayoutError> {
    let subs = v
        .get("subfields")
        .and_then(Value::as_object)
        .ok_or_else(|| err(n, "a composite needs subfields"))?;
    let length = match prefix(n, prefix_name, len)? {
        None => Length::Fixed(len),
        Some(p) => Length::Var(p),
    };
    if let Some(tag) = v.get("tag") {
        let form = match text(tag, "enc") {
            Some("BerTLVTag") => TlvForm::Ber,
            Some(enc) => {
                let tag_len = tag
                    .get("length")
                    .and_then(Value::as_u64)
                    .map_or(Ok(2), u8::try_from)
                    .map_err(|_| err(n, "tag length is too large"))?;
                let tag_part = match enc {
                    "ASCII" => TlvPart::Ascii(tag_len),
                    "Binary" => TlvPart::Binary(tag_len),
                    "BCD" => TlvPart::Bcd(tag_len),
                    _ => return Err(err(n, format!("unsupported tag encoding '{enc}'"))),
                };
                // moov sizes each TLV subfield with its own prefix; the common form is
                // an ASCII length of the subfield's prefix digits.
                let digits = match subs
                    .values()
                    .find_map(|s| text(s, "prefix"))
                    .and_then(|p| p.split_once('.'))
                    .map(|(_, l)| l)
                {
                    Some("L") => 1,
                    Some("LL") | None => 2,
                    Some("LLL") => 3,
                    Some("LLLL") => 4,
                    Some(other) => {
                        return Err(err(n, format!("unsupported TLV length form '{other}'")));
                    }
                };
                TlvForm::Simple {
                    tag: tag_part,
                    length: TlvPart::Ascii(digits),
                }
            }
            None => return Err(err(n, "a tag needs an enc")),
        };
        // Text tags make a text field; BER and binary tags a binary one.
        let text_tags = matches!(
            form,
            TlvForm::Simple {
                tag: TlvPart::Ascii(_),
                ..
            }
        );
        return Ok(FieldDef {
            name,
            content: if text_tags { Content::Ans } else { Content::B },
            encoding: if text_tags {
                Encoding::Ascii
            } else {
                Encoding::Binary
            },
            length,
            padding: Padding::None,
            sensitivity: Sensitivity::Public,
            subfields: Some(CompositeDef::Tlv(form)),
        });
    }
    let enc = subs
        .values()
        .find_map(|s| text(s, "enc"))
        .unwrap_or("ASCII");
    let encoding = encoding(n, enc)?;
    if let Some(bitmap) = v.get("bitmap") {
        let bitmap_enc = match text(bitmap, "enc") {
            Some("HexToASCII" | "Hex") => BitmapEncoding::HexAscii,
            _ => BitmapEncoding::Binary,
        };
        let mut fields = BTreeMap::new();
        for (k, s) in subs {
            let i: u16 = k
                .parse()
                .map_err(|_| err(n, format!("subfield key '{k}' is not a number")))?;
            fields.insert(i, field(n, s)?);
        }
        return Ok(FieldDef {
            name,
            content: if encoding == Encoding::Binary {
                Content::B
            } else {
                Content::Ans
            },
            encoding: if encoding == Encoding::Binary {
                Encoding::Binary
            } else {
                Encoding::Ascii
            },
            length,
            padding: Padding::None,
            sensitivity: Sensitivity::Public,
            subfields: Some(CompositeDef::Bitmapped {
                bitmap: bitmap_enc,
                fields,
            }),
        });
    }
    // Positional: subfields in key order, each fixed or with a short ASCII length.
    let mut ordered: alloc::vec::Vec<(u16, &Value)> = subs
        .iter()
        .map(|(k, s)| {
            k.parse::<u16>()
                .map(|i| (i, s))
                .map_err(|_| err(n, format!("subfield key '{k}'")))
        })
        .collect::<Result<_, _>>()?;
    ordered.sort_by_key(|(i, _)| *i);
    let mut parts = alloc::vec::Vec::new();
    let mut all_numeric = true;
    for (i, s) in ordered {
        let sub = field(n, s)?;
        all_numeric &= sub.content == Content::N;
        let length = match sub.length {
            Length::Fixed(l) => PartLength::Fixed(l),
            Length::Var(p) if p.encoding == PrefixEncoding::Ascii => PartLength::Prefixed {
                digits: p.digits,
                max: p.max,
            },
            Length::Var(_) => {
                return Err(err(
                    n,
                    format!(
                        "subfield {i}: only ASCII length prefixes inside a positional composite"
                    ),
                ));
            }
        };
        parts.push(PartDef {
            name: sub.name,
            content: sub.content,
            length,
        });
    }
    let bcd = matches!(encoding, Encoding::Bcd { .. });
    Ok(FieldDef {
        name,
        content: if bcd || all_numeric {
            Content::N
        } else {
            Content::Ans
        },
        encoding: if bcd { encoding } else { Encoding::Ascii },
        length,
        padding: Padding::None,
        sensitivity: Sensitivity::Public,
        subfields: Some(CompositeDef::Positional(parts)),
    })
}

/// Reads a moov-io/iso8583 JSON spec.
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
        header: alloc::vec::Vec::new(),
        mti: MtiEncoding::Ascii,
        bitmap: BitmapSpec {
            encoding: BitmapEncoding::HexAscii,
            max_bitmaps: 2,
        },
        fields: BTreeMap::new(),
    };
    let mut highest = 0u16;
    for (k, v) in fields {
        let n: u16 = k
            .parse()
            .map_err(|_| LayoutError::Syntax(format!("field key '{k}' is not a number")))?;
        match n {
            0 => {
                def.mti = match text(v, "enc") {
                    Some("ASCII") => MtiEncoding::Ascii,
                    Some("BCD" | "LBCD") => MtiEncoding::Bcd,
                    Some("EBCDIC") => MtiEncoding::Ebcdic(CodePage::Cp037),
                    other => return Err(err(0, format!("unsupported MTI encoding {other:?}"))),
                };
            }
            1 => {
                def.bitmap.encoding = match text(v, "enc") {
                    Some("HexToASCII" | "Hex" | "ASCII") => BitmapEncoding::HexAscii,
                    Some("Binary" | "ASCIIToHex") => BitmapEncoding::Binary,
                    other => return Err(err(1, format!("unsupported bitmap encoding {other:?}"))),
                };
            }
            _ => {
                highest = highest.max(n);
                def.fields.insert(n, field(n, v)?);
            }
        }
    }
    // moov messages carry a secondary bitmap; a third appears only past field 128.
    def.bitmap.max_bitmaps = if highest > 128 { 3 } else { 2 };
    def.check()?;
    Ok(def)
}
