#!/usr/bin/env python3
"""Generates src/spec/layouts.rs from the field tables in FIELDS.md.

Usage: python3 tools/gen_layouts.py tools/data/FIELDS.md > src/spec/layouts.rs

`tools/data/FIELDS.md` holds the field tables of the built-in layouts (in the repository;
the published package leaves `tools/` out).
"""
import re
import sys

from field_tables import sections

CONTENT = {"n": "N", "a": "A", "an": "An", "anp": "Anp", "ans": "Ans", "ns": "Ns",
           "a/n": "AOrN", "z": "Z", "x+n": "Xn", "b": "B", "b (nominally ans)": "B"}
# Subfield structures: (layout, field) -> (static name, Rust expression).
ISO87_90 = """Composite::Positional(&[
    Part::fixed("Original MTI", Content::N, 4),
    Part::fixed("Original STAN", Content::N, 6),
    Part::fixed("Original transmission date and time", Content::N, 10),
    Part::fixed("Original acquiring institution id", Content::N, 11),
    Part::fixed("Original forwarding institution id", Content::N, 11),
])"""
ISO93_56 = """Composite::Positional(&[
    Part::fixed("Original MTI", Content::N, 4),
    Part::fixed("Original STAN", Content::N, 6),
    Part::fixed("Original local date and time", Content::N, 12),
    Part::prefixed("Original acquiring institution id", Content::N, 2, 11),
])"""
CUP_60 = """Composite::Positional(&[
    Part::fixed("Message type code", Content::N, 2),
    Part::fixed("Batch number", Content::N, 6),
    Part::fixed("Network management information code", Content::N, 3),
    Part::fixed("Terminal read capability", Content::N, 1),
    Part::fixed("IC card condition code", Content::N, 1),
    Part::fixed("Partial approval and balance flag", Content::N, 1),
    Part::rest("Further data", Content::N, 3),
])"""
CUP_61 = """Composite::Positional(&[
    Part::fixed("Original batch number", Content::N, 6),
    Part::fixed("Original POS trace number", Content::N, 6),
    Part::fixed("Original transaction date (MMDD)", Content::N, 4),
    Part::rest("Further original data", Content::N, 13),
])"""
BER = "Composite::Tlv(TlvForm::Ber)"
COMPOSITES = {
    ("iso87ascii", 90): ("ISO87_ORIGINAL_DATA", ISO87_90),
    ("iso87binary", 90): ("ISO87_ORIGINAL_DATA", ISO87_90),
    ("iso87binary", 55): ("EMV_TLV", BER),
    ("iso93ascii", 56): ("ISO93_ORIGINAL_DATA", ISO93_56),
    ("iso93ascii", 55): ("EMV_TLV", BER),
    ("cup", 55): ("EMV_TLV", BER),
    ("cup", 60): ("CUP_60", CUP_60),
    ("cup", 61): ("CUP_61", CUP_61),
}
# Fields the tables leave out but the layout defines: GBK text.
EXTRA = {
    "cup": {
        43: ["43", "Card acceptor name/location (GBK text)", "ans", "fixed 40 bytes", "none", "gbk"],
        56: ["56", "Additional data (GBK text)", "ans", "max 999 bytes", "LLL bcd (2 bytes), counts bytes", "gbk"],
    },
}

SENSITIVE = {2: "pan", 34: "pan", 35: "track", 36: "track", 45: "track", 52: "secret"}


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

# Content overrides: track 1 (45) carries '^', '/' and spaces, which the tabulated "an"
# would refuse, so it is "ans" in every layout.
CONTENT_OVERRIDES = {45: "ans"}

def field_expr(layout, num, row):
    name, content, length, prefix, enc = row[1], row[2], row[3], row[4], row[5]
    content = CONTENT_OVERRIDES.get(num, content)
    c = CONTENT[content]
    if "hex-ascii" in enc:
        e = "Encoding::HexAscii"
    elif "packed BCD" in enc:
        e = "Encoding::BCD_LEFT" if "left-aligned" in enc else "Encoding::BCD"
    elif enc.startswith("binary"):
        e = "Encoding::Binary"
    elif enc == "gbk":
        e = "Encoding::Gbk"
    else:
        e = "Encoding::Ascii"
    n = int(re.search(r"\d+", length).group())
    if prefix == "none":
        expr = f"FieldSpec::fixed({rust_str(name)}, Content::{c}, {e}, {n})"
    else:
        digits = len(re.match(r"(L+)", prefix).group(1))
        kind = "bcd" if "bcd" in prefix else "ascii"
        p = f"Prefix::{kind}({digits}, {n})"
        if "counts bytes" in prefix:
            p += ".counting_bytes()"
        expr = f"FieldSpec::var({rust_str(name)}, Content::{c}, {e}, {p})"
    sens = SENSITIVE.get(num)
    if layout == "iso93ascii" and num == 96:
        sens = "secret"
    if sens:
        expr += f".{sens}()"
    if (layout, num) in COMPOSITES:
        expr += f".with_subfields(&{COMPOSITES[(layout, num)][0]})"
    return expr

