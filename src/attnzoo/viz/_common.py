"""Shared helpers: array conversion and display-free matplotlib figures (Agg canvas, no pyplot)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


def _to_numpy(x: Any, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` (torch tensor, numpy array or nested list) as a float64 numpy array; check ``ndim``."""
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch here
        x = x.detach().to("cpu").float().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}") from err
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {want}, got shape {tuple(arr.shape)}")
    return arr


def _new_figure(figsize: tuple[float, float]):
    """A matplotlib Figure on an Agg canvas: never needs a display and leaves pyplot's state alone."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _figure_and_axes(ax, figsize: tuple[float, float]):
    """``(fig, ax)``: the given axes' figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(figsize)
    return fig, fig.add_subplot()


def _save(fig, path: str | os.PathLike | None, dpi: int = 150) -> None:
    """Save ``fig`` as PNG at ``path`` (parents created) when a path is given."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")


def _check_labels(labels, n: int, name: str, axis: str) -> list[str] | None:
    if labels is None:
        return None
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels but the weights have {n} {axis}")
    return labels
