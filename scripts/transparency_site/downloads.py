"""Stage: open data. Published figures and data → downloads, data dictionaries, JSON-LD, editions.

Everything here is produced in memory: ``files(bundle)`` returns site path → bytes (the plugin adds
them as MkDocs generated files, so links to them are checked in strict mode) and ``pages(bundle)``
returns the Open data, data dictionary, Editions and Revisions pages. ``release()`` freezes the
current figures and data into datasets/releases/<date>/ (the `transparency-site release` command).

Decisions, documented for users on the Open data page and in the schemas below:
- a suppressed figure keeps its row in the downloads, with value, numerator and denominator empty
  (JSON null) and status "suppressed"; value stays a number column so the package validates and
  spreadsheets sort it as numbers;
- text cells a spreadsheet would run as a formula (= + - @ tab CR) get a leading apostrophe; only
  text fields are touched, so negative numbers stay numbers;
- one edition per day: an edition's date is its stable URL (editions/<date>/), so a second release
  on the same date is refused rather than silently replacing files people may have cited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

import yaml
from markupsafe import Markup

from . import fmt, schema
from .figures import FIGURE_COLUMNS, figure_id
from .pages import Page, h, html_table, render, uk_date

SECTION = "Open data"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RELEASES_DIR = "releases"
# Files of an edition's archive (besides release.yaml): what a citation of that edition can point to.
ARCHIVED = ("figures.csv",)


class ReleaseError(Exception):
    """A release that cannot be made; the message says why, in plain English."""


class DownloadError(Exception):
    """The downloads cannot be made consistent with the site (for example a figure without a permalink)."""


# ---- the schemas of the derived tables, declared once --------------------------------------------

_ROW_FIELDS = [
    {"name": "measure", "title": "Measure ID", "type": "string", "constraints": {"required": True},
     "description": "The measure's identifier. Its definition and method are on the Methodology page."},
    {"name": "period", "title": "Period", "type": "string", "constraints": {"required": True},
     "description": "A financial year (2022/23, April to March), a quarter (Q3 2023/24) or a month (2023-04)."},
    {"name": "dimension", "title": "Broken down by", "type": "string",
     "description": "What the figure is broken down by (for example service, channel or stage). Empty for a total."},
    {"name": "dimension_value", "title": "Breakdown value", "type": "string",
     "description": "The value of the breakdown (for example a service_id from services.csv). Empty for a total."},
    {"name": "value", "title": "Value", "type": "number",
     "description": "The figure, in the measure's unit. Empty when status is suppressed (a small number, or one that "
                    "would let a small number be worked out) or when there is no data for the period."},
    {"name": "numerator", "title": "Numerator", "type": "number",
     "description": "For a rate or percentage: the number counted. Empty otherwise, and when suppressed."},
    {"name": "denominator", "title": "Denominator", "type": "number",
     "description": "For a rate, percentage or median: the number it is out of. Empty otherwise, and when suppressed."},
    {"name": "status", "title": "Status", "type": "string", "constraints": {"required": True},
     "description": "complete: a whole period; year_to_date: the year still running at the data date, not a full year; "
                    "suppressed: withheld to protect privacy (shown as [c] on the site); no_data: nothing to count."},
]
MEASURE_COLUMNS = [f["name"] for f in _ROW_FIELDS]


def measure_schema() -> dict:
    return {"fields": [dict(f) for f in _ROW_FIELDS]}


def figures_schema() -> dict:
    from .measures import UNITS

    extra = {
        "figure_id": {"name": "figure_id", "title": "Figure ID", "type": "string", "constraints": {"required": True, "unique": True},
                      "description": "The figure's permanent identifier. It depends only on measure, period and breakdown, "
                                     "never on the number, so links keep working when figures are revised."},
        "unit": {"name": "unit", "title": "Unit", "type": "string", "constraints": {"required": True, "enum": list(UNITS)},
                 "description": "count, percent, per_1000 (rate per 1,000), working_days, seconds, gbp (pounds), ratio or standard."},
        "url": {"name": "url", "title": "Permalink", "type": "string", "format": "uri", "constraints": {"required": True},
                "description": "The web address of the figure on this site."},
    }
    by_name = {f["name"]: f for f in _ROW_FIELDS}
    return {"fields": [dict(extra.get(c) or by_name[c]) for c in FIGURE_COLUMNS], "primaryKey": ["figure_id"]}


# ---- cells ----------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value: object, ftype: str) -> str:
    return _converter(ftype)(value)


def _text_cell(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _other_cell(value: object) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # A typed field can hold the withheld marker or other text: never let text run as a formula.
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def _converter(ftype: str):
    """One function per column, chosen once: the large files have millions of cells."""
    return _text_cell if ftype == "string" else _other_cell


def to_csv(fields: list[dict], rows: Iterable[dict]) -> bytes:
    """Rows → CSV text by Table Schema field (UTF-8, header row, CRLF as RFC 4180)."""
    out = io.StringIO()
    w = csv.writer(out)
    names = [f["name"] for f in fields]
    convs = [_converter(f.get("type", "string")) for f in fields]
    cols = list(zip(names, convs, strict=True))
    w.writerow(names)
    w.writerows([conv(r.get(n)) for n, conv in cols] for r in rows)
    return out.getvalue().encode("utf-8")


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_json(columns: list[str], rows: Iterable[dict]) -> bytes:
    """Rows → a JSON array of objects, one object a line (diff-friendly, deterministic)."""
    lines = [json.dumps({c: _json_value(_as_text(c, r.get(c))) for c in columns}, ensure_ascii=False, separators=(",", ":"))
             for r in rows]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")


def _as_text(column: str, value: object) -> object:
    # Breakdown values are declared as text (a stage number is still a label, not an amount).
    return str(value) if column == "dimension_value" and value is not None else value


# ---- the published source data --------------------------------------------------------------------


def published_tables(data) -> dict[str, list[dict]]:
    """The source tables as published: record-level disclosure control applied (disclosure.py).

    Files are done in contract order, so a file that refers to another (ombudsman cases → complaints)
    knows which of that file's records had values withheld.
    """
    from . import disclosure

    tables = dict(data.tables)
    masked: dict[str, set[str]] = {}
    for name in schema.RESOURCE_NAMES:
        if name not in tables or name not in disclosure.DEFAULT_QUASI_IDENTIFIERS:
            continue
        linked = {}
        for fk in schema.resource(name)["schema"].get("foreignKeys") or []:
            ref = fk["reference"].get("resource") or name
            flds = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            if ref != name and ref in masked and len(flds) == 1:
                linked[flds[0]] = masked[ref]
        tables[name] = disclosure.suppress_records(tables[name], name, data.threshold, linked_masked=linked or None)
        masked[name] = disclosure.masked_ids(tables[name], name)
    return tables


WITHHELD_LABEL = "Withheld to protect privacy"


def published_resource(data, name: str, rows: list[dict] | None = None) -> dict:
    """The descriptor of a published CSV: the canonical one without the council's private fields, and
    accepting the withheld marker [c] in the fields where disclosure control put it."""
    from .disclosure import SYMBOL

    private = set((data.council.get("private_fields") or {}).get(name) or [])
    res = schema.package_resource(name)
    s = res["schema"]
    s["fields"] = [f for f in s["fields"] if f["name"] not in private]
    withheld = {k for r in rows or [] for k, v in r.items() if v == SYMBOL}
    for f in s["fields"]:
        if f["name"] not in withheld:
            continue
        f["type"] = "string"
        f.pop("format", None)
        c = f.get("constraints") or {}
        if "enum" in c:
            c["enum"] = [*c["enum"], SYMBOL]
        if "categories" in f:
            f["categories"] = [*f["categories"], {"value": SYMBOL, "label": WITHHELD_LABEL}]
        for k in ("pattern", "minLength", "maxLength", "minimum", "maximum"):
            c.pop(k, None)
        f["description"] = (f.get("description", "") + f" {SYMBOL} means the value is withheld to protect privacy.").strip()

    def keep(flds) -> bool:
        flds = set([flds] if isinstance(flds, str) else flds)
        # A withheld value cannot point at a row of the other file, so that link is not declared.
        return not (flds & private or flds & withheld)

    if s.get("primaryKey") and not keep(s["primaryKey"]):
        s.pop("primaryKey")
    if s.get("foreignKeys"):
        s["foreignKeys"] = [fk for fk in s["foreignKeys"] if keep(fk["fields"])]
        if not s["foreignKeys"]:
            s.pop("foreignKeys")
    return res


# ---- files ------------------------------------------------------------------------------------------


def zip_name(data) -> str:
    return f"{schema.slug(data.council['short_name'])}-complaints-data.zip"


def measure_rows(rows: list[dict]) -> dict[str, list[dict]]:
    """ctx.rows grouped by measure, in the order computed (one pass: large builds stay linear)."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["measure"], []).append(r)
    return out


