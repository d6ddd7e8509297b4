"""Stage: the "How we compare with other councils" page, from the optional benchmarks resource.

The council's own Tenant Satisfaction Measures (CH01 complaints per 1,000 homes, CH02 % answered
within the Complaint Handling Code's timescales, stage 1 and stage 2) are rows of the measure
registry, worked out by this site from complaints.csv with the regulator's definitions. The other
councils' figures are what each landlord reported to the Regulator of Social Housing (benchmarks.csv,
written by ``transparency-site import tsm``). They are placed side by side only for the same
financial year: a year in both files. Different years are never compared.

A year that is still running (a year to date, for example 2023/24 (Q1–Q3) at data_as_of 31 December
2023) against the regulator's full year needs a decision per measure:

- CH02 is a share: complaints answered within the Code's timescales ÷ complaints made. A share of
  the complaints made in April–December is the same kind of number as a share of those made in
  April–March, so it is placed among the other councils, with the caveat on the page that it covers
  part of the year. One bias is stated with its size: the regulator's denominator is every complaint
  made, so a complaint still open and still within its time limit at data_as_of counts as not
  answered in time until it is answered. The page gives the number of such complaints and the figure
  if all were answered in time (the most the part-year figure can rise to), unless that number is
  small enough to need withholding under the site's disclosure threshold.
- CH01 is a count per 1,000 homes. Nine months of complaints are not twelve, so a part-year CH01
  would look about a quarter lower than a full year and would be placed too low. Scaling it up
  (× 12/9) assumes complaints arrive evenly through the year, which is a guess (complaints about
  repairs, damp and heating are seasonal). So the page shows the published distribution and our
  part-year figure marked "not comparable until the year ends", and does not place it or put it on
  the chart.

The comparison group is the local-authority landlords (type LARP) in benchmarks.csv for that year
with a published value, without this council's own published row (if it is there it is shown beside
the figure worked out here, not counted twice). Median and quartiles are of that group (quartiles by
linear interpolation, the "inclusive" method of Python's statistics.quantiles, as Excel's
QUARTILE.INC). Positions compare values as shown, rounded to one decimal place, so "fewer than"
never rests on a difference the reader cannot see.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass

from markupsafe import Markup

from . import charts, fmt, periods
from .figures import figure_id
from .imports import LOCAL_AUTHORITY
from .measures import CODE_TIMESCALES, homes_owned
from .pages import Page, h, html_table, md_escape, uk_date
from .performance import Context, P, _register, md_page, page_url, provenance, rel

PAGE = P + "comparisons.md"
TITLE = "How we compare with other councils"
PUBLISHED_MIN_HOMES = 1000  # the regulator publishes landlords with 1,000 or more homes
SIMILAR = 10  # councils with the nearest number of homes
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

# (benchmark measure, registry measure, stage)
MEASURE_KEYS = (("CH01_1", "tsm_ch01", "1"), ("CH01_2", "tsm_ch01", "2"), ("CH02_1", "tsm_ch02", "1"), ("CH02_2", "tsm_ch02", "2"))


@dataclass(frozen=True)
class Position:
    """Where a value falls among other councils' values (compared as shown, to 1 decimal place)."""

    below: int  # councils with a lower value
    same: int
    above: int  # councils with a higher value
    total: int


@dataclass(frozen=True)
class Spread:
    median: float
    lower_quartile: float
    upper_quartile: float
    count: int


