"""Accessible charts: a house theme, chart builders, SVG rendering and the figure wrapper.

Charts are Altair (Vega-Lite) specs rendered once at build time to inline SVG by vl-convert: no
JavaScript and no remote data reach the reader. Builders take plain lists (never pandas, never the
measure registry) so that any caller can chart any table.

Accessibility choices, and why (see DESIGN.md section 5 and domain-facts.md section 6):

- Colours are the Government Analysis Function categorical palette, every one at least 3:1 against
  the white chart background (WCAG 1.4.11); text is at least 4.5:1 (WCAG 1.4.3).
  ``svg_contrast_report`` checks the rendered SVG itself, because axe cannot see inside SVG.
- Colour is never the only signal (WCAG 1.4.1): values and series names are written on the chart
  (direct labels, no colour-only legend), lines also differ by dash pattern and point shape, a
  year-to-date column is hatched *and* labelled, and a highlighted council is a different shape
  *and* named.
- Each SVG carries its own white background rectangle. In Material's dark ("slate") palette the page
  behind it is #1e2129, against which the dark palette colours fall below 3:1 (dark blue is 1.6:1);
  drawing the chart on its own light panel keeps one set of colours valid in both palettes, in print
  and when the SVG is saved on its own. The figure CSS rounds the panel's corners.
- The SVG gets ``role="img"`` with ``<title>``/``<desc>`` as its accessible name and description
  (vl-convert drops the spec's description), and the data are always repeated as an HTML table.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from importlib import metadata
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc
from altair.utils.schemapi import debug_mode
from markupsafe import Markup, escape

# ---------------------------------------------------------------------------------------------------
# House theme
# ---------------------------------------------------------------------------------------------------

# Government Analysis Function categorical palette, in the order it must be used (adjacent colours
# then also differ from each other). Contrast with white: 10.2, 3.2, 9.8, 3.0, 10.9, 3.1 : 1.
PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
HIGHLIGHT = "#801650"  # dark pink: picks out "this council" / "this service"
BACKGROUND = "#ffffff"
TEXT = "#0b0c0c"  # GOV.UK text colour, 19.6:1 on white
TEXT_SECONDARY = "#505a5f"  # GOV.UK secondary text, 7.1:1 on white: axes and reference lines
DARK_PAGE_BACKGROUND = "#1e2129"  # Material slate: hsl(225deg 15% 14%)
FONT = "Arial, Helvetica, sans-serif"  # system fonts only: the site loads no web fonts
FONT_SIZE = 13
SUPPRESSED = "[c]"  # disclosure-control marker, explained in each figure's notes

# Second signals for series, in palette order (WCAG 1.4.1: never colour alone).
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
DASHES = ((1, 0), (7, 3), (2, 2), (9, 3, 2, 3), (4, 4), (12, 2))

HOUSE_CONFIG: dict[str, Any] = {
    "background": BACKGROUND,
    "padding": 10,
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "grid": False,
        "domainColor": TEXT_SECONDARY,
        "tickColor": TEXT_SECONDARY,
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE,
        "titleFontWeight": "normal",
        "labelLimit": 260,
        "labelPadding": 4,
    },
    "legend": {"disable": True},  # direct labels instead
    "range": {"category": list(PALETTE)},
    "bar": {"color": PALETTE[0]},
    "line": {"strokeWidth": 2.5},
    "point": {"filled": True, "size": 55, "opacity": 1},  # Vega's default 0.7 would fade below 3:1
    "rule": {"color": TEXT_SECONDARY},
    "text": {"fontSize": FONT_SIZE, "color": TEXT, "font": FONT},
}


@alt.theme.register("transparency", enable=False)
def house_theme() -> alt.theme.ThemeConfig:
    """The house theme, for anyone charting outside these builders (`alt.theme.enable("transparency")`).

    The builders below apply HOUSE_CONFIG to each chart themselves, so their output never depends on
    which theme happens to be enabled globally.
    """
    return {"config": HOUSE_CONFIG}


def _builder(fn: Callable[..., alt.TopLevelMixin]) -> Callable[..., alt.TopLevelMixin]:
    """Build without Altair's validate-on-every-call (which cost more than rendering: ~60 ms a
    chart). The specs are still validated in the tests (`chart.to_dict()` validates)."""

    @wraps(fn)
    def build(*args: Any, **kwargs: Any) -> alt.TopLevelMixin:
        with debug_mode(False):
            return fn(*args, **kwargs)

    return build


def _finish(
    layers: list[alt.Chart], rows: list[dict], *, width: Any, height: Any, description: str | None
) -> alt.LayerChart:
    """Layer the marks over one inline dataset and apply the house config.

    The data are attached once, at the top, after layering: Altair deep-copies a chart's data on
    every .properties()/layer() call, which made building cost more than rendering.
    """
    chart = alt.layer(*layers)
    chart.data = alt.InlineData(values=rows)
    chart.width = width
    chart.height = height
    chart.config = HOUSE_CONFIG
    if description:
        chart.description = description
    return chart


# ---------------------------------------------------------------------------------------------------
# Helpers shared by the builders
# ---------------------------------------------------------------------------------------------------

Formatter = str | Callable[[float], str]


def _formatter(value_format: Formatter) -> Callable[[float | None], str]:
    """A Python-side formatter, so chart labels match the HTML table exactly (UK style: 1,234)."""
    fmt = value_format if callable(value_format) else value_format.format

    def apply(v: float | None) -> str:
        return SUPPRESSED if v is None else fmt(v)

    return apply


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def _check_same_length(**lists: Sequence) -> None:
    lengths = {k: len(v) for k, v in lists.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"lists must be the same length: {lengths}")


def _check_unique(name: str, items: Sequence[str]) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"{name} contains {item!r} twice")
        seen.add(item)


def _js_string(s: str) -> str:
    # JSON string literals are valid Vega expression string literals: quotes and backslashes in
    # council data cannot end the literal.
    return json.dumps(s)


def _text_width(s: str, size: float = FONT_SIZE) -> float:
    """Rough rendered width of Arial text, used only to decide whether a label fits inside a bar."""
    return len(s) * size * 0.56


def _hatch(colour: str, stripes: int = 9) -> dict:
    """A diagonal hatch as a Vega gradient with hard stops (Vega has no SVG patterns).

    The ink stripes are the palette colour, the gaps are the background: the column is told apart
    from complete years by its texture, not by a second colour.
    """
    stops = []
    for i in range(stripes):
        a, b, c = i / stripes, (i + 0.45) / stripes, (i + 1) / stripes
        stops += [
            {"offset": round(a, 4), "color": colour},
            {"offset": round(b, 4), "color": colour},
            {"offset": round(b, 4), "color": BACKGROUND},
            {"offset": round(c, 4), "color": BACKGROUND},
        ]
    return {"gradient": "linear", "x1": 0, "y1": 0, "x2": 1, "y2": 1, "stops": stops}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_label(period: str) -> str:
    """'2023-04' -> 'Apr 2023'; any other label is returned unchanged."""
    m = _MONTH_RE.match(period)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return period
    return f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


# ---------------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------------


@_builder
def bar_chart(
    categories: list[str],
    values: list[float | None],
    *,
    value_format: Formatter = "{:,.0f}",
    highlight: str | None = None,
    x_title: str = "",
    y_title: str = "",
    width: int = 420,
    description: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars in the given order, each value written at the bar's end.

    A suppressed value (None) has no bar and the label "[c]". `highlight` names one category drawn in
    the highlight colour, with its name and value in bold (so not by colour alone).
    """
    _check_same_length(categories=categories, values=values)
    _check_unique("categories", categories)
    fmt = _formatter(value_format)
    rows = [
        {
            "category": c,
            "value": v,
            "label_x": 0 if v is None else v,
            "label": fmt(v),
            "highlight": c == highlight,
        }
        for c, v in zip(categories, values, strict=True)
    ]
    known = [v for v in values if v is not None]
    domain = [min(0, *known) if known else 0, _nice_max(max(known, default=0))]
    label_weight = (
        alt.ExprRef(f"datum.value === {_js_string(highlight)} ? 'bold' : 'normal'") if highlight else "normal"
    )
    y = alt.Y(
        "category:N",
        sort=None,
        scale=alt.Scale(domain=list(categories), paddingInner=0.25),
        axis=alt.Axis(title=y_title or None, ticks=False, labelFontWeight=label_weight),
    )
    x = alt.X(
        "value:Q",
        scale=alt.Scale(domain=domain, nice=False),
        axis=alt.Axis(title=x_title or None, tickCount=4, labels=False, ticks=False, domain=False),
    )
    base = alt.Chart()
    bars = base.mark_bar().encode(
        y=y,
        x=x,
        color=alt.Color(
            "highlight:N", scale=alt.Scale(domain=[False, True], range=[PALETTE[0], HIGHLIGHT]), legend=None
        ),
    )
    labels = [
        base.transform_filter(f"{'' if flag else '!'}datum.highlight")
        .mark_text(align="left", baseline="middle", dx=5, fontWeight="bold" if flag else "normal")
        .encode(y=y, x=alt.X("label_x:Q", scale=alt.Scale(domain=domain, nice=False)), text="label:N")
        for flag in (False, True)
    ]
    return _finish([bars, *labels], rows, width=width, height=alt.Step(26), description=description)


