"""Normalisers ``normalize(scores, mask, **kwargs) -> weights``: turn scores ``(..., L, S)`` into attention
weights ``(..., L, S)`` that are >= 0, sum to 1 over the allowed keys of each query and are exactly 0 on
masked (or filtered) keys. A query with no allowed key gets all-zero weights, never NaN.

Soft attention weighs every key (``softmax``); hard attention keeps some keys and zeroes the rest
(``hard``, ``topk``, ``threshold``), or samples one key (``sample``, trained with REINFORCE through the
returned log-probability; ``gumbel`` for a reparameterised relaxation).

``mask`` is None, a bool tensor (True = may attend) or a float tensor added to the scores, broadcastable to
the scores. :func:`register_normalizer` adds a normaliser by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor

from attnzoo._registry import Registry
from attnzoo.functional._checks import check_positive
from attnzoo.functional._masked import softmax_

__all__ = [
    "NORMALIZERS",
    "SampledWeights",
    "get_normalizer",
    "gumbel",
    "hard",
    "masked_softmax",
    "register_normalizer",
    "sample",
    "softmax",
    "threshold",
    "topk",
]

NormalizeFn = Callable[..., "Tensor | SampledWeights"]
NORMALIZERS: Registry[NormalizeFn] = Registry("normaliser", hint=" (or a callable)")


class SampledWeights(NamedTuple):
    """Weights of stochastic hard attention and the log-probability of the sampled keys."""

    weights: Tensor  # (..., L, S), one-hot rows (zero rows where every key is masked)
    log_prob: Tensor  # (..., L), log p(sampled key); 0 where every key is masked


def register_normalizer(name: str) -> Callable[[NormalizeFn], NormalizeFn]:
    """Decorator: register ``fn(scores, mask, **kwargs) -> weights`` under ``name``."""

    return NORMALIZERS.register(name)


def get_normalizer(normalize: str | NormalizeFn) -> NormalizeFn:
    """Resolve a normaliser name (or pass a callable through)."""
    if callable(normalize):
        return normalize
    return NORMALIZERS.lookup(normalize)


def _apply_mask(scores: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """Return (masked scores with ``-inf`` on forbidden keys, bool ``allowed`` or None)."""
    if mask is None:
        return scores, None
    if mask.dtype == torch.bool:
        return scores.masked_fill(~mask, float("-inf")), mask
    scores = scores + mask
    return scores, scores != float("-inf")


def masked_softmax(scores: Tensor, mask: Tensor | None = None, dim: int = -1) -> Tensor:
    """Softmax over ``dim`` restricted to allowed entries; rows with no allowed entry give zeros.

    Equivalent to ``softmax(scores.masked_fill(~mask, -inf))`` with NaN rows replaced by 0, with finite
    gradients everywhere.
    """
    scores, allowed = _apply_mask(scores, mask)
    if allowed is None:
        return torch.softmax(scores, dim=dim)
    # A row with no allowed entry is all -inf: substitute 0 so softmax stays finite, then zero the weights.
    any_allowed = allowed.expand(scores.shape).any(dim=dim, keepdim=True)
    weights = torch.softmax(scores.masked_fill(~any_allowed, 0.0), dim=dim)
    return weights.masked_fill(~allowed, 0.0)


def masked_softmax_(scores: Tensor, mask: Tensor | None = None) -> Tensor | None:
    """:func:`masked_softmax` over the last dim written into ``scores`` itself (see
    :func:`attnzoo.functional._masked.softmax_`). For callers that own ``scores`` and need no autograd
    through it; returns None (and leaves ``scores`` alone) when ``mask`` would broadcast ``scores`` to a
    larger shape."""
    if mask is not None and torch.broadcast_shapes(scores.shape, mask.shape) != scores.shape:
        return None
    return softmax_(scores, mask)


@register_normalizer("softmax")
def softmax(scores: Tensor, mask: Tensor | None = None) -> Tensor:
    """Soft attention: ``w_ij = exp(s_ij) / sum_{j' allowed} exp(s_ij')``; masked keys get exactly 0."""
    return masked_softmax(scores, mask)


def _one_hot_argmax(scores: Tensor, allowed: Tensor | None) -> Tensor:
    if scores.shape[-1] == 0:  # no key: argmax over an empty dim would raise
        return torch.zeros_like(scores)
    idx = scores.argmax(dim=-1, keepdim=True)
    hard_w = torch.zeros_like(scores).scatter_(-1, idx, 1.0)
    return hard_w * _row_ok(scores, allowed)


@register_normalizer("hard")
def hard(scores: Tensor, mask: Tensor | None = None) -> Tensor:
    """Hard attention on the best key: a one-hot argmax row in the forward pass, with the softmax's
    gradient in the backward pass (straight-through estimator, Bengio et al. 2013)."""
    soft = masked_softmax(scores, mask)
    masked, allowed = _apply_mask(scores, mask)
    hard_w = _one_hot_argmax(masked, allowed)
    return hard_w + (soft - soft.detach())  # exact one-hot forward, softmax gradient


@register_normalizer("topk")
def topk(scores: Tensor, mask: Tensor | None = None, *, top_k: int = 1) -> Tensor:
    """Keep the ``top_k`` largest allowed scores of each query, softmax over them (so they sum to 1), and
    give every other key exactly 0. With fewer than ``top_k`` allowed keys, all allowed keys are kept."""
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise TypeError(f"top_k must be a positive int, got {top_k!r} ({type(top_k).__name__})")
    if top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    masked, allowed = _apply_mask(scores, mask)
    k = min(top_k, scores.shape[-1])
    if k == 0:
        return torch.zeros_like(scores)
    idx = masked.detach().topk(k, dim=-1).indices
    keep = torch.zeros(masked.shape, dtype=torch.bool, device=scores.device).scatter_(-1, idx, True)
    if allowed is not None:
        keep = keep & allowed
    return masked_softmax(masked, keep)


@register_normalizer("threshold")
def threshold(scores: Tensor, mask: Tensor | None = None, *, tau: float = 0.1) -> Tensor:
    """Hard attention by a condition: compute the softmax weights, zero every weight below ``tau``, and
    renormalise the survivors to sum to 1. The largest weight always survives, so a query with any allowed
    key never ends up with all-zero weights."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau!r}")
    soft = masked_softmax(scores, mask)
    if scores.shape[-1] == 0:  # no key: nothing to keep (amax over an empty dim would raise)
        return soft
    keep = (soft >= tau) | (soft == soft.amax(-1, keepdim=True))
    kept = soft * keep
    total = kept.sum(-1, keepdim=True)
    return kept / torch.where(total > 0, total, torch.ones_like(total))


