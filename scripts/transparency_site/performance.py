"""Stage: performance pages. Measure rows → figures (chart + summary + table + citation) → pages.

Every number shown is a row of the measure registry (after disclosure control). The first page to
show a number gives it its permalink (figures.Registry); charts are rendered once per spec.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from . import charts, fmt, schema
from .figures import Registry, figure_id
from .load import Data
from .measures import MEASURES, Measure
from .pages import Page, h, html_table, md_escape, uk_date
from .periods import Year

SUPPRESSED = "[c]"
# A bar chart of a breakdown sorted largest first shows at most this many bars; its table lists every
# value. 150 services gave a 66 KB SVG (budget 40 KB) of bars too thin to read on a phone.
MAX_BARS = 25
SHORT_OMBUDSMAN = {"lgsco": "Local Government Ombudsman", "hos": "Housing Ombudsman", "psow": "Wales Ombudsman"}


@dataclass
class Context:
    """Everything a performance page needs, built once per site build."""

    data: Data
    rows: list[dict]
    years: list[Year]
    registry: Registry
    edition: dict  # {"date", "title", "status"} of the edition these figures belong to
    index: dict = field(default_factory=dict)  # (measure, period, dimension_value) → row
    figures: list[tuple[charts.Figure, str]] = field(default_factory=list)  # (figure, page path) for rendering
    cell_ids: dict[str, list[list[str | None]]] = field(default_factory=dict)  # figure → permalink id per table cell
    chart_pages: dict[str, str] = field(default_factory=dict)  # chart id → the page that shows it first

    def __post_init__(self):
        for r in self.rows:
            self.index[(r["measure"], r["period"], r["dimension_value"])] = r

    def row(self, measure: str, period: str, dimension_value: str | None = None) -> dict | None:
        return self.index.get((measure, period, dimension_value))

    def has(self, measure: str) -> bool:
        return any(k[0] == measure for k in self.index)

    @property
    def complete_years(self) -> list[Year]:
        return [y for y in self.years if y.complete]

    @property
    def latest(self) -> Year | None:
        return self.complete_years[-1] if self.complete_years else None

    @property
    def ytd(self) -> Year | None:
        return self.years[-1] if self.years and not self.years[-1].complete else None

    def year(self, label: str) -> Year | None:
        return next((y for y in self.years if y.label == label), None)


# ---- labels -------------------------------------------------------------------------------------


def dimension_label(data: Data, dimension: str | None, value: str | None) -> str:
    """A dimension value as residents read it: service names, stage names, channel labels."""
    if value is None:
        return "All"
    if dimension == "service":
        for s in data.table("services"):
            if s["service_id"] == value:
                return s["name"]
        return value
    if dimension == "stage":
        return f"Stage {value}"
    if dimension in ("channel", "category", "outcome", "not_accepted_reason"):
        res = "complaints"
        return schema.label(res, dimension, value)
    if dimension == "ombudsman":
        return SHORT_OMBUDSMAN.get(value) or schema.label("ombudsman_cases", "ombudsman", value)
    if dimension == "ombudsman_outcome":
        # Short names: the full ombudsman names would be cut off in a chart's labels.
        omb, _, outcome = value.partition(":")
        return f"{SHORT_OMBUDSMAN.get(omb, omb)}: {schema.label('ombudsman_cases', 'outcome', outcome).lower()}"
    if dimension == "month":
        return fmt.month(value)
    if dimension == "standard":
        for s in data.standards:
            if s["id"] == value:
                return s["promise"]
    return str(value)


def show(row: dict | None, measure: Measure, unit: str | None = None) -> str:
    """A cell as residents read it: '[c]' when suppressed, '–' when there is no figure."""
    if row is None:
        return "–"
    if row.get("status") == "suppressed":
        return SUPPRESSED
    if row["value"] is None:
        return "–"
    unit = unit or measure.unit
    if unit == "standard":  # a standard's value is in the standard's own unit; callers pass it
        return fmt.number(row["value"])
    return fmt.format_value(row["value"], unit)


def year_display(ctx: Context, period: str) -> str:
    y = ctx.year(period)
    return y.display if y else period


# ---- links and citations ------------------------------------------------------------------------


def page_dir(path: str) -> str:
    """The URL folder of a generated page ('performance/complaints.md' → 'performance/complaints/')."""
    stem = path[:-3]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")]
        return stem
    return stem + "/"


def rel(from_page: str, target: str) -> str:
    """A relative URL from a page to a site path (used inside raw HTML, which MkDocs leaves alone)."""
    base = page_dir(from_page) or "."
    out = posixpath.relpath(target or ".", base)
    return out + ("/" if (target.endswith("/") or not target) and not out.endswith("/") else "")


def page_url(path: str) -> str:
    return page_dir(path)


def citation(ctx: Context, measure: Measure, row: dict | None, permalink: str, period: str | None = None) -> str:
    """Council, measure, value (one figure) or period (a breakdown), edition and status, permalink."""
    council = ctx.data.council["name"]
    ed = ctx.edition
    value = show(row, measure) if row else ""
    period = year_display(ctx, row["period"]) if row else period
    what = f"{measure.title}, {period}: {value}. " if row else (f"{measure.title}, {period}. " if period else f"{measure.title}. ")
    return f"{council}. {what}Complaints data, edition {ed['date']} ({ed['status']}). {permalink}"


def csv_url(measure_id: str) -> str:
    return f"data/measures/{measure_id}.csv"


# ---- figures ------------------------------------------------------------------------------------


def _chart_id(measure_id: str, suffix: str = "") -> str:
    return "chart-" + figure_id(measure_id, suffix or "all")


def trend_figure(ctx: Context, page: str, measure_id: str, *, headline: str | None = None) -> Markup | None:
    """A measure without breakdown, across every year (a year to date is marked, never compared as complete)."""
    m = MEASURES.get(measure_id)
    if m is None or not ctx.has(measure_id):
        return None
    rows = [ctx.row(measure_id, y.label) for y in ctx.years]
    pairs = [(y, r) for y, r in zip(ctx.years, rows, strict=True) if r is not None]
    if not pairs:
        return None
    labels = [y.display for y, _ in pairs]
    values = [None if r["status"] == "suppressed" else r["value"] for _, r in pairs]
    chart = charts.column_trend(labels, values, ytd_flags=[not y.complete for y, _ in pairs], value_format=_vega_format(m), y_title=m.title)
    table_rows, ids = [], []
    for y, r in pairs:
        fid = ctx.registry.place(r, page_url(page))
        table_rows.append([y.display, show(r, m)] + _nd(r, m))
        ids.append([None, fid] + [None] * len(_nd(r, m)))
    cols = ["Year", m.title] + _nd_cols(m)
    latest = pairs[-1][1]
    summary = _trend_sentence(ctx, m)
    fid = _chart_id(measure_id)
    fig = charts.Figure(
        id=fid, title=headline or summary_headline(ctx, m), subtitle=f"{m.title} ({unit_words(m)}), {labels[0]} to {labels[-1]}",
        summary=summary, chart=chart, table_columns=cols, table_rows=table_rows, csv_url=rel(page, csv_url(measure_id)),
        citation=citation(ctx, m, latest, f"{ctx.registry.site_url}{page_url(page)}#{fid}"), notes=_notes(ctx, rows),
    )
    return _register(ctx, fig, page, ids)


def breakdown_figure(ctx: Context, page: str, measure_id: str, *, period: str | None = None, only: Callable[[str], bool] | None = None, headline: str | None = None) -> Markup | None:
    """A measure broken down (by service, channel, ...): a bar chart for one year, a table for every year."""
    m = MEASURES.get(measure_id)
    if m is None or not ctx.has(measure_id):
        return None
    years = [y for y in ctx.years if any(k[0] == measure_id and k[1] == y.label for k in ctx.index)]
    if not years:
        return None
    focus = ctx.year(period) if period else (ctx.latest if ctx.latest in years else years[-1])
    values = sorted(
        {k[2] for k in ctx.index if k[0] == measure_id and k[2] is not None and (only is None or only(k[2]))},
        key=lambda v: _order_key(m, v),
    )
    if not values:
        return None
    if m.unit == "count" and m.dimension not in ("stage", "month"):
        # Largest first for the chosen year: the question is "what are most complaints about?"
        values.sort(key=lambda v: -(_num(ctx.row(measure_id, focus.label, v))))
        largest = len(values) > MAX_BARS
    else:
        largest = False
    labels = [dimension_label(ctx.data, m.dimension, v) for v in values]
    focus_rows = [ctx.row(measure_id, focus.label, v) for v in values]
    shown = MAX_BARS if largest else len(values)
    chart = charts.bar_chart(labels[:shown], [None if (r is None or r["status"] == "suppressed") else r["value"] for r in focus_rows[:shown]],
                             value_format=_vega_format(m), x_title=m.title, y_title="")  # bar names say what they are
    cols = [_dim_title(m)] + [y.display for y in years]
    table_rows, ids = [], []
    for v, label in zip(values, labels, strict=True):
        cells, cell_ids = [label], [None]
        for y in years:
            r = ctx.row(measure_id, y.label, v)
            cells.append(show(r, m))
            cell_ids.append(ctx.registry.place(r, page_url(page)) if r else None)
        table_rows.append(cells)
        ids.append(cell_ids)
    fid = _chart_id(measure_id, focus.label)
    summary = _breakdown_sentence(ctx, m, focus, values, labels)
    fig = charts.Figure(
        id=fid, title=headline or _breakdown_headline(ctx, m, focus, values, labels),
        subtitle=f"{m.title} ({unit_words(m)}), {focus.display}" + (f": the {shown} largest of {len(values)}; the table lists all" if largest else ""),
        summary=summary, chart=chart, table_columns=cols, table_rows=table_rows, csv_url=rel(page, csv_url(measure_id)),
        citation=citation(ctx, m, None, f"{ctx.registry.site_url}{page_url(page)}#{fid}", period=focus.display),
        notes=_notes(ctx, [ctx.row(measure_id, y.label, v) for y in years for v in values]),
    )
    return _register(ctx, fig, page, ids)


def monthly_figure(ctx: Context, page: str, measure_id: str, *, headline: str | None = None, months: int = 24) -> Markup | None:
    """A monthly series by dimension (for example contacts by channel), the last ``months`` months."""
    m = MEASURES.get(measure_id)
    if m is None or not ctx.has(measure_id):
        return None
    periods = sorted({k[1] for k in ctx.index if k[0] == measure_id})[-months:]
    values = sorted({k[2] for k in ctx.index if k[0] == measure_id and k[2] is not None}, key=lambda v: _order_key(m, v))
    series = {}
    for v in values:
        label = dimension_label(ctx.data, m.dimension, v)
        series[label] = [(fmt.month(p), _val(ctx.row(measure_id, p, v))) for p in periods]
    chart = charts.line_chart(series, value_format=_vega_format(m), y_title=m.title)
    cols = ["Month"] + list(series)
    table_rows, ids = [], []
    for p in periods:
        cells, cell_ids = [fmt.month(p)], [None]
        for v in values:
            r = ctx.row(measure_id, p, v)
            cells.append(show(r, m))
            cell_ids.append(ctx.registry.place(r, page_url(page)) if r else None)
        table_rows.append(cells)
        ids.append(cell_ids)
    fid = _chart_id(measure_id, "monthly")
    summary = headline or f"{m.title} by month, {fmt.month(periods[0])} to {fmt.month(periods[-1])}."
    fig = charts.Figure(
        id=fid, title=summary, subtitle=f"{m.title} by {_dim_title(m).lower()} and month",
        summary=_monthly_sentence(ctx, m, periods, values), chart=chart, table_columns=cols, table_rows=table_rows,
        csv_url=rel(page, csv_url(measure_id)), citation=citation(ctx, m, None, f"{ctx.registry.site_url}{page_url(page)}#{fid}",
                                                                  period=f"{fmt.month(periods[0])} to {fmt.month(periods[-1])}"),
        notes=[],
    )
    return _register(ctx, fig, page, ids)


def _register(ctx: Context, fig: charts.Figure, page: str, ids: list[list[str | None]] | None = None) -> Markup:
    """Figures are rendered to SVG in one batch later; the page holds a marker comment until then."""
    if fig.id in ctx.cell_ids:
        # The same chart on a second page (e.g. the overview) gets its own id there: ids are the
        # markers that put each rendered figure into its page, and the first page keeps the plain id.
        # Its citation names the canonical figure's permalink, on the page that first showed it.
        home = ctx.chart_pages[fig.id]
        here, canonical = f"{page_url(page)}#{fig.id}", f"{page_url(home)}#{fig.id}"
        fig = dataclasses.replace(fig, id=f"{fig.id}--{_slug_of(page)}", citation=fig.citation.replace(here, canonical))
    else:
        ctx.chart_pages[fig.id] = page
    ctx.figures.append((fig, page))
    ctx.cell_ids[fig.id] = ids or []
    return Markup(f"<!--ts-figure:{fig.id}-->")


def _slug_of(page: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", page[:-3].lower()).strip("-") or "home"


def _val(row: dict | None):
    if row is None or row.get("status") == "suppressed":
        return None
    return row["value"]


def _num(row: dict | None) -> float:
    v = _val(row)
    return -1 if v is None else float(v)


def _nd(row: dict, m: Measure) -> list[str]:
    if m.unit in ("percent", "per_1000", "ratio"):
        if row.get("status") == "suppressed":
            return [SUPPRESSED, SUPPRESSED]
        return [fmt.number(row["numerator"]) if row["numerator"] is not None else "–", fmt.number(row["denominator"]) if row["denominator"] is not None else "–"]
    return []


def _nd_cols(m: Measure) -> list[str]:
    return ["Numerator", "Denominator"] if m.unit in ("percent", "per_1000", "ratio") else []


def _order_key(m: Measure, v: str):
    if m.dimension == "stage":
        return (int(v),)
    return (v,)


def _dim_title(m: Measure) -> str:
    return {
        "stage": "Stage", "service": "Service", "channel": "Channel", "category": "Category", "outcome": "Outcome",
        "ombudsman": "Ombudsman", "ombudsman_outcome": "Ombudsman and outcome", "month": "Month",
        "not_accepted_reason": "Reason", "standard": "Standard",
    }.get(m.dimension or "", (m.dimension or "").replace("_", " ").capitalize())


def unit_words(m: Measure) -> str:
    return {
        "count": "number", "percent": "per cent", "per_1000": "rate per 1,000", "working_days": "working days",
        "seconds": "minutes and seconds", "gbp": "pounds", "ratio": "ratio",
    }.get(m.unit, m.unit)


def _vega_format(m: Measure):
    """How a chart labels its values: the same words as the tables (fmt.format_value)."""
    return lambda v: fmt.format_value(v, m.unit)


def _notes(ctx: Context, rows) -> list[str]:
    notes = []
    if any(r is not None and r.get("status") == "suppressed" for r in rows):
        from .disclosure import footnote

        notes.append(footnote(ctx.data.threshold))
    if ctx.ytd is not None:
        notes.append(f"{ctx.ytd.display} is the year so far, up to {uk_date(ctx.ytd.end)}. It is not a full year.")
    return notes


# ---- sentences ----------------------------------------------------------------------------------


def _trend_sentence(ctx: Context, m: Measure) -> str:
    from .measures import sentence

    year = ctx.ytd or ctx.latest
    try:
        return sentence(ctx.data, ctx.rows, m.id, year.label) if ctx.ytd is None else (
            sentence(ctx.data, ctx.rows, m.id, ctx.latest.label) + " " + sentence(ctx.data, ctx.rows, m.id, ctx.ytd.label)
            if ctx.latest else sentence(ctx.data, ctx.rows, m.id, ctx.ytd.label)
        )
    except (KeyError, ValueError, TypeError):
        r = ctx.row(m.id, year.label)
        return f"{m.title} in {year.display}: {show(r, m)}."


def summary_headline(ctx: Context, m: Measure) -> str:
    """A short headline message: the direction of the latest complete year's change."""
    if ctx.latest is None:
        return m.title
    cur = ctx.row(m.id, ctx.latest.label)
    idx = ctx.complete_years.index(ctx.latest)
    prev = ctx.row(m.id, ctx.complete_years[idx - 1].label) if idx > 0 else None
    if not cur or not prev or _val(cur) is None or _val(prev) is None:
        return f"{m.title}: {show(cur, m)} in {ctx.latest.display}"
    if cur["value"] > prev["value"]:
        word = "rose"
    elif cur["value"] < prev["value"]:
        word = "fell"
    else:
        word = "stayed the same"
    return f"{m.title} {word} in {ctx.latest.display}"


