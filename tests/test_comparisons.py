"""The "How we compare with other councils" page: the real regulator workbook on the example site, and
small hand-made benchmark sets for the wording, the quartiles and the same-year rule."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import DATASETS, REAL_TSM, build, copy_project
from transparency_site import comparisons, fmt, imports, load, measures, performance
from transparency_site.figures import Registry

# ---- the example council's site with the real 2023/24 workbook imported ---------------------------

needs_workbook = pytest.mark.skipif(not REAL_TSM.exists(), reason="the regulator's workbook is not in ../shared/real-data")


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    assert REAL_TSM.exists(), f"the regulator's workbook should be at {REAL_TSM} (shared/real-data beside the project)"
    project = copy_project(tmp_path_factory.mktemp("compare") / "project")
    result = imports.import_tsm(REAL_TSM)
    imports.write_benchmarks(result, project / "datasets")
    build(project)
    return project


@pytest.fixture(scope="module")
def page_html(real_site) -> str:
    return (real_site / "site" / "performance" / "comparisons" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bench(real_site) -> list[dict]:
    with open(real_site / "datasets" / "benchmarks.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def figure(html: str, fid: str) -> str:
    m = re.search(rf'<figure id="{fid}".*?</figure>', html, flags=re.S)
    assert m, f"no figure {fid}"
    return m.group(0)


def text(html: str) -> str:
    """The page's words: tags and SVGs dropped, entities decoded, spaces collapsed."""
    import html as h

    no_svg = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    inline = re.sub(r"</?(?:a|span|strong|em|code)\b[^>]*>", "", no_svg)  # inline tags join words, blocks separate them
    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", " ", inline)))


@needs_workbook
def test_page_places_council_among_157_local_authority_landlords(page_html):
    words = text(page_html)
    assert "How we compare with other councils" in words
    assert "We compare our figures with the 157 local-authority landlords in the published data for 2023/24." in words
    assert "2023/24 (Q1–Q3)" in words  # the only year in both: our year to date against their full year


@needs_workbook
def test_dot_plots_are_accessible_figures_with_a_data_table(page_html, bench):
    for fid in ("compare-tsm-ch01-2023-24-1", "compare-tsm-ch01-2023-24-2", "compare-tsm-ch02-2023-24-1", "compare-tsm-ch02-2023-24-2"):
        fig = figure(page_html, fid)
        svg = re.search(r"<svg[^>]*>", fig).group(0)
        assert 'role="img"' in svg
        assert '<p class="ts-summary">' in fig
        table = re.search(r'<details class="ts-data">.*?</details>', fig, flags=re.S).group(0)
        measure = {"ch01-2023-24-1": "CH01_1", "ch01-2023-24-2": "CH01_2", "ch02-2023-24-1": "CH02_1", "ch02-2023-24-2": "CH02_2"}[fid[12:]]
        published = [r for r in bench if r["measure"] == measure and r["value"]]
        # Every council with a published value, plus our own row.
        assert table.count("<tr>") - 1 == len(published) + 1
        for r in published[:5]:
            assert f'<th scope="row">{r["council"]}</th>' in table
    adur = figure(page_html, "compare-tsm-ch02-2023-24-1")
    assert re.search(r"Adur District Council</th><td>32.2%</td><td>49</td><td>152</td>", adur)


@needs_workbook
def test_part_year_ch02_is_placed_with_its_caveat_and_the_position_is_right(page_html, bench):
    words = text(page_html)
    data = load.load(DATASETS)
    ours = next(r for r in measures.compute_all(data) if r["measure"] == "tsm_ch02" and r["period"] == "2023/24" and r["dimension_value"] == "1")
    assert ours["status"] == "year_to_date"
    values = [float(r["value"]) for r in bench if r["measure"] == "CH02_1" and r["value"]]
    mine = fmt.round_half_up(ours["value"], 1)
    higher_than = sum(fmt.round_half_up(v, 1) < mine for v in values)
    expected = (f"a higher share of stage 1 complaints answered within the Code's timescales than {higher_than} of "
                f"{len(values)} councils")
    assert f"We had {expected}" in words
    assert f"Our figure for April to December 2023: {fmt.number(ours['value'], 1)}%" in words
    # The bias of a part year is stated: complaints still open and within time count as not answered in time.
    assert "still open on 31 December 2023 and not yet due" in words
    # The chart picks us out by label: our name appears in the CH02 chart's SVG.
    assert "Castlemere District Council" in re.search(r"<svg.*?</svg>", figure(page_html, "compare-tsm-ch02-2023-24-1"), flags=re.S).group(0)