def spread(values: list[float]) -> Spread | None:
    """Median and quartiles of the councils' values (None when there are none)."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    if len(vals) == 1:
        return Spread(vals[0], vals[0], vals[0], 1)
    q1, q2, q3 = statistics.quantiles(vals, n=4, method="inclusive")
    return Spread(q2, q1, q3, len(vals))


def position(value: float, others: list[float], dp: int = 1) -> Position:
    mine = fmt.round_half_up(value, dp)
    shown = [fmt.round_half_up(v, dp) for v in others if v is not None]
    return Position(below=sum(v < mine for v in shown), same=sum(v == mine for v in shown),
                    above=sum(v > mine for v in shown), total=len(shown))


def _what(bench_measure: str) -> str:
    stage = bench_measure[-1]
    if bench_measure.startswith("CH01"):
        return f"stage {stage} complaints per 1,000 homes"
    return f"share of stage {stage} complaints answered within the Code's timescales"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def position_words(bench_measure: str, pos: Position) -> str:
    """'fewer stage 1 complaints per 1,000 homes than 112 of 157 councils and more than 44' (CH01);
    'a higher share of stage 1 complaints answered within the Code's timescales than 90 of 156 councils' (CH02)."""
    what, n = _what(bench_measure), pos.total
    councils = "council" if n == 1 else "councils"
    if bench_measure.startswith("CH01"):
        # For CH01 "fewer" comes first: fewer complaints for the same homes.
        lead = [("fewer", pos.above), ("more", pos.below)]
    else:
        what = what.removeprefix("share of ")
        lead = [("a higher share of", pos.below), ("a lower share of", pos.above)]
    parts: list[str] = []
    for word, count in lead:
        if not count:
            continue
        if not parts:
            parts.append(f"{word} {what} than {count} of {n} {councils}")
        else:
            parts.append(f"{word.replace(' of', '')} than {count}" if word.startswith("a ") else f"{word} than {count}")
    if pos.same:
        parts.append(f"the same as {pos.same}" if parts else f"the same {what} as all {n} {councils}")
    return _join(parts) if parts else f"no other council to compare with for {what}"


def band_words(value: float, s: Spread) -> str:
    """Which part of the spread a value is in, in words."""
    v = fmt.round_half_up(value, 1)
    if v < fmt.round_half_up(s.lower_quartile, 1):
        return "in the lowest quarter of councils"
    if v > fmt.round_half_up(s.upper_quartile, 1):
        return "in the highest quarter of councils"
    return "in the middle half of councils"


# ---- data ---------------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()


def is_self(data, row: dict) -> bool:
    """This council's own row in the published data: by the regulator's code if council.yaml gives it, else by name."""
    code = data.council.get("regulator_code")
    if code:
        return _norm(row["code"]) == _norm(code)
    return _norm(row["council"]) == _norm(data.council["name"])


def benchmark_years(data) -> list[str]:
    return sorted({r["period"] for r in data.table("benchmarks")})


def comparable_years(ctx: Context) -> list[periods.Year]:
    """Years with published figures AND the council's own TSM figures: the only years compared."""
    published = set(benchmark_years(ctx.data))
    return [y for y in ctx.years if y.label in published and (ctx.row("tsm_ch01", y.label, "1") or ctx.row("tsm_ch02", y.label, "1"))]


def _group(data, period: str, measure: str) -> tuple[list[dict], dict | None]:
    """Local-authority landlords with a published value for the year and measure, and this council's own row."""
    rows = [r for r in data.table("benchmarks") if r["period"] == period and r["measure"] == measure
            and r["council_type"] == LOCAL_AUTHORITY]
    own = next((r for r in rows if is_self(data, r)), None)
    return [r for r in rows if r is not own and r["value"] is not None], own


def _labels(rows: list[dict]) -> dict[str, str]:
    """code → a unique label (the name, and the code where two landlords share a name)."""
    names = [r["council"] for r in rows]
    return {r["code"]: r["council"] if names.count(r["council"]) == 1 else f"{r['council']} ({r['code']})" for r in rows}


def pending_in_time(data, year: periods.Year, stage: int) -> int:
    """Landlord complaints at ``stage`` made in the year's window, unanswered at data_as_of and still within
    the Code's time limit then: CH02 counts them as not answered in time until they are answered.
    The deadline is worked out as the tsm_ch02 measure does (measures.CODE_TIMESCALES)."""
    if stage not in CODE_TIMESCALES:
        return 0
    landlord = {s["service_id"] for s in data.table("services") if s.get("is_landlord_service")}
    closed = tuple(sorted(dt.date.fromisoformat(str(d)) for d in (data.council.get("non_working_days") or [])))
    cal = periods.calendar(data.council.get("country", "england"), closed)
    start_of_year = periods.fy_bounds(year.label)[0]
    c_ack, c_respond, c_ext = CODE_TIMESCALES[stage]
    as_of = data.data_as_of
    n = 0
    for c in data.table("complaints"):
        if c["stage"] != stage or c["service_id"] not in landlord or c["responded"] is not None:
            continue
        if not (start_of_year <= c["received"] <= year.end):
            continue
        ack_due = cal.add(c["received"], c_ack)
        start = c["acknowledged"] if c["acknowledged"] is not None and c["acknowledged"] < ack_due else ack_due
        due = cal.add(start, c_respond + min(c["extension_working_days"] or 0, c_ext))
        if as_of <= due:
            n += 1
    return n


