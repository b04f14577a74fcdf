"""Nadaraya-Watson attention pooling as a module (Dive into Deep Learning ch. 11): non-parametric with a
fixed bandwidth, or parametric with a learned ``w`` in ``softmax(-((x - x_i) w)^2 / 2)``."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attnzoo.functional.pooling import KERNELS, nadaraya_watson

__all__ = ["NadarayaWatson"]


class NadarayaWatson(nn.Module):
    """``f(x) = sum_i softmax_i(-((x - x_i) w)^2 / 2) y_i`` for the Gaussian kernel (bandwidth ``1 / w``).

    Args:
        kernel: ``gaussian``, ``boxcar``, ``epanechnikov`` or ``constant``.
        learnable: learn ``w`` (the parametric model); otherwise it is a fixed buffer (non-parametric).
        w: initial inverse bandwidth (a finite number > 0).
        device, dtype: of ``w`` (default: torch's). ``w`` is set from the Python float in its own dtype, and
            a cast (``.to(torch.float64)``, ``.double()``) of a still untrained ``w`` sets it again from that
            float, so a float64 model gets ``w`` exactly, not a float32 rounding of it.

    Shape: queries ``(L,)``/``(L, d)``, keys ``(S,)``/``(S, d)``, values ``(S,)``/``(S, Ev)`` ->
    ``(prediction (L,)/(L, Ev), weights (L, S))``.
    """

    def __init__(
        self, kernel: str = "gaussian", learnable: bool = True, w: float = 1.0, *, device=None, dtype=None
    ):
        super().__init__()
        KERNELS.lookup(kernel)  # fail early on an unknown name
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or not w > 0:
            raise ValueError(f"w must be a finite number > 0, got {w!r}")
        self.kernel, self._w_init = kernel, float(w)
        value = torch.tensor(float(w), device=device, dtype=dtype)
        if learnable:
            self.w = nn.Parameter(value)
        else:
            self.register_buffer("w", value)

    def _apply(self, fn, *args, **kwargs):
        # a cast of an untrained w re-sets it from the exact float (float32 -> float64 would keep the
        # float32 rounding of, e.g., 0.1); a trained w is cast like any parameter
        untouched = (
            not self.w.is_meta and self.w.item() == torch.tensor(self._w_init, dtype=self.w.dtype).item()
        )
        super()._apply(fn, *args, **kwargs)
        if untouched:
            with torch.no_grad():
                self.w.fill_(self._w_init)
        return self

    def forward(
        self, queries: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        # |w| keeps the bandwidth positive if SGD pushes w through zero; the kernel depends on w^2 anyway.
        bandwidth = 1.0 / self.w.abs().clamp_min(1e-12)
        return nadaraya_watson(queries, keys, values, kernel=self.kernel, bandwidth=bandwidth, mask=mask)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel!r}, w={self.w.item():.4g}, learnable={isinstance(self.w, nn.Parameter)}"
