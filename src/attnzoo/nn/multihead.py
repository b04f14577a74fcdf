"""Multi-head attention (Vaswani et al. 2017, *Attention Is All You Need*, arXiv 1706.03762, sec. 3.2.2).

``MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W^O``, ``head_h = Attention(Q W_h^Q, K W_h^K, V W_h^V)``.

Shapes: B batch, H heads, L query length, S key length, D model dim (``embed_dim``), hd = D / H per head.
Masks follow attnzoo's convention (as in SDPA): a bool ``True`` means *may attend*; a float mask is added
to the scores. ``torch.nn.MultiheadAttention`` uses the opposite for bool masks (``True`` = ignore);
:func:`convert_torch_mask` converts at the boundary.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.functional import attention
from attnzoo.functional._masked import scaled_dot_with_weights, sdpa
from attnzoo.nn._mha_ops import (
    check_args,
    check_dtype,
    check_kv,
    head_mean,
    merge_masks,
    needs_grad,
    pack_heads,
    pack_qkv,
)
from attnzoo.nn._mha_torch import convert_torch_mask, mha_from_torch, mha_to_torch
from attnzoo.nn._mha_types import KVCache, MultiHeadAttentionOutput

__all__ = ["KVCache", "MultiHeadAttention", "MultiHeadAttentionOutput", "convert_torch_mask"]


class MultiHeadAttention(nn.Module):
    """Multi-head attention, batch first, with a fused fast path and per-head weights on request.

    Without weights and with the paper's scaled dot-product score the heads run through
    ``F.scaled_dot_product_attention`` (fused); with ``need_weights`` the weights are materialised; any
    other attnzoo score (by name, a callable ``score(q, k) -> (..., L, S)``, or an ``nn.Module`` whose
    parameters are then trained with this module) runs per head through ``attnzoo.functional.attention``.

    The parameter layout is torch's (``in_proj_weight`` (3D, D) when ``kdim == vdim == D``, otherwise
    ``q_proj_weight``/``k_proj_weight``/``v_proj_weight``; ``in_proj_bias`` (3D); ``out_proj``), so
    :meth:`from_torch` and :meth:`to_torch` copy weights one to one.

    Args:
        embed_dim: model dimension D (queries and output).
        num_heads: number of heads H; must divide ``embed_dim``.
        kdim: feature size of ``key`` (default D).
        vdim: feature size of ``value`` (default D).
        dropout: dropout on the attention weights during training.
        bias: whether the input and output projections have biases.
        score: ``"scaled_dot"`` (the paper), another registered attnzoo score, or a callable.
        score_kwargs: extra keyword arguments for the score (e.g. a temperature).
        rotary: a :class:`~attnzoo.nn.RotaryEmbedding` applied to per-head queries and keys (RoFormer),
            meant for self-attention.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        *,
        kdim: int | None = None,
        vdim: int | None = None,
        dropout: float = 0.0,
        bias: bool = True,
        score: str | Callable[[Tensor, Tensor], Tensor] = "scaled_dot",
        score_kwargs: dict | None = None,
        rotary: nn.Module | None = None,
    ) -> None:
        super().__init__()
        check_args(embed_dim, num_heads, dropout, score, rotary, kdim, vdim)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self.dropout = dropout
        self.score = score  # an nn.Module score registers itself as a submodule here
        self.score_kwargs = dict(score_kwargs or {})
        self.rotary = rotary
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform projections and zero biases, as ``torch.nn.MultiheadAttention``."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        return s + f", dropout={self.dropout}, score={self.score!r}"

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        *,
        mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
        need_weights: bool = False,
        average_weights: bool = True,
        cache: KVCache | None = None,
    ) -> MultiHeadAttentionOutput:
        """Attend from ``query`` to ``key``/``value`` (self-attention when they are left out).

        Args:
            query: (B, L, D).
            key: (B, S, kdim); defaults to ``query``.
            value: (B, S, vdim); defaults to ``key``.
            mask: bool (True = may attend) or float (added to scores), broadcastable to (B, H, L, S).
            key_padding_mask: (B, S), bool True = real token (the opposite of torch's), or float added.
            is_causal: query i may attend key j only when j <= i + S - L (aligned to the end, so it stays
                right with a cache); combined with the masks.
            need_weights: also return the attention weights (materialises them). They are the softmax
                before dropout (torch returns them after dropout; the two agree in eval mode).
            average_weights: average the returned weights over heads, as torch does.
            cache: a :class:`KVCache` for incremental decoding; the updated one is returned.

        Returns:
            ``MultiHeadAttentionOutput(output (B, L, D), weights, cache)``. A query whose keys are all
            masked gets zero weights and a zero attention output (before ``out_proj``), never NaN
            (torch gives NaN there). Inputs must be batched (3-D).
        """
        key = query if key is None else key
        value = key if value is None else value
        is_dot = self.score == "scaled_dot" and not self.score_kwargs  # else attention() applies them
        fused = is_dot and not need_weights
        # without autograd the weights path gets its heads packed contiguous, q pre-scaled (one pass)
        grad = torch.is_grad_enabled() and needs_grad(self, query, key, value)
        pack = is_dot and need_weights and not grad
        q, k, v, cache = self._project(query, key, value, cache, pack)  # (B, H, L, hd), (B, H, S, hd)
        B, H, L, hd = q.shape
        S = k.shape[-2]
        attn_mask, causal_flag = merge_masks(mask, key_padding_mask, is_causal, B, H, L, S, q, fused)
        dropout_p = self.dropout if self.training else 0.0
        if fused:
            out, weights = sdpa(q, k, v, attn_mask, dropout_p, is_causal=causal_flag), None
        elif is_dot:
            out, weights = scaled_dot_with_weights(q, k, v, attn_mask, dropout_p, q_scaled=pack)
        else:
            res = attention(
                q,
                k,
                v,
                score=self.score,
                mask=attn_mask,
                return_weights=need_weights,
                dropout_p=dropout_p,
                score_kwargs=self.score_kwargs,
            )
            out, weights = res.output, res.weights
        out = self.out_proj(out.transpose(1, 2).reshape(B, L, H * hd))  # (B, L, D)
        if weights is not None and average_weights:
            weights = head_mean(weights)  # (B, L, S)
        return MultiHeadAttentionOutput(out, weights, cache)

    def precompute_kv(self, key: Tensor, value: Tensor | None = None) -> KVCache:
        """Project ``key``/``value`` (e.g. the encoder memory) once into a static cross-attention cache.

        Shape: key (B, S, kdim), value (B, S, vdim) -> ``KVCache`` with (B, H, S, hd) tensors.
        """
        value = key if value is None else value
        if key.dim() != 3:
            raise ValueError(f"key must be (B, S, {self.kdim}), got {tuple(key.shape)}")
        k, v = self._project_kv(key, value, key.shape[0], pack=False)
        return KVCache(k if self.rotary is None else self.rotary(k), v, static=True)

    def _in_proj(self) -> tuple[Tensor, ...]:
        """(wq, wk, wv, bq, bk, bv), biases None without bias."""
        W, b = self.in_proj_weight, self.in_proj_bias
        ws = W.chunk(3) if W is not None else (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return (*ws, *((None, None, None) if b is None else b.chunk(3)))

    def _project_kv(self, key: Tensor, value: Tensor, B: int, pack: bool) -> tuple[Tensor, Tensor]:
        """Keys and values split into heads: (B, H, S, hd) each (bias left out when ``pack``)."""
        check_kv(key, value, B, self.kdim, self.vdim, self.out_proj.weight)
        D, H, hd = self.embed_dim, self.num_heads, self.head_dim
        S = key.shape[1]
        _, wk, wv, _, bk, bv = self._in_proj()
        if self.in_proj_weight is not None and key is value:  # one (B, S, 2D) matmul
            b = None if pack or bk is None else self.in_proj_bias[D:]
            kv = F.linear(key, self.in_proj_weight[D:], b).view(B, S, 2, H, hd)
            return kv.permute(2, 0, 3, 1, 4).unbind(0)
        k = F.linear(key, wk, None if pack else bk).view(B, S, H, hd).transpose(1, 2)
        v = F.linear(value, wv, None if pack else bv).view(B, S, H, hd).transpose(1, 2)
        return k, v

    def _project(
        self, query: Tensor, key: Tensor, value: Tensor, cache: KVCache | None, pack: bool
    ) -> tuple[Tensor, Tensor, Tensor, KVCache | None]:
        """In-projections split into heads, with rotary positions and the cache applied.

        Heads are strided views of the projection output (SDPA takes them as they are) unless ``pack``:
        then the bias is added while copying each head contiguous, and q is multiplied by 1/sqrt(hd).
        """
        if query.dim() != 3 or query.shape[-1] != self.embed_dim:
            raise ValueError(f"query must be (B, L, {self.embed_dim}), got {tuple(query.shape)}")
        check_dtype("query", query, self.out_proj.weight)
        H, hd = self.num_heads, self.head_dim
        B, L = query.shape[:2]
        reuse = cache is not None and cache.static and cache.key is not None
        wq, _, _, bq, bk, bv = self._in_proj()
        stacked = self.in_proj_weight is not None and not reuse and query is key and key is value
        if stacked:
            # one (B, L, 3D) matmul; the per-head views need no copy
            b = None if pack else self.in_proj_bias
            qkv = F.linear(query, self.in_proj_weight, b).view(B, L, 3, H, hd).permute(2, 0, 3, 1, 4)
            if pack:
                qkv = pack_qkv(qkv, self.in_proj_bias, hd**-0.5)
            q, k, v = qkv.unbind(0)  # (B, H, L, hd) each
        else:
            q = F.linear(query, wq, None if pack else bq).view(B, L, H, hd).transpose(1, 2)
            k, v = (cache.key, cache.value) if reuse else self._project_kv(key, value, B, pack)
        if pack and not stacked:
            q = pack_heads(q, bq, hd**-0.5)
            if not reuse:
                k, v = pack_heads(k, bk), pack_heads(v, bv)
        past = 0 if cache is None or cache.static else cache.length
        if self.rotary is not None:
            q = self.rotary(q, offset=past)
            if not reuse:
                k = self.rotary(k, offset=past)
        if cache is not None and not reuse:
            if past:
                k = torch.cat([cache.key, k], dim=2)  # (B, H, past + S, hd)
                v = torch.cat([cache.value, v], dim=2)
            cache = KVCache(k, v, cache.static)
        return q, k, v, cache

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadAttention:
        """Build one with the same weights as a ``torch.nn.MultiheadAttention``.

        torch's ``batch_first=False`` only changes its input layout; this module is always batch first.
        ``add_bias_kv`` and ``add_zero_attn`` have no counterpart here and raise ``ValueError``.
        """
        return mha_from_torch(cls, module)

    def to_torch(self, batch_first: bool = True) -> nn.MultiheadAttention:
        """Build a ``torch.nn.MultiheadAttention`` with the same weights (scaled dot score only)."""
        return mha_to_torch(self, batch_first)
