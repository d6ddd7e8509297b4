"""The example council: deterministic, valid, and saying what seed 003 says.

Every seed figure is counted here from the committed CSVs with the csv module, the way a resident
with a spreadsheet would count it, never through the generator's own code.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import frictionless
import jsonschema
import pytest
import yaml

from transparency_site import example, periods, schema
from transparency_site.load import read_yaml

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
AS_OF = dt.date(2023, 12, 31)
DECIDED = ("upheld", "partly_upheld", "not_upheld")


def read_csv(root: Path, name: str) -> list[dict]:
    with open(root / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fy(text: str) -> str:
    """Financial year (April–March) of a YYYY-MM-DD or YYYY-MM string, as '2022/23'."""
    year, month = int(text[:4]), int(text[5:7])
    start = year if month >= 4 else year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def q1_to_q3(text: str) -> bool:
    return int(text[5:7]) >= 4


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return example.generate()


@pytest.fixture(scope="module")
def tables() -> dict[str, list[dict]]:
    return {name: read_csv(DATASETS, name) for name in schema.RESOURCE_NAMES if (DATASETS / f"{name}.csv").exists()}


@pytest.fixture(scope="module")
def council() -> dict:
    return read_yaml(DATASETS / "council.yaml")


@pytest.fixture(scope="module")
def policy() -> dict:
    return read_yaml(DATASETS / "policy.yaml")


# ---------------------------------------------------------------------------------------------
# Determinism and the committed copy
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(generated):
    assert example.generate() == generated


def test_different_seed_gives_different_records(generated):
    other = example.generate(seed=7)
    assert other["complaints.csv"] != generated["complaints.csv"]
    assert other["compliments.csv"] != generated["compliments.csv"]


def test_committed_datasets_are_the_default_example(generated):
    for name, text in generated.items():
        if name == "datapackage.yaml" and (DATASETS / "benchmarks.csv").exists():
            continue  # an imported benchmarks.csv adds itself to the package
        assert (DATASETS / name).read_text(encoding="utf-8") == text, f"{name} is stale: regenerate with write_example"


def test_no_benchmarks_generated(generated):
    assert "benchmarks.csv" not in generated
    assert "benchmarks" not in [r["name"] for r in yaml.safe_load(generated["datapackage.yaml"])["resources"]]


def test_csv_headers_follow_the_schemas(generated):
    for name in schema.RESOURCE_NAMES:
        path = schema.resource(name)["path"]
        if path in generated:
            assert generated[path].splitlines()[0] == ",".join(schema.field_names(name))


def test_write_example_writes_every_file_and_keeps_benchmarks(tmp_path):
    (tmp_path / "benchmarks.csv").write_text("council,code\n", encoding="utf-8")
    written = example.write_example(tmp_path, seed=3)
    assert {p.name for p in written} == set(example.generate(seed=3))
    assert all(p.exists() for p in written)
    package = yaml.safe_load((tmp_path / "datapackage.yaml").read_text(encoding="utf-8"))
    assert "benchmarks" in [r["name"] for r in package["resources"]]
    assert (tmp_path / "benchmarks.csv").read_text(encoding="utf-8") == "council,code\n"


# ---------------------------------------------------------------------------------------------
# Validity
# ---------------------------------------------------------------------------------------------


def test_frictionless_validates_committed_package():
    report = frictionless.validate(str(DATASETS / "datapackage.yaml"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:10]


def test_frictionless_checks_foreign_keys(tmp_path):
    """A negative control: the package check really follows escalated_from and service_id."""
    shutil.copytree(DATASETS, tmp_path / "d")
    path = tmp_path / "d" / "complaints.csv"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r",2,C-\d{4}-\d{5},", ",2,C-1999-00001,", text, count=1)
    path.write_text(text, encoding="utf-8")
    report = frictionless.validate(str(tmp_path / "d" / "datapackage.yaml"))
    assert not report.valid
    assert "foreign-key" in {e.type for task in report.tasks for e in task.errors}


@pytest.mark.parametrize("kind", list(schema.YAML_FILES))
def test_yaml_files_match_their_json_schemas(kind):
    data = read_yaml(DATASETS / schema.YAML_FILES[kind])
    jsonschema.Draft202012Validator(schema.yaml_schema(kind)).validate(data)


def test_nothing_is_dated_after_data_as_of(tables, council):
    assert council["data_as_of"] == AS_OF.isoformat()
    for name, rows in tables.items():
        kinds = {f["name"]: f["type"] for f in schema.fields(name)}
        for row in rows:
            for field, value in row.items():
                if value and kinds.get(field) == "date":
                    assert dt.date.fromisoformat(value) <= AS_OF, (name, field, value)
                if value and kinds.get(field) == "yearmonth":
                    assert value <= "2023-12", (name, field, value)
                if field == "period" and value:
                    assert value <= "2023/24"
    for filename in schema.YAML_FILES.values():
        text = (DATASETS / filename).read_text(encoding="utf-8")
        for found in re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", text):
            assert dt.date.fromisoformat(found) <= AS_OF, (filename, found)


def test_nothing_is_dated_before_the_first_year(tables):
    """The site's years start at the earliest record: a stray early date would add an empty year."""
    for name, rows in tables.items():
        kinds = {f["name"]: f["type"] for f in schema.fields(name)}
        for row in rows:
            for field, value in row.items():
                if value and kinds.get(field) in ("date", "yearmonth"):
                    assert value >= "2019-04", (name, field, value)