def figure_rows(ctx) -> list[dict]:
    """Every published figure with its unit and absolute permalink. A figure without a page is an error."""
    from .measures import MEASURES

    out, missing = [], []
    for r in ctx.rows:
        fid = figure_id(r["measure"], r["period"], r["dimension_value"])
        url = ctx.registry.url(fid, absolute=True)
        if url is None:
            missing.append(fid)
            continue
        out.append({**r, "figure_id": fid, "unit": MEASURES[r["measure"]].unit, "url": url})
    if missing:
        raise DownloadError(f"{len(missing)} figure(s) have no page to link to, so figures.csv cannot give their permalink: "
                            + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""))
    return out


def data_files(bundle) -> tuple[dict[str, bytes], dict]:
    """data/ (without the zip): path inside data/ → bytes, and the data package descriptor."""
    data, ctx = bundle.data, bundle.ctx
    from .measures import MEASURES

    out: dict[str, bytes] = {}
    resources = []
    tables = published_tables(data)
    for name in schema.RESOURCE_NAMES:
        if name not in tables:
            continue
        res = published_resource(data, name, tables[name])
        res["path"] = f"{name}.csv"
        out[res["path"]] = to_csv(res["schema"]["fields"], tables[name])
        resources.append(res)
    figs = figure_rows(ctx)
    out["figures.csv"] = to_csv(figures_schema()["fields"], figs)
    resources.append({
        "name": "figures", "path": "figures.csv", "title": "Every published figure",
        "description": "Every number published on the site, one row each, with its unit and permalink.",
        "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "schema": figures_schema(),
    })
    for mid, rows in measure_rows(ctx.rows).items():
        m = MEASURES[mid]
        for ext, media in (("csv", "text/csv"), ("json", "application/json")):
            path = f"measures/{mid}.{ext}"
            out[path] = to_csv(_ROW_FIELDS, rows) if ext == "csv" else to_json(MEASURE_COLUMNS, rows)
            if ext == "csv":
                res = {"name": f"measure-{mid}", "path": path, "title": m.title, "description": m.definition,
                       "profile": "tabular-data-resource", "format": "csv", "mediatype": media, "encoding": "utf-8",
                       "schema": measure_schema()}
            else:
                # The JSON twin is described as a plain data resource: validating JSON as a table needs
                # frictionless's optional JSON extras, and its rows and columns are those of the CSV.
                res = {"name": f"measure-{mid}-json", "path": path, "title": f"{m.title} (JSON)",
                       "description": f"The rows of measures/{mid}.csv as a JSON array of objects with the same keys; "
                                      "empty cells are null.", "profile": "data-resource", "format": "json",
                       "mediatype": media, "encoding": "utf-8"}
            resources.append(res)
    package = schema.build_package(data.council, [])
    package["resources"] = resources
    package["version"] = bundle.ctx.edition["date"]
    package["created"] = bundle.ctx.edition["date"] + "T00:00:00Z"
    package["temporal"] = {"start": temporal_start(bundle), "end": str(data.data_as_of)}
    out["datapackage.json"] = (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return out, package


def temporal_start(bundle) -> str:
    years = bundle.ctx.years
    # The first financial year starts on 1 April of the year its label begins with ('2019/20' → 2019-04-01).
    return f"{years[0].label[:4]}-04-01" if years else str(bundle.data.data_as_of)


def make_zip(files: dict[str, bytes], day: dt.date) -> bytes:
    """A zip with sorted names and fixed dates and modes: the same files always give the same bytes."""
    buf = io.BytesIO()
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def files(bundle) -> dict[str, bytes]:
    """Every download: site path → bytes (data/…, editions/<date>/…, feed.xml). Computed once per bundle."""
    cached = vars(bundle).get("_downloads")
    if cached is not None:
        return cached
    data_out, _ = data_files(bundle)
    out = {f"data/{k}": v for k, v in data_out.items()}
    out[f"data/{zip_name(bundle.data)}"] = make_zip(data_out, dt.date.fromisoformat(bundle.ctx.edition["date"]))
    for ed in editions(bundle.data):
        folder = release_dir(bundle.data.root, ed["date"])
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out[f"editions/{ed['date']}/{p.relative_to(folder).as_posix()}"] = p.read_bytes()
    out["feed.xml"] = atom_feed(bundle)
    vars(bundle)["_downloads"] = out
    return out


# ---- JSON-LD -------------------------------------------------------------------------------------


def json_ld(bundle, downloads: dict[str, bytes]) -> dict:
    """schema.org Dataset for the data page, from the data package (Google's Dataset guidance)."""
    data = bundle.data
    council = data.council
    pkg = json.loads(downloads["data/datapackage.json"])
    base = council["site_url"].rstrip("/") + "/"
    dist = [{"@type": "DataDownload", "name": "All the data (zip)", "encodingFormat": "application/zip",
             "contentUrl": base + f"data/{zip_name(data)}"},
            {"@type": "DataDownload", "name": "Data package descriptor", "encodingFormat": "application/json",
             "contentUrl": base + "data/datapackage.json"}]
    for res in pkg["resources"]:
        dist.append({"@type": "DataDownload", "name": res.get("title", res["name"]), "encodingFormat": res["mediatype"],
                     "contentUrl": base + "data/" + res["path"]})
    creator = {"@type": "GovernmentOrganization", "name": council["name"], "url": council["website"]}
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": pkg["title"],
        "description": pkg["description"] + " " + schema.LICENCE_ATTRIBUTION,
        "url": base + "data/",
        "identifier": base + "data/datapackage.json",
        "keywords": ["complaints", "compliments", "ombudsman", "customer contact", "local government", council["name"]],
        "license": schema.LICENCE["path"],
        "isAccessibleForFree": True,
        "creator": creator,
        "publisher": creator,
        "temporalCoverage": f"{pkg['temporal']['start']}/{pkg['temporal']['end']}",
        "spatialCoverage": {"@type": "Place", "name": council.get("area_name") or council["short_name"]},
        "dateModified": bundle.ctx.edition["date"],
        "version": bundle.ctx.edition["date"],
        "distribution": dist,
    }


