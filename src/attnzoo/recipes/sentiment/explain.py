"""Classifying one review with a saved bundle and each word's attention (``attnzoo explain``)."""

from __future__ import annotations

import html as _html
import logging
import os
from pathlib import Path
from typing import NamedTuple

import torch

from attnzoo.data.text import (
    UNK_ID,
    tokenize,
)
from attnzoo.recipes.sentiment.bundle import DEFAULT_CHECKPOINT, load_bundle

__all__ = ["Explanation", "above_uniform", "explain"]

log = logging.getLogger("attnzoo.sentiment")


def above_uniform(weights: list[float]) -> list[float]:
    """``max(0, alpha_t * n - 1)``: how far each of ``n`` weights exceeds a uniform share ``1 / n``.

    Word attention after a short training run is often close to uniform, and shading raw weights (scaled to
    the largest) then colours every word nearly alike; shading this excess shows which words stand out.
    """
    n = len(weights)
    return [max(0.0, w * n - 1.0) for w in weights]


class _ExplanationFields(NamedTuple):
    label: str
    prob: float
    words: list[str]
    weights: list[float]


class Explanation(_ExplanationFields):
    """``(label, prob, words, weights)``: the predicted label, its probability, the words the model read
    (after tokenising and truncating; ``[word]`` = outside the vocabulary) and each word's attention weight.
    Unpacks as those four; ``note`` says when something is off (empty review, no known word, truncated)."""

    note: str

    def __new__(cls, label: str, prob: float, words: list[str], weights: list[float], note: str = ""):
        self = super().__new__(cls, label, prob, words, weights)
        self.note = note
        return self

    def format(self) -> str:
        """A terminal rendering: the label, then the words shaded by attention, then the note."""
        from attnzoo.viz import highlight_words_terminal

        lines = [f"{self.label} (probability {self.prob:.3f})"]
        if self.words:  # shaded by the excess over a uniform share (see above_uniform)
            lines.append(highlight_words_terminal(self.words, above_uniform(self.weights)))
        if self.note:
            lines.append(f"note: {self.note}")
        return "\n".join(lines)


def explain(
    text: str, checkpoint: str | os.PathLike | None = None, html: str | os.PathLike | None = None
) -> Explanation:
    """Classify one review and return each word's attention weight.

    Args:
        text: the review.
        checkpoint: a ``model.safetensors`` written by the sentiment recipe, or its run folder; default
            ``runs/sentiment/model.safetensors`` (what ``attnzoo run sentiment`` writes).
        html: also write the review, shaded by attention, to this HTML file.

    Returns:
        :class:`Explanation`. An empty review gets the model's prior (its answer to no words, from the bias
        alone), no words and a note; a review of only unknown words is classified from its ``<unk>`` tokens,
        with a note saying so.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    model, vocab, labels, max_len, _ = load_bundle(DEFAULT_CHECKPOINT if checkpoint is None else checkpoint)
    tokens = tokenize(text)
    words, notes = tokens[:max_len], []
    ids = vocab.encode(words)
    if not words:
        notes.append("the review has no words; this is the model's prior (its answer to an empty input)")
    elif all(i == UNK_ID for i in ids):
        notes.append("none of its words is in the model's vocabulary; the answer rests on <unk> tokens alone")
    if len(tokens) > max_len:
        notes.append(f"only the first {max_len} of {len(tokens)} words were read")
    x = torch.tensor([ids or [0]], dtype=torch.long)
    with torch.no_grad():
        out = model(x, torch.tensor([len(ids)]), return_attention=True)
    probs = torch.softmax(out.logits[0], -1)
    k = int(probs.argmax())
    weights = out.weights[0, : len(ids)].tolist() if out.weights is not None else [0.0] * len(ids)
    shown = [w if i != UNK_ID else f"[{w}]" for w, i in zip(words, ids, strict=True)]
    result = Explanation(labels[k], float(probs[k]), shown, weights, "; ".join(notes))
    for n in notes:
        log.debug("explain: %s", n)  # the note travels with the result; the CLI prints it
    if html is not None:
        _write_html(Path(html), result)
    return result


def _write_html(path: Path, r: Explanation) -> None:
    from attnzoo.viz import highlight_words_html

    body = highlight_words_html(r.words, above_uniform(r.weights)) if r.words else "<p>(no words)</p>"
    note = f"<p><em>{_html.escape(r.note)}</em></p>" if r.note else ""
    path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>attnzoo explain</title><h1>{_html.escape(r.label)} "
        f"({r.prob:.3f})</h1>{body}{note}"
        "<p>Shade and tooltip: attention weight above a uniform share, alpha_t * n - 1; "
        "[words] are outside the vocabulary.</p>",
        encoding="utf-8",
    )