def _breakdown_sentence(ctx: Context, m: Measure, year: Year, values: list[str], labels: list[str]) -> str:
    pairs = [(label, ctx.row(m.id, year.label, v)) for v, label in zip(values, labels, strict=True)]
    shown = [(label, r) for label, r in pairs if _val(r) is not None]
    if not shown:
        return f"{m.title} in {year.display}: figures are too small to publish."
    if m.unit == "count":
        top = max(shown, key=lambda p: p[1]["value"])
        others = [p for p in shown if p is not top]
        second = max(others, key=lambda p: p[1]["value"]) if others else None
        text = f"In {year.display}, the largest number was for {top[0].lower() if m.dimension in ('channel', 'category', 'outcome') else top[0]} ({show(top[1], m)})"
        if second:
            text += f", then {second[0].lower() if m.dimension in ('channel', 'category', 'outcome') else second[0]} ({show(second[1], m)})"
        return text + "."
    best = max(shown, key=lambda p: p[1]["value"])
    worst = min(shown, key=lambda p: p[1]["value"])
    if best is worst:
        return f"In {year.display}, {m.title.lower()} was {show(best[1], m)} for {best[0]}."
    return f"In {year.display}, {m.title.lower()} ranged from {show(worst[1], m)} ({worst[0]}) to {show(best[1], m)} ({best[0]})."


