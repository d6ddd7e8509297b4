"""The GitHub Actions workflows: valid against GitHub's workflow schema, clean under zizmor's security
audit (offline: no network in tests), actions pinned to full commit SHAs, least privilege."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in the venv: run make setup")
    return str(path)


def load(path: Path) -> dict:
    # YAML 1.1 reads the key `on` as True; PyYAML's SafeLoader keeps that, so look it up either way.
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(doc: dict) -> dict:
    on = doc.get("on", doc.get(True))
    return on if isinstance(on, dict) else {name: None for name in ([on] if isinstance(on, str) else on)}


def steps(doc: dict):
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def test_there_are_the_two_workflows():
    assert {p.name for p in WORKFLOWS} == {"pr.yml", "publish.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_github_workflow_schema(path):
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def zizmor(path: Path) -> subprocess.CompletedProcess:
    # Offline, and without any GitHub token in reach: the audit must not depend on the network.
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--color", "never", str(path)],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_zizmor_finds_nothing(path):
    run = zizmor(path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_would_catch_an_unsafe_workflow(tmp_path):
    # The check above can fail: a workflow that runs a pull request's title as shell code is refused.
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n  greet:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n",
        encoding="utf-8",
    )
    run = zizmor(bad)
    assert run.returncode != 0
    assert "template-injection" in run.stdout + run.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_pinned_to_commit_with_version_comment(path):
    text = path.read_text(encoding="utf-8")
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for ref, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", ref), f"{ref} is not pinned to a full commit SHA"
        assert re.match(r"\s*#\s*v\d+\.\d+\.\d+\s*$", rest), f"{ref} has no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path):
    doc = load(path)
    assert doc["permissions"] == {"contents": "read"}
    for job_id, step in steps(doc):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, job_id
        # No ${{ }} expansions inside shell scripts: nothing from a pull request is run as code.
        assert "${{" not in str(step.get("run", "")), (job_id, step.get("name"))


def test_pull_requests_validate_test_build_and_upload_a_preview():
    doc = load(ROOT / ".github" / "workflows" / "pr.yml")
    assert "pull_request" in triggers(doc) and "pull_request_target" not in triggers(doc)
    runs = [s.get("run", "") for _, s in steps(doc)]
    assert any("transparency-site validate --format github" in r for r in runs)
    assert "make test" in runs and "make site" in runs
    upload = [s for _, s in steps(doc) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and upload[0]["with"]["path"].rstrip("/") == "site"
    assert all("permissions" not in job for job in doc["jobs"].values())


def test_main_publishes_to_pages_with_the_official_actions():
    doc = load(ROOT / ".github" / "workflows" / "publish.yml")
    on = triggers(doc)
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on
    assert doc["concurrency"]["group"] and doc["concurrency"]["cancel-in-progress"] is False
    build, deploy = doc["jobs"]["build"], doc["jobs"]["deploy"]
    runs = [s.get("run", "") for s in build["steps"]]
    assert runs.index(".venv/bin/transparency-site validate --format github") < runs.index("make test") < runs.index("make site")
    assert "permissions" not in build
    assert any(str(s.get("uses", "")).startswith("actions/upload-pages-artifact@") for s in build["steps"])
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    used = [str(s.get("uses", "")).split("@")[0] for s in deploy["steps"]]
    assert used == ["actions/configure-pages", "actions/deploy-pages"]
    assert not any("run" in s for s in deploy["steps"])  # the job with write access runs no repository code
