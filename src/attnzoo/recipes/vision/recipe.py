"""``run``: the ``vision`` recipe end to end (every (model, seed) trained, in worker processes if asked;
figures of the first seed; the table and the report)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

from attnzoo.data.images import Normalise
from attnzoo.recipes._common import (
    budget_config,
    claim,
    parse_overrides_into,
    prepare_run_dir,
    recipe_command,
)
from attnzoo.recipes.vision import figures as figs
from attnzoo.recipes.vision.config import BUDGETS, VisionConfig
from attnzoo.recipes.vision.data import load, load_once
from attnzoo.recipes.vision.models import BASELINE, load_model
from attnzoo.recipes.vision.report import results_table, write_report
from attnzoo.recipes.vision.train import train_one
from attnzoo.train import BEST
from attnzoo.train.workers import run_jobs

__all__ = ["run"]

log = logging.getLogger("attnzoo.recipes.vision")

# Training time relative to the baseline at equal widths (train seconds of the README's reduced-budget run;
# the others are within 0.9-1.3): the longest jobs go to the workers first, so the last to finish is short.
_COST = {"ran": 2.5, "ran-naive": 2.5, "sk": 1.7}


def _worker_job(name: str, seed: int, cfg: VisionConfig, run_dir: str, resume: bool) -> dict:
    """One training run in a worker process (data loaded there from the cache; only the result returns)."""
    logging.basicConfig(level=logging.INFO, format=f"[{name} seed {seed}] %(message)s", force=True)
    data, class_names = load_once(cfg)
    _, result = train_one(
        name, seed, cfg, data, Normalise(data["train"]), len(class_names), Path(run_dir), resume
    )
    return result


def _train_parallel(jobs: list[tuple[str, int]], cfg: VisionConfig, out: Path, resume: bool) -> dict:
    """Train every (model, seed) job in ``cfg.workers`` processes; results keyed by job. Each process runs
    ``cfg.num_threads`` torch threads, so workers x threads should not exceed the cores."""
    args = [(name, sd, cfg, str(out / "train" / name / f"seed{sd}"), resume) for name, sd in jobs]
    results = run_jobs(_worker_job, args, workers=cfg.workers, cost=lambda a: _COST.get(a[0], 1.0))
    return dict(zip(jobs, results, strict=True))


def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Train every model, write ``out_dir/index.html`` and ``summary.json``; return the headline numbers.

    ``resume`` continues the runs found in ``out_dir``, ``force`` replaces them; without either an earlier
    run there is refused.
    """
    start = time.perf_counter()
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    out = prepare_run_dir(out_dir, resume=resume, force=force)
    data, class_names = load(cfg)
    num_classes = len(class_names)
    results: dict[str, list[dict]] = {}
    spatial, channel = {}, {}
    norm = Normalise(data["train"])
    idx = figs.pick_images(data["test"], cfg.figure_images, num_classes)
    jobs = [(name, seed + s) for name in cfg.models for s in range(cfg.seeds)]
    done = _train_parallel(jobs, cfg, out, resume) if cfg.workers > 1 else {}
    for name, sd in jobs:
        run_dir = out / "train" / name / f"seed{sd}"
        if (name, sd) in done:  # trained in a worker process
            model, result = None, done[name, sd]
        else:
            model, result = train_one(name, sd, cfg, data, norm, num_classes, run_dir, resume)
        results.setdefault(name, []).append(result)
        log.info("%s seed %d: test accuracy %.2f %%", name, sd, 100 * result["test_acc"])
        if sd == seed:  # figures of the first seed
            if model is None:  # its best weights back from the worker's run folder
                in_channels = data["train"].images.shape[1]
                model = load_model(name, cfg, in_channels, num_classes, run_dir / BEST)
            stages = getattr(model, "block_stages", [0, 1, 2])  # a RAN has one mask per stage 1-3
            fig = figs.spatial_figure(model, name, data["test"], idx, norm, class_names, stages)
            if fig is not None:
                spatial[name] = fig
            gates = figs.channel_gates_by_class(model, data["test"], norm, num_classes)
            if gates is not None:
                channel[name] = gates

    rows, stats = results_table(results)
    best = max(stats, key=lambda n: stats[n]["test_acc"][0])
    summary = {
        "recipe": "vision",
        "budget": budget,
        "config": asdict(cfg),
        "n_train": len(data["train"]),
        "n_val": len(data["val"]),
        "n_test": len(data["test"]),
        "test_acc": {n: st["test_acc"] for n, st in stats.items()},
        "delta_vs_baseline_pp": {n: st["delta_pp"] for n, st in stats.items() if n != BASELINE},
        "best_model": best,
        "best_test_acc": stats[best]["test_acc"][0],
        "seconds": round(time.perf_counter() - start, 1),
    }
    summary["claim"] = _claim(stats, cfg, budget)
    shown = [n for n in ("cbam", "scse", "sse", "coord", "ran") if n in spatial]
    summary["thumbnail"] = f"spatial-{shown[0]}" if shown else "curves"
    write_report(
        out,
        cfg=cfg,
        budget=budget,
        seed=seed,
        command=recipe_command("vision", budget, seed, overrides),
        data=data,
        results=results,
        rows=rows,
        stats=stats,
        summary=summary,
        spatial=spatial,
        channel=channel,
        class_names=class_names,
    )
    (out / "summary.json").write_text(json.dumps({**summary, "runs": results}, indent=2))
    return summary


def _claim(stats: dict, cfg: VisionConfig, budget: str) -> dict:
    """An attention module is at least as good as the plain ResNet: the best module's test accuracy
    against the baseline's, same budget and seeds; the note gives the seed-noise verdict of each."""
    base = stats[BASELINE]["test_acc"][0]
    others = {n: st for n, st in stats.items() if n != BASELINE}
    text = "an attention module in every block is at least as good as the plain ResNet at equal budget"
    if not others:
        return claim(text, held=None, note="no attention module in modules")
    best = max(others, key=lambda n: others[n]["test_acc"][0])
    numbers = {f"test acc %, {n}": st["test_acc"][0] for n, st in others.items()}
    note = f"best: {best}"
    if cfg.seeds > 1:  # one seed has no noise estimate: every verdict would say so
        note += "; " + "; ".join(f"{n}: {st['verdict']}" for n, st in others.items())
    if budget == "smoke":
        full = BUDGETS["full"]
        note += (
            f". {cfg.seeds} seed(s), {cfg.epochs} epochs on {cfg.train_limit or 'all'} images: a point or "
            f"two is noise here; the full budget ({full.epochs} epochs, {full.seeds} seeds, every training "
            "image) is the real test"
        )
    return claim(
        text,
        held=others[best]["test_acc"][0] >= base,
        numbers={"test acc %, resnet (no attention)": base, **numbers},
        note=note,
        digits=2,
    )
