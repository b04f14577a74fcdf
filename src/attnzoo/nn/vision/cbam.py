"""CBAM: Convolutional Block Attention Module (Woo, Park, Lee, Kweon; arXiv 1807.06521)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.vision._common import (
    VisionAttentionOutput,
    _check_input,
    _check_int,
    _global_avg,
    _global_max,
    _reduced_channels,
)
from attnzoo.nn.vision.registry import register_attention

__all__ = ["CBAM"]


@register_attention("cbam")
class CBAM(nn.Module):
    """Convolutional Block Attention Module: channel attention, then spatial attention, in sequence.

    Channel: ``Mc = sigmoid(MLP(AvgPool(x)) + MLP(MaxPool(x)))`` with one MLP
    ``C -> C/r -> C`` (ReLU between, biases) shared by both pooled descriptors; ``x1 = x * Mc``.
    Spatial: ``Ms = sigmoid(conv7x7([mean_c(x1); max_c(x1)]))``, a 2 -> 1 channel, bias-free
    convolution over the channel-average and channel-max maps; ``out = x1 * Ms``.
    There is no residual inside the module (``out`` is not ``x + ...``): the paper adds CBAM to a
    ResNet block's residual branch, and the block's own shortcut is the only skip. The paper's equation
    has no normalisation in the spatial branch; the authors' code adds a BatchNorm after the 7x7 conv
    (not done here).
    Parameters: ``2 * C * d + d + C + 2 * k * k`` with ``d = max(C // r, min_channels)``.

    Args:
        channels: C of the input.
        reduction: r of the shared MLP (paper: 16).
        min_channels: smallest MLP hidden width, so C < r still works.
        spatial_kernel: odd kernel size of the spatial convolution (paper: 7, better than 3 in its ablation).

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W);
        attention ``{"channel": (B, C, 1, 1), "spatial": (B, 1, H, W)}``, both in [0, 1];
        ``out == x * channel * spatial``.
    """

    def __init__(
        self, channels: int, reduction: int = 16, min_channels: int = 1, spatial_kernel: int = 7
    ) -> None:
        super().__init__()
        hidden = _reduced_channels(channels, reduction, min_channels)
        _check_int("spatial_kernel", spatial_kernel)
        if spatial_kernel % 2 == 0:
            raise ValueError(f"spatial_kernel must be odd, got {spatial_kernel}")
        self.channels = channels
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)
        self.spatial = nn.Conv2d(2, 1, spatial_kernel, padding=spatial_kernel // 2, bias=False)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Apply channel then spatial attention; with ``return_attention`` also return both maps."""
        _check_input(x, self.channels, type(self).__name__)
        B, C = x.shape[:2]
        pooled = torch.cat([_global_avg(x), _global_max(x)])  # (2B, C): avg rows, then max rows
        logits = self.fc2(F.relu(self.fc1(pooled)))  # (2B, C), one pass through the shared MLP
        mc = torch.sigmoid(logits[:B] + logits[B:]).view(B, C, 1, 1)  # (B, C, 1, 1)
        x1 = x * mc
        # max with indices (not amax): its backward scatters into the argmax instead of masking all of x1
        desc = torch.cat([x1.mean(1, keepdim=True), x1.max(1, keepdim=True).values], 1)  # (B, 2, H, W)
        ms = torch.sigmoid(self.spatial(desc))  # (B, 1, H, W)
        out = x1 * ms
        return VisionAttentionOutput(out, {"channel": mc, "spatial": ms}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, hidden={self.fc1.out_features}"
