"""Evaluation of the ``translate`` recipe: batch decoding, sacrebleu scores, BLEU by source length, attention
pooled from subword pieces to words, and the test evaluation of one trained variant."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sacrebleu
import torch

from attnzoo.data.batching import collate_pairs
from attnzoo.data.subword import BOS_ID, EOS_ID, PAD_ID, SubwordTokenizer
from attnzoo.models.encdec import EncoderDecoder, generate, source_mask
from attnzoo.recipes.translate.data import TranslationData

_log = logging.getLogger("attnzoo.recipes.translate")

LENGTH_BUCKETS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 1000))


def _batched(n: int, size: int, lengths: Sequence[int]) -> list[list[int]]:
    order = sorted(range(n), key=lambda i: lengths[i])  # similar lengths together: less padding
    return [order[i : i + size] for i in range(0, n, size)]


def translate_batch(
    model: EncoderDecoder,
    sources: Sequence[str],
    src_tok: SubwordTokenizer,
    tgt_tok: SubwordTokenizer,
    *,
    beam_size: int | None = None,
    length_penalty: float = 0.0,
    batch_size: int = 64,
) -> list[list[int]]:
    """Decode each source sentence; returns target id lists (EOS and padding removed), in input order.

    ``beam_size=None`` is greedy search. The longest output allowed is ``2 * source pieces + 10``.
    """
    model.eval()
    ids = [src_tok.encode(s) for s in sources]
    out: list[list[int]] = [[] for _ in sources]
    rows = batch_size if beam_size is None else max(1, batch_size // beam_size)
    for idx in _batched(len(ids), rows, [len(x) for x in ids]):
        batch = collate_pairs([ids[i] for i in idx], [[] for _ in idx], idx)
        res = generate(
            model,
            batch.src,
            batch.src_lengths,
            bos=BOS_ID,
            eos=EOS_ID,
            max_len=2 * int(batch.src_lengths.max()) + 10,
            beam_size=beam_size,
            length_penalty=length_penalty,
        )
        for r, i in enumerate(idx):
            n = int(res.lengths[r])
            toks = res.tokens[r, :n].tolist()
            out[i] = toks[:-1] if toks and toks[-1] == EOS_ID else toks
    return out


def corpus_scores(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu defaults, detokenised text) against every reference of a source,
    and BLEU against one reference per pair (each (hypothesis, reference) pair a segment)."""
    width = max((len(r) for r in refs), default=1)
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    one_h = [h for h, r in zip(hyps, refs, strict=True) for _ in r]
    one_r = [x for r in refs for x in r]
    return {
        "bleu": sacrebleu.corpus_bleu(list(hyps), streams).score,
        "chrf": sacrebleu.corpus_chrf(list(hyps), streams).score,
        "bleu_1ref": sacrebleu.corpus_bleu(one_h, [one_r]).score,
    }


def bleu_by_length(
    sources: Sequence[str], hyps: Sequence[str], refs: Sequence[Sequence[str]], buckets=LENGTH_BUCKETS
) -> list[dict]:
    """Corpus BLEU within buckets of source length in words (Bahdanau et al. 2015, Figure 2)."""
    rows = []
    for lo, hi in buckets:
        idx = [i for i, s in enumerate(sources) if lo <= len(s.split()) <= hi]
        label = f"{lo}-{hi}" if hi < 1000 else f"{lo}+"
        if not idx:
            rows.append({"words": label, "n": 0, "bleu": float("nan")})
            continue
        sc = corpus_scores([hyps[i] for i in idx], [refs[i] for i in idx])
        rows.append({"words": label, "n": len(idx), "bleu": sc["bleu"]})
    return rows


@dataclass
class Alignment:
    """Attention of one translation, pooled to words: ``weights[i, j]`` for target word i, source word j."""

    source_words: list[str]
    target_words: list[str]
    weights: np.ndarray  # (T_words, S_words); each row sums to 1


