"""Multi-head attention internals: merge masks, guard fully masked rows, scaled dot with weights.

Convention (attnzoo, as SDPA): bool ``True`` = may attend; a float mask is added to the scores.
Shapes: B batch, H heads, L query length, S key length.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnzoo.functional import SCORES, causal_mask, combine_masks

__all__: list[str] = []


def check_args(
    embed_dim: int,
    num_heads: int,
    dropout: float,
    score,
    rotary,
    kdim: int | None = None,
    vdim: int | None = None,
) -> None:
    """Constructor checks of MultiHeadAttention."""
    for name, val in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim), ("vdim", vdim)):
        if name in ("kdim", "vdim") and val is None:
            continue  # None: the default, embed_dim
        if not isinstance(val, int) or isinstance(val, bool) or val <= 0:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    if embed_dim % num_heads:
        raise ValueError(f"num_heads ({num_heads}) must divide embed_dim ({embed_dim})")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if not (isinstance(score, str) or callable(score)):
        raise TypeError(f"score must be a score name or a callable, got {type(score).__name__}")
    if isinstance(score, str) and score not in SCORES:
        raise ValueError(f"unknown score {score!r}; valid: {sorted(SCORES)}")
    hd = embed_dim // num_heads
    if rotary is not None and getattr(rotary, "dim", hd) != hd:
        raise ValueError(f"rotary.dim ({rotary.dim}) must equal the head dim ({hd})")


def _check(mask: Tensor, name: str, target: tuple[int, ...]) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise TypeError(f"{name} must be bool (True = may attend) or float (added), got {mask.dtype}")
    # by hand: torch.broadcast_shapes costs hundreds of microseconds a call in torch 2.x
    shape = tuple(mask.shape)
    pairs = zip(shape[::-1], target[::-1], strict=False)
    ok = len(shape) <= len(target) and all(d in (1, t) for d, t in pairs)
    if not ok:
        raise ValueError(f"{name} has shape {tuple(mask.shape)}, not broadcastable to {target}")


def merge_masks(
    mask: Tensor | None,
    key_padding_mask: Tensor | None,
    is_causal: bool,
    B: int,
    H: int,
    L: int,
    S: int,
    ref: Tensor,
    fused: bool,
) -> tuple[Tensor | None, bool]:
    """One mask broadcastable to (B, H, L, S), or None, and whether SDPA's ``is_causal`` flag can stand
    in for the causal mask (only on the fused path, with no other mask and L == S)."""
    masks = []
    if mask is not None:
        _check(mask, "mask", (B, H, L, S))
        masks.append(mask)
    if key_padding_mask is not None:
        _check(key_padding_mask, "key_padding_mask", (B, S))
        if key_padding_mask.shape != (B, S):
            raise ValueError(f"key_padding_mask must be ({B}, {S}), got {tuple(key_padding_mask.shape)}")
        masks.append(key_padding_mask[:, None, None, :])  # (B, 1, 1, S)
    if is_causal and fused and not masks and L == S:
        return None, True
    if is_causal and L > 1:  # one query at the end sees every key: nothing to mask
        masks.append(causal_mask(L, S, device=ref.device))
    merged = combine_masks(*masks)
    if merged is not None and merged.is_floating_point():
        merged = merged.to(ref.dtype)
    return merged, False


def needs_grad(module: nn.Module, *tensors: Tensor) -> bool:
    return any(t.requires_grad for t in tensors) or any(p.requires_grad for p in module.parameters())


def head_mean(weights: Tensor) -> Tensor:
    """Average over heads as one (1 x H) @ (H x L*S) product per batch: a single pass, about 3x faster on
    CPU than ``mean(dim=1)`` (reduce, zero-fill, divide). Shape: (B, H, L, S) -> (B, L, S)."""
    B, H, L, S = weights.shape
    avg = torch.full((1, 1, H), 1.0 / H, dtype=weights.dtype, device=weights.device).expand(B, 1, H)
    return torch.bmm(avg, weights.reshape(B, H, L * S)).view(B, L, S)


def pack_heads(x: Tensor, bias: Tensor | None, scale: float = 1.0) -> Tensor:
    """``(x + bias) * scale`` written contiguous: one pass instead of bias, scale and layout copies.

    Shape: x (B, H, N, hd) strided, bias (H * hd,) -> (B, H, N, hd) contiguous.
    """
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    if bias is None:
        return torch.mul(x, scale, out=out)
    H, hd = x.shape[1], x.shape[3]
    return torch.add(bias.view(H, 1, hd) * scale, x, alpha=scale, out=out)


def pack_qkv(qkv: Tensor, bias: Tensor | None, scale: float) -> Tensor:
    """:func:`pack_heads` for the stacked self-attention projection, q scaled, k and v not: one pass.

    Shape: qkv (3, B, H, L, hd) strided, bias (3 * H * hd,) -> (3, B, H, L, hd) contiguous.
    """
    H, hd = qkv.shape[2], qkv.shape[4]
    out = torch.empty(qkv.shape, dtype=qkv.dtype, device=qkv.device)
    s = qkv.new_tensor([scale, 1.0, 1.0]).view(3, 1, 1, 1, 1)
    if bias is None:
        return torch.mul(qkv, s, out=out)
    return torch.addcmul(bias.view(3, 1, H, 1, hd) * s, qkv, s, out=out)


def check_dtype(name: str, x: Tensor, weight: Tensor) -> None:
    """An input of the module's parameter dtype (F.linear's own error names no argument)."""
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but the module's weights are {weight.dtype}; convert one of them"
        )


def check_kv(key: Tensor, value: Tensor, B: int, kdim: int, vdim: int, weight: Tensor) -> None:
    if key.dim() != 3 or key.shape[0] != B or key.shape[-1] != kdim:
        raise ValueError(f"key must be ({B}, S, {kdim}), got {tuple(key.shape)}")
    if value.dim() != 3 or value.shape[:2] != key.shape[:2] or value.shape[-1] != vdim:
        raise ValueError(f"value must be ({B}, {key.shape[1]}, {vdim}), got {tuple(value.shape)}")
    check_dtype("key", key, weight)
    check_dtype("value", value, weight)
