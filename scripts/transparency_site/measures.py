"""Stage: measures. Every number the site publishes, declared once.

Each measure has an id, a title, a plain-English definition, a precise method (published on the
Methodology page), a unit and a compute function that returns a tidy table of rows::

    {measure, period, dimension, dimension_value, value, numerator, denominator, status}

Conventions (the Methodology page repeats them):

- period: the financial year label ('2022/23') for yearly measures; 'YYYY-MM' for measures whose id
  ends in ``_by_month``; 'Q3 2023/24' for complaints_received_by_quarter.
- status: 'complete' for a whole period; 'year_to_date' for the year running at data_as_of, which
  covers 1 April to the end of the last complete quarter (or to data_as_of when no quarter is
  complete yet: periods.Year.end); 'no_data' when a rate is undefined because its denominator is 0
  (the row is kept, with value None, so that tables show every year).
- A year is only compared with a complete year, or a year to date with the same dates of the
  previous year, recomputed from the records (see change()).
- value: int for counts and seconds; float rounded half-up to 1 decimal place for percentages,
  rates per 1,000 and working days, 2 for ratios and pounds. numerator and denominator are the exact
  ints behind a rate (None for plain counts and sums).
- dimension_value: a string id (stage '1', a service_id, a channel value...), never a display label:
  labels come from schema.py, services.csv and policy.yaml (see dimension_label()).

Working days are Monday to Friday less England and Wales bank holidays and the council's extra
closure days (periods.calendar). Everything about a complaint that depends on working days is worked
out once per dataset in prepare(), so that computing every measure over 300,000 complaint records
takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, NamedTuple

from . import fmt, periods, schema
from .load import Data

Row = dict[str, Any]

ROW_KEYS = ("measure", "period", "dimension", "dimension_value", "value", "numerator", "denominator", "status")
COMPLETE, YEAR_TO_DATE, NO_DATA = "complete", "year_to_date", "no_data"
UNITS = ("count", "percent", "per_1000", "working_days", "seconds", "gbp", "ratio", "standard")
GROUPS = ("complaints", "compliments", "ombudsman", "contact", "standards", "tsm")

# Outcomes of a complaint that decide it; withdrawn and not_accepted are closed without a decision.
DECIDED = ("upheld", "partly_upheld", "not_upheld")
# Channels counted as "online" for online_share: written contact made over the internet.
ONLINE_CHANNELS = ("online_form", "email", "webchat", "social_media")
# The Complaint Handling Code's timescales (Housing Ombudsman Code 2024, 5.x/6.x; LGSCO Code the
# same): stage → (acknowledge within, respond within from acknowledgement, longest extension), in
# working days. Used for TSM CH02 whatever the council's own policy says.
CODE_TIMESCALES = {1: (5, 10, 10), 2: (5, 20, 20)}
# How an ombudsman's outcome counts for its upheld rate: (fault found, investigated).
OMBUDSMAN_READING = {
    "lgsco": ({"upheld"}, {"upheld", "not_upheld"}),
    "psow": ({"upheld"}, {"upheld", "not_upheld"}),
    "hos": (
        {"severe_maladministration", "maladministration", "partial_maladministration", "service_failure"},
        {"severe_maladministration", "maladministration", "partial_maladministration", "service_failure",
         "reasonable_redress", "no_maladministration"},
    ),
}


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    definition: str
    method: str
    unit: str
    dimension: str | None
    group: str
    better: str | None
    compute: Callable[[Data], list[Row]]
    requires: tuple[str, ...]
    landlord_only: bool = False
    # Words for generated sentences: the subject of "X rose by 25%" and the clause used for a single
    # value, singular then plural ('{value} complaint was received', '{value} complaints were received').
    subject: str = ""
    phrases: tuple[str, ...] = ()
    per: str | None = None  # what a rate per 1,000 is per: 'homes', 'contacts', 'residents'


class Window(NamedTuple):
    """A stretch of days figures are counted over: a financial year, a year to date, or the same
    dates of an earlier year for a like-for-like comparison."""

    label: str
    start: dt.date
    end: dt.date
    status: str


# --------------------------------------------------------------------------------------------------
# Working days over the data's span: one lookup per date instead of a search per complaint.


class _Clock:
    """Working-day counts by ordinal, built from periods' calendar so the rules stay in one place."""

    def __init__(self, cal: periods.WorkingDays, first: dt.date, last: dt.date):
        self.base = first.toordinal()
        self.idx: list[int] = []  # working days on or before each day, from ``first``
        self.work: list[int] = []  # ordinals of working days from ``first``
        n = 0
        for o in range(self.base, last.toordinal() + 1):
            if cal.is_working_day(dt.date.fromordinal(o)):
                n += 1
                self.work.append(o)
            self.idx.append(n)

    def add(self, o: int, n: int) -> int:
        """Ordinal of the n-th working day after day ``o`` (``o`` itself when n ≤ 0)."""
        if n <= 0:
            return o
        return self.work[self.idx[o - self.base] + n - 1]

    def between(self, a: int, b: int) -> int:
        """Working days after ``a`` up to and including ``b``."""
        return self.idx[b - self.base] - self.idx[a - self.base] if b > a else 0


class _Coded:
    """A column of small ints standing for tuples (decode[code] is the tuple): cheap to count."""

    def __init__(self, keys: list):
        index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        self.decode = list(index)
        self.codes = tuple(map(index.__getitem__, keys))


@dataclass
class _Complaints:
    """Complaint records worked out once: sorted by date, facets coded as small ints.

    Received-date facets are in order of received date (``received`` ascending), closed facets in order
    of responded date (``responded`` ascending, closed records only), so that the records of any
    window are one slice found by bisection.
    """

    received: tuple[int, ...]
    by_service: _Coded  # (stage, service_id)
    by_channel: _Coded  # channel
    by_category: _Coded  # category
    handling: _Coded  # (stage, ack_ok, escalated, code_ok): ack_ok None = not yet due; code_ok None = not TSM
    responded: tuple[int, ...]
    closed: _Coded  # (stage, service_id, outcome, on_time): on_time None = withdrawn
    timing: _Coded  # (stage, on_time_without_extension, working_days, not_accepted_reason)
    open_by_stage: Counter
    overdue_by_stage: Counter


@dataclass
class _Dated:
    """A dated table (compliments, ombudsman cases) sorted by one date, for slicing by window."""

    days: tuple[int, ...]
    rows: tuple[dict, ...]


@dataclass
class _Prep:
    data: Data
    as_of: dt.date
    years: list[periods.Year]
    windows: tuple[Window, ...]
    stages: dict[int, dict]
    services: list[str]
    landlord_services: set[str]
    first_fy: dict[str, int]  # resource → first financial year (start year) it covers
    months: dict[str, set[str]]  # monthly resource → months present
    complaints: _Complaints | None
    memo: dict = field(default_factory=dict)

    @property
    def stage_ids(self) -> list[int]:
        return sorted(self.stages)

    @property
    def as_of_year(self) -> periods.Year:
        return self.years[-1]


_CACHE: dict[int, tuple[Data, _Prep]] = {}


def prepare(data: Data) -> _Prep:
    """Everything derived from the records that several measures share, once per Data object."""
    hit = _CACHE.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    # Preparing allocates hundreds of thousands of tuples, which makes the cyclic garbage collector walk
    # every loaded row again and again (a third of the time at 300,000 complaints). Nothing here
    # creates reference cycles, so pause it and put it back as it was.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        prep = _prepare(data)
    finally:
        if was_enabled:
            gc.enable()
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(data)] = (data, prep)
    return prep


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _first_dates(data: Data) -> dict[str, dt.date]:
    """The earliest date each present resource covers."""
    out = {}
    for name in ("complaints", "compliments", "ombudsman_cases"):
        if data.table(name):
            out[name] = min(map(itemgetter("received"), data.table(name)))
    for name in ("contacts", "calls", "satisfaction"):
        if data.table(name):
            out[name] = dt.date.fromisoformat(min(map(itemgetter("month"), data.table(name))) + "-01")
    return out


def _years(data: Data, firsts: dict[str, dt.date]) -> list[periods.Year]:
    first = min(firsts.values()) if firsts else data.data_as_of
    return periods.years_covered(min(first, data.data_as_of), data.data_as_of)


def years(data: Data) -> list[periods.Year]:
    """Financial years covered by the data, oldest first; the last may be a year to date."""
    return prepare(data).years


def _prepare(data: Data) -> _Prep:
    as_of = data.data_as_of
    firsts = _first_dates(data)
    ys = _years(data, firsts)
    windows = tuple(
        Window(y.label, periods.fy_bounds(y.label)[0], y.end, COMPLETE if y.complete else YEAR_TO_DATE) for y in ys
    )
    stages = {int(s["id"]): s for s in (data.policy or {}).get("stages", [])}
    services = [s["service_id"] for s in data.table("services")]
    landlord = {s["service_id"] for s in data.table("services") if s.get("is_landlord_service")}
    months = {name: {r["month"] for r in data.table(name)} for name in ("contacts", "calls", "satisfaction") if data.has(name)}
    prep = _Prep(
        data=data,
        as_of=as_of,
        years=ys,
        windows=windows,
        stages=stages,
        services=services,
        landlord_services=landlord,
        first_fy={k: periods.fy_start_year(v) for k, v in firsts.items()},
        months=months,
        complaints=None,
    )
    if data.has("complaints"):
        prep.complaints = _prepare_complaints(data, prep)
    return prep


_COMPLAINT_COLUMNS = (
    "complaint_id", "stage", "service_id", "received", "acknowledged", "extension_working_days", "responded",
    "outcome", "not_accepted_reason", "channel", "category",
)


