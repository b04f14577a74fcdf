"""Captioning (Show, Attend and Tell, arXiv 1502.03044): one decoder step's soft attention over the image
regions against a straightforward torch implementation of the same step, and (``--throughput``) the
recipe's training throughput.

The step: ``attend(score, h, state, "soft")`` as ``ShowAttendTell`` calls it (additive MLP on the region
keys projected once per image, padding regions masked, softmax, context = weighted sum of the features)
against ``v^T tanh(W_h h + keys)`` -> ``masked_fill`` -> ``softmax`` -> ``bmm`` in plain torch on the same
weights (benchmarks/bench_ocr.py's anchor: the same additive step); both return the context and the weights,
checked to agree first. A/A row, verdicts (ratio <= 1.1) and timing as in bench_ocr.py.

Throughput: captions/s per variant at the full config and the projected time per epoch, on synthetic
digits (no dataset needed); CPU seconds beside wall seconds because the shared machine's load inflates wall
time.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_caption.py [--quick]
    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_caption.py --throughput [--steps 6]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from attnzoo.data.scenes import make_scenes
from attnzoo.models._sat_attend import attend
from attnzoo.models.show_attend_tell import ShowAttendTell
from attnzoo.recipes.caption.config import BUDGETS
from attnzoo.recipes.caption.train import collate, default_vocab, model_config

sys.path.insert(0, str(Path(__file__).parent))
from bench_ocr import COLUMNS, STEPS, make_inputs, ref_step, table
from harness import markdown_table

# name, N decoder rows, L regions, D features, n hidden, A attention MLP width
CASES = [
    ("caption recipe (full config: 16 images, 8x8 regions)", 16, 64, 128, 256, 128),
    ("paper's 14x14 x 512 conv5 regions", 64, 196, 512, 512, 512),
]


def ours_step(score, h, keys, feats, mask):
    """The step as ``ShowAttendTell`` runs it (soft attention)."""
    z, alpha, _, _ = attend(score, h, {"feats": feats, "keys": keys, "mask": mask}, "soft")
    return z, alpha


def main(quick: bool = False) -> str:
    rows = table(CASES, make_inputs, ours_step, ref_step, repeats=5 if quick else 15)
    return (
        "## Captioning: one decoder step's attention over the image regions (`python "
        "benchmarks/bench_caption.py`)\n\n"
        '`attend(score, h, state, "soft")` as `ShowAttendTell` calls it, against `v^T tanh(W_h h + keys)` '
        "-> `masked_fill` -> `softmax` -> `bmm` in plain torch, same weights; shape = N rows x L regions x "
        f"D features x n hidden x A MLP; {STEPS} steps a timed unit, one thread; ratio = attnzoo / anchor; "
        "A/A = the anchor against itself, a cell is met only if its margin to the target exceeds that "
        "distance from 1.\n\n" + markdown_table(rows, COLUMNS)
    )


def throughput(steps: int) -> None:
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
        for step in range(steps + 1):
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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--throughput", action="store_true", help="the recipe's training captions/s instead")
    ap.add_argument("--steps", type=int, default=6, help="training steps for --throughput")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.throughput:
        throughput(args.steps)
    else:
        print(main(args.quick))
