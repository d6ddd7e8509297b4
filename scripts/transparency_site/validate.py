"""Stage: validation. Frictionless report + YAML schema checks + business rules → list[Problem].

Errors are data: every problem is collected and returned, never raised one at a time.

The checks run in this order, each on what the earlier ones could read:

1. files: datapackage.yaml, the tables it lists, required tables, files nobody listed;
2. shape of each CSV before any typing (encoding, delimiter, header, blank and repeated rows, spaces),
   so that an officer gets one plain message instead of a cascade;
3. every cell against the canonical Table Schema (types, enums, patterns, ranges, unique and primary
   keys, foreign keys) in one pass with dicts, with a "did you mean" where we can guess;
4. the YAML files against their JSON Schemas, located by line;
5. Frictionless itself on the tables whose shape is sound (its findings on a cell that already has a
   problem are dropped, so each cell is reported once);
6. business rules on the rows that parsed;
7. the personal-data guard (privacy.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from . import schema
from .load import _StringDateLoader
from .progress import progress

# The C parser when PyYAML has it (several times quicker on datapackage.yaml); dates stay text, as in load.py.
_YamlLoader = type("_YamlLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
_YamlLoader.yaml_implicit_resolvers = _StringDateLoader.yaml_implicit_resolvers


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, located as an officer sees it.

    ``row`` is the spreadsheet row (the header is row 1, the first data row is row 2) for a CSV, the
    line number for a YAML file, or None when the problem is about the whole file.
    """

    file: str
    row: int | None
    field: str | None
    code: str
    message: str
    hint: str = ""

    def text(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.field:
            where += f":{self.field}"
        return f"{where} — {self.message}" + (f" — {self.hint}" if self.hint else "")


class InvalidData(Exception):
    """Raised by the build (not by validation) to stop with the collected problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the datasets")


PACKAGE_FILE = "datapackage.yaml"
# Beyond this many problems of one kind in one file we count instead of listing: a column of 30,000
# UK dates needs one fix, not 30,000 lines.
MAX_PER_KIND = 50
EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year)

# Which decisions each ombudsman makes (ids of ombudsman_cases.outcome; labels live in the schema).
OMBUDSMAN_OUTCOMES = {
    "lgsco": ("upheld", "not_upheld", "closed_after_initial_enquiries", "referred_back", "advice_given", "incomplete_or_invalid"),
    "hos": ("severe_maladministration", "maladministration", "partial_maladministration", "service_failure",
            "reasonable_redress", "no_maladministration", "outside_jurisdiction", "withdrawn", "referred_back",
            "early_resolution"),
    "psow": ("upheld", "not_upheld", "early_resolution", "discontinued", "premature", "outside_jurisdiction", "withdrawn"),
}
# Where each ombudsman works.
OMBUDSMAN_COUNTRY = {"lgsco": "england", "hos": "england", "psow": "wales"}

# What each problem code means, for officers (the README's table of errors can be generated from this).
PROBLEM_CODES: dict[str, str] = {
    # Files
    "missing-file": "A file the site needs (or that datapackage.yaml lists) is not in the datasets folder.",
    "unreadable-file": "A file exists but cannot be opened (check its permissions).",
    "empty-file": "A CSV file is empty; it needs at least its header row.",
    "unlisted-file": "A table's file is in the folder but datapackage.yaml does not list it, so it would not be published.",
    "missing-resource": "datapackage.yaml does not list a table the site requires (services or complaints).",
    "unknown-resource": "datapackage.yaml lists a table the site does not know.",
    "duplicate-resource": "datapackage.yaml lists the same table twice.",
    "unsafe-path": "A table's path in datapackage.yaml points outside the datasets folder.",
    "schema-mismatch": "A table's schema in datapackage.yaml was edited; it must stay as published.",
    "package-invalid": "datapackage.yaml is not a valid data package description.",
    # Spreadsheet exports
    "encoding": "The file was saved in an old Windows encoding, not UTF-8: save it as 'CSV UTF-8'.",
    "delimiter": "Columns are separated by ; or tabs: save as 'CSV (comma delimited)'.",
    "header-spaces": "A column name has spaces before or after it.",
    "missing-column": "A column of the contract is missing.",
    "renamed-column": "A column has a different name from the contract (the message says which).",
    "extra-column": "A column that is not part of the contract (delete it: it would not be published).",
    "duplicate-column": "Two columns have the same name.",
    "column-order": "The columns are in a different order from the contract.",
    "blank-row": "An empty row (delete it).",
    "repeated-header": "A row repeats the column names (two exports pasted together).",
    "cell-count": "A row has more or fewer values than there are columns (often a comma or quote in text).",
    "csv-syntax": "The file stops being readable as CSV at this row (often a stray quote).",
    "cell-spaces": "A value has spaces before or after it (delete them).",
    # Values
    "required": "A value that must be filled in is empty.",
    "type": "A value is not of the column's type: dates are YYYY-MM-DD, months YYYY-MM, whole numbers without commas.",
    "enum": "A value is not one of the allowed values (the message lists them).",
    "pattern": "A value is not in the required form (for example a service id in lower case with hyphens).",
    "minimum": "A number is below its minimum (counts cannot be negative).",
    "maximum": "A number is above its maximum.",
    "invalid-date": "A date that does not exist (like 30 February).",
    "duplicate": "An id (or month and channel) appears twice; the message gives the first row.",
    "foreign-key": "A reference to something that does not exist (an unknown service, complaint or record).",
    # YAML
    "yaml-syntax": "A YAML file cannot be read: check indentation (spaces, not tabs), colons and quotes on that line.",
    "yaml-empty": "A required YAML file is empty.",
    "yaml-duplicate-key": "The same setting appears twice in one block; only the last one counts.",
    "unknown-key": "A setting the site does not know (often a spelling mistake).",
    "too-short": "A text setting is empty or too short.",
    "too-few": "A list needs more items.",
    "too-many": "A list has too many items.",
    "no-stages": "The complaints policy has no stages.",
    "schema": "A YAML setting does not meet its rule (the message says which).",
    # Business rules
    "date-order": "Dates in the wrong order (for example a response before the complaint was received).",
    "after-data-as-of": "A date after data_as_of in council.yaml (the day the data was extracted).",
    "outcome-on-open-case": "A complaint has an outcome but no response date.",
    "response-without-outcome": "A complaint has a response date but no outcome.",
    "missing-not-accepted-reason": "A complaint that was not accepted needs the reason.",
    "reason-without-not-accepted": "A reason for not accepting is given, but the outcome is not not_accepted.",
    "unknown-stage": "A complaint's stage is not a stage of the policy.",
    "missing-escalated-from": "A stage 2 (or later) complaint does not say which earlier complaint it escalates.",
    "escalated-from-at-stage-1": "A stage 1 complaint says it was escalated from another.",
    "escalation-stage": "A complaint escalates from one at the same or a later stage.",
    "escalation-service": "A complaint escalates from one about a different service.",
    "escalation-before-response": "A complaint was escalated before the earlier stage responded.",
    "escalated-twice": "Two records escalate the same complaint.",
    "extension-too-long": "An extension longer than the policy allows at that stage.",
    "stage-numbering": "The policy's stages are not numbered 1, 2(, 3) in order.",
    "calls-answered": "More calls answered than offered in a month.",
    "calls-within-60s": "More calls answered within 60 seconds than answered.",
    "calls-total": "Calls answered plus abandoned are more than calls offered.",
    "ombudsman-outcome": "An ombudsman decision that this ombudsman does not make.",
    "ombudsman-country": "An ombudsman that does not deal with councils in the council's country.",
    "ombudsman-not-landlord": "A Housing Ombudsman case about a service that is not a landlord service.",
    "outcome-without-decision": "An ombudsman outcome without the decision date.",
    "decision-without-outcome": "An ombudsman decision date without the outcome.",
    "remedy-without-agreement": "A financial remedy while remedy_agreed is false.",
    "missing-ombudsman-route": "The policy does not tell residents about an ombudsman they can go to.",
    "homes-owned-missing": "The council has landlord services but council.yaml has no homes_owned.",
    "homes-owned-not-landlord": "council.yaml gives homes owned, but no service is a landlord service.",
    "unknown-measure": "A service standard refers to a measure the site does not compute.",
    "target-out-of-range": "A percentage target outside 0 to 100.",
    "unknown-standard": "A result for a standard that is not in standards.yaml.",
    "standard-not-reported": "A result for a standard that the site computes itself.",
    "period": "Not a financial year (write 2023/24).",
    "unknown-provision": "A self-assessment refers to a provision the Code does not have.",
    "duplicate-provision": "A provision is assessed twice in one self-assessment.",
    "blank-evidence": "A self-assessment provision has no evidence.",
    "missing-action": "A provision that is not fully met needs the action that will be taken.",
    # Privacy
    "personal-data": "Text that would be published contains an email, phone number, postcode, National Insurance number or a person's name.",
    # Frictionless findings our own checks did not make (rare), and the last resort
    "header": "Frictionless found a problem with the column names.",
    "frictionless": "Frictionless could not check the file.",
    "internal-error": "The validator itself failed: please report it, with the files.",
}

_EXCEL_SAVE_HINT = "in Excel choose File → Save As → 'CSV UTF-8 (Comma delimited) (*.csv)'"


# ---------------------------------------------------------------------------------------------------
# Collecting problems


class _Collector:
    """Every problem, capped per (file, code) for display; remembers which cells and rows have one."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.items: list[Problem] = []
        self.counts: Counter = Counter()
        self.cells: set[tuple[str, int | None, str | None]] = set()
        self.rows: set[tuple[str, int | None]] = set()

    def add(self, file: str, row: int | None, fld: str | None, code: str, message: str, hint: str = "") -> None:
        key = (file, code)
        self.counts[key] += 1
        if fld is None:
            self.rows.add((file, row))
        self.cells.add((file, row, fld))
        if self.limit is None or self.counts[key] <= self.limit:
            self.items.append(Problem(file, row, fld, code, message, hint))

    def seen(self, file: str, row: int | None, fld: str | None) -> bool:
        return (file, row) in self.rows or (file, row, fld) in self.cells

    def result(self) -> list[Problem]:
        # Sorted by file, then row; problems about the whole file come first, the count of those not
        # listed last. The sort is stable, so problems on the same cell keep the order of the checks.
        keyed = [((p.file, p.row if p.row is not None else 0, p.field or ""), p) for p in self.items]
        if self.limit is not None:
            for (file, code), n in self.counts.items():
                if n > self.limit:
                    keyed.append(((file, float("inf"), code), Problem(
                        file, None, None, code,
                        f"{n - self.limit:,} more problems like the ones listed ({code}) are not shown",
                        "fix the ones listed (usually the whole column has the same cause) and validate again",
                    )))
        keyed.sort(key=lambda kp: kp[0])
        return [p for _, p in keyed]


@dataclass
class _Table:
    """One CSV as typed rows. A cell that failed its check is None and its row is marked not ok."""

    name: str
    file: str
    index: dict[str, int]  # field name → position in each row tuple (every canonical field)
    present: set[str]  # fields that have a column in the file
    lost_rows: int = 0  # rows that could not be split into the columns (so their values are unknown)
    rows: list[tuple] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # spreadsheet row of each typed row
    ok: list[bool] = field(default_factory=list)

    def get(self, row: tuple, name: str) -> Any:
        return row[self.index[name]]

    def iter_ok(self):
        """(row number, row) for the rows whose every cell passed its check."""
        for row, number, ok in zip(self.rows, self.numbers, self.ok, strict=True):
            if ok:
                yield number, row


@dataclass
class _Yaml:
    file: str
    data: Any
    node: Any  # the yaml node tree: line numbers come from its marks
    valid: bool  # no JSON Schema problems


@dataclass
class _Context:
    root: Path
    out: _Collector
    package: dict | None = None
    package_node: Any = None
    package_ok: bool = False  # datapackage.yaml read, listed schemas are the contract
    resources: dict[str, str] = field(default_factory=dict)  # resource → relative path, files that exist
    tables: dict[str, _Table] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)  # resources whose shape is broken: Frictionless skips them
    yamls: dict[str, _Yaml] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # YAML files with a syntax error

    def yaml_data(self, kind: str) -> Any:
        y = self.yamls.get(kind)
        return y.data if y else None

    @property
    def council(self) -> dict:
        data = self.yaml_data("council")
        return data if isinstance(data, dict) else {}

    @property
    def policy(self) -> dict:
        data = self.yaml_data("policy")
        return data if isinstance(data, dict) else {}

    @property
    def data_as_of(self) -> dt.date | None:
        return _as_date(self.council.get("data_as_of"))


