"""Figure identities: every published number gets a stable id and one canonical place on the site.

An id depends only on measure, period and dimension value — never on the number — so a link a
councillor shared keeps working when the data are revised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIGURE_COLUMNS = ["figure_id", "measure", "period", "dimension", "dimension_value", "value", "numerator", "denominator", "unit", "status", "url"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def figure_id(measure: str, period: str, dimension_value: str | None = None) -> str:
    """('complaints_received', '2022/23') → 'complaints-received-2022-23'."""
    parts = [_slug(measure), _slug(period)]
    if dimension_value not in (None, ""):
        parts.append(_slug(dimension_value))
    return "-".join(p for p in parts if p)


@dataclass
class Registry:
    """Where each figure is shown. The first page to show a figure is its canonical home."""

    site_url: str
    placed: dict[str, str] = field(default_factory=dict)  # figure id → page URL (site-relative)

    def place(self, row: dict, page_url: str) -> str | None:
        """Record that ``page_url`` shows ``row``; return the anchor id to put on it, or None if shown elsewhere."""
        fid = figure_id(row["measure"], row["period"], row.get("dimension_value"))
        if fid in self.placed:
            return None
        self.placed[fid] = page_url
        return fid

    def url(self, fid: str, absolute: bool = False) -> str | None:
        page = self.placed.get(fid)
        if page is None:
            return None
        rel = f"{page}#{fid}"
        return self.site_url.rstrip("/") + "/" + rel if absolute else rel
