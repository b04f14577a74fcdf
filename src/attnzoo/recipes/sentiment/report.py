"""The sentiment recipe's HTML report: results table, validation curves, ten test reviews shaded by their
attention weights (right and wrong), how peaked and how faithful the attention is, and the words it looks
at most."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from attnzoo.data.text import UNK_ID, TextDataset, Vocab, pad_collate
from attnzoo.recipes._sentiment_io import above_uniform

__all__ = ["attention_diagnostics", "pick_examples", "results_table", "top_attended_words", "write_report"]


#: results-table column: attention's accuracy minus the row's, with a 95 % paired bootstrap interval
VERSUS = "attention - this (pp, 95% CI)"


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 5000, seed: int = 0
) -> tuple[float, float, float]:
    """Accuracy difference ``a - b`` on one test set, in percentage points, with a 95 % paired bootstrap
    interval over the test reviews (Efron & Tibshirani 1993; Koehn 2004 for MT).

    ``a``, ``b``: 0/1 correctness, ``(runs, N)`` (each model's seeds are averaged per review first), so the
    interval is about which reviews happened to be in the test set, not about training seeds (the table's
    std shows those). Returns ``(difference, low, high)``.
    """
    a, b = (np.asarray(x, dtype=float) for x in (a, b))
    d = a.reshape(-1, a.shape[-1]).mean(0) - b.reshape(-1, b.shape[-1]).mean(0)  # per review
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return 100 * float(d.mean()), 100 * float(lo), 100 * float(hi)


def _versus(delta: tuple[float, float, float]) -> str:
    diff, lo, hi = delta
    verdict = "within test noise" if lo <= 0 <= hi else ("attention better" if lo > 0 else "attention worse")
    return f"{diff:+.2f} [{lo:+.2f}, {hi:+.2f}] {verdict}"


def results_table(results: dict[str, list[dict]], lr: dict | None) -> list[dict]:
    """One row per model: test accuracy mean and std over seeds, validation accuracy, per-seed values, and
    attention's difference from it with a paired bootstrap interval over the test reviews."""
    table = []
    attn_correct = [r["correct"] for r in results["attention"]]

    def versus(correct: list) -> str:
        return _versus(paired_bootstrap(attn_correct, correct))

    for name, runs in results.items():
        acc = np.array([r["test"] for r in runs])
        kind = " (HAN word attention)" if name == "attention" else " pooling"
        table.append(
            {
                "model": f"bi-GRU + {name}{kind}",
                "test acc": float(acc.mean()),
                "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "valid acc": float(np.mean([r["valid"] for r in runs])),
                "runs": len(runs),
                "per seed": ", ".join(f"{a:.4f}" for a in acc),
                "seconds/run": float(np.mean([r["seconds"] for r in runs])),
                VERSUS: "" if name == "attention" else versus([r["correct"] for r in runs]),
            }
        )
    if lr is None:
        return table
    table.append(
        {
            "model": f"TF-IDF 1-2 grams + logistic regression (C={lr['C']:g})",
            "test acc": lr["test"],
            "std": 0.0,
            "valid acc": lr["valid"],
            "runs": 1,
            "per seed": "deterministic",
            "seconds/run": lr["seconds"],
            VERSUS: versus([lr["correct"]]),
        }
    )
    return table


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


def top_attended_words(
    ds: TextDataset, vocab: Vocab, weights: list[list[float]], *, min_count: int = 5, k: int = 15
):
    """Words by mean relative attention ``alpha_t * n`` (1 = a uniform share; 3 = three times it) over the
    test reviews they occur in at least ``min_count`` times."""
    total, count = defaultdict(float), defaultdict(int)
    for ids, w in zip(ds.ids, weights, strict=True):
        n = len(w)
        for i, a in zip(ids.tolist(), w, strict=True):
            total[i] += a * n
            count[i] += 1
    rows = [
        (vocab.itos[i], total[i] / count[i], count[i]) for i in total if count[i] >= min_count and i != UNK_ID
    ]
    rows.sort(key=lambda r: -r[1])
    return [{"word": w, "mean relative attention": r, "occurrences": c} for w, r, c in rows[:k]]


def _prob_matrix(model, id_lists: list[list[int]]) -> np.ndarray:
    """``(N, C)`` class probabilities of token-id lists (eval mode, no grad)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(id_lists), 512):
            chunk = [(torch.tensor(ids, dtype=torch.long), 0) for ids in id_lists[i : i + 512]]
            tokens, lengths, _ = pad_collate(chunk)
            out.append(torch.softmax(model(tokens, lengths).logits, -1).numpy())
    return np.concatenate(out)


def attention_diagnostics(model, ds: TextDataset, weights: list[list[float]], seed: int = 0) -> dict:
    """How peaked the attention is, and whether it points at words that matter: an erasure test in the
    manner of Serrano & Smith 2019 ("Is Attention Interpretable?"). Delete each review's most-attended word,
    or a random word, and measure the mean drop in the predicted class's probability and how often the
    prediction flips. Reviews of at least 2 words only."""
    model.eval()
    keep = [i for i, w in enumerate(weights) if len(w) >= 2]
    if not keep:
        return {}
    rng = random.Random(seed)
    ids = [ds.ids[i].tolist() for i in keep]
    w = [np.asarray(weights[i]) for i in keep]
    P = _prob_matrix(model, ids)
    rows, pred = np.arange(len(ids)), P.argmax(1)
    out: dict = {"reviews": len(keep)}
    out["normalised entropy (1 = uniform)"] = float(
        np.mean([-(x * np.log(x + 1e-12)).sum() / np.log(len(x)) for x in w])
    )
    out["max weight / uniform share"] = float(np.mean([x.max() * len(x) for x in w]))
    for name, pick in (
        ("most-attended", lambda x: int(x.argmax())),
        ("random", lambda x: rng.randrange(len(x))),
    ):
        cut = []
        for seq, x in zip(ids, w, strict=True):
            j = pick(x)
            cut.append(seq[:j] + seq[j + 1 :])
        Q = _prob_matrix(model, cut)
        out[f"erase {name} word: prob drop"] = float(np.mean(P[rows, pred] - Q[rows, pred]))
        out[f"erase {name} word: flips"] = float(np.mean(Q.argmax(1) != pred))
    return out


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
    from attnzoo.recipes import sentiment

    labels = corpus["labels"]
    rep = viz.Report("Sentiment: bi-GRU + word attention vs baselines", command=command)
    rep.add_text(sentiment.__doc__.split("\n\n")[0].replace("\n", " "))
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
    diags = [{"seed": r["seed"], **r["diag"]} for r in results.get("attention", []) if r.get("diag")]
    if diags:
        rep.add_heading("How peaked is the attention, and does it point at words that matter?")
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


def _tokens(text: str, max_len: int) -> list[str]:
    from attnzoo.data.text import tokenize

    return tokenize(text)[:max_len]
