"""MNIST-derived tasks of Recurrent Models of Visual Attention (Mnih et al.; arXiv 1406.6247, section 4.1):
translated MNIST (the 28x28 digit at a random place of a larger empty canvas) and cluttered translated
MNIST (the same, plus 8x8 pieces cut from other random digits of the same split at random places).

Every sample is a pure function of ``(seed, index)``: its random numbers come from a counter-based hash
(splitmix64 of seed, index and a stream number), so any subset of indices can be generated in any order
with the same result, in one vectorised pass (no per-sample loop). Nothing is cached on disk: regenerating
a batch of 60x60 images costs less than the network's step, while caching 60k x 100x100 images would take
600 MB; a training run therefore sees the same fixed data set every epoch and resumes exactly.

Canvas values are uint8 in [0, 255]; pieces and the digit are combined with ``max``, so overlaps stay in
range and the digit is never dimmed by a distractor.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["MNIST_TASKS", "MnistTask", "cluttered_mnist", "translated_mnist"]

MNIST_TASKS = {  # task -> (canvas side, distractor pieces); the paper's settings
    "mnist": (28, 0),
    "translated": (60, 0),
    "cluttered": (60, 4),
    "cluttered100": (100, 8),
}

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective, well-mixed hash of uint64 counters."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _M64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
        return x ^ (x >> np.uint64(31))


def _randint(seed: int, index: np.ndarray, stream: int, high: int) -> np.ndarray:
    """An integer in [0, high) for each index, fixed by (seed, index, stream)."""
    with np.errstate(over="ignore"):
        key = _splitmix(np.uint64(seed) * np.uint64(0x100000001B3) + np.uint64(stream))
        h = _splitmix(index.astype(np.uint64) ^ key)
    return (h % np.uint64(high)).astype(np.int64)


def _check(images: np.ndarray, indices, size: int) -> np.ndarray:
    if not isinstance(images, np.ndarray) or images.ndim != 3 or images.dtype != np.uint8:
        got = f"{images.dtype} {images.shape}" if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(f"images must be a uint8 array (N, h, w), got {got}")
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= len(images)):
        raise ValueError(f"indices must be in [0, {len(images)}), got values in [{idx.min()}, {idx.max()}]")
    h, w = images.shape[1:]
    if size < max(h, w):
        raise ValueError(f"size must be >= the digit side {max(h, w)}, got {size}")
    return idx


def _paste_max(canvas: np.ndarray, patches: np.ndarray, top: np.ndarray, left: np.ndarray) -> None:
    """canvas[n, top:top+h, left:left+w] = max(canvas, patches[n]), for all n at once."""
    n, h, w = patches.shape
    rows = top[:, None, None] + np.arange(h)[None, :, None]  # (n, h, 1)
    cols = left[:, None, None] + np.arange(w)[None, None, :]  # (n, 1, w)
    sel = np.arange(n)[:, None, None]
    canvas[sel, rows, cols] = np.maximum(canvas[sel, rows, cols], patches)


def translated_mnist(
    images: np.ndarray, indices, *, size: int = 60, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Digits ``images[indices]`` each at a uniformly random place of an empty ``size x size`` canvas.

    Returns:
        ``(canvases, positions)``: uint8 (n, size, size) and int64 (n, 2) top-left ``(row, col)``.
    """
    return cluttered_mnist(images, indices, size=size, distractors=0, seed=seed)


