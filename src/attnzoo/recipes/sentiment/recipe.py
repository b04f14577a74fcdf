"""``run``: the ``sentiment`` recipe end to end (data, every model over seeds, TF-IDF, bundle, report)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import torch

from attnzoo.data.text import (
    TextDataset,
    Vocab,
    tokenize,
)
from attnzoo.recipes._common import (
    budget_config,
    claim,
    mean_std,
    parse_overrides_into,
    prepare_run_dir,
    recipe_command,
)
from attnzoo.recipes.sentiment.bundle import save_bundle
from attnzoo.recipes.sentiment.config import BUDGETS, MODELS
from attnzoo.recipes.sentiment.data import load_corpus, subset
from attnzoo.recipes.sentiment.evaluate import VERSUS, attention_diagnostics, evaluate, results_table
from attnzoo.recipes.sentiment.report import write_report
from attnzoo.recipes.sentiment.train import train_model, train_tfidf

__all__ = ["run"]

log = logging.getLogger("attnzoo.sentiment")


def _round(x) -> float | None:
    return round(x, 4) if isinstance(x, float) else None


def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    data: str = "rotten-tomatoes",
    data_dir: str | Path | None = None,
    **overrides,
) -> dict:
    """Train and compare the four models, write ``out_dir/index.html`` and ``out_dir/model.safetensors``.

    Args:
        out_dir: run folder (per-model training runs go under ``out_dir/train``).
        budget: ``"smoke"`` (about a minute, a 2,000-review subset) or ``"full"``.
        seed: first seed; the neural models run with ``seed, seed + 1, ...``.
        resume: continue interrupted training runs found in ``out_dir/train``.
        force: replace an earlier run in ``out_dir`` (without ``resume`` or ``force`` it is refused).
        data: one of :data:`DATA_SOURCES`.
        data_dir: the data's file or folder (required for ``imdb`` and ``csv``; else the packaged copy).
        **overrides: fields of :class:`SentimentConfig`.

    Returns:
        A summary: test accuracy mean and std per model, sizes of the split, the config.
    """
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)  # SentimentConfig checks models
    out = prepare_run_dir(out_dir, resume=resume, force=force)
    corpus = load_corpus(data, data_dir, mr_min_abs_score=cfg.mr_min_abs_score)
    train = subset(corpus["train"], cfg.max_train)
    valid, test = subset(corpus["valid"], cfg.max_eval), subset(corpus["test"], cfg.max_eval)
    n_classes = max(label for _, label in corpus["train"] + corpus["test"]) + 1
    vocab = Vocab.build((tokenize(t) for t, _ in train), max_size=cfg.vocab_size)
    sets = {"vocab": vocab, "train": TextDataset(train, vocab, cfg.max_len)}
    sets.update(valid=TextDataset(valid, vocab, cfg.max_len), test=TextDataset(test, vocab, cfg.max_len))
    sizes = {"train": len(train), "valid": len(valid), "test": len(test), "vocab": len(vocab)}
    log.info("sentiment on %s: %s", data, sizes)

    threads = torch.get_num_threads()  # the trainer sets num_threads process-wide; put it back after
    try:
        results: dict[str, list[dict]] = {p: [] for p in MODELS[:3] if p in cfg.models}
        kept = None  # (valid acc, model, test eval, seed) of the attention run shown and saved
        for pooling, s in ((p, s) for p in results for s in range(seed, seed + cfg.seeds)):
            t0 = time.perf_counter()
            model, history = train_model(pooling, s, cfg, n_classes, sets, out / "train", resume)
            ev = evaluate(model, sets["test"], weights=pooling == "attention")
            curve = [r.get("eval/acc") for r in history]
            val = max(v for v in curve if v is not None)
            run_time = time.perf_counter() - t0
            row = {"seed": s, "valid": val, "test": ev["acc"], "seconds": run_time, "curve": curve}
            row["correct"] = ev["correct"].int().tolist()
            row["probs"] = ev["probs"].tolist()  # the report's explorer shows each model's prediction
            row["weights"] = ev["weights"]
            if pooling == "attention":
                row["diag"] = attention_diagnostics(model, sets["test"], ev["weights"], seed=s)
                if kept is None or val > kept[0]:
                    kept = (val, model, ev, s)
            results[pooling].append(row)
    finally:
        torch.set_num_threads(threads)
    lr = None
    if "tfidf" in cfg.models:
        t0 = time.perf_counter()
        lr = train_tfidf(train, valid, test)
        lr["seconds"] = time.perf_counter() - t0

    table = results_table(results, lr)
    summary = {
        "recipe": "sentiment",
        "budget": budget,
        "data": data,
        "sizes": sizes,
        # [mean, std]; the std is None for one seed (one value has no spread)
        "test_acc": {row["model"]: [round(row["test acc"], 4), _round(row["std"])] for row in table},
        "attention_matches_baselines": (
            bool(table[0]["test acc"] >= max(r["test acc"] for r in table[1:])) if len(table) > 1 else None
        ),
        # attention - baseline, pp, with a 95 % paired bootstrap interval over the test reviews
        "attention_minus_baseline": {row["model"]: row[VERSUS] for row in table[1:]},
        "config": asdict(cfg),
    }
    _, model, ev, kept_seed = kept
    diags = [r["diag"] for r in results["attention"] if r["diag"]]
    summary["attention"] = {}  # peakedness and erasure, mean and std over the attention model's seeds
    for k in diags[0] if diags else []:
        mean, std = mean_std([d[k] for d in diags])
        summary["attention"][k] = [round(mean, 4), _round(std)]
    summary["claim"] = _claim(summary, len(diags))
    summary["thumbnail"] = "erasure"
    info = {"data": data, "budget": budget, "seed": kept_seed, "test_acc": ev["acc"]}
    save_bundle(out / "model.safetensors", model, vocab, corpus["labels"], cfg.max_len, info)
    args = {"data": data, **({"data_dir": str(data_dir)} if data_dir else {}), **overrides}
    write_report(
        out,
        command=recipe_command("sentiment", budget, seed, args),
        corpus=corpus,
        cfg=cfg,
        table=table,
        results=results,
        test=test,
        vocab=vocab,
        ev=ev,
        seed=kept_seed,
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


_MOST, _RANDOM = "erase most-attended word: prob drop", "erase random word: prob drop"


def _claim(summary: dict, seeds: int) -> dict:
    """Attention points at words that matter: erasing the most-attended word lowers the predicted class's
    probability more than erasing a random word (measured over the test reviews, mean over seeds)."""
    att = summary["attention"]
    acc = summary["test_acc"]
    text = "the word attention weighs most moves the prediction more than a random word when erased"
    if _MOST not in att:
        return claim(text, held=None, note="no test review of 2+ words to erase from")
    most, rand = att[_MOST][0], att[_RANDOM][0]
    accs = ", ".join(
        f"{m.split(' (')[0].replace('bi-GRU + ', '')} {100 * v[0]:.1f} %" for m, v in acc.items()
    )
    return claim(
        text,
        held=most > rand,
        numbers={
            "prob drop, most-attended word": most,
            "prob drop, random word": rand,
            "flips, most-attended": att["erase most-attended word: flips"][0],
            "flips, random": att["erase random word: flips"][0],
        },
        note=f"{att['reviews'][0]:.0f} test reviews, mean over {seeds} seed(s); test accuracy: {accs}",
    )
