"""The bad-input corpus (tests/bad_inputs/cases.yaml): spreadsheet exports, impossible values, broken
YAML and missing files, each a change to the minimal valid package with the exact problems expected.

Every case must also: name the file (and the row and field where one makes sense), give a message
and a hint, never raise, and finish within seconds.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
import yaml

from test_validate_rules import (
    add_row,
    csv_text,
    found,
    read_rows,
    set_cell,
    write_minimal_package,
    write_rows,
)
from transparency_site.validate import PROBLEM_CODES, format_problems, validate

CASES = yaml.safe_load((Path(__file__).parent / "bad_inputs" / "cases.yaml").read_text(encoding="utf-8"))


def _text(root: Path, file: str) -> str:
    return (root / file).read_text(encoding="utf-8")


def apply(root: Path, op: dict) -> None:
    kind, file = op["op"], op["file"]
    path = root / file
    if kind == "set":
        set_cell(root, file, op["row"], op["field"], op["value"])
    elif kind == "add_row":
        add_row(root, file, op["values"])
    elif kind == "replace":
        text = _text(root, file)
        assert op["old"] in text, f"{op['old']!r} not in {file}"
        path.write_text(text.replace(op["old"], op["new"], 1), encoding="utf-8")
    elif kind == "write":
        path.write_text(op["text"], encoding="utf-8")
    elif kind == "delete":
        path.unlink()
    elif kind == "insert_line":
        lines = _text(root, file).split("\n")
        lines.insert(op["at"] - 1, op["text"])
        path.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "drop_column":
        rows = read_rows(path)
        i = rows[0].index(op["column"])
        write_rows(path, [r[:i] + r[i + 1:] for r in rows])
    elif kind == "add_column":
        rows = read_rows(path)
        write_rows(path, [rows[0] + [op["name"]]] + [r + [op["value"]] for r in rows[1:]])
    elif kind == "swap_columns":
        rows = read_rows(path)
        a, b = rows[0].index(op["a"]), rows[0].index(op["b"])
        for r in rows:
            r[a], r[b] = r[b], r[a]
        write_rows(path, rows)
    elif kind == "encode":
        path.write_bytes(_text(root, file).encode(op["encoding"]))
    elif kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif kind == "delimiter":
        rows = read_rows(path)
        buf = io.StringIO()
        csv.writer(buf, delimiter=op["delimiter"], lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    else:
        raise ValueError(f"unknown op {kind}")


def expected(root: Path, case: dict) -> list[tuple]:
    out = []
    for file, row, field, code in case["expect"]:
        if isinstance(row, dict):
            text = (root / file).read_bytes().decode("utf-8", errors="replace")
            row = next(i for i, line in enumerate(text.splitlines(), start=1) if row["line_of"] in line)
        out.append((file, row, field, code))
    return out


def test_corpus_is_big_enough_and_named_uniquely():
    names = [c["name"] for c in CASES]
    assert len(names) >= 50
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(tmp_path, case):
    root = write_minimal_package(tmp_path / "datasets")
    for op in case["ops"]:
        apply(root, op)
    start = time.perf_counter()
    problems = validate(root)
    assert time.perf_counter() - start < 10
    want = expected(root, case)
    assert sorted(found(problems), key=repr) == sorted(want, key=repr), format_problems(problems)
    for p in problems:
        assert p.file and p.message and p.hint, p
        assert p.code != "internal-error", p
        assert p.code in PROBLEM_CODES, p
        if p.file.endswith(".csv") and p.code not in ("missing-file", "empty-file", "unlisted-file"):
            assert p.row is not None, p
    text = format_problems(problems)
    assert "Traceback" not in text


def test_every_code_in_the_corpus_is_explained():
    codes = {code for case in CASES for *_, code in case["expect"]}
    assert codes <= set(PROBLEM_CODES), codes - set(PROBLEM_CODES)


def test_every_problem_is_one_line(tmp_path):
    root = write_minimal_package(tmp_path / "datasets")
    set_cell(root, "improvements.csv", 2, "you_said", "Line one\nline two, with a comma")
    set_cell(root, "complaints.csv", 2, "received", "03/04/2023")
    lines = format_problems(validate(root)).splitlines()
    assert len(lines) == 2 and "complaints.csv:2:received" in lines[0]


def test_a_multiline_cell_keeps_spreadsheet_rows(tmp_path):
    # A quoted cell over two lines is one spreadsheet row: later rows keep their numbers.
    root = write_minimal_package(tmp_path / "datasets")
    add_row(root, "improvements.csv", {"improvement_id": "I-2", "published": "2023-09-01", "service_id": "planning",
                                       "you_said": "Letters were\nunclear.", "we_did": "We rewrote them.", "status": "done"})
    add_row(root, "improvements.csv", {"improvement_id": "I-3", "published": "01/10/2023", "service_id": "planning",
                                       "you_said": "x", "we_did": "y", "status": "done"})
    assert found(validate(root)) == [("improvements.csv", 4, "published", "type")]


def test_windows_1252_message_shows_the_character_and_how_to_fix(tmp_path):
    root = write_minimal_package(tmp_path / "datasets")
    set_cell(root, "improvements.csv", 2, "we_did", "We refunded the £30 fee.")
    (root / "improvements.csv").write_bytes((root / "improvements.csv").read_text(encoding="utf-8").encode("cp1252"))
    (p,) = validate(root)
    assert "'£'" in p.message and "UTF-8" in p.message and "CSV UTF-8" in p.hint


def test_semicolon_file_is_still_checked_cell_by_cell(tmp_path):
    # After saying "use commas", the cells are still read (with ;) so other mistakes show at once.
    root = write_minimal_package(tmp_path / "datasets")
    set_cell(root, "calls.csv", 2, "answered", "2000")
    apply(root, {"op": "delimiter", "file": "calls.csv", "delimiter": ";"})
    assert found(validate(root)) == [("calls.csv", 1, None, "delimiter"), ("calls.csv", 2, "answered", "calls-answered")]


def test_a_huge_broken_file_is_reported_quickly(tmp_path):
    root = write_minimal_package(tmp_path / "datasets")
    rows = [["complaint_id", "stage", "escalated_from", "service_id", "received", "acknowledged", "extension_working_days",
             "responded", "outcome", "not_accepted_reason", "channel", "category"]]
    rows += [[f"X-{i}", "1", "", "nowhere", "31/12/2023", "", "", "", "", "", "Email ", "delay"] for i in range(20000)]
    (root / "complaints.csv").write_text(csv_text(rows[0], rows[1:]), encoding="utf-8")
    start = time.perf_counter()
    problems = validate(root)
    assert time.perf_counter() - start < 20
    # Listed up to the cap per kind, the rest counted.
    assert 50 < len(problems) < 400
    assert {p.code for p in problems} >= {"type", "cell-spaces", "foreign-key"}
