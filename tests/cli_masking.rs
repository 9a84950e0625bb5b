//! The `iso8583` binary shows no card data by default: a sample of the mutated
//! messages of `tests/masking.rs` (PAN, track 2, PIN block in fields 2, 35, 52 and
//! 55/5A/57/99, every built-in layout) through `decode` (dump and `--json`) and
//! `validate` (text and `--json`, the message checked against itself as response),
//! stdout and stderr alike.

#![cfg(feature = "cli")]

#[path = "support/mutants.rs"]
mod mutants;

use std::process::Command;

use iso8583_wire::wire::hex;

use mutants::{Rng, base, field_55_range, layouts, leak, mutate, secrets};

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_iso8583"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{args:?} died on a signal");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn mutated_messages_leak_nothing_through_the_cli() {
    let secrets = secrets();
    let mut fed = 0;
    for (k, spec) in layouts().into_iter().enumerate() {
        let wire = base(spec);
        let text = hex::encode(&wire);
        // The card data is there, for --no-mask.
        let full = run(&["decode", "--spec", spec.name, "--hex", &text, "--no-mask"]);
        assert!(full.contains(mutants::PAN), "{full}");
        let hot = field_55_range(spec, &wire);
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (k as u64 + 1));
        let mut inputs = vec![wire.clone()];
        inputs.extend((0..100).map(|_| mutate(&mut rng, &wire, hot.clone())));
        for input in inputs {
            let h = hex::encode(&input);
            for args in [
                &["decode", "--spec", spec.name, "--hex", &h][..],
                &["decode", "--spec", spec.name, "--hex", &h, "--json"][..],
                &[
                    "validate",
                    "--spec",
                    spec.name,
                    "--hex",
                    &h,
                    "--response",
                    &h,
                ][..],
                &["validate", "--spec", spec.name, "--hex", &h, "--json"][..],
            ] {
                let out = run(args);
                fed += 1;
                assert_eq!(leak(&out, &secrets), None, "{args:?}:\n{out}");
            }
        }
    }
    eprintln!("{fed} CLI runs over 404 messages, no card data shown");
}

/// The iso87ascii message of the issue: field 55 as hex text holding 5A.
#[test]
fn text_field_55_is_masked_in_dump_and_json() {
    let h =
        "30323030303030303030303030303030303230303032303541303834313131313131313131313131313131";
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["decode", "--spec", "iso87ascii", "--hex", h];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(!out.contains("41111111"), "{out}");
        args.push("--no-mask");
        assert!(run(&args).contains("5A084111111111111111"));
    }
}
