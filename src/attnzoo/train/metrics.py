"""``metrics.jsonl``: one JSON object a line, appended by rank 0 as training goes.

Records have ``"kind"``: ``"train"`` (every ``log_every`` steps: ``loss`` and the step metrics averaged
over the window; under DDP, rank 0's share of the batches) or ``"epoch"`` (at each epoch end:
``train/<name>`` epoch means over all ranks, ``eval/<name>`` from ``eval_fn``, ``lr``, ``seconds``,
``best``), and always ``epoch`` (1-based) and ``step`` (optimizer steps so far). Non-finite numbers are
written as ``NaN``/``Infinity``, which Python's ``json`` reads back.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from attnzoo.train.atomic import atomic_write_text

__all__ = ["METRICS_FILE", "read_metrics"]

METRICS_FILE = "metrics.jsonl"

_log = logging.getLogger("attnzoo.train")


def read_metrics(path: str | os.PathLike, kind: str | None = None) -> list[dict[str, Any]]:
    """Read the records of a ``metrics.jsonl`` file.

    A last line cut short by a kill is skipped with a warning; a bad line elsewhere is an error.

    Args:
        path: the file, or the run directory holding ``metrics.jsonl``.
        kind: keep only records of this kind (``"train"`` or ``"epoch"``); None keeps all.

    Returns:
        The records, oldest first.
    """
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no metrics file at {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            if number == len(lines):
                _log.warning("%s: ignoring an incomplete last line %d (%s)", path, number, e)
                continue
            raise ValueError(f"{path}:{number}: not a JSON record: {e}") from e
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
        if kind is None or record.get("kind") == kind:
            records.append(record)
    return records


class _MetricsLog:
    """Appends records (flushed and fsynced, so a kill loses at most the line being written)."""

    def __init__(self, path: Path, enabled: bool) -> None:
        self.path = path
        self.enabled = enabled
        self.lines = 0  # complete records written; stored in checkpoints to cut the file back on resume

    def append(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self.lines += 1

    def truncate(self, lines: int) -> None:
        """Keep the first ``lines`` records (those the checkpoint we resume from had seen)."""
        self.lines = lines
        if not self.enabled:
            return
        kept: list[str] = []
        if self.path.is_file():
            kept = [ln for ln in self.path.read_text(encoding="utf-8").splitlines() if ln.strip()][:lines]
        if len(kept) < lines:
            _log.warning("%s holds %d records but the checkpoint expects %d", self.path, len(kept), lines)
        atomic_write_text(self.path, "".join(ln + "\n" for ln in kept))
