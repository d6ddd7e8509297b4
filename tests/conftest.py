"""Shared fixtures: the example datasets and one build of the example site per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
CONFIG = ROOT / "mkdocs.yml"
REAL_TSM = ROOT.parent / "shared" / "real-data" / "rsh-tsm-2023-24" / "2024_TSM_Full_Data_v1.1_FINAL.xlsx"


def copy_project(dest: Path) -> Path:
    """A throwaway copy of the site's own files (mkdocs.yml, docs/, overrides/, datasets/)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, dest / "mkdocs.yml")
    for name in ("docs", "overrides", "datasets"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    return dest


def build(project: Path, site: Path | None = None) -> Path:
    from transparency_site.build import build_site

    return build_site(project / "mkdocs.yml", site or project / "site")


@pytest.fixture()
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Path:
    """The example council's site, built once for every test that only reads it."""
    project = copy_project(tmp_path_factory.mktemp("example") / "project")
    return build(project)


_SUMMARY = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def terminal_summary(request) -> list[str]:
    """Lines a test wants shown at the end of the run (pages checked, reading grades), even without -s."""
    return request.config.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("site checks")
        for line in lines:
            terminalreporter.write_line(line)
