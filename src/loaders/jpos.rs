//! jPOS GenericPackager XML (feature `jpos`).
//!
//! Reads `<isopackager>` (attributes `headerLength`, `maxValidField`, `emitBitmap`,
//! `bitmapField`) with its `<isofield id length name class pad trim>` elements,
//! `<isofieldpackager>` subfield packagers and `<isofieldvalidator>` validators. Field 0
//! sets the MTI encoding and field 1 the bitmap form. Class and packager names are read
//! without their Java package and surrounding spaces.
//!
//! Lengths are read as jPOS reads them and never refused for their size: a declared
//! length above what the message can hold (65,535 bytes) is clamped to it, and a maximum
//! above what the class's length prefix can express (jPOS `IFB_LLCHAR` of 255) is
//! clamped to the prefix's capacity.
//!
//! The field packager classes understood (`LL` to `LLLLLL`: 2 to 6 digits):
//!
//! | class | content, encoding, length |
//! |---|---|
//! | `IFA_NUMERIC`, `IFA_AMOUNT2003` | n, ASCII, fixed, zero-padded |
//! | `IFA_LNUM` .. `IFA_LLLLLLNUM` | n, ASCII, ASCII prefix |
//! | `IFA_FLLNUM`, `IFA_FLLCHAR` | n / ans, ASCII: two ASCII digits of the value's length, the value, spaces up to the declared length ([`Length::Filled`]: always 2 + length bytes) |
//! | `IFB_LLHFBINARY` | b: one binary byte of length, the bytes, zeros up to the declared length (always 1 + length bytes) |
//! | `IFB_FLLNUM`, `IFB_FLLLNUM` | n, packed BCD behind a BCD count of digits (2 / 3 digits); the odd pad nibble is F, last (`pad="true"`: 0, first) |
//! | `IF_CHAR` | ans, ASCII, fixed, space-padded (`trim="true"`: up to the length, to the end of the parent) |
//! | `IFA_LCHAR` .. `IFA_LLLLLLCHAR` | ans, ASCII, ASCII prefix |
//! | `IFA_AMOUNT` | x+n, ASCII, fixed |
//! | `IFA_BINARY` | b, hex-ASCII, fixed (length in bytes) |
//! | `IFA_LBINARY` .. `IFA_LLLLLLBINARY` | b, raw bytes, ASCII prefix counting bytes |
//! | `IFA_BITMAP`, `IFB_BITMAP`, `IFE_BITMAP` | the bitmap: hex-ASCII, binary, EBCDIC hex |
//! | `IFB_NUMERIC`, `IFB_AMOUNT2003` | n, packed BCD, fixed; `pad="true"` right-aligned, else left |
//! | `IFB_LLNUM` .. `IFB_LLLLLLNUM` | n, packed BCD, BCD prefix counting digits |
//! | `IFB_LLCHAR` .. `IFB_LLLLLLCHAR` | ans, ASCII, BCD prefix counting bytes |
//! | `IFB_BINARY` | b, raw, fixed |
//! | `IFB_LLBINARY` .. `IFB_LLLLLLBINARY` | b, raw, BCD prefix counting bytes |
//! | `IFB_AMOUNT` | x+n, sign in ASCII then packed BCD |
//! | `IFB_LLHNUM`, `IFB_LLLHNUM` | n, packed BCD, 1- / 2-byte binary prefix counting digits (Visa BASE I) |
//! | `IFB_LLHCHAR`, `IFB_LLLHCHAR` | ans, ASCII, 1- / 2-byte binary prefix |
//! | `IFB_LLHECHAR`, `IFB_LLLHECHAR` | ans, EBCDIC, 1- / 2-byte binary prefix |
//! | `IFB_LLHBINARY`, `IFB_LLLHBINARY`, `IFB_LHBINARY` | b, raw, 1- / 2-byte binary prefix |
//! | `IFA_LLHCHAR`, `IFA_LLHBINARY` | as the `IFB_LLH` classes (jPOS has no such class; `vapvip.xml` names one) |
//! | `IFE_NUMERIC`, `IFE_CHAR`, `IF_ECHAR` | EBCDIC (code page 1047), fixed |
//! | `IFE_LNUM` .. `IFE_LLLLNUM`, `IFE_LCHAR` .. `IFE_LLLLCHAR` | EBCDIC with an EBCDIC prefix |
//! | `IFE_LBINARY` .. `IFE_LLLLBINARY` | b, raw, EBCDIC prefix counting bytes |
//! | `IFE_BINARY` | each byte as two EBCDIC hex characters; the value reads as the hex text |
//! | `IFE_AMOUNT` | x+n, EBCDIC, fixed |
//! | `IFEB_LLNUM`, `IFEB_LLLNUM` | packed BCD behind an EBCDIC prefix counting bytes; the value reads as hex nibbles (digits, `D` separator, `F` filler) |
//! | `IF_NOP` | nothing on the wire: the subfield is left out |
//!
//! Track data fields 35 and 36 take `z` content whatever their class (jPOS declares 35
//! as `IFA_LLNUM` but it carries the `=` separator).
//!
//! Subfield packagers (`<isofieldpackager packager=...>`):
//!
//! | packager | here |
//! |---|---|
//! | `GenericSubFieldPackager` | with a bitmap (`emitBitmap`, default true, bitmap at `bitmapField`, default 1): a bitmapped composite; `IFB_BITMAP` of 16 makes bit 1 announce subfields 65-128. Without one: subfields in order from `firstField`, each with its own class |
//! | `Base1SubFieldPackager` + `Base1_BITMAP126` | bitmapped, 8 binary bytes, bit 1 a subfield |
//! | `GenericPackager` (nested) | bitmapped after `headerLength` bytes; `IFE_BITMAP` of 2 or 4 bytes |
//! | `EuroSubFieldPackager` + `IFEP_LLCHAR` | subfield 0, then `LL TT data` elements (subfield `1`, tags `TT`) |
//! | `BERTLVBinaryPackager`, `ICCDataPackager` | EMV BER-TLV |
//! | `GenericTaggedFieldsPackager` + `IFA_TTLL*CHAR` | `tagSize`-character tags, `lenSize`-digit lengths |
//! | `TaggedSequencePackager` + `IFTA_*` | untagged leading subfields, then tags of the `token`'s width and LL/LLL lengths (the tagged run is one subfield after the untagged ones) |
//! | `CTCSubElementPackager`, `CTCSubFieldPackager` | subfields in order (as jPOS unpacks them) |
//! | `DatasetPackager` | the field is read whole, as its class says (datasets are not split) |
//!
//! Validators (`<isofieldvalidator>`) become strict-mode classes of free-text fields:
//! `IVA_ALPHANUM` and `IVA_ALPHANUMNOZERO` give `anp`, the `..NOBLANK` forms `an`
//! (enforced with [`crate::spec::ContentMode::Strict`]); numeric validators leave the
//! class as the field packager set it.
//!
//! Not supported, refused with an error naming the field and the class:
//! `GICCSubFieldPackager` and `IFEP_LLLBINARY` (GICC network code), the hex forms of `BERTLVPackager`, `swapTagAndLen`,
//! `X92GenericPackager` layouts (`x92pack.xml`: field 1 is data, not a bitmap),
//! fixed fields of length 0, and `emitBitmap="false"` on the message itself.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::layout_def::{CompositeDef, FieldDef, LayoutDef, LayoutError};
use crate::mti::MtiEncoding;
use crate::spec::{
    Align, BitmapEncoding, BitmapSpec, CodePage, Content, Counts, Encoding, Length, Padding,
    Prefix, PrefixEncoding, Sensitivity, TlvForm, TlvPart,
};

