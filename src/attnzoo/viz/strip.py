"""Where a sequence decoder looked along a line image: the image, and under it one strip of column weights
per output symbol (as in the attention figures of OCR and speech papers)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _check_labels, _new_figure, _save, _to_numpy

__all__ = ["attention_strip"]


def attention_strip(
    image: Any,
    weights: Any,
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    column_width: float | None = None,
    cmap: str = "magma",
    axes: Sequence[Any] | None = None,
    path: str | os.PathLike | None = None,
):
    """The image on top, then row ``t`` = the weights of output ``t`` over the feature columns.

    Args:
        image: ``(H, W)`` grey image (values in [0, 1] or any range; drawn with its own min/max).
        weights: ``(T, S)`` attention of T outputs over S columns (each row typically sums to 1).
        labels: T names of the outputs (e.g. the predicted characters), written left of each strip.
        column_width: pixels of the image per column (default ``W / S``); column ``s`` is drawn over
            pixels ``[s * column_width, (s + 1) * column_width)``.
        axes: two matplotlib axes (image, strips) to draw into, e.g. to stack several words in one
            figure; default a new figure.
        path: also save as PNG here.

    Returns:
        The matplotlib ``Figure``.
    """
    img = _to_numpy(image, "image", 2)
    w = _to_numpy(weights, "weights", 2)
    T, S = w.shape
    labels = _check_labels(labels, T, "labels", "rows")
    H, W = img.shape
    cw = W / S if column_width is None else float(column_width)
    if cw <= 0:
        raise ValueError(f"column_width must be positive, got {column_width}")
    if axes is None:
        fig = _new_figure((max(3.0, W / 28), 0.9 + 0.32 * (T + H / 16)))
        axes = fig.subplots(2, 1, height_ratios=[H / 16, max(T, 1) * 0.6], sharex=True)
    else:
        if len(axes) != 2:
            raise ValueError(f"axes must be two axes (image, strips), got {len(axes)}")
        fig = axes[0].figure
    axes[0].imshow(img, cmap="gray", aspect="auto", extent=(0, W, H, 0))
    axes[0].set_yticks([])
    if title:
        axes[0].set_title(title, fontsize=9)
    rows = np.zeros((max(T, 1), S)) if T == 0 else w
    vmax = float(rows.max()) if rows.size and rows.max() > 0 else 1.0
    axes[1].imshow(
        rows,
        cmap=cmap,
        aspect="auto",
        vmin=0,
        vmax=vmax,
        extent=(0, S * cw, max(T, 1), 0),
        interpolation="nearest",
    )
    axes[1].set_yticks(np.arange(T) + 0.5)
    axes[1].set_yticklabels(labels if labels is not None else [str(t) for t in range(T)], fontsize=8)
    axes[1].set_xlim(0, W)
    axes[1].set_xlabel("image column (pixels)", fontsize=8)
    axes[1].tick_params(axis="x", labelsize=7)
    _save(fig, path)
    return fig
