"""The HTML report of the ``translate`` recipe: scores, BLEU by length, learning curves, alignments."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnzoo.recipes.translate.config import DESCRIPTION
from attnzoo.recipes.translate.data import TranslationData
from attnzoo.recipes.translate.evaluate import LENGTH_BUCKETS

__all__ = ["write_report"]


def write_report(out: Path, results: dict, data: TranslationData, cfg, command: str) -> Path:
    """``out/index.html``: score table, BLEU by length, learning curves, translations, alignments."""
    from attnzoo import viz

    rep = viz.Report("Translation with attention (English-French Tatoeba)", command=command)
    rep.add_text(DESCRIPTION.split("\n\n")[0].replace("\n", " "))
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
    _explorers(rep, results, viz)
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


def _explorers(rep, results: dict, viz, per_variant: int = 3) -> None:
    """Interactive views: hover a target word for its attention over the source; the Transformer's every
    layer and head, and the rollout of its encoder self-attention."""
    views = [(n, r) for n, r in results.items() if any(a is not None for a in r["alignments"])]
    if not views:
        return
    rep.add_heading("Explore the attention")
    rep.add_text(
        "Hover (or tap) a target word to see where the decoder looked while producing it, in a test "
        "sentence and in the probe 'Tom chases Jerry.'. For the Transformer, pick a decoder layer and a head "
        "(or all heads, each in its colour), and below it the encoder's self-attention with its rollout "
        "across layers (Abnar & Zuidema 2020): how much each source word reaches each encoder output."
    )
    for name, r in views:
        for k in _explorer_picks(r["examples"], per_variant):
            (src, hyp), a, h = r["examples"][k], r["alignments"][k], r["head_maps"][k]
            if h is not None:
                layers = [f"decoder layer {i + 1}" for i in range(len(h.cross))]
                view = viz.alignment_view(
                    _short(h.source_words),
                    _short(h.target_words),
                    list(h.cross),
                    map_names=layers,
                    title=f"{name}: '{src}' -> '{hyp}' (cross-attention)",
                )
                rep.add_explorer(view)
                enc = [f"encoder layer {i + 1}" for i in range(len(h.encoder))]
                view = viz.alignment_view(
                    _short(h.source_words),
                    _short(h.source_words),
                    list(h.encoder),
                    map_names=enc,
                    extra={"rollout (all layers)": h.rollout},
                    query_label="source (query)",
                    key_label="source (key)",
                    title=f"{name}: '{src}' (encoder self-attention)",
                )
                rep.add_explorer(view)
            elif a is not None:
                view = viz.alignment_view(
                    _short(a.source_words),
                    _short(a.target_words),
                    a.weights,
                    title=f"{name}: '{src}' -> '{hyp}'",
                )
                rep.add_explorer(view)


def _explorer_picks(examples: list, k: int) -> list[int]:
    """The first ``k - 1`` examples (test sentences) and the first probe ("Tom chases Jerry.")."""
    from attnzoo.recipes.translate.evaluate import PROBES

    probes = {s for ss in PROBES.values() for s in ss}
    tests = [i for i, (s, _) in enumerate(examples) if s not in probes]
    first_probe = next((i for i, (s, _) in enumerate(examples) if s in probes), None)
    return tests[: k - 1] + ([first_probe] if first_probe is not None else [])