def _prepare_complaints(data: Data, prep: _Prep) -> _Complaints:
    rows = data.table("complaints")
    closed_days = tuple(sorted(_as_date(d) for d in (data.council.get("non_working_days") or [])))
    cal = periods.calendar(data.council.get("country", "england"), closed_days)
    # Columns extracted in C; each distinct date converted to an ordinal once.
    (cids, stages, svcs, recs, acks, exts, resps, outcomes, reasons, channels, categories) = (
        list(map(itemgetter(k), rows)) for k in _COMPLAINT_COLUMNS
    )
    ordinal = {d: d.toordinal() for d in {*recs, *acks, *resps} if d is not None}
    recs, acks, resps = list(map(ordinal.__getitem__, recs)), list(map(ordinal.get, acks)), list(map(ordinal.get, resps))
    as_of = prep.as_of.toordinal()
    first = dt.date.fromordinal(min(list(ordinal.values()) + [as_of]) - 1)
    last_known = dt.date.fromordinal(max(list(ordinal.values()) + [as_of]))
    # Deadlines can fall well after the last date: leave room for the longest response + extension.
    clock = _Clock(cal, first, min(last_known + dt.timedelta(days=550), cal.end))
    base, idx, work = clock.base, clock.idx, clock.work
    escalated_from = set(map(itemgetter("escalated_from"), rows))
    landlord = prep.landlord_services
    # Per stage: (acknowledge within, respond within, clock from receipt, longest extension).
    policy = {
        s: (p["acknowledge_within_working_days"], p["respond_within_working_days"], p["clock_starts"] == "receipt",
            p["max_extension_working_days"])
        for s, p in prep.stages.items()
    }
    out = []
    append = out.append
    for cid, stage, svc, rec, ack, ext, resp, outcome, reason, channel, category in zip(
        cids, stages, svcs, recs, acks, exts, resps, outcomes, reasons, channels, categories, strict=True
    ):
        ext = ext or 0
        ack_ok = on_time = no_ext = wd = code_ok = None
        overdue = False
        rules = policy.get(stage)
        if rules is not None:
            n_ack, n_respond, from_receipt, max_ext = rules
            i_rec = idx[rec - base]
            ack_due = work[i_rec + n_ack - 1]
            # A full response also acknowledges a complaint.
            acked = ack if ack is not None else resp
            if acked is not None:
                ack_ok = acked <= ack_due
            elif as_of > ack_due:
                ack_ok = False
            if from_receipt:
                start = rec
            else:
                # A late acknowledgement does not give more time: the clock starts by the ack deadline.
                start = ack if ack is not None and ack < ack_due else ack_due
            i_start = idx[start - base]
            due = work[i_start + n_respond + (ext if ext < max_ext else max_ext) - 1]
            if resp is None:
                overdue = as_of > due
            elif outcome != "withdrawn":
                on_time = resp <= due
                no_ext = resp <= work[i_start + n_respond - 1]
                wd = idx[resp - base] - i_rec if resp > rec else 0
        if stage in CODE_TIMESCALES and svc in landlord:
            c_ack, c_respond, c_ext = CODE_TIMESCALES[stage]
            c_ack_due = work[idx[rec - base] + c_ack - 1]
            c_start = ack if ack is not None and ack < c_ack_due else c_ack_due
            code_ok = resp is not None and resp <= work[idx[c_start - base] + c_respond + (ext if ext < c_ext else c_ext) - 1]
        append((rec, resp, stage, svc, channel, category, outcome, reason if outcome == "not_accepted" else None,
                ack_ok, on_time, no_ext, wd, code_ok, cid in escalated_from, overdue))
    cols = list(zip(*out, strict=True)) if out else [()] * 15
    (rec, resp, stage, svc, channel, category, outcome, reason, ack_ok, on_time, no_ext, wd, code_ok, escalated,
     overdue) = cols

    def permute(order: list[int], col: tuple) -> tuple:
        if not order:
            return ()
        got = itemgetter(*order)(col)
        return got if len(order) > 1 else (got,)

    by_rec = sorted(range(len(rec)), key=rec.__getitem__)
    closed = [i for i in range(len(resp)) if resp[i] is not None]
    by_resp = sorted(closed, key=resp.__getitem__)
    r_stage, c_stage = permute(by_rec, stage), permute(by_resp, stage)
    return _Complaints(
        received=permute(by_rec, rec),
        by_service=_Coded(list(zip(r_stage, permute(by_rec, svc), strict=True))),
        by_channel=_Coded(list(permute(by_rec, channel))),
        by_category=_Coded(list(permute(by_rec, category))),
        handling=_Coded(list(zip(r_stage, permute(by_rec, ack_ok), permute(by_rec, escalated), permute(by_rec, code_ok), strict=True))),
        responded=permute(by_resp, resp),
        closed=_Coded(list(zip(c_stage, permute(by_resp, svc), permute(by_resp, outcome), permute(by_resp, on_time), strict=True))),
        timing=_Coded(list(zip(c_stage, permute(by_resp, no_ext), permute(by_resp, wd), permute(by_resp, reason), strict=True))),
        open_by_stage=Counter(compress(stage, map(is_, resp, repeat(None)))),
        overdue_by_stage=Counter(compress(stage, overdue)),
    )


def _dated(prep: _Prep, resource: str, date_field: str) -> _Dated:
    """A dated table sorted by one of its dates (rows without that date left out), once per dataset."""

    def make() -> _Dated:
        rows = sorted((r for r in prep.data.table(resource) if r.get(date_field)), key=itemgetter(date_field))
        return _Dated(tuple(r[date_field].toordinal() for r in rows), tuple(rows))

    return _memo(prep, ("dated", resource, date_field), make)


def _slice(days: tuple[int, ...], w: Window) -> tuple[int, int]:
    """Positions [lo, hi) of the sorted ordinals inside a window."""
    return bisect_left(days, w.start.toordinal()), bisect_right(days, w.end.toordinal())


# --------------------------------------------------------------------------------------------------
# Windows, aggregation and row builders


def _covered(prep: _Prep, resource: str, windows: Iterable[Window]) -> list[Window]:
    """Windows a dated resource covers: from the financial year of its first record."""
    first = prep.first_fy.get(resource)
    if first is None:
        return [] if not prep.data.has(resource) else list(windows)
    return [w for w in windows if periods.fy_start_year(w.start) >= first]


