"""Make the example case-system exports from the example council's datasets.

    .venv/bin/python examples/make_export.py            # writes examples/*-export.xlsx|csv

Each export is what a case-management system might give an officer: the mapping file's column
headings, the case system's own words for values (the mapping's ``values:`` read backwards), title
rows above the table, dates sometimes as text (DD/MM/YYYY), sometimes as real Excel dates, sometimes as
Excel serial numbers, stray spaces, money as "£350.00", and a column the import must not copy.
Importing each export with its mapping gives back the dataset byte for byte (tests/test_import.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import yaml
from openpyxl import Workbook

from transparency_site import schema

HERE = Path(__file__).resolve().parent
EXPORTS = {
    # kind: (mapping, export file, title above the table)
    "complaints": ("complaints-mapping.yaml", "complaints-export.xlsx", "Complaints (all stages)"),
    "compliments": ("compliments-mapping.yaml", "compliments-export.csv", None),
    "ombudsman_cases": ("ombudsman-mapping.yaml", "ombudsman-export.xlsx", "Ombudsman cases"),
}
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Fixed so that regenerating an unchanged export leaves an unchanged file.
STAMP = dt.datetime(2024, 1, 1)


def backwards(mapping: dict) -> dict[str, dict[str, list[str]]]:
    """field → canonical value (as CSV text) → the export words that map to it, in mapping order."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, table in (mapping.get("values") or {}).items():
        for word, value in table.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            out.setdefault(name, {}).setdefault(text, []).append(str(word))
    return out


def messy(text: str, i: int) -> str:
    """Stray spaces, as case systems and hand edits leave them."""
    if i % 4 == 3:
        return text + " "
    if i % 11 == 5:
        return " " + text
    return text


def date_cell(text: str, i: int, j: int, excel: bool):
    day = dt.date.fromisoformat(text)
    style = ("date", "uk", "serial", "uk", "date", "iso")[(i + j) % 6] if excel else "uk"
    if style == "date":
        return day
    if style == "serial":
        return (day - EXCEL_EPOCH).days
    if style == "iso":
        return day.isoformat()
    return day.strftime("%d/%m/%Y")


def export_rows(kind: str, mapping: dict, rows: list[dict], excel: bool) -> tuple[list[str], list[list]]:
    columns = mapping["columns"]
    words = backwards(mapping)
    headings = [columns[name] for name in schema.field_names(kind) if name in columns]
    out = []
    for i, row in enumerate(rows):
        cells = []
        for j, name in enumerate(n for n in schema.field_names(kind) if n in columns):
            text = row[name]
            ftype = schema.field(kind, name)["type"]
            if text == "":
                cells.append(None)
            elif name in words:
                choices = words[name].get(text)
                if choices is None:
                    label = schema.labels(kind, name).get(text)
                    if label is None:
                        raise SystemExit(f"{kind}.{name}: no export word for {text!r} in the mapping")
                    choices = [label]
                cells.append(messy(choices[i % len(choices)], i))
            elif ftype == "date":
                cells.append(date_cell(text, i, j, excel))
            elif ftype == "integer":
                cells.append(int(text))
            elif ftype == "number":
                cells.append(float(text) if i % 2 else f"£{float(text):,.2f}")
            elif ftype == "boolean":
                cells.append("Yes" if text == "true" else "No")
            else:
                cells.append(messy(text, i))
        out.append(cells)
    return headings, out


def write_xlsx(path: Path, sheet: str, title: str, as_of: str, headings: list[str], rows: list[list],
               extra: tuple[str, list] | None = None) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([f"Castlemere District Council: {title}"])
    ws.append([f"Exported from the case system on {dt.date.fromisoformat(as_of):%d/%m/%Y}"])
    ws.append([])
    ws.append(headings + ([extra[0]] if extra else []))
    for n, row in enumerate(rows):
        ws.append(row + ([extra[1][n]] if extra else []))
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(cell.value, float):
                cell.number_format = '"£"#,##0.00'
    wb.properties.creator = "Castlemere case system (example)"
    wb.properties.created = STAMP
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_timestamps(buf.getvalue()))


def _fixed_timestamps(data: bytes) -> bytes:
    """openpyxl stamps the save time into the file and the zip entries; fix both."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + STAMP.isoformat().encode() + b"Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6]), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_csv(path: Path, headings: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    # A byte-order mark and semicolons: what Excel writes for "CSV UTF-8" with European list separators.
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8", newline="")


def make(datasets: Path, out: Path, kinds: list[str] | None = None) -> list[Path]:
    council = yaml.safe_load((datasets / "council.yaml").read_text(encoding="utf-8"))
    with open(datasets / "services.csv", encoding="utf-8", newline="") as fh:
        directorate = {r["service_id"]: r["directorate"] for r in csv.DictReader(fh)}
    written = []
    for kind in kinds or list(EXPORTS):
        mapping_name, export_name, title = EXPORTS[kind]
        mapping = yaml.safe_load((HERE / mapping_name).read_text(encoding="utf-8"))
        with open(datasets / f"{kind}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        path = out / export_name
        if path.suffix == ".csv":
            headings, cells = export_rows(kind, mapping, rows, excel=False)
            write_csv(path, headings, cells)
        else:
            headings, cells = export_rows(kind, mapping, rows, excel=True)
            # A column the mapping does not name: the import must leave it behind.
            extra = ("Assigned Team", [directorate[r["service_id"]] for r in rows]) if kind == "complaints" else None
            write_xlsx(path, mapping.get("sheet") or "Export", title, str(council["data_as_of"]), headings, cells, extra)
        written.append(path)
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default=str(HERE.parent / "datasets"))
    p.add_argument("--out", default=str(HERE))
    args = p.parse_args()
    for path in make(Path(args.datasets), Path(args.out)):
        print(f"Wrote {path}")


if __name__ == "__main__":
    main()
