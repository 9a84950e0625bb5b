//! Reading and building subfields of composite fields.
//!
//! A path names a field and the subfields inside it: `"60"`, `"60.2"` (positional or
//! bitmapped subfield 2), `"55.9F26"` (BER-TLV tag), `"55.71.86"` (a tag inside a
//! constructed tag), `"48.AB"` (a simple-TLV tag). Elements borrow the message buffer.
//!
//! ```
//! use iso8583_wire::layouts::CUP;
//! use iso8583_wire::wire::hex;
//!
//! let wire = hex::decode(include_str!("../examples/data/cup_pay_0200.hex").trim()).unwrap();
//! let msg = CUP.decode(&wire)?;
//! assert_eq!(msg.get("60.2")?.unwrap().to_string(), "000727"); // batch number
//! assert_eq!(msg.get("55.9F27")?.unwrap().value().to_string(), "80");
//! let names: Vec<_> = msg.field(60).unwrap().parts().map(|p| p.unwrap().name()).collect();
//! assert_eq!(names[..3], ["Message type code", "Batch number", "Network management information code"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use crate::bitmap::Bitmap;
use crate::message::{Field, Message, pan_window};
#[cfg(feature = "alloc")]
use crate::spec::Content;
use crate::spec::composite::{Composite, Part, PartLength, SubBitmap, TlvForm, TlvPart};
use crate::spec::{BitmapEncoding, ContentMode, Encoding, Sensitivity};
use crate::tlv::{Tag, Tlvs, Verdict};
use crate::wire::decode::{self as dec};
use crate::wire::hex;

/// A composite field's content does not match its definition, or a path is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SubfieldError {
    /// The path is not `field[.sub[.sub...]]`.
    #[error("bad path: {0}")]
    BadPath(&'static str),
    /// The element named has no subfields.
    #[error("field {field} has no subfields")]
    NotComposite {
        /// The field.
        field: u16,
    },
    /// The composite content is malformed.
    #[error("field {field} subfields, at unit {offset}: {reason}")]
    Malformed {
        /// The top-level field.
        field: u16,
        /// Offset inside the field's value (units for positional parts, bytes otherwise).
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

/// How an element is labelled in its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Label {
    /// Field or subfield number.
    Number(u16),
    /// A BER-TLV or binary tag.
    Tag(Tag),
    /// A text tag of simple TLV (up to 8 characters).
    Text([u8; 8], u8),
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Number(n) => write!(f, "{n}"),
            Label::Tag(t) => write!(f, "{t}"),
            Label::Text(b, n) => {
                for &c in b.iter().take(usize::from(*n)) {
                    fmt::Write::write_char(f, char::from(c))?;
                }
                Ok(())
            }
        }
    }
}

/// A path for display: a parent path, a dot, a label (`60.2`, `55.71.86`).
pub struct PathLabel<'p>(pub &'p dyn fmt::Display, pub Label);

impl fmt::Debug for PathLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathLabel({self})")
    }
}

impl fmt::Display for PathLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Formatted into a small buffer so that width and alignment apply.
        let mut buf = [0u8; 48];
        let mut w = SmallWriter {
            buf: &mut buf,
            len: 0,
        };
        let _ = fmt::write(&mut w, format_args!("{}.{}", self.0, self.1));
        let len = w.len;
        f.pad(core::str::from_utf8(buf.get(..len).unwrap_or(&[])).unwrap_or(""))
    }
}

struct SmallWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for SmallWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    Field(Field<'a>),
    Span {
        parent: Field<'a>,
        start: usize,
        len: usize,
    },
    Bytes {
        value: &'a [u8],
        text: bool,
    },
}

/// A field or subfield: borrowed from the message buffer.
#[derive(Clone, Copy)]
pub struct Element<'a> {
    top: u16,
    label: Label,
    name: &'a str,
    sensitive: Sensitivity,
    repr: Repr<'a>,
}

impl<'a> Element<'a> {
    fn of_field(top: u16, f: Field<'a>) -> Self {
        Element {
            top,
            label: Label::Number(f.number() as u16),
            name: f.spec().name,
            sensitive: f.spec().sensitivity,
            repr: Repr::Field(f),
        }
    }

    /// A subfield element: sensitive when its own spec or its parent says so.
    fn of_subfield(top: u16, f: Field<'a>, parent: Sensitivity) -> Self {
        let mut e = Element::of_field(top, f);
        if parent.is_sensitive() && !e.sensitive.is_sensitive() {
            e.sensitive = parent;
        }
        e
    }

    /// The label in the parent (number or tag).
    pub fn label(&self) -> Label {
        self.label
    }

    /// The element's name (EMV tag names for TLV; empty if unknown).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Whether the value is text (else binary, shown as hex).
    pub fn is_text(&self) -> bool {
        match self.repr {
            Repr::Field(f) => f.spec().content.is_text(),
            Repr::Span { .. } => true,
            Repr::Bytes { text, .. } => text,
        }
    }

    /// The logical characters or bytes of the value.
    pub fn symbols(&self) -> impl Iterator<Item = u8> + 'a {
        let (a, b, c) = match self.repr {
            Repr::Field(f) => (Some(f.symbols()), None, None),
            Repr::Span { parent, start, len } => {
                (None, Some(parent.symbols().skip(start).take(len)), None)
            }
            Repr::Bytes { value, .. } => (None, None, Some(value.iter().copied())),
        };
        a.into_iter()
            .flatten()
            .chain(b.into_iter().flatten())
            .chain(c.into_iter().flatten())
    }

    /// Length in units (characters, digits or bytes).
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Field(f) => f.len(),
            Repr::Span { len, .. } => len,
            Repr::Bytes { value, .. } => value.len(),
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as text without copying, when it lies as ASCII in the buffer.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.repr {
            Repr::Field(f) => f.as_str(),
            Repr::Span { parent, start, len } => {
                parent.as_str().and_then(|s| s.get(start..start + len))
            }
            Repr::Bytes { value, text: true } => core::str::from_utf8(value).ok(),
            Repr::Bytes { .. } => None,
        }
    }

    /// The value's bytes without copying, when they lie whole in the buffer (binary
    /// and ASCII elements).
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.repr {
            Repr::Field(f) => match f.spec().encoding {
                Encoding::Ascii | Encoding::Binary => Some(f.data()),
                _ => None,
            },
            Repr::Span { .. } => self.as_str().map(str::as_bytes),
            Repr::Bytes { value, .. } => Some(value),
        }
    }

    /// The full value for display (text as is, binary as uppercase hex).
    pub fn value(&self) -> ElementValue<'a> {
        ElementValue(*self, false)
    }

    /// The value masked if sensitive (what `Display` shows).
    pub fn masked(&self) -> ElementValue<'a> {
        ElementValue(*self, true)
    }

    /// The subfields of a composite element (nothing for a simple one).
    pub fn parts(&self) -> Parts<'a> {
        Parts::of(*self)
    }

    /// The subfield with this path segment (`"2"`, `"9F26"`).
    ///
    /// # Errors
    ///
    /// [`SubfieldError`] when the path names no field or part, or the field's data does not
    /// parse as its composite.
    pub fn get(&self, segment: &str) -> Result<Option<Element<'a>>, SubfieldError> {
        let mut parts = self.parts();
        if matches!(parts.state, State::Done) {
            return Err(SubfieldError::NotComposite { field: self.top });
        }
        for part in parts.by_ref() {
            let part = part?;
            let hit = match part.label {
                Label::Number(n) => segment.parse::<u16>().ok() == Some(n),
                Label::Tag(t) => Tag::from_hex(segment) == Some(t),
                Label::Text(b, n) => b.get(..usize::from(n)) == Some(segment.as_bytes()),
            };
            if hit {
                return Ok(Some(part));
            }
        }
        Ok(None)
    }
}

