"""Learning-rate factors for :class:`torch.optim.lr_scheduler.LambdaLR`, shared by the recipes.

Each returns ``factor(step) -> float`` (0-based optimiser steps), the multiplier of the optimiser's base rate.
The Trainer saves and restores the scheduler, so ``--resume`` continues a schedule where it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["hold_then_cosine"]


def hold_then_cosine(steps: int, decay_start: float) -> Callable[[int], float]:
    """LR factor for step s (0-based): 1 for the first ``decay_start * steps`` steps, then a half cosine that
    reaches 0 after step ``steps``. ``decay_start = 1`` is a constant rate, ``0`` a cosine from the start."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if not 0.0 <= decay_start <= 1.0:  # also rejects NaN
        raise ValueError(f"decay_start must be in [0, 1] (1: constant), got {decay_start!r}")
    hold = round(decay_start * steps)

    def factor(step: int) -> float:
        if step < hold:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - hold) / max(1, steps - hold))))

    return factor
