"""Pictures of a Transformer: every head of every layer, and the positional-encoding table.

Multi-head attention as in Vaswani et al. 2017 (*Attention Is All You Need*, arXiv 1706.03762, Figs. 3-5
show single heads); the sinusoid table of its sec. 3.5. Functions take arrays (torch or numpy) and know
nothing of the modules that made them; matplotlib is imported lazily and draws on an Agg canvas.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _new_figure, _save, _to_numpy
from attnzoo.viz.heatmap import heatmap_grid

__all__ = ["plot_attention_grid", "plot_positional_encoding"]


def _layers(weights: Any, index: int, batched: bool) -> list[np.ndarray]:
    """Per-layer (H, L, S) arrays (H = 1 for head-averaged maps) of batch row ``index``."""
    if isinstance(weights, (list, tuple)):
        if not weights:
            raise ValueError("weights is empty: pass one attention map per layer")
        out = []
        for i, w in enumerate(weights):
            a = _to_numpy(w, f"weights[{i}]", (2, 3, 4))
            if a.ndim == 4 or (a.ndim == 3 and batched):  # (B, H, L, S) or head-averaged (B, L, S)
                if not -a.shape[0] <= index < a.shape[0]:
                    raise ValueError(f"index {index} is out of range for a batch of {a.shape[0]}")
                a = a[index]
            out.append(a if a.ndim == 3 else a[None])
        return out
    a = _to_numpy(weights, "weights", (2, 3, 4))
    if a.ndim == 2:
        return [a[None]]
    return [a] if a.ndim == 3 else list(a)  # (H, L, S) one layer, or (layers, H, L, S)


def plot_attention_grid(
    weights: Any,
    *,
    index: int = 0,
    batched: bool = True,
    query_labels: Sequence[Any] | None = None,
    key_labels: Sequence[Any] | None = None,
    layer_names: Sequence[str] | None = None,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    cmap: str = "viridis",
    share_scale: bool = True,
    panel_size: float = 2.2,
    dpi: int = 150,
):
    """One heatmap per head (columns) and layer (rows): where each head looks.

    Args:
        weights: what attnzoo's Transformer modules return with ``return_attention=True``: a tuple with one
            map per layer, each (B, H, L, S) (``average_weights=False``) or (B, L, S) (averaged); or one
            array (layers, H, L, S), (H, L, S) or (L, S) with no batch dimension.
        index: which batch row to draw.
        batched: whether 3-D maps in a tuple are (B, L, S) (True) or unbatched (H, L, S) (False).
        query_labels, key_labels: token strings for the rows / columns of each map.
        layer_names: one name per layer (default "layer 0", ...).
        title: figure title.
        path: save a PNG here.
        cmap, share_scale, panel_size, dpi: as :func:`attnzoo.viz.heatmap_grid`.

    Returns:
        The matplotlib ``Figure``.
    """
    layers = _layers(weights, index, batched)
    heads = max(a.shape[0] for a in layers)
    names = list(layer_names) if layer_names is not None else [f"layer {i}" for i in range(len(layers))]
    if len(names) != len(layers):
        raise ValueError(f"layer_names has {len(names)} entries but there are {len(layers)} layers")
    col_titles = [f"head {h}" for h in range(heads)] if heads > 1 else ["mean over heads"]
    return heatmap_grid(
        [list(a) for a in layers],
        row_titles=names,
        col_titles=col_titles,
        row_labels=query_labels,
        col_labels=key_labels,
        suptitle=title,
        path=path,
        cmap=cmap,
        share_scale=share_scale,
        panel_size=panel_size,
        dpi=dpi,
    )


def plot_positional_encoding(
    encoding: Any,
    *,
    dims: Sequence[int] | None = None,
    title: str | None = "positional encoding",
    path: str | os.PathLike | None = None,
    cmap: str = "RdBu_r",
    dpi: int = 150,
):
    """The encoding table as a heatmap (position x dimension) and a few dimensions as curves.

    Args:
        encoding: (N, D) table, e.g. ``attnzoo.nn.sinusoidal_encoding(100, 64)`` or a learned
            ``LearnedPositionalEncoding.embedding.weight``.
        dims: dimensions to draw as curves over position (default: up to four even (sine) dimensions
            from fast to slow).
        title: figure title.
        path: save a PNG here.
        cmap: colormap of the heatmap (diverging: the sinusoid table lies in [-1, 1]).
        dpi: resolution of the saved PNG.

    Returns:
        The matplotlib ``Figure`` (two axes: the table, then the curves).
    """
    pe = _to_numpy(encoding, "encoding", 2)
    N, D = pe.shape
    if dims is None:
        dims = sorted({d - d % 2 for d in (2, D // 8, D // 4, D // 2)} & set(range(D)))  # slower and slower
    dims = [int(d) for d in dims]
    bad = [d for d in dims if not 0 <= d < D]
    if bad:
        raise ValueError(f"dims {bad} are outside the encoding's {D} dimensions")
    fig = _new_figure((11.0, 3.8))
    ax_map, ax_curves = fig.subplots(1, 2, width_ratios=[1.3, 1.0])
    lim = float(np.abs(pe).max()) or 1.0
    im = ax_map.imshow(pe, cmap=cmap, aspect="auto", interpolation="nearest", vmin=-lim, vmax=lim)
    ax_map.set_xlabel("dimension")
    ax_map.set_ylabel("position")
    fig.colorbar(im, ax=ax_map, shrink=0.9)
    for d in dims:
        ax_curves.plot(np.arange(N), pe[:, d], label=f"dim {d}")
    ax_curves.set_xlabel("position")
    ax_curves.set_ylabel("value")
    ax_curves.legend(fontsize=8, loc="upper right")
    if title:
        fig.suptitle(title)
    _save(fig, path, dpi)
    return fig
