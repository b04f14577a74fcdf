"""torch ``Dataset`` wrappers over the readers (images as float tensors, labels as int64)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from attnzoo.data.idx import load_mnist_like

__all__ = ["MnistLike"]


class MnistLike(Dataset):
    """MNIST / Fashion-MNIST split as a torch Dataset of ``(image (1, H, W) float in [0, 1], label)``.

    Args:
        root_or_name: folder of IDX files, or a registered dataset name ("mnist", "fashion-mnist").
        split: "train" or "test".
        transform: optional callable applied to each ``(1, H, W)`` image tensor.
        limit: keep only the first ``limit`` examples (for quick runs).
    """

    def __init__(
        self,
        root_or_name: str | os.PathLike,
        split: str = "train",
        *,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        limit: int | None = None,
    ) -> None:
        images, labels = load_mnist_like(root_or_name, split)
        if limit is not None:
            if limit < 1:
                raise ValueError(f"limit must be a positive int or None, got {limit}")
            images, labels = images[:limit], labels[:limit]
        self.images = torch.from_numpy(np.ascontiguousarray(images))  # (N, H, W) uint8
        self.labels = torch.from_numpy(labels)  # (N,) int64
        self.transform = transform

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[i].unsqueeze(0).float().div_(255.0)  # (1, H, W)
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[i]