# ---------------------------------------------------------------------------------------------------
# Public API


def validate(root: Path | str, *, frictionless: bool = True, limit: int | None = MAX_PER_KIND) -> list[Problem]:
    """Every problem in the datasets folder ``root``, sorted by file and row. Never raises for bad data.

    ``frictionless=False`` skips the Frictionless pass (every rule it applies is also checked by the
    schema pass here; it is the independent second opinion, and slow on very large tables).
    ``limit`` caps the problems listed per file and kind (the rest are counted); None lists all.
    """
    root = Path(root)
    ctx = _Context(root=root, out=_Collector(limit))
    if not root.is_dir():
        ctx.out.add(str(root), None, None, "missing-file", f"there is no datasets folder at {root}",
                    "give the folder that holds datapackage.yaml and the CSV files")
        return ctx.out.result()
    steps = [
        ("the list of files", _check_package),
        ("the YAML files", _check_yaml_files),
        ("the tables", _check_tables),
        ("Frictionless", _check_frictionless if frictionless else None),
        ("the business rules", _check_rules),
        ("the personal data guard", _check_privacy),
    ]
    # On a terminal, large folders show which step is running (progress is silent in CI and pipes).
    for title, step in progress(steps, len(steps), "Checking the datasets"):
        if step is None:
            continue
        try:
            step(ctx)
        except Exception as exc:  # noqa: BLE001 - the last resort: report, never crash on bad data
            ctx.out.add(PACKAGE_FILE, None, None, "internal-error",
                        f"the check of {title} stopped unexpectedly ({type(exc).__name__}: {exc})",
                        "this is a fault in the validator, not necessarily in your data: please report it with the files")
    return ctx.out.result()


def check(root: Path | str, **kwargs) -> None:
    """Raise InvalidData with every problem, if there is any."""
    problems = validate(root, **kwargs)
    if problems:
        raise InvalidData(problems)


def summary(problems: list[Problem]) -> str:
    if not problems:
        return "No problems found"
    files = len({p.file for p in problems})
    return f"{len(problems):,} problem{'s' if len(problems) != 1 else ''} in {files} file{'s' if files != 1 else ''}"


def format_problems(problems: list[Problem], fmt: str = "text", base: str | Path | None = None) -> str:
    """Problems as text (one line each and a summary), GitHub Actions annotations, or JSON.

    ``base`` is the datasets folder as the user gave it (for example ``datasets``): GitHub annotations
    need paths from the repository root, so it is put in front of each file there.
    """
    if fmt == "json":
        return json.dumps([asdict(p) for p in problems], indent=2, ensure_ascii=False)
    if fmt == "github":
        lines = []
        for p in problems:
            path = str(PurePosixPath(Path(base).as_posix()) / p.file) if base else p.file
            props = [f"file={_gh_property(path)}"]
            if p.row is not None:
                props.append(f"line={p.row}")
            props.append(f"title={_gh_property(p.field or p.code)}")
            text = p.message + (f" — {p.hint}" if p.hint else "")
            lines.append(f"::error {','.join(props)}::{_gh_data(text)}")
        lines.append(f"::notice title=Validation::{_gh_data(summary(problems))}")
        return "\n".join(lines)
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}: use text, github or json")
    return "\n".join([p.text() for p in problems] + [summary(problems)])


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


# ---------------------------------------------------------------------------------------------------
# Small helpers


@cache
def _contract(name: str) -> dict:
    """The canonical resource descriptor (read-only here; schema.resource copies on every call)."""
    return schema.resource(name)


@cache
def _contract_schema(name: str) -> dict:
    """The schema a resource must have in datapackage.yaml."""
    return schema.package_resource(name)["schema"]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _closest(value: str, options: list[str] | set[str] | tuple, cutoff: float = 0.6) -> str | None:
    """The option most like ``value`` (ignoring case, spaces and hyphens), if any is close enough."""
    options = [o for o in options if isinstance(o, str)]
    by_norm = {_norm(o): o for o in options}
    key = _norm(value)
    if key in by_norm:
        return by_norm[key]
    hit = difflib.get_close_matches(key, list(by_norm), n=1, cutoff=cutoff)
    return by_norm[hit[0]] if hit else None


def _ranked(value: str, options, limit: int = 12) -> str:
    """Options as a list for a hint, the closest to ``value`` first."""
    key = _norm(value)
    ordered = sorted(options, key=lambda o: (-difflib.SequenceMatcher(None, key, _norm(o)).ratio(), o))
    shown = ", ".join(ordered[:limit])
    return shown + (f" (and {len(ordered) - limit} more)" if len(ordered) > limit else "")


def _short(value: Any, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _did_you_mean(suggestion: str | None) -> str:
    return f"did you mean {suggestion}?" if suggestion else ""


# ---------------------------------------------------------------------------------------------------
# Guessing what an officer meant (dates, months, numbers) — used in hints


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TEXT_DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%B %d, %Y", "%d %b %y")


def _year(text: str) -> int:
    y = int(text)
    return 2000 + y if y < 100 else y


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _guess_date(value: str) -> tuple[dt.date | None, str]:
    """What a badly written date probably means, and why we think so ('' when it is just a fix)."""
    v = value.strip()
    if m := _DATETIME.match(v):
        return _as_date(m.group(1)), "the time is not needed"
    if m := _DMY.match(v):
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        if a > 12 >= b:
            return _safe_date(y, b, a), ""
        if b > 12 >= a:
            return _safe_date(y, a, b), "it looks like a US date (month first)"
        return _safe_date(y, b, a), "reading it as day/month/year"
    if m := _YMD.match(v):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), ""
    if _SERIAL.match(v):
        n = float(v)
        if 20000 <= n <= 80000:
            return EXCEL_EPOCH + dt.timedelta(days=int(n)), f"{v} looks like an Excel date number"
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return dt.datetime.strptime(v, fmt).date(), ""
        except ValueError:
            continue
    return None, ""


_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4}|\d{2})$")
_MONTH_FORMATS = ("%b-%y", "%b %Y", "%B %Y", "%b-%Y", "%B-%Y", "%b %y", "%Y/%m", "%Y%m")


def _guess_month(value: str) -> tuple[str | None, str]:
    v = value.strip()
    if m := _MY.match(v):
        month, year = int(m.group(1)), _year(m.group(2))
        if 1 <= month <= 12:
            return f"{year:04d}-{month:02d}", ""
    for fmt in _MONTH_FORMATS:
        try:
            d = dt.datetime.strptime(v, fmt)
            return f"{d.year:04d}-{d.month:02d}", ""
        except ValueError:
            continue
    day, why = _guess_date(v)
    if day is None and (d := _as_date(v)):
        day = d
    if day is not None:
        return f"{day.year:04d}-{day.month:02d}", why or "months are written without the day"
    if re.match(r"^\d{4}-\d{1,2}$", v):
        y, mo = v.split("-")
        if 1 <= int(mo) <= 12:
            return f"{int(y):04d}-{int(mo):02d}", ""
    return None, ""


def _guess_integer(value: str) -> tuple[str | None, str]:
    v = value.strip()
    if re.match(r"^-?\d+\.0+$", v):
        return v.split(".")[0], "whole numbers are written without decimals"
    if re.match(r"^-?\d{1,3}(,\d{3})+$", v):
        return v.replace(",", ""), "numbers are written without thousands separators"
    if re.match(r"^-?\d{1,3}( \d{3})+$", v):
        return v.replace(" ", ""), "numbers are written without spaces"
    if re.match(r"^[£$€]\s?\d[\d,]*$", v):
        return re.sub(r"[£$€,\s]", "", v), "numbers are written without currency signs"
    if re.match(r"^-?\d+\.\d+$", v):
        return None, "it must be a whole number: round it or check the column"
    return None, ""


