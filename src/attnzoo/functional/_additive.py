"""Memory-bounded additive (Bahdanau) scores: ``s_ij = v^T tanh(a_i + b_j)`` for projected queries ``a`` and
keys ``b``, computed in query chunks, recomputing ``tanh`` in backward instead of storing ``(N, L, S, h)``."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from attnzoo.functional._checks import broadcast_shapes

# Elements of the (N, chunk, S, h) working tensor: 2**21 floats = 8 MiB in fp32: big enough that each op
# amortises thread start-up, small enough to bound memory whatever L and S.
_CHUNK_ELEMENTS = 1 << 21


def _chunk_size(n: int, s: int, h: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(1, n * s * h))


def _sigmoid_chunk(a2: Tensor, b2_: Tensor, i: int, step: int, buf: Tensor) -> Tensor:
    """``sigmoid(a2[:, i:i+step, None] + b2)`` written into (a view of) ``buf``: ``(N, c, S, h)``."""
    a = a2[:, i : i + step].unsqueeze(2)  # (N, c, 1, h)
    return torch.add(a, b2_, out=buf[:, : a.shape[1]]).sigmoid_()


# tanh(x) = 2 sigmoid(2x) - 1, so v . tanh(a + b) = 2 v . sigmoid(2a + 2b) - sum(v): one add and one sigmoid
# per element of the (N, L, S, h) block, and PyTorch's CPU sigmoid is several times faster than its tanh.
# The identity is exact in real arithmetic; in floating point it differs from tanh by O(eps) absolutely.


class _AdditiveScores(torch.autograd.Function):
    @staticmethod
    def forward(ctx, qp: Tensor, kp: Tensor, v: Tensor) -> Tensor:  # qp (N, L, h), kp (N, S, h), v (h,)
        N, L, h = qp.shape
        S = kp.shape[1]
        out = qp.new_empty(N, L, S)
        step = min(L, _chunk_size(N, S, h))
        a2, b2_ = 2 * qp, (2 * kp).unsqueeze(1)  # (N, L, h), (N, 1, S, h)
        buf = qp.new_empty(N, step, S, h)
        v2, vsum = 2 * v, v.sum()
        for i in range(0, L, step):
            sig = _sigmoid_chunk(a2, b2_, i, step, buf)
            out[:, i : i + step] = (sig @ v2).sub_(vsum)  # (N, c, S)
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
        step = min(L, _chunk_size(N, S, h))
        a2, b2_ = 2 * qp, (2 * kp).unsqueeze(1)
        buf = qp.new_empty(N, step, S, h)
        grad = grad.contiguous()
        v4 = 4 * v
        for i in range(0, L, step):
            sig = _sigmoid_chunk(a2, b2_, i, step, buf)  # (N, c, S, h)
            g = grad[:, i : i + step]  # (N, c, S)
            gv += (g.reshape(-1) @ sig.reshape(-1, h)).mul_(2).sub_(g.sum())  # sum g * tanh
            # d s / d (a_i + b_j) = v (1 - tanh^2) = 4 v sigmoid (1 - sigmoid), in place in the chunk buffer
            dpre = sig.addcmul_(sig, sig, value=-1).mul_(g.unsqueeze(-1)).mul_(v4)
            gq[:, i : i + step] = dpre.sum(2)
            gk += dpre.sum(1)
        return gq, gk, gv


def additive_scores_projected(qp: Tensor, kp: Tensor, v: Tensor) -> Tensor:
    """``s_ij = v^T tanh(qp_i + kp_j)`` without materialising ``(..., L, S, h)``.

    Shape: qp ``(..., L, h)``, kp ``(..., S, h)`` (batch dims broadcast), v ``(h,)`` -> ``(..., L, S)``.
    Peak extra memory is two chunk buffers of 8 MiB in fp32, whatever ``L`` and ``S``.
    """
    batch = broadcast_shapes(qp.shape[:-2], kp.shape[:-2])
    L, h = qp.shape[-2:]
    S = kp.shape[-2]
    if batch.numel() == 0 or L == 0 or S == 0:  # before the reshape: reshape(-1, 0, h) is ambiguous
        return qp.new_zeros(*batch, L, S) + 0 * (qp.sum() + kp.sum() + v.sum())
    qp3 = qp.expand(*batch, L, h).reshape(-1, L, h)
    kp3 = kp.expand(*batch, S, h).reshape(-1, S, h)
    return _AdditiveScores.apply(qp3, kp3, v).reshape(*batch, L, S)
