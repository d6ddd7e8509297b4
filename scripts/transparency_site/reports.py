"""Stage: annual reports. One complaints performance and service improvement report per financial year.

The Housing Ombudsman's and the LGSCO's Complaint Handling Codes (section 8) ask for this report every
year: the self-assessment, quantitative and qualitative analysis, complaints not accepted, ombudsman
findings, learning, the ombudsman's annual letter and the governing body's response. Every number
comes from the measure rows after disclosure control; a figure gets its permalink on the first page
that shows it, so a report links to figures already placed on the performance pages.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from markupsafe import Markup

from . import disclosure, fmt, schema
from . import measures as M
from .figures import figure_id
from .pages import Page, h, html_table, md_escape, uk_date
from .performance import (
    Context,
    dimension_label,
    headline,
    headlines,
    md_page,
    page_url,
    provenance,
    rel,
    show,
)
from .periods import Year, fy_bounds

SECTION = "Annual reports"
DIR = "reports/"
MARKER = Markup('<div class="ts-report-marker" aria-hidden="true"></div>')

# Ombudsman findings that say the council got something wrong.
ADVERSE = ("upheld", "severe_maladministration", "maladministration", "partial_maladministration", "service_failure")

# Year-on-year table: measures without a breakdown, in registry order; snapshots and sub-year series are
# not yearly figures.
_NOT_YEARLY = {"complaints_received_by_quarter", "complaints_received_by_month"}

_STAGE_MEASURES = (
    "complaints_received_by_stage", "complaints_closed_by_stage", "complaints_upheld_rate_by_stage",
    "complaints_acknowledged_on_time_by_stage", "complaints_responded_on_time_by_stage",
    "complaints_responded_on_time_without_extension_by_stage", "complaints_median_working_days_by_stage",
    "complaints_escalation_rate",
)


def report_path(year: Year) -> str:
    return f"{DIR}{year.slug}.md"


def report_title(year: Year) -> str:
    return f"Complaints performance and service improvement report {year.label}"


def pages(ctx: Context) -> list[Page]:
    """The Annual reports index and one report per financial year with complaints data."""
    if not ctx.has("complaints_received"):
        return []
    years = [y for y in ctx.years if ctx.row("complaints_received", y.label) is not None]
    out = [_report(ctx, y) for y in reversed(years)]
    return [_index(ctx, years), *out]


# ---- the index ------------------------------------------------------------------------------------


def _index(ctx: Context, years: list[Year]) -> Page:
    page = DIR + "index.md"
    c = ctx.data.council
    items = []
    for y in reversed(years):
        kind = "interim report, not a full year" if not y.complete else "full year"
        target = rel(page, page_url(report_path(y)))
        items.append(f"- [{md_escape(report_title(y))}]({target}) ({md_escape(kind)})")
    parts = [
        md_escape(f"Each year {c['name']} reports on how it handled complaints, what it learned and what it changed, "
                  "as the ombudsmen's Complaint Handling Codes ask. The report includes our self-assessment against "
                  "the Code and the response of the councillors who oversee complaints."),
        "\n".join(items),
        md_escape("Each report prints as a document: use your browser's print option, or ask us for a PDF."),
        provenance(ctx, page),
    ]
    return md_page(page, "Annual reports", parts, section=SECTION)


# ---- one report -----------------------------------------------------------------------------------


def _report(ctx: Context, y: Year) -> Page:
    page = report_path(y)
    prev = _previous(ctx, y)
    parts: list = [MARKER]
    if not y.complete:
        parts.append(Markup(f'<p class="ts-report-interim"><strong>{h(interim_label(y))}</strong></p>'))
    parts.append(md_escape(_intro(ctx, y)))
    parts += _summary(ctx, page, y, prev)
    parts += _received(ctx, page, y, prev)
    parts += _not_accepted(ctx, page, y, prev)
    parts += _ombudsman(ctx, page, y, prev)
    parts += _learning(ctx, y)
    parts += _letter(ctx, y)
    parts += _commentary(ctx, y)
    parts += _self_assessment(ctx, y)
    parts += _tsm(ctx, page, y, prev)
    parts += _response(ctx, y)
    parts.append(_cite(ctx, page, y))
    parts.append(provenance(ctx, page))
    title = f"{y.label} report" + ("" if y.complete else " (interim)")
    heading = ("Interim " + report_title(y)[0].lower() + report_title(y)[1:]) if not y.complete else report_title(y)
    return md_page(page, title, parts, section=SECTION, heading=heading)


def _cite(ctx: Context, page: str, y: Year) -> Markup:
    """How to cite the report in committee papers: it names the edition, so a later revision is told apart."""
    c, ed = ctx.data.council, ctx.edition
    url = ctx.data.council["site_url"].rstrip("/") + "/" + page_url(page)
    title = report_title(y) if y.complete else "Interim " + report_title(y)[0].lower() + report_title(y)[1:]
    return Markup(f'<p class="ts-citation">Cite this report as: {h(c["name"])}. {h(title)}. Complaints data, edition '
                  f'{h(ed["date"])} ({h(ed["status"])}). Online at <a href="{h(url)}">{h(url)}</a>.</p>')


def interim_label(y: Year) -> str:
    return f"Interim report: figures for {y.label} up to {uk_date(y.end)}, not a full year."


def _intro(ctx: Context, y: Year) -> str:
    c = ctx.data.council
    start = fy_bounds(y.label)[0]
    return (f"This is {c['name']}'s report on complaints for {y.display}, from {uk_date(start)} to {uk_date(y.end)}: "
            "how many we received, how we handled them, what the ombudsmen found, what we learned and changed, and "
            "how we measure up to the Complaint Handling Code.")


def _previous(ctx: Context, y: Year) -> Year | None:
    """The year a report compares with: the complete year before (for a year to date, the same quarters of it)."""
    before = [c for c in ctx.complete_years if c.label < y.label]
    return before[-1] if before else None


def _prev_heading(y: Year, prev: Year | None) -> str:
    if prev is None:
        return "Previous year"
    return prev.label if y.complete else f"{prev.label}, same quarters"


# ---- figures in tables ----------------------------------------------------------------------------


def _cell(ctx: Context, page: str, row: dict | None, m: M.Measure) -> tuple[object, str | None]:
    """A published figure as a table cell: its permalink anchor here, or a link to where it is placed."""
    if row is None:
        return "–", None
    text = show(row, m)
    fid = ctx.registry.place(row, page_url(page))
    if fid:
        return text, fid
    fid = figure_id(row["measure"], row["period"], row.get("dimension_value"))
    target = ctx.registry.placed.get(fid)
    if target is None or target == page_url(page):
        return text, None
    return Markup(f'<a href="{h(rel(page, target))}#{h(fid)}">{h(text)}</a>'), None


def _comparator(ctx: Context, y: Year, prev: Year | None, measure: str, dv: str | None) -> dict | None:
    """The figure a year is compared with: the previous complete year, or for a year to date the same
    quarters of it, recomputed from the records and put through the same disclosure control."""
    if prev is None:
        return None
    if y.complete:
        return ctx.row(measure, prev.label, dv)
    return _same_period(ctx, y.label).get((measure, dv))


@cache
def _units() -> dict[str, str]:
    return {m.id: m.unit for m in M.MEASURES.values()}


def _same_period(ctx: Context, label: str) -> dict[tuple[str, str | None], dict]:
    """Same-quarters rows of the previous year for every measure, after disclosure control (memoised per build)."""
    key = ("same_period", label)
    cache_ = ctx.__dict__.setdefault("_report_cache", {})
    if key in cache_:
        return cache_[key]
    wanted = {(r["measure"], r["dimension_value"]) for r in ctx.rows if r["period"] == label}
    rows = []
    for mid, dv in sorted(wanted, key=lambda k: (k[0], str(k[1]))):
        try:
            r = M.same_period_row(ctx.data, mid, label, dv)
        except (KeyError, ValueError, TypeError):  # a measure without a same-period form
            r = None
        if r is not None:
            rows.append(dict(r))
    rows = disclosure.suppress(rows, ctx.data.threshold, units=_units(), totals=disclosure.infer_totals(_units()))
    out = {(r["measure"], r["dimension_value"]): r for r in rows}
    cache_[key] = out
    return out


def _change(cur: dict | None, old: dict | None, m: M.Measure) -> str:
    """The change in words a committee reads: '+68 (+25%)', '+2.1 percentage points', 'no change'."""
    if cur is None or old is None or "suppressed" in (cur.get("status"), old.get("status")):
        return "–"
    a, b = cur["value"], old["value"]
    if a is None or b is None:
        return "–"
    diff = a - b
    if abs(diff) < 1e-9:
        return "no change"
    sign = "+" if diff > 0 else "−"
    if m.unit == "count":
        text = f"{sign}{fmt.number(abs(diff))}"
        if b:
            text += f" ({sign}{fmt.percent_change(diff / b * 100)})"
        return text
    if m.unit == "percent":
        return f"{sign}{fmt.number(abs(diff), 1)} percentage points"
    return f"{sign}{fmt.format_value(abs(diff), m.unit)}"


def _compare_table(ctx: Context, page: str, y: Year, prev: Year | None, items: list[tuple[str, str | None, str]], caption: str,
                   first_col: str = "Measure") -> Markup:
    """Rows of (measure id, dimension value, label): previous, this year, change."""
    rows, ids = [], []
    for mid, dv, label in items:
        m = M.MEASURES[mid]
        cur = ctx.row(mid, y.label, dv)
        old = _comparator(ctx, y, prev, mid, dv)
        cur_cell, cur_id = _cell(ctx, page, cur, m)
        if old is not None and y.complete:
            old_cell, old_id = _cell(ctx, page, old, m)
        else:
            old_cell, old_id = (show(old, m) if old is not None else "–"), None
        rows.append([label, old_cell, cur_cell, _change(cur, old, m)])
        ids.append([None, old_id, cur_id, None])
    return html_table([first_col, _prev_heading(y, prev), y.display, "Change"], rows, caption=caption, cell_ids=ids, numeric=(1, 2, 3))


# ---- 1 Summary ------------------------------------------------------------------------------------


_SUMMARY = (("complaints_received", "Complaints received"), ("complaints_upheld_rate", "Complaints upheld"),
            ("complaints_responded_on_time", "Answered on time"), ("ombudsman_decisions", "Ombudsman decisions"))


def _summary(ctx: Context, page: str, y: Year, prev: Year | None) -> list:
    parts: list = ["## Summary"]
    parts.append(headlines([headline(ctx, page, mid, y.label, label) for mid, label in _SUMMARY]))
    sentences = []
    for mid, _ in _SUMMARY[:3]:
        if ctx.row(mid, y.label) is None:
            continue
        old = _comparator(ctx, y, prev, mid, None)
        cur = ctx.row(mid, y.label)
        if "suppressed" in (cur.get("status"), (old or {}).get("status")):
            continue
        try:
            # measures.sentence compares a full year with the year before, and a year to date with the same quarters.
            sentences.append(M.sentence(ctx.data, ctx.rows, mid, y.label))
        except (KeyError, ValueError, TypeError):
            continue
    if sentences:
        parts.append(md_escape(" ".join(sentences)))
    if not y.complete:
        parts.append(md_escape(f"A year to date is compared with the same quarters of {prev.label}, never with a full year.")
                     if prev else md_escape("There is no earlier year to compare with."))
    return parts


# ---- 2 Complaints received and handled --------------------------------------------------------------


def _received(ctx: Context, page: str, y: Year, prev: Year | None) -> list:
    parts: list = ["## Complaints we received and how we handled them"]
    yearly = [m for m in M.MEASURES.values()
              if m.group == "complaints" and m.dimension is None and m.id not in _NOT_YEARLY and m.id not in M._SNAPSHOTS
              and ctx.row(m.id, y.label) is not None]
    parts.append(md_escape(f"Every complaints measure for {y.display}, compared with "
                           + (f"{_prev_heading(y, prev)}." if prev else "nothing: this is the first year of data.")
                           + " The Methodology page defines each measure."))
    parts.append(_compare_table(ctx, page, y, prev, [(m.id, None, m.title) for m in yearly], f"Complaints measures, {y.display}"))

    stage_items = []
    for mid in _STAGE_MEASURES:
        if mid not in M.MEASURES:
            continue
        m = M.MEASURES[mid]
        for dv in sorted({k[2] for k in ctx.index if k[0] == mid and k[1] == y.label and k[2] is not None}, key=str):
            stage_items.append((mid, dv, f"Stage {dv}: {_short(m)}"))
    if stage_items:
        parts.append("### By stage")
        parts.append(_compare_table(ctx, page, y, prev, stage_items, f"Complaints by stage, {y.display}", first_col="Stage and measure"))

    svc = _services_table(ctx, page, y, prev)
    if svc:
        parts += ["### By service", svc]
    parts += _timeliness(ctx, page, y)
    return parts


def _short(m: M.Measure) -> str:
    """'Complaints answered on time, by stage' → 'complaints answered on time'."""
    title = re.sub(r",? by (stage|from stage)$", "", m.title)
    title = re.sub(r" by stage$", "", title)
    return title[0].lower() + title[1:]


def _services_table(ctx: Context, page: str, y: Year, prev: Year | None) -> Markup | None:
    mids = ["complaints_received_by_service", "complaints_upheld_rate_by_service", "complaints_responded_on_time_by_service"]
    if not ctx.has(mids[0]):
        return None
    rows, ids = [], []
    for s in ctx.data.table("services"):
        sid = s["service_id"]
        cur = ctx.row(mids[0], y.label, sid)
        if cur is None:
            continue
        old = _comparator(ctx, y, prev, mids[0], sid)
        m0 = M.MEASURES[mids[0]]
        if old is not None and y.complete:
            old_cell, old_id = _cell(ctx, page, old, m0)
        else:
            old_cell, old_id = (show(old, m0) if old is not None else "–"), None
        cur_cell, cur_id = _cell(ctx, page, cur, m0)
        row, rid = [s["name"], old_cell, cur_cell], [None, old_id, cur_id]
        for mid in mids[1:]:
            if mid in M.MEASURES:
                c, i = _cell(ctx, page, ctx.row(mid, y.label, sid), M.MEASURES[mid])
                row.append(c)
                rid.append(i)
        rows.append(row)
        ids.append(rid)
    if not rows:
        return None
    cols = ["Service", f"Received, {_prev_heading(y, prev)}", f"Received, {y.display}"]
    cols += [M.MEASURES[mid].title.replace(", by service", "").replace(" by service", "") + f", {y.display}" for mid in mids[1:] if mid in M.MEASURES]
    return html_table(cols, rows, caption=f"Complaints by service, {y.display}", cell_ids=ids, numeric=range(1, len(cols)))


def _timeliness(ctx: Context, page: str, y: Year) -> list:
    """The Code's timescales beside the council's policy, and how the year measured against each."""
    stages = sorted((ctx.data.policy or {}).get("stages", []), key=lambda s: s["id"])
    if not stages:
        return []
    rows, ids = [], []
    on_time = M.MEASURES.get("complaints_responded_on_time_by_stage")
    ch02 = M.MEASURES.get("tsm_ch02") if ctx.data.is_landlord else None
    for s in stages:
        code = M.CODE_TIMESCALES.get(int(s["id"]))
        code_text = (f"acknowledge within {code[0]} working days; reply within {code[1]} working days of acknowledging; "
                     f"extension up to {code[2]} working days") if code else "no Code timescale"
        counted = "of acknowledging" if s["clock_starts"] == "acknowledgement" else "of receiving it"
        ours = (f"acknowledge within {s['acknowledge_within_working_days']} working days; reply within "
                f"{s['respond_within_working_days']} working days {counted}; extension up to {s['max_extension_working_days']} working days")
        row, rid = [s["name"], code_text, ours], [None, None, None]
        c, i = _cell(ctx, page, ctx.row(on_time.id, y.label, str(s["id"])), on_time) if on_time else ("–", None)
        row.append(c)
        rid.append(i)
        if ch02:
            c, i = _cell(ctx, page, ctx.row(ch02.id, y.label, str(s["id"])), ch02)
            row.append(c)
            rid.append(i)
        rows.append(row)
        ids.append(rid)
    cols = ["Stage", "Complaint Handling Code timescale", "Our policy", f"Answered within our policy, {y.display}"]
    if ch02:
        cols.append(f"Landlord complaints answered within the Code's timescales (TSM CH02), {y.display}")
    note = ("The Code's clock for the reply starts when the complaint is acknowledged, which must be within 5 working days "
            "of receiving it. A reply within an agreed extension, up to the Code's limit, counts as within the timescale.")
    return ["### Timeliness against the Complaint Handling Code", md_escape(note),
            html_table(cols, rows, caption=f"Timescales and how we did, {y.display}", cell_ids=ids, numeric=range(3, len(cols)))]


# ---- 3 Not accepted -------------------------------------------------------------------------------


def _not_accepted(ctx: Context, page: str, y: Year, prev: Year | None) -> list:
    mid = "complaints_not_accepted_by_reason"
    if not ctx.has(mid):
        return []
    labels = schema.labels("complaints", "not_accepted_reason")
    items = [(mid, v, lab) for v, lab in labels.items() if ctx.row(mid, y.label, v) is not None]
    total = ctx.row("complaints_not_accepted", y.label)
    parts: list = ["## Complaints we did not accept, and why"]
    if total is not None:
        m = M.MEASURES["complaints_not_accepted"]
        parts.append(md_escape(f"In {y.display} we did not accept {show(total, m)} complaints. The Code lets us refuse a "
                               "complaint only for a reason set out in our policy, and we tell the person why and where they can go next."))
    if items:
        parts.append(_compare_table(ctx, page, y, prev, items, f"Complaints not accepted, by reason, {y.display}", first_col="Reason"))
    return parts if len(parts) > 1 else []


# ---- 4 Ombudsman ------------------------------------------------------------------------------------


def _ombudsman(ctx: Context, page: str, y: Year, prev: Year | None) -> list:
    findings, n_findings = _non_compliance(ctx, y)
    if not ctx.data.has("ombudsman_cases"):
        return ["## Ombudsman decisions and findings of non-compliance", *findings] if n_findings else []
    parts: list = ["## Ombudsman decisions and findings of non-compliance"]
    mid = "ombudsman_decisions_by_outcome"
    if ctx.has(mid):
        values = sorted({k[2] for k in ctx.index if k[0] == mid and k[1] == y.label and k[2] is not None})
        shown = [v for v in values if _nonzero(ctx.row(mid, y.label, v)) or _nonzero(_comparator(ctx, y, prev, mid, v))]
        if shown:
            parts.append(_compare_table(ctx, page, y, prev, [(mid, v, dimension_label(ctx.data, "ombudsman_outcome", v)) for v in shown],
                                        f"Ombudsman decisions about us, by outcome, {y.display}", first_col="Ombudsman and outcome"))
    more = [m for m in ("ombudsman_decisions", "ombudsman_compliance_rate", "ombudsman_financial_remedies_gbp", "ombudsman_remedy_by_council")
            if m in M.MEASURES and ctx.row(m, y.label) is not None]
    if more:
        parts.append(_compare_table(ctx, page, y, prev, [(m, None, M.MEASURES[m].title) for m in more],
                                    f"Ombudsman decisions, remedies and compliance, {y.display}"))
    cases, adverse = _cases(ctx, y)
    if cases:
        # The ombudsmen publish their own decisions, so each decision is listed (the Code asks for the
        # findings themselves), with the service and remedy but no dates or personal details.
        found = (f"{adverse} of them found fault with us." if adverse else "None of them found fault with us.")
        parts.append(md_escape(f"Every ombudsman decision about us in {y.display}, with the service it was about and the remedy. {found}"))
        parts.append(cases)
    parts += findings
    return parts


def _nonzero(row: dict | None) -> bool:
    return row is not None and (row.get("status") == "suppressed" or bool(row.get("value")))


def _cases(ctx: Context, y: Year) -> tuple[Markup | None, int]:
    """Every ombudsman decision in the year (findings of fault first) and how many found fault."""
    start, end = fy_bounds(y.label)[0], y.end
    names = {s["service_id"]: s["name"] for s in ctx.data.table("services")}
    decided = [c for c in ctx.data.table("ombudsman_cases") if c["decided"] is not None and start <= c["decided"] <= end and c["outcome"]]
    rows = []
    for c in sorted(decided, key=lambda c: (c["outcome"] not in ADVERSE, c["ombudsman"], c["outcome"], c["service_id"], c["case_id"])):
        remedy = []
        if c.get("financial_remedy_gbp"):
            remedy.append(fmt.money(c["financial_remedy_gbp"]))
        if c.get("remedy_agreed") and not remedy:
            remedy.append("a remedy without payment")
        if c.get("remedy_by_council"):
            remedy.append("we had already offered a remedy")
        rows.append([schema.label("ombudsman_cases", "ombudsman", c["ombudsman"]), names.get(c["service_id"], c["service_id"]),
                     schema.label("ombudsman_cases", "outcome", c["outcome"]), "; ".join(remedy) or "none",
                     schema.label("ombudsman_cases", "compliance", c["compliance"]) if c.get("compliance") else "–"])
    if not rows:
        return None, 0
    cols = ["Ombudsman", "Service", "Decision", "Remedy", schema.field_title("ombudsman_cases", "compliance")]
    adverse = sum(1 for c in decided if c["outcome"] in ADVERSE)
    # Out of the search index: at 1,000 decisions a year these lists were most of the index (1.2 of
    # 1.7 MB at example scale 100), which Material's search downloads on every page's first visit.
    return html_table(cols, rows, caption=f"Ombudsman decisions about us, {y.display}", search=False), adverse


def _assessments(ctx: Context, y: Year) -> list[dict]:
    return [a for a in ctx.data.self_assessment if str(a.get("year")) == y.label]


def _non_compliance(ctx: Context, y: Year) -> tuple[list, int]:
    findings = [f for a in _assessments(ctx, y) for f in (a.get("non_compliance_findings") or [])]
    parts: list = ["### Findings of non-compliance with the Complaint Handling Code"]
    if not findings:
        parts.append(md_escape(f"No ombudsman finding of non-compliance with the Complaint Handling Code is recorded for {y.display}."))
        return parts, 0
    rows = [[uk_date(f["date"]), schema.label("ombudsman_cases", "ombudsman", f["ombudsman"]), f["finding"], f.get("response") or "–"]
            for f in sorted(findings, key=lambda f: f["date"])]
    parts.append(html_table(["Date", "Ombudsman", "Finding", "What we did"], rows, caption=f"Findings of non-compliance, {y.display}"))
    return parts, len(rows)


# ---- 5 Learning -------------------------------------------------------------------------------------


def _learning(ctx: Context, y: Year) -> list:
    if not ctx.data.has("improvements"):
        return []
    start = fy_bounds(y.label)[0]
    end = y.end if y.complete else ctx.data.data_as_of
    names = {s["service_id"]: s["name"] for s in ctx.data.table("services")}
    imps = sorted((i for i in ctx.data.table("improvements") if start <= i["published"] <= end), key=lambda i: (i["published"], i["improvement_id"]))
    parts: list = ["## What we learned and changed"]
    if not imps:
        parts.append(md_escape(f"We did not publish any changes made because of complaints in {y.display}."))
        return parts
    parts.append(md_escape(f"In {y.display} we published {len(imps)} changes we made because of what complaints told us."))
    parts.append(html_table([schema.field_title("improvements", "published"), "Service"]
                            + [schema.field_title("improvements", f) for f in ("you_said", "we_did", "status")],
                            [[uk_date(i["published"]), names.get(i["service_id"], i["service_id"]), i["you_said"], i["we_did"],
                              schema.label("improvements", "status", i["status"])] for i in imps],
                            caption=f"You said, we did: {y.display}"))
    return parts


# ---- 6 Ombudsman's letter -------------------------------------------------------------------------


def _letter(ctx: Context, y: Year) -> list:
    letters = [a["ombudsman_letter"] for a in _assessments(ctx, y) if a.get("ombudsman_letter")]
    if not letters and not ctx.data.has("ombudsman_cases"):
        return []
    parts: list = ["## The ombudsman's annual letter"]
    if not letters:
        parts.append(md_escape(f"The ombudsman's annual letter about us for {y.display} has not been published yet."
                               if not y.complete else f"We have not recorded an ombudsman's annual letter for {y.display}."))
        return parts
    for letter in letters:
        who = schema.label("ombudsman_cases", "ombudsman", letter["ombudsman"]) if letter.get("ombudsman") else "The ombudsman"
        when = f" on {uk_date(letter['date'])}" if letter.get("date") else ""
        text = f"{who} wrote its annual letter about us{when}."
        if letter.get("summary"):
            text += " " + letter["summary"]
        parts.append(md_escape(text))
        if letter.get("url"):
            parts.append(Markup(f'<p><a href="{h(letter["url"])}">Read the ombudsman\'s letter</a></p>'))
    return parts


# ---- 7 Commentary ---------------------------------------------------------------------------------


def commentary_path(ctx: Context, y: Year):
    return ctx.data.root / "commentary" / f"{y.slug}.md"


_LINK_TARGET = re.compile(r"(\]\(\s*<?)([^)\s>]*)")
_REF_DEF = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)(\S+?)(>?)(\s|$)", re.M)
_SAFE_URL = re.compile(r"^(https?://|mailto:|#|[A-Za-z0-9._/-]+(#[A-Za-z0-9_-]+)?$)")


def safe_markdown(text: str) -> str:
    """Officer-written Markdown that can only be Markdown: no raw HTML, no attribute lists or template
    syntax, no script links, and headings demoted below the report's section headings."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("{", "&#123;").replace("}", "&#125;")

    def link(m: re.Match) -> str:
        return m.group(1) + (m.group(2) if _SAFE_URL.match(m.group(2)) else "#")

    text = _LINK_TARGET.sub(link, text)
    text = _REF_DEF.sub(lambda m: m.group(1) + (m.group(2) if _SAFE_URL.match(m.group(2)) else "#") + m.group(3) + m.group(4), text)
    # A quote marker '>' was escaped above; put it back at line starts, where it is Markdown, not HTML.
    text = re.sub(r"^(\s{0,3})&gt;", r"\1>", text, flags=re.M)
    # '# Title' in the file becomes a level-3 heading: level 2 is the report's own sections.
    return re.sub(r"^(#{1,4})(?=\s)", lambda m: "##" + m.group(1), text, flags=re.M).strip()


