"""Validation: one failing fixture per business rule, with the exact problems expected.

The fixtures start from a small valid datasets folder written here (``write_minimal_package``), not
from the example generator, and change one thing each. test_bad_inputs.py, test_fuzz_validate.py and
test_privacy.py import the helpers below.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from transparency_site import schema
from transparency_site.validate import PROBLEM_CODES, InvalidData, Problem, check, format_problems, validate

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------------
# A minimal valid datasets folder. Row numbers below are the spreadsheet rows the tests refer to.

COUNCIL_YAML = """\
name: Testshire District Council
short_name: Testshire
country: england
council_type: district
website: https://www.testshire.example/
site_url: https://complaints.testshire.example/
residents: 50000
homes_owned: 1200
data_as_of: "2024-03-31"
contact:
  phone: 01632 960000
  email: complaints@testshire.example
  address: Council Offices, High Street, Testtown TE1 1AA
  complaint_form_url: https://www.testshire.example/complain
disclosure_threshold: 5
"""

POLICY_YAML = """\
version: "3.0"
effective_from: "2024-01-01"
definition: An expression of dissatisfaction, however made, about the standard of service.
not_complaints:
  - A first request for a service
ways_to_complain:
  - channel: online_form
    how: Use the form on our website.
    url: https://www.testshire.example/complain
  - channel: phone
    how: Call us on 01632 960000.
stages:
  - id: 1
    name: Stage 1
    handled_by: The service manager
    signed_off_by: The head of service
    acknowledge_within_working_days: 5
    respond_within_working_days: 10
    clock_starts: acknowledgement
    max_extension_working_days: 10
  - id: 2
    name: Stage 2
    handled_by: The complaints team
    signed_off_by: A director
    acknowledge_within_working_days: 5
    respond_within_working_days: 20
    clock_starts: acknowledgement
    max_extension_working_days: 20
escalation:
  - ombudsman: lgsco
    name: Local Government and Social Care Ombudsman
    applies_to: Council services other than housing
    url: https://www.lgo.org.uk/
    phone: 0300 061 0614
  - ombudsman: hos
    name: Housing Ombudsman Service
    applies_to: Our services as your landlord
    url: https://www.housing-ombudsman.org.uk/
"""

STANDARDS_YAML = """\
- id: repairs-survey
  promise: We reply to repairs surveys within 20 days.
  measure: reported
  target: 20
  unit: days
  better: lower
"""

SELF_ASSESSMENT_YAML = """\
- code: hos_2024
  year: 2023/24
  assessed_on: "2024-03-01"
  provisions:
    - ref: "1.2"
      requirement: Use the Code's definition of a complaint.
      compliant: "yes"
      evidence: Section 2 of our complaints policy.
    - ref: "6.2"
      requirement: Acknowledge stage 1 complaints within 5 working days.
      compliant: partly
      evidence: 91% were acknowledged on time in 2023/24.
      action: Daily checks of new complaints by the team leader.
      action_due: "2024-06-30"
"""

RELEASES_YAML = """\
- date: "2024-04-15"
  title: Complaints data 2023/24
  status: provisional
  data_as_of: "2024-03-31"
