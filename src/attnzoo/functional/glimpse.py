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

Summed-area path (the default :func:`glimpse_cache`, for images that do not need a gradient): the cache is
instead the integral image ``I[y, x] = sum(images[..., :y, :x])`` (Crow 1984; Viola and Jones 2001) in
float64, built once per batch, and every ``s^i x s^i`` cell of every scale is the four-corner difference of
``I`` at its pixel edges divided by its area ``s^(2i)``: one gather of the ``(g + 1)^2`` edge points of
all B, k, C grids at once, so a glimpse costs O(B k C g^2) whatever the side ``g s^(k-1)`` of its largest
square (the exact path reads every pixel of it). Edges are clamped to ``[0, H]`` x ``[0, W]``, which is
the integral of the zero-padded image: off-image pixels add zero and still count in the area, as in the
exact path. It is the same mean, not the same rounding: the float64 sums are exact whenever float64 holds
every partial sum (the largest over the finest quantum of the pixels under 2^53: ``torch.rand`` pixels,
multiples of 2^-24, for any H W < 2^29; pixels k / 255 for H W < 2^22), and each mean is then rounded once
into the images' dtype, i.e. correctly rounded, where ``F.avg_pool2d`` accumulates in float32 (they
differ by up to 2.4e-7 on [0, 1) pixels). Otherwise the table's error is about ``4 H W eps_64 max|x| /
s^(2i)`` (``eps_64 = 1.1e-16``), far below float32's. tests/nn/test_glimpse.py asserts both: bit for bit
the float64 pooling rounded, and ``assert_close(rtol=1e-6, atol=1e-7)`` against the exact path.
``glimpse_cache(..., exact=True)`` keeps the bit-exact padded buffer.
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
    """What :func:`glimpse` reads squares of up to ``size`` pixels from: padded images or their integral."""

    buffer: Tensor | None  # exact path: (lead + B C Hp Wp,) flat, `lead` zeros then each (Hp, Wp) plane
    lead: int  # zeros before the first plane: the top-left overflow of its squares (0 with `sums`)
    shape: tuple[int, int, int, int]  # (B, C, H, W) of the images it was built from
    size: int  # S: the side of the largest square it serves
    sums: Tensor | None = None  # summed-area path: (B C (H + 1) (W + 1),) float64 integral images, flat