def _months_between(start: dt.date, end: dt.date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_windows(prep: _Prep, resource: str, windows: Iterable[Window]) -> list[tuple[Window, list[str]]]:
    """Windows whose every month is present in a monthly resource, with those months.

    A year with a month missing gets no figure rather than a total that looks complete and is not.
    """
    present = prep.months.get(resource, set())
    out = []
    for w in windows:
        months = _months_between(w.start, w.end)
        if months and all(m in present for m in months):
            out.append((w, months))
    return out


def _row(mid: str, period: str, dim: str | None, dv: Any, value: Any, num: Any, den: Any, status: str) -> Row:
    return {
        "measure": mid,
        "period": period,
        "dimension": dim,
        "dimension_value": None if dv is None else str(dv),
        "value": value,
        "numerator": num,
        "denominator": den,
        "status": status,
    }


def _count(mid: str, w: Window, dim: str | None, dv: Any, n: int) -> Row:
    return _row(mid, w.label, dim, dv, int(n), None, None, w.status)


def _rate(mid: str, w: Window, dim: str | None, dv: Any, num: int, den: int, scale: int = 100, dp: int = 1) -> Row:
    """num ÷ den × scale, or a no_data row when den is 0."""
    if not den:
        return _row(mid, w.label, dim, dv, None, int(num), int(den or 0), NO_DATA)
    return _row(mid, w.label, dim, dv, fmt.round_half_up(Fraction(num * scale, den), dp), int(num), int(den), w.status)


def _median(freq: dict[int, int]) -> float | None:
    """Median of values given as value → count (the mean of the two middle values for an even count)."""
    n = sum(freq.values())
    if not n:
        return None
    lo_i, hi_i = (n - 1) // 2, n // 2
    lo = hi = None
    seen = 0
    for v in sorted(freq):
        seen += freq[v]
        if lo is None and seen > lo_i:
            lo = v
        if seen > hi_i:
            hi = v
            break
    return (lo + hi) / 2


def _memo(prep: _Prep, key: tuple, make: Callable[[], Any]) -> Any:
    if key not in prep.memo:
        prep.memo[key] = make()
    return prep.memo[key]


class _Agg(NamedTuple):
    """Complaint counts for a set of windows; every key starts with the window label."""

    stage: Counter  # (period, stage)
    service: Counter  # (period, service)
    channel: Counter  # (period, channel)
    category: Counter  # (period, category)
    ack: Counter  # (period, stage, ack_ok)
    escalated: Counter  # (period, stage, escalated)
    tsm: Counter  # (period, landlord stage or None, code_ok)
    closed: Counter  # (period, stage, service, outcome)
    reason: Counter  # (period, reason)
    on_time: Counter  # (period, stage, service, on_time)
    no_ext: Counter  # (period, stage, on_time_no_ext)
    days: Counter  # (period, stage, working_days)


def _cagg(prep: _Prep, windows: tuple[Window, ...]) -> _Agg:
    """Complaint counts per window: each window is a slice of the sorted columns, counted in C."""

    def make() -> _Agg:
        c = prep.complaints
        agg = _Agg(*(Counter() for _ in _Agg._fields))
        for w in _covered(prep, "complaints", windows):
            p = w.label
            lo, hi = _slice(c.received, w)
            for code, n in Counter(c.by_service.codes[lo:hi]).items():
                stage, svc = c.by_service.decode[code]
                agg.stage[(p, stage)] += n
                agg.service[(p, svc)] += n
            for code, n in Counter(c.by_channel.codes[lo:hi]).items():
                agg.channel[(p, c.by_channel.decode[code])] += n
            for code, n in Counter(c.by_category.codes[lo:hi]).items():
                agg.category[(p, c.by_category.decode[code])] += n
            for code, n in Counter(c.handling.codes[lo:hi]).items():
                stage, ack_ok, escalated, code_ok = c.handling.decode[code]
                agg.ack[(p, stage, ack_ok)] += n
                agg.escalated[(p, stage, escalated)] += n
                agg.tsm[(p, stage if code_ok is not None else None, code_ok)] += n
            lo, hi = _slice(c.responded, w)
            for code, n in Counter(c.closed.codes[lo:hi]).items():
                stage, svc, outcome, on_time = c.closed.decode[code]
                agg.closed[(p, stage, svc, outcome)] += n
                agg.on_time[(p, stage, svc, on_time)] += n
            for code, n in Counter(c.timing.codes[lo:hi]).items():
                stage, no_ext, wd, reason = c.timing.decode[code]
                agg.no_ext[(p, stage, no_ext)] += n
                agg.days[(p, stage, wd)] += n
                agg.reason[(p, reason)] += n
        return agg

    return _memo(prep, ("complaints", windows), make)


def _collapse(counter: Counter, keep: Callable[[tuple], Any | None]) -> Counter:
    """Re-key a Counter: keep(key) gives the new key, or None to drop the entry."""
    out: Counter = Counter()
    for k, v in counter.items():
        nk = keep(k)
        if nk is not None:
            out[nk] += v
    return out


def _observed(values: Iterable[Any]) -> list:
    return sorted({v for v in values if v is not None}, key=_dim_key)


def _dim_key(dv: Any) -> tuple:
    if dv is None:
        return (0, 0, "")
    s = str(dv)
    return (1, int(s), "") if s.isdigit() else (2, 0, s)


def period_key(period: str) -> tuple[int, int]:
    """Chronological order for '2022/23', 'Q3 2023/24' and '2023-12'."""
    if period.startswith("Q"):
        q, fy = period.split(" ")
        return (periods.parse_fy(fy), int(q[1:]))
    if "/" in period:
        return (periods.parse_fy(period), 0)
    y, m = int(period[:4]), int(period[5:7])
    return (periods.fy_start_year(dt.date(y, m, 1)), (m - 4) % 12 + 1)


# --------------------------------------------------------------------------------------------------
# Complaint measures


def _cw(prep: _Prep, windows: tuple[Window, ...]) -> list[Window]:
    return _covered(prep, "complaints", windows)


def _received_by(dim: str | None) -> Callable[[str, _Prep, tuple], list[Row]]:
    """Complaints received, in total (dim None) or by stage, service, channel or category."""

    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        c = prep.complaints
        if dim is None:
            by, domain = _collapse(agg.stage, lambda k: (k[0], None)), [None]
        else:
            by = getattr(agg, dim)
            domain = {
                "stage": prep.stage_ids,
                "service": prep.services,
                "channel": _observed(c.by_channel.decode),
                "category": _observed(c.by_category.decode),
            }[dim]
        return [_count(mid, w, dim, dv, by[(w.label, dv)]) for w in _cw(prep, windows) for dv in domain]

    return fn


def _received_by_quarter(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    """Every complete financial quarter from the first complaint's year to data_as_of."""
    rows = []
    first = prep.first_fy.get("complaints")
    if first is None:
        return rows
    days = prep.complaints.received
    for y in range(first, periods.fy_start_year(prep.as_of) + 1):
        for q in range(1, 5):
            end = periods._quarter_end(y, q)
            if end <= prep.as_of:
                m = 4 + 3 * (q - 1)  # April, July, October, January (13)
                start = dt.date(y + (m > 12), (m - 1) % 12 + 1, 1)
                lo, hi = _slice(days, Window("", start, end, COMPLETE))
                rows.append(_row(mid, f"Q{q} {periods.fy_label(y)}", None, None, hi - lo, None, None, COMPLETE))
    return rows


def _month_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def _month_status(prep: _Prep, month: str) -> str:
    return COMPLETE if _month_end(month) <= prep.as_of else YEAR_TO_DATE


def _received_by_month(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    """Every month from the first complaint's month to data_as_of's month, zeros included."""
    days = prep.complaints.received
    if not days:
        return []
    rows = []
    for m in _months_between(dt.date.fromordinal(days[0]), prep.as_of):
        lo, hi = _slice(days, Window("", dt.date.fromisoformat(m + "-01"), _month_end(m), COMPLETE))
        rows.append(_row(mid, m, None, None, hi - lo, None, None, _month_status(prep, m)))
    return rows


def _closed(by_stage: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        by = _collapse(agg.closed, lambda k: (k[0], k[1] if by_stage else None))
        domain = prep.stage_ids if by_stage else [None]
        return [_count(mid, w, "stage" if by_stage else None, dv, by[(w.label, dv)]) for w in _cw(prep, windows) for dv in domain]

    return fn


def _closed_by_outcome(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    by = _collapse(agg.closed, lambda k: (k[0], k[3]))
    outcomes = schema.enum("complaints", "outcome")
    return [_count(mid, w, "outcome", o, by[(w.label, o)]) for w in _cw(prep, windows) for o in outcomes]


def _outcomes(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    by = _collapse(agg.closed, lambda k: (k[0], k[3]))
    rows = []
    for w in _cw(prep, windows):
        decided = sum(by[(w.label, o)] for o in DECIDED)
        rows += [_rate(mid, w, "outcome", o, by[(w.label, o)], decided) for o in DECIDED]
    return rows


def _upheld_rate(dim: str | None) -> Callable:
    pos = {None: None, "stage": 1, "service": 2}[dim]

    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        by = _collapse(agg.closed, lambda k: (k[0], None if pos is None else k[pos], k[3]))
        if dim == "stage":
            domain = prep.stage_ids
        elif dim == "service":
            domain = _observed(k[1] for k in prep.complaints.closed.decode if k[2] in DECIDED)
        else:
            domain = [None]
        rows = []
        for w in _cw(prep, windows):
            for dv in domain:
                up = by[(w.label, dv, "upheld")] + by[(w.label, dv, "partly_upheld")]
                den = up + by[(w.label, dv, "not_upheld")]
                rows.append(_rate(mid, w, dim, dv, up, den))
        return rows

    return fn


def _not_accepted(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    by = _collapse(agg.closed, lambda k: k[0] if k[3] == "not_accepted" else None)
    return [_count(mid, w, None, None, by[w.label]) for w in _cw(prep, windows)]


def _not_accepted_by_reason(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    reasons = _observed(k[3] for k in prep.complaints.timing.decode)
    return [_count(mid, w, "not_accepted_reason", r, agg.reason[(w.label, r)]) for w in _cw(prep, windows) for r in reasons]


def _on_time_rate(source: str, dim: str | None) -> Callable:
    """A True/False share from one of the aggregates, in total, by stage or by service."""

    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        if source == "ack":
            keyed = _collapse(agg.ack, lambda k: (k[0], k[1] if dim else None, k[2]))
        elif source == "no_ext":
            keyed = _collapse(agg.no_ext, lambda k: (k[0], k[1] if dim else None, k[2]))
        else:  # responded on time: key (period, stage, service, on_time)
            pos = {None: None, "stage": 1, "service": 2}[dim]
            keyed = _collapse(agg.on_time, lambda k: (k[0], None if pos is None else k[pos], k[3]))
        if dim == "stage":
            domain = prep.stage_ids
        elif dim == "service":
            domain = _observed(k[1] for k in prep.complaints.closed.decode if k[3] is not None)
        else:
            domain = [None]
        rows = []
        for w in _cw(prep, windows):
            for dv in domain:
                yes, no = keyed[(w.label, dv, True)], keyed[(w.label, dv, False)]
                rows.append(_rate(mid, w, dim, dv, yes, yes + no))
        return rows

    return fn


def _median_days(by_stage: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        freq: dict = defaultdict(Counter)
        for (p, stage, wd), n in agg.days.items():
            if wd is not None:
                freq[(p, stage if by_stage else None)][wd] += n
        rows = []
        dim = "stage" if by_stage else None
        for w in _cw(prep, windows):
            for dv in prep.stage_ids if by_stage else [None]:
                f = freq.get((w.label, dv), {})
                med = _median(f)
                if med is None:
                    rows.append(_row(mid, w.label, dim, dv, None, None, 0, NO_DATA))
                else:
                    rows.append(_row(mid, w.label, dim, dv, fmt.round_half_up(med, 1), None, sum(f.values()), w.status))
        return rows

    return fn


def _snapshot(counts: str, by_stage: bool) -> Callable:
    """Open (or overdue) complaints on data_as_of: one row, for the year data_as_of falls in."""

    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        y = prep.as_of_year
        if y.label not in {w.label for w in windows}:
            return []
        by = getattr(prep.complaints, counts)
        status = COMPLETE if y.complete else YEAR_TO_DATE
        if by_stage:
            return [_row(mid, y.label, "stage", s, by[s], None, None, status) for s in prep.stage_ids]
        return [_row(mid, y.label, None, None, sum(by.values()), None, None, status)]

    return fn


def _escalation_rate(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    rows = []
    for w in _cw(prep, windows):
        for s in prep.stage_ids[:-1]:
            yes, no = agg.escalated[(w.label, s, True)], agg.escalated[(w.label, s, False)]
            rows.append(_rate(mid, w, "from_stage", s, yes, yes + no))
    return rows


def _in_window(prep: _Prep, resource: str, date_field: str, w: Window) -> tuple[dict, ...]:
    """The records of a dated table whose ``date_field`` falls inside a window."""
    d = _dated(prep, resource, date_field)
    lo, hi = _slice(d.days, w)
    return d.rows[lo:hi]


def _to_ombudsman_rate(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    agg = _cagg(prep, windows)
    final = prep.stage_ids[-1] if prep.stages else None
    closed = _collapse(agg.closed, lambda k: k[0] if k[1] == final else None)
    ws = _covered(prep, "ombudsman_cases", _cw(prep, windows))
    return [_rate(mid, w, None, None, len(_in_window(prep, "ombudsman_cases", "received", w)), closed[w.label]) for w in ws]


def _received_totals(prep: _Prep, windows: tuple) -> Counter:
    agg = _cagg(prep, windows)
    return _collapse(agg.stage, lambda k: k[0])


def _per_1000_contacts(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    complaints = _received_totals(prep, windows)
    totals = _contact_totals(prep, windows)
    return [
        _rate(mid, w, None, None, complaints[w.label], totals[(w.label, None)], scale=1000)
        for w, _ in _month_windows(prep, "contacts", _cw(prep, windows))
    ]


def _per_1000_residents(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    complaints = _received_totals(prep, windows)
    residents = int(prep.data.council.get("residents") or 0)
    return [_rate(mid, w, None, None, complaints[w.label], residents, scale=1000) for w in _cw(prep, windows)]


# --------------------------------------------------------------------------------------------------
# Compliments


def _compliments(by_service: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        rows = []
        for w in _covered(prep, "compliments", windows):
            got = _in_window(prep, "compliments", "received", w)
            if by_service:
                by = Counter(map(itemgetter("service_id"), got))
                rows += [_count(mid, w, "service", s, by[s]) for s in prep.services]
            else:
                rows.append(_count(mid, w, None, None, len(got)))
        return rows

    return fn


def _compliments_per_complaint(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    complaints = _received_totals(prep, windows)
    return [
        _rate(mid, w, None, None, len(_in_window(prep, "compliments", "received", w)), complaints[w.label], scale=1, dp=2)
        for w in _covered(prep, "compliments", _cw(prep, windows))
    ]


# --------------------------------------------------------------------------------------------------
# Ombudsman


def _cases(prep: _Prep, windows: tuple, date_field: str) -> tuple[list[Window], list[tuple[str, dict]]]:
    """(covered windows, [(window label, case)]) for cases whose ``date_field`` falls in a window."""
    ws = _covered(prep, "ombudsman_cases", windows)
    return ws, [(w.label, r) for w in ws for r in _in_window(prep, "ombudsman_cases", date_field, w)]


def _ombudsmen(prep: _Prep) -> list[str]:
    order = schema.enum("ombudsman_cases", "ombudsman")
    seen = {r["ombudsman"] for r in prep.data.table("ombudsman_cases")}
    return [o for o in order if o in seen]


def _ombudsman_counts(date_field: str, dim: str | None) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        ws, cases = _cases(prep, windows, date_field)
        if dim == "ombudsman":
            by = Counter((p, r["ombudsman"]) for p, r in cases)
            domain = _ombudsmen(prep)
        elif dim == "ombudsman_outcome":
            by = Counter((p, f"{r['ombudsman']}:{r['outcome']}") for p, r in cases if r.get("outcome"))
            order = schema.enum("ombudsman_cases", "outcome")
            pairs = {(r["ombudsman"], r["outcome"]) for r in prep.data.table("ombudsman_cases") if r.get("outcome") and r.get("decided")}
            domain = [f"{o}:{out}" for o in _ombudsmen(prep) for out in order if (o, out) in pairs]
        else:
            by = Counter((p, None) for p, _ in cases)
            domain = [None]
        return [_count(mid, w, dim, dv, by[(w.label, dv)]) for w in ws for dv in domain]

    return fn


def _ombudsman_upheld_rate(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    ws, cases = _cases(prep, windows, "decided")
    fault, investigated = Counter(), Counter()
    for p, r in cases:
        yes, inv = OMBUDSMAN_READING[r["ombudsman"]]
        if r.get("outcome") in inv:
            investigated[(p, r["ombudsman"])] += 1
            fault[(p, r["ombudsman"])] += r["outcome"] in yes
    return [_rate(mid, w, "ombudsman", o, fault[(w.label, o)], investigated[(w.label, o)]) for w in ws for o in _ombudsmen(prep)]


def _ombudsman_compliance(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    ws, cases = _cases(prep, windows, "decided")
    by = Counter((p, r.get("compliance")) for p, r in cases)
    rows = []
    for w in ws:
        on_time = by[(w.label, "on_time")]
        rows.append(_rate(mid, w, None, None, on_time, on_time + by[(w.label, "late")] + by[(w.label, "not_complied")]))
    return rows


def _ombudsman_money(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    ws, cases = _cases(prep, windows, "decided")
    # Sum in pence so that pounds and pence add up exactly.
    pence = Counter()
    for p, r in cases:
        pence[p] += int(fmt.round_half_up(r.get("financial_remedy_gbp") or 0, 2) * 100 + 0.5)
    return [_row(mid, w.label, None, None, pence[w.label] / 100, None, None, w.status) for w in ws]


def _remedy_by_council(rate: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        ws, cases = _cases(prep, windows, "decided")
        remedied, fault = Counter(), Counter()
        for p, r in cases:
            found = r.get("outcome") in OMBUDSMAN_READING[r["ombudsman"]][0]
            if rate and not found:
                continue
            fault[p] += 1
            remedied[p] += bool(r.get("remedy_by_council"))
        if rate:
            return [_rate(mid, w, None, None, remedied[w.label], fault[w.label]) for w in ws]
        return [_count(mid, w, None, None, remedied[w.label]) for w in ws]

    return fn


# --------------------------------------------------------------------------------------------------
# Customer contact (monthly resources)


def _contact_totals(prep: _Prep, windows: tuple) -> Counter:
    """(window label, channel or None for all) → contacts, for windows with every month present."""

    def make() -> Counter:
        by_month: Counter = Counter()
        for r in prep.data.table("contacts"):
            by_month[(r["month"], r["channel"])] += r["contacts"]
        out: Counter = Counter()
        for w, months in _month_windows(prep, "contacts", windows):
            wanted = set(months)
            for (m, ch), n in by_month.items():
                if m in wanted:
                    out[(w.label, ch)] += n
                    out[(w.label, None)] += n
        return out

    return _memo(prep, ("contacts", windows), make)


def _contacts(by_channel: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        totals = _contact_totals(prep, windows)
        channels = _observed(r["channel"] for r in prep.data.table("contacts")) if by_channel else [None]
        return [
            _count(mid, w, "channel" if by_channel else None, ch, totals[(w.label, ch)])
            for w, _ in _month_windows(prep, "contacts", windows)
            for ch in channels
        ]

    return fn


def _contacts_by_month(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    return [
        _row(mid, r["month"], "channel", r["channel"], int(r["contacts"]), None, None, _month_status(prep, r["month"]))
        for r in prep.data.table("contacts")
    ]


def _online_share(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    totals = _contact_totals(prep, windows)
    return [
        _rate(mid, w, None, None, sum(totals[(w.label, ch)] for ch in ONLINE_CHANNELS), totals[(w.label, None)])
        for w, _ in _month_windows(prep, "contacts", windows)
    ]


def _call_sums(prep: _Prep, windows: tuple) -> list[tuple[Window, Counter]]:
    def make() -> list:
        by_month = {r["month"]: r for r in prep.data.table("calls")}
        out = []
        for w, months in _month_windows(prep, "calls", windows):
            s: Counter = Counter()
            for m in months:
                r = by_month[m]
                for k in ("offered", "answered", "answered_within_60s", "abandoned"):
                    s[k] += r[k]
                # Averages are per answered call, so weight each month by its answered calls.
                s["handle"] += r["average_handle_seconds"] * r["answered"]
                s["wait"] += r["average_wait_seconds"] * r["answered"]
            out.append((w, s))
        return out

    return _memo(prep, ("calls", windows), make)


def _calls(kind: str) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        rows = []
        for w, s in _call_sums(prep, windows):
            if kind == "offered":
                rows.append(_count(mid, w, None, None, s["offered"]))
            elif kind == "answered":
                rows.append(_rate(mid, w, None, None, s["answered"], s["offered"]))
            elif kind == "within_60s":
                rows.append(_rate(mid, w, None, None, s["answered_within_60s"], s["answered"]))
            elif kind == "abandoned":
                rows.append(_rate(mid, w, None, None, s["abandoned"], s["offered"]))
            else:  # handle / wait: whole seconds
                total, n = s[kind], s["answered"]
                if not n:
                    rows.append(_row(mid, w.label, None, None, None, int(total), 0, NO_DATA))
                else:
                    rows.append(_row(mid, w.label, None, None, int(fmt.round_half_up(Fraction(total, n), 0)), int(total), int(n), w.status))
        return rows

    return fn


def _satisfaction(by_channel: bool) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        table = prep.data.table("satisfaction")
        channels = _observed(r["channel"] for r in table) if by_channel else [None]
        rows = []
        for w, months in _month_windows(prep, "satisfaction", windows):
            wanted = set(months)
            good, total = Counter(), Counter()
            for r in table:
                if r["month"] in wanted:
                    key = r["channel"] if by_channel else None
                    good[key] += r["good"]
                    total[key] += r["good"] + r["average"] + r["poor"]
            rows += [_rate(mid, w, "channel" if by_channel else None, ch, good[ch], total[ch]) for ch in channels]
        return rows

    return fn


# --------------------------------------------------------------------------------------------------
# Standards


def _convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """A linked measure's value in the standard's unit (only seconds ↔ minutes differ in scale)."""
    if value is None:
        return None
    if from_unit == "seconds" and to_unit == "minutes":
        return fmt.round_half_up(value / 60, 1)
    if from_unit == "minutes" and to_unit == "seconds":
        return int(fmt.round_half_up(value * 60, 0))
    return value


def _standard_result(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
    data = prep.data
    reported = {(r["standard_id"], r["period"]): r["value"] for r in data.table("standard_results")}
    usable = {m.id for m in available(data)}
    rows = []
    for s in data.standards:
        if s["measure"] == "reported":
            for w in windows:
                v = reported.get((s["id"], w.label))
                if v is not None:
                    rows.append(_row(mid, w.label, "standard", s["id"], v, None, None, w.status))
            continue
        if s["measure"] not in usable or s["measure"] == mid:
            continue
        linked = MEASURES[s["measure"]]
        dv = s.get("dimension_value")
        for r in _rows(prep, linked.id, windows):
            if r["dimension_value"] == (None if dv is None else str(dv)) and r["period"] in {w.label for w in windows}:
                v = _convert(r["value"], linked.unit, s["unit"])
                rows.append(_row(mid, r["period"], "standard", s["id"], v, r["numerator"], r["denominator"], r["status"]))
    return rows


def standards_met(data: Data, rows: list[Row]) -> list[dict]:
    """For each standard and year: value, target, met (True, False, or None with no value)."""
    results = [r for r in rows if r["measure"] == "standard_result"]
    out = []
    for s in data.standards:
        for r in sorted((r for r in results if r["dimension_value"] == s["id"]), key=lambda r: period_key(r["period"])):
            v = r["value"]
            met = None if v is None else (v >= s["target"] if s["better"] == "higher" else v <= s["target"])
            out.append({
                "standard_id": s["id"],
                "promise": s["promise"],
                "measure": s["measure"],
                "period": r["period"],
                "status": r["status"],
                "value": v,
                "target": s["target"],
                "unit": s["unit"],
                "better": s["better"],
                "met": met,
            })
    return out


# --------------------------------------------------------------------------------------------------
# Tenant Satisfaction Measures (landlord services only)


def homes_owned(data: Data, label: str) -> int | None:
    """Homes owned at the end of a financial year: homes_owned_by_year, else homes_owned."""
    by_year = data.council.get("homes_owned_by_year") or {}
    homes = by_year.get(label, data.council.get("homes_owned"))
    return None if homes is None else int(homes)


def _tsm(which: str) -> Callable:
    def fn(mid: str, prep: _Prep, windows: tuple) -> list[Row]:
        agg = _cagg(prep, windows)
        made = _collapse(agg.tsm, lambda k: (k[0], k[1]) if k[1] is not None else None)
        rows = []
        for w in _cw(prep, windows):
            for s in (s for s in (1, 2) if s in prep.stages):
                n = made[(w.label, s)]
                if which == "ch01":
                    rows.append(_rate(mid, w, "stage", s, n, homes_owned(prep.data, w.label) or 0, scale=1000))
                else:
                    rows.append(_rate(mid, w, "stage", s, agg.tsm[(w.label, s, True)], n))
        return rows

    return fn


# --------------------------------------------------------------------------------------------------
# The registry

MEASURES: dict[str, Measure] = {}
_WINDOWED: dict[str, Callable[[str, _Prep, tuple], list[Row]]] = {}
# Snapshots on data_as_of are not comparable with anything.
_SNAPSHOTS: set[str] = set()


def _rows(prep: _Prep, mid: str, windows: tuple[Window, ...]) -> list[Row]:
    """A measure's rows for a set of windows, sorted and memoised."""

    def make() -> list[Row]:
        rows = _WINDOWED[mid](mid, prep, windows)
        return sorted(rows, key=lambda r: (period_key(r["period"]), _dim_key(r["dimension_value"])))

    return _memo(prep, ("rows", mid, windows), make)


def _bind(mid: str) -> Callable[[Data], list[Row]]:
    def compute(data: Data) -> list[Row]:
        prep = prepare(data)
        return [dict(r) for r in _rows(prep, mid, prep.windows)]

    compute.__name__ = f"compute_{mid}"
    return compute


def _add(mid, title, definition, method, unit, dimension, group, better, fn, requires, *, landlord_only=False,
         subject="", phrases=(), per=None, snapshot=False) -> None:
    assert mid not in MEASURES, mid
    assert unit in UNITS and group in GROUPS, mid
    _WINDOWED[mid] = fn
    if snapshot:
        _SNAPSHOTS.add(mid)
    MEASURES[mid] = Measure(mid, title, definition, " ".join(method.split()), unit, dimension, group, better,
                            _bind(mid), tuple(requires), landlord_only, subject or title, tuple(phrases), per)


_YEAR = "A year still running at the date of the data counts from 1 April to the end of its last complete quarter."
_RECEIVED = ("Counts complaint records whose received date falls in the financial year (1 April to 31 March). "
             "A complaint escalated to a later stage has a record for each stage and is counted once at each stage; "
             "for a later stage, received is the date the complainant asked to escalate. " + _YEAR)
_CLOSED = ("Counts complaint records whose responded date (the date the council sent its response, or closed the "
           "complaint as withdrawn or not accepted) falls in the financial year. " + _YEAR)
_DECIDED = ("Of complaints closed in the year with a decision (upheld, partly upheld or not upheld); complaints "
            "withdrawn or not accepted are left out of the percentage (they are shown as counts under complaints "
            "closed by outcome). ")
_WORKING_DAYS = ("Working days are Monday to Friday, less bank holidays in England and Wales (the Python holidays "
                 "package for the council's nation) and the council's own closure days listed in council.yaml. ")
_ON_TIME = (_WORKING_DAYS + "Of complaints closed in the year with a response (all outcomes except withdrawn), the "
            "percentage answered by their deadline. The deadline is the stage's 'respond within' working days from "
            "the start of the clock, plus any agreed extension up to the policy's longest extension: a response within "
            "an agreed extension counts as on time, and any part of an extension beyond the policy's maximum does not. "
            "The clock starts on the date received or, where the policy says so, on the date acknowledged; a late or "
            "missing acknowledgement does not give more time, so the clock then starts on the acknowledgement deadline "
            "(received plus the stage's 'acknowledge within' working days). " + _YEAR)
_ONLINE = ", ".join(ONLINE_CHANNELS)

_add("complaints_received", "Complaints received", "The number of complaints the council received.",
     _RECEIVED, "count", None, "complaints", None, _received_by(None), ("complaints",),
     subject="Complaints", phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_stage", "Complaints received by stage",
     "The number of complaints received at each stage of the complaints procedure.",
     _RECEIVED + " Stages are those in the complaints policy.", "count", "stage", "complaints", None,
     _received_by("stage"), ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_service", "Complaints received by service",
     "The number of complaints received about each council service.",
     _RECEIVED + " Every service in services.csv is listed, including those with no complaints.", "count", "service",
     "complaints", None, _received_by("service"), ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_channel", "Complaints received by channel",
     "The number of complaints made in each way, such as online, by phone or by letter.",
     _RECEIVED + " Channels that appear in the data in any year are listed.", "count", "channel", "complaints", None,
     _received_by("channel"), ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_category", "Complaints received by category",
     "The number of complaints received about each kind of problem.",
     _RECEIVED + " Categories that appear in the data in any year are listed.", "count", "category", "complaints",
     None, _received_by("category"), ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_quarter", "Complaints received by quarter",
     "The number of complaints received in each three months of the financial year.",
     "Counts complaint records (each stage counted) received in each financial quarter: Q1 April–June, Q2 "
     "July–September, Q3 October–December, Q4 January–March. Only complete quarters are shown.",
     "count", None, "complaints", None, _received_by_quarter, ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_received_by_month", "Complaints received by month",
     "The number of complaints received in each month.",
     "Counts complaint records (each stage counted) by the month of the received date, from the first month in "
     "the data to the month of the data's date; a month not yet over is marked year to date.",
     "count", None, "complaints", None, _received_by_month, ("complaints",), subject="Complaints",
     phrases=("{value} complaint was received", "{value} complaints were received"))
_add("complaints_closed", "Complaints closed", "The number of complaints the council answered or closed.",
     _CLOSED, "count", None, "complaints", None, _closed(False), ("complaints",), subject="Complaints closed",
     phrases=("{value} complaint was closed", "{value} complaints were closed"))
_add("complaints_closed_by_stage", "Complaints closed by stage",
     "The number of complaints answered or closed at each stage.",
     _CLOSED, "count", "stage", "complaints", None, _closed(True), ("complaints",), subject="Complaints closed",
     phrases=("{value} complaint was closed", "{value} complaints were closed"))
_add("complaints_closed_by_outcome", "Complaints closed by outcome",
     "The number of complaints closed with each outcome, including those withdrawn or not accepted.",
     _CLOSED + " Each outcome in the data contract is listed.", "count", "outcome", "complaints", None,
     _closed_by_outcome, ("complaints",), subject="Complaints closed",
     phrases=("{value} complaint was closed", "{value} complaints were closed"))
_add("complaints_outcomes", "Outcomes of complaints",
     "Of the complaints decided, the percentage upheld, partly upheld and not upheld.",
     _CLOSED + " " + _DECIDED + "Numerator: complaints with the outcome; denominator: complaints decided.",
     "percent", "outcome", "complaints", None, _outcomes, ("complaints",), subject="The percentage of decided complaints",
     phrases=("{value} of decided complaints had this outcome",))
_add("complaints_upheld_rate", "Complaints upheld",
     "Of the complaints decided, the percentage upheld in full or in part.",
     _CLOSED + " " + _DECIDED + "Numerator: complaints upheld or partly upheld; denominator: complaints decided.",
     "percent", None, "complaints", None, _upheld_rate(None), ("complaints",),
     subject="The percentage of complaints upheld", phrases=("{value} of complaints decided were upheld in full or in part",))
_add("complaints_upheld_rate_by_stage", "Complaints upheld by stage",
     "Of the complaints decided at each stage, the percentage upheld in full or in part.",
     _CLOSED + " " + _DECIDED + "Numerator: upheld or partly upheld; denominator: decided; for each stage.",
     "percent", "stage", "complaints", None, _upheld_rate("stage"), ("complaints",),
     subject="The percentage of complaints upheld", phrases=("{value} of complaints decided were upheld in full or in part",))
_add("complaints_upheld_rate_by_service", "Complaints upheld by service",
     "Of the complaints decided about each service, the percentage upheld in full or in part.",
     _CLOSED + " " + _DECIDED + "Numerator: upheld or partly upheld; denominator: decided; for each service with "
     "complaints closed in any year.",
     "percent", "service", "complaints", None, _upheld_rate("service"), ("complaints",),
     subject="The percentage of complaints upheld", phrases=("{value} of complaints decided were upheld in full or in part",))
_add("complaints_not_accepted", "Complaints not accepted",
     "The number of complaints the council did not accept under its complaints procedure.",
     _CLOSED + " Only records with the outcome not_accepted are counted.", "count", None, "complaints", None,
     _not_accepted, ("complaints",), subject="Complaints not accepted",
     phrases=("{value} complaint was not accepted", "{value} complaints were not accepted"))
_add("complaints_not_accepted_by_reason", "Complaints not accepted, by reason",
     "The number of complaints the council did not accept, by the reason it gave.",
     _CLOSED + " Only records with the outcome not_accepted are counted, by not_accepted_reason; reasons that "
     "appear in the data in any year are listed.", "count", "not_accepted_reason", "complaints", None,
     _not_accepted_by_reason, ("complaints",), subject="Complaints not accepted",
     phrases=("{value} complaint was not accepted", "{value} complaints were not accepted"))
_ACK = (_WORKING_DAYS + "Of complaint records received in the year, the percentage acknowledged within the stage's "
        "'acknowledge within' working days of receipt. A full response sent within that time also counts as an "
        "acknowledgement. A complaint not acknowledged by the date of the data counts as late once its deadline has "
        "passed, and is left out while it is not yet due. " + _YEAR)
_add("complaints_acknowledged_on_time", "Complaints acknowledged on time",
     "The percentage of complaints acknowledged within the time the complaints policy promises.",
     _ACK, "percent", None, "complaints", "higher", _on_time_rate("ack", None), ("complaints",),
     subject="The percentage of complaints acknowledged on time", phrases=("{value} of complaints were acknowledged on time",))
_add("complaints_acknowledged_on_time_by_stage", "Complaints acknowledged on time, by stage",
     "The percentage of complaints at each stage acknowledged within the time the policy promises.",
     _ACK, "percent", "stage", "complaints", "higher", _on_time_rate("ack", "stage"), ("complaints",),
     subject="The percentage of complaints acknowledged on time", phrases=("{value} of complaints were acknowledged on time",))
_add("complaints_responded_on_time", "Complaints answered on time",
     "The percentage of complaints answered within the time the complaints policy allows, including agreed extensions.",
     _ON_TIME, "percent", None, "complaints", "higher", _on_time_rate("on_time", None), ("complaints",),
     subject="The percentage of complaints answered on time", phrases=("{value} of complaints were answered on time",))
_add("complaints_responded_on_time_by_stage", "Complaints answered on time, by stage",
     "The percentage of complaints at each stage answered within the time the policy allows, including agreed extensions.",
     _ON_TIME + " Each stage uses its own timescales from the complaints policy.", "percent", "stage", "complaints",
     "higher", _on_time_rate("on_time", "stage"), ("complaints",),
     subject="The percentage of complaints answered on time", phrases=("{value} of complaints were answered on time",))
_add("complaints_responded_on_time_by_service", "Complaints answered on time, by service",
     "The percentage of complaints about each service answered within the time the policy allows.",
     _ON_TIME + " Listed for each service with responses in any year.", "percent", "service", "complaints", "higher",
     _on_time_rate("on_time", "service"), ("complaints",),
     subject="The percentage of complaints answered on time", phrases=("{value} of complaints were answered on time",))
_NO_EXT = _ON_TIME.replace("plus any agreed extension up to the policy's longest extension: a response within an agreed "
                           "extension counts as on time, and any part of an extension beyond the policy's maximum does not.",
                           "with no extension: a response that needed an extension counts as not on time here.")
_add("complaints_responded_on_time_without_extension", "Complaints answered on time without an extension",
     "The percentage of complaints answered within the policy's normal time, without needing an extension.",
     _NO_EXT, "percent", None, "complaints", "higher", _on_time_rate("no_ext", None), ("complaints",),
     subject="The percentage of complaints answered without an extension",
     phrases=("{value} of complaints were answered on time without an extension",))
_add("complaints_responded_on_time_without_extension_by_stage",
     "Complaints answered on time without an extension, by stage",
     "The percentage of complaints at each stage answered within the policy's normal time, without an extension.",
     _NO_EXT, "percent", "stage", "complaints", "higher", _on_time_rate("no_ext", "stage"), ("complaints",),
     subject="The percentage of complaints answered without an extension",
     phrases=("{value} of complaints were answered on time without an extension",))
_MEDIAN = (_WORKING_DAYS + "For complaints closed in the year with a response (all outcomes except withdrawn), the "
           "median number of working days from the day received to the day of the response (a complaint received on "
           "a Monday and answered on the Tuesday took 1 working day). With an even number of responses the median is "
           "the mean of the middle two. The denominator is the number of responses; there is no numerator. " + _YEAR)
_add("complaints_median_working_days", "Typical time to answer a complaint",
     "Half of complaints were answered in this many working days or fewer.",
     _MEDIAN, "working_days", None, "complaints", "lower", _median_days(False), ("complaints",),
     subject="The typical time to answer a complaint", phrases=("half of complaints were answered within {value}",))
_add("complaints_median_working_days_by_stage", "Typical time to answer a complaint, by stage",
     "Half of complaints at each stage were answered in this many working days or fewer.",
     _MEDIAN, "working_days", "stage", "complaints", "lower", _median_days(True), ("complaints",),
     subject="The typical time to answer a complaint", phrases=("half of complaints were answered within {value}",))
_OPEN = ("A snapshot on the date of the data (data_as_of in council.yaml): complaint records received by then with "
         "no responded date. The period is the financial year that date falls in; a snapshot is not compared "
         "with other years.")
_OVERDUE = (_OPEN + " Overdue: open complaints whose response deadline (worked out as for complaints answered on "
            "time, including agreed extensions up to the policy's maximum) was before that date. " + _WORKING_DAYS)
_add("complaints_open_at_data_as_of", "Complaints open", "The number of complaints still being dealt with on the date of the data.",
     _OPEN, "count", None, "complaints", None, _snapshot("open_by_stage", False), ("complaints",), snapshot=True,
     subject="Open complaints", phrases=("{value} complaint was open", "{value} complaints were open"))
_add("complaints_open_at_data_as_of_by_stage", "Complaints open, by stage",
     "The number of complaints at each stage still being dealt with on the date of the data.",
     _OPEN, "count", "stage", "complaints", None, _snapshot("open_by_stage", True), ("complaints",), snapshot=True,
     subject="Open complaints", phrases=("{value} complaint was open", "{value} complaints were open"))
_add("complaints_overdue_at_data_as_of", "Complaints overdue",
     "The number of complaints still open on the date of the data and past their response deadline.",
     _OVERDUE, "count", None, "complaints", "lower", _snapshot("overdue_by_stage", False), ("complaints",), snapshot=True,
     subject="Overdue complaints", phrases=("{value} complaint was overdue", "{value} complaints were overdue"))
_add("complaints_overdue_at_data_as_of_by_stage", "Complaints overdue, by stage",
     "The number of complaints at each stage still open on the date of the data and past their deadline.",
     _OVERDUE, "count", "stage", "complaints", "lower", _snapshot("overdue_by_stage", True), ("complaints",), snapshot=True,
     subject="Overdue complaints", phrases=("{value} complaint was overdue", "{value} complaints were overdue"))
_add("complaints_escalation_rate", "Complaints taken to the next stage",
     "The percentage of complaints at each stage that the complainant took to the next stage.",
     "Of complaint records at stage N received in the financial year (denominator), the number that a stage N+1 "
     "record names in its escalated_from field (numerator), whenever that escalation happened up to the date of the "
     "data. The dimension value is the stage escalated from; the last stage of the policy has none (see complaints "
     "taken to the ombudsman). Recent years can rise as complainants still escalate. " + _YEAR,
     "percent", "from_stage", "complaints", None, _escalation_rate, ("complaints",),
     subject="The percentage of complaints taken to the next stage",
     phrases=("{value} of complaints were taken to the next stage",))
_add("complaints_escalated_to_ombudsman_rate", "Complaints taken to an ombudsman",
     "Ombudsman cases received for each 100 complaints closed at the council's final stage.",
     "Ombudsman cases whose received date (the date the ombudsman told the council) falls in the financial year, "
     "as a percentage of complaint records at the policy's final stage closed in the year (any outcome). The two "
     "groups are not the same complaints: an ombudsman case can follow a complaint closed in an earlier year. "
     + _YEAR, "percent", None, "complaints", None, _to_ombudsman_rate, ("complaints", "ombudsman_cases"),
     subject="Ombudsman cases as a percentage of final-stage complaints closed",
     phrases=("ombudsman cases equalled {value} of final-stage complaints closed",))
_add("complaints_per_1000_contacts", "Complaints per 1,000 contacts",
     "For every 1,000 contacts with customer services, the number of complaints received.",
     "Complaints received in the year (each stage counted, as complaints received) ÷ contacts in the year (all "
     "channels, contacts.csv) × 1,000. Shown only for years in which contacts.csv has every month. " + _YEAR,
     "per_1000", None, "complaints", "lower", _per_1000_contacts, ("complaints", "contacts"),
     subject="Complaints per 1,000 contacts", per="contacts",
     phrases=("there were {value}",))
_add("complaints_per_1000_residents", "Complaints per 1,000 residents",
     "For every 1,000 people living in the area, the number of complaints received.",
     "Complaints received in the year (each stage counted, as complaints received) ÷ residents (council.yaml, the "
     "latest population figure, used for every year) × 1,000. " + _YEAR,
     "per_1000", None, "complaints", None, _per_1000_residents, ("complaints",),
     subject="Complaints per 1,000 residents", per="residents", phrases=("there were {value}",))

_COMPLIMENTS = ("Counts compliments.csv records whose received date falls in the financial year, from the year of "
                "the first compliment. " + _YEAR)
_add("compliments_received", "Compliments received", "The number of compliments the council received.",
     _COMPLIMENTS, "count", None, "compliments", "higher", _compliments(False), ("compliments",),
     subject="Compliments", phrases=("{value} compliment was received", "{value} compliments were received"))
_add("compliments_received_by_service", "Compliments received by service",
     "The number of compliments received about each council service.",
     _COMPLIMENTS + " Every service in services.csv is listed.", "count", "service", "compliments", "higher",
     _compliments(True), ("compliments",),
     subject="Compliments", phrases=("{value} compliment was received", "{value} compliments were received"))
_add("compliments_per_complaint", "Compliments for each complaint",
     "The number of compliments received for each complaint received.",
     "Compliments received in the year ÷ complaints received in the year (each stage counted), to 2 decimal "
     "places. " + _YEAR, "ratio", None, "compliments", "higher", _compliments_per_complaint,
     ("complaints", "compliments"), subject="Compliments for each complaint",
     phrases=("there were {value} compliments for each complaint",))

_OMB = ("From ombudsman_cases.csv: one row per case an ombudsman (LGSCO, Housing Ombudsman or PSOW) told the "
        "council about. ")
_READING = ("Upheld rate, our reading of each ombudsman's published statistics: LGSCO and PSOW — cases upheld ÷ "
            "cases upheld or not upheld, that is of the detailed investigations completed (LGSCO, 'Interpreting "
            "local authority statistics': the uphold rate is 'expressed as a percentage of the detailed "
            "investigations we complete'); cases closed after initial enquiries, referred back, advice given, "
            "premature, incomplete or invalid are left out. Housing Ombudsman — determinations of severe "
            "maladministration, maladministration, partial maladministration or service failure ÷ those plus "
            "reasonable redress and no maladministration (the findings it makes when it investigates: Housing "
            "Ombudsman, 'What findings can the Housing Ombudsman make'); outside jurisdiction, withdrawn, "
            "early resolution and premature cases are left out. ")
_add("ombudsman_escalations", "Complaints taken to an ombudsman",
     "The number of complaints an ombudsman told the council it had received.",
     _OMB + "Counts cases whose received date falls in the financial year. " + _YEAR, "count", None, "ombudsman", None,
     _ombudsman_counts("received", None), ("ombudsman_cases",), subject="Complaints taken to an ombudsman",
     phrases=("{value} complaint was taken to an ombudsman", "{value} complaints were taken to an ombudsman"))
_add("ombudsman_escalations_by_ombudsman", "Complaints taken to an ombudsman, by ombudsman",
     "The number of complaints each ombudsman told the council it had received.",
     _OMB + "Counts cases whose received date falls in the financial year, for each ombudsman with cases. " + _YEAR,
     "count", "ombudsman", "ombudsman", None, _ombudsman_counts("received", "ombudsman"), ("ombudsman_cases",),
     subject="Complaints taken to an ombudsman",
     phrases=("{value} complaint was taken to an ombudsman", "{value} complaints were taken to an ombudsman"))
_add("ombudsman_decisions", "Ombudsman decisions", "The number of decisions ombudsmen made about the council.",
     _OMB + "Counts cases whose decided date falls in the financial year. " + _YEAR, "count", None, "ombudsman", None,
     _ombudsman_counts("decided", None), ("ombudsman_cases",), subject="Ombudsman decisions",
     phrases=("the ombudsmen made {value} decision", "the ombudsmen made {value} decisions"))
_add("ombudsman_decisions_by_ombudsman", "Ombudsman decisions, by ombudsman",
     "The number of decisions each ombudsman made about the council.",
     _OMB + "Counts cases whose decided date falls in the financial year, for each ombudsman with cases. " + _YEAR,
     "count", "ombudsman", "ombudsman", None, _ombudsman_counts("decided", "ombudsman"), ("ombudsman_cases",),
     subject="Ombudsman decisions", phrases=("the ombudsman made {value} decision", "the ombudsman made {value} decisions"))
_add("ombudsman_decisions_by_outcome", "Ombudsman decisions, by outcome",
     "The number of each kind of decision each ombudsman made, in the ombudsman's own categories.",
     _OMB + "Counts cases decided in the financial year by ombudsman and outcome; the dimension value is "
     "'ombudsman:outcome' (for example hos:maladministration), listed for each pair that appears in the data. "
     "Each ombudsman's categories are its own and are not added across ombudsmen. " + _YEAR,
     "count", "ombudsman_outcome", "ombudsman", None, _ombudsman_counts("decided", "ombudsman_outcome"),
     ("ombudsman_cases",), subject="Ombudsman decisions",
     phrases=("the ombudsman made {value} decision", "the ombudsman made {value} decisions"))
_add("ombudsman_upheld_rate", "Ombudsman complaints upheld",
     "Of the complaints each ombudsman investigated, the percentage where it found fault.",
     _OMB + "Cases decided in the financial year, for each ombudsman (the ombudsmen's categories differ, so there "
     "is no total). " + _READING + _YEAR, "percent", "ombudsman", "ombudsman", "lower", _ombudsman_upheld_rate,
     ("ombudsman_cases",), subject="The percentage of ombudsman investigations that found fault",
     phrases=("the ombudsman found fault in {value} of its investigations",))
_add("ombudsman_compliance_rate", "Ombudsman recommendations carried out on time",
     "The percentage of ombudsman recommendations the council carried out on time.",
     _OMB + "Of cases decided in the financial year whose compliance is on_time, late or not_complied "
     "(denominator), those on_time (numerator); pending and not_applicable are left out. This follows the LGSCO's "
     "'compliance with Ombudsman recommendations' statistic. " + _YEAR, "percent", None, "ombudsman", "higher",
     _ombudsman_compliance, ("ombudsman_cases",), subject="The percentage of recommendations carried out on time",
     phrases=("{value} of ombudsman recommendations were carried out on time",))
_add("ombudsman_financial_remedies_gbp", "Money paid as ombudsman remedies",
     "The total the ombudsmen asked the council to pay to put things right.",
     _OMB + "Sum of financial_remedy_gbp over cases decided in the financial year, in pounds. " + _YEAR,
     "gbp", None, "ombudsman", None, _ombudsman_money, ("ombudsman_cases",),
     subject="Money paid as ombudsman remedies", phrases=("the ombudsmen asked the council to pay {value}",))
_add("ombudsman_remedy_by_council", "Remedies the council had already offered",
     "The number of ombudsman cases where the council had already offered a satisfactory remedy.",
     _OMB + "Counts cases decided in the financial year with remedy_by_council true. " + _YEAR, "count", None,
     "ombudsman", "higher", _remedy_by_council(False), ("ombudsman_cases",),
     subject="Cases the council had already put right",
     phrases=("the council had already put things right in {value} case", "the council had already put things right in {value} cases"))
_add("ombudsman_remedy_by_council_rate", "Satisfactory remedies the council had already offered",
     "Of the cases where an ombudsman found fault, the percentage where the council had already offered a satisfactory remedy.",
     _OMB + "Of cases decided in the financial year where the ombudsman found fault (as read for the upheld rate) "
     "(denominator), those with remedy_by_council true (numerator). Modelled on the LGSCO's 'satisfactory remedy "
     "provided by the authority'; the LGSCO's exact denominator is not confirmed here. " + _YEAR,
     "percent", None, "ombudsman", "higher", _remedy_by_council(True), ("ombudsman_cases",),
     subject="The percentage of fault findings the council had already put right",
     phrases=("the council had already put things right in {value} of cases where fault was found",))

_MONTHLY = "Shown only for years in which the file has every month (up to the end of the year or of the last complete quarter). "
_add("contacts_received", "Contacts with customer services",
     "The number of times residents contacted customer services, by any channel.",
     "Sum of contacts in contacts.csv over the months of the financial year, all channels. " + _MONTHLY,
     "count", None, "contact", None, _contacts(False), ("contacts",), subject="Contacts",
     phrases=("there was {value} contact", "there were {value} contacts"))
_add("contacts_received_by_channel", "Contacts by channel",
     "The number of contacts with customer services by each channel.",
     "Sum of contacts in contacts.csv over the months of the financial year, for each channel in the file. " + _MONTHLY,
     "count", "channel", "contact", None, _contacts(True), ("contacts",), subject="Contacts",
     phrases=("there was {value} contact", "there were {value} contacts"))
_add("contacts_by_month", "Contacts by month and channel",
     "The number of contacts with customer services in each month, by channel.",
     "The contacts column of contacts.csv as given, one row per month and channel; a month not yet over at the "
     "date of the data is marked year to date.", "count", "channel", "contact", None, _contacts_by_month,
     ("contacts",), subject="Contacts", phrases=("there was {value} contact", "there were {value} contacts"))
_add("online_share", "Contacts made online",
     "The percentage of contacts with customer services made online.",
     f"Contacts by the online channels ({_ONLINE}) ÷ contacts by all channels, over the months of the financial "
     "year. Online means written contact over the internet; phone, face to face and letter are not online. " + _MONTHLY,
     "percent", None, "contact", None, _online_share, ("contacts",), subject="The percentage of contacts made online",
     phrases=("{value} of contacts were made online",))
_CALLS = "From calls.csv, summed over the months of the financial year. " + _MONTHLY
_add("calls_offered", "Calls", "The number of calls that reached the council's customer services queue.",
     _CALLS + "Sum of offered.", "count", None, "contact", None, _calls("offered"), ("calls",), subject="Calls",
     phrases=("{value} call was made", "{value} calls were made"))
_add("calls_answered_rate", "Calls answered", "The percentage of calls answered by an adviser.",
     _CALLS + "Answered ÷ offered.", "percent", None, "contact", "higher", _calls("answered"), ("calls",),
     subject="The percentage of calls answered", phrases=("{value} of calls were answered",))
_add("calls_answered_within_60s_rate", "Calls answered within 60 seconds",
     "Of the calls answered, the percentage answered within 60 seconds.",
     _CALLS + "Answered within 60 seconds ÷ answered.", "percent", None, "contact", "higher", _calls("within_60s"),
     ("calls",), subject="The percentage of calls answered within 60 seconds",
     phrases=("{value} of answered calls were answered within 60 seconds",))
_add("calls_abandoned_rate", "Calls abandoned",
     "The percentage of calls where the caller hung up before being answered.",
     _CALLS + "Abandoned ÷ offered.", "percent", None, "contact", "lower", _calls("abandoned"), ("calls",),
     subject="The percentage of calls abandoned", phrases=("{value} of calls were abandoned",))
_add("calls_average_handle_seconds", "Average call length",
     "The average length of an answered call, including the work straight after it.",
     _CALLS + "Each month's average handling time weighted by its answered calls: Σ(average × answered) ÷ Σ answered, "
     "to the nearest second. Numerator: total handling seconds; denominator: calls answered.", "seconds", None,
     "contact", None, _calls("handle"), ("calls",), subject="The average call length",
     phrases=("the average call lasted {value}",))
_add("calls_average_wait_seconds", "Average wait for an answer",
     "The average time callers waited before an adviser answered.",
     _CALLS + "Each month's average wait weighted by its answered calls: Σ(average × answered) ÷ Σ answered, to the "
     "nearest second. Numerator: total waiting seconds; denominator: calls answered.", "seconds", None, "contact",
     "lower", _calls("wait"), ("calls",), subject="The average wait", phrases=("callers waited {value} on average",))
_SAT = ("From satisfaction.csv: ratings of good ÷ all ratings (good, average and poor), over the months of the "
        "financial year. " + _MONTHLY)
_add("satisfaction_rate", "Customers satisfied", "The percentage of customers who rated the service they got as good.",
     _SAT + "All channels together.", "percent", None, "contact", "higher", _satisfaction(False), ("satisfaction",),
     subject="The percentage of good ratings", phrases=("{value} of ratings were good",))
_add("satisfaction_by_channel", "Customers satisfied, by channel",
     "The percentage of customers who rated the service as good, for each way of contacting the council.",
     _SAT + "For each channel in the file.", "percent", "channel", "contact", "higher", _satisfaction(True),
     ("satisfaction",), subject="The percentage of good ratings", phrases=("{value} of ratings were good",))

_add("standard_result", "Service standards",
     "How the council did against each of its published service standards.",
     "For each standard in standards.yaml: the value of the measure it names for the year (and the part of it given "
     "by dimension_value, for example stage 1), with that measure's numerator and denominator; for a standard "
     "whose measure is 'reported', the value in standard_results.csv. Values are in the standard's unit (seconds "
     "are converted to minutes where the standard is in minutes). A standard is met when the value is at least the "
     "target (better: higher) or at most the target (better: lower); for a year to date, met so far.",
     "standard", "standard", "standards", None, _standard_result, ("standards",),
     subject="The result", phrases=("the result was {value}",))

_TSM_SOURCE = ("Source: Regulator of Social Housing, Tenant Satisfaction Measures technical requirements and the "
               "data dictionary of its 2023/24 full data (CH01: 'number of stage one [two] complaints made by "
               "tenants in the relevant stock type during the reporting year per 1,000 homes'; CH02: "
               "'proportion of stage one [two] complaints responded to within the Housing Ombudsman's Complaint "
               "Handling Code timescales', whose denominator is complaints made during the reporting year). ")
_add("tsm_ch01", "Complaints per 1,000 homes (TSM CH01)",
     "For every 1,000 council homes, the number of complaints made about the council as a landlord, at each stage.",
     "Tenant Satisfaction Measure CH01, for stage 1 and stage 2 separately. Numerator: complaint records about "
     "landlord services (services.csv is_landlord_service) at that stage received in the financial year (the "
     "regulator's 'complaints made'), whatever happened to them. Denominator: homes owned at the end of that "
     "financial year (homes_owned_by_year in council.yaml, or homes_owned where a year is not given). Value: "
     "numerator ÷ denominator × 1,000. Reported for all the council's rented homes together (the regulator's LCRA "
     "and LCHO split is not in the data). A year to date uses the homes figure for that year where given. "
     + _TSM_SOURCE + _YEAR, "per_1000", "stage", "tsm", None, _tsm("ch01"), ("complaints", "homes_owned", "rsh"),
     landlord_only=True, subject="Complaints per 1,000 homes", per="homes", phrases=("there were {value}",))
_add("tsm_ch02", "Complaints answered within the Code's timescales (TSM CH02)",
     "The percentage of complaints about the council as a landlord answered within the Complaint Handling Code's time limits, at each stage.",
     "Tenant Satisfaction Measure CH02, for stage 1 and stage 2 separately. Denominator: complaint records about "
     "landlord services at that stage received in the financial year (complaints made, as CH01). Numerator: those "
     "with a response date within the Housing Ombudsman's Complaint Handling Code (2024) timescales — not the "
     "council's own policy: stage 1, acknowledge within 5 working days of receipt and respond within 10 working "
     "days of acknowledgement, plus an agreed extension of up to 10 working days; stage 2, acknowledge within 5 "
     "and respond within 20 working days of acknowledgement, plus an agreed extension of up to 20. The clock starts "
     "on the acknowledgement date, but no later than 5 working days after receipt (a late or missing "
     "acknowledgement does not give more time), so the longest time from receipt is 15 (25 with an extension) "
     "working days at stage 1 and 25 (45) at stage 2. A complaint not answered by the date of the data counts as "
     "not answered within the timescales, as the regulator's denominator is every complaint made; a complaint "
     "closed as withdrawn or not accepted counts by the date it was closed. Where the official text is unclear we "
     "took these readings: a response within an extension agreed within the Code's limits counts as within the "
     "timescales (the Code allows such extensions, and the technical requirements do not exclude them); the "
     "denominator is complaints made in the year, as the regulator's 2023/24 data dictionary says, not complaints "
     "responded to; and the Code's standard maximum timescales are used, not the council's own. "
     + _WORKING_DAYS + _TSM_SOURCE + _YEAR,
     "percent", "stage", "tsm", "higher", _tsm("ch02"), ("complaints", "rsh"), landlord_only=True,
     subject="The percentage of landlord complaints answered within the Code's timescales",
     phrases=("{value} of landlord complaints were answered within the Code's timescales",))


# --------------------------------------------------------------------------------------------------
# Public helpers


def _present(data: Data, need: str) -> bool:
    if need in schema.RESOURCE_NAMES:
        return data.has(need)
    if need == "standards":
        return bool(data.standards)
    if need == "homes_owned":
        return data.council.get("homes_owned") is not None or bool(data.council.get("homes_owned_by_year"))
    if need == "rsh":  # the Regulator of Social Housing's TSMs apply in England only
        return data.council.get("country", "england") == "england"
    raise ValueError(f"unknown requirement {need!r}")


def available(data: Data) -> list[Measure]:
    """Measures whose resources are present (landlord-only measures only for a landlord), in display order."""
    return [
        m for m in MEASURES.values()
        if all(_present(data, need) for need in m.requires) and (not m.landlord_only or data.is_landlord)
    ]


def compute_all(data: Data) -> list[Row]:
    """Rows of every available measure: in registry order, then period, then dimension value."""
    prep = prepare(data)
    out = []
    for m in available(data):
        out += [dict(r) for r in _rows(prep, m.id, prep.windows)]
    return out


_INDEX: dict[int, tuple[list, int, dict]] = {}


def value(rows: list[Row], measure: str, period: str, dimension_value: Any = None) -> Row | None:
    """The row for (measure, period, dimension_value), or None."""
    hit = _INDEX.get(id(rows))
    if hit is None or hit[0] is not rows or hit[1] != len(rows):
        index = {(r["measure"], r["period"], r["dimension_value"]): r for r in rows}
        if len(_INDEX) > 16:
            _INDEX.clear()
        _INDEX[id(rows)] = hit = (rows, len(rows), index)
    return hit[2].get((measure, period, None if dimension_value is None else str(dimension_value)))


def comparable(prev_row: Row | None, row: Row | None) -> bool:
    """True when two rows may be compared as they stand: same measure and part, both complete, both with values."""
    return (
        prev_row is not None and row is not None
        and prev_row["measure"] == row["measure"]
        and prev_row["dimension_value"] == row["dimension_value"]
        and prev_row["status"] == COMPLETE and row["status"] == COMPLETE
        and prev_row["value"] is not None and row["value"] is not None
        and row["measure"] not in _SNAPSHOTS
    )


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _previous_period(period: str) -> str:
    if period.startswith("Q"):
        q, fy = period.split(" ")
        return f"{q} {periods.fy_label(periods.parse_fy(fy) - 1)}"
    if "/" in period:
        return periods.fy_label(periods.parse_fy(period) - 1)
    return f"{int(period[:4]) - 1:04d}{period[4:]}"


def same_period_row(data: Data, measure: str, period: str, dimension_value: Any = None) -> Row | None:
    """For a year to date, the measure over the same dates of the previous year, recomputed from the records."""
    prep = prepare(data)
    w = next((w for w in prep.windows if w.label == period), None)
    if w is None or w.status != YEAR_TO_DATE or measure in _SNAPSHOTS:
        return None
    prev = periods.fy_label(periods.parse_fy(period) - 1)
    window = Window(prev, _year_before(w.start), _year_before(w.end), YEAR_TO_DATE)
    rows = [r for r in _rows(prep, measure, (window,)) if r["period"] == prev]
    dv = None if dimension_value is None else str(dimension_value)
    return next((r for r in rows if r["dimension_value"] == dv), None)


def _safe_same_period(data: Data, prev_row: Row) -> bool:
    """Whether a same-period figure for a breakdown can be shown without giving away a small number.

    It is not published anywhere else, so apply disclosure control's primary rule to it and to what
    is left of that year (the published full year minus it): neither may be from 1 to threshold − 1.
    Totals without a dimension are not controlled (as in disclosure.py).
    """
    from . import disclosure  # the site's disclosure rules; imported here as it is a later stage

    threshold = data.threshold
    if prev_row["dimension"] is None or threshold <= 1 or not disclosure.is_controlled(prev_row["measure"]):
        return True
    full = value(_rows(prepare(data), prev_row["measure"], prepare(data).windows), prev_row["measure"],
                 prev_row["period"], prev_row["dimension_value"])
    keys = ("value",) if MEASURES[prev_row["measure"]].unit == "count" else ("numerator", "denominator")
    numbers = [prev_row[k] for k in keys]
    if full is not None:
        numbers += [full[k] - prev_row[k] for k in keys if full[k] is not None and prev_row[k] is not None]
    return not any(v is not None and 1 <= v < threshold for v in numbers)


def change(data: Data, measure: str, period: str, dimension_value: Any = None, rows: list[Row] | None = None) -> dict | None:
    """The change to ``period`` from the period before, or None if there is nothing fair to compare.

    A complete year is compared with the complete year before; a year to date with the same dates of
    the previous year (recomputed from the records, never scaled); a quarter or month with the same
    quarter or month a year earlier.
    """
    if measure in _SNAPSHOTS:
        return None
    rows = compute_all(data) if rows is None else rows
    row = value(rows, measure, period, dimension_value)
    if row is None or row["value"] is None:
        return None
    if row["status"] == YEAR_TO_DATE and "/" in period and not period.startswith("Q"):
        prev_row, basis = same_period_row(data, measure, period, dimension_value), "same_period"
        ok = prev_row is not None and prev_row["value"] is not None and _safe_same_period(data, prev_row)
    else:
        prev_row, basis = value(rows, measure, _previous_period(period), dimension_value), "previous_year"
        ok = comparable(prev_row, row)
    if not ok:
        return None
    cur, old = row["value"], prev_row["value"]
    diff = cur - old
    return {
        "measure": measure,
        "dimension_value": row["dimension_value"],
        "period": period,
        "previous_period": prev_row["period"],
        "basis": basis,
        "value": cur,
        "previous_value": old,
        "difference": round(diff, 2) if isinstance(diff, float) else diff,
        "percent_change": None if not old else float(Fraction(Fraction(str(cur)) - Fraction(str(old))) * 100 / Fraction(str(old))),
        "direction": "rose" if cur > old else "fell" if cur < old else "stayed the same",
        "row": row,
        "previous_row": prev_row,
    }


def row_unit(data: Data, row: Row) -> str:
    """The unit of one row: the measure's, or for a standard result the standard's own unit."""
    if row["measure"] == "standard_result":
        for s in data.standards:
            if s["id"] == row["dimension_value"]:
                return s["unit"]
    return MEASURES[row["measure"]].unit


def format_row(data: Data, row: Row) -> str:
    """A row's value for reading ('344', '48.5%', '27.7 per 1,000 homes')."""
    return fmt.format_value(row["value"], row_unit(data, row), MEASURES[row["measure"]].per)


def dimension_label(data: Data, dimension: str | None, dimension_value: Any) -> str:
    """Display label for a dimension value, from services.csv, policy.yaml, standards.yaml or the schemas."""
    if dimension is None or dimension_value is None:
        return ""
    v = str(dimension_value)
    if dimension in ("stage", "from_stage"):
        return f"stage {v}"
    if dimension == "service":
        return next((s["name"] for s in data.table("services") if s["service_id"] == v), v)
    if dimension == "ombudsman":
        return next((e["name"] for e in (data.policy or {}).get("escalation", []) if e.get("ombudsman") == v), v.upper())
    if dimension == "ombudsman_outcome":
        omb, _, outcome = v.partition(":")
        return f"{dimension_label(data, 'ombudsman', omb)}: {_enum_label('ombudsman_cases', 'outcome', outcome)}"
    if dimension == "standard":
        return next((s["promise"] for s in data.standards if s["id"] == v), v)
    resource = {"channel": "complaints", "category": "complaints", "outcome": "complaints",
                "not_accepted_reason": "complaints"}.get(dimension)
    return _enum_label(resource, dimension, v) if resource else v


def _enum_label(resource: str, field_name: str, v: str) -> str:
    """An allowed value's label from the schema's categories ('partly_upheld' → 'Partly upheld')."""
    return schema.label(resource, field_name, v)


def _period_words(period: str) -> str:
    return fmt.month(period) if len(period) == 7 and period[4] == "-" else period


def _phrase(m: Measure, row: Row, data: Data) -> str:
    text = format_row(data, row)
    if not m.phrases:
        return f"{m.title.lower()} was {text}"
    singular = m.unit == "count" and row["value"] == 1 and len(m.phrases) > 1
    return (m.phrases[0] if singular else m.phrases[-1]).format(value=text)


def sentence(data: Data, rows: list[Row], measure_id: str, period: str, dimension_value: Any = None) -> str:
    """One plain-English sentence about a figure and its change, in UK number style.

    'Complaints rose by 25%, from 276 in 2021/22 to 344 in 2022/23.' A year to date is compared with
    the same months of the year before; a percentage changes by percentage points.
    """
    m = MEASURES[measure_id]
    row = value(rows, measure_id, period, dimension_value)
    if row is None:
        raise KeyError(f"no figure for {measure_id} in {period}" + (f" ({dimension_value})" if dimension_value else ""))
    label = dimension_label(data, m.dimension, row["dimension_value"])
    where = f" ({label})" if label else ""
    if m.dimension == "standard":
        where = f" for the standard ‘{label.rstrip('.')}’"
    if row["status"] == "suppressed":  # set by disclosure.suppress
        return (f"The figure for {m.title.lower()}{where} in {_period_words(period)} is not shown, to protect "
                "the privacy of the people involved.")
    if row["value"] is None:
        return f"There is no figure for {m.title.lower()}{where} in {_period_words(period)}."
    if measure_id in _SNAPSHOTS:
        return f"On {fmt.date(data.data_as_of)}, {_phrase(m, row, data)}{where}."
    ch = change(data, measure_id, period, dimension_value, rows)
    if row["status"] == YEAR_TO_DATE and "/" in period and not period.startswith("Q"):
        y = next(y for y in prepare(data).years if y.label == period)
        if y.quarters:
            q = "Q1" if y.quarters == 1 else f"Q1–Q{y.quarters}"
            when = f"In {period} up to the end of {fmt.MONTHS[y.end.month - 1]} ({q})"
        else:
            when = f"In {period} up to {fmt.date(y.end)}"
        text = f"{when}, {_phrase(m, row, data)}{where}"
        if ch is not None:
            prev = fmt.format_value(ch["previous_value"], row_unit(data, row), m.per)
            text += f", compared with {prev} in the same period of {ch['previous_period']}"
        return text + "."
    if ch is None:
        return f"In {_period_words(period)}, {_phrase(m, row, data)}{where}."
    unit = row_unit(data, row)
    cur = fmt.format_value(ch["value"], unit, m.per)
    old = fmt.format_value(ch["previous_value"], unit, m.per)
    p0, p1 = _period_words(ch["previous_period"]), _period_words(period)
    subject = m.subject + where
    if ch["direction"] == "stayed the same" or cur == old:
        return f"{subject} stayed the same, at {cur} in {p0} and {p1}."
    if unit == "percent":
        points = fmt.number(abs(ch["difference"]), 1)
        size = f"{points} percentage point" + ("" if points == "1.0" else "s")
    elif ch["percent_change"] is None:
        return f"{subject} {ch['direction']} from {old} in {p0} to {cur} in {p1}."
    else:
        size = fmt.percent_change(ch["percent_change"])
    return f"{subject} {ch['direction']} by {size}, from {old} in {p0} to {cur} in {p1}."