def _commentary(ctx: Context, y: Year) -> list:
    path = commentary_path(ctx, y)
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8-sig").strip()
    if not text:
        return []
    return ["## Officers' commentary", safe_markdown(text)]


# ---- 8 Self-assessment ----------------------------------------------------------------------------


@cache
def _codes() -> dict:
    text = resources.files(__package__).joinpath("data", "code_provisions.yaml").read_text("utf-8")
    return yaml.safe_load(text)


_STATUS = {"yes": ("Yes", "ts-status--met"), "partly": ("Partly", "ts-status--partly"), "no": ("No", "ts-status--not-met")}


def _ref_key(ref: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(ref).split("."))


def summary_count(provisions: list[dict]) -> str:
    n = len(provisions)
    yes = sum(1 for p in provisions if p["compliant"] == "yes")
    partly = sum(1 for p in provisions if p["compliant"] == "partly")
    no = sum(1 for p in provisions if p["compliant"] == "no")
    return f"Compliant with {yes} of {n} provisions, partly with {partly}, not with {no}."


def _self_assessment(ctx: Context, y: Year) -> list:
    assessments = _assessments(ctx, y)
    parts: list = ["## Self-assessment against the Complaint Handling Code"]
    if not assessments:
        parts.append(md_escape(f"We have not yet published a self-assessment against the Complaint Handling Code for {y.display}."))
        return parts
    for a in assessments:
        spec = _codes().get(a["code"], {})
        titles = {str(k): v for k, v in (spec.get("provisions") or {}).items()}
        code_title = spec.get("title", a["code"])
        provisions = sorted(a["provisions"], key=lambda p: _ref_key(p["ref"]))
        parts.append(md_escape(f"We assessed ourselves against the {code_title} on {uk_date(a['assessed_on'])}. "
                               + summary_count(provisions)))
        rows = []
        for p in provisions:
            word, css = _STATUS[p["compliant"]]
            action = p.get("action") or "–"
            if p.get("action_due"):
                action = f"{action} By {uk_date(p['action_due'])}."
            rows.append([str(p["ref"]), p.get("requirement") or titles.get(str(p["ref"]), ""),
                         Markup(f'<span class="ts-status {css}">{h(word)}</span>'), p["evidence"], action])
        parts.append(html_table(["Provision", "Requirement", "Compliant", "Evidence", "Action and date"], rows,
                                caption=f"Self-assessment against the {code_title}, {y.display}"))
    return parts


