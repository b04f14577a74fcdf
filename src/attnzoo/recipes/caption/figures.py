"""Figures of the caption recipe: per-word attention over the image (the paper's figure style)."""

from __future__ import annotations

import numpy as np

from attnzoo.viz import image_overlay

__all__ = ["attention_figure"]


def attention_figure(image: np.ndarray, rows: dict[str, tuple[list[str], np.ndarray]], *, per_row: int = 8):
    """One figure: for each variant, its caption word by word, each word over its attention map.

    Args:
        image: ``(H, W)`` in [0, 1].
        rows: variant name -> (words, maps ``(len(words), h, w)``); maps of "none" are skipped.
        per_row: panels a row; long captions wrap.

    Returns: the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    blocks = []
    for name, (words, maps) in rows.items():
        panels = [(f"{name}: input", None)] + [(w, maps[i]) for i, w in enumerate(words)]
        blocks += [panels[i : i + per_row] for i in range(0, len(panels), per_row)]
    fig, axes = plt.subplots(len(blocks), per_row, figsize=(1.4 * per_row, 1.55 * len(blocks)), squeeze=False)
    for r, block in enumerate(blocks):
        for c in range(per_row):
            ax = axes[r, c]
            if c >= len(block):
                ax.set_axis_off()
                continue
            title, m = block[c]
            if m is None:
                ax.imshow(image, cmap="gray", vmin=0, vmax=1)
                ax.set_axis_off()
                ax.set_title(title, fontsize=8)
            else:
                image_overlay(image, m, ax=ax, mode="nearest", title=title)
                ax.title.set_fontsize(9)
    fig.tight_layout()
    return fig
