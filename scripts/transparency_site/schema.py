"""The data contract, declared once.

The Table Schemas in ``schemas/<resource>.yaml`` and the JSON Schemas in ``schemas/<file>.schema.yaml``
are the single source of field names, titles, descriptions, units and allowed values. Everything
that shows a label (tables, chart axes, data dictionaries, error messages) asks this module.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

import yaml

LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
LICENCE_ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."

# Order matters: referenced resources come before the ones that refer to them.
RESOURCE_NAMES = (
    "services",
    "complaints",
    "compliments",
    "ombudsman_cases",
    "contacts",
    "calls",
    "satisfaction",
    "standard_results",
    "improvements",
    "benchmarks",
)
YAML_FILES = {
    "council": "council.yaml",
    "policy": "policy.yaml",
    "standards": "standards.yaml",
    "self_assessment": "self_assessment.yaml",
    "releases": "releases.yaml",
}
REQUIRED_YAML = ("council", "policy")


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files(__package__).joinpath("schemas", name).read_text("utf-8"))


@cache
def _resource(name: str) -> dict:
    res = _read(f"{name}.yaml")
    # Allowed values are declared once, as Table Schema `categories` (value + label); the `enum`
    # constraint that validators check is derived from them.
    for f in res["schema"]["fields"]:
        if "categories" in f:
            f.setdefault("constraints", {})["enum"] = [c["value"] for c in f["categories"]]
    return res


def resource(name: str) -> dict:
    """The canonical resource descriptor (a copy: callers may change it)."""
    return copy.deepcopy(_resource(name))


def is_required(name: str) -> bool:
    return bool(_resource(name).get("required"))


def fields(name: str) -> list[dict]:
    return _resource(name)["schema"]["fields"]


def field_names(name: str) -> list[str]:
    return [f["name"] for f in fields(name)]


def field(name: str, field_name: str) -> dict:
    for f in fields(name):
        if f["name"] == field_name:
            return f
    raise KeyError(f"{name} has no field {field_name}")


def field_title(name: str, field_name: str) -> str:
    return field(name, field_name).get("title", field_name)


def enum(name: str, field_name: str) -> list[str]:
    return list(field(name, field_name).get("constraints", {}).get("enum", []))


def label(name: str, field_name: str, value: str | None) -> str:
    """The display label of an allowed value ("partly_upheld" → "Partly upheld")."""
    if value is None:
        return ""
    for c in field(name, field_name).get("categories", []):
        if c["value"] == value:
            return c["label"]
    return str(value)


def labels(name: str, field_name: str) -> dict[str, str]:
    return {c["value"]: c["label"] for c in field(name, field_name).get("categories", [])}


@cache
def yaml_schema(kind: str) -> dict:
    """The JSON Schema for one of the YAML files (council, policy, standards, ...)."""
    return _read(f"{kind}.schema.yaml")


def package_resource(name: str) -> dict:
    """A resource as it stands in datapackage.yaml: our bookkeeping keys removed."""
    res = resource(name)
    res.pop("required", None)
    res["profile"] = "tabular-data-resource"
    res["format"] = "csv"
    res["mediatype"] = "text/csv"
    res["encoding"] = "utf-8"
    return res


def build_package(council: dict, present: list[str]) -> dict:
    """The data package descriptor for the resources that are present, in contract order."""
    return {
        "name": slug(council["short_name"]) + "-complaints",
        "title": f"{council['name']}: complaints, compliments and customer contact",
        "description": (
            f"Open data about complaints to {council['name']}, how they were handled, compliments, "
            "ombudsman decisions, customer contact and service standards. No personal data."
        ),
        "homepage": council["site_url"],
        "licenses": [dict(LICENCE)],
        "contributors": [{"title": council["name"], "role": "publisher", "path": council["website"]}],
        "resources": [package_resource(n) for n in RESOURCE_NAMES if n in present],
    }


def slug(text: str) -> str:
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(p for p in "".join(out).split("-") if p)