impl fmt::Display for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.masked(), f)
    }
}

impl fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Element")
            .field("label", &format_args!("{}", self.label))
            .field("name", &self.name)
            .field("value", &format_args!("{}", self.masked()))
            .finish()
    }
}

/// Display of an element's value; masked or not.
#[derive(Clone, Copy)]
pub struct ElementValue<'a>(Element<'a>, bool);

impl fmt::Display for ElementValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        if let (Repr::Field(field), false) = (e.repr, self.1) {
            return fmt::Display::fmt(&field.value(), f);
        }
        if let (Repr::Field(field), true) = (e.repr, self.1) {
            if field.spec().sensitivity.is_sensitive() || !e.sensitive.is_sensitive() {
                return fmt::Display::fmt(&field.masked(), f);
            }
            // A subfield of a sensitive field: nothing shown but the length.
            let shown = if field.spec().content.is_text() {
                field.len()
            } else {
                field.len() * 2
            };
            for _ in 0..shown {
                f.write_str("*")?;
            }
            return Ok(());
        }
        let mask = self.1 && e.sensitive.is_sensitive();
        if e.is_text() {
            let len = e.len();
            let (first, last) = if e.sensitive == Sensitivity::Secret {
                (0, 0)
            } else {
                pan_window(len)
            };
            for (i, c) in e.symbols().enumerate() {
                let shown = !mask || i < first || i + last >= len;
                fmt::Write::write_char(f, if shown { char::from(c) } else { '*' })?;
            }
        } else {
            for b in e.symbols() {
                if mask {
                    f.write_str("**")?;
                } else {
                    let pair = hex::byte_hex(b);
                    fmt::Write::write_char(f, char::from(pair[0]))?;
                    fmt::Write::write_char(f, char::from(pair[1]))?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ElementValue<'_> {
    /// As `Display`, quoted: masked when made by [`Element::masked`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl Message<'_> {
    /// The element at `path` (`"60"`, `"60.2"`, `"55.9F26"`): `Ok(None)` when absent,
    /// an error when the path is malformed or the composite content does not match its
    /// definition.
    ///
    /// # Errors
    ///
    /// [`SubfieldError`] when the path names no field or part, or the field's data does not
    /// parse as its composite.
    pub fn get(&self, path: &str) -> Result<Option<Element<'_>>, SubfieldError> {
        let mut segments = path.split('.');
        let first = segments
            .next()
            .ok_or(SubfieldError::BadPath("empty path"))?;
        let n: usize = first
            .parse()
            .map_err(|_| SubfieldError::BadPath("the first segment must be a field number"))?;
        let Some(field) = self.field(n) else {
            return Ok(None);
        };
        let mut element = Element::of_field(n as u16, field);
        for (depth, seg) in segments.enumerate() {
            if seg.is_empty() || depth >= 8 {
                return Err(SubfieldError::BadPath("empty segment or too deep"));
            }
            match element.get(seg)? {
                Some(e) => element = e,
                None => return Ok(None),
            }
        }
        Ok(Some(element))
    }
}

impl<'a> Field<'a> {
    /// The subfields of a composite field (nothing for a simple field).
    pub fn parts(&self) -> Parts<'a> {
        Element::of_field(self.number() as u16, *self).parts()
    }
}

/// Iterator over the subfields of an element.
pub struct Parts<'a> {
    top: u16,
    sensitive: Sensitivity,
    state: State<'a>,
}

impl fmt::Debug for Parts<'_> {
    /// The field the parts belong to; iterate for the parts (masked `Debug`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parts")
            .field("field", &self.top)
            .finish_non_exhaustive()
    }
}

enum State<'a> {
    Done,
    Failed(SubfieldError),
    Positional {
        parent: Field<'a>,
        parts: core::slice::Iter<'a, Part<'a>>,
        index: u16,
        pos: usize,
    },
    Bitmapped {
        data: &'a [u8],
        offset: usize,
        fields: &'a [Option<crate::spec::FieldSpec<'a>>],
        ones: crate::bitmap::Ones,
    },
    Sequence {
        data: &'a [u8],
        offset: usize,
        fields: &'a [Option<crate::spec::FieldSpec<'a>>],
        next: usize,
    },
    Tagged {
        data: &'a [u8],
        offset: usize,
        tag: TlvPart,
        pad: Option<u8>,
        fields: &'a [crate::spec::TaggedField<'a>],
    },
    Ber(Tlvs<'a>),
    Simple {
        data: &'a [u8],
        pos: usize,
        tag: TlvPart,
        length: TlvPart,
        length_first: bool,
        text: bool,
    },
}

