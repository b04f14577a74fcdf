"""Attention rollout: how much each input token reaches each output token through a stack of layers.

Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers" (arXiv 2005.00928), sec. 3: the
residual connection is modelled by adding the identity to each layer's attention, ``A~ = 0.5 W + 0.5 I``,
and the layers are composed by matrix products, ``A~(l_i) = A~(l_i) A~(l_{i-1})`` down to the first layer.
Heads are averaged, as in the paper; ``"max"`` and ``"min"`` head fusion are the variants popularised by
Gildenblat's ``vit-explain`` (not in the paper).

Shape legend: B batch, H heads, L tokens (queries and keys of a self-attention layer are the same L tokens).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["HEAD_FUSIONS", "attention_rollout"]

HEAD_FUSIONS = ("mean", "max", "min")


def _as_layers(layers: Any, batched: bool) -> list[torch.Tensor]:
    """Every layer as a (B, H, L, L) tensor."""
    if isinstance(layers, torch.Tensor) and layers.ndim >= 3:
        layers = list(layers.unbind(0))  # stacked: one more leading dim for the layers
    if not isinstance(layers, Sequence) or isinstance(layers, str):
        raise TypeError(
            f"layers must be a list of attention tensors, one a layer, got {type(layers).__name__}"
        )
    if not layers:
        raise ValueError("layers is empty: pass one attention tensor per layer")
    want = "(B, H, L, L) or (B, L, L)" if batched else "(H, L, L) or (L, L)"
    out, first = [], None
    for i, w in enumerate(layers):
        try:
            t = torch.as_tensor(w)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"layers[{i}] must be a tensor or array, got {type(w).__name__}") from err
        ndim_ok = t.ndim in ((3, 4) if batched else (2, 3))
        if not ndim_ok or t.shape[-1] != t.shape[-2]:
            raise ValueError(
                f"layers[{i}] must be {want} (batched={batched}) with square self-attention maps, "
                f"got shape {tuple(t.shape)}"
            )
        if first is not None and tuple(t.shape) != first:
            raise ValueError(f"layers[{i}] has shape {tuple(t.shape)} but layers[0] has {first}")
        first = tuple(t.shape)
        if batched:
            t = t if t.ndim == 4 else t.unsqueeze(1)  # head-averaged (B, L, L): one head
        else:
            t = (t if t.ndim == 3 else t.unsqueeze(0)).unsqueeze(0)  # (1, H, L, L)
        out.append(t)
    return out


def attention_rollout(
    layers: Sequence[Any] | torch.Tensor,
    *,
    head_fusion: str = "mean",
    residual: bool = True,
    start_layer: int = 0,
    batched: bool = True,
) -> torch.Tensor:
    """Rolled-out attention of the last layer's tokens over the input tokens (Abnar & Zuidema 2020).

    Equivalent to::

        R = I
        for W in layers[start_layer:]:          # first layer first
            A = W.mean(heads)                     # or max / min over heads
            if residual: A = A + I
            A = A / A.sum(-1, keepdim=True)       # rows sum to 1 again
            R = A @ R

    With ``head_fusion="mean"`` and rows of ``W`` summing to 1, ``A + I`` renormalised is exactly the
    paper's ``0.5 W + 0.5 I``. Rows that sum to zero (fully masked queries, no residual) stay zero.

    Args:
        layers: one attention tensor a layer, first layer first (a list, or one stacked tensor); e.g. the
            ``weights`` tuple of :class:`attnzoo.nn.TransformerEncoder` with ``return_attention=True`` (per
            head with ``average_weights=False``, else already head-averaged).
        head_fusion: ``"mean"`` (the paper), ``"max"`` or ``"min"`` over heads.
        residual: add the identity for the residual connection before renormalising (the paper: True).
        start_layer: skip the layers before this one.
        batched: whether each layer has a leading batch dim (as in
            :func:`attnzoo.viz.transformer.plot_attention_grid`): True reads 4-D as ``(B, H, L, L)``
            and 3-D as head-averaged ``(B, L, L)``; False reads 3-D as ``(H, L, L)`` and 2-D as one
            head ``(L, L)``.

    Returns:
        ``R`` with ``R[b, i, j]`` the share of input token ``j`` in output token ``i``; each row sums to 1.

    Shape:
        layers: each ``(B, H, L, L)`` / ``(B, L, L)`` (``batched=True``) or ``(H, L, L)`` / ``(L, L)``;
        returns ``(B, L, L)``, or ``(L, L)`` when ``batched=False``.
    """
    if head_fusion not in HEAD_FUSIONS:
        raise ValueError(f"head_fusion must be one of {', '.join(HEAD_FUSIONS)}, got {head_fusion!r}")
    ws = _as_layers(layers, batched)
    if not isinstance(start_layer, int) or not 0 <= start_layer < len(ws):
        raise ValueError(f"start_layer must be an int in [0, {len(ws) - 1}], got {start_layer!r}")
    dtype = ws[0].dtype if ws[0].is_floating_point() else torch.float32
    rollout = None
    for i, w in enumerate(ws[start_layer:], start=start_layer):
        w = w.to(dtype)
        if not torch.isfinite(w).all():
            raise ValueError(f"layers[{i}] has NaN or inf entries")
        if (w < 0).any():
            raise ValueError(f"layers[{i}] has negative entries (min {w.min().item():.3g}); expected weights")
        if head_fusion == "mean":
            a = w.mean(dim=1)
        elif head_fusion == "max":
            a = w.amax(dim=1)
        else:
            a = w.amin(dim=1)  # (B, L, L)
        if residual:
            a = a + torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
        a = a / a.sum(-1, keepdim=True).clamp_min(torch.finfo(a.dtype).tiny)
        rollout = a if rollout is None else a @ rollout
    return rollout if batched else rollout.squeeze(0)
