"""The small convolutional baseline of Recurrent Models of Visual Attention (Mnih et al.; arXiv 1406.6247,
section 4.1): one layer of 8 filters 10x10 with stride 5, a fully connected layer of 256 rectifiers, softmax.

Its size is that of RAM (about 0.25 M parameters on 60x60 inputs), so the two can be compared on the same
task; the paper reports it at 2.3 % (translated 60x60) and 8.09 % (cluttered 60x60) error.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ConvNet", "ConvNetConfig"]


@dataclass(frozen=True)
class ConvNetConfig:
    image_size: int = 60  # H = W of the input images
    channels: int = 1  # C of the input images
    num_classes: int = 10  # softmax outputs
    filters: int = 8  # convolution filters (paper: 8)
    kernel: int = 10  # filter side (paper: 10)
    stride: int = 5  # filter stride (paper: 5)
    hidden: int = 256  # fully connected rectifier units (paper: 256)

    def __post_init__(self) -> None:
        for name in ("image_size", "channels", "num_classes", "filters", "kernel", "stride", "hidden"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"ConvNetConfig.{name} must be an int >= 1, got {v!r}")
        if self.kernel > self.image_size:
            raise ValueError(
                f"ConvNetConfig.kernel {self.kernel} is larger than image_size {self.image_size}"
            )


class ConvNet(nn.Module):
    """conv(filters, kernel, stride) -> relu -> linear(hidden) -> relu -> linear(classes).

    Shape:
        images: (B, C, H, W) -> logits (B, num_classes).
    """

    def __init__(self, config: ConvNetConfig) -> None:
        super().__init__()
        c = self.config = config
        side = (c.image_size - c.kernel) // c.stride + 1
        self.conv = nn.Conv2d(c.channels, c.filters, c.kernel, stride=c.stride)
        self.fc = nn.Linear(c.filters * side * side, c.hidden)
        self.out = nn.Linear(c.hidden, c.num_classes)

    def forward(self, images: Tensor) -> Tensor:
        """Class logits (B, num_classes)."""
        x = F.relu(self.conv(images)).flatten(1)  # (B, filters side^2)
        return self.out(F.relu(self.fc(x)))
