"""Shared pieces of the CNN attention modules: the output type, argument and input checks."""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["VisionAttentionOutput"]


class VisionAttentionOutput(NamedTuple):
    """What a vision attention module returns when called with ``return_attention=True``.

    Attributes:
        output: the recalibrated feature map, same shape as the input ``(B, C, H, W)``.
        attention: the module's attention, by kind; each module's docstring lists its keys. The kinds:
            ``"channel"`` ``(B, C, 1, 1)`` sigmoid gates in [0, 1];
            ``"spatial"`` ``(B, 1, H, W)`` sigmoid gates in [0, 1];
            ``"branch"`` ``(B, M, C)`` softmax weights over the M branches (sum to 1 over dim 1);
            ``"height"`` ``(B, C, H, 1)`` and ``"width"`` ``(B, C, 1, W)`` sigmoid gates in [0, 1].
    """

    output: Tensor
    attention: dict[str, Tensor]


def _global_avg(x: Tensor) -> Tensor:
    """Mean over H, W: (B, C, H, W) -> (B, C)."""
    return F.adaptive_avg_pool2d(x, 1).flatten(1)


def _global_max(x: Tensor) -> Tensor:
    """Max over H, W: (B, C, H, W) -> (B, C); its backward scatters into the argmax (``amax`` masks all x)."""
    return F.max_pool2d(x, x.shape[2:]).flatten(1)


def _check_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise a TypeError / ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _reduced_channels(channels: int, reduction: int, min_channels: int) -> int:
    """Hidden width of a bottleneck: ``max(channels // reduction, min_channels)``.

    ``min_channels`` keeps the bottleneck non-empty when ``channels < reduction`` (C=3 with r=16).
    """
    _check_int("channels", channels)
    _check_int("reduction", reduction)
    _check_int("min_channels", min_channels)
    return max(channels // reduction, min_channels)


def _check_input(x: object, channels: int, who: str) -> None:
    """Raise a clear error unless ``x`` is a floating (B, C, H, W) tensor with ``C == channels``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{who}: x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{who}: x must be a 4-D (B, C, H, W) tensor, got shape {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ValueError(
            f"{who}: x has {x.shape[1]} channels (shape {tuple(x.shape)}) but the module was built for "
            f"channels={channels}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{who}: x must be a floating-point tensor, got dtype {x.dtype}")
    if x.shape[0] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{who}: x must have non-empty batch and spatial dims, got shape {tuple(x.shape)}")
