"""Figures of the ``ocr`` recipe: attention strips of test words, the most frequent character errors."""

from __future__ import annotations

from typing import Any

from attnzoo.viz._common import _new_figure
from attnzoo.viz.strip import attention_strip

__all__ = ["confusion_figure", "strips_figure"]


def _show(c: str) -> str:
    return {"": "∅", " ": "␣"}.get(c, c)


def strips_figure(images: list[Any], maps: list[Any], preds: list[str], refs: list[str]):
    """One attention strip per word, stacked (a new figure; each panel drawn by :func:`attention_strip`)."""
    import io

    from matplotlib.image import imread

    panels = []
    for img, w, p, r in zip(images, maps, preds, refs, strict=True):
        f = attention_strip(img, w, [_show(c) for c in p], title=f"read {p!r}  (truth {r!r})", column_width=4)
        buf = io.BytesIO()
        f.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        buf.seek(0)
        panels.append(imread(buf))
    fig = _new_figure((6.5, 1.9 * len(panels)))
    for i, px in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, i + 1)
        ax.imshow(px)
        ax.axis("off")
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
