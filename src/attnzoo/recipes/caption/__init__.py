"""Show, Attend and Tell (Xu et al. 2015, arXiv 1502.03044): soft vs hard vs no attention on mnist-scenes,
scored by BLEU and by whether each digit word's attention lands on that digit (see :mod:`.config`)."""

from __future__ import annotations

import json
from pathlib import Path

from attnzoo.recipes import register_recipe
from attnzoo.recipes._common import budget_config, parse_overrides_into, prepare_run_dir, recipe_command
from attnzoo.recipes.caption.config import BUDGETS, PROSE, VARIANTS, CaptionConfig
from attnzoo.recipes.caption.report import write_report
from attnzoo.recipes.caption.train import build_scenes, default_vocab, load_captioner, train_variant

__all__ = ["BUDGETS", "CaptionConfig", "caption_image", "grounding_claim", "pretrained_encoder", "run"]


def _load_digits(cfg: CaptionConfig) -> dict:
    from attnzoo.data import load_mnist_like

    root = cfg.data_root or "mnist"
    return {s: load_mnist_like(root, s) for s in ("train", "test")}


@register_recipe(
    "caption",
    summary="Show, Attend and Tell: soft vs hard (REINFORCE) vs no attention captioning, BLEU + grounding",
    data="mnist-scenes: 1-4 real MNIST digits a canvas, captions from a grammar, boxes kept (mnist)",
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
    """Train the variants, evaluate them on the test scenes, write ``out_dir/index.html``; return metrics."""
    from attnzoo.recipes.caption.evaluate import evaluate_variant

    cfg = parse_overrides_into(budget_config(BUDGETS, budget), overrides)
    bad = [v for v in cfg.variants if v not in VARIANTS]
    if bad or not cfg.variants:
        raise ValueError(f"variants must be among {VARIANTS}, got {cfg.variants!r}")
    out = prepare_run_dir(out_dir, resume=resume, force=force)  # before any work; refuses an earlier run
    digits = _load_digits(cfg)
    data = build_scenes(cfg, seed, digits)
    vocab = default_vocab()
    encoder_state, pretrain = pretrained_encoder(cfg, digits, seed)
    results = {}
    for v in cfg.variants:
        model, info = train_variant(
            v, cfg, data, vocab, out / v, seed=seed, resume=resume, encoder_state=encoder_state
        )
        ev = evaluate_variant(model, data["test"], vocab, beam_size=cfg.beam_size, max_len=cfg.max_len)
        results[v] = {**ev, **info}
    metrics = {v: r["metrics"] for v, r in results.items()}
    summary = {"recipe": "caption", "budget": budget, "seed": seed, "claim": grounding_claim(metrics)}
    summary["metrics"] = metrics
    if pretrain is not None:
        summary["encoder_pretraining"] = pretrain
    thumb = write_report(out, cfg, data, results, recipe_command("caption", budget, seed, overrides), PROSE)
    if thumb is not None:
        summary["thumbnail"] = thumb
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def pretrained_encoder(cfg: CaptionConfig, digits: dict, seed: int) -> tuple[dict | None, dict | None]:
    """The encoder every variant starts from, pretrained on MNIST train digits 0-49999 (those the training
    scenes use), and its last-steps loss / accuracy; ``(None, None)`` when ``cfg.pretrain_steps`` is 0."""
    if not cfg.pretrain_steps:
        return None, None
    import torch

    from attnzoo.models.show_attend_tell import ShowAttendTell
    from attnzoo.recipes.caption.pretrain import pretrain_encoder
    from attnzoo.recipes.caption.train import model_config

    x, y = digits["train"]
    cut = int(len(x) * 5 / 6)  # as build_scenes: never a validation digit
    with torch.random.fork_rng():  # a seeded init, the same for every variant; the global RNG untouched
        torch.manual_seed(seed)
        enc = ShowAttendTell(model_config(cfg, "soft", 3)).encoder  # the variants' encoder shape
        info = pretrain_encoder(
            enc,
            x[:cut],
            y[:cut],
            steps=cfg.pretrain_steps,
            batch=cfg.pretrain_batch,
            lr=cfg.lr,
            seed=seed,
            sizes=cfg.sizes,
        )
    return {k: v.detach().clone() for k, v in enc.state_dict().items()}, info


def grounding_claim(metrics: dict, *, min_words: int = 100, min_z: float = 3.0) -> dict:
    """The tour's claim: soft attention looks at the digit it names, above chance (see the tour's contract).

    Held when at least ``min_words`` digit words were scored and their argmax-in-box rate lies ``min_z``
    standard deviations above chance (:func:`~attnzoo.recipes.caption.grounding.summarize_grounding`);
    None when soft attention was not trained.
    """
    if "soft" not in metrics:
        return {"text": "soft attention looks at the digit it names (not run: no soft variant)", "held": None}
    soft = metrics["soft"]["all"]
    if soft.get("argmax_in_box") is None:
        text = "soft attention looks at the digit it names: no generated digit word named one in its scene"
        return {"text": text, "held": False}
    hit, chance, n, z = soft["argmax_in_box"], soft["chance"], soft["words"], soft["z"]
    numbers = {
        "argmax in box, soft": hit,
        "chance (box share)": chance,
        "digit words scored": n,
        "z above chance": z,
        "BLEU-4, soft": soft["BLEU-4"],
    }
    for v in ("hard", "none"):
        if metrics.get(v, {}).get("all"):
            numbers[f"BLEU-4, {v}"] = metrics[v]["all"]["BLEU-4"]
    hard = metrics.get("hard", {}).get("all", {})
    if hard.get("argmax_in_box") is not None:
        numbers["argmax in box, hard"] = hard["argmax_in_box"]
    return {
        "text": f"soft attention looks at the digit it names: its most-attended cell is in the digit's box "
        f"for {100 * hit:.0f} % of {n} digit words against {100 * chance:.0f} % by chance",
        "held": bool(n >= min_words and z is not None and z >= min_z),
        "numbers": numbers,
        "note": f"held means at least {min_words} words scored and z >= {min_z:g}; the paper-scale targets "
        "(BLEU-4 >= 0.6, argmax in box >= 85 %) need the full budget",
    }


def caption_image(image_path: str | Path, checkpoint: str | Path, *, plot: str | Path | None = None) -> str:
    """Caption one image file with a trained captioner (a variant folder of a caption run).

    The image is read grey, resized to the training canvas and scaled to [0, 1] (white digits on black,
    as mnist-scenes draws them). With ``plot``, the per-word attention figure is saved there.
    """
    import torch

    from attnzoo.data.karpathy import load_karpathy_image

    model, vocab, meta = load_captioner(checkpoint)
    img = load_karpathy_image(image_path, meta["canvas"], grey=True)  # (1, S, S)
    g = model.generate(torch.from_numpy(img)[None], max_len=meta["max_len"])
    words = vocab.decode(g.tokens[0].tolist())
    if plot is not None:
        from attnzoo.recipes.caption.figures import attention_figure

        h, w = g.grid
        maps = g.alphas[0, : len(words)].reshape(len(words), h, w).numpy()
        fig = attention_figure(img[0], {model.config.attention: (words, maps)})
        fig.savefig(plot, dpi=120)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return " ".join(words)