# ---- 9 Tenant Satisfaction Measures ---------------------------------------------------------------


def _tsm(ctx: Context, page: str, y: Year, prev: Year | None) -> list:
    if not ctx.data.is_landlord or not (ctx.has("tsm_ch01") or ctx.has("tsm_ch02")):
        return []
    # A year to date is shown on its own: a part year's rate is never set beside a full year's.
    years = [prev, y] if (prev is not None and y.complete) else [y]
    rows, ids = [], []
    for mid in ("tsm_ch01", "tsm_ch02"):
        m = M.MEASURES[mid]
        for stage in ("1", "2"):
            for yr in years:
                r = ctx.row(mid, yr.label, stage)
                if r is None:
                    continue
                c, i = _cell(ctx, page, r, m)
                sup = r.get("status") == "suppressed"
                num = "[c]" if sup else ("–" if r["numerator"] is None else fmt.number(r["numerator"]))
                den = "[c]" if sup else ("–" if r["denominator"] is None else fmt.number(r["denominator"]))
                code = "CH01" if mid == "tsm_ch01" else "CH02"
                rows.append([f"{code} stage {stage}: {_tsm_name(mid)}", yr.display, c, num, den])
                ids.append([None, None, i, None, None])
    if not rows:
        return []
    homes = "homes owned at the end of the year" if y.complete else "homes owned"
    parts: list = ["## Tenant Satisfaction Measures",
                   md_escape("The Regulator of Social Housing asks landlords to publish two complaints measures. CH01 is complaints made "
                             f"per 1,000 homes (numerator: complaints made at that stage; denominator: {homes}). CH02 is the percentage of "
                             "complaints made in the year that were answered within the Complaint Handling Code's timescales "
                             "(numerator: those answered in time; denominator: complaints made at that stage). The Methodology page "
                             "gives the exact definitions.")]
    if not y.complete:
        parts.append(md_escape(f"These are figures for {y.display} so far, not a full year, so they are not compared with {prev.label if prev else 'an earlier year'}."))
    parts.append(html_table(["Measure", "Year", "Value", "Numerator", "Denominator"], rows,
                            caption=f"Tenant Satisfaction Measures for complaints, {y.display}", cell_ids=ids, numeric=(2, 3, 4)))
    return parts


def _tsm_name(mid: str) -> str:
    return "complaints per 1,000 homes" if mid == "tsm_ch01" else "answered within the Code's timescales"


# ---- 10 Governing body's response -----------------------------------------------------------------


def _response(ctx: Context, y: Year) -> list:
    parts: list = ["## Governing body's response"]
    responses = [a["governing_body_response"] for a in _assessments(ctx, y) if a.get("governing_body_response")]
    if not responses:
        parts.append(md_escape(f"The governing body's response to this report for {y.display} has not been published yet."))
        return parts
    for r in responses:
        parts.append(md_escape(f"{r['body']} responded on {uk_date(r['date'])}:"))
        parts.append("> " + md_escape(r["text"]))
    return parts
