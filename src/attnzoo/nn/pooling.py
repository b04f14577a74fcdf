"""Nadaraya-Watson attention pooling as a module (Dive into Deep Learning ch. 11): non-parametric with a
fixed bandwidth, or parametric with a learned ``w`` in ``softmax(-((x - x_i) w)^2 / 2)``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnzoo.functional.pooling import KERNELS, nadaraya_watson

__all__ = ["NadarayaWatson"]


class NadarayaWatson(nn.Module):
    """``f(x) = sum_i softmax_i(-((x - x_i) w)^2 / 2) y_i`` for the Gaussian kernel (bandwidth ``1 / w``).

    Args:
        kernel: ``gaussian``, ``boxcar``, ``epanechnikov`` or ``constant``.
        learnable: learn ``w`` (the parametric model); otherwise it is a fixed buffer (non-parametric).
        w: initial inverse bandwidth.

    Shape: queries ``(L,)``/``(L, d)``, keys ``(S,)``/``(S, d)``, values ``(S,)``/``(S, Ev)`` ->
    ``(prediction (L,)/(L, Ev), weights (L, S))``.
    """

    def __init__(self, kernel: str = "gaussian", learnable: bool = True, w: float = 1.0):
        super().__init__()
        KERNELS.lookup(kernel)  # fail early on an unknown name
        if not w > 0:
            raise ValueError(f"w must be > 0, got {w!r}")
        self.kernel = kernel
        if learnable:
            self.w = nn.Parameter(torch.tensor(float(w)))
        else:
            self.register_buffer("w", torch.tensor(float(w)))

    def forward(
        self, queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        # |w| keeps the bandwidth positive if SGD pushes w through zero; the kernel depends on w^2 anyway.
        bandwidth = 1.0 / self.w.abs().clamp_min(1e-12)
        return nadaraya_watson(queries, keys, values, kernel=self.kernel, bandwidth=bandwidth, mask=mask)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel!r}, w={self.w.item():.4g}, learnable={isinstance(self.w, nn.Parameter)}"
