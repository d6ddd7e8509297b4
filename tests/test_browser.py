"""The built example site in a real browser: accessibility, valid HTML, no other host, no-JS, keyboard,
links, plain English, print and the accessibility statement (issue 5).

Every page of the site is served from 127.0.0.1 and opened in Debian's headless Chromium through
Playwright (never `playwright install`). Contrast of the text and marks inside the SVG charts is not
judged here: axe leaves it "incomplete", and tests/test_charts.py checks it with
charts.svg_contrast_report.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from browser_helpers import (
    AXE_TAGS,
    CHROMIUM,
    CHROMIUM_ARGS,
    broken_links,
    html_pages,
    page_url,
    sentences_text,
    serve,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
RESIDENT_PAGES = ["index.html", "how-to-complain/index.html"]
MAX_GRADE = 9
KEYBOARD_PAGES = ["index.html", "performance/complaints/index.html"]
PRINT_PAGE = "performance/complaints/index.html"
STATEMENT = "about/accessibility/index.html"


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(example_site) -> Path:
    return example_site


@pytest.fixture(scope="module")
def pages(site, report) -> list[str]:
    found = html_pages(site)
    assert "index.html" in found and "404.html" in found, f"the built site has no home or 404 page: {found}"
    report.append(f"pages checked ({len(found)}):")
    report += textwrap.wrap(", ".join(found), width=110, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
    return found


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with `apt-get install chromium` (or run `make browser-deps` as root).",
            pytrace=False,
        )
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (or `make browser-deps`).", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser):
    """One page object for the JavaScript-on checks, reused page after page (1280×900, light palette)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def report(terminal_summary):
    """Lines for the end-of-run summary (tests/conftest.py prints them even without -s)."""
    return terminal_summary


def _open(pg, url: str) -> None:
    response = pg.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response.status if response else 'no response'}"


def _timed(report, name: str, started: float) -> None:
    report.append(f"{name}: {time.monotonic() - started:.1f} s")


# ---- 1. axe-core and 3. no other host ---------------------------------------------------------

# Residents open the data tables, so axe checks them open. axe runs without being awaited here so
# that the light and the dark page (two renderer processes) work side by side on two cores.
AXE_START = """(tags) => {
  window.__tsAxe = undefined;
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}).then(
    r => { window.__tsAxe = r.violations.map(v => ({id: v.id, help: v.help, impact: v.impact,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})); },
    e => { window.__tsAxe = {error: String(e)}; });
}"""
SCHEMES = {"default": "light", "slate": "dark"}  # Material's palette name → prefers-color-scheme


@pytest.fixture(scope="module")
def visits(browser, base_url, pages, report):
    """Every page opened in the light and the dark palette, with axe run on it and every request
    the browser made while it loaded and was checked: {scheme: {page: {"violations", "outside"}}}.

    Material picks the palette whose media query matches (prefers-color-scheme) when the resident
    has not chosen one with the toggle; "slate" is the dark palette.
    """
    started = time.monotonic()
    origin = base_url.rstrip("/")
    results: dict[str, dict[str, dict]] = {s: {} for s in SCHEMES}
    current: dict[str, str] = {}
    contexts, tabs = [], {}

    def recorder(scheme):
        def record(request):
            url = request.url
            results[scheme][current[scheme]]["requests"] += 1
            if not (url.startswith(origin + "/") or url.startswith(("data:", "about:", "blob:"))):
                results[scheme][current[scheme]]["outside"].append(f"{request.resource_type} {url}")
        return record

    try:
        for scheme, media in SCHEMES.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=media)
            contexts.append(context)
            tabs[scheme] = context.new_page()
            tabs[scheme].on("request", recorder(scheme))
        for rel in pages:
            for scheme, pg in tabs.items():
                current[scheme] = rel
                results[scheme][rel] = {"violations": [], "outside": [], "requests": 0}
                _open(pg, page_url(base_url, rel))
                active = pg.evaluate("document.body.getAttribute('data-md-color-scheme')")
                assert active == scheme, f"{rel}: palette is {active!r}, expected {scheme!r}"
                pg.add_script_tag(path=str(AXE))
                pg.evaluate(AXE_START, AXE_TAGS)
            for scheme, pg in tabs.items():
                pg.wait_for_function("window.__tsAxe !== undefined", timeout=180_000, polling=100)
                out = pg.evaluate("window.__tsAxe")
                assert not isinstance(out, dict), f"{rel} [{scheme}]: axe failed: {out}"
                results[scheme][rel]["violations"] = out
    finally:
        for context in contexts:
            context.close()
    _timed(report, "axe, light and dark, with request log", started)
    return results


