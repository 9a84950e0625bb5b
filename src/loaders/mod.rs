//! Layouts written for other tools, loaded as they are.
//!
//! * [`from_moov_json`] (feature `moov`): moov-io/iso8583 JSON specs;
//! * [`from_jpos_xml`] (feature `jpos`): jPOS GenericPackager XML;
//! * [`load`]: any of these, or this crate's own JSON form, recognised by content.
//!
//! Each returns a [`LayoutDef`]; [`LayoutDef::build`] makes it a layout.

#[cfg(feature = "jpos")]
mod jpos;
#[cfg(feature = "moov")]
mod moov;

#[cfg(feature = "jpos")]
pub use jpos::from_jpos_xml;
#[cfg(feature = "moov")]
pub use moov::from_moov_json;

use crate::layout_def::{LayoutDef, LayoutError};

/// The forms [`load`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutFormat {
    /// jPOS GenericPackager XML.
    JposXml,
    /// moov-io/iso8583 JSON.
    MoovJson,
    /// This crate's JSON form.
    OwnJson,
}

/// Recognises the form of a layout file by its content: XML is jPOS, JSON whose fields
/// carry `enc`/`prefix` is moov, other JSON is this crate's form.
pub fn detect(text: &str) -> Option<LayoutFormat> {
    let t = text.trim_start();
    if t.starts_with('<') {
        Some(LayoutFormat::JposXml)
    } else if t.starts_with('{') {
        if t.contains("\"prefix\"") && t.contains("\"enc\"") {
            Some(LayoutFormat::MoovJson)
        } else {
            Some(LayoutFormat::OwnJson)
        }
    } else {
        None
    }
}

/// Loads a layout in any supported form (see [`detect`]); forms whose feature is off
/// are refused with a clear error.
///
/// # Errors
///
/// [`LayoutError`] when the text is none of the three forms, or names a class, type or
/// feature the loaders do not support (the error names the field and the class).
pub fn load(text: &str) -> Result<LayoutDef, LayoutError> {
    match detect(text) {
        #[cfg(feature = "jpos")]
        Some(LayoutFormat::JposXml) => from_jpos_xml(text),
        #[cfg(feature = "moov")]
        Some(LayoutFormat::MoovJson) => from_moov_json(text),
        #[cfg(feature = "serde")]
        Some(LayoutFormat::OwnJson) => LayoutDef::from_json(text),
        #[allow(unreachable_patterns)]
        Some(other) => Err(LayoutError::Syntax(alloc::format!(
            "{other:?} layouts need the matching cargo feature (jpos, moov, serde)"
        ))),
        None => Err(LayoutError::Syntax(
            "not a layout: expected XML (jPOS) or JSON (moov or this crate's form)".into(),
        )),
    }
}
