//! Messages as JSON (feature `serde`), in the form of the command-line contract:
//! `{"mti": "0200", "header": {"tpdu": "6000030000", ...}, "fields": {"2": "...", ...}}`.
//!
//! Text fields are their characters (BCD numerics their digits), binary fields
//! uppercase hex; `header` appears for layouts with a header, as hex per part. Text is
//! ISO-8859-1: each byte is the character U+0000-U+00FF of the same number, so every
//! value decodes to JSON and encodes back to the same bytes. Numeric fields also take
//! JSON numbers when encoding.
//!
//! ```
//! use iso8583_wire::json;
//! use iso8583_wire::layouts::ISO87_ASCII;
//!
//! let wire = b"0800822000000000000004000000000000000315143015000124301";
//! let msg = ISO87_ASCII.decode(wire)?;
//! let value = json::to_json(&msg, false);
//! assert_eq!(value["fields"]["70"], "301");
//! assert_eq!(json::encode_json(&ISO87_ASCII, &value)?, wire);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::builder::MessageBuilder;
use crate::message::Message;
use crate::mti::Mti;
use crate::spec::MessageSpec;
use crate::wire::hex;

/// Why JSON could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// `"mti"` is missing or not a string.
    #[error("\"mti\" must be a string")]
    MtiMissing,
    /// The MTI is not four digits.
    #[error("mti: {0}")]
    Mti(#[from] crate::mti::MtiError),
    /// A header part is missing, not a string, or not hex.
    #[error("\"header\" needs part {part} ({name}) as hex")]
    Header {
        /// Its position in the layout's header (0 first).
        part: usize,
        /// Its name, as the layout calls it.
        name: String,
    },
    /// `"fields"` is missing or not an object.
    #[error("\"fields\" must be an object")]
    FieldsMissing,
    /// A key of `"fields"` is not a field number.
    #[error("a field key is not a number")]
    FieldKey,
    /// A field's value is neither a string nor a whole number of at least 0.
    #[error("field {field}: the value must be a string or a whole number >= 0")]
    FieldValue {
        /// The field.
        field: usize,
    },
    /// A text value holds a character outside ISO-8859-1 (U+0000-U+00FF).
    #[error("field {field}: a character is not in ISO-8859-1 (U+0000-U+00FF)")]
    NotLatin1 {
        /// The field.
        field: usize,
    },
    /// The text of a GBK field has a malformed escape or a character GBK cannot
    /// encode.
    #[error("field {field}: {error}")]
    Gbk {
        /// The field.
        field: usize,
        /// What is wrong.
        error: crate::wire::gbk::GbkError,
    },
    /// A value does not fit its field.
    #[error(transparent)]
    Encode(#[from] crate::error::EncodeError),
}

/// The message as JSON; sensitive fields masked unless `unmasked`.
pub fn to_json(msg: &Message<'_>, unmasked: bool) -> Value {
    let mut root = Map::new();
    root.insert("mti".into(), Value::String(msg.mti().to_string()));
    if !msg.spec().header.is_empty() {
        let mut header = Map::new();
        for part in msg.spec().header {
            let bytes = msg.header_part(part.name).unwrap_or(&[]);
            header.insert(part.name.into(), Value::String(hex::encode(bytes)));
        }
        root.insert("header".into(), Value::Object(header));
    }
    let mut fields = Map::new();
    for f in msg.fields() {
        let text = if unmasked {
            f.value().to_string()
        } else {
            f.masked().to_string()
        };
        fields.insert(f.number().to_string(), Value::String(text));
    }
    root.insert("fields".into(), Value::Object(fields));
    Value::Object(root)
}

/// The message as one line of JSON text, fields in ascending order (the order
/// `to_json`'s map cannot keep); sensitive fields masked unless `unmasked`.
///
/// ```
/// use iso8583_wire::{json, layouts::ISO87_ASCII};
///
/// let msg = ISO87_ASCII.decode(b"0800822000000000000004000000000000000315143015000124301")?;
/// assert_eq!(
///     json::to_json_string(&msg, false),
///     r#"{"mti":"0800","fields":{"7":"0315143015","11":"000124","70":"301"}}"#
/// );
/// # Ok::<(), iso8583_wire::DecodeError>(())
/// ```
pub fn to_json_string(msg: &Message<'_>, unmasked: bool) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = format!("{{\"mti\":{}", q(&msg.mti().to_string()));
    if !msg.spec().header.is_empty() {
        out.push_str(",\"header\":{");
        for (i, part) in msg.spec().header.iter().enumerate() {
            let bytes = msg.header_part(part.name).unwrap_or(&[]);
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{}:{}", q(part.name), q(&hex::encode(bytes))));
        }
        out.push('}');
    }
    out.push_str(",\"fields\":{");
    for (i, f) in msg.fields().enumerate() {
        let text = if unmasked {
            f.value().to_string()
        } else {
            f.masked().to_string()
        };
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{}\":{}", f.number(), q(&text)));
    }
    out.push_str("}}");
    out
}

