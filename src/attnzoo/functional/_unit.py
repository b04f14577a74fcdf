"""Rows scaled to unit length, ``x / max(|x|, eps)``, with a fused backward (used by the cosine fast path).

Autograd's version of ``x / x.norm(dim=-1, keepdim=True).clamp_min(eps)`` runs about ten element-wise ops in
backward (the division's two gradients, the clamp's mask, the norm's own backward); for a short sequence
that is a quarter of the fused attention's time. The gradient in closed form is one projection:

    dx = (g - y (g . y)) / |x|        where |x| > eps   (y = x / |x|)
    dx = g / eps                      where |x| <= eps  (the clamp holds the scale constant)
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class _UnitRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, eps: float) -> Tensor:
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)
        scale = norm.clamp_min(eps)
        y = x / scale
        ctx.save_for_backward(y, scale, norm > eps)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, g: Tensor):
        y, scale, unclamped = ctx.saved_tensors
        g = g.contiguous()  # SDPA hands it over in (B, L, H, E) memory order: mixed layouts are slow
        proj = (g * y).sum(-1, keepdim=True).mul_(unclamped)  # no projection where the clamp held
        return torch.addcmul(g, y, proj, value=-1.0).div_(scale), None


def unit_rows(x: Tensor, eps: float = 1e-8) -> Tensor:
    """``x / max(|x|, eps)`` over the last dim. Shape: ``(..., E) -> (..., E)``."""
    return _UnitRows.apply(x, eps)
