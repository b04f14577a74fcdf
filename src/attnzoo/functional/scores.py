"""Attention scores ``score(query, key, **kwargs) -> (..., L, S)``: how well each query matches each key.

Shape legend: ``query (..., L, E)``, ``key (..., S, E)`` (``E_k`` where the score allows), scores
``(..., L, S)``. Any callable with this signature is a valid score for :func:`attnzoo.functional.attention`;
:func:`register_score` adds one to the registry by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from attnzoo._registry import Registry
from attnzoo.functional._additive import additive_scores_projected
from attnzoo.functional._checks import (
    check_general_weight,
    check_positive,
    check_same_last_dim,
    check_tensor,
    shape_str,
)

__all__ = [
    "SCORES",
    "additive_score",
    "cosine_score",
    "dot_score",
    "gaussian_score",
    "general_score",
    "get_score",
    "register_score",
    "scaled_dot_score",
]

ScoreFn = Callable[..., Tensor]
SCORES: Registry[ScoreFn] = Registry("score", hint=" (or a callable)")


def register_score(name: str) -> Callable[[ScoreFn], ScoreFn]:
    """Decorator: register ``fn(query, key, **kwargs) -> (..., L, S)`` under ``name``."""
    return SCORES.register(name)


def get_score(score: str | ScoreFn) -> ScoreFn:
    """Resolve a score name (or pass a callable through)."""
    if callable(score):
        return score
    return SCORES.lookup(score)


@register_score("dot")
def dot_score(query: Tensor, key: Tensor) -> Tensor:
    """Dot-product score ``s_ij = q_i . k_j`` (Luong et al. 2015, "dot").

    Shape: query ``(..., L, E)``, key ``(..., S, E)`` -> ``(..., L, S)``.
    """
    check_same_last_dim(query, key, "dot")
    return query @ key.transpose(-2, -1)


@register_score("scaled_dot")
def scaled_dot_score(query: Tensor, key: Tensor, *, scale: float | None = None) -> Tensor:
    """Scaled dot product ``s_ij = q_i . k_j / sqrt(E)`` (Vaswani et al. 2017), or ``* scale`` if given.

    Shape: query ``(..., L, E)``, key ``(..., S, E)`` -> ``(..., L, S)``.
    """
    check_same_last_dim(query, key, "scaled_dot")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return (query * scale) @ key.transpose(-2, -1)  # scale the (L, E) side, not the (L, S) one


@register_score("cosine")
def cosine_score(query: Tensor, key: Tensor, *, temperature: float = 1.0, eps: float = 1e-8) -> Tensor:
    """Cosine similarity ``s_ij = cos(q_i, k_j) / temperature``.

    Shape: query ``(..., L, E)``, key ``(..., S, E)`` -> ``(..., L, S)``, values in ``[-1, 1] / temperature``.
    A zero vector has similarity 0 with everything (norms are clamped at ``eps``).
    """
    check_same_last_dim(query, key, "cosine")
    check_positive("temperature", temperature)
    qn = query / query.norm(dim=-1, keepdim=True).clamp_min(eps)
    kn = key / key.norm(dim=-1, keepdim=True).clamp_min(eps)
    return (qn @ kn.transpose(-2, -1)) / temperature


@register_score("general")
def general_score(query: Tensor, key: Tensor, *, weight: Tensor | None = None) -> Tensor:
    """Luong's "general" (bilinear) score ``s_ij = q_i^T W k_j``.

    Shape: query ``(..., L, E_q)``, key ``(..., S, E_k)``, ``weight (E_q, E_k)`` (required, of the inputs'
    dtype) -> ``(..., L, S)``.
    """
    check_general_weight(query, key, weight)
    return (query @ weight) @ key.transpose(-2, -1)


@register_score("additive")
def additive_score(
    query: Tensor, key: Tensor, *, query_proj: Tensor, key_proj: Tensor, score_proj: Tensor
) -> Tensor:
    """Bahdanau's additive (MLP, "concat") score ``s_ij = v^T tanh(W_q q_i + W_k k_j)``.

    Computed in query chunks with a custom autograd function that recomputes ``tanh`` in backward, so the
    ``(..., L, S, h)`` tensor of the textbook implementation is never held in memory.

    Shape: query ``(..., L, E_q)``, key ``(..., S, E_k)``, ``query_proj (E_q, h)``, ``key_proj (E_k, h)``,
    ``score_proj (h,)`` -> ``(..., L, S)``.
    """
    for name, t, want in (
        ("query_proj", query_proj, (query.shape[-1], None)),
        ("key_proj", key_proj, (key.shape[-1], None)),
    ):
        check_tensor(name, t)
        if t.ndim != 2 or t.shape[0] != want[0]:
            raise ValueError(f"{name} must have shape ({want[0]}, h), got {shape_str(t.shape)}")
    h = query_proj.shape[1]
    check_tensor("score_proj", score_proj)
    if key_proj.shape[1] != h or score_proj.shape != (h,):
        raise ValueError(
            f"query_proj (E_q, h), key_proj (E_k, h) and score_proj (h,) must agree on h: got "
            f"{shape_str(query_proj.shape)}, {shape_str(key_proj.shape)}, {shape_str(score_proj.shape)}"
        )
    return additive_scores_projected(query @ query_proj, key @ key_proj, score_proj)


@register_score("gaussian")
def gaussian_score(query: Tensor, key: Tensor, *, bandwidth: float | Tensor = 1.0) -> Tensor:
    """Gaussian-kernel score ``s_ij = -||q_i - k_j||^2 / (2 * bandwidth^2)`` (Nadaraya-Watson).

    Shape: query ``(..., L, E)``, key ``(..., S, E)`` -> ``(..., L, S)``; ``bandwidth`` a float or a tensor
    broadcastable to the scores.
    """
    check_same_last_dim(query, key, "gaussian")
    check_positive("bandwidth", bandwidth)
    dtype = query.dtype
    if dtype in (torch.float16, torch.bfloat16):  # squared norms overflow fp16: work in fp32
        query, key = query.float(), key.float()
    # ||q - k||^2 = |q|^2 - 2 q.k + |k|^2, without the (..., L, S, E) difference tensor.
    sq = (query * query).sum(-1, keepdim=True) - 2 * (query @ key.transpose(-2, -1))
    sq = (sq + (key * key).sum(-1).unsqueeze(-2)).clamp_min(0)  # (..., L, S)
    b2 = torch.as_tensor(bandwidth, dtype=query.dtype, device=query.device) ** 2
    return (-sq / (2 * b2)).to(dtype)