@_builder
def column_trend(
    periods: list[str],
    values: list[float | None],
    *,
    ytd_flags: list[bool],
    ytd_notes: list[str | None] | None = None,
    value_format: Formatter = "{:,.0f}",
    x_title: str = "",
    y_title: str = "",
    width: int | None = None,
    description: str | None = None,
) -> alt.LayerChart:
    """Columns for financial years; a year to date is hatched and labelled, never just recoloured.

    `periods` are year labels ('2022/23', or periods.Year.display such as '2023/24 (Q1–Q3)'). A
    year-to-date column's axis label gets a second line: its `ytd_notes` entry, else the bracketed
    part of a display label, else '(year to date)'.
    """
    _check_same_length(periods=periods, values=values, ytd_flags=ytd_flags)
    _check_unique("periods", periods)
    notes = ytd_notes or [None] * len(periods)
    _check_same_length(periods=periods, ytd_notes=notes)
    fmt = _formatter(value_format)
    rows = []
    for p, v, ytd, note in zip(periods, values, ytd_flags, notes, strict=True):
        if not ytd:
            axis_label = p
        elif note:
            axis_label = f"{p}\n{note}"
        elif " (" in p:  # already a display label such as '2023/24 (Q1–Q3)'
            axis_label = p.replace(" (", "\n(", 1)
        else:
            axis_label = f"{p}\n(year to date)"
        rows.append(
            {
                "period": axis_label,
                "value": v,
                "label_y": 0 if v is None else v,
                "label": fmt(v),
                "ytd": bool(ytd),
            }
        )
    known = [v for v in values if v is not None]
    domain = [0, _nice_max(max(known, default=0) * 1.1)]
    x = alt.X(
        "period:N",
        sort=None,
        scale=alt.Scale(domain=[r["period"] for r in rows], paddingInner=0.3),
        # Axis labels may hold a line break (year-to-date note); Vega draws an array as lines.
        axis=alt.Axis(
            title=x_title or None, labelAngle=0, ticks=False, labelExpr="split(datum.label, '\\n')"
        ),
    )
    y = alt.Y(
        "value:Q",
        scale=alt.Scale(domain=domain, nice=False),
        axis=alt.Axis(title=y_title or None, tickCount=4, format=",~s", grid=False),
    )
    base = alt.Chart()
    complete = base.transform_filter("!datum.ytd").mark_bar(color=PALETTE[0]).encode(x=x, y=y)
    partial_year = (
        base.transform_filter("datum.ytd")
        .mark_bar(fill=_hatch(PALETTE[0]), stroke=PALETTE[0], strokeWidth=2)
        .encode(x=x, y=y)
    )
    labels = base.mark_text(baseline="bottom", dy=-4).encode(
        x=x, y=alt.Y("label_y:Q", scale=alt.Scale(domain=domain, nice=False)), text="label:N"
    )
    # Wide enough for the longest line of any axis label (about 8 px a character at 13 px).
    longest = max((len(line) for r in rows for line in r["period"].split("\n")), default=0)
    step = alt.Step(max(64, 24 + 8 * longest))
    return _finish(
        [complete, partial_year, labels], rows, width=width or step, height=240, description=description
    )


