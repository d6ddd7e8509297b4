"""Stage: disclosure control. Measure rows and record-level downloads → the same, safe to publish.

Complaints data is about people. A table that says "2 complaints about the crematorium were upheld"
can tell a neighbour something about a person they know, so small counts in breakdowns are hidden
and shown as ``[c]`` (the ONS symbol for "confidential").

Two functions do the work, both pure (they return new rows and never change their input):

``suppress(rows, threshold, *, units, totals)`` — for the tidy measure rows
(``measure, period, dimension, dimension_value, value, numerator, denominator, status``).

1. **Primary suppression.** In a breakdown (a row with a dimension, or a monthly row of a yearly
   figure) a count from 1 to threshold − 1 is hidden: value, numerator and denominator become
   None and status becomes ``"suppressed"``. A rate, percentage, average or amount of money in a
   breakdown is hidden when its numerator or denominator is from 1 to threshold − 1 (a statistic
   about fewer than ``threshold`` cases is a statistic about individuals).
2. **Secondary suppression.** The published numbers are linked by sums that any reader can do:
   the cells of a breakdown add up to its total, each ombudsman's outcomes add up to that
   ombudsman's total, twelve months add up to the year, and a percentage's numerator can be the
   same number as a count in another table. Every such sum is an equation; the hidden numbers
   are its unknowns. As long as some hidden number can be worked out from the equations (one
   unknown left in a sum, or any combination of sums — checked by exact Gaussian elimination,
   or a sum whose hidden part is zero), one more number in that sum is hidden: a non-zero one
   (a zero only as a last resort), preferring one that opens no new weak sum, then the smallest. A
   breakdown whose total we cannot find is treated as if its total were published (it usually is,
   somewhere), so a lone small cell always gets a partner.
3. Every sum is checked against the true numbers before it is used: a relation that does not
   hold is not one a reader could exploit, and a coincidence that does hold only hides more.

What is controlled, and why:

- Counts of complaints, compliments and ombudsman cases in any breakdown (stage, service,
  channel, category, outcome, reason, ombudsman, ombudsman and outcome, month), and every rate,
  percentage, median, average or amount of money computed over such cases, in a breakdown.
- **Not** contact volumes, telephony or online share (measure ids starting ``contacts``,
  ``calls`` or ``online_share``): a count of phone calls or webchats in a month is about the
  council's workload, not about anyone's case, and a busy month of 3 letters identifies nobody.
  (The lead may revisit: pass ``exempt`` to change the list.)
- **Not** headline totals (no dimension, a whole year): they describe the council, not people. The
  number of ombudsman decisions about a council is small and is published by the ombudsmen
  themselves, by council, every year. A council that wants its small totals hidden too passes
  ``protect_totals=True``; totals then also become candidates for secondary suppression.
- Zeros are never hidden for being small: a true zero says nothing about a person. A zero is only
  hidden as a last-resort partner of a small number (for example when every other cell of a
  breakdown is zero, so that the total would give the small number away).

``suppress_records(rows, resource, threshold, quasi_identifiers)`` — for the record-level CSV
downloads (one row per complaint, compliment or ombudsman case): see ``METHOD``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import numbers
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from . import periods, schema

SYMBOL = "[c]"
SUPPRESSED = "suppressed"
DEFAULT_THRESHOLD = 5

# Measures whose figures are about the council's workload rather than about anyone's case.
EXEMPT_PREFIXES = ("contacts", "calls", "online_share")

# Units whose value adds up across a breakdown (the value itself is in the sums, not only the
# numerator and denominator).
ADDITIVE_UNITS = frozenset({"count", "gbp"})

# Fields of record-level downloads that are identifying in combination. "field:financial_year" is
# derived from a date field and is never replaced (the dates are needed for every timeliness
# measure); the others are replaced by [c] where needed.
# Listed most important first: the last one is replaced first.
DEFAULT_QUASI_IDENTIFIERS: dict[str, list[str]] = {
    "complaints": ["received:financial_year", "service_id", "category", "channel"],
    "compliments": ["received:financial_year", "service_id", "channel"],
    "ombudsman_cases": ["received:financial_year", "ombudsman", "service_id"],
}

METHOD_TEMPLATE = """\
Some numbers are too small to publish safely. If we said that 2 complaints about one service were
upheld, someone who knows a person who complained might learn something private about them. So, in
every breakdown of complaints, compliments and ombudsman cases (by stage, service, channel,
category, outcome, reason, ombudsman or month), we do not publish a number from 1 to {below}. We show
[c] instead. We also do not publish a percentage, rate, average or amount of money that is about
fewer than {threshold} cases.

