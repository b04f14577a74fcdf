"""Checkpoints that load without unpickling anything: one safetensors file with a JSON index in its header.

Layout of a checkpoint file (a valid safetensors file; ``safetensors`` tools can list it):

* tensors ``model/<state-dict key>``: the model weights (always of the unwrapped module, no ``module.``);
* tensors ``optim/<i>``, ``sched/<i>``, ``state/<i>``: every tensor inside the optimizer's and scheduler's
  ``state_dict()`` and the free-form ``state`` tree;
* header metadata ``attnzoo`` = JSON ``{"format", "version", "optimizer", "scheduler", "state", "digests"}``
  where the three trees are plain JSON in which ``{"__tensor__": name}`` stands for a stored tensor,
  ``{"__dict__": [[key, value], ...]}`` for a dict (so int keys survive) and ``{"__tuple__": [...]}`` for a
  tuple; ``digests`` holds a SHA-256 per section so a flipped bit is caught, not only a truncation.

One file means one atomic write (:func:`attnzoo.train.atomic_write_bytes`): a kill leaves the old file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save as _st_save

from attnzoo.train.atomic import atomic_write_bytes

__all__ = ["Checkpoint", "CheckpointError", "load_checkpoint", "load_weights", "save_checkpoint"]

_FORMAT = "attnzoo.checkpoint"
_VERSION = 1
_SECTIONS = ("model", "optim", "sched", "state")


class CheckpointError(ValueError):
    """A checkpoint file is missing pieces, truncated or corrupt; the message names the file."""


@dataclass(frozen=True)
class Checkpoint:
    """What :func:`load_checkpoint` returns; tensors are on the CPU."""

    path: Path  # the file it came from
    model: dict[str, torch.Tensor]  # model state dict
    optimizer: dict[str, Any] | None = None  # optimizer state dict, ready for load_state_dict
    scheduler: dict[str, Any] | None = None  # scheduler state dict
    state: dict[str, Any] = field(default_factory=dict)  # free-form tree (the Trainer keeps epoch, step...)


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module under DDP/DataParallel and torch.compile wrappers (whose state dicts add prefixes)."""
    while True:
        if isinstance(model, torch.nn.parallel.DistributedDataParallel | torch.nn.DataParallel):
            model = model.module
        elif isinstance(getattr(model, "_orig_mod", None), torch.nn.Module):  # torch.compile
            model = model._orig_mod
        else:
            return model