def _spread_labels(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Move label positions (pixels, top = low) apart by at least `gap`, keeping their order."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + gap)
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    result = [0.0] * len(positions)
    for k, i in enumerate(order):
        result[i] = max(placed[k], low - gap)  # never far above the plot
    return result


@_builder
def line_chart(
    series: dict[str, list[tuple[str, float | None]]],
    *,
    value_format: Formatter = "{:,.0f}",
    x_title: str = "",
    y_title: str = "",
    width: int = 520,
    height: int = 260,
    description: str | None = None,
) -> alt.LayerChart:
    """Monthly (or any ordered) series, each named at its line end, with its own dash and point shape.

    x labels like '2023-04' are shown as 'Apr 2023'; with more than two years of months only each
    April (the start of a financial year) is labelled on the axis.
    """
    if not series:
        raise ValueError("line_chart needs at least one series")
    if len(series) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} series can be told apart; got {len(series)}")
    fmt = _formatter(value_format)
    xs: list[str] = []
    for points in series.values():
        for x_label, _ in points:
            if x_label not in xs:
                xs.append(x_label)
    if all(_MONTH_RE.match(x) for x in xs):
        xs.sort()
    shown = [month_label(x) for x in xs]
    _check_unique("x labels", shown)
    if len(xs) > 24:
        axis_values = [month_label(x) for x in xs if x.endswith("-04")] or shown[:: max(1, len(xs) // 6)]
    elif len(xs) > 12:
        axis_values = shown[::3]
    else:
        axis_values = shown
    known = [v for pts in series.values() for _, v in pts if v is not None]
    top = _nice_max(max(known, default=0))
    bottom = min(0.0, *known) if known else 0.0
    domain = [bottom, top]
    names = list(series)
    rows = []
    for name, points in series.items():
        for x_label, v in points:
            rows.append({"series": name, "x": month_label(x_label), "value": v})
    # End labels: the last known value of each series, nudged apart in pixel space so they never
    # overlap, then mapped back to data units so they share the line's y scale.
    ends = []
    for name, points in series.items():
        last = next(((x, v) for x, v in reversed(points) if v is not None), None)
        if last is not None:
            ends.append((name, month_label(last[0]), last[1]))
    px = [height * (1 - (v - bottom) / (top - bottom)) for _, _, v in ends]
    spread = _spread_labels(px, gap=FONT_SIZE + 3, low=0, high=height)
    label_rows = [
        {
            "series": name,
            "x": x,
            "value": v,
            "label_y": bottom + (1 - p / height) * (top - bottom),
            "label": f"{name}: {fmt(v)}",
        }
        for (name, x, v), p in zip(ends, spread, strict=True)
    ]
    x_enc = alt.X(
        "x:O",
        sort=None,
        scale=alt.Scale(domain=shown, type="point", padding=0.2),
        axis=alt.Axis(title=x_title or None, values=axis_values, labelAngle=0, labelOverlap=True),
    )
    y_scale = alt.Scale(domain=domain, nice=False)
    y_enc = alt.Y("value:Q", scale=y_scale, axis=alt.Axis(title=y_title or None, tickCount=5, format=",~s"))
    colour = alt.Color(
        "series:N", scale=alt.Scale(domain=names, range=list(PALETTE[: len(names)])), legend=None
    )
    lines = (
        alt.Chart()
        .mark_line()
        .encode(
            x=x_enc,
            y=y_enc,
            color=colour,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=names, range=[list(d) for d in DASHES[: len(names)]]),
                legend=None,
            ),
        )
    )
    shape = alt.Shape(
        "series:N", scale=alt.Scale(domain=names, range=list(SHAPES[: len(names)])), legend=None
    )
    # Points on every value when there are few; at the ends only when there are many (keeps the SVG
    # small and the line readable; the dash pattern still tells the series apart along its length).
    point_data = rows if len(xs) <= 24 else [{"series": n, "x": x, "value": v} for n, x, v in ends]
    points = (
        alt.Chart(alt.Data(values=point_data))
        .mark_point()
        .encode(x=x_enc, y=y_enc, color=colour, shape=shape)
    )
    end_labels = (
        alt.Chart(alt.Data(values=label_rows))
        .mark_text(align="left", baseline="middle", dx=9)
        .encode(x=x_enc, y=alt.Y("label_y:Q", scale=y_scale), text="label:N")
    )
    return _finish([lines, points, end_labels], rows, width=width, height=height, description=description)


@_builder
def stacked_or_grouped(
    categories: list[str],
    groups: dict[str, list[float | None]],
    *,
    mode: str = "grouped",
    value_format: Formatter = "{:,.0f}",
    x_title: str = "",
    y_title: str = "",
    width: int = 420,
    description: str | None = None,
) -> alt.LayerChart:
    """Parts of a whole for each category (e.g. outcomes by year).

    grouped (default): one bar per group within each category, each labelled "group: value" at its
    end — direct labels, so colour is a second signal only.
    stacked: one bar per category split into segments in group order, each segment labelled with its
    group and value where it fits (text colour chosen for contrast with the segment); segments are
    separated by background-coloured gaps so neighbouring colours need not contrast with each other.
    """
    if mode not in ("grouped", "stacked"):
        raise ValueError("mode must be 'grouped' or 'stacked'")
    if not groups:
        raise ValueError("stacked_or_grouped needs at least one group")
    if len(groups) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} groups can be told apart; got {len(groups)}")
    _check_unique("categories", categories)
    for name, vals in groups.items():
        if len(vals) != len(categories):
            raise ValueError(f"group {name!r} has {len(vals)} values for {len(categories)} categories")
    fmt = _formatter(value_format)
    names = list(groups)
    colours = dict(zip(names, PALETTE, strict=False))
    colour = alt.Color(
        "group:N", scale=alt.Scale(domain=names, range=[colours[n] for n in names]), legend=None
    )
    y = alt.Y(
        "category:N",
        sort=None,
        scale=alt.Scale(domain=list(categories), paddingInner=0.3 if mode == "grouped" else 0.35),
        axis=alt.Axis(title=y_title or None, ticks=False),
    )
    if mode == "grouped":
        rows = [
            {
                "category": c,
                "group": g,
                "value": groups[g][i],
                "label_x": groups[g][i] or 0,
                "label": f"{g}: {fmt(groups[g][i])}",
            }
            for i, c in enumerate(categories)
            for g in names
        ]
        known = [r["value"] for r in rows if r["value"] is not None]
        domain = [0, _nice_max(max(known, default=0))]
        x = alt.X(
            "value:Q",
            scale=alt.Scale(domain=domain, nice=False),
            axis=alt.Axis(title=x_title or None, labels=False, ticks=False, domain=False),
        )
        y_offset = alt.YOffset("group:N", sort=None, scale=alt.Scale(domain=names, paddingInner=0.1))
        base = alt.Chart()
        bars = base.mark_bar().encode(y=y, yOffset=y_offset, x=x, color=colour)
        labels = base.mark_text(align="left", baseline="middle", dx=5, fontSize=FONT_SIZE - 1).encode(
            y=y,
            yOffset=y_offset,
            x=alt.X("label_x:Q", scale=alt.Scale(domain=domain, nice=False)),
            text="label:N",
        )
        # The step is per category (the position scale), holding one 20-pixel bar per group.
        height = alt.Step(20 * len(names) + 8, **{"for": "position"})
        return _finish([bars, labels], rows, width=width, height=height, description=description)

    # stacked
    totals = [sum(groups[g][i] or 0 for g in names) for i in range(len(categories))]
    top = _nice_max(max(totals, default=0))
    rows = []
    for i, c in enumerate(categories):
        start = 0.0
        for g in names:
            v = groups[g][i]
            size = v or 0
            seg_px = size / top * width
            text = f"{g}: {fmt(v)}"
            if _text_width(text) + 8 > seg_px:
                text = fmt(v) if _text_width(fmt(v)) + 8 <= seg_px else ""
            rows.append(
                {
                    "category": c,
                    "group": g,
                    "start": start,
                    "end": start + size,
                    "mid": start + size / 2,
                    "label": text,
                    "ink": _ink_on(colours[g]),
                }
            )
            start += size
    x = alt.X(
        "start:Q",
        scale=alt.Scale(domain=[0, top], nice=False),
        axis=alt.Axis(title=x_title or None, tickCount=4, format=",~s"),
    )
    base = alt.Chart()
    bars = base.mark_bar(stroke=BACKGROUND, strokeWidth=2).encode(y=y, x=x, x2="end:Q", color=colour)
    labels = (
        base.transform_filter("datum.label != ''")
        .mark_text(baseline="middle")
        .encode(
            y=y,
            x=alt.X("mid:Q", scale=alt.Scale(domain=[0, top], nice=False)),
            text="label:N",
            color=alt.Color("ink:N", scale=None),
        )
    )
    return _finish([bars, labels], rows, width=width, height=alt.Step(34), description=description)


