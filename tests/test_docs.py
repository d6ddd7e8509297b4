"""The README and the officer guide stay true: every problem code is explained, every command exists."""

from __future__ import annotations

from pathlib import Path

from transparency_site.cli import parser
from transparency_site.validate import PROBLEM_CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_every_problem_code_is_explained_in_the_readme():
    missing = [code for code in PROBLEM_CODES if f"| `{code}` |" not in README]
    assert not missing, f"README's error table lacks: {missing}"


def test_readme_shows_the_two_commands_and_ci_runs_make_test():
    assert "make site" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_commands_named_in_the_docs_exist():
    commands = set(parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public API for this
    guide = (ROOT / "docs" / "officers.md").read_text("utf-8")
    for text in (README, guide):
        for line in text.splitlines():
            if "transparency-site " in line:
                word = line.split("transparency-site ", 1)[1].split()[0].strip("`")
                assert word in commands, f"docs mention unknown command {word!r}: {line}"
