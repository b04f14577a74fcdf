"""Attention masks. Convention everywhere in attnzoo (as in ``scaled_dot_product_attention``): a boolean mask
is **True where a query may attend**; a floating mask is added to the scores (``-inf`` forbids).

Note that ``torch.nn.MultiheadAttention``'s ``key_padding_mask`` uses the opposite convention (True =
ignore); :mod:`attnzoo.nn` converts at that boundary.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnzoo.functional._checks import broadcast_shapes, check_tensor, shape_str

__all__ = ["causal_mask", "combine_masks", "lengths_to_mask", "mask_to_bias", "validate_mask"]


def lengths_to_mask(lengths: Tensor | list[int], max_len: int | None = None) -> Tensor:
    """Boolean padding mask from sequence lengths: True on the first ``lengths[b]`` positions.

    Args:
        lengths: ``(B,)`` integer lengths (tensor or list).
        max_len: mask width ``S``; defaults to ``max(lengths)``.

    Returns:
        ``(B, S)`` bool, ``mask[b, j] = j < lengths[b]``. Broadcast it as a key mask with
        ``mask[:, None, :]`` (``(B, 1, S)``) against scores ``(B, L, S)``.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be 1-D (B,), got shape {shape_str(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must be an integer tensor, got dtype {lengths.dtype}")
    if max_len is not None and torch.compiler.is_compiling():
        # the value checks below read the tensor (graph breaks): torch.compile(fullgraph=True) skips them
        return torch.arange(max_len, device=lengths.device) < lengths[:, None]
    if lengths.numel() and int(lengths.min()) < 0:
        raise ValueError(f"lengths must be >= 0, got min {int(lengths.min())}")
    longest = int(lengths.max()) if lengths.numel() else 0
    if max_len is None:
        max_len = longest
    elif max_len < longest:
        raise ValueError(f"max_len={max_len} is smaller than the longest length {longest}")
    return torch.arange(max_len, device=lengths.device) < lengths[:, None]


def causal_mask(L: int, S: int | None = None, *, device: torch.device | str | None = None) -> Tensor:
    """Causal (no peeking ahead) mask, aligned to the end of the keys.

    Query ``i`` may attend key ``j`` iff ``j <= i + S - L``. With ``L == S`` this is the usual lower
    triangle; with ``S > L`` (a key/value cache holding ``S - L`` earlier positions) the last query sees
    every key. Note ``scaled_dot_product_attention(is_causal=True)`` aligns to the *start* instead; the two
    agree when ``L == S``.

    Returns:
        ``(L, S)`` bool, True = may attend.
    """
    S = L if S is None else S
    if L < 0 or S < 0:
        raise ValueError(f"L and S must be >= 0, got L={L}, S={S}")
    return torch.ones(L, S, dtype=torch.bool, device=device).tril(diagonal=S - L)


def combine_masks(*masks: Tensor | None) -> Tensor | None:
    """Combine masks into one: boolean masks are AND-ed; if any mask is floating the result is a float
    bias (sum of the float masks, ``-inf`` where any boolean mask is False). ``None`` entries are skipped.

    Returns ``None`` if every mask is ``None``.
    """
    present = [m for m in masks if m is not None]
    if not present:
        return None
    for i, m in enumerate(present):
        check_tensor(f"masks[{i}]", m)
        if m.dtype != torch.bool and not m.is_floating_point():
            raise TypeError(f"masks[{i}] must be bool or floating, got dtype {m.dtype}")
    floats = [m for m in present if m.is_floating_point()]
    bools = [m for m in present if m.dtype == torch.bool]
    valid = None
    for m in bools:
        valid = m if valid is None else valid & m
    if not floats:
        return valid
    bias = floats[0]
    for m in floats[1:]:
        bias = bias + m
    if valid is not None:
        bias = bias.masked_fill(~valid, float("-inf"))
    return bias


def validate_mask(mask: Tensor, scores_shape: torch.Size | tuple[int, ...]) -> None:
    """Check that ``mask`` is bool or floating and broadcasts to ``scores_shape`` without enlarging it."""
    if isinstance(mask, Tensor) and (mask.dtype is torch.bool or mask.dtype.is_floating_point):
        # the common case by hand, in one pass (no Size objects built)
        shape = mask.shape
        offset = len(scores_shape) - len(shape)
        if offset >= 0:
            for i, d in enumerate(shape):  # a loop, not all(genexpr): half the cost at 4 dims
                if d != 1 and d != scores_shape[offset + i]:
                    break
            else:
                return
    check_tensor("mask", mask)
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(
            f"mask must be bool (True = may attend) or floating (added to the scores), got dtype {mask.dtype}"
        )
    try:
        ok = broadcast_shapes(mask.shape, scores_shape) == torch.Size(scores_shape)
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(
            f"mask has shape {shape_str(mask.shape)} but scores are {shape_str(scores_shape)}; "
            "the mask must broadcast to (..., L, S)"
        )


def mask_to_bias(mask: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    """A float bias from a mask: 0 where allowed and ``-inf`` where forbidden (floating masks pass)."""
    if mask is None or mask.is_floating_point():
        return None if mask is None else mask.to(dtype)
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, float("-inf"))