def _breakdown_headline(ctx: Context, m: Measure, year: Year, values: list[str], labels: list[str]) -> str:
    """A short headline message: which part stood out in the year."""
    shown = [(label, _val(ctx.row(m.id, year.label, v))) for v, label in zip(values, labels, strict=True)]
    shown = [(label, v) for label, v in shown if v is not None]
    if not shown:
        return f"{m.title}, {year.display}"
    top = max(shown, key=lambda p: p[1])
    if m.unit == "count":
        return f"{top[0]} had the most {m.title.split(' by ')[0].lower()} in {year.display}"
    return f"{m.title} was highest for {top[0]} in {year.display}"


def _monthly_sentence(ctx: Context, m: Measure, periods: list[str], values: list[str]) -> str:
    totals = []
    for v in values:
        first, last = _val(ctx.row(m.id, periods[0], v)), _val(ctx.row(m.id, periods[-1], v))
        if first is not None and last is not None:
            totals.append((dimension_label(ctx.data, m.dimension, v), first, last))
    if not totals:
        return f"{m.title} by month."
    biggest = max(totals, key=lambda t: abs(t[2] - t[1]))
    word = "rose" if biggest[2] > biggest[1] else "fell" if biggest[2] < biggest[1] else "stayed the same"
    return (f"The biggest change was in {biggest[0].lower()}, which {word} from {fmt.format_value(biggest[1], m.unit)} in "
            f"{fmt.month(periods[0])} to {fmt.format_value(biggest[2], m.unit)} in {fmt.month(periods[-1])}.")


