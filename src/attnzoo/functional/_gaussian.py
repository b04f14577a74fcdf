"""Gaussian-kernel (Nadaraya-Watson) attention through SDPA's fused kernel, with gradients to the keys.

``-||q - k||^2 / (2 b^2) = q.k / b^2 - |k|^2 / (2 b^2) - |q|^2 / (2 b^2)``: the last term is constant over
keys and cancels in the softmax, so the attention is SDPA with scale ``1 / b^2`` and a per-key bias
``c_j = -|k_j|^2 / 2`` (in units of the scale). When no gradient reaches the keys the bias is handed to SDPA
as a constant float mask, which keeps the fused kernel. When one does, a mask that requires grad would send
SDPA to its unfused math path (about 3x slower on CPU, with an ``(L, S)`` matrix per head), so the bias is
folded into the vectors instead::

    q'_i = [q_i, 1, 0...],  k'_j = [k_j, c_j, 0...],  v'_j = [v_j, 0...]  =>  q'_i . k'_j = q_i . k_j + c_j

and autograd carries ``dc_j`` back into ``k_j`` through ``c_j``. The extra zero columns pad the head size to
a width the fused kernels handle well (even on CPU: 65 is about 10 % slower than 66; a multiple of 8 on CUDA).
Measured in ``benchmarks/bench_core.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

import torch
from torch import Tensor


def _padded_width(e: int, ev: int, device: torch.device) -> int:
    multiple = 8 if device.type == "cuda" else 2
    width = max(e + 1, ev)
    return -(-width // multiple) * multiple


def gaussian_augmented(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(q', k', v')`` of one padded width with ``q'.k' = q.k - |k|^2 / 2`` (see the module docstring);
    the attention output is the first ``v.shape[-1]`` columns of ``SDPA(q', k', v', scale=1/b^2)``."""
    e, ev = q.shape[-1], v.shape[-1]
    width = _padded_width(e, ev, q.device)

    def pad(t: Tensor, *cols: Tensor) -> Tensor:
        used = t.shape[-1] + sum(c.shape[-1] for c in cols)
        return torch.cat([t, *cols, t.new_zeros(*t.shape[:-1], width - used)], -1)

    qa = pad(q, q.new_ones(*q.shape[:-1], 1))
    ka = pad(k, (k * k).sum(-1, keepdim=True).mul(-0.5))
    va = pad(v) if ev < width else v
    return qa, ka, va