def _guess_number(value: str) -> tuple[str | None, str]:
    v = value.strip()
    if re.match(r"^[£$€]\s?-?[\d,]*\d(\.\d+)?$", v):
        return re.sub(r"[£$€,\s]", "", v), "amounts are written without the £ sign or commas"
    if re.match(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$", v):
        return v.replace(",", ""), "numbers are written without thousands separators"
    if re.match(r"^-?\d+(\.\d+)?\s?%$", v):
        return v.rstrip("% "), "write the number without the % sign"
    if re.match(r"^-?\d+,\d+$", v):
        return v.replace(",", "."), "use a full stop for decimals"
    return None, ""


# ---------------------------------------------------------------------------------------------------
# Cell parsers built from the Table Schema declarations


class _Bad(Exception):
    def __init__(self, code: str, message: str, hint: str = ""):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _type_parser(f: dict):
    """Function: stripped non-empty text → typed value, raising _Bad with a plain message."""
    name, kind = f["name"], f.get("type", "string")

    if kind == "integer":
        def parse(v: str) -> int:
            if v.isascii() and (v.isdigit() or (v[:1] in "-+" and v[1:].isdigit())):
                return int(v)
            fix, why = _guess_integer(v)
            raise _Bad("type", f"{name} is '{_short(v)}'; it must be a whole number",
                       "; ".join(x for x in (why, _did_you_mean(fix)) if x) or "write digits only, for example 12")
        return parse
    if kind == "number":
        def parse(v: str) -> float:
            if v.isascii() and _NUMBER.match(v):
                return float(v)
            fix, why = _guess_number(v)
            raise _Bad("type", f"{name} is '{_short(v)}'; it must be a number",
                       "; ".join(x for x in (why, _did_you_mean(fix)) if x) or "write digits only, for example 300 or 12.5")
        return parse
    if kind == "date":
        def parse(v: str) -> dt.date:
            if len(v) == 10 and v[4] == "-" and v[7] == "-":
                try:
                    return dt.date.fromisoformat(v)
                except ValueError:
                    raise _Bad("type", f"{name} is {v}, which is not a real date",
                               "check the day and month (dates are YYYY-MM-DD)") from None
            guess, why = _guess_date(v)
            hint = _did_you_mean(guess.isoformat() if guess else None)
            if why and guess:
                hint = f"{why}: {hint}"
            hint = (hint + " " if hint else "") + "(in Excel: Format Cells → Custom → yyyy-mm-dd, then save as CSV)"
            raise _Bad("type", f"{name} is {_short(v)}; dates must be YYYY-MM-DD", hint)
        return parse
    if kind == "yearmonth":
        def parse(v: str) -> str:
            if len(v) == 7 and _MONTH.match(v):
                return v
            guess, why = _guess_month(v)
            hint = _did_you_mean(guess)
            if why and guess:
                hint = f"{why}: {hint}"
            raise _Bad("type", f"{name} is {_short(v)}; months must be YYYY-MM", hint or "for example 2024-02 for February 2024")
        return parse
    if kind == "boolean":
        trues, falses = set(f.get("trueValues", ["true"])), set(f.get("falseValues", ["false"]))

        def parse(v: str) -> bool:
            if v in trues:
                return True
            if v in falses:
                return False
            low = v.lower()
            fix = ("true" if low in {"true", "yes", "y", "1", "t"} else "false" if low in {"false", "no", "n", "0", "f"} else None)
            allowed = " or ".join(sorted(trues | falses, reverse=True))
            raise _Bad("type", f"{name} is '{_short(v)}'; it must be {allowed}", _did_you_mean(fix) or f"write {allowed} in lower case")
        return parse
    return str  # string, and anything else: kept as written


def _slug_hint(v: str) -> str:
    return _did_you_mean(schema.slug(v)) if schema.slug(v) else "use lower-case letters, digits and hyphens"


def _constraint_checks(f: dict):
    """Function: typed value → None, raising _Bad for enum, pattern, minimum and maximum."""
    name, c = f["name"], f.get("constraints", {}) or {}
    enum = c.get("enum")
    enum_set = set(enum or ())
    pattern = re.compile(c["pattern"]) if c.get("pattern") else None
    lo, hi = c.get("minimum"), c.get("maximum")
    if not (enum or pattern or lo is not None or hi is not None):
        return None

    def check(v: Any) -> None:
        if enum is not None and v not in enum_set:
            raise _Bad("enum", f"{name} is '{_short(v)}'; it must be one of: {', '.join(map(str, enum))}",
                       _did_you_mean(_closest(str(v), [str(e) for e in enum])) or "use one of the values listed, exactly as written")
        if pattern is not None and not pattern.fullmatch(str(v)):
            if "a-z0-9" in pattern.pattern:
                raise _Bad("pattern", f"{name} '{_short(v)}' must be lower-case letters, digits and hyphens", _slug_hint(str(v)))
            if "{4}/" in pattern.pattern:
                raise _Bad("pattern", f"{name} is '{_short(v)}'; it must be a financial year written like 2023/24", "")
            raise _Bad("pattern", f"{name} '{_short(v)}' is not in the expected form", f.get("description", ""))
        if lo is not None and v < lo:
            hint = "counts cannot be negative: check the figure" if lo == 0 else f"it must be {lo} or more"
            raise _Bad("minimum", f"{name} is {_fmt_num(v)}; it cannot be less than {lo}", hint)
        if hi is not None and v > hi:
            raise _Bad("maximum", f"{name} is {_fmt_num(v)}; it cannot be more than {hi}", f"it must be {hi} or less")
    return check


def _fmt_num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------------------------------------------
# 1. Files


def _safe_relpath(path: Any) -> str | None:
    """A path inside the datasets folder, or None (absolute paths, '..' and URLs are refused)."""
    if not isinstance(path, str) or not path.strip():
        return None
    p = PurePosixPath(path.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", path):
        return None
    return str(p)


def _check_package(ctx: _Context) -> None:
    out, root = ctx.out, ctx.root
    path = root / PACKAGE_FILE
    listed: dict[str, str] = {}
    if not path.exists():
        out.add(PACKAGE_FILE, None, None, "missing-file", "datapackage.yaml is missing: it lists the tables and their schemas",
                "restore it from version control, or copy it from the example council (transparency-site example --out DIR)")
    else:
        y = _read_yaml(ctx, PACKAGE_FILE)
        if y is not None and isinstance(y.data, dict) and isinstance(y.data.get("resources"), list):
            ctx.package, ctx.package_node = y.data, y.node
            ctx.package_ok = True
            listed = _package_resources(ctx, y)
        elif y is not None:
            out.add(PACKAGE_FILE, None, "resources", "package-invalid", "datapackage.yaml has no list of resources (tables)",
                    "restore it from version control: it must list every table under 'resources:'")
    if not ctx.package_ok:
        # Without a usable package, check the files that are where the contract puts them.
        listed = {n: _contract(n)["path"] for n in schema.RESOURCE_NAMES
                  if schema.is_required(n) or (root / _contract(n)["path"]).exists()}
    for name in schema.RESOURCE_NAMES:
        if name not in listed:
            default = _contract(name)["path"]
            if schema.is_required(name):
                out.add(PACKAGE_FILE, None, name, "missing-resource", f"the {name} table is required but datapackage.yaml does not list it",
                        f"add the {name} resource to datapackage.yaml (with its file {default})")
            elif (root / default).exists():
                out.add(default, None, None, "unlisted-file", f"{default} is not listed in datapackage.yaml, so it would not be published",
                        f"add the {name} resource to datapackage.yaml, or delete the file if it is not meant to be published")
    for name, rel in listed.items():
        p = root / rel
        if not p.is_file():
            what = "required" if schema.is_required(name) else "listed in datapackage.yaml"
            out.add(rel, None, None, "missing-file", f"{rel} is missing (the {name} table is {what})",
                    f"add the file with the header row: {','.join(schema.field_names(name))}")
            ctx.dirty.add(name)
        else:
            ctx.resources[name] = rel


def _package_resources(ctx: _Context, y: _Yaml) -> dict[str, str]:
    out = ctx.out
    listed: dict[str, str] = {}
    for i, res in enumerate(y.data["resources"]):
        line, _ = _yaml_locate(y.node, ["resources", i])
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            out.add(PACKAGE_FILE, line, f"resources[{i + 1}]", "package-invalid", "this resource has no name",
                    "each resource needs 'name:' and 'path:'")
            ctx.package_ok = False
            continue
        name = res["name"]
        if name not in schema.RESOURCE_NAMES:
            out.add(PACKAGE_FILE, line, name, "unknown-resource", f"datapackage.yaml lists a table '{name}' that the site does not know",
                    _did_you_mean(_closest(name, schema.RESOURCE_NAMES)) or f"the tables are: {', '.join(schema.RESOURCE_NAMES)}")
            ctx.package_ok = False
            continue
        if name in listed:
            out.add(PACKAGE_FILE, line, name, "duplicate-resource", f"the {name} table is listed twice", "delete one of the two entries")
            ctx.package_ok = False
            continue
        rel = _safe_relpath(res.get("path"))
        if rel is None:
            out.add(PACKAGE_FILE, line, name, "unsafe-path", f"the path of the {name} table ({res.get('path')!r}) must be a file in the datasets folder",
                    f"write path: {_contract(name)['path']}")
            ctx.package_ok = False
            continue
        listed[name] = rel
        expected = _contract_schema(name)
        if res.get("schema") != expected:
            out.add(PACKAGE_FILE, line, name, "schema-mismatch", f"the schema of the {name} table in datapackage.yaml is not the published contract ({_schema_diff(res.get('schema'), expected)})",
                    f"do not edit schemas in datapackage.yaml by hand: restore the {name} resource from scripts/transparency_site/schemas/{name}.yaml")
            ctx.package_ok = False
    return listed


def _schema_diff(got: Any, expected: dict) -> str:
    if not isinstance(got, dict):
        return "it has no schema"
    got_fields = [f.get("name") for f in got.get("fields", []) if isinstance(f, dict)]
    want_fields = [f["name"] for f in expected["fields"]]
    if got_fields != want_fields:
        missing = [f for f in want_fields if f not in got_fields]
        extra = [f for f in got_fields if f not in want_fields]
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("extra " + ", ".join(map(str, extra)))
        return "; ".join(parts) or "the fields are in a different order"
    for g, w in zip(got.get("fields", []), expected["fields"], strict=False):
        if g != w:
            return f"field {w['name']} differs"
    return "the keys differ"


# ---------------------------------------------------------------------------------------------------
# YAML reading with line numbers


def _decode(raw: bytes) -> tuple[str, list[int]]:
    """Text of a file and the (1-based) physical lines that are not UTF-8 (decoded as Windows-1252)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 BOM (Excel's 'CSV UTF-8') is fine: the loader reads utf-8-sig
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    parts, bad = [], []
    for i, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(i)
            try:
                parts.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                parts.append(line.decode("latin-1"))
    return "".join(parts), bad


def _legacy_char(text: str) -> str:
    """The first character of ``text`` that did not come from UTF-8 (for showing in the message)."""
    for ch in text:
        if ord(ch) > 127:
            return ch
    return "?"


def _encoding_problem(out: _Collector, file: str, row: int | None, fld: str | None, sample: str, rows_affected: int) -> None:
    more = f"; {rows_affected} rows have characters like this" if rows_affected > 1 else ""
    out.add(file, row, fld, "encoding",
            f"the file is not saved as UTF-8: '{_legacy_char(sample)}' here is in an older Windows encoding{more}",
            f"save the file again as UTF-8 — {_EXCEL_SAVE_HINT}; other programs: choose the UTF-8 encoding")


def _read_yaml(ctx: _Context, filename: str) -> _Yaml | None:
    """Read a YAML file into data and nodes; syntax and encoding problems are reported, None returned."""
    out = ctx.out
    try:
        raw = (ctx.root / filename).read_bytes()
    except OSError as exc:
        out.add(filename, None, None, "unreadable-file", f"{filename} cannot be read ({exc.strerror})", "check the file's permissions")
        return None
    text, bad = _decode(raw)
    if bad:
        line_text = text.splitlines()[bad[0] - 1] if len(text.splitlines()) >= bad[0] else ""
        _encoding_problem(out, filename, bad[0], None, line_text, len(bad))
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = str(exc.context or "")
        unclosed = exc.context_mark is not None and ("flow" in context or "quoted" in context)
        if unclosed:
            mark = exc.context_mark  # where the bracket or quote was opened, not where the parser gave up
        line = mark.line + 1 if mark is not None else None
        if unclosed:
            what = "quote" if "quoted" in context else "bracket"
            out.add(filename, line, None, "yaml-syntax", f"the file cannot be read as YAML: a {what} opened on this line is not closed",
                    f"close the {what}, or remove it" + (" (text with ': ' or '#' in it can go in quotes)" if what == "quote" else ""))
        else:
            out.add(filename, line, None, "yaml-syntax", f"the file cannot be read as YAML: {exc.problem or exc.context}",
                    _yaml_hint(str(exc.problem or "")))
        ctx.unreadable.add(filename)
        return None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        out.add(filename, None, None, "yaml-syntax", f"the file cannot be read as YAML ({type(exc).__name__})",
                "check the indentation and quotes")
        ctx.unreadable.add(filename)
        return None
    finally:
        loader.dispose()
    _duplicate_keys(out, filename, node)
    return _Yaml(filename, _jsonable(data), node, True)


def _yaml_hint(problem: str) -> str:
    if "'\\t'" in problem or "tab" in problem:
        return "indent with spaces: YAML does not allow tabs for indentation"
    if "mapping values are not allowed" in problem:
        return "a value that contains ': ' must be in quotes, or this line is indented differently from the one before"
    if "could not find expected ':'" in problem:
        return "each setting is written 'name: value'; check this line and the one before for a missing colon or quote"
    if "found unexpected end of stream" in problem or "found unexpected end" in problem:
        return "a quote (\" or ') is opened and never closed"
    if "expected <block end>" in problem:
        return "this line is indented differently from the lines around it"
    return "check the indentation, colons and quotes on this line and the one before"


def _jsonable(data: Any) -> Any:
    """YAML data as JSON data: mapping keys as text (YAML allows numbers and nulls as keys)."""
    if isinstance(data, dict):
        return {str(k) if not isinstance(k, str) else k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    return data


def _duplicate_keys(out: _Collector, filename: str, node: Any, path: tuple = ()) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    out.add(filename, k.start_mark.line + 1, _path_text([*path, k.value]), "yaml-duplicate-key",
                            f"'{k.value}' appears twice in the same block (only the last one counts)", "delete one of them")
                seen.add(k.value)
            _duplicate_keys(out, filename, v, (*path, k.value if isinstance(k, yaml.ScalarNode) else "?"))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(out, filename, item, (*path, i))


def _path_text(path) -> str | None:
    """A YAML location for people: stages[2].respond_within_working_days (list items counted from 1)."""
    text = ""
    for p in path:
        if isinstance(p, int):
            text += f"[{p + 1}]"
        else:
            text += ("." if text else "") + str(p)
    return text or None


def _yaml_locate(node: Any, path) -> tuple[int | None, str | None]:
    """The line of the key (or list item) at ``path``, and the path as text; the nearest line found."""
    line = node.start_mark.line + 1 if node is not None else None
    for p in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(p):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int) and 0 <= p < len(node.value):
            node = node.value[p]
            line = node.start_mark.line + 1
        else:
            break
    return line, _path_text(path)


# ---------------------------------------------------------------------------------------------------
# 4. YAML files against their JSON Schemas


_TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "array": "a list (lines starting with '- ')",
    "object": "a block of 'name: value' lines",
    "boolean": "true or false",
    "null": "empty",
}


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block of settings"
    return f"'{_short(value)}'"


def _check_yaml_files(ctx: _Context) -> None:
    for kind, filename in schema.YAML_FILES.items():
        if not (ctx.root / filename).exists():
            if kind in schema.REQUIRED_YAML:
                ctx.out.add(filename, None, None, "missing-file", f"{filename} is missing: the site cannot be built without it",
                            f"add {filename} (copy the example council's and change it)")
            continue
        y = _read_yaml(ctx, filename)
        if y is None:
            continue
        ctx.yamls[kind] = y
        if y.data is None:
            if kind in schema.REQUIRED_YAML:
                ctx.out.add(filename, None, None, "yaml-empty", f"{filename} is empty", f"fill in {filename} (copy the example council's and change it)")
                y.valid = False
            else:
                y.data = []  # an empty optional list file means "none yet"
            continue
        y.valid = _check_json_schema(ctx, kind, y)
        _check_yaml_dates(ctx.out, y, y.data, ())


def _check_json_schema(ctx: _Context, kind: str, y: _Yaml) -> bool:
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(schema.yaml_schema(kind), format_checker=FormatChecker(formats=["date"]))
    errors = sorted(validator.iter_errors(y.data), key=lambda e: [str(p) for p in e.absolute_path])
    patterned = {tuple(e.absolute_path) for e in errors if e.validator == "pattern"}
    for err in errors:
        if err.validator == "format" and tuple(err.absolute_path) in patterned:
            continue  # "31/03/2024" breaks both the pattern and the date format: one problem
        _report_schema_error(ctx.out, y, kind, err)
    return not errors


def _title_for(err, prop: str | None = None) -> str:
    """'Respond within (working days) (respond_within_working_days)' from the schema's titles."""
    if prop is not None:
        sub = (err.schema.get("properties") or {}).get(prop, {}) if isinstance(err.schema, dict) else {}
        title = sub.get("title") if isinstance(sub, dict) else None
        return f"{title} ({prop})" if title else prop
    key = next((p for p in reversed(list(err.absolute_path)) if isinstance(p, str)), None)
    title = err.schema.get("title") if isinstance(err.schema, dict) else None
    if title and key:
        return f"{title} ({key})"
    return title or key or "this value"


def _report_schema_error(out: _Collector, y: _Yaml, kind: str, err) -> None:
    path = list(err.absolute_path)
    line, where = _yaml_locate(y.node, path)
    v, value = err.validator, err.instance
    file = y.file
    if v == "required":
        m = re.match(r"^'(.+)' is a required property", err.message)
        missing = m.group(1) if m else str(err.validator_value)
        label = _title_for(err, missing)
        desc = ((err.schema.get("properties") or {}).get(missing) or {}).get("description", "")
        where_in = f" in {where}" if where else ""
        out.add(file, line, _path_text([*path, missing]), "required", f"{label} is missing{where_in}",
                f"add '{missing}:'" + (f" — {desc}" if desc else ""))
    elif v == "additionalProperties":
        known = list((err.schema.get("properties") or {}).keys())
        extras = [k for k in (value or {}) if k not in known and not any(re.search(p, k) for p in (err.schema.get("patternProperties") or {}))]
        for k in extras:
            kline, kwhere = _yaml_locate(y.node, [*path, k])
            out.add(file, kline, kwhere, "unknown-key", f"'{k}' is not a setting the site knows here",
                    _did_you_mean(_closest(k, known)) or f"the settings here are: {', '.join(known)}")
    elif v == "type":
        want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
        label = _title_for(err) if path else file
        hint = ""
        if "integer" in want and isinstance(value, str):
            fix, why = _guess_integer(value)
            hint = "; ".join(x for x in (why, _did_you_mean(fix)) if x)
            if not hint and value.strip().isdigit():
                hint = f"remove the quotes: {value.strip()}"
        if "string" in want and value is not None and not isinstance(value, (list, dict)):
            hint = f"put the value in quotes: \"{value}\""
        out.add(file, line, where, "type", f"{label} should be {words}, not {_describe(value)}", hint or f"write {words}")
    elif v == "enum":
        allowed = [str(a) for a in err.validator_value]
        out.add(file, line, where, "enum", f"{_title_for(err)} is {_describe(value)}; it must be one of: {', '.join(allowed)}",
                _did_you_mean(_closest(str(value), allowed)) or "use one of the values listed, exactly as written")
    elif v == "pattern":
        pat = err.validator_value
        if "[0-9]{4}-[0-9]{2}-[0-9]{2}" in pat:
            guess, why = _guess_date(str(value))
            hint = _did_you_mean(guess.isoformat() if guess else None)
            out.add(file, line, where, "pattern", f"{_title_for(err)} is {_describe(value)}; dates must be YYYY-MM-DD",
                    (f"{why}: " if why and hint else "") + hint or "for example 2024-02-20")
        elif "https?" in pat:
            out.add(file, line, where, "pattern", f"{_title_for(err)} is {_describe(value)}; it must be a web address starting with https://",
                    "write the whole address, for example https://www.example.gov.uk/" + ("; it must end with /" if pat.endswith("/$") else ""))
        elif "{4}/" in pat:
            out.add(file, line, where, "pattern", f"{_title_for(err)} is {_describe(value)}; it must be a financial year written like 2023/24", "")
        elif "a-z0-9" in pat:
            out.add(file, line, where, "pattern", f"{_title_for(err)} is {_describe(value)}; it must be lower-case letters, digits and hyphens",
                    _slug_hint(str(value)))
        else:
            out.add(file, line, where, "pattern", f"{_title_for(err)} is {_describe(value)}, which is not in the expected form", "")
    elif v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = "at least" if "inimum" in v else "at most"
        out.add(file, line, where, v if v in ("minimum", "maximum") else v.lower(),
                f"{_title_for(err)} is {_fmt_num(value)}; it must be {word} {err.validator_value}", "check the figure")
    elif v == "minItems" and path == ["stages"] and kind == "policy":
        out.add(file, line, where, "no-stages", "the policy has no stages", "add the stages of your procedure under 'stages:' (the Complaint Handling Codes have two)")
    elif v == "minItems":
        out.add(file, line, where, "too-few", f"{_title_for(err)} needs at least {err.validator_value} item(s)", "add the missing items")
    elif v == "maxItems":
        out.add(file, line, where, "too-many", f"{_title_for(err)} has {len(value)} items; at most {err.validator_value} are allowed", "remove the extra items")
    elif v == "minLength":
        msg = "must not be empty" if err.validator_value == 1 else f"must be at least {err.validator_value} characters long"
        out.add(file, line, where, "too-short", f"{_title_for(err)} {msg}", "fill it in")
    elif v == "format":
        out.add(file, line, where, "invalid-date", f"{_title_for(err)} is {_describe(value)}, which is not a real date", "check the day and month")
    else:
        out.add(file, line, where, "schema", f"{_title_for(err)}: {err.message}", "")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_yaml_dates(out: _Collector, y: _Yaml, data: Any, path: tuple) -> None:
    """Dates that have the right shape but do not exist (2024-02-30)."""
    if isinstance(data, dict):
        for k, v in data.items():
            _check_yaml_dates(out, y, v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_yaml_dates(out, y, v, (*path, i))
    elif isinstance(data, str) and _ISO_DATE.match(data) and _as_date(data) is None:
        if path and path[-1] in ("data_as_of",) or (len(path) >= 2 and path[-2] == "non_working_days"):
            return  # these have `format: date` in the schema, reported there
        line, where = _yaml_locate(y.node, list(path))
        out.add(y.file, line, where, "invalid-date", f"{where} is {data}, which is not a real date", "check the day and month")


# ---------------------------------------------------------------------------------------------------
# 2 and 3. Tables: shape, then every cell against the schema


_DELIMITERS = {",": "commas", ";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def _detect_delimiter(first_line: str, expected: list[str]) -> str:
    """The delimiter that splits the header into the most known column names (comma on a tie)."""
    want = {_norm(e) for e in expected}
    best, best_score = ",", -1
    for d in _DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=d), [])
        except csv.Error:
            continue
        score = sum(1 for c in cells if _norm(c.lstrip("\ufeff")) in want)
        if score > best_score:
            best, best_score = d, score
    return best


def _check_header(ctx: _Context, name: str, file: str, header: list[str]) -> tuple[dict[str, int], bool]:
    """Column name → position; and whether the header is exactly the contract's."""
    out = ctx.out
    expected = schema.field_names(name)
    title = _contract(name).get("title", name)
    clean = [h.strip().lstrip("\ufeff").strip() for h in header]
    exact = True
    colmap: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for i, (h, c) in enumerate(zip(header, clean, strict=True)):
        if c in expected:
            if h != c:
                out.add(file, 1, c, "header-spaces", f"the column name '{h}' has spaces around it",
                        f"delete the spaces so that it is exactly '{c}'")
                exact = False
            if c in colmap:
                out.add(file, 1, c, "duplicate-column", f"there are two columns called '{c}' (columns {colmap[c] + 1} and {i + 1})",
                        "delete one of them")
                exact = False
            else:
                colmap[c] = i
        else:
            unknown.append((i, c))
    for f in expected:
        if f in colmap:
            continue
        candidates = {c: i for i, c in unknown if c}
        best = _closest(f, list(candidates), cutoff=0.6)
        if best is not None:
            i = candidates[best]
            out.add(file, 1, f, "renamed-column", f"the column '{header[i].strip()}' should be called '{f}'",
                    f"rename the column heading to '{f}' (column {i + 1})")
            colmap[f] = i
            unknown = [(j, c) for j, c in unknown if j != i]
        else:
            fdef = schema.field(name, f)
            out.add(file, 1, f, "missing-column", f"the column '{f}' is missing",
                    f"add a column headed '{f}': {fdef.get('description', fdef.get('title', f))}")
        exact = False
    for i, c in unknown:
        if not c:
            out.add(file, 1, None, "extra-column", f"column {i + 1} has no heading",
                    "delete the empty column (in Excel, select the column and choose Delete)")
        else:
            out.add(file, 1, c, "extra-column", f"the column '{c}' is not part of the {title} table",
                    f"delete the column: only these columns are published: {', '.join(expected)}")
        exact = False
    if exact and clean != expected:
        out.add(file, 1, None, "column-order", "the columns are not in the order of the contract",
                f"put the columns in this order: {', '.join(expected)}")
        exact = False
    return colmap, exact


# How each cell is checked: plain text needs nothing, a list of allowed values a set lookup, the
# rest a parser (and maybe a constraint check). Kept apart so the common cases cost almost nothing.
_PLAIN, _ENUM, _PARSE = 0, 1, 2


def _free_text_fields(name: str) -> set[str]:
    """Text columns that are prose, not codes or keys: spaces around them are harmless (the loader
    trims them and Frictionless accepts them), so they are not reported there."""
    res = _contract(name)["schema"]
    keys = set(res.get("primaryKey") or [])
    for fk in res.get("foreignKeys") or []:
        keys.update(fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]])
    for other in schema.RESOURCE_NAMES:  # columns other tables refer to
        for fk in _contract(other)["schema"].get("foreignKeys") or []:
            if (fk["reference"].get("resource") or other) == name:
                keys.update(fk["reference"]["fields"])
    out = set()
    for f in schema.fields(name):
        c = f.get("constraints") or {}
        if f.get("type", "string") == "string" and f["name"] not in keys and not (c.get("enum") or c.get("pattern") or c.get("unique")):
            out.add(f["name"])
    return out