# ---- headline figures -----------------------------------------------------------------------------


def headline(ctx: Context, page: str, measure_id: str, period: str, label: str | None = None, dimension_value: str | None = None) -> Markup | None:
    """One big number with its label, linked to its permalink."""
    m = MEASURES.get(measure_id)
    r = ctx.row(measure_id, period, dimension_value)
    if m is None or r is None:
        return None
    fid = figure_id(measure_id, period, dimension_value)
    ctx.registry.place(r, page_url(page))
    target = ctx.registry.placed[fid]
    href = "#" + fid if target == page_url(page) else rel(page, target) + "#" + fid
    anchor = f' id="{fid}"' if target == page_url(page) else ""
    change = ""
    y = ctx.year(period)
    if y and y.complete:
        prev = _previous_complete(ctx, y)
        pr = ctx.row(measure_id, prev.label, dimension_value) if prev else None
        if pr and _val(pr) is not None and _val(r) is not None and pr["value"]:
            change = f'<span class="ts-headline__change">{h(change_words(m, pr["value"], r["value"]))} on {h(prev.display)}</span>'
    return Markup(
        f'<li{anchor}><span class="ts-headline__value">{h(show(r, m))}</span>'
        f'<span class="ts-headline__label">{h(label or m.title)} in {h(year_display(ctx, period))}</span>{change}'
        f'<a href="{h(href)}">Link to this figure<span class="md-visually-hidden"> ({h(label or m.title)}, {h(year_display(ctx, period))})</span></a></li>'
    )


