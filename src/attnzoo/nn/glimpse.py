"""The glimpse sensor of Recurrent Models of Visual Attention (Mnih, Heess, Graves, Kavukcuoglu; arXiv
1406.6247): a retina of ``k`` patches of side ``g * s^i`` around a location, each averaged down to ``g x g``.

The maths and the location convention are in :mod:`attnzoo.functional.glimpse`.
"""

from __future__ import annotations

from torch import Tensor, nn

from attnzoo.functional.glimpse import GlimpseCache, _check_sizes, glimpse, glimpse_cache

__all__ = ["GlimpseSensor"]


class GlimpseSensor(nn.Module):
    """Retina-like glimpse sensor ``rho(x, l)``: ``num_scales`` patches, finest first, all ``g x g``.

    The paper's settings: MNIST 28x28 one 8x8 patch; translated and cluttered 60x60 three 12x12 scales;
    cluttered 100x100 four 12x12 scales; the scale factor is 2 throughout. Zero padding outside the image;
    locations are clamped to ``[-1, 1]``; no parameters.

    Equivalent to (reference)::

        out = torch.stack([torch.stack([
            F.avg_pool2d(crop(images[b], l[b], g * s**i)[None], s**i)[0] for i in range(k)
        ]) for b in range(B)])  # crop: the zero-padded n x n square around l[b], see functional.glimpse

    Args:
        patch_size: g, the side of each returned patch.
        num_scales: k, patches per glimpse.
        scale_factor: s (integer), each patch is s times the side of the previous one.

    Shape:
        images: (B, C, H, W); locations: (B, 2) ``(x, y)`` in [-1, 1] -> (B, k, C, g, g).

    A model that takes T glimpses of the same images prepares them once: ``cache = sensor.prepare(images)``,
    then ``sensor(images, l_t, cache=cache)`` for each t. With more than one scale (and images that need
    no gradient) the cache is by default their float64 summed-area table: each glimpse then costs O(g^2)
    per scale instead of O((g s^i)^2) and equals the exact one up to one rounding of the images' dtype (it
    is the float64 mean rounded once; ``F.avg_pool2d`` rounds its float32 sum). With one scale nothing is
    pooled and the padded pixels are both exact and faster to read, so that is the default there;
    ``prepare(images, exact=True)`` forces the bit-identical padded pixels. See ``functional.glimpse``.
    """

    def __init__(self, patch_size: int = 8, num_scales: int = 1, scale_factor: int = 2) -> None:
        super().__init__()
        _check_sizes(patch_size, num_scales, scale_factor)
        self.patch_size, self.num_scales, self.scale_factor = patch_size, num_scales, scale_factor

    @property
    def max_size(self) -> int:
        """Side in pixels of the largest (coarsest) patch."""
        return self.patch_size * self.scale_factor ** (self.num_scales - 1)

    def prepare(self, images: Tensor, *, exact: bool | None = None) -> GlimpseCache:
        """``images`` prepared once for several calls with ``cache=`` (see ``functional.glimpse_cache``).

        ``exact=None`` (default): the summed-area table with more than one scale, the padded pixels with one.
        """
        if exact is None:
            exact = self.num_scales == 1
        return glimpse_cache(images, self.max_size, exact=exact)

    def forward(self, images: Tensor, locations: Tensor, cache: GlimpseCache | None = None) -> Tensor:
        """The glimpses of ``images`` at ``locations``: (B, k, C, g, g); ``cache`` from :meth:`prepare`."""
        return glimpse(images, locations, self.patch_size, self.num_scales, self.scale_factor, cache=cache)

    def extra_repr(self) -> str:
        return f"patch_size={self.patch_size}, num_scales={self.num_scales}, scale_factor={self.scale_factor}"