# ---- words --------------------------------------------------------------------------------------


def _span(y: periods.Year) -> str:
    """'April to December 2023' for a year to date; '2023/24' for a full year."""
    start = periods.fy_bounds(y.label)[0]
    if y.complete:
        return y.label
    first = fmt.MONTHS[start.month - 1] + ("" if start.year == y.end.year else f" {start.year}")
    return f"{first} to {fmt.MONTHS[y.end.month - 1]} {y.end.year}"


def _value(bench_measure: str, v: float | None) -> str:
    if v is None:
        return "–"
    return fmt.format_value(v, "percent") if bench_measure.startswith("CH02") else fmt.number(v, 1)


def _words_value(bench_measure: str, v: float) -> str:
    return fmt.format_value(v, "percent") if bench_measure.startswith("CH02") else fmt.format_value(v, "per_1000", "homes")


def _num(v) -> str:
    return "–" if v is None else fmt.number(int(v) if float(v).is_integer() else v)


def _own_link(ctx: Context, row: dict, text: str) -> Markup:
    """Our figure, linked to its permalink (the registry's canonical place for it)."""
    fid = figure_id(row["measure"], row["period"], row["dimension_value"])
    ctx.registry.place(row, page_url(PAGE))
    target = ctx.registry.placed[fid]
    if target == page_url(PAGE):
        return Markup(f'<a id="{h(fid)}" href="#{h(fid)}">{h(text)}</a>')
    return Markup(f'<a href="{h(rel(PAGE, target))}#{h(fid)}">{h(text)}</a>')


def _source(rows: list[dict]) -> tuple[str, str]:
    sources = sorted({r["source"] for r in rows if r.get("source")})
    licences = sorted({r["licence"] for r in rows if r.get("licence")})
    return "; ".join(sources), "; ".join(licences)


def attribution(rows: list[dict], period: str) -> Markup:
    """The publisher's credit with the year of the data (the Open Government Licence asks for it)."""
    source, licence = _source(rows)
    if period not in source:
        source = f"{source} ({period})"
    if "Open Government Licence" in licence:
        text = (f'Contains public sector information licensed under the <a href="{OGL_URL}">Open Government Licence v3.0</a>. '
                f"Source: {h(source)}.")
    else:
        text = f"Source: {h(source)}. Licence: {h(licence)}."
    return Markup(f'<p class="ts-attribution">{text}</p>')


# ---- the page -----------------------------------------------------------------------------------


def page(ctx: Context) -> Page | None:
    """The Comparisons page, or None when there are no published figures to compare with."""
    data = ctx.data
    if not data.has("benchmarks"):
        return None
    published = benchmark_years(data)
    parts: list = [md_escape(
        "The Regulator of Social Housing publishes the complaint figures (Tenant Satisfaction Measures) that every council "
        f"landlord in England with {fmt.number(PUBLISHED_MIN_HOMES)} or more homes reports each year. This page puts our "
        "figures beside theirs, for the same year only."
    )]
    parts += _honesty(ctx)
    years = comparable_years(ctx)
    if not ctx.has("tsm_ch01") and not ctx.has("tsm_ch02"):
        parts.append(md_escape(
            "We have no Tenant Satisfaction Measures of our own to compare: they are worked out only for a council that is a "
            "landlord in England, from complaints about its landlord services."))
    elif not years:
        ours = [y.display for y in ctx.years if ctx.row("tsm_ch01", y.label, "1") or ctx.row("tsm_ch02", y.label, "1")]
        parts.append(md_escape(
            f"There is no year to compare yet. The published figures are for {_join(published)}; our figures are for "
            f"{_join(ours) if ours else 'no year'}. We never compare different years, so nothing is compared on this page."))
    for y in reversed(years):
        parts += _year_section(ctx, y)
    parts.append(provenance(ctx, PAGE))
    return md_page(PAGE, TITLE, parts)