def json_ld_block(doc: dict) -> Markup:
    """The JSON-LD as a raw HTML block, on one line. < > & are written as JSON \\u escapes (the same
    JSON), so text can neither close the script ("</script>") nor put the HTML parser into the
    script's "escaped" states ("<!--<script>"), which would swallow the rest of the page."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">{text}</script>')


# ---- pages ----------------------------------------------------------------------------------------


def human_size(n: int) -> str:
    """Bytes → '12 KB' / '3.4 MB' (1 KB = 1,000 bytes, as file managers show)."""
    if n < 1000:
        return f"{n} bytes"
    for unit, size in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < size * 1000 or unit == "GB":
            v = n / size
            return f"{v:.1f} {unit}" if v < 10 else f"{round(v):,} {unit}"
    return f"{n} bytes"


def rel(from_page: str, target: str) -> str:
    """A relative URL from a generated page to a site path ('' is the home page)."""
    from .performance import page_dir

    out = posixpath.relpath(target or ".", page_dir(from_page) or ".")
    return out + ("/" if (not target or target.endswith("/")) and not out.endswith("/") else "")


def _a(page: str, target: str, text: str) -> Markup:
    return Markup(f'<a href="{h(rel(page, target))}">{h(text)}</a>')


DICT_FIGURES = "data/figure-list.md"
DICT_MEASURES = "data/measure-tables.md"


def dictionary_path(resource: str) -> str:
    return f"data/{resource}.md"


def pages(bundle) -> list[Page]:
    """The Open data page, a data dictionary per resource, Editions and Revisions."""
    downloads = files(bundle)
    out = [data_index_page(bundle, downloads)]
    pkg = json.loads(downloads["data/datapackage.json"])
    for res in pkg["resources"]:
        if res["name"] in schema.RESOURCE_NAMES:
            out.append(dictionary_page(dictionary_path(res["name"]), res, f"{res['name']}.csv"))
    fig = next(r for r in pkg["resources"] if r["name"] == "figures")
    out.append(dictionary_page(DICT_FIGURES, fig, "figures.csv"))
    out.append(dictionary_page(DICT_MEASURES, {"name": "measures", "title": "Measure tables", "schema": measure_schema(),
                                               "description": "One table per measure, as CSV and as JSON, in the same columns."}, None))
    out.append(editions_page(bundle))
    out.append(revisions_page(bundle))
    return out


def data_index_page(bundle, downloads: dict[str, bytes]) -> Page:
    from .measures import MEASURES

    page = "data/index.md"
    data = bundle.data
    pkg = json.loads(downloads["data/datapackage.json"])
    size = {k[len("data/"):]: len(v) for k, v in downloads.items() if k.startswith("data/")}
    source_rows = []
    for res in pkg["resources"]:
        if res["name"] in schema.RESOURCE_NAMES or res["name"] == "figures":
            dic = dictionary_path(res["name"]) if res["name"] != "figures" else DICT_FIGURES
            source_rows.append([_a(page, "data/" + res["path"], res["path"]), res.get("description") or res.get("title", ""), "CSV",
                                human_size(size[res["path"]]), _a(page, dic[:-3] + "/", f"Data dictionary: {res.get('title', res['name'])}")])
    source_rows.append([_a(page, "data/datapackage.json", "datapackage.json"),
                        "Describes every file here: its columns, their types and allowed values (a Frictionless Data Package).",
                        "JSON", human_size(size["datapackage.json"]), ""])
    files_table = html_table(["File", "What it is", "Format", "Size", "Columns"], source_rows, caption="Data files", row_headers=True)
    measure_table = html_table(
        ["Measure", "CSV", "JSON"],
        [[MEASURES[mid].title, _a(page, f"data/measures/{mid}.csv", f"{mid}.csv ({human_size(size[f'measures/{mid}.csv'])})"),
          _a(page, f"data/measures/{mid}.json", f"{mid}.json ({human_size(size[f'measures/{mid}.json'])})")]
         for mid in measure_rows(bundle.ctx.rows)],
        caption="Measure tables",
    )
    zname = zip_name(data)
    return Page(page, "Open data", render(
        "data-index.md.j2", council=data.council, edition=bundle.ctx.edition, data_as_of=uk_date(data.data_as_of),
        zip_link=_a(page, f"data/{zname}", f"Download all the data ({human_size(size[zname])}, zip)"),
        files_table=files_table, measure_table=measure_table,
        measures_dictionary=_a(page, DICT_MEASURES[:-3] + "/", "data dictionary for the measure tables"),
        licence=schema.LICENCE, attribution=schema.LICENCE_ATTRIBUTION, threshold=data.threshold,
        editions_link=_a(page, "data/editions/", "Editions"), revisions_link=_a(page, "data/revisions/", "Revisions"),
        figures_link=_a(page, "data/figures/", "All figures"), feed_link=_a(page, "feed.xml", "feed of new editions (Atom)"),
        json_ld=json_ld_block(json_ld(bundle, downloads)),
    ), section=SECTION)


def _field_rows(res: dict) -> list[list]:
    rows = []
    for f in res["schema"]["fields"]:
        allowed = ""
        if f.get("categories"):
            allowed = Markup("<br>".join(f"<code>{h(c['value'])}</code> {h(c['label'])}" for c in f["categories"]))
        elif (f.get("constraints") or {}).get("enum"):
            allowed = Markup(", ".join(f"<code>{h(v)}</code>" for v in f["constraints"]["enum"]))
        c = f.get("constraints") or {}
        notes = []
        if c.get("required"):
            notes.append("Always filled in.")
        if c.get("unique"):
            notes.append("Unique.")
        if "minimum" in c:
            notes.append(f"At least {c['minimum']}.")
        if "maximum" in c:
            notes.append(f"At most {c['maximum']}.")
        desc = " ".join([f.get("description", "")] + notes).strip()
        rows.append([Markup(f"<code>{h(f['name'])}</code>"), f.get("title", f["name"]), f.get("type", "string"),
                     f.get("unit", ""), allowed, desc])
    return rows


def dictionary_page(path: str, res: dict, file: str | None) -> Page:
    s = res["schema"]
    keys = []
    if s.get("primaryKey"):
        pk = s["primaryKey"] if isinstance(s["primaryKey"], list) else [s["primaryKey"]]
        keys.append(f"Each row is identified by {', '.join(pk)}.")
    for fk in s.get("foreignKeys") or []:
        flds = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        keys.append(f"{', '.join(flds)} refers to {fk['reference']['resource']}.csv.")
    table = html_table(["Field", "Title", "Type", "Unit", "Allowed values", "Description"], _field_rows(res),
                       caption=f"Columns of {file or res['title']}")
    title = res.get("title", res["name"])
    return Page(path, f"Data dictionary: {title}", render(
        "data-dictionary.md.j2", title=title, description=res.get("description", ""),
        file_link=_a(path, "data/" + file, file) if file else None, keys=keys, table=table,
        back=_a(path, "data/", "Open data"),
    ), section=SECTION, in_nav=False)


# ---- editions -------------------------------------------------------------------------------------


def release_dir(root: Path, date: str) -> Path:
    return Path(root) / RELEASES_DIR / date


def editions(data) -> list[dict]:
    """Released editions, oldest first."""
    return sorted(data.releases or [], key=lambda r: r["date"])


def read_figures(path: Path) -> dict[str, dict]:
    """An edition's figures.csv → figure id → row (text cells)."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["figure_id"]: r for r in csv.DictReader(fh)}