def _encode(obj: Any, prefix: str, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """Turn a state tree into JSON, moving its tensors into ``tensors`` under ``prefix/<i>``."""
    if isinstance(obj, torch.Tensor):
        name = f"{prefix}/{len(tensors)}"
        tensors[name] = obj
        return {"__tensor__": name}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, Mapping):
        items = []
        for key, value in obj.items():
            if isinstance(key, np.generic):
                key = key.item()
            if not (key is None or isinstance(key, bool | int | float | str)):
                raise TypeError(f"{where}: dict key {key!r} of type {type(key).__name__} cannot be stored")
            items.append([key, _encode(value, prefix, tensors, f"{where}[{key!r}]")])
        return {"__dict__": items}
    if isinstance(obj, list | tuple):
        out = [_encode(v, prefix, tensors, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"__tuple__": out} if isinstance(obj, tuple) else out
    raise TypeError(
        f"{where}: a {type(obj).__name__} cannot be stored in a checkpoint without pickle "
        "(allowed: tensors, numbers, str, None, and dicts/lists/tuples of those)"
    )


def _decode(obj: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        return {k: _decode(v, tensors) for k, v in obj["__dict__"]}
    return obj


def _digest(tensors: Mapping[str, torch.Tensor], section: str) -> str:
    h = hashlib.sha256()
    for name in sorted(n for n in tensors if n.startswith(section + "/")):
        t = tensors[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())  # no copy
    return h.hexdigest()


def _to_storable(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Detached, contiguous CPU tensors, none sharing memory (safetensors refuses shared storage)."""
    out, seen = {}, set()
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        storage = t.untyped_storage()
        if storage.data_ptr() in seen or storage.nbytes() != t.numel() * t.element_size():
            t = t.clone()
        seen.add(t.untyped_storage().data_ptr())
        out[name] = t
    return out


def save_checkpoint(
    path: str | os.PathLike,
    model: torch.nn.Module | Mapping[str, torch.Tensor],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    state: Mapping[str, Any] | None = None,
    backup: str | os.PathLike | None = None,
) -> Path:
    """Write a checkpoint atomically (see the module docstring for the layout).

    Args:
        path: destination ``.safetensors`` file.
        model: a module (DDP/DataParallel wrappers are unwrapped) or a state dict.
        optimizer: optional; its ``state_dict()`` is stored.
        scheduler: optional LR scheduler (anything with ``state_dict()``).
        state: optional tree of tensors, numbers, strings, None, dicts, lists and tuples.
        backup: if given, the file previously at ``path`` is moved here (see ``atomic_write_bytes``).

    Returns:
        The path written.
    """
    data = _checkpoint_bytes(model, optimizer=optimizer, scheduler=scheduler, state=state)
    return atomic_write_bytes(path, data, backup=backup)


def _checkpoint_bytes(
    model: torch.nn.Module | Mapping[str, torch.Tensor],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    state: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes of a checkpoint file (what :func:`save_checkpoint` writes)."""
    if isinstance(model, torch.nn.Module):
        model_sd = _unwrap(model).state_dict()
    elif isinstance(model, Mapping):
        model_sd = dict(model)
    else:
        raise TypeError(f"model must be an nn.Module or a state dict, got {type(model).__name__}")
    tensors: dict[str, torch.Tensor] = {}
    for key, t in model_sd.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"model state dict entry {key!r} is a {type(t).__name__}, not a tensor")
        tensors[f"model/{key}"] = t
    index: dict[str, Any] = {"format": _FORMAT, "version": _VERSION, "model_keys": list(model_sd)}
    index["optimizer"] = (
        None if optimizer is None else _encode(optimizer.state_dict(), "optim", tensors, "optimizer")
    )
    index["scheduler"] = (
        None if scheduler is None else _encode(scheduler.state_dict(), "sched", tensors, "scheduler")
    )
    index["state"] = _encode(dict(state or {}), "state", tensors, "state")
    tensors = _to_storable(tensors)
    index["digests"] = {s: _digest(tensors, s) for s in _SECTIONS}
    return _st_save(tensors, metadata={"attnzoo": json.dumps(index)})


def _read(path: Path, sections: tuple[str, ...]) -> tuple[dict[str, Any] | None, dict[str, torch.Tensor]]:
    """Index (None for a plain safetensors file) and the tensors of ``sections`` (all for a plain file)."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            index = json.loads(meta["attnzoo"]) if "attnzoo" in meta else None
            names = [n for n in f.keys() if index is None or n.split("/", 1)[0] in sections]  # noqa: SIM118
            tensors = {n: f.get_tensor(n) for n in names}
    except Exception as e:  # safetensors raises its own error type for bad headers and short files
        raise CheckpointError(f"{path}: cannot read checkpoint (truncated or corrupt file?): {e}") from e
    if index is not None:
        if not isinstance(index, dict) or index.get("format") != _FORMAT or index.get("version") != _VERSION:
            found = (
                (index.get("format"), index.get("version"))
                if isinstance(index, dict)
                else type(index).__name__
            )
            raise CheckpointError(
                f"{path}: unknown checkpoint format {found!r}; expected {_FORMAT!r} version {_VERSION}"
            )
        digests = index.get("digests") or {}
        for s in sections:
            if _digest(tensors, s) != digests.get(s):
                raise CheckpointError(f"{path}: the {s!r} tensors fail their checksum (corrupt file)")
    return index, tensors


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, without pickle, verifying its checksums.

    Args:
        path: the ``.safetensors`` file.

    Returns:
        A :class:`Checkpoint` (CPU tensors).

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: truncated, corrupt or not an attnzoo checkpoint; the message names the file.
    """
    path = Path(path)
    index, tensors = _read(path, _SECTIONS)
    if index is None:
        raise CheckpointError(
            f"{path}: a plain safetensors file, not an attnzoo checkpoint (use load_weights)"
        )
    model = {n.split("/", 1)[1]: t for n, t in tensors.items() if n.startswith("model/")}
    order = index.get("model_keys") or []
    if sorted(order) == sorted(model):  # the state dict's own order (safetensors sorts names)
        model = {k: model[k] for k in order}
    try:
        return Checkpoint(
            path=path,
            model=model,
            optimizer=_decode(index["optimizer"], tensors),
            scheduler=_decode(index["scheduler"], tensors),
            state=_decode(index["state"], tensors),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: malformed checkpoint index: {e!r}") from e


def load_weights(model: torch.nn.Module, path: str | os.PathLike, *, strict: bool = True) -> torch.nn.Module:
    """Load only the model weights of a checkpoint (or of a plain safetensors state dict) into ``model``.

    Args:
        model: the module to fill (wrappers are unwrapped); weights are copied onto its devices.
        path: an attnzoo checkpoint such as ``out_dir/best.safetensors``, or a plain safetensors file.
        strict: as in ``nn.Module.load_state_dict``.

    Returns:
        ``model``, for chaining.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    path = Path(path)
    index, tensors = _read(path, ("model",))
    if index is not None:
        tensors = {n.split("/", 1)[1]: t for n, t in tensors.items()}
    try:
        _unwrap(model).load_state_dict(tensors, strict=strict)
    except RuntimeError as e:
        raise RuntimeError(f"{path}: weights do not fit the model: {e}") from e
    return model