Hiding a small number is not enough if you could work it out by subtraction: if the total is 20
and every other number is shown, the hidden one is 20 minus the rest. So we also hide at least one
other number in the same table, usually the next smallest. We check every total and sub-total a
reader could use, including months that add up to a year and outcomes that add up to each
ombudsman's total, and we keep hiding numbers until none of the hidden ones can be worked out. Very
occasionally we hide a zero for the same reason, so [c] can stand for any number, including zero.

We do not hide zeros for being small, because a true zero tells you nothing about anyone. We do not
hide totals for the whole council, because they describe the council, not people: the ombudsmen
publish them too. We do not hide the number of phone calls, emails or visits, because they are
about how busy the council is, not about anyone's complaint.

The lists of individual complaints, compliments and ombudsman cases that you can download follow
the same rule. No person is named in them and every identifier is made up by the case system. But
a combination of details, such as the service, the year, what the complaint was about and how it
was made, could still point to one person. So no combination of those details is shared by fewer
than {threshold} records, counting [c] as a value of its own. Where a combination is rarer than that,
we replace details with [c]. Each record loses as few details as possible, and the least useful
first: for a complaint, how it was made, then what it was about, and the service last. If a few
records still stand out, we replace the same details in a few records from larger groups, so that
they are not alone. If a whole year has fewer than {threshold} records, all of these details are
replaced. We never change the dates, because they are needed to check how quickly complaints were
answered. If a detail is replaced in one record, we also replace the link to it from a related
record (for example from a stage 2 complaint to its stage 1 complaint), so that the link cannot
give it away.
"""


def method(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The methodology page's "Small numbers" section for a council's threshold."""
    return METHOD_TEMPLATE.format(threshold=threshold, below=max(threshold - 1, 1))


# For the default threshold. A council with another threshold needs method(data.threshold).
METHOD = method(DEFAULT_THRESHOLD)


