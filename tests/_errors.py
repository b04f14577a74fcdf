"""The rows of docs/errors.md: what each bad input gets. Each row is also a test (tests/test_errors_doc.py).

To add rows (API, CLI, loaders, ...): write ``tests/_errors_<area>.py`` with ``SECTION`` (a heading),
``INTRO`` (one line) and ``CASES`` (a list of :class:`Case`), then regenerate the page with
``ATTNZOO_WRITE_DOCS=1 python -m pytest -q tests/test_errors_doc.py`` and commit both.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Case", "CliExit", "cli", "render"]


class CliExit(Exception):  # noqa: N818  (not an error of the library: a command's non-zero exit)
    """A command-line entry point returned a non-zero status; ``str`` holds the status and its stderr."""

    def __init__(self, code: int, stderr: str):
        super().__init__(f"exit {code}: {stderr}")
        self.code = code


def cli(main: Callable[[Sequence[str]], int], argv: Sequence[str]) -> None:
    """Run ``main(argv)`` capturing its output; raise :class:`CliExit` if it returns non-zero."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    if code:
        raise CliExit(code, err.getvalue())


@dataclass(frozen=True)
class Case:
    """One bad input and what it gets."""

    where: str  # the function or command, e.g. "read_idx" or "attnzoo data verify"
    case: str  # the bad input, in a few words
    call: Callable[[Path], Any]  # makes the input under a fresh folder and makes the call
    raises: type[BaseException]  # the exact type expected (CliExit for a command's non-zero exit)
    fragment: str  # text the message (for a command: its stderr) contains; no paths
    exit_code: int | None = None  # for CliExit: the status expected

    def gets(self) -> str:
        return f"exit {self.exit_code}" if self.raises is CliExit else f"`{self.raises.__name__}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(sections: Sequence[tuple[str, str, Sequence[Case]]]) -> str:
    """docs/errors.md from ``(heading, intro, cases)`` sections."""
    lines = [
        "# What each bad input gets",
        "",
        "Generated from `tests/_errors_*.py` by `tests/test_errors_doc.py`, which also runs every row:",
        "each call must raise exactly the type shown with a message containing the text shown (for a",
        "command: that exit status, the text on stderr). Regenerate with",
        "`ATTNZOO_WRITE_DOCS=1 python -m pytest -q tests/test_errors_doc.py`; do not edit by hand.",
    ]
    for heading, intro, cases in sections:
        lines += ["", f"## {heading}", "", intro, "", "| Where | Bad input | Gets | Message contains |"]
        lines.append("|---|---|---|---|")
        for c in cases:
            lines.append(f"| `{_cell(c.where)}` | {_cell(c.case)} | {c.gets()} | {_cell(c.fragment)} |")
    return "\n".join(lines) + "\n"
