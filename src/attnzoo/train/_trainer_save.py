"""The saving half of :class:`~attnzoo.train.Trainer`: starting or resuming a run directory, checkpoints,
loading the best weights back, and saying how to resume after a signal."""

from __future__ import annotations

import logging
import signal

import torch

from attnzoo.train._rundir import BEST, LAST, PREV, _find_checkpoint, _prepare_fresh, _Progress, _restore
from attnzoo.train.atomic import atomic_write_bytes
from attnzoo.train.checkpoint import _checkpoint_bytes, load_weights
from attnzoo.train.distributed import _all_gather_json, _barrier
from attnzoo.train.interrupted import TrainingInterrupted
from attnzoo.train.seeding import get_rng_state, seed_everything

_log = logging.getLogger("attnzoo.train")


class _SaveMixin:
    """Run directory and checkpoints; mixed into ``Trainer`` (which owns the state it uses)."""

    def load_best(self) -> torch.nn.Module:
        """Load ``out_dir/best.safetensors`` (the best by ``best_metric``) into the model; return the model.

        Raises:
            FileNotFoundError: no best checkpoint yet (nothing trained, or no evaluation happened).
        """
        path = self.out_dir / BEST
        if not path.is_file():
            raise FileNotFoundError(
                f"no {BEST} in {self.out_dir}: fit() has not saved a best checkpoint yet (best_metric "
                f"{self.best_metric!r} was never recorded)"
            )
        load_weights(self.model, path)
        return self.model

    def raise_if_interrupted(self) -> None:
        """Raise :class:`TrainingInterrupted` if a signal stopped the last ``fit()``; else do nothing."""
        if self.interrupted is not None:
            raise TrainingInterrupted(self.interrupted, self.out_dir, self.config.resume_hint)

    def _start(self) -> None:
        cfg, info = self.config, self._info
        self._pending_best = False
        if info.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            for tmp in self.out_dir.glob(".*.tmp"):  # left by a kill during an atomic write; never complete
                tmp.unlink(missing_ok=True)
        _barrier(info)
        ckpt = _find_checkpoint(self.out_dir) if cfg.resume else None
        if ckpt is None:
            if cfg.resume:
                _log.info("resume: no checkpoint in %s, starting a fresh run", self.out_dir)
            _prepare_fresh(self.out_dir, cfg, info)
            seed_everything((cfg.seed + info.rank) % 2**32)
            self._p = _Progress()
            return
        self._p = _restore(ckpt, self.model, self.optimizer, self.scheduler, cfg, info)
        self._metrics.truncate(self._p.metrics_lines)
        p = self._p
        _log.info("resumed from %s at epoch %d, batch %d (step %d)", ckpt.path, p.epoch + 1, p.batch, p.step)

    def _save(self, best: bool = False) -> None:
        """Write ``last`` (old one -> ``prev``), and ``best`` if asked or an evaluation since the last save
        improved it; every rank takes part (RNG gather)."""
        best, self._pending_best = best or self._pending_best, False
        self._p.epoch_mean.reduce(self._info)  # rank 0 now holds the global sums, which it checkpoints
        self._p.metrics_lines = self._metrics.lines
        rng = _all_gather_json(get_rng_state(), self._info)
        if self._info.is_main:
            state = {
                "config": self.config.to_dict(),
                "world_size": self._info.world_size,
                "rng": rng,
                "progress": self._p.to_dict(),
            }
            data = _checkpoint_bytes(
                self.model, optimizer=self.optimizer, scheduler=self.scheduler, state=state
            )
            atomic_write_bytes(self.out_dir / LAST, data, backup=self.out_dir / PREV)
            if best:
                atomic_write_bytes(self.out_dir / BEST, data)
        _barrier(self._info)

    def _announce_stop(self, signum: int | None) -> None:
        p = self._p
        self.interrupted = signal.Signals(signum).name if signum is not None else "a signal (on another rank)"
        if self._info.is_main:
            _log.warning(
                "stopped by %s at step %d (epoch %d, batch %d); checkpoint saved to %s. To resume, run the "
                "same command again with %s (TrainConfig(resume=True)) and the same out_dir.",
                self.interrupted,
                p.step,
                p.epoch + 1,
                p.batch,
                self.out_dir / LAST,
                self.config.resume_hint,
            )
