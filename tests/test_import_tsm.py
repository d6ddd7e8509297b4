"""Importing the Regulator of Social Housing's TSM full-data workbook (the real 2023/24 file)."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest
import yaml

from transparency_site import imports, schema

WORKBOOK = Path(__file__).resolve().parents[2] / "shared" / "real-data" / "rsh-tsm-2023-24" / "2024_TSM_Full_Data_v1.1_FINAL.xlsx"
MI = "TSM24_Management_Info"
LCRA = "TSM24_LCRA_Perception"

pytestmark = pytest.mark.skipif(not WORKBOOK.exists(), reason="the regulator's workbook is not in ../shared/real-data")


@pytest.fixture(scope="module")
def result() -> imports.ImportResult:
    return imports.import_tsm(WORKBOOK)


@pytest.fixture(scope="module")
def sheets() -> dict[str, list[tuple]]:
    """Cell values of the sheets a rebuilt copy needs, read once for the module."""
    wb = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    try:
        return {name: [tuple(r) for r in wb[name].iter_rows(values_only=True)]
                for name in ("Introduction", LCRA, "TSM24_Combined_Perception", MI)}
    finally:
        wb.close()


def by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["code"], r["measure"]): r for r in rows}


def find(rows: list[dict], council: str, measure: str) -> dict:
    matches = [r for r in rows if r["council"] == council and r["measure"] == measure]
    assert len(matches) == 1, (council, measure, matches)
    return matches[0]


def without_perception(sheets: dict) -> dict:
    """Only the management-information sheet (and the introduction): quicker to rebuild and read."""
    return {name: rows for name, rows in sheets.items() if name in ("Introduction", MI)}


def header_index(rows: list[tuple]) -> int:
    return next(i for i, r in enumerate(rows) if r and "Landlord code" in r)


def rebuild(sheets: dict, path: Path, *, pad_rows: int = 0, seed: int | None = None, edit=None) -> Path:
    """A copy of the workbook's relevant sheets: ``pad_rows`` title rows added above every table's header,
    columns shuffled with ``seed``, and ``edit(sheet, rows)`` applied to the (unshuffled) rows first."""
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        rows = [list(r) for r in rows]
        if edit:
            edit(name, rows)
        ws = wb.create_sheet(name)
        if name in (MI, LCRA, "TSM24_Combined_Perception"):
            width = max(len(r) for r in rows)
            order = list(range(width))
            if seed is not None:
                random.Random(seed).shuffle(order)
            for i in range(pad_rows):
                ws.append([f"Title line {i + 1} moved the header down"] if i % 2 == 0 else [])
            for r in rows:
                r = r + [None] * (width - len(r))
                ws.append([r[j] for j in order])
        else:
            for r in rows:
                ws.append(r)
    wb.save(path)
    return path


def test_published_figures(result):
    rows = result.rows
    assert result.problems == []
    adur1 = find(rows, "Adur District Council", "CH01_1")
    assert round(adur1["value"], 1) == 60.2 and (adur1["numerator"], adur1["denominator"]) == (152, 2525)
    adur2 = find(rows, "Adur District Council", "CH02_1")
    assert round(adur2["value"], 1) == 32.2 and (adur2["numerator"], adur2["denominator"]) == (49, 152)
    dover = find(rows, "Dover District Council", "CH01_1")
    assert round(dover["value"], 1) == 27.7 and (dover["numerator"], dover["denominator"]) == (122, 4400)
    dover2 = find(rows, "Dover District Council", "CH02_1")
    assert round(dover2["value"], 1) == 89.3 and (dover2["numerator"], dover2["denominator"]) == (109, 122)
    assert find(rows, "Adur District Council", "homes")["value"] == 2525
    assert 0 < find(rows, "Adur District Council", "TP09")["value"] < 100


def test_local_authority_landlords_only(result):
    codes = {r["code"] for r in result.rows}
    assert len(codes) == 157
    assert {r["council_type"] for r in result.rows} == {"LARP"}
    assert len({r["code"] for r in result.rows if r["measure"] == "CH01_1"}) == 157
    # Housing associations (PRP) are not councils.
    assert not any("Housing Association" in r["council"] or r["council"].endswith("Limited") for r in result.rows)


def test_footnotes_are_not_councils(result):
    names = {r["council"] for r in result.rows}
    assert not any(n.startswith(("Notes", "1.", "2.", "3.", "4.", "5.")) for n in names)


def test_schema_shape_year_and_source(result):
    assert list(result.rows[0]) == schema.field_names("benchmarks")
    assert {r["period"] for r in result.rows} == {"2023/24"}
    assert {r["source"] for r in result.rows} == {"Regulator of Social Housing, Tenant Satisfaction Measures 2023/24 full data (v1.1)"}
    assert {r["licence"] for r in result.rows} == {"Open Government Licence v3.0"}
    assert {r["measure"] for r in result.rows} <= set(schema.enum("benchmarks", "measure"))
    keys = [(r["code"], r["period"], r["measure"]) for r in result.rows]
    assert len(keys) == len(set(keys))  # the schema's primary key


def test_markers_are_empty_never_zero(result):
    # Leicester left its CH02 numerators blank ([X]); the regulator shows the rate as 0%, which is not a rate.
    leicester = find(result.rows, "Leicester City Council", "CH02_1")
    assert leicester["numerator"] is None and leicester["value"] is None and leicester["denominator"] == 685
    assert any("Leicester City Council" in n and "[X]" in n for n in result.notes)
    # 0 of 0 stage 2 complaints is not 0% on time.
    fareham = find(result.rows, "Fareham Borough Council", "CH02_2")
    assert (fareham["numerator"], fareham["denominator"], fareham["value"]) == (0, 0, None)


def test_csv_text(result):
    lines = result.text().split("\n")
    assert lines[0] == ",".join(schema.field_names("benchmarks"))
    assert lines[-1] == "" and len(lines) == len(result.rows) + 2
    adur = next(ln for ln in lines if ln.startswith("Adur District Council,45UB,LARP,2023/24,CH01_1,"))
    assert ",152,2525," in adur


def test_moved_header_and_reordered_columns_import_the_same(result, sheets, tmp_path):
    copy = rebuild(sheets, tmp_path / "2024_TSM_Full_Data_v1.1_FINAL.xlsx", pad_rows=6, seed=7)
    # The copy really is rearranged: the header is lower and CH01 1 sits in another column.
    wb = openpyxl.load_workbook(copy, read_only=True)
    moved = [tuple(r) for r in wb[MI].iter_rows(max_row=12, values_only=True)]
    wb.close()
    h = header_index(moved)
    assert h == header_index(sheets[MI]) + 6
    original_col = next(i for i, c in enumerate(sheets[MI][header_index(sheets[MI])]) if c and str(c).endswith("(CH01 1)"))
    assert not str(moved[h][original_col] or "").endswith("(CH01 1)")

    again = imports.import_tsm(copy)
    assert again.problems == []
    assert by_key(again.rows) == by_key(result.rows)
    assert again.text() == result.text()


def test_unreadable_cell_is_reported_not_guessed(sheets, tmp_path):
    def plant(name, rows):
        if name != MI:
            return
        h = header_index(rows)
        col = next(i for i, c in enumerate(rows[h]) if c and str(c).startswith("LCRA") and str(c).endswith("(CH01 1 Numerator)"))
        adur = next(r for r in rows if r[0] == "Adur District Council")
        adur[col] = "n/a"

    copy = rebuild(without_perception(sheets), tmp_path / "planted.xlsx", pad_rows=3, seed=11, edit=plant)
    got = imports.import_tsm(copy, year="2023/24")
    assert len(got.problems) == 1
    p = got.problems[0]
    # Where it is in the copy: find the cell independently (other text columns also say "n/a").
    wb = openpyxl.load_workbook(copy, read_only=True)
    where = [(c.row, c.column_letter) for r in wb[MI].iter_rows() if any(getattr(c, "value", None) == "Adur District Council" for c in r)
             for c in r if getattr(c, "value", None) == "n/a"]
    wb.close()
    assert len(where) == 1
    row, letter = where[0]
    assert (p.file, p.row, p.field) == ("planted.xlsx", row, f"{MI}!{letter}")
    assert "n/a" in p.message and "Adur District Council" in p.message and "CH01 1 Numerator" in p.message
    assert not any(r["code"] == "45UB" and r["measure"] == "CH01_1" for r in got.rows)
    with pytest.raises(ValueError):
        imports.write_benchmarks(got, tmp_path)
    assert not (tmp_path / "benchmarks.csv").exists()


def test_data_after_the_footnotes_is_reported(sheets, tmp_path):
    def stray(name, rows):
        if name == MI:
            rows.append(["Somewhere Borough Council", "99ZZ", "LARP"])

    got = imports.import_tsm(rebuild(without_perception(sheets), tmp_path / "stray.xlsx", edit=stray))
    assert [p.code for p in got.problems] == ["after-end"]
    assert "99ZZ" not in {r["code"] for r in got.rows}


def test_year_from_workbook_and_disagreeing_year():
    wrong = imports.import_tsm(WORKBOOK, year="2022/23")
    assert [p.code for p in wrong.problems] == ["year"]
    assert "2023/24" in wrong.problems[0].message and "2022/23" in wrong.problems[0].message


def test_year_is_required_when_the_workbook_does_not_say(sheets, tmp_path):
    renamed = {name.replace("TSM24_", "Data_"): rows for name, rows in without_perception(sheets).items() if name != "Introduction"}
    copy = rebuild(renamed, tmp_path / "anon.xlsx")
    assert [p.code for p in imports.import_tsm(copy).problems] == ["year"]
    given = imports.import_tsm(copy, year="2023/24")
    assert given.problems == [] and {r["period"] for r in given.rows} == {"2023/24"}


def test_missing_complaint_columns(sheets, tmp_path):
    def drop(name, rows):
        if name == MI:
            h = header_index(rows)
            rows[h] = [("Something else" if c and "(CH02 1 Denominator)" in str(c) and str(c).startswith("LCRA") else c) for c in rows[h]]

    got = imports.import_tsm(rebuild(without_perception(sheets), tmp_path / "renamed.xlsx", edit=drop))
    assert [p.code for p in got.problems] == ["missing-column"]
    assert "CH02_1 denominator" in got.problems[0].message and got.rows == []


def test_write_benchmarks_adds_the_resource_once(result, tmp_path):
    council = {"name": "Castlemere District Council", "short_name": "Castlemere", "site_url": "https://complaints.castlemere.example/",
               "website": "https://www.castlemere.example/"}
    package = schema.build_package(council, ["services", "complaints"])
    original = "# The data package.\n" + yaml.safe_dump(package, sort_keys=False, allow_unicode=True)
    (tmp_path / "datapackage.yaml").write_text(original, encoding="utf-8")

    out = imports.write_benchmarks(result, tmp_path)
    assert out == tmp_path / "benchmarks.csv"
    assert out.read_text(encoding="utf-8") == result.text()
    text = (tmp_path / "datapackage.yaml").read_text(encoding="utf-8")
    assert text.startswith(original)  # the rest of the file is kept as it was
    data = yaml.safe_load(text)
    assert [r["name"] for r in data["resources"]] == ["services", "complaints", "benchmarks"]
    assert data["resources"][-1] == schema.package_resource("benchmarks")
    assert {k: v for k, v in data.items() if k != "resources"} == {k: v for k, v in package.items() if k != "resources"}

    imports.write_benchmarks(result, tmp_path)
    assert (tmp_path / "datapackage.yaml").read_text(encoding="utf-8") == text
    assert not list(tmp_path.glob(".*.tmp"))


def test_benchmarks_csv_is_valid_against_the_schema(result, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    (tmp_path / "benchmarks.csv").write_text(result.text(), encoding="utf-8")
    descriptor = schema.package_resource("benchmarks")
    resource = frictionless.Resource(descriptor, basepath=str(tmp_path))
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:5]


def test_write_benchmarks_into_the_example_datasets(result, tmp_path):
    original = (Path(__file__).resolve().parents[1] / "datasets" / "datapackage.yaml").read_text(encoding="utf-8")
    (tmp_path / "datapackage.yaml").write_text(original, encoding="utf-8")
    imports.write_benchmarks(result, tmp_path)
    text = (tmp_path / "datapackage.yaml").read_text(encoding="utf-8")
    before, after = yaml.safe_load(original), yaml.safe_load(text)
    if any(r["name"] == "benchmarks" for r in before["resources"]):
        assert text == original
    else:
        assert text.startswith(original)
        assert after["resources"][:-1] == before["resources"]
        assert after["resources"][-1] == schema.package_resource("benchmarks")


def test_resource_added_to_an_indented_list_followed_by_other_keys():
    text = ("name: x\n"
            "resources:\n"
            "  - name: services\n"
            "    path: services.csv\n"
            "\n"
            "  - name: complaints\n"
            "    path: complaints.csv\n"
            "\n"
            "# who may reuse it\n"
            "licenses:\n"
            "  - name: OGL-UK-3.0\n")
    new = imports._add_resource(text, {"name": "benchmarks", "path": "benchmarks.csv"})
    data = yaml.safe_load(new)
    assert [r["name"] for r in data["resources"]] == ["services", "complaints", "benchmarks"]
    assert data["licenses"] == [{"name": "OGL-UK-3.0"}] and data["name"] == "x"
    assert new.replace("  - name: benchmarks\n    path: benchmarks.csv\n", "") == text


def test_cli_import_tsm(result, tmp_path, capsys):
    from transparency_site import cli

    original = (Path(__file__).resolve().parents[1] / "datasets" / "datapackage.yaml").read_text(encoding="utf-8")
    (tmp_path / "datapackage.yaml").write_text(original, encoding="utf-8")
    assert cli.main(["import", "tsm", str(WORKBOOK), "--year", "2022/23", "--datasets", str(tmp_path)]) == 1
    assert "2022/23" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.csv").exists()
    assert (tmp_path / "datapackage.yaml").read_text(encoding="utf-8") == original

    assert cli.main(["import", "tsm", str(WORKBOOK), "--datasets", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "Leicester City Council" in captured.err and "[X]" in captured.err
    assert (tmp_path / "benchmarks.csv").read_text(encoding="utf-8") == result.text()
    assert "name: benchmarks" in (tmp_path / "datapackage.yaml").read_text(encoding="utf-8")
