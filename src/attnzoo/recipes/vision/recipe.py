"""Attention inside CNNs on real images: a small ResNet on Fashion-MNIST without attention, with each CNN
attention module of ``attnzoo.nn.vision`` in every block (SE, ECA, CBAM, SK, cSE, sSE, scSE, Coordinate
Attention), and the Residual Attention Network (Attention-56), all trained with the same budget and seeds.

Every model is trained with SGD (Nesterov momentum, weight decay) under a one-cycle learning-rate schedule,
with random crops (zero padding) and horizontal flips where the budget turns them on. A fixed random part
of the training split is held out for validation; each run keeps the epoch with the best validation
accuracy and is then measured once on the test split. Reported: test accuracy (mean +- std over seeds),
its change against the baseline (paired by seed), parameters, FLOPs per image (``torch.utils.flop_counter``:
convolutions and matrix products only), and training and inference images per second on this machine's
CPU. Pictures: spatial attention (CBAM, sSE, scSE, Coordinate Attention, the RAN's masks) over test images,
and the last block's channel gates averaged per class (SE, ECA, CBAM, cSE, scSE), as in Fig. 6 of the SE
paper.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, recipe_command
from attnzoo.recipes._vision_train import (
    BASELINE,
    Normalise,
    build_model,
    model_names,
    split_data,
    train_one,
)
from attnzoo.train import BEST, load_weights

__all__ = ["BUDGETS", "CLASS_NAMES", "VisionConfig", "run"]

log = logging.getLogger("attnzoo.recipes.vision")

#: Class names of the MNIST-like datasets, by registered name.
CLASS_NAMES = {
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(d) for d in range(10)),
}


@dataclass(frozen=True)
class VisionConfig:
    dataset: str = "fashion-mnist"  # registered MNIST-like dataset, fetched into the cache when missing
    data_dir: str | None = None  # a folder of IDX files (MNIST naming) to use instead of `dataset`
    # models besides the baseline, which always runs: attention keys of attnzoo.nn.vision, "ran"
    # (Attention-56, (1 + M) * T) and "ran-naive" (Attention-56, M * T)
    modules: tuple[str, ...] = ("se", "eca", "cbam", "sk", "cse", "sse", "scse", "coord", "ran")
    seeds: int = 2  # runs per model with seeds seed, seed + 1, ...; results are mean +- std over them
    epochs: int = 15  # passes over the training images
    batch_size: int = 128  # images per SGD step
    lr: float = 0.1  # peak learning rate of the one-cycle schedule
    momentum: float = 0.9  # Nesterov momentum
    weight_decay: float = 5e-4  # L2 penalty on every parameter
    label_smoothing: float = 0.0  # of the cross-entropy targets
    crop_pad: int = 2  # random crops after zero padding by this many pixels (0: no crops)
    flip: bool = True  # random horizontal flips
    val_size: int = 5000  # training images held out for model selection (the same ones for every run)
    train_limit: int | None = None  # train on only this many of the remaining images (None: all)
    test_limit: int | None = None  # measure on only the first N test images (None: all)
    widths: tuple[int, ...] = (
        16,
        32,
        64,
        128,
    )  # ResNet stage widths (each stage after the first halves H, W)
    blocks: tuple[int, ...] = (1, 1, 1, 1)  # ResNet basic blocks per stage
    ran_width: float = 0.0625  # Attention-56 width (0.0625: stages 16/32/64, last 128, as the ResNet's)
    num_threads: int | None = 1  # torch threads per training run (1 is the most CPU-efficient)
    workers: int = 1  # training runs in parallel, one process each (e.g. the number of cores)
    figure_images: int = 8  # test images in the spatial attention figures (the first of each class)

    def __post_init__(self) -> None:
        valid = model_names()
        unknown = [m for m in self.modules if m not in valid]
        if unknown:
            raise ValueError(f"unknown model(s) {', '.join(unknown)} in modules; valid: {', '.join(valid)}")
        for name in ("seeds", "epochs", "batch_size", "figure_images", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")

    @property
    def models(self) -> list[str]:
        """The baseline, then the modules in the order given (each once)."""
        return list(dict.fromkeys([BASELINE, *self.modules]))


BUDGETS = {
    # about a minute on a busy 2-core CPU: a real report on real images, far from converged; the RAN is
    # left out (5x the time of the others at this size), add it with modules=se,cbam,ran
    "smoke": VisionConfig(
        modules=("se", "cbam"),
        seeds=1,
        epochs=2,
        batch_size=32,
        crop_pad=0,  # augmentation pays off over many epochs, not over two
        flip=False,
        val_size=500,
        train_limit=2000,
        test_limit=1000,
        widths=(8, 16, 32, 64),
        blocks=(1, 1, 1, 1),
        ran_width=0.03125,
        figure_images=6,
    ),
    "full": VisionConfig(),
}


def _load(cfg: VisionConfig) -> tuple[dict, list[str]]:
    from attnzoo.data import fetch, load_mnist_like

    root = Path(cfg.data_dir) if cfg.data_dir else fetch(cfg.dataset)
    train, test = load_mnist_like(root, "train"), load_mnist_like(root, "test")
    data = split_data(
        train, test, val_size=cfg.val_size, train_limit=cfg.train_limit, test_limit=cfg.test_limit
    )
    num_classes = int(max(train[1].max(), test[1].max())) + 1
    names = CLASS_NAMES.get(cfg.dataset) if not cfg.data_dir else None
    if names is None or len(names) != num_classes:
        names = tuple(str(c) for c in range(num_classes))
    return data, list(names)


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


def _table(results: dict[str, list[dict]]) -> tuple[list[dict], dict]:
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


# Training time relative to the baseline at equal widths (train seconds of the README's reduced-budget run;
# the others are within 0.9-1.3): the longest jobs go to the workers first, so the last to finish is short.
_COST = {"ran": 2.5, "ran-naive": 2.5, "sk": 1.7}


@functools.lru_cache(maxsize=1)
def _load_once(cfg: VisionConfig) -> tuple[dict, list[str]]:
    """:func:`_load` once per worker process, however many jobs it takes."""
    return _load(cfg)


def _worker_job(name: str, seed: int, cfg: VisionConfig, run_dir: str, resume: bool) -> dict:
    """One training run in a worker process (data loaded there from the cache; only the result returns)."""
    logging.basicConfig(level=logging.INFO, format=f"[{name} seed {seed}] %(message)s", force=True)
    data, class_names = _load_once(cfg)
    _, result = train_one(
        name, seed, cfg, data, Normalise(data["train"]), len(class_names), Path(run_dir), resume
    )
    return result


def _train_parallel(jobs: list[tuple[str, int]], cfg: VisionConfig, out: Path, resume: bool) -> dict:
    """Train every (model, seed) job in ``cfg.workers`` processes; results keyed by job. Each process runs
    ``cfg.num_threads`` torch threads, so workers x threads should not exceed the cores."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(jobs, key=lambda j: -_COST.get(j[0], 1.0))
    log.info("training %d runs in %d worker processes", len(jobs), cfg.workers)
    done = {}
    with ProcessPoolExecutor(cfg.workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {}
        for name, sd in order:
            run_dir = str(out / "train" / name / f"seed{sd}")
            futures[pool.submit(_worker_job, name, sd, cfg, run_dir, resume)] = (name, sd)
        for fut in as_completed(futures):
            name, sd = futures[fut]
            done[name, sd] = fut.result()  # a failed run raises here, naming its traceback
            log.info("finished %s seed %d (%d/%d)", name, sd, len(done), len(jobs))
    return done


@register_recipe(
    "vision",
    summary="CNN attention (SE, ECA, CBAM, SK, scSE, coord) in a ResNet vs Residual Attention Network",
    data="Fashion-MNIST (full 60k/10k; Debian package dataset-fashion-mnist)",
)
def run(
    out_dir: str | Path, *, budget: str = "smoke", seed: int = 0, resume: bool = False, **overrides
) -> dict:
    """Train every model, write ``out_dir/index.html`` and ``summary.json``; return the headline numbers."""
    from attnzoo import viz
    from attnzoo.recipes import _vision_figures as figs

    start = time.perf_counter()
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data, class_names = _load(cfg)
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
                model = build_model(name, cfg, data["train"].images.shape[1], num_classes)
                load_weights(model, run_dir / BEST)
                model.eval()
            stages = getattr(model, "block_stages", [0, 1, 2])  # a RAN has one mask per stage 1-3
            fig = figs.spatial_figure(model, name, data["test"], idx, norm, class_names, stages)
            if fig is not None:
                spatial[name] = fig
            gates = figs.channel_gates_by_class(model, data["test"], norm, num_classes)
            if gates is not None:
                channel[name] = gates

    rows, stats = _table(results)
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

    command = recipe_command("vision", budget, seed, overrides)
    rep = viz.Report("Attention inside CNNs on real images", command=command)
    rep.add_text(__doc__.split("\n\n", 1)[1].replace("\n", " ").replace("``", "`"))
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
    (out / "summary.json").write_text(json.dumps({**summary, "runs": results}, indent=2))
    return summary
