"""Show, Attend and Tell's image encoder (Xu et al. 2015, arXiv 1502.03044, sec. 3.1.1): a CNN whose last
feature map is the grid of L = h * w annotation vectors a_i.

The paper takes VGG's conv5_4 (14 x 14 x 512, pretrained on ImageNet); no pretrained weights can be had
here, so this is a small CNN trained with the decoder. Shape legend: B batch, C channels, D feature dim.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["GridEncoder"]


class GridEncoder(nn.Module):
    """conv3x3-ReLU-maxpool stages, then conv3x3-ReLU and a 1x1 conv to D: ``(B, C, H, W) -> (B, D, h, w)``.

    One conv a stage keeps it cheap on CPU; the last 3x3 conv at the final grid widens each cell's view.
    """

    def __init__(
        self,
        in_channels: int,
        channels: tuple[int, ...],
        feat_dim: int,
        batch_norm: bool,
        *,
        coords: bool = False,
    ):
        super().__init__()
        self.coords = coords
        layers, prev = [], in_channels + (2 if coords else 0)
        for ch in channels:
            norm = [nn.BatchNorm2d(ch)] if batch_norm else []
            layers += [
                nn.Conv2d(prev, ch, 3, padding=1, bias=not batch_norm),
                *norm,
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            prev = ch
        layers += [nn.Conv2d(prev, feat_dim, 3, padding=1), nn.ReLU(), nn.Conv2d(feat_dim, feat_dim, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.coords:  # CoordConv (Liu et al. 2018): x and y in [-1, 1] as two more input channels
            B, _, H, W = x.shape
            ys = torch.linspace(-1, 1, H, dtype=x.dtype, device=x.device)[:, None].expand(H, W)
            xs = torch.linspace(-1, 1, W, dtype=x.dtype, device=x.device)[None, :].expand(H, W)
            x = torch.cat([x, torch.stack([xs, ys]).expand(B, 2, H, W)], 1)
        return self.net(x)
