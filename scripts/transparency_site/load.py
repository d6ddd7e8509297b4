"""Stage 1: datasets/ → typed records. The one loading path; it never transforms.

Loading assumes the datasets have passed validation (validate.py reads the raw files itself so that it
can report problems that would stop a loader). Types come from the Table Schemas in schema.py.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import schema


class _StringDateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML loader that keeps dates as written (YYYY-MM-DD strings): the JSON Schemas check them.

    The C parser when PyYAML has it (ten times faster on the policy and council files, which matters
    on every rebuild); the resolvers below are Python either way.
    """


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8-sig") as fh:
        return yaml.load(fh, Loader=_StringDateLoader)  # noqa: S506 - a SafeLoader subclass


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


_CONVERT = {
    "integer": int,
    "number": float,
    "date": _date,
    "boolean": _bool,
}


def converters(resource: str) -> dict[str, Any]:
    """Field name → function turning a non-empty cell into its typed value."""
    return {f["name"]: _CONVERT.get(f["type"], str) for f in schema.fields(resource)}


def read_table(path: Path, resource: str) -> list[dict]:
    """Typed rows of one CSV; empty cells are None. Columns not in the schema are dropped."""
    conv = converters(resource)
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for raw in csv.DictReader(fh):
            rows.append({name: (fn(raw[name].strip()) if raw.get(name, "").strip() else None) for name, fn in conv.items()})
    return rows


@dataclass(frozen=True)
class Data:
    """Everything in datasets/, typed. Optional tables that are absent are missing from ``tables``."""

    root: Path
    council: dict
    policy: dict
    tables: dict[str, list[dict]]
    standards: list = field(default_factory=list)
    self_assessment: list = field(default_factory=list)
    releases: list = field(default_factory=list)
    package: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def data_as_of(self) -> dt.date:
        return _date(str(self.council["data_as_of"]))

    @property
    def threshold(self) -> int:
        return int(self.council.get("disclosure_threshold", 5))

    @property
    def is_landlord(self) -> bool:
        return any(s["is_landlord_service"] for s in self.tables.get("services", []))

    def has(self, resource: str) -> bool:
        return resource in self.tables

    def table(self, resource: str) -> list[dict]:
        return self.tables.get(resource, [])


def package_resources(root: Path) -> dict[str, str]:
    """Resource name → CSV path as listed in datapackage.yaml."""
    pkg = read_yaml(root / "datapackage.yaml") or {}
    return {r["name"]: r["path"] for r in pkg.get("resources", []) if isinstance(r, dict) and "name" in r}


def load(root: Path | str) -> Data:
    root = Path(root)
    package = read_yaml(root / "datapackage.yaml") or {}
    listed = package_resources(root)
    tables = {}
    for name in schema.RESOURCE_NAMES:
        if name in listed and (root / listed[name]).exists():
            tables[name] = read_table(root / listed[name], name)
    yamls = {}
    for kind, filename in schema.YAML_FILES.items():
        path = root / filename
        yamls[kind] = read_yaml(path) if path.exists() else None
    return Data(
        root=root,
        council=yamls["council"],
        policy=yamls["policy"],
        tables=tables,
        standards=yamls["standards"] or [],
        self_assessment=yamls["self_assessment"] or [],
        releases=yamls["releases"] or [],
        package=package,
    )