"""

TABLES = {
    "services": [
        ["council-tax", "Council Tax", "Resources", "false"],
        ["planning", "Planning", "Place", "false"],
        ["housing-repairs", "Housing repairs", "Housing", "true"],
    ],
    # complaint_id, stage, escalated_from, service_id, received, acknowledged, extension_working_days,
    # responded, outcome, not_accepted_reason, channel, category
    "complaints": [
        ["C-1", "1", "", "council-tax", "2023-04-03", "2023-04-05", "", "2023-04-14", "upheld", "", "email", "delay"],  # row 2
        ["C-2", "1", "", "housing-repairs", "2023-05-02", "2023-05-03", "5", "2023-05-25", "not_upheld", "", "phone", "repairs"],  # row 3
        ["C-3", "2", "C-2", "housing-repairs", "2023-06-01", "2023-06-02", "", "2023-06-20", "partly_upheld", "", "letter", "repairs"],  # row 4
        ["C-4", "1", "", "planning", "2024-03-20", "2024-03-21", "", "", "", "", "online_form", "communication"],  # row 5
        ["C-5", "1", "", "planning", "2023-09-01", "", "", "2023-09-04", "not_accepted", "older_than_12_months", "email", "policy_or_decision"],  # row 6
    ],
    "compliments": [
        ["K-1", "2023-05-10", "council-tax", "email"],
    ],
    "ombudsman_cases": [
        ["O-1", "hos", "housing-repairs", "C-3", "2023-07-01", "2023-10-01", "maladministration", "true", "300", "on_time", "false"],  # row 2
        ["O-2", "lgsco", "planning", "", "2024-01-10", "", "", "", "", "", ""],  # row 3
    ],
    "contacts": [
        ["2023-04", "phone", "1000"],
        ["2023-04", "email", "300"],
    ],
    "calls": [
        ["2023-04", "1000", "900", "700", "100", "348", "45"],  # row 2
        ["2023-05", "1100", "950", "800", "120", "350", "50"],  # row 3
    ],
    "satisfaction": [
        ["2023-04", "phone", "50", "10", "5"],
    ],
    "standard_results": [
        ["repairs-survey", "2023/24", "18"],
    ],
    "improvements": [
        ["I-1", "2023-08-01", "housing-repairs", "Repairs appointments were missed.", "We now text a reminder the day before.", "done"],
    ],
}


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_minimal_package(root: Path) -> Path:
    """A small valid datasets folder: three services, five complaints (one at stage 2), every optional
    table with a row or two, and all five YAML files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "council.yaml").write_text(COUNCIL_YAML, encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY_YAML, encoding="utf-8")
    (root / "standards.yaml").write_text(STANDARDS_YAML, encoding="utf-8")
    (root / "self_assessment.yaml").write_text(SELF_ASSESSMENT_YAML, encoding="utf-8")
    (root / "releases.yaml").write_text(RELEASES_YAML, encoding="utf-8")
    for name, rows in TABLES.items():
        (root / schema.resource(name)["path"]).write_text(csv_text(schema.field_names(name), rows), encoding="utf-8")
    council = yaml.safe_load(COUNCIL_YAML)
    package = schema.build_package(council, list(TABLES))
    (root / "datapackage.yaml").write_text(yaml.safe_dump(package, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------------
# Changing one thing


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    path.write_text(csv_text(rows[0], rows[1:]), encoding="utf-8")


def set_cell(root: Path, file: str, row: int, field: str, value: str) -> None:
    """Set one cell, addressed as in a spreadsheet (row 2 is the first data row)."""
    path = root / file
    rows = read_rows(path)
    rows[row - 1][rows[0].index(field)] = value
    write_rows(path, rows)


def add_row(root: Path, file: str, values: dict[str, str]) -> int:
    """Append a row (missing fields empty); returns its spreadsheet row number."""
    path = root / file
    rows = read_rows(path)
    rows.append([values.get(h, "") for h in rows[0]])
    write_rows(path, rows)
    return len(rows)


def replace_text(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(root: Path, file: str, text: str) -> int:
    """The line number (from 1) of the first line containing ``text``."""
    for i, line in enumerate((root / file).read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {file}")


def found(problems: list[Problem]) -> list[tuple]:
    """(file, row, field, code) of each problem; every code must be explained for officers."""
    unexplained = {p.code for p in problems} - set(PROBLEM_CODES)
    assert not unexplained, f"codes missing from PROBLEM_CODES: {unexplained}"
    return [(p.file, p.row, p.field, p.code) for p in problems]


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    return write_minimal_package(tmp_path / "datasets")


# ---------------------------------------------------------------------------------------------------
# The minimal package is valid


def test_minimal_package_is_valid(pkg):
    assert validate(pkg) == []


def test_minimal_package_passes_the_official_frictionless_validator(pkg):
    from frictionless import Package

    assert Package(str(pkg / "datapackage.yaml")).validate().valid


def test_every_problem_names_file_and_has_message_and_hint(pkg):
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    set_cell(pkg, "calls.csv", 2, "answered", "2000")
    problems = validate(pkg)
    assert problems
    for p in problems:
        assert p.file and p.code and p.message and p.hint


# ---------------------------------------------------------------------------------------------------
# Business rules: one fixture each, exact problems


def test_acknowledged_before_received(pkg):
    set_cell(pkg, "complaints.csv", 2, "acknowledged", "2023-04-01")
    assert found(validate(pkg)) == [("complaints.csv", 2, "acknowledged", "date-order")]


def test_responded_before_acknowledged(pkg):
    set_cell(pkg, "complaints.csv", 2, "responded", "2023-04-04")
    assert found(validate(pkg)) == [("complaints.csv", 2, "responded", "date-order")]


def test_responded_before_received_without_acknowledgement(pkg):
    set_cell(pkg, "complaints.csv", 6, "responded", "2023-08-30")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 6, "responded", "date-order")]
    assert "before received 2023-09-01" in problems[0].message


def test_ombudsman_decided_before_received(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 2, "decided", "2023-06-30")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 2, "decided", "date-order")]