@_builder
def dot_plot(
    values: list[tuple[str, float | None]],
    highlight_label: str | None,
    *,
    median: float | None = None,
    quartiles: tuple[float, float] | None = None,
    value_format: Formatter = "{:,.1f}",
    x_title: str = "",
    width: int = 420,
    sort: bool = True,
    description: str | None = None,
) -> alt.LayerChart:
    """One row per council with its value as a dot; this council is a larger diamond, named and
    valued in bold (not colour alone). The median is a solid line and the quartiles dashed lines,
    each labelled in words.
    """
    labels_in = [label for label, _ in values]
    _check_unique("labels", labels_in)
    if highlight_label is not None and highlight_label not in labels_in:
        raise ValueError(f"highlight_label {highlight_label!r} is not one of the labels")
    fmt = _formatter(value_format)
    items = [(lab, v) for lab, v in values if v is not None]
    if sort:
        items.sort(key=lambda item: -item[1])
    order = [lab for lab, _ in items]
    known = [v for _, v in items] + [v for v in (median, *(quartiles or ())) if v is not None]
    domain = [min(0, *known) if known else 0, _nice_max(max(known, default=0))]
    rows = [
        {
            "label": lab,
            "value": v,
            "is_highlight": lab == highlight_label,
            "text": f"{fmt(v)}" if lab == highlight_label else "",
        }
        for lab, v in items
    ]
    x_scale = alt.Scale(domain=domain, nice=False)
    label_weight = (
        alt.ExprRef(f"datum.value === {_js_string(highlight_label)} ? 'bold' : 'normal'")
        if highlight_label
        else "normal"
    )
    y = alt.Y(
        "label:N",
        sort=None,
        scale=alt.Scale(domain=order),
        axis=alt.Axis(title=None, ticks=False, domain=False, labelFontWeight=label_weight),
    )
    x = alt.X("value:Q", scale=x_scale, axis=alt.Axis(title=x_title or None, tickCount=5, format=",~s"))
    base = alt.Chart()
    others = (
        base.transform_filter("!datum.is_highlight")
        .mark_point(shape="circle", filled=True, size=60, color=PALETTE[0])
        .encode(x=x, y=y)
    )
    mine = (
        base.transform_filter("datum.is_highlight")
        .mark_point(shape="diamond", filled=True, size=180, color=HIGHLIGHT)
        .encode(x=x, y=y)
    )
    mine_label = (
        base.transform_filter("datum.is_highlight")
        .mark_text(align="left", baseline="middle", dx=11, fontWeight="bold")
        .encode(x=x, y=y, text="text:N")
    )
    layers: list[alt.Chart] = [others, mine, mine_label]
    refs = []
    if median is not None:
        refs.append(
            {"name": f"Median {fmt(median)}", "value": median, "dash": [1, 0], "align": "center", "row": 0}
        )
    if quartiles is not None:
        low, high = sorted(quartiles)
        refs.append(
            {"name": f"Lower quartile {fmt(low)}", "value": low, "dash": [5, 3], "align": "right", "row": 1}
        )
        refs.append(
            {"name": f"Upper quartile {fmt(high)}", "value": high, "dash": [5, 3], "align": "left", "row": 1}
        )
    if refs:
        ref_base = alt.Chart(alt.Data(values=refs))
        for ref in refs:
            one = ref_base.transform_filter(f"datum.row == {ref['row']} && datum.align == '{ref['align']}'")
            layers.insert(
                0,
                one.mark_rule(strokeDash=ref["dash"], strokeWidth=1.5).encode(
                    x=alt.X("value:Q", scale=x_scale)
                ),
            )
            layers.append(
                one.mark_text(
                    align=ref["align"],
                    baseline="bottom",
                    y=-(4 + (FONT_SIZE + 3) * (1 - ref["row"])),
                    dx={"left": 3, "right": -3, "center": 0}[ref["align"]],
                    color=TEXT_SECONDARY,
                ).encode(x=alt.X("value:Q", scale=x_scale), text="name:N")
            )
    return _finish(layers, rows, width=width, height=alt.Step(20), description=description)


# ---------------------------------------------------------------------------------------------------
# Colour contrast
# ---------------------------------------------------------------------------------------------------

_NAMED = {
    "white": "#ffffff",
    "black": "#000000",
    "gray": "#808080",
    "grey": "#808080",
    "red": "#ff0000",
    "green": "#008000",
    "blue": "#0000ff",
    "orange": "#ffa500",
    "steelblue": "#4682b4",
}