@needs_workbook
def test_part_year_ch01_is_never_placed_as_if_a_full_year(page_html):
    words = text(page_html)
    assert "fewer stage 1 complaints per 1,000 homes than" not in words
    assert "more stage 1 complaints per 1,000 homes than" not in words
    assert "not comparable until the year ends" in words
    for fid in ("compare-tsm-ch01-2023-24-1", "compare-tsm-ch01-2023-24-2"):
        svg = re.search(r"<svg.*?</svg>", figure(page_html, fid), flags=re.S).group(0)
        assert "Castlemere" not in svg  # not on the chart
    # Every statement of our figure says which months it covers; none calls it the full year.
    statements = list(re.finditer(r"\bOur figure\b(?!s)[^.:]*[:.]", words))
    assert len(statements) >= 4
    for m in statements:
        assert "April to December 2023" in m.group(0) or "covers" in m.group(0), m.group(0)
    assert "Castlemere District Council (worked out by this site, April to December 2023 only, not comparable)" in words


@needs_workbook
def test_attribution_honesty_and_similar_councils(page_html):
    words = text(page_html)
    assert ("Contains public sector information licensed under the Open Government Licence v3.0. Source: Regulator of "
            "Social Housing, Tenant Satisfaction Measures 2023/24 full data") in words
    assert "worked out by this site from Castlemere District Council's complaints data, using the regulator's definitions" in words
    assert "Its denominator is all complaints made" in words
    assert "what each council reported to the regulator" in words
    table = re.search(r"<caption>Councils with a similar number of homes, 2023/24</caption>.*?</table>", page_html, flags=re.S).group(0)
    assert table.count("<tr>") == 1 + 1 + comparisons.SIMILAR  # header, us, ten councils
    assert "Dover District Council" in table  # 4,400 homes, near our 4,302


@needs_workbook
def test_overview_links_to_comparisons_and_benchmarks_are_downloadable(real_site):
    overview = (real_site / "site" / "performance" / "index.html").read_text(encoding="utf-8")
    assert 'href="comparisons/"' in overview
    published = (real_site / "site" / "data" / "benchmarks.csv").read_text(encoding="utf-8")
    header = published.splitlines()[0].split(",")
    assert "source" in header and "licence" in header
    assert "Regulator of Social Housing" in published and "Open Government Licence v3.0" in published


def test_no_benchmarks_no_page_and_no_link(example_site):
    assert not (example_site / "performance" / "comparisons").exists()
    for path in ("performance/index.html", "index.html"):
        assert "comparisons/" not in (example_site / path).read_text(encoding="utf-8")


# ---- hand-made benchmark sets ------------------------------------------------------------------


def test_spread_and_position_on_five_councils():
    s = comparisons.spread([50, 10, 40, 20, 30])
    assert (s.median, s.lower_quartile, s.upper_quartile, s.count) == (30, 20, 40, 5)
    assert comparisons.spread([]) is None
    assert comparisons.spread([7.0]).median == 7.0
    pos = comparisons.position(25, [10, 20, 30, 40, 50])
    assert (pos.below, pos.same, pos.above, pos.total) == (2, 0, 3, 5)
    # Compared as shown: 30.04 and 30 both read 30.0.
    assert comparisons.position(30.04, [10, 20, 30, 40, 50]).same == 1
    assert comparisons.band_words(15, s) == "in the lowest quarter of councils"
    assert comparisons.band_words(30, s) == "in the middle half of councils"
    assert comparisons.band_words(45, s) == "in the highest quarter of councils"


def test_position_words():
    pos = comparisons.Position(below=2, same=0, above=3, total=5)
    assert comparisons.position_words("CH01_1", pos) == "fewer stage 1 complaints per 1,000 homes than 3 of 5 councils and more than 2"
    assert comparisons.position_words("CH02_2", pos) == (
        "a higher share of stage 2 complaints answered within the Code's timescales than 2 of 5 councils and a lower share than 3")
    top = comparisons.Position(below=4, same=1, above=0, total=5)
    assert comparisons.position_words("CH01_2", top) == "more stage 2 complaints per 1,000 homes than 4 of 5 councils and the same as 1"
    assert comparisons.position_words("CH02_1", comparisons.Position(0, 0, 5, 5)) == (
        "a lower share of stage 1 complaints answered within the Code's timescales than 5 of 5 councils")
    assert comparisons.position_words("CH02_1", comparisons.Position(0, 2, 0, 2)).startswith("the same")


@pytest.fixture(scope="module")
def example() -> load.Data:
    return load.load(DATASETS)


def small_council(example: load.Data, *, as_of: str, homes: int, benchmarks: list[dict]) -> load.Data:
    """The example council cut down to complaints answered by ``as_of`` (complete years only), with hand-made benchmarks."""
    end = dt.date.fromisoformat(as_of)
    complaints = [c for c in example.table("complaints") if c["received"] <= end and c["responded"] is not None and c["responded"] <= end]
    council = {**example.council, "data_as_of": as_of, "homes_owned": homes, "homes_owned_by_year": {}}
    tables = {"services": example.table("services"), "complaints": complaints, "benchmarks": benchmarks}
    return dataclasses.replace(example, council=council, tables=tables, standards=[], releases=[])