def test_no_personal_data_in_improvements(tables):
    personal = re.compile(r"@|\b0\d{3,4}\s?\d{3}\s?\d{3,4}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z]")
    assert 10 <= len(tables["improvements"]) <= 20
    for row in tables["improvements"]:
        for field in ("you_said", "we_did"):
            assert not personal.search(row[field]), row[field]
    assert len({fy(r["published"]) for r in tables["improvements"]}) >= 4
    assert len({r["service_id"] for r in tables["improvements"]}) >= 6


def test_releases_is_empty():
    assert read_yaml(DATASETS / "releases.yaml") == []


# ---------------------------------------------------------------------------------------------
# Seed 003's figures, counted from the CSVs
# ---------------------------------------------------------------------------------------------


def test_complaints_received_per_year(tables):
    received = Counter(fy(r["received"]) for r in tables["complaints"])
    assert received["2021/22"] == 276
    assert received["2022/23"] == 344
    assert received["2023/24"] == 227
    assert sorted(received) == ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24"]
    assert 150 <= received["2019/20"] <= 400 and 150 <= received["2020/21"] <= 400


def test_a_realistic_share_of_2022_23_complaints_are_stage_2(tables):
    year = [r for r in tables["complaints"] if fy(r["received"]) == "2022/23"]
    stage2 = sum(r["stage"] == "2" for r in year)
    assert 0.10 <= stage2 / len(year) <= 0.15


def test_about_half_of_decided_2023_24_complaints_upheld(tables):
    decided = [r["outcome"] for r in tables["complaints"] if fy(r["received"]) == "2023/24" and r["outcome"] in DECIDED]
    share = decided.count("upheld") / len(decided)
    assert 0.48 <= share <= 0.52


def test_compliments(tables):
    per_year = Counter(fy(r["received"]) for r in tables["compliments"])
    assert per_year["2021/22"] == 182
    assert per_year["2022/23"] == 202
    ytd = Counter(fy(r["received"]) for r in tables["compliments"] if q1_to_q3(r["received"]))
    assert ytd["2023/24"] > ytd["2022/23"]  # the first three quarters point to an increase


