"""Measuring a model: FLOPs of a forward pass (``torch.utils.flop_counter``) and inference throughput."""

from __future__ import annotations

import time

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_flops", "inference_speed"]


def count_flops(model: nn.Module, image_shape: tuple[int, ...]) -> int:
    """FLOPs of one forward pass on one image (eval mode), as ``torch.utils.flop_counter`` counts them:
    convolutions and matrix products (2 per multiply-add); element-wise gating, pooling, BN, activations
    and softmax are not counted.

    Args:
        model: any module taking one batched tensor; its train/eval mode is restored afterwards.
        image_shape: one input without the batch dimension, e.g. ``(C, H, W)``.

    Returns:
        The FLOPs of ``model(torch.zeros(1, *image_shape))``.
    """
    was = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *image_shape))
    finally:
        model.train(was)
    return int(counter.get_total_flops())


def inference_speed(model: nn.Module, x: Tensor, repeats: int = 3) -> float:
    """Images per second of eval-mode forward passes on the batch ``x``: the best of ``repeats`` timed passes
    after one warm-up (the best, because other processes on a shared machine only ever slow a pass down).

    Leaves ``model`` in eval mode. A measurement, not a test: compare numbers from one process only.

    Shape:
        x: ``(B, ...)``, one batch the model takes.
    """
    model.eval()
    times = []
    with torch.no_grad():
        model(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return len(x) / min(times)
