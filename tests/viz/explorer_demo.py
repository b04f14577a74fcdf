"""A demo report with every explorer view, and a tour index from made-up summaries (synthetic data only).

Used by the browser test; run as a script to take the README's screenshots::

    PYTHONPATH=src python tests/viz/explorer_demo.py docs/img
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from attnzoo.viz import (
    Report,
    alignment_view,
    attention_heatmap,
    attention_rollout,
    glimpse_view,
    image_view,
    ocr_view,
    text_view,
)

SOURCE = ["le", "chat", "noir", "dort", "."]
TARGET = ["the", "black", "cat", "sleeps", "."]


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def alignment_weights(seed: int = 0) -> np.ndarray:
    """(layers=2, heads=3, T, S) cross-attention: head 0 of the last layer is the true alignment."""
    rng = np.random.default_rng(seed)
    align = np.array([0, 2, 1, 3, 4])  # the black cat = le noir chat
    logits = rng.normal(0, 1, (2, 3, len(TARGET), len(SOURCE)))
    logits[1, 0, np.arange(len(TARGET)), align] += 4.0
    return _softmax(logits)


def text_docs() -> list[dict]:
    words = ["a", "slow", "start", ",", "but", "the", "ending", "is", "an", "overwhelming", "pleasure"]
    att = np.full(len(words), 0.02)
    att[[9, 10]] = [0.35, 0.45]
    att /= att.sum()
    mean = np.full(len(words), 1 / len(words))
    other = ["dull", ",", "lifeless", "and", "far", "too", "long"]
    att2 = _softmax(np.array([3.0, 0, 2.5, 0, 0.5, 0.5, 1.0]))
    return [
        {
            "words": words,
            "weights": {"attention": att, "mean pooling": mean},
            "note": "label: positive",
            "notes": {"attention": "predicts positive (0.91)", "mean pooling": "predicts negative (0.44)"},
        },
        {"words": other, "weights": {"attention": att2, "mean pooling": np.full(len(other), 1 / len(other))}},
    ]


def scene() -> np.ndarray:
    """A 64 x 64 RGB picture: a red disc on the left, a blue square on the right."""
    img = np.full((64, 64, 3), 0.93)
    yy, xx = np.mgrid[:64, :64]
    img[(yy - 30) ** 2 + (xx - 18) ** 2 < 110] = [0.85, 0.15, 0.1]
    img[20:42, 38:58] = [0.15, 0.3, 0.85]
    return img


def caption_weights() -> tuple[list[str], np.ndarray]:
    tokens = ["a", "red", "disc", "beside", "a", "blue", "square"]
    gy, gx = np.mgrid[:8, :8] + 0.5
    blob = lambda cy, cx: np.exp(-((gy - cy) ** 2 + (gx - cx) ** 2) / 1.5)  # noqa: E731
    flat = np.ones((8, 8))
    maps = [flat, blob(3.8, 2.3), blob(3.8, 2.3), flat + blob(4, 4), flat, blob(3.9, 6), blob(3.9, 6)]
    w = np.stack([m / m.sum() for m in maps])
    return tokens, w


def glimpse_boxes() -> np.ndarray:
    """(N=5, K=2, 4) boxes of 12 and 24 pixels around a path over the scene."""
    centres = np.array([[32, 32], [20, 30], [18, 31], [47, 30], [48, 32]], dtype=float)
    return np.stack([np.concatenate([centres - r, centres + r], axis=1) for r in (6, 12)], axis=1)


def word_image(text: str = "attnzoo") -> np.ndarray:
    """The word drawn by matplotlib's Agg canvas, as a (32, 128) grey image in [0, 1]."""
    from attnzoo.viz._common import _new_figure

    fig = _new_figure((1.28, 0.32))
    fig.set_dpi(100)
    fig.set_layout_engine(None)
    fig.text(0.5, 0.45, text, ha="center", va="center", fontsize=17, family="DejaVu Sans")
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba(), dtype=float) / 255.0
    return rgba[..., :3].mean(-1)


def ocr_weights(text: str = "attnzoo", positions: int = 32) -> np.ndarray:
    centres = np.linspace(4.5, positions - 4.5, len(text))
    cols = np.arange(positions)
    w = np.exp(-((cols[None] - centres[:, None]) ** 2) / 2.0)
    return w / w.sum(1, keepdims=True)


