"""`make bench`: how long the build takes and how heavy the site is, at scale 1, 10 and 100.

For each scale the example council is generated into a temporary folder, then each measurement runs
in a fresh Python process (so imports, caches and peak memory belong to that build alone):

- the full build (`build.build_site`, the same call as `transparency-site build`) with an empty chart
  cache; each stage is timed inside that one build by wrapping the stage's function;
- the same build again in a new process, with the chart cache it left on disk (an officer's second
  `make site`);
- the baseline: plain Material (the same mkdocs.yml theme settings, no transparency plugin) building
  the same number of pages, with the same navigation and Markdown of the same size, but no data;
- at scale 1 only: in the process of the full build, one cell of complaints.csv is changed and the
  site is built again (what `make serve` does after an officer saves a file).

Then the home page's weight (gzip, with every asset it references) and, when the `lighthouse` npm
package and Chromium are available, Lighthouse's mobile performance score.

Times are shown as "wall s (CPU s)": the CPU time includes the chart-rendering child processes. On a
shared machine the wall time grows with the load (printed with the machine), the CPU time much less.
Benchmarks print numbers; no test asserts them.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import gzip
import html.parser
import http.server
import io
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

SCALES = (1, 10, 100)
SEED = 2024
CACHE_ENV = "TRANSPARENCY_CACHE"  # the plugin's chart cache folder (plugin.py reads it)

# The budgets of issue 9, for a 2-core machine.
BUDGETS = {
    "ratio_s1": 1.5,  # S=1 full build / plain Material baseline
    "validate_s100": 5.0,  # seconds
    "build_s100": 60.0,  # seconds
    "memory_s100": 1024.0,  # MB
    "rebuild_s1": 3.0,  # seconds
    "home_kb": 150.0,  # KB transferred (gzip)
    "chart_kb": 40.0,  # KB, any one chart SVG
    "lighthouse": 0.98,
}


# ---------------------------------------------------------------------------------------------------
# Clocks


def _now() -> tuple[float, float]:
    """Wall time and CPU time of this process and its finished children (chart renderers)."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def _since(start: tuple[float, float]) -> list[float]:
    w, c = _now()
    return [w - start[0], c - start[1]]


# ---------------------------------------------------------------------------------------------------
# Child: one build, its stages timed in place


STAGES = [
    # (module, function, label): each is wrapped where the pipeline looks it up.
    ("transparency_site.plugin", "validate", "validate"),
    ("transparency_site.load", "load", "load"),
    ("transparency_site.measures", "compute_all", "measures"),
    ("transparency_site.disclosure", "suppress", "disclosure"),
    ("transparency_site.charts", "render_many", "charts"),
    ("transparency_site.site", "generate", "generate"),
    ("transparency_site.downloads", "files", "downloads"),
]


def _instrument(timings: dict, seen: dict) -> None:
    import importlib

    for module, name, label in STAGES:
        mod = importlib.import_module(module)
        fn = getattr(mod, name)
        setattr(mod, name, _timed(fn, label, timings, seen))


_DEPTH = [0]  # stages run inside one another (downloads.files inside generate): "_top" counts the outermost


def _timed(fn, label: str, timings: dict, seen: dict):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if label == "charts":
            args = (list(args[0]), *args[1:])  # render_many takes an iterable: count it
        start = _now()
        _DEPTH[0] += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            spent = _since(start)
            for key in (label, "_top") if _DEPTH[0] == 0 else (label,):
                t = timings.setdefault(key, [0.0, 0.0])
                t[0] += spent[0]
                t[1] += spent[1]
        if label == "charts":
            seen["charts"] = seen.get("charts", 0) + len(args[0])
        elif label == "generate":
            seen["bundle"] = out
        elif label == "load":
            seen["rows"] = sum(len(v) for v in out.tables.values())
        return out

    return wrapper


