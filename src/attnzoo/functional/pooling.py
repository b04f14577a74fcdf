"""Nadaraya-Watson kernel regression as attention pooling (Nadaraya 1964; Watson 1964; Dive into Deep
Learning ch. 11): ``f(x) = sum_i K((x - x_i) / h) y_i / sum_j K((x - x_j) / h)``.

The query is ``x``, the keys are the training inputs ``x_i``, the values are the training targets ``y_i``;
the normalised kernel values are the attention weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from attnzoo._registry import Registry
from attnzoo.functional._checks import check_floating, check_positive, check_tensor, shape_str
from attnzoo.functional.masks import validate_mask
from attnzoo.functional.normalize import masked_softmax

__all__ = ["KERNELS", "nadaraya_watson"]


def _gaussian(u2: Tensor) -> Tensor:  # log-kernel, normalised by softmax
    return -u2 / 2


def _boxcar(u2: Tensor) -> Tensor:
    return (u2 <= 1).to(u2.dtype)


def _epanechnikov(u2: Tensor) -> Tensor:
    return (1 - u2).clamp_min(0)  # the 3/4 constant cancels in the normalisation


def _constant(u2: Tensor) -> Tensor:
    return torch.ones_like(u2)


# name -> (function of the squared scaled distance u^2, whether it returns a log-kernel)
KERNELS: Registry[tuple[Callable[[Tensor], Tensor], bool]] = Registry("kernel")
KERNELS.add("gaussian", (_gaussian, True))
KERNELS.add("boxcar", (_boxcar, False))
KERNELS.add("epanechnikov", (_epanechnikov, False))
KERNELS.add("constant", (_constant, False))


def _as_2d(name: str, x: Tensor) -> Tensor:
    check_tensor(name, x)
    check_floating(name, x)
    if x.ndim == 1:
        return x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (N, d), got shape {shape_str(x.shape)}")
    return x


def nadaraya_watson(
    queries: Tensor,
    keys: Tensor,
    values: Tensor,
    *,
    kernel: str = "gaussian",
    bandwidth: float | Tensor = 1.0,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Nadaraya-Watson kernel regression, ``prediction = weights @ values``.

    Kernels of ``u = ||x - x_i|| / bandwidth``: ``gaussian`` ``exp(-u^2/2)`` (so weights =
    ``softmax(-((x - x_i) / h)^2 / 2)``), ``boxcar`` ``1[u <= 1]``, ``epanechnikov`` ``max(0, 1 - u^2)``,
    ``constant`` (every key equal: average pooling). A query with no key inside a compact kernel's window
    (or every key masked) gets zero weights and a zero prediction.

    Args:
        queries: ``(L,)`` or ``(L, d)``.
        keys: ``(S,)`` or ``(S, d)``.
        values: ``(S,)`` or ``(S, Ev)``.
        bandwidth: ``h > 0``, a float or a tensor (learnable; broadcastable to ``(L, S)``).
        mask: optional bool ``(L, S)`` (True = may use), e.g. to leave each training point out of its own
            prediction.

    Returns:
        ``(prediction (L,) or (L, Ev), weights (L, S))``.
    """
    fn, is_log = KERNELS.lookup(kernel)
    q, k = _as_2d("queries", queries), _as_2d("keys", keys)
    v = _as_2d("values", values)
    if q.shape[1] != k.shape[1]:
        raise ValueError(
            f"queries and keys must have the same feature dim, got {q.shape[1]} and {k.shape[1]}"
        )
    if v.shape[0] != k.shape[0]:
        raise ValueError(f"values has {v.shape[0]} rows but keys has {k.shape[0]}; they must match")
    check_positive("bandwidth", bandwidth)
    sq = ((q[:, None, :] - k[None, :, :]) ** 2).sum(-1)  # (L, S), exact for low-dimensional inputs
    u2 = sq / torch.as_tensor(bandwidth, dtype=q.dtype, device=q.device) ** 2
    if mask is not None:
        validate_mask(mask, u2.shape)
        if mask.dtype != torch.bool:
            raise TypeError(f"mask must be bool here, got dtype {mask.dtype}")
    if is_log:
        weights = masked_softmax(fn(u2), mask)
    else:
        kv = fn(u2) if mask is None else fn(u2).masked_fill(~mask, 0.0)
        total = kv.sum(-1, keepdim=True)
        weights = kv / torch.where(total > 0, total, torch.ones_like(total))
    pred = weights @ v
    return (pred.squeeze(-1) if values.ndim == 1 else pred), weights
