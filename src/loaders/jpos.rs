//! jPOS GenericPackager XML (feature `jpos`).
//!
//! Reads `<isopackager>` (attributes `headerLength`, `maxValidField`, `emitBitmap`,
//! `bitmapField`) with its `<isofield id length name class pad>` elements and
//! `<isofieldpackager>` subfield packagers. Field 0 sets the MTI encoding and field 1
//! the bitmap form. The field packager classes understood:
//!
//! | class | content, encoding, length |
//! |---|---|
//! | `IFA_NUMERIC` | n, ASCII, fixed, zero-padded |
//! | `IFA_LLNUM`, `IFA_LLLNUM`, `IFA_LLLLNUM` | n, ASCII, LL..LLLL ASCII prefix |
//! | `IFA_FLLNUM`, `IFA_FLLCHAR` | as LLNUM / LLCHAR with the length as maximum |
//! | `IF_CHAR` | ans, ASCII, fixed, space-padded |
//! | `IFA_LLCHAR`, `IFA_LLLCHAR`, `IFA_LLLLCHAR` | ans, ASCII, ASCII prefix |
//! | `IFA_AMOUNT` | x+n, ASCII, fixed |
//! | `IFA_BINARY` | b, hex-ASCII, fixed (length in bytes) |
//! | `IFA_LLBINARY`, `IFA_LLLBINARY`, `IFA_LLLLBINARY` | b, raw bytes, ASCII prefix counting bytes |
//! | `IFA_BITMAP`, `IFB_BITMAP` | the bitmap, hex-ASCII or binary |
//! | `IFB_NUMERIC` | n, packed BCD, fixed; `pad="true"` right-aligned, else left |
//! | `IFB_LLNUM`, `IFB_LLLNUM` | n, packed BCD, BCD prefix counting digits |
//! | `IFB_LLCHAR`, `IFB_LLLCHAR` | ans, ASCII, BCD prefix counting bytes |
//! | `IFB_BINARY` | b, raw, fixed |
//! | `IFB_LLBINARY`, `IFB_LLLBINARY` | b, raw, BCD prefix counting bytes |
//! | `IFB_AMOUNT` | x+n, sign in ASCII then packed BCD |
//! | `IFE_NUMERIC`, `IFE_CHAR`, `IFE_LLNUM`, `IFE_LLCHAR`, `IFE_LLLCHAR` | EBCDIC (code page 1047) with EBCDIC prefixes |
//!
//! Track data fields 35 and 36 take `z` content whatever their class (jPOS declares 35
//! as `IFA_LLNUM` but it carries the `=` separator). An `<isofieldpackager>` with
//! `GenericSubFieldPackager` gives positional subfields, or bitmapped ones with
//! `emitBitmap="true"`. Any other class is an error naming the field and the class.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::layout_def::{CompositeDef, FieldDef, LayoutDef, LayoutError, PartDef};
use crate::mti::MtiEncoding;
use crate::spec::{
    Align, BitmapEncoding, BitmapSpec, CodePage, Content, Counts, Encoding, Length, Padding,
    PartLength, Prefix, PrefixEncoding, Sensitivity,
};

/// One `<isofield>` or `<isofieldpackager>` as read.
#[derive(Debug, Clone, Default)]
struct Element {
    id: u16,
    length: u16,
    name: String,
    class: String,
    pad: bool,
    packager: Option<String>,
    emit_bitmap: bool,
    children: Vec<Element>,
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
    let num = |k: &str| -> Result<u16, LayoutError> {
        a.get(k)
            .ok_or_else(|| LayoutError::Syntax(format!("<isofield> without {k}")))?
            .trim()
            .parse()
            .map_err(|_| LayoutError::Syntax(format!("<isofield> {k} is not a number")))
    };
    Ok(Element {
        id: num("id")?,
        length: num("length")?,
        name: a.get("name").cloned().unwrap_or_default(),
        class: a.get("class").cloned().unwrap_or_default(),
        pad: a.get("pad").is_some_and(|p| p == "true"),
        packager: a.get("packager").cloned(),
        emit_bitmap: a.get("emitBitmap").is_some_and(|p| p == "true"),
        children: Vec::new(),
    })
}

