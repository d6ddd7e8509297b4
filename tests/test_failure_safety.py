"""Failure safety: a failed or killed build leaves the previous site as it was (issue 6, item 5).

A copy of the project starts with a complete site/ (the session's example site). Builds that fail on
bad data or bad configuration, builds killed with SIGKILL at several points, and a swap interrupted
between its two renames must each leave site/ exactly the previous site or, only when the kill came
after the swap, exactly the complete new site: never a mix, never missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project
from transparency_site import build as build_mod
from transparency_site.build import BuildFailed, build_site
from transparency_site.validate import InvalidData

# The killed and the final builds use this date, so the new site differs from the previous one
# (its accessibility statement says when it was tested) and every complete new build is identical.
NEW_EPOCH = str(int(dt.datetime(2024, 2, 29, 13, 45, tzinfo=dt.UTC).timestamp()))


def hashes(site: Path) -> dict[str, str] | None:
    """Every file's SHA-256 by relative path; None when there is no site at all."""
    if not site.is_dir():
        return None
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.glob(".site-build-*"))


def _project_with_site(dest: Path, example_site: Path) -> Path:
    project = copy_project(dest)
    shutil.copytree(example_site, project / "site")
    return project


def _break_data(project: Path) -> None:
    path = project / "datasets" / "complaints.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",", ",not-a-date,", 1)
    path.write_text("".join(lines), "utf-8")


# ---- failed builds -------------------------------------------------------------------------------


@pytest.fixture()
def with_site(tmp_path, example_site) -> tuple[Path, dict]:
    project = _project_with_site(tmp_path / "project", example_site)
    return project, hashes(project / "site")


def test_bad_data_leaves_the_previous_site(with_site):
    project, before = with_site
    _break_data(project)
    with pytest.raises(InvalidData):
        build_site(project / "mkdocs.yml", project / "site")
    assert hashes(project / "site") == before
    assert leftovers(project) == []


def test_bad_configuration_leaves_the_previous_site(with_site):
    """A failure after the temporary folder exists (MkDocs refuses the config) removes that folder."""
    project, before = with_site
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text("utf-8").replace("markdown_extensions:\n", "markdown_extensions:\n  - no_such_extension\n"), "utf-8")
    with pytest.raises(BuildFailed):
        build_site(cfg, project / "site")
    assert hashes(project / "site") == before
    assert leftovers(project) == []


# ---- the swap ------------------------------------------------------------------------------------


def _folder(path: Path, content: str) -> Path:
    (path / "sub").mkdir(parents=True)
    (path / "index.html").write_text(content)
    (path / "sub" / "page.html").write_text(content)
    return path


