//! The `iso8583` binary obeys the command-line contract: `decode --json --no-mask`
//! prints exactly each vector's MTI, header and fields; `encode` of that JSON prints the
//! vector's hex; masking is on by default; bad input exits non-zero with one line.

#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value as Json;

/// The `iso8583` binary cargo built for this test run.
fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_iso8583"))
}

fn run(args: &[&str]) -> Output {
    Command::new(cli()).args(args).output().unwrap()
}

fn vectors() -> Json {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/../shared/conformance/vectors.json"))
        .or_else(|_| std::fs::read_to_string(format!("{root}/tests/data/vectors.json")))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn decode_json_and_encode_match_every_vector() {
    let all = vectors();
    let mut checked = 0;
    for v in all["vectors"].as_array().unwrap() {
        let (spec, hex) = (v["spec"].as_str().unwrap(), v["hex"].as_str().unwrap());
        let out = run(&[
            "decode",
            "--spec",
            spec,
            "--json",
            "--no-mask",
            "--hex",
            hex,
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            v["name"],
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Json = serde_json::from_slice(&out.stdout).unwrap();
        let mut want = serde_json::json!({"mti": v["mti"], "fields": v["fields"]});
        if let Some(h) = v.get("header") {
            want["header"] = h.clone();
        }
        assert_eq!(got, want, "{}", v["name"]);
        let text = String::from_utf8(out.stdout).unwrap();
        let enc = run(&["encode", "--spec", spec, "--json", text.trim()]);
        assert!(
            enc.status.success(),
            "{}",
            String::from_utf8_lossy(&enc.stderr)
        );
        assert_eq!(
            String::from_utf8(enc.stdout).unwrap().trim(),
            hex,
            "{}",
            v["name"]
        );
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn masks_sensitive_fields_by_default() {
    let all = vectors();
    let v = all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "iso87ascii_0200_transfer_pin")
        .unwrap();
    let hex = v["hex"].as_str().unwrap();
    let out = run(&["decode", "--spec", "iso87ascii", "--json", "--hex", hex]);
    let got: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["fields"]["35"], "411111******1111=****************");
    assert_eq!(got["fields"]["52"], "****************");
    let dump =
        String::from_utf8(run(&["decode", "--spec", "iso87ascii", "--hex", hex]).stdout).unwrap();
    assert!(dump.contains("Track 2 data"));
    assert!(!dump.contains("4111111111111111"), "{dump}");
    assert!(!dump.contains("7A3C9E21B4D5F608"), "{dump}");
    let full = String::from_utf8(
        run(&["decode", "--spec", "iso87ascii", "--no-mask", "--hex", hex]).stdout,
    )
    .unwrap();
    assert!(full.contains("4111111111111111=2512101123456789"));
}

#[test]
fn bad_input_exits_non_zero_with_one_line() {
    for args in [
        &["decode", "--spec", "iso87ascii", "--hex", "30323030"][..],
        &["decode", "--spec", "nope", "--hex", "3032"][..],
        &[
            "encode",
            "--spec",
            "iso87ascii",
            "--json",
            "{\"mti\":\"0200\",\"fields\":{\"11\":\"12A456\"}}",
        ][..],
        &["encode", "--spec", "iso87ascii", "--json", "not json"][..],
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn validate_reports_violations_and_exit_status() {
    let all = vectors();
    let find = |name: &str| {
        all["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()["hex"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let req = find("iso87ascii_0200_purchase");
    let resp = find("iso87ascii_0210_approved");
    let ok = run(&[
        "validate",
        "--spec",
        "iso87ascii",
        "--hex",
        &req,
        "--response",
        &resp,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert_eq!(
        String::from_utf8(ok.stdout).unwrap().trim(),
        "no violations"
    );
    // The request answered by itself: wrong MTI, no 39.
    let bad = run(&[
        "validate",
        "--spec",
        "iso87ascii",
        "--hex",
        &req,
        "--response",
        &req,
    ]);
    assert!(!bad.status.success());
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(text.contains("pair.mti_mismatch"), "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with("field ") || l.starts_with("MTI ")),
        "{text}"
    );
    // A reversal missing its original data elements.
    let rev = find("iso87ascii_0400_reversal");
    let cut = run(&["validate", "--spec", "iso87ascii", "--hex", &rev]);
    assert!(
        cut.status.success(),
        "{}",
        String::from_utf8_lossy(&cut.stdout)
    );
}

#[test]
fn framed_input_and_output() {
    let all = vectors();
    let v = all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "cup_0800_signin")
        .unwrap();
    let hex = v["hex"].as_str().unwrap();
    let framed = format!("{:04X}{hex}{:04X}{hex}", hex.len() / 2, hex.len() / 2);
    let out = run(&[
        "decode",
        "--spec",
        "cup",
        "--frame",
        "bin2",
        "--json",
        "--no-mask",
        "--hex",
        &framed,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "two frames, two JSON lines");
    let first: Json = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["header"]["tpdu"], "6000030000");
    assert_eq!(first["fields"]["60"], "00000726005");
    // encode --frame writes the header.
    let enc = run(&[
        "encode",
        "--spec",
        "cup",
        "--frame",
        "bin2",
        "--json",
        text.lines().next().unwrap(),
    ]);
    assert_eq!(
        String::from_utf8(enc.stdout).unwrap().trim(),
        &framed[..4 + hex.len()]
    );
    // The dump shows subfields.
    let dump = String::from_utf8(run(&["decode", "--spec", "cup", "--hex", hex]).stdout).unwrap();
    assert!(
        dump.contains("60.3") && dump.contains("Network management information code"),
        "{dump}"
    );
    // A frame cut short is one clear error.
    let cut = run(&[
        "decode",
        "--spec",
        "cup",
        "--frame",
        "bin2",
        "--hex",
        &framed[..40],
    ]);
    assert!(!cut.status.success());
    assert_eq!(
        String::from_utf8(cut.stderr).unwrap().trim(),
        "error: frame 1: input ends inside the frame"
    );
}

#[test]
fn spec_file_layouts_decode_like_the_builtin_ones() {
    let all = vectors();
    let root = env!("CARGO_MANIFEST_DIR");
    for file in ["iso87ascii.xml", "iso87ascii.moov.json"] {
        let path = format!("{root}/tests/data/layouts/{file}");
        for v in all["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["spec"] == "iso87ascii")
        {
            let hex = v["hex"].as_str().unwrap();
            let a = run(&[
                "decode",
                "--spec",
                "iso87ascii",
                "--json",
                "--no-mask",
                "--hex",
                hex,
            ]);
            let b = run(&[
                "decode",
                "--spec-file",
                &path,
                "--json",
                "--no-mask",
                "--hex",
                hex,
            ]);
            assert!(
                b.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&b.stderr)
            );
            assert_eq!(a.stdout, b.stdout, "{file} {}", v["name"]);
        }
    }
    let bad = run(&[
        "decode",
        "--spec-file",
        &format!("{root}/tests/data/layouts/bad-class.xml"),
        "--hex",
        "30",
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8(bad.stderr).unwrap();
    assert!(
        err.contains("field 7") && err.contains("IFX_WEIRD"),
        "{err}"
    );
}

#[test]
fn free_text_is_lenient_unless_strict_and_json_text_round_trips_as_latin1() {
    // A 0210 whose RRN has a dash, response code "5 " (pad space), and a merchant name
    // with an e-acute: encode, decode to JSON, encode the JSON again.
    let json = r#"{"mti":"0210","fields":{"11":123,"37":"RRN-0001","39":"5","43":"CAFÉ DE LA GARE  PARIS"}}"#;
    let enc = run(&["encode", "--spec", "iso87ascii", "--json", json]);
    assert!(
        enc.status.success(),
        "{}",
        String::from_utf8_lossy(&enc.stderr)
    );
    let hex = String::from_utf8(enc.stdout).unwrap().trim().to_string();
    // 0xC9 on the wire: one byte per character.
    assert!(hex.contains("434146C920"), "{hex}");
    let dec = run(&["decode", "--spec", "iso87ascii", "--json", "--hex", &hex]);
    assert!(dec.status.success());
    let value: Json = serde_json::from_slice(&dec.stdout).unwrap();
    assert_eq!(value["fields"]["11"], "000123");
    assert_eq!(value["fields"]["37"], "RRN-0001    ");
    assert_eq!(value["fields"]["39"], "5 ");
    assert!(
        value["fields"]["43"]
            .as_str()
            .unwrap()
            .starts_with("CAFÉ DE")
    );
    let again = run(&[
        "encode",
        "--spec",
        "iso87ascii",
        "--json",
        &value.to_string(),
    ]);
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), hex);

    // --strict: decode and encode refuse the dash naming field 37; validate lists the
    // finding always and fails on it only with --strict.
    let strict = run(&["decode", "--spec", "iso87ascii", "--strict", "--hex", &hex]);
    assert!(!strict.status.success());
    let err = String::from_utf8(strict.stderr).unwrap();
    assert!(err.contains("field 37 at byte"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let strict = run(&["encode", "--spec", "iso87ascii", "--strict", "--json", json]);
    assert!(!strict.status.success());
    assert!(
        String::from_utf8(strict.stderr)
            .unwrap()
            .contains("field 37"),
        "strict encode"
    );
    // A purchase whose only finding is the class of field 48 (an in 1987).
    let purchase =
        r#"{"mti":"0200","fields":{"3":"000000","4":100,"11":7,"41":"TERM-001","48":"AB CD"}}"#;
    let out = run(&["encode", "--spec", "iso87ascii", "--json", purchase]);
    let purchase = String::from_utf8(out.stdout).unwrap().trim().to_string();
    for (flags, ok) in [(&[][..], true), (&["--strict"][..], false)] {
        let mut args = vec!["validate", "--spec", "iso87ascii", "--hex", &purchase];
        args.extend_from_slice(flags);
        let out = run(&args);
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("field 48   content.class"), "{text}");
        assert!(!text.contains("AB CD"), "the value never shows: {text}");
        assert_eq!(out.status.success(), ok, "{flags:?}: {text}");
    }
    // A character outside ISO-8859-1 is refused with one line.
    let out = run(&[
        "encode",
        "--spec",
        "iso87ascii",
        "--json",
        r#"{"mti":"0210","fields":{"43":"€"}}"#,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("ISO-8859-1")
    );
}

#[test]
fn help_version_and_exit_codes() {
    for args in [
        &["--help"][..],
        &["-h"][..],
        &["help"][..],
        &["help", "decode"][..],
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage: iso8583"), "{args:?}: {text}");
    }
    let top = String::from_utf8(run(&["--help"]).stdout).unwrap();
    for cmd in ["decode", "encode", "validate", "completions"] {
        assert!(top.contains(cmd), "{cmd} missing from --help");
    }
    let version = String::from_utf8(run(&["--version"]).stdout).unwrap();
    assert_eq!(
        version.trim(),
        format!("iso8583 {}", env!("CARGO_PKG_VERSION"))
    );
    // --opt=value works like --opt value.
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/purchase_0200.hex"
    );
    let a = run(&[
        "decode",
        "--spec=iso87ascii",
        &format!("--file={sample}"),
        "--json",
    ]);
    let b = run(&["decode", "--spec", "iso87ascii", "--file", sample, "--json"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    // 2: usage; 3: unusable input; 1: findings.
    assert_eq!(run(&["decode", "--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["decode"]).status.code(), Some(2));
    assert_eq!(
        run(&["decode", "--spec", "nope", "--hex", "30"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&[
            "decode",
            "--spec",
            "iso87ascii",
            "--file",
            "/nonexistent/x.hex"
        ])
        .status
        .code(),
        Some(3)
    );
    assert_eq!(
        run(&["decode", "--spec", "iso87ascii", "--hex", "3032"])
            .status
            .code(),
        Some(3)
    );
    let bash = run(&["completions", "bash"]);
    assert!(bash.status.success());
    assert!(String::from_utf8(bash.stdout).unwrap().contains("iso8583"));
}

#[test]
fn hostile_arguments_and_input_are_refused_without_panic_or_echo() {
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        // A card number followed by a byte that is not UTF-8.
        let arg = OsStr::from_bytes(b"4111111111111111\xFF");
        let out = Command::new(cli())
            .args([
                OsStr::new("decode"),
                OsStr::new("--spec"),
                OsStr::new("iso87ascii"),
                OsStr::new("--hex"),
                arg,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "usage error, not a panic (101)");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("4111111111111111"),
            "the argument is not echoed: {err}"
        );
    }
    // Input above --max-input is refused before it is decoded.
    let dir = std::env::temp_dir().join(format!("iso8583-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![b'0'; 4096]).unwrap();
    let out = run(&[
        "decode",
        "--spec",
        "iso87ascii",
        "--max-input",
        "1024",
        "--file",
        big.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-input"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_subcommand_speaks_json_for_scripts() {
    let enc = run(&[
        "encode",
        "--spec",
        "iso87ascii",
        "--output",
        "json",
        "--json",
        r#"{"mti":"0800","fields":{"7":"0315143015","11":124,"70":301}}"#,
    ]);
    assert!(
        enc.status.success(),
        "{}",
        String::from_utf8_lossy(&enc.stderr)
    );
    let value: Json = serde_json::from_slice(&enc.stdout).unwrap();
    let hex = value["hex"].as_str().unwrap().to_string();
    let dec = run(&["decode", "--spec", "iso87ascii", "--json", "--hex", &hex]);
    let text = String::from_utf8(dec.stdout).unwrap();
    // Fields in ascending order.
    assert_eq!(
        text.trim(),
        r#"{"mti":"0800","fields":{"7":"0315143015","11":"000124","70":"301"}}"#
    );
    let val = run(&["validate", "--spec", "iso87ascii", "--json", "--hex", &hex]);
    let report: Json = serde_json::from_slice(&val.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn mac_pin_block_and_dukpt_commands() {
    use iso8583_wire::security::Key;
    use iso8583_wire::security::mac::MacAlgorithm;
    use iso8583_wire::{MessageBuilder, Mti, layouts::ISO87_BINARY, wire::hex};
    // A message MACed by the library; the CLI computes the same MAC and verifies it.
    let key_hex = "0123456789ABCDEFFEDCBA9876543210";
    let key = Key::des_from_hex(key_hex).unwrap();
    let mut b = MessageBuilder::new(&ISO87_BINARY, Mti::new(200).unwrap());
    b.set(3, "000000")
        .unwrap()
        .set(4, 1500)
        .unwrap()
        .set(11, 7)
        .unwrap();
    let wire = b.to_bytes_with_mac(MacAlgorithm::ANSI_X9_19, &key).unwrap();
    let msg_hex = hex::encode(&wire);
    let mac = run(&[
        "mac",
        "--spec",
        "iso87binary",
        "--algorithm",
        "x9.19",
        "--key",
        key_hex,
        "--hex",
        &msg_hex,
    ]);
    assert!(
        mac.status.success(),
        "{}",
        String::from_utf8_lossy(&mac.stderr)
    );
    assert_eq!(
        String::from_utf8(mac.stdout).unwrap().trim(),
        hex::encode(&wire[wire.len() - 8..])
    );
    let verify = |hex: &str| {
        run(&[
            "mac",
            "--spec",
            "iso87binary",
            "--algorithm",
            "x9.19",
            "--key",
            key_hex,
            "--verify",
            "--hex",
            hex,
        ])
        .status
        .code()
    };
    assert_eq!(verify(&msg_hex), Some(0));
    let mut tampered = wire.clone();
    tampered[wire.len() - 9] ^= 1;
    assert_eq!(verify(&hex::encode(&tampered)), Some(1));
    // ISO 9564 format 0, the published example (clear block).
    let out = run(&[
        "pin-block",
        "--format",
        "0",
        "--pin",
        "1234",
        "--pan",
        "43219876543210987",
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "0412AC89ABCDEF67"
    );
    // X9.24-1 TDES DUKPT: IPEK and the first PIN key.
    let out = run(&[
        "dukpt",
        "--bdk",
        "0123456789ABCDEFFEDCBA9876543210",
        "--ksn",
        "FFFF9876543210E00001",
        "--usage",
        "pin",
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "ipek=6AC292FAA1315B4D858AB3A3D7D5933A\npin=042666B49184CF5C68DE9628D0397B36\n"
    );
    // A bad key is one clear line, exit 3, and the key is not echoed.
    let out = run(&[
        "pin-block",
        "--format",
        "0",
        "--pin",
        "1234",
        "--pan",
        "4012345678909",
        "--key",
        "0123456789ABCDEFZZ",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("0123456789ABCDEF"), "{err}");
}

#[test]
fn security_commands_speak_json_too() {
    let out = run(&[
        "dukpt",
        "--bdk",
        "0123456789ABCDEFFEDCBA9876543210",
        "--ksn",
        "FFFF9876543210E00001",
        "--json",
    ]);
    let v: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ipek"], "6AC292FAA1315B4D858AB3A3D7D5933A");
    assert_eq!(v["pin"], "042666B49184CF5C68DE9628D0397B36");
    let out = run(&[
        "pin-block",
        "--format",
        "0",
        "--pin",
        "1234",
        "--pan",
        "43219876543210987",
        "--json",
    ]);
    let v: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pin_block"], "0412AC89ABCDEF67");
}
