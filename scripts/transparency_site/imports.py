"""Stage 0: spreadsheets from elsewhere → canonical CSV. Two importers.

1. **Case-system exports** (``import_cases``): a complaints, compliments or ombudsman-cases export from
   the council's case-management system (.xlsx or .csv) becomes the canonical CSV, guided by a mapping
   file. Nothing is guessed: every value that cannot be mapped is reported with its row and column,
   and nothing is written while there are problems.

2. **The Regulator of Social Housing's Tenant Satisfaction Measures workbook** (``import_tsm``):
   every local-authority landlord's complaint measures become the optional ``benchmarks`` resource.
   The sheet, the header row and the columns are found by their text, never by position, because the
   regulator moves them between years.

The mapping file (YAML)
-----------------------
See ``examples/complaints-mapping.yaml`` for a complete, commented example. Keys:

``sheet``
    (.xlsx only, optional) the worksheet to read; default the first one.
``columns``
    canonical field → the export's column heading, e.g. ``received: "Date Received"``; or a constant
    for every row, e.g. ``ombudsman: {value: lgsco}``. Every required field must be mapped; fields
    left out are empty. Columns of the export that are not mapped are ignored (so personal data in
    the export, such as names, is never copied).
``values``
    canonical field → {export value → canonical value}, e.g.
    ``outcome: {"Partially Upheld": partly_upheld}`` or ``stage: {"Stage One": 1}``. Matching ignores
    case and repeated spaces. A value that is already an allowed value (``partly_upheld``) or its
    label in the data contract ("Partly upheld") needs no entry. For a field with a ``values`` map
    and no fixed list of allowed values (such as ``service_id``), every value must be in the map.
``dates``
    ``{format: "%d/%m/%Y"}`` (a list of formats is allowed; default ``%d/%m/%Y``). ISO dates
    (2023-04-03), real Excel date cells and Excel serial numbers (45019) are always accepted.
``trim``
    strip spaces around every value (default true).
``skip_blank_rows``
    ignore rows whose mapped cells are all empty (default true).

The header row is the first row (of the first 20) that holds every mapped column heading, so title
rows above the table are fine. Row numbers in problems are the rows as the spreadsheet shows them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from . import schema
from .progress import progress
from .validate import Problem

CASE_KINDS = ("complaints", "compliments", "ombudsman_cases")
MAPPING_KEYS = ("sheet", "columns", "values", "dates", "trim", "skip_blank_rows")
DEFAULT_DATE_FORMATS = ("%d/%m/%Y",)
HEADER_SEARCH_ROWS = 20
# Complaint dates outside these years are not real case dates: most likely a number that is not a date.
PLAUSIBLE_YEARS = (1990, 2100)


class MappingError(ValueError):
    """The mapping file cannot be read at all (not YAML, or not a mapping)."""


@dataclass
class ImportResult:
    """Rows in the canonical schema's field order, the problems found, and notes worth telling the officer.

    ``rows`` hold typed values (dates as datetime.date, integers as int, ...); ``text()`` is the
    canonical CSV. Notes are not problems: they say what was read as empty and why (e.g. a regulator's
    ``[X]`` marker).
    """

    kind: str
    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        return rows_csv(self.kind, self.rows)


# ---------------------------------------------------------------------------------------------------
# Shared output


def cell_text(value: Any) -> str:
    """One canonical CSV cell: ISO dates, true/false, integers without a decimal point, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def rows_csv(kind: str, rows: Iterable[dict]) -> str:
    names = schema.field_names(kind)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell_text(row.get(n)) for n in names])
    return buf.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and os.replace: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_import(result: ImportResult, out: Path) -> Path:
    """Write the canonical CSV, atomically, only when the import found no problems."""
    if result.problems:
        raise ValueError(f"{len(result.problems)} problem(s) in the import: nothing written")
    _write_atomic(Path(out), result.text())
    return Path(out)


# ---------------------------------------------------------------------------------------------------
# Case-system exports