def change_words(m: Measure, old: float, new: float) -> str:
    """'+25%' for counts; '+2.1 percentage points' for percentages (a change in a rate is not a % change)."""
    if m.unit == "percent":
        diff = new - old
        if not diff:
            return "no change"
        return f"{'+' if diff > 0 else '−'}{fmt.number(abs(diff), 1)} percentage points"
    if new == old:
        return "no change"
    pct = (new - old) / old * 100
    return f"{'+' if pct > 0 else '−'}{fmt.percent_change(pct)}"


def _previous_complete(ctx: Context, y: Year) -> Year | None:
    cy = ctx.complete_years
    return cy[cy.index(y) - 1] if y in cy and cy.index(y) > 0 else None


def headlines(items: list[Markup | None]) -> Markup:
    items = [i for i in items if i is not None]
    if not items:
        return Markup("")
    return Markup('<ul class="ts-headlines">' + "".join(items) + "</ul>")


def provenance(ctx: Context, page: str) -> Markup:
    """Which edition and data date a page shows, and whether its figures are provisional or final."""
    ed = ctx.edition
    return Markup(
        f'<p class="ts-provenance">These figures are from the {h(ed["label"])}. They use data up to '
        f'{h(uk_date(ctx.data.data_as_of))} and are <strong>{h(ed["status"])}</strong>. '
        f'<a href="{h(rel(page, "data/editions/"))}">See all editions and revisions</a>.</p>'
    )


def md_page(path: str, title: str, parts: list[str | Markup | None], section: str | None = "Performance",
            in_nav: bool = True, heading: str | None = None) -> Page:
    body = "\n\n".join(str(p) for p in parts if p)
    return Page(path, title, f"# {md_escape(heading or title)}\n\n{body}\n", section=section, in_nav=in_nav)


# ---- the pages ----------------------------------------------------------------------------------

P = "performance/"


def _links(items: list[tuple[str, str]], page: str) -> str:
    return "\n".join(f"- [{md_escape(t)}]({posixpath.relpath(p, posixpath.dirname(page) or '.')})" for t, p in items)


def home_page(ctx: Context) -> Page:
    page = "index.md"
    c = ctx.data.council
    latest, ytd = ctx.latest, ctx.ytd
    parts: list = [
        f"This site tells you how to complain to {md_escape(c['name'])}. It also shows how well we deal with complaints.",
        "## Make a complaint",
        "If you are unhappy with a council service, tell us. It is free and we will help you.\n\n"
        "[How to complain](how-to-complain.md){ .md-button .md-button--primary }",
    ]
    for y in [latest, ytd]:
        if y is None:
            continue
        parts.append(f"## {md_escape('The year so far' if not y.complete else 'Last full year')}: {md_escape(y.display)}")
        parts.append(headlines([
            headline(ctx, page, "complaints_received", y.label, "Complaints"),
            headline(ctx, page, "complaints_outcomes", y.label, "Complaints fully upheld", dimension_value="upheld"),
            headline(ctx, page, "complaints_responded_on_time", y.label, "Answered on time"),
            headline(ctx, page, "compliments_received", y.label, "Compliments"),
        ]))
    if latest is not None:
        parts.append(md_escape(_trend_sentence(ctx, MEASURES["complaints_received"])) if ctx.has("complaints_received") else "")
    parts.append("## Find out more")
    parts.append(_links([("How we are doing", P + "index.md"), ("Complaints", P + "complaints.md"),
                         ("What we changed because of complaints", P + "improvements.md"), ("Open data", "data/index.md")], page))
    parts.append(provenance(ctx, page))
    return md_page(page, "Home", parts, section=None, heading=f"Complaints to {c['name']}")


def _section(title: str, *figs) -> list:
    figs = [f for f in figs if f]
    return [f"## {md_escape(title)}", *figs] if figs else []


def overview_page(ctx: Context) -> Page:
    page = P + "index.md"
    parts: list = ["How many complaints we get, how we deal with them, and what we learn from them."]
    for y in [ctx.latest, ctx.ytd]:
        if y is None:
            continue
        parts.append(f"## {md_escape(y.display)}")
        parts.append(headlines([
            headline(ctx, page, "complaints_received", y.label, "Complaints received"),
            headline(ctx, page, "complaints_per_1000_residents", y.label, "Complaints per 1,000 residents"),
            headline(ctx, page, "complaints_responded_on_time", y.label, "Answered on time"),
            headline(ctx, page, "ombudsman_decisions", y.label, "Ombudsman decisions"),
            headline(ctx, page, "contacts_received", y.label, "Customer contacts"),
        ]))
    parts += _section("Complaints each year", trend_figure(ctx, page, "complaints_received"))
    parts.append("## Pages in this section")
    items = [("Complaints", P + "complaints.md"), ("Complaints by service", P + "services/index.md"),
             ("Compliments", P + "compliments.md"), ("Ombudsman decisions", P + "ombudsman.md"),
             ("Customer contact", P + "contact.md"), ("Service standards", P + "standards.md"),
             ("What we changed", P + "improvements.md"), ("How we compare", P + "comparisons.md")]
    parts.append(_links([i for i in items if i[1] in ctx_pages(ctx)], page))
    parts.append(provenance(ctx, page))
    return md_page(page, "How we are doing", parts)


