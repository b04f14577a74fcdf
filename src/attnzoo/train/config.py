"""``TrainConfig``: everything the training loop needs besides the model, data and optimizer."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainConfig"]

_INTERVALS = ("step", "epoch")
_MODES = ("min", "max")


@dataclass(frozen=True)
class TrainConfig:
    """How to train; bad values raise ``TypeError``/``ValueError`` naming the field on construction."""

    out_dir: str  # run directory: metrics.jsonl, last/prev/best.safetensors
    epochs: int = 1  # passes over the training set
    batch_size: int = 32  # GLOBAL batch: split evenly over the processes under DDP
    seed: int = 0  # seeds the RNGs (seed + rank per process) and the data order
    shuffle: bool = True  # reshuffle the training set each epoch (order depends only on seed and epoch)
    drop_last: bool = False  # drop the last incomplete batch of each epoch
    checkpoint_every: int | None = (
        None  # also save `last` every N optimizer steps (mid-epoch); None: epoch ends only
    )
    eval_every: int = 1  # run eval_fn every N epochs (and always after the final one)
    # run eval_fn every N optimizer steps (and after the final step) INSTEAD of at epoch ends; each is an
    # "eval" record in metrics.jsonl and a candidate for best.safetensors. None: epoch ends, per eval_every
    eval_every_steps: int | None = None
    best_metric: str | None = (
        None  # epoch-record key for best.safetensors; None: "eval/loss" with eval_fn, else "train/loss"
    )
    best_mode: str = "min"  # "min" or "max": which direction of best_metric is better
    max_steps: int | None = None  # stop after this many optimizer steps in total (None: run all epochs)
    grad_clip: float | None = None  # clip the global gradient norm to this value (None: no clipping)
    scheduler_interval: str = "step"  # call scheduler.step() after every "step" or every "epoch"
    log_every: int = 50  # steps between "train" records in metrics.jsonl / log lines
    num_workers: int = 0  # DataLoader worker processes
    num_threads: int | None = None  # torch.set_num_threads (None: leave torch's default)
    deterministic: bool = False  # torch.use_deterministic_algorithms & co (slower, reproducible kernels)
    device: str | None = None  # "cpu", "cuda"...; None: cuda:<local rank> if available, else cpu
    resume: bool = False  # continue the run found in out_dir (a fresh start if it holds none)
    overwrite: bool = False  # allow a fresh start to delete the checkpoints/metrics already in out_dir
    progress: bool = True  # tqdm bar on rank 0 (shown only when stderr is a terminal)
    resume_hint: str = "--resume"  # how to resume, quoted in the message after SIGINT/SIGTERM
    # torch.compile the model for the training steps (eval_fn and checkpoints see the plain module). The
    # first step pays the compile (tens of seconds on CPU); a recipe says where it was measured to pay
    compile: bool = False
    compile_backend: str = "inductor"  # torch.compile's backend ("eager": dynamo's tracing only, for tests)

    def __post_init__(self) -> None:
        if isinstance(self.out_dir, os.PathLike):
            object.__setattr__(self, "out_dir", os.fspath(self.out_dir))
        _check_type("out_dir", self.out_dir, str)
        if not self.out_dir:
            raise ValueError("out_dir must be a non-empty path")
        for name in ("epochs", "batch_size", "eval_every", "log_every"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("seed", self.seed, minimum=0, maximum=2**32 - 1)
        _check_int("num_workers", self.num_workers, minimum=0)
        for name in ("checkpoint_every", "eval_every_steps", "max_steps", "num_threads"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), minimum=1)
        for name in ("shuffle", "drop_last", "deterministic", "resume", "overwrite", "progress", "compile"):
            _check_type(name, getattr(self, name), bool)
        if self.grad_clip is not None:
            _check_type("grad_clip", self.grad_clip, int | float)
            if not self.grad_clip > 0 or self.grad_clip == float("inf"):
                raise ValueError(f"grad_clip must be a positive finite number or None, got {self.grad_clip}")
        _check_choice("best_mode", self.best_mode, _MODES)
        _check_choice("scheduler_interval", self.scheduler_interval, _INTERVALS)
        if self.best_metric is not None:
            _check_type("best_metric", self.best_metric, str)
            if not self.best_metric:
                raise ValueError("best_metric must be a non-empty record key such as 'eval/acc', or None")
        if self.device is not None:
            _check_type("device", self.device, str)
        _check_type("resume_hint", self.resume_hint, str)
        _check_type("compile_backend", self.compile_backend, str)
        if self.eval_every_steps is not None and self.eval_every != 1:
            raise ValueError(
                f"eval_every={self.eval_every} and eval_every_steps={self.eval_every_steps} contradict each "
                "other: evaluate by epochs or by steps, not both"
            )
        if self.resume and self.overwrite:
            raise ValueError("resume=True and overwrite=True contradict each other: pick one")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-able dict (stored in every checkpoint)."""
        return dataclasses.asdict(self)


def _check_type(name: str, value: Any, kind: Any) -> None:
    ok = False if isinstance(value, bool) and kind is not bool else isinstance(value, kind)
    if not ok:
        expected = getattr(kind, "__name__", None) or str(kind)
        raise TypeError(f"TrainConfig.{name} must be {expected}, got {type(value).__name__} {value!r}")


def _check_int(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> None:
    _check_type(name, value, int)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"TrainConfig.{name} must be >= {minimum}{upper}, got {value}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"TrainConfig.{name} must be one of {list(choices)}, got {value!r}")