def test_swap_exchanges_in_one_step(tmp_path, monkeypatch):
    live, new = _folder(tmp_path / "site", "old"), _folder(tmp_path / ".site-build-x", "new")
    calls = []
    real_replace = os.replace

    def spy(a, b):
        calls.append((a, b))
        return real_replace(a, b)

    monkeypatch.setattr(build_mod.os, "replace", spy)
    build_mod._swap(new, live)
    assert (live / "index.html").read_text() == "new" and (live / "sub" / "page.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    if sys.platform.startswith("linux"):
        assert calls == [], "on Linux the swap is one atomic exchange, not two renames"


def test_swap_killed_between_renames_is_recovered_by_the_next_build(with_site, monkeypatch):
    """Where no atomic exchange exists the swap is two renames; a kill between them leaves no site/,
    and the trash holds the previous complete site. The next build — even a failing one — puts it back."""
    project, before = with_site
    new = _folder(project / ".site-build-new", "new")
    monkeypatch.setattr(build_mod, "_exchange", lambda a, b: False)
    real_replace = os.replace
    calls = []

    def killed_on_second(a, b):
        calls.append((a, b))
        if len(calls) == 2:
            raise SystemExit("killed between the renames")
        return real_replace(a, b)

    monkeypatch.setattr(build_mod.os, "replace", killed_on_second)
    with pytest.raises(SystemExit):
        build_mod._swap(new, project / "site")
    monkeypatch.setattr(build_mod.os, "replace", real_replace)
    assert not (project / "site").exists()
    assert hashes(project / ".site-build-old") == before, "the trash must hold the previous complete site"
    _break_data(project)
    with pytest.raises(InvalidData):
        build_site(project / "mkdocs.yml", project / "site")
    assert hashes(project / "site") == before
    assert leftovers(project) == []


# ---- killed builds -------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRANSPARENCY_DATASETS"}
    env["SOURCE_DATE_EPOCH"] = NEW_EPOCH
    env["TRANSPARENCY_CACHE"] = ""  # no chart cache: every killed build does the whole work, as a first build does
    return env


def _new_temp(project: Path, before: set[str]) -> list[Path]:
    return [p for p in project.glob(".site-build-*") if p.name not in before and p.name != ".site-build-old"]


def _triggers():
    """(name, test(project, seconds since start, leftovers before start)) — when to kill."""
    def after(s):
        return lambda project, t, before: t >= s

    def temp_has(name):
        return lambda project, t, before: any((p / name).exists() for p in _new_temp(project, before))

    return [
        ("0.5 s", after(0.5)),
        ("2 s", after(2)),
        ("5 s", after(5)),
        ("10 s", after(10)),
        ("temporary folder appears", lambda project, t, before: bool(_new_temp(project, before))),
        ("index.html written", temp_has("index.html")),
    ]


def _run_and_kill(project: Path, trigger) -> tuple[bool, float]:
    """Start a build in its own process group, SIGKILL the group when ``trigger`` fires.
    Returns (finished before the trigger, seconds)."""
    before = {p.name for p in project.glob(".site-build-*")}
    proc = subprocess.Popen([sys.executable, "-m", "transparency_site.cli", "build"], cwd=project, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    start = time.monotonic()
    try:
        while proc.poll() is None:
            t = time.monotonic() - start
            if trigger(project, t, before):
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if t > 300:
                raise AssertionError("the build did not reach its kill point in 300 s")
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return proc.returncode == 0, time.monotonic() - start


@pytest.fixture(scope="module")
def kills(tmp_path_factory, example_site):
    """Kill builds at every point, then build normally. Returns the previous site's hashes, each kill's
    outcome, and the final build's project."""
    project = _project_with_site(tmp_path_factory.mktemp("killed") / "project", example_site)
    previous = hashes(project / "site")
    outcomes = []
    for name, trigger in _triggers():
        # What was live just before this run: a run that finished (a fast machine, a warm chart cache)
        # leaves the new site live for the runs after it.
        live = hashes(project / "site")
        finished, seconds = _run_and_kill(project, trigger)
        outcomes.append({"name": name, "finished": finished, "seconds": round(seconds, 1), "before": live,
                         "site": hashes(project / "site"), "leftovers": leftovers(project)})
    left_before_final = leftovers(project)
    final = subprocess.run([sys.executable, "-m", "transparency_site.cli", "build"], cwd=project, env=_env(),
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr
    return {"project": project, "previous": previous, "outcomes": outcomes, "new": hashes(project / "site"),
            "left_before_final": left_before_final}


def test_the_new_site_differs_from_the_previous(kills):
    """Otherwise 'previous or new' would not tell a mix from either."""
    assert kills["new"] != kills["previous"]
    page = (kills["project"] / "site" / "about" / "accessibility" / "index.html").read_text("utf-8")
    # SOURCE_DATE_EPOCH is honoured: the build date shown is the one given, not data_as_of or the clock.
    assert "This website was last tested on 29 February 2024" in page


def test_every_kill_leaves_a_whole_site(kills):
    bad = []
    for o in kills["outcomes"]:
        if o["site"] is None:
            bad.append(f"{o['name']}: no site/ at all")
        elif o["site"] == o["before"]:
            continue
        elif o["site"] == kills["new"]:
            # The swap had happened: a kill while the old copy was being deleted still leaves a whole site.
            continue
        else:
            prev, new = kills["previous"], kills["new"]
            mixed = sum(1 for k, v in o["site"].items() if prev.get(k) != v)
            bad.append(f"{o['name']}: a mix ({mixed} files differ from the previous site, "
                       f"{sum(1 for k, v in o['site'].items() if new.get(k) != v)} from the new)")
    assert not bad, "\n".join(bad)


def test_kills_before_the_end_keep_the_previous_site(kills):
    # These kills always come while MkDocs is still at work (5 s and 10 s may not, on a fast machine).
    early = [o for o in kills["outcomes"] if o["name"] in ("0.5 s", "2 s", "temporary folder appears", "index.html written")]
    assert len(early) == 4 and not any(o["finished"] for o in early), [(o["name"], o["seconds"]) for o in early]
    assert all(o["site"] == o["before"] for o in early)
    # The kills did leave temporary folders behind (so the clean-up below is tested).
    assert any(o["leftovers"] for o in kills["outcomes"])


def test_a_normal_build_afterwards_cleans_up(kills):
    assert kills["left_before_final"], "the kills left nothing to clean up"
    assert leftovers(kills["project"]) == []
    assert (kills["project"] / "site" / "index.html").is_file()