def encoder_self_attention(seed: int = 0) -> list[torch.Tensor]:
    """Three layers of (H=2, L, L) self-attention over the source words."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, len(SOURCE), len(SOURCE), generator=g).mul(2).softmax(-1) for _ in range(3)]


def demo_report(out_dir: Path) -> Path:
    """Write a report with every explorer view to ``out_dir``; return its index.html."""
    rep = Report("attnzoo explorer demo", "python tests/viz/explorer_demo.py")
    rep.add_text(
        "Every view of the attention explorer on made-up weights. Hover the words; pick a layer and a head; "
        "step through the glimpses. The page works offline: no server, no network."
    )
    rep.add_heading("Translation: cross-attention, per layer and head")
    rep.add_explorer(alignment_view(SOURCE, TARGET, alignment_weights(), title="English from French"))
    enc = encoder_self_attention()
    rep.add_heading("Encoder self-attention, with attention rollout")
    rep.add_explorer(
        alignment_view(
            SOURCE,
            SOURCE,
            torch.stack(enc),
            extra={"rollout (all layers)": attention_rollout(enc, batched=False)},
            query_label="token",
            key_label="attends to",
        ),
        caption="Rollout: Abnar & Zuidema (2020), `attnzoo.viz.attention_rollout`.",
    )
    rep.add_heading("Sentiment: word attention, two models")
    rep.add_explorer(text_view(text_docs()))
    rep.add_heading("Captioning, glimpses, OCR")
    tokens, w = caption_weights()
    rep.add_explorer(image_view(scene(), tokens, w, title="Captioning"))
    rep.add_explorer(
        glimpse_view(scene(), glimpse_boxes(), notes=[f"guess {g}" for g in "??ddd"], title="RAM")
    )
    rep.add_explorer(ocr_view(word_image(), "attnzoo", ocr_weights(), title="OCR"))
    rep.add_figure(attention_heatmap(alignment_weights()[1, 0], dpi=60), "static figure (for print)")
    return rep.write(out_dir)


FAKE_TOUR = [
    {
        "name": "nw-regression",
        "summary": {
            "claim": {
                "text": "Learned kernel attention fits better than average pooling",
                "held": True,
                "numbers": {"test MSE, parametric": 0.13, "test MSE, average": 0.948},
            },
            "test_mse": {"average": [0.948, 0.0725], "parametric": [0.13, 0.0606]},
            "learned_w": [14.96, 5.65],
        },
        "seconds": 2.6,
    },
    {
        "name": "translate",
        "summary": {
            "claim": {
                "text": "Attention beats no attention on short sentences",
                "held": False,
                "numbers": {"BLEU, bahdanau": 4.1, "BLEU, seq2seq": 4.3},
                "note": "needs the full budget",
            },
            "scores": {"bahdanau": {"greedy": 4.1, "beam": 4.4}},
        },
        "seconds": 141.0,
    },
    {"name": "vision", "summary": {"accuracy": {"baseline": 0.8123, "se": 0.8071}}, "seconds": 95.3},
    {"name": "ocr", "error": "RuntimeError: out of memory", "seconds": 12.0},
]


def demo_tour(out_dir: Path) -> Path:
    """A tour index from :data:`FAKE_TOUR`, with a real report folder (and figure) for each recipe."""
    from attnzoo.recipes.tour import tour_entry
    from attnzoo.viz import write_index

    entries = []
    for k, item in enumerate(FAKE_TOUR):
        folder = out_dir / item["name"]
        rep = Report(item["name"], f"attnzoo run {item['name']}")
        if "error" not in item:
            rep.add_figure(attention_heatmap(alignment_weights(k)[1, 0], dpi=50), "alignment")
        rep.write(folder)
        entries.append(
            tour_entry(
                item["name"],
                f"{item['name']} recipe, one line",
                "some real data",
                folder,
                summary=item.get("summary"),
                error=item.get("error"),
                seconds=item["seconds"],
            )
        )
    intro = "Made-up summaries, to show the page: one card a recipe, its claim and whether it held."
    return write_index(
        out_dir / "index.html", entries, title="attnzoo tour", command="attnzoo tour", intro=intro
    )


def _screenshots(img_dir: Path) -> None:
    import tempfile

    from playwright.sync_api import sync_playwright

    from tests.viz.test_explorer_browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        report, index = demo_report(Path(tmp) / "demo"), demo_tour(Path(tmp) / "tour")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800}, device_scale_factor=1)
        page.goto(report.as_uri())
        first = page.locator(".az-explorer").nth(0)
        first.locator("select").nth(0).select_option("1")  # layer 2, every head in its colour
        first.locator(".az-left .az-tok").nth(2).hover()
        first.screenshot(path=str(img_dir / "explorer.png"))
        page.hover(".az-explorer >> nth=3 >> .az-tok >> nth=5")
        page.locator(".az-explorer").nth(3).screenshot(path=str(img_dir / "explorer-image.png"))
        page.goto(index.as_uri())
        page.screenshot(path=str(img_dir / "index.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    _screenshots(Path(sys.argv[1]))
