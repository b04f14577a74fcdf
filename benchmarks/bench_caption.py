"""Training throughput of the caption recipe at its full config (one thread): captions/s per variant and
the projected time per epoch. Synthetic digits (no dataset needed); CPU seconds are reported beside wall
seconds because the shared machine's load inflates wall time.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_caption.py [--steps 6]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from attnzoo.data.scenes import make_scenes
from attnzoo.models.show_attend_tell import ShowAttendTell
from attnzoo.recipes.caption.config import BUDGETS
from attnzoo.recipes.caption.train import collate, default_vocab, model_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = BUDGETS["full"]
    rng = np.random.default_rng(0)
    digits = (rng.random((500, 28, 28)) * 255).astype(np.uint8)
    scenes = make_scenes(digits, np.arange(500) % 10, 400, seed=0, size=cfg.canvas, max_digits=cfg.max_digits)
    caps_per_scene = np.mean([len(s.captions) for s in scenes.scenes])
    vocab = default_vocab()
    for variant in cfg.variants:
        torch.manual_seed(0)
        model = ShowAttendTell(model_config(cfg, variant, len(vocab))).train()
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        n_caps, cpu, wall = 0, 0.0, 0.0
        for step in range(args.steps + 1):
            idx = list(range(step * cfg.batch_images, (step + 1) * cfg.batch_images))
            b = collate(scenes, vocab, idx)
            c0, w0 = time.process_time(), time.perf_counter()
            out = model(b["images"], b["tokens_in"], image_index=b["image_index"])
            loss = model.loss(out, b["targets"]).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step:  # the first step warms up
                cpu += time.process_time() - c0
                wall += time.perf_counter() - w0
                n_caps += b["tokens_in"].shape[0]
        per_epoch = cfg.n_train * caps_per_scene / (n_caps / cpu)
        print(
            f"{variant}: {n_caps / cpu:.1f} captions/s (CPU), {n_caps / wall:.1f} captions/s (wall); "
            f"epoch of {cfg.n_train} scenes x {caps_per_scene:.2f} captions = {per_epoch / 60:.1f} CPU-min"
        )


if __name__ == "__main__":
    main()
