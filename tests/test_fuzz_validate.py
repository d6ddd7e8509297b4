"""Property-based: whatever is in complaints.csv or calls.csv, validation returns a list of problems
(possibly empty) and never raises — nor falls back on its last-resort "internal-error" problem."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_validate_rules import write_minimal_package
from transparency_site import schema
from transparency_site.validate import Problem, validate

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write_minimal_package(tmp_path_factory.mktemp("fuzz") / "datasets")


def run(base: Path, file: str, content: bytes) -> list[Problem]:
    """Validate the package with ``file`` replaced by ``content``, then put the file back."""
    path = base / file
    original = path.read_bytes()
    try:
        path.write_bytes(content)
        problems = validate(base)
    finally:
        path.write_bytes(original)
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file and p.code and p.message
        assert p.code != "internal-error", p
    return problems


# Text that looks like spreadsheet exports: delimiters, quotes, line ends, odd spaces, BOMs, accents.
csv_alphabet = st.sampled_from(list(",;\t\"'\n\r |-/.:£é€\u00a0\ufeff\x00") + list("0123456789") + list("abcdeCstageupheld_"))
header = ",".join(schema.field_names("complaints"))


@SETTINGS
@given(body=st.text(alphabet=csv_alphabet, max_size=400))
def test_random_csv_text(base, body):
    run(base, "complaints.csv", (header + "\n" + body).encode("utf-8"))


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_random_bytes(base, raw):
    run(base, "complaints.csv", raw)


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_after_a_good_header(base, raw):
    run(base, "calls.csv", (",".join(schema.field_names("calls")) + "\n").encode() + raw)


interesting = st.one_of(
    st.sampled_from(["", " ", "C-1", "C-2", "C-3", "C-99", "1", "2", "3", "0", "-1", "1.0", "1,000", "£3", "planning",
                     "council-tax", "2023-04-03", "2024-02-30", "03/04/2023", "04/23/2023", "45342", "2023-04",
                     "upheld", "not_accepted", "older_than_12_months", "email", "delay", "true", "Yes", "NaN", "1e9",
                     "9" * 30, "\"", "a\nb", "  upheld  ", "Mr Smith", "jo@example.com"]),
    st.text(max_size=12),
)


@SETTINGS
@given(rows=st.lists(st.lists(interesting, min_size=12, max_size=12), min_size=1, max_size=8))
def test_random_complaint_cells(base, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(schema.field_names("complaints"))
    w.writerows(rows)
    run(base, "complaints.csv", buf.getvalue().encode("utf-8"))


numbers = st.one_of(st.integers(min_value=-10**12, max_value=10**12).map(str), interesting)


@SETTINGS
@given(rows=st.lists(st.tuples(st.sampled_from(["2023-04", "2023-05", "2024-04", "2023-13", "Apr-23", ""]),
                               *[numbers] * 6), min_size=1, max_size=6))
def test_random_call_figures(base, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(schema.field_names("calls"))
    w.writerows(rows)
    run(base, "calls.csv", buf.getvalue().encode("utf-8"))


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_policy_yaml(base, text):
    run(base, "policy.yaml", text.encode("utf-8"))


def test_the_fixture_is_restored(base, tmp_path):
    # The property tests put every file back: the package they share is still valid.
    copy = Path(shutil.copytree(base, tmp_path / "copy"))
    assert validate(copy) == []
