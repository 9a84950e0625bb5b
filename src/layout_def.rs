//! Layouts described at run time: an owned definition ([`LayoutDef`]) that loaders fill
//! (this crate's JSON form with the `serde` feature, jPOS GenericPackager XML with
//! `jpos`, moov-io/iso8583 JSON with `moov`) and that becomes a [`MessageSpec`].
//!
//! A layout is loaded once and used for the rest of the program, so
//! [`LayoutDef::into_static`] turns the definition into a `&'static MessageSpec` by
//! leaking its memory on purpose (a few kilobytes per layout); call it at start-up, not
//! per message.
//!
//! ```
//! use iso8583_wire::layout_def::LayoutDef;
//! use iso8583_wire::layouts::ISO87_ASCII;
//!
//! let def = LayoutDef::from_spec(&ISO87_ASCII);
//! assert_eq!(def.fields.len(), 127);
//! let copy = def.into_static();
//! let wire = b"0800822000000000000004000000000000000315143015000124301";
//! assert!(copy.decode(wire)? == ISO87_ASCII.decode(wire)?);
//! # Ok::<(), iso8583_wire::DecodeError>(())
//! ```

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::bitmap::MAX_FIELD;
use crate::mti::MtiEncoding;
use crate::spec::{
    BitmapSpec, BitmapUnit, Composite, Content, Encoding, FieldSpec, HeaderPart, Length,
    MessageSpec, Padding, Part, PartLength, Sensitivity, SubBitmap, TaggedField, TlvForm, TlvPart,
};

/// Why a layout definition is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The input is not in the expected syntax.
    #[error("cannot read the layout: {0}")]
    Syntax(String),
    /// A field definition is not supported or is inconsistent.
    #[error("field {field}: {reason}")]
    Field {
        /// The field (0 for the MTI, 1 for the bitmap).
        field: u16,
        /// What is wrong.
        reason: String,
    },
    /// The layout as a whole is inconsistent.
    #[error("layout: {0}")]
    Layout(String),
}

/// One positional part of a composite field, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PartDef {
    /// Name.
    pub name: String,
    /// Allowed characters.
    pub content: Content,
    /// Length.
    pub length: PartLength,
}

/// The subfield structure of a field, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum CompositeDef {
    /// Parts one after another.
    Positional(Vec<PartDef>),
    /// A bitmap, then the subfields it announces.
    Bitmapped {
        /// How the bitmap is written.
        bitmap: crate::spec::BitmapEncoding,
        /// Bytes of the bitmap (1-8; 8 when absent).
        #[cfg_attr(feature = "serde", serde(default = "eight"))]
        bitmap_bytes: u8,
        /// Whether bit 1 announces a second 8-byte bitmap (subfields 65-128).
        #[cfg_attr(feature = "serde", serde(default))]
        extends: bool,
        /// Bytes before the bitmap that belong to no subfield.
        #[cfg_attr(feature = "serde", serde(default))]
        header: u8,
        /// Subfields by number (1-64, or 2-128 when `extends`).
        fields: BTreeMap<u16, FieldDef>,
    },
    /// Tag-length-value elements.
    Tlv(TlvForm),
    /// Subfields one after another in number order, each with its own wire form.
    Sequence(BTreeMap<u16, FieldDef>),
    /// A tag, then the subfield it names with its own wire form.
    Tagged {
        /// The tag's form.
        tag: TlvPart,
        /// The pad character leading short tags.
        #[cfg_attr(feature = "serde", serde(default))]
        pad: Option<u8>,
        /// Subfields by tag (ASCII text, or uppercase hex for binary and BCD tags).
        fields: BTreeMap<String, FieldDef>,
    },
}

#[cfg(feature = "serde")]
fn eight() -> u8 {
    8
}

/// The table of a subfield map, indexed by number.
fn subfield_table(fields: BTreeMap<u16, FieldDef>) -> &'static [Option<FieldSpec<'static>>] {
    let size = fields.keys().max().map_or(0, |&n| usize::from(n) + 1);
    let mut table: Vec<Option<FieldSpec<'static>>> = Vec::new();
    table.resize(size, None);
    for (n, f) in fields {
        if let Some(slot) = table.get_mut(usize::from(n)) {
            *slot = Some(f.into_static());
        }
    }
    Box::leak(table.into_boxed_slice())
}

fn subfield_map(fields: &[Option<FieldSpec<'_>>]) -> BTreeMap<u16, FieldDef> {
    fields
        .iter()
        .enumerate()
        .filter_map(|(n, f)| f.as_ref().map(|f| (n as u16, FieldDef::from_spec(f))))
        .collect()
}

/// One field, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FieldDef {
    /// Name.
    pub name: String,
    /// Content class.
    pub content: Content,
    /// Data encoding.
    pub encoding: Encoding,
    /// Fixed length or prefix.
    pub length: Length,
    /// Padding of short values in fixed fields.
    #[cfg_attr(feature = "serde", serde(default = "default_padding"))]
    pub padding: Padding,
    /// Masking.
    #[cfg_attr(feature = "serde", serde(default = "default_sensitivity"))]
    pub sensitivity: Sensitivity,
    /// Subfields, if composite.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub subfields: Option<CompositeDef>,
}