def _row_plan(name: str, colmap: dict[str, int]) -> list[tuple]:
    """(position, field, column, required, how, parse, constrain, allowed values, report spaces) for
    each column."""
    plan = []
    prose = _free_text_fields(name)
    for i, f in enumerate(schema.fields(name)):
        if f["name"] not in colmap:
            continue
        c = f.get("constraints") or {}
        parse, constrain = _type_parser(f), _constraint_checks(f)
        enum_only = c.get("enum") is not None and not c.get("pattern") and c.get("minimum") is None and c.get("maximum") is None
        if parse is str and constrain is None:
            how = _PLAIN
        elif parse is str and enum_only:
            how = _ENUM
        else:
            how = _PARSE
        plan.append((i, f["name"], colmap[f["name"]], bool(c.get("required")), how, parse, constrain, frozenset(c.get("enum") or ()),
                     f["name"] not in prose))
    return plan


def _check_tables(ctx: _Context) -> None:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a stray quote can swallow the file into one cell: read it, then report it
    try:
        for name in schema.RESOURCE_NAMES:
            if name in ctx.resources:
                table = _read_table(ctx, name, ctx.resources[name])
                if table is not None:
                    ctx.tables[name] = table
    finally:
        csv.field_size_limit(old_limit)
    _check_keys(ctx)


