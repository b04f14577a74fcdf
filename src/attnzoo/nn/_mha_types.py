"""What :class:`~attnzoo.nn.MultiHeadAttention` keeps between decoding steps and what it returns.

Shapes: B batch, H heads, L query length, S key length, D model dim, hd = D / H per head.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor

__all__ = ["KVCache", "MultiHeadAttentionOutput"]


class KVCache(NamedTuple):
    """Projected keys and values kept between decoding steps.

    ``KVCache()`` is an empty self-attention cache: each call appends the new keys/values.
    ``KVCache(static=True)`` is a cross-attention cache: the first call projects ``key``/``value`` (the
    encoder memory) once, later calls reuse them and ignore ``key``/``value``.
    """

    key: Tensor | None = None  # (B, H, S, hd), rotary already applied
    value: Tensor | None = None  # (B, H, S, hd)
    static: bool = False

    @property
    def length(self) -> int:
        """Number of cached key positions (0 when empty)."""
        return 0 if self.key is None else self.key.shape[-2]


class MultiHeadAttentionOutput(NamedTuple):
    """What :class:`MultiHeadAttention` returns."""

    output: Tensor  # (B, L, D)
    weights: Tensor | None  # (B, H, L, S), or (B, L, S) averaged over heads; None unless asked
    cache: KVCache | None  # the updated cache when one was passed in