/// The masking a field number calls for whatever a file says.
#[cfg(feature = "serde")]
fn default_sensitivity_of(n: u16) -> Sensitivity {
    match n {
        2 | 34 => Sensitivity::Pan,
        35 | 36 | 45 => Sensitivity::Track,
        52 => Sensitivity::Secret,
        _ => Sensitivity::Public,
    }
}

#[cfg(feature = "serde")]
fn default_padding() -> Padding {
    Padding::None
}

#[cfg(feature = "serde")]
fn default_sensitivity() -> Sensitivity {
    Sensitivity::Public
}

/// A header part, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeaderDef {
    /// Name.
    pub name: String,
    /// Length in bytes.
    pub len: usize,
}

/// A whole layout, owned: what loaders produce.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LayoutDef {
    /// Name.
    pub name: String,
    /// Description.
    #[cfg_attr(feature = "serde", serde(default))]
    pub description: String,
    /// Header parts before the MTI.
    #[cfg_attr(feature = "serde", serde(default))]
    pub header: Vec<HeaderDef>,
    /// MTI encoding.
    pub mti: MtiEncoding,
    /// Bitmap form.
    pub bitmap: BitmapSpec,
    /// Fields by number (2-192).
    pub fields: BTreeMap<u16, FieldDef>,
}

impl FieldDef {
    /// The owned definition of a field.
    pub fn from_spec(spec: &FieldSpec<'_>) -> FieldDef {
        FieldDef {
            name: spec.name.into(),
            content: spec.content,
            encoding: spec.encoding,
            length: spec.length,
            padding: spec.padding,
            sensitivity: spec.sensitivity,
            subfields: spec.subfields.map(CompositeDef::from_composite),
        }
    }

    fn into_static(self) -> FieldSpec<'static> {
        FieldSpec {
            name: leak_str(self.name),
            content: self.content,
            encoding: self.encoding,
            length: self.length,
            padding: self.padding,
            sensitivity: self.sensitivity,
            subfields: self
                .subfields
                .map(|c| &*Box::leak(Box::new(c.into_static()))),
        }
    }
}

impl CompositeDef {
    fn from_composite(c: &Composite<'_>) -> CompositeDef {
        match c {
            Composite::Positional(parts) => CompositeDef::Positional(
                parts
                    .iter()
                    .map(|p| PartDef {
                        name: p.name.into(),
                        content: p.content,
                        length: p.length,
                    })
                    .collect(),
            ),
            Composite::Bitmapped { bitmap, fields } => CompositeDef::Bitmapped {
                bitmap: bitmap.encoding,
                bitmap_bytes: bitmap.bytes,
                extends: bitmap.extends,
                header: bitmap.header,
                fields: subfield_map(fields),
            },
            Composite::Tlv(form) => CompositeDef::Tlv(*form),
            Composite::Sequence(fields) => CompositeDef::Sequence(subfield_map(fields)),
            Composite::Tagged { tag, pad, fields } => CompositeDef::Tagged {
                tag: *tag,
                pad: *pad,
                fields: fields
                    .iter()
                    .map(|f| (f.tag.into(), FieldDef::from_spec(&f.spec)))
                    .collect(),
            },
        }
    }

    fn into_static(self) -> Composite<'static> {
        match self {
            CompositeDef::Positional(parts) => {
                let parts: Vec<Part<'static>> = parts
                    .into_iter()
                    .map(|p| Part {
                        name: leak_str(p.name),
                        content: p.content,
                        length: p.length,
                    })
                    .collect();
                Composite::Positional(Box::leak(parts.into_boxed_slice()))
            }
            CompositeDef::Bitmapped {
                bitmap,
                bitmap_bytes,
                extends,
                header,
                fields,
            } => Composite::Bitmapped {
                bitmap: SubBitmap {
                    encoding: bitmap,
                    bytes: bitmap_bytes,
                    extends,
                    header,
                },
                fields: subfield_table(fields),
            },
            CompositeDef::Tlv(form) => Composite::Tlv(form),
            CompositeDef::Sequence(fields) => Composite::Sequence(subfield_table(fields)),
            CompositeDef::Tagged { tag, pad, fields } => {
                let fields: Vec<TaggedField<'static>> = fields
                    .into_iter()
                    .map(|(t, f)| TaggedField {
                        tag: leak_str(t),
                        spec: f.into_static(),
                    })
                    .collect();
                Composite::Tagged {
                    tag,
                    pad,
                    fields: Box::leak(fields.into_boxed_slice()),
                }
            }
        }
    }
}

