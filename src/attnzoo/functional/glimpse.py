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

Each patch is reduced to ``g x g`` by *average pooling* over ``s^i x s^i`` blocks (``F.avg_pool2d`` of the
crop; the paper's "progressively lower resolution"). Average pooling, not ``F.grid_sample`` or bilinear
``F.interpolate``: those sample a few pixels per output and alias at coarse scales, while the mean keeps
every pixel's mass, and it makes the scale-1 patch the exact pixels. No Python loop over the batch: the
images are copied once into a flat zero-padded buffer (:func:`glimpse_cache`) whose rows and planes are
followed by ``ceil(S / 2)`` zeros, S the largest patch, so a square that runs off the left or top of one
image reads the zeros that end the row or plane before it; every S x S square is then a window of one
strided view of that buffer, and one ``index_select`` copies the B chosen squares. Each scale is
``F.avg_pool2d`` of the square's centred crop, the very op the per-sample loop runs on the very same pixels,
so the result is bit-identical to it (benchmarks/bench_glimpse.py). A model that takes T glimpses of the
same images builds the buffer once (``cache=``) instead of T times.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["GlimpseCache", "glimpse", "glimpse_boxes", "glimpse_cache"]


def _check_sizes(patch_size: int, num_scales: int, scale_factor: int) -> None:
    for name, v in (("patch_size", patch_size), ("num_scales", num_scales), ("scale_factor", scale_factor)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
        if v < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")


class GlimpseCache(NamedTuple):
    """The zero-padded images that :func:`glimpse` reads squares of up to ``size`` pixels from."""

    buffer: Tensor  # (lead + B C Hp Wp,) flat: `lead` zeros, then each (Hp, Wp) plane, image top-left
    lead: int  # zeros before the first plane: the top-left overflow of its squares
    shape: tuple[int, int, int, int]  # (B, C, H, W) of the images it was built from
    size: int  # S: the side of the largest square it serves


def glimpse_cache(images: Tensor, max_size: int) -> GlimpseCache:
    """Pad ``images`` once for any number of :func:`glimpse` calls with squares of side <= ``max_size``.

    Args:
        images: (B, C, H, W) floating images.
        max_size: S, the side of the largest patch to be read (``GlimpseSensor.max_size``).

    Returns:
        A :class:`GlimpseCache`; pass it as ``glimpse(images, locations, ..., cache=...)`` with the same
        images (their shape is checked, their values are not). Gradients reach ``images`` through the cache
        when it is built with autograd recording them (as a model's forward does), not otherwise.
    """
    _check_images(images)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be an int >= 1, got {max_size!r}")
    B, C, H, W = images.shape
    P = max_size - max_size // 2  # >= the overflow on every side, since the corner runs over 0 ... H
    Hp, Wp = H + P, W + P
    lead = (max_size // 2) * (Wp + 1)
    buffer = images.new_empty(lead + B * C * Hp * Wp)
    planes = buffer[lead:].view(B * C, Hp, Wp)
    buffer[:lead] = 0
    planes[:, :H, :W] = images.reshape(B * C, H, W)
    planes[:, :H, W:] = 0
    planes[:, H:] = 0
    return GlimpseCache(buffer, lead, (B, C, H, W), max_size)


def glimpse(
    images: Tensor,
    locations: Tensor,
    patch_size: int,
    num_scales: int = 1,
    scale_factor: int = 2,
    *,
    cache: GlimpseCache | None = None,
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
        cache: :func:`glimpse_cache` of these very images, built once for several calls; None builds one.

    Returns:
        (B, k, C, g, g) patches in the images' dtype, finest scale first.
    """
    _check_sizes(patch_size, num_scales, scale_factor)
    _check_images(images)
    B, _, H, W = images.shape
    if not isinstance(locations, Tensor) or locations.shape != (B, 2):
        got = tuple(locations.shape) if isinstance(locations, Tensor) else type(locations).__name__
        raise ValueError(f"locations must have shape ({B}, 2) for {B} images, got {got}")
    if not locations.is_floating_point():
        raise TypeError(f"locations must be a floating tensor, got {locations.dtype}")
    if not bool(torch.isfinite(locations).all()):
        raise ValueError("locations contain NaN or inf")
    S = patch_size * scale_factor ** (num_scales - 1)  # side of the largest square
    if cache is not None and not isinstance(cache, GlimpseCache):
        raise TypeError(f"cache must be a GlimpseCache (glimpse_cache) or None, got {type(cache).__name__}")
    if cache is not None and (cache.shape != tuple(images.shape) or cache.size < S):
        raise ValueError(
            f"cache must be built from these images' shape {tuple(images.shape)} for squares of side >= {S}, "
            f"got one for shape {cache.shape} and side {cache.size}"
        )
    l = locations.detach().to(device=images.device, dtype=torch.float64).clamp(-1.0, 1.0)  # (B, 2)
    cx = torch.floor((l[:, 0] + 1) / 2 * W).long()  # (B,) pixel corner, 0 ... W
    cy = torch.floor((l[:, 1] + 1) / 2 * H).long()  # (B,)
    # a buffer built here is dropped before the pools allocate (its pages freed first: faster on CPU)
    square = _squares(glimpse_cache(images, S) if cache is None else cache, cx, cy, S)  # (B, C, S, S)
    del cache  # (a caller's cache lives on in the caller)
    patches = []
    for i in range(num_scales):  # k <= 4 in practice: a loop over scales, never over the batch
        n, o = patch_size * scale_factor**i, S // 2 - (patch_size * scale_factor**i) // 2
        crop = square[:, :, o : o + n, o : o + n]  # (B, C, n, n) centred on the same corner
        patches.append(F.avg_pool2d(crop, scale_factor**i) if i else crop)
    return torch.stack(patches, 1)  # (B, k, C, g, g)


def glimpse_boxes(
    locations: Tensor,
    image_size: int | tuple[int, int],
    patch_size: int,
    num_scales: int = 1,
    scale_factor: int = 2,
) -> Tensor:
    """The pixel boxes :func:`glimpse` reads at ``locations``: ``(x0, y0, x1, y1)``, finest scale first.

    ``x1``/``y1`` are exclusive (pixel edges), so scale ``i`` spans ``x1 - x0 = patch_size * scale_factor^i``;
    boxes may reach outside the image, where the sensor reads zeros. Locations are clamped as the sensor does.

    Args:
        locations: (..., 2) centres ``(x, y)`` in [-1, 1].
        image_size: H = W, or ``(H, W)``, of the images.
        patch_size, num_scales, scale_factor: as for :func:`glimpse`.

    Returns:
        (..., k, 4) float boxes in image pixels (x right, y down), e.g. for ``attnzoo.viz.glimpse_view``.
    """
    _check_sizes(patch_size, num_scales, scale_factor)
    H, W = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if not isinstance(locations, Tensor) or locations.shape[-1:] != (2,):
        got = tuple(locations.shape) if isinstance(locations, Tensor) else type(locations).__name__
        raise ValueError(f"locations must be a (..., 2) tensor, got {got}")
    l = locations.detach().to(torch.float64).clamp(-1.0, 1.0)
    corner = torch.stack([torch.floor((l[..., 0] + 1) / 2 * W), torch.floor((l[..., 1] + 1) / 2 * H)], -1)
    sides = patch_size * scale_factor ** torch.arange(num_scales, dtype=torch.float64)  # (k,)
    start = corner[..., None, :] - torch.div(sides, 2, rounding_mode="floor")[:, None]  # (..., k, 2)
    return torch.cat([start, start + sides[:, None]], -1).float()  # (..., k, 4)


def _check_images(images: Tensor) -> None:
    if not isinstance(images, Tensor) or images.dim() != 4:
        got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"images must be a (B, C, H, W) tensor, got {got}")
    if not images.is_floating_point():
        raise TypeError(f"images must be a floating tensor, got {images.dtype}")


def _squares(cache: GlimpseCache, cx: Tensor, cy: Tensor, S: int) -> Tensor:
    """The S x S squares with corner (cx, cy) at their centre (rows cy - S//2 ...), zero outside the image."""
    buffer, lead, (B, C, H, W) = cache.buffer, cache.lead, cache.shape
    pad = cache.size - cache.size // 2  # as glimpse_cache laid the planes out
    Hp, Wp = H + pad, W + pad
    planes = torch.arange(B * C, device=buffer.device).view(B, C) * (Hp * Wp)  # (B, C) start of each plane
    start = (lead + planes + ((cy - S // 2) * Wp + (cx - S // 2))[:, None]).view(-1)  # (B C,) top-left
    if not (torch.is_grad_enabled() and buffer.requires_grad):
        # every square as a window of one strided view (no copy); index_select copies only the B C chosen
        windows = buffer.as_strided((buffer.numel() - (S - 1) * Wp - S + 1, S, S), (1, Wp, 1))
        return windows.index_select(0, start).view(B, C, S, S)
    # Differentiable path: a flat take, whose backward scatters into the buffer (index_select's would build
    # a zero tensor of the whole overlapping window view).
    span = torch.arange(S, device=buffer.device)
    index = start.view(B, C, 1, 1) + (span * Wp)[:, None] + span  # (B, C, S, S) flat offsets
    return buffer.take(index)
