"""Training in the ``sentiment`` recipe: one bi-GRU through :class:`attnzoo.train.Trainer`; TF-IDF + logistic
regression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from attnzoo.data.text import (
    UNK_ID,
    pad_collate,
    tokenize,
)
from attnzoo.functional import lengths_to_mask
from attnzoo.models.text_classifier import TextClassifier, TextClassifierConfig
from attnzoo.recipes.sentiment.config import SentimentConfig
from attnzoo.recipes.sentiment.evaluate import evaluate
from attnzoo.train import TrainConfig, Trainer, seed_everything

__all__ = ["train_model", "train_tfidf"]


def train_model(
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
        return {"acc": evaluate(m, data["valid"])["acc"]}

    tc = TrainConfig(
        out_dir=str(out / f"{pooling}-seed{seed}"),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=seed,
        best_metric="eval/acc",
        best_mode="max",
        num_threads=cfg.num_threads,
        resume=resume,
        overwrite=not resume,
        progress=True,
    )
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    trainer = Trainer(
        model, opt, data["train"], step_fn=step_fn, eval_fn=eval_fn, config=tc, collate_fn=pad_collate
    )
    history = trainer.fit(load_best=True)
    trainer.raise_if_interrupted()
    return model.eval(), history


def train_tfidf(train: list, valid: list, test: list) -> dict:
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