def ctx_pages(ctx: Context) -> set[str]:
    """Performance pages that this council's data supports (optional datasets absent → page absent)."""
    have = {P + "index.md", P + "complaints.md", P + "services/index.md", P + "improvements.md"}
    if ctx.data.has("compliments"):
        have.add(P + "compliments.md")
    if ctx.data.has("ombudsman_cases"):
        have.add(P + "ombudsman.md")
    if ctx.data.has("contacts") or ctx.data.has("calls") or ctx.data.has("satisfaction"):
        have.add(P + "contact.md")
    if ctx.data.standards:
        have.add(P + "standards.md")
    if not ctx.data.has("improvements"):
        have.discard(P + "improvements.md")
    if ctx.data.has("benchmarks"):
        have.add(P + "comparisons.md")
    return have


def complaints_page(ctx: Context) -> Page:
    page = P + "complaints.md"
    parts: list = ["How many complaints we received, what they were about, and how quickly and fairly we dealt with them."]
    if ctx.latest is not None:
        parts.append(headlines([
            headline(ctx, page, "complaints_received", ctx.latest.label, "Complaints received"),
            headline(ctx, page, "complaints_outcomes", ctx.latest.label, "Complaints fully upheld", dimension_value="upheld"),
            headline(ctx, page, "complaints_responded_on_time", ctx.latest.label, "Answered on time"),
            headline(ctx, page, "complaints_median_working_days", ctx.latest.label, "Typical time to answer"),
        ]))
    parts += _section("How many complaints we received", trend_figure(ctx, page, "complaints_received"),
                      breakdown_figure(ctx, page, "complaints_received_by_stage"),
                      trend_figure(ctx, page, "complaints_per_1000_residents"),
                      trend_figure(ctx, page, "complaints_per_1000_contacts"))
    parts += _section("Outcomes", trend_figure(ctx, page, "complaints_upheld_rate"),
                      breakdown_figure(ctx, page, "complaints_outcomes"),
                      breakdown_figure(ctx, page, "complaints_upheld_rate_by_stage"),
                      breakdown_figure(ctx, page, "complaints_closed_by_outcome"),
                      trend_figure(ctx, page, "complaints_not_accepted"),
                      breakdown_figure(ctx, page, "complaints_not_accepted_by_reason"))
    parts += _section("How quickly we answered", trend_figure(ctx, page, "complaints_responded_on_time"),
                      breakdown_figure(ctx, page, "complaints_responded_on_time_by_stage"),
                      breakdown_figure(ctx, page, "complaints_responded_on_time_without_extension_by_stage"),
                      breakdown_figure(ctx, page, "complaints_acknowledged_on_time_by_stage"),
                      breakdown_figure(ctx, page, "complaints_median_working_days_by_stage"),
                      trend_figure(ctx, page, "complaints_closed"))
    parts += _section("Complaints still open", trend_figure(ctx, page, "complaints_open_at_data_as_of"),
                      trend_figure(ctx, page, "complaints_overdue_at_data_as_of"))
    parts += _section("Going to the next stage", breakdown_figure(ctx, page, "complaints_escalation_rate"),
                      trend_figure(ctx, page, "complaints_escalated_to_ombudsman_rate"))
    parts += _section("How people complained", breakdown_figure(ctx, page, "complaints_received_by_channel"))
    parts += _section("What complaints were about", breakdown_figure(ctx, page, "complaints_received_by_category"))
    if ctx.data.is_landlord:
        parts += _section("Tenant Satisfaction Measures", breakdown_figure(ctx, page, "tsm_ch01"), breakdown_figure(ctx, page, "tsm_ch02"))
    parts.append(provenance(ctx, page))
    return md_page(page, "Complaints", parts)


def services_pages(ctx: Context) -> list[Page]:
    index = P + "services/index.md"
    services = ctx.data.table("services")
    out = []
    rows_for_table = []
    for s in services:
        path = f"{P}services/{s['service_id']}.md"
        parts: list = [f"Complaints and compliments about {md_escape(s['name'])} ({md_escape(s['directorate'])})."]
        received = [(y, ctx.row("complaints_received_by_service", y.label, s["service_id"])) for y in ctx.years]
        m = MEASURES.get("complaints_received_by_service")
        if m:
            table = html_table(["Year", "Complaints received", "Compliments received"], [
                [y.display, show(r, m), show(ctx.row("compliments_received_by_service", y.label, s["service_id"]), MEASURES.get("compliments_received_by_service", m))]
                for y, r in received], caption=f"Complaints and compliments about {s['name']}", numeric=(1, 2))
            parts += ["## Complaints and compliments each year", table]
        imps = [i for i in ctx.data.table("improvements") if i["service_id"] == s["service_id"]]
        if imps:
            parts.append("## What we changed")
            parts.append(html_table(["Published", "You said", "We did", "Status"],
                                    [[uk_date(i["published"]), i["you_said"], i["we_did"], schema.label("improvements", "status", i["status"])] for i in imps],
                                    caption=f"Changes to {s['name']} after complaints"))
        parts.append(_notes_md(ctx, [r for _, r in received]))
        parts.append(provenance(ctx, path))
        out.append(md_page(path, s["name"], parts, in_nav=False))
        latest = ctx.latest or (ctx.years[-1] if ctx.years else None)
        r = ctx.row("complaints_received_by_service", latest.label, s["service_id"]) if latest else None
        rows_for_table.append([Markup(f'<a href="{h(rel(index, path[:-3] + "/"))}">{h(s["name"])}</a>'), s["directorate"],
                               show(r, m) if m else "–"])
    year = (ctx.latest or ctx.years[-1]).display if ctx.years else ""
    parts = ["Choose a service to see its complaints, compliments and what it changed.",
             breakdown_figure(ctx, index, "complaints_received_by_service"),
             "## All services",
             html_table(["Service", "Directorate", f"Complaints in {year}"], rows_for_table, caption="Council services", numeric=(2,)),
             provenance(ctx, index)]
    return [md_page(index, "Complaints by service", parts), *out]


