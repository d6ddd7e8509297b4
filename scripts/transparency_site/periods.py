"""Stage: periods. UK financial years, quarters, months and working days.

Working days are Monday to Friday, excluding the bank holidays of England and Wales (from the
``holidays`` package, always with a subdivision: without one it omits Easter Monday) and the
council's own extra closure days.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays

Q_NAMES = ("Q1", "Q2", "Q3", "Q4")


def fy_start_year(day: dt.date) -> int:
    """The calendar year in which the financial year containing ``day`` starts (April–March)."""
    return day.year if day.month >= 4 else day.year - 1


def fy_label(start_year: int) -> str:
    """2022 → '2022/23'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fy_of(day: dt.date) -> str:
    return fy_label(fy_start_year(day))


def parse_fy(label: str) -> int:
    """'2022/23' → 2022. Raises ValueError for anything else."""
    start, _, end = label.partition("/")
    if not (len(start) == 4 and start.isdigit() and len(end) == 2 and end.isdigit()):
        raise ValueError(f"not a financial year: {label!r}")
    if (int(start) + 1) % 100 != int(end):
        raise ValueError(f"not a financial year: {label!r}")
    return int(start)


def fy_bounds(label: str) -> tuple[dt.date, dt.date]:
    y = parse_fy(label)
    return dt.date(y, 4, 1), dt.date(y + 1, 3, 31)


def quarter_of(day: dt.date) -> int:
    """Financial quarter 1–4 (Q1 is April–June)."""
    return ((day.month - 4) % 12) // 3 + 1


def quarter_label(day: dt.date) -> str:
    return f"Q{quarter_of(day)} {fy_of(day)}"


def month_label(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_fy(month: str) -> str:
    """'2023-02' → '2022/23'."""
    y, m = int(month[:4]), int(month[5:7])
    return fy_of(dt.date(y, m, 1))


@dataclass(frozen=True)
class Year:
    """A financial year as the site shows it: complete, or year to date at data_as_of."""

    label: str  # '2023/24'
    complete: bool
    quarters: int  # complete quarters covered (4 for a complete year)
    end: dt.date  # last day covered

    @property
    def display(self) -> str:
        """'2022/23', or '2023/24 (Q1–Q3)' for a year to date."""
        if self.complete:
            return self.label
        if self.quarters == 0:
            return f"{self.label} (to {self.end.day} {self.end:%B %Y})"
        return f"{self.label} (Q1–Q{self.quarters})" if self.quarters > 1 else f"{self.label} (Q1)"

    @property
    def slug(self) -> str:
        return self.label.replace("/", "-")


def years_covered(first: dt.date, data_as_of: dt.date) -> list[Year]:
    """Every financial year from the one containing ``first`` to the one containing data_as_of."""
    out = []
    for y in range(fy_start_year(first), fy_start_year(data_as_of) + 1):
        start, end = fy_bounds(fy_label(y))
        if data_as_of >= end:
            out.append(Year(fy_label(y), True, 4, end))
        else:
            # Complete quarters only count when data_as_of is a quarter end.
            q_done = quarter_of(data_as_of) - (0 if _is_quarter_end(data_as_of) else 1)
            # A year labelled Q1–Qn covers up to the end of Qn, not to data_as_of: figures for the
            # days after the last complete quarter would not match the label.
            last_day = _quarter_end(y, q_done) if q_done else data_as_of
            out.append(Year(fy_label(y), False, q_done, last_day))
    return out


def _quarter_end(start_year: int, quarter: int) -> dt.date:
    """Last day of financial quarter 1–4 of the year starting in April ``start_year``."""
    month = 3 + 3 * quarter  # 6, 9, 12, 15
    year = start_year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)


def _is_quarter_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month and day.month in (6, 9, 12, 3)


class WorkingDays:
    """Working-day arithmetic with O(log n) lookups over a precomputed calendar."""

    def __init__(self, country: str = "england", extra_closed: tuple[dt.date, ...] = (), first_year: int = 2010, last_year: int = 2040):
        subdiv = "WLS" if country == "wales" else "ENG"
        bank = holidays.country_holidays("GB", subdiv=subdiv, years=range(first_year, last_year + 1))
        closed = set(bank) | set(extra_closed)
        self.origin = dt.date(first_year, 1, 1)
        self.end = dt.date(last_year, 12, 31)
        # Sorted ordinals of working days: index = working-day number.
        self._days = [
            d.toordinal()
            for d in (self.origin + dt.timedelta(n) for n in range((self.end - self.origin).days + 1))
            if d.weekday() < 5 and d not in closed
        ]

    def _check(self, day: dt.date) -> None:
        if not (self.origin <= day <= self.end):
            raise ValueError(f"{day} is outside the working-day calendar ({self.origin}–{self.end})")

    def is_working_day(self, day: dt.date) -> bool:
        self._check(day)
        i = bisect.bisect_left(self._days, day.toordinal())
        return i < len(self._days) and self._days[i] == day.toordinal()

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end ≤ start).

        A complaint received on a Monday and answered on the Tuesday took 1 working day.
        """
        self._check(start)
        self._check(end)
        if end <= start:
            return 0
        return bisect.bisect_right(self._days, end.toordinal()) - bisect.bisect_right(self._days, start.toordinal())

    def add(self, start: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``start`` (the deadline for 'within n working days')."""
        self._check(start)
        if n <= 0:
            return start
        i = bisect.bisect_right(self._days, start.toordinal()) + n - 1
        if i >= len(self._days):
            raise ValueError(f"{n} working days after {start} is outside the working-day calendar ({self.origin}–{self.end})")
        return dt.date.fromordinal(self._days[i])


def calendar(country: str = "england", extra_closed: tuple[dt.date | str, ...] = ()) -> WorkingDays:
    # council.yaml's closure days load as 'YYYY-MM-DD' strings (read_yaml keeps dates as written): a
    # string would never equal a date and the closure would be silently ignored.
    days = (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in extra_closed)
    return _calendar(country, tuple(sorted(set(days))))


@cache
def _calendar(country: str, extra_closed: tuple[dt.date, ...]) -> WorkingDays:
    return WorkingDays(country, extra_closed)
