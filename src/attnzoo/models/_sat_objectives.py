"""Show, Attend and Tell's training objectives (Xu et al. 2015, arXiv 1502.03044): the doubly stochastic
penalty (eq. 14) and the REINFORCE surrogate of hard attention (eq. 12).

Shape legend: B batch, T caption steps, L regions.
"""

from __future__ import annotations

from torch import Tensor

__all__ = ["doubly_stochastic_penalty", "reinforce_surrogate"]


def doubly_stochastic_penalty(alphas: Tensor, step_mask: Tensor, region_mask: Tensor | None = None) -> Tensor:
    """``sum_i (1 - sum_t alpha_ti)^2`` per image (eq. 14 without lambda), over real steps and regions.

    Shape: alphas ``(B, T, L)``, step_mask ``(B, T)`` bool (False on padding steps), region_mask ``(B, L)``
    bool or None -> ``(B,)``.
    """
    total = (alphas * step_mask[..., None]).sum(1)  # (B, L)
    sq = (1.0 - total) ** 2
    if region_mask is not None:
        sq = sq * region_mask
    return sq.sum(-1)


def reinforce_surrogate(
    reward: Tensor,
    baseline: float | Tensor,
    sample_log_prob: Tensor,
    entropy: Tensor,
    weight: Tensor,
    *,
    reinforce_weight: float,
    entropy_weight: float,
) -> Tensor:
    """A loss whose gradient is minus the paper's eq. 12 learning signal for the sampled regions.

    ``-(lambda_r (R - b) sum_t log p(s_t) + lambda_e sum_t H[alpha_t])``, summed over steps with ``weight``
    (B, T) (1 on real steps of images that used the sample), averaged over the batch; ``R`` (B,) is
    detached. Shape: reward ``(B,)``, sample_log_prob / entropy / weight ``(B, T)`` -> scalar.
    """
    adv = (reward.detach() - baseline)[:, None]
    signal = reinforce_weight * adv * sample_log_prob + entropy_weight * entropy
    return -(signal * weight).sum(1).mean()