@pytest.mark.parametrize("scheme", list(SCHEMES), ids=list(SCHEMES.values()))
def test_axe_every_page(visits, scheme):
    found = [
        f"{rel} [{SCHEMES[scheme]}] {v['id']} ({v['impact']}): {v['help']}\n"
        f"    target: {n['target']}\n    {n['summary'].replace(chr(10), ' ')}"
        for rel, r in visits[scheme].items() for v in r["violations"] for n in v["nodes"]
    ]
    assert not found, f"{len(found)} axe violation(s):\n" + "\n".join(found)


def test_no_request_to_another_host(visits, base_url):
    # Includes everything Material's JavaScript fetches after the page loads (search index, worker).
    outside = [f"{rel} [{SCHEMES[s]}]: {u}" for s, by_page in visits.items() for rel, r in by_page.items() for u in r["outside"]]
    assert not outside, f"requests outside {base_url}:\n" + "\n".join(outside)
    # The log saw every page's own loading (the page, Material's CSS and JavaScript), or it proved nothing.
    unseen = [rel for by_page in visits.values() for rel, r in by_page.items() if r["requests"] < 3]
    assert not unseen, f"the request log missed these pages' loading: {unseen}"


# ---- 2. Nu HTML Checker -----------------------------------------------------------------------


def test_nu_html_checker_every_page(site, pages, report):
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `npm install` (or `make browser-deps`).", pytrace=False)
    started = time.monotonic()
    # One JVM for every page: start-up dominates. --stdout keeps the JSON apart from Java's own noise.
    proc = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", "--skip-non-html", *[str(site / p) for p in pages]],
        capture_output=True, text=True, timeout=600,
    )
    _timed(report, "Nu HTML Checker", started)
    try:
        messages = json.loads(proc.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu.jar gave no JSON (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    lines = [
        f"{Path(m.get('url', '')).as_posix().split(site.as_posix())[-1]}:{m.get('lastLine', '?')}: {m['message']}\n"
        f"    {m.get('extract', '').strip()[:200]}"
        for m in errors
    ]
    assert not errors, f"{len(errors)} Nu HTML Checker error(s):\n" + "\n".join(lines)


# ---- 4. Without JavaScript --------------------------------------------------------------------

NO_JS_CHECK = """() => {
  const visible = el => !!el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const main = document.querySelector('main');
  const h1 = main && main.querySelector('h1');
  const figures = [...document.querySelectorAll('figure.ts-figure')];
  return {
    h1: visible(h1),
    figures: figures.length,
    hiddenCharts: figures.filter(f => f.querySelector('svg') && !visible(f.querySelector('svg'))).map(f => f.id),
    chartless: figures.filter(f => !f.querySelector('svg') && !f.querySelector('table')).map(f => f.id),
    tableless: figures.filter(f => !f.querySelector('table')).map(f => f.id),
    hiddenCites: [...document.querySelectorAll('.ts-cite')].filter(c => !visible(c)).length,
    cites: document.querySelectorAll('.ts-cite').length,
    hiddenDownloads: [...document.querySelectorAll('a[download], .ts-download a')].filter(a => !visible(a))
      .map(a => a.getAttribute('href')),
    tables: document.querySelectorAll('table').length,
  };
}"""


def test_without_javascript_every_page_shows_its_content(browser, base_url, pages, site, report):
    started = time.monotonic()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems, figures = [], 0
    try:
        for rel in pages:
            _open(pg, page_url(base_url, rel))
            r = pg.evaluate(NO_JS_CHECK)
            figures += r["figures"]
            expected_tables = (site / rel).read_text(encoding="utf-8").count("<table")
            if not r["h1"]:
                problems.append(f"{rel}: the main heading is not visible")
            if r["hiddenCharts"]:
                problems.append(f"{rel}: charts not visible: {r['hiddenCharts']}")
            if r["tableless"]:
                problems.append(f"{rel}: figures without a data table: {r['tableless']}")
            if r["figures"] and r["cites"] < r["figures"]:
                problems.append(f"{rel}: {r['figures']} figures but {r['cites']} citations")
            if r["hiddenCites"]:
                problems.append(f"{rel}: {r['hiddenCites']} citation(s) not visible")
            if r["hiddenDownloads"]:
                problems.append(f"{rel}: download links not visible: {r['hiddenDownloads']}")
            if r["tables"] != expected_tables:
                problems.append(f"{rel}: {r['tables']} tables in the page, {expected_tables} in its HTML")
    finally:
        context.close()
    _timed(report, "no-JavaScript view", started)
    assert figures > 0, "no figure on any page: the no-JavaScript check proved nothing"
    assert not problems, "without JavaScript:\n" + "\n".join(problems)


# ---- 5. Keyboard ------------------------------------------------------------------------------

# Everything the Tab key should stop at, in DOM order: focusable, not disabled, rendered (Chromium
# skips display:none, visibility:hidden and closed <details> content, not zero-size or transparent
# elements), not inert, and only one radio button per group (the checked one, else the first).
TABBABLE = """() => {
  const sel = 'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable=""], [contenteditable="true"]';
  const seenGroups = new Set();
  const out = [];
  let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    el.dataset.tsKey = String(n++);
    if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
    if (el.tagName === 'INPUT' && el.type === 'hidden') continue;
    if (!el.checkVisibility({checkVisibilityCSS: true})) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName === 'DETAILS' && el.parentElement.querySelector('summary') !== el) continue;
    if (el.tagName === 'INPUT' && el.type === 'radio' && el.name) {
      if (seenGroups.has(el.name)) continue;
      seenGroups.add(el.name);
      const group = [...document.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
      const chosen = group.find(r => r.checked) || group[0];
      out.push(chosen.dataset.tsKey || el.dataset.tsKey);
      continue;
    }
    out.push(el.dataset.tsKey);
  }
  return out;
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
    (e.getAttribute('href') ? `[href="${e.getAttribute('href')}"]` : '');
  // A visually hidden control (Material's palette radio) shows its focus on the label after it.
  const shown = (el.getBoundingClientRect().width < 1 && el.nextElementSibling && el.nextElementSibling.tagName === 'LABEL')
    ? el.nextElementSibling : el;
  const s = getComputedStyle(shown);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {key: el.dataset.tsKey || null, what: describe(el), tag: el.tagName.toLowerCase(),
          inMain: !!el.closest('.md-content'), visibleFocus: outline || !!shadow};
}"""


def _tab_cycle(pg, limit: int) -> tuple[list[dict], bool]:
    """Tab from the top of the page until focus comes back to the first stop; (stops, came back)."""
    stops: list[dict] = []
    first = None
    for _ in range(limit):
        pg.keyboard.press("Tab")
        f = pg.evaluate(FOCUSED)
        if f is None:
            continue  # focus left the document (the browser's own UI) between two cycles
        if first is None:
            first = f["key"]
        elif f["key"] == first:
            return stops, True
        stops.append(f)
    return stops, False


@pytest.mark.parametrize("rel", KEYBOARD_PAGES)
def test_keyboard_skip_link_visible_focus_no_trap(page, base_url, rel, report):
    url = page_url(base_url, rel)
    _open(page, url)
    expected = page.evaluate(TABBABLE)

    # The skip link is the first Tab stop, and following it puts the next Tab inside the main content.
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first is not None and "md-skip" in first["what"], f"{rel}: first Tab stop is {first}, not the skip link"
    assert first["visibleFocus"], f"{rel}: the skip link has no visible focus indicator"
    page.keyboard.press("Enter")
    h1_id = page.evaluate("document.querySelector('main h1') && document.querySelector('main h1').id")
    assert h1_id and page.url.endswith("#" + h1_id), f"{rel}: the skip link went to {page.url}, not the main heading"
    page.keyboard.press("Tab")
    after = page.evaluate(FOCUSED)
    assert after is not None and after["inMain"], f"{rel}: after the skip link, Tab went to {after}, outside the main content"

    # Every interactive element is reached, focus is always visible, and Tab comes back round.
    _open(page, url)
    expected = page.evaluate(TABBABLE)
    stops, cycled = _tab_cycle(page, max(200, 3 * len(expected)))
    assert cycled, f"{rel}: after {max(200, 3 * len(expected))} Tabs focus never came back to the start (trapped?)"
    # Material's "back to top" button shows and hides itself as the page scrolls: only elements
    # that are tabbable both before and after the round are required.
    still = set(page.evaluate(TABBABLE))
    expected = [k for k in expected if k in still]
    reached = [s["key"] for s in stops]
    missing = [k for k in expected if k not in reached]
    if missing:
        names = page.evaluate("keys => keys.map(k => document.querySelector(`[data-ts-key='${k}']`).outerHTML.slice(0, 160))", missing)
        pytest.fail(f"{rel}: {len(missing)} interactive element(s) never reached by Tab:\n" + "\n".join(names))
    report.append(f"keyboard {rel}: {len(stops)} Tab stops, all {len(expected)} interactive elements reached, focus came back to the skip link")
    order = [k for k in reached if k in expected]
    assert order == [k for k in expected if k in order], f"{rel}: the Tab order does not follow the page order"
    no_focus = sorted({s["what"] for s in stops if not s["visibleFocus"] and s["tag"] in ("a", "button", "summary", "input", "label")})
    assert not no_focus, f"{rel}: focus not visible on:\n" + "\n".join(no_focus)


# ---- 6. Links ---------------------------------------------------------------------------------


def test_every_internal_link_and_anchor_resolves(site, pages, report):
    from transparency_site.load import read_yaml

    site_url = read_yaml(ROOT / "datasets" / "council.yaml")["site_url"]
    problems = [p for rel in pages for p in broken_links(site, rel, site_url)]
    assert not problems, f"{len(problems)} broken internal link(s):\n" + "\n".join(problems)
    # The checker must see figure permalinks and data downloads, or it proved nothing.
    html = "".join((site / rel).read_text(encoding="utf-8") for rel in pages)
    assert re.search(r'href="[^"]*#[a-z0-9-]+-\d{4}-\d{2}"', html), "no figure permalink found to check"
    assert re.search(r'href="[^"]*\.csv"', html), "no CSV download link found to check"


def test_link_checker_finds_missing_files_and_anchors(tmp_path):
    # The checker itself, on a two-page site: it must be able to fail.
    (tmp_path / "a").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n1\n")
    (tmp_path / "a" / "index.html").write_text('<h1 id="top-title">A</h1><p id="fig-2022-23">f</p>')
    (tmp_path / "index.html").write_text(
        '<a href="a/#fig-2022-23">ok</a><a href="a/#fig-2021-22">bad id</a><a href="b/">no page</a>'
        '<a href="data/x.csv">csv</a><a href="data/y.csv">no csv</a><a href="#here">bad local</a>'
        '<a href="https://complaints.example/a/#top-title">live ok</a><a href="https://complaints.example/zz/">live bad</a>'
        '<a href="https://other.example/nope">other host</a><a href="mailto:x@example.org">mail</a>'
    )
    problems = broken_links(tmp_path, "index.html", "https://complaints.example/")
    assert len(problems) == 5, problems
    for bad in ("a/#fig-2021-22", "b/", "data/y.csv", "#here", "https://complaints.example/zz/"):
        assert any(f"> {bad} →" in p for p in problems), (bad, problems)


def test_reading_text_ends_each_block_as_a_sentence():
    text = "How to complain\n¶\n344\n40.1%\nComplaints in 2022/23\nIt is free. We will help you.\n"
    assert sentences_text(text) == "How to complain. Complaints in 2022/23. It is free. We will help you."


# ---- 7. Plain English -------------------------------------------------------------------------


def test_resident_pages_are_plain_english(page, base_url, report):
    import textstat

    grades = {}
    for rel in RESIDENT_PAGES:
        _open(page, page_url(base_url, rel))
        text = page.evaluate("""() => {
          const a = document.querySelector('article').cloneNode(true);
          a.querySelectorAll('.headerlink, details, svg, table').forEach(e => e.remove());
          document.body.appendChild(a);  // innerText needs layout
          const t = a.innerText;
          a.remove();
          return t;
        }""")
        grades[rel] = textstat.flesch_kincaid_grade(sentences_text(text))
        report.append(f"reading grade (Flesch–Kincaid) {rel}: {grades[rel]:.1f} (limit {MAX_GRADE})")
    too_hard = {rel: g for rel, g in grades.items() if g > MAX_GRADE}
    assert not too_hard, f"pages above reading grade {MAX_GRADE}: {too_hard}"


# ---- 8. Print ---------------------------------------------------------------------------------

EXTERNAL_LINK_AFTER = """() => {
  const a = document.querySelector('article a[href^="http"]');
  return a ? {href: a.getAttribute('href'), after: getComputedStyle(a, '::after').content} : null;
}"""

PRINT_CHECK = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => getComputedStyle(e).display !== 'none').length;

  const details = document.querySelector('details.ts-data');
  const table = details && details.querySelector('table');
  return {
    header: shown('.md-header'), sidebars: shown('.md-sidebar'), search: shown('.md-search'), footer: shown('.md-footer'),
    figureBreak: getComputedStyle(document.querySelector('figure.ts-figure')).breakInside,
    tableBreak: getComputedStyle(document.querySelector('table')).breakInside,
    wrapOverflow: document.querySelector('.ts-table-wrap') ? getComputedStyle(document.querySelector('.ts-table-wrap')).overflowX : null,
    closedTableShown: !!table && !details.open && table.checkVisibility({checkVisibilityCSS: true}) && table.getBoundingClientRect().height > 0,
  };
}"""


def test_print_stylesheet(browser, base_url, site, report):
    import shutil

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        _open(pg, page_url(base_url, PRINT_PAGE))
        pg.emulate_media(media="print")
        r = pg.evaluate(PRINT_CHECK)
        pdf = pg.pdf(format="A4", print_background=False)
        # The complaints page links only within the site; How to complain links to the ombudsmen.
        pg.emulate_media(media="screen")
        _open(pg, page_url(base_url, "how-to-complain/index.html"))
        pg.emulate_media(media="print")
        r["ext"] = pg.evaluate(EXTERNAL_LINK_AFTER)
        ext_pdf = pg.pdf(format="A4")
    finally:
        context.close()
    assert r["header"] == 0 and r["sidebars"] == 0 and r["search"] == 0 and r["footer"] == 0, f"navigation printed: {r}"
    assert r["ext"] is not None, f"{PRINT_PAGE} has no external link to check"
    assert r["ext"]["href"] in r["ext"]["after"], f"link target not shown in print: {r['ext']}"
    assert r["figureBreak"] == "avoid" and r["tableBreak"] == "avoid", f"figures or tables may split across pages: {r}"
    assert r["closedTableShown"], "a closed data table is not printed"
    assert r["wrapOverflow"] == "visible", f"a wide table would be cut off on paper (overflow-x: {r['wrapOverflow']})"
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000, "page.pdf() did not produce a PDF"
    if shutil.which("pdftotext"):  # installed by `make browser-deps`: read what is really on paper
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Skip to main content" not in text and "Search this site" not in text, "navigation in the PDF"
        ext_text = subprocess.run(["pdftotext", "-", "-"], input=ext_pdf, capture_output=True, check=True).stdout.decode()
        host = r["ext"]["href"].split("//", 1)[-1].split("/", 1)[0]
        assert host in re.sub(r"\s+", "", ext_text), f"the link target {r['ext']['href']} is not printed in the PDF"


# ---- 9. Accessibility statement ---------------------------------------------------------------


def test_accessibility_statement_follows_the_model(site):
    from html.parser import HTMLParser

    from transparency_site.build import source_date_epoch
    from transparency_site.fmt import date as uk_date

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.headings, self.text, self._in = [], [], None

        def handle_starttag(self, tag, attrs):
            if tag in ("h1", "h2", "h3"):
                self._in = []

        def handle_endtag(self, tag):
            if tag in ("h1", "h2", "h3") and self._in is not None:
                self.headings.append("".join(self._in).replace("¶", "").strip())
                self._in = None

        def handle_data(self, data):
            self.text.append(data)
            if self._in is not None:
                self._in.append(data)

    html = (site / STATEMENT).read_text(encoding="utf-8")
    article = html[html.index("<article"): html.index("</article>")]
    p = Text()
    p.feed(article)
    headings = [h.lower() for h in p.headings]
    text = re.sub(r"\s+", " ", "".join(p.text))

    required = [
        "accessibility statement", "how accessible this website is", "feedback and contact information",
        "reporting accessibility problems with this website", "enforcement procedure",
        "technical information about this website's accessibility", "compliance status", "non-accessible content",
        "preparation of this accessibility statement",
    ]
    missing = [h for h in required if not any(h in x.replace("’", "'") for x in headings)]
    assert not missing, f"model statement sections missing: {missing}; headings: {p.headings}"
    # Scope, compliance, enforcement and alternative formats in the model's words.
    assert "This accessibility statement applies to" in text
    assert re.search(r"This website is (fully|partially|not) compliant with the Web Content Accessibility Guidelines version 2\.2 AA standard", text)
    assert "Equality and Human Rights Commission (EHRC)" in text and "Equality Advisory and Support Service (EASS)" in text
    assert "different format" in text and "large print" in text
    # The test date is the build's date (SOURCE_DATE_EPOCH, else data_as_of), never the clock.
    built = dt.datetime.fromtimestamp(int(source_date_epoch(ROOT / "datasets")), tz=dt.UTC).date()
    m = re.search(r"This website was last tested on (\d{1,2} \w+ \d{4})", text)
    assert m, "no 'last tested' date in the statement"
    assert m.group(1) == uk_date(built), f"last tested {m.group(1)}, but the build date is {uk_date(built)}"