def revisions(data) -> list[dict]:
    """For each edition after the first: the figures whose value changed since the previous edition."""
    out = []
    prev = None
    for ed in editions(data):
        cur = read_figures(release_dir(data.root, ed["date"]) / "figures.csv")
        if prev is not None:
            changes = []
            for fid, new in cur.items():
                old = prev[1].get(fid)
                if old is None:
                    continue
                hidden = (old["status"] == "suppressed", new["status"] == "suppressed")
                if hidden[0] != hidden[1] or _number(old["value"]) != _number(new["value"]):
                    changes.append({"figure_id": fid, "measure": new["measure"], "period": new["period"],
                                    "dimension_value": new["dimension_value"], "unit": new["unit"], "url": new["url"],
                                    "old": _shown(old), "new": _shown(new), "old_value": _number(old["value"]),
                                    "new_value": _number(new["value"])})
            added = sorted(set(cur) - set(prev[1]))
            out.append({"edition": ed, "previous": prev[0], "changes": changes, "added": added})
        prev = (ed, cur)
    return out


def _number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _shown(row: dict) -> str:
    if row["status"] == "suppressed":
        return "[c]"
    v = _number(row["value"])
    return "–" if v is None else fmt.format_value(v, row["unit"])


def editions_page(bundle) -> Page:
    page = "data/editions.md"
    data = bundle.data
    rows = []
    for ed in reversed(editions(data)):
        folder = release_dir(data.root, ed["date"])
        links = [_a(page, f"editions/{ed['date']}/{p.relative_to(folder).as_posix()}", p.relative_to(folder).as_posix())
                 for p in sorted(folder.glob("*.csv"))]
        rows.append([uk_date(ed["date"]), ed["title"], ed["status"], uk_date(ed.get("data_as_of")), ed.get("notes", ""),
                     Markup("<br>".join(links)) if links else "No archived files"])
    table = html_table(["Edition", "Title", "Status", "Data up to", "Notes", "Archived downloads"], rows,
                       caption="Published editions, newest first") if rows else None
    return Page(page, "Editions", render(
        "editions.md.j2", council=data.council, edition=bundle.ctx.edition, table=table, data_as_of=uk_date(data.data_as_of),
        revisions_link=_a(page, "data/revisions/", "Revisions"), feed_link=_a(page, "feed.xml", "Atom feed"),
    ), section=SECTION)


