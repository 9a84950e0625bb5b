#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench` run (criterion's saved estimates) and,
for the peers groups, this crate's time divided by each peer's.

Usage: python3 tools/bench_ratios.py [target/criterion]
"""
import json
import os
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
OURS = "iso8583-wire"


def median_ns(group, name):
    path = os.path.join(ROOT, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


for group in sorted(os.listdir(ROOT)):
    gdir = os.path.join(ROOT, group)
    if group == "report" or not os.path.isdir(gdir):
        continue
    names = sorted(n for n in os.listdir(gdir) if n != "report"
                   and os.path.exists(os.path.join(gdir, n, "new", "estimates.json")))
    if not names:
        continue
    medians = {n: median_ns(group, n) for n in names}
    line = ", ".join(f"{n} {medians[n]:.1f} ns" for n in names)
    if OURS in medians and len(medians) > 1:
        ratios = ", ".join(f"/{n} {medians[OURS] / medians[n]:.2f}"
                           for n in names if n != OURS)
        line += f"  (ratio {ratios})"
    print(f"{group}: {line}")
