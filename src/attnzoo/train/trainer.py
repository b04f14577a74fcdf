"""``Trainer``: the one training loop (progress, evaluation, metrics, checkpoints, resume, signals, DDP)."""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import Dataset
from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from attnzoo.train._rundir import BEST, LAST, PREV, _Progress
from attnzoo.train._runtime import (
    _check_args,
    _epoch_loader,
    _fmt,
    _Mean,
    _process_settings,
    _step_output,
    _StopSignals,
    _to_device,
)
from attnzoo.train._trainer_eval import _EvalMixin
from attnzoo.train._trainer_save import _SaveMixin
from attnzoo.train.config import TrainConfig
from attnzoo.train.distributed import DistInfo, _all_reduce, setup_distributed
from attnzoo.train.metrics import METRICS_FILE, _MetricsLog

__all__ = ["BEST", "LAST", "PREV", "EvalFn", "StepFn", "Trainer"]

_log = logging.getLogger("attnzoo.train")

StepFn = Callable[[torch.nn.Module, Any], tuple[torch.Tensor, Mapping[str, float]]]
EvalFn = Callable[[torch.nn.Module], Mapping[str, float]]


class Trainer(_EvalMixin, _SaveMixin):
    """Train ``model`` on ``train_dataset`` with ``step_fn``; see the package docstring for an example.

    Args:
        model: any ``nn.Module``; moved to the config's device (wrapped in DDP under torchrun).
        optimizer: built on ``model.parameters()``.
        train_dataset: a map-style dataset (``__len__`` and ``__getitem__``).
        step_fn: ``step_fn(model, batch) -> (loss, {name: float})``; it must call ``model(...)`` (so DDP
            syncs gradients); the trainer does ``zero_grad``, ``backward``, clipping and ``optimizer.step``.
        config: a :class:`TrainConfig`.
        eval_fn: ``eval_fn(model) -> {name: float}``, run on rank 0 in eval mode under ``no_grad``; its
            numbers appear in epoch records as ``eval/<name>`` (or, with ``config.eval_every_steps``, in
            ``"eval"`` records every N steps: see :attr:`evals`).
        collate_fn: passed to the DataLoader.
        scheduler: optional LR scheduler, stepped per ``config.scheduler_interval``
            (``ReduceLROnPlateau`` gets ``best_metric`` at epoch ends).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        train_dataset: Dataset,
        *,
        step_fn: StepFn,
        config: TrainConfig,
        eval_fn: EvalFn | None = None,
        collate_fn: Callable | None = None,
        scheduler: Any | None = None,
    ) -> None:
        _check_args(model, optimizer, train_dataset, step_fn, config, eval_fn, collate_fn, scheduler)
        self.best_metric = config.best_metric or ("eval/loss" if eval_fn is not None else "train/loss")
        if self.best_metric.startswith("eval/") and eval_fn is None:
            raise ValueError(f"best_metric {self.best_metric!r} needs an eval_fn; or use a 'train/...' key")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.train_dataset, self.collate_fn = train_dataset, collate_fn
        self.step_fn, self.eval_fn, self.config = step_fn, eval_fn, config
        self.out_dir = Path(config.out_dir)
        self.interrupted: str | None = None  # name of the signal that stopped the last fit(), if any
        self._p = _Progress()
        self._pending_best = False  # an evaluation improved best_metric since the last save

    @property
    def history(self) -> list[dict[str, Any]]:
        """The epoch records so far (also in ``metrics.jsonl`` with ``kind == "epoch"``)."""
        return list(self._p.history)

    @property
    def evals(self) -> list[dict[str, Any]]:
        """The evaluations by steps so far (``kind == "eval"`` in ``metrics.jsonl``), oldest first."""
        return list(self._p.evals)

    def fit(self, *, load_best: bool = False) -> list[dict[str, Any]]:
        """Train (or resume) until ``epochs``/``max_steps`` or a SIGINT/SIGTERM; return the epoch records.

        Args:
            load_best: after training to the end, load the best weights (:meth:`load_best`); not after
                an interruption, which leaves the last weights in place.
        """
        with _process_settings(self.config):
            info = setup_distributed(self.config.device)
            try:
                history = self._fit(info)
            finally:
                if info.created_group:
                    dist.destroy_process_group()
        if load_best and self.interrupted is None:
            self.load_best()
        return history

    def _fit(self, info: DistInfo) -> list[dict[str, Any]]:
        cfg = self.config
        if cfg.batch_size % info.world_size:
            raise ValueError(f"batch_size {cfg.batch_size} is not divisible by {info.world_size} processes")
        self._info, self.interrupted = info, None
        self._metrics = _MetricsLog(self.out_dir / METRICS_FILE, enabled=info.is_main)
        self.model.to(info.device).train()
        self._start()
        net = self.model
        if info.distributed:
            ids = [info.device.index] if info.device.type == "cuda" else None
            net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if cfg.compile:  # only the training steps: eval_fn and the checkpoints use self.model
            net = torch.compile(net, backend=cfg.compile_backend)
        if self._done() and info.is_main:
            _log.info("nothing to do: the run in %s is complete (step %d)", self.out_dir, self._p.step)
        show = cfg.progress and info.is_main and sys.stderr.isatty()
        with _StopSignals() as stop, logging_redirect_tqdm() if show else contextlib.nullcontext():
            while not self._done() and self.interrupted is None:
                self._run_epoch(net, stop, show)
        p = self._p
        if self.interrupted is None and p.best is not None and info.is_main:
            _log.info("done: best %s = %.6g at epoch %s", self.best_metric, p.best, p.best_epoch)
        return self.history

    # ---- the loop ---------------------------------------------------------------------------------------
    def _done(self) -> bool:
        cfg, p = self.config, self._p
        return p.epoch >= cfg.epochs or (cfg.max_steps is not None and p.step >= cfg.max_steps)

    def _run_epoch(self, net: torch.nn.Module, stop: _StopSignals, show: bool) -> None:
        cfg, p, info = self.config, self._p, self._info
        loader, n_batches = _epoch_loader(
            self.train_dataset,
            epoch=p.epoch,
            start_batch=p.batch,
            info=info,
            config=cfg,
            collate_fn=self.collate_fn,
        )
        if n_batches == 0:
            raise ValueError(
                f"train_dataset ({len(self.train_dataset)} samples) gives no full batch of {cfg.batch_size}"
            )  # type: ignore[arg-type]
        start = time.monotonic()
        bar = tqdm(
            total=n_batches,
            initial=p.batch,
            desc=f"epoch {p.epoch + 1}/{cfg.epochs}",
            disable=not show,
            leave=False,
            dynamic_ncols=True,
        )
        with bar:
            for batch in loader:
                values, stop_now = self._step(net, batch, stop)
                p.step, p.batch = p.step + 1, p.batch + 1
                p.epoch_mean.add(values)
                p.window.add(values)
                bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
                bar.update()
                if p.step % cfg.log_every == 0:
                    self._log_window()
                evaluated = self._eval_due()
                if evaluated:  # before a stop: a resumed run does not redo this step, nor its evaluation
                    self._eval_point()
                if stop_now:
                    self._save()
                    self._announce_stop(stop.received)
                    return
                if cfg.max_steps is not None and p.step >= cfg.max_steps:
                    break
                every = cfg.checkpoint_every
                if (evaluated or (every and p.step % every == 0)) and p.batch < n_batches:
                    self._save()  # the epoch end saves anyway
        self._end_epoch(complete=p.batch >= n_batches, seconds=time.monotonic() - start)

    def _step(self, net: torch.nn.Module, batch: Any, stop: _StopSignals) -> tuple[dict[str, float], bool]:
        cfg, p = self.config, self._p
        self.optimizer.zero_grad(set_to_none=True)
        loss, values = _step_output(self.step_fn(net, _to_device(batch, self._info.device)))
        # Agree across ranks before backward (a collective): stop together, fail together.
        bad, stop_now = _all_reduce(
            [float(not math.isfinite(values["loss"])), float(stop.received is not None)], self._info, "max"
        )
        if bad:
            raise FloatingPointError(
                f"loss is {values['loss']} at step {p.step + 1} (epoch {p.epoch + 1}); the last checkpoint "
                f"in {self.out_dir} is from before it: lower the learning rate or set grad_clip"
            )
        loss.backward()
        if cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None and cfg.scheduler_interval == "step":
            self.scheduler.step()
        # One process needs no agreement, so a signal that came during backward stops after this step too.
        return values, bool(stop_now) or (not self._info.distributed and stop.received is not None)

    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _log_window(self) -> None:
        p = self._p
        record = {"kind": "train", "epoch": p.epoch + 1, "step": p.step, **p.window.means(), "lr": self._lr()}
        self._metrics.append(record)
        p.window = _Mean()
        if self._info.is_main:
            _log.info(
                "epoch %d step %d: %s", p.epoch + 1, p.step, _fmt(record, skip=("kind", "epoch", "step"))
            )

    def _end_epoch(self, complete: bool, seconds: float) -> None:
        cfg, p = self.config, self._p
        record: dict[str, Any] = {
            "kind": "epoch",
            "epoch": p.epoch + 1,
            "step": p.step,
            **self._p.epoch_mean.reduce(self._info).means("train/"),
        }
        if complete:
            p.epoch, p.batch, p.epoch_mean = p.epoch + 1, 0, _Mean()
        else:
            record["partial"] = True  # cut short by max_steps
        if self.eval_fn is not None and cfg.eval_every_steps is None:
            if (complete and p.epoch % cfg.eval_every == 0) or self._done():
                record.update(self._evaluate())
        elif self.eval_fn is not None and self._done() and p.last_eval_step != p.step:
            self._eval_point()  # the final weights are always evaluated
        record.update(lr=self._lr(), seconds=round(seconds, 3))
        error = None
        try:
            improved = self._update_best(record)
        except ValueError as e:  # a misnamed best_metric: keep the epoch's work, then say so
            improved, error = False, e
        record["best"] = improved
        self._metrics.append(record)
        p.history.append(record)
        if self.scheduler is not None and cfg.scheduler_interval == "epoch" and complete:
            if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                if self.best_metric in record:
                    self.scheduler.step(record[self.best_metric])
            else:
                self.scheduler.step()
        if self._info.is_main:
            _log.info("epoch %d done: %s", record["epoch"], _fmt(record, skip=("kind", "epoch")))
        self._save(best=improved)
        if error is not None:
            raise error