/// How masked output treats a whole field whose content has structure: BER-TLV
/// (binary, or hex characters in a text field 55) and tagged or bitmapped composites.
///
/// * [`Verdict::Malformed`]: the content does not parse cleanly; the field and all its
///   parts are hidden, since a damaged tag or length byte may have put card data
///   under a harmless tag.
/// * [`Verdict::Hidden`]: well-formed, with an element that must be hidden; the field
///   as a whole is hidden, its parts are masked one by one.
/// * [`Verdict::Shown`]: nothing to hide.
///
/// Field 55 without a declared structure is read as BER-TLV (hex characters when the
/// field is text): EMV data is what it carries in every layout this crate knows.
pub(crate) fn field_verdict(f: &Field<'_>) -> Verdict {
    let spec = f.spec();
    let ber = match spec.subfields {
        Some(Composite::Tlv(TlvForm::Ber)) => true,
        None => f.number() == 55,
        Some(Composite::Positional(_)) => return Verdict::Shown,
        Some(_) => false,
    };
    if ber {
        let data = f.data();
        let hex_text = match (spec.content.is_text(), spec.encoding) {
            (false, Encoding::Binary) => false,
            (false, Encoding::HexAscii) | (true, Encoding::Ascii) => true,
            // BER-TLV in BCD or EBCDIC: not read here, so not shown.
            _ => return Verdict::Malformed,
        };
        return if !hex_text {
            crate::tlv::mask_verdict(&data)
        } else if !data.len().is_multiple_of(2) {
            Verdict::Malformed
        } else {
            crate::tlv::mask_verdict(&crate::tlv::HexText(data))
        };
    }
    fn walk(parts: Parts<'_>, depth: usize) -> Verdict {
        let mut verdict = Verdict::Shown;
        for part in parts {
            let Ok(p) = part else {
                return Verdict::Malformed;
            };
            if p.sensitive.is_sensitive() {
                verdict = Verdict::Hidden;
            }
            if depth < 4 {
                match walk(p.parts(), depth + 1) {
                    Verdict::Malformed => return Verdict::Malformed,
                    Verdict::Hidden => verdict = Verdict::Hidden,
                    Verdict::Shown => {}
                }
            }
        }
        verdict
    }
    walk(Parts::raw(Element::of_field(f.number() as u16, *f)), 0)
}

/// Whether masked output hides an element labelled `label` under field `top`: a tag
/// that is [sensitive](Tag::is_sensitive) (binary, or its hex text as moov writes
/// ASCII tags); in field 55, any tag that is not a known, non-sensitive EMV tag.
fn label_hidden(top: u16, label: Label) -> bool {
    let tag = match label {
        Label::Tag(t) => Some(t),
        Label::Text(b, n) => b
            .get(..usize::from(n))
            .and_then(|t| core::str::from_utf8(t).ok())
            .and_then(Tag::from_hex),
        Label::Number(_) => return false,
    };
    match tag {
        Some(t) if t.is_sensitive() => true,
        Some(t) => top == 55 && t.name().is_none(),
        None => top == 55,
    }
}

impl<'a> Parts<'a> {
    /// The parts of `e`, every one hidden in masked output when `e` is a field whose
    /// content does not parse cleanly (see [`field_verdict`]).
    fn of(e: Element<'a>) -> Self {
        let mut parts = Parts::raw(e);
        if let Repr::Field(f) = e.repr
            && !matches!(parts.state, State::Done)
            && !parts.sensitive.is_sensitive()
            && field_verdict(&f) == Verdict::Malformed
        {
            parts.sensitive = Sensitivity::Secret;
        }
        parts
    }

    /// The parts of `e`, with the sensitivity `e` has.
    fn raw(e: Element<'a>) -> Self {
        let top = e.top;
        let done = Parts {
            top,
            sensitive: e.sensitive,
            state: State::Done,
        };
        let state = match e.repr {
            Repr::Field(f) => match f.spec().subfields {
                None => State::Done,
                Some(Composite::Positional(parts)) => State::Positional {
                    parent: f,
                    parts: parts.iter(),
                    index: 0,
                    pos: 0,
                },
                Some(Composite::Bitmapped { bitmap, fields }) => {
                    let Some(data) = e.as_bytes() else {
                        return done;
                    };
                    match read_bitmap(bitmap, data) {
                        Ok((map, used)) => State::Bitmapped {
                            data: data.get(used..).unwrap_or(&[]),
                            offset: used,
                            fields,
                            ones: map.iter(),
                        },
                        Err((offset, reason)) => State::Failed(SubfieldError::Malformed {
                            field: top,
                            offset,
                            reason,
                        }),
                    }
                }
                Some(Composite::Tagged { tag, pad, fields }) => {
                    let Some(data) = e.as_bytes() else {
                        return done;
                    };
                    State::Tagged {
                        data,
                        offset: 0,
                        tag: *tag,
                        pad: *pad,
                        fields,
                    }
                }
                Some(Composite::Sequence(fields)) => {
                    let Some(data) = e.as_bytes() else {
                        return done;
                    };
                    State::Sequence {
                        data,
                        offset: 0,
                        fields,
                        next: 0,
                    }
                }
                Some(Composite::Tlv(form)) => {
                    let Some(data) = e.as_bytes() else {
                        return done;
                    };
                    match form {
                        TlvForm::Ber => State::Ber(Tlvs::new(data)),
                        TlvForm::Simple { tag, length } => State::Simple {
                            data,
                            pos: 0,
                            tag: *tag,
                            length: *length,
                            length_first: false,
                            text: f.spec().content.is_text(),
                        },
                        TlvForm::LengthFirst { length, tag } => State::Simple {
                            data,
                            pos: 0,
                            tag: *tag,
                            length: *length,
                            length_first: true,
                            text: f.spec().content.is_text(),
                        },
                    }
                }
            },
            Repr::Bytes { value, .. } => match e.label {
                Label::Tag(t) if t.is_constructed() => State::Ber(Tlvs::new(value)),
                _ => State::Done,
            },
            Repr::Span { .. } => State::Done,
        };
        Parts { state, ..done }
    }

    fn malformed(
        &mut self,
        offset: usize,
        reason: &'static str,
    ) -> Option<Result<Element<'a>, SubfieldError>> {
        self.state = State::Done;
        Some(Err(SubfieldError::Malformed {
            field: self.top,
            offset,
            reason,
        }))
    }
}

/// One unit of `bytes` bitmap bytes at the start of `data`: the bits as the top of a
/// word, and the wire bytes used.
fn bitmap_unit(enc: BitmapEncoding, bytes: usize, data: &[u8]) -> Option<(u64, usize)> {
    let mut w = 0u64;
    let used = match enc {
        BitmapEncoding::Binary => {
            for &b in data.get(..bytes)? {
                w = (w << 8) | u64::from(b);
            }
            bytes
        }
        BitmapEncoding::HexAscii | BitmapEncoding::EbcdicHex(_) => {
            for &c in data.get(..2 * bytes)? {
                let c = match enc {
                    BitmapEncoding::EbcdicHex(page) => dec::ebcdic_hex_char(page, c),
                    _ => c,
                };
                w = (w << 4) | u64::from(hex::nibble(c)?);
            }
            2 * bytes
        }
    };
    let shift = 64usize.saturating_sub(8 * bytes);
    Some((if shift >= 64 { 0 } else { w << shift }, used))
}