def read_mapping(path: Path) -> dict:
    """The mapping file as a dict; MappingError when it is not a YAML mapping. Its content is checked by
    ``import_cases``, which knows the kind of export."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path.name} cannot be read as YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path.name} must be a YAML mapping with a 'columns:' section")
    return data


def _norm(value: Any) -> str:
    """Text as a heading or lookup key: non-breaking and zero-width spaces made plain, runs of spaces
    collapsed, trimmed."""
    text = str(value).replace("\xa0", " ").replace("\u200b", "")
    return " ".join(text.split())


def _key(value: Any) -> str:
    return _norm(value).casefold()


def _closest(word: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    folded = {c.casefold(): c for c in choices}
    best = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.5)
    return folded[best[0]] if best else None


def _allowed_hint(allowed: list[str], value: str) -> str:
    near = _closest(value, allowed)
    listing = ", ".join(allowed)
    if near:
        return f"did you mean {near}? Allowed: {listing}. Add it under values: in the mapping if the export uses another word."
    return f"allowed: {listing}. Add it under values: in the mapping if the export uses another word."


@dataclass
class _Column:
    """How one canonical field is filled: from a source column, or a constant."""

    name: str
    ftype: str
    required: bool
    source: str | None = None
    constant: Any = None
    index: int | None = None


def _field_spec(kind: str, name: str) -> dict:
    return schema.field(kind, name)


def _check_mapping(kind: str, mapping: dict, mname: str) -> tuple[list[_Column], dict, list[Problem]]:
    """Mapping → per-field plan + value maps, with a problem for every mistake in the mapping itself."""
    problems: list[Problem] = []

    def bad(where: str, message: str, hint: str = "") -> None:
        problems.append(Problem(mname, None, where, "mapping", message, hint))

    names = schema.field_names(kind)
    for key in mapping:
        if key not in MAPPING_KEYS:
            near = _closest(str(key), MAPPING_KEYS)
            bad(str(key), f"'{key}' is not a mapping setting", f"did you mean {near}?" if near else f"settings: {', '.join(MAPPING_KEYS)}")
    columns = mapping.get("columns") or {}
    if not isinstance(columns, dict):
        bad("columns", "columns: must list canonical field: \"Export column heading\" pairs")
        columns = {}
    plan: list[_Column] = []
    for name in names:
        spec = _field_spec(kind, name)
        col = _Column(name, spec["type"], bool(spec.get("constraints", {}).get("required")))
        src = columns.get(name)
        if isinstance(src, dict) and set(src) == {"value"}:
            col.constant = src["value"]
        elif isinstance(src, str) and src.strip():
            col.source = _norm(src)
        elif src is not None:
            bad(f"columns.{name}", f"columns.{name} must be a column heading in quotes, or {{value: ...}} for a constant")
        elif col.required:
            bad(f"columns.{name}", f"{kind} need {name} ({schema.field_title(kind, name)}), but the mapping does not say which column holds it",
                f"add  {name}: \"Export column heading\"  under columns:")
        plan.append(col)
    for name in columns:
        if name not in names:
            near = _closest(str(name), names)
            bad(f"columns.{name}", f"{kind} have no field '{name}'", f"did you mean {near}?" if near else f"fields: {', '.join(names)}")

    values = mapping.get("values") or {}
    if not isinstance(values, dict):
        bad("values", "values: must list canonical field: {export value: canonical value}")
        values = {}
    vmaps: dict[str, dict[str, Any]] = {}
    for name, table in values.items():
        if name not in names:
            near = _closest(str(name), names)
            bad(f"values.{name}", f"{kind} have no field '{name}'", f"did you mean {near}?" if near else "")
            continue
        if not isinstance(table, dict):
            bad(f"values.{name}", f"values.{name} must be a list of  \"export value\": canonical value  pairs")
            continue
        allowed = schema.enum(kind, name)
        ftype = _field_spec(kind, name)["type"]
        vm: dict[str, Any] = {}
        for src_value, target in table.items():
            ok, typed = _coerce_target(ftype, allowed, target)
            if not ok:
                hint = _allowed_hint(allowed, str(target)) if allowed else f"it must be a {ftype}"
                bad(f"values.{name}", f"'{src_value}' maps to '{target}', which is not an allowed {name}", hint)
                continue
            vm[_key(src_value)] = typed
        vmaps[name] = vm
    # Constants must be valid values too.
    for col in plan:
        if col.constant is not None:
            ok, typed = _coerce_target(col.ftype, schema.enum(kind, col.name), col.constant)
            if ok:
                col.constant = typed
            else:
                bad(f"columns.{col.name}", f"the constant '{col.constant}' is not an allowed {col.name}")

    dates = mapping.get("dates") or {}
    fmt = dates.get("format", "%d/%m/%Y") if isinstance(dates, dict) else None
    if not (isinstance(fmt, str) or (isinstance(fmt, list) and fmt and all(isinstance(f, str) for f in fmt))):
        bad("dates", "dates: must be like  {format: \"%d/%m/%Y\"}")
    for flag in ("trim", "skip_blank_rows"):
        if not isinstance(mapping.get(flag, True), bool):
            bad(flag, f"{flag}: must be true or false")
    return plan, vmaps, problems


def _coerce_target(ftype: str, allowed: list[str], target: Any) -> tuple[bool, Any]:
    """A canonical value written in the mapping, typed; (False, None) when it is not valid."""
    if target is None:
        return True, None
    if ftype == "integer":
        if isinstance(target, bool) or not isinstance(target, int):
            if isinstance(target, str) and target.strip().isdigit():
                return True, int(target)
            return False, None
        return True, target
    if ftype == "number":
        if isinstance(target, bool) or not isinstance(target, int | float):
            return False, None
        return True, target
    if ftype == "boolean":
        return (True, target) if isinstance(target, bool) else (False, None)
    text = str(target)
    if allowed and text not in allowed:
        return False, None
    return True, text


def _date_formats(mapping: dict) -> tuple[str, ...]:
    fmt = (mapping.get("dates") or {}).get("format", DEFAULT_DATE_FORMATS) if isinstance(mapping.get("dates"), dict) else DEFAULT_DATE_FORMATS
    return (fmt,) if isinstance(fmt, str) else tuple(str(f) for f in fmt)


@dataclass
class _Sheet:
    """The export as rows of cells, with the spreadsheet row number of each."""

    rows: list[tuple[int, tuple]]
    epoch: dt.datetime = dt.datetime(1899, 12, 30)


def _read_xlsx(path: Path, sheet: str | None) -> tuple[_Sheet | None, str | None]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                return None, f"the workbook has no sheet '{sheet}' (it has: {', '.join(wb.sheetnames)})"
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        rows = []
        # Read-only worksheets yield empty tuples for missing rows, so enumerate gives the real row number.
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append((number, tuple(row)))
        return _Sheet(rows, wb.epoch), None
    finally:
        wb.close()


def _read_csv(path: Path) -> _Sheet:
    text = path.read_text(encoding="utf-8-sig")
    first = text.split("\n", 1)[0]
    # Spreadsheets saved as CSV with a European locale use semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _Sheet([(n, tuple(r)) for n, r in enumerate(reader, start=1)])


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(sheet: _Sheet, wanted: list[str]) -> tuple[int | None, dict[str, int], list[str]]:
    """(row number, heading → column index, headings) of the header row: the first row holding all wanted
    headings, else the one holding most (so missing ones can be reported against it)."""
    best: tuple[int, int | None, dict[str, int], list[str]] = (-1, None, {}, [])
    for number, row in sheet.rows[:HEADER_SEARCH_ROWS]:
        headings = [_norm(c) if not _blank(c) else "" for c in row]
        if not any(headings):
            continue
        index: dict[str, int] = {}
        for i, h in enumerate(headings):
            if h:
                index.setdefault(h.casefold(), i)
        found = sum(1 for w in wanted if w.casefold() in index)
        if found == len(wanted):
            return number, index, headings
        if found > best[0]:
            best = (found, number, index, headings)
    return best[1], best[2], best[3]


class _CellError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


def _show(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def _to_date(value: Any, formats: tuple[str, ...], epoch: dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _CellError(f"{value} is not a date")
    serial = None
    if isinstance(value, int | float):
        serial = value
    elif isinstance(value, str) and re.fullmatch(r"\d{5}(\.\d+)?", value.strip()):
        serial = float(value)
    if serial is not None:
        converted = from_excel(serial, epoch)
        day = converted.date() if isinstance(converted, dt.datetime) else None
        if day is None or not PLAUSIBLE_YEARS[0] <= day.year <= PLAUSIBLE_YEARS[1]:
            raise _CellError(f"{_show(value)} is a number, not a date", "format the column as dates in the case system or the spreadsheet")
        return day
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T][\d:.]+)?", text) else _strptime(text, formats)
    except ValueError:
        pass
    shown = " or ".join(dict.fromkeys([*(_example(f) for f in formats), "YYYY-MM-DD"]))
    hint = f"write dates as {shown}"
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m and int(m.group(2)) > 12 and int(m.group(1)) <= 12:
        hint = f"this looks like a US date (month first): did you mean {int(m.group(2)):02d}/{int(m.group(1)):02d}/{m.group(3)}? " + hint
    raise _CellError(f"{_show(value)} is not a date", hint)


def _strptime(text: str, formats: tuple[str, ...]) -> dt.date:
    for fmt in formats:
        # Case systems often add a time to a date ("03/04/2023 14:22"); the day is what counts.
        for suffix in ("", " %H:%M", " %H:%M:%S"):
            try:
                return dt.datetime.strptime(text, fmt + suffix).date()
            except ValueError:
                continue
    raise ValueError(text)


def _example(fmt: str) -> str:
    return fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY").replace("%y", "YY")


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _CellError(f"{value} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(float(text))
    raise _CellError(f"{_show(value)} is not a whole number", "use digits only, e.g. 0 or 10")


def _to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise _CellError(f"{value} is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value).strip().replace(",", "")
    text = text[1:] if text.startswith("£") else text
    try:
        number = float(text)
    except ValueError:
        raise _CellError(f"{_show(value)} is not a number", "use digits, e.g. 250 or 250.50") from None
    return int(number) if number.is_integer() and "." not in text else number


_TRUE = {"true", "yes", "y"}
_FALSE = {"false", "no", "n"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(f"{_show(value)} is not yes or no", "use Yes/No or true/false, or map the export's words under values:")


def _to_text(value: Any) -> str:
    # IDs typed as numbers in a spreadsheet come back as numbers: show them as written.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        raise _CellError(f"{_show(value)} is a date, not text", "check the column mapping")
    return str(value)


def _convert(kind: str, col: _Column, raw: Any, vmap: dict[str, Any] | None, formats: tuple[str, ...], epoch: dt.datetime) -> Any:
    """One export cell → canonical value, or _CellError saying why not."""
    allowed = schema.enum(kind, col.name)
    if vmap is not None and not isinstance(raw, dt.date | dt.datetime):
        hit = vmap.get(_key(raw), _MISSING)
        if hit is not _MISSING:
            return hit
    if allowed:
        text = _norm(_to_text(raw))
        if text in allowed:
            return text
        labels = {_key(lbl): v for v, lbl in schema.labels(kind, col.name).items()}
        if _key(text) in labels:
            return labels[_key(text)]
        raise _CellError(f"{_show(raw)} is not an allowed {col.name}", _allowed_hint(allowed, text))
    if vmap is not None and col.ftype == "string":
        text = _to_text(raw)
        if text in set(vmap.values()):
            return text
        raise _CellError(f"{_show(raw)} is not in the mapping's values for {col.name}",
                         f"add  \"{text}\": <{col.name}>  under values: {col.name}: in the mapping")
    try:
        if col.ftype == "date":
            return _to_date(raw, formats, epoch)
        if col.ftype == "integer":
            return _to_int(raw)
        if col.ftype == "number":
            return _to_number(raw)
        if col.ftype == "boolean":
            return _to_bool(raw)
        return _to_text(raw)
    except _CellError as exc:
        if vmap:  # the export uses words for this field: say which ones the mapping knows
            known = ", ".join(_norm(k) for k in list(vmap)[:10])
            raise _CellError(exc.message, f"{exc.hint}; or add it under values: {col.name}: in the mapping (it knows: {known})") from None
        raise


_MISSING = object()


def import_cases(kind: str, export: Path, mapping: dict, mapping_name: str = "mapping") -> ImportResult:
    """Convert a case-system export (.xlsx or .csv) into canonical rows of ``kind``.

    Problems: in the mapping (file = ``mapping_name``), a missing column (row = the header row), and
    every cell that cannot be converted (row = the spreadsheet row, field = the export's column
    heading). Rows are returned even when there are problems, so that callers can count them, but
    ``write_import`` refuses to write them.
    """
    if kind not in CASE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CASE_KINDS)}")
    export = Path(export)
    result = ImportResult(kind)
    plan, vmaps, problems = _check_mapping(kind, mapping, mapping_name)
    result.problems.extend(problems)
    if problems:
        return result
    suffix = export.suffix.lower()
    fname = export.name
    if suffix in (".xlsx", ".xlsm"):
        sheet, err = _read_xlsx(export, mapping.get("sheet"))
        if sheet is None:
            result.problems.append(Problem(fname, None, None, "sheet", err or "no sheet", "fix sheet: in the mapping"))
            return result
    elif suffix in (".csv", ".txt"):
        sheet = _read_csv(export)
    else:
        result.problems.append(Problem(fname, None, None, "format", f"cannot read {suffix or 'this'} files",
                                       "save the export as .xlsx or .csv"))
        return result

    wanted = [c.source for c in plan if c.source]
    header_row, index, headings = _find_header(sheet, wanted)
    if header_row is None:
        result.problems.append(Problem(fname, None, None, "empty", "the export has no header row", "export with column headings"))
        return result
    for col in plan:
        if col.source is None:
            continue
        if col.source.casefold() in index:
            col.index = index[col.source.casefold()]
        else:
            near = _closest(col.source, [h for h in headings if h])
            result.problems.append(Problem(
                fname, header_row, col.source, "missing-column",
                f"there is no column '{col.source}' (mapped to {col.name})",
                f"did you mean '{near}'? Fix columns: {col.name}: in the mapping" if near else "fix columns: in the mapping"))
    if result.problems:
        return result

    trim = mapping.get("trim", True)
    skip_blank = mapping.get("skip_blank_rows", True)
    formats = _date_formats(mapping)
    data = [(n, r) for n, r in sheet.rows if n > header_row]
    for number, row in progress(data, len(data), f"Importing {fname}"):
        cells = {}
        for col in plan:
            if col.index is None:
                continue
            raw = row[col.index] if col.index < len(row) else None
            if isinstance(raw, str) and trim:
                raw = raw.strip()
            cells[col.name] = raw
        if skip_blank and all(_blank(v) for v in cells.values()):
            continue
        out: dict[str, Any] = {}
        for col in plan:
            if col.index is None:
                out[col.name] = col.constant
                continue
            raw = cells[col.name]
            if _blank(raw):
                value = None
            else:
                try:
                    value = _convert(kind, col, raw, vmaps.get(col.name), formats, sheet.epoch)
                except _CellError as exc:
                    result.problems.append(Problem(fname, number, col.source, "unmapped", exc.message, exc.hint))
                    continue
            if value is None and col.required:
                result.problems.append(Problem(fname, number, col.source, "required", f"{col.source} is empty",
                                               f"every row needs {schema.field_title(kind, col.name).lower()}"))
            out[col.name] = value
        result.rows.append(out)
    return result


# ---------------------------------------------------------------------------------------------------
# Regulator of Social Housing: Tenant Satisfaction Measures full-data workbook

TSM_PUBLISHER = "Regulator of Social Housing"
TSM_LICENCE = schema.LICENCE["title"]
LOCAL_AUTHORITY = "LARP"
STOCK = "LCRA"  # low-cost rental accommodation: council tenants, as the council's own figures are
MARKERS = {
    "[X]": "left blank by the landlord",
    "[Z]": "not required",
    "[E]": "excluded by the regulator",
}
# Regulator's heading tail → our measure id, for the management-information sheet.
_CH_PART = re.compile(
    r"^(?P<stock>LCRA|LCHO|Combined)\s*[-–]\s*.*\((?P<measure>CH0[12])\s+(?P<stage>[12])"
    r"(?:\s+(?P<part>Numerator|Denominator))?\)\s*\d*$",
    re.IGNORECASE,
)
_TP09 = re.compile(r"^Proportion of respondents\b.*\(TP09\)\s*\d*$", re.IGNORECASE)
_STOCK_TAG = re.compile(r"\((LCRA|LCHO|Combined)\)", re.IGNORECASE)
_HEADER_SCAN_ROWS = 40
TSM_DECIMALS = 6
_ID_HEADINGS = {"name": "landlord name", "code": "landlord code", "type": "landlord type"}


@dataclass
class _Table:
    sheet: str
    header_row: int
    headings: list[str]
    rows: list[tuple[int, tuple]]  # (spreadsheet row, cells) for every row under the header
    ids: dict[str, int]  # name/code/type → column index


def _scan_header(ws) -> tuple[int, list[str]] | None:
    """The header row of a landlord table: the row with Landlord name, code and type headings."""
    for number, row in enumerate(ws.iter_rows(max_row=_HEADER_SCAN_ROWS, values_only=True), start=1):
        headings = [_norm(c) if c is not None else "" for c in row]
        folded = {h.casefold() for h in headings}
        if all(h in folded for h in _ID_HEADINGS.values()):
            return number, headings
    return None


def _table(ws, header_row: int, headings: list[str]) -> _Table:
    ids = {}
    for key, heading in _ID_HEADINGS.items():
        ids[key] = next(i for i, h in enumerate(headings) if h.casefold() == heading)
    rows = [(n, tuple(r)) for n, r in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1)]
    return _Table(ws.title, header_row, headings, rows, ids)


def _workbook_year(wb) -> tuple[str | None, list[str]]:
    """The reporting year the workbook says it is for, and what says so.

    Evidence: sheet names "TSM24_..." (the 2024 return covers 2023/24) and the text "1 April 2023 to
    31 March 2024" in the first rows of any sheet.
    """
    found: dict[str, list[str]] = {}
    for name in wb.sheetnames:
        m = re.match(r"TSM(\d{2})_", name)
        if m:
            end = 2000 + int(m.group(1))
            found.setdefault(f"{end - 1}/{end % 100:02d}", []).append(f"sheet {name}")
    for ws in wb.worksheets:
        for row in ws.iter_rows(max_row=10, max_col=3, values_only=True):
            for cell in row:
                if isinstance(cell, str):
                    m = re.search(r"1 April (\d{4}) to 31 March (\d{4})", cell)
                    if m and int(m.group(2)) == int(m.group(1)) + 1:
                        found.setdefault(f"{m.group(1)}/{m.group(2)[2:]}", []).append(f"the text in sheet {ws.title}")
    if len(found) == 1:
        year, evidence = next(iter(found.items()))
        return year, evidence
    return None, [f"{y} ({', '.join(e[:1])})" for y, e in found.items()]


def _tsm_number(cell: Any) -> tuple[float | int | None, str | None, bool]:
    """(number, marker, unreadable). A marker is one of MARKERS or "empty".

    Rates are rounded to TSM_DECIMALS places: the workbook holds them to binary precision (60.198019801980195),
    the regulator publishes one decimal place, and the numerator and denominator are kept exactly.
    """
    if isinstance(cell, bool):
        return None, None, True
    if isinstance(cell, int):
        return cell, None, False
    if isinstance(cell, float):
        return (int(cell) if cell.is_integer() else round(cell, TSM_DECIMALS)), None, False
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, "empty", False
    text = cell.strip().upper() if isinstance(cell, str) else ""
    if text in MARKERS:
        return None, text, False
    return None, None, True


def _blank_or(value: Any) -> str:
    return "blank" if value is None else _show(value)


def _marker_text(marker: str) -> str:
    return f"{marker} ({MARKERS[marker]})" if marker in MARKERS else "empty"


def import_tsm(workbook: Path, year: str | None = None) -> ImportResult:
    """Local-authority landlords' complaint measures from the regulator's TSM full-data workbook.

    One benchmarks row per landlord and measure: CH01_1, CH01_2, CH02_1, CH02_2 (LCRA, with numerator
    and denominator), TP09 (LCRA perception survey, where present) and homes (the CH01 stage 1
    denominator: LCRA homes owned at year end). A measure with no figures at all (markers only) has no
    row; a rate whose numerator or denominator is missing or zero is left empty (the regulator shows
    such rates as 0%, which is not a rate). Every such decision is in ``notes``.
    """
    workbook = Path(workbook)
    fname = workbook.name
    result = ImportResult("benchmarks")

    def problem(row: int | None, where: str | None, code: str, message: str, hint: str = "") -> None:
        result.problems.append(Problem(fname, row, where, code, message, hint))

    wb = load_workbook(workbook, read_only=True, data_only=True)
    try:
        # Year: the workbook's own word, checked against --year.
        found_year, evidence = _workbook_year(wb)
        if found_year is None and evidence:
            problem(None, None, "year", f"the workbook names more than one year: {'; '.join(evidence)}", "give --year")
        if year is not None:
            if not re.fullmatch(r"\d{4}/\d{2}", year):
                problem(None, None, "year", f"--year {year} is not a financial year", "write it like 2023/24")
            elif found_year and year != found_year:
                problem(None, None, "year", f"--year is {year} but the workbook is for {found_year} ({', '.join(evidence)})",
                        f"use the {year} workbook, or leave out --year")
        period = year or found_year
        if period is None:
            problem(None, None, "year", "cannot tell which year the workbook is for", "give --year, e.g. --year 2023/24")

        # Sheets, by their headings.
        mi: _Table | None = None
        perception: _Table | None = None
        for ws in wb.worksheets:
            scanned = _scan_header(ws)
            if scanned is None:
                continue
            header_row, headings = scanned
            if any(_CH_PART.match(h) for h in headings):
                if mi is not None:
                    problem(header_row, ws.title, "sheet", f"two sheets hold complaint measures: {mi.sheet} and {ws.title}")
                    continue
                mi = _table(ws, header_row, headings)
            elif any(_TP09.match(h) for h in headings):
                tags = {m.group(1).upper() for h in headings for m in [_STOCK_TAG.search(h)] if m}
                if tags == {STOCK}:
                    perception = _table(ws, header_row, headings)
        if mi is None:
            problem(None, None, "sheet", "no sheet has the landlords' complaint measures (headings with CH01 and CH02)",
                    "is this the regulator's TSM full-data workbook?")
            return result

        columns = _ch_columns(mi, problem)
        tp09_col = next((i for i, h in enumerate(perception.headings) if _TP09.match(h)), None) if perception else None
        if perception is None:
            result.notes.append("No LCRA perception sheet with TP09 was found: TP09 is not imported.")
        if columns is None or period is None:
            return result

        version = re.search(r"[_ ]v(\d+(?:\.\d+)*)", workbook.stem)
        source = f"{TSM_PUBLISHER}, Tenant Satisfaction Measures {period} full data" + (f" (v{version.group(1)})" if version else "")
        landlords = _landlords(mi, problem)
        tp09 = _landlords(perception, problem) if perception else {}
        measures = schema.enum("benchmarks", "measure")

        for code, (number, row) in progress(list(landlords.items()), len(landlords), f"Reading {mi.sheet}"):
            name = _norm(row[mi.ids["name"]])
            base = {"council": name, "code": code, "council_type": LOCAL_AUTHORITY, "period": period}
            who = f"{name} ({code}, {mi.sheet} row {number})"
            out: dict[str, dict] = {}
            for measure, parts in columns.items():
                got: dict[str, Any] = {}
                for part, col in parts.items():
                    value, marker, unreadable = _tsm_number(row[col] if col < len(row) else None)
                    if unreadable:
                        letter = get_column_letter(col + 1)
                        problem(number, f"{mi.sheet}!{letter}", "unreadable",
                                f"cell {letter}{number} ({mi.headings[col]}) for {name} is {_show(row[col])}, not a number",
                                "expected a number or one of the regulator's markers " + ", ".join(MARKERS))
                        got[part] = _MISSING
                        continue
                    if marker:
                        result.notes.append(f"{who}: {measure} {part} is {_marker_text(marker)}; left empty.")
                    got[part] = value
                if _MISSING in got.values():
                    continue
                if all(v is None for v in got.values()):
                    result.notes.append(f"{who}: no {measure} figures; no row.")
                    continue
                value, num, den = got.get("value"), got.get("numerator"), got.get("denominator")
                if value is not None and (num is None or den is None or den == 0):
                    result.notes.append(f"{who}: {measure} is published as {value} but its numerator or denominator is "
                                        f"missing or zero ({_blank_or(num)} / {_blank_or(den)}); the value is left empty.")
                    value = None
                out[measure] = {**base, "measure": measure, "value": value, "numerator": num, "denominator": den}
            homes = out.get("CH01_1", {}).get("denominator")
            if homes is not None:
                out["homes"] = {**base, "measure": "homes", "value": homes, "numerator": None, "denominator": None}
            if code in tp09 and tp09_col is not None:
                pnumber, prow = tp09[code]
                value, marker, unreadable = _tsm_number(prow[tp09_col] if tp09_col < len(prow) else None)
                letter = get_column_letter(tp09_col + 1)
                if unreadable:
                    problem(pnumber, f"{perception.sheet}!{letter}", "unreadable",
                            f"cell {letter}{pnumber} ({perception.headings[tp09_col]}) for {name} is {_show(prow[tp09_col])}, not a number",
                            "expected a number or one of the regulator's markers " + ", ".join(MARKERS))
                elif marker:
                    result.notes.append(f"{who}: TP09 is {_marker_text(marker)}; no row.")
                else:
                    out["TP09"] = {**base, "measure": "TP09", "value": value, "numerator": None, "denominator": None}
            elif perception is not None:
                result.notes.append(f"{who}: not in {perception.sheet}; no TP09.")
            for measure in measures:
                if measure in out:
                    result.rows.append({**out[measure], "source": source, "licence": TSM_LICENCE})
        for code in tp09.keys() - landlords.keys():
            result.notes.append(f"{_norm(tp09[code][1][perception.ids['name']])} ({code}) is in {perception.sheet} but has no "
                                f"management information in {mi.sheet}: not imported.")
    finally:
        wb.close()
    return result


def _ch_columns(mi: _Table, problem) -> dict[str, dict[str, int]] | None:
    """measure → {value|numerator|denominator → column index}, for the LCRA figures; None if any is missing."""
    columns: dict[str, dict[str, int]] = {}
    for i, heading in enumerate(mi.headings):
        m = _CH_PART.match(heading)
        if not m or m.group("stock").upper() != STOCK:
            continue
        measure = f"{m.group('measure').upper()}_{m.group('stage')}"
        part = (m.group("part") or "value").lower()
        if part in columns.get(measure, {}):
            problem(mi.header_row, f"{mi.sheet}!{get_column_letter(i + 1)}", "duplicate-column",
                    f"two columns are headed like '{heading}'", "cannot tell which to read")
            return None
        columns.setdefault(measure, {})[part] = i
    missing = [f"{STOCK} {m} {p}" for m in ("CH01_1", "CH02_1", "CH01_2", "CH02_2") for p in ("value", "numerator", "denominator")
               if p not in columns.get(m, {})]
    if missing:
        problem(mi.header_row, mi.sheet, "missing-column", f"no column for {', '.join(missing)}",
                "the regulator may have renamed the headings; check the header row")
        return None
    return {m: columns[m] for m in ("CH01_1", "CH02_1", "CH01_2", "CH02_2")}


def _landlords(table: _Table, problem) -> dict[str, tuple[int, tuple]]:
    """Local-authority landlords' rows by code. The table ends at the first row with no code and no
    type: what follows is the regulator's notes, which must not be read as landlords."""
    out: dict[str, tuple[int, tuple]] = {}
    ids = table.ids
    end = None
    for pos, (number, row) in enumerate(table.rows):
        def cell(key: str, row=row) -> Any:
            i = ids[key]
            return row[i] if i < len(row) else None

        code, ltype, name = cell("code"), cell("type"), cell("name")
        if _blank(code) and _blank(ltype):
            end = pos
            break
        if _blank(code) or _blank(ltype) or _blank(name):
            missing = [k for k in ("name", "code", "type") if _blank(cell(k))]
            col = get_column_letter(ids[missing[0]] + 1)
            problem(number, f"{table.sheet}!{col}", "incomplete-row", f"row {number} has no landlord {', '.join(missing)}")
            continue
        if _norm(ltype).upper() != LOCAL_AUTHORITY:
            continue
        code = _norm(code)
        if code in out:
            problem(number, f"{table.sheet}!{get_column_letter(ids['code'] + 1)}", "duplicate",
                    f"landlord code {code} appears twice (rows {out[code][0]} and {number})")
            continue
        out[code] = (number, row)
    if end is not None:
        for number, row in table.rows[end + 1:]:
            i, j = ids["code"], ids["type"]
            code = row[i] if i < len(row) else None
            ltype = row[j] if j < len(row) else None
            if not _blank(code) and not _blank(ltype):
                problem(number, table.sheet, "after-end",
                        f"row {number} looks like a landlord but comes after the blank row that ends the table",
                        "remove the blank row, or the row")
                break
    return out


