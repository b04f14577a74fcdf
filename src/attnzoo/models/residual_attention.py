"""Residual Attention Network for Image Classification (Wang, Jiang, Qian, Yang, Li, Zhang, Wang, Tang;
arXiv 1704.06904).

Layout (the paper's ImageNet architecture table, adapted to 28x28 and 32x32 inputs; widths at ``width=1``)::

    stem      3x3 conv, 64, stride 1          (paper: 7x7 conv stride 2 + 3x3 max-pool, 224 -> 56)
    stage 1   residual unit -> 256, then m1 attention modules, mask pools 3x   32x32 (28x28) -> 4x4
    stage 2   residual unit -> 512, stride 2, m2 attention modules, pools 2x   16x16 (14x14) -> 4x4
    stage 3   residual unit -> 1024, stride 2, m3 attention modules, pool 1x    8x8  (7x7)   -> 4x4
    stage 4   residual unit -> 2048, stride 2, then 2 more residual units       4x4
    head      BN, ReLU, global average pool, linear

Attention-56 has (m1, m2, m3) = (1, 1, 1), Attention-92 (1, 2, 3). The only change from the paper is the
stem: small images are not down-sampled 4x before stage 1, so the stages run at 32/16/8/4 (28/14/7/4)
instead of 56/28/14/7. Each mask branch keeps the paper's number of max-poolings (3, 2, 1), which takes
every stage down to the final stage's resolution (4x4 here, 7x7 in the paper), as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "AttentionModule",
    "ResidualAttentionConfig",
    "ResidualAttentionNetwork",
    "ResidualAttentionOutput",
    "attention56",
    "attention92",
]


@dataclass(frozen=True)
class ResidualAttentionConfig:
    """Configuration of a Residual Attention Network; the defaults are Attention-56 for 32x32x3 images."""

    # image channels: 1 for (Fashion-)MNIST 28x28, 3 for CIFAR-like 32x32
    in_channels: int = 3
    # outputs of the final linear layer
    num_classes: int = 10
    # attention modules in stages 1-3: Attention-56 (1, 1, 1), Attention-92 (1, 2, 3)
    modules_per_stage: tuple[int, int, int] = (1, 1, 1)
    # multiplier on the paper's widths (stem 64, stages 256/512/1024, last 2048); 0.125 trains on a CPU
    width: float = 1.0
    # residual units before the trunk/mask split, and again after the merge (paper: p = 1)
    p: int = 1
    # residual units in the trunk branch (paper: t = 2)
    t: int = 2
    # residual units between adjacent poolings in the mask branch (paper: r = 1)
    r: int = 1
    # max-poolings (and as many up-samplings) in each stage's mask branch (paper: 3, 2, 1)
    mask_downsamples: tuple[int, int, int] = (3, 2, 1)
    # True: (1 + M(x)) * T(x), attention residual learning; False: M(x) * T(x), the "naive" ablation
    attention_residual: bool = True

    def __post_init__(self) -> None:
        for name, least in (("in_channels", 1), ("num_classes", 1), ("p", 0), ("t", 0), ("r", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        for name, least in (("modules_per_stage", 0), ("mask_downsamples", 1)):
            value = getattr(self, name)
            ok = isinstance(value, tuple) and len(value) == 3
            if not (ok and all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in value)):
                raise ValueError(f"{name} must be a tuple of 3 ints >= {least}, got {value!r}")
        if isinstance(self.width, bool) or not isinstance(self.width, int | float) or not self.width > 0:
            raise ValueError(f"width must be a positive number, got {self.width!r}")
        if not isinstance(self.attention_residual, bool):
            raise ValueError(f"attention_residual must be a bool, got {self.attention_residual!r}")

    @property
    def base_channels(self) -> int:
        """Stem width, ``round(64 * width)``; stage widths are 4, 8, 16 and 32 times this."""
        return max(1, round(64 * self.width))

    @property
    def depth(self) -> int:
        """Weighted layers on the trunk path (stem, 3 per residual unit, linear): 56 or 92 for the paper's."""
        units = 3 + 3 + sum(self.modules_per_stage) * (2 * self.p + self.t)
        return 3 * units + 2


