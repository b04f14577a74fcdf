"""Generic line and fit plots (curves, scaling laws, regression fits): several series plus scatter points."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _figure_and_axes, _save, _to_numpy

__all__ = ["fit_plot", "line_plot"]


def _series(ys: Any, n: int | None, labels: Sequence[str] | None) -> list[tuple[str | None, np.ndarray]]:
    if isinstance(ys, Mapping):
        out = [(str(k), _to_numpy(v, f"ys[{k!r}]", 1)) for k, v in ys.items()]
    elif isinstance(ys, (list, tuple)) and ys and np.ndim(ys[0]) == 1:
        out = [(None, _to_numpy(v, f"ys[{i}]", 1)) for i, v in enumerate(ys)]
    else:
        arr = _to_numpy(ys, "ys", (1, 2))
        out = [(None, row) for row in (arr[None] if arr.ndim == 1 else arr)]
    if labels is not None:
        if len(labels) != len(out):
            raise ValueError(f"labels has {len(labels)} entries but there are {len(out)} series")
        out = [(str(lab), y) for lab, (_, y) in zip(labels, out, strict=True)]
    for name, y in out:
        if n is not None and y.shape[0] != n:
            raise ValueError(f"series {name or ''} has {y.shape[0]} values but x has {n}".replace("  ", " "))
    return out


def line_plot(
    x: Any,
    ys: Any,
    *,
    labels: Sequence[str] | None = None,
    points: Mapping[str, tuple[Any, Any]] | None = None,
    bands: Mapping[str, tuple[Any, Any]] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    logx: bool = False,
    logy: bool = False,
    marker: str | None = None,
    ax: Any = None,
    path: str | os.PathLike | None = None,
    figsize: tuple[float, float] = (6.0, 4.0),
    dpi: int = 150,
):
    """Plot one or more y series against a shared x, plus optional scatter points and shaded bands.

    Args:
        x: ``(N,)`` x values, or ``None`` for ``0..N-1``.
        ys: one ``(N,)`` series, a ``(K, N)`` array, a list of ``(N,)`` series, or ``{name: (N,)}``.
        labels: names for the series when ``ys`` is not a dict (shown in the legend).
        points: ``{name: (px, py)}`` scatter points (e.g. measurements), each with its own x.
        bands: ``{name: (low, high)}`` shaded ``(N,)`` ranges over x (e.g. mean +- std).
        title, xlabel, ylabel: text.
        logx, logy: log scales.
        marker: matplotlib marker for the lines (e.g. "o").
        ax: draw into these axes.
        path: save a PNG here.
        figsize, dpi: size of a new figure; resolution of the PNG.

    Returns:
        The matplotlib ``Figure``.
    """
    series = _series(ys, None if x is None else len(_to_numpy(x, "x", 1)), labels)
    xs = np.arange(series[0][1].shape[0]) if x is None else _to_numpy(x, "x", 1)
    fig, ax = _figure_and_axes(ax, figsize)
    for name, (low, high) in (bands or {}).items():
        lo, hi = _to_numpy(low, f"bands[{name!r}] low", 1), _to_numpy(high, f"bands[{name!r}] high", 1)
        ax.fill_between(xs, lo, hi, alpha=0.2, label=name)
    for name, y in series:
        ax.plot(xs, y, marker=marker, label=name)
    for name, (px, py) in (points or {}).items():
        px, py = _to_numpy(px, f"points[{name!r}] x", 1), _to_numpy(py, f"points[{name!r}] y", 1)
        if px.shape != py.shape:
            raise ValueError(f"points[{name!r}] has {px.shape[0]} x values but {py.shape[0]} y values")
        ax.scatter(px, py, s=18, zorder=3, label=name)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    for setter, text in ((ax.set_title, title), (ax.set_xlabel, xlabel), (ax.set_ylabel, ylabel)):
        if text:
            setter(text)
    ax.grid(True, alpha=0.3)
    handles, names = ax.get_legend_handles_labels()  # unnamed series are left out
    if handles:
        ax.legend(handles, names, fontsize=8)
    _save(fig, path, dpi)
    return fig


def fit_plot(
    x: Any,
    y: Any,
    fits: Mapping[str, Callable[[np.ndarray], Any] | Any],
    *,
    grid: Any = None,
    data_label: str = "data",
    **kwargs: Any,
):
    """Scatter data ``(x, y)`` and draw fitted curves over it (e.g. a regression and the true function).

    Args:
        x, y: ``(N,)`` data points.
        fits: ``{name: f}`` with ``f`` a callable evaluated on ``grid``, or precomputed values on ``grid``.
        grid: x values for the curves; default 200 points spanning ``x``.
        data_label: legend name of the data points.
        **kwargs: passed to :func:`line_plot` (title, xlabel, ylabel, logx, logy, ax, path, ...).

    Returns:
        The matplotlib ``Figure``.
    """
    xd, yd = _to_numpy(x, "x", 1), _to_numpy(y, "y", 1)
    if xd.shape != yd.shape:
        raise ValueError(f"x has {xd.shape[0]} values but y has {yd.shape[0]}")
    g = np.linspace(xd.min(), xd.max(), 200) if grid is None else _to_numpy(grid, "grid", 1)
    curves = {name: np.asarray(f(g), dtype=np.float64) if callable(f) else f for name, f in fits.items()}
    return line_plot(g, curves, points={data_label: (xd, yd)}, **kwargs)