/// The longest value a field can have: a field never exceeds the message.
const CAP: u64 = u16::MAX as u64;

/// One `<isofield>` or `<isofieldpackager>` as read.
#[derive(Debug, Clone, Default)]
struct Element {
    id: u16,
    /// The declared length, clamped to [`CAP`].
    length: u16,
    name: String,
    class: String,
    pad: bool,
    trim: bool,
    packager: Option<String>,
    attrs: BTreeMap<String, String>,
    validators: Vec<String>,
    children: Vec<Element>,
}

impl Element {
    fn attr_number(&self, key: &str) -> Result<Option<u64>, LayoutError> {
        self.attrs
            .get(key)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| LayoutError::Field {
                    field: self.id,
                    reason: format!("{key}=\"{v}\" is not a number"),
                })
            })
            .transpose()
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.attrs.get(key).map(|v| v.trim() == "true")
    }

    fn class(&self) -> &str {
        short(&self.class)
    }

    fn is_bitmap(&self) -> bool {
        matches!(
            self.class(),
            "IFA_BITMAP" | "IFB_BITMAP" | "IFE_BITMAP" | "Base1_BITMAP126"
        )
    }
}

fn attrs(e: &BytesStart<'_>) -> Result<BTreeMap<String, String>, LayoutError> {
    let mut out = BTreeMap::new();
    for a in e.attributes() {
        let a = a.map_err(|e| LayoutError::Syntax(format!("{e}")))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let raw = String::from_utf8_lossy(a.value.as_ref()).into_owned();
        let value = quick_xml::escape::unescape(&raw)
            .map_err(|e| LayoutError::Syntax(format!("{e}")))?
            .into_owned();
        out.insert(key, value);
    }
    Ok(out)
}

