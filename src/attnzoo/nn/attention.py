"""Attention as modules: :class:`Attention` wraps :func:`attnzoo.functional.attention`; learnable scores
:class:`AdditiveScore` (Bahdanau et al. 2015, arXiv 1409.0473) and :class:`BilinearScore` (Luong et al.
2015, arXiv 1508.04025, "general")."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from attnzoo.functional import AttentionOutput, attention
from attnzoo.functional._additive import additive_scores_projected
from attnzoo.functional.scores import ScoreFn, get_score

__all__ = ["AdditiveScore", "Attention", "BilinearScore"]


class AdditiveScore(nn.Module):
    """Learnable additive score ``s_ij = v^T tanh(W_q q_i + W_k k_j (+ b))`` (Bahdanau et al. 2015).

    Never materialises ``(..., L, S, hidden_dim)``. For a decoder that scores one query per step against a
    fixed source, project the keys once with :meth:`project_keys` and pass ``projected_keys=``.

    Shape: query ``(..., L, query_dim)``, key ``(..., S, key_dim)`` -> scores ``(..., L, S)``.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden_dim: int, *, bias: bool = False):
        super().__init__()
        self.query_proj = nn.Linear(query_dim, hidden_dim, bias=False)
        self.key_proj = nn.Linear(key_dim, hidden_dim, bias=bias)
        self.score_proj = nn.Parameter(torch.empty(hidden_dim).uniform_(-1, 1) / math.sqrt(hidden_dim))

    def project_keys(self, key: Tensor) -> Tensor:
        """``W_k k (+ b)``: ``(..., S, key_dim) -> (..., S, hidden_dim)``; compute once per source."""
        return self.key_proj(key)

    def forward(
        self, query: Tensor, key: Tensor | None = None, *, projected_keys: Tensor | None = None
    ) -> Tensor:
        if (key is None) == (projected_keys is None):
            raise ValueError("pass exactly one of key and projected_keys")
        kp = self.project_keys(key) if projected_keys is None else projected_keys
        return additive_scores_projected(self.query_proj(query), kp, self.score_proj)


class BilinearScore(nn.Module):
    """Learnable bilinear ("general") score ``s_ij = q_i^T W k_j`` (Luong et al. 2015).

    Shape: query ``(..., L, query_dim)``, key ``(..., S, key_dim)`` -> scores ``(..., L, S)``. Inside
    :class:`Attention` it takes the fused SDPA path (the query is projected by ``W`` first).
    """

    def __init__(self, query_dim: int, key_dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(query_dim, key_dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, query: Tensor, key: Tensor) -> Tensor:
        return (query @ self.weight) @ key.transpose(-2, -1)


class Attention(nn.Module):
    """``output = normalize(score(query, key), mask) @ value`` with dropout on the weights in training.

    Args:
        score: a score name (``dot``, ``scaled_dot``, ``cosine``, ``general``, ``additive``, ``gaussian``),
            a callable ``score(q, k) -> (..., L, S)``, or a score module (:class:`AdditiveScore`,
            :class:`BilinearScore` or any ``nn.Module`` with that forward), whose parameters are learned.
        normalize: a normaliser name or callable (see :func:`attnzoo.functional.attention`).
        dropout: dropout probability on the attention weights (training mode only).
        score_kwargs: fixed keyword arguments for the score, passed as they are.
        normalize_kwargs: fixed keyword arguments for the normaliser, passed as they are.
        **kwargs: the short form, routed as in :func:`attnzoo.functional.attention` (e.g.
            ``temperature=0.1`` or ``top_k=2``); a keyword both take must go in one of the dicts above.

    Shape: query ``(..., L, E)``, key ``(..., S, E_k)``, value ``(..., S, Ev)``, mask broadcastable to
    ``(..., L, S)`` (True = may attend) -> :class:`~attnzoo.functional.AttentionOutput` with output
    ``(..., L, Ev)`` and weights ``(..., L, S)`` when ``return_attention=True``.
    """

    def __init__(
        self,
        score: str | ScoreFn | nn.Module = "scaled_dot",
        normalize: str | Callable = "softmax",
        dropout: float = 0.0,
        *,
        score_kwargs: dict | None = None,
        normalize_kwargs: dict | None = None,
        **kwargs,
    ):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        if isinstance(score, nn.Module):
            self.score = score
        else:
            get_score(score)  # fail early on an unknown name
            self._score_fn = score
        self.normalize = normalize
        self.dropout = dropout
        self.options = dict(kwargs)
        self.score_kwargs = dict(score_kwargs or {})
        self.normalize_kwargs = dict(normalize_kwargs or {})

    def _score_spec(self) -> tuple[str | ScoreFn, dict]:
        """The functional score and its tensors; learnable scores map onto fused functional ones."""
        if isinstance(getattr(self, "score", None), BilinearScore):
            return "general", {"weight": self.score.weight}
        if isinstance(getattr(self, "score", None), nn.Module):
            return (lambda q, k: self.score(q, k)), {}
        return self._score_fn, {}

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        mask: Tensor | None = None,
        *,
        return_attention: bool = False,
    ) -> AttentionOutput:
        score, tensors = self._score_spec()
        return attention(
            query,
            key,
            value,
            score=score,
            mask=mask,
            normalize=self.normalize,
            return_weights=return_attention,
            dropout_p=self.dropout if self.training else 0.0,
            score_kwargs={**tensors, **self.score_kwargs},
            normalize_kwargs=self.normalize_kwargs,
            **self.options,
        )

    def extra_repr(self) -> str:
        score = self._score_fn if not isinstance(getattr(self, "score", None), nn.Module) else "module"
        return f"score={score!r}, normalize={self.normalize!r}, dropout={self.dropout}"