/// The tag at the start of `data` as text (ASCII tags as they are, binary and BCD tags
/// as uppercase hex), without leading `pad` characters (one is kept).
fn tag_text(tag: TlvPart, pad: Option<u8>, raw: &[u8]) -> ([u8; 8], u8) {
    let mut text = [0u8; 8];
    let mut n = 0usize;
    let mut push = |c: u8| {
        if let Some(slot) = text.get_mut(n) {
            *slot = c;
            n += 1;
        }
    };
    match tag {
        TlvPart::Ascii(_) => raw.iter().for_each(|&c| push(c)),
        TlvPart::Ebcdic(_, page) => raw
            .iter()
            .for_each(|&c| push(crate::wire::ebcdic::to_latin1(page, c))),
        // The bytes the hex characters stand for (a character that is not hex names
        // no tag).
        TlvPart::HexAscii(_) => raw.chunks(2).for_each(|pair| {
            let hi = pair.first().copied().and_then(hex::nibble);
            let lo = pair.get(1).copied().and_then(hex::nibble);
            push(match (hi, lo) {
                (Some(h), Some(l)) => (h << 4) | l,
                _ => 0,
            });
        }),
        TlvPart::Binary(_) | TlvPart::Bcd(_) | TlvPart::Ber => raw.iter().for_each(|&b| {
            let pair = hex::byte_hex(b);
            push(pair[0]);
            push(pair[1]);
        }),
    }
    let mut start = 0;
    if let Some(p) = pad {
        while start + 1 < n && text.get(start) == Some(&p) {
            start += 1;
        }
    }
    let mut out = [0u8; 8];
    let len = n - start;
    if let (Some(d), Some(s)) = (out.get_mut(..len), text.get(start..n)) {
        d.copy_from_slice(s);
    }
    (out, len as u8)
}

/// The size of the BER-TLV tag at the start of `data` (1 to 4 bytes).
fn ber_tag_len(data: &[u8]) -> Option<usize> {
    let first = *data.first()?;
    if first & 0x1F != 0x1F {
        return Some(1);
    }
    let more = data.get(1..4)?.iter().position(|&b| b & 0x80 == 0)?;
    Some(more + 2)
}

/// Decodes subfield `n` at the start of `data` and moves `data` and `offset` past it;
/// `None` (nothing moved) when the bytes do not match `spec`.
fn take_numbered<'a>(
    data: &mut &'a [u8],
    offset: &mut usize,
    n: usize,
    spec: &'a crate::spec::FieldSpec<'a>,
) -> Option<Field<'a>> {
    let input: &'a [u8] = data;
    let (rest, _units) = dec::field(spec)(input).ok()?;
    let used = input.len() - rest.len();
    let wire = input.get(..used)?;
    *data = rest;
    *offset += used;
    Some(Field::from_wire(n, spec, wire))
}

/// The tagged element at the start of `data`: its label, its definition, the bytes
/// before the subfield (the tag, and a BER length when the element has one), and the
/// size of the value that length gives (`None`: the subfield reads its own length).
type TaggedHead<'f, 's> = (Label, &'f crate::spec::FieldSpec<'s>, usize, Option<usize>);

/// See [`TaggedHead`].
fn tagged_element<'f, 's>(
    tag: TlvPart,
    pad: Option<u8>,
    fields: &'f [crate::spec::TaggedField<'s>],
    data: &[u8],
) -> Result<TaggedHead<'f, 's>, &'static str> {
    let tag_len = match tag {
        TlvPart::Ber => ber_tag_len(data).ok_or("data ends inside a tag")?,
        _ => tag.len(),
    };
    let raw = data.get(..tag_len).ok_or("data ends inside a tag")?;
    let (text, len) = tag_text(tag, pad, raw);
    let name = text.get(..usize::from(len)).unwrap_or(&[]);
    let f = fields
        .iter()
        .find(|f| f.tag.as_bytes().eq_ignore_ascii_case(name))
        .or_else(|| fields.iter().find(|f| f.tag == "*"))
        .ok_or("a tag the layout does not define")?;
    let label = match tag {
        TlvPart::Ascii(_) | TlvPart::Ebcdic(..) | TlvPart::HexAscii(_) => Label::Text(text, len),
        _ => Label::Tag(Tag::new(
            raw.iter()
                .take(4)
                .fold(0u32, |v, &b| (v << 8) | u32::from(b)),
        )),
    };
    if tag == TlvPart::Ber && matches!(f.spec.length, crate::spec::Length::Rest { .. }) {
        // The BER length after the tag frames the value.
        let element = crate::tlv::Tlvs::new(data)
            .next()
            .and_then(Result::ok)
            .ok_or("a BER-TLV length is malformed or runs past the end of the field")?;
        let head = element.value_offset - element.offset;
        return Ok((label, &f.spec, head, Some(element.value.len())));
    }
    Ok((label, &f.spec, raw.len(), None))
}

/// A failure inside a composite: the byte offset and the error.
type Failure = (usize, crate::error::DecodeErrorKind);

/// The subfield of a tagged element after its head: the bytes a BER length framed
/// (which the subfield must use up), or what the subfield reads itself. The rest of
/// the data after the element, and the subfield's wire bytes; on failure, the offset
/// in `after` and the error.
fn tagged_value<'d>(
    spec: &crate::spec::FieldSpec<'_>,
    after: &'d [u8],
    framed: Option<usize>,
) -> Result<(&'d [u8], &'d [u8]), Failure> {
    let fault = |f: crate::wire::decode::Fault, len: usize| (len - f.remaining + f.pos, f.kind);
    let incomplete = || {
        (
            after.len(),
            crate::error::DecodeErrorKind::Subfield {
                reason: "incomplete",
            },
        )
    };
    match framed {
        Some(n) => {
            let value = after.get(..n).ok_or_else(incomplete)?;
            match dec::field(spec)(value) {
                Ok(_) => Ok((after.get(n..).unwrap_or(&[]), value)),
                Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(fault(f, n)),
                Err(nom::Err::Incomplete(_)) => Err(incomplete()),
            }
        }
        None => match dec::field(spec)(after) {
            Ok((rest, _)) => {
                let used = after.len() - rest.len();
                Ok((rest, after.get(..used).unwrap_or(&[])))
            }
            Err(nom::Err::Error(f) | nom::Err::Failure(f)) => Err(fault(f, after.len())),
            Err(nom::Err::Incomplete(_)) => Err(incomplete()),
        },
    }
}

