"""``run``: the ``translate`` recipe end to end (data, every variant trained and tested, the report)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch

from attnzoo.recipes._common import (
    budget_config,
    claim,
    parse_overrides_into,
    prepare_run_dir,
    recipe_command,
)
from attnzoo.recipes.translate.config import BUDGETS
from attnzoo.recipes.translate.data import prepare_data
from attnzoo.recipes.translate.evaluate import evaluate_variant
from attnzoo.recipes.translate.report import write_report
from attnzoo.recipes.translate.train import check_config, train_variant

__all__ = ["run"]

_log = logging.getLogger("attnzoo.recipes.translate")


def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Train every variant with the same budget and seed, evaluate on the test split, write the report.

    Args:
        out_dir: run folder: ``<variant>/`` checkpoints and ``model.json``, ``index.html``,
            ``summary.json``.
        budget: ``smoke`` (about a minute: 3k pairs, tiny models) or ``full``.
        seed: seeds data order, initial weights and the training subset.
        resume: continue interrupted trainings found in ``out_dir``.
        force: replace an earlier run in ``out_dir`` (without ``resume`` or ``force`` it is refused).
        **overrides: any :class:`TranslateConfig` field, e.g. ``variants=("seq2seq", "bahdanau")``.

    Returns:
        The summary: per variant and decoding, test BLEU / chrF; BLEU by source length; training time.
    """
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    check_config(cfg)
    out = prepare_run_dir(out_dir, resume=resume, force=force)
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
    summary["claim"] = _claim(results, cfg, data.stats["test_sources_decoded"])
    main = _main_attention(results)
    summary["thumbnail"] = f"align-{main}" if main else "bleu-length"
    command = recipe_command("translate", budget, seed, overrides)
    write_report(out, results, data, cfg, command)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _main_attention(results: dict) -> str | None:
    """The attention variant the claim is about: Bahdanau (the paper's RNNsearch) if run, else the first."""
    attn = [n for n in results if n != "seq2seq"]
    return "bahdanau" if "bahdanau" in attn else (attn[0] if attn else None)


def _claim(results: dict, cfg, n_test: int) -> dict:
    """Attention beats no attention: test BLEU (beam) of the main attention variant against seq2seq."""
    beam = f"beam {cfg.beam_size}"
    bleu = {n: r["scores"][beam]["bleu"] for n, r in results.items()}
    main = _main_attention(results)
    where = f"sentences of at most {cfg.max_test_words} words" if cfg.max_test_words else "the test sentences"
    if main is None or "seq2seq" not in bleu:
        return claim(
            f"attention beats no attention on {where}",
            held=None,
            numbers={f"BLEU, {n}": v for n, v in bleu.items()},
            note="needs both seq2seq and an attention variant in variants",
        )
    others = [n for n in bleu if n != "seq2seq"]
    beaten = sum(bleu[n] > bleu["seq2seq"] for n in others)
    return claim(
        f"attention ({main}) beats no attention (seq2seq, one fixed context) on {where}",
        held=bleu[main] > bleu["seq2seq"],
        numbers={f"BLEU, {n}": v for n, v in sorted(bleu.items(), key=lambda kv: -kv[1])},
        note=f"test BLEU, {beam}, {n_test} test sources; {beaten} of {len(others)} attention variants "
        "beat seq2seq",
        digits=1,
    )