def write_benchmarks(result: ImportResult, datasets: Path) -> Path:
    """Write datasets/benchmarks.csv and list the benchmarks resource in datapackage.yaml if it is not
    listed yet. Only the resource is added; the rest of datapackage.yaml is kept as it is, byte for byte."""
    if result.problems:
        raise ValueError(f"{len(result.problems)} problem(s) in the import: nothing written")
    datasets = Path(datasets)
    res = schema.package_resource("benchmarks")
    out = datasets / res["path"]
    _write_atomic(out, result.text())
    package = datasets / "datapackage.yaml"
    text = package.read_text(encoding="utf-8") if package.exists() else ""
    added = _add_resource(text, res)
    if added != text:
        _write_atomic(package, added)
    return out


def _add_resource(text: str, res: dict) -> str:
    """datapackage.yaml text with ``res`` appended to its resources list (unchanged if already listed)."""
    data = yaml.safe_load(text) if text.strip() else {}
    data = data if isinstance(data, dict) else {}
    resources = data.get("resources") or []
    if any(isinstance(r, dict) and r.get("name") == res["name"] for r in resources):
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, ln in enumerate(lines) if re.match(r"resources\s*:", ln)), None)
    if start is None or re.match(r"resources\s*:\s*\[\s*\]\s*$", lines[start]):
        # No resources block yet (or an empty flow list): write one at the end.
        if start is not None:
            del lines[start]
        block = yaml.safe_dump({"resources": [res]}, sort_keys=False, allow_unicode=True, width=10_000)
        return "".join(lines) + block
    # Find the block's end and the indentation its list items use.
    end = len(lines)
    indent = None
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        lead = len(ln) - len(ln.lstrip(" "))
        if lead == 0 and not ln.startswith("-"):
            end = i
            break
        if indent is None and ln.lstrip().startswith("- "):
            indent = lead
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep blank lines between blocks where they were
    item = yaml.safe_dump([res], sort_keys=False, allow_unicode=True, width=10_000)
    pad = " " * (indent or 0)
    item = "".join(pad + ln if ln.strip() else ln for ln in item.splitlines(keepends=True))
    new = "".join(lines[:end]) + item + "".join(lines[end:])
    check = yaml.safe_load(new)
    if [r.get("name") for r in check.get("resources", [])] != [r.get("name") for r in resources] + [res["name"]]:
        raise ValueError("could not add the benchmarks resource to datapackage.yaml safely; add it by hand")
    return new
