"""One-sentence translation with a saved variant, and where its attention went (``attnzoo translate``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attnzoo.recipes.translate.evaluate import Alignment, align, translate_batch
from attnzoo.recipes.translate.models import DEFAULT_CHECKPOINT, load_model

__all__ = ["Translation", "translate_sentence"]

_log = logging.getLogger("attnzoo.recipes.translate")


@dataclass
class Translation:
    """A translated sentence and, for models with attention, where each target word looked."""

    source: str
    translation: str
    alignment: Alignment | None

    def format(self, top: int = 3) -> str:
        """The translation, then one line per target word with its ``top`` source words and weights."""
        lines = [self.translation]
        if self.alignment is None:
            return "\n".join([*lines, "(this model has no attention: one fixed context vector)"])
        a = self.alignment
        width = max(len(w) for w in a.target_words)
        for word, row in zip(a.target_words, a.weights, strict=True):
            best = np.argsort(-row)[:top]
            spread = ", ".join(f"{a.source_words[j]} {row[j]:.2f}" for j in best)
            lines.append(f"  {word:<{width}}  <- {spread}")
        return "\n".join(lines)


def translate_sentence(
    text: str, checkpoint: str | Path | None = None, plot: str | Path | None = None
) -> Translation:
    """Translate one sentence with a trained variant and return the attention of each target word.

    Args:
        text: the source sentence.
        checkpoint: a variant folder written by the recipe (holding ``model.json``), or a ``.safetensors``
            file inside one; default ``runs/translate/bahdanau``.
        plot: also save the word alignment heatmap here (PNG).

    Returns:
        :class:`Translation` (``.translation``, ``.alignment``, ``.format()``).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty sentence, got {text!r}")
    model, src_tok, tgt_tok, meta = load_model(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint)
    (ids,) = translate_batch(model, [text], src_tok, tgt_tok, beam_size=5, length_penalty=0.6)
    alignment = align(model, text, ids, src_tok, tgt_tok)
    if plot is not None and alignment is None:
        _log.warning("%s has no attention (one fixed context vector): no plot written", meta["variant"])
    if plot is not None and alignment is not None:
        from attnzoo import viz

        viz.attention_heatmap(
            alignment.weights,
            row_labels=alignment.target_words,
            col_labels=alignment.source_words,
            title=f"{meta['variant']}: attention over source words",
            xlabel="source",
            ylabel="target",
            annotate=True,
            path=plot,
        )
    return Translation(text, tgt_tok.decode(ids), alignment)
