"""Disclosure control: small numbers are hidden, and nothing hidden can be worked back out.

The attacks here are written independently of disclosure.py (no shared code): a reader with the
published rows and the knowledge of which tables add up to which totals tries to recover every
hidden number, three ways:

- ``recover``: differencing, the way a person with a spreadsheet would: any sum with exactly one
  unknown gives it away; repeat until nothing more comes out.
- ``recover_linear``: any combination of sums at once (exact rank test over the rationals).
- ``recover_bounds``: counts are never negative, so sums also bound each unknown from both sides;
  an unknown whose bounds meet is recovered (unless at zero: a published total of 0 says as much).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transparency_site import disclosure, schema
from transparency_site.disclosure import SYMBOL, footnote, suppress, suppress_records, suppress_with_report

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("value", "numerator", "denominator")


# ---- the attacker ------------------------------------------------------------------------------------


def _fy(period: str) -> str | None:
    """The financial year a month ('2022-05') or quarter ('Q1 2022/23') belongs to."""
    if len(period) == 7 and period[4] == "-":
        y, m = int(period[:4]), int(period[5:])
        start = y if m >= 4 else y - 1
        return f"{start}/{(start + 1) % 100:02d}"
    if period.startswith("Q") and " " in period:
        return period.split(" ", 1)[1]
    return None


def _quarter(period: str) -> str | None:
    if len(period) == 7 and period[4] == "-":
        m = int(period[5:])
        return f"Q{((m - 4) % 12) // 3 + 1} {_fy(period)}"
    return None


def published_numbers(rows: list[dict]) -> tuple[dict, set]:
    """What a reader sees: known numbers, and the numbers behind each [c].

    A hidden row of a count measure hides its value; a hidden row of any other measure hides the
    numerator and denominator its measure publishes elsewhere.
    """
    shows: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r["status"] != "suppressed":
            for f in FIELDS:
                if r[f] is not None:
                    shows[r["measure"]].add(f)
    for fs in shows.values():
        if "numerator" in fs or "denominator" in fs:
            fs.discard("value")
    known, unknown = {}, set()
    for r in rows:
        for f in sorted(shows.get(r["measure"], {"value"})):
            key = (r["measure"], r["period"], r["dimension_value"], f)
            if r["status"] == "suppressed":
                unknown.add(key)
            elif r[f] is not None:
                known[key] = r[f]
    return known, unknown


def attack_equations(rows: list[dict], totals: dict, links=()) -> list[tuple[dict, int]]:
    """Every sum the reader can write: ({key: coefficient}, constant). Only published totals are used."""
    known, unknown = published_numbers(rows)
    present = known.keys() | unknown
    by_measure = defaultdict(list)
    for r in rows:
        by_measure[r["measure"]].append(r)
    eqs = []

    def add(cells, total):
        if total in present and cells and all(c in present for c in cells):
            terms = Counter(cells)
            terms[total] -= 1
            eqs.append(({k: v for k, v in terms.items() if v}, 0))

    def targets(m):
        t = totals.get(m, [])
        return ([t] if isinstance(t, str) else list(t)) + [m]

    for m, rs in by_measure.items():
        for f in FIELDS:
            per_period = defaultdict(list)
            for r in rs:
                if r["dimension"] is not None:
                    per_period[r["period"]].append(r["dimension_value"])
            for p, values in per_period.items():
                cells = [(m, p, v, f) for v in values]
                for t in targets(m):
                    add(cells, (t, p, None, f))
                if all(":" in v for v in values):
                    for side in (0, 1):
                        groups = defaultdict(list)
                        for v in values:
                            groups[v.split(":")[side]].append((m, p, v, f))
                        for g, cs in groups.items():
                            for t in targets(m):
                                add(cs, (t, p, g, f))
            # Months add up to quarters and years, quarters to years.
            sub = defaultdict(list)
            for r in rs:
                for c in (_quarter(r["period"]), _fy(r["period"])):
                    if c:
                        sub[(c, r["dimension_value"])].append((m, r["period"], r["dimension_value"], f))
            for (c, v), cells in sub.items():
                for t in targets(m):
                    add(cells, (t, c, v, f))
    # Numbers the reader knows to be the same (a percentage's numerator and a count elsewhere).
    for (ma, fa), (mb, fb) in links:
        for key in list(present):
            if key[0] == ma and key[3] == fa and (mb, key[1], key[2], fb) in present:
                eqs.append(({key: 1, (mb, key[1], key[2], fb): -1}, 0))
    # Move what is known to the right-hand side.
    out = []
    for terms, const in eqs:
        rhs = const - sum(c * known[k] for k, c in terms.items() if k in known)
        unk = {k: c for k, c in terms.items() if k in unknown}
        if unk:
            out.append((unk, rhs))
    return out


def recover(rows: list[dict], totals: dict, links=()) -> dict:
    """Hidden numbers worked out by differencing: solve any sum with one unknown, repeat."""
    eqs = attack_equations(rows, totals, links)
    found: dict = {}
    progress = True
    while progress:
        progress = False
        for terms, rhs in eqs:
            left = {k: c for k, c in terms.items() if k not in found}
            if len(left) == 1:
                (k, c), = left.items()
                found[k] = Fraction(rhs - sum(c2 * found[k2] for k2, c2 in terms.items() if k2 in found), c)
                progress = True
    return found


def _rank(matrix: list[list[Fraction]]) -> int:
    m = [row[:] for row in matrix if any(row)]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((i for i in range(rank, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][c] != 0:
                f = m[i][c] / m[rank][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def recover_linear(rows: list[dict], totals: dict, links=()) -> set:
    """Hidden numbers fixed by some combination of sums: removing the column lowers the rank by one."""
    eqs = attack_equations(rows, totals, links)
    keys = sorted({k for terms, _ in eqs for k in terms}, key=str)
    # Split into independent blocks to keep the matrices small.
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for terms, _ in eqs:
        ks = list(terms)
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    blocks = defaultdict(list)
    for terms, _ in eqs:
        blocks[find(next(iter(terms)))].append(terms)
    fixed = set()
    for block in blocks.values():
        cols = sorted({k for t in block for k in t}, key=str)
        a = [[Fraction(t.get(k, 0)) for k in cols] for t in block]
        full = _rank(a)
        for j, k in enumerate(cols):
            if _rank([row[:j] + row[j + 1:] for row in a]) < full:
                fixed.add(k)
    return fixed


def recover_bounds(rows: list[dict], totals: dict, links=()) -> dict:
    """Hidden numbers pinned by non-negativity: interval propagation over every sum."""
    eqs = attack_equations(rows, totals, links)
    lo: dict = defaultdict(lambda: Fraction(0))
    hi: dict = defaultdict(lambda: Fraction(10**9))
    for _ in range(50):
        changed = False
        for terms, rhs in eqs:
            for k, c in terms.items():
                rest_lo = sum((c2 * (lo[k2] if c2 > 0 else hi[k2]) for k2, c2 in terms.items() if k2 != k), Fraction(0))
                rest_hi = sum((c2 * (hi[k2] if c2 > 0 else lo[k2]) for k2, c2 in terms.items() if k2 != k), Fraction(0))
                a, b = (rhs - rest_hi) / c, (rhs - rest_lo) / c
                new_lo, new_hi = max(lo[k], min(a, b)), min(hi[k], max(a, b))
                if new_lo > lo[k] or new_hi < hi[k]:
                    lo[k], hi[k] = new_lo, new_hi
                    changed = True
        if not changed:
            break
    keys = {k for terms, _ in eqs for k in terms}
    import math

    return {k: math.ceil(lo[k]) for k in keys if math.ceil(lo[k]) == math.floor(hi[k])}


def assert_safe(published: list[dict], totals: dict, truth: list[dict] | None = None, links=()) -> None:
    found = recover(published, totals, links)
    linear = recover_linear(published, totals, links)
    # Pinned at zero is allowed: it is what a published total of 0 says, and zeros are published anyway.
    bounds = {k: v for k, v in recover_bounds(published, totals, links).items() if v != 0}
    if truth is not None:
        # A "recovery" that is wrong (from a sum that does not really hold) discloses nothing.
        true = {(r["measure"], r["period"], r["dimension_value"], f): r[f] for r in truth for f in FIELDS}
        found = {k: v for k, v in found.items() if true.get(k) is not None and v == true[k]}
    assert found == {}, f"recovered by differencing: {found}"
    assert linear == set(), f"recovered by combining sums: {linear}"
    assert bounds == {}, f"pinned by bounds: {bounds}"


# ---- fixtures ----------------------------------------------------------------------------------------


def row(measure, period, dimension, dv, value, num=None, den=None, status="complete"):
    return {"measure": measure, "period": period, "dimension": dimension, "dimension_value": dv,
            "value": value, "numerator": num, "denominator": den, "status": status}


def table(measure, total_measure, period, dimension, cells: dict, total=True):
    rows = [row(measure, period, dimension, k, v) for k, v in cells.items()]
    if total:
        rows.append(row(total_measure, period, None, None, sum(cells.values())))
    return rows


def hidden(rows, measure=None):
    return {(r["measure"], r["period"], r["dimension_value"]) for r in rows
            if r["status"] == "suppressed" and (measure is None or r["measure"] == measure)}


def dv_hidden(rows, measure):
    return {r["dimension_value"] for r in rows if r["measure"] == measure and r["status"] == "suppressed"}


UNITS = {"received": "count", "received_by_service": "count"}
TOTALS = {"received_by_service": "received"}


def test_one_small_cell_gets_a_partner_and_cannot_be_recovered():
    rows = table("received_by_service", "received", "2022/23", "service",
                 {"housing": 3, "planning": 7, "waste": 10, "parks": 20, "tax": 0})
    out, report = suppress_with_report(rows, 5, units=UNITS, totals=TOTALS)
    assert dv_hidden(out, "received_by_service") == {"housing", "planning"}  # planning: next smallest non-zero
    assert (report.primary, report.secondary) == (1, 1)
    by = {r["dimension_value"]: r for r in out}
    assert by["housing"]["value"] is None and by["housing"]["status"] == "suppressed"
    assert by["tax"]["value"] == 0 and by["tax"]["status"] == "complete"  # zeros untouched
    assert by[None]["value"] == 40  # the total is published
    assert_safe(out, TOTALS)
    # The attack does work on primary suppression alone: the test can fail.
    naive = [dict(r, value=None, status="suppressed") if r["dimension_value"] == "housing" else r for r in rows]
    assert recover(naive, TOTALS) == {("received_by_service", "2022/23", "housing", "value"): 3}


def test_two_small_cells_need_no_partner():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 2, "planning": 3, "waste": 10, "parks": 20})
    out, report = suppress_with_report(rows, 5, units=UNITS, totals=TOTALS)
    assert dv_hidden(out, "received_by_service") == {"housing", "planning"}
    assert report.secondary == 0
    assert_safe(out, TOTALS)


def test_zeros_and_large_numbers_are_untouched():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 0, "planning": 0, "waste": 10, "parks": 20})
    out = suppress(rows, 5, units=UNITS, totals=TOTALS)
    assert out == rows
    assert out is not rows and out[0] is not rows[0]  # new rows


def test_input_is_not_changed():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 1, "waste": 10, "parks": 20})
    before = [dict(r) for r in rows]
    suppress(rows, 5, units=UNITS, totals=TOTALS)
    assert rows == before


def test_two_ones_are_not_left_alone():
    # Hidden 1 and 1 with the total published: each [c] is at least 1, so both would be 1.
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 1, "planning": 1, "waste": 10, "parks": 20})
    out = suppress(rows, 5, units=UNITS, totals=TOTALS)
    assert dv_hidden(out, "received_by_service") == {"housing", "planning", "waste"}
    assert_safe(out, TOTALS)


def test_a_zero_is_hidden_only_when_nothing_else_can_protect():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 3, "planning": 0, "waste": 0})
    out, report = suppress_with_report(rows, 5, units=UNITS, totals=TOTALS)
    assert len(dv_hidden(out, "received_by_service")) == 2 and "housing" in dv_hidden(out, "received_by_service")
    assert report.unprotectable == []
    assert_safe(out, TOTALS)


def test_a_lone_cell_equal_to_its_total_is_reported():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 3})
    out, report = suppress_with_report(rows, 5, units=UNITS, totals=TOTALS)
    assert dv_hidden(out, "received_by_service") == {"housing"}  # still [c]: small numbers are never shown
    assert report.unprotectable == [("received_by_service", "2022/23", "housing")]


def test_a_breakdown_without_a_known_total_still_gets_a_partner():
    # Nobody told suppress() what the cells add up to: it assumes the total is published somewhere.
    rows = [row("received_by_service", "2022/23", "service", k, v) for k, v in {"housing": 3, "planning": 7, "waste": 10}.items()]
    out = suppress(rows, 5, units={"received_by_service": "count"}, totals={})
    assert dv_hidden(out, "received_by_service") == {"housing", "planning"}
    published = out + [row("received", "2022/23", None, None, 20)]
    assert_safe(published, TOTALS)


def test_every_period_is_its_own_table():
    rows = (table("received_by_service", "received", "2021/22", "service", {"housing": 30, "planning": 7, "waste": 10})
            + table("received_by_service", "received", "2022/23", "service", {"housing": 3, "planning": 7, "waste": 10}))
    out = suppress(rows, 5, units=UNITS, totals=TOTALS)
    assert hidden(out) == {("received_by_service", "2022/23", "housing"), ("received_by_service", "2022/23", "planning")}
    assert_safe(out, TOTALS)


@pytest.mark.parametrize("threshold", [None, 10])
def test_threshold_from_council_default_and_custom(threshold):
    default = schema.yaml_schema("council")["properties"]["disclosure_threshold"]["default"]
    assert default == 5
    t = threshold or default
    cells = {"a": 1, "b": 4, "c": 5, "d": 9, "e": 10, "f": 30}
    out = suppress(table("received_by_service", "received", "2022/23", "service", cells), t, units=UNITS, totals=TOTALS)
    small = {k for k, v in cells.items() if 1 <= v < t}
    assert small <= dv_hidden(out, "received_by_service")
    assert {k for k, v in cells.items() if v >= t + 1} - dv_hidden(out, "received_by_service")  # not everything hidden
    assert_safe(out, TOTALS)
    assert f"between 1 and {t - 1}" in footnote(t)


def test_totals_are_published_unless_the_council_asks():
    rows = table("received_by_service", "received", "2022/23", "service", {"housing": 1, "planning": 2})
    out = suppress(rows, 5, units=UNITS, totals=TOTALS)
    assert [r["value"] for r in out if r["dimension"] is None] == [3]
    out = suppress(rows, 5, units=UNITS, totals=TOTALS, protect_totals=True)
    assert all(r["status"] == "suppressed" for r in out)


def test_contact_volumes_are_not_controlled():
    rows = [row("contacts_by_month", "2022-04", "channel", "webchat", 2), row("contacts_by_month", "2022-04", "channel", "phone", 900),
            row("contacts_received_by_channel", "2022/23", "channel", "letter", 3),
            row("calls_offered", "2022-04", None, None, 4)]
    units = {"contacts_by_month": "count", "contacts_received_by_channel": "count", "calls_offered": "count"}
    assert suppress(rows, 5, units=units, totals={}) == rows
    # ... unless the council says otherwise.
    out = suppress(rows, 5, units=units, totals={}, exempt=())
    assert {r["dimension_value"] for r in out if r["status"] == "suppressed"} >= {"webchat", "letter"}


def test_two_dimensional_ombudsman_outcomes():
    # Decisions by ombudsman and outcome; each ombudsman's outcomes add up to its total, which is a
    # cell of the by-ombudsman table, whose cells add up to the headline.
    cells = {"lgsco:upheld": 6, "lgsco:not_upheld": 9, "lgsco:advice_given": 0, "hos:maladministration": 2,
             "hos:no_maladministration": 8, "hos:service_failure": 0}
    rows = [row("omb_by_outcome", "2022/23", "ombudsman_outcome", k, v) for k, v in cells.items()]
    rows += [row("omb_by_ombudsman", "2022/23", "ombudsman", "lgsco", 15), row("omb_by_ombudsman", "2022/23", "ombudsman", "hos", 10),
             row("omb", "2022/23", None, None, 25)]
    units = {"omb_by_outcome": "count", "omb_by_ombudsman": "count", "omb": "count"}
    totals = disclosure.infer_totals(units)
    assert totals == {"omb_by_ombudsman": ["omb_by_outcome", "omb"], "omb_by_outcome": ["omb_by_ombudsman", "omb"]}
    out = suppress(rows, 5, units=units, totals=totals)
    assert dv_hidden(out, "omb_by_outcome") == {"hos:maladministration", "hos:no_maladministration"}
    assert dv_hidden(out, "omb_by_ombudsman") == set()  # 10 and 15 reveal nothing about the hidden pair
    assert_safe(out, totals)


def test_two_dimensional_small_group_total():
    # HOS decided 3 cases: its total is small, so it is hidden, and so must be LGSCO's (else 25 - 22),
    # and the outcomes inside each ombudsman need their own partners.
    cells = {"lgsco:upheld": 12, "lgsco:not_upheld": 10, "hos:maladministration": 1, "hos:no_maladministration": 2}
    rows = [row("omb_by_outcome", "2022/23", "ombudsman_outcome", k, v) for k, v in cells.items()]
    rows += [row("omb_by_ombudsman", "2022/23", "ombudsman", "lgsco", 22), row("omb_by_ombudsman", "2022/23", "ombudsman", "hos", 3),
             row("omb", "2022/23", None, None, 25)]
    units = {"omb_by_outcome": "count", "omb_by_ombudsman": "count", "omb": "count"}
    totals = disclosure.infer_totals(units)
    out = suppress(rows, 5, units=units, totals=totals)
    assert dv_hidden(out, "omb_by_ombudsman") == {"hos", "lgsco"}
    assert {"hos:maladministration", "hos:no_maladministration"} <= dv_hidden(out, "omb_by_outcome")
    assert_safe(out, totals)


def test_two_dimensional_months_by_channel():
    # Complaints by channel and month: months add up to the year's channel figure, channels add up to
    # each month's total, and the monthly totals add up to the year.
    months = ["2022-04", "2022-05", "2022-06"]
    grid = {("2022-04", "email"): 10, ("2022-04", "letter"): 2, ("2022-04", "phone"): 12,
            ("2022-05", "email"): 11, ("2022-05", "letter"): 0, ("2022-05", "phone"): 9,
            ("2022-06", "email"): 15, ("2022-06", "letter"): 6, ("2022-06", "phone"): 14}
    rows = [row("received_by_channel", m, "channel", c, v) for (m, c), v in grid.items()]
    rows += [row("received", m, None, None, sum(v for (mm, _), v in grid.items() if mm == m)) for m in months]
    rows += [row("received_by_channel", "2022/23", "channel", c, sum(v for (_, cc), v in grid.items() if cc == c))
             for c in ("email", "letter", "phone")]
    rows += [row("received", "2022/23", None, None, sum(grid.values()))]
    units = {"received_by_channel": "count", "received": "count"}
    totals = {"received_by_channel": "received"}
    out = suppress(rows, 5, units=units, totals=totals)
    assert ("received_by_channel", "2022-04", "letter") in hidden(out)
    # Every month and every channel with a hidden cell has at least two.
    cells = [(r["period"], r["dimension_value"]) for r in out if r["status"] == "suppressed" and r["dimension"]]
    assert all(n >= 2 for n in Counter(p for p, _ in cells).values())
    assert all(n >= 2 for n in Counter(c for _, c in cells).values())
    assert_safe(out, totals)
    naive = [dict(r, value=None, status="suppressed") if (r["period"], r["dimension_value"]) == ("2022-04", "letter") else r for r in rows]
    assert recover(naive, totals)  # primary suppression alone leaks here


def test_percentages_on_suppressed_counts_are_suppressed():
    # Upheld rate by service: numerator upheld, denominator decided (= the count table's value).
    counts = {"housing": 3, "planning": 7, "waste": 10, "parks": 20}
    upheld = {"housing": 1, "planning": 6, "waste": 5, "parks": 12}
    rows = table("decided_by_service", "decided", "2022/23", "service", counts)
    rows += [row("upheld_rate_by_service", "2022/23", "service", s, round(100 * upheld[s] / counts[s], 1), upheld[s], counts[s])
             for s in counts]
    rows += [row("upheld_rate", "2022/23", None, None, 60.0, sum(upheld.values()), sum(counts.values()))]
    units = {"decided_by_service": "count", "decided": "count", "upheld_rate_by_service": "percent", "upheld_rate": "percent"}
    totals = {"decided_by_service": "decided", "upheld_rate_by_service": "upheld_rate"}
    out = suppress(rows, 5, units=units, totals=totals)
    assert dv_hidden(out, "decided_by_service") == {"housing", "planning"}
    # housing: 1 of 3; planning: built on a hidden count (7), though 6 of 7 is not small itself.
    assert {"housing", "planning"} <= dv_hidden(out, "upheld_rate_by_service")
    for r in out:
        if r["status"] == "suppressed":
            assert r["value"] is None and r["numerator"] is None and r["denominator"] is None
    links = [(("upheld_rate_by_service", "denominator"), ("decided_by_service", "value"))]
    assert_safe(out, totals, links=links)


def test_a_percentage_with_a_small_numerator_gets_a_partner():
    # On-time rate by service: every row's numerator and denominator add up to the headline's.
    num = {"housing": 40, "planning": 2, "waste": 30}
    den = {"housing": 50, "planning": 20, "waste": 35}
    rows = [row("on_time_by_service", "2022/23", "service", s, round(100 * num[s] / den[s], 1), num[s], den[s]) for s in num]
    rows.append(row("on_time", "2022/23", None, None, 68.7, sum(num.values()), sum(den.values())))
    units = {"on_time_by_service": "percent", "on_time": "percent"}
    totals = {"on_time_by_service": "on_time"}
    out = suppress(rows, 5, units=units, totals=totals)
    assert dv_hidden(out, "on_time_by_service") == {"planning", "waste"}
    assert_safe(out, totals)


def test_statistics_about_few_cases_are_suppressed():
    rows = [row("median_days_by_stage", "2022/23", "stage", "1", 10.0, None, 280),
            row("median_days_by_stage", "2022/23", "stage", "2", 25.0, None, 3),
            row("remedies_gbp_by_ombudsman", "2022/23", "ombudsman", "hos", 500.0, None, 1),
            row("remedies_gbp_by_ombudsman", "2022/23", "ombudsman", "lgsco", 2500.0, None, 9)]
    out = suppress(rows, 5, units={"median_days_by_stage": "working_days", "remedies_gbp_by_ombudsman": "gbp"}, totals={})
    assert dv_hidden(out, "median_days_by_stage") == {"1", "2"}  # 2's count would be a difference of totals
    assert dv_hidden(out, "remedies_gbp_by_ombudsman") == {"hos", "lgsco"}


def test_a_restated_figure_is_hidden_with_its_source():
    # A service standard restating stage 2's on-time rate must not publish what the stage table hides.
    rows = [row("on_time_by_stage", "2022/23", "stage", "1", 90.0, 252, 280), row("on_time_by_stage", "2022/23", "stage", "2", 75.0, 3, 4),
            row("on_time", "2022/23", None, None, 89.5, 255, 284),
            row("standard_result", "2022/23", "standard", "stage-1-on-time", 90.0, 252, 280),
            row("standard_result", "2022/23", "standard", "stage-2-on-time", 75.0, 3, 4)]
    units = {"on_time_by_stage": "percent", "on_time": "percent", "standard_result": "standard"}
    out = suppress(rows, 5, units=units, totals={"on_time_by_stage": "on_time"})
    assert dv_hidden(out, "on_time_by_stage") == {"1", "2"}
    assert dv_hidden(out, "standard_result") == {"stage-1-on-time", "stage-2-on-time"}


def test_footnote_and_method():
    assert footnote(5).startswith("[c] means") and "between 1 and 4" in footnote(5)
    assert "between 1 and 9" in footnote(10)
    text = disclosure.method(5)
    assert "from 1 to 4" in text and "fewer than 5 records" in text and "{" not in text
    assert disclosure.METHOD == text  # the default threshold
    assert "from 1 to 9" in disclosure.method(10) and "fewer than 10 records" in disclosure.method(10)


# ---- random tables ---------------------------------------------------------------------------------


@st.composite
def random_tables(draw):
    """Rows of one of four shapes, with counts 0–30, and the totals map that describes them."""
    kind = draw(st.sampled_from(["1d", "2d", "2d_columns", "months", "rates"]))
    count = st.integers(0, 30)
    rows: list[dict] = []
    if kind == "1d":
        n = draw(st.integers(2, 12))
        for y in range(draw(st.integers(1, 3))):
            p = f"{2020 + y}/{(21 + y) % 100:02d}"
            cells = {f"s{i}": draw(count) for i in range(n)}
            rows += table("x_by_cat", "x", p, "category", cells)
        units = {"x": "count", "x_by_cat": "count"}
        return rows, units, {"x_by_cat": "x"}
    if kind == "rates":
        # A count table and a percentage table on it: upheld of decided, by category.
        n = draw(st.integers(2, 12))
        for y in range(draw(st.integers(1, 3))):
            p = f"{2020 + y}/{(21 + y) % 100:02d}"
            den = {f"s{i}": draw(count) for i in range(n)}
            num = {s: draw(st.integers(0, d)) for s, d in den.items()}
            rows += table("d_by_cat", "d", p, "category", den)
            rows += [row("r_by_cat", p, "category", s, round(100 * num[s] / den[s], 1) if den[s] else None, num[s], den[s],
                         "complete" if den[s] else "no_data") for s in den]
            rows.append(row("r", p, None, None, None, sum(num.values()), sum(den.values())))
        units = {"d": "count", "d_by_cat": "count", "r": "percent", "r_by_cat": "percent"}
        return rows, units, {"d_by_cat": "d", "r_by_cat": "r"}
    if kind in ("2d", "2d_columns"):
        a_n, b_n = draw(st.integers(2, 4)), draw(st.integers(2, 4))
        for y in range(draw(st.integers(1, 3))):
            p = f"{2020 + y}/{(21 + y) % 100:02d}"
            grid = {(a, b): draw(count) for a in range(a_n) for b in range(b_n)}
            rows += [row("y_by_outcome", p, "group_outcome", f"g{a}:o{b}", v) for (a, b), v in grid.items()]
            rows += [row("y_by_group", p, "group", f"g{a}", sum(grid[(a, b)] for b in range(b_n))) for a in range(a_n)]
            if kind == "2d_columns":
                rows += [row("y_by_result", p, "result", f"o{b}", sum(grid[(a, b)] for a in range(a_n))) for b in range(b_n)]
            rows.append(row("y", p, None, None, sum(grid.values())))
        units = {"y": "count", "y_by_outcome": "count", "y_by_group": "count", "y_by_result": "count"}
        totals = {"y_by_outcome": ["y_by_group", "y_by_result", "y"], "y_by_group": "y", "y_by_result": "y"}
        return rows, units, totals
    months = [f"2022-{m:02d}" for m in range(4, 4 + draw(st.integers(2, 3)))]
    channels = [f"c{i}" for i in range(draw(st.integers(2, 6)))]
    grid = {(m, c): draw(count) for m in months for c in channels}
    rows += [row("z_by_channel", m, "channel", c, v) for (m, c), v in grid.items()]
    rows += [row("z", m, None, None, sum(grid[(m, c)] for c in channels)) for m in months]
    rows += [row("z_by_channel", "2022/23", "channel", c, sum(grid[(m, c)] for m in months)) for c in channels]
    rows.append(row("z", "2022/23", None, None, sum(grid.values())))
    return rows, {"z": "count", "z_by_channel": "count"}, {"z_by_channel": "z"}


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_tables(), st.sampled_from([5, 10]))
def test_random_tables_cannot_be_recovered(case, threshold):
    rows, units, totals = case
    out, report = suppress_with_report(rows, threshold, units=units, totals=totals)
    assert report.unprotectable == []
    for before, after in zip(rows, out, strict=True):
        small = before["dimension"] is not None or before["period"].count("-") == 1
        numbers = [before["value"]] if units[before["measure"]] == "count" else [before["numerator"], before["denominator"]]
        if small and any(v is not None and 1 <= v < threshold for v in numbers):
            assert after["status"] == "suppressed" and after["value"] is None
        if before["dimension"] is None and before["period"].count("/") == 1:
            assert after == before  # yearly totals are published
        if after["status"] != "suppressed":
            assert after == before
    assert_safe(out, totals, links=[(("r_by_cat", "denominator"), ("d_by_cat", "value"))])


# ---- record-level downloads ----------------------------------------------------------------------------

SERVICES = ["housing-repairs", "waste", "planning", "council-tax", "parking", "leisure", "licensing", "crematorium"]
CHANNELS = schema.enum("complaints", "channel")
CATEGORIES = schema.enum("complaints", "category")


def random_complaints(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        received = dt.date(2021, 4, 1) + dt.timedelta(days=rng.randrange(3 * 365))
        # Skewed like real data: a few big services and channels, a long tail of rare ones.
        rows.append({
            "complaint_id": f"C{i:05d}", "stage": 1, "escalated_from": None,
            "service_id": rng.choices(SERVICES, weights=[40, 25, 12, 10, 6, 4, 2, 1])[0],
            "received": received, "responded": received + dt.timedelta(days=rng.randrange(1, 30)),
            "outcome": rng.choice(["upheld", "partly_upheld", "not_upheld"]),
            "channel": rng.choices(CHANNELS, weights=[40, 30, 20, 5, 3, 1, 1])[0],
            "category": rng.choices(CATEGORIES, weights=[30, 25, 20, 10, 8, 5, 2])[0],
        })
    # Stage 2 escalations of some of them, same service.
    for i, parent in enumerate(rng.sample(rows, n // 8)):
        rows.append(dict(parent, complaint_id=f"E{i:05d}", stage=2, escalated_from=parent["complaint_id"],
                         received=parent["responded"] + dt.timedelta(days=3), channel=rng.choice(CHANNELS)))
    return rows


def fy(d) -> str:
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


QIS = ["received:financial_year", "service_id", "category", "channel"]


def assert_k_anonymous(published: list[dict], original: list[dict], k: int) -> None:
    free = ["service_id", "category", "channel"]
    key = [(fy(r["received"]), *(r[f] for f in free)) for r in published]
    sizes = Counter(key)
    per_year = Counter(fy(r["received"]) for r in original)
    for kk, n in sizes.items():
        if n < k:
            # Only allowed where the whole year has fewer than k records: then everything is [c].
            assert per_year[kk[0]] < k and all(v == SYMBOL for v in kk[1:]), (kk, n)
    # Published values are either the truth or [c]; nothing else changes.
    for p, o in zip(published, original, strict=True):
        for f in o:
            assert p[f] == o[f] or (p[f] == SYMBOL and f in free + ["escalated_from"]), (f, p[f], o[f])
    # A stage 2 record's link must not give away a value replaced in it or in its stage 1 record.
    by_id = {o["complaint_id"]: i for i, o in enumerate(original)}
    for p, o in zip(published, original, strict=True):
        if o["escalated_from"] and p["escalated_from"] != SYMBOL:
            j = by_id[o["escalated_from"]]
            for f in free:
                if o[f] == original[j][f]:
                    assert (p[f] == SYMBOL) == (published[j][f] == SYMBOL), (p["complaint_id"], f)


@pytest.mark.parametrize("k", [5, 10])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_records_are_k_anonymous(seed, k):
    rows = random_complaints(seed, 600)
    out = suppress_records(rows, "complaints", k, QIS)
    assert_k_anonymous(out, rows, k)
    replaced = sum(v == SYMBOL for r in out for v in r.values())
    # Some values had to go (the data has rare combinations), but most of the detail survives.
    assert 0 < replaced < 0.5 * len(rows) * 3
    # No record is unique on (service, year, category, channel) once [c] is read as "any value":
    # the people consistent with any record's true details number at least k.
    for o in rows[:100]:
        matches = sum(1 for p in out if fy(p["received"]) == fy(o["received"])
                      and all(p[f] in (o[f], SYMBOL) for f in ("service_id", "category", "channel")))
        assert matches >= k


def test_records_unchanged_when_every_group_is_large():
    rows = [{"complaint_id": f"C{i}", "escalated_from": None, "service_id": "waste", "received": dt.date(2022, 5, 1),
             "category": "delay", "channel": "email"} for i in range(6)]
    assert suppress_records(rows, "complaints", 5, QIS) == rows


def test_records_a_lone_record_is_pooled_with_donors():
    base = {"escalated_from": None, "received": dt.date(2022, 5, 1), "category": "delay", "channel": "email"}
    rows = [dict(base, complaint_id=f"W{i}", service_id="waste") for i in range(8)]
    rows.append(dict(base, complaint_id="X", service_id="crematorium", channel="letter"))
    out = suppress_records(rows, "complaints", 5, QIS)
    assert_k_anonymous(out, rows, 5)
    # Nine records cannot make two groups of five: all nine must look alike. What they share (the
    # category) stays; what tells the crematorium complaint apart is replaced in all nine.
    assert all(r["service_id"] == SYMBOL and r["channel"] == SYMBOL and r["category"] == "delay" for r in out)
    # With one more waste complaint, five stay fully published and five make the pool.
    rows.insert(0, dict(base, complaint_id="W9", service_id="waste"))
    out = suppress_records(rows, "complaints", 5, QIS)
    assert_k_anonymous(out, rows, 5)
    assert sum(1 for r in out if r["service_id"] == "waste" and r["channel"] == "email") == 5


def test_records_a_tiny_year_has_everything_replaced():
    rows = [{"complaint_id": f"C{i}", "escalated_from": None, "service_id": s, "received": dt.date(2022, 5, 1),
             "category": "delay", "channel": "email"} for i, s in enumerate(["waste", "waste", "planning"])]
    out = suppress_records(rows, "complaints", 5, QIS)
    assert all(r[f] == SYMBOL for r in out for f in ("service_id", "category", "channel"))
    assert [r["received"] for r in out] == [r["received"] for r in rows]  # dates are kept


def test_records_cross_file_links():
    cases = [{"case_id": f"O{i}", "ombudsman": "lgsco", "service_id": "waste", "complaint_id": f"C{i}",
              "received": dt.date(2022, 6, 1), "outcome": "upheld"} for i in range(6)]
    out = suppress_records(cases, "ombudsman_cases", 5, linked_masked={"complaint_id": {"C2"}})
    assert [r["complaint_id"] for r in out] == ["C0", "C1", SYMBOL, "C3", "C4", "C5"]
    assert disclosure.masked_ids(out, "ombudsman_cases") == {"O2"}


# ---- the example council ---------------------------------------------------------------------------


def _example():
    from transparency_site import load, measures

    data = load.load(ROOT / "datasets")
    rows = measures.compute_all(data)
    return data, rows, measures


def _true_links(rows: list[dict]) -> list:
    """Percentage numerators/denominators that equal a count in another measure in every shared cell:
    the reader knows these are the same number."""
    series = defaultdict(dict)
    for r in rows:
        if r["dimension"] is None:
            continue
        for f in FIELDS:
            if r[f] is not None:
                series[(r["measure"], f)][(r["period"], r["dimension_value"])] = r[f]
    links = []
    for a, sa in series.items():
        for b, sb in series.items():
            if a[0] != b[0] and a[1] != "value" and b[1] == "value":
                shared = sa.keys() & sb.keys()
                if shared and all(sa[k] == sb[k] for k in shared):
                    links.append((a, b))
    return links


def test_example_council_rows_cannot_be_recovered():
    data, rows, measures = _example()
    units = {m: M.unit for m, M in measures.MEASURES.items()}
    totals = disclosure.infer_totals(units)
    out, report = suppress_with_report(rows, data.threshold, units=units, totals=totals)
    print(f"example council: {len(rows)} rows, {report.primary} hidden for being small, "
          f"{report.secondary} to protect them, unprotectable: {report.unprotectable}")
    assert report.primary > 0 and report.unprotectable == []
    controlled = [r for r, o in zip(rows, out, strict=True) if disclosure.is_controlled(r["measure"])]
    assert controlled
    for before, after in zip(rows, out, strict=True):
        if before["dimension"] is not None and units.get(before["measure"]) == "count" and disclosure.is_controlled(before["measure"]) \
                and before["value"] is not None and 1 <= before["value"] < data.threshold:
            assert after["status"] == "suppressed"
        if not disclosure.is_controlled(before["measure"]):
            assert after == before
    assert_safe(out, totals, truth=rows, links=_true_links(rows))


def test_example_council_records_are_k_anonymous():
    data, _, _ = _example()
    complaints = data.table("complaints")
    out = suppress_records(complaints, "complaints", data.threshold, QIS)
    assert_k_anonymous(out, complaints, data.threshold)