def test_customer_contacts(tables):
    rows = tables["contacts"]
    total = Counter()
    by = defaultdict(Counter)
    for r in rows:
        total[fy(r["month"])] += int(r["contacts"])
        by[r["channel"]][fy(r["month"])] += int(r["contacts"])
    assert total["2022/23"] == 112_820
    # Online forms roughly doubled in three years; phone fell every year.
    assert 1.8 <= by["online_form"]["2022/23"] / by["online_form"]["2019/20"] <= 2.4
    phone = [by["phone"][y] for y in ("2019/20", "2020/21", "2021/22", "2022/23")]
    assert phone == sorted(phone, reverse=True)
    # Visits jumped when the Customer Centre opened in December 2022.
    f2f = {r["month"]: int(r["contacts"]) for r in rows if r["channel"] == "face_to_face"}
    before = [f2f[m] for m in ("2022-04", "2022-05", "2022-06", "2022-07", "2022-08", "2022-09", "2022-10", "2022-11")]
    after = [f2f[m] for m in ("2023-01", "2023-02", "2023-03")]
    assert min(after) > 2 * max(before)
    assert f2f["2022-12"] > max(before)


def test_call_handling_time(tables):
    sums = defaultdict(lambda: Counter())
    for r in tables["calls"]:
        answered = int(r["answered"])
        assert answered <= int(r["offered"])
        assert int(r["offered"]) - answered == int(r["abandoned"])
        assert int(r["answered_within_60s"]) <= answered
        s = sums[fy(r["month"])]
        s["answered"] += answered
        s["handle"] += answered * int(r["average_handle_seconds"])
        s["wait"] += answered * int(r["average_wait_seconds"])
        s["offered"] += int(r["offered"])
        s["abandoned"] += int(r["abandoned"])
    aht = {y: s["handle"] / s["answered"] for y, s in sums.items()}
    assert round(aht["2022/23"]) == 348  # 5 minutes 48 seconds
    earlier = sum(aht[y] for y in ("2019/20", "2020/21", "2021/22")) / 3
    assert 45 <= aht["2022/23"] - earlier <= 75  # about a minute more than before
    wait = {y: s["wait"] / s["answered"] for y, s in sums.items()}
    abandoned = {y: s["abandoned"] / s["offered"] for y, s in sums.items()}
    assert wait["2022/23"] > wait["2019/20"]
    assert abandoned["2022/23"] > abandoned["2019/20"]


def test_phone_contacts_are_answered_calls(tables):
    phone = {r["month"]: r["contacts"] for r in tables["contacts"] if r["channel"] == "phone"}
    assert phone == {r["month"]: r["answered"] for r in tables["calls"]}


def test_face_to_face_rated_far_better_than_email(tables):
    ratings = defaultdict(Counter)
    for r in tables["satisfaction"]:
        for k in ("good", "average", "poor"):
            ratings[r["channel"]][k] += int(r[k])

    def good(ch):
        return ratings[ch]["good"] / sum(ratings[ch].values())

    assert good("face_to_face") >= 0.75
    assert good("email") <= 0.55
    assert good("face_to_face") - good("email") >= 0.25


def test_housing_ombudsman_decisions_in_2022_23(tables):
    hos = [r for r in tables["ombudsman_cases"] if r["ombudsman"] == "hos" and r["decided"] and fy(r["decided"]) == "2022/23"]
    assert Counter(r["outcome"] for r in hos) == {
        "outside_jurisdiction": 3, "referred_back": 1, "maladministration": 1, "no_maladministration": 1,
    }
    (fire,) = [r for r in hos if r["outcome"] == "maladministration"]
    assert float(fire["financial_remedy_gbp"]) == 300
    assert fire["remedy_agreed"] == "true" and fire["compliance"] == "on_time"


def test_lgsco_decisions_in_several_years(tables):
    lg = Counter(fy(r["decided"]) for r in tables["ombudsman_cases"] if r["ombudsman"] == "lgsco" and r["decided"])
    assert lg["2022/23"] >= 3
    assert len(lg) >= 4


def test_seven_escalations_to_an_ombudsman_in_2023_24(tables):
    cases = [r for r in tables["ombudsman_cases"] if fy(r["received"]) == "2023/24"]
    assert len(cases) == 7
    open_cases = [r for r in cases if not r["decided"]]
    assert 1 <= len(open_cases) < 7
    for r in open_cases:
        assert r["outcome"] == "" and r["compliance"] == ""
    # Fewer than the year before, even allowing for a quarter still to come.
    before = sum(fy(r["received"]) == "2022/23" for r in tables["ombudsman_cases"])
    assert 7 / 3 * 4 < before


