"""Glimpse paths: where a sequence of square glimpses looked on an image, as a grid PNG or an animated GIF.

Locations are ``(x, y)`` in ``[-1, 1]^2`` (x horizontal, y down), the glimpse's centre being the pixel corner
``(floor((x + 1) / 2 * W), floor((y + 1) / 2 * H))`` and a box of side ``n`` starting ``n // 2`` pixels
before it (the convention of :mod:`attnzoo.functional.glimpse`). Nothing here knows about a model.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attnzoo.viz._common import _new_figure, _save, _to_numpy

__all__ = ["glimpse_animation", "glimpse_paths", "location_heatmaps"]


def _check(images: Any, locations: Any, box_sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    imgs = _to_numpy(images, "images", (3,))  # (N, H, W)
    locs = _to_numpy(locations, "locations", (3,))  # (N, T, 2)
    if locs.shape[0] != imgs.shape[0] or locs.shape[2] != 2:
        raise ValueError(
            f"locations must be ({imgs.shape[0]}, T, 2) for {imgs.shape[0]} images, got {locs.shape}"
        )
    if not box_sizes or any(int(n) < 1 for n in box_sizes):
        raise ValueError(f"box_sizes must be a non-empty list of positive sides, got {list(box_sizes)}")
    return imgs, locs


def _corners(locs: np.ndarray, h: int, w: int) -> np.ndarray:
    """(..., 2) pixel corners (cx, cy) in imshow coordinates (pixel centres at integers)."""
    loc = np.clip(locs, -1, 1)
    return np.stack([np.floor((loc[..., 0] + 1) / 2 * w), np.floor((loc[..., 1] + 1) / 2 * h)], -1) - 0.5


def _draw(
    ax, img: np.ndarray, corners: np.ndarray, box_sizes: Sequence[int], upto: int | None = None
) -> None:
    from matplotlib.patches import Rectangle

    T = corners.shape[0]
    last = T - 1 if upto is None else upto
    ax.imshow(img, cmap="gray", vmin=0, vmax=max(1.0, float(img.max())), interpolation="nearest")
    pts = corners[: last + 1]
    ax.plot(pts[:, 0], pts[:, 1], "-", color="#ffb000", lw=1.2)
    ax.plot(pts[:, 0], pts[:, 1], ".", color="#ffb000", ms=4)
    ax.plot(*corners[0], "o", color="#22dd22", ms=7, mfc="none", mew=2, label="start")
    if last == T - 1:
        ax.plot(*corners[-1], "x", color="#ff3030", ms=8, mew=2, label="end")
    for t in [last] if upto is not None else range(T):
        cx, cy = corners[t]
        for n in box_sizes:
            final = t == last
            style = {"lw": 1.5, "ec": "#ff3030"} if final else {"lw": 0.5, "ec": "#ffb000", "alpha": 0.5}
            ax.add_patch(Rectangle((cx - n // 2, cy - n // 2), n, n, fill=False, **style))
    ax.set_xlim(-0.5, img.shape[1] - 0.5)
    ax.set_ylim(img.shape[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])


def glimpse_paths(
    images: Any,
    locations: Any,
    box_sizes: Sequence[int],
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    suptitle: str | None = None,
    panel_size: float = 2.2,
    path: str | os.PathLike | None = None,
):
    """A grid of images with their glimpse paths: start (green circle), end (red cross), a box per scale.

    Args:
        images: (N, H, W) grey images.
        locations: (N, T, 2) glimpse centres ``(x, y)`` in [-1, 1].
        box_sizes: the side in pixels of each scale's box, e.g. ``[12, 24, 48]``.
        titles: N panel titles.
        ncols: panels per row.
        suptitle: title of the figure.
        panel_size: inches per panel.
        path: save a PNG here.

    Returns:
        The matplotlib ``Figure``.
    """
    imgs, locs = _check(images, locations, box_sizes)
    n = imgs.shape[0]
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images")
    cols = max(1, min(ncols, n))
    rows = -(-n // cols)
    fig = _new_figure((panel_size * cols, panel_size * rows + (0.4 if suptitle else 0)))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        _draw(ax, imgs[i], _corners(locs[i], *imgs.shape[1:]), box_sizes)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    _save(fig, path)
    return fig


def glimpse_animation(
    images: Any,
    locations: Any,
    box_sizes: Sequence[int],
    path: str | os.PathLike,
    *,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    panel_size: float = 2.0,
    frame_ms: int = 600,
    dpi: int = 80,
) -> Path:
    """An animated GIF: frame t shows the path so far and the boxes of glimpse t, for every image at once.

    Args:
        images, locations, box_sizes, titles, ncols, panel_size: as in :func:`glimpse_paths`.
        path: the .gif to write.
        frame_ms: milliseconds per frame (the last frame is held three times as long).
        dpi: resolution of each frame.

    Returns:
        The path written.
    """
    from PIL import Image

    imgs, locs = _check(images, locations, box_sizes)
    n, T = locs.shape[:2]
    cols = max(1, min(ncols, n))
    rows = -(-n // cols)
    frames = []
    for t in range(T):
        fig = _new_figure((panel_size * cols, panel_size * rows + 0.3))
        axes = fig.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= n:
                ax.axis("off")
                continue
            _draw(ax, imgs[i], _corners(locs[i], *imgs.shape[1:]), box_sizes, upto=t)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
        fig.suptitle(f"glimpse {t + 1} / {T}")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        frames.append(Image.open(buf).convert("P", palette=Image.Palette.ADAPTIVE))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [frame_ms] * (T - 1) + [3 * frame_ms]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return path


def location_heatmaps(
    locations: Any,
    groups: Any,
    *,
    bins: int = 14,
    backgrounds: Any | None = None,
    titles: Sequence[str] | None = None,
    ncols: int = 5,
    suptitle: str | None = None,
    panel_size: float = 2.0,
    path: str | os.PathLike | None = None,
):
    """Where the glimpses fall, one 2-D histogram per group (e.g. per class), optionally over a background.

    Args:
        locations: (N, T, 2) or (N, 2) points ``(x, y)`` in [-1, 1] (all steps pooled).
        groups: (N,) integer group of each row; one panel per distinct value, in sorted order.
        bins: histogram cells per side over [-1, 1].
        backgrounds: optional (G, h, w) images drawn under the G panels (e.g. the mean image of each class).
        titles: G panel titles (default: the group values).
        ncols, suptitle, panel_size, path: layout, title, inches per panel, PNG to save.

    Returns:
        The matplotlib ``Figure``.
    """
    locs = _to_numpy(locations, "locations", (2, 3))
    locs = locs.reshape(locs.shape[0], -1, 2)
    g = _to_numpy(groups, "groups", (1,)).astype(int)
    if g.shape[0] != locs.shape[0]:
        raise ValueError(f"groups has {g.shape[0]} entries for {locs.shape[0]} location rows")
    values = np.unique(g)
    bgs = None if backgrounds is None else _to_numpy(backgrounds, "backgrounds", (3,))
    if bgs is not None and bgs.shape[0] != len(values):
        raise ValueError(f"backgrounds has {bgs.shape[0]} images for {len(values)} groups")
    cols = max(1, min(ncols, len(values)))
    rows = -(-len(values) // cols)
    fig = _new_figure((panel_size * cols, panel_size * rows + (0.4 if suptitle else 0)))
    axes = fig.subplots(rows, cols, squeeze=False)
    extent = (-1, 1, 1, -1)
    for k, ax in enumerate(axes.flat):
        if k >= len(values):
            ax.axis("off")
            continue
        pts = np.clip(locs[g == values[k]].reshape(-1, 2), -1, 1)
        hist, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=bins, range=[[-1, 1], [-1, 1]])
        if bgs is not None:
            ax.imshow(bgs[k], cmap="gray", extent=extent, interpolation="nearest")
        ax.imshow(hist / max(hist.max(), 1), cmap="magma", alpha=0.6 if bgs is not None else 1.0,
                  extent=extent, interpolation="nearest", vmin=0, vmax=1)  # fmt: skip
        ax.set_title(str(titles[k]) if titles is not None else str(values[k]), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    _save(fig, path)
    return fig
