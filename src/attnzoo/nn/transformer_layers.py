"""Transformer encoder and decoder layers (Vaswani et al. 2017, *Attention Is All You Need*, 1706.03762, 3.1).

Each sub-layer (self-attention, cross-attention, feed-forward) is wrapped as in the paper,
``LayerNorm(x + Dropout(Sublayer(x)))`` (post-norm), or, with ``norm_first=True``, as
``x + Dropout(Sublayer(LayerNorm(x)))`` (pre-norm; Xiong et al. 2020, arXiv 2002.04745).

Shapes: B batch, L target length, S source (memory) length, D model dim; batch first. Masks: bool True =
may attend, float added (the opposite of torch's bool masks; ``convert_torch_mask`` converts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.feedforward import PositionwiseFeedForward
from attnzoo.nn.multihead import KVCache, MultiHeadAttention

__all__ = [
    "DecoderLayerCache",
    "DecoderLayerOutput",
    "EncoderLayerOutput",
    "TransformerDecoderLayer",
    "TransformerEncoderLayer",
]


class EncoderLayerOutput(NamedTuple):
    """What :class:`TransformerEncoderLayer` returns."""

    output: Tensor  # (B, L, D)
    weights: Tensor | None  # self-attention (B, H, L, L) or (B, L, L); None unless asked
    cache: KVCache | None  # updated self-attention cache when one was passed


class DecoderLayerCache(NamedTuple):
    """Per-layer decoding cache: the self-attention cache grows, the cross-attention one is computed once."""

    self_attn: KVCache = KVCache()
    cross_attn: KVCache = KVCache(static=True)


class DecoderLayerOutput(NamedTuple):
    """What :class:`TransformerDecoderLayer` returns."""

    output: Tensor  # (B, L, D)
    self_weights: Tensor | None  # (B, H, L, L) or averaged (B, L, L)
    cross_weights: Tensor | None  # (B, H, L, S) or averaged (B, L, S)
    cache: DecoderLayerCache | None


class _Layer(nn.Module):
    """What encoder and decoder layers share: construction checks, the FFN block, torch activations."""

    def _init_common(
        self, d_model, num_heads, d_ff, dropout, activation, activation_dropout, norm_first, bias
    ):
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.d_model, self.num_heads, self.norm_first = d_model, num_heads, norm_first
        self.ff = PositionwiseFeedForward(
            d_model, d_ff, dropout=activation_dropout, activation=activation, bias=bias
        )

    def _ff_block(self, x: Tensor, norm: nn.Module, drop: nn.Module) -> Tensor:
        if self.norm_first:
            return x + drop(self.ff(norm(x)))
        return norm(x + drop(self.ff(x)))

    @staticmethod
    def _torch_config(layer: nn.Module) -> dict:
        """Constructor arguments that reproduce a torch layer (dropout goes everywhere torch puts it)."""
        act = layer.activation
        act = {F.relu: "relu", F.gelu: "gelu"}.get(act, act)
        attn = layer.self_attn
        return dict(
            d_model=attn.embed_dim,
            num_heads=attn.num_heads,
            d_ff=layer.linear1.out_features,
            dropout=layer.dropout1.p,
            attention_dropout=attn.dropout,
            activation=act,
            activation_dropout=layer.dropout.p,
            norm_first=layer.norm_first,
            layer_norm_eps=layer.norm1.eps,
            bias=layer.linear1.bias is not None,
        )

    def _load_torch(self, layer: nn.Module) -> None:
        rename = {"linear1.": "ff.linear1.", "linear2.": "ff.linear2.", "multihead_attn.": "cross_attn."}
        state = {}
        for k, v in layer.state_dict().items():
            for old, new in rename.items():
                if k.startswith(old):
                    k = new + k[len(old) :]
            state[k] = v
        ref = layer.linear1.weight
        self.to(device=ref.device, dtype=ref.dtype)
        self.load_state_dict(state, strict=True)


class TransformerEncoderLayer(_Layer):
    """Self-attention then a position-wise feed-forward network, each with residual and LayerNorm.

    Args:
        d_model: D (the paper: 512).
        num_heads: H (8).
        d_ff: feed-forward inner size (2048).
        dropout: residual dropout on each sub-layer's output (the paper's P_drop = 0.1).
        attention_dropout: dropout on attention weights (not in the paper; torch uses ``dropout``).
        activation: feed-forward activation, ``"relu"`` (the paper) or ``"gelu"`` or a callable.
        activation_dropout: dropout after the activation (not in the paper; torch uses ``dropout``).
        norm_first: pre-norm instead of the paper's post-norm.
        layer_norm_eps: LayerNorm epsilon.
        bias: biases in the linear maps and LayerNorms.
        score: attention score (see :class:`MultiHeadAttention`).
        rotary: optional :class:`RotaryEmbedding` for the self-attention.
    """

    def __init__(
        self,
        d_model: int = 512,
        num_heads: int = 8,
        d_ff: int = 2048,
        *,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        activation_dropout: float = 0.0,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
        bias: bool = True,
        score: str | Callable = "scaled_dot",
        rotary: nn.Module | None = None,
    ):
        super().__init__()
        self._init_common(d_model, num_heads, d_ff, dropout, activation, activation_dropout, norm_first, bias)
        self.self_attn = MultiHeadAttention(
            d_model, num_heads, dropout=attention_dropout, bias=bias, score=score, rotary=rotary
        )
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        *,
        mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
        return_attention: bool = False,
        average_weights: bool = True,
        cache: KVCache | None = None,
    ) -> EncoderLayerOutput:
        """x (B, L, D) -> ``EncoderLayerOutput(output (B, L, D), weights, cache)``.

        ``mask``, ``key_padding_mask`` (B, L) True = real token, ``is_causal`` and ``cache`` go to the
        self-attention (a causal layer with a cache is a decoder-only block).
        """
        h = self.norm1(x) if self.norm_first else x
        a = self.self_attn(
            h,
            h,
            h,
            mask=mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=return_attention,
            average_weights=average_weights,
            cache=cache,
        )
        x = x + self.dropout1(a.output) if self.norm_first else self.norm1(x + self.dropout1(a.output))
        return EncoderLayerOutput(self._ff_block(x, self.norm2, self.dropout2), a.weights, a.cache)

    @classmethod
    def from_torch(cls, layer: nn.TransformerEncoderLayer) -> TransformerEncoderLayer:
        """Same weights and behaviour as a ``torch.nn.TransformerEncoderLayer`` (post- or pre-norm).

        torch's ``batch_first=False`` only changes its input layout; this layer is always batch first.
        """
        if not isinstance(layer, nn.TransformerEncoderLayer):
            raise TypeError(f"layer must be torch.nn.TransformerEncoderLayer, got {type(layer).__name__}")
        new = cls(**cls._torch_config(layer))
        new._load_torch(layer)
        return new


class TransformerDecoderLayer(_Layer):
    """Masked self-attention, cross-attention to the encoder memory, feed-forward; residual + LayerNorm.

    Args: as :class:`TransformerEncoderLayer` (``rotary`` applies to the self-attention only).
    """

    def __init__(
        self,
        d_model: int = 512,
        num_heads: int = 8,
        d_ff: int = 2048,
        *,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        activation_dropout: float = 0.0,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
        bias: bool = True,
        score: str | Callable = "scaled_dot",
        rotary: nn.Module | None = None,
    ):
        super().__init__()
        self._init_common(d_model, num_heads, d_ff, dropout, activation, activation_dropout, norm_first, bias)
        kw = dict(dropout=attention_dropout, bias=bias, score=score)
        self.self_attn = MultiHeadAttention(d_model, num_heads, rotary=rotary, **kw)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, **kw)
        self.norm1, self.norm2, self.norm3 = (
            nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias) for _ in "123"
        )
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(dropout) for _ in "123")

    def forward(
        self,
        x: Tensor,
        memory: Tensor | None,
        *,
        tgt_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = True,
        memory_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        return_attention: bool = False,
        average_weights: bool = True,
        cache: DecoderLayerCache | None = None,
    ) -> DecoderLayerOutput:
        """x (B, L, D), memory (B, S, D) -> ``DecoderLayerOutput(output, self_w, cross_w, cache)``.

        Masks (True = may attend): ``tgt_mask`` (L, L)-broadcastable, ``tgt_key_padding_mask`` (B, L),
        ``memory_mask`` (L, S)-broadcastable, ``memory_key_padding_mask`` (B, S). ``tgt_is_causal`` (on
        by default, unlike torch) hides later target positions. With ``cache`` (a
        :class:`DecoderLayerCache`) x holds only the new positions, and ``memory`` may be None once the
        cross-attention cache is filled.
        """
        sc, cc = (None, None) if cache is None else cache
        h = self.norm1(x) if self.norm_first else x
        a = self.self_attn(
            h,
            h,
            h,
            mask=tgt_mask,
            key_padding_mask=tgt_key_padding_mask,
            is_causal=tgt_is_causal,
            need_weights=return_attention,
            average_weights=average_weights,
            cache=sc,
        )
        x = x + self.dropout1(a.output) if self.norm_first else self.norm1(x + self.dropout1(a.output))
        if memory is None and (cc is None or cc.key is None):
            raise ValueError("memory is required unless the cross-attention cache is already filled")
        h = self.norm2(x) if self.norm_first else x
        c = self.cross_attn(
            h,
            memory,
            memory,
            mask=memory_mask,
            key_padding_mask=memory_key_padding_mask,
            need_weights=return_attention,
            average_weights=average_weights,
            cache=cc,
        )
        x = x + self.dropout2(c.output) if self.norm_first else self.norm2(x + self.dropout2(c.output))
        out = self._ff_block(x, self.norm3, self.dropout3)
        new_cache = None if cache is None else DecoderLayerCache(a.cache, c.cache)
        return DecoderLayerOutput(out, a.weights, c.weights, new_cache)

    @classmethod
    def from_torch(cls, layer: nn.TransformerDecoderLayer) -> TransformerDecoderLayer:
        """Same weights and behaviour as a ``torch.nn.TransformerDecoderLayer`` (post- or pre-norm)."""
        if not isinstance(layer, nn.TransformerDecoderLayer):
            raise TypeError(f"layer must be torch.nn.TransformerDecoderLayer, got {type(layer).__name__}")
        new = cls(**cls._torch_config(layer))
        new._load_torch(layer)
        return new
