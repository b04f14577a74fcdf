"""Translation with attention on real sentence pairs: what attention buys an encoder-decoder.

Data: the Tatoeba English-French pairs of the ``fra-eng`` dataset (``nmt==0.0.4``, 178k pairs), English ->
French by default. Pairs are deduplicated and split by a hash of the source sentence (5 % valid, 5 % test,
no source in two splits); SentencePiece BPE models are trained on the training split. Every variant is
trained through :class:`attnzoo.train.Trainer` with the same data, budget and seed, then decoded on the test
split with greedy and beam search and scored with sacrebleu (detokenised BLEU and chrF against *all*
Tatoeba translations of a source, plus single-reference BLEU). Not WMT'14: numbers are not the papers'.

Variants: ``seq2seq`` (one fixed context vector, Cho et al. 2014), ``bahdanau`` (RNNsearch),
``luong-dot`` / ``luong-general`` / ``luong-concat`` (global attention, input feeding) and ``transformer``
(Vaswani et al. 2017, label smoothing). The report: the score table, BLEU against source length (Bahdanau
et al. 2015, Figure 2), learning curves, and word alignments for test sentences and "Tom chases Jerry."
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from attnzoo.data.batching import BatchDataset
from attnzoo.data.subword import PAD_ID
from attnzoo.models.encdec import EncoderDecoder
from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, recipe_command
from attnzoo.recipes._translate_eval import corpus_scores, ids_to_text, translate_batch, valid_loss
from attnzoo.recipes._translate_setup import VARIANTS, TranslationData, build_model, prepare_data, save_model
from attnzoo.train import BEST, TrainConfig, Trainer, load_weights, seed_everything

__all__ = ["BUDGETS", "VARIANTS", "TranslateConfig", "run", "translate_sentence"]

_log = logging.getLogger("attnzoo.recipes.translate")


@dataclass(frozen=True)
class TranslateConfig:
    """Data, model sizes, training and decoding of the ``translate`` recipe (one budget)."""

    variants: tuple[str, ...] = ("seq2seq", "bahdanau", "luong-general", "transformer")  # side by side
    data: str = "fra-eng"  # registered dataset name, or the path of a Tatoeba-style TSV file
    source: str = "en"  # source language column: "en" (English -> French) or "fr" (French -> English)
    n_train: int | None = None  # training pairs drawn at random (None: all)
    max_train_words: int | None = 30  # drop train/valid pairs longer than this on either side
    n_valid_bleu: int = 500  # valid source sentences greedily decoded after every round
    n_valid_loss: int = 2000  # valid pairs whose loss is computed after every round
    n_test: int | None = None  # test source sentences decoded (None: all)
    vocab_size: int = 4000  # BPE pieces per language (a soft limit on small data)
    emb_dim: int = 256  # word embeddings (RNNs) / d_model (Transformer)
    hidden_dim: int = 256  # RNN units
    dropout: float = 0.2  # RNN dropout
    tf_layers: int = 3  # Transformer encoder and decoder layers
    tf_heads: int = 4  # Transformer heads
    tf_ff: int = 1024  # Transformer feed-forward size
    tf_dropout: float = 0.1  # Transformer dropout (the paper's)
    label_smoothing: float = 0.1  # Transformer training loss (the paper's); RNNs train on plain NLL
    epochs: int = 1  # passes over the training set
    rounds_per_epoch: int = 4  # evaluations a pass (the training set is cut in this many shards)
    max_steps: int | None = None  # stop a variant after this many updates (None: all epochs)
    batch_size: int = 64  # sentence pairs a batch (bucketed by length)
    lr: float = 1e-3  # Adam learning rate (RNNs)
    tf_lr: float = 7e-4  # peak Adam learning rate (Transformer), reached after tf_warmup steps
    tf_warmup: int = 1000  # linear warm-up steps, then inverse square-root decay (Vaswani et al.)
    grad_clip: float = 5.0  # gradient norm clip
    beam_size: int = 5  # beam width for the beam-search rows
    length_penalty: float = 0.6  # GNMT length penalty alpha for beam search
    num_threads: int = 1  # torch threads; 1 is fastest on a CPU shared with other jobs


BUDGETS = {
    "smoke": TranslateConfig(
        n_train=2000,
        max_train_words=10,
        n_valid_bleu=50,
        n_valid_loss=300,
        n_test=150,
        vocab_size=500,
        emb_dim=64,
        hidden_dim=64,
        tf_layers=2,
        tf_heads=2,
        tf_ff=128,
        epochs=2,
        rounds_per_epoch=1,
        batch_size=32,
        lr=3e-3,
        tf_lr=1e-3,
        tf_warmup=50,
        beam_size=3,
    ),
    "full": TranslateConfig(),
}


def _check(cfg: TranslateConfig) -> None:
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


@register_recipe(
    "translate",
    summary="English->French: no attention vs Bahdanau vs Luong vs Transformer; BLEU, alignments",
    data="fra-eng: 178k Tatoeba sentence pairs (nmt==0.0.4 sdist)",
)
def run(
    out_dir: str | Path, *, budget: str = "smoke", seed: int = 0, resume: bool = False, **overrides
) -> dict:
    """Train every variant with the same budget and seed, evaluate on the test split, write the report.

    Args:
        out_dir: run folder: ``<variant>/`` checkpoints and ``model.json``, ``index.html``,
            ``summary.json``.
        budget: ``smoke`` (about a minute: 3k pairs, tiny models) or ``full``.
        seed: seeds data order, initial weights and the training subset.
        resume: continue interrupted trainings found in ``out_dir``.
        **overrides: any :class:`TranslateConfig` field, e.g. ``variants=("seq2seq", "bahdanau")``.

    Returns:
        The summary: per variant and decoding, test BLEU / chrF; BLEU by source length; training time.
    """
    from attnzoo.recipes._translate_report import evaluate_variant, write_report

    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    _check(cfg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.num_threads)
    data = prepare_data(cfg, seed=seed)
    results = {}
    for name in cfg.variants:
        _log.info("translate: training %s", name)
        model, history = train_variant(name, data, cfg, out / name, seed=seed, resume=resume)
        results[name] = evaluate_variant(name, model, data, cfg, history)
    summary = {
        "recipe": "translate",
        "budget": budget,
        "seed": seed,
        "config": asdict(cfg),
        "data": data.stats,
        "test": {n: r["scores"] for n, r in results.items()},
        "bleu_by_length": {n: r["by_length"] for n, r in results.items()},
        "train_seconds": {n: r["train_seconds"] for n, r in results.items()},
    }
    command = recipe_command("translate", budget, seed, overrides)
    write_report(out, results, data, cfg, command)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def translate_sentence(text: str, checkpoint: str | Path | None = None, plot: str | Path | None = None):
    """Translate one sentence with a trained variant and return the attention of each target word.

    Args:
        text: the source sentence.
        checkpoint: a variant folder written by :func:`run` (holding ``model.json``), or a ``.safetensors``
            file inside one; default ``runs/translate/bahdanau``.
        plot: also save the word alignment heatmap here (PNG).

    Returns:
        :class:`~attnzoo.recipes._translate_setup.Translation` (``.translation``, ``.alignment``,
        ``.format()``).
    """
    from attnzoo.recipes._translate_setup import translate_one

    return translate_one(text, checkpoint, plot)
