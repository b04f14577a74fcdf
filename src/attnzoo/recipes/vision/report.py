"""The ``vision`` recipe's results table (paired by seed, with a noise verdict) and its HTML report."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from attnzoo.recipes.vision import figures as figs
from attnzoo.recipes.vision.config import DESCRIPTION, VisionConfig
from attnzoo.recipes.vision.models import BASELINE

__all__ = ["results_table", "write_report"]


def _mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample std (None for a single value)."""
    a = np.asarray(values, dtype=float)
    return float(a.mean()), (float(a.std(ddof=1)) if len(a) > 1 else None)


def _verdict(deltas: list[float]) -> str:
    """Whether a paired change is outside seed noise: |mean| > 2 standard errors of the paired differences."""
    mean, std = _mean_std(deltas)
    if len(deltas) < 2:
        return "one seed: cannot be told from noise"
    if abs(mean) <= 2 * std / math.sqrt(len(deltas)):
        return "within seed noise"
    return "better than the baseline" if mean > 0 else "worse than the baseline"


def results_table(results: dict[str, list[dict]]) -> tuple[list[dict], dict]:
    base = {r["seed"]: r["test_acc"] for r in results[BASELINE]}
    rows, stats = [], {}
    for name, runs in results.items():
        acc_m, acc_s = _mean_std([100 * r["test_acc"] for r in runs])
        deltas = [100 * (r["test_acc"] - base[r["seed"]]) for r in runs if r["seed"] in base]
        d_m, d_s = _mean_std(deltas)
        verdict = "" if name == BASELINE else _verdict(deltas)
        stats[name] = {"test_acc": [acc_m, acc_s], "delta_pp": [d_m, d_s], "verdict": verdict}
        r0 = runs[0]
        rows.append(
            {
                "model": name,
                "test acc (%)": acc_m,
                "+- std": "—" if acc_s is None else acc_s,
                "vs baseline (pp)": "" if name == BASELINE else d_m,
                "+- std ": "" if name == BASELINE or d_s is None else d_s,
                "verdict": verdict,
                "params": r0["params"],
                "MFLOPs / image": r0["flops"] / 1e6,
                "train img/s": float(np.median([r["train_images_per_s"] for r in runs])),
                "infer img/s": float(np.median([r["infer_images_per_s"] for r in runs])),
            }
        )
    return rows, stats


def write_report(
    out,
    *,
    cfg: VisionConfig,
    budget: str,
    seed: int,
    command: str,
    data: dict,
    results: dict[str, list[dict]],
    rows: list[dict],
    stats: dict,
    summary: dict[str, Any],
    spatial: dict,
    channel: dict,
    class_names: list[str],
) -> None:
    """Build ``out/index.html``; adds the channel gates' class specificity to ``summary``."""
    from attnzoo import viz

    rep = viz.Report("Attention inside CNNs on real images", command=command)
    rep.add_text(DESCRIPTION.split("\n\n", 1)[1].replace("\n", " ").replace("``", "`"))
    augmentation = ", ".join(
        ([f"random crops (padding {cfg.crop_pad})"] if cfg.crop_pad else []) + (["flips"] if cfg.flip else [])
    )
    rep.add_text(
        f"Data: {cfg.data_dir or cfg.dataset}, {len(data['train'])} training images, {len(data['val'])} "
        f"held out for validation, {len(data['test'])} test images. Budget `{budget}`: {cfg.epochs} epochs, "
        f"batch {cfg.batch_size}, peak learning rate {cfg.lr}, augmentation: {augmentation or 'none'}, "
        f"{cfg.seeds} seed(s) ({seed} to {seed + cfg.seeds - 1}); ResNet widths "
        f"{list(cfg.widths)}, blocks {list(cfg.blocks)}; Attention-56 width {cfg.ran_width}. Whole run: "
        f"{summary['seconds'] / 60:.1f} min."
    )
    rep.add_table(
        rows,
        caption=f"Test accuracy, mean +- std over {cfg.seeds} seed(s); change against the baseline paired "
        "by seed (a change is called outside seed noise when |mean| > 2 standard errors). FLOPs count "
        "only convolutions and matrix products (element-wise gating is not counted). Images/s: median "
        f"training epoch and best of 3 inference passes on 256 images, {cfg.num_threads or 'default'} "
        "thread(s), on a CPU shared with other jobs: compare them within one report only.",
        floatfmt=".4g",
    )
    base_acc = stats[BASELINE]["test_acc"][0]
    lines = [
        f"- **{n}**: {st['delta_pp'][0]:+.2f} pp against the baseline ({base_acc:.2f} %), {st['verdict']}."
        for n, st in stats.items()
        if n != BASELINE
    ]
    if lines:
        rep.add_text("Every model against the baseline, as measured:\n\n" + "\n".join(lines))
    curves = {n: runs[0]["val_acc_per_epoch"] for n, runs in results.items()}
    rep.add_figure(figs.curves_figure(curves), "Validation accuracy per epoch (first seed).", name="curves")
    for name, fig in spatial.items():
        rep.add_figure(
            fig,
            f"{name}: spatial attention of the last block of each stage over test images "
            "(first seed); red is high.",
            name=f"spatial-{name}",
            dpi=100,
        )
    if channel:
        spec = ", ".join(f"{n} {figs.class_specificity(g):.3f}" for n, g in channel.items())
        rep.add_figure(
            figs.channel_figure(channel, class_names),
            "Channel gates of the last block, averaged over the test images of each class (first "
            f"seed). Class dependence (std over classes, mean over channels): {spec}.",
            name="channel-gates",
        )
        summary["channel_class_specificity"] = {n: figs.class_specificity(g) for n, g in channel.items()}
    for stale in (out / "figures").glob("*.png"):  # figures of an earlier report in the same folder
        stale.unlink()
    rep.write(out)
