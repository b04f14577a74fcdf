"""Seeds, deterministic mode, and the RNG state of a process as plain JSON (no pickle)."""

from __future__ import annotations

import base64
import logging
import os
import random
from typing import Any

import numpy as np
import torch

__all__ = ["get_rng_state", "seed_everything", "set_deterministic", "set_rng_state"]

_log = logging.getLogger("attnzoo.train")

_MAX_SEED = 2**32 - 1  # numpy's legacy seeding accepts [0, 2**32)


def seed_everything(seed: int) -> int:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and every CUDA device).

    Args:
        seed: an int in ``[0, 2**32 - 1]``.

    Returns:
        The seed, for logging.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be in [0, {_MAX_SEED}], got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds all CUDA devices (lazily)
    return seed


def set_deterministic(enabled: bool = True) -> None:
    """Make torch pick deterministic kernels (and raise on ops that have none), or undo it.

    Sets ``torch.use_deterministic_algorithms``, cuDNN's ``deterministic``/``benchmark`` flags and, when
    enabling, ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (needed by cuBLAS; only effective before CUDA starts).

    Args:
        enabled: True to turn deterministic mode on, False to restore torch's defaults.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(enabled)
    torch.backends.cudnn.deterministic = enabled
    torch.backends.cudnn.benchmark = False


def _b64(t: torch.Tensor) -> str:
    return base64.b64encode(t.cpu().numpy().tobytes()).decode("ascii")


def _unb64(s: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8).clone()


def get_rng_state() -> dict[str, Any]:
    """Capture the RNG states of python, numpy and torch (CPU, and CUDA if started) as JSON-able data.

    Returns:
        A dict of plain ints, floats, strings and lists; :func:`set_rng_state` restores it.
    """
    version, internal, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
        "numpy": {
            "kind": kind,
            "keys": [int(k) for k in keys],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": _b64(torch.get_rng_state()),
        "cuda": [],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [_b64(s) for s in torch.cuda.get_rng_state_all()]
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore RNG states captured by :func:`get_rng_state`.

    Args:
        state: the dict :func:`get_rng_state` returned (possibly after a JSON round trip).
    """
    missing = {"python", "numpy", "torch"} - set(state)
    if missing:
        raise ValueError(f"rng state lacks {sorted(missing)}; got keys {sorted(state)}")
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))
    npst = state["numpy"]
    keys = np.asarray(npst["keys"], dtype=np.uint32)
    np.random.set_state((npst["kind"], keys, npst["pos"], npst["has_gauss"], npst["cached_gaussian"]))
    torch.set_rng_state(_unb64(state["torch"]))
    cuda = state.get("cuda") or []
    if cuda:
        if torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
            torch.cuda.set_rng_state_all([_unb64(s) for s in cuda])
        else:
            n = torch.cuda.device_count() if torch.cuda.is_available() else 0
            _log.warning(
                "checkpoint holds %d CUDA RNG states but %d devices are visible; not restored", len(cuda), n
            )