/// A subfield bitmap (after its header bytes): the subfields it announces and the bytes
/// used, or the offset and reason of the failure.
pub(crate) fn read_bitmap(
    b: &SubBitmap,
    data: &[u8],
) -> Result<(Bitmap, usize), (usize, &'static str)> {
    let header = usize::from(b.header);
    let after_header = data
        .get(header..)
        .ok_or((0, "the subfield header is missing"))?;
    let bytes = usize::from(b.bytes).clamp(1, 8);
    let (first, used) = bitmap_unit(b.encoding, bytes, after_header)
        .ok_or((header, "the subfield bitmap is missing or not hex"))?;
    let mut words = [first, 0, 0];
    let mut total = header + used;
    if b.extends {
        if first >> 63 == 1 {
            let rest = data.get(total..).unwrap_or(&[]);
            let (second, more) = bitmap_unit(b.encoding, 8, rest)
                .ok_or((total, "the second subfield bitmap is missing or not hex"))?;
            words[1] = second;
            total += more;
        }
        // Bit 1 announces the second unit: no subfield.
        words[0] &= !(1u64 << 63);
    }
    Ok((Bitmap::from_words(words), total))
}

/// Locates and checks every subfield of `data` for a composite that is checked on
/// decode ([`Composite::checked_on_decode`]); on failure, the byte position in `data`
/// and the error.
pub(crate) fn walk(
    c: &Composite<'_>,
    data: &[u8],
) -> Result<(), (usize, crate::error::DecodeErrorKind)> {
    use crate::error::DecodeErrorKind;
    let sub = |reason| DecodeErrorKind::Subfield { reason };
    let total = data.len();
    let mut rest = data;
    let one = |spec: &crate::spec::FieldSpec<'_>, rest: &mut &[u8]| match dec::field(spec)(rest) {
        Ok((r, _)) => {
            *rest = r;
            Ok(())
        }
        Err(nom::Err::Error(f) | nom::Err::Failure(f)) => {
            Err((total - f.remaining + f.pos, f.kind))
        }
        Err(nom::Err::Incomplete(_)) => Err((total - rest.len(), sub("incomplete"))),
    };
    match c {
        Composite::Sequence(fields) => {
            for spec in fields.iter().flatten() {
                if rest.is_empty() {
                    break;
                }
                one(spec, &mut rest)?;
            }
        }
        Composite::Bitmapped { bitmap, fields } => {
            let (map, used) = read_bitmap(bitmap, data).map_err(|(at, r)| (at, sub(r)))?;
            rest = data.get(used..).unwrap_or(&[]);
            for n in map.iter() {
                let Some(spec) = fields.get(n).and_then(Option::as_ref) else {
                    return Err((
                        total - rest.len(),
                        sub("the bitmap announces an undefined subfield"),
                    ));
                };
                one(spec, &mut rest)?;
            }
        }
        Composite::Tagged { tag, pad, fields } => {
            while !rest.is_empty() {
                let at = total - rest.len();
                let (_, spec, head, framed) =
                    tagged_element(*tag, *pad, fields, rest).map_err(|r| (at, sub(r)))?;
                let after = rest.get(head..).unwrap_or(&[]);
                let (r, _) =
                    tagged_value(spec, after, framed).map_err(|(i, k)| (at + head + i, k))?;
                rest = r;
            }
        }
        _ => return Ok(()),
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err((total - rest.len(), sub("bytes after the last subfield")))
    }
}

fn read_number(part: TlvPart, raw: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    match part {
        TlvPart::Ascii(_) => {
            for &c in raw {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
            }
        }
        TlvPart::Binary(_) => {
            for &b in raw {
                v = v.checked_mul(256)? | usize::from(b);
            }
        }
        TlvPart::Bcd(_) => {
            for &b in raw {
                if b >> 4 > 9 || b & 0xF > 9 {
                    return None;
                }
                v = v
                    .checked_mul(100)?
                    .checked_add(usize::from(b >> 4) * 10 + usize::from(b & 0xF))?;
            }
        }
        TlvPart::Ebcdic(_, page) => {
            for &c in raw {
                let c = crate::wire::ebcdic::to_latin1(page, c);
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
            }
        }
        TlvPart::HexAscii(_) => {
            for &c in raw {
                v = v.checked_mul(16)? | usize::from(hex::nibble(c)?);
            }
        }
        TlvPart::Ber => return None,
    }
    Some(v)
}

