//! Every layout the property tests run over: the built-in ones, and the same layouts
//! loaded from the jPOS and moov files in `tests/data/layouts` (loaded once).

use iso8583_wire::layouts;
use iso8583_wire::spec::MessageSpec;

/// The layouts under test.
pub fn all_layouts() -> &'static [&'static MessageSpec<'static>] {
    static LAYOUTS: std::sync::OnceLock<Vec<&'static MessageSpec<'static>>> =
        std::sync::OnceLock::new();
    LAYOUTS.get_or_init(load)
}

fn load() -> Vec<&'static MessageSpec<'static>> {
    let mut out: Vec<&'static MessageSpec<'static>> = layouts::ALL.to_vec();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/layouts");
    // Every layout file but the ones made to be refused.
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = iso8583_wire::loaders::load(&text)
            .and_then(|def| def.build())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push(spec);
    }
    assert!(out.len() >= 8, "layouts found: {}", out.len());
    out
}

/// The data fields `spec` defines (bitmap presence bits left out), ascending.
#[allow(dead_code)] // not every test file that includes this module uses it
pub fn data_fields(spec: &MessageSpec<'_>) -> Vec<usize> {
    (2..=spec.max_field())
        .filter(|&n| spec.field(n).is_some() && !spec.bitmap.is_extension_bit(n))
        .collect()
}
