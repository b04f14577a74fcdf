"""Show, Attend and Tell's attention step (Xu et al. 2015, arXiv 1502.03044): from the previous hidden state
to the context vector z_t, deterministically (soft, sec. 4.2), by a sampled region (hard, sec. 4.1), by the
most probable region (hard at test time), or the mean feature (no attention).

Shape legend: N decoder rows (captions or beams), L regions, D feature dim, A f_att hidden size.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnzoo.functional import attention, get_normalizer
from attnzoo.models._rnn import _additive_on_projected
from attnzoo.nn import AdditiveScore

__all__ = ["ATTEND_HOW", "attend"]

ATTEND_HOW = ("soft", "sample", "mode", "none")


def attend(score: AdditiveScore, h: Tensor, state: dict, how: str, generator: torch.Generator | None = None):
    """z_t before gating, alpha_t and (for ``how="sample"``) log p(s_t) and H[alpha_t], else None, None.

    Shape: h ``(N, n)``; state holds "feats" ``(N, L, D)``, "keys" ``(N, L, A)`` (``W_a a_i``), "mask"
    ``(N, L)`` bool and "mean" ``(N, D)`` -> z ``(N, D)``, alpha ``(N, L)`` (zeros for "none"), log p and
    entropy ``(N,)``.
    """
    feats, mask = state["feats"], state["mask"]
    if how == "none":
        return state["mean"], feats.new_zeros(feats.shape[:2]), None, None
    if how == "soft":
        z, alpha = attention(
            h[:, None],
            state["keys"],
            feats,
            score=_additive_on_projected,
            score_module=score,
            mask=mask[:, None],
            return_weights=True,
        )
        return z[:, 0], alpha[:, 0], None, None
    if how not in ATTEND_HOW:
        raise ValueError(f"how must be one of {ATTEND_HOW}, got {how!r}")
    scores = score(h[:, None], projected_keys=state["keys"])  # (N, 1, L), scored once
    alpha = get_normalizer("softmax")(scores, mask[:, None])[:, 0]  # (N, L)
    if how == "mode":
        pick = get_normalizer("hard")(scores, mask[:, None])  # one-hot argmax, (N, 1, L)
        return (pick @ feats)[:, 0], alpha, None, None
    sampled = get_normalizer("sample")(scores, mask[:, None], generator=generator)
    z = (sampled.weights @ feats)[:, 0]  # a_{s_t}, (N, D)
    entropy = -(alpha * torch.log(alpha.clamp_min(1e-12))).sum(-1)
    return z, alpha, sampled.log_prob[:, 0], entropy