def revisions_page(bundle) -> Page:
    from .measures import MEASURES
    from .performance import dimension_label

    page = "data/revisions.md"
    data, reg = bundle.data, bundle.ctx.registry
    blocks = []
    for rev in reversed(revisions(data)):
        ed = rev["edition"]
        rows = []
        for c in rev["changes"]:
            placed = reg.placed.get(c["figure_id"])
            href = rel(page, placed) + "#" + c["figure_id"] if placed else c["url"]
            m = MEASURES.get(c["measure"])
            what = (m.title if m else c["measure"]) + (f" ({dimension_label(data, m.dimension if m else None, c['dimension_value'])})"
                                                       if c["dimension_value"] else "")
            rows.append([Markup(f'<a href="{h(href)}">{h(c["figure_id"])}</a>'), what, c["period"], c["old"], c["new"]])
        table = html_table(["Figure", "Measure", "Period", f"Was ({uk_date(rev['previous']['date'])})", f"Now ({uk_date(ed['date'])})"],
                           rows, caption=f"Figures revised in the edition of {uk_date(ed['date'])}") if rows else None
        blocks.append({"edition": ed, "previous": rev["previous"], "table": table, "count": len(rows), "added": len(rev["added"]),
                       "date": uk_date(ed["date"]), "previous_date": uk_date(rev["previous"]["date"])})
    return Page(page, "Revisions", render("editions-revisions.md.j2", blocks=blocks, editions_link=_a(page, "data/editions/", "Editions")),
                section=SECTION)