/// Builds and encodes the message a JSON object describes, free text checked as the
/// layout's [`crate::spec::MessageSpec::content_mode`] says.
///
/// # Errors
///
/// A [`JsonError`] naming what is missing or malformed when the JSON is not such an
/// object, [`JsonError::Encode`] when
/// a value does not fit its field.
pub fn encode_json(spec: &MessageSpec<'_>, value: &Value) -> Result<Vec<u8>, JsonError> {
    encode_json_with(spec, value, spec.content_mode)
}

/// The builder a JSON object describes (the command-line shape), values checked as
/// `mode` says: what `Deserialize` would give, with the layout it needs.
///
/// ```
/// use iso8583_wire::{json, layouts::ISO87_ASCII, spec::ContentMode};
///
/// let value = serde_json::json!({"mti": "0800", "fields": {"11": 124, "70": "301"}});
/// let mut b = json::to_builder(&ISO87_ASCII, &value, ContentMode::Lenient)?;
/// b.set(7, "0315143015")?;
/// assert_eq!(&b.to_bytes()?[..], b"0800822000000000000004000000000000000315143015000124301");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`encode_json`].
pub fn to_builder<'s>(
    spec: &'s MessageSpec<'s>,
    value: &Value,
    mode: crate::spec::ContentMode,
) -> Result<MessageBuilder<'s>, JsonError> {
    builder(spec, value, mode)
}

/// [`encode_json`] with free-text fields checked as `mode` says.
///
/// ```
/// use iso8583_wire::{json, layouts::ISO87_ASCII, spec::ContentMode};
///
/// let value = serde_json::json!({"mti": "0210", "fields": {"11": 7, "39": "0-"}});
/// assert!(json::encode_json_with(&ISO87_ASCII, &value, ContentMode::Lenient).is_ok());
/// assert!(json::encode_json_with(&ISO87_ASCII, &value, ContentMode::Strict).is_err());
/// ```
///
/// # Errors
///
/// As [`encode_json`].
pub fn encode_json_with(
    spec: &MessageSpec<'_>,
    value: &Value,
    mode: crate::spec::ContentMode,
) -> Result<Vec<u8>, JsonError> {
    Ok(builder(spec, value, mode)?.to_bytes()?.to_vec())
}

fn builder<'s>(
    spec: &'s MessageSpec<'s>,
    value: &Value,
    mode: crate::spec::ContentMode,
) -> Result<MessageBuilder<'s>, JsonError> {
    let mti: Mti = value
        .get("mti")
        .and_then(Value::as_str)
        .ok_or(JsonError::MtiMissing)?
        .parse()?;
    let mut header = Vec::new();
    for (i, part) in spec.header.iter().enumerate() {
        let bytes = value
            .get("header")
            .and_then(|h| h.get(part.name))
            .and_then(Value::as_str)
            .and_then(|text| hex::decode(text).ok())
            .ok_or_else(|| JsonError::Header {
                part: i,
                name: part.name.to_string(),
            })?;
        header.extend(bytes);
    }
    let fields = value
        .get("fields")
        .and_then(Value::as_object)
        .ok_or(JsonError::FieldsMissing)?;
    // Text is ISO-8859-1 on the wire: one character U+0000-U+00FF per byte.
    let mut values = Vec::with_capacity(fields.len());
    for (key, v) in fields {
        let n: usize = key.parse().map_err(|_| JsonError::FieldKey)?;
        let value = match v {
            // GBK fields: their lossless text form (see `wire::gbk`).
            Value::String(s)
                if spec
                    .field(n)
                    .is_some_and(|f| f.encoding == crate::spec::Encoding::Gbk) =>
            {
                Input::Text(
                    crate::wire::gbk::to_bytes(s)
                        .map_err(|error| JsonError::Gbk { field: n, error })?,
                )
            }
            Value::String(s) if spec.field(n).is_some_and(|f| f.content.is_text()) => Input::Text(
                s.chars()
                    .map(|c| u8::try_from(u32::from(c)).ok())
                    .collect::<Option<Vec<u8>>>()
                    .ok_or(JsonError::NotLatin1 { field: n })?,
            ),
            Value::String(s) => Input::Hex(s),
            Value::Number(v) => {
                Input::Number(v.as_u64().ok_or(JsonError::FieldValue { field: n })?)
            }
            _ => return Err(JsonError::FieldValue { field: n }),
        };
        values.push((n, value));
    }
    let mut b = MessageBuilder::new(spec, mti);
    b.set_content_mode(mode);
    b.set_header(&header)?;
    for (n, value) in &values {
        match value {
            Input::Text(bytes) => b.set(*n, bytes.as_slice())?,
            Input::Hex(hex) => b.set(*n, hex.as_str())?,
            Input::Number(v) => b.set(*n, *v)?,
        };
    }
    Ok(b)
}

