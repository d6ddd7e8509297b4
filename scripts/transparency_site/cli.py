"""The command line: validate | build | serve | example | release | import | pack.

This is the only module that prints. Every command returns an exit code: 0 success, 1 problems in
the data (each printed as file:row:field — message — hint), 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _problems_out(problems, fmt: str = "text") -> None:
    from .validate import format_problems

    print(format_problems(problems, fmt), file=sys.stdout if fmt != "text" else sys.stderr)


def _nothing_written(problems) -> int:
    _problems_out(problems)
    print("Nothing was written.", file=sys.stderr)
    return EXIT_PROBLEMS


def cmd_validate(args) -> int:
    from .validate import format_problems, validate

    root = Path(args.datasets)
    if not root.is_dir():
        print(f"No datasets folder at {root}. Run this from your site's folder, or give --datasets DIR.", file=sys.stderr)
        return EXIT_USAGE
    problems = validate(root)
    print(format_problems(problems, args.format, base=args.datasets))
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_build(args) -> int:
    from .build import BuildFailed, build_site
    from .validate import InvalidData

    try:
        out = build_site(Path(args.config_file), Path(args.site_dir), datasets=Path(args.datasets) if args.datasets else None)
    except InvalidData as exc:
        _problems_out(exc.problems)
        print("The site was not built: fix the problems above and build again. The previous site is unchanged.", file=sys.stderr)
        return EXIT_PROBLEMS
    except BuildFailed as exc:
        print(f"The site was not built: {exc}\nThe previous site is unchanged.", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Built the site in {out}/")
    return EXIT_OK


def cmd_serve(args) -> int:
    from .build import serve

    return serve(Path(args.config_file), datasets=Path(args.datasets) if args.datasets else None, dev_addr=args.dev_addr)


def cmd_example(args) -> int:
    from .example import write_example

    written = write_example(Path(args.out), seed=args.seed, scale=args.scale)
    print(f"Wrote {len(written)} files to {args.out}/")
    return EXIT_OK


def cmd_release(args) -> int:
    from .downloads import ReleaseError, release

    try:
        entry = release(Path(args.config_file), Path(args.datasets), title=args.title, status=args.status, notes=args.notes or "")
    except ReleaseError as exc:
        print(f"No edition was released: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Released edition {entry['date']}: {entry['title']} ({entry['status']}).")
    return EXIT_OK


def cmd_import(args) -> int:
    from . import imports

    source = Path(args.source)
    if not source.exists():
        print(f"No file at {source}.", file=sys.stderr)
        return EXIT_USAGE
    if args.kind == "tsm":
        result = imports.import_tsm(source, year=args.year)
        if result.problems:
            return _nothing_written(result.problems)
        for note in result.notes:  # what was read as empty, and why (the regulator's [X], [Z], [E] markers)
            print(note, file=sys.stderr)
        path = imports.write_benchmarks(result, Path(args.datasets))
        print(f"Wrote {len(result.rows)} rows to {path}")
        return EXIT_OK
    if not args.mapping:
        print("Give the mapping file: --mapping mapping.yaml", file=sys.stderr)
        return EXIT_USAGE
    try:
        mapping = imports.read_mapping(Path(args.mapping))
    except imports.MappingError as exc:
        print(f"{exc}\nNothing was written.", file=sys.stderr)
        return EXIT_PROBLEMS
    result = imports.import_cases(args.kind, source, mapping, mapping_name=Path(args.mapping).name)
    if result.problems:
        return _nothing_written(result.problems)
    out = Path(args.out) if args.out else Path(args.datasets) / f"{args.kind}.csv"
    imports.write_import(result, out)
    print(f"Wrote {len(result.rows)} rows to {out}")
    return EXIT_OK


def cmd_pack(args) -> int:
    from .pack import PackError, pack

    try:
        pdf = pack(Path(args.config_file), year=args.year, out=Path(args.out) if args.out else None)
    except PackError as exc:
        print(f"No PDF was made: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Wrote {pdf}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="transparency-site", description="Publish a council's complaints data as an accessible website.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def datasets_arg(sp, default="datasets"):
        sp.add_argument("--datasets", default=default, help="the datasets folder (default: datasets)")

    def config_arg(sp):
        sp.add_argument("--config-file", "-f", default="mkdocs.yml", help="the site's mkdocs.yml (default: mkdocs.yml)")

    sp = sub.add_parser("validate", help="check the datasets and list every problem")
    datasets_arg(sp)
    sp.add_argument("--format", choices=("text", "github", "json"), default="text")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("build", help="validate, then build the site (the old site stays until the new one is complete)")
    datasets_arg(sp, default=None)
    config_arg(sp)
    sp.add_argument("--site-dir", default="site")
    sp.set_defaults(func=cmd_build)

    sp = sub.add_parser("serve", help="preview the site; rebuilds when datasets/ changes")
    datasets_arg(sp, default=None)
    config_arg(sp)
    sp.add_argument("--dev-addr", default="127.0.0.1:8000")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("example", help="write the example council's datasets")
    sp.add_argument("--seed", type=int, default=2024)
    sp.add_argument("--scale", type=float, default=1)
    sp.add_argument("--out", default="datasets")
    sp.set_defaults(func=cmd_example)

    sp = sub.add_parser("release", help="publish a new edition: freeze the figures and data")
    datasets_arg(sp)
    config_arg(sp)
    sp.add_argument("--title", required=True)
    sp.add_argument("--status", choices=("provisional", "final"), required=True)
    sp.add_argument("--notes")
    sp.set_defaults(func=cmd_release)

    sp = sub.add_parser("import", help="convert a case-system export or the regulator's TSM workbook")
    sp.add_argument("kind", choices=("complaints", "compliments", "ombudsman_cases", "tsm"))
    sp.add_argument("source", help="the export (.xlsx or .csv) or the TSM workbook")
    sp.add_argument("--mapping", help="mapping.yaml: column and value mappings (not for tsm)")
    sp.add_argument("--out", help="where to write the CSV (default: datasets/KIND.csv)")
    sp.add_argument("--year", help="tsm only: the year the workbook is for, e.g. 2023/24")
    datasets_arg(sp)
    sp.set_defaults(func=cmd_import)

    sp = sub.add_parser("pack", help="make a PDF of an annual report for committee papers")
    config_arg(sp)
    sp.add_argument("--year", required=True, help="financial year, e.g. 2022/23")
    sp.add_argument("--out")
    sp.set_defaults(func=cmd_pack)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