def parse_colour(value: str) -> tuple[float, float, float, float] | None:
    """'#rgb', '#rrggbb', '#rrggbbaa', 'rgb()/rgba()' or a basic name -> (r, g, b, alpha) in 0..1.

    None for 'none'/'transparent'. Anything else raises, so an unexpected colour format fails the
    contrast check loudly instead of passing it silently.
    """
    v = value.strip().lower()
    if v in ("none", "transparent"):
        return None
    v = _NAMED.get(v, v)
    if v.startswith("#"):
        h = v[1:]
        if len(h) in (3, 4):
            h = "".join(ch * 2 for ch in h)
        if len(h) in (6, 8) and re.fullmatch(r"[0-9a-f]+", h):
            alpha = int(h[6:8], 16) / 255 if len(h) == 8 else 1.0
            return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)
    m = re.fullmatch(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)", v)
    if m:
        a = float(m.group(4)) if m.group(4) is not None else 1.0
        return (float(m.group(1)) / 255, float(m.group(2)) / 255, float(m.group(3)) / 255, a)
    raise ValueError(f"cannot parse colour {value!r}")


def _luminance(rgb: tuple[float, float, float]) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two opaque colours."""
    ca, cb = parse_colour(a), parse_colour(b)
    if ca is None or cb is None:
        raise ValueError("contrast needs two visible colours")
    la, lb = sorted((_luminance(ca[:3]), _luminance(cb[:3])), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _ink_on(fill: str) -> str:
    """Text colour for a label drawn on `fill`: white or near-black, whichever contrasts more."""
    return BACKGROUND if contrast_ratio(BACKGROUND, fill) >= contrast_ratio(TEXT, fill) else TEXT


def _composite(colour: str, opacity: float, under: str) -> str:
    """The opaque colour seen when `colour` at `opacity` is painted over `under`."""
    c, u = parse_colour(colour), parse_colour(under)
    if c is None or u is None:
        raise ValueError("cannot composite invisible colours")
    a = c[3] * opacity
    mixed = [a * c[i] + (1 - a) * u[i] for i in range(3)]
    return "#" + "".join(f"{round(x * 255):02x}" for x in mixed)


@dataclass(frozen=True)
class ContrastCheck:
    element: str  # e.g. "text 'Upheld: 34'" or "path fill"
    colour: str  # the opaque colour seen (after opacity)
    against: str  # the colour behind it
    ratio: float
    minimum: float  # 4.5 for text, 3 for graphical objects

    @property
    def ok(self) -> bool:
        return self.ratio >= self.minimum


_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_RECT_PATH = re.compile(r"^M(-?[\d.e-]+),(-?[\d.e-]+)h(-?[\d.e-]+)v(-?[\d.e-]+)h(-?[\d.e-]+)Z$")
_TRANSLATE = re.compile(r"translate\(\s*(-?[\d.e-]+)[ ,]+(-?[\d.e-]+)\s*\)")
_SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _translate(el: ET.Element) -> tuple[float, float]:
    # Vega positions everything with translate(); a rotate (y-axis title) does not move the anchor.
    m = _TRANSLATE.search(el.get("transform", ""))
    return (float(m.group(1)), float(m.group(2))) if m else (0.0, 0.0)


def svg_contrast_report(svg: str, background: str = BACKGROUND) -> list[ContrastCheck]:
    """Every text fill (needs 4.5:1) and every visible mark fill and stroke (3:1) in a rendered SVG.

    The colour behind each item is, in order: the nearest rectangle painted before it that contains
    it (a bar behind a label), else the SVG's own full-size background rectangle, else `background`
    (the page). Paints identical to what is behind them (e.g. gaps between stacked segments) are not
    visible objects and are skipped. A hatched (gradient) fill is judged by its ink stripes.
    """
    root = ET.fromstring(svg)
    gradients: dict[str, list[str]] = {}
    for el in root.iter():
        if _local(el.tag) in ("linearGradient", "radialGradient") and el.get("id"):
            gradients[el.get("id")] = [s.get("stop-color", "#000") for s in el if _local(s.tag) == "stop"]
    page = background
    first = next((c for c in root if _local(c.tag) not in ("title", "desc", "defs")), None)
    if first is not None and _local(first.tag) == "rect" and first.get("fill") and not first.get("x"):
        page = (
            _composite(first.get("fill"), 1.0, background) if parse_colour(first.get("fill")) else background
        )
    rects: list[tuple[float, float, float, float, str]] = []  # x0, y0, x1, y1, colour seen
    checks: list[ContrastCheck] = []

    def behind(x: float, y: float) -> str:
        for x0, y0, x1, y1, colour in reversed(rects):
            if x0 <= x <= x1 and y0 <= y <= y1:
                return colour
        return page

    def paint_colours(paint: str) -> list[str]:
        m = re.fullmatch(r"url\(#([^)]+)\)", paint.strip())
        if m:
            stops = gradients.get(m.group(1))
            if not stops:
                raise ValueError(f"paint {paint!r} refers to no gradient")
            return stops
        return [paint]

    def visible(paint: str | None) -> bool:
        return (
            bool(paint)
            and paint_colours(paint) != []
            and any(parse_colour(c) is not None for c in paint_colours(paint))
        )

    def judge(kind: str, paint: str, opacity: float, under: str, minimum: float) -> None:
        best: tuple[float, str] | None = None
        for c in paint_colours(paint):
            if parse_colour(c) is None:
                continue
            seen = _composite(c, opacity, under)
            r = contrast_ratio(seen, under)
            if best is None or r > best[0]:
                best = (r, seen)
        if best is None:
            return
        if best[0] < 1.0001 and minimum < 4.5:
            # A shape painted in exactly the colour behind it (e.g. the gaps between stacked
            # segments) is not a visible object. Text never gets this pass: invisible text fails.
            return
        checks.append(ContrastCheck(kind, best[1], under, round(best[0], 2), minimum))

    def walk(el: ET.Element, inherited: dict[str, Any], ox: float, oy: float) -> None:
        tag = _local(el.tag)
        if tag in ("defs", "title", "desc", "clipPath", "linearGradient", "radialGradient"):
            return
        # Not drawn at all (e.g. axis labels Vega hides with opacity 0 to avoid overlaps).
        if el.get("display") == "none" or el.get("visibility") == "hidden" or el.get("opacity") == "0":
            return
        state = dict(inherited)
        for attr in ("fill", "stroke", "stroke-width", "font-size"):
            if el.get(attr) is not None:
                state[attr] = el.get(attr)
        for attr in ("opacity", "fill-opacity", "stroke-opacity"):
            if el.get(attr) is not None:
                state[attr] = (
                    state.get(attr, 1.0) * float(el.get(attr)) if attr == "opacity" else float(el.get(attr))
                )
        tx, ty = _translate(el)
        x, y = ox + tx, oy + ty
        if tag == "text":
            content = "".join(el.itertext())
            if content.strip() and visible(state.get("fill", "#000")):
                size = float(re.sub(r"[^\d.]", "", str(state.get("font-size", "11"))) or 11)
                width = _text_width(content, size)
                anchor = el.get("text-anchor", "start")
                cx = x + {"start": width / 2, "middle": 0, "end": -width / 2}.get(anchor, 0)
                cy = y - size * 0.35
                opacity = state.get("opacity", 1.0) * state.get("fill-opacity", 1.0)
                judge(f"text {content[:40]!r}", state.get("fill", "#000"), opacity, behind(cx, cy), 4.5)
            return
        if tag in _SHAPES and el is not first:
            fill = state.get("fill", "#000")
            stroke = state.get("stroke")
            width = float(state.get("stroke-width", 1) or 0)
            box = None
            if tag == "path":
                m = _RECT_PATH.match(el.get("d", "").replace(" ", ""))
                if m:
                    x0, y0, w, h = (float(m.group(i)) for i in (1, 2, 3, 4))
                    box = (x + min(x0, x0 + w), y + min(y0, y0 + h), x + max(x0, x0 + w), y + max(y0, y0 + h))
            elif tag == "rect":
                rx, ry = float(el.get("x", 0)), float(el.get("y", 0))
                w, h = float(el.get("width", 0)), float(el.get("height", 0))
                box = (x + rx, y + ry, x + rx + w, y + ry + h)
            under = behind((box[0] + box[2]) / 2, (box[1] + box[3]) / 2) if box else page
            cls = el.get("class", "")
            name = f"{tag}{'.' + cls if cls else ''}"
            opacity = state.get("opacity", 1.0)
            if visible(fill) and tag not in ("line", "polyline"):
                judge(f"{name} fill", fill, opacity * state.get("fill-opacity", 1.0), under, 3.0)
                if box and box[2] > box[0] and box[3] > box[1]:
                    colours = [c for c in paint_colours(fill) if parse_colour(c)]
                    if len(colours) == 1:
                        rects.append((*box, _composite(colours[0], opacity, under)))
            if visible(stroke) and width > 0:
                judge(f"{name} stroke", stroke, opacity * state.get("stroke-opacity", 1.0), under, 3.0)
            return
        for child in el:
            walk(child, state, x, y)

    walk(root, {"fill": "#000", "opacity": 1.0}, 0.0, 0.0)
    return checks


# ---------------------------------------------------------------------------------------------------
# Rendering and post-processing
# ---------------------------------------------------------------------------------------------------

VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])  # '6.4': what Altair emits
_CACHE: dict[str, str] = {}
_CACHE_LOCK = threading.Lock()
STATS = {"conversions": 0, "memory_hits": 0, "disk_hits": 0}
# Below this many charts still to render, rendering here beats starting child processes: each new
# process pays ~0.7 s (Python start + vl-convert's first call) against ~0.05 s per warm chart, so on
# 2 cores the break-even is roughly 0.7 / (0.05 / 2) ≈ 30 charts. Measured on the 2-core build
# machine: 40 charts 6.9 s in-process vs 9.9 s in 2 processes; 120 charts 40.0 s vs 35.5 s (both
# under heavy shared load). A rebuild hits the cache instead and renders nothing.
PARALLEL_THRESHOLD = 40

ET.register_namespace("", _SVG_NS)
ET.register_namespace("xlink", _XLINK_NS)


# Part of the cache key: a new vl-convert may draw differently, so its SVGs must not be reused.
_RENDERER = f"vl-convert-python {metadata.version('vl-convert-python')}"


def chart_spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The Vega-Lite spec of a chart (or a spec dict passed through)."""
    # No schema validation here: the builders' output is validated by the tests, and validating
    # every chart on every build costs more than rendering it.
    return chart if isinstance(chart, dict) else chart.to_dict(validate=False)


