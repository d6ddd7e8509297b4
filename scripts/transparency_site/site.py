"""The site recipe: data → measures → disclosure control → pages → outputs.

Each step is one call into its stage's module; the plugin calls generate() and adds downloads.files(bundle).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from . import charts, comparisons, disclosure, downloads, fmt, measures, pages, performance, reports
from .figures import Registry, figure_id
from .load import Data
from .progress import progress

CHART_CHUNK = 48  # above charts' parallel threshold, so a chunk of uncached charts still uses every core


@dataclass
class Bundle:
    data: Data
    pages: list[pages.Page]
    nav: list
    ctx: performance.Context

    @property
    def registry(self) -> Registry:
        return self.ctx.registry

    def docs_context(self, page: str = "index.md") -> dict:
        """What a hand-written docs/ page can use: council, policy and figure() (links relative to ``page``)."""

        def figure(measure: str, period: str, dimension_value: str | None = None) -> Markup:
            return self.figure(measure, period, dimension_value, page=page)

        return {"council": self.data.council, "policy": self.data.policy, "figure": figure}

    def figure(self, measure: str, period: str, dimension_value: str | None = None, page: str = "index.md") -> Markup:
        """{{ figure("complaints_received", "2022/23") }} in a docs/ page: the formatted number, linked to its permalink."""
        if measure not in measures.MEASURES:
            raise LookupError(f"unknown measure {measure!r} in figure(); the measures are listed on the Methodology page")
        row = self.ctx.row(measure, period, dimension_value)
        if row is None:
            known = sorted({k[1] for k in self.ctx.index if k[0] == measure})
            raise LookupError(f"no figure for {measure!r} in {period!r}; periods with figures: {', '.join(known)}")
        fid = figure_id(measure, period, dimension_value)
        url = self.registry.url(fid) or ""
        text = performance.show(row, measures.MEASURES[measure])
        if not url:
            return pages.h(text)
        target, _, anchor = url.partition("#")
        return Markup(f'<a href="{performance.rel(page, target)}#{anchor}" class="ts-figure-ref">{pages.h(text)}</a>')


def build_date() -> dt.date:
    """The build's date, from SOURCE_DATE_EPOCH (the build sets it from data_as_of): never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def edition_of(data: Data) -> dict:
    """The edition the figures belong to: the latest release, or unreleased data at data_as_of."""
    if data.releases:
        last = sorted(data.releases, key=lambda r: r["date"])[-1]
        if last.get("data_as_of") in (None, str(data.data_as_of)):
            return {"date": last["date"], "status": last["status"], "label": f"edition of {pages.uk_date(last['date'])}", "released": True}
        # The data moved on since the last edition: say so rather than pass new figures off as that edition.
        return {"date": str(data.data_as_of), "status": "provisional", "released": False,
                "label": f"figures updated since the edition of {pages.uk_date(last['date'])} (not yet released as an edition)"}
    return {"date": str(data.data_as_of), "status": "provisional", "label": f"unreleased figures of {pages.uk_date(data.data_as_of)}", "released": False}


def generate(data: Data, hand_written: list[str] = (), cache_dir: str | Path | None = None) -> Bundle:
    """Every generated page and the navigation. ``cache_dir`` keeps rendered chart SVGs between builds."""
    rows = measures.compute_all(data)
    units = {m.id: m.unit for m in measures.MEASURES.values()}
    rows = disclosure.suppress(rows, data.threshold, units=units, totals=disclosure.infer_totals(units))
    ctx = performance.Context(data=data, rows=rows, years=measures.years(data), registry=Registry(data.council["site_url"]),
                              edition=edition_of(data))
    council = data.council
    access = council.get("accessibility") or {}
    have = performance.ctx_pages(ctx)
    built: list[pages.Page] = [pages.how_to_complain_page(data), pages.policy_page(data)]
    # The Complaints page is built first so that its figures, not the home page's, are the permalinks.
    complaints = performance.complaints_page(ctx)
    if "index.md" not in hand_written:
        built.insert(0, performance.home_page(ctx))
    built.append(performance.overview_page(ctx))
    built.append(complaints)
    built += performance.services_pages(ctx)
    for path, fn in [("compliments.md", performance.compliments_page), ("ombudsman.md", performance.ombudsman_page),
                     ("contact.md", performance.contact_page), ("standards.md", performance.standards_page),
                     ("improvements.md", performance.improvements_page)]:
        if performance.P + path in have:
            built.append(fn(ctx))
    comparison = comparisons.page(ctx)
    if comparison is not None:
        built.append(comparison)
    built += reports.pages(ctx)
    built.append(performance.methodology_page(ctx))
    built += [
        pages.Page("about/accessibility.md", "Accessibility statement", pages.render(
            "accessibility.md.j2", council=council, known_issues=access.get("known_issues") or [],
            compliance=access.get("compliance", "fully"), contact_email=access.get("contact_email") or council["contact"]["email"],
            response_days=access.get("response_days", 10), prepared=access.get("statement_prepared") or council["data_as_of"],
            tested=build_date(),
        ), section="About"),
        pages.Page("about/privacy.md", "Privacy", pages.render("privacy.md.j2", council=council), section="About"),
    ]
    built.append(performance.all_figures_page(ctx))  # last: gives every figure not shown elsewhere its permalink
    built = _render_figures(ctx, built, cache_dir)
    bundle = Bundle(data=data, pages=built, nav=[], ctx=ctx)
    # The open-data pages list every figure's permalink and file size: they come after every figure is placed.
    built[-1:-1] = downloads.pages(bundle)
    bundle.nav = pages.SiteNav().build(built)
    return bundle


_FIGURE_MARK = re.compile(r"<!--ts-figure:([A-Za-z][A-Za-z0-9_-]*)-->")


def _render_figures(ctx: performance.Context, built: list[pages.Page], cache_dir: str | Path | None = None) -> list[pages.Page]:
    """Render every chart once (in a batch, cached by spec, on disk too when ``cache_dir`` is given)
    and put each figure into its page."""
    # Rendered in chunks so a terminal shows progress; each chunk still renders in parallel when large.
    specs = [f.chart for f, _ in ctx.figures]
    chunks = [specs[i:i + CHART_CHUNK] for i in range(0, len(specs), CHART_CHUNK)]
    svgs = []
    for chunk in progress(chunks, len(chunks), f"Rendering {len(specs)} charts (batches)"):
        svgs += charts.render_many(chunk, cache_dir=cache_dir)
    html = {f.id: performance.figure_markup(f, svg, ctx.cell_ids[f.id]) for (f, _), svg in zip(ctx.figures, svgs, strict=True)}
    out = []
    for p in built:
        md = p.markdown
        if "<!--ts-figure:" in md:
            # One pass over the page for its own markers, not one pass per figure of the whole site
            # (that grew with pages × figures).
            md = _FIGURE_MARK.sub(lambda m: html.get(m.group(1), m.group(0)), md)
        out.append(pages.Page(p.path, p.title, md, p.section, p.in_nav))
    return out


__all__ = ["Bundle", "generate", "build_date", "edition_of", "fmt"]
