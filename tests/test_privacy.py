"""The personal-data guard: planted emails, phone numbers, postcodes, National Insurance numbers and
"Mrs Surname" in every published text field are found and named by cell; the council's own contact
details pass; near misses do not trigger."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from test_validate_rules import found, line_of, set_cell, write_minimal_package
from transparency_site import privacy, schema
from transparency_site.privacy import find_personal_data, scan_personal_data
from transparency_site.validate import validate

PLANTED = {
    "email": ["jo.bloggs@example.com", "J.Smith+complaints@mail.example.co.uk"],
    "phone": ["07700 900123", "+44 7700 900123", "(01632) 960123", "020 7946 0123", "+44 (0)1632 960 123", "03069990123"],
    "postcode": ["LE67 3FJ", "SW1A 1AA", "le67 3fj", "M1 1AE"],
    "ni_number": ["AB 12 34 56 C", "JG123456A"],
    "name": ["Mrs Patel", "Mr O'Brien", "Dr Jones", "Miss Smith-Jones", "Ms. Okafor", "Mx Taylor"],
}
EXAMPLES = [(kind, value) for kind, values in PLANTED.items() for value in values]

NEAR_MISSES = [
    "Stage 2 complaints are answered within 20 working days.",
    "We paid £300 in redress.",
    "In 2023/24 we received 344 complaints; in Q3 2023/24, 81.",
    "Received on 2024-02-20, or 20/02/2024 in the old system.",
    "CH01 and CH02 are reported per 1,000 homes.",
    "If you are unhappy, ask to see the Dr.",
    "Ask for Mr. or Mrs. if you prefer a title.",
    "The M62 and A1 were closed.",
    "Version 3.0 of the policy, section 6.2.",
    "Reference C-2023-00001 was escalated.",
    "Calls answered: 97,200 of 112,820.",
    "Email us using the form; phone 0300 if you need to.",
    "We aim to reply on the 1st, 2nd or 3rd working day.",
    "Dr The",
    "Open 9am to 5pm, Monday to Friday.",
]


@pytest.mark.parametrize(("kind", "value"), EXAMPLES)
def test_each_pattern_is_found(kind, value):
    hits = find_personal_data(f"Residents told us about {value} last week.")
    assert [h.kind for h in hits] == [kind], hits


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_not_personal_data(text):
    assert find_personal_data(text) == []


def test_masked_value_does_not_repeat_the_data():
    (hit,) = find_personal_data("write to jo.bloggs@example.com")
    assert hit.masked == "j***@…"
    (hit,) = find_personal_data("ring 07700 900123")
    assert "900123" not in hit.masked and hit.masked.startswith("07")
    (hit,) = find_personal_data("Mrs Patel rang")
    assert hit.masked == "Mrs P****"


def test_allowed_details_pass_however_written():
    allowed = privacy.allowed_from_council({
        "contact": {"phone": "01632 960000", "email": "Complaints@Testshire.example", "address": "High Street, Testtown TE1 1AA"},
        "allowed_personal_data": ["housing@testshire.example", "07700 900999"],
    })
    text = ("Call 01632960000 or +44 1632 960000, email complaints@testshire.example or housing@testshire.example, "
            "write to TE1 1AA (te1 1aa), text 07700 900 999.")
    assert find_personal_data(text, allowed) == []
    # A different number is still found.
    assert [h.kind for h in find_personal_data("or 01632 960001", allowed)] == ["phone"]


# ---------------------------------------------------------------------------------------------------
# Every published text field of the package


@pytest.fixture
def pkg(tmp_path) -> Path:
    root = write_minimal_package(tmp_path / "datasets")
    # Fill in the optional text fields too, so that every kind of published text is present.
    council = yaml.safe_load((root / "council.yaml").read_text())
    council["accessibility"] = {"compliance": "partially", "statement_prepared": "2024-01-10",
                                "known_issues": ["Some older PDFs are not tagged."], "contact_email": "web@testshire.example"}
    council["contact"]["opening_hours"] = "9am to 5pm, Monday to Friday"
    (root / "council.yaml").write_text(yaml.safe_dump(council, sort_keys=False))
    policy = yaml.safe_load((root / "policy.yaml").read_text())
    policy["what_to_include"] = ["What went wrong", "What you would like us to do"]
    policy["stages"][0]["summary"] = "The service looks into it."
    policy["stages"][1]["how_to_escalate"] = "Tell us why you are still unhappy."
    policy["escalation"][0]["when"] = "After stage 2."
    policy["reasonable_adjustments"] = ["Large print letters"]
    policy["other_formats"] = "Ask for braille or audio."
    policy["unreasonable_behaviour"] = "We may limit contact."
    policy["version_history"] = [{"version": "3.0", "date": "2024-01-01", "changes": "Two stages."}]
    (root / "policy.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    assessment = yaml.safe_load((root / "self_assessment.yaml").read_text())
    assessment[0]["governing_body_response"] = {"body": "Cabinet", "date": "2024-03-20", "text": "The Cabinet noted the report."}
    (root / "self_assessment.yaml").write_text(yaml.safe_dump(assessment, sort_keys=False))
    releases = yaml.safe_load((root / "releases.yaml").read_text())
    releases[0]["notes"] = "First edition."
    (root / "releases.yaml").write_text(yaml.safe_dump(releases, sort_keys=False))
    assert validate(root) == []
    return root


def _yaml_text_paths(data, path=()):
    """Every text value in YAML data, as a path of keys and indexes."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _yaml_text_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _yaml_text_paths(v, (*path, i))
    elif isinstance(data, str):
        yield path