def test_complaint_dates_after_data_as_of(pkg):
    set_cell(pkg, "complaints.csv", 5, "received", "2024-04-02")
    set_cell(pkg, "complaints.csv", 5, "acknowledged", "2024-04-03")
    assert found(validate(pkg)) == [
        ("complaints.csv", 5, "acknowledged", "after-data-as-of"),
        ("complaints.csv", 5, "received", "after-data-as-of"),
    ]


@pytest.mark.parametrize(("file", "row", "field", "value"), [
    ("compliments.csv", 2, "received", "2024-04-01"),
    ("improvements.csv", 2, "published", "2025-01-01"),
    ("ombudsman_cases.csv", 3, "received", "2024-04-30"),
    ("calls.csv", 3, "month", "2024-04"),
    ("contacts.csv", 3, "month", "2024-06"),
    ("satisfaction.csv", 2, "month", "2024-04"),
    ("standard_results.csv", 2, "period", "2024/25"),
])
def test_other_dates_after_data_as_of(pkg, file, row, field, value):
    set_cell(pkg, file, row, field, value)
    assert found(validate(pkg)) == [(file, row, field, "after-data-as-of")]


def test_month_of_data_as_of_is_allowed(pkg):
    set_cell(pkg, "calls.csv", 3, "month", "2024-03")
    assert validate(pkg) == []


def test_outcome_on_an_open_case(pkg):
    set_cell(pkg, "complaints.csv", 5, "outcome", "upheld")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 5, "outcome", "outcome-on-open-case")]
    assert "open case" in problems[0].message


def test_response_without_outcome(pkg):
    set_cell(pkg, "complaints.csv", 2, "outcome", "")
    assert found(validate(pkg)) == [("complaints.csv", 2, "outcome", "response-without-outcome")]


def test_not_accepted_without_reason(pkg):
    set_cell(pkg, "complaints.csv", 6, "not_accepted_reason", "")
    assert found(validate(pkg)) == [("complaints.csv", 6, "not_accepted_reason", "missing-not-accepted-reason")]


def test_reason_without_not_accepted(pkg):
    set_cell(pkg, "complaints.csv", 2, "not_accepted_reason", "legal_proceedings")
    assert found(validate(pkg)) == [("complaints.csv", 2, "not_accepted_reason", "reason-without-not-accepted")]


def test_unknown_stage(pkg):
    set_cell(pkg, "complaints.csv", 5, "stage", "3")
    set_cell(pkg, "complaints.csv", 5, "escalated_from", "C-1")
    set_cell(pkg, "complaints.csv", 5, "service_id", "council-tax")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 5, "stage", "unknown-stage")]
    assert "stages: 1, 2" in problems[0].message


def test_stage_2_without_stage_1(pkg):
    set_cell(pkg, "complaints.csv", 4, "escalated_from", "")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 4, "escalated_from", "missing-escalated-from")]
    assert "stage 2 without a stage 1" in problems[0].message


def test_stage_1_with_escalated_from(pkg):
    set_cell(pkg, "complaints.csv", 2, "escalated_from", "C-5")
    assert found(validate(pkg)) == [("complaints.csv", 2, "escalated_from", "escalated-from-at-stage-1")]