/// The class name without its package (`org.jpos.iso.IFA_NUMERIC` -> `IFA_NUMERIC`).
fn short(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

fn var(digits: u8, encoding: PrefixEncoding, max: u16) -> Length {
    Length::Var(Prefix {
        digits,
        encoding,
        counts: Counts::Units,
        max,
    })
}

fn field(e: &Element, parent: u16) -> Result<FieldDef, LayoutError> {
    let n = if parent == 0 { e.id } else { parent };
    let class = short(&e.class);
    let len = e.length;
    let bcd = Encoding::Bcd {
        align: if e.pad { Align::Right } else { Align::Left },
        filler: 0,
    };
    let ebcdic = Encoding::Ebcdic(CodePage::Cp1047);
    let ebcdic_prefix = PrefixEncoding::Ebcdic(CodePage::Cp1047);
    let ascii = PrefixEncoding::Ascii;
    let (content, encoding, length, padding) = match class {
        "IFA_NUMERIC" => (
            Content::N,
            Encoding::Ascii,
            Length::Fixed(len),
            Padding::Left(b'0'),
        ),
        "IFA_LLNUM" | "IFA_FLLNUM" => (
            Content::N,
            Encoding::Ascii,
            var(2, ascii, len),
            Padding::None,
        ),
        "IFA_LLLNUM" => (
            Content::N,
            Encoding::Ascii,
            var(3, ascii, len),
            Padding::None,
        ),
        "IFA_LLLLNUM" => (
            Content::N,
            Encoding::Ascii,
            var(4, ascii, len),
            Padding::None,
        ),
        "IF_CHAR" => (
            Content::Ans,
            Encoding::Ascii,
            Length::Fixed(len),
            Padding::Right(b' '),
        ),
        "IFA_LLCHAR" | "IFA_FLLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(2, ascii, len),
            Padding::None,
        ),
        "IFA_LLLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(3, ascii, len),
            Padding::None,
        ),
        "IFA_LLLLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(4, ascii, len),
            Padding::None,
        ),
        "IFA_AMOUNT" => (
            Content::XN,
            Encoding::Ascii,
            Length::Fixed(len),
            Padding::None,
        ),
        "IFA_BINARY" => (
            Content::B,
            Encoding::HexAscii,
            Length::Fixed(len),
            Padding::None,
        ),
        "IFA_LLBINARY" => (
            Content::B,
            Encoding::Binary,
            var(2, ascii, len),
            Padding::None,
        ),
        "IFA_LLLBINARY" => (
            Content::B,
            Encoding::Binary,
            var(3, ascii, len),
            Padding::None,
        ),
        "IFA_LLLLBINARY" => (
            Content::B,
            Encoding::Binary,
            var(4, ascii, len),
            Padding::None,
        ),
        "IFB_NUMERIC" => (Content::N, bcd, Length::Fixed(len), Padding::Left(b'0')),
        "IFB_LLNUM" => (
            Content::N,
            bcd,
            var(2, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_LLLNUM" => (
            Content::N,
            bcd,
            var(3, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_LLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(2, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_LLLCHAR" => (
            Content::Ans,
            Encoding::Ascii,
            var(3, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_BINARY" => (
            Content::B,
            Encoding::Binary,
            Length::Fixed(len),
            Padding::None,
        ),
        "IFB_LLBINARY" => (
            Content::B,
            Encoding::Binary,
            var(2, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_LLLBINARY" => (
            Content::B,
            Encoding::Binary,
            var(3, PrefixEncoding::Bcd, len),
            Padding::None,
        ),
        "IFB_AMOUNT" => (Content::XN, bcd, Length::Fixed(len), Padding::None),
        "IFE_NUMERIC" => (Content::N, ebcdic, Length::Fixed(len), Padding::Left(b'0')),
        "IFE_CHAR" => (
            Content::Ans,
            ebcdic,
            Length::Fixed(len),
            Padding::Right(b' '),
        ),
        "IFE_LLNUM" => (
            Content::N,
            ebcdic,
            var(2, ebcdic_prefix, len),
            Padding::None,
        ),
        "IFE_LLCHAR" => (
            Content::Ans,
            ebcdic,
            var(2, ebcdic_prefix, len),
            Padding::None,
        ),
        "IFE_LLLCHAR" => (
            Content::Ans,
            ebcdic,
            var(3, ebcdic_prefix, len),
            Padding::None,
        ),
        other => {
            return Err(LayoutError::Field {
                field: n,
                reason: format!("unknown field packager class '{other}'"),
            });
        }
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
        def.subfields = Some(subfields(e, n)?);
    }
    Ok(def)
}

fn subfields(e: &Element, n: u16) -> Result<CompositeDef, LayoutError> {
    let packager = e.packager.as_deref().map(short).unwrap_or("");
    if packager != "GenericSubFieldPackager" {
        return Err(LayoutError::Field {
            field: n,
            reason: format!("unknown subfield packager '{packager}'"),
        });
    }
    if e.emit_bitmap {
        let mut bitmap = BitmapEncoding::Binary;
        let mut fields = BTreeMap::new();
        for c in &e.children {
            match (c.id, short(&c.class)) {
                (0, "IFA_BITMAP") => bitmap = BitmapEncoding::HexAscii,
                (0, "IFB_BITMAP") => bitmap = BitmapEncoding::Binary,
                (0, other) => {
                    return Err(LayoutError::Field {
                        field: n,
                        reason: format!("subfield 0 must be a bitmap, found '{other}'"),
                    });
                }
                (id, _) => {
                    fields.insert(id, field(c, n)?);
                }
            }
        }
        return Ok(CompositeDef::Bitmapped { bitmap, fields });
    }
    let mut children: Vec<&Element> = e.children.iter().collect();
    children.sort_by_key(|c| c.id);
    let mut parts = Vec::new();
    for c in children {
        let sub = field(c, n)?;
        let length = match sub.length {
            Length::Fixed(l) => PartLength::Fixed(l),
            Length::Var(p) if p.encoding == PrefixEncoding::Ascii => PartLength::Prefixed {
                digits: p.digits,
                max: p.max,
            },
            Length::Var(_) => {
                return Err(LayoutError::Field {
                    field: n,
                    reason: format!(
                        "subfield {}: only ASCII lengths inside positional subfields",
                        c.id
                    ),
                });
            }
        };
        parts.push(PartDef {
            name: sub.name,
            content: sub.content,
            length,
        });
    }
    Ok(CompositeDef::Positional(parts))
}

/// Reads a jPOS GenericPackager XML file.
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
        bitmap: BitmapSpec {
            encoding: BitmapEncoding::HexAscii,
            max_bitmaps: 2,
        },
        fields: BTreeMap::new(),
    };
    for e in &top {
        match e.id {
            0 => {
                def.mti = match short(&e.class) {
                    "IFA_NUMERIC" | "IF_CHAR" => MtiEncoding::Ascii,
                    "IFB_NUMERIC" => MtiEncoding::Bcd,
                    "IFE_NUMERIC" | "IFE_CHAR" => MtiEncoding::Ebcdic(CodePage::Cp1047),
                    other => {
                        return Err(LayoutError::Field {
                            field: 0,
                            reason: format!("unknown MTI class '{other}'"),
                        });
                    }
                }
            }
            1 => {
                def.bitmap.encoding = match short(&e.class) {
                    "IFA_BITMAP" => BitmapEncoding::HexAscii,
                    "IFB_BITMAP" => BitmapEncoding::Binary,
                    other => {
                        return Err(LayoutError::Field {
                            field: 1,
                            reason: format!("unknown bitmap class '{other}'"),
                        });
                    }
                };
                // jPOS sizes the bitmap in bytes (IFB) or hex characters (IFA)... both
                // as 16 for two bitmaps; 24 or more allows a third.
                def.bitmap.max_bitmaps = match e.length {
                    0..=8 => 1,
                    9..=16 => 2,
                    _ => 3,
                };
            }
            n => {
                def.fields.insert(n, field(e, 0)?);
            }
        }
    }
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
    if a.get("emitBitmap").is_some_and(|v| v == "false") {
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
