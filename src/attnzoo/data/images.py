"""Image classification data as tensors: a fixed train/validation/test split, batched augmentation (random
crops after zero padding, horizontal flips) and standardisation by the training split's pixel statistics.

Knows nothing of models. Images are uint8 ``(N, C, H, W)`` tensors (MNIST-like arrays get ``C = 1``);
augmentation draws from the global torch RNG, which :class:`attnzoo.train.Trainer` checkpoints, so a
resumed run draws the same crops and flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["ImageSplit", "Normalise", "augment_images", "split_images"]


@dataclass
class ImageSplit:
    """One split as tensors.

    Shape:
        images: uint8 ``(N, C, H, W)``; labels: int64 ``(N,)``.
    """

    images: Tensor
    labels: Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def split_images(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    val_size: int,
    train_limit: int | None = None,
    test_limit: int | None = None,
    seed: int = 0,
) -> dict[str, ImageSplit]:
    """Hold ``val_size`` random training images out for model selection, keep ``train_limit`` of the rest
    and the first ``test_limit`` test images.

    The held-out images depend only on ``seed`` (a generator of its own, not the global RNG), so every model
    and training seed of a comparison sees the same validation set.

    Args:
        train: ``(images, labels)`` arrays of the training split, e.g. from
            :func:`attnzoo.data.load_mnist_like`.
        test: the same for the test split.
        val_size: training images held out, in ``[1, N - 1]``.
        train_limit: keep only this many of the remaining training images (None: all).
        test_limit: keep only the first this many test images (None: all).
        seed: seeds the choice of the held-out images.

    Returns:
        ``{"train", "val", "test"}`` -> :class:`ImageSplit`.

    Shape:
        images ``(N, H, W)`` uint8, labels ``(N,)`` -> each split's images ``(n, 1, H, W)``.
    """
    images, labels = train
    n = len(labels)
    if not 0 < val_size < n:
        raise ValueError(f"val_size must be in [1, {n - 1}] (the training split has {n}), got {val_size}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    val_idx, train_idx = perm[:val_size], perm[val_size:]
    if train_limit is not None:
        train_idx = train_idx[:train_limit]

    def make(imgs: np.ndarray, labs: np.ndarray) -> ImageSplit:
        return ImageSplit(torch.from_numpy(np.ascontiguousarray(imgs)).unsqueeze(1), torch.from_numpy(labs))

    test_images, test_labels = test[0][:test_limit], test[1][:test_limit]
    return {
        "train": make(images[train_idx], labels[train_idx]),
        "val": make(images[val_idx], labels[val_idx]),
        "test": make(test_images, test_labels),
    }


def augment_images(x: Tensor, pad: int, flip: bool) -> Tensor:
    """Random crop after zero padding by ``pad`` pixels, and random horizontal flips, one draw per image.

    Uses the global torch RNG (saved in every checkpoint, so a resumed run draws the same crops).

    Args:
        x: a batch of float images (zero must be the background: the padding is zeros).
        pad: pixels of zero padding on each side before the crop (0: no crops).
        flip: flip each image left-right with probability 1/2.

    Shape:
        x: (B, C, H, W) -> (B, C, H, W).
    """
    B, C, H, W = x.shape
    if pad > 0:
        xp = F.pad(x, (pad, pad, pad, pad))  # (B, C, H + 2p, W + 2p); zero is the background here
        dy, dx = torch.randint(0, 2 * pad + 1, (2, B, 1))
        rows = (torch.arange(H) + dy)[:, None, :, None]  # (B, 1, H, 1)
        cols = (torch.arange(W) + dx)[:, None, None, :]  # (B, 1, 1, W)
        x = xp[torch.arange(B)[:, None, None, None], torch.arange(C)[None, :, None, None], rows, cols]
    if flip:
        x = torch.where(torch.rand(B, 1, 1, 1) < 0.5, x.flip(-1), x)
    return x


class Normalise:
    """uint8 images -> float, standardised by the training split's pixel mean and std (one scalar each).

    Shape:
        images ``(B, C, H, W)`` uint8 -> float32 of the same shape.
    """

    def __init__(self, train: ImageSplit) -> None:
        pixels = train.images.float().div_(255)
        self.mean, self.std = float(pixels.mean()), float(pixels.std())

    def __call__(self, images: Tensor) -> Tensor:
        return self.standardise(images.float() / 255)

    def standardise(self, x: Tensor) -> Tensor:
        """Float images in [0, 1] -> standardised."""
        return (x - self.mean) / self.std