def test_escalation_from_same_stage(pkg):
    row = add_row(pkg, "complaints.csv", {
        "complaint_id": "C-6", "stage": "2", "escalated_from": "C-3", "service_id": "housing-repairs",
        "received": "2023-07-01", "channel": "email", "category": "repairs"})
    assert found(validate(pkg)) == [("complaints.csv", row, "escalated_from", "escalation-stage")]


def test_escalation_to_another_service(pkg):
    set_cell(pkg, "complaints.csv", 4, "service_id", "planning")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 4, "service_id", "escalation-service")]
    assert "housing-repairs" in problems[0].message


def test_escalation_received_before_earlier_response(pkg):
    set_cell(pkg, "complaints.csv", 4, "received", "2023-05-20")
    set_cell(pkg, "complaints.csv", 4, "acknowledged", "2023-05-21")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 4, "received", "escalation-before-response")]
    assert "2023-05-25" in problems[0].message


def test_escalation_from_open_complaint(pkg):
    row = add_row(pkg, "complaints.csv", {
        "complaint_id": "C-6", "stage": "2", "escalated_from": "C-4", "service_id": "planning",
        "received": "2024-03-25", "channel": "email", "category": "delay"})
    assert found(validate(pkg)) == [("complaints.csv", row, "received", "escalation-before-response")]


def test_escalated_twice(pkg):
    row = add_row(pkg, "complaints.csv", {
        "complaint_id": "C-6", "stage": "2", "escalated_from": "C-2", "service_id": "housing-repairs",
        "received": "2023-06-05", "channel": "email", "category": "repairs"})
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", row, "escalated_from", "escalated-twice")]
    assert "row 4" in problems[0].message


def test_escalated_from_unknown_complaint(pkg):
    set_cell(pkg, "complaints.csv", 4, "escalated_from", "C-22")
    assert found(validate(pkg)) == [("complaints.csv", 4, "escalated_from", "foreign-key")]


def test_extension_beyond_policy_maximum(pkg):
    set_cell(pkg, "complaints.csv", 3, "extension_working_days", "11")
    problems = validate(pkg)
    assert found(problems) == [("complaints.csv", 3, "extension_working_days", "extension-too-long")]
    assert "at most 10 at stage 1" in problems[0].message


def test_extension_at_stage_2_uses_stage_2_maximum(pkg):
    set_cell(pkg, "complaints.csv", 4, "extension_working_days", "20")
    assert validate(pkg) == []
    set_cell(pkg, "complaints.csv", 4, "extension_working_days", "21")
    assert found(validate(pkg)) == [("complaints.csv", 4, "extension_working_days", "extension-too-long")]


def test_policy_stages_numbered_in_order(pkg):
    replace_text(pkg, "policy.yaml", "  - id: 2\n", "  - id: 3\n")
    problems = validate(pkg)
    # The stage 2 complaint now has no stage in the policy either.
    assert found(problems) == [
        ("complaints.csv", 4, "stage", "unknown-stage"),
        ("policy.yaml", line_of(pkg, "policy.yaml", "stages:"), "stages", "stage-numbering"),
    ]


def test_calls_answered_more_than_offered(pkg):
    set_cell(pkg, "calls.csv", 2, "answered", "1001")
    set_cell(pkg, "calls.csv", 2, "abandoned", "0")
    assert found(validate(pkg)) == [("calls.csv", 2, "answered", "calls-answered")]


def test_calls_answered_within_60s_more_than_answered(pkg):
    set_cell(pkg, "calls.csv", 3, "answered_within_60s", "951")
    assert found(validate(pkg)) == [("calls.csv", 3, "answered_within_60s", "calls-within-60s")]


def test_calls_answered_plus_abandoned_more_than_offered(pkg):
    set_cell(pkg, "calls.csv", 2, "abandoned", "101")
    assert found(validate(pkg)) == [("calls.csv", 2, "abandoned", "calls-total")]