def _notes_md(ctx: Context, rows) -> str:
    return " ".join(md_escape(n) for n in _notes(ctx, rows))


def compliments_page(ctx: Context) -> Page:
    page = P + "compliments.md"
    parts = ["Compliments are when residents tell us we did something well."]
    parts += _section("Compliments each year", trend_figure(ctx, page, "compliments_received"),
                      trend_figure(ctx, page, "compliments_per_complaint"))
    parts += _section("Compliments by service", breakdown_figure(ctx, page, "compliments_received_by_service"))
    parts.append(provenance(ctx, page))
    return md_page(page, "Compliments", parts)


def ombudsman_page(ctx: Context) -> Page:
    page = P + "ombudsman.md"
    names = ", ".join(e["name"] for e in ctx.data.policy["escalation"])
    parts = [f"If people are still unhappy after our final reply, they can go to an ombudsman: {md_escape(names)}. "
             "This page shows what the ombudsmen decided about us."]
    parts += _section("Cases and decisions", trend_figure(ctx, page, "ombudsman_escalations"), trend_figure(ctx, page, "ombudsman_decisions"),
                      breakdown_figure(ctx, page, "ombudsman_decisions_by_ombudsman"),
                      breakdown_figure(ctx, page, "ombudsman_decisions_by_outcome"))
    parts += _section("Findings against us and putting things right", trend_figure(ctx, page, "ombudsman_upheld_rate"),
                      breakdown_figure(ctx, page, "ombudsman_upheld_rate"),
                      trend_figure(ctx, page, "ombudsman_compliance_rate"), trend_figure(ctx, page, "ombudsman_financial_remedies_gbp"),
                      trend_figure(ctx, page, "ombudsman_remedy_by_council"), trend_figure(ctx, page, "ombudsman_remedy_by_council_rate"))
    parts.append(provenance(ctx, page))
    return md_page(page, "Ombudsman decisions", parts)


def contact_page(ctx: Context) -> Page:
    page = P + "contact.md"
    parts = ["How residents contact us, how quickly we answer the phone, and how satisfied people are."]
    parts += _section("Contacts", trend_figure(ctx, page, "contacts_received"), breakdown_figure(ctx, page, "contacts_received_by_channel"),
                      monthly_figure(ctx, page, "contacts_by_month"), trend_figure(ctx, page, "online_share"))
    parts += _section("Phone calls", trend_figure(ctx, page, "calls_offered"), trend_figure(ctx, page, "calls_answered_rate"),
                      trend_figure(ctx, page, "calls_answered_within_60s_rate"), trend_figure(ctx, page, "calls_abandoned_rate"),
                      trend_figure(ctx, page, "calls_average_handle_seconds"), trend_figure(ctx, page, "calls_average_wait_seconds"))
    parts += _section("Satisfaction", trend_figure(ctx, page, "satisfaction_rate"), breakdown_figure(ctx, page, "satisfaction_by_channel"))
    parts.append(provenance(ctx, page))
    return md_page(page, "Customer contact", parts)


def improvements_page(ctx: Context) -> Page:
    page = P + "improvements.md"
    rows = sorted(ctx.data.table("improvements"), key=lambda i: (i["published"], i["improvement_id"]), reverse=True)
    names = {s["service_id"]: s["name"] for s in ctx.data.table("services")}
    parts = ["Complaints help us find things to put right. Here is what you told us and what we changed.",
             html_table([schema.field_title("improvements", f) for f in ("published", "service_id", "you_said", "we_did", "status")],
                        [[uk_date(i["published"]), names.get(i["service_id"], i["service_id"]), i["you_said"], i["we_did"],
                          schema.label("improvements", "status", i["status"])] for i in rows],
                        caption="You said, we did", row_headers=True)]
    return md_page(page, "What we changed", parts)