class _Unit(nn.Module):
    """Pre-activation bottleneck residual unit: (BN, ReLU, conv) x 3, 1x1 -> 3x3 (stride) -> 1x1."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        mid = max(1, out_channels // 4)
        self.bn1, self.conv1 = nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, mid, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, out_channels, 1, bias=False)
        needs_projection = in_channels != out_channels or stride != 1
        self.shortcut = (
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False) if needs_projection else None
        )

    def forward(self, x: Tensor) -> Tensor:
        a = F.relu(self.bn1(x))
        h = self.conv1(a)
        h = self.conv2(F.relu(self.bn2(h)))
        h = self.conv3(F.relu(self.bn3(h)))
        return h + (x if self.shortcut is None else self.shortcut(a))


def _units(channels: int, n: int) -> nn.Sequential:
    return nn.Sequential(*(_Unit(channels, channels) for _ in range(n)))


class _MaskBranch(nn.Module):
    """Bottom-up top-down mask: n max-poolings with r units after each, 2r at the bottom, skip units across,
    n bilinear up-samplings with r units after each merge, then (BN, ReLU, 1x1 conv) x 2 and a sigmoid."""

    def __init__(self, channels: int, downsamples: int, r: int) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.down = nn.ModuleList(_units(channels, r) for _ in range(downsamples))
        self.skip = nn.ModuleList(_Unit(channels, channels) for _ in range(downsamples - 1))
        self.bottom = _units(channels, r)
        self.up = nn.ModuleList(_units(channels, r) for _ in range(downsamples - 1))
        self.head = nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        h = x
        for i, down in enumerate(self.down):
            h = down(self.pool(h))
            if i < len(self.skip):
                skips.append(self.skip[i](h))
        h = self.bottom(h)
        for i in reversed(range(len(self.up))):
            h = _upsample(h, skips[i]) + skips[i]
            h = self.up[i](h)
        return torch.sigmoid(self.head(_upsample(h, x)))  # (B, C, H, W) in [0, 1]


def _upsample(h: Tensor, like: Tensor) -> Tensor:
    return F.interpolate(h, size=like.shape[-2:], mode="bilinear", align_corners=True)


class AttentionModule(nn.Module):
    """Attention module: p units, then trunk T (t units) beside mask M (hourglass), merged, then p units.

    ``H = (1 + M(x)) * T(x)`` (attention residual learning) or, with ``attention_residual=False``,
    ``H = M(x) * T(x)`` (the paper's "naive attention learning" ablation). The mask is mixed attention: one
    sigmoid weight per channel and position. The mask branch pools ``downsamples`` times (max-pool 3x3,
    stride 2) with ``r`` units after each pooling (``2r`` at the lowest resolution), adds a skip unit's
    output at every intermediate scale on the way up (bilinear up-sampling), and ends with
    (BN, ReLU, 1x1 conv) x 2 and a sigmoid, as in the authors' released network.

    Args:
        channels: C, kept throughout.
        p: residual units before the split and after the merge.
        t: residual units in the trunk.
        r: residual units between adjacent poolings of the mask branch.
        downsamples: max-poolings in the mask branch (>= 1).
        attention_residual: ``(1 + M) * T`` if True, ``M * T`` if False.

    Shape:
        x: (B, C, H, W) -> out: (B, C, H, W); mask: (B, C, H, W) in [0, 1].
    """

    def __init__(
        self,
        channels: int,
        p: int = 1,
        t: int = 2,
        r: int = 1,
        downsamples: int = 1,
        attention_residual: bool = True,
    ) -> None:
        super().__init__()
        for name, value, least in (("channels", channels, 1), ("p", p, 0), ("t", t, 0), ("r", r, 1),
                                   ("downsamples", downsamples, 1)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        self.attention_residual = attention_residual
        self.pre = _units(channels, p)
        self.trunk = _units(channels, t)
        self.mask = _MaskBranch(channels, downsamples, r)
        self.post = _units(channels, p)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """Apply the module; with ``return_attention`` return ``(out, mask)``."""
        x = self.pre(x)
        trunk = self.trunk(x)
        mask = self.mask(x)
        h = (1 + mask) * trunk if self.attention_residual else mask * trunk
        out = self.post(h)
        return (out, mask) if return_attention else out


class ResidualAttentionOutput(NamedTuple):
    """``logits`` (B, num_classes); ``masks``: one (B, C_s, H_s, W_s) mask per attention module, in order."""

    logits: Tensor
    masks: list[Tensor]


class ResidualAttentionNetwork(nn.Module):
    """Residual Attention Network (Attention-56 / -92 layouts) for small images; see the module docstring.

    Args:
        config: the architecture; :func:`attention56` and :func:`attention92` build the paper's two.

    Shape:
        x: (B, in_channels, H, W), e.g. 28x28 or 32x32 -> logits (B, num_classes); with
        ``return_attention=True`` a :class:`ResidualAttentionOutput` whose masks have the widths
        4/8/16 x ``base_channels`` and resolutions H, H/2, H/4 (rounded up) of stages 1-3.
    """

    def __init__(self, config: ResidualAttentionConfig) -> None:
        super().__init__()
        if not isinstance(config, ResidualAttentionConfig):
            raise TypeError(f"config must be a ResidualAttentionConfig, got {type(config).__name__}")
        self.config = config
        b = config.base_channels
        self.stem = nn.Conv2d(config.in_channels, b, 3, padding=1, bias=False)
        stages, in_ch = [], b
        for s, (out_ch, n) in enumerate(zip((4 * b, 8 * b, 16 * b), config.modules_per_stage, strict=True)):
            layers = [_Unit(in_ch, out_ch, stride=1 if s == 0 else 2)]
            layers += [
                AttentionModule(
                    out_ch,
                    config.p,
                    config.t,
                    config.r,
                    config.mask_downsamples[s],
                    config.attention_residual,
                )
                for _ in range(n)
            ]
            stages.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.stages = nn.ModuleList(stages)
        self.final = nn.Sequential(
            _Unit(in_ch, 32 * b, stride=2), _Unit(32 * b, 32 * b), _Unit(32 * b, 32 * b)
        )
        self.norm = nn.BatchNorm2d(32 * b)
        self.fc = nn.Linear(32 * b, config.num_classes)

    def forward(self, x: Tensor, return_attention: bool = False) -> Tensor | ResidualAttentionOutput:
        """Classify ``x``; with ``return_attention`` also return every attention module's mask."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
            raise TypeError(f"x must be a floating-point torch.Tensor, got {got}")
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"x must be a (B, {self.config.in_channels}, H, W) tensor, got shape {tuple(x.shape)}"
            )
        masks = []
        h = self.stem(x)
        for stage in self.stages:
            for layer in stage:
                if isinstance(layer, AttentionModule):
                    h, mask = layer(h, return_attention=True)
                    masks.append(mask)
                else:
                    h = layer(h)
        h = F.relu(self.norm(self.final(h))).mean((2, 3))  # (B, 32 * base)
        logits = self.fc(h)
        return ResidualAttentionOutput(logits, masks) if return_attention else logits


def attention56(
    in_channels: int = 3, num_classes: int = 10, width: float = 1.0, **kwargs: object
) -> ResidualAttentionNetwork:
    """Attention-56: one attention module in each of stages 1-3 (as in the paper)."""
    cfg = ResidualAttentionConfig(in_channels, num_classes, (1, 1, 1), width, **kwargs)
    return ResidualAttentionNetwork(cfg)


def attention92(
    in_channels: int = 3, num_classes: int = 10, width: float = 1.0, **kwargs: object
) -> ResidualAttentionNetwork:
    """Attention-92: 1, 2 and 3 attention modules in stages 1, 2 and 3 (as in the paper)."""
    cfg = ResidualAttentionConfig(in_channels, num_classes, (1, 2, 3), width, **kwargs)
    return ResidualAttentionNetwork(cfg)