@pytest.mark.parametrize(("file", "field"), [("calls.csv", "offered"), ("contacts.csv", "contacts"), ("satisfaction.csv", "poor")])
def test_month_totals_not_negative(pkg, file, field):
    set_cell(pkg, file, 2, field, "-5")
    problems = [p for p in validate(pkg) if p.code == "minimum"]
    assert found(problems) == [(file, 2, field, "minimum")]
    assert "cannot be less than 0" in problems[0].message and "negative" in problems[0].hint


def test_ombudsman_outcome_not_made_by_that_ombudsman(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 2, "outcome", "upheld")
    problems = validate(pkg)
    assert found(problems) == [("ombudsman_cases.csv", 2, "outcome", "ombudsman-outcome")]
    assert "maladministration" in problems[0].hint


def test_psow_in_england(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 3, "ombudsman", "psow")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 3, "ombudsman", "ombudsman-country")]


def test_lgsco_in_wales(pkg):
    replace_text(pkg, "council.yaml", "country: england", "country: wales")
    replace_text(pkg, "council.yaml", "council_type: district", "council_type: county_borough")
    problems = validate(pkg)
    codes = found(problems)
    # Every English ombudsman case and route is now wrong, and the policy lacks PSOW.
    assert ("ombudsman_cases.csv", 2, "ombudsman", "ombudsman-country") in codes
    assert ("ombudsman_cases.csv", 3, "ombudsman", "ombudsman-country") in codes
    assert ("policy.yaml", line_of(pkg, "policy.yaml", "ombudsman: lgsco"), "escalation[1].ombudsman", "ombudsman-country") in codes
    assert ("policy.yaml", line_of(pkg, "policy.yaml", "escalation:"), "escalation", "missing-ombudsman-route") in codes
    assert {c[3] for c in codes} == {"ombudsman-country", "missing-ombudsman-route"}


def test_housing_ombudsman_for_a_service_that_is_not_a_landlord_service(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 3, "ombudsman", "hos")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 3, "ombudsman", "ombudsman-not-landlord")]


def test_ombudsman_outcome_without_decision_date(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 3, "outcome", "upheld")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 3, "decided", "outcome-without-decision")]


def test_ombudsman_decision_without_outcome(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 3, "decided", "2024-02-01")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 3, "outcome", "decision-without-outcome")]


def test_financial_remedy_without_remedy(pkg):
    set_cell(pkg, "ombudsman_cases.csv", 2, "remedy_agreed", "false")
    assert found(validate(pkg)) == [("ombudsman_cases.csv", 2, "financial_remedy_gbp", "remedy-without-agreement")]


def test_policy_missing_ombudsman_route(pkg):
    text = (pkg / "policy.yaml").read_text()
    (pkg / "policy.yaml").write_text(text[: text.index("  - ombudsman: hos")])
    assert found(validate(pkg)) == [("policy.yaml", line_of(pkg, "policy.yaml", "escalation:"), "escalation", "missing-ombudsman-route")]


def test_landlord_without_homes_owned(pkg):
    replace_text(pkg, "council.yaml", "homes_owned: 1200\n", "")
    assert found(validate(pkg)) == [("council.yaml", None, "homes_owned", "homes-owned-missing")]


def test_homes_owned_without_landlord_services(pkg):
    set_cell(pkg, "services.csv", 4, "is_landlord_service", "false")
    problems = found(validate(pkg))
    assert ("council.yaml", line_of(pkg, "council.yaml", "homes_owned"), "homes_owned", "homes-owned-not-landlord") in problems
    # ... and the housing ombudsman case and route no longer fit either.
    assert ("ombudsman_cases.csv", 2, "ombudsman", "ombudsman-not-landlord") in problems


def test_standard_with_unknown_measure(pkg):
    replace_text(pkg, "standards.yaml", "measure: reported", "measure: complaints_made_up_measure")
    problems = found(validate(pkg))
    line = line_of(pkg, "standards.yaml", "measure:")
    assert ("standards.yaml", line, "[1].measure", "unknown-measure") in problems
    # Its result row now refers to a computed standard.
    assert ("standard_results.csv", 2, "standard_id", "standard-not-reported") in problems
    assert len(problems) == 2