def _spec_json(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: dict) -> str:
    """Content hash of a spec and the renderer that draws it: the cache key."""
    key = f"{_RENDERER}|{VL_VERSION}|{_spec_json(spec)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _convert(spec_json: str) -> str:
    # allowed_base_urls=[]: a spec can never fetch remote (or local) data while rendering.
    return vlc.vegalite_to_svg(spec_json, vl_version=VL_VERSION, allowed_base_urls=[])


def _cache_get(key: str, cache_dir: Path | None) -> str | None:
    with _CACHE_LOCK:
        if key in _CACHE:
            STATS["memory_hits"] += 1
            return _CACHE[key]
    if cache_dir is not None:
        path = Path(cache_dir) / f"{key}.svg"
        if path.is_file():
            svg = path.read_text("utf-8")
            with _CACHE_LOCK:
                _CACHE[key] = svg
                STATS["disk_hits"] += 1
            return svg
    return None


def _cache_put(key: str, svg: str, cache_dir: Path | None) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = svg
        STATS["conversions"] += 1
    if cache_dir is not None:
        directory = Path(cache_dir)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(svg, "utf-8")
        os.replace(tmp, directory / f"{key}.svg")  # atomic: parallel builds never see half a file


def clear_cache() -> None:
    """Forget the in-memory cache (the disk cache, if any, is left alone)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def to_svg(chart: alt.TopLevelMixin | dict, *, cache_dir: str | Path | None = None) -> str:
    """vl-convert's SVG for a chart, from the cache when the same spec was rendered before."""
    spec = chart_spec(chart)
    key = spec_hash(spec)
    cache_path = Path(cache_dir) if cache_dir is not None else None
    cached = _cache_get(key, cache_path)
    if cached is not None:
        return cached
    svg = _convert(_spec_json(spec))
    _cache_put(key, svg, cache_path)
    return svg


