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
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File

from . import downloads, load, site, theme_fixes
from .validate import InvalidData, format_problems, validate

log = logging.getLogger("mkdocs.plugins.transparency")


class TransparencyConfig(Config):
    datasets = c.Type(str, default="datasets")


class TransparencyPlugin(BasePlugin[TransparencyConfig]):
    def on_config(self, config):
        root = Path(os.environ.get("TRANSPARENCY_DATASETS") or Path(config.config_file_path).parent / self.config.datasets)
        self.root = root.resolve()
        problems = validate(self.root)
        if problems:
            if os.environ.get("TRANSPARENCY_SERVE"):
                # Under `serve` the last good preview stays up; the officer sees the list in the terminal.
                for p in problems:
                    log.error(p.text())
                raise Abort(f"{len(problems)} problem(s) in {self.root.name}/ — fix them and save again.")
            raise PluginError(format_problems(problems, "text")) from InvalidData(problems)
        self.data = load.load(self.root)
        docs_dir = Path(config.docs_dir)
        self.bundle = site.generate(self.data, hand_written=_hand_written(docs_dir))
        council = self.data.council
        config.site_name = f"{council['name']} complaints"
        config.site_url = council["site_url"]
        if not config.nav:
            config.nav = self.bundle.nav
        return config

    def on_files(self, files, config):
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
        return _render_hand_written(markdown, page.file.src_uri, self.bundle.docs_context(page.file.src_uri))

    def on_post_page(self, output, page, config):
        # Material's base.html gives its hidden checkboxes autocomplete="off", which is invalid HTML
        # (Nu HTML Checker error on every page); see theme_fixes for why removing it is safe.
        return theme_fixes.remove_checkbox_autocomplete(output)

    def on_serve(self, server, config, builder):
        server.watch(str(self.root))
        return server


def _hand_written(docs_dir: Path) -> list[str]:
    if not docs_dir.is_dir():
        return []
    return sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*.md"))


def _render_hand_written(markdown: str, src_uri: str, context: dict) -> str:
    """docs/ pages may use {{ council.name }}, {{ policy... }} and {{ figure(...) }}; anything unknown stops the build."""
    env = Environment(undefined=StrictUndefined, autoescape=False)
    try:
        return env.from_string(markdown).render(**context)
    except UndefinedError as exc:
        raise PluginError(f"docs/{src_uri}: {exc.message} — check the name against council.yaml, policy.yaml or the figure list") from None
    except (TemplateError, LookupError, ValueError) as exc:
        raise PluginError(f"docs/{src_uri}: {exc}") from None
