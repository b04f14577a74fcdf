"""``TrainingInterrupted``: how every recipe ends when SIGINT/SIGTERM stopped its training."""

from __future__ import annotations

from pathlib import Path

__all__ = ["TrainingInterrupted"]


class TrainingInterrupted(Exception):  # noqa: N818  (a stop, not an error: like KeyboardInterrupt)
    """Training stopped by a signal after saving a checkpoint; rerun with the resume option to continue.

    Raised by recipes when :attr:`Trainer.interrupted` is set (see :meth:`Trainer.raise_if_interrupted`);
    the CLI turns it into one message and exit code 130, whatever the recipe.

    Attributes:
        signal: the signal's name, e.g. ``"SIGINT"``.
        run_dir: the run folder holding the checkpoint to resume from.
        resume_hint: how to resume, e.g. ``"--resume"``.
    """

    def __init__(self, signal: str, run_dir: str | Path, resume_hint: str = "--resume") -> None:
        self.signal, self.run_dir, self.resume_hint = signal, Path(run_dir), resume_hint
        super().__init__(
            f"training stopped by {signal}; checkpoint saved in {self.run_dir}. To continue, run the same "
            f"command again with {resume_hint}"
        )

    def __reduce__(self):  # pickles with its fields, so it crosses from a worker process intact
        return type(self), (self.signal, self.run_dir, self.resume_hint)