def glimpse_cache(images: Tensor, max_size: int, *, exact: bool = False) -> GlimpseCache:
    """Prepare ``images`` once for any number of :func:`glimpse` calls with squares of side <= ``max_size``.

    Args:
        images: (B, C, H, W) floating images.
        max_size: S, the side of the largest patch to be read (``GlimpseSensor.max_size``).
        exact: keep the zero-padded pixels, so glimpses are bit-identical to the per-sample crop-and-pool
            loop and cost O(S^2) each. False (default): their float64 summed-area table, glimpses in
            O(k g^2) each, the float64 means rounded once into the images' dtype (module docstring).
            Images that need a gradient (``requires_grad`` with autograd recording) always get the exact
            cache, since the gradient is the exact path's.

    Returns:
        A :class:`GlimpseCache`; pass it as ``glimpse(images, locations, ..., cache=...)`` with the same
        images (their shape is checked, their values are not). Gradients reach ``images`` through the cache
        when it is built with autograd recording them (as a model's forward does), not otherwise.
    """
    _check_images(images)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be an int >= 1, got {max_size!r}")
    if not isinstance(exact, bool):
        raise TypeError(f"exact must be a bool, got {type(exact).__name__} {exact!r}")
    B, C, H, W = images.shape
    if not exact and not (torch.is_grad_enabled() and images.requires_grad):
        return GlimpseCache(None, 0, (B, C, H, W), max_size, _summed_area(images.detach()))
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
        cache: :func:`glimpse_cache` of these very images, built once for several calls; None builds an
            exact one for this call. A summed-area cache (the default of :func:`glimpse_cache`) gives the
            same patches up to one rounding of the images' dtype, in O(B k C g^2) (module docstring).

    Returns:
        (B, k, C, g, g) patches in the images' dtype, finest scale first. Bit-identical to the reference
        above without a cache or with an ``exact=True`` one.
    """
    _check_sizes(patch_size, num_scales, scale_factor)
    _check_images(images)
    B, _, H, W = images.shape
    if not isinstance(locations, Tensor) or locations.shape != (B, 2):
        got = tuple(locations.shape) if isinstance(locations, Tensor) else type(locations).__name__
        raise ValueError(f"locations must have shape ({B}, 2) for {B} images, got {got}")
    if not locations.is_floating_point():
        raise TypeError(f"locations must be a floating tensor, got {locations.dtype}")
    if not torch.compiler.is_compiling() and not bool(torch.isfinite(locations).all()):  # reads values
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
    if cache is not None and cache.sums is not None:
        return _summed_area_glimpses(cache, cx, cy, patch_size, num_scales, scale_factor, images.dtype)
    # a buffer built here is dropped before the pools allocate (its pages freed first: faster on CPU)
    square = _squares(
        glimpse_cache(images, S, exact=True) if cache is None else cache, cx, cy, S
    )  # (B, C, S, S)
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


def _summed_area(images: Tensor) -> Tensor:
    """(B C (H + 1) (W + 1),) float64 ``I[y, x] = sum(images[..., :y, :x])``: a zero first row and column."""
    B, C, H, W = images.shape
    sums = images.new_empty((B * C, H + 1, W + 1), dtype=torch.float64)
    sums[:, 0] = 0
    sums[:, 1:, 0] = 0
    sums[:, 1:, 1:] = images.reshape(B * C, H, W)
    if sums.device.type == "cpu":
        # torch's cumsum walks a non-last dim one column at a time; H row adds of B C (W + 1) are faster
        for y in range(2, H + 1):
            sums[:, y].add_(sums[:, y - 1])  # (not +=, which would copy the row back onto itself)
    else:
        sums.cumsum_(-2)
    return sums.cumsum_(-1).view(-1)


def _summed_area_glimpses(
    cache: GlimpseCache, cx: Tensor, cy: Tensor, g: int, k: int, s: int, dtype: torch.dtype
) -> Tensor:
    """All k scales from the integral images: four-corner differences at each cell's clamped pixel edges."""
    sums, (B, C, H, W) = cache.sums, cache.shape
    device, blocks = sums.device, [s**i for i in range(k)]  # the cell side of each scale
    itype = torch.int32 if sums.numel() < 2**31 else torch.int64  # (a narrower index gathers faster)
    edges = [[r * b - g * b // 2 for r in range(g + 1)] for b in blocks]  # pixel edges around the corner
    edges = torch.tensor(edges, dtype=itype, device=device)  # (k, g + 1)
    rows = (cy.to(itype)[:, None, None] + edges).clamp_(0, H).mul_(W + 1)  # (B, k, g + 1) clamped: the
    cols = (cx.to(itype)[:, None, None] + edges).clamp_(0, W)  # (B, k, g + 1)  zero padding adds 0
    plane = (H + 1) * (W + 1)
    planes = torch.arange(0, B * C * plane, plane, dtype=itype, device=device).view(B, 1, C, 1, 1)
    index = (planes + rows[:, :, None, :, None]) + cols[:, :, None, None, :]  # (B, k, C, g + 1, g + 1)
    corners = sums.index_select(0, index.view(-1)).view(index.shape)  # I at every cell edge: one gather
    strips = corners[..., 1:, :] - corners[..., :-1, :]  # (B, k, C, g, g + 1) sums of each cell's rows
    cells = strips[..., 1:] - strips[..., :-1]  # (B, k, C, g, g)
    area = torch.tensor([b * b for b in blocks], dtype=torch.float64, device=device).view(1, k, 1, 1, 1)
    return cells.div_(area).to(dtype)  # the float64 mean, rounded once into the images' dtype
