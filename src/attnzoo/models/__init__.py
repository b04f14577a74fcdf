"""attnzoo.models: whole models from the literature, each with a frozen dataclass config."""

from attnzoo.models.residual_attention import (
    AttentionModule,
    ResidualAttentionConfig,
    ResidualAttentionNetwork,
    ResidualAttentionOutput,
    attention56,
    attention92,
)

__all__ = [
    "AttentionModule",
    "ResidualAttentionConfig",
    "ResidualAttentionNetwork",
    "ResidualAttentionOutput",
    "attention56",
    "attention92",
]
