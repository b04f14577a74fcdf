"""Attention OCR (Lee & Osindero 2016, arXiv 1603.03101) against a CTC reader, on rendered words.

``attnzoo run ocr`` trains a recursive-CNN attention reader, its plain-CNN ablation and a CTC reader at
one budget on word images rendered from the fra-eng vocabulary, and scores them on words never seen in
training. ``attnzoo read IMAGE --checkpoint RUN_DIR`` reads one image with a trained reader.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, prepare_run_dir
from attnzoo.recipes.ocr.config import ABOUT, BUDGETS, MODELS, OCRConfig

__all__ = ["ABOUT", "BUDGETS", "MODELS", "OCRConfig", "read_image", "run"]

log = logging.getLogger("attnzoo.recipes.ocr")


@register_recipe(
    "ocr",
    summary="Attention OCR (Lee & Osindero 2016): recursive-CNN attention vs plain CNN vs CTC, unseen words",
    data="word images rendered from the fra-eng vocabulary in DejaVu fonts (test words unseen in training)",
)
def run(
    out_dir: str | Path,
    *,
    budget: str = "smoke",
    seed: int = 0,
    resume: bool = False,
    force: bool = False,
    **overrides,
) -> dict:
    """Train the readers, score them on the unseen test words, write ``out_dir/index.html``."""
    from attnzoo.recipes.ocr.evaluate import char_confusions, read_dataset
    from attnzoo.recipes.ocr.report import ocr_claim, write_report
    from attnzoo.recipes.ocr.train import load_data, train_reader
    from attnzoo.train.text_metrics import text_metrics

    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    out = prepare_run_dir(out_dir, resume=resume, force=force)  # before any work; refuses an earlier run
    data = load_data(cfg, seed)
    results = {}
    for kind in cfg.models:
        log.info("ocr: training the %s reader", kind)
        tr = train_reader(kind, data, cfg, out / "train" / kind, seed=seed, resume=resume)
        beam = 1 if kind == "ctc" else cfg.beam_size
        readings = read_dataset(tr["model"], data.test, data.vocab, beam_size=beam)
        results[kind] = {
            **tr,
            "readings": readings,
            "metrics": text_metrics(readings.predictions, readings.references),
            "confusions": char_confusions(readings.predictions, readings.references),
            "params": sum(p.numel() for p in tr["model"].parameters()),
        }
    summary = {
        "recipe": "ocr",
        "budget": budget,
        "config": asdict(cfg),
        "words": {k: len(v) for k, v in data.splits.items()},
        "test_words_in_train": len(set(data.splits["test"]) & set(data.splits["train"])),
        "fonts": len(data.fonts),
        **{
            f"{kind}_{name}": value
            for kind, r in results.items()
            for name, value in {**r["metrics"], "train_samples_per_s": r["samples_per_s"]}.items()
        },
    }
    write_report(out, cfg, data, results, summary, budget=budget, seed=seed, overrides=overrides)
    summary["claim"] = ocr_claim(results, cfg)
    figs = sorted((out / "figures").glob("*-attention-strips.png")) or sorted((out / "figures").glob("*.png"))
    if figs:
        summary["thumbnail"] = str(figs[0].relative_to(out))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def read_image(image_path: str | Path, checkpoint: str | Path, *, plot: str | Path | None = None) -> str:
    """Read the word in one image with a trained reader; optionally save its attention strip as PNG.

    Args:
        image_path: any image Pillow reads (resized to the reader's height).
        checkpoint: a reader folder (``ocr_model.json`` + ``best.safetensors``) or an ``ocr`` run folder
            (its recursive-CNN reader is used).
        plot: where to save the strip (attention readers only; a ValueError for CTC).
    """
    import torch

    from attnzoo.data.text_images import load_image
    from attnzoo.recipes.ocr.evaluate import read_images
    from attnzoo.recipes.ocr.train import load_reader
    from attnzoo.viz.strip import attention_strip

    kind, model, vocab = load_reader(checkpoint)
    img = load_image(image_path, height=model.config.height)
    [text], [att] = read_images(model, [torch.from_numpy(img)[None]], vocab)
    if plot is not None:
        if att is None:
            raise ValueError(f"--plot needs an attention reader; {checkpoint} holds a {kind} reader")
        attention_strip(img, att, list(text), title=f"read {text!r}", column_width=4, path=plot)
    return text
