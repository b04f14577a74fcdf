"""The boundary with ``torch.nn.MultiheadAttention``: its mask convention and weight copies both ways.

torch's bool masks mean *ignore* (attnzoo's, as SDPA's, mean *may attend*); the parameter layouts are the
same, so weights copy one to one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from attnzoo.nn.multihead import MultiHeadAttention

__all__ = ["convert_torch_mask"]


def convert_torch_mask(mask: Tensor | None) -> Tensor | None:
    """Convert a ``torch.nn.MultiheadAttention`` mask to attnzoo's convention.

    A bool mask is inverted (torch: ``True`` = ignore; attnzoo: ``True`` = may attend); a float mask is
    additive in both and passes unchanged. Works for ``attn_mask`` and ``key_padding_mask`` alike.
    """
    if mask is None or mask.dtype != torch.bool:
        return mask
    return ~mask


def mha_from_torch(cls: type[MultiHeadAttention], module: nn.MultiheadAttention) -> MultiHeadAttention:
    """A ``cls`` (a MultiHeadAttention) with the same weights as a ``torch.nn.MultiheadAttention``.

    torch's ``batch_first=False`` only changes its input layout; this module is always batch first.
    ``add_bias_kv`` and ``add_zero_attn`` have no counterpart here and raise ``ValueError``.
    """
    if not isinstance(module, nn.MultiheadAttention):
        raise TypeError(f"module must be torch.nn.MultiheadAttention, got {type(module).__name__}")
    if module.bias_k is not None or module.add_zero_attn:
        raise ValueError("add_bias_kv and add_zero_attn are not supported by attnzoo MultiHeadAttention")
    ref = module.in_proj_weight if module.in_proj_weight is not None else module.q_proj_weight
    new = cls(
        module.embed_dim,
        module.num_heads,
        kdim=module.kdim,
        vdim=module.vdim,
        dropout=module.dropout,
        bias=module.in_proj_bias is not None,
    )
    new.to(device=ref.device, dtype=ref.dtype)
    new.load_state_dict(module.state_dict(), strict=True)
    return new


def mha_to_torch(mha: MultiHeadAttention, batch_first: bool = True) -> nn.MultiheadAttention:
    """Build a ``torch.nn.MultiheadAttention`` with the same weights (scaled dot score only)."""
    if mha.score != "scaled_dot" or mha.score_kwargs or mha.rotary is not None:
        raise ValueError("to_torch needs score='scaled_dot' without score_kwargs and no rotary embedding")
    ref = mha.out_proj.weight
    mod = nn.MultiheadAttention(
        mha.embed_dim,
        mha.num_heads,
        dropout=mha.dropout,
        bias=mha.in_proj_bias is not None,
        kdim=mha.kdim,
        vdim=mha.vdim,
        batch_first=batch_first,
        device=ref.device,
        dtype=ref.dtype,
    )
    mod.load_state_dict(mha.state_dict(), strict=True)
    return mod
