"""Stage: validation. Frictionless report + YAML schema checks + business rules → list[Problem].

Errors are data: every problem is collected and returned, never raised one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, located as an officer sees it.

    ``row`` is the spreadsheet row (the header is row 1, the first data row is row 2) for a CSV, the
    line number for a YAML file, or None when the problem is about the whole file.
    """

    file: str
    row: int | None
    field: str | None
    code: str
    message: str
    hint: str = ""

    def text(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.field:
            where += f":{self.field}"
        return f"{where} — {self.message}" + (f" — {self.hint}" if self.hint else "")


class InvalidData(Exception):
    """Raised by the build (not by validation) to stop with the collected problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the datasets")