def context(data: load.Data) -> performance.Context:
    return performance.Context(data=data, rows=measures.compute_all(data), years=measures.years(data),
                               registry=Registry(data.council["site_url"]),
                               edition={"date": str(data.data_as_of), "status": "provisional", "label": "test edition"})


def five(period: str, ch01: list[float], ch02: list[float], names: list[str] | None = None) -> list[dict]:
    names = names or [f"Council {c}" for c in "ABCDE"]
    out = []
    for i, name in enumerate(names):
        base = {"council": name, "code": f"X{i}", "council_type": "LARP", "period": period,
                "source": f"Regulator of Social Housing, Tenant Satisfaction Measures {period} full data",
                "licence": "Open Government Licence v3.0"}
        homes = 2000 + 500 * i
        out += [
            {**base, "measure": "CH01_1", "value": ch01[i], "numerator": round(ch01[i] * homes / 1000), "denominator": homes},
            {**base, "measure": "CH02_1", "value": ch02[i], "numerator": 50, "denominator": 100},
            {**base, "measure": "homes", "value": homes, "numerator": None, "denominator": None},
        ]
    return out


def test_different_years_are_never_compared(example):
    data = small_council(example, as_of="2022-03-31", homes=4331, benchmarks=five("2022/23", [1, 2, 3, 4, 5], [10, 20, 30, 40, 50]))
    ctx = context(data)
    assert [y.label for y in ctx.years][-1] == "2021/22"
    page = comparisons.page(ctx)
    words = re.sub(r"\\", "", page.markdown)
    assert "There is no year to compare yet. The published figures are for 2022/23" in words
    assert "We never compare different years" in words
    assert ctx.figures == []  # no chart, so nothing set side by side
    assert "## 2021/22" not in words and "## 2022/23" not in words


def test_full_year_placed_with_median_quartiles_and_our_published_figure(example):
    names = ["Council A", "Council B", example.council["name"], "Council D", "Council E", "Council F"]
    rows = five("2021/22", [5, 10, 15, 40, 50], [10, 20, 30, 40, 50], names=names[:2] + names[3:])
    # Our own published row: shown beside our computed figure, not counted among the others.
    rows += five("2021/22", [99.0], [1.0], names=[names[2]])
    data = small_council(example, as_of="2022-03-31", homes=4331, benchmarks=rows)
    ctx = context(data)
    ours = ctx.row("tsm_ch01", "2021/22", "1")
    assert ours["status"] == "complete"
    page = comparisons.page(ctx)
    words = page.markdown
    s = comparisons.spread([5, 10, 15, 40, 50])
    pos = comparisons.position(ours["value"], [5, 10, 15, 40, 50])
    assert f"We had {comparisons.position_words('CH01_1', pos)}." in words
    assert f"The median of 5 councils was {fmt.format_value(s.median, 'per_1000', 'homes')}" in words
    assert "The figure we reported to the regulator for 2021/22 was 99.0 per 1,000 homes" in words
    assert [f.id for f, _ in ctx.figures] == ["compare-tsm-ch01-2021-22-1", "compare-tsm-ch02-2021-22-1"]
    ch01 = ctx.figures[0][0]
    assert ch01.table_rows[0][0] == f"{example.council['name']} (worked out by this site)"
    assert len(ch01.table_rows) == 1 + 1 + 5  # ours computed, ours published, five others
    assert "Contains public sector information licensed under" in words and "2021/22 full data" in words
    assert "not in the published data" not in words


def test_small_landlord_is_told_why_it_is_not_in_the_published_data(example):
    data = small_council(example, as_of="2022-03-31", homes=800, benchmarks=five("2021/22", [1, 2, 3, 4, 5], [10, 20, 30, 40, 50]))
    words = re.sub(r"\\", "", comparisons.page(context(data)).markdown)
    assert "We own 800 homes. The regulator only publishes figures for landlords with 1,000 or more homes" in words


def test_pending_complaints_bound_part_year_ch02(example):
    """Complaints open and within the Code's time limit at data_as_of are the gap between CH02 and its best case."""
    ctx = context(example)
    y = ctx.ytd
    for stage in (1, 2):
        row = ctx.row("tsm_ch02", y.label, str(stage))
        n = comparisons.pending_in_time(example, y, stage)
        assert 0 <= n <= row["denominator"] - row["numerator"]
    assert comparisons.pending_in_time(example, y, 1) > 0  # December's complaints are not all due by 31 December
    assert all(comparisons.pending_in_time(example, full, 1) == 0 for full in ctx.complete_years)


def test_own_row_found_by_regulator_code_else_by_name(example):
    row = {"council": "Castlemere DC", "code": "99ZZ"}
    assert not comparisons.is_self(example, row)
    assert comparisons.is_self(example, {"council": " castlemere  district council ", "code": "1"})
    coded = dataclasses.replace(example, council={**example.council, "regulator_code": "99ZZ"})
    assert comparisons.is_self(coded, row)
    assert not comparisons.is_self(coded, {"council": example.council["name"], "code": "1"})