impl<'a> Iterator for Parts<'a> {
    type Item = Result<Element<'a>, SubfieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        let top = self.top;
        let sensitive = self.sensitive;
        match &mut self.state {
            State::Done => None,
            State::Failed(e) => {
                let e = *e;
                self.state = State::Done;
                Some(Err(e))
            }
            State::Positional {
                parent,
                parts,
                index,
                pos,
            } => {
                let parent = *parent;
                let total = parent.len();
                let part = parts.next()?;
                *index += 1;
                let number = *index;
                if *pos >= total {
                    self.state = State::Done;
                    return None;
                }
                let start_pos = *pos;
                let (start, len) = match part.length {
                    PartLength::Fixed(n) => (start_pos, usize::from(n)),
                    PartLength::Prefixed { digits, max } => {
                        let d = usize::from(digits);
                        let mut v = 0usize;
                        for c in parent.symbols().skip(start_pos).take(d) {
                            if !c.is_ascii_digit() {
                                return self.malformed(start_pos, "a part length is not digits");
                            }
                            v = v.saturating_mul(10).saturating_add(usize::from(c - b'0'));
                        }
                        if v > usize::from(max) {
                            return self.malformed(start_pos, "a part length is above its maximum");
                        }
                        (start_pos + d, v)
                    }
                    PartLength::Rest { max } => {
                        let len = total - start_pos;
                        if len > usize::from(max) {
                            return self.malformed(start_pos, "the last part is above its maximum");
                        }
                        (start_pos, len)
                    }
                };
                if start + len > total {
                    return self.malformed(start_pos, "a part runs past the end of the field");
                }
                if let Some(i) = parent
                    .symbols()
                    .skip(start)
                    .take(len)
                    .position(|c| !part.content.accepts(c, ContentMode::Lenient))
                {
                    return self.malformed(start + i, "a character the part does not allow");
                }
                if let State::Positional { pos, .. } = &mut self.state {
                    *pos = start + len;
                }
                Some(Ok(Element {
                    top,
                    label: Label::Number(number),
                    name: part.name,
                    sensitive,
                    repr: Repr::Span { parent, start, len },
                }))
            }
            State::Bitmapped {
                data,
                offset,
                fields,
                ones,
            } => {
                let Some(n) = ones.next() else {
                    if !data.is_empty() {
                        let at = *offset;
                        return self.malformed(at, "bytes after the last subfield");
                    }
                    self.state = State::Done;
                    return None;
                };
                let at = *offset;
                let Some(spec) = fields.get(n).and_then(Option::as_ref) else {
                    return self.malformed(at, "the bitmap announces an undefined subfield");
                };
                match take_numbered(data, offset, n, spec) {
                    Some(f) => Some(Ok(Element::of_subfield(top, f, sensitive))),
                    None => self.malformed(at, "a subfield does not match its definition"),
                }
            }
            State::Sequence {
                data,
                offset,
                fields,
                next,
            } => loop {
                let n = *next;
                let input: &'a [u8] = data;
                let at = *offset;
                let Some(slot) = fields.get(n) else {
                    if !input.is_empty() {
                        return self.malformed(at, "bytes after the last subfield");
                    }
                    self.state = State::Done;
                    return None;
                };
                *next += 1;
                let Some(spec) = slot.as_ref() else {
                    continue;
                };
                if input.is_empty() {
                    self.state = State::Done;
                    return None;
                }
                return match take_numbered(data, offset, n, spec) {
                    Some(f) => Some(Ok(Element::of_subfield(top, f, sensitive))),
                    None => self.malformed(at, "a subfield does not match its definition"),
                };
            },
            State::Tagged {
                data,
                offset,
                tag,
                pad,
                fields,
            } => {
                let input: &'a [u8] = data;
                let at = *offset;
                if input.is_empty() {
                    self.state = State::Done;
                    return None;
                }
                let (tag, pad, fields) = (*tag, *pad, *fields);
                let (label, spec, head, framed) = match tagged_element(tag, pad, fields, input) {
                    Ok(found) => found,
                    Err(reason) => return self.malformed(at, reason),
                };
                let after = input.get(head..).unwrap_or(&[]);
                match tagged_value(spec, after, framed) {
                    Ok((rest, wire)) => {
                        let used = after.len() - rest.len();
                        if let State::Tagged { data, offset, .. } = &mut self.state {
                            *data = rest;
                            *offset += head + used;
                        }
                        let f = Field::from_wire(0, spec, wire);
                        let mut e = Element::of_subfield(top, f, sensitive);
                        e.label = label;
                        if label_hidden(top, label) && !e.sensitive.is_sensitive() {
                            e.sensitive = Sensitivity::Secret;
                        }
                        Some(Ok(e))
                    }
                    Err(_) => self.malformed(at, "a subfield does not match its definition"),
                }
            }
            State::Ber(tlvs) => match tlvs.next()? {
                Ok(t) => Some(Ok(Element {
                    top,
                    label: Label::Tag(t.tag),
                    name: t.tag.name().unwrap_or(""),
                    sensitive: if (!t.tag.is_constructed() && !t.tag.shown_masked(t.value))
                        || (t.tag.is_constructed() && Tag::holds_sensitive(t.value))
                    {
                        Sensitivity::Secret
                    } else {
                        sensitive
                    },
                    repr: Repr::Bytes {
                        value: t.value,
                        text: false,
                    },
                })),
                Err(e) => {
                    self.state = State::Done;
                    Some(Err(SubfieldError::Malformed {
                        field: top,
                        offset: e.offset,
                        reason: "malformed BER-TLV",
                    }))
                }
            },
            State::Simple {
                data,
                pos,
                tag,
                length,
                length_first,
                text,
            } => {
                let data: &'a [u8] = data;
                let at = *pos;
                if at >= data.len() {
                    self.state = State::Done;
                    return None;
                }
                let (tag, length, length_first, text) = (*tag, *length, *length_first, *text);
                if tag.is_empty() && length.is_empty() {
                    return self.malformed(at, "tags and lengths of zero bytes");
                }
                let (tag_at, len_at) = if length_first {
                    (at + length.len(), at)
                } else {
                    (at, at + tag.len())
                };
                let Some(tag_raw) = data.get(tag_at..tag_at + tag.len()) else {
                    return self.malformed(at, "data ends inside a tag");
                };
                let Some(len) = data
                    .get(len_at..len_at + length.len())
                    .and_then(|raw| read_number(length, raw))
                else {
                    return self.malformed(len_at, "a length is missing or not a number");
                };
                let value_at = at + tag.len() + length.len();
                let len = if length_first {
                    match len.checked_sub(tag.len()) {
                        Some(l) => l,
                        None => return self.malformed(len_at, "a length shorter than its tag"),
                    }
                } else {
                    len
                };
                let Some(value) = value_at
                    .checked_add(len)
                    .and_then(|end| data.get(value_at..end))
                else {
                    return self.malformed(at, "a value runs past the end of the field");
                };
                if let State::Simple { pos, .. } = &mut self.state {
                    *pos = value_at + len;
                }
                let label = match tag {
                    TlvPart::Ascii(_) => {
                        let mut b = [0u8; 8];
                        let n = tag_raw.len().min(8);
                        if let (Some(d), Some(s)) = (b.get_mut(..n), tag_raw.get(..n)) {
                            d.copy_from_slice(s);
                        }
                        Label::Text(b, n as u8)
                    }
                    _ => Label::Tag(Tag::new(
                        tag_raw
                            .iter()
                            .take(4)
                            .fold(0u32, |v, &b| (v << 8) | u32::from(b)),
                    )),
                };
                Some(Ok(Element {
                    top,
                    label,
                    name: "",
                    sensitive: if label_hidden(top, label) && !sensitive.is_sensitive() {
                        Sensitivity::Secret
                    } else {
                        sensitive
                    },
                    repr: Repr::Bytes { value, text },
                }))
            }
        }
    }
}

/// Builds the value of a composite field from its subfields; pass the result to
/// [`crate::MessageBuilder::set`] as bytes.
///
/// ```
/// use iso8583_wire::subfield::CompositeBuilder;
/// use iso8583_wire::{layouts::CUP, MessageBuilder, Mti};
///
/// let mut c = CompositeBuilder::new(CUP.field(60).unwrap())?;
/// c.set("1", "22")?.set("2", "000727")?.set("3", "000")?.set("4", "6")?.set("5", "0")?;
/// let value = c.finish()?;
/// assert_eq!(value, b"2200072700060");
/// let mut b = MessageBuilder::new(&CUP, Mti::new(200)?);
/// b.set(60, &value[..])?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "alloc")]
pub struct CompositeBuilder<'s> {
    spec: &'s crate::spec::FieldSpec<'s>,
    composite: &'s Composite<'s>,
    values: alloc::collections::BTreeMap<BuildKey, alloc::vec::Vec<u8>>,
}

#[cfg(feature = "alloc")]
impl core::fmt::Debug for CompositeBuilder<'_> {
    /// The field's name and how many parts are set; never the values.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CompositeBuilder")
            .field("field", &self.spec.name)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum BuildKey {
    Number(u16),
    Tag(alloc::vec::Vec<u8>),
}

