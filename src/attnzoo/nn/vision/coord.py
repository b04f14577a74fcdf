"""Coordinate Attention for Efficient Mobile Network Design (Hou, Zhou, Feng; arXiv 2103.02907)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.vision._common import VisionAttentionOutput, _check_input, _reduced_channels
from attnzoo.nn.vision.registry import register_attention

__all__ = ["CoordinateAttention"]


@register_attention("coord")
class CoordinateAttention(nn.Module):
    """Coordinate Attention: direction-aware pooling along H and along W, shared 1x1 conv, two gates.

    ``z_h = mean_w(x)`` (B, C, H, 1) and ``z_w = mean_h(x)`` (B, C, W, 1) are concatenated along the
    spatial axis, ``f = h_swish(BN(conv1x1([z_h; z_w])))`` with C -> d channels, split back into
    ``f_h, f_w``; ``g_h = sigmoid(conv_h(f_h))`` (B, C, H, 1), ``g_w = sigmoid(conv_w(f_w))`` (B, C, 1, W);
    ``out[b, c, i, j] = x[b, c, i, j] * g_h[b, c, i] * g_w[b, c, j]``, as in the paper.
    ``d = max(C // r, min_channels)`` with the authors' r = 32 and floor 8. The three 1x1 convolutions
    have biases, as in the authors' code.
    Parameters: ``C * d + d + 2 * d + 2 * (d * C + C)``.

    Args:
        channels: C of the input.
        reduction: r of the shared 1x1 convolution.
        min_channels: smallest width d of the shared 1x1 convolution.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"height": (B, C, H, 1), "width": (B, C, 1, W)}``,
        both in [0, 1].
    """

    def __init__(self, channels: int, reduction: int = 32, min_channels: int = 8) -> None:
        super().__init__()
        d = _reduced_channels(channels, reduction, min_channels)
        self.channels = channels
        self.conv1 = nn.Conv2d(channels, d, 1)
        self.bn = nn.BatchNorm2d(d)
        self.conv_h = nn.Conv2d(d, channels, 1)
        self.conv_w = nn.Conv2d(d, channels, 1)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Gate ``x`` by row and column; with ``return_attention`` also return both gates."""
        _check_input(x, self.channels, type(self).__name__)
        H, W = x.shape[2:]
        z_h = x.mean(3, keepdim=True)  # (B, C, H, 1)
        z_w = x.mean(2, keepdim=True).transpose(2, 3)  # (B, C, W, 1)
        f = F.hardswish(self.bn(self.conv1(torch.cat([z_h, z_w], 2))))  # (B, d, H + W, 1)
        f_h, f_w = f.split([H, W], 2)  # (B, d, H, 1), (B, d, W, 1)
        g_h = torch.sigmoid(self.conv_h(f_h))  # (B, C, H, 1)
        g_w = torch.sigmoid(self.conv_w(f_w)).transpose(2, 3)  # (B, C, 1, W)
        out = x * g_h * g_w
        return VisionAttentionOutput(out, {"height": g_h, "width": g_w}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, d={self.conv1.out_channels}"
