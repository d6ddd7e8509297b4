"""Charts: builders, accessible SVG, contrast, size budget, cache and the figure wrapper."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from transparency_site import charts as C

SVG = "{http://www.w3.org/2000/svg}"
NASTY = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "Fish & Chips \"quoted\" 'single'",
    "{{ 7 * 7 }} {% if %}",
    "[x](javascript:alert(1))",
    "# Heading\n\nNew paragraph",
]
MONTHS_60 = [f"{2019 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}" for m in range(60)]


def _bar(categories=None, values=None, **kw):
    categories = categories or [f"Service {i}" for i in range(12)]
    values = values or [float(200 - 13 * i) for i in range(len(categories))]
    return C.bar_chart(categories, values, x_title="Complaints received", **kw)


def _builders() -> dict:
    return {
        "bar": _bar(values=[200.0, None] + [float(150 - 10 * i) for i in range(10)], highlight="Service 3"),
        "columns": C.column_trend(
            ["2020/21", "2021/22", "2022/23", "2023/24"],
            [250, 276, 344, 227],
            ytd_flags=[False, False, False, True],
            ytd_notes=[None, None, None, "(Q1–Q3)"],
            y_title="Complaints",
        ),
        "line": C.line_chart(
            {
                f"Channel {k}": [(m, 20 + (i * (k + 3)) % 40 + k) for i, m in enumerate(MONTHS_60)]
                for k in range(4)
            },
            y_title="Contacts",
        ),
        "line_short": C.line_chart(
            {
                "Phone": [(m, 40 + i % 7) for i, m in enumerate(MONTHS_60[:12])],
                "Online": [(m, 30 + i) for i, m in enumerate(MONTHS_60[:12])],
                "Email": [(m, None if i == 4 else 5 + i % 3) for i, m in enumerate(MONTHS_60[:12])],
            },
            y_title="Contacts",
        ),
        "grouped": C.stacked_or_grouped(
            ["2021/22", "2022/23"],
            {"Upheld": [50, 60], "Partly upheld": [30, None], "Not upheld": [100, 120]},
        ),
        "stacked": C.stacked_or_grouped(
            ["2021/22", "2022/23"],
            {"Upheld": [50, 60], "Partly upheld": [30, 35], "Not upheld": [100, 120]},
            mode="stacked",
        ),
        "dots": C.dot_plot(
            [(f"Council {i}", 4 + 0.6 * i) for i in range(15)] + [("Castlemere", 9.2)],
            "Castlemere",
            median=8.5,
            quartiles=(6.0, 11.0),
            x_title="Complaints per 10,000 residents",
        ),
    }


@pytest.fixture(scope="module")
def built() -> dict:
    return _builders()


@pytest.fixture(scope="module")
def rendered(built) -> dict:
    return {
        name: C.render_svg(chart, figure_id=f"fig-{name}", title=f"Title {name}", description=f"About {name}")
        for name, chart in built.items()
    }


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


# ----------------------------------------------------------------------------------------------- builders


def test_every_builder_serialises_with_schema_validation(built):
    for name, chart in built.items():
        spec = chart.to_dict()  # validates against the Vega-Lite schema
        assert spec["config"]["font"] == C.FONT, name
        assert spec["config"]["legend"] == {"disable": True}, name
        # Inline data only (Altair moves it to named top-level datasets): nothing to fetch.
        assert spec["datasets"][spec["data"]["name"]], name
        assert "url" not in str(spec["data"]), name


def test_every_builder_renders_an_accessible_svg(rendered):
    for name, svg in rendered.items():
        assert not svg.startswith("<?xml")
        root = ET.fromstring(svg)
        assert root.get("role") == "img", name
        first, second = list(root)[:2]
        assert first.tag == f"{SVG}title" and first.text == f"Title {name}"
        assert second.tag == f"{SVG}desc" and second.text == f"About {name}"
        assert root.get("aria-labelledby") == first.get("id") == f"fig-{name}-chart-title"
        assert root.get("aria-describedby") == second.get("id")
        assert root.get("width") is None and root.get("height") is None
        assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
        assert "max-width:" in root.get("style")
        # Vega's own ARIA would be hidden under role="img" anyway, and some of it fails HTML checking.
        for el in list(root.iter())[1:]:
            assert not any(a == "role" or a.startswith("aria-") for a in el.attrib), (name, el.attrib)


def test_bar_chart_labels_values_and_suppression(rendered):
    texts = _texts(rendered["bar"])
    assert "[c]" in texts  # suppressed value: a label, no bar
    assert "200" in texts and "Service 11" in texts
    bars = [
        p for p in ET.fromstring(rendered["bar"]).iter(f"{SVG}path") if C._RECT_PATH.match(p.get("d", ""))
    ]
    assert len(bars) == 11  # 12 categories, one suppressed
    assert {b.get("fill") for b in bars} == {C.PALETTE[0], C.HIGHLIGHT}


def test_year_to_date_column_is_hatched_and_labelled(rendered):
    svg = rendered["columns"]
    root = ET.fromstring(svg)
    # The year-to-date axis label is two lines: the year, then the note.
    lines = [[ts.text for ts in t.iter(f"{SVG}tspan")] for t in root.iter(f"{SVG}text")]
    assert ["2023/24", "(Q1–Q3)"] in lines
    gradients = [g for g in root.iter() if g.tag == f"{SVG}linearGradient"]
    assert len(gradients) == 1
    stops = {s.get("stop-color").lower() for s in gradients[0]}
    assert stops == {C.PALETTE[0].lower(), C.BACKGROUND}
    hatched = [p for p in root.iter(f"{SVG}path") if p.get("fill", "").startswith("url(#")]
    assert len(hatched) == 1 and hatched[0].get("stroke") == C.PALETTE[0]
    solid = [p for p in root.iter(f"{SVG}path") if p.get("fill") == C.PALETTE[0]]
    assert len(solid) == 3


def test_year_to_date_display_labels_become_two_lines():
    for periods, notes in (
        (["2022/23", "2023/24 (Q1–Q3)"], None),
        (["2022/23", "2023/24"], [None, "(Q1–Q3)"]),
    ):
        svg = C.render_svg(
            C.column_trend(periods, [344, 227], ytd_flags=[False, True], ytd_notes=notes), figure_id="y"
        )
        lines = [[ts.text for ts in t.iter(f"{SVG}tspan")] for t in ET.fromstring(svg).iter(f"{SVG}text")]
        assert ["2023/24", "(Q1–Q3)"] in lines
    plain = C.render_svg(C.column_trend(["2023/24"], [227], ytd_flags=[True]), figure_id="z")
    assert "(year to date)" in plain


def test_line_chart_series_differ_by_dash_and_shape_and_end_labels_do_not_overlap(built, rendered):
    root = ET.fromstring(rendered["line"])
    dashes = {p.get("stroke-dasharray") for p in root.iter(f"{SVG}path") if p.get("stroke") in C.PALETTE}
    assert len(dashes) == 4  # one pattern per series (solid has none)
    spec = built["line"].to_dict()
    shape_scale = next(
        layer["encoding"]["shape"]["scale"] for layer in spec["layer"] if "shape" in layer["encoding"]
    )
    assert shape_scale["range"] == list(C.SHAPES[:4])
    ends = [t for t in root.iter(f"{SVG}text") if re.match(r"Channel \d: ", t.text or "")]
    assert len(ends) == 4
    ys = sorted(float(C._TRANSLATE.search(t.get("transform")).group(2)) for t in ends)
    assert all(b - a >= C.FONT_SIZE for a, b in zip(ys, ys[1:], strict=False))
    assert "Apr 2019" in _texts(rendered["line"]) and "May 2019" not in _texts(rendered["line"])


def test_short_line_chart_marks_every_value_and_hides_nothing_invisibly(rendered):
    root = ET.fromstring(rendered["line_short"])
    symbols = [p for g in root.iter(f"{SVG}g") if "mark-symbol" in g.get("class", "") for p in g]
    assert len(symbols) == 12 * 3 - 1  # one suppressed value has no point
    assert not [el for el in root.iter() if el.get("opacity") == "0"]
    assert "Email: 7" in _texts(rendered["line_short"])


def test_spread_labels_keeps_order_and_gap():
    out = C._spread_labels([100, 101, 102, 250], gap=15, low=0, high=260)
    assert out[0] < out[1] < out[2] < out[3]
    assert min(b - a for a, b in zip(out, out[1:], strict=False)) >= 15
    assert max(out) <= 260


def test_grouped_bars_are_labelled_with_their_group(rendered):
    texts = _texts(rendered["grouped"])
    assert {"Upheld: 50", "Not upheld: 120", "Partly upheld: [c]"} <= set(texts)


def test_dot_plot_marks_this_council_by_shape_and_name(built, rendered):
    spec = built["dots"].to_dict()
    shapes = {layer["mark"].get("shape") for layer in spec["layer"] if layer["mark"]["type"] == "point"}
    assert shapes == {"circle", "diamond"}
    texts = _texts(rendered["dots"])
    assert "9.2" in texts and "Median 8.5" in texts
    assert "Lower quartile 6.0" in texts and "Upper quartile 11.0" in texts
    bold = [
        t.text for t in ET.fromstring(rendered["dots"]).iter(f"{SVG}text") if t.get("font-weight") == "bold"
    ]
    assert "Castlemere" in bold


def test_builders_reject_bad_input():
    with pytest.raises(ValueError, match="same length"):
        C.bar_chart(["a", "b"], [1])
    with pytest.raises(ValueError, match="twice"):
        C.bar_chart(["a", "a"], [1, 2])
    with pytest.raises(ValueError, match="at most 6"):
        C.line_chart({str(i): [("2023-04", 1)] for i in range(7)})
    with pytest.raises(ValueError, match="not one of"):
        C.dot_plot([("a", 1.0)], "b")


def test_builds_are_deterministic():
    a, b = _bar(), _bar()
    assert C.spec_hash(C.chart_spec(a)) == C.spec_hash(C.chart_spec(b))
    assert C.render_svg(a, figure_id="x") == C.render_svg(b, figure_id="x")


# ----------------------------------------------------------------------------------------------- escaping


def test_council_text_is_escaped_in_svg_and_shown_verbatim():
    chart = C.bar_chart(NASTY, [3, 4, 5, 6, 7, 8], highlight=NASTY[2])
    svg = C.render_svg(chart, figure_id="nasty", title=NASTY[0], description=NASTY[1])
    assert "<script" not in svg and "<img" not in svg and "{{" not in svg and "\n" not in svg
    root = ET.fromstring(svg)  # still well-formed
    # Each label reads back exactly as the council wrote it (as text, never markup).
    texts = _texts(svg)
    for s in NASTY:
        assert s in texts, s
    assert root.find(f"{SVG}title").text == NASTY[0]
    # The highlight went into a Vega expression as a string literal: the quoted label is bold.
    bold = [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert ["".join(t.itertext()) for t in bold] == [NASTY[2], "5"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _figure(fid="fig-a", chart=None, **kw) -> C.Figure:
    base = dict(
        id=fid,
        title="Complaints rose by 25%",
        subtitle="Complaints received, Castlemere, 2019/20 to 2023/24",
        summary="Complaints rose by 25%, from 276 in 2021/22 to 344 in 2022/23.",
        chart=chart,
        table_columns=["Year", "Complaints"],
        table_rows=[["2021/22", "276"], ["2022/23", "344"], ["2023/24", "[c]"]],
        csv_url="../data/complaints-received.csv",
        citation="Castlemere District Council (2024), complaints data.",
        notes=["[c] means fewer than 5."],
    )
    base.update(kw)
    return C.Figure(**base)


def test_figure_html_escapes_every_text_field():
    fig = _figure(
        title=NASTY[0],
        subtitle=NASTY[1],
        summary=NASTY[5],
        citation=NASTY[3],
        notes=[NASTY[4]],
        table_columns=[NASTY[2], "n"],
        table_rows=[[NASTY[0], NASTY[3]]],
    )
    html = str(C.figure_html(fig, C.to_svg(C.bar_chart(NASTY[:2], [1, 2])), heading_level=3))
    p = _Collect()
    p.feed(html)
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "img" not in tags
    assert not any(k.startswith("on") for _, attrs in p.tags for k in attrs)
    text = "".join(p.text)
    for s in (NASTY[0], NASTY[1], NASTY[2], NASTY[3], NASTY[4], NASTY[5]):
        assert s in text, s
    assert "{{" not in html and "{%" not in html
    with pytest.raises(ValueError, match="unsafe"):
        C.figure_html(_figure(csv_url="javascript:alert(1)"), None)


# ----------------------------------------------------------------------------------------------- figure


def test_figure_html_structure(built):
    fig = _figure(chart=built["columns"])
    html = str(C.figure_html(fig, C.to_svg(built["columns"])))
    assert html.startswith('<figure id="fig-a" class="ts-figure">') and html.endswith("</figure>")
    assert all(line.strip() for line in html.split("\n")), "a blank line would end the Markdown HTML block"
    p = _Collect()
    p.feed(html)
    tags = [t for t, _ in p.tags]
    assert tags.index("figcaption") < tags.index("svg") < tags.index("details") < tags.index("table")
    assert not any(re.fullmatch(r"h\d", t) for t in tags)  # no heading unless asked for
    assert [a["scope"] for t, a in p.tags if t == "th"] == ["col", "col", "row", "row", "row"]
    assert "caption" in tags and "summary" in tags
    links = {a["href"]: a for t, a in p.tags if t == "a"}
    assert "download" in links["../data/complaints-received.csv"]
    assert "#fig-a" in links
    text = "".join(p.text)
    assert "Download this data (CSV)" in text
    assert "Cite this: Castlemere District Council (2024), complaints data." in text
    assert "[c] means fewer than 5." in text
    assert "Show the data as a table" in text
    assert re.search(r'<p class="ts-summary">Complaints rose by 25%, from 276', html)
    assert '<h2 class="ts-figure__title">' in str(C.figure_html(fig, None, heading_level=2))
    with pytest.raises(ValueError, match="cells"):
        C.figure_html(_figure(table_rows=[["only one"]]), None)


def test_ids_are_unique_across_figures_on_one_page(built):
    # Two figures from the very same chart: vl-convert gives both the same gradient id.
    clipped = C.bar_chart(["a", "b"], [1, 2]).to_dict()
    clipped["layer"][0]["mark"]["clip"] = True  # clip paths carry ids too
    page = "\n".join(
        str(C.figure_html(_figure(fid, chart=chart), C.to_svg(chart)))
        for fid, chart in (
            ("fig-one", built["columns"]),
            ("fig-two", built["columns"]),
            ("fig-three", clipped),
            ("fig-four", clipped),
        )
    )
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and len(ids) >= 14
    assert any("gradient" in i for i in ids) and any("clip" in i for i in ids)
    for ref in re.findall(r"url\(#([^)]+)\)", page):
        assert ref in ids
    # Each figure's references stay inside that figure.
    for fid in ("fig-one", "fig-two", "fig-three", "fig-four"):
        block = page[page.index(f'<figure id="{fid}"') :]
        block = block[: block.index("</figure>")]
        assert all(ref.startswith(f"{fid}-") for ref in re.findall(r"url\(#([^)]+)\)", block))


def test_render_figures_renders_each_chart_once(built, monkeypatch):
    figs = [
        _figure("fig-x", chart=built["grouped"]),
        _figure("fig-y", chart=None),
        _figure("fig-z", chart=built["grouped"]),
    ]
    C.render_many([built["grouped"]])
    monkeypatch.setattr(C, "_convert", lambda s: pytest.fail("should come from the cache"))
    html = C.render_figures(figs)
    assert [h.startswith(f'<figure id="{f.id}"') for h, f in zip(html, figs, strict=True)] == [True] * 3
    assert "<svg" in html[0] and "<svg" not in html[1] and 'id="fig-z-chart-title"' in html[2]
    with pytest.raises(ValueError, match="unique"):
        C.render_figures([figs[1], figs[1]])


def test_figure_html_accepts_svg_already_prepared_for_it(built):
    svg = C.render_svg(built["bar"], figure_id="fig-a", title="t", description="d")
    assert C.accessible_svg(svg, figure_id="fig-a", title="t", description="d") == svg
    assert svg in str(C.figure_html(_figure(), svg))
    with pytest.raises(ValueError, match="another figure"):
        C.figure_html(_figure("fig-b"), svg)
    with pytest.raises(ValueError, match="figure id"):
        C.figure_html(_figure("bad id"), None)


def test_figures_pass_the_nu_html_checker(built, tmp_path):
    # Never skipped: `make test` installs Java and vnu-jar (make browser-deps).
    assert shutil.which("java"), "java is needed for the Nu HTML Checker: apt-get install default-jre-headless"
    jar = Path(__file__).resolve().parents[1] / "node_modules/vnu-jar/build/dist/vnu.jar"
    assert jar.is_file(), "npm vnu-jar is not installed: run make browser-deps"
    figures = "\n".join(
        str(
            C.figure_html(
                _figure(f"fig-{name}", chart=chart, title=NASTY[0]), C.to_svg(chart), heading_level=2
            )
        )
        for name, chart in built.items()
    )
    page = tmp_path / "page.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        f"<body><main><h1>Charts</h1>{figures}</main></body></html>",
        "utf-8",
    )
    result = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", str(page)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------------------------- contrast


def test_contrast_of_every_chart_against_light_and_dark_pages(rendered):
    for name, svg in rendered.items():
        for page in (C.BACKGROUND, C.DARK_PAGE_BACKGROUND):
            report = C.svg_contrast_report(svg, background=page)
            failing = [c for c in report if not c.ok]
            assert not failing, (name, page, failing)
            assert any(c.minimum == 4.5 for c in report) and any(c.minimum == 3.0 for c in report), name


def test_contrast_judges_labels_against_the_bar_behind_them(rendered):
    report = C.svg_contrast_report(rendered["stacked"])
    inside = {c.element: c for c in report if c.element.startswith("text 'Upheld: 50'")}
    check = inside["text 'Upheld: 50'"]
    assert check.against == C.PALETTE[0].lower() and check.colour == C.BACKGROUND and check.ok


def test_text_without_its_bar_behind_it_fails(rendered):
    # White labels are only readable on their segments: remove the segments and the check must fail.
    svg = re.sub(r'<path d="M[^"]*" fill="#(12436D|801650)" [^>]*/>', "", rendered["stacked"])
    failing = [c for c in C.svg_contrast_report(svg) if not c.ok]
    assert failing and all(c.element.startswith("text") and c.colour == C.BACKGROUND for c in failing)


def test_dark_page_needs_the_charts_own_background(rendered):
    # Without its white panel, the dark palette colours fail on Material's dark background: this is
    # why every chart keeps its own background rectangle.
    svg = re.sub(r"<rect [^>]*fill=\"#ffffff\" />", "", rendered["bar"], count=1)
    report = C.svg_contrast_report(svg, background=C.DARK_PAGE_BACKGROUND)
    assert any(not c.ok for c in report)


def test_contrast_report_catches_pale_marks_and_text():
    pale = C.bar_chart(["a", "b"], [1, 2]).to_dict()
    pale["layer"][0]["encoding"]["color"]["scale"]["range"] = ["#BFBFBF", "#BFBFBF"]
    pale["layer"][1]["mark"]["color"] = "#999999"
    report = C.svg_contrast_report(C.render_svg(pale, figure_id="pale"))
    failing = {c.element.split()[0] for c in report if not c.ok}
    assert failing == {"path", "text"}


def test_palette_contrast_with_white():
    for colour in C.PALETTE:
        assert C.contrast_ratio(colour, C.BACKGROUND) >= 3.0, colour
    assert C.contrast_ratio(C.TEXT, C.BACKGROUND) >= 4.5
    assert C.contrast_ratio(C.TEXT_SECONDARY, C.BACKGROUND) >= 4.5
    assert round(C.contrast_ratio("#F46A25", "#ffffff"), 2) == 3.03


# ----------------------------------------------------------------------------------------------- budget


def test_chart_svgs_stay_under_40_kb(rendered):
    twelve = C.render_svg(_bar([f"A rather long service name {i}" for i in range(12)]), figure_id="b12")
    assert len(twelve.encode()) < 40_000
    assert len(rendered["line"].encode()) < 40_000  # 60 months, 4 series
    for name, svg in rendered.items():
        assert len(svg.encode()) < 40_000, name


# ----------------------------------------------------------------------------------------------- cache


def test_same_spec_is_rendered_once(monkeypatch, tmp_path):
    calls = Counter()
    real = C.vlc.vegalite_to_svg

    def counting(spec, **kw):
        calls["n"] += 1
        assert kw["allowed_base_urls"] == []  # never any remote data
        return real(spec, **kw)

    monkeypatch.setattr(C.vlc, "vegalite_to_svg", counting)
    chart = _bar(values=[float(i) for i in range(12)])
    first = C.to_svg(chart, cache_dir=tmp_path)
    assert calls["n"] == 1
    assert C.to_svg(_bar(values=[float(i) for i in range(12)]), cache_dir=tmp_path) == first
    assert calls["n"] == 1  # memory cache
    assert len(list(tmp_path.glob("*.svg"))) == 1
    C.clear_cache()
    assert C.to_svg(chart, cache_dir=tmp_path) == first
    assert calls["n"] == 1  # disk cache, as after a restart
    C.to_svg(_bar(values=[float(i) + 1 for i in range(12)]))
    assert calls["n"] == 2  # a different spec is rendered


def test_render_many_in_processes_matches_in_process(monkeypatch):
    charts = [_bar(values=[float(i * k) for i in range(12)]) for k in (7, 8, 9)]
    charts.append(charts[0])  # duplicate: rendered once
    C.clear_cache()
    parallel = C.render_many(charts, workers=2)
    C.clear_cache()
    serial = C.render_many(charts, workers=1)
    assert parallel == serial and parallel[0] == parallel[3]
    calls = Counter()
    monkeypatch.setattr(C, "_convert", lambda s: calls.update(["n"]) or "")
    assert C.render_many(charts) == serial and calls["n"] == 0  # all cached now


def test_remote_data_is_refused():
    spec = {"mark": "bar", "data": {"url": "https://example.com/data.csv"}, "encoding": {}}
    with pytest.raises(ValueError, match="not allowed"):
        C.to_svg(spec)


def test_render_many_reports_a_failing_chart_from_a_child_process():
    bad = {"mark": "nonsense", "data": {"values": []}}
    good = C.bar_chart(["x", "y"], [1, 2])
    with pytest.raises(RuntimeError, match="could not render"):
        C.render_many([good, bad], workers=2)