def test_ombudsman_cases_are_consistent(tables):
    services = {r["service_id"]: r for r in tables["services"]}
    complaints = {r["complaint_id"]: r for r in tables["complaints"]}
    outcomes = {
        "lgsco": {"upheld", "not_upheld", "closed_after_initial_enquiries", "referred_back", "advice_given", "incomplete_or_invalid"},
        "hos": {"severe_maladministration", "maladministration", "partial_maladministration", "service_failure",
                "reasonable_redress", "no_maladministration", "outside_jurisdiction", "withdrawn", "referred_back"},
    }
    linked = 0
    for r in tables["ombudsman_cases"]:
        if r["decided"]:
            assert r["outcome"] in outcomes[r["ombudsman"]], r
            assert r["decided"] >= r["received"]
        landlord = services[r["service_id"]]["is_landlord_service"] == "true"
        assert landlord == (r["ombudsman"] == "hos"), r
        if r["complaint_id"]:
            linked += 1
            c = complaints[r["complaint_id"]]
            assert c["service_id"] == r["service_id"]
            assert c["responded"] and c["responded"] < r["received"]
    assert linked >= len(tables["ombudsman_cases"]) / 2


def test_services(tables):
    services = tables["services"]
    assert 12 <= len(services) <= 15
    ids = {r["service_id"] for r in services}
    assert {"council-tax", "benefits", "business-rates", "planning", "waste", "housing-repairs"} <= ids
    landlord = {r["service_id"] for r in services if r["is_landlord_service"] == "true"}
    assert "housing-repairs" in landlord and "council-tax" not in landlord
    assert len({r["directorate"] for r in services}) >= 3


def test_council(council):
    assert council["name"] == "Castlemere District Council"
    assert council["residents"] == 97_200
    assert 4_200 <= council["homes_owned"] <= 4_400
    years = {fy(r) for r in ("2019-04-01", "2020-04-01", "2021-04-01", "2022-04-01", "2023-04-01")}
    assert set(council["homes_owned_by_year"]) == years
    assert council["disclosure_threshold"] == 5
    assert council["contact"]["phone"].startswith("01632 960")
    assert council["contact"]["email"] == "complaints@castlemere.example"
    assert "2022-12-28" in council["non_working_days"]
    for day in council["non_working_days"]:
        assert dt.date.fromisoformat(day).weekday() < 5


# ---------------------------------------------------------------------------------------------
# Complaint records behave like a real case system's extract
# ---------------------------------------------------------------------------------------------


def _calendar(council):
    return periods.calendar("england", tuple(dt.date.fromisoformat(d) for d in council["non_working_days"]))


def test_stage_2_escalates_from_a_stage_1_of_the_same_service(tables):
    rows = {r["complaint_id"]: r for r in tables["complaints"]}
    parents = Counter()
    for r in rows.values():
        if r["stage"] == "1":
            assert r["escalated_from"] == ""
            continue
        parent = rows[r["escalated_from"]]
        parents[parent["complaint_id"]] += 1
        assert int(parent["stage"]) < int(r["stage"])
        assert parent["service_id"] == r["service_id"]
        assert parent["outcome"] in DECIDED
        assert parent["responded"] and parent["responded"] < r["received"]
    assert parents and max(parents.values()) == 1


def test_complaint_dates_outcomes_and_extensions(tables, policy):
    max_ext = {s["id"]: s["max_extension_working_days"] for s in policy["stages"]}
    for r in tables["complaints"]:
        if r["acknowledged"]:
            assert r["received"] <= r["acknowledged"]
        if r["responded"]:
            assert r["acknowledged"] and r["acknowledged"] <= r["responded"]
        assert bool(r["responded"]) == bool(r["outcome"]), r
        assert bool(r["not_accepted_reason"]) == (r["outcome"] == "not_accepted"), r
        if r["extension_working_days"]:
            assert 0 <= int(r["extension_working_days"]) <= max_ext[int(r["stage"])]
    outcomes = Counter(r["outcome"] for r in tables["complaints"])
    assert outcomes["not_accepted"] > 0 and outcomes["withdrawn"] > 0


