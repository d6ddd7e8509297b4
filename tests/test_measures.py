"""The measure registry against small hand-computed fixtures.

Every expected figure below was worked out by hand from the calendar (dates are commented where a
bank holiday, weekend or closure day matters), not by running the code.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from transparency_site import fmt, load, measures, periods

D = dt.date.fromisoformat

STAGE_1 = {
    "id": 1, "name": "Stage 1", "handled_by": "The service", "signed_off_by": "A head of service",
    "acknowledge_within_working_days": 5, "respond_within_working_days": 10, "clock_starts": "acknowledgement",
    "max_extension_working_days": 10,
}
STAGE_2 = {
    "id": 2, "name": "Stage 2", "handled_by": "Complaints team", "signed_off_by": "The chief executive",
    "acknowledge_within_working_days": 5, "respond_within_working_days": 20, "clock_starts": "acknowledgement",
    "max_extension_working_days": 20,
}
SERVICES = [
    {"service_id": "council-tax", "name": "Council Tax", "directorate": "Resources", "is_landlord_service": False},
    {"service_id": "housing-repairs", "name": "Housing repairs", "directorate": "Housing", "is_landlord_service": True},
]


def stage(sid: int, **changes) -> dict:
    base = dict(STAGE_1 if sid == 1 else STAGE_2, id=sid)
    base.update(changes)
    return base


def complaint(cid, received, *, stage=1, service="council-tax", ack=None, responded=None, outcome=None, ext=None,
              esc=None, channel="email", category="delay", reason=None) -> dict:
    if responded and outcome is None:
        outcome = "not_upheld"
    return {
        "complaint_id": cid, "stage": stage, "escalated_from": esc, "service_id": service,
        "received": D(received), "acknowledged": D(ack) if ack else None, "extension_working_days": ext,
        "responded": D(responded) if responded else None, "outcome": outcome, "not_accepted_reason": reason,
        "channel": channel, "category": category,
    }


def make_data(complaints, *, as_of="2024-03-31", stages=(STAGE_1, STAGE_2), services=SERVICES, council=None,
              tables=None, standards=()) -> load.Data:
    c = {
        "name": "Testham Borough Council", "short_name": "Testham", "country": "england", "council_type": "district",
        "website": "https://www.testham.example/", "site_url": "https://complaints.testham.example/",
        "residents": 50000, "data_as_of": as_of,
        "contact": {"phone": "01234 567890", "email": "complaints@testham.example", "address": "Town Hall",
                    "complaint_form_url": "https://www.testham.example/complain"},
    }
    c.update(council or {})
    policy = {"version": "1", "effective_from": "2020-04-01", "definition": "An expression of dissatisfaction.",
              "not_complaints": ["A request for service"], "ways_to_complain": [{"channel": "email", "how": "Email us"}],
              "stages": list(stages),
              "escalation": [{"ombudsman": "lgsco", "name": "Local Government and Social Care Ombudsman",
                              "applies_to": "council services", "url": "https://www.lgo.org.uk/"},
                             {"ombudsman": "hos", "name": "Housing Ombudsman", "applies_to": "council housing",
                              "url": "https://www.housing-ombudsman.org.uk/"}]}
    t = {"services": list(services), "complaints": list(complaints)}
    t.update(tables or {})
    return load.Data(root=Path("."), council=c, policy=policy, tables=t, standards=list(standards))


def rows_of(data, mid):
    return {(r["period"], r["dimension_value"]): r for r in measures.MEASURES[mid].compute(data)}


def val(data, mid, period, dv=None):
    r = rows_of(data, mid).get((period, None if dv is None else str(dv)))
    assert r is not None, f"no row {mid} {period} {dv}"
    return r


# --------------------------------------------------------------------------------------------------
# Working days, extensions and the clock


def test_easter_2024_and_financial_year_boundary():
    # Received Thu 21 Mar 2024; stage clock from receipt, 10 working days: Fri 22, Mon 25 – Thu 28 (5),
    # Good Friday 29 Mar and Easter Monday 1 Apr closed, Tue 2 – Fri 5 Apr (9), Mon 8 Apr (10).
    s1 = stage(1, clock_starts="receipt")
    data = make_data([
        complaint("a", "2024-03-21", ack="2024-03-22", responded="2024-04-08"),  # on the deadline
        complaint("b", "2024-03-21", ack="2024-03-22", responded="2024-04-09"),  # a day late
        complaint("c", "2024-03-31", ack="2024-04-02", responded="2024-04-03"),  # Sunday 31 March: 2023/24
        complaint("d", "2024-04-01", ack="2024-04-02", responded="2024-04-03"),  # Easter Monday, 1 April: 2024/25
    ], as_of="2024-06-30", stages=(s1, STAGE_2))
    assert val(data, "complaints_received", "2023/24")["value"] == 3
    assert val(data, "complaints_received", "2024/25")["value"] == 1
    assert val(data, "complaints_closed", "2023/24")["value"] == 0
    assert val(data, "complaints_closed", "2024/25")["value"] == 4
    r = val(data, "complaints_responded_on_time_by_stage", "2024/25", 1)
    assert (r["numerator"], r["denominator"], r["value"]) == (3, 4, 75.0)
    # Working days to respond: a 10, b 11; c: Sun 31 Mar → Wed 3 Apr is Tue 2, Wed 3 = 2; d: Mon 1 Apr (holiday) → Wed 3 = 2.
    r = val(data, "complaints_median_working_days", "2024/25")
    assert (r["value"], r["denominator"]) == (6.0, 4)  # median of 2, 2, 10, 11


def test_state_funeral_and_acknowledgement():
    # Received Mon 12 Sep 2022; acknowledge within 5 working days: Tue 13 – Fri 16 (4), Mon 19 Sep is the
    # state funeral bank holiday, Tue 20 (5).
    data = make_data([
        complaint("a", "2022-09-12", ack="2022-09-20", responded="2022-09-21"),
        complaint("b", "2022-09-12", ack="2022-09-21", responded="2022-09-22"),
        complaint("c", "2022-09-12", responded="2022-09-16"),  # no acknowledgement, answered in time: counts
        complaint("d", "2022-09-12"),  # open, never acknowledged: late by 31 March 2023
    ], as_of="2023-03-31")
    r = val(data, "complaints_acknowledged_on_time", "2022/23")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, 4, 50.0)


def test_acknowledgement_not_yet_due_is_left_out():
    # Received Fri 29 Mar 2024 (Good Friday); as of Tue 2 Apr only 1 working day has passed.
    data = make_data([complaint("a", "2024-03-28")], as_of="2024-04-02")
    r = val(data, "complaints_acknowledged_on_time", "2023/24")
    assert r["denominator"] == 0 and r["value"] is None and r["status"] == "no_data"


def test_council_closure_day():
    # Received Fri 22 Dec 2023, acknowledge within 5: 25 and 26 Dec bank holidays, 27 Dec a council closure
    # day, Thu 28 (1), Fri 29 (2), 1 Jan bank holiday, Tue 2 (3), Wed 3 (4), Thu 4 Jan (5).
    rows = [complaint("a", "2023-12-22", ack="2024-01-04", responded="2024-01-05")]
    closed = make_data(rows, council={"non_working_days": ["2023-12-27"]})
    open_ = make_data(rows)
    assert val(closed, "complaints_acknowledged_on_time", "2023/24")["value"] == 100.0
    assert val(open_, "complaints_acknowledged_on_time", "2023/24")["value"] == 0.0  # deadline was Wed 3 Jan
    # 22 Dec → 5 Jan: 28, 29, 2, 3, 4, 5 = 6 with the closure, 7 without.
    assert val(closed, "complaints_median_working_days", "2023/24")["value"] == 6.0
    assert val(open_, "complaints_median_working_days", "2023/24")["value"] == 7.0


def test_extensions_inside_and_beyond_the_maximum():
    # Clock from receipt, 10 working days, longest extension 10. Received Mon 5 Jun 2023 (no holidays):
    # deadline Mon 19 Jun; +5 → Mon 26 Jun; +10 (the maximum) → Mon 3 Jul.
    s1 = stage(1, clock_starts="receipt")
    data = make_data([
        complaint("in", "2023-06-05", ack="2023-06-06", responded="2023-06-23", ext=5),  # within the extension
        complaint("beyond_ok", "2023-06-05", ack="2023-06-06", responded="2023-07-03", ext=15),  # at the max
        complaint("beyond_late", "2023-06-05", ack="2023-06-06", responded="2023-07-05", ext=15),  # inside 15, past 10
        complaint("none", "2023-06-05", ack="2023-06-06", responded="2023-06-19"),  # on the normal deadline
    ], stages=(s1, STAGE_2))
    r = val(data, "complaints_responded_on_time", "2023/24")
    assert (r["numerator"], r["denominator"]) == (3, 4)
    r = val(data, "complaints_responded_on_time_without_extension", "2023/24")
    assert (r["numerator"], r["denominator"]) == (1, 4)


def test_clock_from_acknowledgement_versus_receipt():
    # Received Mon 5 Jun 2023. From receipt: deadline Mon 19 Jun. From acknowledgement on Wed 7 Jun:
    # Wed 21 Jun. Not acknowledged: the clock starts at the acknowledgement deadline Mon 12 Jun → Mon 26 Jun.
    # Acknowledged late (Wed 14 Jun): still from Mon 12 Jun, so Tue 27 Jun is late.
    rows = [
        complaint("a", "2023-06-05", ack="2023-06-07", responded="2023-06-21"),
        complaint("b", "2023-06-05", responded="2023-06-26"),
        complaint("c", "2023-06-05", ack="2023-06-14", responded="2023-06-27"),
        complaint("d", "2023-06-05", ack="2023-06-14", responded="2023-06-26"),
    ]
    by_ack = make_data(rows)
    by_receipt = make_data(rows, stages=(stage(1, clock_starts="receipt"), STAGE_2))
    on_time = [r["complaint_id"] for r in rows
               if measures.value(measures.compute_all(make_data([r])), "complaints_responded_on_time", "2023/24")["value"] == 100.0]
    assert on_time == ["a", "b", "d"]
    assert val(by_ack, "complaints_responded_on_time", "2023/24")["numerator"] == 3
    assert val(by_receipt, "complaints_responded_on_time", "2023/24")["numerator"] == 0


def test_three_stage_policy_and_escalation():
    s3 = {"id": 3, "name": "Stage 3", "handled_by": "Members' panel", "signed_off_by": "Panel chair",
          "acknowledge_within_working_days": 5, "respond_within_working_days": 30, "clock_starts": "receipt",
          "max_extension_working_days": 0}
    data = make_data([
        complaint("1a", "2023-05-02", ack="2023-05-03", responded="2023-05-10"),
        complaint("1b", "2023-05-02", ack="2023-05-03", responded="2023-05-10"),
        complaint("1c", "2023-05-02", ack="2023-05-03", responded="2023-05-10"),
        complaint("1d", "2023-05-02", ack="2023-05-03", responded="2023-05-10"),
        complaint("2a", "2023-06-01", stage=2, esc="1a", ack="2023-06-02", responded="2023-06-20", outcome="upheld"),
        complaint("2b", "2023-06-01", stage=2, esc="1b", ack="2023-06-02", responded="2023-06-20"),
        # Stage 3 from receipt, 30 working days, no extension allowed: Thu 3 Aug 2023 → Fri 4 Aug (1),
        # 7–25 Aug (16), Mon 28 Aug bank holiday, 29 Aug – 1 Sep (20), 4–8 Sep (25), 11–15 Sep (30): deadline
        # Fri 15 Sep. Answered Mon 18 Sep with an extension of 5: still late.
        complaint("3a", "2023-08-03", stage=3, esc="2a", ack="2023-08-04", responded="2023-09-18", ext=5),
    ], stages=(STAGE_1, STAGE_2, s3))
    assert [r["dimension_value"] for r in measures.MEASURES["complaints_received_by_stage"].compute(data)] == ["1", "2", "3"]
    assert val(data, "complaints_received_by_stage", "2023/24", 3)["value"] == 1
    assert val(data, "complaints_escalation_rate", "2023/24", 1)["value"] == 50.0
    assert val(data, "complaints_escalation_rate", "2023/24", 2)["value"] == 50.0
    assert ("2023/24", "3") not in rows_of(data, "complaints_escalation_rate")
    assert val(data, "complaints_responded_on_time_by_stage", "2023/24", 3)["value"] == 0.0
    assert val(data, "complaints_upheld_rate_by_stage", "2023/24", 2)["value"] == 50.0


def test_open_and_overdue_at_data_as_of():
    # As of Sun 31 Dec 2023 (2023/24, year to date Q1–Q3). Clock from receipt, 10 working days.
    s1 = stage(1, clock_starts="receipt")
    data = make_data([
        complaint("late", "2023-11-01", ack="2023-11-02"),  # deadline Wed 15 Nov: overdue
        # Wed 20 Dec: 21, 22, (25, 26), 27, 28, 29, (1 Jan), 2, 3, 4, 5, 8 Jan: not yet due
        complaint("fresh", "2023-12-20", ack="2023-12-21"),
        # Fri 1 Dec with an agreed extension of 10: Fri 15 Dec + 10 working days = Tue 2 Jan: not yet due
        complaint("extended", "2023-12-01", ack="2023-12-04", ext=10),
        complaint("done", "2023-11-01", ack="2023-11-02", responded="2023-12-01"),
    ], as_of="2023-12-31", stages=(s1, STAGE_2))
    r = val(data, "complaints_open_at_data_as_of", "2023/24")
    assert (r["value"], r["status"]) == (3, "year_to_date")
    assert val(data, "complaints_overdue_at_data_as_of", "2023/24")["value"] == 1
    assert val(data, "complaints_overdue_at_data_as_of_by_stage", "2023/24", 2)["value"] == 0
    assert measures.change(data, "complaints_open_at_data_as_of", "2023/24") is None


def test_fast_path_agrees_with_a_plain_reference_implementation():
    """The prepared working-day arithmetic against periods.calendar().add/between used naively."""
    rng = random.Random(7)
    closures = ("2023-12-27", "2023-12-28", "2024-05-07")
    cal = periods.calendar("england", closures)
    policies = {1: stage(1, clock_starts="acknowledgement"), 2: stage(2, clock_starts="receipt", max_extension_working_days=15)}
    as_of = D("2024-06-30")
    rows = []
    for i in range(400):
        s = rng.choice([1, 2])
        rec = D("2023-01-01") + dt.timedelta(days=rng.randrange(520))
        ack = cal.add(rec, rng.randint(0, 9)) if rng.random() < 0.85 else None
        resp = cal.add(rec, rng.randint(0, 60)) if rng.random() < 0.9 else None
        ack = None if ack and ack > as_of else ack
        resp = None if resp and resp > as_of else resp
        outcome = rng.choice(["upheld", "not_upheld", "withdrawn", "not_accepted"]) if resp else None
        rows.append(complaint(f"r{i}", rec.isoformat(), stage=s, service=rng.choice(["council-tax", "housing-repairs"]),
                              ack=ack and ack.isoformat(), responded=resp and resp.isoformat(), outcome=outcome,
                              ext=rng.choice([None, 0, 3, 10, 25]), reason="other_route_of_appeal" if outcome == "not_accepted" else None))
    data = make_data(rows, as_of=as_of.isoformat(), stages=(policies[1], policies[2]),
                     council={"non_working_days": list(closures), "homes_owned": 1000})
    out = measures.compute_all(data)
    expect_on_time, expect_days, expect_overdue, expect_ack, expect_code = Counter(), {}, 0, Counter(), Counter()
    for r in rows:
        p = policies[r["stage"]]
        rec, ack, resp, ext = r["received"], r["acknowledged"], r["responded"], r["extension_working_days"] or 0
        ack_due = cal.add(rec, p["acknowledge_within_working_days"])
        start = rec if p["clock_starts"] == "receipt" else min(ack or ack_due, ack_due)
        due = cal.add(start, p["respond_within_working_days"] + min(ext, p["max_extension_working_days"]))
        fy = periods.fy_of(rec)
        acked = ack or resp
        if acked or as_of > ack_due:
            expect_ack[(fy, bool(acked and acked <= ack_due))] += 1
        if resp is None:
            expect_overdue += as_of > due
        elif r["outcome"] != "withdrawn":
            expect_on_time[(periods.fy_of(resp), resp <= due)] += 1
            expect_days.setdefault(periods.fy_of(resp), []).append(cal.between(rec, resp))
        if r["service_id"] == "housing-repairs":
            c_ack, c_respond, c_ext = measures.CODE_TIMESCALES[r["stage"]]
            c_start = min(ack or cal.add(rec, c_ack), cal.add(rec, c_ack))
            ok = resp is not None and resp <= cal.add(c_start, c_respond + min(ext, c_ext))
            expect_code[(fy, r["stage"], ok)] += 1
    for y in ("2022/23", "2023/24"):
        r = measures.value(out, "complaints_responded_on_time", y)
        assert (r["numerator"], r["denominator"]) == (expect_on_time[(y, True)], expect_on_time[(y, True)] + expect_on_time[(y, False)])
        r = measures.value(out, "complaints_acknowledged_on_time", y)
        assert (r["numerator"], r["denominator"]) == (expect_ack[(y, True)], expect_ack[(y, True)] + expect_ack[(y, False)])
        assert measures.value(out, "complaints_median_working_days", y)["value"] == statistics.median(expect_days[y])
        for s in (1, 2):
            r = measures.value(out, "tsm_ch02", y, s)
            assert (r["numerator"], r["denominator"]) == (expect_code[(y, s, True)], expect_code[(y, s, True)] + expect_code[(y, s, False)])
    assert measures.value(out, "complaints_overdue_at_data_as_of", "2024/25")["value"] == expect_overdue


# --------------------------------------------------------------------------------------------------
# Years to date


def test_year_to_date_label_status_and_cut_off():
    data = make_data([
        complaint("a", "2022-05-01"), complaint("b", "2022-12-31"), complaint("c", "2023-02-01"),
        complaint("d", "2023-04-01"), complaint("e", "2023-12-31"),
        complaint("f", "2024-01-10"),  # after the last complete quarter: not in the Q1–Q3 figure
    ], as_of="2024-01-15")
    ys = measures.years(data)
    assert [(y.label, y.complete, y.display) for y in ys] == [
        ("2022/23", True, "2022/23"), ("2023/24", False, "2023/24 (Q1–Q3)")]
    assert ys[-1].end == D("2023-12-31")
    r = val(data, "complaints_received", "2023/24")
    assert (r["value"], r["status"]) == (2, "year_to_date")
    assert val(data, "complaints_received", "2022/23")["status"] == "complete"
    # Same dates of 2022/23 (1 April – 31 December 2022): a and b.
    ch = measures.change(data, "complaints_received", "2023/24")
    assert (ch["previous_value"], ch["basis"], ch["previous_period"]) == (2, "same_period", "2022/23")
    assert measures.comparable(val(data, "complaints_received", "2022/23"), val(data, "complaints_received", "2023/24")) is False
    quarters = [(r["period"], r["value"]) for r in measures.MEASURES["complaints_received_by_quarter"].compute(data)]
    assert quarters == [("Q1 2022/23", 1), ("Q2 2022/23", 0), ("Q3 2022/23", 1), ("Q4 2022/23", 1),
                        ("Q1 2023/24", 1), ("Q2 2023/24", 0), ("Q3 2023/24", 1)]
    months = rows_of(data, "complaints_received_by_month")
    assert months[("2024-01", None)]["status"] == "year_to_date" and months[("2024-01", None)]["value"] == 1
    assert months[("2023-12", None)]["status"] == "complete"


def test_year_to_date_before_the_first_quarter_ends():
    data = make_data([complaint("a", "2024-04-03"), complaint("b", "2023-04-03")], as_of="2024-05-15")
    y = measures.years(data)[-1]
    assert (y.display, y.end) == ("2024/25 (to 15 May 2024)", D("2024-05-15"))
    assert val(data, "complaints_received", "2024/25")["value"] == 1
    text = measures.sentence(data, measures.compute_all(data), "complaints_received", "2024/25")
    assert text == "In 2024/25 up to 15 May 2024, 1 complaint was received, compared with 1 in the same period of 2023/24."


# --------------------------------------------------------------------------------------------------
# Tenant Satisfaction Measures


def tsm_complaints():
    h = "housing-repairs"
    return [
        # Code stage 1: acknowledged Tue 7 Jun 2022 → 10 working days → Tue 21 Jun; +5 → Tue 28 Jun; +10 (max) → Tue 5 Jul.
        complaint("t1", "2022-06-06", service=h, ack="2022-06-07", responded="2022-06-21"),
        complaint("t2", "2022-06-06", service=h, ack="2022-06-07", responded="2022-06-28", ext=5),
        complaint("t3", "2022-06-06", service=h, ack="2022-06-07", responded="2022-07-12", ext=15),
        complaint("t4", "2022-06-06", service=h, ack="2022-06-07"),  # still open: made, not answered
        # Code stage 2: acknowledged Tue 5 Jul 2022 → 20 working days → Tue 2 Aug.
        complaint("t5", "2022-07-01", stage=2, esc="t1", service=h, ack="2022-07-05", responded="2022-08-02"),
        complaint("t6", "2022-07-01", stage=2, esc="t2", service=h, ack="2022-07-05", responded="2022-08-03"),
        complaint("x1", "2022-06-06", ack="2022-06-07", responded="2022-06-21"),  # not a landlord service
        complaint("t7", "2022-03-31", service=h, ack="2022-04-01", responded="2022-04-05"),  # 2021/22
    ]


def test_tsm_ch01_and_ch02_by_hand():
    # The council's own policy (5 working days from receipt) differs from the Code: CH02 must not use it.
    strict = stage(1, clock_starts="receipt", respond_within_working_days=5, max_extension_working_days=0)
    data = make_data(tsm_complaints(), as_of="2023-06-30", stages=(strict, STAGE_2),
                     council={"homes_owned": 4100, "homes_owned_by_year": {"2022/23": 4000}})
    ch01 = rows_of(data, "tsm_ch01")
    assert (ch01[("2022/23", "1")]["value"], ch01[("2022/23", "1")]["numerator"], ch01[("2022/23", "1")]["denominator"]) == (1.0, 4, 4000)
    assert ch01[("2022/23", "2")]["value"] == 0.5
    # 2021/22 has no homes_owned_by_year entry: falls back to homes_owned. 1 ÷ 4,100 × 1,000 = 0.24.
    assert (ch01[("2021/22", "1")]["value"], ch01[("2021/22", "1")]["denominator"]) == (0.2, 4100)
    ch02 = rows_of(data, "tsm_ch02")
    assert (ch02[("2022/23", "1")]["numerator"], ch02[("2022/23", "1")]["denominator"], ch02[("2022/23", "1")]["value"]) == (2, 4, 50.0)
    assert (ch02[("2022/23", "2")]["numerator"], ch02[("2022/23", "2")]["denominator"]) == (1, 2)
    assert ch02[("2023/24", "1")]["status"] == "no_data"
    # The council's own stage 1 measure uses its stricter policy: only t7 (3 working days) and none of June's.
    assert val(data, "complaints_responded_on_time_by_stage", "2022/23", 1)["numerator"] == 1
    assert all(m.landlord_only for m in measures.MEASURES.values() if m.group == "tsm")


def test_no_tsm_without_landlord_services_or_in_wales():
    not_landlord = [dict(s, is_landlord_service=False) for s in SERVICES]
    data = make_data(tsm_complaints(), services=not_landlord, council={"homes_owned": 4000})
    assert not [r for r in measures.compute_all(data) if r["measure"].startswith("tsm_")]
    wales = make_data(tsm_complaints(), council={"homes_owned": 4000, "country": "wales"})
    assert "tsm_ch01" not in {m.id for m in measures.available(wales)}
    no_homes = make_data(tsm_complaints())
    ids = {m.id for m in measures.available(no_homes)}
    assert "tsm_ch01" not in ids and "tsm_ch02" in ids


# --------------------------------------------------------------------------------------------------
# Outcomes, compliments, ombudsman, contact, standards


def test_outcomes_exclude_withdrawn_and_not_accepted():
    data = make_data([
        complaint("a", "2023-05-01", responded="2023-05-05", outcome="upheld"),
        complaint("b", "2023-05-01", responded="2023-05-05", outcome="partly_upheld"),
        complaint("c", "2023-05-01", responded="2023-05-05", outcome="not_upheld"),
        complaint("d", "2023-05-01", responded="2023-05-05", outcome="not_upheld"),
        complaint("e", "2023-05-01", responded="2023-05-02", outcome="withdrawn"),
        complaint("f", "2023-05-01", responded="2023-05-02", outcome="not_accepted", reason="legal_proceedings"),
    ])
    assert val(data, "complaints_closed", "2023/24")["value"] == 6
    assert val(data, "complaints_closed_by_outcome", "2023/24", "withdrawn")["value"] == 1
    r = val(data, "complaints_outcomes", "2023/24", "not_upheld")
    assert (r["value"], r["numerator"], r["denominator"]) == (50.0, 2, 4)
    assert ("2023/24", "withdrawn") not in rows_of(data, "complaints_outcomes")
    assert val(data, "complaints_upheld_rate", "2023/24")["value"] == 50.0
    assert val(data, "complaints_not_accepted_by_reason", "2023/24", "legal_proceedings")["value"] == 1
    # Withdrawn complaints are not responses: 5 of the 6 count for timeliness.
    assert val(data, "complaints_responded_on_time", "2023/24")["denominator"] == 5


def test_compliments_ombudsman_contact_and_standards():
    complaints = [complaint(f"c{i}", "2022-06-01", responded="2022-06-02", stage=2 if i < 2 else 1) for i in range(4)]
    compliments = [{"compliment_id": f"k{i}", "received": D("2022-07-01"), "service_id": "council-tax", "channel": "email"}
                   for i in range(3)]
    cases = [
        {"case_id": "h1", "ombudsman": "hos", "service_id": "housing-repairs", "complaint_id": None, "received": D("2022-05-01"),
         "decided": D("2022-08-01"), "outcome": "maladministration", "remedy_agreed": True, "financial_remedy_gbp": 300.0,
         "compliance": "on_time", "remedy_by_council": False},
        {"case_id": "h2", "ombudsman": "hos", "service_id": "housing-repairs", "complaint_id": None, "received": D("2022-05-01"),
         "decided": D("2022-08-01"), "outcome": "outside_jurisdiction", "remedy_agreed": False, "financial_remedy_gbp": None,
         "compliance": "not_applicable", "remedy_by_council": False},
        {"case_id": "h3", "ombudsman": "hos", "service_id": "housing-repairs", "complaint_id": None, "received": D("2022-05-01"),
         "decided": D("2022-09-01"), "outcome": "no_maladministration", "remedy_agreed": False, "financial_remedy_gbp": None,
         "compliance": None, "remedy_by_council": False},
        {"case_id": "l1", "ombudsman": "lgsco", "service_id": "council-tax", "complaint_id": None, "received": D("2022-05-01"),
         "decided": D("2022-10-01"), "outcome": "upheld", "remedy_agreed": True, "financial_remedy_gbp": 150.5,
         "compliance": "late", "remedy_by_council": True},
        {"case_id": "l2", "ombudsman": "lgsco", "service_id": "council-tax", "complaint_id": None, "received": D("2022-05-01"),
         "decided": None, "outcome": None, "remedy_agreed": None, "financial_remedy_gbp": None, "compliance": None,
         "remedy_by_council": None},
    ]
    months = [f"{y}-{m:02d}" for y, m in [(2022, m) for m in range(4, 13)] + [(2023, m) for m in range(1, 4)]]
    contacts = [{"month": m, "channel": ch, "contacts": n} for m in months for ch, n in (("phone", 60), ("email", 30), ("online_form", 10))]
    calls = [{"month": m, "offered": 100, "answered": 90, "answered_within_60s": 45, "abandoned": 10,
              "average_handle_seconds": 300 if i < 6 else 360, "average_wait_seconds": 60} for i, m in enumerate(months)]
    satisfaction = [{"month": m, "channel": "phone", "good": 3, "average": 1, "poor": 0} for m in months]
    standards = [
        {"id": "answer-calls", "promise": "We answer most calls", "measure": "calls_answered_rate", "target": 95, "unit": "percent", "better": "higher"},
        {"id": "short-waits", "promise": "Short waits", "measure": "calls_average_wait_seconds", "target": 2, "unit": "minutes", "better": "lower"},
        {"id": "stage-1", "promise": "Quick stage 1", "measure": "complaints_responded_on_time_by_stage", "dimension_value": "1",
         "target": 90, "unit": "percent", "better": "higher"},
        {"id": "visits", "promise": "Visits in 3 days", "measure": "reported", "target": 80, "unit": "percent", "better": "higher"},
    ]
    data = make_data(complaints, as_of="2023-03-31", tables={
        "compliments": compliments, "ombudsman_cases": cases, "contacts": contacts, "calls": calls,
        "satisfaction": satisfaction, "standard_results": [{"standard_id": "visits", "period": "2022/23", "value": 75.0}]},
        standards=standards)
    y = "2022/23"
    assert val(data, "compliments_received", y)["value"] == 3
    assert val(data, "compliments_received_by_service", y, "housing-repairs")["value"] == 0
    assert val(data, "compliments_per_complaint", y)["value"] == 0.75
    assert val(data, "ombudsman_escalations", y)["value"] == 5
    assert val(data, "ombudsman_decisions", y)["value"] == 4
    assert val(data, "ombudsman_decisions_by_outcome", y, "hos:maladministration")["value"] == 1
    assert val(data, "ombudsman_upheld_rate", y, "hos")["value"] == 50.0  # 1 of 2 investigated
    assert val(data, "ombudsman_upheld_rate", y, "lgsco")["value"] == 100.0
    r = val(data, "ombudsman_compliance_rate", y)
    assert (r["numerator"], r["denominator"]) == (1, 2)
    assert val(data, "ombudsman_financial_remedies_gbp", y)["value"] == 450.5
    assert val(data, "ombudsman_remedy_by_council", y)["value"] == 1
    assert val(data, "ombudsman_remedy_by_council_rate", y)["value"] == 50.0
    # 5 cases ÷ 2 stage 2 complaints closed.
    assert val(data, "complaints_escalated_to_ombudsman_rate", y)["value"] == 250.0
    assert val(data, "contacts_received", y)["value"] == 1200
    assert val(data, "contacts_received_by_channel", y, "email")["value"] == 360
    assert val(data, "online_share", y)["value"] == 40.0
    assert val(data, "complaints_per_1000_contacts", y)["value"] == 3.3  # 4 ÷ 1,200 × 1,000
    assert val(data, "complaints_per_1000_residents", y)["value"] == 0.1  # 4 ÷ 50,000 × 1,000 = 0.08
    assert len(rows_of(data, "contacts_by_month")) == 36
    assert val(data, "calls_offered", y)["value"] == 1200
    assert val(data, "calls_answered_rate", y)["value"] == 90.0
    assert val(data, "calls_answered_within_60s_rate", y)["value"] == 50.0
    assert val(data, "calls_abandoned_rate", y)["value"] == 10.0
    r = val(data, "calls_average_handle_seconds", y)
    assert (r["value"], r["numerator"], r["denominator"]) == (330, 356400, 1080)
    assert val(data, "satisfaction_by_channel", y, "phone")["value"] == 75.0
    met = {(s["standard_id"], s["period"]): s for s in measures.standards_met(data, measures.compute_all(data))}
    assert met[("answer-calls", y)]["met"] is False
    assert (met[("short-waits", y)]["value"], met[("short-waits", y)]["met"]) == (1.0, True)  # 60 s = 1 minute
    assert met[("stage-1", y)]["value"] == 100.0 and met[("stage-1", y)]["met"] is True
    assert (met[("visits", y)]["value"], met[("visits", y)]["met"]) == (75.0, False)
    assert fmt.format_value(330, "seconds") == "5 min 30 s"
    assert measures.format_row(data, val(data, "ombudsman_financial_remedies_gbp", y)) == "£450.50"


def test_a_missing_month_means_no_yearly_total():
    months = [f"2022-{m:02d}" for m in range(4, 13)] + ["2023-01", "2023-03"]  # February missing
    data = make_data([complaint("a", "2022-06-01")], as_of="2023-03-31",
                     tables={"contacts": [{"month": m, "channel": "phone", "contacts": 5} for m in months]})
    assert ("2022/23", None) not in rows_of(data, "contacts_received")
    assert len(rows_of(data, "contacts_by_month")) == 11


def test_absent_optional_resources_make_measures_unavailable():
    data = make_data([complaint("a", "2022-06-01")])
    ids = {m.id for m in measures.available(data)}
    for absent in ("contacts_received", "complaints_per_1000_contacts", "calls_offered", "satisfaction_by_channel",
                   "compliments_received", "ombudsman_decisions", "complaints_escalated_to_ombudsman_rate", "standard_result"):
        assert absent not in ids
    assert {"complaints_received", "complaints_per_1000_residents"} <= ids
    produced = {r["measure"] for r in measures.compute_all(data)}
    assert produced <= ids and "complaints_received" in produced


# --------------------------------------------------------------------------------------------------
# Sentences


def counts_data():
    """4 complaints in 2021/22, 5 in 2022/23, 2 in 2023/24 to Q3 (3 in the same period of 2022/23)."""
    dates = ["2021-05-01", "2021-06-01", "2021-09-01", "2022-02-01",
             "2022-05-01", "2022-08-01", "2022-12-01", "2023-01-05", "2023-03-01",
             "2023-05-01", "2023-11-01", "2024-01-05"]
    comps = [{"compliment_id": f"k{i}", "received": D(d), "service_id": "council-tax", "channel": "email"}
             for i, d in enumerate(["2021-05-01", "2021-06-01", "2022-05-01", "2022-06-01", "2023-06-01"])]
    return make_data([complaint(f"c{i}", d, ack=d, responded=d) for i, d in enumerate(dates)], as_of="2024-01-20",
                     tables={"compliments": comps})


def test_sentences_rise_fall_same_and_year_to_date():
    data = counts_data()
    rows = measures.compute_all(data)
    assert measures.sentence(data, rows, "complaints_received", "2022/23") == \
        "Complaints rose by 25%, from 4 in 2021/22 to 5 in 2022/23."
    assert measures.sentence(data, rows, "compliments_received", "2022/23") == \
        "Compliments stayed the same, at 2 in 2021/22 and 2022/23."
    assert measures.sentence(data, rows, "complaints_received", "2023/24") == (
        "In 2023/24 up to the end of December (Q1–Q3), 2 complaints were received, "
        "compared with 3 in the same period of 2022/23.")
    assert measures.sentence(data, rows, "complaints_received", "2021/22") == "In 2021/22, 4 complaints were received."
    assert measures.sentence(data, rows, "complaints_received_by_stage", "2022/23", "1") == \
        "Complaints (stage 1) rose by 25%, from 4 in 2021/22 to 5 in 2022/23."
    fell = make_data([complaint(f"c{i}", d) for i, d in enumerate(
        ["2021-05-01"] * 10 + ["2022-05-01"] * 9)], as_of="2023-03-31")
    assert measures.sentence(fell, measures.compute_all(fell), "complaints_received", "2022/23") == \
        "Complaints fell by 10%, from 10 in 2021/22 to 9 in 2022/23."
    # A large count with thousands separators and a change below 10% to 1 decimal place.
    big = make_data([complaint(f"c{i}", "2021-05-03" if i < 1200 else "2022-05-03") for i in range(2441)], as_of="2023-03-31")
    assert measures.sentence(big, measures.compute_all(big), "complaints_received", "2022/23") == \
        "Complaints rose by 3.4%, from 1,200 in 2021/22 to 1,241 in 2022/23."


def test_sentences_respect_disclosure_control():
    data = counts_data()
    rows = measures.compute_all(data)
    # Council Tax had 3 complaints in April–December 2022: a small number published nowhere else.
    assert measures.sentence(data, rows, "complaints_received_by_service", "2023/24", "council-tax") == \
        "In 2023/24 up to the end of December (Q1–Q3), 2 complaints were received (Council Tax)."
    assert measures.change(data, "complaints_received_by_service", "2023/24", "council-tax", rows) is None
    # Totals are not controlled, and with a threshold of 1 nothing is.
    assert "compared with 3" in measures.sentence(data, rows, "complaints_received", "2023/24")
    open_data = make_data(data.tables["complaints"], as_of="2024-01-20", council={"disclosure_threshold": 1})
    assert "compared with 3 in the same period of 2022/23" in measures.sentence(
        open_data, measures.compute_all(open_data), "complaints_received_by_service", "2023/24", "council-tax")
    hidden = [dict(r, value=None, numerator=None, denominator=None, status="suppressed")
              if (r["measure"], r["period"], r["dimension_value"]) == ("complaints_received_by_service", "2022/23", "council-tax")
              else r for r in rows]
    assert measures.sentence(data, hidden, "complaints_received_by_service", "2022/23", "council-tax") == (
        "The figure for complaints received by service (Council Tax) in 2022/23 is not shown, to protect the privacy "
        "of the people involved.")


def test_percentage_sentences_use_points():
    rows = [complaint("a", "2021-06-01", responded="2021-06-02"), complaint("b", "2021-06-01", responded="2021-09-02"),
            complaint("c", "2022-06-01", responded="2022-06-02"), complaint("d", "2022-06-01", responded="2022-06-02"),
            complaint("e", "2022-06-01", responded="2022-06-02"), complaint("f", "2022-06-01", responded="2022-09-02")]
    data = make_data(rows, as_of="2023-03-31")
    assert measures.sentence(data, measures.compute_all(data), "complaints_responded_on_time", "2022/23") == (
        "The percentage of complaints answered on time rose by 25.0 percentage points, from 50.0% in 2021/22 "
        "to 75.0% in 2022/23.")


# --------------------------------------------------------------------------------------------------
# Row shape, types, uniqueness, speed


def synthetic(n: int, seed: int = 1, as_of: str = "2024-01-15") -> load.Data:
    """About n complaint records over 2019/20–2023/24 with every optional resource present."""
    rng = random.Random(seed)
    services = [{"service_id": f"svc-{i}", "name": f"Service {i}", "directorate": "D", "is_landlord_service": i % 4 == 0}
                for i in range(40)]
    cal = periods.calendar("england", ())
    end = D(as_of)
    start = D("2019-04-01")
    span = (end - start).days
    complaints = []
    channels = ["online_form", "email", "phone", "letter"]
    cats = ["quality_of_service", "delay", "communication", "repairs"]
    i = 0
    while len(complaints) < n:
        rec = start + dt.timedelta(days=rng.randrange(span))
        ack = cal.add(rec, rng.randint(1, 7))
        resp = cal.add(ack, rng.randint(1, 25))
        if resp > end:
            ack, resp = (ack if ack <= end else None), None
        outcome = rng.choice(["upheld", "partly_upheld", "not_upheld", "not_upheld", "withdrawn", "not_accepted"]) if resp else None
        svc = services[rng.randrange(40)]["service_id"]
        cid = f"s1-{i}"
        complaints.append({"complaint_id": cid, "stage": 1, "escalated_from": None, "service_id": svc, "received": rec,
                           "acknowledged": ack, "extension_working_days": rng.choice([None, None, 0, 5, 12]),
                           "responded": resp, "outcome": outcome,
                           "not_accepted_reason": "legal_proceedings" if outcome == "not_accepted" else None,
                           "channel": rng.choice(channels), "category": rng.choice(cats)})
        if resp and rng.random() < 0.15 and resp + dt.timedelta(days=30) < end:
            rec2 = resp + dt.timedelta(days=rng.randint(1, 20))
            ack2 = cal.add(rec2, rng.randint(1, 6))
            resp2 = cal.add(ack2, rng.randint(5, 40))
            if resp2 > end:
                resp2 = None
            complaints.append({"complaint_id": f"s2-{i}", "stage": 2, "escalated_from": cid, "service_id": svc, "received": rec2,
                               "acknowledged": ack2 if ack2 <= end else None, "extension_working_days": None,
                               "responded": resp2, "outcome": rng.choice(["upheld", "not_upheld"]) if resp2 else None,
                               "not_accepted_reason": None, "channel": "email", "category": "delay"})
        i += 1
    months = []
    d = start
    while d <= end:
        months.append(f"{d.year}-{d.month:02d}")
        d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    compliments = [{"compliment_id": f"k{j}", "received": start + dt.timedelta(days=rng.randrange(span)),
                    "service_id": services[rng.randrange(40)]["service_id"], "channel": "email"} for j in range(n // 10)]
    outcomes = {"hos": ["maladministration", "no_maladministration", "outside_jurisdiction", "service_failure"],
                "lgsco": ["upheld", "not_upheld", "closed_after_initial_enquiries"]}
    cases = []
    for j in range(max(10, n // 100)):
        omb = rng.choice(["hos", "lgsco"])
        rec = start + dt.timedelta(days=rng.randrange(span - 120))
        cases.append({"case_id": f"o{j}", "ombudsman": omb, "service_id": "svc-0", "complaint_id": None, "received": rec,
                      "decided": rec + dt.timedelta(days=90), "outcome": rng.choice(outcomes[omb]), "remedy_agreed": True,
                      "financial_remedy_gbp": rng.choice([None, 100.0, 250.5]), "compliance": rng.choice(["on_time", "late", "pending"]),
                      "remedy_by_council": rng.random() < 0.3})
    tables = {
        "compliments": compliments, "ombudsman_cases": cases,
        "contacts": [{"month": m, "channel": ch, "contacts": rng.randint(100, 9000)} for m in months for ch in ("phone", "email", "online_form")],
        "calls": [{"month": m, "offered": 5000, "answered": 4500, "answered_within_60s": 3000, "abandoned": 500,
                   "average_handle_seconds": rng.randint(200, 400), "average_wait_seconds": rng.randint(20, 200)} for m in months],
        "satisfaction": [{"month": m, "channel": ch, "good": rng.randint(0, 90), "average": 5, "poor": 5} for m in months for ch in ("phone", "email")],
        "standard_results": [{"standard_id": "visits", "period": "2022/23", "value": 81.5}],
    }
    standards = [
        {"id": "stage-1", "promise": "Quick stage 1", "measure": "complaints_responded_on_time_by_stage", "dimension_value": "1",
         "target": 90, "unit": "percent", "better": "higher"},
        {"id": "waits", "promise": "Short waits", "measure": "calls_average_wait_seconds", "target": 120, "unit": "seconds", "better": "lower"},
        {"id": "visits", "promise": "Visits", "measure": "reported", "target": 80, "unit": "percent", "better": "higher"},
    ]
    return make_data(complaints, as_of=as_of, services=services, council={"homes_owned": 5000, "non_working_days": ["2023-12-27"]},
                     tables=tables, standards=standards)


TYPES = {"count": int, "percent": float, "per_1000": float, "working_days": float, "seconds": int, "gbp": float, "ratio": float}


def test_every_row_has_the_contract_shape():
    data = synthetic(3000)
    rows = measures.compute_all(data)
    assert {m.id for m in measures.available(data)} == set(measures.MEASURES)
    assert {r["measure"] for r in rows} == set(measures.MEASURES)
    seen = set()
    order = list(measures.MEASURES)
    last = None
    for r in rows:
        assert tuple(r) == measures.ROW_KEYS
        key = (r["measure"], r["period"], r["dimension"], r["dimension_value"])
        assert key not in seen, key
        seen.add(key)
        m = measures.MEASURES[r["measure"]]
        assert r["dimension"] == m.dimension
        assert r["dimension_value"] is None if m.dimension is None else isinstance(r["dimension_value"], str)
        assert r["status"] in ("complete", "year_to_date", "no_data")
        if r["value"] is None:
            assert r["status"] == "no_data"
        elif m.unit in TYPES:
            assert type(r["value"]) is TYPES[m.unit], (r, m.unit)
        for k in ("numerator", "denominator"):
            assert r[k] is None or type(r[k]) is int, r
        if m.unit == "percent" and r["value"] is not None:
            assert r["value"] == fmt.round_half_up(measures.Fraction(r["numerator"] * 100, r["denominator"]), 1)
        # Registry order, then chronological period, then dimension value.
        pos = (order.index(r["measure"]), measures.period_key(r["period"]), measures._dim_key(r["dimension_value"]))
        assert last is None or pos > last
        last = pos
        if r["measure"].endswith("_by_month"):
            assert len(r["period"]) == 7 and r["period"][4] == "-"
    # Stable: computing again gives the same rows.
    assert measures.compute_all(data) == rows
    for m in measures.MEASURES.values():
        assert m.title and m.definition.endswith(".") and len(m.method) > 40 and m.group in measures.GROUPS
        assert m.better in (None, "higher", "lower")


def test_received_totals_add_up_across_breakdowns():
    data = synthetic(2000)
    rows = measures.compute_all(data)
    for y in measures.years(data):
        total = measures.value(rows, "complaints_received", y.label)["value"]
        for mid in ("complaints_received_by_stage", "complaints_received_by_service", "complaints_received_by_channel",
                    "complaints_received_by_category"):
            assert sum(r["value"] for r in rows if r["measure"] == mid and r["period"] == y.label) == total, (mid, y)


def test_year_to_date_comparison_recomputes_the_same_dates():
    data = synthetic(2000)
    rows = measures.compute_all(data)
    ch = measures.change(data, "complaints_received", "2023/24", rows=rows)
    expected = sum(1 for c in data.table("complaints") if D("2022-04-01") <= c["received"] <= D("2022-12-31"))
    assert ch["previous_value"] == expected and ch["basis"] == "same_period"
    full = measures.value(rows, "complaints_received", "2022/23")["value"]
    assert expected < full


def test_speed_at_scale():
    data = synthetic(60000)
    t = time.perf_counter()
    rows = measures.compute_all(data)
    elapsed = time.perf_counter() - t
    assert rows and elapsed < 10, elapsed


# --------------------------------------------------------------------------------------------------
# The example council (datasets/ written by another helper): golden figures from seed 003

DATASETS = Path(__file__).resolve().parent.parent / "datasets"


@pytest.mark.skipif(not (DATASETS / "complaints.csv").exists(), reason="datasets/ not generated yet")
def test_example_council_golden_figures():
    data = load.load(DATASETS)
    rows = measures.compute_all(data)
    assert measures.value(rows, "complaints_received", "2021/22")["value"] == 276
    assert measures.value(rows, "complaints_received", "2022/23")["value"] == 344
    ytd = measures.value(rows, "complaints_received", "2023/24")
    assert (ytd["value"], ytd["status"]) == (227, "year_to_date")
    assert measures.value(rows, "compliments_received", "2021/22")["value"] == 182
    assert measures.value(rows, "compliments_received", "2022/23")["value"] == 202
    assert measures.sentence(data, rows, "complaints_received", "2022/23") == \
        "Complaints rose by 25%, from 276 in 2021/22 to 344 in 2022/23."