def atom_feed(bundle) -> bytes:
    """An Atom 1.0 feed with one entry per edition, newest first."""
    from xml.sax.saxutils import escape

    data = bundle.data
    base = data.council["site_url"].rstrip("/") + "/"
    eds = list(reversed(editions(data)))
    updated = (eds[0]["date"] if eds else bundle.ctx.edition["date"]) + "T00:00:00Z"
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"  <id>{escape(base)}feed.xml</id>",
             f"  <title>{escape(data.council['name'])}: complaints data editions</title>",
             f"  <updated>{updated}</updated>",
             f'  <link rel="self" type="application/atom+xml" href="{escape(base)}feed.xml"/>',
             f'  <link rel="alternate" type="text/html" href="{escape(base)}data/editions/"/>',
             f"  <author><name>{escape(data.council['name'])}</name><uri>{escape(data.council['website'])}</uri></author>",
             f"  <rights>{escape(schema.LICENCE_ATTRIBUTION)}</rights>"]
    for ed in eds:
        summary = f"{ed['title']} ({ed['status']} figures, data up to {uk_date(ed.get('data_as_of'))})."
        if ed.get("notes"):
            summary += " " + ed["notes"]
        lines += ["  <entry>",
                  f"    <id>{escape(base)}editions/{ed['date']}/</id>",
                  f"    <title>{escape(ed['title'])}</title>",
                  f"    <updated>{ed['date']}T00:00:00Z</updated>",
                  f'    <link rel="alternate" type="text/html" href="{escape(base)}data/editions/"/>',
                  f'    <link rel="related" type="text/csv" href="{escape(base)}editions/{ed["date"]}/figures.csv"/>',
                  f"    <summary>{escape(summary)}</summary>",
                  "  </entry>"]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---- release --------------------------------------------------------------------------------------


