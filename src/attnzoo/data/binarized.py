"""Binarised images for Bernoulli likelihoods: each pixel is 1 with probability ``intensity / 255``.

Two conventions exist in the literature. *Fixed* stochastic binarisation samples every image once with a
seed and keeps it, as the standard "binarized MNIST" of Salakhutdinov & Murray (2008) / Larochelle & Murray
(2011) does (its 50,000 / 10,000 / 10,000 train / validation / test split is
:func:`binarized_mnist_splits`); likelihoods are then comparable across runs. *Dynamic* binarisation
re-samples at every access, a regulariser that gives better test numbers on the fixed test set.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import Dataset

from attnzoo.data.idx import load_mnist_like

__all__ = ["BinarizedImages", "binarize", "binarized_mnist_splits"]

_MODES = ("fixed", "dynamic")


def _check_images(images: np.ndarray) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 3:
        got = f"{images.dtype} {images.shape}" if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(f"images must be a uint8 array (N, H, W), got {got}")


def binarize(images: np.ndarray, seed: int) -> np.ndarray:
    """One stochastic binarisation: ``pixel ~ Bernoulli(intensity / 255)``, reproducible from ``seed``.

    Shape:
        images: uint8 (N, H, W) -> uint8 (N, H, W) of 0 and 1.
    """
    _check_images(images)
    rng = np.random.default_rng(seed)
    return (rng.random(images.shape, dtype=np.float32) < images / np.float32(255)).astype(np.uint8)


class BinarizedImages(Dataset):
    """A dataset of binarised images ``(x,)`` with ``x`` float32 (1, H, W) of 0 and 1.

    Args:
        images: uint8 (N, H, W) grey levels.
        mode: "fixed": binarised once here from ``seed`` (every epoch sees the same bits); "dynamic":
            re-sampled at each ``__getitem__`` from torch's global RNG (the trainer seeds it).
        seed: seed of the fixed binarisation (unused when dynamic).
    """

    def __init__(self, images: np.ndarray, *, mode: str = "fixed", seed: int = 0) -> None:
        _check_images(images)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.mode = mode
        if mode == "fixed":
            self.data = torch.from_numpy(binarize(images, seed)).float().unsqueeze(1)  # (N, 1, H, W)
        else:
            self.data = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255).unsqueeze(1)

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor]:
        x = self.data[i]
        if self.mode == "dynamic":
            x = torch.bernoulli(x)
        return (x,)

    def head(self, n: int | None) -> BinarizedImages:
        """The first ``n`` images (the same bits) as a new dataset; ``None``: all of them."""
        if n is not None and (not isinstance(n, int) or n < 1):
            raise ValueError(f"n must be a positive int or None, got {n!r}")
        out = object.__new__(BinarizedImages)
        out.mode, out.data = self.mode, self.data if n is None else self.data[:n]
        return out

    def tensor(self) -> torch.Tensor:
        """All images at once, (N, 1, H, W) float32 (the probabilities when dynamic)."""
        return self.data


def binarized_mnist_splits(
    root_or_name: str | os.PathLike = "mnist",
    *,
    mode: str = "fixed",
    seed: int = 0,
    n_validation: int = 10_000,
    limit: int | None = None,
) -> dict[str, BinarizedImages]:
    """Train / validation / test binarised MNIST from the full MNIST arrays.

    The last ``n_validation`` training images are the validation set (50,000 / 10,000 / 10,000 for MNIST,
    the standard split). The test set is always binarised once (``seed + 2``) so test numbers stay fixed even
    when training is dynamic; train and validation use ``seed`` and ``seed + 1``.

    Args:
        root_or_name: folder of IDX files or a registered dataset name.
        mode: "fixed" or "dynamic" for the train split (validation and test are fixed).
        seed: base seed of the binarisations.
        n_validation: images held out of the training split.
        limit: keep at most this many images per split (quick runs), taken after the split.
    """
    train, _ = load_mnist_like(root_or_name, "train")
    test, _ = load_mnist_like(root_or_name, "test")
    if not 0 < n_validation < len(train):
        raise ValueError(f"n_validation must be in 1..{len(train) - 1}, got {n_validation}")
    tr, va = train[:-n_validation], train[-n_validation:]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be a positive int or None, got {limit}")
        tr, va, test = tr[:limit], va[:limit], test[:limit]
    return {
        "train": BinarizedImages(tr, mode=mode, seed=seed),
        "validation": BinarizedImages(va, mode="fixed", seed=seed + 1),
        "test": BinarizedImages(test, mode="fixed", seed=seed + 2),
    }