def _field_text(path) -> str:
    text = ""
    for p in path:
        text += f"[{p + 1}]" if isinstance(p, int) else ("." if text else "") + p
    return text


def _set(data, path, value):
    for p in path[:-1]:
        data = data[p]
    data[path[-1]] = value


# Values whose own format forbids free text (dates, codes, links): a planted name would be a schema
# problem first. They are still scanned; here we plant only in the ones that are prose.
NOT_PROSE = {"data_as_of", "effective_from", "date", "assessed_on", "action_due", "statement_prepared", "country",
             "council_type", "channel", "clock_starts", "ombudsman", "code", "year", "compliant", "status", "unit",
             "better", "measure", "id", "url", "website", "site_url", "complaint_form_url", "version", "ref",
             "compliance", "phone", "email", "address", "contact_email"}


def _yaml_cases(root: Path):
    for filename in schema.YAML_FILES.values():
        data = yaml.safe_load((root / filename).read_text())
        for path in _yaml_text_paths(data):
            key = next((p for p in reversed(path) if isinstance(p, str)), "")
            if key not in NOT_PROSE:
                yield filename, path


def test_planted_personal_data_in_every_yaml_text_field(pkg):
    cases = list(_yaml_cases(pkg))
    assert len(cases) >= 30  # definition, not_complaints, stages, escalation, promises, evidence, notes, ...
    kinds = list(PLANTED)
    for n, (filename, path) in enumerate(cases):
        kind = kinds[n % len(kinds)]
        value = PLANTED[kind][n % len(PLANTED[kind])]
        original = (pkg / filename).read_text()
        data = yaml.safe_load(original)
        _set(data, path, f"Planted {value} here")
        (pkg / filename).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        problems = [p for p in scan_personal_data(pkg) if p.file == filename]
        line = line_of(pkg, filename, "Planted")
        assert [(p.file, p.row, p.field, p.code) for p in problems] == [(filename, line, _field_text(path), "personal-data")], (filename, path, value)
        assert privacy._KIND_WORDS[kind] in problems[0].message
        (pkg / filename).write_text(original)


CSV_TEXT_FIELDS = [(name, f) for name in schema.RESOURCE_NAMES for f in privacy.text_fields(name)]


def test_csv_text_fields_include_the_free_text():
    assert ("improvements", "you_said") in CSV_TEXT_FIELDS and ("improvements", "we_did") in CSV_TEXT_FIELDS
    assert ("services", "name") in CSV_TEXT_FIELDS and ("services", "directorate") in CSV_TEXT_FIELDS
    assert ("complaints", "complaint_id") in CSV_TEXT_FIELDS
    # Codes from a list and references to other tables are not free text.
    assert ("complaints", "channel") not in CSV_TEXT_FIELDS and ("complaints", "service_id") not in CSV_TEXT_FIELDS


