"""Per-word attention as coloured text: HTML spans for reports, ANSI background shades for terminals."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from attnzoo.viz._common import _to_numpy

__all__ = ["highlight_words_html", "highlight_words_terminal"]

# xterm-256 colours from white to red: 16 + 36 * 5 + 7 * g for g = 5..0
_ANSI_SHADES = (231, 224, 217, 210, 203, 196)


def _levels(words: Sequence[Any], weights: Any, normalise: bool) -> np.ndarray:
    w = _to_numpy(weights, "weights", 1)
    if len(words) != w.shape[0]:
        raise ValueError(f"words has {len(words)} items but weights has {w.shape[0]}")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite (got NaN or inf)")
    if (w < 0).any():
        raise ValueError(f"weights must be >= 0, got min {w.min():.3g}")
    if normalise:
        return w / w.max() if w.size and w.max() > 0 else w
    if (w > 1).any():
        raise ValueError(f"with normalise=False weights must be in [0, 1], got max {w.max():.3g}")
    return w


def highlight_words_html(
    words: Sequence[Any],
    weights: Any,
    *,
    color: tuple[int, int, int] = (230, 60, 40),
    normalise: bool = True,
) -> str:
    """Words as HTML spans whose background opacity is the word's attention weight.

    Args:
        words: the tokens, shown as given (HTML-escaped).
        weights: one non-negative weight per word (torch or numpy).
        color: RGB of the highlight.
        normalise: scale so the largest weight is fully coloured; else weights must lie in [0, 1].

    Returns:
        ``<div class="attnzoo-words">`` holding one ``<span>`` per word (the weight is in its tooltip).

    Shape:
        weights: ``(len(words),)``.
    """
    raw = _to_numpy(weights, "weights", 1)
    levels = _levels(words, weights, normalise)
    r, g, b = color
    spans = [
        f'<span style="background-color: rgba({r}, {g}, {b}, {a:.3f}); padding: 0 2px; border-radius: 3px" '
        f'title="{v:.4f}">{html.escape(str(word))}</span>'
        for word, a, v in zip(words, levels, raw, strict=True)
    ]
    return '<div class="attnzoo-words" style="line-height: 1.9">' + " ".join(spans) + "</div>"


def highlight_words_terminal(words: Sequence[Any], weights: Any, *, normalise: bool = True) -> str:
    """Words with ANSI 256-colour backgrounds, white (no attention) to red (most), black text.

    Args:
        words: the tokens.
        weights: one non-negative weight per word.
        normalise: scale so the largest weight gets the strongest shade; else weights must lie in [0, 1].

    Returns:
        One string; each word is wrapped in ``ESC[30;48;5;<shade>m`` ... ``ESC[0m``, words joined by spaces.
    """
    levels = _levels(words, weights, normalise)
    top = len(_ANSI_SHADES) - 1
    return " ".join(
        f"\x1b[30;48;5;{_ANSI_SHADES[round(float(a) * top)]}m{word}\x1b[0m"
        for word, a in zip(words, levels, strict=True)
    )