fn element(e: &BytesStart<'_>) -> Result<Element, LayoutError> {
    let a = attrs(e)?;
    let id: u16 = a
        .get("id")
        .ok_or_else(|| LayoutError::Syntax("<isofield> without id".into()))?
        .trim()
        .parse()
        .map_err(|_| {
            LayoutError::Syntax(format!(
                "<isofield> id \"{}\" is not a field number",
                a.get("id").map_or("", String::as_str)
            ))
        })?;
    let raw_len = a.get("length").ok_or_else(|| LayoutError::Field {
        field: id,
        reason: "<isofield> without a length".into(),
    })?;
    let length = raw_len
        .trim()
        .parse::<u64>()
        .map_err(|_| LayoutError::Field {
            field: id,
            reason: format!("length \"{raw_len}\" is not a number"),
        })?
        .min(CAP) as u16;
    Ok(Element {
        id,
        length,
        name: a.get("name").cloned().unwrap_or_default(),
        class: a
            .get("class")
            .map(|c| c.trim().to_string())
            .unwrap_or_default(),
        pad: a.get("pad").is_some_and(|p| p.trim() == "true"),
        trim: a.get("trim").is_some_and(|p| p.trim() == "true"),
        packager: a.get("packager").map(|p| p.trim().to_string()),
        attrs: a,
        validators: Vec::new(),
        children: Vec::new(),
    })
}

/// The class name without its package (`org.jpos.iso.IFA_NUMERIC` -> `IFA_NUMERIC`).
fn short(class: &str) -> &str {
    let class = class.trim();
    class.rsplit('.').next().unwrap_or(class)
}

/// A prefix of `digits`, its maximum the declared length clamped to what it can hold.
fn var(digits: u8, encoding: PrefixEncoding, len: u16) -> Length {
    let p = Prefix {
        digits,
        encoding,
        counts: Counts::Units,
        max: 0,
    };
    Length::Var(Prefix {
        max: len.min(p.capacity().min(usize::from(u16::MAX)) as u16),
        ..p
    })
}

/// A length prefix as a filled slot ([`Length::Filled`]).
fn filled(l: Length) -> Length {
    match l {
        Length::Var(p) => Length::Filled(p),
        other => other,
    }
}

/// Digits of a length-prefixed class name's `L` run (`IFA_LLLCHAR` -> 3).
fn ls(rest: &str) -> Option<(u8, &str)> {
    let n = rest.bytes().take_while(|&c| c == b'L').count();
    let tail = rest.get(n..)?;
    (1..=6).contains(&n).then_some((n as u8, tail))
}

type Form = (Content, Encoding, Length, Padding);