# The worker: a fresh interpreter that imports only vl-convert (not Altair, not the caller's main
# module, which multiprocessing's spawn would re-run) and converts one JSON spec per input line.
_WORKER = """
import json, sys
import vl_convert as vlc
for line in sys.stdin:
    job = json.loads(line)
    try:
        out = {"svg": vlc.vegalite_to_svg(job["spec"], vl_version=job["vl"], allowed_base_urls=[])}
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def _convert_in_processes(spec_jsons: list[str], workers: int) -> list[str]:
    """Convert specs in `workers` child processes, each fed a share of the specs on stdin."""
    # Deal the specs round-robin so each process gets a similar mix of large and small charts.
    shares = [list(range(i, len(spec_jsons), workers)) for i in range(workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for _ in shares
    ]
    outputs: list[tuple[str, str]] = [("", "")] * workers
    timed_out: list[bool] = [False] * workers

    def talk(i: int) -> None:
        stdin = "".join(json.dumps({"spec": spec_jsons[j], "vl": VL_VERSION}) + "\n" for j in shares[i])
        try:
            # Generous: a warm chart takes ~0.05 s, a cold process ~1 s.
            outputs[i] = procs[i].communicate(stdin, timeout=60 + 5 * len(shares[i]))
        except subprocess.TimeoutExpired:
            timed_out[i] = True
            procs[i].kill()
            outputs[i] = procs[i].communicate()

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results: list[str | None] = [None] * len(spec_jsons)
    for i, (out, err) in enumerate(outputs):
        lines = [line for line in out.split("\n") if line]
        if timed_out[i] or procs[i].returncode != 0 or len(lines) != len(shares[i]):
            why = "timed out" if timed_out[i] else f"exit {procs[i].returncode}"
            raise RuntimeError(f"chart rendering process failed ({why}): {err.strip()[-500:]}")
        for j, line in zip(shares[i], lines, strict=True):
            answer = json.loads(line)
            if "error" in answer:
                raise RuntimeError(f"vl-convert could not render a chart: {answer['error']}")
            results[j] = answer["svg"]
    return [r for r in results if r is not None]


def render_many(
    charts: Iterable[alt.TopLevelMixin | dict],
    workers: int | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> list[str]:
    """vl-convert SVGs for many charts, in order; uncached ones may be rendered in child processes.

    workers=None picks: in this process below PARALLEL_THRESHOLD uncached charts (starting processes
    would cost more than it saves), otherwise one child process per CPU. workers=1 never starts
    processes. Identical specs are rendered once.
    """
    specs = [chart_spec(c) for c in charts]
    keys = [spec_hash(s) for s in specs]
    cache_path = Path(cache_dir) if cache_dir is not None else None
    results: dict[str, str] = {}
    todo: dict[str, str] = {}
    for key, spec in zip(keys, specs, strict=True):
        if key in results or key in todo:
            continue
        cached = _cache_get(key, cache_path)
        if cached is not None:
            results[key] = cached
        else:
            todo[key] = _spec_json(spec)
    if workers is None:
        workers = (os.cpu_count() or 1) if len(todo) >= PARALLEL_THRESHOLD else 1
    workers = max(1, min(workers, len(todo)))
    if workers == 1:
        svgs = [_convert(spec_json) for spec_json in todo.values()]
    else:
        svgs = _convert_in_processes(list(todo.values()), workers)
    for key, svg in zip(todo, svgs, strict=True):
        results[key] = svg
        _cache_put(key, svg, cache_path)
    return [results[k] for k in keys]


_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def check_id(figure_id: str) -> str:
    """Figure ids become HTML ids and URL fragments: letters, digits, '-' and '_' only."""
    if not _ID_RE.match(figure_id):
        raise ValueError(f"figure id {figure_id!r} must start with a letter and hold only A-Z a-z 0-9 - _")
    return figure_id


def _neutralise(s: str) -> str:
    """Make serialised markup safe to drop into a Markdown page that a template engine may read.

    Newlines become character references (a blank line would end the raw-HTML block in Markdown and
    let the rest be parsed as Markdown), and braces too (so '{{ ... }}' in council data can never be
    evaluated as Jinja). Browsers decode both back to the same characters.
    """
    return s.replace("{", "&#123;").replace("}", "&#125;").replace("\r", "&#13;").replace("\n", "&#10;")


def _paint_none(el: ET.Element, inherited: dict[str, str]) -> bool:
    fill = el.get("fill", inherited.get("fill", "#000"))
    stroke = el.get("stroke", inherited.get("stroke", "none"))
    return fill == "none" and stroke == "none"


def accessible_svg(svg: str, *, figure_id: str, title: str, description: str) -> str:
    """Turn vl-convert's SVG into an accessible, self-contained inline SVG for one figure.

    - role="img" named by a <title> and described by a <desc> (first children), ARIA from Vega's
      marks removed (children of role="img" are presentational; the data are in the HTML table);
    - every id prefixed with the figure id, so several charts on one page never share an id;
    - width/height replaced by a viewBox and CSS, so the chart scales down on a phone;
    - invisible helper elements removed (smaller files);
    - all text escaped by the XML serialiser, and newlines/braces neutralised (see _neutralise).
    Calling it again for the same figure returns the SVG unchanged.
    """
    check_id(figure_id)
    title_id, desc_id = f"{figure_id}-chart-title", f"{figure_id}-chart-desc"
    root = ET.fromstring(svg.strip())  # also drops any XML prolog
    if root.get("role") == "img":
        if root.get("aria-labelledby") == title_id:
            return svg
        raise ValueError(f"this SVG was already prepared for another figure, not {figure_id!r}")
    width = root.get("width")
    height = root.get("height")
    if not root.get("viewBox") and width and height:
        root.set("viewBox", f"0 0 {width} {height}")
    for attr in ("width", "height", "version", "class"):
        root.attrib.pop(attr, None)

    # Drop Vega's ARIA (and pointer-events: the chart is static) and invisible helpers.
    def clean(el: ET.Element, inherited: dict[str, str]) -> None:
        state = {k: el.get(k, inherited.get(k, "")) for k in ("fill", "stroke")}
        for child in list(el):
            # Vega hides overlapping axis labels with opacity="0": drop them (smaller, and a
            # contrast check or a copy-paste would otherwise meet invisible text).
            if (
                child.get("display") == "none"
                or child.get("opacity") == "0"
                or (
                    _local(child.tag) == "path"
                    and child.get("class") in ("background", "foreground")
                    and _paint_none(child, state)
                )
            ):
                el.remove(child)
                continue
            for attr in list(child.attrib):
                if attr == "role" or attr.startswith("aria-") or attr == "pointer-events":
                    del child.attrib[attr]
            clean(child, state)
            if _local(child.tag) == "g" and len(child) == 0:
                el.remove(child)

    clean(root, {"fill": "#000", "stroke": "none"})
    # Unique, reproducible ids: vl-convert numbers gradients and clips with a counter that depends on
    # what the renderer process drew before, so ids are renumbered in document order and prefixed
    # with the figure id (several charts on one page never share an id; two builds give the same bytes).
    order = [el.get("id") for el in root.iter() if el.get("id")]
    ids = {old: f"{figure_id}-{re.sub(r'[^A-Za-z]+$', '', old) or 'id'}-{n}" for n, old in enumerate(dict.fromkeys(order))}
    if ids:
        for el in root.iter():
            if el.get("id") in ids:
                el.set("id", ids[el.get("id")])
            for attr, value in list(el.attrib.items()):
                if "url(#" in value:
                    el.set(
                        attr,
                        _URL_REF.sub(
                            lambda m: f"url(#{ids[m.group(1)]})" if m.group(1) in ids else m.group(0),
                            value,
                        ),
                    )
                elif attr in ("href", f"{{{_XLINK_NS}}}href") and value.startswith("#") and value[1:] in ids:
                    el.set(attr, f"#{ids[value[1:]]}")
    t = ET.Element(f"{{{_SVG_NS}}}title", {"id": title_id})
    t.text = title
    d = ET.Element(f"{{{_SVG_NS}}}desc", {"id": desc_id})
    d.text = description
    root.insert(0, d)
    root.insert(0, t)
    root.set("role", "img")
    root.set("aria-labelledby", title_id)
    root.set("aria-describedby", desc_id)
    root.set("class", "ts-chart")
    natural = width or (root.get("viewBox", "0 0 600 400").split()[2])
    # Scale down on narrow screens, never up beyond the drawn size (text would grow too large).
    root.set("style", f"display:block;width:100%;max-width:{float(natural):g}px;height:auto")
    out = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return _neutralise(out)


def render_svg(
    chart: alt.TopLevelMixin | dict,
    *,
    figure_id: str = "chart",
    title: str | None = None,
    description: str | None = None,
    cache_dir: str | Path | None = None,
) -> str:
    """Render a chart to an accessible inline SVG (see accessible_svg). The accessible name and
    description default to the spec's title and description."""
    spec = chart_spec(chart)
    raw = to_svg(spec, cache_dir=cache_dir)
    spec_title = spec.get("title")
    if isinstance(spec_title, dict):
        spec_title = spec_title.get("text")
    return accessible_svg(
        raw,
        figure_id=figure_id,
        title=title if title is not None else str(spec_title or "Chart"),
        description=description if description is not None else str(spec.get("description") or ""),
    )