def standards_page(ctx: Context) -> Page:
    page = P + "standards.md"
    from .measures import standards_met

    results = standards_met(ctx.data, ctx.rows)
    years = [y for y in ctx.years if any(r["period"] == y.label for r in results)]
    parts = ["Our service standards are promises about how we will serve you. This page shows whether we kept them."]
    for y in reversed(years):
        yr = [r for r in results if r["period"] == y.label]
        met = sum(1 for r in yr if r["met"] is True)
        judged = sum(1 for r in yr if r["met"] is not None)
        parts.append(f"## {md_escape(y.display)}")
        parts.append(md_escape(f"We met {met} of {judged} standards in {y.display}." if judged else f"No results yet for {y.display}."))
        rows, ids = [], []
        for r in yr:
            std = next(s for s in ctx.data.standards if s["id"] == r["standard_id"])
            unit = std["unit"]
            value = fmt.format_value(r["value"], unit) if r["value"] is not None else ("[c]" if r.get("suppressed") else "no data")
            target = ("at least " if std["better"] == "higher" else "at most ") + fmt.format_value(std["target"], unit)
            if r["met"] is None:
                status = Markup('<span class="ts-status">No result</span>')
            elif r["met"]:
                status = Markup('<span class="ts-status ts-status--met">Met</span>')
            else:
                status = Markup('<span class="ts-status ts-status--not-met">Not met</span>')
            rows.append([std["promise"], target, value, status])
            row = ctx.row("standard_result", y.label, std["id"])
            ids.append([None, None, ctx.registry.place(row, page_url(page)) if row else None, None])
        parts.append(html_table(["Our promise", "Target", "Result", "Met?"], rows, caption=f"Service standards, {y.display}", cell_ids=ids))
    if ctx.ytd:
        parts.append(md_escape(_notes(ctx, [])[-1]))
    parts.append(provenance(ctx, page))
    return md_page(page, "Service standards", parts)


def methodology_page(ctx: Context) -> Page:
    page = "about/methodology.md"
    from .disclosure import method as disclosure_method

    parts = [
        "Every number on this site comes from one list of measures. Each measure is worked out the same way every time, "
        "from the open data on this site. This page gives the definition and the method of each.",
        "## Years and working days",
        md_escape("Years are financial years, from 1 April to 31 March, written like 2022/23. The year that is still running is "
                  "shown as the year so far, for example 2023/24 (Q1–Q3), and is never compared with a full year as if it were complete. "
                  "Working days are Monday to Friday, except bank holidays in England and Wales and days the council is closed."),
        "## Small numbers",
        md_escape(disclosure_method(ctx.data.threshold)),
    ]
    groups = {"complaints": "Complaints", "tsm": "Tenant Satisfaction Measures", "compliments": "Compliments",
              "ombudsman": "Ombudsman decisions", "contact": "Customer contact", "standards": "Service standards"}
    available = {m.id for m in measures_available(ctx)}
    for g, title in groups.items():
        ms = [m for m in MEASURES.values() if m.group == g and m.id in available]
        if not ms:
            continue
        parts.append(f"## {md_escape(title)}")
        for m in ms:
            parts.append(f"### {md_escape(m.title)} {{ #measure-{m.id.replace('_', '-')} }}")
            parts.append(f"{md_escape(m.definition)}\n\n"
                         f"- **Measure ID:** `{m.id}`\n- **Unit:** {md_escape(unit_words(m))}\n"
                         + (f"- **Broken down by:** {md_escape(_dim_title(m).lower())}\n" if m.dimension else "")
                         + f"- **Method:** {md_escape(m.method)}\n"
                         f"- **Data:** [{m.id}.csv](../data/measures/{m.id}.csv)")
    return md_page(page, "Methodology", parts, section="About")


def measures_available(ctx: Context) -> list[Measure]:
    from .measures import available

    return available(ctx.data)


def all_figures_page(ctx: Context) -> Page:
    """Every figure not shown on another page, grouped by measure, so every number has a permalink."""
    page = "data/figures.md"
    parts = ["Every number on this site has its own link. Most are shown on the performance pages. "
             "This page lists the rest, measure by measure. The same numbers are in figures.csv on the open data page."]
    by_measure: dict[str, list[dict]] = {}
    for r in ctx.rows:
        fid = figure_id(r["measure"], r["period"], r["dimension_value"])
        if fid not in ctx.registry.placed:
            by_measure.setdefault(r["measure"], []).append(r)
    for mid, rows in by_measure.items():
        m = MEASURES[mid]
        parts.append(f"## {md_escape(m.title)}")
        table, ids = [], []
        for r in rows:
            table.append([year_display(ctx, r["period"]) if "/" in r["period"] else r["period"],
                          dimension_label(ctx.data, m.dimension, r["dimension_value"]), show(r, m)])
            ids.append([None, None, ctx.registry.place(r, page_url(page))])
        parts.append(html_table(["Period", _dim_title(m) or "Breakdown", m.title], table, caption=m.title, cell_ids=ids, numeric=(2,)))
    return md_page(page, "All figures", parts, section="Open data")


_CELL = re.compile(r'<th scope="row">|<td>')


def figure_markup(fig, svg: str, ids: list[list[str | None]]) -> str:
    """The figure's HTML, with each table cell that is a published figure carrying its permalink id."""
    out = str(charts.figure_html(fig, svg))
    flat = iter([i for row in ids for i in row])

    def tag(m: re.Match) -> str:
        fid = next(flat, None)
        return m.group(0)[:-1] + f' id="{fid}">' if fid else m.group(0)

    head, sep, rest = out.partition("<tbody>")
    return head + sep + _CELL.sub(tag, rest) if sep else out