/// The wire form of a field packager class, or `None` when the class is unknown.
fn class_form(class: &str, len: u16, pad: bool) -> Option<Form> {
    let bcd = Encoding::Bcd {
        align: if pad { Align::Right } else { Align::Left },
        filler: 0,
    };
    let ebcdic = Encoding::Ebcdic(CodePage::Cp1047);
    let ebcdic_prefix = PrefixEncoding::Ebcdic(CodePage::Cp1047);
    let ascii = PrefixEncoding::Ascii;
    let fixed = Length::Fixed(len);
    let form = match class {
        "IFA_NUMERIC" | "IFA_AMOUNT2003" => {
            (Content::N, Encoding::Ascii, fixed, Padding::Left(b'0'))
        }
        // Two ASCII digits of the value's length, the value, spaces to the declared
        // length: the field always takes 2 + length bytes.
        "IFA_FLLNUM" => (
            Content::N,
            Encoding::Ascii,
            filled(var(2, ascii, len)),
            Padding::Right(b' '),
        ),
        "IFA_FLLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            filled(var(2, ascii, len)),
            Padding::Right(b' '),
        ),
        // One binary byte of length, the bytes, zeros to the declared length.
        "IFB_LLHFBINARY" => (
            Content::B,
            Encoding::Binary,
            filled(var(1, PrefixEncoding::Binary, len)),
            Padding::Right(0),
        ),
        // Not filled: packed BCD behind a BCD count of digits, the odd pad nibble F
        // last (`pad="true"`: 0 first).
        "IFB_FLLNUM" | "IFB_FLLLNUM" => (
            Content::N,
            Encoding::Bcd {
                align: if pad { Align::Right } else { Align::Left },
                filler: if pad { 0 } else { 0xF },
            },
            var(
                if class == "IFB_FLLNUM" { 2 } else { 3 },
                PrefixEncoding::Bcd,
                len,
            ),
            Padding::None,
        ),
        "IF_CHAR" => (Content::Ans, Encoding::Ascii, fixed, Padding::Right(b' ')),
        "IFE_CHAR" | "IF_ECHAR" => (Content::Ans, ebcdic, fixed, Padding::Right(b' ')),
        "IFE_NUMERIC" => (Content::N, ebcdic, fixed, Padding::Left(b'0')),
        "IFA_AMOUNT" => (Content::Xn, Encoding::Ascii, fixed, Padding::None),
        "IFE_AMOUNT" => (Content::Xn, ebcdic, fixed, Padding::None),
        "IFA_BINARY" => (Content::B, Encoding::HexAscii, fixed, Padding::None),
        "IFB_BINARY" => (Content::B, Encoding::Binary, fixed, Padding::None),
        // Two EBCDIC hex characters per byte: read as the hex text.
        "IFE_BINARY" => (
            Content::Ans,
            ebcdic,
            Length::Fixed(len.saturating_mul(2)),
            Padding::None,
        ),
        "IFB_NUMERIC" | "IFB_AMOUNT2003" => (Content::N, bcd, fixed, Padding::Left(b'0')),
        "IFB_AMOUNT" => (Content::Xn, bcd, fixed, Padding::None),
        "IFB_LLHNUM" => (
            Content::N,
            bcd,
            var(1, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLLHNUM" => (
            Content::N,
            bcd,
            var(2, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLHCHAR" | "IFA_LLHCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(1, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLLHCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(2, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLHECHAR" => (
            Content::Ans,
            ebcdic,
            var(1, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLLHECHAR" => (
            Content::Ans,
            ebcdic,
            var(2, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLHBINARY" | "IFB_LHBINARY" | "IFA_LLHBINARY" => (
            Content::B,
            Encoding::Binary,
            var(1, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        "IFB_LLLHBINARY" => (
            Content::B,
            Encoding::Binary,
            var(2, PrefixEncoding::Binary, len),
            Padding::None,
        ),
        // BCD digits behind an EBCDIC count of bytes: read as the nibbles.
        "IFEB_LLNUM" | "IFEB_LLLNUM" => {
            let digits = if class == "IFEB_LLNUM" { 2 } else { 3 };
            let Length::Var(p) = var(digits, ebcdic_prefix, len.div_ceil(2)) else {
                return None;
            };
            (
                Content::B,
                Encoding::Binary,
                Length::Var(p.counting_bytes()),
                Padding::None,
            )
        }
        _ => {
            let (family, rest) = class.split_at_checked(4)?;
            let (digits, kind) = ls(rest)?;
            let prefix = match family {
                "IFA_" => ascii,
                "IFB_" => PrefixEncoding::Bcd,
                "IFE_" if digits <= 4 => ebcdic_prefix,
                _ => return None,
            };
            let length = var(digits, prefix, len);
            match (family, kind) {
                ("IFA_", "NUM") => (Content::N, Encoding::Ascii, length, Padding::None),
                ("IFB_", "NUM") => (Content::N, bcd, length, Padding::None),
                ("IFE_", "NUM") => (Content::N, ebcdic, length, Padding::None),
                ("IFA_" | "IFB_", "CHAR") => (Content::Ans, Encoding::Ascii, length, Padding::None),
                ("IFE_", "CHAR") => (Content::Ans, ebcdic, length, Padding::None),
                (_, "BINARY") => (Content::B, Encoding::Binary, length, Padding::None),
                _ => return None,
            }
        }
    };
    Some(form)
}

fn unsupported(n: u16, what: &str, class: &str) -> LayoutError {
    LayoutError::Field {
        field: n,
        reason: format!("{what} '{class}' is not supported"),
    }
}

/// The definition of one field or subfield (`parent` 0 for a message field); `None`
/// for `IF_NOP`, which takes no bytes.
fn field(e: &Element, parent: u16) -> Result<Option<FieldDef>, LayoutError> {
    let n = if parent == 0 { e.id } else { parent };
    let class = e.class();
    if class == "IF_NOP" {
        return Ok(None);
    }
    let (content, encoding, length, padding) = match class_form(class, e.length, e.pad) {
        Some(form) => form,
        None if e.is_bitmap() => {
            // A bitmap read as an ordinary positional value (jPOS sequences that hold
            // one, as cmfv3 113.67).
            let encoding = match class {
                "IFA_BITMAP" => Encoding::HexAscii,
                _ => Encoding::Binary,
            };
            (
                Content::B,
                encoding,
                Length::Fixed(e.length.clamp(1, 16)),
                Padding::None,
            )
        }
        None => {
            let reason = match class {
                "IFEP_LLCHAR" => "class 'IFEP_LLCHAR' only inside an EuroSubFieldPackager",
                c if c.starts_with("IFA_TT") => {
                    "a tagged class only inside a GenericTaggedFieldsPackager"
                }
                c if c.starts_with("IFTA_") => {
                    "a tagged class only inside a TaggedSequencePackager"
                }
                "IFEP_LLLBINARY" => "class 'IFEP_LLLBINARY' (GICC) is not supported",
                "" => "an <isofield> without a class",
                _ => "",
            };
            return Err(LayoutError::Field {
                field: n,
                reason: if reason.is_empty() {
                    format!("unknown field packager class '{class}'")
                } else if parent == 0 {
                    reason.to_string()
                } else {
                    format!("subfield {}: {reason}", e.id)
                },
            });
        }
    };
    if matches!(length, Length::Fixed(0)) {
        return Err(LayoutError::Field {
            field: n,
            reason: if parent == 0 {
                format!("class '{class}' with a length of 0")
            } else {
                format!("subfield {}: class '{class}' with a length of 0", e.id)
            },
        });
    }
    // `trim="true"`: up to the length, running to the end of the parent.
    let length = match (e.trim, length) {
        (true, Length::Fixed(l)) => Length::Rest { max: l },
        (_, l) => l,
    };
    let track = parent == 0 && matches!(e.id, 35 | 36);
    let content = if track && content != Content::B {
        Content::Z
    } else {
        content
    };
    let padding = if content == Content::Z {
        Padding::None
    } else {
        padding
    };
    let content = validated(content, &e.validators);
    let sensitivity = match (parent, e.id) {
        (0, 2 | 34) => Sensitivity::Pan,
        (0, 35 | 36 | 45) => Sensitivity::Track,
        (0, 52) => Sensitivity::Secret,
        _ => Sensitivity::Public,
    };
    let mut def = FieldDef {
        name: e.name.clone(),
        content,
        encoding,
        length,
        padding,
        sensitivity,
        subfields: None,
    };
    if e.packager.is_some() {
        def.subfields = subfields(e, n)?;
    }
    Ok(Some(def))
}

/// The strict-mode class a field's validators call for.
fn validated(content: Content, validators: &[String]) -> Content {
    if !content.is_free_text() {
        return content;
    }
    let mut out = content;
    for v in validators {
        out = match short(v) {
            "IVA_ALPHANUM" | "IVA_ALPHANUMNOZERO" => Content::Anp,
            "IVA_ALPHANUMNOBLANK" | "IVA_ALPHANUMNOZERO_NOBLANK" => Content::An,
            _ => out,
        };
    }
    out
}

/// The subfields of `e` in number order (`IF_NOP` left out), from `first` on.
fn sequence(e: &Element, n: u16, first: u16) -> Result<CompositeDef, LayoutError> {
    let mut fields = BTreeMap::new();
    for c in e.children.iter().filter(|c| c.id >= first) {
        if let Some(f) = field(c, n)? {
            fields.insert(c.id, f);
        }
    }
    Ok(CompositeDef::Sequence(fields))
}

/// A bitmapped composite with the bitmap `b` and the other children as subfields.
fn bitmapped(e: &Element, n: u16, b: &Element, first: u16) -> Result<CompositeDef, LayoutError> {
    let (bitmap, bitmap_bytes, extends) = match b.class() {
        "IFA_BITMAP" => (BitmapEncoding::HexAscii, b.length.clamp(1, 8), b.length > 8),
        "IFE_BITMAP" => (
            BitmapEncoding::EbcdicHex(CodePage::Cp1047),
            b.length.clamp(1, 8),
            b.length > 8,
        ),
        "Base1_BITMAP126" => (BitmapEncoding::Binary, 8, false),
        _ => (BitmapEncoding::Binary, b.length.clamp(1, 8), b.length > 8),
    };
    let header = e.attr_number("headerLength")?.unwrap_or(0);
    let header = u8::try_from(header).map_err(|_| LayoutError::Field {
        field: n,
        reason: format!("a subfield header of {header} bytes is not supported"),
    })?;
    let lowest = if extends { 2 } else { 1 };
    let mut fields = BTreeMap::new();
    for c in &e.children {
        // With a 16-byte bitmap, bit 1 announces the second half (a subfield 1 there
        // can never be read, in jPOS either).
        if c.id == b.id || c.id < first.max(lowest) {
            continue;
        }
        if let Some(f) = field(c, n)? {
            fields.insert(c.id, f);
        }
    }
    Ok(CompositeDef::Bitmapped {
        bitmap,
        bitmap_bytes: bitmap_bytes as u8,
        extends: extends && bitmap_bytes == 8,
        header,
        fields,
    })
}

/// The subfield structure `e`'s packager gives; `None` for `DatasetPackager`, whose
/// field is read whole.
fn subfields(e: &Element, n: u16) -> Result<Option<CompositeDef>, LayoutError> {
    let packager = e.packager.as_deref().map(short).unwrap_or("");
    if packager == "DatasetPackager" {
        return Ok(None);
    }
    composite(e, n, packager).map(Some)
}

fn composite(e: &Element, n: u16, packager: &str) -> Result<CompositeDef, LayoutError> {
    let child = |id: u16| e.children.iter().find(|c| c.id == id);
    let first_field = e.attr_number("firstField")?.map(|f| f.min(255) as u16);
    match packager {
        "GenericSubFieldPackager" | "GenericPackager" => {
            let bitmap_field = e.attr_number("bitmapField")?.unwrap_or(1).min(255) as u16;
            let bitmap = child(bitmap_field)
                .filter(|c| c.is_bitmap())
                .or_else(|| child(0).filter(|c| c.is_bitmap()));
            match (e.flag("emitBitmap").unwrap_or(true), bitmap) {
                (true, Some(b)) => bitmapped(e, n, b, first_field.unwrap_or(1)),
                // A bitmap is announced but its slot holds data (Visa BASE I 127 as
                // jPOS ships it): the evident intent is subfields in order from 0.
                (true, None) => sequence(e, n, first_field.unwrap_or(0)),
                (false, _) => {
                    // jPOS's default first field: 2 after a bitmap in 1, else 1; a
                    // block without a bitmap whose slot 1 is data starts where its
                    // subfields start.
                    let first = first_field.unwrap_or_else(|| {
                        if child(1).is_some_and(Element::is_bitmap) {
                            2
                        } else if child(0).is_some_and(|c| c.packager.is_some()) {
                            0
                        } else {
                            1
                        }
                    });
                    sequence(e, n, first)
                }
            }
        }
        "Base1SubFieldPackager" => match child(0).filter(|c| c.is_bitmap()) {
            Some(b) => bitmapped(e, n, b, 1),
            None => sequence(e, n, 0),
        },
        "CTCSubElementPackager" | "CTCSubFieldPackager" => sequence(e, n, 0),
        "BERTLVBinaryPackager" | "ICCDataPackager" => Ok(CompositeDef::Tlv(TlvForm::Ber)),
        "EuroSubFieldPackager" => {
            let mut fields = BTreeMap::new();
            if let Some(lead) = child(0)
                && let Some(f) = field(lead, n)?
            {
                fields.insert(0, f);
            }
            fields.insert(
                1,
                tagged_rest(
                    "tagged subfields",
                    TlvForm::LengthFirst {
                        length: TlvPart::Ascii(2),
                        tag: TlvPart::Ascii(2),
                    },
                ),
            );
            Ok(CompositeDef::Sequence(fields))
        }
        "GenericTaggedFieldsPackager" => {
            if e.flag("swapTagAndLen") == Some(true) {
                return Err(LayoutError::Field {
                    field: n,
                    reason:
                        "GenericTaggedFieldsPackager with swapTagAndLen=\"true\" is not supported"
                            .into(),
                });
            }
            let size = |k: &str, max: u64| -> Result<u8, LayoutError> {
                match e.attr_number(k)? {
                    Some(v) if (1..=max).contains(&v) => Ok(v as u8),
                    other => Err(LayoutError::Field {
                        field: n,
                        reason: format!(
                            "GenericTaggedFieldsPackager needs {k} of 1 to {max}, found {other:?}"
                        ),
                    }),
                }
            };
            Ok(CompositeDef::Tlv(TlvForm::Simple {
                tag: TlvPart::Ascii(size("tagSize", 4)?),
                length: TlvPart::Ascii(size("lenSize", 5)?),
            }))
        }
        "TaggedSequencePackager" => tagged_sequence(e, n),
        "GICCSubFieldPackager"
        | "BERTLVAsciiHexPackager"
        | "BERTLVEbcdicHexPackager"
        | "X92GenericPackager" => Err(unsupported(n, "subfield packager", packager)),
        other => Err(LayoutError::Field {
            field: n,
            reason: format!("unknown subfield packager '{other}'"),
        }),
    }
}

/// A subfield running to the end of its parent, holding tag-length-value elements.
fn tagged_rest(name: &str, form: TlvForm) -> FieldDef {
    FieldDef {
        name: name.into(),
        content: Content::Ans,
        encoding: Encoding::Ascii,
        length: Length::Rest { max: u16::MAX },
        padding: Padding::None,
        sensitivity: Sensitivity::Public,
        subfields: Some(CompositeDef::Tlv(form)),
    }
}

/// `TaggedSequencePackager`: untagged leading subfields, then `IFTA_*` elements.
fn tagged_sequence(e: &Element, n: u16) -> Result<CompositeDef, LayoutError> {
    let token = e.attrs.get("token").map_or(0, |t| t.trim().len());
    let tag_width = u8::try_from(token)
        .ok()
        .filter(|w| (1..=4).contains(w))
        .ok_or_else(|| LayoutError::Field {
            field: n,
            reason: format!(
                "TaggedSequencePackager needs a token of 1 to 4 characters, found {token}"
            ),
        })?;
    let mut children: Vec<&Element> = e.children.iter().collect();
    children.sort_by_key(|c| c.id);
    let mut lead = BTreeMap::new();
    let mut digits: Option<u8> = None;
    for c in children {
        let class = c.class();
        match class.strip_prefix("IFTA_").and_then(ls) {
            Some((d, "CHAR" | "NUM" | "BINARY")) => {
                if digits.is_some_and(|x| x != d) {
                    return Err(LayoutError::Field {
                        field: n,
                        reason: "TaggedSequencePackager elements with different length sizes are not supported".into(),
                    });
                }
                digits = Some(d);
            }
            Some(_) => return Err(unsupported(n, "tagged class", class)),
            None if digits.is_none() => {
                if let Some(f) = field(c, n)? {
                    lead.insert(c.id, f);
                }
            }
            None => {
                return Err(LayoutError::Field {
                    field: n,
                    reason: format!(
                        "subfield {}: an untagged subfield after tagged ones is not supported",
                        c.id
                    ),
                });
            }
        }
    }
    let form = TlvForm::Simple {
        tag: TlvPart::Ascii(tag_width),
        length: TlvPart::Ascii(digits.unwrap_or(3)),
    };
    if lead.is_empty() {
        return Ok(CompositeDef::Tlv(form));
    }
    let next = lead.keys().max().map_or(0, |&k| k + 1);
    lead.insert(next, tagged_rest("tagged subfields", form));
    Ok(CompositeDef::Sequence(lead))
}

/// Reads a jPOS GenericPackager XML file.
///
/// # Errors
///
/// [`LayoutError`] for XML that is not a GenericPackager, or a field class or subfield
/// packager that is not supported (the error names the field and the class).
pub fn from_jpos_xml(xml: &str) -> Result<LayoutDef, LayoutError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut top: Vec<Element> = Vec::new();
    let mut seen_root = false;
    let mut root_attrs = BTreeMap::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            LayoutError::Syntax(format!("XML at byte {}: {e}", reader.buffer_position()))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"isopackager" => {
                seen_root = true;
                root_attrs = attrs(&e)?;
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"isofieldvalidator" => {
                let a = attrs(&e)?;
                if let (Some(parent), Some(class)) = (stack.last_mut(), a.get("class")) {
                    parent.validators.push(class.trim().to_string());
                }
            }
            Event::Start(e) if matches!(e.name().as_ref(), b"isofieldpackager" | b"isofield") => {
                stack.push(element(&e)?);
            }
            Event::Empty(e) if matches!(e.name().as_ref(), b"isofieldpackager" | b"isofield") => {
                let el = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => top.push(el),
                }
            }
            Event::End(e) if matches!(e.name().as_ref(), b"isofieldpackager" | b"isofield") => {
                let Some(el) = stack.pop() else {
                    return Err(LayoutError::Syntax("unbalanced </isofield>".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => top.push(el),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(LayoutError::Syntax(
            "not a jPOS packager: no <isopackager>".into(),
        ));
    }
    let mut def = LayoutDef {
        name: "jpos".to_string(),
        description: "loaded from a jPOS GenericPackager XML file".into(),
        header: Vec::new(),
        mti: MtiEncoding::Ascii,
        bitmap: BitmapSpec::new(BitmapEncoding::HexAscii, 2),
        fields: BTreeMap::new(),
    };
    let mut bitmap_len = 16;
    for e in &top {
        match e.id {
            0 => {
                def.mti = match e.class() {
                    "IFA_NUMERIC" | "IF_CHAR" => MtiEncoding::Ascii,
                    "IFB_NUMERIC" => MtiEncoding::Bcd,
                    "IFE_NUMERIC" | "IFE_CHAR" | "IF_ECHAR" => {
                        MtiEncoding::Ebcdic(CodePage::Cp1047)
                    }
                    other => {
                        return Err(LayoutError::Field {
                            field: 0,
                            reason: format!("unknown MTI class '{other}'"),
                        });
                    }
                }
            }
            1 => {
                def.bitmap.encoding = match e.class() {
                    "IFA_BITMAP" => BitmapEncoding::HexAscii,
                    "IFB_BITMAP" => BitmapEncoding::Binary,
                    "IFE_BITMAP" => BitmapEncoding::EbcdicHex(CodePage::Cp1047),
                    other => {
                        return Err(LayoutError::Field {
                            field: 1,
                            reason: format!(
                                "class '{other}' is not a bitmap class (a layout whose field 1 \
                                 is data, as x92pack.xml for X92GenericPackager, is not supported)"
                            ),
                        });
                    }
                };
                bitmap_len = e.length;
            }
            n => {
                // A later definition of the same field replaces an earlier one, as in
                // jPOS.
                match field(e, 0)? {
                    Some(f) => {
                        def.fields.insert(n, f);
                    }
                    None => {
                        def.fields.remove(&n);
                    }
                }
            }
        }
    }
    // jPOS sizes the bitmap in bytes: 8 for one, 16 for two, 24 for three. It packs a
    // secondary bitmap whenever a field above 64 is set, whatever the length says, so
    // the fields defined count too.
    let highest = def.fields.keys().max().copied().unwrap_or(0);
    def.bitmap.max_bitmaps = match (bitmap_len, highest) {
        (17.., _) | (_, 129..) => 3,
        (9.., _) | (_, 65..) => 2,
        _ => 1,
    };
    apply_packager_attributes(&mut def, &root_attrs)?;
    def.check()?;
    Ok(def)
}

/// The `<isopackager>` attributes that change the wire form: `headerLength` (a fixed
/// header before the MTI), `maxValidField` (how many bitmaps), `emitBitmap` and
/// `bitmapField` (only the standard bitmap in field 1 is supported).
fn apply_packager_attributes(
    def: &mut LayoutDef,
    a: &BTreeMap<String, String>,
) -> Result<(), LayoutError> {
    let number = |k: &str| -> Result<Option<usize>, LayoutError> {
        a.get(k)
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    LayoutError::Syntax(format!("isopackager {k}=\"{v}\" is not a number"))
                })
            })
            .transpose()
    };
    if let Some(len) = number("headerLength")?.filter(|&l| l > 0) {
        def.header = alloc::vec![crate::layout_def::HeaderDef {
            name: "header".to_string(),
            len,
        }];
    }
    if let Some(max) = number("maxValidField")? {
        def.bitmap.max_bitmaps = match max {
            0..=64 => 1,
            65..=128 => 2,
            _ => 3,
        };
    }
    if a.get("emitBitmap").is_some_and(|v| v.trim() == "false") {
        return Err(LayoutError::Layout(
            "emitBitmap=\"false\" (messages without a bitmap) is not supported".into(),
        ));
    }
    if number("bitmapField")?.is_some_and(|f| f != 1) {
        return Err(LayoutError::Layout(
            "only bitmapField=\"1\" is supported".into(),
        ));
    }
    Ok(())
}
