"""ECA-Net: Efficient Channel Attention for Deep CNNs (Wang, Wu, Zhu, Li, Zuo, Hu; arXiv 1910.03151)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from attnzoo.nn.vision._common import VisionAttentionOutput, _check_input, _check_int, _global_avg
from attnzoo.nn.vision.registry import register_attention

__all__ = ["EfficientChannelAttention", "eca_kernel_size"]


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """The paper's adaptive kernel size ``k = |log2(C) / gamma + b / gamma|_odd``.

    ``|t|_odd`` is taken as in the authors' code: truncate ``t`` to an int and add 1 if it is even,
    so C = 64, 128, 256, 512 give k = 3, 5, 5, 5.
    """
    _check_int("channels", channels)
    _check_int("gamma", gamma)
    _check_int("b", b, minimum=0)
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


@register_attention("eca")
class EfficientChannelAttention(nn.Module):
    """Efficient Channel Attention: a 1-D convolution across the pooled channels, no reduction.

    ``s = sigmoid(conv1d_k(GAP(x)))``, ``out = x * s``: each channel's gate looks at its k neighbouring
    channels through one shared, bias-free kernel of size k (zero padding), so the module has exactly k
    parameters. k comes from :func:`eca_kernel_size` (gamma 2, b 1) unless given.

    Args:
        channels: C of the input.
        gamma: gamma of the kernel-size rule.
        b: b of the kernel-size rule.
        kernel_size: a fixed odd k instead of the adaptive one.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); attention ``{"channel": (B, C, 1, 1)}`` in [0, 1].
    """

    def __init__(self, channels: int, gamma: int = 2, b: int = 1, kernel_size: int | None = None) -> None:
        super().__init__()
        if kernel_size is None:
            kernel_size = eca_kernel_size(channels, gamma, b)
        else:
            _check_int("channels", channels)
            _check_int("kernel_size", kernel_size)
            if kernel_size % 2 == 0:
                raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.channels = channels
        self.kernel_size = kernel_size
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=(kernel_size - 1) // 2, bias=False)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | VisionAttentionOutput:
        """Recalibrate the channels of ``x``; with ``return_attention`` also return the gates."""
        _check_input(x, self.channels, type(self).__name__)
        B, C = x.shape[:2]
        z = _global_avg(x).unsqueeze(1)  # (B, 1, C)
        s = torch.sigmoid(self.conv(z)).view(B, C, 1, 1)  # each channel sees its k neighbours
        out = x * s
        return VisionAttentionOutput(out, {"channel": s}) if return_attention else out

    def extra_repr(self) -> str:
        return f"channels={self.channels}, kernel_size={self.kernel_size}"
