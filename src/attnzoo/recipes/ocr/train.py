"""Data and training of the ``ocr`` recipe's readers."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor

from attnzoo.data.text_images import CharVocab, collate_images
from attnzoo.data.words import RenderConfig, RenderedWords, find_fonts, split_words, words_from_sentences
from attnzoo.models.attention_ocr import (
    BOS,
    CTCOCR,
    EOS,
    PAD,
    AttentionOCR,
    AttentionOCRConfig,
    ctc_loss,
)
from attnzoo.recipes.ocr.config import MODELS, OCRConfig
from attnzoo.recipes.ocr.evaluate import read_dataset
from attnzoo.train import TrainConfig, Trainer, load_weights, seed_everything
from attnzoo.train.schedules import hold_then_cosine
from attnzoo.train.schema import build_checked, config_from_dict, read_json
from attnzoo.train.text_metrics import text_metrics

__all__ = ["MODEL_FILE", "OCRData", "build_model", "load_data", "load_reader", "train_reader"]

log = logging.getLogger("attnzoo.recipes.ocr")

MODEL_FILE = "ocr_model.json"  # beside best.safetensors: kind, model config and vocabulary


@dataclass
class OCRData:
    """The rendered splits and what is needed to build a reader for them."""

    vocab: CharVocab
    splits: dict[str, list[str]]  # distinct words of train / val / test
    train: RenderedWords
    val: RenderedWords
    test: RenderedWords
    fonts: list[str]


def _corpus_words(cfg: OCRConfig) -> list[str]:
    if cfg.words:
        return sorted({w for w in cfg.words if w})
    from attnzoo.data import dataset_path, read_tatoeba

    pairs = read_tatoeba(dataset_path(cfg.corpus) / "fra.txt")
    counts: Counter[str] = Counter()
    for pair in pairs:
        counts.update(words_from_sentences(pair, min_len=cfg.min_word_len, max_len=cfg.max_word_len))
    ok = set(cfg.alphabet)
    ranked = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if set(w) <= ok]
    return sorted(ranked[: cfg.max_words] if cfg.max_words else ranked)


def _hash_order(words: list[str]) -> list[str]:
    """A fixed pseudo-random order, so that the first N items of a split are not all words in 'a'."""
    return sorted(words, key=lambda w: hashlib.sha1(f"order\0{w}".encode()).digest())


def load_data(cfg: OCRConfig, seed: int) -> OCRData:
    """Words, split by word hash, and rendered train (seed), val and test (fixed seeds) sets."""
    words = _corpus_words(cfg)
    splits = split_words(words, test_fraction=cfg.test_fraction, val_fraction=cfg.val_fraction)
    splits = {k: _hash_order(v) for k, v in splits.items()}
    if not splits["train"] or not splits["val"] or not splits["test"]:
        raise ValueError(
            f"{len(words)} words are too few for a train/val/test split "
            f"({ {k: len(v) for k, v in splits.items()} }); give more words or larger fractions"
        )
    fonts = find_fonts(cfg.fonts)
    rc = RenderConfig(
        height=cfg.height,
        max_width=cfg.max_width,
        font_sizes=cfg.font_sizes,
        max_rotation=cfg.max_rotation,
        noise_std=(0.0, cfg.max_noise),
        max_blur=cfg.max_blur,
    )
    vocab = CharVocab.from_texts(words)
    return OCRData(
        vocab=vocab,
        splits=splits,
        train=RenderedWords(splits["train"], fonts=fonts, n=cfg.train_samples, seed=seed, config=rc),
        # evaluation renderings do not depend on the run's seed: every run is scored on the same images
        val=RenderedWords(splits["val"], fonts=fonts, n=cfg.val_samples, seed=2**31 - 1, config=rc),
        test=RenderedWords(splits["test"], fonts=fonts, n=cfg.test_samples, seed=2**31 - 2, config=rc),
        fonts=fonts,
    )


def model_config(cfg: OCRConfig, kind: str, vocab: CharVocab) -> AttentionOCRConfig:
    return AttentionOCRConfig(
        vocab_size=len(vocab),
        height=cfg.height,
        channels=cfg.channels,
        iterations=cfg.iterations,
        shared=kind != "plain",
        dim=cfg.dim,
        hidden_dim=cfg.hidden_dim,
        emb_dim=cfg.emb_dim,
        align_dim=cfg.align_dim,
        dropout=cfg.dropout,
        max_len=cfg.max_word_len + 2,
        location=cfg.location,
    )


def build_model(kind: str, config: AttentionOCRConfig) -> torch.nn.Module:
    """``"ctc"`` -> :class:`CTCOCR`, ``"recursive"``/``"plain"`` -> :class:`AttentionOCR`."""
    return CTCOCR(config) if kind == "ctc" else AttentionOCR(config)


def _teacher_inputs(targets: Tensor) -> Tensor:
    """(bos, y_1 .. y_{T-1}), with the position after eos fed pad."""
    prev = torch.cat([torch.full_like(targets[:, :1], BOS), targets[:, :-1]], 1)
    return prev.masked_fill(prev == EOS, PAD)


def _loss(kind: str, model: torch.nn.Module, batch: dict) -> Tensor:
    if kind == "ctc":
        targets = batch["targets"].masked_fill(batch["targets"] == EOS, PAD)
        out = model(batch["images"], batch["widths"])
        return ctc_loss(out, targets, batch["target_lengths"])
    out = model(batch["images"], batch["widths"], _teacher_inputs(batch["targets"]))
    return torch.nn.functional.cross_entropy(
        out.logits.flatten(0, 1), batch["targets"].flatten(), ignore_index=PAD
    )


def train_reader(kind: str, data: OCRData, cfg: OCRConfig, out_dir: Path, *, seed: int, resume: bool) -> dict:
    """Train one reader, keep the checkpoint with the best validation edit distance, load it.

    Returns ``{"model", "history", "seconds", "steps", "samples_per_s"}``.
    """
    seed_everything(seed)
    mc = model_config(cfg, kind, data.vocab)
    model = build_model(kind, mc)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MODEL_FILE).write_text(
        json.dumps(
            {"kind": kind, "config": asdict(mc), "chars": "".join(data.vocab.chars)}, ensure_ascii=False
        )
    )

    def step_fn(m, batch):
        return _loss(kind, m, batch), {}

    def eval_fn(m):
        preds = read_dataset(m, data.val, data.vocab, batch_size=64).predictions
        return text_metrics(preds, [data.val.label(i) for i in range(len(data.val))])

    steps = -(-cfg.train_samples // cfg.batch_size)
    steps = min(steps, cfg.max_steps) if cfg.max_steps else steps
    tc = TrainConfig(
        out_dir=str(out_dir),
        epochs=1,  # one pass over train_samples renderings (an epoch would repeat the same images)
        checkpoint_every=cfg.checkpoint_every,
        eval_every_steps=cfg.checkpoint_every,  # one pass has one epoch end: score the checkpoints instead
        batch_size=cfg.batch_size,
        seed=seed,
        max_steps=cfg.max_steps,
        grad_clip=cfg.grad_clip,
        # the normalised edit distance, not word accuracy, picks the checkpoint: early in training every
        # epoch has word accuracy 0 and ties would keep the first; word_acc is logged beside it
        best_metric="eval/ned",
        best_mode="min",
        log_every=max(1, min(50, steps // 20)),  # about 20 points on the loss curve, at least
        resume=resume,
        overwrite=not resume,
        progress=True,
        resume_hint="--resume",
    )
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hold_then_cosine(steps, cfg.lr_decay_start))
    trainer = Trainer(
        model,
        opt,
        data.train,
        step_fn=step_fn,
        eval_fn=eval_fn,
        config=tc,
        collate_fn=lambda items: collate_images(items, data.vocab),
        scheduler=sched,
    )
    history = trainer.fit()
    trainer.raise_if_interrupted()
    trainer.load_best()
    model.eval()
    seconds = sum(r.get("seconds", 0.0) for r in history)
    steps = history[-1]["step"] if history else 0
    return {
        "model": model,
        "history": history,
        "seconds": seconds,
        "steps": steps,
        "samples_per_s": steps * cfg.batch_size / seconds if seconds else float("nan"),
    }


def load_reader(checkpoint: str | Path) -> tuple[str, torch.nn.Module, CharVocab]:
    """``(kind, model in eval mode, vocab)`` from a reader's folder (``ocr_model.json`` + best weights).

    ``checkpoint`` is that folder, or a run folder holding ``train/recursive`` (or another reader).
    ``ocr_model.json`` is checked (keys, types, the config against its dataclass, the characters against
    its ``vocab_size``) and the weights' shapes against the config before the model is built: anything
    malformed is a ``ValueError`` naming the file and the field.
    """
    path = Path(checkpoint)
    if not (path / MODEL_FILE).is_file():
        for kind in ("recursive", "plain", "ctc"):
            if (path / "train" / kind / MODEL_FILE).is_file():
                path = path / "train" / kind
                break
        else:
            raise ValueError(
                f"{checkpoint}: no {MODEL_FILE} here or under train/<reader>/ (run `attnzoo run ocr`)"
            )
    meta_path, weights = path / MODEL_FILE, path / "best.safetensors"
    meta = read_json(meta_path, {"kind": str, "config": dict, "chars": str})
    if meta["kind"] not in MODELS:
        raise ValueError(f"{meta_path}: 'kind' must be one of {', '.join(MODELS)}, got {meta['kind']!r}")
    try:
        vocab = CharVocab(meta["chars"])
    except ValueError as e:
        raise ValueError(f"{meta_path}: 'chars' is not a character set: {e}") from None
    config = config_from_dict(AttentionOCRConfig, meta["config"], source=f"{meta_path}: 'config'")
    if config.vocab_size != len(vocab):
        raise ValueError(
            f"{meta_path}: 'chars' makes {len(vocab)} symbols, the config's vocab_size is {config.vocab_size}"
        )
    if not weights.is_file():
        raise ValueError(f"{path}: no best.safetensors (training did not finish an epoch)")
    model_cls = CTCOCR if meta["kind"] == "ctc" else AttentionOCR
    model = load_weights(build_checked(model_cls, config, weights), weights)
    return meta["kind"], model.eval(), vocab