def _word_groups(tok: SubwordTokenizer, ids: Sequence[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for k, start in enumerate(tok.word_starts(ids)):
        if start or not groups:
            groups.append([k])
        else:
            groups[-1].append(k)
    return groups


def _words(tok: SubwordTokenizer, ids: Sequence[int], groups: list[list[int]]) -> list[str]:
    return [tok.decode([ids[k] for k in g]) or tok.id_to_piece(ids[g[0]]) for g in groups]


@torch.no_grad()
def align(
    model: EncoderDecoder,
    source: str,
    target_ids: Sequence[int],
    src_tok: SubwordTokenizer,
    tgt_tok: SubwordTokenizer,
) -> Alignment | None:
    """Teacher-force ``target_ids`` (a decoded translation) and pool the attention to words.

    A target word's row is the mean of its pieces' rows (still a distribution over the source); a source
    word's column is the sum of its pieces' columns. The appended ``</s>`` is kept on both axes. Returns
    None for a model without attention.
    """
    model.eval()
    s_ids = src_tok.encode(source)
    b = collate_pairs([s_ids], [list(target_ids)])
    att = model(b.src, b.src_lengths, b.tgt_in, return_attention=True).attention
    if att is None:
        return None
    w = att[0, :, : len(s_ids) + 1].double().numpy()  # (T + 1, S + 1), rows: pieces of y, then </s>
    t_ids = list(target_ids)
    s_groups = [*_word_groups(src_tok, s_ids), [len(s_ids)]]
    t_groups = [*_word_groups(tgt_tok, t_ids), [len(t_ids)]]
    cols = np.stack([w[:, g].sum(1) for g in s_groups], 1)  # (T + 1, S_words)
    rows = np.stack([cols[g].mean(0) for g in t_groups], 0)  # (T_words, S_words)
    return Alignment(
        [*_words(src_tok, s_ids, s_groups[:-1]), "</s>"],
        [*_words(tgt_tok, t_ids, t_groups[:-1]), "</s>"],
        rows,
    )


@dataclass
class HeadMaps:
    """Every layer and head of a Transformer on one translation, pooled to words (as :class:`Alignment`).

    ``cross[l, h, i, j]``: decoder layer l, head h, target word i over source word j; ``encoder[l, h, i, j]``
    and ``rollout[i, j]`` (Abnar & Zuidema 2020, over the encoder layers): source word i over source word j.
    """

    source_words: list[str]
    target_words: list[str]
    cross: np.ndarray  # (N, H, T_words, S_words)
    encoder: np.ndarray  # (N, H, S_words, S_words)
    rollout: np.ndarray  # (S_words, S_words)


def _pool(w: np.ndarray, row_groups: list[list[int]], col_groups: list[list[int]]) -> np.ndarray:
    """Pieces to words over the last two axes: columns summed, rows averaged (rows stay distributions)."""
    cols = np.stack([w[..., g].sum(-1) for g in col_groups], -1)
    return np.stack([cols[..., g, :].mean(-2) for g in row_groups], -2)


@torch.no_grad()
def head_maps(
    model: EncoderDecoder,
    source: str,
    target_ids: Sequence[int],
    src_tok: SubwordTokenizer,
    tgt_tok: SubwordTokenizer,
) -> HeadMaps | None:
    """Teacher-force ``target_ids`` through a Transformer and keep every head; None for other models."""
    from attnzoo.viz import attention_rollout

    net = getattr(model, "net", None)
    if net is None or not hasattr(net, "encode"):
        return None
    model.eval()
    s_ids = src_tok.encode(source)
    b = collate_pairs([s_ids], [list(target_ids)])
    mask = source_mask(b.src_lengths, b.src.shape[1])
    out = net(b.src, b.tgt_in, src_key_padding_mask=mask, return_attention=True, average_weights=False)
    n = len(s_ids) + 1  # the pieces and </s>
    enc = [w[:, :, :n, :n].double() for w in out.encoder_weights]  # each (1, H, n, n)
    cross = torch.stack([w[0, :, :, :n] for w in out.decoder_cross_weights]).double().numpy()
    t_ids = list(target_ids)
    s_groups = [*_word_groups(src_tok, s_ids), [len(s_ids)]]
    t_groups = [*_word_groups(tgt_tok, t_ids), [len(t_ids)]]
    return HeadMaps(
        [*_words(src_tok, s_ids, s_groups[:-1]), "</s>"],
        [*_words(tgt_tok, t_ids, t_groups[:-1]), "</s>"],
        _pool(cross, t_groups, s_groups),
        _pool(torch.cat(enc).numpy(), s_groups, s_groups),
        _pool(attention_rollout(enc)[0].numpy(), s_groups, s_groups),
    )


def valid_loss(model: EncoderDecoder, batches: Sequence, pad_id: int = PAD_ID) -> float:
    """Mean token negative log-likelihood (nats, no label smoothing) over ``batches``."""
    total, count = 0.0, 0
    for b in batches:
        logits = model(b.src, b.src_lengths, b.tgt_in).logits
        total += float(
            torch.nn.functional.cross_entropy(
                logits.flatten(0, 1).float(), b.tgt_out.flatten(), ignore_index=pad_id, reduction="sum"
            )
        )
        count += int((b.tgt_out != pad_id).sum())
    return total / max(1, count)


def ids_to_text(tok: SubwordTokenizer, ids_list: Sequence[Sequence[int]]) -> list[str]:
    return [tok.decode(x) for x in ids_list]


# Sentences in the spirit of the study notes' "tom chase jerry": who does what to whom, so the alignment
# has to follow the words, not their position. "Jerry" is not in Tatoeba: it is spelled out in pieces.
PROBES = {
    "en": ["Tom chases Jerry.", "Mary chases Tom.", "tom chase jerry", "The cat is chasing the mouse."],
    "fr": ["Tom poursuit Jerry.", "Marie poursuit Tom.", "tom poursuit jerry", "Le chat chasse la souris."],
}


def _sample_sentences(sources: list[str], k: int = 3) -> list[str]:
    mid = [s for s in sources if 6 <= len(s.split()) <= 12]
    return random.Random(0).sample(mid, min(k, len(mid)))


def evaluate_variant(name: str, model, data: TranslationData, cfg, history: list[dict]) -> dict:
    """Test scores with greedy and beam search, BLEU by source length, alignments for sample sentences."""
    src_tok, tgt_tok = data.src_tok, data.tgt_tok
    scores, outputs = {}, {}
    for decoding, beam in (("greedy", None), (f"beam {cfg.beam_size}", cfg.beam_size)):
        t0 = time.monotonic()
        ids = translate_batch(
            model, data.test_sources, src_tok, tgt_tok, beam_size=beam, length_penalty=cfg.length_penalty
        )
        hyps = ids_to_text(tgt_tok, ids)
        scores[decoding] = {**corpus_scores(hyps, data.test_refs), "seconds": round(time.monotonic() - t0, 1)}
        outputs[decoding] = hyps
    beam_hyps = outputs[f"beam {cfg.beam_size}"]
    samples = _sample_sentences(data.test_sources) + PROBES[cfg.source]
    sample_ids = translate_batch(
        model, samples, src_tok, tgt_tok, beam_size=cfg.beam_size, length_penalty=cfg.length_penalty
    )
    alignments = [align(model, s, i, src_tok, tgt_tok) for s, i in zip(samples, sample_ids, strict=True)]
    heads = [head_maps(model, s, i, src_tok, tgt_tok) for s, i in zip(samples, sample_ids, strict=True)]
    _log.info("translate: %s test %s", name, {k: round(v["bleu"], 2) for k, v in scores.items()})
    return {
        "scores": scores,
        "by_length": bleu_by_length(data.test_sources, beam_hyps, data.test_refs),
        "train_seconds": round(sum(r.get("seconds", 0.0) for r in history), 1),
        "history": history,
        "examples": list(zip(samples, ids_to_text(tgt_tok, sample_ids), strict=True)),
        "alignments": alignments,
        "head_maps": heads,
        "test_examples": _examples(data, beam_hyps),
    }


def _examples(data: TranslationData, hyps: list[str], k: int = 8) -> list[dict]:
    idx = random.Random(1).sample(range(len(hyps)), min(k, len(hyps)))
    return [
        {"source": data.test_sources[i], "output": hyps[i], "a reference": data.test_refs[i][0]} for i in idx
    ]
