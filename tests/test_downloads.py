"""Open data downloads: round trip, Frictionless validity, formula neutralising, JSON-LD, zip, pages."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from transparency_site import downloads, load, site
from transparency_site.figures import figure_id

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    """A private copy of the example datasets: every build in this module reads the same inputs."""
    root = tmp_path_factory.mktemp("src") / "datasets"
    shutil.copytree(DATASETS, root)
    return root


@pytest.fixture(scope="module")
def bundle(datasets):
    return site.generate(load.load(datasets))


def _with_data(bundle, root: Path):
    """The same figures with other source data: enough for the record-level downloads, without a rebuild."""
    return dataclasses.replace(bundle, data=load.load(root))


@pytest.fixture(scope="module")
def written(bundle, tmp_path_factory) -> Path:
    """files(bundle) written to disk, as the site would publish them."""
    out = tmp_path_factory.mktemp("downloads")
    for path, content in downloads.files(bundle).items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return out


def _read_csv(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def _num(text):
    return None if text in ("", None) else float(text)


def test_measure_tables_round_trip(bundle):
    files = downloads.files(bundle)
    by_measure: dict[str, list[dict]] = {}
    for r in bundle.ctx.rows:
        by_measure.setdefault(r["measure"], []).append(r)
    assert by_measure, "the example council has figures"
    for mid, rows in by_measure.items():
        from_csv = _read_csv(files[f"data/measures/{mid}.csv"])
        from_json = json.loads(files[f"data/measures/{mid}.json"])
        assert len(from_csv) == len(rows) == len(from_json), mid
        for want, got_c, got_j in zip(rows, from_csv, from_json, strict=True):
            for col in ("measure", "period", "dimension", "dimension_value", "status"):
                expected = "" if want[col] is None else str(want[col])
                assert got_c[col] == expected, (mid, col)
                assert got_j[col] == (None if want[col] is None else str(want[col])), (mid, col)
            for col in ("value", "numerator", "denominator"):
                assert _num(got_c[col]) == want[col], (mid, col, got_c)
                assert got_j[col] == want[col], (mid, col, got_j)
            if want["status"] == "suppressed":
                # Documented: a suppressed figure keeps its row, with the number left empty.
                assert got_c["value"] == "" and got_j["value"] is None


def test_suppressed_cells_are_published_empty(bundle):
    suppressed = [r for r in bundle.ctx.rows if r["status"] == "suppressed"]
    assert suppressed, "the example council has small numbers that must be suppressed"
    figures = {r["figure_id"]: r for r in _read_csv(downloads.files(bundle)["data/figures.csv"])}
    for r in suppressed:
        row = figures[figure_id(r["measure"], r["period"], r["dimension_value"])]
        assert row["value"] == "" and row["status"] == "suppressed"


def test_figures_csv_has_every_figure_with_its_permalink(bundle):
    rows = _read_csv(downloads.files(bundle)["data/figures.csv"])
    assert len(rows) == len(bundle.ctx.rows)
    assert len({r["figure_id"] for r in rows}) == len(rows)
    site_url = bundle.data.council["site_url"]
    for r in rows:
        assert r["url"].startswith(site_url) and r["url"].endswith("#" + r["figure_id"])
        assert r["unit"]


def test_a_figure_without_a_page_stops_the_downloads(bundle):
    fid = next(iter(bundle.ctx.registry.placed))
    registry = type(bundle.ctx.registry)(bundle.ctx.registry.site_url, {k: v for k, v in bundle.ctx.registry.placed.items() if k != fid})
    ctx = type(bundle.ctx)(data=bundle.data, rows=bundle.ctx.rows, years=bundle.ctx.years, registry=registry, edition=bundle.ctx.edition)
    with pytest.raises(downloads.DownloadError, match=fid):
        downloads.files(site.Bundle(data=bundle.data, pages=[], nav=[], ctx=ctx))


def test_published_package_validates_with_frictionless(written):
    from frictionless import validate

    report = validate(str(written / "data" / "datapackage.json"))
    errors = [(t.name, e.message) for t in report.tasks for e in t.errors][:5]
    assert report.valid, errors


def test_package_describes_every_file_and_only_published_fields(bundle, written):
    pkg = json.loads((written / "data" / "datapackage.json").read_text("utf-8"))
    paths = {r["path"] for r in pkg["resources"]}
    on_disk = {p.relative_to(written / "data").as_posix() for p in (written / "data").rglob("*")
               if p.is_file() and p.suffix in (".csv", ".json") and p.name != "datapackage.json"}
    assert paths == on_disk
    assert pkg["licenses"][0]["name"] == "OGL-UK-3.0"
    for res in pkg["resources"]:
        if res["format"] != "csv":
            continue
        header = (written / "data" / res["path"]).read_text("utf-8").splitlines()[0].split(",")
        assert header == [f["name"] for f in res["schema"]["fields"]], res["name"]


def test_private_fields_are_not_published(bundle, datasets, tmp_path):
    root = tmp_path / "datasets"
    shutil.copytree(datasets, root)
    council = (root / "council.yaml").read_text("utf-8")
    (root / "council.yaml").write_text(council + "private_fields:\n  complaints: [category]\n", "utf-8")
    files = downloads.files(_with_data(bundle, root))
    header = files["data/complaints.csv"].decode().splitlines()[0].split(",")
    assert "category" not in header and "channel" in header
    pkg = json.loads(files["data/datapackage.json"])
    complaints = next(r for r in pkg["resources"] if r["name"] == "complaints")
    assert "category" not in [f["name"] for f in complaints["schema"]["fields"]]


def test_formula_cells_are_neutralised(bundle, datasets, tmp_path):
    root = tmp_path / "datasets"
    shutil.copytree(datasets, root)
    path = root / "improvements.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["you_said"] = '=HYPERLINK("https://evil.example/","click")'
    rows[1]["we_did"] = "+1 more call handler"
    rows[2]["we_did"] = "@SUM(A1:A9)"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    published = _read_csv(downloads.files(_with_data(bundle, root))["data/improvements.csv"])
    assert published[0]["you_said"] == "'" + '=HYPERLINK("https://evil.example/","click")'
    assert published[1]["we_did"] == "'+1 more call handler"
    assert published[2]["we_did"] == "'@SUM(A1:A9)"
    for r in published:
        for v in r.values():
            assert not v.startswith(downloads.FORMULA_START)


def test_only_text_fields_are_neutralised():
    fields = [{"name": "n", "type": "number"}, {"name": "s", "type": "string"}, {"name": "t", "type": "string"}]
    out = downloads.to_csv(fields, [{"n": -5.5, "s": "-5", "t": "\tx"}, {"n": -3, "s": "\rCR", "t": "fine"}])
    assert _read_csv(out) == [{"n": "-5.5", "s": "'-5", "t": "'\tx"}, {"n": "-3", "s": "'\rCR", "t": "fine"}]


def _json_ld(markdown: str) -> tuple[str, dict]:
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', markdown, re.S)
    assert m, "the Open data page carries JSON-LD"
    return m.group(1), json.loads(m.group(1))


def test_json_ld_is_a_dataset_with_the_properties_google_asks_for(bundle):
    page = next(p for p in bundle.pages if p.path == "data/index.md")
    raw, doc = _json_ld(page.markdown)
    assert "</" not in raw
    assert doc["@context"].startswith("https://schema.org") and doc["@type"] == "Dataset"
    assert 50 <= len(doc["description"]) <= 5000
    assert doc["name"] and doc["license"].startswith("https://www.nationalarchives.gov.uk/")
    assert doc["creator"]["@type"] == "GovernmentOrganization" and doc["creator"]["name"] == bundle.data.council["name"]
    assert doc["creator"]["url"] == bundle.data.council["website"]
    assert re.fullmatch(r"\d{4}-04-01/" + str(bundle.data.data_as_of), doc["temporalCoverage"])
    assert doc["spatialCoverage"]["@type"] == "Place" and doc["spatialCoverage"]["name"]
    assert doc["isAccessibleForFree"] is True and doc["version"] == bundle.ctx.edition["date"]
    files = downloads.files(bundle)
    base = bundle.data.council["site_url"]
    assert len(doc["distribution"]) > 10
    for d in doc["distribution"]:
        assert d["@type"] == "DataDownload" and d["encodingFormat"]
        assert d["contentUrl"].startswith(base) and d["contentUrl"][len(base):] in files


def test_json_ld_text_cannot_close_the_script():
    block = downloads.json_ld_block({"name": "</script><script>alert(1)</script>"})
    inner = str(block)[len('<script type="application/ld+json">'):-len("</script>")]
    assert "</" not in inner and json.loads(inner)["name"] == "</script><script>alert(1)</script>"


def test_zip_is_byte_identical_across_builds_and_holds_every_file(bundle, datasets):
    again = site.generate(load.load(datasets))
    name = f"data/{downloads.zip_name(bundle.data)}"
    first, second = downloads.files(bundle)[name], downloads.files(again)[name]
    assert first == second
    files = downloads.files(bundle)
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert "datapackage.json" in names and "figures.csv" in names
        for n in names:
            assert zf.read(n) == files["data/" + n]
        day = bundle.ctx.edition["date"]
        assert {zi.date_time[:3] for zi in zf.infolist()} == {tuple(int(x) for x in day.split("-"))}


def test_open_data_page_lists_files_sizes_licence_and_dictionaries(bundle):
    pages = {p.path: p for p in bundle.pages}
    index = pages["data/index.md"].markdown
    assert "Open Government Licence v3" in index and "Contains public sector information" in index
    for name in ("complaints", "services", "figures"):
        assert f"{name}.csv" in index
    assert re.search(r"\d+(\.\d)? (KB|MB|bytes)", index)
    for name in bundle.data.tables:
        dic = pages[f"data/{name}.md"].markdown
        from transparency_site import schema

        for f in schema.fields(name):
            assert f"<code>{f['name']}</code>" in dic
            for label in schema.labels(name, f["name"]).values():
                assert label.replace("'", "&#x27;") in dic


def test_human_size():
    assert downloads.human_size(999) == "999 bytes"
    assert downloads.human_size(1500) == "1.5 KB"
    assert downloads.human_size(132_000) == "132 KB"
    assert downloads.human_size(2_400_000) == "2.4 MB"
