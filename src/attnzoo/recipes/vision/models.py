"""The ``vision`` recipe's models by name: a ResNet with no attention or with one ``attnzoo.nn.vision``
module in every block, and the Residual Attention Network (Attention-56); their attention maps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from torch import Tensor, nn

from attnzoo.models.residual_attention import ResidualAttentionNetwork, attention56
from attnzoo.models.resnet import ResNet, ResNetConfig
from attnzoo.nn.vision import list_attention
from attnzoo.train import load_weights

if TYPE_CHECKING:
    from attnzoo.recipes.vision.config import VisionConfig

__all__ = ["BASELINE", "RAN", "build_model", "forward_maps", "load_model", "model_names"]

BASELINE = "baseline"


RAN = {"ran": True, "ran-naive": False}  # name -> attention_residual: (1 + M) * T, or the naive M * T


def model_names() -> list[str]:
    """Every name the recipe can train: the baseline, each registered attention module, the RANs."""
    return [BASELINE, *list_attention(), *RAN]


def build_model(name: str, cfg: VisionConfig, in_channels: int, num_classes: int) -> nn.Module:
    """The model called ``name`` (see :func:`model_names`) at the widths of the recipe config ``cfg``."""
    if name in RAN:
        return attention56(in_channels, num_classes, width=cfg.ran_width, attention_residual=RAN[name])
    if name not in model_names():
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(model_names())}")
    attention = None if name == BASELINE else name
    return ResNet(ResNetConfig(in_channels, num_classes, cfg.widths, cfg.blocks, attention))


def forward_maps(model: nn.Module, x: Tensor) -> tuple[Tensor, list[dict[str, Tensor]]]:
    """``(logits, maps)``: a ResNet's per-block attention dicts, or a RAN's masks as ``{"mask": ...}``."""
    if isinstance(model, ResidualAttentionNetwork):
        out = model(x, return_attention=True)
        return out.logits, [{"mask": m} for m in out.masks]
    out = model(x, return_attention=True)
    return out.logits, out.attention


def load_model(
    name: str, cfg: VisionConfig, in_channels: int, num_classes: int, path: str | Path
) -> nn.Module:
    """Model ``name`` rebuilt at ``cfg``'s widths with the weights of checkpoint ``path``, in eval mode."""
    return load_weights(build_model(name, cfg, in_channels, num_classes), path).eval()
