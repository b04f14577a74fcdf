"""Training one ``translate`` variant through :class:`attnzoo.train.Trainer`."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from attnzoo.data.batching import BatchDataset
from attnzoo.data.subword import PAD_ID
from attnzoo.models.encdec import EncoderDecoder
from attnzoo.recipes.translate.config import TranslateConfig
from attnzoo.recipes.translate.data import TranslationData
from attnzoo.recipes.translate.evaluate import corpus_scores, ids_to_text, translate_batch, valid_loss
from attnzoo.recipes.translate.models import VARIANTS, build_model, save_model
from attnzoo.train import BEST, TrainConfig, Trainer, load_weights, seed_everything

__all__ = ["check_config", "train_variant"]


def check_config(cfg: TranslateConfig) -> None:
    """Raise a ValueError naming a variant or source language the recipe does not know."""
    unknown = [v for v in cfg.variants if v not in VARIANTS]
    if unknown or not cfg.variants:
        raise ValueError(f"unknown variant(s) {unknown or '(none given)'}; valid: {', '.join(VARIANTS)}")
    if cfg.source not in ("en", "fr"):
        raise ValueError(f"source must be 'en' or 'fr', got {cfg.source!r}")


def _optimizer(name: str, model: torch.nn.Module, cfg: TranslateConfig):
    if name != "transformer":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr), None
    opt = torch.optim.Adam(model.parameters(), lr=cfg.tf_lr, betas=(0.9, 0.98), eps=1e-9)
    w = cfg.tf_warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / w, math.sqrt(w / (s + 1))))
    return opt, sched


def train_variant(
    name: str, data: TranslationData, cfg: TranslateConfig, out: Path, *, seed: int, resume: bool
) -> tuple[EncoderDecoder, list[dict]]:
    """Train one variant in ``out`` (checkpoints, metrics.jsonl), in rounds of one training shard each so
    the learning curve gets an evaluation every ``1 / rounds_per_epoch`` of a pass; load the best weights
    (by valid BLEU) and save ``model.json`` and the tokenisers beside them."""
    seed_everything(seed)
    model = build_model(name, cfg, data.src_tok.vocab_size, data.tgt_tok.vocab_size)
    opt, sched = _optimizer(name, model, cfg)
    smoothing = cfg.label_smoothing if name == "transformer" else 0.0
    R = max(1, min(cfg.rounds_per_epoch, len(data.train_batches)))
    shards = [data.train_batches[r::R] for r in range(R)]

    def step_fn(m, b):
        logits = m(b.src, b.src_lengths, b.tgt_in).logits
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), b.tgt_out.flatten(), ignore_index=PAD_ID, label_smoothing=smoothing
        )
        return loss, {}

    def eval_fn(m):
        hyps = ids_to_text(data.tgt_tok, translate_batch(m, data.valid_sources, data.src_tok, data.tgt_tok))
        return {
            "loss": valid_loss(m, data.valid_batches),
            "bleu": corpus_scores(hyps, data.valid_refs)["bleu"],
        }

    history: list[dict] = []
    for r in range(cfg.epochs * R):
        tc = TrainConfig(
            out_dir=str(out),
            epochs=r + 1,
            batch_size=1,
            seed=seed,
            max_steps=cfg.max_steps,
            grad_clip=cfg.grad_clip,
            best_metric="eval/bleu",
            best_mode="max",
            log_every=50,
            num_threads=cfg.num_threads,
            resume=resume or r > 0,
            overwrite=not resume and r == 0,
            checkpoint_every=200,
            resume_hint="attnzoo run translate --resume",
        )
        trainer = Trainer(
            model,
            opt,
            BatchDataset(shards[r % R]),
            step_fn=step_fn,
            eval_fn=eval_fn,
            config=tc,
            collate_fn=BatchDataset.unwrap,
            scheduler=sched,
        )
        history = trainer.fit()
        if trainer.interrupted:
            raise KeyboardInterrupt(f"training of {name} interrupted; continue with --resume")
        if cfg.max_steps is not None and history and history[-1]["step"] >= cfg.max_steps:
            break
    load_weights(model, out / BEST)
    save_model(model, name, data, out)
    return model.eval(), history
