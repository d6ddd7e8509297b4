"""`transparency-site serve` previews the site and rebuilds when a file in datasets/ changes (issue 8)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import copy_project

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8")
    except OSError:
        return None


def _wait(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(1)
    return False


def test_serve_rebuilds_when_a_csv_changes_and_shows_problems(tmp_path):
    project = copy_project(tmp_path / "p")
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "transparency_site.cli", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "CI": "true"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        assert _wait(lambda: "Castlemere" in (_get(url) or ""), 240), (tmp_path / "serve.log").read_text()
        # Break a date: the terminal names the cell and the preview shows the problem instead of the site.
        csv = project / "datasets" / "complaints.csv"
        good = csv.read_text("utf-8")
        lines = good.splitlines()
        header = lines[0].split(",")
        cells = lines[1].split(",")
        cells[header.index("received")] = "20/02/2024"
        csv.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", "utf-8")
        assert _wait(lambda: "Problems in the data" in (_get(url) or ""), 240), (tmp_path / "serve.log").read_text()
        output = (tmp_path / "serve.log").read_text("utf-8")
        assert "complaints.csv:2:received" in output
        assert "Traceback" not in output
        assert proc.poll() is None  # still serving
        # Fix it: the site comes back.
        csv.write_text(good, "utf-8")
        assert _wait(lambda: "How to complain" in (_get(url) or ""), 240)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
