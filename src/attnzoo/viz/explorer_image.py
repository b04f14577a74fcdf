"""Explorer views over an image: a caption's attention grid, a sequence of glimpses, OCR column attention.

The image travels inside the page as a base64 PNG; the views draw it on a canvas, zoomed (``scale``) with
square pixels, and the attention over it. JSON schemas: see :mod:`attnzoo.viz.explorer`.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _to_numpy
from attnzoo.viz.explorer import _digits, _fragment, _labels, _rounded, _weights

__all__ = ["glimpse_view", "image_view", "ocr_view"]

_DISPLAY = 280  # default zoom makes the longer side about this many CSS pixels


def _png(image: Any, scale: int | None) -> dict[str, Any]:
    """``{"image": PNG data URL, "width", "height", "scale"}`` of a grey or RGB(A) image."""
    a = _to_numpy(image, "image", (2, 3))
    if a.ndim == 3:
        if a.shape[-1] not in (1, 3, 4) and a.shape[0] in (1, 3):
            a = np.moveaxis(a, 0, -1)  # channels first, as torch keeps images
        if a.shape[-1] not in (1, 3, 4):
            raise ValueError(f"image must be (H, W), (H, W, 1|3|4) or (1|3, H, W), got {tuple(a.shape)}")
        a = a[..., 0] if a.shape[-1] == 1 else a
    if not np.isfinite(a).all():
        raise ValueError("image has NaN or inf entries")
    if a.min() < 0 or a.max() > 1:
        if a.min() >= 0 and a.max() <= 255 and np.all(a == np.round(a)):
            a = a / 255.0  # 8-bit pixel values
        else:  # e.g. a normalised tensor: show its range
            lo, hi = a.min(), a.max()
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    h, w = a.shape[:2]
    if scale is None:
        scale = max(1, _DISPLAY // max(h, w))
    elif isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 64:
        raise ValueError(f"scale must be an int in [1, 64] or None, got {scale!r}")
    from matplotlib.image import imsave

    buf = io.BytesIO()
    imsave(buf, a, format="png", cmap="gray", vmin=0.0, vmax=1.0)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return {"image": url, "width": int(w), "height": int(h), "scale": int(scale)}


def image_view(
    image: Any,
    tokens: Sequence[Any],
    weights: Any,
    *,
    grid: tuple[int, int] | None = None,
    title: str | None = None,
    digits: int = 3,
    scale: int | None = None,
) -> str:
    """A caption over an image: hover a word to see its attention over the image, drawn as an overlay.

    Regions the word does not attend to are dimmed, in proportion to ``1 - w / max(w)``; the grid is
    upsampled bilinearly to the image, as in Show, Attend and Tell's figures.

    Args:
        image: ``(H, W)`` grey, ``(H, W, 3|4)`` or ``(3, H, W)`` colour; values in [0, 1], 8-bit values in
            [0, 255], or any range (then stretched to [0, 1]).
        tokens: the T caption words.
        weights: ``(T, gh, gw)`` attention grids, or ``(T, N)`` with ``N = gh * gw`` (``grid`` given, or N a
            square).
        grid: ``(gh, gw)`` for flat ``(T, N)`` weights.
        title: shown above the view.
        digits: decimals kept in the data and shown.
        scale: display zoom (default: the longer side about 280 pixels).

    Returns:
        The HTML fragment (embed with ``Report.add_explorer``).
    """
    digits = _digits(digits)
    toks = _labels(tokens, "tokens")
    w = _weights(weights, "weights", (2, 3))
    if w.ndim == 2:
        n = w.shape[1]
        if grid is None:
            side = math.isqrt(n)
            if side * side != n:
                raise ValueError(f"weights is (T, {n}) and {n} is not a square: pass grid=(gh, gw)")
            grid = (side, side)
        if len(grid) != 2 or grid[0] * grid[1] != n:
            raise ValueError(f"grid {tuple(grid)} does not have the {n} cells of weights {tuple(w.shape)}")
        w = w.reshape(w.shape[0], int(grid[0]), int(grid[1]))
    if w.shape[0] != len(toks):
        raise ValueError(f"tokens has {len(toks)} words but weights has {w.shape[0]} maps")
    data = {
        **_png(image, scale),
        "tokens": toks,
        "grid": [w.shape[1], w.shape[2]],
        "weights": _rounded(w, digits),
    }
    return _fragment("image", data, title, digits)


def glimpse_view(
    image: Any,
    boxes: Any,
    *,
    notes: Sequence[Any] | None = None,
    title: str | None = None,
    scale: int | None = None,
) -> str:
    """A sequence of glimpses over an image (e.g. RAM's): step through them with a slider or the buttons.

    Every step draws its boxes (the sensor's scales, finest first), the path of glimpse centres so far, and
    the earlier glimpses faintly.

    Args:
        image: as for :func:`image_view`.
        boxes: ``(N, 4)`` or ``(N, K, 4)`` boxes ``(x0, y0, x1, y1)`` in image pixels (x right, y down), N
            glimpses of K scales; boxes may reach outside the image (a padded sensor).
        notes: one text a glimpse (e.g. the class the model would guess now), or None.
        title: shown above the view.
        scale: display zoom (default: the longer side about 280 pixels).

    Returns:
        The HTML fragment (embed with ``Report.add_explorer``).
    """
    b = _to_numpy(boxes, "boxes", (2, 3))
    b = b[:, None] if b.ndim == 2 else b
    if b.shape[-1] != 4 or b.shape[0] == 0 or b.shape[1] == 0:
        raise ValueError(
            f"boxes must be (N, 4) or (N, K, 4) with N, K >= 1, got {tuple(_to_numpy(boxes, 'boxes').shape)}"
        )
    if not np.isfinite(b).all():
        raise ValueError("boxes has NaN or inf entries")
    if (b[..., 2] <= b[..., 0]).any() or (b[..., 3] <= b[..., 1]).any():
        raise ValueError("boxes must be (x0, y0, x1, y1) with x0 < x1 and y0 < y1")
    if notes is not None:
        notes = [None if n is None else str(n) for n in notes]
        if len(notes) != b.shape[0]:
            raise ValueError(f"notes has {len(notes)} texts but boxes has {b.shape[0]} glimpses")
    steps = [
        {"boxes": _rounded(step, 2), "note": None if notes is None else notes[i]} for i, step in enumerate(b)
    ]
    return _fragment("glimpses", {**_png(image, scale), "steps": steps}, title, 2)


def ocr_view(
    image: Any,
    chars: Sequence[Any] | str,
    weights: Any,
    *,
    title: str | None = None,
    digits: int = 3,
    scale: int | None = None,
) -> str:
    """OCR attention: hover a decoded character to see which columns of the word image the decoder read.

    The weights are drawn as bars under the image and as a dimming of the columns not attended to; P
    encoder positions are spread evenly across the image's width.

    Args:
        image: the word image, as for :func:`image_view`.
        chars: the T decoded characters (a str, or a list of str tokens).
        weights: ``(T, P)`` attention over P column positions.
        title: shown above the view.
        digits: decimals kept in the data and shown.
        scale: display zoom (default: the longer side about 280 pixels).

    Returns:
        The HTML fragment (embed with ``Report.add_explorer``).
    """
    digits = _digits(digits)
    cs = _labels(chars, "chars", allow_str=True)
    w = _weights(weights, "weights", 2)
    if w.shape[0] != len(cs):
        raise ValueError(f"chars has {len(cs)} characters but weights has {w.shape[0]} rows")
    if w.shape[1] == 0:
        raise ValueError("weights has no columns")
    return _fragment(
        "ocr", {**_png(image, scale), "chars": cs, "weights": _rounded(w, digits)}, title, digits
    )