def _child_build(args) -> dict:
    from . import charts
    from .build import build_site

    timings: dict = {}
    seen: dict = {}
    _instrument(timings, seen)
    os.environ[CACHE_ENV] = args.cache
    config = Path(args.config)
    site_dir = Path(args.site)
    datasets = Path(args.datasets)
    start = _now()
    build_site(config, site_dir, datasets)
    out = {"build": _since(start), "stages": {k: list(v) for k, v in timings.items()}, "rows": seen.get("rows"), "charts": seen.get("charts", 0),
           "conversions": charts.STATS["conversions"], "disk_hits": charts.STATS["disk_hits"]}
    bundle = seen["bundle"]
    out["pages"] = [{"path": p.path, "title": p.title, "size": len(p.markdown.encode())} for p in bundle.pages]
    out["nav"] = bundle.nav
    if args.rebuild:
        # One cell: the channel of the last complaint becomes another channel from the schema's list.
        from . import schema

        path = datasets / "complaints.csv"
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))
        col = rows[0].index("channel")
        channels = schema.enum("complaints", "channel")
        rows[-1][col] = next(c for c in channels if c != rows[-1][col])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), "utf-8")
        timings.clear()
        before = dict(charts.STATS)
        start = _now()
        build_site(config, site_dir, datasets)
        out["rebuild"] = _since(start)
        out["rebuild_stages"] = {k: list(v) for k, v in timings.items()}
        out["rebuild_conversions"] = charts.STATS["conversions"] - before["conversions"]
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ---------------------------------------------------------------------------------------------------
# Child: the plain Material baseline


_WORDS = ("the council received complaints about services and answered most of them within the time "
          "its policy sets out residents can ask for a review when they are not satisfied with the answer").split()


def _dummy_markdown(title: str, size: int) -> str:
    """Plain Markdown of about ``size`` bytes: headings, paragraphs and tables, no data behind it."""
    parts = [f"# {title}\n"]
    n = 0
    total = len(parts[0])
    while total < size:
        n += 1
        words = " ".join(_WORDS[(n + i) % len(_WORDS)] for i in range(60))
        block = (f"\n## Section {n}\n\n{words.capitalize()}.\n\n| Year | Received | Answered |\n|---|---:|---:|\n"
                 + "".join(f"| 20{10 + i}/{11 + i} | {100 + n * i:,} | {90 + n * i:,} |\n" for i in range(6)))
        parts.append(block)
        total += len(block)
    return "".join(parts)


