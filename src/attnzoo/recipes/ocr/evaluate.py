"""Reading a rendered set with a trained reader, and scoring it."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np
import torch
from rapidfuzz.distance import Levenshtein
from torch.utils.data import Dataset

from attnzoo.data.text_images import CharVocab, collate_images
from attnzoo.models.attention_ocr import CTCOCR

__all__ = ["Readings", "char_confusions", "read_dataset", "read_images"]


class Readings(NamedTuple):
    """What a reader read on a set, in the set's order."""

    predictions: list[str]
    references: list[str]
    attention: list[np.ndarray | None]  # per image (T_pred, S_real) weights (attention readers), else None


@torch.no_grad()
def read_images(
    model: torch.nn.Module, images: list[torch.Tensor], vocab: CharVocab, *, beam_size: int = 1
) -> tuple[list[str], list[np.ndarray | None]]:
    """Read a list of ``(1, H, W)`` images; returns the strings and per image attention ``(T, S)`` or None."""
    batch = collate_images([(im, "") for im in images], vocab)
    was_training = model.training
    model.eval()
    try:
        if isinstance(model, CTCOCR):
            ids = model.read(batch["images"], batch["widths"])
            return [vocab.decode(i) for i in ids], [None] * len(images)
        r = model.read(batch["images"], batch["widths"], beam_size=beam_size)
        texts, maps = [], []
        for b in range(len(images)):
            n = int(r.lengths[b])
            texts.append(vocab.decode(r.tokens[b, :n].tolist()))
            S = int(r.mask[b].sum())
            maps.append(r.attention[b, :n, :S].numpy())
        return texts, maps
    finally:
        model.train(was_training)


def read_dataset(
    model: torch.nn.Module, dataset: Dataset, vocab: CharVocab, *, batch_size: int = 64, beam_size: int = 1
) -> Readings:
    """Read every item ``(image, word)`` of ``dataset``."""
    preds, refs, maps = [], [], []
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        texts, att = read_images(model, [im for im, _ in items], vocab, beam_size=beam_size)
        preds += texts
        maps += att
        refs += [w for _, w in items]
    return Readings(preds, refs, maps)


def char_confusions(
    predictions: list[str], references: list[str], top: int = 15
) -> list[tuple[str, str, int]]:
    """The most frequent character errors ``(reference char, predicted char, count)``.

    From rapidfuzz's Levenshtein edit operations: a substitution is ``(a, b)``, a deletion ``(a, "")``
    (the reader missed ``a``), an insertion ``("", b)``.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for p, r in zip(predictions, references, strict=True):
        for op in Levenshtein.editops(r, p):
            if op.tag == "replace":
                counts[(r[op.src_pos], p[op.dest_pos])] += 1
            elif op.tag == "delete":
                counts[(r[op.src_pos], "")] += 1
            else:
                counts[("", p[op.dest_pos])] += 1
    return [(a, b, n) for (a, b), n in counts.most_common(top)]