def test_standard_result_for_unknown_standard(pkg):
    set_cell(pkg, "standard_results.csv", 2, "standard_id", "repairs-surveys")
    problems = validate(pkg)
    assert found(problems) == [("standard_results.csv", 2, "standard_id", "unknown-standard")]
    assert "repairs-survey" in problems[0].hint


def test_duplicate_standard_id(pkg):
    (pkg / "standards.yaml").write_text(STANDARDS_YAML + STANDARDS_YAML.replace("within 20 days", "quickly"))
    assert found(validate(pkg)) == [("standards.yaml", 7, "[2].id", "duplicate")]


def test_percent_target_out_of_range(pkg):
    (pkg / "standards.yaml").write_text(STANDARDS_YAML.replace("target: 20", "target: 120").replace("unit: days", "unit: percent"))
    assert found(validate(pkg)) == [("standards.yaml", 4, "[1].target", "target-out-of-range")]


def test_standard_result_period_not_a_financial_year(pkg):
    set_cell(pkg, "standard_results.csv", 2, "period", "2023/25")
    assert found(validate(pkg)) == [("standard_results.csv", 2, "period", "period")]


def test_self_assessment_unknown_provision(pkg):
    replace_text(pkg, "self_assessment.yaml", 'ref: "6.2"', 'ref: "6.42"')
    problems = validate(pkg)
    assert found(problems) == [("self_assessment.yaml", line_of(pkg, "self_assessment.yaml", "6.42"), "[1].provisions[2].ref", "unknown-provision")]


def test_self_assessment_provision_twice(pkg):
    replace_text(pkg, "self_assessment.yaml", 'ref: "6.2"', 'ref: "1.2"')
    assert found(validate(pkg)) == [("self_assessment.yaml", 9, "[1].provisions[2].ref", "duplicate-provision")]


def test_self_assessment_blank_evidence(pkg):
    replace_text(pkg, "self_assessment.yaml", "evidence: Section 2 of our complaints policy.", 'evidence: "  "')
    assert found(validate(pkg)) == [("self_assessment.yaml", 8, "[1].provisions[1].evidence", "blank-evidence")]


def test_self_assessment_missing_evidence(pkg):
    replace_text(pkg, "self_assessment.yaml", "      evidence: Section 2 of our complaints policy.\n", "")
    # Located at the start of the provision that lacks it.
    assert found(validate(pkg)) == [("self_assessment.yaml", 5, "[1].provisions[1].evidence", "required")]


def test_self_assessment_partly_without_action(pkg):
    replace_text(pkg, "self_assessment.yaml", "      action: Daily checks of new complaints by the team leader.\n", "")
    assert found(validate(pkg)) == [("self_assessment.yaml", 9, "[1].provisions[2].action", "missing-action")]


def test_self_assessment_compliant_must_be_yes_partly_no(pkg):
    replace_text(pkg, "self_assessment.yaml", 'compliant: "yes"', "compliant: mostly")
    problems = validate(pkg)
    assert found(problems) == [("self_assessment.yaml", 7, "[1].provisions[1].compliant", "enum")]
    assert "yes, partly, no" in problems[0].message


def test_self_assessment_year_not_a_financial_year(pkg):
    replace_text(pkg, "self_assessment.yaml", "year: 2023/24", "year: 2023/25")
    assert found(validate(pkg)) == [("self_assessment.yaml", 2, "[1].year", "period")]


def test_release_data_newer_than_datasets(pkg):
    replace_text(pkg, "releases.yaml", 'data_as_of: "2024-03-31"', 'data_as_of: "2024-04-10"')
    assert found(validate(pkg)) == [("releases.yaml", 4, "[1].data_as_of", "after-data-as-of")]


def test_release_before_its_data(pkg):
    replace_text(pkg, "releases.yaml", 'date: "2024-04-15"', 'date: "2024-03-01"')
    assert found(validate(pkg)) == [("releases.yaml", 1, "[1].date", "date-order")]


def test_rules_skip_rows_that_did_not_parse(pkg):
    # A bad date is one problem, not also "responded before received".
    set_cell(pkg, "complaints.csv", 2, "received", "2023-13-45")
    assert found(validate(pkg)) == [("complaints.csv", 2, "received", "type")]


