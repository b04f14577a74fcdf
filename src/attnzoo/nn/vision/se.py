"""Squeeze-and-Excitation Networks (Hu, Shen, Albanie, Sun, Wu; arXiv 1709.01507)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnzoo.nn.vision._common import VisionAttentionOutput, _check_input, _global_avg, _reduced_channels
from attnzoo.nn.vision.registry import register_attention

__all__ = ["SqueezeExcite"]


@register_attention("se")
class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation block: global average pool, bottleneck MLP, sigmoid channel gates.

    ``s = sigmoid(W2 relu(W1 GAP(x) + b1) + b2)``, ``out = x * s`` with ``W1: (C/r, C)``, ``W2: (C, C/r)``;
    the paper's default reduction is r = 16 (its ablation compares r from 2 to 32). The paper's equation omits
    biases "to simplify notation"; its released models have them, so ``bias=True`` by default (the paper
    also reports that removing them helps on ResNets, hence the option).
    Parameters: ``2 * C * d + d + C`` with biases, ``d = max(C // r, min_channels)``.

    Equivalent to (reference)::

        s = torch.sigmoid(fc2(torch.relu(fc1(x.mean((2, 3))))))[:, :, None, None]
        out = x * s

    Args:
        channels: C of the input.
        reduction: r, the bottleneck is ``max(C // r, min_channels)`` wide.
        min_channels: smallest bottleneck width, so C < r still works.
        bias: biases in the two fully connected layers.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"channel": (B, C, 1, 1)}`` in [0, 1].
    """

    def __init__(self, channels: int, reduction: int = 16, min_channels: int = 1, bias: bool = True) -> None:
        super().__init__()
        hidden = _reduced_channels(channels, reduction, min_channels)
        self.channels = channels
        self.fc1 = nn.Linear(channels, hidden, bias=bias)
        self.fc2 = nn.Linear(hidden, channels, bias=bias)

    def _gate(self, x: Tensor) -> Tensor:
        B, C = x.shape[:2]
        z = _global_avg(x)  # (B, C) squeeze
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z)))).view(B, C, 1, 1)  # (B, C, 1, 1)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Recalibrate the channels of ``x``; with ``return_attention`` also return the gates."""
        _check_input(x, self.channels, type(self).__name__)
        s = self._gate(x)
        out = x * s
        return VisionAttentionOutput(out, {"channel": s}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, hidden={self.fc1.out_features}"
