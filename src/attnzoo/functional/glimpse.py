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
keeps every pixel's mass, and it makes the scale-1 patch the exact pixels. All batch elements, scales and
output pixels are computed at once with no Python loop: one gather of the largest square around each
location (out-of-image pixels masked to zero, so the image itself is never padded), then the block means of
every scale as two GEMMs with a fixed (k, g, S) pooling matrix (``P_i square P_i^T`` for scale i).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["glimpse"]


def _check_sizes(patch_size: int, num_scales: int, scale_factor: int) -> None:
    for name, v in (("patch_size", patch_size), ("num_scales", num_scales), ("scale_factor", scale_factor)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")


def glimpse(
    images: Tensor,
    locations: Tensor,
    patch_size: int,
    num_scales: int = 1,
    scale_factor: int = 2,
) -> Tensor:
    """Retina glimpses: ``num_scales`` patches of side ``patch_size * scale_factor^i`` around each location.

    Equivalent to (reference, one sample ``b`` and scale ``i``)::

        l = locations[b].clamp(-1, 1)
        cx, cy = int((l[0] + 1) / 2 * W), int((l[1] + 1) / 2 * H)
        n, P = patch_size * scale_factor**i, max_size  # any P >= max_size / 2 works
        padded = F.pad(images[b], (P, P, P, P))
        crop = padded[:, cy - n // 2 + P : cy - n // 2 + P + n, cx - n // 2 + P : cx - n // 2 + P + n]
        out[b, i] = F.avg_pool2d(crop[None], scale_factor**i)[0]

    Args:
        images: (B, C, H, W) floating images.
        locations: (B, 2) centres ``(x, y)`` in ``[-1, 1]`` (see the module docstring); values outside are
            clamped to the border. Gradients do not flow to ``locations`` (the crop is discrete).
        patch_size: g, the side of every returned patch.
        num_scales: k, the number of patches.
        scale_factor: s, an integer: patch ``i`` covers ``g * s^i`` pixels, averaged over ``s^i`` blocks.

    Returns:
        (B, k, C, g, g) patches in the images' dtype, finest scale first.
    """
    _check_sizes(patch_size, num_scales, scale_factor)
    if not isinstance(images, Tensor) or images.dim() != 4:
        got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"images must be a (B, C, H, W) tensor, got {got}")
    if not images.is_floating_point():
        raise TypeError(f"images must be a floating tensor, got {images.dtype}")
    B, C, H, W = images.shape
    if not isinstance(locations, Tensor) or locations.shape != (B, 2):
        got = tuple(locations.shape) if isinstance(locations, Tensor) else type(locations).__name__
        raise ValueError(f"locations must have shape ({B}, 2) for {B} images, got {got}")
    if not locations.is_floating_point():
        raise TypeError(f"locations must be a floating tensor, got {locations.dtype}")
    if not bool(torch.isfinite(locations).all()):
        raise ValueError("locations contain NaN or inf")
    dev, S = images.device, patch_size * scale_factor ** (num_scales - 1)  # S: side of the largest square
    l = locations.detach().to(device=dev, dtype=torch.float64).clamp(-1.0, 1.0)  # (B, 2)
    cx = torch.floor((l[:, 0] + 1) / 2 * W).long()  # (B,) pixel corner, 0 ... W
    cy = torch.floor((l[:, 1] + 1) / 2 * H).long()  # (B,)
    span = torch.arange(S, device=dev)
    rows = cy[:, None] - S // 2 + span  # (B, S) image rows of the largest square
    cols = cx[:, None] - S // 2 + span  # (B, S)
    # separable gather: the S rows, then the S columns of each; out-of-image rows/columns are zeroed after
    r_in = ((rows >= 0) & (rows < H)).to(images.dtype)  # (B, S)
    c_in = ((cols >= 0) & (cols < W)).to(images.dtype)  # (B, S)
    strip = images.gather(2, rows.clamp(0, H - 1).view(B, 1, S, 1).expand(B, C, S, W))  # (B, C, S, W)
    square = strip.gather(3, cols.clamp(0, W - 1).view(B, 1, 1, S).expand(B, C, S, S))  # (B, C, S, S)
    square = square * (r_in[:, :, None] * c_in[:, None, :])[:, None]  # zeros outside the image
    # Block averaging of every scale as two GEMMs with a (k, g, S) pooling matrix: row u of scale i holds
    # 1 / s^i over the s^i pixels of its block (so the finest scale copies pixels exactly).
    factors = scale_factor ** torch.arange(num_scales, device=dev)  # (k,) block side of each scale
    rel = (
        span[None, :] - (S // 2 - (patch_size * factors) // 2)[:, None]
    )  # (k, S) position in scale i's patch
    block = torch.div(rel, factors[:, None], rounding_mode="floor")  # (k, S) block of each pixel
    valid = (rel >= 0) & (rel < patch_size * factors[:, None])  # (k, S)
    member = (torch.arange(patch_size, device=dev)[None, :, None] == block[:, None, :]) & valid[:, None, :]
    pool = member.to(images.dtype) / factors.to(images.dtype)[:, None, None]  # (k, g, S)
    k, g = num_scales, patch_size
    # columns first, one GEMM for all scales: (B C S, S) @ (S, k g)
    r = torch.matmul(square.reshape(B * C * S, S), pool.reshape(k * g, S).t())  # (B C S, k g)
    r = r.view(B * C, S, k, g).permute(2, 1, 0, 3).reshape(k, S, B * C * g)  # (k, S, B C g)
    out = torch.bmm(pool, r)  # (k, g, B C g): rows of scale i pooled by its own matrix
    return out.view(k, g, B, C, g).permute(2, 0, 3, 1, 4)  # (B, k, C, g, g)