#[cfg(feature = "alloc")]
impl<'s> CompositeBuilder<'s> {
    /// A builder for a composite field.
    ///
    /// # Errors
    ///
    /// [`SubfieldError`] when the field is not composite.
    pub fn new(spec: &'s crate::spec::FieldSpec<'s>) -> Result<Self, SubfieldError> {
        let composite = spec
            .subfields
            .ok_or(SubfieldError::NotComposite { field: 0 })?;
        Ok(CompositeBuilder {
            spec,
            composite,
            values: alloc::collections::BTreeMap::new(),
        })
    }

    /// Sets subfield `key` (`"2"`, a hex tag `"9F26"`, or a text tag) to `value`: text
    /// for text parts, hex for binary values.
    ///
    /// # Errors
    ///
    /// [`SubfieldError`] when the key names no part or the value does not fit it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, SubfieldError> {
        let bad = |reason| SubfieldError::Malformed {
            field: 0,
            offset: 0,
            reason,
        };
        let (k, v) = match self.composite {
            Composite::Positional(parts) => {
                let i: u16 = key
                    .parse()
                    .map_err(|_| SubfieldError::BadPath("part number"))?;
                let part = parts
                    .get(usize::from(i).wrapping_sub(1))
                    .ok_or(bad("no such part"))?;
                if !value
                    .bytes()
                    .all(|c| part.content.accepts(c, ContentMode::Lenient))
                {
                    return Err(bad("a character the part does not allow"));
                }
                (BuildKey::Number(i), value.as_bytes().to_vec())
            }
            Composite::Bitmapped { fields, .. } | Composite::Sequence(fields) => {
                let n: u16 = key
                    .parse()
                    .map_err(|_| SubfieldError::BadPath("subfield number"))?;
                let spec = fields
                    .get(usize::from(n))
                    .and_then(Option::as_ref)
                    .ok_or(bad("no such subfield"))?;
                let mut out = alloc::vec::Vec::new();
                encode_sub(spec, value.as_bytes(), &mut out)?;
                (BuildKey::Number(n), out)
            }
            Composite::Tagged { tag, pad, fields } => {
                let f = fields
                    .iter()
                    .find(|f| f.tag.eq_ignore_ascii_case(key))
                    .ok_or(bad("no such tagged subfield"))?;
                let mut out = alloc::vec::Vec::new();
                encode_sub(&f.spec, value.as_bytes(), &mut out)?;
                // The tag as it travels: padded to its size, hex for binary tags.
                let width = match tag {
                    TlvPart::Ascii(n) | TlvPart::Ebcdic(n, _) | TlvPart::HexAscii(n) => {
                        usize::from(*n)
                    }
                    TlvPart::Binary(n) | TlvPart::Bcd(n) => 2 * usize::from(*n),
                    TlvPart::Ber => f.tag.len(),
                };
                let mut text = alloc::vec::Vec::new();
                if let Some(p) = pad {
                    text.resize(width.saturating_sub(f.tag.len()), *p);
                }
                text.extend_from_slice(f.tag.as_bytes());
                let raw = match tag {
                    TlvPart::Ascii(_) => text,
                    TlvPart::Ebcdic(_, page) => text
                        .iter()
                        .map(|&c| crate::wire::ebcdic::from_latin1(*page, c))
                        .collect(),
                    TlvPart::HexAscii(_) => hex::encode(&text).into_bytes(),
                    _ => core::str::from_utf8(&text)
                        .ok()
                        .and_then(|t| hex::decode(t).ok())
                        .ok_or(bad("a binary tag must be hex"))?,
                };
                let size = match tag {
                    TlvPart::Ber => ber_tag_len(&raw),
                    _ => Some(tag.len()),
                };
                if size != Some(raw.len()) {
                    return Err(bad("a tag has the wrong size"));
                }
                let mut element = raw.clone();
                if *tag == TlvPart::Ber && matches!(f.spec.length, crate::spec::Length::Rest { .. })
                {
                    // The value framed by its BER length.
                    let mut head = [0u8; 9];
                    let n = crate::tlv::write_header(Tag::new(0), out.len(), &mut head);
                    element.extend_from_slice(head.get(1..n).unwrap_or(&[]));
                }
                element.extend_from_slice(&out);
                (BuildKey::Tag(raw), element)
            }
            Composite::Tlv(_) => {
                let v = if self.spec.content.is_text() {
                    value.as_bytes().to_vec()
                } else {
                    hex::decode(value).map_err(|_| bad("a binary value must be hex"))?
                };
                let tag = match self.composite {
                    Composite::Tlv(TlvForm::Simple {
                        tag: TlvPart::Ascii(_),
                        ..
                    }) => key.as_bytes().to_vec(),
                    _ => hex::decode(key).map_err(|_| SubfieldError::BadPath("hex tag"))?,
                };
                (BuildKey::Tag(tag), v)
            }
        };
        self.values.insert(k, v);
        Ok(self)
    }

    /// The composite value: logical characters for positional parts, bytes for
    /// bitmapped and TLV subfields.
    ///
    /// # Errors
    ///
    /// [`SubfieldError`] when the parts set do not make a valid value for the field.
    pub fn finish(&self) -> Result<alloc::vec::Vec<u8>, SubfieldError> {
        let bad = |reason| SubfieldError::Malformed {
            field: 0,
            offset: 0,
            reason,
        };
        let mut out = alloc::vec::Vec::new();
        match self.composite {
            Composite::Positional(parts) => {
                let last = self
                    .values
                    .keys()
                    .filter_map(|k| match k {
                        BuildKey::Number(n) => Some(*n),
                        BuildKey::Tag(_) => None,
                    })
                    .max()
                    .unwrap_or(0);
                for (i, part) in parts.iter().enumerate().take(usize::from(last)) {
                    let v = self
                        .values
                        .get(&BuildKey::Number(i as u16 + 1))
                        .map(alloc::vec::Vec::as_slice)
                        .unwrap_or(&[]);
                    match part.length {
                        PartLength::Fixed(n) => {
                            let n = usize::from(n);
                            if v.len() > n {
                                return Err(bad("a part is longer than its fixed length"));
                            }
                            let pad = if part.content == Content::N {
                                b'0'
                            } else {
                                b' '
                            };
                            if part.content == Content::N {
                                out.resize(out.len() + n - v.len(), pad);
                                out.extend_from_slice(v);
                            } else {
                                out.extend_from_slice(v);
                                out.resize(out.len() + n - v.len(), pad);
                            }
                        }
                        PartLength::Prefixed { digits, max } => {
                            if v.len() > usize::from(max) {
                                return Err(bad("a part is above its maximum"));
                            }
                            let text =
                                alloc::format!("{:0width$}", v.len(), width = usize::from(digits));
                            out.extend_from_slice(text.as_bytes());
                            out.extend_from_slice(v);
                        }
                        PartLength::Rest { max } => {
                            if v.len() > usize::from(max) {
                                return Err(bad("a part is above its maximum"));
                            }
                            out.extend_from_slice(v);
                        }
                    }
                }
            }
            Composite::Bitmapped { bitmap, .. } => {
                let mut map = Bitmap::new();
                for k in self.values.keys() {
                    if let BuildKey::Number(n) = k {
                        let n = usize::from(*n);
                        let limit = if bitmap.extends {
                            128
                        } else {
                            8 * usize::from(bitmap.bytes)
                        };
                        if n == 0 || n > limit || (bitmap.extends && n == 1) {
                            return Err(bad("subfield number outside the bitmap"));
                        }
                        map.set(n).map_err(|_| bad("subfield number"))?;
                    }
                }
                let [mut first, second, _] = map.words();
                if bitmap.extends && second != 0 {
                    first |= 1 << 63;
                }
                out.resize(usize::from(bitmap.header), 0);
                let mut unit = |word: u64, bytes: usize| {
                    for b in word.to_be_bytes().into_iter().take(bytes) {
                        match bitmap.encoding {
                            BitmapEncoding::Binary => out.push(b),
                            BitmapEncoding::HexAscii => out.extend_from_slice(&hex::byte_hex(b)),
                            BitmapEncoding::EbcdicHex(page) => out.extend(
                                hex::byte_hex(b).map(|c| crate::wire::ebcdic::from_latin1(page, c)),
                            ),
                        }
                    }
                };
                unit(first, usize::from(bitmap.bytes).clamp(1, 8));
                if bitmap.extends && second != 0 {
                    unit(second, 8);
                }
                for v in self.values.values() {
                    out.extend_from_slice(v);
                }
            }
            Composite::Sequence(fields) => {
                let last = self
                    .values
                    .keys()
                    .filter_map(|k| match k {
                        BuildKey::Number(n) => Some(usize::from(*n)),
                        BuildKey::Tag(_) => None,
                    })
                    .max();
                for (n, spec) in fields.iter().enumerate() {
                    let Some(spec) = spec else { continue };
                    if last.is_none_or(|l| n > l) {
                        break;
                    }
                    match self.values.get(&BuildKey::Number(n as u16)) {
                        Some(v) => out.extend_from_slice(v),
                        // A missing subfield before the last one: an empty value,
                        // padded when its form pads.
                        None => encode_sub(spec, b"", &mut out)?,
                    }
                }
            }
            Composite::Tlv(TlvForm::Ber) => {
                let mut b = crate::tlv::TlvBuilder::new();
                for (k, v) in &self.values {
                    if let BuildKey::Tag(t) = k {
                        if t.is_empty() || t.len() > 4 {
                            return Err(bad("a BER tag is 1 to 4 bytes"));
                        }
                        let tag = t.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x));
                        b.put(Tag::new(tag), v);
                    }
                }
                out = b.finish();
            }
            Composite::Tagged { .. } => {
                for v in self.values.values() {
                    out.extend_from_slice(v);
                }
            }
            Composite::Tlv(TlvForm::LengthFirst { length, tag }) => {
                for (k, v) in &self.values {
                    if let BuildKey::Tag(t) = k {
                        if t.len() != tag.len() {
                            return Err(bad("a tag has the wrong size"));
                        }
                        write_number(*length, v.len() + t.len(), &mut out)
                            .ok_or(bad("a value is too long for its length"))?;
                        out.extend_from_slice(t);
                        out.extend_from_slice(v);
                    }
                }
            }
            Composite::Tlv(TlvForm::Simple { tag, length }) => {
                for (k, v) in &self.values {
                    if let BuildKey::Tag(t) = k {
                        if t.len() != tag.len() {
                            return Err(bad("a tag has the wrong size"));
                        }
                        out.extend_from_slice(t);
                        write_number(*length, v.len(), &mut out)
                            .ok_or(bad("a value is too long for its length"))?;
                        out.extend_from_slice(v);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Appends one subfield (prefix and data) of `spec` holding `value` (text, or hex for
/// binary subfields).
#[cfg(feature = "alloc")]
fn encode_sub(
    spec: &crate::spec::FieldSpec<'_>,
    value: &[u8],
    out: &mut alloc::vec::Vec<u8>,
) -> Result<(), SubfieldError> {
    let bad = |reason| SubfieldError::Malformed {
        field: 0,
        offset: 0,
        reason,
    };
    let source = if spec.content.is_text() {
        crate::wire::encode::Source::Bytes(value)
    } else {
        crate::wire::encode::Source::Hex(value)
    };
    let plan = crate::wire::encode::plan(spec, source, Some(ContentMode::Lenient))
        .map_err(|_| bad("the value does not fit the subfield"))?;
    crate::wire::encode::write(spec, &plan, &mut crate::wire::encode::BufSink(out));
    Ok(())
}

#[cfg(feature = "alloc")]
fn write_number(part: TlvPart, n: usize, out: &mut alloc::vec::Vec<u8>) -> Option<()> {
    let width = part.len();
    match part {
        TlvPart::Ebcdic(_, page) => {
            let text = alloc::format!("{n:0width$}");
            (text.len() == width).then(|| {
                out.extend(
                    text.bytes()
                        .map(|c| crate::wire::ebcdic::from_latin1(page, c)),
                )
            })
        }
        TlvPart::HexAscii(_) => {
            let text = alloc::format!("{n:0width$X}");
            (text.len() == width).then(|| out.extend_from_slice(text.as_bytes()))
        }
        TlvPart::Ber => None,
        TlvPart::Ascii(_) => {
            let text = alloc::format!("{n:0width$}");
            (text.len() == width).then(|| out.extend_from_slice(text.as_bytes()))
        }
        TlvPart::Binary(_) => {
            let be = (n as u64).to_be_bytes();
            let fits = width >= 8 || n >> (8 * width) == 0;
            fits.then(|| out.extend_from_slice(be.get(8 - width.min(8)..).unwrap_or(&[])))
        }
        TlvPart::Bcd(_) => {
            let text = alloc::format!("{n:0w$}", w = width * 2);
            if text.len() != width * 2 {
                return None;
            }
            for pair in text.as_bytes().chunks(2) {
                let hi = pair.first().map_or(0, |c| c - b'0');
                let lo = pair.get(1).map_or(0, |c| c - b'0');
                out.push((hi << 4) | lo);
            }
            Some(())
        }
    }
}
