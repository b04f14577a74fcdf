"""The retina-like glimpse sensor of Recurrent Models of Visual Attention (Mnih, Heess, Graves, Kavukcuoglu;
arXiv 1406.6247, section 4): ``k`` square patches of growing size around one location, each reduced to
``g x g``, so the centre is seen sharply and the surroundings coarsely.

Shape legend: B batch, C channels, H x W image, k scales, g patch size, T glimpses.

Location convention: ``l = (x, y)`` in ``[-1, 1]^2``, ``x`` horizontal (columns, -1 = left edge, +1 = right
edge), ``y`` vertical (rows, -1 = top edge). ``l`` maps to the pixel corner
``(cx, cy) = (floor((x + 1) / 2 * W), floor((y + 1) / 2 * H))`` (so ``l = (0, 0)`` is the image centre and
``(-1, -1)`` the top-left corner); the patch of scale ``i`` (side ``n_i = g * s^i``) covers rows
``cy - n_i // 2 ... cy - n_i // 2 + n_i - 1`` (columns likewise), with zeros outside the image. This is the
convention of the most used port (kevinzakka/recurrent-visual-attention ``denormalize``).

Each patch is reduced to ``g x g`` by *average pooling* over ``s^i x s^i`` blocks (what ``F.avg_pool2d`` of
the crop gives; the paper's "progressively lower resolution"). Average pooling, not ``F.grid_sample`` or
bilinear ``F.interpolate``: those sample a few pixels per output and alias at coarse scales, while the mean
keeps every pixel's mass, and it makes the scale-1 patch the exact pixels. It is computed for all batch
elements, scales and output pixels at once from a summed-area table of the zero-padded image (one gather of
the ``(g + 1)^2`` block corners per scale, no Python loop); the table is built in float64 so the box sums
are exact to ~1e-12 and can be reused for the T glimpses of one image (:func:`glimpse_table`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["GlimpseTable", "glimpse", "glimpse_table"]


class GlimpseTable(NamedTuple):
    """A summed-area table of a zero-padded image batch, ready for many :func:`glimpse` reads."""

    table: Tensor  # (B, C, H + 2P + 1, W + 2P + 1) float64; table[..., r, c] = sum of padded[..., :r, :c]
    height: int  # H of the original images
    width: int  # W of the original images
    pad: int  # P, zeros added on each side
    dtype: torch.dtype  # dtype of the original images (of the returned patches)


def _check_sizes(patch_size: int, num_scales: int, scale_factor: int) -> None:
    for name, v in (("patch_size", patch_size), ("num_scales", num_scales), ("scale_factor", scale_factor)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")


def glimpse_table(images: Tensor, max_size: int) -> GlimpseTable:
    """Summed-area table of ``images`` padded by ``ceil(max_size / 2)`` zeros, for patches up to ``max_size``.

    Shape:
        images: (B, C, H, W) floating -> table: (B, C, H + 2P + 1, W + 2P + 1), P = ceil(max_size / 2).
    """
    if not isinstance(images, Tensor) or images.dim() != 4:
        got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"images must be a (B, C, H, W) tensor, got {got}")
    if not images.is_floating_point():
        raise TypeError(f"images must be a floating tensor, got {images.dtype}")
    pad = (max_size + 1) // 2
    padded = F.pad(images.to(torch.float64), (pad, pad, pad, pad))  # (B, C, H + 2P, W + 2P)
    table = F.pad(padded.cumsum(-1).cumsum(-2), (1, 0, 1, 0))  # (B, C, H + 2P + 1, W + 2P + 1)
    return GlimpseTable(table, images.shape[-2], images.shape[-1], pad, images.dtype)


def glimpse(
    images: Tensor | GlimpseTable,
    locations: Tensor,
    patch_size: int,
    num_scales: int = 1,
    scale_factor: int = 2,
) -> Tensor:
    """Retina glimpses: ``num_scales`` patches of side ``patch_size * scale_factor^i`` around each location.

    Equivalent to (reference, one sample ``b`` and scale ``i``)::

        l = locations[b].clamp(-1, 1)
        cx, cy = int((l[0] + 1) / 2 * W), int((l[1] + 1) / 2 * H)
        n, P = patch_size * scale_factor**i, ceil(max_size / 2)
        padded = F.pad(images[b], (P, P, P, P))
        crop = padded[:, cy - n // 2 + P : cy - n // 2 + P + n, cx - n // 2 + P : cx - n // 2 + P + n]
        out[b, i] = F.avg_pool2d(crop[None], scale_factor**i)[0]

    Args:
        images: (B, C, H, W) floating images, or a :class:`GlimpseTable` of them from :func:`glimpse_table`
            (built with ``max_size >= patch_size * scale_factor ** (num_scales - 1)``) to reuse it.
        locations: (B, 2) centres ``(x, y)`` in ``[-1, 1]`` (see the module docstring); values outside are
            clamped to the border. Gradients do not flow to ``locations`` (the crop is discrete).
        patch_size: g, the side of every returned patch.
        num_scales: k, the number of patches.
        scale_factor: s, an integer: patch ``i`` covers ``g * s^i`` pixels, averaged over ``s^i`` blocks.

    Returns:
        (B, k, C, g, g) patches in the images' dtype, finest scale first.
    """
    _check_sizes(patch_size, num_scales, scale_factor)
    max_size = patch_size * scale_factor ** (num_scales - 1)
    t = images if isinstance(images, GlimpseTable) else glimpse_table(images, max_size)
    if 2 * t.pad < max_size:
        need = math.ceil(max_size / 2)
        raise ValueError(
            f"the GlimpseTable was padded by {t.pad}; patches of side {max_size} need >= {need}: "
            f"build it with glimpse_table(images, {max_size})"
        )
    B, C, Hp, Wp = t.table.shape
    if not isinstance(locations, Tensor) or locations.shape != (B, 2):
        got = tuple(locations.shape) if isinstance(locations, Tensor) else type(locations).__name__
        raise ValueError(f"locations must have shape ({B}, 2) for {B} images, got {got}")
    if not locations.is_floating_point():
        raise TypeError(f"locations must be a floating tensor, got {locations.dtype}")
    if not bool(torch.isfinite(locations).all()):
        raise ValueError("locations contain NaN or inf")
    dev = t.table.device
    l = locations.detach().to(device=dev, dtype=torch.float64).clamp(-1.0, 1.0)  # (B, 2)
    cx = torch.floor((l[:, 0] + 1) / 2 * t.width).long()  # (B,) pixel corner, 0 ... W
    cy = torch.floor((l[:, 1] + 1) / 2 * t.height).long()  # (B,)
    factors = scale_factor ** torch.arange(num_scales, device=dev)  # (k,) block side of each scale
    half = (patch_size * factors) // 2  # (k,)
    steps = torch.arange(patch_size + 1, device=dev)  # (g + 1,) block corners
    offs = steps[None, :] * factors[:, None] - half[:, None] + t.pad  # (k, g + 1)
    rows = cy[:, None, None] + offs[None]  # (B, k, g + 1) in the table (which has a leading zero row)
    cols = cx[:, None, None] + offs[None]  # (B, k, g + 1)
    idx = rows[..., :, None] * Wp + cols[..., None, :]  # (B, k, g + 1, g + 1)
    flat = t.table.reshape(B, C, Hp * Wp)
    corners = flat.gather(2, idx.reshape(B, 1, -1).expand(B, C, -1))  # (B, C, k (g + 1)^2)
    corners = corners.view(B, C, num_scales, patch_size + 1, patch_size + 1)
    sums = corners[..., 1:, 1:] - corners[..., :-1, 1:] - corners[..., 1:, :-1] + corners[..., :-1, :-1]
    area = (factors.to(torch.float64) ** 2).view(1, 1, num_scales, 1, 1)
    return (sums / area).transpose(1, 2).to(t.dtype)  # (B, k, C, g, g)
