"""The caption recipe's report: one table (BLEU-1..4 and grounding per variant), the 3-4-digit gap, the
per-word attention figures, soft and hard side by side."""

from __future__ import annotations

from pathlib import Path

from attnzoo.recipes.caption.config import CaptionConfig
from attnzoo.recipes.caption.figures import attention_figure

__all__ = ["results_table", "write_report"]

_BLEU = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4")


def results_table(metrics: dict[str, dict], subset: str = "all") -> list[dict]:
    """Rows: variant, BLEU-1..4, grounding (mass in box, argmax in box, chance), words scored."""
    rows = []
    for v, m in metrics.items():
        s = m.get(subset, {})
        if not s:
            continue
        row = {"attention": v, **{b: s[b] for b in _BLEU}}
        if v != "none":
            row.update(
                {
                    "mass in box": s["mass_in_box"],
                    "argmax in box": s["argmax_in_box"],
                    "chance (box share)": s["chance"],
                    "digit words scored": s["words"],
                    "digit words not in scene": s["unmatched_words"],
                }
            )
        if "exact" in s:
            row["exact caption"] = s["exact"]
        rows.append(row)
    return rows


def write_report(
    out: Path, cfg: CaptionConfig, data: dict, results: dict, command: str, prose: str
) -> str | None:
    """Write ``out/index.html``; return the name of the first per-word attention figure (None if none)."""
    import matplotlib.pyplot as plt

    from attnzoo import viz

    metrics = {v: r["metrics"] for v, r in results.items()}
    rep = viz.Report("Show, Attend and Tell on mnist-scenes", command=command)
    rep.add_text(prose)
    n = len(data["test"])
    rep.add_table(
        results_table(metrics),
        caption=f"Test split ({n} scenes from MNIST's test digits), "
        f"{'greedy' if not cfg.beam_size else f'beam {cfg.beam_size}'} decoding; BLEU in [0, 1]. "
        "Grounding over the generated digit words that name a digit of the scene.",
        floatfmt=".3f",
    )
    gap = []
    for subset in ("1-2 digits", "3-4 digits"):
        for row in results_table(metrics, subset):
            gap.append({"scenes": subset, "attention": row["attention"], **{b: row[b] for b in _BLEU}})
    if gap:
        rep.add_table(gap, caption="BLEU by number of digits: the no-attention gap grows with the scene.")
    first = None
    for i in range(min(cfg.figure_images, n)):
        rows = {
            v: (r["captions"][i], r["maps"][i])
            for v, r in results.items()
            if v != "none" and r["captions"][i]
        }
        if not rows:
            continue
        sc = data["test"].scenes[i]
        fig = attention_figure(data["test"].images[i], rows)
        refs = " | ".join(" ".join(c) for c in sc.captions)
        none = " ".join(results["none"]["captions"][i]) if "none" in results else None
        text = f"Test scene {i}: per-word attention (nearest-neighbour cells). References: {refs}."
        if none is not None:
            text += f" No attention: {none}."
        rep.add_figure(fig, text, name=f"attention-{i}")
        first = first or f"attention-{i}"
        plt.close(fig)
        for v, (words, maps) in rows.items():
            rep.add_explorer(
                viz.image_view(data["test"].images[i], words, maps, title=f"Test scene {i}, {v} attention"),
                caption=f"Hover a word of the {v} caption to see where it looked.",
            )
    rep.write(out)
    return first