/// Checks a composite definition (recursively, at most a few levels deep).
fn check_composite(c: &CompositeDef, depth: usize) -> Result<(), String> {
    if depth > 4 {
        return Err("subfields nested too deep".into());
    }
    match c {
        CompositeDef::Positional(parts) => {
            for p in parts {
                match p.length {
                    PartLength::Fixed(0) => {
                        return Err(alloc::format!("part '{}' has a fixed length of 0", p.name));
                    }
                    PartLength::Prefixed { digits, .. } if !(1..=4).contains(&digits) => {
                        return Err(alloc::format!("part '{}' needs a 1-4 digit length", p.name));
                    }
                    _ => {}
                }
            }
        }
        CompositeDef::Bitmapped {
            fields,
            bitmap_bytes,
            extends,
            ..
        } => {
            if !(1..=8).contains(bitmap_bytes) || (*extends && *bitmap_bytes != 8) {
                return Err(
                    "a subfield bitmap has 1 to 8 bytes, and 8 when bit 1 announces a second"
                        .into(),
                );
            }
            let limit = if *extends {
                128
            } else {
                8 * u16::from(*bitmap_bytes)
            };
            let lowest = if *extends { 2 } else { 1 };
            for (&i, f) in fields {
                if !(lowest..=limit).contains(&i) {
                    return Err(alloc::format!(
                        "subfield {i} is outside the bitmap ({lowest}-{limit})"
                    ));
                }
                check_subfield(i, f, depth)?;
            }
        }
        CompositeDef::Sequence(fields) => {
            for (&i, f) in fields {
                check_subfield(i, f, depth)?;
            }
        }
        CompositeDef::Tagged { tag, fields, .. } => {
            let fits = match tag {
                TlvPart::Ber => true,
                TlvPart::HexAscii(n) => (1..=4).contains(n),
                _ => (1..=4).contains(&tag.len()),
            };
            if !fits {
                return Err("tags take 1 to 4 bytes".into());
            }
            for (t, f) in fields {
                if t.is_empty() || t.len() > 8 {
                    return Err(alloc::format!("tag '{t}' is not 1 to 8 characters"));
                }
                if f.length == Length::Fixed(0) {
                    return Err(alloc::format!("tag {t} has a fixed length of 0"));
                }
                if let Some(inner) = &f.subfields {
                    check_composite(inner, depth + 1)
                        .map_err(|e| alloc::format!("tag {t}: {e}"))?;
                }
            }
        }
        CompositeDef::Tlv(
            TlvForm::Simple { tag, length } | TlvForm::LengthFirst { length, tag },
        ) => {
            if !(1..=4).contains(&tag.len()) || !(1..=6).contains(&length.len()) {
                return Err("TLV tags take 1 to 4 bytes, lengths 1 to 6".into());
            }
        }
        CompositeDef::Tlv(TlvForm::Ber) => {}
    }
    Ok(())
}

