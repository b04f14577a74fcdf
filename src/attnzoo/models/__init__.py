"""attnzoo.models: whole models from the literature, each with a frozen dataclass config."""

from attnzoo.models.draw import DRAW, DRAWConfig, DRAWOutput, DRAWSample
from attnzoo.models.residual_attention import (
    AttentionModule,
    ResidualAttentionConfig,
    ResidualAttentionNetwork,
    ResidualAttentionOutput,
    attention56,
    attention92,
)

__all__ = [
    "DRAW",
    "AttentionModule",
    "DRAWConfig",
    "DRAWOutput",
    "DRAWSample",
    "ResidualAttentionConfig",
    "ResidualAttentionNetwork",
    "ResidualAttentionOutput",
    "attention56",
    "attention92",
]
