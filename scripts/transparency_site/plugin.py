"""The MkDocs plugin `transparency`: only wiring. Each stage is a plain function in its own module.

on_config   validate datasets/ (stop with every problem), load, compute, generate pages and the nav
on_files    add the generated pages and downloads (in memory: nothing generated is written into docs/)
on_page_markdown  render hand-written docs/ pages with council, policy and figure()
on_serve    watch datasets/ so an edit rebuilds the preview
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateError, UndefinedError
from markupsafe import escape
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File

from . import downloads, load, site, theme_fixes
from .validate import InvalidData, format_problems, validate

log = logging.getLogger("mkdocs.plugins.transparency")
problem_log = logging.getLogger("transparency_site.problems")


class TransparencyConfig(Config):
    datasets = c.Type(str, default="datasets")
    # Rendered chart SVGs, by content hash: a rebuild renders only the charts whose data changed.
    # TRANSPARENCY_CACHE overrides it (the benchmark's cold builds); "" turns the disk cache off.
    cache_dir = c.Type(str, default=".cache/transparency")


class TransparencyPlugin(BasePlugin[TransparencyConfig]):
    def on_config(self, config):
        root = Path(os.environ.get("TRANSPARENCY_DATASETS") or Path(config.config_file_path).parent / self.config.datasets)
        self.root = root.resolve()
        problems = validate(self.root)
        self.problems = problems
        if problems:
            if os.environ.get("TRANSPARENCY_SERVE"):
                # Under `serve` the preview keeps running: the officer sees every problem in the terminal
                # and on the preview's only page, and the site comes back when the data is fixed.
                # Logged outside the "mkdocs" logger: strict mode would count them and abort the preview.
                for p in problems:
                    problem_log.error(p.text())
                config.nav = [{"Problems in the data": "index.md"}]
                return config
            raise PluginError(format_problems(problems, "text")) from InvalidData(problems)
        self.data = load.load(self.root)
        docs_dir = Path(config.docs_dir)
        self.bundle = site.generate(self.data, hand_written=_hand_written(docs_dir), cache_dir=_cache_dir(config, self.config.cache_dir))
        council = self.data.council
        # Material writes site_name into HTML unescaped (and with `| e`, a no-op on Markup): escape it once here.
        config.site_name = escape(f"{council['name']} complaints")
        config.site_url = council["site_url"]
        if not config.nav:
            config.nav = self.bundle.nav
        return config

    def on_files(self, files, config):
        if self.problems:
            return _problem_files(self.problems, files, config)
        for page in self.bundle.pages:
            if files.get_file_from_path(page.path) is None:
                files.append(File.generated(config, page.path, content=page.markdown))
        # Downloads are generated files too, so strict mode can check every link to them.
        for path, content in downloads.files(self.bundle).items():
            if files.get_file_from_path(path) is None:
                files.append(File.generated(config, path, content=content))
        return files

    def on_page_markdown(self, markdown, page, config, files):
        if page.file.generated_by:
            return markdown  # generated pages are complete and escaped already: never re-rendered
        if self.problems:
            return markdown
        return _render_hand_written(markdown, page.file.src_uri, self.bundle.docs_context(page.file.src_uri))

    def on_post_page(self, output, page, config):
        # Material's base.html gives its hidden checkboxes autocomplete="off", which is invalid HTML
        # (Nu HTML Checker error on every page); see theme_fixes for why removing it is safe.
        return theme_fixes.fix_material_html(output)

    def on_post_template(self, output_content, template_name, config):
        # 404.html is a theme template, not a page: it needs the same corrections.
        return theme_fixes.fix_material_html(output_content) if template_name.endswith(".html") else output_content

    def on_serve(self, server, config, builder):
        log.info("Watching %s for changes", self.root)
        server.watch(str(self.root))
        return server


def _problem_files(problems, files, config):
    """The preview while the data has problems: one page listing them, nothing else."""
    from mkdocs.structure.files import Files

    from .pages import md_escape

    lines = ["# Problems in the data", "", f"The site cannot be built until these {len(problems)} problem(s) are fixed. "
             "Save the corrected file and this page reloads.", ""]
    lines += [f"- {md_escape(p.text())}" for p in problems]
    page = File.generated(config, "index.md", content="\n".join(lines) + "\n")
    keep = [f for f in files if not f.src_uri.endswith(".md")]
    return Files([*keep, page])


def _cache_dir(config, configured: str) -> Path | None:
    value = os.environ.get("TRANSPARENCY_CACHE", configured)
    if not value:
        return None
    return (Path(config.config_file_path).parent / value / "charts").resolve()


def _hand_written(docs_dir: Path) -> list[str]:
    if not docs_dir.is_dir():
        return []
    return sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*.md"))


def _render_hand_written(markdown: str, src_uri: str, context: dict) -> str:
    """docs/ pages may use {{ council.name }}, {{ policy... }} and {{ figure(...) }}; anything unknown stops the build."""
    # Values from the datasets are escaped for Markdown and HTML, as in generated pages (figure() is Markup).
    from .pages import _finalize

    env = Environment(undefined=StrictUndefined, autoescape=False, finalize=_finalize)
    try:
        return env.from_string(markdown).render(**context)
    except UndefinedError as exc:
        raise PluginError(f"docs/{src_uri}: {exc.message} — check the name against council.yaml, policy.yaml or the figure list") from None
    except (TemplateError, LookupError, ValueError) as exc:
        raise PluginError(f"docs/{src_uri}: {exc}") from None
