"""Financial years, quarters, months, years to date and working days (periods.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency_site import periods

D = dt.date.fromisoformat


@pytest.mark.parametrize("day, label", [
    ("2022-04-01", "2022/23"), ("2023-03-31", "2022/23"), ("2023-04-01", "2023/24"),
    ("2000-01-15", "1999/00"), ("2024-02-29", "2023/24"),
])
def test_financial_year_of_a_day(day, label):
    assert periods.fy_of(D(day)) == label
    start, end = periods.fy_bounds(label)
    assert start <= D(day) <= end and (start.month, start.day, end.month, end.day) == (4, 1, 3, 31)
    assert periods.fy_label(periods.parse_fy(label)) == label


@pytest.mark.parametrize("bad", ["2022/24", "22/23", "2022-23", "2022/2023", "abcd/ef", ""])
def test_parse_fy_rejects_anything_else(bad):
    with pytest.raises(ValueError):
        periods.parse_fy(bad)


@pytest.mark.parametrize("day, quarter", [
    ("2023-04-01", "Q1 2023/24"), ("2023-06-30", "Q1 2023/24"), ("2023-07-01", "Q2 2023/24"),
    ("2023-12-31", "Q3 2023/24"), ("2024-01-01", "Q4 2023/24"), ("2024-03-31", "Q4 2023/24"),
])
def test_quarters(day, quarter):
    assert periods.quarter_label(D(day)) == quarter


def test_months():
    assert periods.month_label(D("2023-02-14")) == "2023-02"
    assert periods.month_fy("2023-03") == "2022/23" and periods.month_fy("2023-04") == "2023/24"


def test_years_covered_and_year_to_date():
    ys = periods.years_covered(D("2021-05-01"), D("2024-01-15"))
    assert [y.label for y in ys] == ["2021/22", "2022/23", "2023/24"]
    assert all(y.complete and y.quarters == 4 and y.display == y.label for y in ys[:2])
    ytd = ys[-1]
    assert (ytd.complete, ytd.quarters, ytd.display, ytd.slug) == (False, 3, "2023/24 (Q1–Q3)", "2023-24")
    # Labelled Q1–Q3, so it covers to the end of Q3, not to data_as_of (15 January).
    assert ytd.end == D("2023-12-31")


@pytest.mark.parametrize("as_of, quarters, end, display", [
    ("2023-06-30", 1, "2023-06-30", "2023/24 (Q1)"),
    ("2023-07-01", 1, "2023-06-30", "2023/24 (Q1)"),
    ("2023-09-30", 2, "2023-09-30", "2023/24 (Q1–Q2)"),
    ("2024-03-30", 3, "2023-12-31", "2023/24 (Q1–Q3)"),
    ("2023-04-01", 0, "2023-04-01", "2023/24 (to 1 April 2023)"),
    ("2023-05-15", 0, "2023-05-15", "2023/24 (to 15 May 2023)"),
])
def test_year_to_date_labels(as_of, quarters, end, display):
    y = periods.years_covered(D("2023-04-01"), D(as_of))[-1]
    assert (y.complete, y.quarters, y.end, y.display) == (False, quarters, D(end), display)


def test_a_year_ending_on_data_as_of_is_complete():
    ys = periods.years_covered(D("2022-06-01"), D("2024-03-31"))
    assert [(y.label, y.complete) for y in ys] == [("2022/23", True), ("2023/24", True)]


# --------------------------------------------------------------------------------------------------
# Working days

CAL = periods.calendar("england")


@pytest.mark.parametrize("day, working", [
    ("2024-03-28", True),  # Maundy Thursday
    ("2024-03-29", False),  # Good Friday
    ("2024-03-30", False),  # Saturday
    ("2024-04-01", False),  # Easter Monday (missing if no subdivision is given)
    ("2024-04-02", True),
    ("2022-06-02", False),  # Spring bank holiday moved for the Platinum Jubilee
    ("2022-06-03", False),  # Platinum Jubilee
    ("2022-09-19", False),  # State funeral of Queen Elizabeth II
    ("2023-05-08", False),  # Coronation of King Charles III
    ("2026-12-28", False),  # Boxing Day (substitute day)
    ("2023-08-28", False),  # Summer bank holiday (England and Wales, not Scotland)
    ("2023-08-07", True),  # Scotland's summer bank holiday is a working day here
])
def test_bank_holidays_england_and_wales(day, working):
    assert CAL.is_working_day(D(day)) is working
    assert periods.calendar("wales").is_working_day(D(day)) is working


def test_between_and_add_across_easter():
    # Thu 28 Mar 2024 → Tue 2 Apr 2024: Good Friday, the weekend and Easter Monday in between.
    assert CAL.between(D("2024-03-28"), D("2024-04-02")) == 1
    assert CAL.add(D("2024-03-28"), 1) == D("2024-04-02")
    assert CAL.add(D("2024-03-30"), 1) == D("2024-04-02")  # from a Saturday
    assert CAL.between(D("2024-04-02"), D("2024-03-28")) == 0  # reversed
    assert CAL.between(D("2024-04-02"), D("2024-04-02")) == 0
    assert CAL.add(D("2024-04-02"), 0) == D("2024-04-02")
    # Mon 12 Sep 2022 + 5 working days skips the state funeral: Tue 20 Sep.
    assert CAL.add(D("2022-09-12"), 5) == D("2022-09-20")


def test_council_closure_days():
    closed = periods.calendar("england", (D("2023-12-27"), D("2023-12-28"), D("2023-12-29")))
    # Fri 22 Dec 2023 + 1: 25 and 26 are bank holidays, 27–29 closures, 1 Jan a bank holiday → Tue 2 Jan.
    assert closed.add(D("2023-12-22"), 1) == D("2024-01-02")
    assert CAL.add(D("2023-12-22"), 1) == D("2023-12-27")
    # Closure days as written in council.yaml (strings), in any order, give the same calendar.
    same = periods.calendar("england", ("2023-12-29", "2023-12-27", "2023-12-28"))
    assert same is closed


def test_outside_the_calendar_is_a_clear_error():
    with pytest.raises(ValueError, match="outside the working-day calendar"):
        CAL.between(D("2009-12-31"), D("2010-01-05"))
    with pytest.raises(ValueError, match="outside the working-day calendar"):
        CAL.add(D("2040-12-20"), 30)


days = st.dates(min_value=D("2015-01-01"), max_value=D("2035-12-31"))


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=80))
def test_add_and_between_agree(start, n):
    due = CAL.add(start, n)
    assert CAL.is_working_day(due)
    assert CAL.between(start, due) == n
    assert CAL.between(start, due - dt.timedelta(days=1)) == n - 1


@settings(max_examples=300, deadline=None)
@given(a=days, b=days)
def test_between_counts_weekdays_that_are_not_holidays(a, b):
    if b > a + dt.timedelta(days=120):
        b = a + dt.timedelta(days=120)
    expected = sum(1 for k in range(1, (b - a).days + 1) if CAL.is_working_day(a + dt.timedelta(days=k)))
    assert CAL.between(a, b) == (expected if b > a else 0)
    weekdays = sum(1 for k in range(1, (b - a).days + 1) if (a + dt.timedelta(days=k)).weekday() < 5)
    assert CAL.between(a, b) <= max(weekdays, 0)