# ---------------------------------------------------------------------------------------------------
# The figure
# ---------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    id: str
    title: str  # the headline message
    subtitle: str  # the statistical title: what, where, when, unit
    summary: str  # one plain-English sentence
    chart: alt.TopLevelMixin | None
    table_columns: list[str]
    table_rows: list[list[str]]
    csv_url: str
    citation: str
    notes: list[str] = field(default_factory=list)


def _text(s: object) -> str:
    return _neutralise(str(escape(str(s))))


_SAFE_URL = re.compile(r"^(?:https?://|/|\./|\.\./|#|[A-Za-z0-9_.~-][^:]*$)")


def _url(url: str) -> str:
    # Only relative links and http(s): never javascript:, data: and the like.
    if not _SAFE_URL.match(url) or any(ch in url for ch in "\r\n\t "):
        raise ValueError(f"refusing unsafe or malformed link {url!r}")
    return _text(url)


def figure_html(fig: Figure, svg: str | None, *, heading_level: int | None = None) -> Markup:
    """A figure as one block of HTML with no blank lines (safe inside Markdown as a raw HTML block).

    `svg` is the chart's SVG from to_svg/render_many (or from render_svg for this figure's id);
    it is made accessible here with the figure's title and summary. Pass None or "" for a figure
    without a chart. With `heading_level` (2..6) the headline is a real heading, otherwise a
    paragraph styled like one.
    """
    fid = check_id(fig.id)
    ncols = len(fig.table_columns)
    for i, row in enumerate(fig.table_rows):
        if len(row) != ncols:
            raise ValueError(f"figure {fid}: table row {i + 1} has {len(row)} cells for {ncols} columns")
    if heading_level is not None and heading_level not in range(2, 7):
        raise ValueError("heading_level must be 2 to 6")
    tag = f"h{heading_level}" if heading_level else "p"
    parts = [
        f'<figure id="{fid}" class="ts-figure">',
        "<figcaption>"
        f'<{tag} class="ts-figure__title">{_text(fig.title)}</{tag}>'
        f'<p class="ts-figure__subtitle">{_text(fig.subtitle)}</p>'
        "</figcaption>",
    ]
    if svg:
        description = " ".join(s for s in (fig.subtitle, fig.summary) if s)
        parts.append(accessible_svg(svg, figure_id=fid, title=fig.title, description=description))
    parts.append(f'<p class="ts-summary">{_text(fig.summary)}</p>')
    if ncols:
        head = "".join(f'<th scope="col">{_text(c)}</th>' for c in fig.table_columns)
        body = "".join(
            "<tr>"
            + "".join(
                f'<th scope="row">{_text(cell)}</th>' if j == 0 else f"<td>{_text(cell)}</td>"
                for j, cell in enumerate(row)
            )
            + "</tr>"
            for row in fig.table_rows
        )
        parts += [
            '<details class="ts-data"><summary>Show the data as a table</summary>',
            # A wide table scrolls inside its own region, which keyboard users must be able to
            # focus to scroll (WCAG 2.1.1; axe scrollable-region-focusable). The class keeps
            # Material's JavaScript from wrapping it in an unfocusable scroll box.
            f'<div class="ts-table-wrap" role="region" tabindex="0" aria-label="Table: {_text(fig.title)}">'
            f'<table class="ts-table"><caption>{_text(fig.title)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>",
            "</details>",
        ]
    title = _text(fig.title)
    parts.append(
        f'<p class="ts-download"><a href="{_url(fig.csv_url)}" download '
        f'aria-label="Download this data (CSV): {title}">Download this data (CSV)</a></p>'
    )
    parts.append(
        f'<p class="ts-cite">Cite this: {_text(fig.citation)} '
        f'<a href="#{fid}" aria-label="Link to this figure: {title}">Link to this figure</a></p>'
    )
    for note in fig.notes:
        parts.append(f'<p class="ts-note">{_text(note)}</p>')
    parts.append("</figure>")
    return Markup("\n".join(parts))


def render_figures(
    figures: Sequence[Figure],
    *,
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    heading_level: int | None = None,
) -> list[Markup]:
    """figure_html for many figures, their charts rendered together (cached, in parallel when many)."""
    with_chart = [f for f in figures if f.chart is not None]
    svgs = dict(
        zip(
            (f.id for f in with_chart),
            render_many([f.chart for f in with_chart], workers, cache_dir=cache_dir),
            strict=True,
        )
    )
    ids = [f.id for f in figures]
    if len(set(ids)) != len(ids):
        raise ValueError(
            f"figure ids must be unique on a page: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return [figure_html(f, svgs.get(f.id), heading_level=heading_level) for f in figures]