@register_normalizer("sample")
def sample(
    scores: Tensor, mask: Tensor | None = None, *, generator: torch.Generator | None = None
) -> SampledWeights:
    """Stochastic hard attention (Xu et al. 2015, "hard"): draw one key per query from the softmax and
    return one-hot weights with ``log p(key)``, to train by REINFORCE: ``loss = -(reward - baseline) *
    log_prob``. The one-hot weights carry no gradient; the log-probability does."""
    masked, allowed = _apply_mask(scores, mask)
    if scores.shape[-1] == 0:
        return SampledWeights(torch.zeros_like(scores), scores.new_zeros(scores.shape[:-1]))
    row_ok = _row_ok(masked, allowed)  # (..., L, 1)
    log_p = torch.log_softmax(masked.masked_fill(~row_ok, 0.0), dim=-1)
    probs = log_p.detach().exp()
    idx = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator)
    idx = idx.reshape(*probs.shape[:-1], 1)
    weights = torch.zeros_like(scores).scatter_(-1, idx, 1.0) * row_ok
    log_prob = log_p.gather(-1, idx).squeeze(-1) * row_ok.squeeze(-1)
    return SampledWeights(weights, log_prob)


def _row_ok(masked: Tensor, allowed: Tensor | None) -> Tensor:
    """``(..., L, 1)`` bool: does the query have at least one allowed key."""
    if allowed is None:
        return torch.ones((*masked.shape[:-1], 1), dtype=torch.bool, device=masked.device)
    return allowed.expand(masked.shape).any(-1, keepdim=True)


@register_normalizer("gumbel")
def gumbel(
    scores: Tensor,
    mask: Tensor | None = None,
    *,
    tau: float = 1.0,
    hard: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017): ``softmax((s + g) / tau)`` with
    ``g ~ Gumbel(0, 1)``; with ``hard=True`` the forward pass is the one-hot argmax and the backward pass the
    relaxed sample's gradient (straight-through). Masked keys get exactly 0."""
    check_positive("tau", tau)
    u = torch.rand(scores.shape, generator=generator, dtype=scores.dtype, device=scores.device)
    g = -torch.log(-torch.log(u.clamp(1e-10, 1.0 - 1e-7)))
    soft = masked_softmax((scores + g) / tau, mask)
    if not hard:
        return soft
    masked, allowed = _apply_mask(scores + g, mask)
    return _one_hot_argmax(masked, allowed) + (soft - soft.detach())