def _honesty(ctx: Context) -> list:
    data = ctx.data
    name = data.council["name"]
    out = ["## Where the figures come from", md_escape(
        f"Our figures are worked out by this site from {name}'s complaints data, using the regulator's definitions. "
        "CH01 is the number of complaints made at a stage during the year for every 1,000 homes we own at the end of the year. "
        "CH02 is the percentage of complaints made at a stage during the year that were answered within the Housing Ombudsman's "
        "Complaint Handling Code timescales. Its denominator is all complaints made, not only those answered."
    ), md_escape(
        "The other councils' figures are what each council reported to the regulator. We show them as published and have not "
        "checked or recalculated them. They are for each council's low-cost rented homes. Councils also told the regulator "
        "whether they used the Code's standard timescales; that detail is not shown here."
    )]
    homes = data.council.get("homes_owned")
    in_data = any(is_self(data, r) for r in data.table("benchmarks"))
    if homes is not None and homes < PUBLISHED_MIN_HOMES:
        out.append(md_escape(
            f"We own {fmt.number(homes)} homes. The regulator only publishes figures for landlords with "
            f"{fmt.number(PUBLISHED_MIN_HOMES)} or more homes, so {name} is not in the published data. Our figures are compared "
            "with councils that are larger landlords than we are."))
    elif not in_data:
        out.append(md_escape(
            f"The published data on this site has no row for {name}, so we cannot show the figures we reported to the regulator "
            "beside the figures worked out here."))
    out.append(md_escape("We only compare figures for the same year. Where our year is not finished, the page says so."))
    return out


def _year_section(ctx: Context, y: periods.Year) -> list:
    data = ctx.data
    out: list = [f"## {md_escape(y.display)}"]
    all_rows = [r for r in data.table("benchmarks") if r["period"] == y.label and r["council_type"] == LOCAL_AUTHORITY]
    n_councils = len({r["code"] for r in all_rows if not is_self(data, r)})
    if not y.complete:
        out.append(Markup(
            f'<div class="admonition warning"><p class="admonition-title">Our {h(y.label)} figures are for part of the year</p>'
            f"<p>Our figures for {h(y.display)} cover {h(_span(y))} only: the year is not finished. The published figures "
            f"cover the full year, April {h(periods.fy_bounds(y.label)[0].year)} to March {h(periods.fy_bounds(y.label)[1].year)}.</p>"
            "<p>The percentage answered within the Code's timescales (CH02) is a share of the complaints made, so a part-year "
            "share can be set beside a full-year share, and we do. Complaints per 1,000 homes (CH01) counts complaints: "
            f"{h(_span(y))} is not a whole year, so our count would look lower than a full year's. We do not scale it up, "
            "because complaints do not arrive evenly through the year. Our CH01 is shown but not placed among other councils: "
            "it is not comparable until the year ends.</p></div>"))
    out.append(md_escape(f"We compare our figures with the {n_councils} local-authority landlords in the published data for {y.label}."))
    summary_rows, blocks = [], []
    for bench, mid, stage in MEASURE_KEYS:
        row = ctx.row(mid, y.label, stage)
        others, own_published = _group(data, y.label, bench)
        s = spread([r["value"] for r in others])
        if s is None:
            continue
        block, cells = _measure_block(ctx, y, bench, mid, stage, row, others, own_published, s)
        blocks += block
        summary_rows.append(cells)
    if summary_rows:
        out.append(html_table(
            ["Measure", "Our figure" + ("" if y.complete else f" ({_span(y)})"), "Median", "Middle half of councils", "Councils", "Where we fall"],
            summary_rows, caption=f"Our Tenant Satisfaction Measures beside other councils', {y.label}", numeric=(1, 2, 3, 4)))
    out += blocks
    out += _similar(ctx, y)
    out.append(attribution(all_rows, y.label))
    return out


