"""`make pack YEAR=2022/23`: the annual report as a PDF for committee papers.

The site is built into a temporary folder, served on 127.0.0.1 and the report page printed with
headless Chromium (Debian's, never a downloaded one) using the site's own print stylesheet, so the
PDF is the same document residents print from the web page.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import schema

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000
# Page numbers in the footer: Chromium fills the pageNumber and totalPages spans.
FOOTER = ('<div style="font-size:8pt;width:100%;padding:0 15mm;display:flex;justify-content:space-between;font-family:sans-serif">'
          '<span>{title}</span><span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


class PackError(Exception):
    """A PDF could not be made; the message says why and what to do."""


def years_available(datasets: Path) -> list[str]:
    """Financial years that have a report (years with complaints data), oldest first."""
    from .load import load
    from .measures import years

    data = load(datasets)
    return [y.label for y in years(data)] if data.has("complaints") else []


def pdf_name(council: dict, year: str) -> str:
    return f"{schema.slug(council['name'])}-complaints-report-{year.replace('/', '-')}.pdf"


def pack(config_file: Path, year: str, out: Path | None = None, datasets: Path | None = None) -> Path:
    """Build the site, print reports/<yyyy-yy>/ to PDF and return the PDF's path."""
    from .build import BuildFailed, build_site
    from .load import read_yaml
    from .validate import InvalidData

    config_file = Path(config_file).resolve()
    if not config_file.exists():
        raise PackError(f"{config_file} does not exist: run this in the site's folder or pass the mkdocs.yml to use")
    datasets = (datasets or config_file.parent / "datasets").resolve()
    try:
        available = years_available(datasets)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise PackError(f"the datasets in {datasets} could not be read ({exc}); run `transparency-site validate`") from None
    if year not in available:
        listed = ", ".join(available) or "none (there is no complaints data)"
        raise PackError(f"there is no annual report for {year!r}. Years available: {listed}")
    council = read_yaml(datasets / "council.yaml")
    out = Path(out) if out else config_file.parent / "pack" / pdf_name(council, year)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="transparency-pack-"))
    try:
        try:
            site = build_site(config_file, work / "site", datasets=datasets)
        except InvalidData as exc:
            raise PackError(f"the data did not pass validation, so the site was not built:\n{exc}") from None
        except BuildFailed as exc:
            raise PackError(f"the site did not build: {exc}") from None
        path = f"reports/{year.replace('/', '-')}/"
        if not (site / path / "index.html").exists():
            raise PackError(f"the site has no page {path}")
        title = f"{council['name']}: complaints report {year}"
        with serve(site) as base:
            print_pdf(base + path, out, title)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not out.exists() or out.stat().st_size == 0:
        raise PackError(f"Chromium did not write {out}")
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 at a free port; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def print_pdf(url: str, out: Path, title: str) -> None:
    """Print ``url`` to ``out`` (A4, backgrounds, page numbers) with Playwright, else Chromium's own --print-to-pdf."""
    if not Path(CHROMIUM).exists():
        raise PackError(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _print_with_cli(url, out)
        return
    from .pages import h

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                # Nothing but the local site: a stray external request would only slow the print down.
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url.split("/reports/")[0])
                           else route.abort())
                page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
                page.emulate_media(media="print")
                page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=FOOTER.format(title=h(title)),
                         margin={"top": "15mm", "bottom": "20mm", "left": "15mm", "right": "15mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PackError(f"Chromium could not print {url}: {exc}") from None


def _print_with_cli(url: str, out: Path) -> None:
    """Without Playwright: Chromium's --print-to-pdf (its default footer has the page numbers)."""
    cmd = [CHROMIUM, "--headless", *CHROMIUM_ARGS, f"--print-to-pdf={out}", url]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=TIMEOUT_MS / 1000)  # noqa: S603 - fixed program, our own URL
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise PackError(f"Chromium could not print {url}: {exc}") from None
