"""Concurrent Spatial and Channel 'Squeeze & Excitation' in FCNs (Roy, Navab, Wachinger; arXiv 1803.02579).

The combination rules (max-out, addition, multiplication) are compared in the authors' journal version,
"Recalibrating Fully Convolutional Networks with Spatial and Channel 'Squeeze & Excitation' Blocks"
(arXiv 1808.08127).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnzoo.nn.vision._common import VisionAttentionOutput, _check_input, _check_int
from attnzoo.nn.vision.registry import register_attention
from attnzoo.nn.vision.se import SqueezeExcite

__all__ = ["COMBINE_RULES", "ChannelSE", "ChannelSpatialSE", "SpatialSE"]


@register_attention("cse")
class ChannelSE(SqueezeExcite):
    """cSE, "spatial squeeze and channel excitation": the SE block, with Roy et al.'s reduction r = 2.

    Identical to :class:`SqueezeExcite` (see there); only the default reduction differs: the scSE paper
    writes ``W1: (C/2, C)``, and the authors' code uses ``reduction_ratio=2`` with biases.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"channel": (B, C, 1, 1)}`` in [0, 1].
    """

    def __init__(self, channels: int, reduction: int = 2, min_channels: int = 1, bias: bool = True) -> None:
        super().__init__(channels, reduction=reduction, min_channels=min_channels, bias=bias)


@register_attention("sse")
class SpatialSE(nn.Module):
    """sSE, "channel squeeze and spatial excitation": a 1x1 convolution C -> 1, sigmoid, per-pixel gate.

    ``q = sigmoid(W_sq * x + b)``, ``out = x * q``. The paper writes ``W_sq: (1, 1, C, 1)``; the authors'
    code has a bias, kept here. Parameters: ``C + 1``.

    Args:
        channels: C of the input.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"spatial": (B, 1, H, W)}`` in [0, 1].
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = _check_int("channels", channels)
        self.conv = nn.Conv2d(channels, 1, 1)

    def _gate(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.conv(x))  # (B, 1, H, W)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Recalibrate the pixels of ``x``; with ``return_attention`` also return the map."""
        _check_input(x, self.channels, type(self).__name__)
        q = self._gate(x)
        out = x * q
        return VisionAttentionOutput(out, {"spatial": q}) if return_attention else out


def _combine_max(a: Tensor, b: Tensor) -> Tensor:
    # the values of torch.maximum; at ties the gradient goes to ``a`` instead of being halved (both are
    # valid subgradients), which makes the backward one select instead of several masked passes
    return torch.where(a >= b, a, b)


def _combine_add(a: Tensor, b: Tensor) -> Tensor:
    return a + b


def _combine_mul(a: Tensor, b: Tensor) -> Tensor:
    return a * b


#: How scSE merges the cSE output ``x * s_c`` and the sSE output ``x * q``, element by element.
COMBINE_RULES = {"max": _combine_max, "add": _combine_add, "mul": _combine_mul}


@register_attention("scse")
class ChannelSpatialSE(nn.Module):
    """scSE: cSE and sSE side by side on the same input, their recalibrated maps merged element-wise.

    ``out = combine(x * s_c, x * q)`` with ``s_c`` the cSE channel gates and ``q`` the sSE spatial map.
    ``combine`` is one of :data:`COMBINE_RULES`:
      - ``"max"`` (default): max-out, the rule the authors recommend in their journal version
        (1808.08127), which found it best among max-out, addition, multiplication and concatenation,
        and the rule of their released code;
      - ``"add"``: the element-wise sum written in the conference paper (1803.02579);
      - ``"mul"``: the element-wise product of the two recalibrated maps.
    Concatenation is left out because it doubles the channel count (the module keeps the shape).
    Parameters: the cSE's ``2 * C * d + d + C`` plus the sSE's ``C + 1``.

    Args:
        channels: C of the input.
        reduction: r of the cSE bottleneck (paper: 2).
        min_channels: smallest cSE bottleneck width.
        combine: ``"max"``, ``"add"`` or ``"mul"``.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W);
        attention ``{"channel": (B, C, 1, 1), "spatial": (B, 1, H, W)}``, both in [0, 1].
    """

    def __init__(
        self, channels: int, reduction: int = 2, min_channels: int = 1, combine: str = "max"
    ) -> None:
        super().__init__()
        if combine not in COMBINE_RULES:
            raise ValueError(f"unknown combine {combine!r}; valid: {', '.join(COMBINE_RULES)}")
        self.channels = channels
        self.combine = combine
        self.cse = ChannelSE(channels, reduction=reduction, min_channels=min_channels)
        self.sse = SpatialSE(channels)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Merge channel and spatial recalibration; with ``return_attention`` also return both gates."""
        _check_input(x, self.channels, type(self).__name__)
        s = self.cse._gate(x)
        q = self.sse._gate(x)
        out = COMBINE_RULES[self.combine](x * s, x * q)
        return VisionAttentionOutput(out, {"channel": s, "spatial": q}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, combine={self.combine!r}"
