//! Conformance vectors: every valid vector decodes to exactly its MTI, header parts and
//! field values, re-encodes to the same bytes (both by copying the decoded fields and by
//! building from the listed values), and every invalid vector fails naming its field.
//!
//! The vectors come from the shared conformance file when it sits beside the project,
//! and from the copy in `tests/data` otherwise (both are checked when both exist).

use iso8583_wire::wire::hex;
use iso8583_wire::{MessageBuilder, layouts};
use serde_json::Value as Json;

fn vector_files() -> Vec<(String, Json)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for path in [
        format!("{root}/../shared/conformance/vectors.json"),
        format!("{root}/tests/data/vectors.json"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((
                path,
                serde_json::from_str(&text).expect("vectors file is JSON"),
            ));
        }
    }
    assert!(!out.is_empty(), "no conformance vectors found");
    out
}

fn check_valid(v: &Json) -> Result<(), String> {
    let name = v["name"].as_str().unwrap();
    let spec = layouts::by_name(v["spec"].as_str().unwrap()).ok_or("unknown layout")?;
    let wire = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let msg = spec
        .decode(&wire)
        .map_err(|e| format!("{name}: decode failed: {e}"))?;
    if msg.mti().to_string() != v["mti"].as_str().unwrap() {
        return Err(format!("{name}: MTI {} != {}", msg.mti(), v["mti"]));
    }
    let expected = v["fields"].as_object().unwrap();
    let got: Vec<usize> = msg.field_numbers().collect();
    let mut want: Vec<usize> = expected.keys().map(|k| k.parse().unwrap()).collect();
    want.sort();
    if got != want {
        return Err(format!("{name}: fields {got:?} != {want:?}"));
    }
    for (k, val) in expected {
        let n: usize = k.parse().unwrap();
        let field = msg.field(n).unwrap();
        let value = field.value().to_string();
        if value != val.as_str().unwrap() {
            return Err(format!("{name}: field {n} = {value:?}, expected {val}"));
        }
    }
    if let Some(header) = v.get("header").and_then(Json::as_object) {
        for (part, val) in header {
            let bytes = msg
                .header_part(part)
                .ok_or(format!("{name}: no header part {part}"))?;
            if hex::encode(bytes) != val.as_str().unwrap() {
                return Err(format!("{name}: header {part} differs"));
            }
        }
    }
    // Copying the decoded fields reproduces the input.
    let copied = MessageBuilder::from_message(&msg)
        .to_bytes()
        .map_err(|e| e.to_string())?;
    if copied[..] != wire[..] {
        return Err(format!("{name}: re-encode of the decoded message differs"));
    }
    // Building from the listed values (the CLI JSON convention) reproduces the input.
    let mut b = MessageBuilder::new(spec, v["mti"].as_str().unwrap().parse().unwrap());
    let header_bytes: Vec<u8> = spec
        .header
        .iter()
        .flat_map(|p| hex::decode(v["header"][p.name].as_str().unwrap()).unwrap())
        .collect();
    b.set_header(&header_bytes).map_err(|e| e.to_string())?;
    for (k, val) in expected {
        b.set(k.parse().unwrap(), val.as_str().unwrap())
            .map_err(|e| format!("{name}: set: {e}"))?;
    }
    let built = b.to_bytes().map_err(|e| e.to_string())?;
    if built[..] != wire[..] {
        return Err(format!(
            "{name}: built {} != {}",
            hex::encode(&built),
            hex::encode(&wire)
        ));
    }
    // And the rebuilt message decodes equal to the original.
    let again = spec.decode(&built).map_err(|e| e.to_string())?;
    if again != msg {
        return Err(format!("{name}: decode(encode(m)) != m"));
    }
    Ok(())
}

#[test]
fn valid_vectors_decode_and_round_trip() {
    for (path, file) in vector_files() {
        let vectors = file["vectors"].as_array().unwrap();
        assert!(vectors.len() >= 20, "{path}: too few vectors");
        let failures: Vec<String> = vectors
            .iter()
            .filter_map(|v| check_valid(v).err())
            .collect();
        assert!(failures.is_empty(), "{path}:\n{}", failures.join("\n"));
    }
}

#[test]
fn invalid_vectors_fail_naming_the_field() {
    for (path, file) in vector_files() {
        let mut failures = Vec::new();
        for v in file["invalid"].as_array().unwrap() {
            let name = v["name"].as_str().unwrap();
            let spec = layouts::by_name(v["spec"].as_str().unwrap()).unwrap();
            let wire = hex::decode(v["hex"].as_str().unwrap()).unwrap();
            let want = v["field"].as_u64().map(|n| n as usize);
            match spec.decode(&wire) {
                Ok(_) => failures.push(format!("{name}: decoded, expected an error")),
                Err(e) if e.field() != want => failures.push(format!(
                    "{name}: error names field {:?}, expected {want:?}: {e}",
                    e.field()
                )),
                Err(e) => {
                    assert!(e.offset() <= wire.len(), "{name}: offset beyond input");
                }
            }
        }
        assert!(failures.is_empty(), "{path}:\n{}", failures.join("\n"));
    }
}

#[test]
fn errors_do_not_echo_sensitive_values() {
    // Field 2 (PAN) with a letter in it: the error names the field and offset but shows
    // no character of the PAN.
    let wire = b"02004000000000000000164111111111A11111";
    let err = layouts::ISO87_ASCII.decode(wire).unwrap_err();
    assert_eq!(err.field(), Some(2));
    assert_eq!(err.offset(), 32);
    let text = err.to_string();
    assert!(!text.contains("'A'") && !text.contains("0x41"), "{text}");
    assert!(text.contains("not shown"), "{text}");
    // The same defect in a public field (STAN) shows the byte.
    let wire = b"0200002000000000000012A456";
    let err = layouts::ISO87_ASCII.decode(wire).unwrap_err();
    assert_eq!(err.field(), Some(11));
    assert_eq!(err.offset(), 22);
    assert_eq!(
        err.to_string(),
        "field 11 at byte 22: expected a digit, found 0x41 'A'"
    );
}
