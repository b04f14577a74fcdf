"""Attention over images: upsample a coarse (h, w) map to the image and blend it on top."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from attnzoo.viz._common import _figure_and_axes, _save, _to_numpy

__all__ = ["image_overlay", "upsample_map"]


def upsample_map(attention: Any, size: tuple[int, int], mode: str = "bilinear") -> np.ndarray:
    """Resize a 2-D attention map to ``size`` (H, W), as the image it is drawn over.

    Args:
        attention: ``(h, w)`` weights (torch or numpy), e.g. over a 14x14 grid of CNN features.
        size: target ``(H, W)``.
        mode: "bilinear" (smooth, ``align_corners=False`` like most papers' figures) or "nearest"
            (blocky: shows the true resolution of the map).

    Returns:
        ``(H, W)`` float64 array.
    """
    import torch
    import torch.nn.functional as F

    a = _to_numpy(attention, "attention", 2)
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"mode must be 'bilinear' or 'nearest', got {mode!r}")
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (H, W) with positive sizes, got {size}")
    t = torch.from_numpy(a)[None, None]  # (1, 1, h, w)
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(t, size=tuple(int(s) for s in size), mode=mode, **kwargs)[0, 0].numpy()


def _image(image: Any) -> np.ndarray:
    img = _to_numpy(image, "image", (2, 3))
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = np.moveaxis(img, 0, -1)  # (C, H, W) -> (H, W, C)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 3 and img.shape[-1] != 3:
        raise ValueError(f"image must be (H, W), (H, W, 3) or (3, H, W), got shape {tuple(img.shape)}")
    if img.max() > 1.0:  # uint8-range pixels
        img = img / 255.0
    return img.clip(0.0, 1.0)


def image_overlay(
    image: Any,
    attention: Any,
    *,
    alpha: float = 0.5,
    cmap: str = "jet",
    mode: str = "bilinear",
    normalise: bool = True,
    title: str | None = None,
    ax: Any = None,
    path: str | os.PathLike | None = None,
    colorbar: bool = False,
    figsize: tuple[float, float] = (4.0, 4.0),
    dpi: int = 150,
):
    """Show an image with an attention map upsampled and blended over it (as in Show, Attend and Tell).

    Args:
        image: ``(H, W)`` grey, ``(H, W, 3)`` or ``(3, H, W)`` colour; values in [0, 1] or [0, 255].
        attention: ``(h, w)`` map; upsampled with :func:`upsample_map` to ``(H, W)``.
        alpha: opacity of the attention layer.
        cmap: colormap of the attention layer.
        mode: "bilinear" or "nearest" upsampling.
        normalise: scale the map to [0, 1] by its max (so a peaked and a flat map are both visible).
        title: axes title.
        ax: draw into these axes.
        path: save a PNG here.
        colorbar: add a colorbar for the attention layer.
        figsize, dpi: size of a new figure; resolution of the PNG.

    Returns:
        The matplotlib ``Figure``.
    """
    img = _image(image)
    up = upsample_map(attention, img.shape[:2], mode)
    if normalise and up.max() > 0:
        up = up / up.max()
    fig, ax = _figure_and_axes(ax, figsize)
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    layer = ax.imshow(up, cmap=cmap, alpha=alpha, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if colorbar:
        fig.colorbar(layer, ax=ax, shrink=0.8)
    _save(fig, path, dpi)
    return fig