# ---------------------------------------------------------------------------------------------------
# Schema checks with plain messages


def test_uk_date_gets_did_you_mean(pkg):
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    (p,) = validate(pkg)
    assert p.text().startswith("complaints.csv:2:received — received is 03/04/2023; dates must be YYYY-MM-DD — ")
    assert "did you mean 2023-04-03?" in p.hint


def test_us_date_is_recognised(pkg):
    set_cell(pkg, "complaints.csv", 2, "received", "04/23/2023")
    (p,) = validate(pkg)
    assert "US date" in p.hint and "2023-04-23" in p.hint


def test_excel_serial_date(pkg):
    set_cell(pkg, "compliments.csv", 2, "received", "45342")
    (p,) = validate(pkg)
    assert (p.file, p.row, p.field, p.code) == ("compliments.csv", 2, "received", "type")
    assert "Excel date number" in p.hint and "2024-02-20" in p.hint


def test_unknown_service_lists_known_ones_closest_first(pkg):
    set_cell(pkg, "complaints.csv", 2, "service_id", "council-tx")
    (p,) = validate(pkg)
    assert (p.field, p.code) == ("service_id", "foreign-key")
    assert p.hint.index("council-tax") < p.hint.index("planning")


def test_enum_suggests_closest(pkg):
    set_cell(pkg, "complaints.csv", 2, "channel", "Face to face")
    (p,) = validate(pkg)
    assert p.code == "enum" and "did you mean face_to_face?" in p.hint


def test_integer_with_decimals_or_commas(pkg):
    set_cell(pkg, "calls.csv", 2, "offered", "1,000")
    set_cell(pkg, "calls.csv", 3, "offered", "1100.0")
    problems = validate(pkg)
    assert found(problems) == [("calls.csv", 2, "offered", "type"), ("calls.csv", 3, "offered", "type")]
    assert "did you mean 1000?" in problems[0].hint
    assert "did you mean 1100?" in problems[1].hint


def test_duplicate_id_names_first_row(pkg):
    set_cell(pkg, "complaints.csv", 5, "complaint_id", "C-1")
    (p,) = validate(pkg)
    assert (p.row, p.field, p.code) == (5, "complaint_id", "duplicate")
    assert p.message == "complaint_id C-1 appears again; first on row 2"


def test_many_problems_of_one_kind_are_counted_not_listed(pkg):
    rows = read_rows(pkg / "compliments.csv")
    rows += [[f"K-{i}", "10/05/2023", "council-tax", "email"] for i in range(2, 102)]
    write_rows(pkg / "compliments.csv", rows)
    problems = validate(pkg)
    assert len([p for p in problems if p.row is not None]) == 50
    (summary,) = [p for p in problems if p.row is None]
    assert summary.code == "type" and "50 more" in summary.message
    assert len(validate(pkg, limit=None)) == 100


# ---------------------------------------------------------------------------------------------------
# Output formats and the command line


def test_format_text_has_one_line_per_problem_and_a_summary(pkg):
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    set_cell(pkg, "calls.csv", 2, "answered", "2000")
    problems = validate(pkg)
    text = format_problems(problems, "text").splitlines()
    assert text[:-1] == [p.text() for p in problems]
    assert text[-1] == "2 problems in 2 files"
    assert format_problems([], "text") == "No problems found"


def test_format_github_annotations(pkg):
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    out = format_problems(validate(pkg), "github", base="datasets").splitlines()
    assert out[0].startswith("::error file=datasets/complaints.csv,line=2,title=received::received is 03/04/2023")
    assert out[-1].startswith("::notice")


def test_format_json(pkg):
    import json

    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    data = json.loads(format_problems(validate(pkg), "json"))
    assert data[0]["file"] == "complaints.csv" and data[0]["row"] == 2 and data[0]["code"] == "type"


