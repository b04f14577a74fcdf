"""Evaluation of the ``sentiment`` recipe: accuracy and attention of a model, the results table with paired
bootstrap intervals, and attention diagnostics (peakedness, erasure, most-attended words)."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

from attnzoo.data.text import (
    UNK_ID,
    TextDataset,
    Vocab,
    pad_collate,
)
from attnzoo.models.text_classifier import TextClassifier

__all__ = [
    "VERSUS",
    "attention_diagnostics",
    "evaluate",
    "paired_bootstrap",
    "results_table",
    "top_attended_words",
]


def evaluate(model: TextClassifier, ds: TextDataset, weights: bool = False) -> dict:
    """Accuracy, per-review correctness and probabilities and, if asked, attention weights (eval, no grad)."""
    was = model.training
    model.eval()
    probs, attn = [], []
    with torch.no_grad():
        for i in range(0, len(ds), 512):
            tokens, lengths, _ = pad_collate([ds[j] for j in range(i, min(i + 512, len(ds)))])
            out = model(tokens, lengths, return_attention=weights)
            probs.append(F.softmax(out.logits, -1))
            if weights and out.weights is not None:
                attn += [w[:n].tolist() for w, n in zip(out.weights, lengths.tolist(), strict=True)]
    model.train(was)
    p = torch.cat(probs)
    correct = p.argmax(1) == torch.tensor(ds.labels)
    return {"acc": float(correct.float().mean()), "probs": p, "weights": attn, "correct": correct}


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
