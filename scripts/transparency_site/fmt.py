"""Number and date formatting in UK style, shared by pages, charts, sentences and downloads.

GOV.UK style: thousands separated by commas, percentages with a % sign and no space, money with a
£ sign and no pence when whole, dates as "31 December 2023".
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def round_half_up(value: Fraction | float | int, dp: int = 1) -> float:
    """Round as people expect (0.25 → 0.3), not to even: exact for Fractions of two ints."""
    if isinstance(value, Fraction):
        q = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        q = Decimal(str(value))
    return float(q.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP))


def number(value: float | int, dp: int | None = None) -> str:
    """1234 → '1,234'; 48.5 with dp=1 → '48.5'. dp=None keeps ints whole and floats to 1 dp."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number to format")
    if dp is None:
        dp = 0 if isinstance(value, int) else 1
    if dp == 0:
        return f"{int(round_half_up(value, 0)):,}"
    return f"{round_half_up(value, dp):,.{dp}f}"


def _trim(text: str) -> str:
    """'5.0' → '5' (for figures like medians where .0 adds nothing)."""
    return text[:-2] if text.endswith(".0") else text


def duration(seconds: int | float) -> str:
    """348 → '5 min 48 s'; 45 → '45 s'; 3720 → '1 h 2 min'."""
    total = int(round_half_up(seconds, 0))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def money(value: float | int) -> str:
    """300 → '£300'; 1250.5 → '£1,250.50'."""
    pence = round_half_up(value, 2)
    if pence == int(pence):
        return f"£{int(pence):,}"
    return f"£{pence:,.2f}"


def format_value(value: float | int | None, unit: str, per: str | None = None) -> str:
    """A measure's value for reading: format_value(344, 'count') → '344'.

    unit is a measure unit (count, percent, per_1000, working_days, seconds, gbp, ratio) or a
    standard's unit (days, minutes). ``per`` names what a rate per 1,000 is per ('homes').
    """
    if value is None:
        return "no data"
    if unit == "count":
        return number(int(value), 0) if float(value).is_integer() else number(value, 1)
    if unit == "percent":
        return f"{number(value, 1)}%"
    if unit == "per_1000":
        return f"{number(value, 1)} per 1,000" + (f" {per}" if per else "")
    if unit in ("working_days", "days"):
        word = "working day" if unit == "working_days" else "day"
        text = _trim(number(value, 1))
        return f"{text} {word}" + ("" if text == "1" else "s")
    if unit == "seconds":
        return duration(value)
    if unit == "minutes":
        return duration(float(value) * 60)
    if unit == "gbp":
        return money(value)
    if unit == "ratio":
        return number(value, 2)
    raise ValueError(f"unknown unit {unit!r}")



def percent_change(pct: float) -> str:
    """Size of a percentage change: whole numbers from 10% ('25%'), one decimal below ('3.4%')."""
    size = abs(pct)
    if size >= 10:
        return f"{number(size, 0)}%"
    text = _trim(number(size, 1))
    return "less than 0.1%" if text == "0" else f"{text}%"


def date(day: dt.date) -> str:
    """2023-12-31 → '31 December 2023'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month(label: str) -> str:
    """'2023-12' → 'December 2023'."""
    return f"{MONTHS[int(label[5:7]) - 1]} {label[:4]}"
