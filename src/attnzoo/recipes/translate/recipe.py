"""``run``: the ``translate`` recipe end to end (data, every variant trained and tested, the report)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch

from attnzoo.recipes._common import budget_config, parse_overrides_into, recipe_command
from attnzoo.recipes.translate.config import BUDGETS
from attnzoo.recipes.translate.data import prepare_data
from attnzoo.recipes.translate.evaluate import evaluate_variant
from attnzoo.recipes.translate.report import write_report
from attnzoo.recipes.translate.train import check_config, train_variant

__all__ = ["run"]

_log = logging.getLogger("attnzoo.recipes.translate")


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
    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    check_config(cfg)
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
