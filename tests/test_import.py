"""Importing case-system exports (.xlsx and .csv) with a mapping file; the progress reporter."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
from pathlib import Path

import openpyxl
import pytest

from transparency_site import cli, imports, progress, schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DATASETS = ROOT / "datasets"
ROUND_TRIPS = [
    ("complaints", "complaints-export.xlsx", "complaints-mapping.yaml"),
    ("compliments", "compliments-export.csv", "compliments-mapping.yaml"),
    ("ombudsman_cases", "ombudsman-export.xlsx", "ombudsman-mapping.yaml"),
]


def mapping(name: str) -> dict:
    return imports.read_mapping(EXAMPLES / name)


# --- The shipped examples reproduce the example council's datasets exactly -------------------------


@pytest.mark.parametrize(("kind", "export", "mapping_file"), ROUND_TRIPS, ids=[k for k, *_ in ROUND_TRIPS])
def test_example_export_round_trips_byte_for_byte(kind, export, mapping_file, tmp_path):
    result = imports.import_cases(kind, EXAMPLES / export, mapping(mapping_file))
    assert result.problems == []
    out = imports.write_import(result, tmp_path / f"{kind}.csv")
    assert out.read_bytes() == (DATASETS / f"{kind}.csv").read_bytes()
    assert list(result.rows[0]) == schema.field_names(kind)


def test_example_export_is_messy_like_a_real_one():
    """The round trip proves something only if the export needs the mapping: check it does."""
    wb = openpyxl.load_workbook(EXAMPLES / "complaints-export.xlsx", read_only=True, data_only=True)
    rows = [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    header = rows.index(next(r for r in rows if r and r[0] == "Case Ref"))
    assert header > 0  # title rows above the table
    cells = [c for r in rows[header + 1:] for c in r]
    assert "Stage One" in cells and "Partially Upheld" in cells and "Assigned Team" in rows[header]
    assert any(isinstance(c, dt.datetime) for c in cells)  # real Excel dates
    assert any(isinstance(c, str) and len(c) == 10 and c[2] == "/" for c in cells)  # UK dates as text
    assert any(isinstance(c, int) and 40000 < c < 50000 for c in cells)  # Excel serial numbers
    assert any(isinstance(c, str) and c != c.strip() for c in cells)  # stray spaces


def _load_make_export():
    spec = importlib.util.spec_from_file_location("make_export", EXAMPLES / "make_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(path: Path) -> list[tuple]:
    if path.suffix == ".csv":
        return [tuple(r) for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";")]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [(ws.title, *r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def test_committed_exports_are_what_make_export_makes(tmp_path):
    """examples/make_export.py reproduces the committed exports (rerun it if the datasets change)."""
    made = _load_make_export().make(DATASETS, tmp_path)
    assert {p.name for p in made} == {export for _, export, _ in ROUND_TRIPS}
    for path in made:
        assert _cells(path) == _cells(EXAMPLES / path.name), f"examples/{path.name} is stale: run examples/make_export.py"


# --- Every value that cannot be mapped is reported with its row and column -------------------------


HEADINGS = ["Case Ref", "Stage", "Escalated From", "Service Area", "Date Received", "Date Acknowledged",
            "Extension (days)", "Date Responded", "Decision", "Reason Not Accepted", "How Received", "Complaint Type"]
GOOD = ["C-1", "Stage One", None, "Council Tax", "03/04/2023", "04/04/2023", 0, "12/04/2023", "Upheld", None, "Email", "Delay"]


def xlsx(path: Path, rows: list[list], title_rows: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Complaints"
    for i in range(title_rows):
        ws.append([f"Report title {i}"])
    ws.append(HEADINGS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def with_(**changes) -> list:
    row = list(GOOD)
    for heading, value in changes.items():
        row[HEADINGS.index(heading.replace("_", " "))] = value
    return row


def test_each_unmappable_value_has_row_and_column(tmp_path):
    rows = [
        with_(Case_Ref="C-1"),
        with_(Case_Ref="C-2", Decision="Partly Resolved"),  # unknown word
        with_(Case_Ref="C-3", Date_Received="31/02/2023"),  # no such day
        with_(Case_Ref="C-4", Date_Responded="04/13/2023"),  # US order
        ["C-5", "Stage One", None, "Council Tax", "03/04/2023", "04/04/2023", "two", "12/04/2023", "Upheld", None, "Email", "Delay"],
        with_(Case_Ref="C-6", Service_Area="Council Taxes"),  # not in the service map
        with_(Case_Ref="C-7", Stage="Stage Nine"),
        with_(Case_Ref="C-8", How_Received="Carrier pigeon"),
        with_(Case_Ref="C-9", Date_Received=None),  # required
    ]
    path = xlsx(tmp_path / "export.xlsx", rows, title_rows=2)
    result = imports.import_cases("complaints", path, mapping("complaints-mapping.yaml"))
    got = {(p.row, p.field) for p in result.problems}
    header = 3  # two title rows, then the headings
    assert got == {
        (header + 2, "Decision"), (header + 3, "Date Received"), (header + 4, "Date Responded"),
        (header + 5, "Extension (days)"), (header + 6, "Service Area"), (header + 7, "Stage"),
        (header + 8, "How Received"), (header + 9, "Date Received"),
    }
    assert {p.file for p in result.problems} == {"export.xlsx"}
    by_row = {p.row: p for p in result.problems}
    assert "Partly Resolved" in by_row[header + 2].message and "partly_upheld" in by_row[header + 2].hint
    assert "did you mean 13/04/2023" in by_row[header + 4].hint
    assert "'Council Taxes'" in by_row[header + 6].message
    assert "email" in by_row[header + 8].hint and "online_form" in by_row[header + 8].hint
    with pytest.raises(ValueError):
        imports.write_import(result, tmp_path / "complaints.csv")
    assert not (tmp_path / "complaints.csv").exists()


def test_dates_in_every_form(tmp_path):
    rows = [
        with_(Case_Ref="A", Date_Received=dt.datetime(2023, 4, 3), Date_Acknowledged="2023-04-04", Date_Responded="12/04/2023 14:22"),
        with_(Case_Ref="B", Date_Received=45019, Date_Acknowledged="45020", Date_Responded=dt.date(2023, 4, 12)),
    ]
    result = imports.import_cases("complaints", xlsx(tmp_path / "e.xlsx", rows), mapping("complaints-mapping.yaml"))
    assert result.problems == []
    for row in result.rows:
        assert (row["received"], row["acknowledged"], row["responded"]) == (dt.date(2023, 4, 3), dt.date(2023, 4, 4), dt.date(2023, 4, 12))


def test_labels_and_allowed_values_need_no_mapping(tmp_path):
    rows = [with_(Case_Ref="A", Decision="Partly upheld", How_Received="online_form", Complaint_Type="STAFF CONDUCT")]
    result = imports.import_cases("complaints", xlsx(tmp_path / "e.xlsx", rows), mapping("complaints-mapping.yaml"))
    assert result.problems == []
    row = result.rows[0]
    assert (row["outcome"], row["channel"], row["category"]) == ("partly_upheld", "online_form", "staff_conduct")


def test_semicolon_csv_with_bom_and_blank_rows(tmp_path):
    path = tmp_path / "compliments.csv"
    path.write_text("\ufeffReference;Date Received;Service;Received Via\r\n"
                    "P-1;03/04/2023;Council Tax ;E-mail\r\n"
                    ";;;\r\n"
                    "P-2;2023-04-05;Housing Repairs;Telephone\r\n", encoding="utf-8")
    result = imports.import_cases("compliments", path, mapping("compliments-mapping.yaml"))
    assert result.problems == []
    assert result.text() == ("compliment_id,received,service_id,channel\n"
                             "P-1,2023-04-03,council-tax,email\n"
                             "P-2,2023-04-05,housing-repairs,phone\n")


def test_csv_rows_are_numbered_as_the_spreadsheet_shows_them(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Reference,Date Received,Service,Received Via\nP-1,03/04/2023,Council Tax,E-mail\nP-2,03/04/2023,Council Tax,Fax\n",
                    encoding="utf-8")
    result = imports.import_cases("compliments", path, mapping("compliments-mapping.yaml"))
    assert [(p.file, p.row, p.field) for p in result.problems] == [("c.csv", 3, "Received Via")]


def test_trim_off_keeps_spaces(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Reference,Date Received,Service,Received Via\nP-1 ,03/04/2023,Council Tax,E-mail\n", encoding="utf-8")
    loose = imports.import_cases("compliments", path, mapping("compliments-mapping.yaml"))
    assert loose.rows[0]["compliment_id"] == "P-1"
    strict = imports.import_cases("compliments", path, {**mapping("compliments-mapping.yaml"), "trim": False})
    assert strict.rows[0]["compliment_id"] == "P-1 "


def test_missing_column_is_reported_on_the_header_row(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Title line\n\nReference,Date Recieved,Service,Received Via\nP-1,03/04/2023,Council Tax,E-mail\n", encoding="utf-8")
    result = imports.import_cases("compliments", path, mapping("compliments-mapping.yaml"))
    assert [(p.row, p.field, p.code) for p in result.problems] == [(3, "Date Received", "missing-column")]
    assert "Date Recieved" in result.problems[0].hint


def test_mistakes_in_the_mapping(tmp_path):
    bad = {
        "columns": {"compliment_id": "Reference", "recieved": "Date Received", "channel": "Received Via"},
        "values": {"channel": {"Fax": "fax"}},
        "date": {"format": "%d/%m/%Y"},
    }
    path = tmp_path / "c.csv"
    path.write_text("Reference,Date Received,Service,Received Via\n", encoding="utf-8")
    result = imports.import_cases("compliments", path, bad, mapping_name="compliments.yaml")
    fields = {p.field for p in result.problems}
    assert fields == {"date", "columns.recieved", "columns.received", "columns.service_id", "values.channel"}
    assert {p.file for p in result.problems} == {"compliments.yaml"}
    assert any("did you mean received" in p.hint for p in result.problems)
    assert any("did you mean dates" in p.hint for p in result.problems)


def test_constant_columns_and_booleans_and_money(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("Ref,Service,Notified,Remedy,Paid\n"
                    "L-1,Council Tax,03/04/2023,Yes,\"£1,250.50\"\n"
                    "L-2,Council Tax,03/04/2023,no,\n"
                    "L-3,Council Tax,03/04/2023,perhaps,ten pounds\n", encoding="utf-8")
    m = {
        "columns": {"case_id": "Ref", "ombudsman": {"value": "lgsco"}, "service_id": "Service", "received": "Notified",
                    "remedy_agreed": "Remedy", "financial_remedy_gbp": "Paid"},
        "values": {"service_id": {"Council Tax": "council-tax"}},
    }
    result = imports.import_cases("ombudsman_cases", path, m)
    assert [(p.row, p.field) for p in result.problems] == [(4, "Remedy"), (4, "Paid")]
    first, second = result.rows[0], result.rows[1]
    assert (first["ombudsman"], first["remedy_agreed"], first["financial_remedy_gbp"]) == ("lgsco", True, 1250.5)
    assert (second["remedy_agreed"], second["financial_remedy_gbp"]) == (False, None)
    assert "L-1,lgsco,council-tax,,2023-04-03,,,true,1250.5," in imports.rows_csv("ombudsman_cases", result.rows[:1])


def test_write_import_is_atomic_and_leaves_no_temp_files(tmp_path):
    result = imports.import_cases("compliments", EXAMPLES / "compliments-export.csv", mapping("compliments-mapping.yaml"))
    out = tmp_path / "datasets" / "compliments.csv"
    imports.write_import(result, out)
    assert out.read_text(encoding="utf-8") == result.text()
    assert [p.name for p in out.parent.iterdir()] == ["compliments.csv"]


# --- The command line ---------------------------------------------------------------------------


def test_cli_import_writes_the_csv(tmp_path, capsys):
    out = tmp_path / "complaints.csv"
    code = cli.main(["import", "complaints", str(EXAMPLES / "complaints-export.xlsx"),
                     "--mapping", str(EXAMPLES / "complaints-mapping.yaml"), "--out", str(out)])
    assert code == 0
    assert out.read_bytes() == (DATASETS / "complaints.csv").read_bytes()
    assert str(out) in capsys.readouterr().out


def test_cli_import_with_problems_writes_nothing(tmp_path, capsys):
    export = xlsx(tmp_path / "export.xlsx", [with_(Decision="Partly Resolved")])
    out = tmp_path / "complaints.csv"
    code = cli.main(["import", "complaints", str(export), "--mapping", str(EXAMPLES / "complaints-mapping.yaml"), "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "export.xlsx:2:Decision" in err and "Partly Resolved" in err and "Nothing was written" in err
    assert not out.exists()


def test_cli_import_unreadable_mapping(tmp_path, capsys):
    bad = tmp_path / "m.yaml"
    bad.write_text("columns: [unclosed\n", encoding="utf-8")
    code = cli.main(["import", "compliments", str(EXAMPLES / "compliments-export.csv"), "--mapping", str(bad), "--out", str(tmp_path / "x.csv")])
    assert code == 1
    assert "m.yaml" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


# --- Progress -----------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "_MIN_INTERVAL", 0)
    stream = FakeTerminal()
    assert list(progress.progress(range(4), 4, "Importing", stream=stream)) == [0, 1, 2, 3]
    text = stream.getvalue()
    assert "\rImporting: 4 of 4 (100%)" in text and "\n" not in text
    assert text.endswith("\r")  # the line is cleared at the end


def test_progress_is_silent_in_ci_and_when_not_a_terminal(monkeypatch):
    monkeypatch.setenv("CI", "true")
    stream = FakeTerminal()
    assert list(progress.progress(range(3), 3, "x", stream=stream)) == [0, 1, 2]
    assert stream.getvalue() == ""
    monkeypatch.delenv("CI")
    plain = io.StringIO()
    assert list(progress.progress(iter("ab"), None, "x", stream=plain)) == ["a", "b"]
    assert plain.getvalue() == ""
