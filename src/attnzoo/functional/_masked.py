"""Masked softmax attention, written once: the fused SDPA call and the in-place weights path that
:func:`attnzoo.functional.attention` and :class:`attnzoo.nn.MultiHeadAttention` both use.

Convention (as SDPA): a bool mask ``True`` = may attend; a float mask is added to the scores. A query with
no allowed key gets zero weights and a zero output on every path, never NaN.

Shape legend: ``...`` batch dims, B batch, H heads, L queries, S keys, hd head dim.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from attnzoo.functional._checks import broadcast_shapes
from attnzoo.functional.masks import mask_to_bias

__all__: list[str] = []


def open_empty_rows(mask: Tensor) -> tuple[Tensor, Tensor | None]:
    """Let every query with no allowed key see all keys (so softmax stays finite), and say which are real.

    Returns ``(mask, valid)``: ``valid`` (..., L, 1) bool is None when every query has an allowed key;
    otherwise the caller multiplies the weights (or the output) by it, so those rows get zero weights, zero
    output and zero gradient. Under ``torch.compile`` the check ``valid.all()`` would be a data-dependent
    branch (a graph break), so there the mask is always opened and ``valid`` always returned.
    """
    valid = mask.any(-1, keepdim=True) if mask.dtype == torch.bool else (mask > float("-inf")).any(-1, True)
    if not torch.compiler.is_compiling() and bool(valid.all()):
        return mask, None
    if mask.dtype == torch.bool:
        return mask | ~valid, valid
    return mask.masked_fill(~valid, 0.0), valid


_SDPA_ZEROES_EMPTY_ROWS: dict[torch.dtype, bool] = {}  # CPU only, by dtype


def _probe_empty_rows(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether this torch's SDPA already gives a query with no allowed key a zero output and zero gradients
    (bool and float masks, the math and the fused kernel), so :func:`sdpa` can skip its guard. Probed once
    per device type and dtype, only on CPU: other devices keep the guard."""
    if device.type != "cpu":
        return False
    from torch.nn.attention import SDPBackend, sdpa_kernel

    g = torch.Generator().manual_seed(0)
    ok = True
    for backend in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION):
        for as_float in (False, True):
            q, k, v = (torch.randn(1, 2, n, 8, generator=g, dtype=dtype).requires_grad_() for n in (3, 4, 4))
            m = torch.tensor([[True, False, True, False], [False] * 4, [True] * 4]).view(1, 1, 3, 4)
            if as_float:
                m = torch.zeros(m.shape, dtype=dtype).masked_fill(~m, float("-inf"))
            try:
                with torch.enable_grad(), sdpa_kernel(backend):
                    out = F.scaled_dot_product_attention(q, k, v, m)
                    out.sum().backward()
            except RuntimeError:  # a backend this build or dtype lacks: the dispatcher will not pick it
                continue
            ok = ok and bool((out[:, :, 1] == 0).all()) and bool(torch.isfinite(out).all())
            ok = ok and bool((q.grad[:, :, 1] == 0).all())
            ok = ok and all(bool(torch.isfinite(t.grad).all()) for t in (q, k, v))
    return ok


def _sdpa_zeroes_empty_rows(q: Tensor, mask: Tensor) -> bool:
    if mask.requires_grad or not q.is_cpu or torch.compiler.is_compiling():
        return False
    known = _SDPA_ZEROES_EMPTY_ROWS.get(q.dtype)
    if known is None:
        known = _SDPA_ZEROES_EMPTY_ROWS[q.dtype] = _probe_empty_rows(q.device, q.dtype)
    return known