def test_timeliness_is_mostly_but_not_always_on_time(tables, policy, council):
    cal = _calendar(council)
    stages = {s["id"]: s for s in policy["stages"]}
    for stage in (1, 2):
        rule = stages[stage]
        rows = [r for r in tables["complaints"] if r["stage"] == str(stage) and r["responded"]]
        on_time = extended = 0
        for r in rows:
            ext = int(r["extension_working_days"] or 0)
            ack = dt.date.fromisoformat(r["acknowledged"])
            taken = cal.between(ack, dt.date.fromisoformat(r["responded"]))
            on_time += taken <= rule["respond_within_working_days"] + ext
            extended += ext > 0
        assert 0.75 <= on_time / len(rows) < 0.98, stage
        assert extended > 0
    acked = [r for r in tables["complaints"] if r["acknowledged"]]
    on_time_ack = sum(
        cal.between(dt.date.fromisoformat(r["received"]), dt.date.fromisoformat(r["acknowledged"])) <= 5 for r in acked
    )
    assert 0.85 <= on_time_ack / len(acked) < 1


def test_recent_complaints_are_open_and_a_couple_overdue(tables, council):
    cal = _calendar(council)
    open_rows = [r for r in tables["complaints"] if not r["responded"]]
    assert open_rows
    assert all(r["received"] >= "2023-10-01" for r in open_rows)
    assert any(not r["acknowledged"] for r in open_rows)
    overdue = 0
    for r in open_rows:
        limit = 10 if r["stage"] == "1" else 20
        if r["acknowledged"]:
            due = cal.add(dt.date.fromisoformat(r["acknowledged"]), limit + int(r["extension_working_days"] or 0))
        else:
            due = cal.add(dt.date.fromisoformat(r["received"]), 5)
        overdue += due < AS_OF
    assert overdue >= 2


def test_channels_and_categories_are_varied(tables):
    channels = Counter(r["channel"] for r in tables["complaints"])
    categories = Counter(r["category"] for r in tables["complaints"])
    assert channels.most_common(1)[0][0] in ("online_form", "email")
    assert len(channels) >= 5 and len(categories) >= 6
    repairs = Counter(r["category"] for r in tables["complaints"] if r["service_id"] == "housing-repairs")
    assert repairs.most_common(1)[0][0] == "repairs"


def test_complaint_ids_are_opaque(tables):
    assert all(re.fullmatch(r"C-\d{4}-\d{5}", r["complaint_id"]) for r in tables["complaints"])


# ---------------------------------------------------------------------------------------------
# Policy, standards and self-assessment
# ---------------------------------------------------------------------------------------------


def test_policy_has_the_two_stages_of_seed_003(policy):
    s1, s2 = policy["stages"]
    assert (s1["acknowledge_within_working_days"], s1["respond_within_working_days"], s1["max_extension_working_days"]) == (5, 10, 10)
    assert (s2["acknowledge_within_working_days"], s2["respond_within_working_days"], s2["max_extension_working_days"]) == (5, 20, 20)
    assert s1["clock_starts"] == s2["clock_starts"] == "acknowledgement"
    assert "Strategic Director" in s1["signed_off_by"] and "Chief Executive" in s2["signed_off_by"]
    assert policy["effective_from"] == "2023-01-01"
    assert "expression of dissatisfaction, however made" in policy["definition"]
    assert {e["ombudsman"]: e["url"] for e in policy["escalation"]} == {
        "lgsco": "https://www.lgo.org.uk", "hos": "https://www.housing-ombudsman.org.uk",
    }
    assert {w["channel"] for w in policy["ways_to_complain"]} >= {"online_form", "email", "phone", "letter", "face_to_face"}


