"""Grids of grey images with rectangles drawn on them, as a figure or an animated GIF.

Generic: an image is ``(H, W)`` in [0, 1]; a box is ``(x0, y0, x1, y1)`` in pixel coordinates where pixel
``(r, c)`` has its centre at ``(c, r)`` (matplotlib's ``imshow`` convention), so a box around pixels
``c0..c1`` is ``(c0 - 0.5, ., c1 + 0.5, .)``. Boxes are clipped to the image's outline (a window larger
than the image is drawn as its border; one wholly outside is not drawn). Used for sequential generation
(canvases step by step, the window written at each step) and glimpses.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attnzoo.viz._common import _new_figure, _to_numpy

__all__ = ["image_grid", "save_gif"]

Box = tuple[float, float, float, float]


def _clip(box: Box, h: int, w: int) -> Box:
    """A box clipped to the image's outline, so a window larger than the image shows as its border."""
    x0, y0, x1, y1 = box
    return (max(x0, -0.5), max(y0, -0.5), min(x1, w - 0.5), min(y1, h - 0.5))


def _check_boxes(boxes: Any, n: int, name: str) -> list[list[Box]]:
    if boxes is None:
        return [[] for _ in range(n)]
    if len(boxes) != n:
        raise ValueError(f"{name} must have one entry per image ({n}), got {len(boxes)}")
    out = []
    for i, bs in enumerate(boxes):
        arr = _to_numpy(bs, f"{name}[{i}]").reshape(-1, 4) if len(bs) else np.zeros((0, 4))
        out.append([tuple(map(float, b)) for b in arr])
    return out


def image_grid(
    images: Any,
    *,
    ncols: int | None = None,
    titles: Sequence[str] | None = None,
    boxes: Sequence[Any] | None = None,
    box_colors: Sequence[str] = ("tab:red", "tab:green", "tab:blue"),
    suptitle: str | None = None,
    panel_size: float = 1.2,
    cmap: str = "gray",
):
    """A grid of grey images, each optionally with rectangles on it.

    Args:
        images: ``(N, H, W)`` values in [0, 1].
        ncols: panels a row (default: up to 10).
        titles: one small title a panel.
        boxes: per image, a list of ``(x0, y0, x1, y1)`` boxes (``(k, 4)``), coloured by position with
            ``box_colors``.
        suptitle: title over the grid.
        panel_size: inches a panel.

    Returns:
        a matplotlib Figure.
    """
    from matplotlib.patches import Rectangle

    imgs = _to_numpy(images, "images", ndim=3)
    n = imgs.shape[0]
    if n == 0:
        raise ValueError("images must hold at least one image, got 0")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles must have one entry per image ({n}), got {len(titles)}")
    bxs = _check_boxes(boxes, n, "boxes")
    ncols = min(n, 10) if ncols is None else ncols
    if ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols}")
    nrows = -(-n // ncols)
    fig = _new_figure((panel_size * ncols, panel_size * nrows + (0.4 if suptitle else 0)))
    for i in range(nrows * ncols):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(imgs[i], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        for j, box in enumerate(bxs[i]):
            x0, y0, x1, y1 = _clip(box, *imgs.shape[1:])
            if x0 >= x1 or y0 >= y1:
                continue
            color = box_colors[j % len(box_colors)]
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=1.2))
        ax.set_xlim(-0.5, imgs.shape[2] - 0.5)
        ax.set_ylim(imgs.shape[1] - 0.5, -0.5)
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def save_gif(
    frames: Any,
    path: str | os.PathLike,
    *,
    boxes: Sequence[Any] | None = None,
    box_colors: Sequence[tuple[int, int, int]] = ((230, 40, 40), (40, 200, 40), (40, 90, 230)),
    scale: int = 8,
    duration_ms: int = 80,
    hold_last_ms: int = 1000,
) -> Path:
    """Write frames ``(T, H, W)`` in [0, 1] as an animated GIF, scaled up, with boxes drawn on each frame.

    Args:
        frames: ``(T, H, W)``.
        path: where to write the GIF.
        boxes: per frame, a list of ``(x0, y0, x1, y1)`` boxes in pixel coordinates (see the module doc).
        box_colors: RGB colours of the boxes by position.
        scale: each pixel becomes ``scale x scale``.
        duration_ms: time a frame; the last one stays ``hold_last_ms``.

    Returns:
        the path written.
    """
    from PIL import Image, ImageDraw

    arr = _to_numpy(frames, "frames", ndim=3)
    if arr.shape[0] == 0:
        raise ValueError("frames must hold at least one frame, got 0")
    if not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive int, got {scale!r}")
    bxs = _check_boxes(boxes, arr.shape[0], "boxes")
    out = []
    for t, frame in enumerate(np.clip(arr, 0, 1)):
        img = Image.fromarray((frame * 255).round().astype(np.uint8)).convert("RGB")
        img = img.resize((frame.shape[1] * scale, frame.shape[0] * scale), Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(img)
        for j, box in enumerate(bxs[t]):
            x0, y0, x1, y1 = _clip(box, *frame.shape)
            if x0 >= x1 or y0 >= y1:
                continue
            xy = [(x0 + 0.5) * scale, (y0 + 0.5) * scale, (x1 + 0.5) * scale - 1, (y1 + 0.5) * scale - 1]
            draw.rectangle(xy, outline=tuple(box_colors[j % len(box_colors)]), width=max(1, scale // 4))
        out.append(img.convert("P", palette=Image.Palette.ADAPTIVE))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [duration_ms] * (len(out) - 1) + [hold_last_ms]
    out[0].save(path, save_all=True, append_images=out[1:], duration=durations, loop=0)
    return path
