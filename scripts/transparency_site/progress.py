"""A tiny progress reporter for long steps (import, validation of large files, chart rendering).

It writes one updating line to stderr, and only when stderr is a terminal and the CI environment
variable is not set: CI logs and redirected output stay clean, and stdout is never touched, so
machine-readable output (``--format json``/``github``) is not disturbed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")

# Redrawing on every item would cost more than the work for fast loops; a few times a second is enough.
_MIN_INTERVAL = 0.1


def enabled(stream: TextIO | None = None) -> bool:
    """True when progress should be shown on ``stream`` (default stderr)."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("CI"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _line(label: str, done: int, total: int | None) -> str:
    if total:
        return f"\r{label}: {done:,} of {total:,} ({done * 100 // total}%)"
    return f"\r{label}: {done:,}"


def progress(iterable: Iterable[T], total: int | None = None, label: str = "Working",
             stream: TextIO | None = None) -> Iterator[T]:
    """Yield every item of ``iterable``, drawing ``label: n of total (p%)`` on one line as it goes.

    Silent (a plain pass-through) unless :func:`enabled`. The line is cleared when the loop ends,
    also when it ends early (break or exception), so later messages start on a clean line.
    """
    if not enabled(stream):
        yield from iterable
        return
    out = stream if stream is not None else sys.stderr
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    done = 0
    last = 0.0
    width = 0
    try:
        for item in iterable:
            yield item
            done += 1
            now = time.monotonic()
            if now - last >= _MIN_INTERVAL:
                text = _line(label, done, total)
                width = max(width, len(text))
                out.write(text)
                out.flush()
                last = now
    finally:
        # Blank the line rather than leave a stale "99%" behind.
        out.write("\r" + " " * width + "\r")
        out.flush()
