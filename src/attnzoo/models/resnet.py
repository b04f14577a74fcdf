"""A small ResNet with a pluggable CNN attention module in every block, for 28x28x1 and 32x32x3 images.

Backbone: Deep Residual Learning for Image Recognition (He, Zhang, Ren, Sun; arXiv 1512.03385), its CIFAR
network (Sec. 4.2): a 3x3 stem, stages of basic blocks (two 3x3 convolutions with BN) whose first block
halves the resolution from the second stage on, global average pooling, one linear layer. Shortcuts that
change width or resolution are 1x1 convolutions with BN (the paper's option B).

Attention placement follows the SE paper (Hu et al., arXiv 1709.01507, Fig. 3) and CBAM (Woo et al.,
arXiv 1807.06521, Fig. 3): the module recalibrates the residual branch after its last BN, before the
addition with the shortcut::

    out = relu(shortcut(x) + A(bn2(conv2(relu(bn1(conv1(x)))))))

Selective Kernel (Li et al., arXiv 1903.06586) is a convolution, not a gate: as in SKNet, where the SK unit
takes the place of the block's 3x3 convolution, ``"sk"`` replaces the block's second 3x3 convolution and
its BN (the SK unit has its own BN and ReLU per branch)::

    out = relu(shortcut(x) + SK(relu(bn1(conv1(x)))))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.nn.vision import create_attention, list_attention

__all__ = ["REPLACES_CONV", "BasicBlock", "ResNet", "ResNetConfig", "ResNetOutput"]

#: Attention modules that replace the block's second 3x3 convolution + BN instead of gating its output.
REPLACES_CONV = frozenset({"sk"})


@dataclass(frozen=True)
class ResNetConfig:
    """Configuration of :class:`ResNet`; the defaults suit 28x28 grey images (Fashion-MNIST)."""

    # image channels: 1 for (Fashion-)MNIST, 3 for CIFAR-like colour images
    in_channels: int = 1
    # outputs of the final linear layer
    num_classes: int = 10
    # channels of each stage (the stem has widths[0]); every stage after the first halves the resolution
    widths: tuple[int, ...] = (32, 64, 128)
    # basic blocks in each stage (the paper's CIFAR ResNet-20 is (3, 3, 3) at widths (16, 32, 64))
    blocks: tuple[int, ...] = (2, 2, 2)
    # a key of attnzoo.nn.vision.list_attention() put into every block, or None for the plain ResNet
    attention: str | None = None
    # keyword arguments of create_attention (e.g. {"reduction": 8}); must be empty for the baseline
    attention_kwargs: dict[str, Any] = field(default_factory=dict)
    # dropout probability before the classifier (0: none, as in the paper)
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("in_channels", "num_classes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        for name in ("widths", "blocks"):
            value = getattr(self, name)
            ok = isinstance(value, tuple) and len(value) >= 1
            if not (ok and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
                raise ValueError(f"{name} must be a non-empty tuple of ints >= 1, got {value!r}")
        if len(self.widths) != len(self.blocks):
            raise ValueError(
                f"widths and blocks must have one entry per stage, got {len(self.widths)} widths "
                f"{self.widths} and {len(self.blocks)} blocks {self.blocks}"
            )
        if self.attention is not None and self.attention not in list_attention():
            raise ValueError(
                f"unknown attention {self.attention!r}; valid: None (baseline), {', '.join(list_attention())}"
            )
        if not isinstance(self.attention_kwargs, dict):
            raise TypeError(f"attention_kwargs must be a dict, got {type(self.attention_kwargs).__name__}")
        if self.attention is None and self.attention_kwargs:
            raise ValueError(f"attention_kwargs {self.attention_kwargs} given but attention is None")
        object.__setattr__(self, "attention_kwargs", dict(self.attention_kwargs))  # a private copy
        ok = isinstance(self.dropout, int | float) and not isinstance(self.dropout, bool)
        if not (ok and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}")


class ResNetOutput(NamedTuple):
    """``logits`` (B, num_classes); ``attention``: one dict a block, in order, of that block's maps.

    The dicts hold the :class:`~attnzoo.nn.vision.AttentionOutput` maps of the module (``"channel"``,
    ``"spatial"``, ``"branch"``, ``"height"``, ``"width"``; see each module); empty for the baseline.
    """

    logits: Tensor
    attention: list[dict[str, Tensor]]


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BN on the residual branch, an optional attention module, a shortcut.

    Args:
        in_channels: C_in of the input.
        out_channels: C of the output (and of the residual branch).
        stride: 2 halves the resolution (first conv and shortcut), 1 keeps it.
        attention: a registered attention name, or None.
        attention_kwargs: passed to :func:`~attnzoo.nn.vision.create_attention`.

    Shape:
        x: (B, C_in, H, W) -> out: (B, C, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        attention: str | None = None,
        attention_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        kwargs = attention_kwargs or {}
        self.conv1, self.bn1 = _conv3x3(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels)
        self.replaces_conv = attention in REPLACES_CONV
        if self.replaces_conv:
            self.conv2 = self.bn2 = None
        else:
            self.conv2, self.bn2 = _conv3x3(out_channels, out_channels), nn.BatchNorm2d(out_channels)
        self.attention = None if attention is None else create_attention(attention, out_channels, **kwargs)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        for conv in (self.conv1, self.conv2, self.shortcut[0] if self.shortcut else None):
            if conv is not None:  # He init of the backbone only; attention modules keep their own init
                nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        """Apply the block; with ``return_attention`` return ``(out, maps)``."""
        h = F.relu(self.bn1(self.conv1(x)))  # (B, C, H', W')
        if not self.replaces_conv:
            h = self.bn2(self.conv2(h))
        maps: dict[str, Tensor] = {}
        if self.attention is not None:
            if return_attention:
                h, maps = self.attention(h, return_attention=True)
            else:
                h = self.attention(h)
        out = F.relu(h + (x if self.shortcut is None else self.shortcut(x)))
        return (out, maps) if return_attention else out


class ResNet(nn.Module):
    """ResNet for small images with ``config.attention`` in every block; see the module docstring.

    Args:
        config: the architecture.

    Shape:
        x: (B, in_channels, H, W), e.g. 28x28 or 32x32 -> logits (B, num_classes); with
        ``return_attention=True`` a :class:`ResNetOutput` with one dict of maps per block.
    """

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        if not isinstance(config, ResNetConfig):
            raise TypeError(f"config must be a ResNetConfig, got {type(config).__name__}")
        self.config = config
        c0 = config.widths[0]
        self.stem = nn.Sequential(_conv3x3(config.in_channels, c0), nn.BatchNorm2d(c0), nn.ReLU(inplace=True))
        nn.init.kaiming_normal_(self.stem[0].weight, mode="fan_out", nonlinearity="relu")
        blocks, cin = [], c0
        for s, (width, n) in enumerate(zip(config.widths, config.blocks, strict=True)):
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                blocks.append(BasicBlock(cin, width, stride, config.attention, config.attention_kwargs))
                cin = width
        self.blocks = nn.ModuleList(blocks)
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(cin, config.num_classes)

    @property
    def block_stages(self) -> list[int]:
        """The stage (0-based) of each block, in order."""
        return [s for s, n in enumerate(self.config.blocks) for _ in range(n)]

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | ResNetOutput:
        """Classify ``x``; with ``return_attention`` also return every block's attention maps."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
            raise TypeError(f"x must be a floating-point torch.Tensor, got {got}")
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"x must be a (B, {self.config.in_channels}, H, W) tensor, got shape {tuple(x.shape)}"
            )
        h = self.stem(x)  # (B, widths[0], H, W)
        maps = []
        for block in self.blocks:
            if return_attention:
                h, m = block(h, return_attention=True)
                maps.append(m)
            else:
                h = block(h)
        logits = self.fc(self.dropout(h.mean((2, 3))))  # (B, num_classes)
        return ResNetOutput(logits, maps) if return_attention else logits