/// Checks one subfield of a bitmapped or sequence composite.
fn check_subfield(i: u16, f: &FieldDef, depth: usize) -> Result<(), String> {
    match f.length {
        Length::Fixed(0) => {
            return Err(alloc::format!("subfield {i} has a fixed length of 0"));
        }
        Length::Var(p)
            if p.digits == 0 || p.digits > p.max_digits() || usize::from(p.max) > p.capacity() =>
        {
            return Err(alloc::format!("subfield {i} has an unusable length prefix"));
        }
        _ => {}
    }
    if let Some(inner) = &f.subfields {
        check_composite(inner, depth + 1).map_err(|e| alloc::format!("subfield {i}: {e}"))?;
    }
    Ok(())
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl LayoutDef {
    /// The owned definition of a layout (e.g. a built-in one, to export it).
    pub fn from_spec(spec: &MessageSpec<'_>) -> LayoutDef {
        LayoutDef {
            name: spec.name.into(),
            description: spec.description.into(),
            header: spec
                .header
                .iter()
                .map(|h| HeaderDef {
                    name: h.name.into(),
                    len: h.len,
                })
                .collect(),
            mti: spec.mti,
            bitmap: spec.bitmap,
            fields: (2..spec.fields.len().min(MAX_FIELD + 1))
                .filter_map(|n| spec.field(n).map(|f| (n as u16, FieldDef::from_spec(f))))
                .collect(),
        }
    }

    /// Checks the definition: field numbers within the bitmaps, lengths that fit their
    /// prefixes.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] naming the field and what is wrong (a length above its prefix's
    /// capacity, a field in a bitmap bit, a subfield that cannot be sized, a header part of
    /// length 0, ...).
    pub fn check(&self) -> Result<(), LayoutError> {
        let wide = self.bitmap.unit == BitmapUnit::Bits128;
        if wide && !(1..=2).contains(&self.bitmap.max_bitmaps) {
            return Err(LayoutError::Layout(
                "max_bitmaps must be 1 or 2 with 128-bit bitmaps".into(),
            ));
        }
        if !(1..=3).contains(&self.bitmap.max_bitmaps) {
            return Err(LayoutError::Layout("max_bitmaps must be 1, 2 or 3".into()));
        }
        let max_field = self.bitmap.max_field();
        let mut header_len = 0usize;
        for h in &self.header {
            header_len = header_len.saturating_add(h.len);
        }
        if header_len > crate::message::MAX_MESSAGE_LEN {
            return Err(LayoutError::Layout(
                "the header is longer than a message may be".into(),
            ));
        }
        for (&n, f) in &self.fields {
            let bad = |reason: &str| LayoutError::Field {
                field: n,
                reason: reason.into(),
            };
            if n < 2 || usize::from(n) > max_field {
                return Err(bad("outside the fields the bitmaps can announce"));
            }
            if n == 65 && self.bitmap.has_tertiary() {
                return Err(bad("bit 65 announces the tertiary bitmap in this layout"));
            }
            if n == 129 && wide {
                return Err(bad("bit 129 announces a further 128-bit bitmap"));
            }
            match f.length {
                Length::Fixed(0) => return Err(bad("a fixed length of 0")),
                Length::Var(p) | Length::Filled(p) => {
                    if p.digits == 0 || p.digits > p.max_digits() {
                        return Err(bad(
                            "a length prefix has 1 to 6 digits (1 to 4 bytes if binary or hex)",
                        ));
                    }
                    if usize::from(p.max) > p.capacity() {
                        return Err(bad("the maximum does not fit the length prefix"));
                    }
                }
                Length::Fixed(_) | Length::Rest { .. } => {}
            }
            if matches!(f.encoding, Encoding::Bcd { .. })
                && !matches!(f.content, Content::N | Content::Z | Content::Xn)
            {
                return Err(bad("packed BCD carries only n, z or x+n content"));
            }
            if matches!(f.padding, Padding::Left(c) | Padding::Right(c) if matches!(f.encoding, Encoding::Bcd { .. }) && !c.is_ascii_digit())
            {
                return Err(bad("BCD fields pad with a digit"));
            }
            if let Some(c) = &f.subfields {
                check_composite(c, 0).map_err(|reason| bad(&reason))?;
            }
        }
        Ok(())
    }

    /// Checks the definition, then turns it into a layout that lives for the rest of the
    /// program (its memory is leaked on purpose: load layouts once, at start-up).
    ///
    /// # Errors
    ///
    /// As [`LayoutDef::check`].
    pub fn build(self) -> Result<&'static MessageSpec<'static>, LayoutError> {
        self.check()?;
        Ok(self.into_static())
    }

    /// Turns the definition into a `'static` layout without checking it (see
    /// [`LayoutDef::build`]).
    pub fn into_static(self) -> &'static MessageSpec<'static> {
        let size = self.bitmap.max_field().max(64) + 1;
        let mut table: Vec<Option<FieldSpec<'static>>> = Vec::new();
        table.resize(size, None);
        for (n, f) in self.fields {
            if let Some(slot) = table.get_mut(usize::from(n)) {
                *slot = Some(f.into_static());
            }
        }
        let header: Vec<HeaderPart<'static>> = self
            .header
            .into_iter()
            .map(|h| HeaderPart {
                name: leak_str(h.name),
                len: h.len,
            })
            .collect();
        let spec = MessageSpec::new(
            leak_str(self.name),
            leak_str(self.description),
            Box::leak(header.into_boxed_slice()),
            self.mti,
            self.bitmap,
            Box::leak(table.into_boxed_slice()),
        );
        Box::leak(Box::new(spec))
    }

    /// This crate's JSON form of the layout (see the `layout_def` module and
    /// `examples/data/layout-example.json`).
    #[cfg(feature = "serde")]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads this crate's JSON form. Fields 2 and 34 (PAN), 35, 36 and 45 (track data)
    /// and 52 (PIN block) are masked even when the file calls them public.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] for JSON that is not a layout of this form, or one that does not
    /// pass [`LayoutDef::check`].
    #[cfg(feature = "serde")]
    pub fn from_json(text: &str) -> Result<LayoutDef, LayoutError> {
        let mut def: LayoutDef =
            serde_json::from_str(text).map_err(|e| LayoutError::Syntax(alloc::format!("{e}")))?;
        for (&n, f) in def.fields.iter_mut() {
            if f.sensitivity == Sensitivity::Public {
                f.sensitivity = default_sensitivity_of(n);
            }
        }
        Ok(def)
    }
}