def test_check_raises_invalid_data(pkg):
    check(pkg)
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    with pytest.raises(InvalidData) as exc:
        check(pkg)
    assert len(exc.value.problems) == 1


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transparency_site.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_validate_exit_codes(pkg):
    ok = _cli("validate", "--datasets", str(pkg), cwd=pkg.parent)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    set_cell(pkg, "complaints.csv", 2, "received", "03/04/2023")
    bad = _cli("validate", "--datasets", "datasets", "--format", "github", cwd=pkg.parent)
    assert bad.returncode == 1
    assert "::error file=datasets/complaints.csv,line=2" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    usage = _cli("validate", "--datasets", str(pkg / "nowhere"), cwd=pkg.parent)
    assert usage.returncode == 2
    assert _cli("validate", "--format", "xml", cwd=pkg.parent).returncode == 2


# ---------------------------------------------------------------------------------------------------
# The shipped datasets, and the broken copy


SHIPPED = REPO / "datasets"
needs_shipped = pytest.mark.skipif(not (SHIPPED / "datapackage.yaml").exists(), reason="the example datasets are not committed yet")


@needs_shipped
def test_shipped_datasets_are_valid():
    problems = validate(SHIPPED)
    assert problems == [], format_problems(problems)


@needs_shipped
def test_broken_copy_of_shipped_datasets_gives_one_line_per_problem(tmp_path):
    root = Path(shutil.copytree(SHIPPED, tmp_path / "datasets"))
    rows = read_rows(root / "complaints.csv")
    header = rows[0]
    col = {h: i for i, h in enumerate(header)}
    # Pick stage 1 rows that nothing escalates from and that nothing else depends on.
    escalated = {r[col["escalated_from"]] for r in rows[1:]}
    omb = read_rows(root / "ombudsman_cases.csv") if (root / "ombudsman_cases.csv").exists() else [["complaint_id"]]
    referenced = escalated | {r[omb[0].index("complaint_id")] for r in omb[1:]}
    free = [i for i, r in enumerate(rows) if i > 0 and r[col["stage"]] == "1" and r[col["complaint_id"]] not in referenced
            and r[col["responded"]] and r[col["acknowledged"]]]
    a, b, c, d = free[:4]
    received = rows[a][col["received"]]
    y, m, day = received.split("-")
    rows[a][col["received"]] = f"{day}/{m}/{y}"  # a UK date
    rows[b][col["service_id"]] = "parking-permits"  # an unknown service
    rows[c][col["responded"]] = rows[c][col["received"]]
    rows[c][col["acknowledged"]] = rows[c][col["received"]]
    rec = rows[c][col["received"]]
    import datetime as dt

    rows[c][col["responded"]] = (dt.date.fromisoformat(rec) - dt.timedelta(days=3)).isoformat()  # response before receipt
    rows[d][col["complaint_id"]] = rows[free[4]][col["complaint_id"]]  # a duplicate id
    write_rows(root / "complaints.csv", rows)
    problems = validate(root)
    assert found(problems) == sorted([
        ("complaints.csv", a + 1, "received", "type"),
        ("complaints.csv", b + 1, "service_id", "foreign-key"),
        ("complaints.csv", c + 1, "responded", "date-order"),
        ("complaints.csv", max(d, free[4]) + 1, "complaint_id", "duplicate"),
    ], key=lambda t: t[1]), format_problems(problems)
    assert f"did you mean {received}?" in problems[[p.field for p in problems].index("received")].hint
    out = _cli("validate", "--datasets", "datasets", cwd=tmp_path)
    assert out.returncode == 1
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 5 and lines[-1] == "4 problems in 1 file", out.stdout
    assert "Traceback" not in out.stdout + out.stderr


# ---------------------------------------------------------------------------------------------------
# Speed


def test_validation_is_quick_on_a_few_thousand_rows(pkg):
    rows = read_rows(pkg / "complaints.csv")
    for i in range(6, 5006):
        rows.append([f"C-{i}", "1", "", "planning", "2023-06-01", "2023-06-02", "", "2023-06-09", "not_upheld", "", "email", "delay"])
    write_rows(pkg / "complaints.csv", rows)
    start = time.perf_counter()
    assert validate(pkg, frictionless=False) == []
    assert time.perf_counter() - start < 3
