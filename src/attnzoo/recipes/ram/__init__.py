"""Recipe ``ram``: the Recurrent Attention Model (Mnih et al. 2014, arXiv 1406.6247) on MNIST, translated
MNIST and cluttered translated MNIST, against the paper's conv net and a random-glimpse RAM, in one run.

    attnzoo run ram --budget smoke                          # about a minute: MNIST, glimpses start to move
    attnzoo run ram --budget full task=cluttered            # the paper's set-up, 3 seeds (hours)
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, prepare_run_dir, recipe_command
from attnzoo.recipes.ram.config import BUDGETS, PROSE, TASK_DEFAULTS, RAMRecipeConfig
from attnzoo.recipes.ram.figures import distance_to_digit
from attnzoo.recipes.ram.train import glimpse_curve, load_data, train_convnet, train_ram

__all__ = ["BUDGETS", "RAMRecipeConfig", "run"]

_NAMES = {"ram": "RAM (learned policy)", "random": "RAM, random glimpses", "convnet": "conv net (paper's)"}


def _check(cfg: RAMRecipeConfig) -> None:
    if cfg.task not in TASK_DEFAULTS:
        raise ValueError(f"task must be one of {list(TASK_DEFAULTS)}, got {cfg.task!r}")
    bad = sorted(set(cfg.compare) - {"convnet", "random"})
    if bad:
        raise ValueError(f"compare may hold 'convnet' and 'random', got {bad}")
    if cfg.seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {cfg.seeds}")
    if not cfg.location_lr_scale > 0:
        raise ValueError(f"location_lr_scale must be > 0, got {cfg.location_lr_scale}")


def _mean_std(values: list[float]) -> tuple[float, float | None]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), (float(v.std(ddof=1)) if len(v) > 1 else None)


def _claim(runs: dict[str, list[dict]], dist: list[float], data) -> dict:
    """The tour's headline from measured numbers: RAM beats random glimpses, and looks nearer the digit."""
    ram_err = float(np.mean([r["test_error"] for r in runs["ram"]]))
    # learned glimpses: t >= 2 (the first is at a uniformly random place); against the random-glimpse
    # policy's own locations when it was trained, else against RAM's random first glimpse
    learned = float(np.mean(dist[1:])) if len(dist) > 1 else float(dist[0])
    numbers = {"test error %, RAM": round(ram_err, 2)}
    if "random" in runs:
        rand_err = float(np.mean([r["test_error"] for r in runs["random"]]))
        rand_dist = float(np.mean(distance_to_digit(runs["random"][0]["test_locations"], data)))
        numbers["test error %, random glimpses"] = round(rand_err, 2)
    else:
        rand_err, rand_dist = None, float(dist[0])
    numbers["px from the digit's centre, learned glimpses"] = round(learned, 1)
    numbers["px from the digit's centre, random glimpses"] = round(rand_dist, 1)
    held = learned < rand_dist and (rand_err is None or ram_err < rand_err)
    text = "RAM's learned glimpses beat random glimpses" if rand_err is not None else "RAM's glimpses"
    text += f" and move toward the digit ({learned:.1f} vs {rand_dist:.1f} px from its centre)"
    if rand_err is not None:
        text += f": {ram_err:.1f} vs {rand_err:.1f} % test error"
    return {"text": text, "held": bool(held), "numbers": numbers,
            "note": "the paper's 1.29 % on MNIST needs the full budget (hours)"}  # fmt: skip


def _row(name: str, runs: list[dict]) -> dict:
    mean, std = _mean_std([r["test_error"] for r in runs])
    row = {
        "model": _NAMES[name],
        "test error %": f"{mean:.2f}" + (f" +- {std:.2f}" if std is not None else " (one seed)"),
        "1-sample error %": f"{np.mean([r['test_error_1_sample'] for r in runs]):.2f}"
        if "test_error_1_sample" in runs[0] else "-",
        "epochs": runs[0]["epochs"],
        "steps": runs[0]["steps"],
        "train wall s": round(float(np.mean([r["train_seconds"] for r in runs])), 1),
        "train images/s": round(float(np.mean([r["train_images_per_s"] for r in runs])), 1),
        "params": runs[0]["params"],
    }  # fmt: skip
    return row


