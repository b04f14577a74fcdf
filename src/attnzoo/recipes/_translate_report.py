"""Test evaluation and the HTML report of the ``translate`` recipe."""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

import numpy as np

from attnzoo.recipes._translate_eval import (
    LENGTH_BUCKETS,
    align,
    bleu_by_length,
    corpus_scores,
    ids_to_text,
    translate_batch,
)
from attnzoo.recipes._translate_setup import TranslationData

_log = logging.getLogger("attnzoo.recipes.translate")

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
    _log.info("translate: %s test %s", name, {k: round(v["bleu"], 2) for k, v in scores.items()})
    return {
        "scores": scores,
        "by_length": bleu_by_length(data.test_sources, beam_hyps, data.test_refs),
        "train_seconds": round(sum(r.get("seconds", 0.0) for r in history), 1),
        "history": history,
        "examples": list(zip(samples, ids_to_text(tgt_tok, sample_ids), strict=True)),
        "alignments": alignments,
        "test_examples": _examples(data, beam_hyps),
    }


def _examples(data: TranslationData, hyps: list[str], k: int = 8) -> list[dict]:
    idx = random.Random(1).sample(range(len(hyps)), min(k, len(hyps)))
    return [
        {"source": data.test_sources[i], "output": hyps[i], "a reference": data.test_refs[i][0]} for i in idx
    ]


def write_report(out: Path, results: dict, data: TranslationData, cfg, command: str) -> Path:
    """``out/index.html``: score table, BLEU by length, learning curves, translations, alignments."""
    from attnzoo import viz
    from attnzoo.recipes import translate

    rep = viz.Report("Translation with attention (English-French Tatoeba)", command=command)
    rep.add_text(translate.__doc__.split("\n\n", 1)[1].replace("\n", " ").split("\n\n")[0])
    s = data.stats
    rep.add_text(
        f"Data: {s['pairs_train']:,} training pairs, {s['pairs_valid']:,} valid, {s['pairs_test']:,} "
        f"test pairs ({s['test_sources_decoded']:,} distinct test sources decoded); BPE vocabularies "
        f"{s['src_vocab']} (source) and {s['tgt_vocab']} (target). Every variant: {cfg.epochs} epoch(s), "
        f"batch {cfg.batch_size}, seed as in the command; best checkpoint by valid BLEU."
    )
    rows = []
    for name, r in results.items():
        for decoding, sc in r["scores"].items():
            rows.append(
                {
                    "variant": name,
                    "decoding": decoding,
                    "BLEU": round(sc["bleu"], 2),
                    "chrF": round(sc["chrf"], 2),
                    "BLEU (1 ref/pair)": round(sc["bleu_1ref"], 2),
                    "train s": r["train_seconds"],
                    "decode s": sc["seconds"],
                }
            )
    rep.add_table(
        rows,
        caption="Test split: sacrebleu corpus BLEU and chrF on detokenised output against all Tatoeba "
        "translations of each source; 'BLEU (1 ref/pair)' scores each (source, translation) pair alone.",
    )
    mids = [(lo + min(hi, lo + 9)) / 2 for lo, hi in LENGTH_BUCKETS]
    fig = viz.line_plot(
        mids,
        {n: [row["bleu"] for row in r["by_length"]] for n, r in results.items()},
        xlabel="source sentence length in words (bucket middle)",
        ylabel="test BLEU (beam)",
        title="BLEU against source length (cf. Bahdanau et al. 2015, Fig. 2)",
        marker="o",
    )
    ns = ", ".join(f"{row['words']}: {row['n']}" for row in next(iter(results.values()))["by_length"])
    rep.add_figure(
        fig, caption=f"Test BLEU by source length in words (sentences per bucket: {ns}).", name="bleu-length"
    )
    _curves(rep, results, viz)
    rep.add_heading("Sample translations (beam search)")
    for name, r in results.items():
        rep.add_table(r["test_examples"], caption=f"{name}: random test sentences")
    rep.add_heading("Where the decoder looks")
    rep.add_text(
        "Each row is a target word, each column a source word; a row is the attention while that word was "
        "produced (subword pieces pooled to words: rows averaged, columns summed), so it sums to 1. The "
        "no-attention model has a single fixed context and no such picture."
    )
    _alignments(rep, results, viz)
    return rep.write(out)


def _curves(rep, results: dict, viz) -> None:
    for key, label in (("eval/bleu", "valid BLEU (greedy)"), ("eval/loss", "valid NLL (nats/token)")):
        steps = {n: [h["step"] for h in r["history"] if key in h] for n, r in results.items()}
        longest = max(steps.values(), key=len)
        if len(longest) < 2:
            continue
        series = {}
        for n, r in results.items():
            vals = [h[key] for h in r["history"] if key in h]
            series[n] = np.interp(longest, steps[n], vals) if steps[n] else np.full(len(longest), np.nan)
        fig = viz.line_plot(
            longest, series, xlabel="training steps", ylabel=label, title="Learning curve", marker="o"
        )
        rep.add_figure(fig, caption=f"{label} after every round of training.", name=key.replace("/", "-"))


def _short(words: list[str], n: int = 18) -> list[str]:
    """Tick labels cut to ``n`` characters (an undertrained model can emit one very long 'word')."""
    return [w if len(w) <= n else w[: n - 1] + "…" for w in words]


def _alignments(rep, results: dict, viz) -> None:
    for name, r in results.items():
        if all(a is None for a in r["alignments"]):
            continue
        for (src, hyp), a in zip(r["examples"], r["alignments"], strict=True):
            fig = viz.attention_heatmap(
                a.weights,
                row_labels=_short(a.target_words),
                col_labels=_short(a.source_words),
                annotate=len(a.source_words) <= 12,
                title=name,
                xlabel="source words",
                ylabel="target words",
            )
            rep.add_figure(fig, caption=f"{name}: '{src}' -> '{hyp}'", name=f"align-{name}")