def _child_baseline(args) -> dict:
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    spec = json.loads(Path(args.spec).read_text("utf-8"))
    work = Path(args.site).parent / "baseline"
    docs = work / "docs"
    config_path = Path(args.config).resolve()
    conf = yaml.safe_load(config_path.read_text("utf-8"))
    # Same theme settings, markdown extensions and search; no transparency plugin, no data.
    conf["plugins"] = [p for p in conf.get("plugins", []) if not (isinstance(p, dict) and "transparency" in p) and p != "transparency"]
    theme = conf.get("theme", {})
    if theme.get("custom_dir"):
        theme["custom_dir"] = str(config_path.parent / theme["custom_dir"])
    conf.update(docs_dir=str(docs), site_dir=str(Path(args.site)), nav=spec["nav"], strict=False)
    for page in spec["pages"]:
        target = docs / page["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dummy_markdown(page["title"], page["size"]), "utf-8")
    work.mkdir(parents=True, exist_ok=True)
    (work / "mkdocs.yml").write_text(yaml.safe_dump(conf, sort_keys=False, allow_unicode=True), "utf-8")
    start = _now()
    with contextlib.redirect_stderr(io.StringIO()):
        build(load_config(str(work / "mkdocs.yml")))
    return {"build": _since(start), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# ---------------------------------------------------------------------------------------------------
# Parent: run the children, measure the output


def _run_child(mode: str, **kw) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        result = Path(fh.name)
    cmd = [sys.executable, "-m", "transparency_site.bench", "--child", mode, "--result", str(result)]
    for k, v in kw.items():
        if v is True:
            cmd.append(f"--{k}")
        elif v not in (None, False):
            cmd += [f"--{k}", str(v)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {mode} failed:\n{proc.stderr[-3000:]}")
    try:
        return json.loads(result.read_text("utf-8"))
    finally:
        result.unlink(missing_ok=True)


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


_SVG_RE = re.compile(rb"<svg\b.*?</svg>", re.S)


def _site_stats(site: Path) -> dict:
    pages = [p for p in site.rglob("*.html") if p.name != "404.html"]
    largest = max(pages, key=lambda p: p.stat().st_size)
    svg_max, svg_where = b"", None
    for p in pages:
        for m in _SVG_RE.finditer(p.read_bytes()):
            if len(m.group(0)) > len(svg_max):
                svg_max, svg_where = m.group(0), p
    return {
        "html_pages": len(pages),
        "site_bytes": _dir_size(site),
        "largest_page": largest.relative_to(site).as_posix(),
        "largest_page_bytes": largest.stat().st_size,
        "largest_page_gzip": _gz(largest.read_bytes()),
        "largest_svg_bytes": len(svg_max),
        "largest_svg_gzip": _gz(svg_max) if svg_max else 0,
        "largest_svg_page": svg_where.relative_to(site).as_posix() if svg_where else None,
    }


class _Refs(html.parser.HTMLParser):
    """The assets a page asks for as it loads: stylesheets, scripts, images, icons."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "icon", "preload", "modulepreload"}:
            self.refs.append(a["href"])
        elif tag in ("script", "img", "source") and a.get("src"):
            self.refs.append(a["src"])


def home_weight(site: Path) -> dict:
    """gzip bytes of index.html and every local asset it references (inline SVG is in the HTML)."""
    index = site / "index.html"
    parser = _Refs()
    parser.feed(index.read_text("utf-8"))
    items = {"index.html": _gz(index.read_bytes())}
    for ref in parser.refs:
        url = urlparse(urljoin("http://site/", ref))
        if url.netloc != "site":
            items[ref] = None  # another host: the site should never have one
            continue
        path = site / unquote(url.path).lstrip("/")
        if path.is_file():
            items[url.path.lstrip("/")] = _gz(path.read_bytes())
    return {"total_gzip": sum(v or 0 for v in items.values()), "items": items}


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that gzips text, as GitHub Pages does, so Lighthouse sees real transfer sizes."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the redirect to the folder's slash URL
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", "") or not (
                ctype.startswith("text/") or ctype in ("application/javascript", "application/json", "image/svg+xml")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def _lighthouse_cmd() -> list[str] | None:
    local = Path("node_modules/.bin/lighthouse")
    if local.exists():
        return [str(local)]
    return None


def lighthouse(site: Path, chrome: str = "/usr/bin/chromium") -> dict:
    """Lighthouse mobile performance of the home page, served with gzip on 127.0.0.1."""
    cmd = _lighthouse_cmd()
    if cmd is None:
        return {"error": "the lighthouse npm package is not installed (npm install in the repository)"}
    if not Path(chrome).exists():
        return {"error": f"no Chromium at {chrome}"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_GzipHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        proc = subprocess.run(
            [*cmd, url, "--quiet", "--only-categories=performance", "--form-factor=mobile", "--output=json",
             f"--output-path={out / 'report.json'}",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "CHROME_PATH": chrome},
        )
        report_file = out / "report.json"
        if proc.returncode != 0 or not report_file.exists():
            return {"error": f"lighthouse exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-400:]}"}
        report = json.loads(report_file.read_text("utf-8"))
        audits = report["audits"]
        return {
            "score": report["categories"]["performance"]["score"],
            "transfer_bytes": audits["total-byte-weight"]["numericValue"],
            "fcp_ms": audits["first-contentful-paint"]["numericValue"],
            "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
            "tbt_ms": audits["total-blocking-time"]["numericValue"],
            "cls": audits["cumulative-layout-shift"]["numericValue"],
        }
    except subprocess.TimeoutExpired:
        return {"error": "lighthouse did not finish within 300 s"}
    finally:
        server.shutdown()
        shutil.rmtree(out, ignore_errors=True)


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        ram = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0]) // 1024
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_mb": ram, "python": platform.python_version(),
            "load": os.getloadavg()}


def measure_scale(scale: float, work: Path, config: Path, *, rebuild: bool, with_lighthouse: bool) -> dict:
    from .example import write_example

    datasets = work / "datasets"
    start = time.perf_counter()
    write_example(datasets, seed=SEED, scale=scale)
    res: dict = {"scale": scale, "generate_s": time.perf_counter() - start}
    cache = work / "cache"
    site = work / "site"
    res["full"] = _run_child("build", config=config, datasets=datasets, site=site, cache=cache, rebuild=rebuild)
    res["site"] = _site_stats(site)
    res["home"] = home_weight(site)
    if with_lighthouse:
        res["lighthouse"] = lighthouse(site)
    # The same inputs again in a new process: the chart cache on disk is warm now.
    res["warm"] = _run_child("build", config=config, datasets=datasets, site=work / "site-warm", cache=cache)
    spec = work / "baseline.json"
    spec.write_text(json.dumps({"pages": res["full"]["pages"], "nav": res["full"]["nav"]}), "utf-8")
    res["baseline"] = _run_child("baseline", config=config, spec=spec, site=work / "site-baseline")
    res["baseline_pages"] = len([p for p in (work / "site-baseline").rglob("*.html") if p.name != "404.html"])
    if with_lighthouse:
        # Stock Material on the same machine at the same time: the score the theme alone gets here.
        res["lighthouse_baseline"] = lighthouse(work / "site-baseline")
    return res


# ---------------------------------------------------------------------------------------------------
# The table


def _rest(total, stages: dict) -> list[float]:
    """What the build spent outside the pipeline's own stages: MkDocs, the theme and search."""
    top = stages.get("_top", [0.0, 0.0])
    return [total[0] - top[0], total[1] - top[1]]


def _t(pair) -> str:
    return "—" if not pair else f"{pair[0]:.1f} ({pair[1]:.1f})"


def _kb(n) -> str:
    return "—" if n is None else f"{n / 1024:,.1f} KB"


def table(results: list[dict]) -> str:
    heads = [f"S={r['scale']:g}" for r in results]
    rows: list[tuple[str, list[str], str]] = []

    def add(label, fn, budget=""):
        rows.append((label, [fn(r) for r in results], budget))

    def stage(name):
        return lambda r: _t(r["full"]["stages"].get(name))

    def ratio(r, i):
        b = r["baseline"]["build"]
        return r["full"]["build"][i] / b[i] if b[i] else float("nan")

    add("rows read (all CSVs)", lambda r: f"{r['full']['rows']:,}")
    add("validation, s wall (CPU)", stage("validate"), f"≤ {BUDGETS['validate_s100']:g} s at S=100")
    add("load, s", stage("load"))
    add("measures, s", stage("measures"))
    add("disclosure control, s", stage("disclosure"))
    add("charts (rendered / asked)", lambda r: f"{r['full']['conversions']} / {r['full']['charts']}")
    add("chart rendering, s", stage("charts"))
    add("pages generated (incl. charts), s", stage("generate"))
    add("open-data files (incl. record disclosure control), s", stage("downloads"))
    add("MkDocs + theme + search (the rest), s", lambda r: _t(_rest(r["full"]["build"], r["full"]["stages"])))
    add("pages (HTML)", lambda r: f"{r['site']['html_pages']:,}")
    add("full build, cold chart cache, s", lambda r: _t(r["full"]["build"]), f"≤ {BUDGETS['build_s100']:g} s at S=100")
    add("full build, warm chart cache, s", lambda r: _t(r["warm"]["build"]))
    add("baseline: plain Material, same pages/nav, s", lambda r: _t(r["baseline"]["build"]))
    add("baseline pages (HTML)", lambda r: f"{r['baseline_pages']:,}")
    add("ratio full (cold) / baseline, wall (CPU)", lambda r: f"{ratio(r, 0):.2f} ({ratio(r, 1):.2f})",
        f"≤ {BUDGETS['ratio_s1']:g} at S=1")
    add("ratio full (warm) / baseline, wall (CPU)",
        lambda r: f"{r['warm']['build'][0] / r['baseline']['build'][0]:.2f} ({r['warm']['build'][1] / r['baseline']['build'][1]:.2f})")
    add("rebuild after one cell, s", lambda r: _t(r["full"].get("rebuild")), f"≤ {BUDGETS['rebuild_s1']:g} s at S=1")
    add("peak memory, build process", lambda r: f"{r['full']['maxrss_mb']:,.0f} MB", f"≤ {BUDGETS['memory_s100']:g} MB at S=100")
    add("site size", lambda r: f"{r['site']['site_bytes'] / 2**20:,.1f} MB")
    add("largest page (bytes / gzip)", lambda r: f"{_kb(r['site']['largest_page_bytes'])} / {_kb(r['site']['largest_page_gzip'])}")
    add("largest chart SVG (bytes / gzip)", lambda r: f"{_kb(r['site']['largest_svg_bytes'])} / {_kb(r['site']['largest_svg_gzip'])}",
        f"≤ {BUDGETS['chart_kb']:g} KB")
    add("home page + assets, gzip", lambda r: _kb(r["home"]["total_gzip"]), f"≤ {BUDGETS['home_kb']:g} KB")

    def lh(r, key="lighthouse"):
        x = r.get(key)
        if not x:
            return "not run"
        return "error" if "error" in x else f"{x['score']:.2f}"

    def lh_bytes(r):
        x = r.get("lighthouse")
        return _kb(x["transfer_bytes"]) if x and "transfer_bytes" in x else "—"

    add("Lighthouse mobile performance (home)", lh, f"≥ {BUDGETS['lighthouse']:g}")
    add("Lighthouse, plain Material baseline home", lambda r: lh(r, "lighthouse_baseline"))
    add("Lighthouse transfer (home)", lh_bytes)
    width0 = max(len(r[0]) for r in rows)
    widths = [max(len(h), *(len(r[1][i]) for r in rows)) for i, h in enumerate(heads)]
    lines = [" | ".join([" " * width0, *(h.rjust(w) for h, w in zip(heads, widths, strict=True)), "budget"])]
    lines.append("-" * len(lines[0]))
    for label, cells, budget in rows:
        lines.append(" | ".join([label.ljust(width0), *(c.rjust(w) for c, w in zip(cells, widths, strict=True)), budget]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m transparency_site.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default=",".join(str(s) for s in SCALES), help="comma-separated scales (default 1,10,100)")
    ap.add_argument("--config", default="mkdocs.yml")
    ap.add_argument("--no-lighthouse", action="store_true")
    ap.add_argument("--keep", help="keep the generated data and sites in this folder")
    ap.add_argument("--json", help="also write every number to this JSON file")
    ap.add_argument("--child", choices=("build", "baseline"), help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--datasets", help=argparse.SUPPRESS)
    ap.add_argument("--site", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        out = _child_build(args) if args.child == "build" else _child_baseline(args)
        Path(args.result).write_text(json.dumps(out, default=str), "utf-8")
        return 0

    config = Path(args.config).resolve()
    if not config.is_file():
        print(f"no {args.config} here: run from the repository root (make bench)", file=sys.stderr)
        return 2
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    m = machine()
    print(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_mb'] / 1024:.1f} GB RAM, Python {m['python']}; "
          f"load average at start {m['load'][0]:.1f}", flush=True)
    base = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="transparency-bench-"))
    results = []
    try:
        for s in scales:
            work = base / f"scale-{s:g}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            print(f"scale {s:g}: generating and building…", flush=True)
            results.append(measure_scale(s, work, config, rebuild=(s == 1), with_lighthouse=not args.no_lighthouse))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for r in results:
        for key in ("full", "warm"):
            r[key].pop("pages", None)
            r[key].pop("nav", None)
    m["load_end"] = os.getloadavg()
    print()
    print(table(results))
    print()
    for r in results:
        lh = r.get("lighthouse") or {}
        if "error" in lh:
            print(f"S={r['scale']:g} Lighthouse not measured: {lh['error']}")
        elif lh:
            print(f"S={r['scale']:g} Lighthouse: FCP {lh['fcp_ms']:.0f} ms, LCP {lh['lcp_ms']:.0f} ms, TBT {lh['tbt_ms']:.0f} ms, CLS {lh['cls']:.3f}")
        print(f"S={r['scale']:g} largest page {r['site']['largest_page']}; largest chart on {r['site']['largest_svg_page']}; "
              f"example data generated in {r['generate_s']:.1f} s")
        if r["full"].get("rebuild_stages"):
            st = r["full"]["rebuild_stages"]
            parts = ", ".join(f"{k} {_t(v)}" for k, v in st.items() if k != "_top")
            print(f"S={r['scale']:g} rebuild stages, s wall (CPU): {parts}, MkDocs (the rest) {_t(_rest(r['full']['rebuild'], st))}; "
                  f"charts rendered again: {r['full']['rebuild_conversions']}")
    print(f"load average at end {m['load_end'][0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": m, "results": results}, indent=2, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