def test_policy_sentences_are_short(policy):
    """Residents with low literacy read How to complain: no sentence in it runs on."""
    texts = [w["how"] for w in policy["ways_to_complain"]] + policy["what_to_include"] + policy["reasonable_adjustments"]
    texts += [s["summary"] for s in policy["stages"]] + [s["how_to_escalate"] for s in policy["stages"]]
    texts += [e["when"] for e in policy["escalation"]] + [policy["other_formats"]] + policy["not_complaints"]
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            assert len(sentence.split()) <= 25, sentence


def test_standards_and_reported_results(tables):
    standards = read_yaml(DATASETS / "standards.yaml")
    assert 6 <= len(standards) <= 8
    on_time = {s.get("dimension_value") for s in standards if s["measure"] == "complaints_responded_on_time_by_stage"}
    assert on_time == {"1", "2"}
    assert any(s["measure"] == "calls_answered_rate" for s in standards)
    reported = {s["id"] for s in standards if s["measure"] == "reported"}
    assert 1 <= len(reported) <= 2
    years = {fy(r["received"]) for r in tables["complaints"]}
    results = defaultdict(set)
    for r in tables["standard_results"]:
        results[r["standard_id"]].add(r["period"])
    assert set(results) == reported
    for sid in reported:
        assert results[sid] == years


def test_self_assessment(tables):
    (sa,) = read_yaml(DATASETS / "self_assessment.yaml")
    assert sa["code"] == "hos_2024" and sa["year"] == "2022/23"
    assert 8 <= len(sa["provisions"]) <= 14
    assert {"compliant"} <= set(sa["provisions"][0])
    assert sa["governing_body_response"]["body"] == "Corporate Scrutiny Committee"
    assert sa["assessed_on"] <= sa["governing_body_response"]["date"] <= AS_OF.isoformat()
    # Its quoted figure agrees with the data.
    refused = sum(r["outcome"] == "not_accepted" and fy(r["received"]) == "2022/23" for r in tables["complaints"])
    (p21,) = [p for p in sa["provisions"] if p["ref"] == "2.1"]
    assert f"did not accept {refused}." in p21["evidence"]


# ---------------------------------------------------------------------------------------------
# Scale (issue 9)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale10")
    example.write_example(out, seed=2024, scale=10)
    return out


def test_scale_10_is_ten_times_bigger_and_consistent(scaled, tables):
    big = read_csv(scaled, "complaints")
    received = Counter(fy(r["received"]) for r in big)
    assert received["2022/23"] == 3440 and received["2021/22"] == 2760 and received["2023/24"] == 2270
    assert min(received) == "2014/15" and len(received) == 10
    small = Counter(fy(r["received"]) for r in tables["complaints"])
    for year, n in small.items():
        assert 9.5 <= received[year] / n <= 10.5
    compliments = Counter(fy(r["received"]) for r in read_csv(scaled, "compliments"))
    assert compliments["2022/23"] == 2020
    services = read_csv(scaled, "services")
    assert 40 <= len(services) <= 55  # about sqrt(10) times as many
    assert len({r["service_id"] for r in services}) == len(services)
    contacts = sum(int(r["contacts"]) for r in read_csv(scaled, "contacts") if fy(r["month"]) == "2022/23")
    assert contacts == 1_128_200
    cases = read_csv(scaled, "ombudsman_cases")
    assert sum(fy(r["received"]) == "2023/24" for r in cases) == 70
    council = read_yaml(scaled / "council.yaml")
    assert council["residents"] == 972_000
    assert len(council["homes_owned_by_year"]) == 10


def test_scale_10_package_is_valid(scaled):
    report = frictionless.validate(str(scaled / "datapackage.yaml"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "message"])[:10]
    for kind, filename in schema.YAML_FILES.items():
        jsonschema.Draft202012Validator(schema.yaml_schema(kind)).validate(read_yaml(scaled / filename))