/// A field's value from the JSON.
enum Input<'j> {
    Text(Vec<u8>),
    Hex(&'j String),
    Number(u64),
}

// Serde for the message types, as text (see `Unmasked`).
mod serde_impls {
    use alloc::string::{String, ToString};
    use core::str::FromStr;

    use serde::de::Error as _;
    use serde::ser::{SerializeMap, SerializeStruct};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Unmasked;
    use crate::fields::{Rrn, Stan};
    use crate::message::Message;
    use crate::mti::Mti;
    use crate::wire::hex;

    macro_rules! as_text {
        ($($t:ty),*) => {$(
            impl Serialize for $t {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.collect_str(self)
                }
            }
            impl<'de> Deserialize<'de> for $t {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let text = String::deserialize(d)?;
                    <$t>::from_str(&text).map_err(D::Error::custom)
                }
            }
        )*};
    }
    as_text!(Mti, Stan, Rrn);

    /// The fields of a message, in order.
    struct Fields<'m, 'a>(&'m Message<'a>, bool);

    impl Serialize for Fields<'_, '_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            for f in self.0.fields() {
                let text = if self.1 {
                    f.value().to_string()
                } else {
                    f.masked().to_string()
                };
                map.serialize_entry(&f.number().to_string(), &text)?;
            }
            map.end()
        }
    }

    /// Header parts as hex.
    struct Header<'m, 'a>(&'m Message<'a>);

    impl Serialize for Header<'_, '_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            for part in self.0.spec().header {
                let bytes = self.0.header_part(part.name).unwrap_or(&[]);
                map.serialize_entry(part.name, &hex::encode(bytes))?;
            }
            map.end()
        }
    }

    fn message<S: Serializer>(msg: &Message<'_>, unmasked: bool, s: S) -> Result<S::Ok, S::Error> {
        let with_header = !msg.spec().header.is_empty();
        let mut st = s.serialize_struct("Message", 2 + usize::from(with_header))?;
        st.serialize_field("mti", &msg.mti())?;
        if with_header {
            st.serialize_field("header", &Header(msg))?;
        }
        st.serialize_field("fields", &Fields(msg, unmasked))?;
        st.end()
    }

    impl Serialize for Message<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            message(self, false, s)
        }
    }

    impl Serialize for Unmasked<'_, '_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            message(self.0, true, s)
        }
    }
}

/// Serde for the message types, as text: `Mti` as `"0200"`, `Stan` as `"000123"`,
/// `Rrn` as its 12 characters; a decoded [`Message`] serializes to the command-line
/// JSON shape with sensitive fields masked (wrap it in [`Unmasked`] to show them).
///
/// ```
/// use iso8583_wire::{Mti, fields::Stan, json::Unmasked, layouts::ISO87_ASCII};
///
/// assert_eq!(serde_json::to_string(&Mti::new(200)?)?, r#""0200""#);
/// let stan: Stan = serde_json::from_str(r#""000123""#)?;
/// assert_eq!(stan.value(), 123);
///
/// let msg = ISO87_ASCII.decode(b"02004000000000000000164111111111111111")?;
/// assert_eq!(serde_json::to_string(&msg)?, r#"{"mti":"0200","fields":{"2":"411111******1111"}}"#);
/// assert_eq!(
///     serde_json::to_string(&Unmasked(&msg))?,
///     r#"{"mti":"0200","fields":{"2":"4111111111111111"}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Unmasked` is a decoded message serialized with sensitive fields in full;
/// `Message` itself serializes masked.
#[derive(Debug, Clone, Copy)]
pub struct Unmasked<'m, 'a>(pub &'m Message<'a>);
