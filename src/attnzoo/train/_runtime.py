"""Helpers of the training loop: data order, batches to device, stop signals, running means."""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from attnzoo.train.config import TrainConfig
from attnzoo.train.distributed import DistInfo, _all_reduce
from attnzoo.train.seeding import set_deterministic

_log = logging.getLogger("attnzoo.train")


class _SkipSampler(Sampler[int]):
    """The indices of ``base`` from position ``start`` on: resuming mid-epoch without replaying batches."""

    def __init__(self, base: Sampler[int], start: int) -> None:
        self.base = base
        self.start = start

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(iter(self.base), self.start, None)

    def __len__(self) -> int:
        return max(0, len(self.base) - self.start)  # type: ignore[arg-type]


def _epoch_loader(
    dataset: Dataset,
    *,
    epoch: int,
    start_batch: int,
    info: DistInfo,
    config: TrainConfig,
    collate_fn: Callable | None,
) -> tuple[DataLoader, int]:
    """This rank's loader for ``epoch`` starting at batch ``start_batch``, and the epoch's batch count.

    The order is a function of (seed, epoch) only, so a resumed run sees the batches the uninterrupted run
    would have seen. Under DDP each rank reads every ``world_size``-th index (``DistributedSampler``), so the
    union of the ranks' batches is the single-process batch of ``batch_size`` samples (up to the few
    repeated samples DistributedSampler pads with when ``len(dataset)`` is not a multiple of ``world_size``).
    """
    per_rank = config.batch_size // info.world_size
    sampler = DistributedSampler(
        dataset,
        num_replicas=info.world_size,
        rank=info.rank,
        shuffle=config.shuffle,
        seed=config.seed,
        drop_last=config.drop_last,
    )
    sampler.set_epoch(epoch)
    n = len(sampler)
    n_batches = n // per_rank if config.drop_last else math.ceil(n / per_rank)
    # A private generator: the DataLoader draws its worker base seed from it, not from the global RNG,
    # so making a loader mid-run does not shift the random stream the model sees.
    gen = torch.Generator().manual_seed((config.seed * 1_000_003 + epoch * 7_919 + info.rank) % 2**63)
    loader = DataLoader(
        dataset,
        batch_size=per_rank,
        sampler=_SkipSampler(sampler, start_batch * per_rank),
        drop_last=config.drop_last,
        num_workers=config.num_workers,
        collate_fn=collate_fn,
        generator=gen,
        pin_memory=info.device.type == "cuda",
    )
    return loader, n_batches


def _to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) batch to ``device``; other leaves pass through."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        moved = {k: _to_device(v, device) for k, v in batch.items()}
        try:
            return type(batch)(moved)  # type: ignore[call-arg]
        except TypeError:  # a mapping type that cannot be built from a dict
            return moved
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # namedtuple
        return type(batch)(*(_to_device(v, device) for v in batch))
    if isinstance(batch, list | tuple):
        return type(batch)(_to_device(v, device) for v in batch)
    return batch


@contextlib.contextmanager
def _process_settings(config: TrainConfig) -> Iterator[None]:
    """Apply ``num_threads`` and ``deterministic`` for the duration of ``fit``, then put them back."""
    threads = torch.get_num_threads()
    det = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    if config.deterministic:
        set_deterministic(True)
    try:
        yield
    finally:
        if config.num_threads is not None:
            torch.set_num_threads(threads)
        if config.deterministic:
            torch.use_deterministic_algorithms(det[0], warn_only=det[1])
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


class _StopSignals:
    """Turn the first SIGINT/SIGTERM into a flag checked after each step; a second one acts at once."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():  # signal.signal only works there
            for sig in self._SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = signum
        signal.signal(signum, self._old.get(signum, signal.SIG_DFL))
        _log.warning(
            "received %s: finishing the current step, then saving a checkpoint (again to stop at once)",
            signal.Signals(signum).name,
        )

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


class _Mean:
    """Running sums of the loss and step metrics; the names are fixed by the first step."""

    def __init__(
        self, names: list[str] | None = None, sums: list[float] | None = None, count: int = 0
    ) -> None:
        self.names = names
        self.sums = sums
        self.count = count

    def add(self, values: Mapping[str, float]) -> None:
        names = sorted(values, key=lambda n: (n != "loss", n))  # loss first, then alphabetical
        if self.names is None:
            self.names, self.sums = names, [0.0] * len(names)
        elif names != self.names:
            raise ValueError(
                f"step_fn must return the same metric names every step: had {self.names}, got {names}"
            )
        for i, name in enumerate(names):
            self.sums[i] += values[name]  # type: ignore[index]
        self.count += 1

    def means(self, prefix: str = "") -> dict[str, float]:
        if not self.count or self.names is None:
            return {}
        return {f"{prefix}{n}": s / self.count for n, s in zip(self.names, self.sums, strict=True)}  # type: ignore[arg-type]

    def reduce(self, info: DistInfo) -> _Mean:
        """Sum over all ranks, leaving the global sums on rank 0 and zeros elsewhere (so a later reduce,
        or a checkpoint written by rank 0, counts every step once). A no-op on one process."""
        if info.distributed and self.names is not None:
            total = _all_reduce([*self.sums, float(self.count)], info)  # type: ignore[misc]
            if info.is_main:
                self.sums, self.count = total[:-1], round(total[-1])
            else:
                self.sums, self.count = [0.0] * len(self.names), 0
            return _Mean(self.names, total[:-1], round(total[-1]))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"names": self.names, "sums": self.sums, "count": self.count}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> _Mean:
        return cls(d["names"], d["sums"], d["count"])


def _as_float(value: Any, where: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where} must be a number or a one-element tensor, got {type(value).__name__}")
    return float(value)


def _step_output(out: Any) -> tuple[torch.Tensor, dict[str, float]]:
    """Check what step_fn returned; give the loss tensor and the numbers to log (``loss`` first)."""
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping)):
        raise TypeError(f"step_fn must return (loss, {{name: float}}), got {type(out).__name__}")
    loss, metrics = out
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
        raise TypeError(
            "step_fn's loss must be a one-element tensor that requires grad (model run under no_grad?)"
        )
    values = {"loss": float(loss.detach())}
    values.update({str(k): _as_float(v, f"step_fn metric {k!r}") for k, v in metrics.items()})
    return loss, values


def _fmt(record: Mapping[str, Any], skip: tuple[str, ...]) -> str:
    return " ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items() if k not in skip
    )


def _check_args(
    model: Any,
    optimizer: Any,
    train_dataset: Any,
    step_fn: Any,
    config: Any,
    eval_fn: Any,
    collate_fn: Any,
    scheduler: Any,
) -> None:
    """The Trainer's argument checks: a clear TypeError/ValueError before anything runs."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if step_fn is None:
        raise TypeError("step_fn is required: step_fn(model, batch) -> (loss, {name: float})")
    for name, fn in (("step_fn", step_fn), ("eval_fn", eval_fn), ("collate_fn", collate_fn)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    try:
        n = len(train_dataset)
    except TypeError:
        raise TypeError(
            f"train_dataset must be a map-style dataset with __len__, got {type(train_dataset).__name__}"
        ) from None
    if n == 0:
        raise ValueError("train_dataset is empty")
    if scheduler is not None and not (hasattr(scheduler, "step") and hasattr(scheduler, "state_dict")):
        raise TypeError(f"scheduler must have step() and state_dict(), got {type(scheduler).__name__}")
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and config.scheduler_interval != "epoch":
        raise ValueError("ReduceLROnPlateau needs TrainConfig.scheduler_interval='epoch'")
