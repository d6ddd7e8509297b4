"""Annual complaints performance and service improvement reports (reports.py).

The example council's figures for 2022/23 were checked by hand against datasets/ (344 complaints; six
Housing Ombudsman decisions; CH01/CH02 numerators and denominators from complaints.csv and
council.yaml). The TSM fixture below was worked out from the calendar, not by running the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
from pathlib import Path

import pytest
import yaml

from conftest import DATASETS, build, copy_project
from transparency_site import load, measures, performance, reports, validate
from transparency_site.figures import Registry

D = dt.date.fromisoformat

SECTIONS_2022 = [
    "Summary",
    "Complaints we received and how we handled them",
    "Complaints we did not accept, and why",
    "Ombudsman decisions and findings of non-compliance",
    "What we learned and changed",
    "The ombudsman's annual letter",
    "Self-assessment against the Complaint Handling Code",
    "Tenant Satisfaction Measures",
    "Governing body's response",
]


# ---- reading built pages ---------------------------------------------------------------------------


def text(fragment: str) -> str:
    fragment = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def article(site: Path, path: str) -> str:
    page = (site / path / "index.html").read_text(encoding="utf-8")
    return page[page.index("<article"): page.index("</article>")]


def h2s(fragment: str) -> list[str]:
    return [text(m) for m in re.findall(r"<h2[^>]*>(.*?)</h2>", fragment, flags=re.S)]


def sections(fragment: str) -> dict[str, str]:
    """h2 text → the HTML up to the next h2."""
    parts = re.split(r"(<h2[^>]*>.*?</h2>)", fragment, flags=re.S)
    return {text(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def table_rows(fragment: str) -> list[list[str]]:
    return [[text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", fragment, flags=re.S)]


def row_starting(fragment: str, *first: str) -> list[str]:
    hits = [r for r in table_rows(fragment) if r[: len(first)] == list(first)]
    assert len(hits) == 1, (first, hits)
    return hits[0]


# ---- the example council: a complete year ------------------------------------------------------------


def test_complete_year_has_every_section_in_order(example_site):
    page = article(example_site, "reports/2022-23")
    assert "ts-report-marker" in page
    assert text(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)) == "Complaints performance and service improvement report 2022/23"
    assert h2s(page) == SECTIONS_2022
    assert "Interim" not in text(page)
    # No empty section: every h2 is followed by text before the next h2.
    assert all(text(body) for body in sections(page).values())


def test_complete_year_figures(example_site):
    s = sections(article(example_site, "reports/2022-23"))
    summary = text(s["Summary"])
    assert "344 Complaints received in 2022/23" in summary and "+25% on 2021/22" in summary
    handled = s["Complaints we received and how we handled them"]
    assert row_starting(handled, "Complaints received") == ["Complaints received", "276", "344", "+68 (+25%)"]
    assert row_starting(handled, "Stage 1: complaints received")[1:3] == ["243", "303"]
    assert row_starting(handled, "Stage 2: complaints received")[1:3] == ["33", "41"]
    assert row_starting(handled, "Housing Repairs")[1:3] == ["61", "64"]
    # Timeliness: the Code's timescales beside the council's policy, with the year's results.
    timeliness = row_starting(handled, "Stage 1")
    assert "reply within 10 working days of acknowledging" in timeliness[1]
    assert timeliness[3:] == ["91.1%", "97.4%"]
    assert "reply within 20 working days of acknowledging" in row_starting(handled, "Stage 2")[1]
    # Not accepted: the schema's reason labels, and the year's total.
    refused = s["Complaints we did not accept, and why"]
    assert "did not accept 9 complaints" in text(refused)
    assert row_starting(refused, "A request for a service, not a complaint")
    assert row_starting(refused, "More than 12 months old")


def test_complete_year_ombudsman_cases(example_site):
    part = sections(article(example_site, "reports/2022-23"))["Ombudsman decisions and findings of non-compliance"]
    with open(DATASETS / "ombudsman_cases.csv", encoding="utf-8") as fh:
        hos = sorted(r["outcome"] for r in csv.DictReader(fh)
                     if r["ombudsman"] == "hos" and r["decided"] and "2022-04-01" <= r["decided"] <= "2023-03-31")
    assert len(hos) == 6
    shown = [r for r in table_rows(part) if r and r[0] == "Housing Ombudsman"]
    labels = {"maladministration": "Maladministration", "no_maladministration": "No maladministration",
              "outside_jurisdiction": "Outside jurisdiction", "referred_back": "Referred back for local resolution"}
    assert sorted(r[2] for r in shown) == sorted(labels[o] for o in hos)
    assert ["Housing Ombudsman", "Housing Repairs", "Maladministration", "£300", "On time"] in shown
    assert row_starting(part, "Ombudsman decisions")[1:3] == ["14", "15"]
    assert row_starting(part, "Money paid as ombudsman remedies")[2] == "£650"
    assert "No ombudsman finding of non-compliance with the Complaint Handling Code is recorded for 2022/23" in text(part)
    # No case reference or personal detail: the ombudsman's own case ids are not published here.
    assert "OC-20" not in part


def test_complete_year_tsm_with_numerators_and_denominators(example_site):
    part = sections(article(example_site, "reports/2022-23"))["Tenant Satisfaction Measures"]
    assert row_starting(part, "CH01 stage 1: complaints per 1,000 homes", "2022/23") == [
        "CH01 stage 1: complaints per 1,000 homes", "2022/23", "18.1 per 1,000", "78", "4,315"]
    assert row_starting(part, "CH01 stage 2: complaints per 1,000 homes", "2022/23")[2:] == ["3.5 per 1,000", "15", "4,315"]
    assert row_starting(part, "CH02 stage 1: answered within the Code's timescales", "2022/23")[2:] == ["97.4%", "76", "78"]
    assert row_starting(part, "CH02 stage 2: answered within the Code's timescales", "2022/23")[2:] == ["80.0%", "12", "15"]
    assert row_starting(part, "CH01 stage 1: complaints per 1,000 homes", "2021/22")[3:] == ["78", "4,331"]


def test_self_assessment_letter_and_response(example_site):
    s = sections(article(example_site, "reports/2022-23"))
    sa = s["Self-assessment against the Complaint Handling Code"]
    assert "Compliant with 8 of 12 provisions, partly with 4, not with 0." in text(sa)
    row = row_starting(sa, "6.2")
    assert row[2] == "Partly" and row[4].endswith("By 31 October 2023.")
    # Compliance in words, with a symbol class: never colour alone.
    assert '<span class="ts-status ts-status--partly">Partly</span>' in sa
    assert '<span class="ts-status ts-status--met">Yes</span>' in sa
    letter = text(s["The ombudsman's annual letter"])
    assert "wrote its annual letter about us on 19 July 2023" in letter
    assert 'href="https://www.lgo.org.uk/information-centre/councils-performance"' in s["The ombudsman's annual letter"]
    response = text(s["Governing body's response"])
    assert "Corporate Scrutiny Committee responded on 12 September 2023" in response
    assert "damp and mould complaints" in response


def test_report_can_be_cited(example_site):
    page = text(article(example_site, "reports/2022-23"))
    assert ("Cite this report as: Castlemere District Council. Complaints performance and service improvement report 2022/23. "
            "Complaints data, edition") in page
    assert "https://complaints.castlemere.example/reports/2022-23/" in page


def test_methodology_states_the_tsm_definitions_and_readings(example_site):
    page = text(article(example_site, "about/methodology"))
    ch02 = page[page.index("Tenant Satisfaction Measure CH02"):]
    assert "Regulator of Social Housing" in ch02 and "data dictionary" in ch02
    assert "an extension agreed within the Code's limits counts as within the timescales" in ch02
    assert "the denominator is complaints made in the year" in ch02


def test_report_figures_link_to_their_permalinks(example_site):
    page = article(example_site, "reports/2022-23")
    # Figures first placed on the performance pages are links to them; the others are anchored here.
    assert re.search(r'href="[^"]*#complaints-received-2022-23"', page)
    assert 'id="tsm-ch01-2021-22-1"' in page or re.search(r'href="[^"]*#tsm-ch01-2021-22-1"', page)


# ---- the example council: a year to date ------------------------------------------------------------


def test_interim_year_is_labelled_and_compared_with_the_same_quarters(example_site):
    page = article(example_site, "reports/2023-24")
    first_h2 = page.index("<h2")
    assert "Interim report: figures for 2023/24 up to 31 December 2023, not a full year." in text(page[:first_h2])
    assert text(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)).startswith("Interim complaints performance")
    s = sections(page)
    handled = s["Complaints we received and how we handled them"]
    assert table_rows(handled)[0][:3] == ["Measure", "2022/23, same quarters", "2023/24 (Q1–Q3)"]
    assert row_starting(handled, "Complaints received")[1:] == ["238", "227", "−11 (−4.6%)"]
    # A part year's TSMs are never set beside a full year's.
    assert {r[1] for r in table_rows(s["Tenant Satisfaction Measures"])[1:]} == {"2023/24 (Q1–Q3)"}
    assert "has not been published yet" in text(s["Governing body's response"])
    assert "not yet published a self-assessment" in text(s["Self-assessment against the Complaint Handling Code"])
    assert all(text(body) for body in sections(page).values())


def test_index_lists_every_year(example_site):
    page = article(example_site, "reports")
    assert "Complaints performance and service improvement report 2023/24 (interim report, not a full year)" in text(page)
    for y in ("2019-20", "2020-21", "2021-22", "2022-23", "2023-24"):
        assert f'href="{y}/"' in page


# ---- a council without housing -----------------------------------------------------------------------


def _without_housing(root: Path) -> None:
    ds = root / "datasets"
    services = (ds / "services.csv").read_text(encoding="utf-8").replace(",true\n", ",false\n")
    (ds / "services.csv").write_text(services, encoding="utf-8")
    council = yaml.safe_load((ds / "council.yaml").read_text(encoding="utf-8"))
    council.pop("homes_owned", None)
    council.pop("homes_owned_by_year", None)
    (ds / "council.yaml").write_text(yaml.safe_dump(council, sort_keys=False, allow_unicode=True), encoding="utf-8")
    lines = (ds / "ombudsman_cases.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (ds / "ombudsman_cases.csv").write_text("".join(line for line in lines if ",hos," not in line), encoding="utf-8")
    sa = (ds / "self_assessment.yaml").read_text(encoding="utf-8").replace("code: hos_2024", "code: lgsco_2024")
    (ds / "self_assessment.yaml").write_text(sa, encoding="utf-8")
    # Officers' commentary: Markdown renders, raw HTML and template syntax do not.
    (ds / "commentary").mkdir()
    (ds / "commentary" / "2022-23.md").write_text(
        "# What the year showed\n\nComplaints about **planning** rose after the new system went live.\n\n"
        "<script>alert('x')</script> {{ figure('complaints_received', '2022/23') }} {: onclick=\"alert(1)\" }\n\n"
        "[A bad link](javascript:alert(1)) and [the council](https://www.castlemere.example/).\n", encoding="utf-8")


@pytest.mark.slow
def test_council_without_housing_builds_without_tsm_or_empty_sections(tmp_path):
    project = copy_project(tmp_path / "project")
    _without_housing(project)
    site = build(project)
    page = article(site, "reports/2022-23")
    headings = h2s(page)
    assert "Tenant Satisfaction Measures" not in headings
    assert "Officers' commentary" in headings
    assert headings.index("Officers' commentary") == headings.index("The ombudsman's annual letter") + 1
    assert all(text(body) for body in sections(page).values())
    assert "TSM" not in text(page) and "per 1,000 homes" not in text(page) and "Housing Ombudsman" not in text(page)
    assert "Self-assessment against the Local Government and Social Care Ombudsman Complaint Handling Code 2024" in text(page)
    commentary = sections(page)["Officers' commentary"]
    assert "<strong>planning</strong>" in commentary
    assert re.search(r"<h3[^>]*>What the year showed", commentary)
    assert "<script" not in commentary and "&lt;script&gt;" in commentary
    assert not re.search(r"<[^>]*\sonclick=", commentary)  # the attribute list stayed text
    assert "javascript:" not in re.sub(r">[^<]*<", "><", commentary)  # never as a link target
    assert 'href="https://www.castlemere.example/"' in commentary
    assert "figure(" in text(commentary)  # shown as text, not run
    for path in (site / "reports").glob("*/index.html"):
        assert "Tenant Satisfaction Measures" not in h2s(path.read_text(encoding="utf-8"))


def test_safe_markdown_keeps_markdown_and_drops_markup():
    out = reports.safe_markdown("# Title\n\n> A quote\n\n<b>x</b> {: .cls } [a](javascript:alert(1)) [b](https://x.example/)\n"
                                "[ref]: javascript:alert(2)\n")
    assert out.startswith("### Title")
    assert "\n> A quote" in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "{" not in out and "}" not in out
    assert "](#" in out and "javascript:alert(1)" not in out.split("](")[1]
    assert "[ref]: #" in out
    assert "[b](https://x.example/)" in out


# ---- TSM at report level against a hand-computed fixture ---------------------------------------------

LANDLORD = "housing-repairs"
STAGE_1 = {"id": 1, "name": "Stage 1", "handled_by": "The service", "signed_off_by": "A head of service",
           "acknowledge_within_working_days": 5, "respond_within_working_days": 5, "clock_starts": "receipt",
           "max_extension_working_days": 0}  # stricter than the Code: CH02 must not use it
STAGE_2 = {"id": 2, "name": "Stage 2", "handled_by": "Complaints team", "signed_off_by": "The chief executive",
           "acknowledge_within_working_days": 5, "respond_within_working_days": 20, "clock_starts": "acknowledgement",
           "max_extension_working_days": 20}


def _c(cid, received, *, stage=1, service=LANDLORD, ack=None, responded=None, ext=None, esc=None):
    return {"complaint_id": cid, "stage": stage, "escalated_from": esc, "service_id": service, "received": D(received),
            "acknowledged": D(ack) if ack else None, "extension_working_days": ext, "responded": D(responded) if responded else None,
            "outcome": "not_upheld" if responded else None, "not_accepted_reason": None, "channel": "email", "category": "delay"}


def tsm_fixture() -> list[dict]:
    # October–December 2022 has no bank holiday in England. Stage 1, Code: acknowledge within 5 working
    # days of receipt, reply within 10 of acknowledgement, extension up to 10.
    # Acknowledged Tue 4 Oct → 10 working days → Tue 18 Oct; +10 → Tue 1 Nov.
    return [
        _c("a1", "2022-10-03", ack="2022-10-04", responded="2022-10-18"),  # within
        _c("a2", "2022-10-03", ack="2022-10-04", responded="2022-11-01", ext=10),  # within an extension at the Code's limit
        _c("a3", "2022-10-03", ack="2022-10-04", responded="2022-11-02", ext=15),  # beyond the Code's 10: not within
        _c("a4", "2022-10-03", ack="2022-10-04", responded="2022-10-19"),  # 11 working days, no extension: late
        _c("a5", "2022-10-03", ack="2022-10-04"),  # never answered: made, so counted, not within
        # Acknowledged late (Tue 11 Oct; due Mon 10 Oct): the clock starts Mon 10 Oct → Mon 24 Oct. Replied Tue 25: late.
        _c("a6", "2022-10-03", ack="2022-10-11", responded="2022-10-25"),
        # Stage 2: acknowledged Tue 11 Oct → 20 working days → Tue 8 Nov; +20 → Tue 6 Dec.
        _c("b1", "2022-10-10", stage=2, esc="a1", ack="2022-10-11", responded="2022-11-08"),  # within
        _c("b2", "2022-10-10", stage=2, esc="a2", ack="2022-10-11", responded="2022-12-06", ext=20),  # within its extension
        _c("b3", "2022-10-10", stage=2, esc="a4", ack="2022-10-11", responded="2022-11-09"),  # late
        _c("x1", "2022-10-03", service="council-tax", ack="2022-10-04", responded="2022-10-18"),  # not a landlord service
    ]


def fixture_context(tmp_path: Path) -> performance.Context:
    council = {"name": "Testham Borough Council", "short_name": "Testham", "country": "england", "council_type": "district",
               "website": "https://www.testham.example/", "site_url": "https://complaints.testham.example/", "residents": 50000,
               "data_as_of": "2023-03-31", "homes_owned": 2000,
               "contact": {"phone": "01234 567890", "email": "complaints@testham.example", "address": "Town Hall"}}
    policy = {"version": "1", "effective_from": "2020-04-01", "definition": "An expression of dissatisfaction.",
              "not_complaints": ["A request for service"], "ways_to_complain": [{"channel": "email", "how": "Email us"}],
              "stages": [STAGE_1, STAGE_2], "escalation": []}
    services = [{"service_id": "council-tax", "name": "Council Tax", "directorate": "Resources", "is_landlord_service": False},
                {"service_id": LANDLORD, "name": "Housing repairs", "directorate": "Housing", "is_landlord_service": True}]
    data = load.Data(root=tmp_path, council=council, policy=policy, tables={"services": services, "complaints": tsm_fixture()})
    rows = measures.compute_all(data)  # no disclosure control: the fixture's numbers are all small
    return performance.Context(data=data, rows=rows, years=measures.years(data), registry=Registry(council["site_url"]),
                               edition={"date": "2023-03-31", "status": "provisional", "label": "test"})


def test_tsm_in_the_report_against_a_hand_computed_fixture(tmp_path):
    built = {p.path: p for p in reports.pages(fixture_context(tmp_path))}
    assert set(built) == {"reports/index.md", "reports/2022-23.md"}
    md = built["reports/2022-23.md"].markdown
    tsm = md[md.index("## Tenant Satisfaction Measures"): md.index("## Governing body")]
    # CH01: 6 stage 1 and 3 stage 2 landlord complaints made ÷ 2,000 homes × 1,000.
    assert row_starting(tsm, "CH01 stage 1: complaints per 1,000 homes", "2022/23")[2:] == ["3.0 per 1,000", "6", "2,000"]
    assert row_starting(tsm, "CH01 stage 2: complaints per 1,000 homes", "2022/23")[2:] == ["1.5 per 1,000", "3", "2,000"]
    # CH02: within the Code's timescales (extensions within its limits count) ÷ complaints made.
    assert row_starting(tsm, "CH02 stage 1: answered within the Code's timescales", "2022/23")[2:] == ["33.3%", "2", "6"]
    assert row_starting(tsm, "CH02 stage 2: answered within the Code's timescales", "2022/23")[2:] == ["66.7%", "2", "3"]
    # The council's stricter stage 1 policy (5 working days from receipt, no extension) gives another answer.
    timeliness = row_starting(md, "Stage 1")
    assert timeliness[-1] == "33.3%" and timeliness[-2] != "33.3%"
    # Sections with nothing to show are left out, never printed empty.
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert "Ombudsman decisions and findings of non-compliance" not in headings and "What we learned and changed" not in headings
    assert headings[-1] == "Governing body's response"


def test_no_tsm_section_when_not_a_landlord(tmp_path):
    ctx = fixture_context(tmp_path)
    services = [dict(s, is_landlord_service=False) for s in ctx.data.table("services")]
    data = load.Data(root=tmp_path, council=ctx.data.council, policy=ctx.data.policy,
                     tables={"services": services, "complaints": ctx.data.table("complaints")})
    ctx = performance.Context(data=data, rows=measures.compute_all(data), years=measures.years(data),
                              registry=Registry(data.council["site_url"]), edition=ctx.edition)
    md = {p.path: p for p in reports.pages(ctx)}["reports/2022-23.md"].markdown
    assert "Tenant Satisfaction" not in md and "CH02" not in md


# ---- self-assessment validation ------------------------------------------------------------------------


@pytest.fixture()
def datasets_copy(tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(DATASETS, tmp_path / "datasets"))


def _codes(root: Path) -> list[tuple[str, str, str]]:
    return [(p.file, p.field, p.code) for p in validate.validate(root, frictionless=False) if p.file == "self_assessment.yaml"]


def test_self_assessment_example_is_valid(datasets_copy):
    assert _codes(datasets_copy) == []


def test_self_assessment_rejects_unknown_provision(datasets_copy):
    path = datasets_copy / "self_assessment.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("- ref: '6.13'", "- ref: '6.42'"), encoding="utf-8")
    assert _codes(datasets_copy) == [("self_assessment.yaml", "[1].provisions[10].ref", "unknown-provision")]


def test_self_assessment_rejects_missing_evidence(datasets_copy):
    path = datasets_copy / "self_assessment.yaml"
    text_ = path.read_text(encoding="utf-8")
    line = "    evidence: Our policy has two stages. Stage 2 is signed off by the Chief Executive.\n"
    assert line in text_
    path.write_text(text_.replace(line, ""), encoding="utf-8")
    assert _codes(datasets_copy) == [("self_assessment.yaml", "[1].provisions[7].evidence", "required")]


def test_non_compliance_findings_are_declared_and_shown(datasets_copy, tmp_path):
    path = datasets_copy / "self_assessment.yaml"
    sa = yaml.safe_load(path.read_text(encoding="utf-8"))
    sa[0]["non_compliance_findings"] = [{"ombudsman": "hos", "date": "2023-02-01", "finding": "Stage 2 replies were late.",
                                         "response": "We added a second investigator."}]
    path.write_text(yaml.safe_dump(sa, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert _codes(datasets_copy) == []
    sa[0]["non_compliance_findings"][0]["colour"] = "red"
    path.write_text(yaml.safe_dump(sa, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert _codes(datasets_copy)  # an unknown key is refused
    ctx = fixture_context(tmp_path)
    data = load.Data(root=tmp_path, council=ctx.data.council, policy=ctx.data.policy, tables=ctx.data.tables,
                     self_assessment=[{**sa[0], "non_compliance_findings": sa[0]["non_compliance_findings"][:1]}])
    data.self_assessment[0]["non_compliance_findings"][0].pop("colour")
    ctx = performance.Context(data=data, rows=ctx.rows, years=ctx.years, registry=Registry(data.council["site_url"]), edition=ctx.edition)
    md = {p.path: p for p in reports.pages(ctx)}["reports/2022-23.md"].markdown
    assert row_starting(md, "1 February 2023") == ["1 February 2023", "Housing Ombudsman", "Stage 2 replies were late.",
                                                   "We added a second investigator."]