@pytest.mark.parametrize(("resource", "field"), [c for c in CSV_TEXT_FIELDS if c[0] != "benchmarks"])
@pytest.mark.parametrize("kind", list(PLANTED))
def test_planted_personal_data_in_every_csv_text_field(tmp_path, resource, field, kind):
    root = write_minimal_package(tmp_path / "datasets")
    file = schema.resource(resource)["path"]
    value = PLANTED[kind][0]
    set_cell(root, file, 2, field, value if field.endswith("_id") else f"About {value} today")
    problems = [p for p in scan_personal_data(root)]
    assert [(p.file, p.row, p.field) for p in problems] == [(file, 2, field)]
    if kind == "email":  # (one kind per field is enough to show validate() includes the scan)
        # Validation reports it as personal data (among whatever else the change broke, like an id pattern).
        assert (file, 2, field, "personal-data") in found(validate(root))


def test_benchmarks_text_is_scanned(tmp_path):
    root = write_minimal_package(tmp_path / "datasets")
    (root / "benchmarks.csv").write_text(
        "council,code,council_type,period,measure,value,numerator,denominator,source,licence\n"
        "Otherton Council,L0001,LARP,2023/24,CH01_1,12.5,,,Sent by Mr Jones,OGL-UK-3.0\n")
    problems = scan_personal_data(root)
    assert [(p.file, p.row, p.field) for p in problems] == [("benchmarks.csv", 2, "source")]


def test_validate_reports_personal_data_with_the_cell(pkg):
    set_cell(pkg, "improvements.csv", 2, "you_said", "Mrs Patel at LE67 3FJ said repairs were missed.")
    problems = validate(pkg)
    assert found(problems) == [("improvements.csv", 2, "you_said", "personal-data")] * 2
    assert {p.message.split(" (")[0] for p in problems} == {"you_said contains a person's name", "you_said contains a postcode"}
    assert all("Patel" not in p.message and "3FJ" not in p.message for p in problems)


def test_councils_own_contact_details_pass(pkg):
    policy = (pkg / "policy.yaml").read_text()
    policy = policy.replace("Large print letters", "Large print letters, call 01632 960000, email complaints@testshire.example, "
                            "or write to Council Offices, High Street, Testtown TE1 1AA")
    (pkg / "policy.yaml").write_text(policy)
    set_cell(pkg, "improvements.csv", 2, "we_did", "We now answer 01632 960000 until 6pm.")
    assert validate(pkg) == []


def test_allowed_personal_data_in_council_yaml(pkg):
    set_cell(pkg, "improvements.csv", 2, "we_did", "Housing repairs now have their own line, 01632 960555.")
    assert found(validate(pkg)) == [("improvements.csv", 2, "we_did", "personal-data")]
    council = yaml.safe_load((pkg / "council.yaml").read_text())
    council["allowed_personal_data"] = ["01632 960555"]
    (pkg / "council.yaml").write_text(yaml.safe_dump(council, sort_keys=False))
    assert validate(pkg) == []


def test_ombudsman_phone_numbers_in_the_policy_pass(pkg):
    # The example policy gives the LGSCO's number under escalation: it is the ombudsman's, not a person's.
    assert "0300 061 0614" in (pkg / "policy.yaml").read_text()
    assert scan_personal_data(pkg) == []


def test_scan_accepts_loaded_data(pkg):
    from transparency_site.load import load

    set_cell(pkg, "services.csv", 2, "directorate", "Resources (Dr Jones)")
    assert [(p.file, p.row, p.field) for p in scan_personal_data(load(pkg))] == [("services.csv", 2, "directorate")]


def test_officers_commentary_is_scanned_for_personal_data(tmp_path):
    """The annual report publishes datasets/commentary/<year>.md: it gets the same guard as the data."""
    import shutil

    from conftest import DATASETS
    from transparency_site.validate import validate

    root = tmp_path / "datasets"
    shutil.copytree(DATASETS, root)
    (root / "commentary").mkdir()
    (root / "commentary" / "2022-23.md").write_text(
        "Complaints rose this year.\n\nMrs Henderson of 12 Mill Lane, ZZ9 9ZZ, wrote to jane.doe@gmail.com.\n", "utf-8")
    problems = [p for p in validate(root) if p.code == "personal-data"]
    assert problems and all(p.file == "commentary/2022-23.md" and p.row == 3 for p in problems)
    assert len(problems) >= 2  # the name and the email at least
