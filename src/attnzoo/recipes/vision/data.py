"""The ``vision`` recipe's data: an MNIST-like dataset read from IDX files and split once."""

from __future__ import annotations

import functools
from pathlib import Path

from attnzoo.data.images import ImageSplit, split_images
from attnzoo.recipes.vision.config import CLASS_NAMES, VisionConfig

__all__ = ["load", "load_once"]


def load(cfg: VisionConfig) -> tuple[dict[str, ImageSplit], list[str]]:
    """The train/val/test splits of ``cfg``'s dataset (fetched if needed) and its class names."""
    from attnzoo.data import fetch, load_mnist_like

    root = Path(cfg.data_dir) if cfg.data_dir else fetch(cfg.dataset)
    train, test = load_mnist_like(root, "train"), load_mnist_like(root, "test")
    data = split_images(
        train, test, val_size=cfg.val_size, train_limit=cfg.train_limit, test_limit=cfg.test_limit
    )
    num_classes = int(max(train[1].max(), test[1].max())) + 1
    names = CLASS_NAMES.get(cfg.dataset) if not cfg.data_dir else None
    if names is None or len(names) != num_classes:
        names = tuple(str(c) for c in range(num_classes))
    return data, list(names)


@functools.lru_cache(maxsize=1)
def load_once(cfg: VisionConfig) -> tuple[dict[str, ImageSplit], list[str]]:
    """:func:`load` once per worker process, however many jobs it takes."""
    return load(cfg)
