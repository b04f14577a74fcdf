"""The ``draw`` recipe: DRAW with and without attention on binarised MNIST (Gregor et al. 2015)."""

from __future__ import annotations

from pathlib import Path

from attnzoo.recipes import register_recipe
from attnzoo.recipes.draw.config import BUDGETS, DrawRecipeConfig

__all__ = ["BUDGETS", "DrawRecipeConfig", "run"]


@register_recipe(
    "draw",
    summary="DRAW: differentiable read/write filterbank attention drawing binarised MNIST, vs no attention",
    data="mnist (binarised once with a seed, 50k/10k/10k)",
)
def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Train the variants at one budget, write ``out_dir/index.html``; returns the headline numbers."""
    from attnzoo.recipes._common import prepare_run_dir
    from attnzoo.recipes.draw.report import run_and_report

    out = prepare_run_dir(out_dir, resume=resume, force=force)  # before any work; refuses an earlier run
    return run_and_report(out, budget=budget, seed=seed, resume=resume, overrides=overrides)
