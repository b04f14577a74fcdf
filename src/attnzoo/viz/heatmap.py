"""Attention heatmaps: one (L, S) map with labelled axes, or a grid of maps (e.g. layers x heads)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _check_labels, _figure_and_axes, _new_figure, _save, _to_numpy

__all__ = ["attention_heatmap", "heatmap_grid"]

_MAX_TICKS = 80  # beyond this many labels on an axis, show every k-th so they stay readable


def _ticks(ax, labels: list[str] | None, n: int, axis: str, rotate: bool) -> None:
    if labels is None:
        return
    step = max(1, math.ceil(n / _MAX_TICKS))
    idx = list(range(0, n, step))
    if axis == "x":
        ax.set_xticks(idx, [labels[i] for i in idx])
        if rotate:
            ax.tick_params(axis="x", labelrotation=60)
            for t in ax.get_xticklabels():
                t.set_horizontalalignment("right")
                t.set_rotation_mode("anchor")
    else:
        ax.set_yticks(idx, [labels[i] for i in idx])


def _annotate(ax, w: np.ndarray, im) -> None:
    lo, hi = im.get_clim()
    mid = (lo + hi) / 2
    fontsize = max(5, min(9, 200 / max(w.shape)))
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            colour = "black" if w[i, j] > mid else "white"  # viridis-like maps are light at the top
            ax.text(j, i, f"{w[i, j]:.2f}", ha="center", va="center", color=colour, fontsize=fontsize)


def attention_heatmap(
    weights: Any,
    *,
    row_labels: Sequence[Any] | None = None,
    col_labels: Sequence[Any] | None = None,
    title: str | None = None,
    ax: Any = None,
    path: str | os.PathLike | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    xlabel: str | None = "keys",
    ylabel: str | None = "queries",
    colorbar: bool = True,
    dpi: int = 150,
):
    """Draw one attention map: row i is query i, column j is key j, colour the weight.

    Args:
        weights: attention weights (torch or numpy), e.g. one batch item and head of ``attention()``.
        row_labels: L labels for the queries (e.g. target words); ``None`` shows indices.
        col_labels: S labels for the keys (e.g. source words), drawn rotated.
        title: axes title.
        ax: draw into these axes instead of a new figure.
        path: save a PNG here (parent folders are created).
        cmap: matplotlib colormap name.
        annotate: write each weight in its cell (for small maps).
        vmin, vmax: colour scale limits (default: the data's range).
        xlabel, ylabel: axis titles.
        colorbar: add a colorbar.
        dpi: resolution of the saved PNG.

    Returns:
        The matplotlib ``Figure``.

    Shape:
        weights: ``(L, S)``.
    """
    w = _to_numpy(weights, "weights", 2)
    L, S = w.shape
    rows = _check_labels(row_labels, L, "row_labels", "rows (queries)")
    cols = _check_labels(col_labels, S, "col_labels", "columns (keys)")
    longest_col = max((len(c) for c in cols), default=0) if cols else 0
    longest_row = max((len(r) for r in rows), default=0) if rows else 0
    figsize = (
        min(16.0, max(4.0, 1.5 + 0.32 * S + 0.07 * longest_row)),
        min(14.0, max(3.0, 1.0 + 0.32 * L + 0.05 * longest_col)),
    )
    fig, ax = _figure_and_axes(ax, figsize)
    im = ax.imshow(w, cmap=cmap, aspect="auto", interpolation="nearest", vmin=vmin, vmax=vmax)
    _ticks(ax, cols, S, "x", rotate=longest_col > 2)
    _ticks(ax, rows, L, "y", rotate=False)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if annotate:
        _annotate(ax, w, im)
    if colorbar:
        fig.colorbar(im, ax=ax, shrink=0.9, label="weight")
    _save(fig, path, dpi)
    return fig


def _as_grid(weights: Any) -> list[list[np.ndarray]]:
    """(R, C, L, S) / (N, L, S) arrays or nested lists of (L, S) maps -> list of rows of 2-D arrays."""
    if isinstance(weights, (list, tuple)) and weights and isinstance(weights[0], (list, tuple)):
        return [
            [_to_numpy(m, f"weights[{r}][{c}]", 2) for c, m in enumerate(row)]
            for r, row in enumerate(weights)
        ]
    if isinstance(weights, (list, tuple)):
        return [[_to_numpy(m, f"weights[{i}]", 2) for i, m in enumerate(weights)]]
    arr = _to_numpy(weights, "weights", (2, 3, 4))
    if arr.ndim == 2:
        arr = arr[None, None]
    elif arr.ndim == 3:
        arr = arr[None]
    return [list(row) for row in arr]


def heatmap_grid(
    weights: Any,
    *,
    titles: Sequence[Any] | None = None,
    row_titles: Sequence[str] | None = None,
    col_titles: Sequence[str] | None = None,
    row_labels: Sequence[Any] | None = None,
    col_labels: Sequence[Any] | None = None,
    suptitle: str | None = None,
    path: str | os.PathLike | None = None,
    cmap: str = "viridis",
    share_scale: bool = True,
    panel_size: float = 2.6,
    dpi: int = 150,
):
    """Draw a grid of attention maps, e.g. one per (layer, head), with one shared colour scale.

    Args:
        weights: ``(R, C, L, S)`` or ``(N, L, S)`` (one row) array/tensor, or a list of rows of (L, S) maps
            (maps may differ in size then).
        titles: one title per panel: R x C nested, or flat in row-major order.
        row_titles: R titles, written left of each row (e.g. "layer 0").
        col_titles: C titles, written above the top row (e.g. "head 0").
        row_labels, col_labels: query / key labels, shown on the left column / bottom row.
        suptitle: title of the whole figure.
        path: save a PNG here.
        cmap: matplotlib colormap name.
        share_scale: one colour scale (and colorbar) for all panels; otherwise each panel its own.
        panel_size: inches per panel side.
        dpi: resolution of the saved PNG.

    Returns:
        The matplotlib ``Figure``.
    """
    grid = _as_grid(weights)
    R, C = len(grid), max(len(row) for row in grid)
    flat_titles = None
    if titles is not None:
        flat_titles = (
            [t for row in titles for t in row]
            if titles and isinstance(titles[0], (list, tuple))
            else list(titles)
        )
        if len(flat_titles) != sum(len(row) for row in grid):
            raise ValueError(
                f"titles has {len(flat_titles)} entries but there are {sum(map(len, grid))} maps"
            )
    for name, given, n in (("row_titles", row_titles, R), ("col_titles", col_titles, C)):
        if given is not None and len(given) != n:
            raise ValueError(f"{name} has {len(given)} entries but the grid has {n}")
    lo = min(float(m.min()) for row in grid for m in row) if share_scale else None
    hi = max(float(m.max()) for row in grid for m in row) if share_scale else None
    fig = _new_figure((panel_size * C + 1.2, panel_size * R + 0.6))
    axes = fig.subplots(R, C, squeeze=False)
    im, k = None, 0
    for r in range(R):
        for c in range(C):
            ax = axes[r][c]
            if c >= len(grid[r]):
                ax.set_axis_off()
                continue
            m = grid[r][c]
            im = ax.imshow(m, cmap=cmap, aspect="auto", interpolation="nearest", vmin=lo, vmax=hi)
            rows = _check_labels(row_labels, m.shape[0], "row_labels", "rows") if c == 0 else None
            cols = _check_labels(col_labels, m.shape[1], "col_labels", "columns") if r == R - 1 else None
            _ticks(ax, rows, m.shape[0], "y", rotate=False)
            _ticks(ax, cols, m.shape[1], "x", rotate=bool(cols) and max(map(len, cols)) > 2)
            if rows is None:
                ax.set_yticks([])
            if cols is None:
                ax.set_xticks([])
            title = flat_titles[k] if flat_titles else (col_titles[c] if col_titles and r == 0 else None)
            if title:
                ax.set_title(str(title), fontsize=9)
            if row_titles and c == 0:
                ax.set_ylabel(row_titles[r])
            if not share_scale:
                fig.colorbar(im, ax=ax, shrink=0.8)
            k += 1
    if share_scale and im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    if suptitle:
        fig.suptitle(suptitle)
    _save(fig, path, dpi)
    return fig
