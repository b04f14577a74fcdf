"""Figures of the ``ocr`` recipe: attention strips of test words, the most frequent character errors."""

from __future__ import annotations

from typing import Any

from attnzoo.viz._common import _new_figure
from attnzoo.viz.strip import attention_strip

__all__ = ["confusion_figure", "strips_figure"]


def _show(c: str) -> str:
    return {"": "∅", " ": "␣"}.get(c, c)


def strips_figure(images: list[Any], maps: list[Any], preds: list[str], refs: list[str]):
    """One attention strip per word (:func:`attention_strip`), stacked in one figure."""
    ratios = []
    for p in preds:
        ratios += [2.0, 0.6 * max(len(p), 1)]
    fig = _new_figure((6.0, 0.45 * sum(ratios) + 0.5 * len(preds)))
    axes = fig.subplots(len(ratios), 1, height_ratios=ratios)
    for k, (img, w, p, r) in enumerate(zip(images, maps, preds, refs, strict=True)):
        attention_strip(
            img,
            w,
            [_show(c) for c in p],
            title=f"read {p!r}  (truth {r!r})",
            column_width=4,
            axes=(axes[2 * k], axes[2 * k + 1]),
        )
        axes[2 * k].set_xlim(0, max(im.shape[-1] for im in images))
        axes[2 * k + 1].set_xlim(0, max(im.shape[-1] for im in images))
    return fig


def confusion_figure(confusions: dict[str, list[tuple[str, str, int]]]):
    """Horizontal bars of the most frequent (truth -> read) character errors, one panel per reader."""
    names = list(confusions)
    fig = _new_figure((3.4 * len(names), 4.2))
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        rows = confusions[name][::-1]
        ax.barh(range(len(rows)), [n for _, _, n in rows], color="#c0504d")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{_show(a)} → {_show(b)}" for a, b, _ in rows], fontsize=9)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("errors on the test set", fontsize=8)
        if not rows:
            ax.text(0.5, 0.5, "no errors", ha="center", va="center", transform=ax.transAxes)
    return fig
