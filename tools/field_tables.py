"""Reads the field tables (one markdown table per layout section) of FIELDS.md."""
import re


def sections(text):
    out, cur, rows = {}, None, []
    for line in text.splitlines():
        m = re.match(r"^## (\S+)", line)
        if m:
            if cur:
                out[cur] = rows
            cur, rows = m.group(1), []
            continue
        if cur and line.startswith("| ") and not line.startswith("| field") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    if cur:
        out[cur] = rows
    return out
