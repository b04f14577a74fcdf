"""Positional encodings for attention, which by itself is blind to order.

- sinusoidal: Vaswani et al. 2017, *Attention Is All You Need* (arXiv 1706.03762), sec. 3.5;
- learned absolute: Gehring et al. 2017, *Convolutional Sequence to Sequence Learning* (1705.03122);
- rotary (RoPE): Su et al. 2021, *RoFormer* (2104.09864), eq. 34;
- ALiBi: Press et al. 2022, *Train Short, Test Long* (2108.12409), sec. 3.

Shapes: B batch, H heads, L query length, S key length, D model dim, N positions.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = [
    "LearnedPositionalEncoding",
    "RotaryEmbedding",
    "SinusoidalPositionalEncoding",
    "alibi_bias",
    "alibi_slopes",
    "sinusoidal_encoding",
]


def sinusoidal_encoding(
    length: int, d_model: int, *, base: float = 10000.0, device=None, dtype=None
) -> Tensor:
    """The paper's table: ``PE[pos, 2i] = sin(pos / base^(2i/D))``, ``PE[pos, 2i+1] = cos(same)``.

    Returns: (length, d_model); sines in even columns, cosines in odd ones (interleaved, as written).
    """
    if length < 0 or d_model <= 0:
        raise ValueError(f"need length >= 0 and d_model > 0, got length={length}, d_model={d_model}")
    pos = torch.arange(length, device=device, dtype=torch.float64)[:, None]  # (N, 1)
    inv_freq = base ** (-torch.arange(0, d_model, 2, device=device, dtype=torch.float64) / d_model)
    angles = pos * inv_freq  # (N, ceil(D/2)), float64 so long tables stay exact in float32
    pe = torch.zeros(length, d_model, device=device, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return pe.to(dtype or torch.get_default_dtype())


def _check_offset(offset: int, L: int, max_len: int) -> None:
    if offset < 0 or offset + L > max_len:
        raise ValueError(f"positions {offset}..{offset + L - 1} do not fit max_len={max_len}")


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal table to embeddings, then dropout (the paper uses 0.1, sec. 5.4).

    Args:
        d_model: D.
        max_len: longest sequence (table rows).
        dropout: dropout applied to the sum.
        base: the 10000 of the formula.

    Shape: x (B, L, D) -> (B, L, D); ``offset`` is the position of x's first token (for decoding steps).
    """

    def __init__(self, d_model: int, max_len: int = 5000, *, dropout: float = 0.0, base: float = 10000.0):
        super().__init__()
        self.d_model, self.max_len, self.base = d_model, max_len, base
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model, base=base), persistent=False)

    def _apply(self, fn, *args, **kwargs):
        # after a cast or a move, rebuild the table (computed in float64) in its new dtype: casting the
        # float32 table to float64 would keep float32's rounding
        super()._apply(fn, *args, **kwargs)
        pe = self.pe
        self.pe = sinusoidal_encoding(
            self.max_len, self.d_model, base=self.base, device=pe.device, dtype=pe.dtype
        )
        return self

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        L = x.shape[-2]
        _check_offset(offset, L, self.max_len)
        return self.dropout(x + self.pe[offset : offset + L].to(x.dtype))


class LearnedPositionalEncoding(nn.Module):
    """Adds a trained embedding of each absolute position, then dropout (ConvS2S, BERT, GPT).

    Shape: x (B, L, D) -> (B, L, D); ``offset`` is the position of x's first token.
    """

    def __init__(self, d_model: int, max_len: int = 5000, *, dropout: float = 0.0):
        super().__init__()
        self.max_len = max_len
        self.embedding = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        L = x.shape[-2]
        _check_offset(offset, L, self.max_len)
        return self.dropout(x + self.embedding.weight[offset : offset + L])


class RotaryEmbedding(nn.Module):
    """Rotary position embedding: rotate each pair of features by an angle proportional to the position.

    Pairs are adjacent features ``(x_{2i}, x_{2i+1})`` with ``theta_i = base^(-2i/dim)``, as in the
    paper's eq. 34. Applied to queries and keys (not values), the score ``<R_m q, R_n k>`` depends on the
    positions only through ``m - n``. Pass it to :class:`MultiHeadAttention` as ``rotary=``.

    Shape: x (..., N, dim) -> (..., N, dim); positions are ``offset, ..., offset + N - 1``.
    """

    def __init__(self, dim: int, *, base: float = 10000.0):
        super().__init__()
        if dim <= 0 or dim % 2:
            raise ValueError(f"dim must be a positive even number, got {dim}")
        self.dim, self.base = dim, base
        self.register_buffer("inv_freq", self._inv_freq(), persistent=False)

    def _inv_freq(self, device=None) -> Tensor:
        return self.base ** (-torch.arange(0, self.dim, 2, device=device).double() / self.dim)

    def _apply(self, fn, *args, **kwargs):
        # the frequencies stay float64 whatever the model is cast to (the angles are float64 throughout)
        super()._apply(fn, *args, **kwargs)
        self.inv_freq = self._inv_freq(self.inv_freq.device)
        return self

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def angles(self, n: int, offset: int = 0, device=None) -> Tensor:
        """(n, dim/2) rotation angles of positions offset..offset+n-1 (float64)."""
        pos = torch.arange(offset, offset + n, device=device, dtype=torch.float64)
        return pos[:, None] * self.inv_freq.to(device)[None, :]

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must end in dim={self.dim}, got {tuple(x.shape)}")
        ang = self.angles(x.shape[-2], offset, x.device)
        cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)  # (N, dim/2)
        pairs = x.unflatten(-1, (self.dim // 2, 2))  # (..., N, dim/2, 2)
        x0, x1 = pairs[..., 0], pairs[..., 1]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


def alibi_slopes(num_heads: int) -> Tensor:
    """ALiBi head slopes: the geometric sequence ``2^(-8/H), 2^(-16/H), ...``.

    For H not a power of two, the paper's recipe: the slopes of the closest lower power of two, then every
    other slope of the next power of two. Returns (H,).
    """
    if num_heads <= 0:
        raise ValueError(f"num_heads must be positive, got {num_heads}")

    def pow2(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    p = 2 ** math.floor(math.log2(num_heads))
    slopes = pow2(p) + pow2(2 * p)[0::2][: num_heads - p]
    return torch.tensor(slopes)


def alibi_bias(
    num_heads: int, L: int, S: int | None = None, *, causal: bool = False, device=None, dtype=None
) -> Tensor:
    """ALiBi as a float mask to add to the scores: ``-m_h * |i' - j|`` with ``i' = i + S - L``.

    Queries are aligned to the end of the keys (as ``causal_mask``), so the bias stays right with a KV
    cache. With ``causal=True`` future keys get ``-inf`` (the paper's language-model setting); without, the
    penalty is symmetric, the usual bidirectional extension.

    Returns: (H, L, S), broadcastable to (B, H, L, S) as ``mask=`` of :class:`MultiHeadAttention`.
    """
    S = L if S is None else S
    dtype = dtype or torch.get_default_dtype()
    i = torch.arange(L, device=device)[:, None] + (S - L)
    j = torch.arange(S, device=device)[None, :]
    dist = (i - j).to(dtype)  # (L, S)
    bias = -alibi_slopes(num_heads).to(device=device, dtype=dtype)[:, None, None] * dist.abs()
    if causal:
        bias = bias.masked_fill(j > i, float("-inf"))
    return bias
