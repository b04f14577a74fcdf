"""The evaluating half of :class:`~attnzoo.train.Trainer`: running ``eval_fn``, eval records every N steps,
and keeping track of the best value of ``best_metric``."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import torch

from attnzoo.train._runtime import _as_float, _fmt
from attnzoo.train.distributed import _broadcast_json

_log = logging.getLogger("attnzoo.train")


class _EvalMixin:
    """Evaluation and best-checkpoint selection; mixed into ``Trainer`` (which owns the state it uses)."""

    def _eval_due(self) -> bool:
        """An evaluation by steps is due after this step (``eval_every_steps``)."""
        n, p = self.config.eval_every_steps, self._p
        return self.eval_fn is not None and n is not None and p.step % n == 0

    def _eval_point(self) -> None:
        """Evaluate now, append an ``"eval"`` record, and mark ``best`` to be written by the next save."""
        p = self._p
        record: dict[str, Any] = {"kind": "eval", "epoch": p.epoch + 1, "step": p.step, **self._evaluate()}
        improved = self.best_metric.startswith("eval/") and self._update_best(record)
        record["best"] = improved
        self._pending_best = self._pending_best or improved
        p.last_eval_step = p.step
        p.evals.append(record)
        self._metrics.append(record)
        if self._info.is_main:
            _log.info("step %d eval: %s", p.step, _fmt(record, skip=("kind", "epoch", "step")))

    def _evaluate(self) -> dict[str, float]:
        metrics = None
        if self._info.is_main:
            was_training = self.model.training
            self.model.eval()
            try:
                with torch.no_grad():
                    out = self.eval_fn(self.model)  # type: ignore[misc]
            finally:
                self.model.train(was_training)
            if not isinstance(out, Mapping):
                raise TypeError(f"eval_fn must return a dict of numbers, got {type(out).__name__}")
            metrics = {f"eval/{k}": _as_float(v, f"eval_fn metric {k!r}") for k, v in out.items()}
        return _broadcast_json(metrics, self._info)

    def _update_best(self, record: dict[str, Any]) -> bool:
        key, p = self.best_metric, self._p
        if key not in record:
            if key.startswith("eval/") and not any(k.startswith("eval/") for k in record):
                return False  # no evaluation this epoch
            raise ValueError(
                f"best_metric {key!r} is not in the epoch record; it has {sorted(record)} "
                "(the epoch is saved: fix best_metric and resume)"
            )
        value = record[key]
        if not math.isfinite(value):
            _log.warning("%s is %s at epoch %d; not a candidate for best", key, value, record["epoch"])
            return False
        better = p.best is None or (value < p.best if self.config.best_mode == "min" else value > p.best)
        if better:
            p.best, p.best_epoch = value, record["epoch"]
        return better
