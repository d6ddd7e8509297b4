"""Building and serving: run MkDocs (whose plugin does the work) safely.

The build writes into a temporary folder beside the site and swaps it in only when MkDocs has
fully succeeded, so a failed or killed build leaves the previous site as it was. The build date is
fixed from SOURCE_DATE_EPOCH (or data_as_of), so the same inputs give byte-identical output.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .validate import InvalidData

DATASETS_ENV = "TRANSPARENCY_DATASETS"


class BuildFailed(Exception):
    pass


@contextlib.contextmanager
def _env(**values: str | None):
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def source_date_epoch(datasets: Path) -> str:
    """SOURCE_DATE_EPOCH if set, else midnight UTC at the end of data_as_of: no clock in the output."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    from .load import read_yaml

    try:
        as_of = dt.date.fromisoformat(str(read_yaml(datasets / "council.yaml")["data_as_of"]))
    except Exception:  # validation reports a bad council.yaml; the epoch just needs a value here
        as_of = dt.date(2000, 1, 1)
    return str(int(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC).timestamp()))


def _datasets_for(config_file: Path, datasets: Path | None) -> Path:
    if datasets is not None:
        return datasets.resolve()
    return (config_file.parent / "datasets").resolve()


def build_site(config_file: Path, site_dir: Path, datasets: Path | None = None, quiet: bool = True) -> Path:
    """Validate and build into a temporary folder, then replace ``site_dir`` atomically."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    config_file = config_file.resolve()
    site_dir = site_dir.resolve()
    datasets = _datasets_for(config_file, datasets)
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(site_dir)
    # Leftovers of builds that were killed: never the live site.
    for old in site_dir.parent.glob(f".{site_dir.name}-build-*"):
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-build-", dir=site_dir.parent))
    # MkDocs' warnings are collected, not printed, so a failure can say exactly what went wrong once.
    logger = logging.getLogger("mkdocs")
    collected = _Collect()
    saved = (logger.level, logger.propagate)
    logger.addHandler(collected)
    if quiet:
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        with _env(**{DATASETS_ENV: str(datasets), "SOURCE_DATE_EPOCH": source_date_epoch(datasets)}):
            cfg = load_config(str(config_file), site_dir=str(tmp))
            build(cfg)
    except (InvalidData, PluginError, Abort, ConfigurationError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        # MkDocs wraps a plugin's error in Abort("Aborted with a BuildError!"): report the real one.
        chain = _chain(exc)
        invalid = next((e for e in chain if isinstance(e, InvalidData)), None)
        if invalid is not None:
            raise invalid from None
        real = next((e for e in chain if isinstance(e, (PluginError, ConfigurationError))), None)
        lines = [str(real)] if real is not None else collected.messages or [str(exc)]
        raise BuildFailed("\n".join(lines)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        logger.removeHandler(collected)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
    _swap(tmp, site_dir)
    return site_dir


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _trash(live: Path) -> Path:
    return live.with_name(f".{live.name}-build-old")


def _swap(new: Path, live: Path) -> None:
    """Put ``new`` in place of ``live``: one atomic exchange where the system has it, else two renames.

    With two renames (live → trash, new → live) a kill between them leaves no live folder for a
    moment; the trash then holds the previous complete site, and the next build puts it back
    (_recover) before doing anything else.
    """
    os.chmod(new, 0o755)
    if live.is_dir() and not live.is_symlink() and _exchange(new, live):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the previous site
        return
    if live.exists():
        trash = _trash(live)
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(live, trash)
        os.replace(new, live)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(new, live)


def _recover(live: Path) -> None:
    """A build killed between the two renames of a swap left no live site and the previous one in the
    trash (a rename of the live folder, so complete): put it back. With both present the swap had
    finished, and the trash is just a leftover."""
    trash = _trash(live)
    if trash.is_dir() and not live.exists():
        os.replace(trash, live)


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE): at every instant one
    complete site is live, so no kill can leave none. False where the system or filesystem lacks it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def serve(config_file: Path, datasets: Path | None = None, dev_addr: str = "127.0.0.1:8000") -> int:
    """`mkdocs serve` with datasets/ watched: problems are printed and the last good site stays up."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    config_file = config_file.resolve()
    datasets = _datasets_for(config_file, datasets)
    # The terminal is the officer's view of problems while previewing: show MkDocs' messages plainly.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    for name in ("mkdocs", "transparency_site.problems"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    with _env(**{DATASETS_ENV: str(datasets), "TRANSPARENCY_SERVE": "1"}):
        mkdocs_serve(str(config_file), dev_addr=dev_addr, livereload=True, watch=[str(datasets)])
    return 0
