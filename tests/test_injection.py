"""Injection: text from the datasets is shown as text everywhere it is published (issue 6, item 4).

Every published free-text field of a throwaway copy of the project is planted with HTML, Markdown,
Jinja and spreadsheet-formula payloads; one build of it is then read as a browser, a feed reader, a
JSON-LD consumer and a spreadsheet would read it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import build, copy_project

# Every payload carries a marker "INJnnn" so a test can find where a planted value ended up.
ATTACKS = ("</title></textarea> <!--<script>alert(1)</script>--> <script>alert(1)</script> <img src=x onerror=alert(1)> <img src=x onerror=window.__pwned=1> "
           "[x](javascript:alert(1)) <a href=\"javascript:alert(1)\">y</a> {{ 7*7 }} {% if %} a</script>b")
HEADING = "# Heading {tag} {{{{ 7*7 }}}} " + ATTACKS.replace("{", "{{").replace("}", "}}")
FORMULA = '=HYPERLINK("http://x") {tag} {{{{ 7*7 }}}} ' + ATTACKS.replace("{", "{{").replace("}", "}}")
RELEASE_DATE = "2024-01-15"


class Planter:
    """Hands out payloads, alternating a Markdown heading start with a formula start, each tagged."""

    def __init__(self):
        self.n = 0
        self.fields: dict[str, str] = {}  # tag → file:field, for messages

    def __call__(self, where: str) -> str:
        self.n += 1
        tag = f"INJ{self.n:03d}"
        self.fields[tag] = where
        return (HEADING if self.n % 2 else FORMULA).format(tag=tag)


def _rewrite_csv(path: Path, columns: list[str], plant: Planter) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for c in columns:
            r[c] = plant(f"{path.name}:{c}")
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _edit_yaml(path: Path, edit) -> None:
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000), "utf-8")


def plant_everywhere(datasets: Path) -> Planter:
    """Put a payload into every published free-text field of ``datasets``."""
    p = Planter()
    _rewrite_csv(datasets / "improvements.csv", ["you_said", "we_did"], p)
    _rewrite_csv(datasets / "services.csv", ["name", "directorate"], p)

    def policy(d):
        d["definition"] = p("policy:definition")
        d["not_complaints"] = [p("policy:not_complaints") for _ in d["not_complaints"]]
        d["what_to_include"] = [p("policy:what_to_include") for _ in d["what_to_include"]]
        for w in d["ways_to_complain"]:
            w["how"] = p("policy:ways_to_complain.how")
        for s in d["stages"]:
            for k in ("name", "handled_by", "signed_off_by", "summary", "how_to_escalate"):
                s[k] = p(f"policy:stages.{k}")
        for e in d["escalation"]:
            for k in ("name", "applies_to", "when"):
                e[k] = p(f"policy:escalation.{k}")
        d["reasonable_adjustments"] = [p("policy:reasonable_adjustments") for _ in d["reasonable_adjustments"]]
        d["other_formats"] = p("policy:other_formats")
        d["unreasonable_behaviour"] = p("policy:unreasonable_behaviour")
        for v in d["version_history"]:
            v["changes"] = p("policy:version_history.changes")

    def standards(d):
        for s in d:
            s["promise"] = p("standards:promise")

    def self_assessment(d):
        for a in d:
            for prov in a["provisions"]:
                for k in ("requirement", "evidence", "action"):
                    if k in prov:
                        prov[k] = p(f"self_assessment:provisions.{k}")
            if a.get("governing_body_response"):
                a["governing_body_response"]["text"] = p("self_assessment:governing_body_response.text")
            if a.get("ombudsman_letter"):
                a["ombudsman_letter"]["summary"] = p("self_assessment:ombudsman_letter.summary")

    def council(d):
        d["name"] = p("council:name")
        d["short_name"] = p("council:short_name")
        d["contact"]["address"] = p("council:contact.address")
        d["accessibility"]["known_issues"] = [p("council:accessibility.known_issues") for _ in range(2)]

    _edit_yaml(datasets / "policy.yaml", policy)
    _edit_yaml(datasets / "standards.yaml", standards)
    _edit_yaml(datasets / "self_assessment.yaml", self_assessment)
    _edit_yaml(datasets / "council.yaml", council)
    # An edition whose title and notes are planted (its archive folder is not needed to publish it).
    releases = [{"date": RELEASE_DATE, "title": p("releases:title"), "status": "provisional",
                 "notes": p("releases:notes"), "data_as_of": "2023-12-31"}]
    (datasets / "releases.yaml").write_text(yaml.safe_dump(releases, sort_keys=False, allow_unicode=True, width=1000), "utf-8")
    return p


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("injection") / "project")
    planter = plant_everywhere(project / "datasets")
    return build(project), planter


# ---- reading HTML as a browser would -----------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.h1: list[str] = []
        self.text: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in ("title", "textarea"):
            self.set_cdata_mode(tag)  # as a browser reads them: text up to the closing tag, never markup
        if tag in ("script", "h1"):
            self._in.append(tag)
            if tag == "script":
                self.scripts.append((dict(attrs).get("type") or "", ""))
            else:
                self.h1.append("")

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "script" in self._in:
            self.scripts[-1] = (self.scripts[-1][0], self.scripts[-1][1] + data)
        if "h1" in self._in:
            self.h1[-1] += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    page.close()
    return page


def _html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_planted_text_reaches_the_site(planted):
    """The payloads are published (so the checks below test something): each field shows up somewhere."""
    site, planter = planted
    seen = set()
    for path in _html_pages(site):
        seen.update(re.findall(r"INJ\d{3}", path.read_text("utf-8")))
    missing = {t: w for t, w in planter.fields.items() if t not in seen}
    # Fields that no page shows are allowed only if no page could (none today): report them by name.
    assert not missing, f"planted fields never shown on any page: {missing}"


def test_no_markup_runs_in_any_page(planted):
    site, _ = planted
    bad = []
    for path in _html_pages(site):
        rel = path.relative_to(site).as_posix()
        page = _parse(path)
        for tag, attrs in page.tags:
            for name, value in attrs.items():
                if name.startswith("on") and ("alert" in value or "pwned" in value):
                    bad.append(f"{rel}: <{tag} {name}={value!r}>")
                if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                    bad.append(f"{rel}: <{tag} {name}={value!r}>")
            if tag == "img" and attrs.get("src") == "x":
                bad.append(f"{rel}: planted <img> became an element")
        # Planted text may sit in a script only as JSON-LD data (checked below), never as code.
        bad += [f"{rel}: script holds planted text {body[:60]!r}" for kind, body in page.scripts
                if ("alert(" in body or "INJ" in body) and kind != "application/ld+json"]
        # The one <h1> of a service page may be its (planted) name, shown with its "#": a heading made
        # from "# Heading" would have lost the "#".
        bad += [f"{rel}: <h1> made by Markdown from planted text {t!r}" for t in page.h1 if re.match(r"\s*Heading INJ", t)]
        if len(page.h1) > 1:
            bad.append(f"{rel}: {len(page.h1)} <h1> elements")
        raw = re.sub(r'<script type="application/ld\+json">.*?</script>', "", path.read_text("utf-8"), flags=re.S)
        if "<script>alert" in raw or "<img src=x" in raw:
            bad.append(f"{rel}: raw planted markup")
    assert not bad, "\n".join(bad[:30])


def test_jinja_and_markdown_shown_as_text(planted):
    """Where a payload is shown in full, `{{ 7*7 }}` is shown as written (never 49) and so is `# Heading`."""
    site, _ = planted
    rendered, literal, headings = [], 0, 0
    for path in _html_pages(site):
        text = "".join(_parse(path).text)
        for m in re.finditer(r"INJ\d{3} ([^ ]+ [^ ]+ [^ ]+)", text):
            if m.group(1).startswith("49"):
                rendered.append(f"{path.relative_to(site)}: {m.group(0)}")
            literal += m.group(1) == "{{ 7*7 }}"
        headings += text.count("# Heading INJ")
        assert "{% if %}" in text or "INJ" not in text or "{{ 7*7 }}" in text
    assert not rendered, rendered[:10]
    assert literal > 50, f"only {literal} planted values shown as written"
    assert headings > 10, "the '# Heading' text is not shown as text"


# ---- the other outputs ---------------------------------------------------------------------------


def test_svg_labels_are_escaped(planted):
    site, _ = planted
    svgs = [p for p in site.rglob("*.svg")]
    htmls = _html_pages(site)
    # Charts are files or inline <svg> in pages: check both forms as XML.
    chunks = [(p.relative_to(site).as_posix(), p.read_text("utf-8")) for p in svgs]
    for p in htmls:
        for i, m in enumerate(re.finditer(r"<svg\b.*?</svg>", p.read_text("utf-8"), re.S)):
            chunks.append((f"{p.relative_to(site)}#svg{i}", m.group(0)))
    labelled = 0
    for where, text in chunks:
        root = ET.fromstring(text)  # well-formed XML: planted text did not break out of its element
        names = {el.tag.split("}")[-1] for el in root.iter()}
        assert not names & {"script", "img", "foreignObject", "a"}, f"{where}: element from planted text {names}"
        for el in root.iter():
            for k, v in el.attrib.items():
                assert not k.lower().startswith("on"), f"{where}: event attribute {k}"
                assert not v.strip().lower().startswith("javascript:"), f"{where}: {k}={v}"
        if "INJ" in text:
            labelled += 1
            assert "<script>" not in text and "<img " not in text, where
    assert labelled, "no chart shows a planted service name: the SVG check tested nothing"


def test_json_ld_parses_and_cannot_close_its_script(planted):
    site, _ = planted
    blocks = []
    for path in _html_pages(site):
        raw = path.read_text("utf-8")
        for m in re.finditer(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S):
            blocks.append((path, m.group(1)))
    assert blocks, "no JSON-LD block on the site"
    planted_in = 0
    for path, body in blocks:
        # No "<" at all: neither "</script" nor "<!--<script" (the parser's escaped states) can occur.
        assert "<" not in body, path
        doc = json.loads(body)
        planted_in += "INJ" in json.dumps(doc)
        if "INJ" in json.dumps(doc):
            # The council's name is carried as the same text, unchanged.
            assert "<script>alert(1)</script>" in json.dumps(doc, ensure_ascii=False)
    assert planted_in, "the planted council name is not in the JSON-LD: this check tested nothing"


def _csv_cells(data: bytes):
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
        yield from row


def test_csv_downloads_neutralise_formulas(planted):
    site, _ = planted
    files = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.csv")}
    zips = list(site.rglob("*.zip"))
    assert zips
    for z in zips:
        with zipfile.ZipFile(z) as zf:
            files.update({f"{z.name}:{n}": zf.read(n) for n in zf.namelist() if n.endswith(".csv")})
    planted_cells, bad = 0, []
    for name, data in files.items():
        for cell in _csv_cells(data):
            if "INJ" in cell:
                planted_cells += 1
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    bad.append(f"{name}: {cell[:40]!r}")
                if "HYPERLINK" in cell and not cell.startswith("'="):
                    bad.append(f"{name}: formula not neutralised {cell[:40]!r}")
                # The text itself is kept as written: no HTML escaping in a CSV.
                assert "<script>alert(1)</script>" in cell, name
    assert planted_cells > 20, f"only {planted_cells} planted cells in the CSV downloads"
    assert not bad, bad[:10]


def test_datapackage_and_feed_parse(planted):
    site, _ = planted
    pkg = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
    assert "INJ" in json.dumps(pkg), "the planted council name should be in the package (publisher, title)"
    feed = ET.fromstring((site / "feed.xml").read_bytes())
    ns = "{http://www.w3.org/2005/Atom}"
    assert "<script>alert(1)</script>" in feed.find(f"{ns}title").text
    entry = feed.find(f"{ns}entry")
    assert "INJ" in entry.find(f"{ns}title").text and "{{ 7*7 }}" in entry.find(f"{ns}title").text
    assert "INJ" in entry.find(f"{ns}summary").text
    # Nothing planted became an element of the feed.
    assert {el.tag.replace(ns, "") for el in feed.iter()} <= {"feed", "id", "title", "updated", "link", "author", "name", "uri",
                                                               "rights", "entry", "summary"}


def test_sitemap_and_search_index_parse(planted):
    site, _ = planted
    ET.fromstring((site / "sitemap.xml").read_bytes())
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    assert any("INJ" in d.get("text", "") + d.get("title", "") for d in index["docs"])


# ---- a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_runs_nothing_in_chromium(planted):
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright

    site, _ = planted
    pages = ["how-to-complain/index.html", "policy/index.html", "performance/improvements/index.html",
             "data/editions/index.html", "about/accessibility/index.html"]
    pages = [p for p in pages if (site / p).exists()]
    assert len(pages) >= 3, pages
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
            for rel in pages:
                page.goto((site / rel).as_uri(), wait_until="load")
                page.wait_for_timeout(300)
                assert page.evaluate("typeof window.__pwned") == "undefined", rel
                assert "INJ" in page.inner_text("body"), f"{rel}: planted text not shown"
                assert page.locator("img[src='x']").count() == 0, rel
            assert not dialogs, dialogs
        finally:
            browser.close()
