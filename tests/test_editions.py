"""Editions: release freezes figures and data; revisions list changed figures; the archive stays; Atom feed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from conftest import copy_project
from transparency_site import cli, downloads, load, site
from transparency_site.figures import figure_id

ATOM = "{http://www.w3.org/2005/Atom}"
DATE1, DATE2 = "2024-01-15", "2024-02-15"
REMOVED = 7  # compliments taken out of 2022/23 between the two editions


def _epoch(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return str(int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp()))


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _drop_compliments(root: Path, year_start: str, year_end: str, n: int) -> None:
    path = root / "compliments.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    drop = [i for i, r in enumerate(rows) if year_start <= r["received"] <= year_end][:n]
    assert len(drop) == n
    keep = [r for i, r in enumerate(rows) if i not in set(drop)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(keep)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A copy of the project released twice, with compliments removed in between."""
    project = copy_project(tmp_path_factory.mktemp("editions") / "project")
    datasets = project / "datasets"
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("SOURCE_DATE_EPOCH", _epoch(DATE1))
        first = downloads.release(project / "mkdocs.yml", datasets, title="Quarter 3 2023/24", status="provisional")
        before = _hashes(datasets / "releases" / DATE1)
        with pytest.raises(downloads.ReleaseError, match="already an edition dated"):
            downloads.release(project / "mkdocs.yml", datasets, title="Again", status="provisional")
        _drop_compliments(datasets, "2022-04-01", "2023-03-31", REMOVED)
        mp.setenv("SOURCE_DATE_EPOCH", _epoch(DATE2))
        # The second release goes through the command line, as an officer would run it.
        code = cli.main(["release", "--config-file", str(project / "mkdocs.yml"), "--datasets", str(datasets),
                         "--title", "Corrected quarter 3", "--status", "final", "--notes", "Duplicate compliments removed."])
        assert code == 0
        bundle = site.generate(load.load(datasets))
    finally:
        mp.undo()
    return {"project": project, "datasets": datasets, "first": first, "before": before, "bundle": bundle}


def test_release_writes_the_frozen_edition_and_the_releases_entry(released):
    datasets = released["datasets"]
    assert released["first"]["date"] == DATE1 and released["first"]["status"] == "provisional"
    entries = yaml.safe_load((datasets / "releases.yaml").read_text("utf-8"))
    assert [e["date"] for e in entries] == [DATE1, DATE2]
    assert entries[1] == {"date": DATE2, "title": "Corrected quarter 3", "status": "final",
                          "notes": "Duplicate compliments removed.", "data_as_of": entries[1]["data_as_of"]}
    for day in (DATE1, DATE2):
        folder = datasets / "releases" / day
        assert (folder / "figures.csv").exists() and (folder / "complaints.csv").exists()
        assert (folder / "measures" / "compliments_received.csv").exists()
        assert yaml.safe_load((folder / "release.yaml").read_text("utf-8"))["date"] == day


def test_first_edition_is_unchanged_and_published_at_its_stable_url(released):
    folder = released["datasets"] / "releases" / DATE1
    assert _hashes(folder) == released["before"]
    files = downloads.files(released["bundle"])
    for rel, _ in released["before"].items():
        assert files[f"editions/{DATE1}/{rel}"] == (folder / rel).read_bytes()
    assert f"editions/{DATE2}/figures.csv" in files


def test_revisions_list_the_changed_figure_with_old_and_new_values(released):
    fid = figure_id("compliments_received", "2022/23")
    with (released["datasets"] / "releases" / DATE1 / "figures.csv").open(encoding="utf-8") as fh:
        old = float(next(r for r in csv.DictReader(fh) if r["figure_id"] == fid)["value"])
    revs = downloads.revisions(released["bundle"].data)
    assert len(revs) == 1 and revs[0]["edition"]["date"] == DATE2 and revs[0]["previous"]["date"] == DATE1
    change = next(c for c in revs[0]["changes"] if c["figure_id"] == fid)
    assert change["old_value"] == old and change["new_value"] == old - REMOVED
    unchanged = figure_id("complaints_received", "2022/23")
    assert unchanged not in {c["figure_id"] for c in revs[0]["changes"]}
    page = next(p for p in released["bundle"].pages if p.path == "data/revisions.md").markdown
    assert fid in page and "Duplicate compliments removed" in page
    assert f"{int(old):,}" in page and f"{int(old - REMOVED):,}" in page


def test_figure_ids_do_not_change_when_data_change(released):
    bundle = released["bundle"]
    with (released["datasets"] / "releases" / DATE1 / "figures.csv").open(encoding="utf-8") as fh:
        first = {r["figure_id"]: r["url"] for r in csv.DictReader(fh)}
    now = {r["figure_id"]: r["url"] for r in csv.DictReader(downloads.files(bundle)["data/figures.csv"].decode().splitlines())}
    assert set(first) <= set(now)
    assert all(now[f] == u for f, u in first.items())


def test_editions_page_lists_editions_newest_first_with_archived_downloads(released):
    page = next(p for p in released["bundle"].pages if p.path == "data/editions.md").markdown
    assert page.index("15 February 2024") < page.index("15 January 2024")
    assert f"../../editions/{DATE1}/figures.csv" in page and f"../../editions/{DATE2}/figures.csv" in page


def test_provenance_names_the_latest_edition(released):
    ed = released["bundle"].ctx.edition
    assert ed["date"] == DATE2 and ed["status"] == "final" and ed["released"]
    home = next(p for p in released["bundle"].pages if p.path.startswith("performance/")).markdown
    assert "15 February 2024" in home and "final" in home


def test_atom_feed_has_one_entry_per_edition(released):
    feed = ET.fromstring(downloads.files(released["bundle"])["feed.xml"])
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    assert feed.findtext(f"{ATOM}updated") == f"{DATE2}T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated")[:10] for e in entries] == [DATE2, DATE1]
    site_url = released["bundle"].data.council["site_url"]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith(site_url) for i in ids)
    assert all(e.findtext(f"{ATOM}title") for e in entries)


def test_release_refuses_invalid_data(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project")
    (project / "datasets" / "compliments.csv").write_text("compliment_id,received,service_id,channel\nX,not-a-date,nowhere,pigeon\n", "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", _epoch(DATE1))
    with pytest.raises(downloads.ReleaseError, match="problem"):
        downloads.release(project / "mkdocs.yml", project / "datasets", title="Bad", status="final")
    assert not (project / "datasets" / "releases").exists()
