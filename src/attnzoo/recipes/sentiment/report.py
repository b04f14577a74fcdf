"""The ``sentiment`` recipe's HTML report: results table, validation curves, test reviews shaded by their
attention (right and wrong), how peaked and how faithful the attention is, and the words it looks at most."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from attnzoo.data.text import (
    UNK_ID,
    TextDataset,
    Vocab,
    tokenize,
)
from attnzoo.recipes.sentiment.config import DESCRIPTION
from attnzoo.recipes.sentiment.evaluate import top_attended_words
from attnzoo.recipes.sentiment.explain import above_uniform

__all__ = ["pick_examples", "write_report"]


def pick_examples(correct: list[bool], n: int, lengths: list[int], seed: int = 0) -> list[int]:
    """Indices of up to ``n`` reviews, half right and half wrong where there are enough of each, preferring
    reviews of 5-60 words (readable), in a fixed random order."""
    order = list(range(len(correct)))
    random.Random(seed).shuffle(order)
    order.sort(key=lambda i: not 5 <= lengths[i] <= 60)  # stable: readable ones first, still shuffled
    right = [i for i in order if correct[i]]
    wrong = [i for i in order if not correct[i]]
    n_wrong = min(len(wrong), n // 2)
    n_right = min(len(right), n - n_wrong)
    n_wrong = min(len(wrong), n - n_right)
    return sorted(right[:n_right] + wrong[:n_wrong], key=order.index)


def _curves_figure(results: dict, epochs: int):
    from attnzoo import viz

    x = np.arange(1, epochs + 1)
    curves = {}
    for name, runs in results.items():
        vals = np.array(
            [[np.nan if v is None else v for v in r["curve"]][:epochs] for r in runs], dtype=float
        )
        if vals.shape[1] == epochs:
            curves[f"{name} pooling"] = np.nanmean(vals, 0)
    return viz.line_plot(
        x,
        curves,
        xlabel="epoch",
        ylabel="validation accuracy",
        title="Validation accuracy per epoch (mean over seeds)",
    )


def write_report(
    out: Path,
    *,
    command: str,
    corpus: dict,
    cfg,
    table: list,
    results: dict,
    test: list,
    vocab: Vocab,
    ev: dict,
    seed: int,
) -> Path:
    """Build and write ``out/index.html``."""
    from attnzoo import viz

    labels = corpus["labels"]
    rep = viz.Report("Sentiment: bi-GRU + word attention vs baselines", command=command)
    rep.add_text(DESCRIPTION.split("\n\n")[0].replace("\n", " "))
    rep.add_text(
        f"**Data**: {corpus['description']}. Split fixed by a hash of each text; "
        f"{len(test)} test reviews, vocabulary {len(vocab)} (training words only). Not IMDB: IMDB cannot be "
        "fetched on these machines, so this is not the TF1 example's setting (which publishes no accuracy "
        "anyway). For scale: Kim (2014) reports 76.1 % for CNN-rand on MR (10-fold cross-validation on the "
        "original source labels), the closest published number to `data=mr-sentences`."
    )
    rep.add_table(
        table,
        caption=f"Test accuracy, mean +- std over {cfg.seeds} seeds (seed of each run: the "
        "checkpoint of its best validation epoch). Baselines share the split, tokeniser and budget. Last "
        "column: attention's accuracy minus this model's, in points, with a 95 % paired bootstrap interval "
        f"over the {len(test)} test reviews (seeds averaged per review): an interval that contains 0 means "
        "this test set cannot tell the two apart.",
    )
    if cfg.epochs > 1:
        rep.add_figure(_curves_figure(results, cfg.epochs), "Validation accuracy per epoch", name="curves")

    ds = TextDataset(test, vocab, cfg.max_len)
    probs = ev["probs"]
    pred = probs.argmax(1).tolist()
    correct = [p == y for p, y in zip(pred, ds.labels, strict=True)]
    picks = pick_examples(correct, cfg.examples, [len(i) for i in ds.ids])
    rep.add_heading(f"{len(picks)} test reviews, each word shaded by its attention weight")
    rep.add_text(
        f"Attention model of seed {seed} (best on validation). A review's weights alpha_t sum to 1 over "
        "its n words, so a uniform share is 1/n. Shade and tooltip show how far a word's weight exceeds "
        "that share, alpha_t * n - 1 (0 = a uniform share or less; the darkest word is the review's most "
        "attended). Words in [brackets] are outside the vocabulary (read as <unk>). Attention weighs "
        "bi-GRU *states*, not words: each state also carries its context (the first word's holds the "
        "backward pass's summary of the whole review), so a weight is evidence about a position, and the "
        "erasure test below checks how far it is about the word."
    )
    for i in picks:
        ids = ds.ids[i].tolist()
        words = [
            (w if t != UNK_ID else f"[{w}]")
            for w, t in zip(_tokens(test[i][0], cfg.max_len), ids, strict=True)
        ]
        mark = "right" if correct[i] else "WRONG"
        rep.add_html(
            f"<p><b>{mark}</b>: true {labels[ds.labels[i]]}, predicted {labels[pred[i]]} "
            f"(p = {float(probs[i, pred[i]]):.3f})</p>"
        )
        shade = above_uniform(ev["weights"][i])
        rep.add_html(viz.highlight_words_html(words, shade) if words else "<p>(no words)</p>")
    _explorer(rep, results, ds, test, picks, labels, cfg.max_len, viz)
    diags = [{"seed": r["seed"], **r["diag"]} for r in results.get("attention", []) if r.get("diag")]
    if diags:
        rep.add_heading("How peaked is the attention, and does it point at words that matter?")
        rep.add_figure(
            _erasure_figure(diags),
            "Erasure test: mean drop in the predicted class's probability when the most-attended word, "
            "or a random word, is deleted from each test review (per attention seed).",
            name="erasure",
        )
        rep.add_table(
            diags,
            caption="Per attention seed, on the test reviews of 2+ words. Entropy of the weights over "
            "log(n): 1 = uniform. Erasure: delete the most-attended word, or a random one, re-classify, and "
            "measure the drop in the predicted class's probability and the share of flipped predictions; "
            "a faithful attention makes the first hurt more than the second (Serrano & Smith 2019).",
        )
    top = top_attended_words(ds, vocab, ev["weights"])
    if top:
        rep.add_heading("Words the attention model looks at most")
        rep.add_table(
            top,
            caption="Mean of alpha_t * n over the test reviews containing the word (n = review "
            "length; 1 = a uniform share of attention), words seen at least 5 times.",
        )
    return rep.write(out)


def _erasure_figure(diags: list[dict]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.2), layout="constrained")
    ax = fig.add_subplot()
    kinds = [("most-attended", "#c0392b"), ("random", "#7f8c8d")]
    width = 0.8 / len(kinds)
    x = np.arange(len(diags))
    for k, (kind, colour) in enumerate(kinds):
        vals = [d[f"erase {kind} word: prob drop"] for d in diags]
        ax.bar(x + (k - 0.5) * width, vals, width, label=f"erase the {kind} word", color=colour)
    ax.set_xticks(x, [f"seed {d['seed']}" for d in diags])
    ax.set_ylabel("drop in predicted-class probability")
    ax.set_title("Does attention point at words that matter?")
    ax.axhline(0, color="black", lw=0.6)
    ax.legend(frameon=False)
    return fig


def _explorer(rep, results: dict, ds, test: list, picks: list[int], labels, max_len: int, viz) -> None:
    """The shown reviews as one interactive view: hover a word for its weight, toggle between the
    attention models of each seed and mean pooling (every state weighs 1/n: what no attention looks like)."""
    runs = [r for r in results.get("attention", []) if r.get("weights")]
    mean = next(iter(results.get("mean", [])), None)
    if not runs:
        return
    models = [f"attention, seed {r['seed']}" for r in runs]
    sources = list(zip(models, runs, strict=True))
    if mean is not None:
        models.append("mean pooling (uniform)")
        sources.append((models[-1], mean))
    docs = []
    for i in picks:
        words = _tokens(test[i][0], max_len)
        if not words:
            continue
        weights, notes = {}, {}
        for m, r in sources:
            weights[m] = r["weights"][i] if r.get("weights") else [1 / len(words)] * len(words)
            p = r["probs"][i]
            k = int(np.argmax(p))
            notes[m] = f"predicted {labels[k]} (p = {p[k]:.3f})"
        docs.append(
            {"words": words, "weights": weights, "note": f"true: {labels[ds.labels[i]]}", "notes": notes}
        )
    if docs:
        rep.add_explorer(
            viz.text_view(docs, models=models, title="The same reviews: hover a word, switch model"),
            caption="Each word's attention weight (hover for the number); the menu switches between the "
            "attention model of each seed and mean pooling, whose uniform 1/n weights are the baseline.",
        )


def _tokens(text: str, max_len: int) -> list[str]:

    return tokenize(text)[:max_len]
