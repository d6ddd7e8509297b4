"""Helpers for tests/test_browser.py: serving the built site, listing its pages, checking links.

Plain functions, no pytest: the fixtures in test_browser.py call them.
"""

from __future__ import annotations

import functools
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from transparency_site import pack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


# ---- serving ----------------------------------------------------------------------------------


# The same local server the PDF pack uses: one implementation.
serve = pack.serve


def html_pages(site: Path) -> list[str]:
    """Every HTML file of the built site as a site-relative path ('index.html', 'performance/index.html')."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def page_url(base: str, rel: str) -> str:
    """The URL a resident would use: directory URLs for index pages."""
    if rel == "index.html":
        return base
    if rel.endswith("/index.html"):
        return base + rel[: -len("index.html")]
    return base + rel


# ---- parsing ----------------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Collects ids (and legacy a[name]) plus every link-like attribute of a page."""

    LINK_ATTRS = {("a", "href"), ("area", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
                  ("source", "src"), ("iframe", "src"), ("form", "action")}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(d["id"])
        if tag == "a" and d.get("name"):
            self.ids.add(d["name"])
        for name, value in attrs:
            if (tag, name) in self.LINK_ATTRS and value is not None:
                self.links.append((tag, value))

    handle_startendtag = handle_starttag


@functools.cache
def parse(path: Path) -> _Collector:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8"))
    c.close()
    return c


def _target_file(site: Path, url_path: str) -> Path | None:
    """The file a static server would send for ``url_path`` (a site-absolute path)."""
    rel = posixpath.normpath(unquote(url_path)).lstrip("/")
    if rel in ("", "."):
        rel = ""
    candidate = site / rel
    if url_path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def broken_links(site: Path, rel: str, site_url: str) -> list[str]:
    """Internal links of one page that do not resolve: missing file or missing #fragment id.

    Links to the live address (``site_url``, e.g. the canonical link) are checked against the built
    site too; other hosts, mailto: and tel: are not internal and are skipped.
    """
    page = site / rel
    page_path = "/" + rel
    live = urlsplit(site_url)
    problems = []
    for tag, raw in parse(page).links:
        url = urlsplit(raw.strip())
        if url.scheme in ("mailto", "tel", "data"):
            continue
        if url.scheme or url.netloc:
            if (url.scheme, url.netloc) != (live.scheme, live.netloc):
                continue  # another host: not ours to resolve
            path = url.path or "/"
        elif url.path:
            path = posixpath.join(posixpath.dirname(page_path), url.path)
            if url.path.endswith("/") and not path.endswith("/"):
                path += "/"
        else:
            path = page_path  # "#fragment" on the same page
        target = _target_file(site, path)
        if target is None:
            problems.append(f"{rel}: <{tag}> {raw} → no file {path}")
            continue
        fragment = unquote(url.fragment)
        # "#" and "#top" are defined by HTML to mean the top of the document.
        if fragment and fragment != "top" and target.suffix == ".html" and fragment not in parse(target).ids:
            problems.append(f"{rel}: <{tag}> {raw} → no id {fragment!r} in {target.relative_to(site).as_posix()}")
    return problems


# ---- reading age ------------------------------------------------------------------------------

_END = re.compile(r"[.!?:;…]$")


def sentences_text(inner_text: str) -> str:
    """Rendered text with every block (heading, list item, table cell line) ended as a sentence.

    textstat counts sentences by their full stops. Headings and list items have none, so they
    would merge into one long "sentence" and inflate the grade; a reader (and a screen reader)
    takes each block on its own, so each line is ended with a full stop. Lines with no word at all
    (a headline figure such as "344" or "40.1%") are data, not prose: counting each as a one-word
    sentence would flatter the grade, so they are left out.
    """
    lines = [ln.strip() for ln in inner_text.splitlines()]
    prose = [ln for ln in lines if re.search(r"[A-Za-z]{2,}", ln)]
    return " ".join(ln if _END.search(ln) else ln + "." for ln in prose)
