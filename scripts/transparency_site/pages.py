"""Stage: pages. Typed page contexts + Jinja2 templates → Markdown for the generated pages.

Every value that reaches a template is escaped for both HTML and Markdown by the environment's
``finalize`` hook, so text from the datasets can never become markup; helpers that build markup
return ``Markup`` and are the only way HTML enters a page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import schema
from .load import Data

# Characters that Markdown (and MkDocs' attr_list / Jinja-looking text) could treat as syntax.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_escape(value: object) -> str:
    """Plain text → text that renders as itself in Markdown and HTML."""
    if isinstance(value, Markup):
        return str(value)
    text = html.escape(str(value), quote=True)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A line break in data must not start a new Markdown block.
    return re.sub(r"\s*\n\s*", " ", text)


def h(value: object) -> Markup:
    """Text for use inside raw HTML blocks (escaped for HTML; Markdown does not run there)."""
    return Markup(html.escape(str(value), quote=True))


def _finalize(value: object) -> object:
    if value is None:
        return ""
    return value if isinstance(value, Markup) else md_escape(value)


@cache
def env() -> Environment:
    e = Environment(
        loader=PackageLoader("transparency_site", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # escaping is done by finalize, for Markdown as well as HTML
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    e.globals.update(link=link, date=uk_date)
    return e


def render(template: str, **context: object) -> str:
    return env().get_template(template).render(**context)


# ---- formatting helpers -------------------------------------------------------------------------


def uk_date(value: dt.date | str | None) -> str:
    """2023-01-01 → '1 January 2023'."""
    if value is None or value == "":
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day.day} {day:%B %Y}"


def link(text: object, url: str) -> Markup:
    """An HTML link with escaped text; only web, mail and phone links are allowed.

    Links sit in Markdown lines, and Markdown still runs inside an inline <a>: the text is escaped
    for Markdown as well as HTML, or "[x](javascript:…)" in it would become a link."""
    if not re.match(r"^(https?://|mailto:|tel:|#|[a-z0-9./_-]+(#[a-z0-9-]+)?$)", url):
        url = "#"
    return Markup(f'<a href="{html.escape(url, quote=True)}">{md_escape(text)}</a>')


def html_table(
    columns: list[str], rows: Iterable[list[object]], *, caption: str | None = None, row_headers: bool = True,
    cell_ids: list[list[str | None]] | None = None, numeric: Iterable[int] = (), css: str = "ts-table",
    search: bool = True,
) -> Markup:
    """An accessible table: a caption, column header cells and row header cells, no blank lines.

    ``search=False`` leaves the table out of the site search index (Material's data-search-exclude):
    for long record lists, which every page would otherwise download as part of the index.
    """
    numeric = set(numeric)
    # A scroll region for narrow screens: a phone scrolls the table, not the page. It is focusable and
    # named so keyboard users can scroll it too (axe scrollable-region-focusable).
    out = [f'<div class="ts-table-wrap" role="region" tabindex="0" aria-label="Table: {h(caption or columns[0])}">',
           f'<table class="{css}"{"" if search else " data-search-exclude"}>']
    if caption:
        out.append(f"<caption>{h(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col"{_num(i, numeric)}>{h(c)}</th>' for i, c in enumerate(columns)) + "</tr></thead>")
    out.append("<tbody>")
    for r, row in enumerate(rows):
        cells = []
        for i, value in enumerate(row):
            cid = cell_ids[r][i] if cell_ids and cell_ids[r][i] else None
            attr = f' id="{cid}"' if cid else ""
            content = value if isinstance(value, Markup) else h("" if value is None else value)
            if i == 0 and row_headers:
                cells.append(f'<th scope="row"{attr}>{content}</th>')
            else:
                cells.append(f"<td{attr}{_num(i, numeric)}>{content}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return Markup("\n".join(out))


def _num(i: int, numeric: set[int]) -> str:
    return ' class="ts-num"' if i in numeric else ""


# ---- pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A generated page: where it lives, its navigation title and section, and its Markdown."""

    path: str
    title: str
    markdown: str
    section: str | None = None
    in_nav: bool = True


@dataclass(frozen=True)
class PolicyContext:
    """What the How to complain and policy pages need, straight from policy.yaml and council.yaml."""

    council: dict
    policy: dict
    stages: list[dict]
    labels: dict[str, dict[str, str]]
    titles: dict[str, str]
    stage_table: Markup
    history_table: Markup


def _stage_titles() -> dict[str, str]:
    props = schema.yaml_schema("policy")["properties"]["stages"]["items"]["properties"]
    return {k: v.get("title", k) for k, v in props.items()}


def with_defaults(value: object, json_schema: dict) -> object:
    """Fill every optional property the JSON Schema declares with None, at any depth.

    Templates use StrictUndefined so a typo fails the build; optional YAML keys must still be
    askable, so they are made present (as None) from the schema rather than guessed in templates.
    """
    if isinstance(value, dict) and json_schema.get("type") == "object":
        props = json_schema.get("properties", {})
        out = {k: with_defaults(v, props.get(k, {})) for k, v in value.items()}
        for k in props:
            out.setdefault(k, None)
        return out
    if isinstance(value, list) and "items" in json_schema:
        return [with_defaults(v, json_schema["items"]) for v in value]
    return value


def policy_context(data: Data) -> PolicyContext:
    policy = with_defaults(data.policy, schema.yaml_schema("policy"))
    council = with_defaults(data.council, schema.yaml_schema("council"))
    stages = sorted(policy["stages"], key=lambda s: s["id"])
    titles = _stage_titles()
    rows = []
    for s in stages:
        counted = "after we tell you we have it" if s["clock_starts"] == "acknowledgement" else "after we get it"
        rows.append([
            s["name"], s["handled_by"], f"{s['acknowledge_within_working_days']} working days",
            f"{s['respond_within_working_days']} working days {counted}",
            f"up to {s['max_extension_working_days']} working days" if s["max_extension_working_days"] else "none",
        ])
    stage_table = html_table(
        ["Stage", titles["handled_by"], "We tell you we have it within", "We reply within", "Extra time if needed"],
        rows, caption="Complaint stages and timescales",
    )
    history = policy["version_history"] or []
    history_table = html_table(
        ["Version", "Date", "What changed"], [[v["version"], uk_date(v["date"]), v["changes"]] for v in history],
        caption="Changes to this policy",
    )
    return PolicyContext(
        council=council, policy=policy, stages=stages,
        labels={"channel": schema.labels("complaints", "channel")}, titles=titles,
        stage_table=stage_table, history_table=history_table,
    )


def how_to_complain_page(data: Data) -> Page:
    ctx = policy_context(data)
    return Page("how-to-complain.md", "How to complain", render("how-to-complain.md.j2", **ctx.__dict__))


def policy_page(data: Data) -> Page:
    ctx = policy_context(data)
    return Page("policy.md", "Our complaints policy", render("policy.md.j2", **ctx.__dict__))


# ---- navigation -----------------------------------------------------------------------------------


@dataclass
class SiteNav:
    """The navigation, in the order residents need it: complain first, then performance."""

    sections: list[str] = field(default_factory=lambda: ["Performance", "Annual reports", "Open data", "About"])

    def build(self, pages: list[Page], extra: list[tuple[str | None, str, str]] = ()) -> list:
        """mkdocs `nav`: top-level pages, then one list per section (its index page first)."""
        nav: list = []
        grouped: dict[str, list] = {s: [] for s in self.sections}
        for p in pages:
            if not p.in_nav:
                continue
            if p.section:
                grouped.setdefault(p.section, []).append({p.title: p.path} if not p.path.endswith("index.md") else p.path)
            else:
                nav.append({p.title: p.path})
        for section, title, path in extra:
            (grouped.setdefault(section, []) if section else nav).append({title: path})
        for section, items in grouped.items():
            if items:
                # The section's index page (a bare path) comes first, as navigation.indexes expects.
                items.sort(key=lambda i: 0 if isinstance(i, str) else 1)
                nav.append({section: items})
        return nav


PageBuilder = Callable[[Data], Page]