def _docs_dir(config_file: Path) -> Path:
    # mkdocs.yml may hold !!python tags that a safe loader refuses: read only the one key we need.
    text = config_file.read_text("utf-8") if config_file.exists() else ""
    m = re.search(r"^docs_dir:\s*['\"]?([^'\"\n#]+)", text, re.M)
    return config_file.parent / (m.group(1).strip() if m else "docs")


def release(config_file: Path, datasets: Path, *, title: str, status: str, notes: str = "") -> dict:
    """Freeze the current published figures and data as an edition dated today (SOURCE_DATE_EPOCH if set)."""
    from . import load, site
    from .plugin import _hand_written
    from .validate import validate

    datasets = Path(datasets)
    if status not in ("provisional", "final"):
        raise ReleaseError(f"status must be provisional or final, not {status!r}")
    if not title.strip():
        raise ReleaseError("give the edition a title, for example --title 'Quarter 3 2023/24'")
    problems = validate(datasets)
    if problems:
        first = "; ".join(p.text() for p in problems[:3])
        raise ReleaseError(f"the datasets have {len(problems)} problem(s) — run `transparency-site validate` and fix them first ({first})")
    date = site.build_date().isoformat()
    data = load.load(datasets)
    existing = editions(data)
    if any(e["date"] == date for e in existing):
        raise ReleaseError(f"there is already an edition dated {date}. Its files have a permanent address, so they are never "
                           "replaced: release again on a later day.")
    if existing and existing[-1]["date"] > date:
        raise ReleaseError(f"the latest edition is dated {existing[-1]['date']}, after {date}: editions must be released in date order")
    folder = release_dir(datasets, date)
    if folder.exists():
        raise ReleaseError(f"{folder} already exists but is not in releases.yaml: remove it or add it to releases.yaml by hand")
    bundle = site.generate(data, hand_written=_hand_written(_docs_dir(Path(config_file))))
    data_out, _ = data_files(bundle)
    entry = {"date": date, "title": title.strip(), "status": status}
    if notes.strip():
        entry["notes"] = notes.strip()
    entry["data_as_of"] = str(data.data_as_of)
    # Write into a temporary folder and rename: a failed release never leaves half an edition.
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{date}-", dir=folder.parent))
    try:
        for name, content in data_out.items():
            if name.endswith(".csv"):
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp / name).write_bytes(content)
        (tmp / "release.yaml").write_text(yaml.safe_dump(entry, sort_keys=False, allow_unicode=True), "utf-8")
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    releases_file = datasets / schema.YAML_FILES["releases"]
    listed = list(data.releases or []) + [entry]
    releases_file.write_text(yaml.safe_dump(listed, sort_keys=False, allow_unicode=True), "utf-8")
    return entry


__all__ = ["files", "pages", "release", "ReleaseError", "DownloadError", "neutralise", "json_ld", "revisions", "make_zip"]
