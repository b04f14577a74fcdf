"""Process-group setup for ``torchrun`` and the few collectives the training loop needs.

Under ``torchrun --nproc_per_node N`` every process gets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
``MASTER_ADDR``/``MASTER_PORT`` in its environment; :func:`setup_distributed` reads them and starts the
process group (nccl on CUDA, gloo on CPU). Without them it is a no-op describing a single process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["DistInfo", "setup_distributed"]


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: its rank among ``world_size`` processes and its device."""

    rank: int  # global rank, 0 writes files and shows the bar
    world_size: int  # number of processes
    local_rank: int  # rank on this machine (picks the GPU)
    device: torch.device  # where the model and batches go
    created_group: bool = False  # True if setup_distributed started the process group (fit tears it down)

    @property
    def is_main(self) -> bool:
        """True on rank 0."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True with more than one process."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None


def setup_distributed(device: str | None = None) -> DistInfo:
    """Start (or join) the process group described by the torchrun environment, and pick the device.

    Args:
        device: ``"cpu"``, ``"cuda"`` (becomes ``cuda:<LOCAL_RANK>``), ``"cuda:1"``...; None picks
            ``cuda:<LOCAL_RANK>`` when CUDA is available, else the CPU.

    Returns:
        A :class:`DistInfo`.
    """
    if dist.is_available() and dist.is_initialized():
        world, rank = dist.get_world_size(), dist.get_rank()
        created = False
    else:
        world, rank = _env_int("WORLD_SIZE", 1), _env_int("RANK", 0)
        created = world > 1
    local_rank = _env_int("LOCAL_RANK", rank)
    if device is None:
        dev = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    else:
        dev = torch.device(device)
        if dev.type == "cuda" and dev.index is None:
            dev = torch.device("cuda", local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if created:
        if not dist.is_available():
            raise RuntimeError(f"WORLD_SIZE={world} but this torch build has no torch.distributed")
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=dev, created_group=created)


def _comm_device(info: DistInfo) -> torch.device:
    # nccl only moves CUDA tensors; gloo only CPU ones.
    return info.device if dist.get_backend() == "nccl" else torch.device("cpu")


def _all_reduce(values: list[float], info: DistInfo, op: str = "sum") -> list[float]:
    """Sum (or max) a list of floats over all processes (float64, so sums stay exact enough)."""
    if not info.distributed or not values:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=_comm_device(info))
    dist.all_reduce(t, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
    return t.tolist()


def _bytes_tensor(obj: Any, info: DistInfo) -> torch.Tensor:
    data = bytearray(json.dumps(obj).encode())  # never empty: JSON text has at least one character
    return torch.frombuffer(data, dtype=torch.uint8).to(_comm_device(info))


def _broadcast_json(obj: Any, info: DistInfo) -> Any:
    """Rank 0's ``obj`` on every rank (JSON over a byte tensor: no pickle)."""
    if not info.distributed:
        return obj
    dev = _comm_device(info)
    payload = _bytes_tensor(obj, info) if info.is_main else None
    size = torch.tensor([payload.numel() if payload is not None else 0], dtype=torch.int64, device=dev)
    dist.broadcast(size, src=0)
    buf = payload if payload is not None else torch.empty(int(size.item()), dtype=torch.uint8, device=dev)
    dist.broadcast(buf, src=0)
    return json.loads(buf.cpu().numpy().tobytes().decode())


def _all_gather_json(obj: Any, info: DistInfo) -> list[Any]:
    """Every rank's ``obj``, in rank order, on every rank."""
    if not info.distributed:
        return [obj]
    dev = _comm_device(info)
    payload = _bytes_tensor(obj, info)
    sizes = [torch.zeros(1, dtype=torch.int64, device=dev) for _ in range(info.world_size)]
    dist.all_gather(sizes, torch.tensor([payload.numel()], dtype=torch.int64, device=dev))
    longest = max(int(s.item()) for s in sizes)
    padded = torch.zeros(longest, dtype=torch.uint8, device=dev)
    padded[: payload.numel()] = payload
    bufs = [torch.empty(longest, dtype=torch.uint8, device=dev) for _ in range(info.world_size)]
    dist.all_gather(bufs, padded)
    return [
        json.loads(b[: int(s.item())].cpu().numpy().tobytes().decode())
        for b, s in zip(bufs, sizes, strict=True)
    ]


def _barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()
