"""The ``draw`` recipe's figures: samples, canvases step by step with the write window, read glimpses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from attnzoo import viz
from attnzoo.models.draw import DRAW
from attnzoo.nn.filterbank import FilterbankParams, filterbank, filterbank_box, read

__all__ = ["canvas_sequence", "kl_per_step_plot", "read_glimpses", "samples_grid", "shown_steps"]


def shown_steps(T: int, k: int = 12) -> list[int]:
    """Up to ``k`` step indices spread over ``0..T-1``, always with the last."""
    return sorted({round(float(i)) for i in np.linspace(0, T - 1, min(k, T))})


def _at(p: FilterbankParams, b: int, t: int) -> FilterbankParams:
    return FilterbankParams(*(v[b, t].reshape(1) for v in p))


def samples_grid(model: DRAW, n: int, seed: int):
    """Generated images ``sigmoid(c_T)``."""
    s = model.sample(n, generator=seed)
    cols = int(np.ceil(np.sqrt(n)))
    return viz.image_grid(s.images[:, 0], ncols=cols, suptitle=f"{n} samples (T = {model.config.steps})")


def canvas_sequence(model: DRAW, seed: int, gif_path: Path, rows: int = 3):
    """Generation step by step (the paper's Figure 1): canvases with the write window; also a GIF of row 0."""
    s = model.sample(rows, generator=seed)
    T = model.config.steps
    steps = shown_steps(T)
    imgs, boxes, titles = [], [], []
    for b in range(rows):
        for t in steps:
            imgs.append(s.canvases[b, t, 0])
            titles.append(f"t={t + 1}")
            if s.write_params is not None:
                boxes.append([filterbank_box(_at(s.write_params, b, t), model.config.write_n)[0].tolist()])
            else:
                boxes.append([])
    fig = viz.image_grid(
        torch.stack(imgs),
        ncols=len(steps),
        titles=titles,
        boxes=boxes,
        suptitle="Canvases sigmoid(c_t) while generating; red: the window written at that step",
    )
    frame_boxes = None
    if s.write_params is not None:
        wn = model.config.write_n
        frame_boxes = [[filterbank_box(_at(s.write_params, 0, t), wn)[0].tolist()] for t in range(T)]
    viz.save_gif(s.canvases[0, :, 0], gif_path, boxes=frame_boxes, duration_ms=max(40, 3000 // T))
    return fig


def read_glimpses(model: DRAW, x: torch.Tensor, seed: int):
    """Where the attention model reads a test digit at each step, and what it sees (``gamma F_y x F_x^T``)."""
    cfg = model.config
    with torch.no_grad():
        out = model(x[None], generator=torch.Generator().manual_seed(seed))
    steps = shown_steps(cfg.steps)
    digit, boxes, glimpses, titles = [], [], [], []
    for t in steps:
        p = _at(out.read_params, 0, t)
        F_x, F_y = filterbank(p, cfg.height, cfg.width, cfg.read_n)
        g = read(x[None], F_x, F_y, torch.ones_like(p.gamma))[0, 0]  # (N, N), the intensity left out
        big = torch.kron(g.clamp(0, 1), torch.ones(cfg.height // cfg.read_n, cfg.width // cfg.read_n))
        pad = torch.zeros(cfg.height, cfg.width)
        pad[: big.shape[0], : big.shape[1]] = big
        digit.append(x[0])
        boxes.append([filterbank_box(p, cfg.read_n)[0].tolist()])
        glimpses.append(pad)
        titles.append(f"t={t + 1}")
    return viz.image_grid(
        torch.stack(digit + glimpses),
        ncols=len(steps),
        titles=titles + [f"glimpse {t + 1}" for t in steps],
        boxes=boxes + [[] for _ in steps],
        suptitle=f"Read window on a test digit (top) and the {cfg.read_n}x{cfg.read_n} glimpse (bottom)",
    )


def kl_per_step_plot(kl: dict[str, list[float]]):
    """Mean KL (nats) of each step's latent on the test set, one line a variant."""
    T = len(next(iter(kl.values())))
    return viz.line_plot(
        np.arange(1, T + 1),
        {k: np.asarray(v) for k, v in kl.items()},
        xlabel="step t",
        ylabel="KL(Q(z_t) || N(0, I)), nats",
        title="Information sent at each step (test mean)",
        marker="o" if T <= 16 else None,
    )
