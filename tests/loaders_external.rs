//! Optional: every layout file in a directory given by the environment loads, e.g. a
//! checkout's `jpos/src/dist/cfg/packager` (`ISO8583_JPOS_PACKAGERS`) or moov-io spec
//! files (`ISO8583_MOOV_SPECS`). Skipped when the variables are unset: the project
//! carries no copies of other projects' files.
#![cfg(all(feature = "jpos", feature = "moov"))]

use iso8583_wire::loaders;

/// Files that name a packager this crate refuses on purpose (see the jPOS loader's
/// documentation): GICC network code, and X92GenericPackager layouts.
const REFUSED: &[&str] = &["gicc_60.xml", "x92pack.xml"];

fn check_dir(var: &str) {
    let Ok(dir) = std::env::var(var) else {
        return;
    };
    let mut loaded = 0;
    for dir in dir.split(':') {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            // Only layout files: jPOS packagers, moov specs.
            if !text.contains("<isopackager") && !text.contains("\"fields\"") {
                continue;
            }
            let result = loaders::load(&text).and_then(|d| d.build().map(|_| ()));
            if REFUSED.iter().any(|r| name.ends_with(r)) {
                assert!(result.is_err(), "{name} should be refused");
            } else {
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
                loaded += 1;
            }
        }
    }
    assert!(loaded > 0, "no layout files in {var}");
}

#[test]
fn every_jpos_packager_in_the_given_directories_loads() {
    check_dir("ISO8583_JPOS_PACKAGERS");
}

#[test]
fn every_moov_spec_in_the_given_directories_loads() {
    check_dir("ISO8583_MOOV_SPECS");
}