META = {
    "iso87ascii": ("ISO87_ASCII", "ISO 8583:1987, ASCII MTI, hex-ASCII bitmaps, ASCII numerics and LL/LLL prefixes (jPOS iso87ascii).",
                    "MtiEncoding::Ascii", "BitmapEncoding::HexAscii", 2, "&[]"),
    "iso87binary": ("ISO87_BINARY", "ISO 8583:1987, BCD MTI and numerics, binary bitmaps, BCD prefixes, ASCII text (jPOS iso87binary).",
                    "MtiEncoding::Bcd", "BitmapEncoding::Binary", 2, "&[]"),
    "iso93ascii": ("ISO93_ASCII", "ISO 8583:1993, ASCII MTI, hex-ASCII bitmaps, ASCII numerics and prefixes (jPOS iso93ascii).",
                    "MtiEncoding::Ascii", "BitmapEncoding::HexAscii", 2, "&[]"),
    "cup": ("CUP", "China UnionPay POS terminal format: TPDU + 6-byte header, BCD MTI, binary primary bitmap, BCD numerics and BCD prefixes.",
            "MtiEncoding::Bcd", "BitmapEncoding::Binary", 1, "&CUP_HEADER"),
}

def main():
    text = open(sys.argv[1]).read()
    secs = sections(text)
    out = ["//! Built-in layouts: `iso87ascii`, `iso87binary`, `iso93ascii` and `cup`.",
           "//!",
           "//! Generated by `tools/gen_layouts.py` from the field tables in `tools/data/FIELDS.md`",
           "//! (both in the repository, not in the published package); each layout's",
           "//! documentation lists its fields. All are `static`: no start-up work.",
           "//!",
           "//! ```",
           "//! use iso8583_wire::layouts;",
           "//!",
           "//! let spec = layouts::by_name(\"iso87binary\").unwrap();",
           "//! assert_eq!(spec.field(2).unwrap().name, \"Primary account number (PAN)\");",
           "//! assert_eq!(spec.field(11).unwrap().fixed_wire_len(), Some(3));",
           "//! assert!(spec.field(129).is_none());",
           "//! ```",
           "",
           "// The tables below are generated; keep them one entry per line.",
           "#![cfg_attr(rustfmt, rustfmt_skip)]",
           "",
           "use super::{BitmapEncoding, BitmapSpec, Composite, Content, Encoding, FieldSpec, HeaderPart, MessageSpec, Part, Prefix, TlvForm};",
           "use crate::mti::MtiEncoding;",
           "",
           "/// EMV BER-TLV in field 55.",
           f"pub static EMV_TLV: Composite<'static> = {BER};",
           "",
           "/// 1987 field 90: original data elements.",
           f"pub static ISO87_ORIGINAL_DATA: Composite<'static> = {ISO87_90};",
           "",
           "/// 1993 field 56: original data elements.",
           f"pub static ISO93_ORIGINAL_DATA: Composite<'static> = {ISO93_56};",
           "",
           "/// UnionPay field 60: 60.1 message type code, 60.2 batch, 60.3 network management code, ...",
           f"pub static CUP_60: Composite<'static> = {CUP_60};",
           "",
           "/// UnionPay field 61: original batch, original POS trace, original date.",
           f"pub static CUP_61: Composite<'static> = {CUP_61};",
           "",
           "/// Every built-in layout.",
           "pub static ALL: [&MessageSpec<'static>; 4] = [&ISO87_ASCII, &ISO87_BINARY, &ISO93_ASCII, &CUP];",
           "",
           "/// A built-in layout by name (`iso87ascii`, `iso87binary`, `iso93ascii`, `cup`).",
           "pub fn by_name(name: &str) -> Option<&'static MessageSpec<'static>> {",
           "    ALL.iter().copied().find(|s| s.name == name)",
           "}",
           "",
           "/// The `cup` header: 5-byte TPDU and 6-byte application header.",
           "pub static CUP_HEADER: [HeaderPart<'static>; 2] = [",
           "    HeaderPart { name: \"tpdu\", len: 5 },",
           "    HeaderPart { name: \"message_header\", len: 6 },",
           "];",
           ""]
    for layout in ["iso87ascii", "iso87binary", "iso93ascii", "cup"]:
        const, desc, mti, bmp, maxb, header = META[layout]
        rows = [r for r in secs[layout] if r[0].isdigit()]
        fields = {int(r[0]): r for r in rows if int(r[0]) >= 2}
        fields.update(EXTRA.get(layout, {}))
        size = 129 if maxb == 2 else 65
        out.append(f"/// {desc}")
        out.append("///")
        out.append("/// | field | name | format | length prefix | encoding |")
        out.append("/// |---|---|---|---|---|")
        for num in sorted(fields):
            r = fields[num]
            out.append(f"/// | {num} | {r[1]} | {CONTENT_OVERRIDES.get(num, r[2])} {r[3]} | {r[4]} | {r[5]} |")
        out.append(f"pub static {const}: MessageSpec<'static> = MessageSpec::new(")
        out.append(f"    {rust_str(layout)},")
        out.append(f"    {rust_str(desc)},")
        out.append(f"    {header},")
        out.append(f"    {mti},")
        out.append(f"    BitmapSpec::new({bmp}, {maxb}),")
        out.append(f"    &{const}_FIELDS,")
        out.append(");")
        out.append("")
        out.append(f"static {const}_FIELDS: [Option<FieldSpec<'static>>; {size}] = [")
        for num in range(size):
            if num in fields:
                out.append(f"    /* {num:3} */ Some({field_expr(layout, num, fields[num])}),")
            else:
                out.append(f"    /* {num:3} */ None,")
        out.append("];")
        out.append("")
    print("\n".join(out).rstrip() + "\n", end="")

main()
