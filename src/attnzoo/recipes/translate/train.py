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
from attnzoo.train import TrainConfig, Trainer, seed_everything

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
    """Train one variant in ``out`` (checkpoints, metrics.jsonl), evaluating ``rounds_per_epoch`` times a
    pass (valid loss and greedy BLEU: the learning curve); load the best weights (by valid BLEU) and save
    ``model.json`` and the tokenisers beside them.

    Returns:
        ``(model in eval mode, history)``: the trainer's eval and epoch records, in step order.
    """
    seed_everything(seed)
    model = build_model(name, cfg, data.src_tok.vocab_size, data.tgt_tok.vocab_size)
    opt, sched = _optimizer(name, model, cfg)
    smoothing = cfg.label_smoothing if name == "transformer" else 0.0
    n_batches = len(data.train_batches)
    rounds = max(1, min(cfg.rounds_per_epoch, n_batches))

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

    tc = TrainConfig(
        out_dir=str(out),
        epochs=cfg.epochs,
        batch_size=1,  # one item of BatchDataset is one pre-made, length-bucketed batch
        seed=seed,
        max_steps=cfg.max_steps,
        grad_clip=cfg.grad_clip,
        eval_every_steps=math.ceil(n_batches / rounds),
        best_metric="eval/bleu",
        best_mode="max",
        log_every=50,
        num_threads=cfg.num_threads,
        resume=resume,
        overwrite=not resume,
        checkpoint_every=200,
        resume_hint="attnzoo run translate --resume",
    )
    trainer = Trainer(
        model,
        opt,
        BatchDataset(data.train_batches),
        step_fn=step_fn,
        eval_fn=eval_fn,
        config=tc,
        collate_fn=BatchDataset.unwrap,
        scheduler=sched,
    )
    epochs = trainer.fit(load_best=True)
    trainer.raise_if_interrupted()
    save_model(model, name, data, out)
    history = sorted([*trainer.evals, *epochs], key=lambda r: (r["step"], r["kind"] == "epoch"))
    return model.eval(), history