@register_recipe(
    "ram",
    summary="Recurrent Attention Model (Mnih et al. 2014): glimpses + REINFORCE vs a conv net on MNIST tasks",
    data="mnist (translated / cluttered 60x60 and 100x100 generated from it, deterministically)",
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
    """Train RAM and its baselines on one task, write ``out_dir/index.html``; returns the headline numbers."""
    from attnzoo import viz
    from attnzoo.recipes.ram.figures import add_explorer, add_figures

    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    _check(cfg)
    out = prepare_run_dir(out_dir, resume=resume, force=force)  # before any work; refuses an earlier run
    t_start = time.monotonic()
    data = load_data(cfg)
    runs: dict[str, list[dict]] = {"ram": []}
    for s in range(cfg.seeds):
        runs["ram"].append(train_ram(cfg, data, seed + s, out / "train" / f"ram-seed{seed + s}", resume))
        if "random" in cfg.compare:
            r = train_ram(
                cfg, data, seed + s, out / "train" / f"random-seed{seed + s}", resume, policy="random"
            )
            runs.setdefault("random", []).append(r)
        if "convnet" in cfg.compare:
            r = train_convnet(cfg, data, seed + s, out / "train" / f"convnet-seed{seed + s}", resume)
            runs.setdefault("convnet", []).append(r)
    first = runs["ram"][0]
    curve = glimpse_curve(first["model"], cfg, data, seed)
    dist = distance_to_digit(first["test_locations"], data)
    table = [_row(name, rs) for name, rs in runs.items()]
    claim = _claim(runs, dist, data)
    summary = {
        "recipe": "ram",
        "budget": budget,
        "task": cfg.task,
        "config": asdict(cfg),
        "model_config": asdict(first["model"].config),
        "n_train": len(data.train_idx),
        "n_val": len(data.val_idx),
        "n_test": len(data.test_idx),
        "test_error": {n: list(_mean_std([r["test_error"] for r in rs])) for n, rs in runs.items()},
        "runs": {
            n: [
                {k: v for k, v in r.items() if k not in ("model", "test_locations", "test_preds")} for r in rs
            ]
            for n, rs in runs.items()
        },
        "glimpse_curve": curve,
        "distance_to_digit_px": dist,
        "claim": claim,
        "thumbnail": "glimpse-paths",
    }

    mc = first["model"].config
    rep = viz.Report(f"RAM on {cfg.task}", command=recipe_command("ram", budget, seed, overrides))
    rep.add_text(PROSE)
    distractors = {"cluttered": 4, "cluttered100": 8}.get(cfg.task, 0)
    start = "a uniformly random place" if mc.start == "random" else "the learned start"
    rep.add_text(
        f"Task **{cfg.task}**: {data.test.size}x{data.test.size} images"
        + (f" with {distractors} distractor pieces of 8x8 cut from other digits" if distractors else "")
        + f"; {len(data.train_idx)} training, {len(data.val_idx)} validation (best epoch), "
        f"{len(data.test_idx)} test images. Retina: {mc.num_scales} scale(s) of {mc.patch_size}x"
        f"{mc.patch_size}, {mc.glimpses} glimpses (the first at {start}), policy std {mc.location_std}; "
        f"Adam lr {cfg.lr} ({cfg.lr * cfg.location_lr_scale:g} for the location network, which keeps the "
        f"late glimpses from drifting into a corner), batch {cfg.batch_size}"
        + (
            f", then {cfg.finetune_epochs} epochs at lr x {cfg.finetune_lr_scale:g} from the best epoch"
            if cfg.finetune_epochs
            else ""
        )
        + f"; best epoch by validation error with {cfg.val_samples} and test error with {cfg.mc_samples} "
        "Monte-Carlo glimpse sequences per image."
    )
    n_seeds = f"mean +- std over {cfg.seeds} seeds" if cfg.seeds > 1 else "one seed: no std"
    rep.add_table(table, caption=f"Test error ({n_seeds}). Training wall time and images/s: training steps "
                  "only, one torch thread.")  # fmt: skip
    rep.add_text(
        "Mean distance (pixels) of glimpse t from the digit's centre, test images: "
        + ", ".join(f"t={t + 1}: {d:.1f}" for t, d in enumerate(dist))
        + ". The paper's targets: MNIST 1.29 % (6 glimpses), translated 60x60 1.84 %, cluttered 60x60 4.04 % "
        "(conv net 8.09 %), cluttered 100x100 10.83 % (conv net 16.51 %)."
    )
    curves = {_NAMES[n]: tuple(np.array(c).T) for n, rs in runs.items() if (c := rs[0]["val_curve"])}
    if cfg.figures:
        add_figures(rep, out, first, curves, curve, data, cfg)
        add_explorer(rep, first, data, cfg)
    rep.write(out)
    summary["wall_seconds"] = time.monotonic() - t_start
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    return summary
