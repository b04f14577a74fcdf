"""Memory-bounded additive (Bahdanau) scores: ``s_ij = v^T tanh(a_i + b_j)`` for projected queries ``a`` and
keys ``b``, computed in query chunks, recomputing ``tanh`` in backward instead of storing ``(N, L, S, h)``."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

# Elements of the (N, chunk, S, h) working tensor: 2**22 floats = 16 MiB in fp32.
_CHUNK_ELEMENTS = 1 << 22


def _chunk_size(n: int, s: int, h: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(1, n * s * h))


class _AdditiveScores(torch.autograd.Function):
    @staticmethod
    def forward(ctx, qp: Tensor, kp: Tensor, v: Tensor) -> Tensor:  # qp (N, L, h), kp (N, S, h), v (h,)
        N, L, h = qp.shape
        S = kp.shape[1]
        out = qp.new_empty(N, L, S)
        step = _chunk_size(N, S, h)
        kp_ = kp.unsqueeze(1)  # (N, 1, S, h)
        for i in range(0, L, step):
            t = torch.tanh(qp[:, i : i + step].unsqueeze(2) + kp_)  # (N, c, S, h)
            out[:, i : i + step] = t @ v  # (N, c, S)
        ctx.save_for_backward(qp, kp, v)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # grad (N, L, S)
        qp, kp, v = ctx.saved_tensors
        N, L, h = qp.shape
        S = kp.shape[1]
        gq = torch.empty_like(qp)
        gk = torch.zeros_like(kp)
        gv = torch.zeros_like(v)
        step = _chunk_size(N, S, h)
        kp_ = kp.unsqueeze(1)
        for i in range(0, L, step):
            t = torch.tanh(qp[:, i : i + step].unsqueeze(2) + kp_)  # (N, c, S, h)
            g = grad[:, i : i + step].unsqueeze(-1)  # (N, c, S, 1)
            gv += (g * t).sum(dim=(0, 1, 2))
            dpre = (g * v) * (1 - t * t)  # d s / d (a_i + b_j), (N, c, S, h)
            gq[:, i : i + step] = dpre.sum(2)
            gk += dpre.sum(1)
        return gq, gk, gv


def additive_scores_projected(qp: Tensor, kp: Tensor, v: Tensor) -> Tensor:
    """``s_ij = v^T tanh(qp_i + kp_j)`` without materialising ``(..., L, S, h)``.

    Shape: qp ``(..., L, h)``, kp ``(..., S, h)`` (batch dims broadcast), v ``(h,)`` -> ``(..., L, S)``.
    Peak extra memory is one chunk of about 16 MiB in fp32, whatever ``L`` and ``S``.
    """
    batch = torch.broadcast_shapes(qp.shape[:-2], kp.shape[:-2])
    L, h = qp.shape[-2:]
    S = kp.shape[-2]
    qp3 = qp.expand(*batch, L, h).reshape(-1, L, h)
    kp3 = kp.expand(*batch, S, h).reshape(-1, S, h)
    return _AdditiveScores.apply(qp3, kp3, v).reshape(*batch, L, S)
