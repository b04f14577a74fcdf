"""The run directory: which files a run owns, where it stands (``_Progress``), starting fresh, resuming."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from attnzoo.train._runtime import _Mean
from attnzoo.train.checkpoint import Checkpoint, CheckpointError, _unwrap, load_checkpoint
from attnzoo.train.config import TrainConfig
from attnzoo.train.distributed import DistInfo, _barrier
from attnzoo.train.metrics import METRICS_FILE
from attnzoo.train.seeding import set_rng_state

_log = logging.getLogger("attnzoo.train")

LAST, PREV, BEST = "last.safetensors", "prev.safetensors", "best.safetensors"
# Changing these between a run and its resumption changes the trajectory (a warning says so).
_TRAJECTORY_FIELDS = ("batch_size", "seed", "shuffle", "drop_last", "grad_clip", "scheduler_interval")


@dataclass
class _Progress:
    """Where the run stands; stored in every checkpoint so a resumed run carries on exactly."""

    epoch: int = 0  # completed epochs
    batch: int = 0  # batches done in the current epoch
    step: int = 0  # optimizer steps done
    best: float | None = None  # best value of best_metric so far
    best_epoch: int | None = None
    metrics_lines: int = 0  # records in metrics.jsonl
    history: list[dict[str, Any]] = field(default_factory=list)  # the epoch records
    evals: list[dict[str, Any]] = field(default_factory=list)  # the eval records (eval_every_steps)
    last_eval_step: int | None = None  # step of the latest evaluation by steps
    epoch_mean: _Mean = field(default_factory=_Mean)  # running train means of the current epoch
    window: _Mean = field(default_factory=_Mean)  # running means since the last "train" record

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["epoch_mean"], d["window"] = self.epoch_mean.to_dict(), self.window.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> _Progress:
        d = dict(d)
        d["epoch_mean"], d["window"] = _Mean.from_dict(d["epoch_mean"]), _Mean.from_dict(d["window"])
        return cls(**d)


def _prepare_fresh(out: Path, config: TrainConfig, info: DistInfo) -> None:
    """Make ``out`` ready for a new run: refuse to clobber an old one unless ``overwrite`` (or ``resume``)."""
    existing = [f for f in (LAST, PREV, BEST, METRICS_FILE) if (out / f).exists()]
    if existing and not (config.overwrite or config.resume):
        raise FileExistsError(
            f"{out} already holds a run ({', '.join(existing)}): continue it with {config.resume_hint} "
            "(TrainConfig(resume=True)), start over with overwrite=True, or pick another out_dir"
        )
    _barrier(info)  # every rank has looked before rank 0 deletes
    if info.is_main:
        for f in existing:
            (out / f).unlink(missing_ok=True)
    _barrier(info)


def _find_checkpoint(out: Path) -> Checkpoint | None:
    """The newest readable checkpoint of last -> prev -> best, warning about each bad one skipped."""
    errors = []
    for name in (LAST, PREV, BEST):
        path = out / name
        if not path.exists():
            continue
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as e:
            _log.warning("cannot resume from %s: %s; trying an older checkpoint", path, e)
            errors.append(str(e))
            continue
        if errors:
            _log.warning("resuming from the older checkpoint %s", path)
        return ckpt
    if errors:
        raise CheckpointError(f"no usable checkpoint in {out}: " + " | ".join(errors))
    return None


def _restore(
    ckpt: Checkpoint,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any | None,
    config: TrainConfig,
    info: DistInfo,
) -> _Progress:
    """Load weights, optimizer, scheduler and this rank's RNG state; return the saved progress."""
    state = ckpt.state
    _unwrap(model).load_state_dict(ckpt.model)
    for name, obj, sd in (("optimizer", optimizer, ckpt.optimizer), ("scheduler", scheduler, ckpt.scheduler)):
        if obj is not None and sd is None:
            _log.warning("%s has no %s state; the %s starts fresh", ckpt.path, name, name)
        elif obj is not None:
            obj.load_state_dict(sd)
    old = state.get("config", {})
    changed = [
        f"{k}: {old.get(k)!r} -> {getattr(config, k)!r}"
        for k in _TRAJECTORY_FIELDS
        if old.get(k) != getattr(config, k)
    ]
    if state.get("world_size") != info.world_size:
        changed.append(f"processes: {state.get('world_size')} -> {info.world_size}")
    if changed:
        _log.warning(
            "resuming with other settings, so the run will differ from an uninterrupted one: %s", changed
        )
    rng = state["rng"]
    set_rng_state(rng[info.rank] if info.rank < len(rng) else rng[0])
    progress = _Progress.from_dict(state["progress"])
    if not info.is_main:  # rank 0's checkpointed sums are already the global ones (Trainer._reduced_means)
        m = progress.epoch_mean
        m.sums, m.count = (None if m.sums is None else [0.0] * len(m.sums)), 0
    return progress
