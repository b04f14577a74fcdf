"""Rows of docs/errors.md for the command line: `attnzoo run`, `tour`, `translate`, `explain`, `read`."""

from __future__ import annotations

import sys
from pathlib import Path

from attnzoo.cli import main
from tests._errors import Case, CliExit, cli

SECTION = "Command line: `attnzoo run`, `tour`, `translate`, `explain`, `read`"
INTRO = (
    "A user error is one line on stderr naming the argument or file, exit 2, checked before any training "
    "(`--debug` adds the traceback; an unexpected exception type is a bug and keeps its traceback). "
    "Exit 130: SIGINT, or a training stopped by a signal (resume with `--resume`); 143: SIGTERM outside "
    "training; 1: `attnzoo tour` ran but a recipe failed."
)

_LINUX = sys.platform.startswith("linux")


def _file(tmp: Path) -> Path:
    path = tmp / "afile"
    path.write_text("not a folder\n")
    return path


def _run(tmp: Path, *extra: str) -> None:
    cli(main, ["run", "nw-regression", "--out", str(tmp / "nw"), "seeds=1", "epochs=1", *extra])


def _run_twice(tmp: Path) -> None:
    _run(tmp, "sweep_points=2")
    _run(tmp, "sweep_points=2")


def _tour_foreign(tmp: Path) -> None:
    _run(tmp, "sweep_points=2")  # tmp/nw is a run the tour did not write
    (tmp / "nw-regression").mkdir()
    (tmp / "nw").rename(tmp / "nw-regression" / "nw")
    cli(main, ["tour", "--out", str(tmp), "--only", "nw-regression"])


CASES = [
    Case(
        "attnzoo run",
        "`--out` names a file",
        lambda t: _run(t, "--out", str(_file(t))),
        CliExit,
        "is a file, not a directory",
        2,
    ),
    Case(
        "attnzoo run",
        "`--out` below a file",
        lambda t: _run(t, "--out", str(_file(t) / "sub")),
        CliExit,
        "a parent of it is a file",
        2,
    ),
    Case(
        "attnzoo run",
        "`--out` cannot be created (`/sys/...`)",
        lambda t: _run(t, "--out", "/sys/attnzoo-x"),
        CliExit,
        "cannot create output directory (--out)",
        2,
    ),
    Case(
        "attnzoo run",
        "`--out` an existing read-only folder (`/proc`)",
        lambda t: _run(t, "--out", "/proc"),
        CliExit,
        "is not writable",
        2,
    ),
    Case(
        "attnzoo run",
        "again into a finished run, without `--resume` or `--force`",
        _run_twice,
        CliExit,
        "continue it with --resume (resume=True), replace it with --force",
        2,
    ),
    Case(
        "attnzoo run",
        "`--resume` and `--force` together",
        lambda t: _run(t, "--resume", "--force"),
        CliExit,
        "--resume and --force contradict each other",
        2,
    ),
    Case(
        "attnzoo run",
        "an unknown recipe",
        lambda t: cli(main, ["run", "nope", "--out", str(t)]),
        CliExit,
        "unknown recipe 'nope'",
        2,
    ),
    Case(
        "attnzoo run",
        "an override without `=`",
        lambda t: _run(t, "epochs"),
        CliExit,
        "override 'epochs' is not of the form key=value",
        2,
    ),
    Case(
        "attnzoo run",
        "an unknown override",
        lambda t: _run(t, "bogus=1"),
        CliExit,
        "unknown override(s) bogus",
        2,
    ),
    Case(
        "attnzoo run",
        "an override that is not a number",
        lambda t: _run(t, "lr=fast"),
        CliExit,
        "override lr='fast': expected float",
        2,
    ),
    Case(
        "attnzoo run",
        "`lr=nan`",
        lambda t: _run(t, "lr=nan"),
        CliExit,
        "NWConfig.lr must be finite and > 0",
        2,
    ),
    Case(
        "attnzoo run",
        "`seeds=0`",
        lambda t: _run(t, "seeds=0"),
        CliExit,
        "NWConfig.seeds must be > 0, got 0",
        2,
    ),
    Case(
        "attnzoo tour",
        "`--out` holds runs the tour did not write",
        _tour_foreign,
        CliExit,
        "was not written by `attnzoo tour`",
        2,
    ),
    Case(
        "attnzoo tour",
        "`--out` names a file",
        lambda t: cli(main, ["tour", "--out", str(_file(t))]),
        CliExit,
        "is a file, not a directory",
        2,
    ),
    Case(
        "attnzoo translate",
        "`--plot` names a folder",
        lambda t: cli(main, ["translate", "hi", "--plot", str(t), "--checkpoint", str(t)]),
        CliExit,
        "is a directory: give a file name",
        2,
    ),
    Case(
        "attnzoo translate",
        "`--plot` in a missing folder",
        lambda t: cli(main, ["translate", "hi", "--plot", str(t / "no" / "a.png")]),
        CliExit,
        "does not exist",
        2,
    ),
    Case(
        "attnzoo translate",
        "`--checkpoint` a folder without `model.json`",
        lambda t: cli(main, ["translate", "hi", "--checkpoint", str(t)]),
        CliExit,
        "no model.json in",
        2,
    ),
    Case(
        "attnzoo explain",
        "`--html` names a folder",
        lambda t: cli(main, ["explain", "good", "--html", str(t)]),
        CliExit,
        "is a directory: give a file name",
        2,
    ),
    Case(
        "attnzoo explain",
        "`--checkpoint` missing",
        lambda t: cli(main, ["explain", "good", "--checkpoint", str(t / "none.safetensors")]),
        CliExit,
        "no sentiment model at",
        2,
    ),
    Case(
        "attnzoo read",
        "`--plot` in a read-only folder (`/proc`)",
        lambda t: cli(main, ["read", str(t / "x.png"), "--checkpoint", str(t), "--plot", "/proc/x.png"]),
        CliExit,
        "is not writable",
        2,
    ),
]
if not _LINUX:  # /sys and /proc are Linux's: there the rows above run even as root
    CASES = [c for c in CASES if "/sys" not in c.case and "/proc" not in c.case]
