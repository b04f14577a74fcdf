"""``attnzoo run RECIPE`` in child processes, for the kill -9 then ``--resume`` tests (test_kill_resume.py).

Children come from a multiprocessing *forkserver* that has imported torch and the CLI once: each is a
fresh process (its own signal handlers, killable) without torch's import cost. A child started with
``block_after_save`` writes ``marker`` once its first checkpoint is on disk, then waits forever: the parent
waits for that file and SIGKILLs it, so the kill comes after a checkpoint and before the run ends whatever
the machine's speed.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from pathlib import Path

__all__ = ["launch"]


def _block_after_first_save(marker: Path) -> None:
    from attnzoo.train import Trainer

    real = Trainer._save

    def save(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        marker.write_text(str(self.out_dir))  # the checkpoint is complete (atomic writes): say so
        threading.Event().wait()  # until SIGKILL
        return out

    Trainer._save = save


def run_job(argv: list[str], log: str, marker: str | None) -> None:
    """``attnzoo`` with ``argv``, stdout and stderr to ``log``; exit with the command's status."""
    import torch

    from attnzoo.cli import main

    torch.set_num_threads(1)
    if marker is not None:
        _block_after_first_save(Path(marker))
    with open(log, "w") as f:
        sys.stdout = sys.stderr = f
        code = main(argv)
    sys.exit(code)


_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["torch", "numpy", "attnzoo.cli", "attnzoo.recipes"])


def launch(argv: list[str], log: Path, marker: Path | None = None) -> multiprocessing.Process:
    proc = _CTX.Process(target=run_job, args=(argv, str(log), None if marker is None else str(marker)))
    proc.daemon = True
    proc.start()
    return proc
