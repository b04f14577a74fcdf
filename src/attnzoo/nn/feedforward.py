"""Position-wise feed-forward network (Vaswani et al. 2017, *Attention Is All You Need*, 1706.03762, 3.3).

``FFN(x) = max(0, x W_1 + b_1) W_2 + b_2``, applied to each position separately; D=512, d_ff=2048.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo._registry import Registry

__all__ = ["ACTIVATIONS", "PositionwiseFeedForward", "register_activation"]

ACTIVATIONS: Registry[Callable[[Tensor], Tensor]] = Registry("activation", hint=" (or a callable)")


def register_activation(name: str):
    """Decorator: register ``fn(x) -> x`` under ``name`` for ``activation=name``."""
    return ACTIVATIONS.register(name)


register_activation("relu")(F.relu)
register_activation("gelu")(F.gelu)


def resolve_activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """The callable for an activation name (or the callable itself)."""
    if callable(activation):
        return activation
    return ACTIVATIONS.lookup(activation)


class PositionwiseFeedForward(nn.Module):
    """Two linear maps with an activation between them, the same at every position.

    Args:
        d_model: D, input and output size.
        d_ff: inner size (the paper: 2048).
        dropout: dropout on the activations (not in the paper; torch's layers use their ``dropout`` here).
        activation: ``"relu"`` (the paper), ``"gelu"``, another registered name, or a callable.
        bias: whether both linear maps have biases.

    Shape: (..., D) -> (..., D).
    """

    def __init__(
        self,
        d_model: int = 512,
        d_ff: int = 2048,
        *,
        dropout: float = 0.0,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        bias: bool = True,
    ):
        super().__init__()
        self.activation = resolve_activation(activation)
        self.linear1 = nn.Linear(d_model, d_ff, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))