def _measure_block(ctx: Context, y: periods.Year, bench: str, mid: str, stage: str, row: dict | None,
                   others: list[dict], own_published: dict | None, s: Spread) -> tuple[list, list]:
    data = ctx.data
    name = data.council["name"]
    title = f"Stage {stage} " + ("complaints per 1,000 homes (CH01)" if bench.startswith("CH01") else "complaints answered within the Code's timescales (CH02)")
    value = None if row is None or row.get("status") == "suppressed" else row["value"]
    comparable = value is not None and (y.complete or bench.startswith("CH02"))
    fmt_v = (lambda v: fmt.format_value(v, "percent")) if bench.startswith("CH02") else (lambda v: fmt.number(v, 1))
    spread_text = (f"The median of {s.count} councils was {_words_value(bench, s.median)}; the middle half of councils were "
                   f"between {_words_value(bench, s.lower_quartile)} and {_words_value(bench, s.upper_quartile)}.")
    notes: list[str] = []
    out: list = [f"### {md_escape(title)}"]
    if row is None:
        own_text, where = "–", "We have no figure for this year."
    elif value is None:
        own_text, where = "[c]", "Our figure is withheld because the numbers are too small to publish safely."
    else:
        own_text = _words_value(bench, value)
    pos = None
    if comparable:
        pos = position(value, [r["value"] for r in others])
        where = f"We had {position_words(bench, pos)}. That is {band_words(value, s)}."
        headline = f"In {y.display}, we had {position_words(bench, pos)}"
    else:
        if value is not None:
            where = f"Not placed: our figure covers {_span(y)} only, and is not comparable until the year ends."
        headline = (f"In {y.label}, the middle half of {s.count} councils had between {_value(bench, s.lower_quartile)} and "
                    f"{_value(bench, s.upper_quartile)}" + (" " + _what(bench) if bench.startswith("CH01") else
                                                             f" of stage {stage} complaints answered within the Code's timescales"))
    sentences = []
    if row is not None:
        label = "Our figure" + ("" if y.complete else f" for {_span(y)}")
        nd = f" ({_num(row['numerator'])} ÷ {_num(row['denominator'])})" if value is not None else ""
        link = _own_link(ctx, row, own_text)
        sentences.append(Markup(f"{h(label)}: {link}{h(nd)}, worked out by this site."))
        sentences.append(h(where if comparable or value is None else
                           "It is not comparable until the year ends, so it is not placed among other councils or shown on the chart."))
    else:
        sentences.append(h("We have no figure of our own for this measure and year."))
    sentences.append(h(spread_text))
    if bench.startswith("CH02") and value is not None and row is not None:
        sentences += _pending_words(ctx, y, int(stage), row, others)
    if own_published is not None:
        pv = own_published["value"]
        sentences.append(h(f"The figure we reported to the regulator for {y.label} was "
                           f"{_words_value(bench, pv) if pv is not None else 'not published'}"
                           + (f" ({_num(own_published['numerator'])} ÷ {_num(own_published['denominator'])})" if pv is not None else "")
                           + ("." if y.complete else f", for the full year; ours above covers {_span(y)}.")))
    out.append(Markup("<p>" + " ".join(str(x) for x in sentences) + "</p>"))
    if not y.complete:
        notes.append(f"Our figure covers {_span(y)} ({y.display}); the published figures cover the full year {y.label}.")

    # The chart: every council, ours picked out by a larger diamond and its name in bold (when comparable).
    labels = _labels(others)
    points = [(labels[r["code"]], r["value"]) for r in others]
    highlight = None
    if comparable:
        highlight = name if name not in labels.values() else f"{name} (our figure)"
        points.append((highlight, value))
    chart = charts.dot_plot(points, highlight, median=s.median, quartiles=(s.lower_quartile, s.upper_quartile),
                            value_format=fmt_v, x_title=f"{'Percentage' if bench.startswith('CH02') else 'Complaints per 1,000 homes'}, stage {stage}")
    table_rows, ids = [], []
    if row is not None:
        ours_label = f"{name} (worked out by this site" + ("" if y.complete else f", {_span(y)} only, not comparable" if not comparable else f", {_span(y)} only") + ")"
        table_rows.append([ours_label, own_text if value is None else fmt_v(value),
                           "[c]" if value is None else _num(row["numerator"]), "[c]" if value is None else _num(row["denominator"])])
        ids.append([None, None, None, None])
    if own_published is not None:
        table_rows.append([f"{name} (as reported to the regulator)", _value(bench, own_published["value"]),
                           _num(own_published["numerator"]), _num(own_published["denominator"])])
        ids.append([None] * 4)
    for r in sorted(others, key=lambda r: labels[r["code"]].casefold()):
        table_rows.append([labels[r["code"]], fmt_v(r["value"]), _num(r["numerator"]), _num(r["denominator"])])
        ids.append([None] * 4)
    source, licence = _source(others)
    summary = (f"{where} " if pos is not None else ("" if value is None else f"Our figure for {_span(y)} is not on the chart: not comparable until the year ends. ")) + spread_text
    fid = "compare-" + figure_id(mid, y.label, stage)
    fig = charts.Figure(
        id=fid, title=headline, subtitle=f"{title}, {s.count} local-authority landlords in England, {y.label}"
        + ("" if row is None or not comparable else f"; our figure worked out by this site{'' if y.complete else ', ' + _span(y)}"),
        summary=summary, chart=chart, table_columns=["Council", title, "Numerator", "Denominator"],
        table_rows=table_rows, csv_url=rel(PAGE, "data/benchmarks.csv"),
        citation=f"{source}, {licence}. Comparison by {name}. {ctx.registry.site_url}{page_url(PAGE)}#{fid}", notes=notes,
    )
    out.append(_register(ctx, fig, PAGE, ids))
    place = where if row is not None else "–"
    summary_cells = [title, own_text, _value(bench, s.median),
                     f"{_value(bench, s.lower_quartile)} to {_value(bench, s.upper_quartile)}", fmt.number(s.count), place]
    return out, summary_cells


