"""Personal-data guard: published text must not name or contact a person.

Every published text value — CSV string cells that are not codes, and every text in the YAML files
at any depth — is scanned for email addresses, UK phone numbers, UK postcodes, National Insurance
numbers and a title followed by a surname ("Mrs Patel"). A hit is a Problem (code ``personal-data``)
naming the cell, with the value masked so that the report itself does not spread it.

The council's own published contact details (council.yaml ``contact``, ``accessibility.contact_email``
and ``allowed_personal_data``) and the ombudsmen's phone numbers in policy.yaml are let through.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import schema
from .validate import Problem, _path_text

CODE = "personal-data"

_PATTERNS = {
    "email": r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b",
    # National Insurance: two letters (not D, F, I, Q, U, V; second not O), six digits, A–D.
    "ni_number": r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    # A phone-like run starting 0 or +44; the digit count is checked afterwards.
    "phone": r"(?<![\w+])(?:\+ ?44 ?(?:\(0\) ?)?|\(?0)\d[\d \-()]{7,16}\d(?!\d)",
    # Postcodes: upper case with or without the space, or any case with the space.
    "postcode": r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b"
                r"|(?i:\b[a-pr-uwyz][a-hk-y]?\d[a-z\d]? \d[abd-hjlnp-uw-z]{2}\b)",
    "name": r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Lady)\.? +[A-Z][A-Za-z'’\-]+",
}
_FIND = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _PATTERNS.items()))

# A quick superset of the patterns above, for whole columns: substring tests run in C, and one simple
# expression covers the digit-based kinds. A column it passes has no personal data; one it flags is
# scanned cell by cell.
_TITLES = ("Mr", "Ms", "Mx", "Dr", "Miss", "Prof", "Sir", "Lady")
_DIGIT_KINDS = (  # phone (+44, 0…), National Insurance number, postcode; apart, as one alternation is slower
    re.compile(r"\+ ?44"),
    re.compile(r"(?<!\d)\(?0\d[\d \-()]{7,}"),
    re.compile(r"[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]\b"),
    re.compile(r"\d[A-Za-z]{2}\b"),
)


def might_contain_personal_data(text: str) -> bool:
    return "@" in text or any(t in text for t in _TITLES) or any(p.search(text) for p in _DIGIT_KINDS)


_KIND_WORDS = {
    "email": "an email address",
    "phone": "a phone number",
    "postcode": "a postcode",
    "ni_number": "a National Insurance number",
    "name": "a person's name",
}
# Capitalised words that follow "Dr", "Miss" and the like without being a surname.
_NOT_NAMES = {"The", "A", "An", "And", "Or", "Of", "In", "On", "To", "For", "With", "At", "By"}
_ORDINAL = re.compile(r"^\d(st|nd|rd|th)$", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    kind: str  # email, phone, postcode, ni_number, name
    text: str  # as written

    @property
    def key(self) -> str:
        return normalise(self.kind, self.text)

    @property
    def masked(self) -> str:
        return mask(self.kind, self.text)

    @property
    def description(self) -> str:
        return f"{_KIND_WORDS[self.kind]} ({self.masked})"


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("+"):
        digits = digits[2:]  # country code 44
        if "(0)" in text:
            digits = digits[1:]
        digits = "0" + digits
    return digits


def normalise(kind: str, text: str) -> str:
    """A form that compares equal however it was spaced or cased."""
    if kind == "email":
        return text.strip().lower()
    if kind == "phone":
        return _phone_digits(text)
    if kind in ("postcode", "ni_number"):
        return re.sub(r"\s", "", text).upper()
    return " ".join(text.split())


def mask(kind: str, text: str) -> str:
    """Enough to find the value in the file, not enough to learn it from the report."""
    if kind == "email":
        return f"{text[:1]}***@…"
    if kind == "phone":
        digits = _phone_digits(text)
        return f"{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"
    if kind == "postcode":
        return f"{text[:1]}** ***"
    if kind == "ni_number":
        return f"{text[:1]}********"
    title, _, rest = text.partition(" ")
    rest = rest.strip()
    return f"{title} {rest[:1]}{'*' * max(len(rest) - 1, 3)}"


def _valid(kind: str, text: str) -> bool:
    if kind == "phone":
        digits = _phone_digits(text)
        return len(digits) in (10, 11) and digits[0] == "0" and digits[1] in "1237"
    if kind == "postcode":
        inward = text.replace(" ", "")[-3:]
        return not _ORDINAL.match(inward)
    if kind == "name":
        surname = text.split()[-1]
        return surname not in _NOT_NAMES
    return True


def find_personal_data(text: str, allowed: Iterable[str] = ()) -> list[Hit]:
    """The personal data in ``text`` that is not in ``allowed`` (raw contact details, any spacing)."""
    if not text or not isinstance(text, str):
        return []
    hits = []
    allowed_keys, allowed_raw = _allowed_index(allowed)
    for m in _FIND.finditer(text):
        kind = m.lastgroup
        found = m.group().strip()
        if not _valid(kind, found):
            continue
        if (kind, normalise(kind, found)) in allowed_keys or any(found in raw for raw in allowed_raw):
            continue
        hits.append(Hit(kind, found))
    return hits


def _allowed_index(allowed: Iterable[str]) -> tuple[set[tuple[str, str]], tuple[str, ...]]:
    """Normalised (kind, value) pairs found in the allowed strings, and the strings themselves."""
    if isinstance(allowed, _Allowed):
        return allowed.keys, allowed.raw
    return _Allowed(allowed).keys, tuple(allowed)


class _Allowed:
    """Allowed contact details, indexed once (the scan looks them up for every hit)."""

    def __init__(self, raw: Iterable[str]):
        self.raw = tuple(r for r in raw if isinstance(r, str) and r.strip())
        self.keys: set[tuple[str, str]] = set()
        for r in self.raw:
            for m in _FIND.finditer(r):
                self.keys.add((m.lastgroup, normalise(m.lastgroup, m.group().strip())))
            for kind in ("email", "phone", "postcode"):
                self.keys.add((kind, normalise(kind, r)))

    def __iter__(self):
        return iter(self.raw)


def allowed_from_council(council: Any, policy: Any = None, extra: Iterable[str] = ()) -> _Allowed:
    """The council's own published contact details (and the ombudsmen's phone numbers in the policy)."""
    raw: list[str] = list(extra)
    if isinstance(council, dict):
        contact = council.get("contact")
        if isinstance(contact, dict):
            # The contact details themselves; not opening_hours, which is free text like any other.
            raw += [v for k, v in contact.items() if k in ("phone", "email", "address", "text_relay") and isinstance(v, str)]
        access = council.get("accessibility")
        if isinstance(access, dict) and isinstance(access.get("contact_email"), str):
            raw.append(access["contact_email"])
        more = council.get("allowed_personal_data")
        if isinstance(more, list):
            raw += [str(v) for v in more if v is not None]
    if isinstance(policy, dict) and isinstance(policy.get("escalation"), list):
        for route in policy["escalation"]:
            if isinstance(route, dict) and isinstance(route.get("phone"), str):
                raw.append(route["phone"])
    return _Allowed(raw)


def contact_details_in(text: str) -> list[str]:
    """Every email, phone number and postcode written in ``text`` (council.yaml that cannot be parsed)."""
    return [m.group().strip() for m in _FIND.finditer(text) if m.lastgroup in ("email", "phone", "postcode")]


@cache
def text_fields(resource: str) -> list[str]:
    """The published text columns of a table: strings that are not codes from a list and not
    references to another table (those are checked where they are defined)."""
    res = schema.resource(resource)
    refs = set()
    for fk in res["schema"].get("foreignKeys") or []:
        refs.update(fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]])
    out = []
    for f in res["schema"]["fields"]:
        if f.get("type", "string") != "string" or f["name"] in refs:
            continue
        if (f.get("constraints") or {}).get("enum") or f.get("categories"):
            continue
        out.append(f["name"])
    return out


def _problem(file: str, row: int | None, field: str | None, hit: Hit) -> Problem:
    where = f"{field} contains" if field else "this contains"
    return Problem(file, row, field, CODE, f"{where} {hit.description}: personal data must not be published",
                   "remove it or rewrite the text without it; if it is the council's own contact detail, "
                   "add it to allowed_personal_data in council.yaml")


def scan_cells(file: str, cells: Iterable[tuple[int | None, str, Any]], allowed: Iterable[str] = ()) -> list[Problem]:
    """Problems for (row, field, value) cells; values that are not text are skipped."""
    allowed = allowed if isinstance(allowed, _Allowed) else _Allowed(allowed)
    problems = []
    for row, field, value in cells:
        if isinstance(value, str) and value:
            for hit in find_personal_data(value, allowed):
                problems.append(_problem(file, row, field, hit))
    return problems


def scan_column(file: str, field: str, values: list[Any], rows: list[int], allowed: Iterable[str] = ()) -> list[Problem]:
    """Problems in one column (``rows`` are the spreadsheet rows of ``values``). The whole column is
    searched at once first: on clean data that is a single regular-expression pass in C."""
    texts = [v if isinstance(v, str) else "" for v in values]
    # Joined by newlines: no pattern matches across one, so a hit in the join is a hit in a cell.
    if not might_contain_personal_data("\n".join(texts)):
        return []
    return scan_cells(file, ((n, field, v) for n, v in zip(rows, texts, strict=True) if v and _FIND.search(v)), allowed)


def scan_yaml(file: str, node: Any, allowed: Iterable[str] = (), path: tuple = ()) -> list[Problem]:
    """Problems for every text value in a YAML node tree (keys are names, not published text)."""
    allowed = allowed if isinstance(allowed, _Allowed) else _Allowed(allowed)
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else "?"
            problems += scan_yaml(file, v, allowed, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += scan_yaml(file, item, allowed, (*path, i))
    elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        for hit in find_personal_data(node.value, allowed):
            problems.append(_problem(file, node.start_mark.line + 1, _path_text(path), hit))
    return problems


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it


def _read_yaml(path: Path) -> tuple[Any, Any]:
    """(node tree, data) of a YAML file, or (None, None) when it is missing or unreadable."""
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        return yaml.compose(text, Loader=_Loader), yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None, None  # validation reports unreadable YAML


def scan_personal_data(data_or_root: Any, allowed: Iterable[str] | None = None) -> list[Problem]:
    """Scan a datasets folder (or a loaded Data, via its root) on its own, reading the files here.

    ``allowed`` adds to the council's own contact details from council.yaml.
    """
    # A loaded Data carries its folder as .root (a Path's own .root is "/", hence the order).
    root = Path(data_or_root) if isinstance(data_or_root, (str, Path)) else Path(data_or_root.root)
    nodes = {f: _read_yaml(root / f) for f in schema.YAML_FILES.values()}
    council, policy = nodes["council.yaml"][1], nodes["policy.yaml"][1]
    ok = allowed_from_council(council, policy, allowed or ())
    problems: list[Problem] = []
    paths = {n: schema.resource(n)["path"] for n in schema.RESOURCE_NAMES}
    _, data = _read_yaml(root / "datapackage.yaml")
    if data is not None:
        if isinstance(data, dict) and isinstance(data.get("resources"), list):
            for r in data["resources"]:
                if isinstance(r, dict) and r.get("name") in paths and isinstance(r.get("path"), str):
                    paths[r["name"]] = r["path"]
    for name, rel in paths.items():
        path = root / rel
        fields = text_fields(name)
        if not fields or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            header = [h.strip() for h in next(reader, [])]
            cols = [(header.index(f), f) for f in fields if f in header]
            cells = [(n, f, rec[i].strip()) for n, rec in enumerate(reader, start=2) for i, f in cols if i < len(rec)]
        except csv.Error:
            continue  # validation reports a file that is not CSV
        problems += scan_cells(rel, cells, ok)
    for filename, (node, _) in nodes.items():
        if node is not None:
            problems += scan_yaml(filename, node, ok)
    return problems