def _may_have_edge_spaces(rec: list[str]) -> bool:
    """Quick test on the whole row: could any cell start or end with white space? (Substring tests
    run in C; the cell-by-cell test runs only when this says yes.)"""
    j = "\x00" + "\x00".join(rec) + "\x00"
    return "\x00 " in j or " \x00" in j or "\t" in j or "\xa0" in j or "\r" in j or "\n" in j or "\u3000" in j


def _read_table(ctx: _Context, name: str, file: str) -> _Table | None:
    out = ctx.out
    try:
        raw = (ctx.root / file).read_bytes()
    except OSError as exc:
        out.add(file, None, None, "unreadable-file", f"{file} cannot be read ({exc.strerror})", "check the file's permissions")
        ctx.dirty.add(name)
        return None
    expected = schema.field_names(name)
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        out.add(file, None, None, "empty-file", "the file is empty" + (" (0 bytes)" if not raw else ""),
                f"it needs at least the header row: {','.join(expected)}")
        ctx.dirty.add(name)
        return None
    text, bad_lines = _decode(raw)
    del raw
    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    delimiter = _detect_delimiter(first_line, expected)
    if delimiter != ",":
        out.add(file, 1, None, "delimiter", f"the columns are separated by {_DELIMITERS[delimiter]}, not commas",
                f"save as CSV (comma delimited) — {_EXCEL_SAVE_HINT} (semicolons usually come from a computer set to a European region)")
        ctx.dirty.add(name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    add = out.add
    row_no = 0

    # The header: the first row that is not empty.
    header = None
    try:
        for rec in reader:
            row_no += 1
            if rec and "".join(rec).strip():
                header = rec
                break
            add(file, row_no, None, "blank-row", "the first row is empty: the column names must be in row 1",
                "delete the empty rows above the column names")
            ctx.dirty.add(name)
    except csv.Error as exc:
        add(file, row_no + 1, None, "csv-syntax", f"the file cannot be read as CSV ({exc})", "save the file as CSV again")
    if header is None:
        if not any(p.file == file and p.code == "csv-syntax" for p in out.items):
            add(file, None, None, "empty-file", "the file has no header row", f"the first row must be: {','.join(expected)}")
        ctx.dirty.add(name)
        return None
    colmap, exact = _check_header(ctx, name, file, header)
    if not exact:
        ctx.dirty.add(name)
    clean_header = [h.strip().lstrip("\ufeff").strip() for h in header]
    h0, n_cols = clean_header[0], len(header)
    plan = _row_plan(name, colmap)
    table = _Table(name=name, file=file, index={f: i for i, f in enumerate(expected)}, present=set(colmap))
    index = table.index

    pk_fields = _contract(name)["schema"].get("primaryKey") or []
    if isinstance(pk_fields, str):
        pk_fields = [pk_fields]
    pk_pos = [index[f] for f in pk_fields]
    pk_single = pk_pos[0] if len(pk_pos) == 1 else None
    pk_seen: dict = {}
    uniques = [(f["name"], index[f["name"]], {}) for f in schema.fields(name)
               if (f.get("constraints") or {}).get("unique") and [f["name"]] != pk_fields]
    n_fields = len(expected)
    rows, numbers, oks = table.rows, table.numbers, table.ok

    # The physical lines of each record (a quoted cell may span lines), for the encoding check.
    bad_set, prev_line = set(bad_lines), reader.line_num
    encoding_rows: list[tuple[int, str | None, str]] = []

    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            add(file, row_no + 1, None, "csv-syntax", f"the file cannot be read from this row on ({exc})",
                "check this row for a stray double quote (\") or an unusual character, then save as CSV again")
            ctx.dirty.add(name)
            table.lost_rows += 1
            break
        row_no += 1
        if bad_set:
            first_line_no, prev_line = prev_line + 1, reader.line_num
            if any(ln in bad_set for ln in range(first_line_no, prev_line + 1)):
                encoding_rows.append((row_no, *_bad_cell(rec, header)) if not encoding_rows else (row_no, None, ""))
        if not rec or (not rec[0].strip() and not "".join(rec).strip()):
            add(file, row_no, None, "blank-row", "this row is empty", "delete the empty row")
            continue
        if rec[0].strip() == h0 and len(rec) == n_cols and [c.strip() for c in rec] == clean_header:
            add(file, row_no, None, "repeated-header", "this row repeats the column names",
                "delete the row (it often comes from pasting two exports together)")
            continue
        if len(rec) != n_cols:
            table.lost_rows += 1
            if any("\n" in c or "\r" in c for c in rec):
                add(file, row_no, None, "cell-count", "a double quote (\") in this row starts a cell that is never closed, so it runs on over the next lines",
                    "delete the stray double quote, or close it; a value that contains a quote needs it doubled (\"\") — saving from Excel as CSV does this for you")
            elif len(rec) > n_cols and not "".join(rec[n_cols:]).strip():
                add(file, row_no, None, "cell-count", f"this row has {len(rec)} cells but there are {n_cols} columns (the extra cells are empty)",
                    "delete the empty cells at the end of the row, or save the file as CSV again")
            else:
                add(file, row_no, None, "cell-count", f"this row has {len(rec)} values but there are {n_cols} columns",
                    "a value that contains a comma must be in double quotes; saving from Excel as CSV does this for you")
            continue
        spaced = _may_have_edge_spaces(rec)
        values: list[Any] = [None] * n_fields
        ok = True
        for pos, fname, col, required, how, parse, constrain, allowed, report_spaces in plan:
            v = rec[col]
            if spaced and v and (v[0].isspace() or v[-1].isspace()):
                if report_spaces:
                    add(file, row_no, fname, "cell-spaces", f"{fname} '{_short(v)}' has spaces before or after it",
                        "delete the spaces (Excel: =TRIM() or Find and Replace)")
                    # Frictionless compares untrimmed values: it would repeat this as type, list and
                    # key errors here and in the tables that refer to this one.
                    ctx.dirty.add(name)
                v = v.strip()
            if not v:
                if required:
                    add(file, row_no, fname, "required", f"{fname} is empty", f"every row needs a {fname}")
                    ok = False
                continue
            if how == _PLAIN or (how == _ENUM and v in allowed):
                values[pos] = v
                continue
            try:
                value = parse(v)
                if constrain is not None:
                    constrain(value)
            except _Bad as bad:
                add(file, row_no, fname, bad.code, bad.message, bad.hint)
                ok = False
                if parse is str:
                    values[pos] = v  # text outside its list or pattern is still text: the privacy scan reads it
                continue
            values[pos] = value
        # The primary key and unique fields: the first row with a value, and its repeats.
        if pk_pos:
            key = values[pk_single] if pk_single is not None else tuple(values[p] for p in pk_pos)
            if key is not None and (pk_single is not None or None not in key):
                first = pk_seen.setdefault(key, row_no)
                if first != row_no:
                    keys = (key,) if pk_single is not None else key
                    what = " and ".join(f"{f} {k}" for f, k in zip(pk_fields, keys, strict=True))
                    add(file, row_no, pk_fields[0], "duplicate", f"{what} appears again; first on row {first}",
                        "each row needs its own " + " and ".join(pk_fields) + ": give this row a new one, or delete it if it is a copy")
                    ok = False
        for f, pos, seen in uniques:
            val = values[pos]
            if val is not None:
                first = seen.setdefault(val, row_no)
                if first != row_no:
                    add(file, row_no, f, "duplicate", f"{f} {val} appears again; first on row {first}", f"each row needs its own {f}")
                    ok = False
        rows.append(tuple(values))
        numbers.append(row_no)
        oks.append(ok)
    if encoding_rows:
        row, fld, sample = encoding_rows[0]
        _encoding_problem(out, file, row, fld, sample, len(encoding_rows))
        ctx.dirty.add(name)  # Frictionless reads UTF-8 only: it would stop at the first such byte
    return table


def _bad_cell(rec: list[str], header: list[str]) -> tuple[str | None, str]:
    """The column and text of the first cell whose bytes were not UTF-8 (they were read as
    Windows-1252, so encoding them back gives the bytes as saved)."""
    for i, cell in enumerate(rec):
        if cell.isascii():
            continue
        try:
            cell.encode("cp1252").decode("utf-8")
        except UnicodeEncodeError:
            continue  # not from a Windows-1252 line
        except UnicodeDecodeError:
            return (header[i].strip() if i < len(header) else None), cell
    return None, ""


def _check_keys(ctx: _Context) -> None:
    """Foreign keys: every reference must name a row that exists."""
    for name, table in ctx.tables.items():
        for fk in _contract(name)["schema"].get("foreignKeys") or []:
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            ref = fk["reference"]
            ref_name = ref.get("resource") or name
            ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
            if len(fields) != 1 or fields[0] not in table.present:
                continue
            target = ctx.tables.get(ref_name)
            if target is None or ref_fields[0] not in target.present or target.lost_rows or (ref_name in ctx.dirty and ref_name != name and not target.rows):
                # The referenced table or column is missing, or some of its rows could not be read:
                # that is reported already, and every reference to a lost row would repeat it.
                continue
            tpos = target.index[ref_fields[0]]
            known = {r[tpos] for r in target.rows}
            known.discard(None)
            ref_file = target.file
            fname = fields[0]
            pos = table.index[fname]
            unknown = {r[pos] for r in table.rows} - known
            unknown.discard(None)
            if not unknown:
                continue  # the usual case, settled with one set difference
            said: dict[str, tuple[str, str]] = {}  # one message per unknown value, however many rows
            for i in [i for i, r in enumerate(table.rows) if r[pos] in unknown]:
                v = table.rows[i][pos]
                table.ok[i] = False
                if v not in said:
                    if ref_name == "services":
                        said[v] = (f"{fname} '{_short(v)}' is not in {ref_file}",
                                   f"use one of the service_ids in {ref_file}: {_ranked(v, known)} — or add the service to {ref_file}")
                    else:
                        close = _closest(v, known, cutoff=0.8) if len(known) < 5000 else None
                        said[v] = (f"{fname} {_short(v)} is not a {ref_fields[0]} in {ref_file}",
                                   _did_you_mean(close) or f"it must be a {ref_fields[0]} that appears in {ref_file}")
                ctx.out.add(table.file, table.numbers[i], fname, "foreign-key", *said[v])


# ---------------------------------------------------------------------------------------------------
# 5. Frictionless


_FRICTIONLESS_CODES = {
    "type-error": "type",
    "unique-error": "duplicate",
    "primary-key": "duplicate",
    "foreign-key": "foreign-key",
    "blank-row": "blank-row",
    "missing-cell": "cell-count",
    "extra-cell": "cell-count",
    "incorrect-label": "header",
    "missing-label": "missing-column",
    "extra-label": "extra-column",
    "duplicate-label": "duplicate-column",
    "blank-label": "extra-column",
    "encoding-error": "encoding",
}


# Frictionless findings per table, keyed by the table's descriptor and the bytes of the files it reads
# (itself and the tables its foreign keys point at): a rebuild where one file changed re-checks only
# the tables that depend on it. Kept in memory for the life of the process.
_FRICTIONLESS_CACHE: dict[str, list[dict]] = {}
_FRICTIONLESS_CACHE_SIZE = 64
# Frictionless reads about 7,000 rows a second per core (0.14 ms a row: 60 s of CPU for the 421,000
# rows at example scale 100), ten times slower than the schema pass here, which applies every rule
# it does (the 87 bad-input cases give the same problems with and without it). So it is the second
# opinion on tables up to this size only; larger ones rely on the schema pass, and the test suite
# runs the official `frictionless validate` on the scaled example package.
FRICTIONLESS_MAX_ROWS = 10_000


def _check_frictionless(ctx: _Context) -> None:
    """Frictionless on the tables whose shape is sound. A table left out takes the foreign keys that
    point at it along (its problems are reported already)."""
    if not ctx.package_ok:
        return
    todo = [n for n in schema.RESOURCE_NAMES if n in ctx.resources and n not in ctx.dirty and n in ctx.tables
            and len(ctx.tables[n].rows) <= FRICTIONLESS_MAX_ROWS]
    if not todo:
        return
    descriptor = json.loads(json.dumps(ctx.package))
    kept, keys = [], {}
    for res in descriptor["resources"]:
        name = res.get("name")
        if name not in todo:
            continue
        fks = res.get("schema", {}).get("foreignKeys")
        if fks:
            res["schema"]["foreignKeys"] = [fk for fk in fks if (fk.get("reference", {}).get("resource") or name) in todo]
        refs = sorted({fk["reference"].get("resource") or name for fk in res["schema"].get("foreignKeys") or []} | {name})
        h = hashlib.sha256(json.dumps(res, sort_keys=True).encode())
        for r in refs:
            h.update(json.dumps([r, ctx.resources[r]]).encode())
            h.update(hashlib.sha256((ctx.root / ctx.resources[r]).read_bytes()).digest())
        keys[name] = h.hexdigest()
        kept.append((res, refs))
    missing = [n for n in todo if keys[n] not in _FRICTIONLESS_CACHE]
    if missing:
        # Only the tables to check and the ones they refer to: building a Package costs per table.
        needed = set(missing)
        for res, refs in kept:
            if res["name"] in missing:
                needed.update(refs)
        descriptor["resources"] = [res for res, _ in kept if res["name"] in needed]
        from frictionless import FrictionlessException, Package, system

        try:
            # Trusted: the paths were checked above to be plain files inside the datasets folder.
            with system.use_context(trusted=True):
                package = Package(descriptor, basepath=str(ctx.root))
                found: dict[str, list[dict]] = {}
                for name in missing:
                    report = package.get_resource(name).validate()
                    found[name] = [e.to_dict() for task in report.tasks for e in task.errors] + [e.to_dict() for e in report.errors]
        except FrictionlessException as exc:
            ctx.out.add(PACKAGE_FILE, None, None, "package-invalid", f"Frictionless cannot read datapackage.yaml: {exc.error.note or exc.error.message}",
                        "restore datapackage.yaml from version control")
            return
    else:
        found = {}
    results = {n: found[n] if n in found else _FRICTIONLESS_CACHE[keys[n]] for n in todo}
    if len(_FRICTIONLESS_CACHE) + len(found) > _FRICTIONLESS_CACHE_SIZE:
        _FRICTIONLESS_CACHE.clear()
    for name, errors in found.items():
        _FRICTIONLESS_CACHE[keys[name]] = errors
    for name in todo:
        for err in results[name]:
            _report_frictionless(ctx, ctx.resources[name], err)


def _report_frictionless(ctx: _Context, file: str, err: dict) -> None:
    """One Frictionless finding, unless the cell (or its row) already has a problem from our checks."""
    etype = err.get("type", "frictionless")
    row = err.get("rowNumber")
    fld = err.get("fieldName") or (err.get("fieldNames") or [None])[0]
    if etype == "foreign-key" and err.get("referenceName") in ctx.dirty:
        return
    if ctx.out.seen(file, row, fld) or (row is not None and ctx.out.seen(file, row, None)):
        return
    if etype in ("primary-key", "unique-error") and row is not None:
        name = _resource_of(ctx, file)
        if name and any((file, row, f) in ctx.out.cells for f in schema.field_names(name)):
            return
    code = _FRICTIONLESS_CODES.get(etype, etype)
    note = err.get("note") or ""
    if etype == "constraint-error":
        m = re.match(r'constraint "(\w+)"', note)
        code = m.group(1) if m else "constraint"
    cell = err.get("cell")
    what = f"{fld} '{_short(cell)}'" if fld and cell not in (None, "") else (fld or "this row")
    title = str(err.get("title") or "problem").lower()
    ctx.out.add(file, row, fld, code, f"{what}: {title} ({note})" if note else f"{what}: {err.get('message', title)}",
                "Frictionless found this; check the value against the column's description in the data dictionary")


def _resource_of(ctx: _Context, file: str) -> str | None:
    for n, f in ctx.resources.items():
        if f == file:
            return n
    return None


# ---------------------------------------------------------------------------------------------------
# 6. Business rules


def _check_rules(ctx: _Context) -> None:
    for rule in _RULES:
        rule(ctx)


def _policy_stages(ctx: _Context) -> dict[int, dict]:
    stages = ctx.policy.get("stages")
    if not isinstance(stages, list):
        return {}
    return {s["id"]: s for s in stages if isinstance(s, dict) and isinstance(s.get("id"), int) and not isinstance(s.get("id"), bool)}


def _rule_dates_in_order(ctx: _Context) -> None:
    """received ≤ acknowledged ≤ responded (complaints); received ≤ decided (ombudsman cases)."""
    t = ctx.tables.get("complaints")
    if t is not None:
        ir, ia, io_ = t.index["received"], t.index["acknowledged"], t.index["responded"]
        for n, row in t.iter_ok():
            rec, ack, resp = row[ir], row[ia], row[io_]
            if rec is not None and ack is not None and ack < rec:
                ctx.out.add(t.file, n, "acknowledged", "date-order", f"acknowledged {ack} is before received {rec}",
                            "a complaint cannot be acknowledged before it arrives: check both dates")
            if resp is not None:
                if ack is not None and resp < ack:
                    ctx.out.add(t.file, n, "responded", "date-order", f"responded {resp} is before acknowledged {ack}",
                                "check both dates")
                elif rec is not None and resp < rec:
                    ctx.out.add(t.file, n, "responded", "date-order", f"responded {resp} is before received {rec}",
                                "a response cannot come before the complaint: check both dates")
    t = ctx.tables.get("ombudsman_cases")
    if t is not None:
        ir, idc = t.index["received"], t.index["decided"]
        for n, row in t.iter_ok():
            if row[ir] is not None and row[idc] is not None and row[idc] < row[ir]:
                ctx.out.add(t.file, n, "decided", "date-order", f"decided {row[idc]} is before received {row[ir]}",
                            "check both dates")


def _rule_not_after_data_as_of(ctx: _Context) -> None:
    """No date (or month, or financial year) after the extraction date in council.yaml."""
    as_of = ctx.data_as_of
    if as_of is None:
        return
    month = f"{as_of.year:04d}-{as_of.month:02d}"
    hint = "check the date; if you extracted the data later, update data_as_of in council.yaml"
    for name, t in ctx.tables.items():
        fields = schema.fields(name)
        dates = [f["name"] for f in fields if f.get("type") == "date" and f["name"] in t.present]
        months = [f["name"] for f in fields if f.get("type") == "yearmonth" and f["name"] in t.present]
        late = []  # (row index, field, value), found column by column with comprehensions (quick)
        for f in dates:
            p = t.index[f]
            late += [(i, f, v) for i, r in enumerate(t.rows) if (v := r[p]) is not None and v > as_of]
        for f in months:
            p = t.index[f]
            late += [(i, f, v) for i, r in enumerate(t.rows) if (v := r[p]) is not None and v > month]
        for i, f, v in sorted(late, key=lambda x: x[0]):
            if not t.ok[i]:
                continue
            if f in dates:
                ctx.out.add(t.file, t.numbers[i], f, "after-data-as-of", f"{f} {v} is after the data was extracted ({as_of}, data_as_of in council.yaml)", hint)
            else:
                ctx.out.add(t.file, t.numbers[i], f, "after-data-as-of", f"{f} {v} is after the month the data was extracted ({month})", hint)
    t = ctx.tables.get("standard_results")
    if t is not None and "period" in t.present:
        from .periods import parse_fy

        for n, row in t.iter_ok():
            period = t.get(row, "period")
            try:
                start = parse_fy(period)
            except (ValueError, TypeError):
                ctx.out.add(t.file, n, "period", "period", f"period {period} is not a financial year",
                            "write it like 2023/24 (the second year is the first plus one)")
                continue
            if dt.date(start, 4, 1) > as_of:
                ctx.out.add(t.file, n, "period", "after-data-as-of", f"period {period} starts after the data was extracted ({as_of})", hint)


def _rule_outcomes(ctx: _Context) -> None:
    """Complaints: outcome present iff responded; a reason iff not accepted."""
    t = ctx.tables.get("complaints")
    if t is None:
        return
    io_, iout, ireason = t.index["responded"], t.index["outcome"], t.index["not_accepted_reason"]
    check_reason = "not_accepted_reason" in t.present
    for n, row in t.iter_ok():
        resp, outcome = row[io_], row[iout]
        if outcome is not None and resp is None:
            ctx.out.add(t.file, n, "outcome", "outcome-on-open-case", f"outcome is {outcome} but responded is empty (an outcome on an open case)",
                        "add the date of the response (or of the withdrawal), or clear the outcome if the complaint is still open")
        elif resp is not None and outcome is None:
            ctx.out.add(t.file, n, "outcome", "response-without-outcome", f"responded is {resp} but outcome is empty",
                        "add the outcome: " + ", ".join(schema.enum("complaints", "outcome")))
        if check_reason:
            reason = row[ireason]
            if outcome == "not_accepted" and reason is None:
                ctx.out.add(t.file, n, "not_accepted_reason", "missing-not-accepted-reason", "the complaint was not accepted but not_accepted_reason is empty",
                            "add the reason: " + ", ".join(schema.enum("complaints", "not_accepted_reason")))
            elif reason is not None and outcome != "not_accepted":
                ctx.out.add(t.file, n, "not_accepted_reason", "reason-without-not-accepted", f"not_accepted_reason is {reason} but the outcome is {outcome or 'empty'}",
                            "a reason is only given when the outcome is not_accepted: clear it, or correct the outcome")


def _rule_stages(ctx: _Context) -> None:
    """Stage in the policy; escalations from a lower stage of the same service, after its response;
    extensions within the policy's maximum."""
    t = ctx.tables.get("complaints")
    stages = _policy_stages(ctx)
    if t is None:
        return
    ix = t.index
    i_id, i_stage, i_from, i_svc, i_rec, i_resp, i_ext = (ix[k] for k in ("complaint_id", "stage", "escalated_from", "service_id", "received", "responded", "extension_working_days"))
    rows, numbers, oks = t.rows, t.numbers, t.ok
    # Most rows are stage 1 without an extension and need nothing here: pick the others in one sweep.
    todo = [i for i, r in enumerate(rows) if r[i_stage] != 1 or r[i_from] is not None or r[i_ext]]
    wanted = {rows[i][i_from] for i in todo}
    by_id = {}
    if wanted - {None}:
        for i, r in enumerate(rows):
            if r[i_id] in wanted:
                by_id.setdefault(r[i_id], (r, numbers[i], oks[i]))
    escalated_by: dict[str, int] = {}
    stage_list = ", ".join(str(s) for s in sorted(stages))
    for i in todo:
        if not oks[i]:
            continue
        row, n = rows[i], numbers[i]
        stage, src = row[i_stage], row[i_from]
        if stages and stage is not None and stage not in stages:
            ctx.out.add(t.file, n, "stage", "unknown-stage", f"stage {stage} is not a stage of the complaints policy (stages: {stage_list})",
                        "use a stage number from policy.yaml, or add the stage to the policy")
        elif stages and stage is not None and row[i_ext] is not None:
            limit = stages[stage].get("max_extension_working_days")
            if isinstance(limit, int) and row[i_ext] > limit:
                ctx.out.add(t.file, n, "extension_working_days", "extension-too-long",
                            f"extension_working_days is {row[i_ext]} but the policy allows at most {limit} at stage {stage}",
                            "check the figure, or the policy's max_extension_working_days for this stage")
        if stage is None:
            continue
        if stage == 1 and src is not None:
            ctx.out.add(t.file, n, "escalated_from", "escalated-from-at-stage-1", f"a stage 1 complaint has escalated_from {src}",
                        "stage 1 is the first stage: clear escalated_from, or correct the stage")
            continue
        if stage > 1 and src is None:
            ctx.out.add(t.file, n, "escalated_from", "missing-escalated-from", f"this is a stage {stage} complaint but escalated_from is empty (a stage {stage} without a stage {stage - 1})",
                        f"add the complaint_id of the stage {stage - 1} record it was escalated from")
            continue
        if stage == 1 or src not in by_id:
            continue  # an unknown escalated_from is a foreign-key problem, reported already
        earlier, earlier_n, earlier_ok = by_id[src]
        if not earlier_ok:
            continue
        if earlier[i_stage] is not None and earlier[i_stage] >= stage:
            ctx.out.add(t.file, n, "escalated_from", "escalation-stage", f"escalated_from {src} (row {earlier_n}) is a stage {earlier[i_stage]} complaint, not an earlier stage",
                        f"a stage {stage} complaint must escalate from a lower stage")
            continue
        if earlier[i_svc] != row[i_svc]:
            ctx.out.add(t.file, n, "service_id", "escalation-service", f"service_id is {row[i_svc]} but the complaint it escalates ({src}, row {earlier_n}) is about {earlier[i_svc]}",
                        "an escalated complaint keeps the service of the earlier stage: check both rows")
        if earlier[i_resp] is None:
            ctx.out.add(t.file, n, "received", "escalation-before-response", f"escalated from {src} (row {earlier_n}), which has no response yet",
                        "a complaint is escalated after the earlier stage's response: check the dates")
        elif row[i_rec] is not None and row[i_rec] < earlier[i_resp]:
            ctx.out.add(t.file, n, "received", "escalation-before-response",
                        f"received {row[i_rec]} is before the response to {src} (row {earlier_n}) on {earlier[i_resp]}",
                        "an escalation is received on or after the earlier stage's response: check both dates")
        first = escalated_by.setdefault(src, n)
        if first != n:
            ctx.out.add(t.file, n, "escalated_from", "escalated-twice", f"{src} was already escalated on row {first}",
                        "each complaint can be escalated once per stage: check the complaint IDs")


def _rule_stage_numbering(ctx: _Context) -> None:
    """Policy stages are numbered 1, 2(, 3) in order, once each."""
    y = ctx.yamls.get("policy")
    stages = ctx.policy.get("stages")
    if y is None or not isinstance(stages, list):
        return
    ids = [s.get("id") for s in stages if isinstance(s, dict)]
    if all(isinstance(i, int) for i in ids) and ids and ids != list(range(1, len(ids) + 1)):
        line, where = _yaml_locate(y.node, ["stages"])
        ctx.out.add(y.file, line, where, "stage-numbering", f"the stages are numbered {', '.join(map(str, ids))}",
                    f"number them 1 to {len(ids)} in order, each once")


def _rule_calls(ctx: _Context) -> None:
    """answered ≤ offered; answered within 60 s ≤ answered; answered + abandoned ≤ offered."""
    t = ctx.tables.get("calls")
    if t is None or not {"offered", "answered"} <= t.present:
        return
    i_off, i_ans, i_60, i_ab = (t.index[k] for k in ("offered", "answered", "answered_within_60s", "abandoned"))
    for n, row in t.iter_ok():
        off, ans, w60, ab = row[i_off], row[i_ans], row[i_60], row[i_ab]
        if off is None or ans is None:
            continue
        if ans > off:
            ctx.out.add(t.file, n, "answered", "calls-answered", f"answered ({ans:,}) is more than offered ({off:,})",
                        "calls answered cannot exceed calls offered: check both figures")
        elif ab is not None and ans + ab > off:
            ctx.out.add(t.file, n, "abandoned", "calls-total", f"answered ({ans:,}) plus abandoned ({ab:,}) is more than offered ({off:,})",
                        "check the three figures: offered calls are answered, abandoned or still in the queue")
        if w60 is not None and w60 > ans:
            ctx.out.add(t.file, n, "answered_within_60s", "calls-within-60s", f"answered_within_60s ({w60:,}) is more than answered ({ans:,})",
                        "check both figures")


def _rule_ombudsman(ctx: _Context) -> None:
    """Outcome valid for that ombudsman; ombudsman fits the country and the service; decision and
    outcome together; a financial remedy only with a remedy."""
    t = ctx.tables.get("ombudsman_cases")
    if t is None:
        return
    country = ctx.council.get("country")
    services = ctx.tables.get("services")
    landlord: dict[str, bool] = {}
    if services is not None and not services.lost_rows:
        for row in services.rows:
            landlord[services.get(row, "service_id")] = services.get(row, "is_landlord_service")
    labels = schema.labels("ombudsman_cases", "ombudsman")
    ix = t.index
    for n, row in t.iter_ok():
        omb, outcome, decided = row[ix["ombudsman"]], row[ix["outcome"]], row[ix["decided"]]
        if omb in OMBUDSMAN_OUTCOMES and outcome is not None and outcome not in OMBUDSMAN_OUTCOMES[omb]:
            ctx.out.add(t.file, n, "outcome", "ombudsman-outcome", f"{outcome} is not a decision the {labels.get(omb, omb)} makes",
                        f"for {omb} use one of: {', '.join(OMBUDSMAN_OUTCOMES[omb])}")
        if omb in OMBUDSMAN_COUNTRY and country in ("england", "wales") and OMBUDSMAN_COUNTRY[omb] != country:
            ctx.out.add(t.file, n, "ombudsman", "ombudsman-country", f"the {labels.get(omb, omb)} does not deal with councils in {country.title()}",
                        "councils in Wales go to the Public Services Ombudsman for Wales (psow); in England to lgsco, or hos for landlord services")
        svc = row[ix["service_id"]]
        if omb == "hos" and landlord.get(svc) is False:
            ctx.out.add(t.file, n, "ombudsman", "ombudsman-not-landlord", f"the Housing Ombudsman only deals with landlord services, and {svc} is not one",
                        "use lgsco, or mark the service as a landlord service in services.csv")
        if outcome is not None and decided is None:
            ctx.out.add(t.file, n, "decided", "outcome-without-decision", f"outcome is {outcome} but decided is empty",
                        "add the date of the ombudsman's decision, or clear the outcome while the case is open")
        elif decided is not None and outcome is None:
            ctx.out.add(t.file, n, "outcome", "decision-without-outcome", f"decided is {decided} but outcome is empty",
                        "add the ombudsman's decision")
        money, agreed = row[ix["financial_remedy_gbp"]], row[ix["remedy_agreed"]]
        if money and agreed is False:
            ctx.out.add(t.file, n, "financial_remedy_gbp", "remedy-without-agreement", f"financial_remedy_gbp is {_fmt_num(money)} but remedy_agreed is false",
                        "set remedy_agreed to true, or clear the amount")


def _rule_council(ctx: _Context) -> None:
    """homes_owned is given if and only if the council has landlord services; escalation routes fit."""
    y = ctx.yamls.get("council")
    services = ctx.tables.get("services")
    if y is None or not isinstance(y.data, dict) or services is None:
        return
    flags = [services.get(r, "is_landlord_service") for r in services.rows]
    if None in flags or services.lost_rows:
        return  # a service's is_landlord_service is unreadable (reported already): no guessing
    is_landlord = any(flags)
    if is_landlord and "homes_owned" not in y.data:
        ctx.out.add(y.file, None, "homes_owned", "homes-owned-missing", "services.csv has landlord services but council.yaml has no homes_owned",
                    "add homes_owned: the number of social homes the council owns (for the Tenant Satisfaction Measures)")
    if not is_landlord:
        for key in ("homes_owned", "homes_owned_by_year"):
            if key in y.data:
                line, where = _yaml_locate(y.node, [key])
                ctx.out.add(y.file, line, where, "homes-owned-not-landlord", f"council.yaml gives {key} but no service in services.csv is a landlord service",
                            "mark the landlord services with is_landlord_service true, or remove " + key)


def _rule_escalation_routes(ctx: _Context) -> None:
    """The policy's 'still unhappy' routes name the right ombudsmen for the council's country and services."""
    y = ctx.yamls.get("policy")
    country = ctx.council.get("country")
    routes = ctx.policy.get("escalation")
    if y is None or country not in ("england", "wales") or not isinstance(routes, list):
        return
    named = set()
    for i, r in enumerate(routes):
        if not isinstance(r, dict):
            continue
        omb = r.get("ombudsman")
        named.add(omb)
        if omb in OMBUDSMAN_COUNTRY and OMBUDSMAN_COUNTRY[omb] != country:
            line, where = _yaml_locate(y.node, ["escalation", i, "ombudsman"])
            ctx.out.add(y.file, line, where, "ombudsman-country", f"{omb} does not deal with councils in {country.title()}",
                        "councils in Wales go to psow; in England to lgsco, and hos for landlord services")
    services = ctx.tables.get("services")
    flags = [services.get(r, "is_landlord_service") for r in services.rows] if services is not None else []
    if services is None or None in flags or services.lost_rows:
        return  # which ombudsmen are needed depends on the services
    landlord, other = any(flags), not all(flags)
    needed = {"psow"} if country == "wales" else ({"lgsco"} if other else set()) | ({"hos"} if landlord else set())
    line, where = _yaml_locate(y.node, ["escalation"])
    for omb in sorted(needed - named):
        ctx.out.add(y.file, line, where, "missing-ombudsman-route", f"the policy does not tell residents about the {schema.label('ombudsman_cases', 'ombudsman', omb)} ({omb})",
                    "add it under 'escalation:' with when residents can go to it and its website")


def _measure_ids() -> set[str]:
    ids = {"reported"}
    try:
        from . import measures  # written alongside; imported lazily so validation works without it
    except ImportError:
        return ids
    registry = getattr(measures, "MEASURES", None)
    if isinstance(registry, dict):
        ids |= {str(k) for k in registry}
    elif registry is not None:
        for m in registry:
            ids.add(str(getattr(m, "id", m)))
    return ids


def _rule_standards(ctx: _Context) -> None:
    """Standards refer to known measures; ids are unique; results refer to 'reported' standards."""
    y = ctx.yamls.get("standards")
    standards = y.data if y is not None and isinstance(y.data, list) else []
    known = _measure_ids() if standards else {"reported"}
    by_id: dict[str, dict] = {}
    for i, s in enumerate(standards):
        if not isinstance(s, dict):
            continue
        sid, measure = s.get("id"), s.get("measure")
        if isinstance(sid, str):
            if sid in by_id:
                line, where = _yaml_locate(y.node, [i, "id"])
                ctx.out.add(y.file, line, where, "duplicate", f"the standard id {sid} is used twice", "give each standard its own id")
            by_id.setdefault(sid, s)
        if isinstance(measure, str) and measure not in known:
            line, where = _yaml_locate(y.node, [i, "measure"])
            ctx.out.add(y.file, line, where, "unknown-measure", f"measure {measure} is not a measure the site computes",
                        _did_you_mean(_closest(measure, known)) or "use a measure id from the methodology page, or 'reported' for a figure you give in standard_results.csv")
        if s.get("unit") == "percent" and isinstance(s.get("target"), (int, float)) and not 0 <= s["target"] <= 100:
            line, where = _yaml_locate(y.node, [i, "target"])
            ctx.out.add(y.file, line, where, "target-out-of-range", f"the target {s['target']} is a percentage outside 0 to 100", "check the target")
    t = ctx.tables.get("standard_results")
    if t is None or "standard_id" not in t.present:
        return
    for n, row in t.iter_ok():
        sid = t.get(row, "standard_id")
        if sid not in by_id:
            ctx.out.add(t.file, n, "standard_id", "unknown-standard", f"standard_id {sid} is not a standard in standards.yaml",
                        f"use one of: {_ranked(sid, by_id)}" if by_id else "add the standard to standards.yaml first")
        elif by_id[sid].get("measure") != "reported":
            ctx.out.add(t.file, n, "standard_id", "standard-not-reported", f"the standard {sid} is computed from the data (measure {by_id[sid].get('measure')}), so it takes no results here",
                        "only standards with measure: reported have rows in standard_results.csv")


@cache
def code_provisions() -> dict[str, dict[str, str]]:
    """Code → {provision ref: short title}, from data/code_provisions.yaml."""
    text = resources.files(__package__).joinpath("data", "code_provisions.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {code: {str(k): v for k, v in (spec.get("provisions") or {}).items()} for code, spec in data.items()}


def _rule_self_assessment(ctx: _Context) -> None:
    """Provisions are provisions of that Code, once each; evidence is real text; a 'partly' or 'no'
    says what will be done; the year is a financial year."""
    y = ctx.yamls.get("self_assessment")
    if y is None or not isinstance(y.data, list):
        return
    from .periods import parse_fy

    provisions = code_provisions()
    seen_years: dict[tuple, int] = {}
    for i, a in enumerate(y.data):
        if not isinstance(a, dict):
            continue
        code, year = a.get("code"), a.get("year")
        if isinstance(year, str) and re.match(r"^\d{4}/\d{2}$", year):
            try:
                parse_fy(year)
            except ValueError:
                line, where = _yaml_locate(y.node, [i, "year"])
                ctx.out.add(y.file, line, where, "period", f"year {year} is not a financial year", "write it like 2023/24 (the second year is the first plus one)")
        key = (code, year)
        if code and year:
            first = seen_years.setdefault(key, i)
            if first != i:
                line, where = _yaml_locate(y.node, [i])
                ctx.out.add(y.file, line, where, "duplicate", f"there are two self-assessments against {code} for {year}", "keep one per Code and year")
        known = provisions.get(code, {}) if isinstance(code, str) else {}
        refs_seen: set = set()
        for j, p in enumerate(a.get("provisions") or []):
            if not isinstance(p, dict):
                continue
            ref = p.get("ref")
            if isinstance(ref, (int, float)) and not isinstance(ref, bool):
                ref = str(ref)  # 1.2 written without quotes is read as a number
            if isinstance(ref, str) and known:
                if ref not in known:
                    line, where = _yaml_locate(y.node, [i, "provisions", j, "ref"])
                    ctx.out.add(y.file, line, where, "unknown-provision", f"{ref} is not a provision of the {code} Code",
                                _did_you_mean(_closest(ref, list(known), cutoff=0.75)) or "use the provision numbers of the Code, for example 6.2")
                elif ref in refs_seen:
                    line, where = _yaml_locate(y.node, [i, "provisions", j, "ref"])
                    ctx.out.add(y.file, line, where, "duplicate-provision", f"provision {ref} is assessed twice", "keep one entry per provision")
                refs_seen.add(ref)
            ev = p.get("evidence")
            if isinstance(ev, str) and ev and not ev.strip():
                line, where = _yaml_locate(y.node, [i, "provisions", j, "evidence"])
                ctx.out.add(y.file, line, where, "blank-evidence", "the evidence is blank", "say how the council meets the provision (a document, a page, a figure)")
            if p.get("compliant") in ("partly", "no") and not (isinstance(p.get("action"), str) and p["action"].strip()):
                line, where = _yaml_locate(y.node, [i, "provisions", j])
                ctx.out.add(y.file, line, _path_text([i, "provisions", j, "action"]), "missing-action",
                            f"provision {ref} is not fully met but no action is given",
                            "add 'action:' saying what will be done and 'action_due:' by when (the Codes ask for both)")


def _rule_releases(ctx: _Context) -> None:
    """An edition's data is not newer than the datasets', and it is not published before its data."""
    y = ctx.yamls.get("releases")
    as_of = ctx.data_as_of
    if y is None or not isinstance(y.data, list):
        return
    for i, r in enumerate(y.data):
        if not isinstance(r, dict):
            continue
        r_as_of, r_date = _as_date(r.get("data_as_of")), _as_date(r.get("date"))
        if r_as_of and as_of and r_as_of > as_of:
            line, where = _yaml_locate(y.node, [i, "data_as_of"])
            ctx.out.add(y.file, line, where, "after-data-as-of", f"this edition's data_as_of {r_as_of} is after the datasets' data_as_of {as_of}",
                        "an edition cannot hold newer data than the datasets: check both dates")
        if r_as_of and r_date and r_date < r_as_of:
            line, where = _yaml_locate(y.node, [i, "date"])
            ctx.out.add(y.file, line, where, "date-order", f"the edition date {r_date} is before its data_as_of {r_as_of}", "check both dates")


_RULES = (
    _rule_dates_in_order,
    _rule_not_after_data_as_of,
    _rule_outcomes,
    _rule_stages,
    _rule_stage_numbering,
    _rule_calls,
    _rule_ombudsman,
    _rule_council,
    _rule_escalation_routes,
    _rule_standards,
    _rule_self_assessment,
    _rule_releases,
)


# ---------------------------------------------------------------------------------------------------
# 7. Personal data


def _check_privacy(ctx: _Context) -> None:
    from . import privacy

    extra: list[str] = []
    council_file = schema.YAML_FILES["council"]
    if council_file in ctx.unreadable:
        # council.yaml has a syntax error (reported): its contact details still count as the council's
        # own, read from the text, so that the policy's phone number is not reported as well.
        extra = privacy.contact_details_in((ctx.root / council_file).read_bytes().decode("utf-8", errors="replace"))
    allowed = privacy.allowed_from_council(ctx.council, ctx.policy, extra)
    for name, t in ctx.tables.items():
        fields = [f for f in privacy.text_fields(name) if f in t.present]
        if not fields:
            continue
        for f in fields:
            pos = t.index[f]
            for p in privacy.scan_column(t.file, f, [r[pos] for r in t.rows], t.numbers, allowed):
                ctx.out.add(p.file, p.row, p.field, p.code, p.message, p.hint)
    for y in ctx.yamls.values():
        for p in privacy.scan_yaml(y.file, y.node, allowed):
            ctx.out.add(p.file, p.row, p.field, p.code, p.message, p.hint)
    # Officers' commentary for the annual reports is published text too (reports.py renders it).
    commentary = ctx.root / "commentary"
    if commentary.is_dir():
        for path in sorted(commentary.glob("*.md")):
            lines = path.read_text("utf-8", errors="replace").splitlines()
            cells = [(n, "text", line) for n, line in enumerate(lines, start=1) if line.strip()]
            for p in privacy.scan_cells(f"commentary/{path.name}", cells, allowed):
                ctx.out.add(p.file, p.row, p.field, p.code, p.message, p.hint)