def footnote(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The note under every table or chart with a ``[c]`` in it."""
    below = max(threshold - 1, 1)
    return (f"{SYMBOL} means a number we do not publish, so that nobody can be identified: it is between 1 and "
            f"{below}, or it would let you work out one that is.")


def is_controlled(measure_id: str, exempt: Collection[str] | Callable[[str], bool] | None = None) -> bool:
    """Whether a measure's breakdowns are subject to disclosure control."""
    if callable(exempt):
        return not exempt(measure_id)
    if exempt is not None:
        return measure_id not in exempt
    return not measure_id.startswith(EXEMPT_PREFIXES)


def infer_totals(measure_ids: Iterable[str]) -> dict[str, list[str]]:
    """Breakdown measure → the measures its cells add up to, from the ``<base>_by_<dimension>`` names.

    ``complaints_received_by_service`` → ``["complaints_received"]``. A measure broken down by a
    composite dimension (``ombudsman_decisions_by_outcome`` with values ``"hos:maladministration"``)
    also sums, per ombudsman, to every sibling breakdown of the same base
    (``ombudsman_decisions_by_ombudsman``): ``suppress`` only keeps sums that hold on the data.
    """
    ids = set(measure_ids)
    out: dict[str, list[str]] = {}
    for m in sorted(ids):
        base, sep, _ = m.rpartition("_by_")
        if not sep:
            continue
        siblings = sorted(x for x in ids if x != m and x.startswith(base + "_by_"))
        out[m] = siblings + ([base] if base in ids else [])
    return out


# ---- the linear system a reader could solve ---------------------------------------------------------

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_QUARTER = re.compile(r"^Q[1-4] (\d{4}/\d{2})$")

# Breakdowns whose cells are different things, not parts of one whole: no sum across them is assumed.
NOT_PARTS = frozenset({"standard"})
Var = tuple[int, str]  # (row index, quantity name)


@dataclass
class Report:
    """What suppression did, for the build log and the tests."""

    primary: int = 0  # rows hidden for being small
    secondary: int = 0  # rows hidden so that the small ones cannot be worked out
    equations: int = 0  # sums considered
    unprotectable: list[tuple] = field(default_factory=list)  # (measure, period, dimension_value) left recoverable

    @property
    def suppressed(self) -> int:
        return self.primary + self.secondary


@dataclass
class _Eq:
    """sum(coef * quantity) == const, true for the real numbers."""

    terms: tuple[tuple[Var, int], ...]
    const: float


def _is_month(period: str | None) -> bool:
    return bool(period) and bool(_MONTH.match(period))


def _containers(period: str | None) -> list[str]:
    """The longer periods a month or quarter adds up to ('2022-05' → ['Q1 2022/23', '2022/23'])."""
    if not period:
        return []
    if _MONTH.match(period):
        y, m = int(period[:4]), int(period[5:7])
        return [periods.quarter_label(dt.date(y, m, 1)), periods.month_fy(period)]
    q = _QUARTER.match(period)
    return [q.group(1)] if q else []


def _num(v) -> int | float | None:
    """A published number as int or float (Decimal and Fraction included); None for anything else."""
    if isinstance(v, bool) or not isinstance(v, numbers.Number):
        return None
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


class _System:
    def __init__(self, rows: list[dict], units: Mapping[str, str], totals: Mapping[str, str | Sequence[str]],
                 controlled: Callable[[str], bool], protect_totals: bool):
        self.rows = rows
        self.units = units
        self.totals = totals
        self.controlled = [controlled(r["measure"]) for r in rows]
        # A month or quarter of a yearly figure is a breakdown of it, like a service or a channel.
        self.breakdown = [r.get("dimension") is not None or bool(_containers(r.get("period"))) for r in rows]
        self.hideable = [c and (b or protect_totals) for c, b in zip(self.controlled, self.breakdown, strict=True)]
        self.index: dict[tuple, int] = {}
        self.by_value: dict[tuple, list[int]] = defaultdict(list)  # (measure, period, dimension_value)
        for i, r in enumerate(rows):
            self.index[(r["measure"], r["period"], r.get("dimension"), r.get("dimension_value"))] = i
            self.by_value[(r["measure"], r["period"], r.get("dimension_value"))].append(i)
        self._units = [self._unit(i) for i in range(len(rows))]
        self._q = [self._quantities(i) for i in range(len(rows))]
        self.equations: list[_Eq] = []
        self._seen: set[tuple] = set()
        self.var_eqs: dict[Var, list[int]] = defaultdict(list)
        self._build()

    # -- quantities --------------------------------------------------------------------------

    def unit(self, i: int) -> str:
        return self._units[i]

    def quantities(self, i: int) -> dict[str, float]:
        """The numbers a published row shows that can enter a sum."""
        return self._q[i]

    def _unit(self, i: int) -> str:
        r = self.rows[i]
        u = self.units.get(r["measure"])
        if u:
            return u
        # Unknown measures: a bare integer is a count, anything with a numerator is a rate.
        if isinstance(r.get("value"), int) and r.get("numerator") is None and r.get("denominator") is None:
            return "count"
        return "rate"

    def _quantities(self, i: int) -> dict[str, float]:
        r, unit = self.rows[i], self._units[i]
        names = (["value"] if unit in ADDITIVE_UNITS else []) + ([] if unit == "count" else ["numerator", "denominator"])
        out = {}
        for q in names:
            v = _num(r.get(q))
            if v is not None:
                out[q] = v
        return out

    def size(self, i: int) -> float:
        """How much information hiding row i costs (smaller is cheaper)."""
        q = self.quantities(i)
        for name in ("value", "denominator", "numerator"):
            if name in q:
                return abs(q[name])
        return 0

    def totals_of(self, measure: str) -> list[str]:
        t = self.totals.get(measure)
        if t is None:
            return []
        return [t] if isinstance(t, str) else list(t)

    # -- equations -----------------------------------------------------------------------------

    def _add(self, cells: list[int], total: int | None, q: str, virtual: bool) -> bool:
        """Add sum(cells) == total (or == its true value, when the total is virtual) if it holds."""
        qs = [self.quantities(i) for i in cells]
        if not cells or any(q not in x for x in qs):
            return False
        s = sum(x[q] for x in qs)
        terms = [((i, q), 1) for i in cells]
        const = 0.0
        if total is not None:
            tq = self.quantities(total)
            if q not in tq or not _close(tq[q], s) or total in cells:
                return False
            terms.append(((total, q), -1))
        elif virtual:
            const = s
        else:
            return False
        key = (tuple(sorted(terms)), const)
        if key in self._seen:
            return True
        self._seen.add(key)
        self.equations.append(_Eq(tuple(terms), const))
        for v, _ in terms:
            self.var_eqs[v].append(len(self.equations) - 1)
        return True

    def _total_row(self, measures: list[str], period: str, group: str | None) -> list[int]:
        out = []
        for t in measures:
            if group is None:
                j = self.index.get((t, period, None, None))
                if j is not None:
                    out.append(j)
            else:
                out += [j for j in self.by_value.get((t, period, group), []) if self.rows[j].get("dimension") is not None]
        return out

    def _sum_to_total(self, cells: list[int], candidates: list[int], q: str, virtual: bool) -> None:
        for j in candidates:
            if self._add(cells, j, q, virtual=False):
                return
        if virtual:
            self._add(cells, None, q, virtual=True)

    def _build(self) -> None:
        rows = self.rows
        tables: dict[tuple, list[int]] = defaultdict(list)
        within: dict[tuple, list[int]] = defaultdict(list)  # months of a quarter or year, quarters of a year
        for i, r in enumerate(rows):
            if not self.controlled[i]:
                continue
            if r.get("dimension") is not None:
                tables[(r["measure"], r["period"], r["dimension"])].append(i)
            if r.get("dimension") not in NOT_PARTS:
                for c in _containers(r["period"]):
                    within[(r["measure"], c, r.get("dimension"), r.get("dimension_value"))].append(i)

        for (m, p, d), members in sorted(tables.items(), key=lambda kv: kv[0]):
            if d in NOT_PARTS:
                continue
            targets = self.totals_of(m) + [m]
            composite = all(":" in str(rows[i]["dimension_value"]) for i in members)
            qnames = sorted({q for i in members for q in self.quantities(i)})
            for q in qnames:
                cells = [i for i in members if q in self.quantities(i)]
                if composite:
                    first, second = defaultdict(list), defaultdict(list)
                    for i in cells:
                        a, _, b = str(rows[i]["dimension_value"]).partition(":")
                        first[a].append(i)
                        second[b].append(i)
                    for a, group in sorted(first.items()):
                        self._sum_to_total(group, self._total_row(targets, p, a), q, virtual=True)
                    for b, group in sorted(second.items()):
                        # A column total is only a sum if it is published somewhere.
                        self._sum_to_total(group, self._total_row(targets, p, b), q, virtual=False)
                self._sum_to_total(cells, self._total_row(targets, p, None), q, virtual=True)
                # The same number published twice: a breakdown by month and the month's own row.
                for i in cells:
                    dv = rows[i]["dimension_value"]
                    if _is_month(str(dv)):
                        for j in self._total_row(targets, str(dv), None):
                            self._add([i], j, q, virtual=False)

        for (m, c, d, dv), members in sorted(within.items(), key=lambda kv: str(kv[0])):
            targets = [m] + self.totals_of(m)
            for q in sorted({q for i in members for q in self.quantities(i)}):
                cells = [i for i in members if q in self.quantities(i)]
                cand = []
                for t in targets:
                    j = self.index.get((t, c, d, dv))
                    if j is not None:
                        cand.append(j)
                    if d is not None:
                        cand += [j for j in self.by_value.get((t, c, dv), []) if j not in cand]
                # A year's total is published somewhere even when we cannot find it; a quarter's may not be.
                self._sum_to_total(cells, cand, q, virtual=not _QUARTER.match(c))

        self._link_same_numbers()

    def _link_same_numbers(self) -> None:
        """The same number published under two measures is one unknown, not two.

        A percentage's numerator or denominator can be a count published in another table
        (complaints_outcomes' numerators are complaints_closed_by_outcome's counts), and a service
        standard restates another measure's rate. Such a link is accepted only when it holds in every
        period and breakdown value the two measures share: a real identity always does, while a
        coincidence ("3 received, 3 answered") seldom does, and would only make us hide more.
        """
        series: dict[tuple, dict[tuple, int]] = defaultdict(dict)  # (measure, quantity) → (period, value) → row
        for i, r in enumerate(self.rows):
            if not self.controlled[i] or r.get("dimension") is None:
                continue
            for q in self.quantities(i):
                series[(r["measure"], q)][(r["period"], r.get("dimension_value"))] = i
        counts = [k for k in series if k[1] == "value" and self.unit(next(iter(series[k].values()))) == "count"]
        parts = [k for k in series if k[1] in ("numerator", "denominator")]
        for a in parts:
            for b in counts:
                self._link_if_identical(series[a], series[b], a[1], b[1])
        # A restatement under a breakdown that is not a whole (a service standard): matched by period
        # and numbers, whatever its breakdown value, if the two series agree in every shared period.
        pairs: dict[tuple, dict[str, tuple]] = defaultdict(dict)  # (measure, value) → period → (num, den)
        for i, r in enumerate(self.rows):
            q = self.quantities(i)
            if self.controlled[i] and q.get("numerator") is not None and q.get("denominator"):
                pairs[(r["measure"], r.get("dimension_value"))][r["period"]] = (q["numerator"], q["denominator"], i)
        restating = [k for k in pairs if any(self.rows[v[2]].get("dimension") in NOT_PARTS for v in pairs[k].values())]
        for a in restating:
            for b in pairs:
                if b == a or b in restating:
                    continue
                shared = pairs[a].keys() & pairs[b].keys()
                if shared and all(pairs[a][p][:2] == pairs[b][p][:2] for p in shared):
                    for p in sorted(shared):
                        i, j = pairs[a][p][2], pairs[b][p][2]
                        self._add_identity((i, "numerator"), (j, "numerator"))
                        self._add_identity((i, "denominator"), (j, "denominator"))

    def _link_if_identical(self, a: dict[tuple, int], b: dict[tuple, int], qa: str, qb: str) -> None:
        shared = a.keys() & b.keys()
        if not shared or any(not _close(self.quantities(a[k])[qa], self.quantities(b[k])[qb]) for k in shared):
            return
        for k in sorted(shared, key=str):
            self._add_identity((a[k], qa), (b[k], qb))

    def _add_identity(self, a: Var, b: Var) -> None:
        key = (tuple(sorted([(a, 1), (b, -1)])), 0.0)
        if key in self._seen:
            return
        self._seen.add(key)
        self.equations.append(_Eq(((a, 1), (b, -1)), 0.0))
        self.var_eqs[a].append(len(self.equations) - 1)
        self.var_eqs[b].append(len(self.equations) - 1)

    # -- the attack we defend against -----------------------------------------------------------

    def unknowns(self, eq: _Eq, hidden: set[int]) -> list[tuple[Var, int]]:
        return [(v, c) for v, c in eq.terms if v[0] in hidden]

    def residual(self, eq: _Eq, hidden: set[int]) -> float:
        return eq.const - sum(c * self.quantities(v[0])[v[1]] for v, c in eq.terms if v[0] not in hidden)

    def weak(self, hidden: set[int], given_up: set) -> list[tuple[Var, list[int]]]:
        """Hidden quantities a reader could work out, each with the sums to widen.

        Cheapest checks first: a sum with one unknown; a sum whose unknowns must all be zero (or,
        for counts, all 1); then exact Gaussian elimination over every sum at once.
        """
        single: dict[Var, list[int]] = defaultdict(list)
        for k, eq in enumerate(self.equations):
            unk = self.unknowns(eq, hidden)
            if len(unk) == 1 and unk[0][0] not in given_up:
                single[unk[0][0]].append(k)
        if single:
            return sorted(single.items())
        found: list[tuple[Var, list[int]]] = []
        for k, eq in enumerate(self.equations):
            unk = self.unknowns(eq, hidden)
            if len(unk) < 2 or ("eq", k) in given_up or len({c for _, c in unk}) != 1:
                continue
            r = self.residual(eq, hidden) * unk[0][1]
            # Every [c] is at least 1 unless a zero was hidden, so hidden counts that are all 1 are
            # given away by their sum. (If one of them is a hidden zero, that reading is wrong.)
            ones = all(self.unit(v[0]) == "count" and v[1] == "value" and self.quantities(v[0])["value"] == 1 for v, _ in unk)
            if _close(r, 0) or ones:
                found.append((("eq", k), [k]))
        if found:
            return found
        for v in sorted(self.determined(hidden)):
            if v not in given_up:
                found.append((v, sorted(self.var_eqs[v], key=lambda k: len(self.unknowns(self.equations[k], hidden)))))
        return found

    def determined(self, hidden: set[int]) -> set[Var]:
        """Hidden quantities fixed by the sums (reduced row echelon form over the rationals)."""
        eqs = []
        for eq in self.equations:
            unk = self.unknowns(eq, hidden)
            if unk:
                eqs.append({v: Fraction(c) for v, c in unk})
        # Connected components keep the elimination small.
        parent: dict[Var, Var] = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e in eqs:
            vs = list(e)
            for v in vs[1:]:
                parent[find(v)] = find(vs[0])
        comps: dict[Var, list[dict]] = defaultdict(list)
        for e in eqs:
            comps[find(next(iter(e)))].append(e)
        out: set[Var] = set()
        for comp in comps.values():
            out |= _rref_determined(comp)
        return out


def _rref_determined(eqs: list[dict]) -> set[Var]:
    pivots: dict[Var, dict] = {}
    for e in eqs:
        row = {k: v for k, v in e.items() if v}
        for pv, prow in pivots.items():
            f = row.get(pv)
            if f:
                for k, v in prow.items():
                    row[k] = row.get(k, 0) - f * v
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        pv = min(row)
        f = row[pv]
        row = {k: v / f for k, v in row.items()}
        for other, orow in pivots.items():
            g = orow.get(pv)
            if g:
                for k, v in row.items():
                    orow[k] = orow.get(k, 0) - g * v
                pivots[other] = {k: v for k, v in orow.items() if v}
        pivots[pv] = row
    return {pv for pv, row in pivots.items() if len(row) == 1}


# ---- suppress -------------------------------------------------------------------------------------


def suppress(rows: list[dict], threshold: int, *, units: Mapping[str, str], totals: Mapping[str, str | Sequence[str]],
             exempt: Collection[str] | Callable[[str], bool] | None = None, protect_totals: bool = False) -> list[dict]:
    """Measure rows with small numbers, and the numbers that would give them away, hidden.

    ``units``: measure id → unit (``count``, ``percent``, ``per_1000``, ``working_days``, ``seconds``,
    ``gbp``, ``ratio``). ``totals``: breakdown measure id → the measure id (or ids) its cells add
    up to, for example ``{"complaints_received_by_service": "complaints_received",
    "ombudsman_decisions_by_outcome": ["ombudsman_decisions_by_ombudsman", "ombudsman_decisions"]}``
    (see ``infer_totals``). See the module docstring for the method.
    """
    return suppress_with_report(rows, threshold, units=units, totals=totals, exempt=exempt, protect_totals=protect_totals)[0]


def suppress_with_report(rows: list[dict], threshold: int, *, units: Mapping[str, str],
                         totals: Mapping[str, str | Sequence[str]],
                         exempt: Collection[str] | Callable[[str], bool] | None = None,
                         protect_totals: bool = False) -> tuple[list[dict], Report]:
    """``suppress`` and a report of what it hid."""
    out = [dict(r) for r in rows]
    report = Report()
    if threshold <= 1 or not out:
        return out, report
    system = _System(out, units, totals, lambda m: is_controlled(m, exempt), protect_totals)
    report.equations = len(system.equations)

    # Primary: small numbers, and statistics about few cases.
    hidden: set[int] = set()
    for i, r in enumerate(out):
        if not system.hideable[i]:
            continue
        if system.unit(i) == "count":
            small = [r.get("value")]
        else:
            small = [r.get("numerator"), r.get("denominator")]
        if any(v is not None and 1 <= v < threshold for v in map(_num, small)):
            hidden.add(i)
    report.primary = len(hidden)

    # Secondary: widen every sum through which a hidden number could be worked out.
    # Each round either hides one more row or gives up on one weakness, so this ends.
    given_up: set = set()
    while weak := system.weak(hidden, given_up):
        for var, eq_ids in weak:
            choice = _complement(system, hidden, eq_ids, all_ones=var[0] == "eq")
            if choice is not None:
                hidden.add(choice)
                break
            given_up.add(var)
            if var[0] != "eq":
                r = out[var[0]]
                report.unprotectable.append((r["measure"], r["period"], r.get("dimension_value")))
    report.secondary = len(hidden) - report.primary
    report.unprotectable = sorted(set(report.unprotectable), key=str)

    for i in hidden:
        out[i].update(value=None, numerator=None, denominator=None, status=SUPPRESSED)
    return out, report


def _complement(system: _System, hidden: set[int], eq_ids: list[int], all_ones: bool = False) -> int | None:
    """The published number to hide next in one of ``eq_ids`` (tried in order)."""
    for k in eq_ids:
        eq = system.equations[k]
        cands = {v[0] for v, _ in eq.terms if v[0] not in hidden and system.hideable[v[0]]}
        if not cands:
            continue

        def cost(i: int, k: int = k):
            # A non-zero partner (zeros are published: hiding one is a last resort), then one that
            # opens no new sum with a single unknown, then the smallest; ties broken by names so
            # that two tables with the same numbers make the same choice.
            opened = sum(1 for e in {e for q in system.quantities(i) for e in system.var_eqs[(i, q)]}
                         if e != k and not system.unknowns(system.equations[e], hidden))
            size = system.size(i)
            r = system.rows[i]
            return (size == 0, opened, size == 1 if all_ones else False, size,
                    r["measure"], str(r["period"]), str(r.get("dimension_value")))

        return min(cands, key=cost)
    return None


# ---- record-level downloads -----------------------------------------------------------------------


def _derive(value, how: str):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if how == "financial_year":
        return periods.fy_of(value)
    if how == "month":
        return periods.month_label(value)
    raise ValueError(f"unknown derived quasi-identifier: {how!r}")


def _patterns(order: Sequence[int]) -> list[frozenset[int]]:
    """Which fields to replace, in the order they are tried: one field before two, and within a
    level the least important first (``order`` lists positions least important first)."""
    rank = {p: r for r, p in enumerate(order)}
    out = []
    for size in range(1, len(order) + 1):
        combos = itertools.combinations(order, size)
        out += [frozenset(c) for c in sorted(combos, key=lambda c: sorted((rank[p] for p in c), reverse=True))]
    return out


def _local_suppression(keys_fixed: list[tuple], values: list[tuple], order: Sequence[int], k: int) -> list[frozenset[int]]:
    """Which free quasi-identifiers to replace in each record (positions into ``values[i]``).

    1. A record whose combination is shared by at least k records keeps everything.
    2. Each other record takes the first pattern of ``_patterns`` under which it joins a group of at
       least k (with the other such records, and with records already published that way).
    3. Records still alone get every field replaced; where that pool has fewer than k records, it is
       filled up with records from groups larger than k (or whole groups), same year.
    4. A replaced field whose value is the same for a whole group is given back.
    """
    n = len(values)
    full = frozenset(order)

    def key(i: int, pattern: frozenset[int]) -> tuple:
        return keys_fixed[i], tuple(SYMBOL if j in pattern else v for j, v in enumerate(values[i]))

    masked: list[frozenset[int]] = [frozenset()] * n
    first = Counter(key(i, masked[i]) for i in range(n))
    size: Counter = Counter()  # published key → records
    risky = []
    for i in range(n):
        if first[key(i, masked[i])] >= k:
            size[key(i, masked[i])] += 1
        else:
            risky.append(i)
    for pattern in _patterns(order):
        if not risky:
            break
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i in risky:
            groups[key(i, pattern)].append(i)
        risky = []
        for kk, members in groups.items():
            if len(members) + size[kk] >= k or pattern == full:
                for i in members:
                    masked[i] = pattern
                size[kk] += len(members)
            else:
                risky += members

    # Pools smaller than k, one per year at most: fill them up.
    members_of: dict[tuple, list[int]] = defaultdict(list)
    for i in range(n):
        members_of[key(i, masked[i])].append(i)
    for pool in sorted((kk for kk, m in members_of.items() if len(m) < k), key=str):
        stratum = pool[0]
        need = k - len(members_of[pool])
        others = sorted(((kk, m) for kk, m in members_of.items() if kk[0] == stratum and kk != pool),
                        key=lambda kv: (-len(kv[1]), str(kv[0])))
        donors = []
        for _, m in others:  # spare records first: their group stays at k or more
            donors += sorted(m)[: max(0, min(len(m) - k, need - len(donors)))]
        if len(donors) < need:  # not enough spare: merge the smallest whole groups
            donors = []
            for _, m in sorted(others, key=lambda kv: (len(kv[1]), str(kv[0]))):
                donors += m
                if len(donors) >= need:
                    break
        for i in donors:
            members_of[key(i, masked[i])].remove(i)
            masked[i] = full
            members_of[pool].append(i)
        # A year with fewer than k records in all stays as it is: everything replaced.

    # Give back what hides nothing. Every member of a group gets the same change, so groups can only
    # merge, never shrink.
    changed = True
    while changed:
        changed = False
        groups = defaultdict(list)
        for i in range(n):
            groups[key(i, masked[i])].append(i)
        for members in groups.values():
            if len(members) < k:
                continue  # a year too small to protect keeps everything replaced
            back = {j for j in masked[members[0]] if len({values[i][j] for i in members}) == 1}
            if back:
                for i in members:
                    masked[i] = masked[i] - back
                changed = True
    return masked


def suppress_records(rows: list[dict], resource: str, threshold: int, quasi_identifiers: list[str] | None = None, *,
                     linked_masked: Mapping[str, Collection[str]] | None = None) -> list[dict]:
    """Record-level rows, safe to download: no combination of quasi-identifiers is rarer than ``threshold``.

    A quasi-identifier is a field name (``"service_id"``) or a date field with a derived period
    (``"received:financial_year"``, ``"received:month"``); derived ones are never replaced.
    Replaced values become ``"[c]"``. Guarantee: every combination of the published values of the
    quasi-identifiers (``[c]`` counting as a value of its own) is shared by at least ``threshold``
    records, unless a financial year (or other derived period) has fewer than ``threshold`` records
    in all, in which case all its replaceable fields are replaced. Because ``[c]`` counts as its own
    value, a person's record is always one of at least ``threshold`` records consistent with what
    someone knows about them. Quasi-identifiers are listed most important first; a record in a rare
    combination loses as few of them as it can, the least important first (``_local_suppression``).
    Dates themselves are kept whole: someone who knows the exact day a person complained can still
    pick out that record: publishing exact dates is the council's choice, made for the timeliness figures.

    Links: a field that refers to another record of the same file (``escalated_from``) is replaced
    when the two records share a value that is replaced in one of them; a field that refers to
    another file (``complaint_id`` in ombudsman cases) is replaced when this record has a replaced
    value, or when the record it refers to is listed in ``linked_masked[field]`` (ids whose own
    values were replaced, from ``masked_ids`` of that file).
    """
    out = [dict(r) for r in rows]
    qis = list(quasi_identifiers if quasi_identifiers is not None else DEFAULT_QUASI_IDENTIFIERS.get(resource, []))
    if threshold <= 1 or not out or not qis:
        return out
    fixed = [q for q in qis if ":" in q]
    free = [q for q in qis if ":" not in q]
    keys_fixed = [tuple(_derive(r.get(q.split(":")[0]), q.split(":", 1)[1]) for q in fixed) for r in rows]
    values = [tuple(r.get(f) for f in free) for r in rows]

    # The caller lists quasi-identifiers most important first: the last is replaced first.
    masked = _local_suppression(keys_fixed, values, list(range(len(free)))[::-1], threshold)
    for i, m in enumerate(masked):
        for j in m:
            out[i][free[j]] = SYMBOL

    # Links that could give a replaced value away.
    res = schema.resource(resource)["schema"]
    pk = (res.get("primaryKey") or [None])[0]
    by_id = {r.get(pk): i for i, r in enumerate(rows)} if pk else {}
    for fk in res.get("foreignKeys", []):
        (link,) = fk["fields"]
        target = fk["reference"]["resource"]
        if link in free or target == "services":
            continue  # a quasi-identifier itself, or a link to public reference data
        elsewhere = set((linked_masked or {}).get(link, ()))
        for i, r in enumerate(rows):
            ref = r.get(link)
            if ref in (None, ""):
                continue
            if target == "":
                j = by_id.get(ref)
                if j is None:
                    continue
                shared = any(
                    (a in masked[i]) != (a in masked[j]) and values[i][a] == values[j][a] for a in range(len(free))
                )
                if shared:
                    out[i][link] = SYMBOL
            elif masked[i] or ref in elsewhere:
                out[i][link] = SYMBOL
    return out


def masked_ids(published: list[dict], resource: str) -> set[str]:
    """Ids of records with a replaced value (for ``linked_masked`` of a file that refers to them)."""
    pk = (schema.resource(resource)["schema"].get("primaryKey") or [None])[0]
    return {r[pk] for r in published if pk and any(v == SYMBOL for k, v in r.items() if k != pk)}
