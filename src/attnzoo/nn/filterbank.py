"""DRAW's filterbank attention (Gregor, Danihelka, Graves, Rezende, Wierstra 2015, "DRAW: A Recurrent Neural
Network For Image Generation", arXiv 1502.04623, section 3.2).

An ``N x N`` grid of 2-D Gaussian filters, separable into ``F_x (N, W)`` and ``F_y (N, H)``, whose
centre ``(g_x, g_y)``, stride ``delta``, isotropic variance ``sigma^2`` and intensity ``gamma`` are
differentiable, so a network can learn where to look (read) and where to draw (write) by plain
backpropagation. Usable on its own as a differentiable crop/resampler of any ``(B, C, H, W)`` image, square
or not.

Shape legend: B batch, C channels, H image height (the paper's B), W image width (the paper's A), N grid size.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

__all__ = [
    "FilterbankAttention",
    "FilterbankParams",
    "filterbank",
    "filterbank_box",
    "filterbank_params",
    "read",
    "write",
]


class FilterbankParams(NamedTuple):
    """Attention parameters in pixel units, each of shape (B,).

    ``g_x, g_y``: grid centre in 1-based pixel coordinates (x along the width, y along the height);
    ``sigma2``: Gaussian variance in pixels^2; ``delta``: distance between filter centres in pixels;
    ``gamma``: read intensity (write divides by it).
    """

    g_x: Tensor
    g_y: Tensor
    sigma2: Tensor
    delta: Tensor
    gamma: Tensor


def _check_hwn(H: int, W: int, N: int) -> None:
    for name, v in (("H", H), ("W", W), ("N", N)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")


def filterbank_params(raw: Tensor, H: int, W: int, N: int) -> FilterbankParams:
    """Scale a linear layer's ``(g~_x, g~_y, log sigma^2, log delta~, log gamma)`` to the image (eq. 21-24).

    ``g_x = (W + 1)/2 (g~_x + 1)``, ``g_y = (H + 1)/2 (g~_y + 1)``, ``delta = (max(W, H) - 1)/(N - 1) delta~``
    and the rest through ``exp``. So ``g~ = 0`` is the image centre and ``delta~ = 1`` spreads the grid over
    the whole of the longer side. For ``N = 1`` the stride does not matter (one filter); the ``N - 1`` is
    taken as 1 there instead of dividing by zero.

    Shape:
        raw: (B, 5) -> five tensors (B,).
    """
    _check_hwn(H, W, N)
    if raw.dim() != 2 or raw.shape[-1] != 5:
        raise ValueError(f"raw must have shape (B, 5), got {tuple(raw.shape)}")
    gx_, gy_, log_sigma2, log_delta_, log_gamma = raw.unbind(-1)
    g_x = (W + 1) / 2 * (gx_ + 1)
    g_y = (H + 1) / 2 * (gy_ + 1)
    delta = (max(H, W) - 1) / max(N - 1, 1) * torch.exp(log_delta_)
    return FilterbankParams(g_x, g_y, torch.exp(log_sigma2), delta, torch.exp(log_gamma))


def _axis_filters(g: Tensor, delta: Tensor, sigma2: Tensor, size: int, N: int, eps: float) -> Tensor:
    i = torch.arange(1, N + 1, dtype=g.dtype, device=g.device)  # (N,)
    mu = g[:, None] + (i - N / 2 - 0.5) * delta[:, None]  # (B, N) eq. 19-20
    a = torch.arange(1, size + 1, dtype=g.dtype, device=g.device)  # (size,) 1-based, as g's scale assumes
    f = torch.exp(-((a - mu[:, :, None]) ** 2) / (2 * sigma2[:, None, None]))  # (B, N, size)
    # eps: a filter centred far outside the image has all its mass underflow; it reads zero, not NaN
    return f / (f.sum(-1, keepdim=True) + eps)


def filterbank(params: FilterbankParams, H: int, W: int, N: int, eps: float = 1e-8) -> tuple[Tensor, Tensor]:
    """The horizontal and vertical filterbank matrices (paper eq. 25-26), rows normalised over the image.

    ``F_x[b, i, a] = exp(-(a - mu_x^i)^2 / (2 sigma^2)) / Z_x`` with ``mu_x^i = g_x + (i - N/2 - 0.5) delta``,
    ``i = 1..N``, ``a = 1..W`` and ``Z_x`` making each row sum to 1 (``F_y`` likewise over ``1..H``). As in
    the paper, ``Z`` is a sum plus ``eps`` (not a softmax): a filter whose centre lies so far outside the
    image that its whole mass is below ``eps`` reads (and writes) about zero rather than the edge pixel.

    Equivalent to (reference, one sample)::

        mu = g_x + (torch.arange(1, N + 1) - N / 2 - 0.5) * delta
        F_x = torch.exp(-(torch.arange(1, W + 1)[None] - mu[:, None]) ** 2 / (2 * sigma2))
        F_x = F_x / (F_x.sum(1, keepdim=True) + eps)

    Args:
        params: :class:`FilterbankParams`, each (B,).
        H, W: image height and width.
        N: grid size.
        eps: added to the normaliser ``Z``.

    Returns:
        ``(F_x, F_y)``: (B, N, W) and (B, N, H).
    """
    _check_hwn(H, W, N)
    if not isinstance(params, FilterbankParams):
        raise TypeError(f"params must be a FilterbankParams, got {type(params).__name__}")
    shapes = {name: tuple(t.shape) for name, t in params._asdict().items()}
    if len(set(shapes.values())) != 1 or len(params.g_x.shape) != 1:
        raise ValueError(f"every attention parameter must have shape (B,), got {shapes}")
    F_x = _axis_filters(params.g_x, params.delta, params.sigma2, W, N, eps)
    F_y = _axis_filters(params.g_y, params.delta, params.sigma2, H, N, eps)
    return F_x, F_y


def filterbank_box(params: FilterbankParams, N: int) -> Tensor:
    """The grid's extent as ``(x0, y0, x1, y1)`` in 0-based pixel coordinates (pixel centres at integers).

    Each of the N filters a side covers a ``delta`` wide cell around its centre, so the box is
    ``g - 1 -+ N delta / 2`` (``-1``: the centres are 1-based); one-pixel filters over columns ``c0..c1`` give
    ``x0 = c0 - 0.5``, ``x1 = c1 + 0.5``, the pixels' outline. For drawing where DRAW reads or writes.

    Shape:
        params: each (...) -> (..., 4).
    """
    half = N * params.delta / 2
    gx, gy = params.g_x - 1, params.g_y - 1
    return torch.stack([gx - half, gy - half, gx + half, gy + half], -1)


def _check_filters(F_x: Tensor, F_y: Tensor, gamma: Tensor) -> None:
    if F_x.dim() != 3 or F_y.dim() != 3 or F_x.shape[:2] != F_y.shape[:2]:
        raise ValueError(
            f"F_x and F_y must be (B, N, W) and (B, N, H) with the same B, N; "
            f"got {tuple(F_x.shape)} and {tuple(F_y.shape)}"
        )
    if tuple(gamma.shape) != (F_x.shape[0],):
        raise ValueError(f"gamma must have shape ({F_x.shape[0]},), got {tuple(gamma.shape)}")


def read(x: Tensor, F_x: Tensor, F_y: Tensor, gamma: Tensor) -> Tensor:
    """Read an N x N glimpse: ``gamma F_y x F_x^T`` (paper eq. 27), per channel.

    Equivalent to ``torch.stack([gamma[b] * F_y[b] @ x[b, c] @ F_x[b].T for b, c ...])``.

    Shape:
        x: (B, C, H, W), F_x: (B, N, W), F_y: (B, N, H), gamma: (B,) -> (B, C, N, N).
    """
    _check_filters(F_x, F_y, gamma)
    B = F_x.shape[0]
    if x.dim() != 4 or x.shape[0] != B or x.shape[2] != F_y.shape[2] or x.shape[3] != F_x.shape[2]:
        raise ValueError(
            f"x must be (B, C, H, W) = ({B}, C, {F_y.shape[2]}, {F_x.shape[2]}) to match the filters, "
            f"got {tuple(x.shape)}"
        )
    glimpse = F_y[:, None] @ x @ F_x[:, None].transpose(-1, -2)  # (B, C, N, N)
    return gamma[:, None, None, None] * glimpse


def write(w: Tensor, F_x: Tensor, F_y: Tensor, gamma: Tensor) -> Tensor:
    """Write an N x N patch onto the image plane: ``(1/gamma) F_y^T w F_x`` (paper eq. 29), per channel.

    The adjoint of :func:`read` up to the intensity: ``<read(x), w> = gamma^2 <x, write(w)>``.

    Shape:
        w: (B, C, N, N), F_x: (B, N, W), F_y: (B, N, H), gamma: (B,) -> (B, C, H, W).
    """
    _check_filters(F_x, F_y, gamma)
    B, N = F_x.shape[:2]
    if w.dim() != 4 or w.shape[0] != B or w.shape[2:] != (N, N):
        raise ValueError(f"w must be (B, C, N, N) = ({B}, C, {N}, {N}), got {tuple(w.shape)}")
    canvas = F_y[:, None].transpose(-1, -2) @ w @ F_x[:, None]  # (B, C, H, W)
    return canvas / gamma[:, None, None, None]


class FilterbankAttention(nn.Module):
    """A linear layer from a hidden state to DRAW's five attention parameters, and read/write through them.

    ``(g~_x, g~_y, log sigma^2, log delta~, log gamma) = W h + b`` (paper eq. 21), scaled by
    :func:`filterbank_params`. Read and write use the same layer type but, in DRAW, separate instances.

    Args:
        in_features: size of the hidden state ``h``.
        image_height, image_width: H, W of the images read or written.
        N: the grid is N x N.
        eps: added to the filter normaliser.

    Shape:
        h: (B, in_features); x: (B, C, H, W) -> glimpse (B, C, N, N); w: (B, C, N, N) -> (B, C, H, W).
    """

    def __init__(self, in_features: int, image_height: int, image_width: int, N: int, eps: float = 1e-8):
        super().__init__()
        _check_hwn(image_height, image_width, N)
        self.H, self.W, self.N, self.eps = image_height, image_width, N, eps
        self.linear = nn.Linear(in_features, 5)

    @torch.no_grad()
    def init_window(
        self, *, extent: float | None = None, sigma: float | None = None, gain: float = 1.0
    ) -> None:
        """Set the linear layer's bias so that a zero hidden state places a smooth, centred window.

        The paper gives no initialisation. With PyTorch's default, near-zero bias DRAW's 2 x 2 read starts on
        the four corner pixels (``delta~ = 1``, ``sigma = 1`` px), empty in MNIST, where it gets no gradient.
        Here, for ``h = 0``: the centre ``g~ = 0``; the stride such that the grid spans ``extent`` pixels
        (``N delta = extent``; None: ``delta~ = 1``, the paper's whole-image spread
        ``(max(H, W) - 1)/(N - 1)``); ``sigma`` in pixels (None: ``delta / 2``, so neighbouring filters
        overlap into a smooth tiling); and ``gamma = gain`` (read multiplies by it, write divides). The
        weights keep their initialisation.

        Args:
            extent: the grid's side at initialisation in pixels, or None.
            sigma: the filters' standard deviation in pixels, or None for ``delta / 2``.
            gain: the intensity ``gamma``.
        """
        for name, v in (("extent", extent), ("sigma", sigma), ("gain", gain)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        full = (max(self.H, self.W) - 1) / max(self.N - 1, 1)  # delta at delta~ = 1
        delta = full if extent is None else extent / self.N
        sigma = delta / 2 if sigma is None else sigma
        self.linear.bias.copy_(
            torch.tensor([0.0, 0.0, math.log(sigma**2), math.log(delta / full), math.log(gain)])
        )

    def forward(self, h: Tensor) -> FilterbankParams:
        """The attention parameters (pixel units) for hidden state ``h``."""
        if h.dim() != 2 or h.shape[-1] != self.linear.in_features:
            raise ValueError(f"h must have shape (B, {self.linear.in_features}), got {tuple(h.shape)}")
        return filterbank_params(self.linear(h), self.H, self.W, self.N)

    def filters(self, h: Tensor) -> tuple[Tensor, Tensor, FilterbankParams]:
        """``(F_x, F_y, params)`` for hidden state ``h``."""
        p = self(h)
        F_x, F_y = filterbank(p, self.H, self.W, self.N, self.eps)
        return F_x, F_y, p

    def read(self, x: Tensor, h: Tensor) -> tuple[Tensor, FilterbankParams]:
        """``(glimpse (B, C, N, N), params)``: the N x N glimpse of ``x`` where ``h`` points."""
        F_x, F_y, p = self.filters(h)
        return read(x, F_x, F_y, p.gamma), p

    def write(self, w: Tensor, h: Tensor) -> tuple[Tensor, FilterbankParams]:
        """``(canvas update (B, C, H, W), params)``: patch ``w`` placed where ``h`` points."""
        F_x, F_y, p = self.filters(h)
        return write(w, F_x, F_y, p.gamma), p

    def extra_repr(self) -> str:
        return f"in_features={self.linear.in_features}, image=({self.H}, {self.W}), N={self.N}"
