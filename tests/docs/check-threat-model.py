#!/usr/bin/env python3
"""check-threat-model.py [SOURCE_ROOT]: every test the escape-class table of
docs/threat-model.md (section 1.5) cites must exist.

The last column of each row names test files in backticks, each followed by the cases it
replays in double quotes:

    `network.sh`: "raw IPv4 sockets cannot be created (EPERM)", "..."; `test_seccomp.c`: "..."

A `<area>.sh` file is tests/sandbox/<area>.sh and a quote must be the exact description of
one of its `run_case "..."` lines (the TAP description it prints). A `test_*.c` file is
tests/unit/test_*.c and a quote must occur in it as written (grep -F): the fixed text of a
check's description, to which the TAP line adds measured values. Only the last column is
checked; quotes in the other columns are CVE and example text. Every row must cite at
least one file, and every cited file at least one case. Prints each problem and exits 1,
or exits 0 when all citations resolve.
"""
import os
import re
import sys

SECTION = "### 1.5"
FILE_RE = re.compile(r"`([^`]+\.(?:sh|c))`")
QUOTE_RE = re.compile(r'"([^"]*)"')


def split_cells(row):
    """Cells of a markdown table row; "\\|" is a literal pipe inside a cell."""
    cells, cur, i = [], "", 0
    body = row.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        if body.startswith("\\|", i):
            cur += "|"
            i += 2
        elif body[i] == "|":
            cells.append(cur.strip())
            cur = ""
            i += 1
        else:
            cur += body[i]
            i += 1
    cells.append(cur.strip())
    return cells


def table_rows(text):
    """(line number, cells) of the data rows of section 1.5's table."""
    lines = text.split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith(SECTION))
    except StopIteration:
        return None
    rows = []
    for n, line in enumerate(lines[start + 1:], start + 2):
        if line.startswith("### ") or line.startswith("## "):
            break
        if not line.startswith("|"):
            continue
        cells = split_cells(line)
        if cells[0] == "#" or set(cells[0]) <= set("- "):
            continue  # the header and its separator
        rows.append((n, cells))
    return rows


def citations(cell):
    """[(file, [quotes...])] in the order the cell gives them."""
    out = []
    marks = list(FILE_RE.finditer(cell))
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(cell)
        out.append((m.group(1), QUOTE_RE.findall(cell[m.end():end])))
    return out


def run_case_descriptions(text):
    """The literal descriptions of `run_case "..." fn` lines (shell double quotes)."""
    descs = set()
    for line in text.split("\n"):
        m = re.match(r'run_case "((?:[^"\\]|\\.)*)"', line)
        if m:
            descs.add(re.sub(r'\\([$`"\\])', r"\1", m.group(1)))
    return descs


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    doc = os.path.join(root, "docs", "threat-model.md")
    with open(doc, encoding="utf-8") as f:
        rows = table_rows(f.read())
    problems = []
    if not rows:
        problems.append("%s: no table found in section 1.5" % doc)
        rows = []
    cache = {}
    n_quotes = 0
    for line, cells in rows:
        row_id = cells[0]
        cites = citations(cells[-1])
        if not cites:
            problems.append("line %d, %s: the last column cites no test file" % (line, row_id))
        for name, quotes in cites:
            if name.endswith(".sh"):
                path = os.path.join(root, "tests", "sandbox", name)
            else:
                path = os.path.join(root, "tests", "unit", name)
            if path not in cache:
                try:
                    with open(path, encoding="utf-8") as f:
                        text = f.read()
                    cache[path] = (text, run_case_descriptions(text))
                except OSError as e:
                    cache[path] = None
                    problems.append("line %d, %s: %s: %s" % (line, row_id, name, e.strerror))
            if cache[path] is None:
                continue
            text, descs = cache[path]
            if not quotes:
                problems.append("line %d, %s: `%s` is cited without a case" % (line, row_id, name))
            for q in quotes:
                n_quotes += 1
                if name.endswith(".sh"):
                    if q not in descs:
                        hint = " (it occurs in the file, but not as a run_case description)" if q in text else ""
                        problems.append('line %d, %s: %s has no case "%s"%s' % (line, row_id, name, q, hint))
                elif q not in text:
                    problems.append('line %d, %s: "%s" does not occur in %s' % (line, row_id, q, name))
    for p in problems:
        print(p)
    print("%d rows, %d cited cases, %d problems" % (len(rows), n_quotes, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
