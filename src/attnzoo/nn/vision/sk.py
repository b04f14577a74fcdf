"""Selective Kernel Networks (Li, Wang, Hu, Yang; arXiv 1903.06586)."""

from __future__ import annotations

from torch import Tensor, nn

from attnzoo.nn.vision._common import (
    VisionAttentionOutput,
    _check_input,
    _check_int,
    _global_avg,
    _reduced_channels,
)
from attnzoo.nn.vision.registry import register_attention

__all__ = ["SelectiveKernel"]


@register_attention("sk")
class SelectiveKernel(nn.Module):
    """Selective Kernel convolution: M branches of growing receptive field, mixed by softmax attention.

    Split: branch m (m = 1..M) is a 3x3 convolution with dilation m (so 3x3, "5x5", "7x7", ...; the paper
    replaces the 5x5 kernel by a dilated 3x3), optionally grouped, each followed by BatchNorm and ReLU.
    Fuse: ``U = sum_m U_m``; ``s = GAP(U)`` (C); ``z = relu(BN(W s))`` with ``W: (d, C)``,
    ``d = max(C / r, L)`` (paper: r = 16, L = 32).
    Select: per branch a ``(C, d)`` matrix ``A_m`` gives logits ``A_m z``; a softmax across the M branches,
    channel by channel, gives ``a_m`` (B, C) with ``sum_m a_m = 1``; ``out = sum_m a_m * U_m``.
    As in the paper's equations and the authors' released network, the fully connected layers have no
    biases (the BatchNorm after ``W`` has its own shift). SKNet-50 uses groups G = 32; the default here is
    1 so any C works. In training mode the BatchNorm over ``z`` needs a batch of at least 2.
    Parameters: ``M * (9 * C * C / G + 2 * C) + C * d + 2 * d + M * d * C``.

    Args:
        channels: C of the input (and output).
        reduction: r of the fuse layer.
        min_channels: L, the smallest width d of the fuse layer.
        branches: M, the number of branches (paper: 2).
        groups: G of the branch convolutions; must divide C.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"branch": (B, M, C)}``, softmax weights that sum
        to 1 over dim 1 (branch 0 is the 3x3 one).
    """

    def __init__(
        self, channels: int, reduction: int = 16, min_channels: int = 32, branches: int = 2, groups: int = 1
    ) -> None:
        super().__init__()
        d = _reduced_channels(channels, reduction, min_channels)
        _check_int("branches", branches)
        _check_int("groups", groups)
        if channels % groups:
            raise ValueError(f"groups={groups} must divide channels={channels}")
        self.channels = channels
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=m, dilation=m, groups=groups, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            )
            for m in range(1, branches + 1)
        )
        self.fuse = nn.Sequential(
            nn.Linear(channels, d, bias=False), nn.BatchNorm1d(d), nn.ReLU(inplace=True)
        )  # z = relu(BN(W s))
        self.select = nn.Linear(d, branches * channels, bias=False)  # the A_m stacked: (M * C, d)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Mix the branches by their attention; with ``return_attention`` also return the weights."""
        who = type(self).__name__
        _check_input(x, self.channels, who)
        B, C = x.shape[:2]
        if self.training and B < 2:
            raise ValueError(f"{who}: training mode needs a batch of at least 2 (BatchNorm over z), got {B}")
        feats = [branch(x) for branch in self.branches]  # M x (B, C, H, W)
        u = feats[0]
        for f in feats[1:]:
            u = u + f
        z = self.fuse(_global_avg(u))  # (B, d)
        a = self.select(z).view(B, len(feats), C).softmax(1)  # (B, M, C)
        out = feats[0] * a[:, 0, :, None, None]
        for m in range(1, len(feats)):
            out = out + feats[m] * a[:, m, :, None, None]
        return VisionAttentionOutput(out, {"branch": a}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, d={self.select.in_features}"
