"""The ``vision`` recipe's pictures: spatial attention over test images, channel gates per class, curves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from attnzoo import viz
from attnzoo.data.images import ImageSplit
from attnzoo.recipes.vision.models import forward_maps


def spatial_map(maps: dict[str, Tensor]) -> Tensor | None:
    """One block's attention as a (B, H, W) map over positions, or None when it has none.

    CBAM / sSE / scSE: their spatial gate; Coordinate Attention: the product of its height and width gates,
    averaged over channels; a Residual Attention Network mask: averaged over channels.
    """
    if "spatial" in maps:
        return maps["spatial"][:, 0]
    if "height" in maps and "width" in maps:
        return (maps["height"] * maps["width"]).mean(1)
    if "mask" in maps:
        return maps["mask"].mean(1)
    return None


def _figure(rows: int, cols: int, panel: float = 1.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(panel * cols + 0.8, panel * rows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, squeeze=False)


def pick_images(split: ImageSplit, n: int, num_classes: int) -> list[int]:
    """Indices of the first test image of each class 0, 1, ... (``n`` of them; cycling if n > classes)."""
    firsts = [
        int(np.flatnonzero(split.labels.numpy() == c)[0])
        for c in range(num_classes)
        if bool((split.labels == c).any())
    ]
    return [firsts[i % len(firsts)] for i in range(min(n, len(split)))]


def spatial_figure(
    model: nn.Module,
    name: str,
    split: ImageSplit,
    idx: Sequence[int],
    norm: Callable[[Tensor], Tensor],
    class_names: Sequence[str],
    stages: Sequence[int],
) -> Any | None:
    """Test images (top row) and, below, the last spatial map of each stage laid over them; None if the model
    has no spatial attention."""
    model.eval()
    with torch.no_grad():
        logits, maps = forward_maps(model, norm(split.images[list(idx)]))
    per_stage: dict[int, Tensor] = {}
    for stage, block in zip(stages, maps, strict=True):
        m = spatial_map(block)
        if m is not None:
            per_stage[stage] = m  # later blocks of a stage overwrite earlier ones: keep the last
    if not per_stage:
        return None
    fig, axes = _figure(1 + len(per_stage), len(idx))
    pred = logits.argmax(1)
    for j, i in enumerate(idx):
        img = split.images[i, 0].float() / 255
        label = class_names[int(split.labels[i])]
        axes[0][j].imshow(img.numpy(), cmap="gray", vmin=0, vmax=1)
        axes[0][j].set_axis_off()
        mark = "" if int(pred[j]) == int(split.labels[i]) else f"\n(pred. {class_names[int(pred[j])]})"
        axes[0][j].set_title(f"{label}{mark}", fontsize=7)
        for r, (stage, m) in enumerate(per_stage.items(), start=1):
            viz.image_overlay(img, m[j], ax=axes[r][j], alpha=0.55)
            if j == 0:
                h, w = m.shape[1:]
                axes[r][j].set_title(f"stage {stage + 1} ({h}x{w})", fontsize=7, loc="left")
    fig.suptitle(f"{name}: where the spatial attention is high (each map scaled to its max)", fontsize=9)
    return fig


def channel_gates_by_class(
    model: nn.Module, split: ImageSplit, norm: Callable[[Tensor], Tensor], num_classes: int, batch: int = 500
) -> np.ndarray | None:
    """Mean channel gate of the LAST block that has one, per true class: ``(num_classes, C)``; None if the
    model has no channel attention (as in Fig. 6 of the SE paper)."""
    model.eval()
    sums, counts = None, torch.zeros(num_classes)
    with torch.no_grad():
        for i in range(0, len(split), batch):
            y = split.labels[i : i + batch]
            _, maps = forward_maps(model, norm(split.images[i : i + batch]))
            gates = [m["channel"] for m in maps if "channel" in m]
            if not gates:
                return None
            g = gates[-1].flatten(1)  # (B, C)
            if sums is None:
                sums = torch.zeros(num_classes, g.shape[1])
            sums.index_add_(0, y, g)
            counts += torch.bincount(y, minlength=num_classes).float()
    return (sums / counts.clamp(min=1)[:, None]).numpy()


def channel_figure(gates: dict[str, np.ndarray], class_names: Sequence[str]) -> Any:
    """One heatmap a module: classes (rows) x channels of the last block (columns), mean gate values."""
    names = list(gates)
    return viz.heatmap_grid(
        [[gates[n]] for n in names],
        titles=[f"{n}: last block, {gates[n].shape[1]} channels" for n in names],
        row_labels=list(class_names),
        suptitle="Mean channel gate per class (rows) and channel (columns), test images",
        share_scale=False,
        panel_size=3.2,
    )


def class_specificity(gates: np.ndarray) -> float:
    """How much the gates depend on the class: the std over classes, averaged over channels."""
    return float(gates.std(0).mean())


def curves_figure(curves: dict[str, list[float]]) -> Any:
    """Validation accuracy per epoch, one line a model (first seed)."""
    n = max(len(v) for v in curves.values())
    series = {k: np.asarray(v + [np.nan] * (n - len(v))) * 100 for k, v in curves.items()}
    return viz.line_plot(
        np.arange(1, n + 1),
        series,
        xlabel="epoch",
        ylabel="validation accuracy (%)",
        title="Validation accuracy (first seed)",
        marker="o",
    )
