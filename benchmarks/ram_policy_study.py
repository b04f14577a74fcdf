"""The policy-collapse study behind RAMRecipeConfig.location_lr_scale: short RAM runs on real MNIST.

Not a timing: it trains RAM (lr 1e-3, batch 32, std 0.05 unless overridden) for STEPS steps and prints,
three times along the way, the validation error (one glimpse sequence, 1000 images), the mean distance of
each glimpse from the digit's centre (px) and the fraction of each glimpse on the image border.

    PYTHONPATH=src python benchmarks/ram_policy_study.py NAME STEPS LR [loc_lr=0.1] [std=0.1]
        [squash=clamp] [seed=1]
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import numpy as np
import torch

from attnzoo.models.ram import RAM, ram_loss
from attnzoo.recipes.ram.config import RAMRecipeConfig
from attnzoo.recipes.ram.train import digit_centres, load_data, ram_config


def main() -> None:
    torch.set_num_threads(1)
    name, steps, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    opts = dict(a.split("=") for a in sys.argv[4:])
    seed = int(opts.get("seed", 0))
    cfg = RAMRecipeConfig(task="mnist", val_size=1000, location_std=float(opts.get("std", 0.05)))
    data = load_data(cfg)
    torch.manual_seed(seed)
    model = RAM(dataclasses.replace(ram_config(cfg), location_squash=opts.get("squash", "tanh")))
    rest = [p for n, p in model.named_parameters() if not n.startswith("locator.")]
    loc_lr = lr * float(opts.get("loc_lr", 1.0))
    opt = torch.optim.Adam(
        [{"params": rest}, {"params": list(model.locator.parameters()), "lr": loc_lr}], lr=lr
    )
    rng = np.random.default_rng(seed)
    val = data.val_idx[:1000]
    t0 = time.time()
    for step in range(1, steps + 1):
        x, y = data.train.batch(rng.choice(data.train_idx, 32, replace=False))
        loss = ram_loss(model(x), y).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % (steps // 3) == 0:
            model.eval()
            with torch.no_grad():
                x, y = data.train.batch(val)
                out = model(x, generator=torch.Generator().manual_seed(1))
            model.train()
            locs = out.locations.numpy()
            dist = np.linalg.norm(locs - digit_centres(data.train, val)[:, None], axis=-1).mean(0) * 14
            row = {"variant": name, "step": step,
                   "val_err": round(100 * float((out.logits.argmax(-1) != y).float().mean()), 1),
                   "dist_px": dist.round(1).tolist(),
                   "border_frac": (np.abs(locs) >= 0.99).any(-1).mean(0).round(2).tolist(),
                   "s": round(time.time() - t0)}  # fmt: skip
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
