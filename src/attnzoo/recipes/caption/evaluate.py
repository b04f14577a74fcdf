"""Test-split evaluation of a captioner: BLEU-1..4 (sacrebleu, multi-reference) and attention grounding."""

from __future__ import annotations

import numpy as np
import torch

from attnzoo.data.scenes import SceneSet
from attnzoo.models.show_attend_tell import ShowAttendTell
from attnzoo.recipes.caption.grounding import Grounding, digit_word_boxes, grounding, summarize_grounding

__all__ = ["bleu_scores", "decode_scenes", "evaluate_variant"]


def bleu_scores(hyps: list[list[str]], refs: list[list[list[str]]]) -> dict[str, float]:
    """Corpus BLEU-1..4 in [0, 1] with sacrebleu (no re-tokenisation), a variable number of references.

    BLEU-n is the geometric mean of the 1..n-gram precisions times the brevity penalty (as in the
    coco-caption scorer); a scene's missing references are passed as None, which sacrebleu skips.
    """
    from sacrebleu.metrics import BLEU

    if len(hyps) != len(refs) or not hyps:
        raise ValueError(f"need as many reference sets as hypotheses (> 0), got {len(refs)} and {len(hyps)}")
    k = max(len(r) for r in refs)
    streams = [[" ".join(r[j]) if j < len(r) else None for r in refs] for j in range(k)]
    h = [" ".join(x) for x in hyps]
    return {
        f"BLEU-{n}": BLEU(tokenize="none", max_ngram_order=n, effective_order=False)
        .corpus_score(h, streams)
        .score
        / 100
        for n in range(1, 5)
    }


@torch.no_grad()
def decode_scenes(
    model: ShowAttendTell, scenes: SceneSet, vocab, *, beam_size: int, max_len: int, batch: int = 64
) -> tuple[list[list[str]], list[np.ndarray]]:
    """Captions of every scene and, per caption, its attention ``(len, h, w)`` (one map per word)."""
    model.eval()
    words, maps = [], []
    for i in range(0, len(scenes), batch):
        x = torch.from_numpy(scenes.images[i : i + batch])[:, None]
        g = model.generate(x, max_len=max_len, beam_size=beam_size or None)
        h, w = g.grid
        for r in range(x.shape[0]):
            toks = vocab.decode(g.tokens[r].tolist())
            words.append(toks)
            maps.append(g.alphas[r, : len(toks)].reshape(len(toks), h, w).numpy())
    return words, maps


def _ground(words, maps, scenes: SceneSet, keep) -> dict[str, float]:
    all_maps, all_boxes, missing = [], [], 0
    for toks, m, sc, k in zip(words, maps, scenes.scenes, keep, strict=True):
        if not k:
            continue
        pos, boxes, miss = digit_word_boxes(toks, sc)
        all_maps += [m[p] for p in pos]
        all_boxes += boxes
        missing += miss
    if not all_maps:
        return summarize_grounding(Grounding(np.zeros(0), np.zeros(0, bool), np.zeros(0)), missing)
    size = scenes.images.shape[1:]
    return summarize_grounding(grounding(np.stack(all_maps), all_boxes, size), missing)


def evaluate_variant(model: ShowAttendTell, scenes: SceneSet, vocab, *, beam_size: int, max_len: int) -> dict:
    """BLEU and grounding on all test scenes and on those with 1-2 and with 3-4 digits."""
    words, maps = decode_scenes(model, scenes, vocab, beam_size=beam_size, max_len=max_len)
    refs = [[list(c) for c in sc.captions] for sc in scenes.scenes]
    counts = np.array([len(sc.labels) for sc in scenes.scenes])
    res = {"all": {}, "1-2 digits": {}, "3-4 digits": {}}
    for name, keep in (("all", counts > 0), ("1-2 digits", counts <= 2), ("3-4 digits", counts >= 3)):
        if keep.any():
            idx = np.flatnonzero(keep)
            res[name] = {
                **bleu_scores([words[i] for i in idx], [refs[i] for i in idx]),
                # without attention the maps are all zero: there is nothing to ground
                **({} if model.config.attention == "none" else _ground(words, maps, scenes, keep)),
                "scenes": int(keep.sum()),
            }
    exact = [tuple(w) in sc.captions for w, sc in zip(words, scenes.scenes, strict=True)]
    res["all"]["exact"] = float(np.mean(exact))
    return {"metrics": res, "captions": words, "maps": maps}
