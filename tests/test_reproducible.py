"""Reproducible builds: the same inputs give byte-identical site/ folders (issue 6, item 5).

The session's example site (built in the test process) is compared with a second copy of the
project, in a folder of another depth, built by a separate `transparency-site build` process that
differs in everything that should not matter (hash seed, time zone, working folder, start time).
Every file's bytes must match. The build date comes from SOURCE_DATE_EPOCH, or data_as_of; the
failure-safety tests check a build with SOURCE_DATE_EPOCH set shows that date.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, copy_project

DATA_AS_OF = dt.date(2023, 12, 31)  # the example council's data_as_of: the default build date


@pytest.fixture(scope="module")
def two_sites(example_site, tmp_path_factory):
    b = copy_project(tmp_path_factory.mktemp("reproducible") / "second" / "copy-with-a-longer-path")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "TRANSPARENCY_DATASETS")}
    env.update(PYTHONHASHSEED="12345", TZ="Pacific/Kiritimati")  # UTC+14: another date than UTC for most of the day
    run = subprocess.run([sys.executable, "-m", "transparency_site.cli", "build"], cwd=b, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return example_site.parent, b


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _first_difference(x: bytes, y: bytes) -> str:
    i = next((i for i, (c, d) in enumerate(zip(x, y, strict=False)) if c != d), min(len(x), len(y)))
    return f"at byte {i}: {x[max(0, i - 60):i + 60]!r} vs {y[max(0, i - 60):i + 60]!r}"


def test_two_builds_are_byte_identical(two_sites):
    a, b = (p / "site" for p in two_sites)
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb), f"different files: {sorted(set(fa) ^ set(fb))[:20]}"
    # The outputs most at risk must be there, so their comparison is not vacuous.
    for name in ("sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "feed.xml", "data/datapackage.json",
                 "about/accessibility/index.html"):
        assert name in fa, name
    assert any(n.endswith(".zip") for n in fa) and any(n.endswith(".svg") or b"<svg" in fa[n] for n in fa)
    different = [f"{n}: {_first_difference(fa[n], fb[n])}" for n in fa if fa[n] != fb[n]]
    assert not different, f"{len(different)} files differ:\n" + "\n".join(different[:15])


def test_no_build_folder_path_leaks_into_the_output(two_sites):
    for project in two_sites:
        site = project / "site"
        leaks = [n for n, data in _files(site).items()
                 if str(project).encode() in data or b"/.site-build-" in data or b"/tmp/" in data]
        assert not leaks, leaks[:10]


def test_the_build_date_is_data_as_of_not_the_clock(two_sites):
    site = two_sites[1] / "site"
    page = (site / "about" / "accessibility" / "index.html").read_text("utf-8")
    assert "This website was last tested on 31 December 2023" in page
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    lastmods = {e.text for e in ET.fromstring((site / "sitemap.xml").read_bytes()).iter(f"{ns}lastmod")}
    assert lastmods == {DATA_AS_OF.isoformat()}
    # The gzip header's own time is midnight UTC of the build date, not the clock.
    raw = (site / "sitemap.xml.gz").read_bytes()
    midnight = dt.datetime(DATA_AS_OF.year, DATA_AS_OF.month, DATA_AS_OF.day, tzinfo=dt.UTC)
    assert int.from_bytes(raw[4:8], "little") == int(midnight.timestamp())
    assert gzip.decompress(raw) == (site / "sitemap.xml").read_bytes()


def test_without_source_date_epoch_the_date_comes_from_the_data(monkeypatch):
    """build_site's default epoch is midnight UTC on data_as_of: a build never reads the clock for it."""
    from transparency_site.build import source_date_epoch

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert source_date_epoch(ROOT / "datasets") == str(int(dt.datetime(2023, 12, 31, tzinfo=dt.UTC).timestamp()))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1709214300")
    assert source_date_epoch(ROOT / "datasets") == "1709214300"


_CLOCK = re.compile(r"^(date|datetime)\.(today|now|utcnow)$|^time\.(time|time_ns|localtime|gmtime|ctime|strftime)$")


def _clock_calls(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, call, enclosing function) for every call that reads the clock in one module."""
    tree = ast.parse(path.read_text("utf-8"))
    out = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            if isinstance(child, ast.Call):
                text = ast.unparse(child.func)
                short = ".".join(text.split(".")[-2:])
                if _CLOCK.match(short):
                    out.append((child.lineno, text, func))
            visit(child, name)

    visit(tree, None)
    return out


# Where reading the clock is allowed, and why: only the fallback when no SOURCE_DATE_EPOCH is set
# (build_site always sets it before MkDocs runs). Timing progress with time.monotonic() is not a date.
CLOCK_ALLOWED = {("site.py", "build_date")}


def test_nothing_in_the_build_reads_the_clock():
    found = []
    for path in sorted((ROOT / "scripts" / "transparency_site").glob("*.py")):
        for line, call, func in _clock_calls(path):
            if (path.name, func) not in CLOCK_ALLOWED:
                found.append(f"{path.name}:{line} {call} in {func}")
    assert not found, found