def cluttered_mnist(
    images: np.ndarray, indices, *, size: int = 60, distractors: int = 4, piece: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Translated digits plus ``distractors`` ``piece x piece`` crops of other random digits of ``images``.

    Each distractor is cut at a random place of a random other image (never the digit's own) and put at a
    random place of the canvas, then the digit goes at a random place; all combined with ``max``.

    Returns:
        ``(canvases, positions)``: uint8 (n, size, size) and int64 (n, 2) the digit's top-left ``(row, col)``.
    """
    idx = _check(images, indices, size)
    n, (h, w), N = len(idx), images.shape[1:], len(images)
    if distractors and (N < 2 or piece > min(h, w) or piece > size):
        raise ValueError(
            f"distractors need >= 2 images and piece <= {min(h, w)}, got {N} images, piece {piece}"
        )
    canvas = np.zeros((n, size, size), dtype=np.uint8)
    for j in range(distractors):  # a loop over the few pieces, each vectorised over the batch
        s = 8 + 5 * j  # streams 8, 13, ...: source, crop row/col, place row/col
        src = (idx + 1 + _randint(seed, idx, s, N - 1)) % N  # any image but the digit's own
        r0, c0 = _randint(seed, idx, s + 1, h - piece + 1), _randint(seed, idx, s + 2, w - piece + 1)
        rows = r0[:, None, None] + np.arange(piece)[None, :, None]
        cols = c0[:, None, None] + np.arange(piece)[None, None, :]
        crops = images[src[:, None, None], rows, cols]  # (n, piece, piece)
        top = _randint(seed, idx, s + 3, size - piece + 1)
        left = _randint(seed, idx, s + 4, size - piece + 1)
        _paste_max(canvas, crops, top, left)
    top, left = _randint(seed, idx, 0, size - h + 1), _randint(seed, idx, 1, size - w + 1)
    _paste_max(canvas, images[idx], top, left)
    return canvas, np.stack([top, left], 1)


class MnistTask(Dataset):
    """A task of :data:`MNIST_TASKS` over MNIST-like arrays; items are indices, :meth:`collate` makes batches.

    ``collate`` generates the whole batch in one vectorised call, so use it as the DataLoader's
    ``collate_fn``; :meth:`batch` does the same for any indices (e.g. evaluation).

    Args:
        images: uint8 (N, 28, 28) digits; labels: (N,) classes.
        task: a key of :data:`MNIST_TASKS` ("mnist", "translated", "cluttered", "cluttered100").
        seed: fixes every sample's placement and distractors (keep it fixed across training seeds).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, task: str, seed: int = 0) -> None:
        if task not in MNIST_TASKS:
            raise ValueError(f"task must be one of {list(MNIST_TASKS)}, got {task!r}")
        if len(labels) != len(images):
            raise ValueError(f"labels must have {len(images)} entries like images, got {len(labels)}")
        self.images, self.labels, self.task, self.seed = images, np.asarray(labels), task, seed
        self.size, self.distractors = MNIST_TASKS[task]
        _check(images, [], self.size)

    @staticmethod
    def size_of(task: str) -> int:
        """Canvas side of ``task``."""
        if task not in MNIST_TASKS:
            raise ValueError(f"task must be one of {list(MNIST_TASKS)}, got {task!r}")
        return MNIST_TASKS[task][0]

    def __len__(self) -> int:
        return len(self.images)

    def positions(self, indices) -> np.ndarray:
        """(n, 2) top-left ``(row, col)`` of the digit in each generated image (zeros for "mnist")."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self.task == "mnist":
            return np.zeros((len(idx), 2), dtype=np.int64)
        return cluttered_mnist(self.images, idx, size=self.size, distractors=0, seed=self.seed)[1]

    def __getitem__(self, i: int) -> int:
        return int(i)

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images float (n, 1, size, size) in [0, 1], labels int64 (n,))`` for ``indices``."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self.task == "mnist":
            canvas = self.images[idx]
        else:
            canvas, _ = cluttered_mnist(
                self.images, idx, size=self.size, distractors=self.distractors, seed=self.seed
            )
        x = torch.from_numpy(canvas).float().div_(255).unsqueeze(1)
        return x, torch.from_numpy(self.labels[idx].astype(np.int64))

    def collate(self, items: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """DataLoader ``collate_fn``: the batch of the given indices."""
        return self.batch(items)
