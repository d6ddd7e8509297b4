"""The example site builds in strict mode, and the generated pages follow the data (issue 2, 3)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import build, copy_project

pytestmark = pytest.mark.slow


def _text(html_path: Path) -> str:
    html = html_path.read_text("utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _yaml(path: Path) -> dict:
    from transparency_site.load import read_yaml

    return read_yaml(path)


def test_example_site_has_every_page(example_site: Path):
    for page in ["index.html", "how-to-complain/index.html", "policy/index.html", "performance/index.html",
                 "performance/complaints/index.html", "performance/services/index.html", "performance/compliments/index.html",
                 "performance/ombudsman/index.html", "performance/contact/index.html", "performance/standards/index.html",
                 "performance/improvements/index.html", "about/methodology/index.html", "about/accessibility/index.html",
                 "about/privacy/index.html"]:
        assert (example_site / page).is_file(), page
    services = [s for s in (example_site / "performance" / "services").iterdir() if s.is_dir()]
    assert len(services) >= 12


def test_how_to_complain_matches_policy(example_site: Path):
    policy = _yaml(Path(__file__).parent.parent / "datasets" / "policy.yaml")
    text = _text(example_site / "how-to-complain" / "index.html")
    for stage in policy["stages"]:
        assert stage["name"] in text
        assert f"within: {stage['acknowledge_within_working_days']} working days" in text
        assert f"We will reply within: {stage['respond_within_working_days']} working days" in text
        assert stage["handled_by"] in text
    for e in policy["escalation"]:
        assert e["name"] in text


def test_home_and_complaints_pages_show_seed_figures(example_site: Path):
    home = _text(example_site / "index.html")
    assert "344" in home and "276" in home and "+25%" in home
    assert "Complaints rose by 25%, from 276 in 2021/22 to 344 in 2022/23." in home
    complaints = _text(example_site / "performance" / "complaints" / "index.html")
    assert "344" in complaints and "276" in complaints and "+25%" in complaints
    assert "2023/24 (Q1–Q3)" in complaints


def test_charts_are_accessible_inline_svg(example_site: Path):
    html = (example_site / "performance" / "complaints" / "index.html").read_text("utf-8")
    figures = re.findall(r'<figure id="([^"]+)" class="ts-figure">(.*?)</figure>', html, flags=re.S)
    assert len(figures) >= 8
    for fid, body in figures:
        assert re.search(r'<svg[^>]*role="img"', body), fid
        assert re.search(r'<svg[^>]*aria-labelledby="[^"]+"', body), fid
        assert 'class="ts-summary"' in body and "<table" in body and 'scope="col"' in body, fid
        assert ".csv" in body and "Cite this" in body, fid
    assert "<script" not in "".join(b for _, b in figures)


def test_changing_a_timescale_changes_the_page(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "datasets" / "policy.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("respond_within_working_days: 10", "respond_within_working_days: 7", 1), "utf-8")
    site = build(project)
    assert "We will reply within: 7 working days" in _text(site / "how-to-complain" / "index.html")


def test_three_stage_policy_builds(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "datasets" / "policy.yaml"
    policy = _yaml(path)
    third = dict(policy["stages"][-1], id=3, name="Stage 3", handled_by="The Chief Executive's review panel")
    policy["stages"].append(third)
    path.write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), "utf-8")
    site = build(project)
    text = _text(site / "how-to-complain" / "index.html")
    assert "Our complaints process has 3 stages" in text
    assert "Stage 3" in text and "review panel" in text


def test_council_without_landlord_services_builds(tmp_path):
    project = copy_project(tmp_path / "p")
    ds = project / "datasets"
    services = (ds / "services.csv").read_text("utf-8").replace(",true\n", ",false\n")
    (ds / "services.csv").write_text(services, "utf-8")
    council = _yaml(ds / "council.yaml")
    for key in ("homes_owned", "homes_owned_by_year"):
        council.pop(key, None)
    (ds / "council.yaml").write_text(yaml.safe_dump(council, sort_keys=False, allow_unicode=True), "utf-8")
    cases = (ds / "ombudsman_cases.csv").read_text("utf-8").splitlines(keepends=True)
    (ds / "ombudsman_cases.csv").write_text("".join(line for line in cases if ",hos," not in line), "utf-8")
    policy = _yaml(ds / "policy.yaml")
    policy["escalation"] = [e for e in policy["escalation"] if e["ombudsman"] != "hos"]
    (ds / "policy.yaml").write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), "utf-8")
    site = build(project)
    text = _text(site / "performance" / "complaints" / "index.html")
    assert "Tenant Satisfaction" not in text
    assert "Housing Ombudsman" not in _text(site / "how-to-complain" / "index.html")


def test_optional_dataset_absent_removes_its_section(tmp_path):
    project = copy_project(tmp_path / "p")
    ds = project / "datasets"
    (ds / "calls.csv").unlink()
    pkg = yaml.safe_load((ds / "datapackage.yaml").read_text("utf-8"))
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] != "calls"]
    (ds / "datapackage.yaml").write_text(yaml.safe_dump(pkg, sort_keys=False, allow_unicode=True), "utf-8")
    site = build(project)
    text = _text(site / "performance" / "contact" / "index.html")
    assert "Phone calls" not in text and "Calls answered" not in text


def test_broken_data_stops_build_with_one_line_per_problem(tmp_path):
    project = copy_project(tmp_path / "p")
    ds = project / "datasets"
    lines = (ds / "complaints.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("received")] = "20/02/2024"
    lines[1] = ",".join(row)
    (ds / "complaints.csv").write_text("\n".join(lines) + "\n", "utf-8")
    (project / "site").mkdir()
    (project / "site" / "index.html").write_text("previous site", "utf-8")
    run = subprocess.run([sys.executable, "-m", "transparency_site.cli", "build"], cwd=project, capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "complaints.csv:2:received" in run.stderr
    assert "2024-02-20" in run.stderr
    # The previous site is untouched.
    assert (project / "site" / "index.html").read_text("utf-8") == "previous site"


def test_unknown_name_in_hand_written_page_fails_build(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "docs" / "extra.md").write_text("# Extra\n\n{{ council.nmae }}\n", "utf-8")
    run = subprocess.run([sys.executable, "-m", "transparency_site.cli", "build"], cwd=project, capture_output=True, text=True)
    assert run.returncode == 1
    assert "docs/extra.md" in run.stderr and "nmae" in run.stderr
    assert "Traceback" not in run.stderr


def test_hand_written_page_can_cite_figures(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "docs" / "extra.md").write_text(
        "# Extra\n\n{{ council.name }} received {{ figure('complaints_received', '2022/23') }} complaints.\n", "utf-8")
    site = build(project)
    html = (site / "extra" / "index.html").read_text("utf-8")
    assert "Castlemere District Council received" in html
    assert re.search(r'<a href="[^"]*#complaints-received-2022-23"[^>]*>344</a>', html)
    (project / "docs" / "extra.md").write_text("# Extra\n\n{{ figure('complaints_received', '1999/00') }}\n", "utf-8")
    run = subprocess.run([sys.executable, "-m", "transparency_site.cli", "build"], cwd=project, capture_output=True, text=True)
    assert run.returncode == 1 and "docs/extra.md" in run.stderr and "1999/00" in run.stderr
