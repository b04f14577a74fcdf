"""Transformer encoder and decoder stacks (Vaswani et al. 2017, *Attention Is All You Need*, 1706.03762, 3.1):
N identical layers (the paper: 6), each returning its attention maps when asked.

Shapes: B batch, S source length, L target length, D model dim; batch first. Masks: bool True = may attend.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

from torch import Tensor, nn

from attnzoo.nn.multihead import KVCache
from attnzoo.nn.transformer_layers import DecoderLayerCache, TransformerDecoderLayer, TransformerEncoderLayer

__all__ = ["DecoderOutput", "EncoderOutput", "TransformerDecoder", "TransformerEncoder"]


class EncoderOutput(NamedTuple):
    """What :class:`TransformerEncoder` returns: one weights/cache entry per layer."""

    output: Tensor  # (B, S, D)
    weights: tuple[Tensor, ...] | None  # one self-attention map per layer, (B, H, S, S) or (B, S, S)
    cache: tuple[KVCache, ...] | None  # per-layer self-attention caches (decoder-only use)


class DecoderOutput(NamedTuple):
    """What :class:`TransformerDecoder` returns: one weights/cache entry per layer."""

    output: Tensor  # (B, L, D) (logits (B, L, V) from Transformer.decode)
    self_weights: tuple[Tensor, ...] | None  # per layer, (B, H, L, L) or (B, L, L)
    cross_weights: tuple[Tensor, ...] | None  # per layer, (B, H, L, S) or (B, L, S)
    cache: tuple[DecoderLayerCache, ...] | None


def _clones(layer: nn.Module, n: int) -> nn.ModuleList:
    """n copies of ``layer``, each re-initialised (torch's deepcopy starts every layer identical)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"num_layers must be a positive int, got {n!r}")
    layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(n))
    for lay in layers[1:]:
        for m in lay.modules():
            if m is not lay and hasattr(m, "reset_parameters"):
                m.reset_parameters()
    return layers


def _check_cache(cache, n: int) -> None:
    if cache is not None and len(cache) != n:
        raise ValueError(f"cache must hold one entry per layer ({n}), got {len(cache)}")


class TransformerEncoder(nn.Module):
    """A stack of :class:`TransformerEncoderLayer` (the paper: 6), with an optional final ``norm``.

    Pre-norm stacks (``norm_first=True``) want a final ``nn.LayerNorm``; post-norm ones do not.
    """

    def __init__(self, layer: TransformerEncoderLayer, num_layers: int, *, norm: nn.Module | None = None):
        super().__init__()
        self.layers = _clones(layer, num_layers)
        self.norm = norm

    def forward(
        self,
        x: Tensor,
        *,
        mask=None,
        key_padding_mask=None,
        is_causal: bool = False,
        return_attention: bool = False,
        average_weights: bool = True,
        cache: tuple[KVCache, ...] | None = None,
    ) -> EncoderOutput:
        """x (B, S, D) -> ``EncoderOutput(output, weights, cache)``, one entry a layer; masks as the layer."""
        _check_cache(cache, len(self.layers))
        weights, caches = [], []
        for i, layer in enumerate(self.layers):
            x, w, c = layer(
                x,
                mask=mask,
                key_padding_mask=key_padding_mask,
                is_causal=is_causal,
                return_attention=return_attention,
                average_weights=average_weights,
                cache=None if cache is None else cache[i],
            )
            weights.append(w)
            caches.append(c)
        x = x if self.norm is None else self.norm(x)
        return EncoderOutput(
            x, tuple(weights) if return_attention else None, None if cache is None else tuple(caches)
        )

    @classmethod
    def from_torch(cls, encoder: nn.TransformerEncoder) -> TransformerEncoder:
        """Same weights as a ``torch.nn.TransformerEncoder`` (each layer via its ``from_torch``)."""
        layers = [TransformerEncoderLayer.from_torch(lay) for lay in encoder.layers]
        new = cls(layers[0], 1, norm=copy.deepcopy(encoder.norm))
        new.layers = nn.ModuleList(layers)
        return new


class TransformerDecoder(nn.Module):
    """A stack of :class:`TransformerDecoderLayer` (the paper: 6), with an optional final ``norm``."""

    def __init__(self, layer: TransformerDecoderLayer, num_layers: int, *, norm: nn.Module | None = None):
        super().__init__()
        self.layers = _clones(layer, num_layers)
        self.norm = norm

    def init_cache(self, memory: Tensor) -> tuple[DecoderLayerCache, ...]:
        """Empty self-attention caches and the memory's keys/values projected once per layer."""
        return tuple(
            DecoderLayerCache(KVCache(), lay.cross_attn.precompute_kv(memory)) for lay in self.layers
        )

    def forward(
        self,
        x: Tensor,
        memory: Tensor | None,
        *,
        tgt_mask=None,
        tgt_key_padding_mask=None,
        tgt_is_causal: bool = True,
        memory_mask=None,
        memory_key_padding_mask=None,
        return_attention: bool = False,
        average_weights: bool = True,
        cache: tuple[DecoderLayerCache, ...] | None = None,
    ) -> DecoderOutput:
        """x (B, L, D), memory (B, S, D) -> ``DecoderOutput``; causal unless ``tgt_is_causal=False``."""
        _check_cache(cache, len(self.layers))
        sw, cw, caches = [], [], []
        for i, layer in enumerate(self.layers):
            x, a, c, k = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_mask=memory_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                return_attention=return_attention,
                average_weights=average_weights,
                cache=None if cache is None else cache[i],
            )
            sw.append(a)
            cw.append(c)
            caches.append(k)
        x = x if self.norm is None else self.norm(x)
        w = (tuple(sw), tuple(cw)) if return_attention else (None, None)
        return DecoderOutput(x, *w, None if cache is None else tuple(caches))

    @classmethod
    def from_torch(cls, decoder: nn.TransformerDecoder) -> TransformerDecoder:
        """Same weights as a ``torch.nn.TransformerDecoder`` (each layer via its ``from_torch``)."""
        layers = [TransformerDecoderLayer.from_torch(lay) for lay in decoder.layers]
        new = cls(layers[0], 1, norm=copy.deepcopy(decoder.norm))
        new.layers = nn.ModuleList(layers)
        return new
