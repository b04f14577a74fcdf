"""Command-line front for the data cache: ``attnzoo data list | fetch NAME | path NAME | verify [NAME]``.

This is the only module of ``attnzoo.data`` that prints; the library reports through logging/callbacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from attnzoo.data.fetch import FetchError, fetch
from attnzoo.data.manifest import DatasetCorruptedError, repair_hint
from attnzoo.data.registry import DATASETS, DatasetNotFetchedError, cache_dir, dataset_path, verify_dataset

__all__ = ["add_data_arguments", "cli_main", "run_data_command"]


def add_data_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``list`` / ``fetch`` / ``path`` / ``verify`` subcommands to ``parser`` (``attnzoo data``)."""
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="{list,fetch,path,verify}")
    sub.add_parser("list", help="table of datasets and whether each is in the cache")
    p = sub.add_parser("fetch", help="download a dataset (or 'all') into the cache")
    p.add_argument("name", help="dataset name, or 'all'")
    p.add_argument(
        "--force", action="store_true", help="download again even if already fetched (repairs a changed copy)"
    )
    p = sub.add_parser("path", help="print the folder of a fetched dataset")
    p.add_argument("name")
    p = sub.add_parser("verify", help="re-hash every file of a dataset (default: all in the cache)")
    p.add_argument("name", nargs="?", help="dataset name (default: every dataset in the cache)")
    return parser


def _state(name: str) -> str:
    try:
        dataset_path(name)
    except DatasetNotFetchedError:
        return "no"
    except (ValueError, OSError):
        return "CHANGED"
    return "yes"


def _cmd_list() -> int:
    rows = [("name", "fetched", "package", "description")]
    for name, spec in sorted(DATASETS.items()):
        rows.append((name, _state(name), spec.package, spec.description))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    print(f"\ncache: {cache_dir()}  (set ATTNZOO_DATA to move it)")
    return 0


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cmd_fetch(name: str, force: bool) -> int:
    names = sorted(DATASETS) if name == "all" else [name]
    status = 0
    for n in names:
        if n not in DATASETS:
            print(f"unknown dataset {n!r}; valid: {', '.join(sorted(DATASETS))}", file=sys.stderr)
            return 2
        try:
            print(fetch(n, force=force, progress=_progress))
        except (FetchError, DatasetCorruptedError) as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
    return status


def _cmd_verify(name: str | None) -> int:
    if name is not None and name not in DATASETS:
        print(f"error: unknown dataset {name!r}; registered: {', '.join(sorted(DATASETS))}", file=sys.stderr)
        return 2
    status, checked = 0, 0
    for n in [name] if name else sorted(DATASETS):
        try:
            problems = verify_dataset(n)
        except DatasetNotFetchedError as err:
            if name:  # asked for by name: not being there is a failure
                print(f"error: {err}", file=sys.stderr)
                return 1
            continue
        except OSError as err:
            problems = [f"cannot read: {err}"]
        checked += 1
        if problems:
            print(f"{n}: CHANGED", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print(f"  {repair_hint(n)}", file=sys.stderr)
            status = 1
        else:
            print(f"{n}: ok ({len(DATASETS[n].files)} files, sha256 checked)")
    if not checked:
        print(f"no dataset in the cache ({cache_dir()})")
    return status


def _cmd_path(name: str) -> int:
    try:
        print(dataset_path(name))
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    except (DatasetNotFetchedError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def run_data_command(args: argparse.Namespace) -> int:
    """Run a parsed ``attnzoo data`` command (from :func:`add_data_arguments`); return the exit status."""
    if args.data_command == "list":
        return _cmd_list()
    if args.data_command == "fetch":
        return _cmd_fetch(args.name, args.force)
    if args.data_command == "verify":
        return _cmd_verify(args.name)
    return _cmd_path(args.name)


def cli_main(argv: Sequence[str] | None = None) -> int:
    """``attnzoo data ...`` as a function: parse ``argv`` (without the leading "data") and run it."""
    parser = argparse.ArgumentParser(prog="attnzoo data", description=__doc__.splitlines()[0])
    parser = add_data_arguments(parser)
    return run_data_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(cli_main())