def sdpa(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    scale: float | None = None,
    is_causal: bool = False,
) -> Tensor:
    """``F.scaled_dot_product_attention`` with broadcast batch dims and the zero-output contract.

    Some SDPA kernels return NaN for a query with no allowed key: such rows see every key, then their output
    is zeroed. Where this torch's SDPA already returns zeros there (probed once per device type and dtype,
    see :func:`_probe_empty_rows`; CPU in torch >= 2.5) the guard, a reduction over the mask and a host
    sync, is skipped. Shape: q (..., L, E), k (..., S, E), v (..., S, Ev), mask broadcastable to
    (..., L, S) -> (..., L, Ev).
    """
    if q.shape[:-2] != k.shape[:-2]:  # broadcast batch dims (a view); SDPA wants them equal
        batch = broadcast_shapes(q.shape[:-2], k.shape[:-2])
        q = q.expand(*batch, *q.shape[-2:])
        k = k.expand(*batch, *k.shape[-2:])
        v = v.expand(*batch, *v.shape[-2:])
    valid = None
    if mask is not None and not _sdpa_zeroes_empty_rows(q, mask):
        mask, valid = open_empty_rows(mask)
    if scale is None and not is_causal:  # fewer keywords for torch's argument parser: a small call's cost
        out = F.scaled_dot_product_attention(q, k, v, mask, dropout_p)
    else:
        out = F.scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal=is_causal, scale=scale)
    return out if valid is None else out * valid


def softmax_(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Masked softmax over the last dim, written into ``scores`` (no second (..., L, S) buffer, whose fresh
    pages cost about as much as the softmax on CPU). ``mask`` must not broadcast ``scores`` larger; no
    autograd through ``scores``."""
    valid = None
    if mask is not None:
        mask, valid = open_empty_rows(mask)
        if mask.dtype == torch.bool:
            scores.masked_fill_(~mask, float("-inf"))
        else:
            scores.add_(mask)
    weights = torch.softmax(scores, dim=-1, out=scores)
    return weights if valid is None else weights.mul_(valid)


def scaled_dot_with_weights(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float, q_scaled: bool = False
) -> tuple[Tensor, Tensor]:
    """``softmax(q k^T / sqrt(hd) + mask) v`` keeping the weights; the same numbers as SDPA's math path.

    Without autograd the scores are masked and normalised in place (one (B, H, L, S) buffer, as torch's
    native multi-head attention does); with autograd out-of-place ops keep the graph. ``q_scaled`` says
    q already carries the 1/sqrt(hd) factor.

    Shape: q (B, H, L, hd), k (B, H, S, hd), v (B, H, S, hd) -> (B, H, L, hd), weights (B, H, L, S).
    """
    B, H, L, hd = q.shape
    S = k.shape[-2]
    if not q_scaled:
        q = q * (1.0 / math.sqrt(hd))
    q3, k3, v3 = q.reshape(B * H, L, hd), k.reshape(B * H, S, hd), v.reshape(B * H, S, hd)
    grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad)
    if not grad:
        if mask is not None and mask.is_floating_point() and all(d == 1 for d in mask.shape[:-2]):
            mask, valid = open_empty_rows(mask)
            # the same (L, S) bias for every batch row and head: add it inside the matmul
            scores = torch.baddbmm(mask.reshape(mask.shape[-2:]), q3, k3.transpose(1, 2)).view(B, H, L, S)
            weights = torch.softmax(scores, dim=-1, out=scores)
            weights = weights if valid is None else weights.mul_(valid)
        else:
            weights = softmax_(torch.bmm(q3, k3.transpose(1, 2)).view(B, H, L, S), mask)
    else:
        valid = None
        if mask is not None:
            mask, valid = open_empty_rows(mask)
            # an added bias has a free backward; masked_fill's costs a pass over the (B, H, L, S) gradient
            mask = mask_to_bias(mask, q.dtype) if mask.dtype == torch.bool else mask
        if mask is not None and all(d == 1 for d in mask.shape[:-2]):
            scores = torch.baddbmm(mask.reshape(mask.shape[-2:]), q3, k3.transpose(1, 2)).view(B, H, L, S)
        else:
            scores = torch.bmm(q3, k3.transpose(1, 2)).view(B, H, L, S)
            if mask is not None:  # out of place: in place on a view would cost autograd copies
                scores = scores + mask
        weights = torch.softmax(scores, dim=-1)
        weights = weights if valid is None else weights * valid
    attended = F.dropout(weights, dropout_p) if dropout_p > 0 else weights
    out = torch.bmm(attended.view(B * H, L, S), v3).view(B, H, L, hd)
    return out, weights
