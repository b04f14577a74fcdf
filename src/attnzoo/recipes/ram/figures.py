"""Figures of the ``ram`` recipe: glimpse paths (PNG grid, GIF), where the policy looks per class, curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from attnzoo import viz
from attnzoo.functional.glimpse import glimpse_boxes
from attnzoo.recipes.ram.train import TaskData, digit_centres

__all__ = ["add_explorer", "add_figures", "distance_to_digit"]


def distance_to_digit(locations: np.ndarray, data: TaskData) -> list[float]:
    """Mean distance (in pixels) of glimpse t from the digit's centre, for each t."""
    n = locations.shape[0]
    centres = digit_centres(data.test, data.test_idx[:n])  # (n, 2)
    d = np.linalg.norm(np.clip(locations, -1, 1) - centres[:, None], axis=-1)  # (n, T) normalised units
    return (d.mean(0) * data.test.size / 2).tolist()


def _digit_frame(locations: np.ndarray, data: TaskData) -> np.ndarray:
    """Locations in the 28x28 frame of each image's digit, [-1, 1] over that frame (may exceed it)."""
    n = locations.shape[0]
    pos = data.test.positions(data.test_idx[:n])  # (n, 2) top-left (row, col)
    h, w = data.test.images.shape[1:]
    px = (np.clip(locations, -1, 1) + 1) / 2 * data.test.size  # (n, T, 2) pixels (x, y)
    rel = px - pos[:, None, ::-1]  # relative to the digit's top-left
    return rel / np.array([w, h]) * 2 - 1


def add_figures(
    rep: viz.Report, out: Path, run: dict, curves: dict, glimpse_curve, data: TaskData, cfg
) -> None:
    """Add the recipe's figures of the first seed's RAM (``run``) to the report."""
    model = run["model"]
    mc = model.config
    boxes = [mc.patch_size * mc.scale_factor**i for i in range(mc.num_scales)]
    n = min(cfg.figure_images, len(data.test_idx))
    x, y = data.test.batch(data.test_idx[:n])
    locs = run["test_locations"][:n]
    titles = [f"label {int(t)} -> {int(p)}" for t, p in zip(y, run["test_preds"][:n], strict=True)]
    fig = viz.glimpse_paths(x[:, 0], locs, boxes, titles=titles, ncols=4,
                            suptitle=f"RAM glimpse paths ({mc.glimpses} glimpses, test images)")  # fmt: skip
    rep.add_figure(fig, "Glimpse paths on test images: green circle = first glimpse, red cross = last; "
                   "boxes = the retina's scales (red: the last glimpse).", name="glimpse-paths")  # fmt: skip
    gif = viz.glimpse_animation(x[:, 0], locs, boxes, out / "glimpses.gif", titles=titles, ncols=4)
    rep.add_figure(gif, "The same glimpses, one frame per glimpse (animated GIF).", name="glimpses")

    all_locs = run["test_locations"]
    labels = data.test.labels[data.test_idx[: len(all_locs)]]
    digits = data.test.images[data.test_idx[: len(all_locs)]]
    means = np.stack([digits[labels == c].mean(0) / 255 for c in np.unique(labels)])
    frame = "the digit's 28x28 frame" if cfg.task != "mnist" else "the image"
    fig = viz.location_heatmaps(_digit_frame(all_locs, data), labels, backgrounds=means,
                                titles=[f"class {c}" for c in np.unique(labels)],
                                suptitle=f"Where the policy looks, per class (in {frame})")  # fmt: skip
    rep.add_figure(fig, f"All glimpses of every test image, by true class, in {frame}, over the class's "
                   "mean digit; brighter = more glimpses.", name="per-class")  # fmt: skip

    ts, errs = zip(*glimpse_curve, strict=True)
    series = {"one model, classified after t glimpses": np.array(errs)}
    points = {}
    if "separate" in curves:
        points["a model trained for t glimpses"] = curves["separate"]
    fig = viz.line_plot(np.array(ts), series, points=points or None, xlabel="glimpses t",
                        ylabel="test error %", logy=True, title="Error against glimpse count")  # fmt: skip
    rep.add_figure(fig, "Test error against the number of glimpses. Line: the trained model's action network "
                   "applied to the core state after t glimpses (it was trained only at the last one).",
                   name="glimpse-count")  # fmt: skip

    named = [(k, v) for k, v in curves.items() if k != "separate"]
    (k0, (x0, y0)), rest = named[0], dict(named[1:])
    fig = viz.line_plot(x0, {k0: y0}, points=rest or None, marker="o", xlabel="epoch",
                        ylabel="validation error %", logy=True,
                        title="Validation error during training (first seed)")  # fmt: skip
    rep.add_figure(fig, "Validation error at each evaluation (RAM: one sampled glimpse sequence an image).",
                   name="curves")  # fmt: skip


def add_explorer(rep: viz.Report, run: dict, data: TaskData, cfg, images: int = 3) -> None:
    """Embed the attention explorer's glimpse view (step through the glimpses) for a few test images."""
    mc = run["model"].config
    n = min(images, cfg.figure_images, len(data.test_idx))
    x, y = data.test.batch(data.test_idx[:n])
    locs = run["test_locations"][:n]  # (n, T, 2) in [-1, 1]
    boxes = glimpse_boxes(torch.as_tensor(locs), mc.image_size, mc.patch_size, mc.num_scales, mc.scale_factor)
    centres = digit_centres(data.test, data.test_idx[:n])  # (n, 2)
    dist = np.linalg.norm(np.clip(locs, -1, 1) - centres[:, None], axis=-1)  # (n, T)
    for j in range(n):
        notes = [f"glimpse {t + 1}: {dist[j, t] * data.test.size / 2:.1f} px from the digit's centre"
                 + (" (random start)" if t == 0 and mc.start == "random" else "")
                 for t in range(locs.shape[1])]  # fmt: skip
        title = f"test image {j}: label {int(y[j])}, RAM says {int(run['test_preds'][j])}"
        rep.add_explorer(viz.glimpse_view(x[j, 0].numpy(), boxes[j].numpy(), notes=notes, title=title),
                         caption="Step through RAM's glimpses: boxes = the retina's scales, line = the path "
                         "so far.")  # fmt: skip
