"""Metrics of text recognition: word accuracy, character accuracy, normalised edit distance.

One definition everywhere: the training logs (``eval/word_acc``...) and the test tables call the same
function, :func:`text_metrics`. Edit distances come from ``rapidfuzz`` (unit-cost Levenshtein).
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

__all__ = ["text_metrics"]


def text_metrics(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Scores of predicted strings against references (exact, case- and accent-sensitive comparison).

    Returns:
        ``word_acc``: fraction of predictions equal to their reference (exact match).
        ``char_acc``: ``1 - (total edit distance) / (total reference characters)``, i.e. 1 - CER; it can
            go below 0 when predictions are much longer than the references.
        ``ned``: mean over words of ``distance / max(len(pred), len(ref))`` (0 = all right, 1 = nothing in
            common; the ICDAR 2019 normalisation).
    """
    if len(predictions) != len(references):
        raise ValueError(
            f"predictions and references must have the same length, got {len(predictions)} and "
            f"{len(references)}"
        )
    if not references:
        raise ValueError("references must not be empty")
    dist = [Levenshtein.distance(p, r) for p, r in zip(predictions, references, strict=True)]
    ref_chars = sum(len(r) for r in references)
    n = len(references)
    return {
        "word_acc": sum(p == r for p, r in zip(predictions, references, strict=True)) / n,
        "char_acc": 1.0 - sum(dist) / max(ref_chars, 1),
        "ned": sum(
            Levenshtein.normalized_distance(p, r) for p, r in zip(predictions, references, strict=True)
        )
        / n,
    }
