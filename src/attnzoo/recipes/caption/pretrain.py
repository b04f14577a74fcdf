"""The caption recipe's encoder pretraining: the CNN learns to name one digit before it learns to caption.

Show, Attend and Tell (Xu et al. 2015, arXiv 1502.03044, sec. 5.1) encodes images with the Oxford VGG net
pretrained on ImageNet, without fine-tuning. No pretrained weights can be had here, so the analogue is
done here: the recipe's :class:`~attnzoo.models._sat_encoder.GridEncoder` is trained as a classifier of
single MNIST train digits (the digits the training scenes are built from; never a validation or test one),
its grid averaged and read by a linear head that is then dropped, and the captioners use it frozen.

Why (measured, see :mod:`.config`): trained from scratch through the decoder, the digit word stays at
chance (cross-entropy ~ln 10) for the first ~100 steps while the grammar's words are learned, and the
encoder's gradient is then 10-50x smaller than a classifier head gives it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from attnzoo.data.scenes import make_scenes
from attnzoo.models._sat_encoder import GridEncoder

__all__ = ["pretrain_encoder"]


def pretrain_encoder(
    encoder: GridEncoder,
    digits: np.ndarray,
    labels: np.ndarray,
    *,
    steps: int,
    batch: int,
    lr: float,
    seed: int,
    sizes: tuple[str, ...] = ("large",),
) -> dict[str, float]:
    """Train ``encoder`` in place to name one digit on a 28 x 28 canvas, and its size when ``sizes`` has
    more than one (mean of its grid -> a linear head of 10 digit and ``len(sizes)`` size logits, the two
    cross-entropies summed). The size head is there because the captions name sizes: a digit-only
    classifier learns features that do not tell a small digit from a large one (measured on the full set,
    1,000 steps: 108 of 488 digit words carried the wrong size word with it, 27 with the size head).

    Args:
        encoder: the captioner's encoder, ``(B, 1, H, W) -> (B, D, h, w)``.
        digits: ``(N, 28, 28)`` MNIST-like digits (uint8 0-255 or float 0-1); labels ``(N,)`` 0-9.
        steps: Adam steps; batch: digits a step; lr: Adam's learning rate; seed: data order and head init.
        sizes: size words the digits are drawn at (as the scenes draw them; a small one at a random place).

    Returns: ``{"loss": ..., "accuracy": ..., "size_accuracy": ...}``, the mean summed cross-entropy and the
    digit and size accuracies of the last 10 % of steps (on training digits: a learning check, not a
    held-out score; size_accuracy is 1.0 with one size). The encoder is left in eval mode.
    """
    if not (isinstance(steps, int) and steps > 0):
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not (isinstance(batch, int) and batch > 0):
        raise ValueError(f"batch must be a positive int, got {batch!r}")
    g = torch.Generator().manual_seed(seed)
    feat_dim = encoder.net[-1].out_channels
    n_sizes = len(sizes) if len(sizes) > 1 else 0
    head = nn.Linear(feat_dim, 10 + n_sizes)
    with torch.no_grad():  # a seeded head, independent of the global RNG the captioner draws from
        bound = 1 / feat_dim**0.5
        head.weight.copy_(torch.rand(head.weight.shape, generator=g) * 2 * bound - bound)
        head.bias.zero_()
    scenes = make_scenes(digits, labels, steps * batch, seed=seed, size=28, max_digits=1, sizes=sizes)
    images = torch.from_numpy(scenes.images)[:, None]
    targets = torch.tensor([s.labels[0] for s in scenes.scenes])
    size_targets = torch.tensor([sizes.index(s.sizes[0]) if n_sizes else 0 for s in scenes.scenes])
    encoder.requires_grad_(True)  # a captioner built with freeze_encoder=True hands it over frozen
    params = [*encoder.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    encoder.train()
    tail_loss, tail_hit, tail_size, tail_n = 0.0, 0, 0, 0
    for step in range(steps):
        rows = slice(step * batch, (step + 1) * batch)
        x, y, z = images[rows], targets[rows], size_targets[rows]
        out = head(encoder(x).mean((2, 3)))
        logits, size_logits = out[:, :10], out[:, 10:]
        loss = nn.functional.cross_entropy(logits, y)
        if n_sizes:
            loss = loss + nn.functional.cross_entropy(size_logits, z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= steps - max(1, steps // 10):
            tail_loss += float(loss.detach()) * len(y)
            tail_hit += int((logits.argmax(-1) == y).sum())
            tail_size += int((size_logits.argmax(-1) == z).sum()) if n_sizes else len(y)
            tail_n += len(y)
    encoder.zero_grad(set_to_none=True)
    encoder.eval()  # the caller decides whether it trains on (the model's freeze_encoder)
    return {"loss": tail_loss / tail_n, "accuracy": tail_hit / tail_n, "size_accuracy": tail_size / tail_n}