def _pending_words(ctx: Context, y: periods.Year, stage: int, row: dict, others: list[dict]) -> list[Markup]:
    """CH02 counts a complaint still open and within its time limit as not answered in time: say how many, and
    the most the figure could rise to — unless so few that the disclosure threshold withholds the count."""
    n = pending_in_time(ctx.data, y, stage)
    if not n or not row["denominator"]:
        return []
    as_of = uk_date(ctx.data.data_as_of)
    if n < ctx.data.threshold:
        return [h(f"Fewer than {ctx.data.threshold} of these complaints were still open on {as_of} and not yet due; "
                  "they count as not answered in time until they are answered, so our figure may rise.")]
    best = fmt.round_half_up((row["numerator"] + n) * 100 / row["denominator"], 1)
    pos = position(best, [r["value"] for r in others])
    return [h(f"{fmt.number(n)} of these complaints were still open on {as_of} and not yet due. The regulator's definition "
              f"counts them as not answered in time until they are answered, so our figure can only rise: if all are answered "
              f"in time it will be {fmt.format_value(best, 'percent')}, {position_words(f'CH02_{stage}', pos)}.")]


def _similar(ctx: Context, y: periods.Year) -> list:
    """The councils with the nearest number of homes, with their four figures (ours first)."""
    data = ctx.data
    name = data.council["name"]
    homes_rows, _ = _group(data, y.label, "homes")
    ours = homes_owned(data, y.label)
    if ours is None or not homes_rows:
        return []
    nearest = sorted(homes_rows, key=lambda r: (abs(r["value"] - ours), r["council"].casefold()))[:SIMILAR]
    nearest.sort(key=lambda r: r["value"])
    by = {(r["code"], r["measure"]): r for r in data.table("benchmarks") if r["period"] == y.label}
    cols = ["Council", "Homes"] + [f"Stage {st} {'per 1,000 homes' if b.startswith('CH01') else 'within timescales'}"
                                   for b, _, st in MEASURE_KEYS]
    ours_cells = [f"{name} (worked out by this site)", fmt.number(ours)]
    for b, mid, st in MEASURE_KEYS:
        r = ctx.row(mid, y.label, st)
        if r is None:
            ours_cells.append("–")
        elif r.get("status") == "suppressed" or r["value"] is None:
            ours_cells.append("[c]")
        elif b.startswith("CH01") and not y.complete:
            ours_cells.append("Not comparable until the year ends")
        else:
            ours_cells.append(_value(b, r["value"]) + ("" if y.complete else f" ({_span(y)})"))
    rows = [ours_cells]
    for r in nearest:
        rows.append([r["council"], _num(r["value"])] + [_value(b, (by.get((r["code"], b)) or {}).get("value")) for b, _, _ in MEASURE_KEYS])
    return [
        "### Councils with a similar number of homes",
        md_escape(f"The {len(nearest)} local-authority landlords whose number of homes in {y.label} is nearest to ours "
                  f"({fmt.number(ours)}), smallest first. A dash means the council published no figure."),
        html_table(cols, rows, caption=f"Councils with a similar number of homes, {y.label}", numeric=(1, 2, 3, 4, 5)),
    ]
