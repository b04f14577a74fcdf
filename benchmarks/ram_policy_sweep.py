"""Short RAM runs on a 60x60 task: does the learned policy move its glimpses toward the digit?

Not a timing. Trains RAM on the first TRAIN_SIZE training images of the task (translated unless the recipe
fields say otherwise; batch 64, Adam, one thread) for EPOCHS epochs and prints, after each, the validation
error (one glimpse sequence, 1,000 images) and the mean distance (px) of each glimpse from the digit's
centre. (``benchmarks/ram_policy_study.py`` is the MNIST study behind ``location_lr_scale``.)

    python benchmarks/ram_policy_sweep.py NAME '{"epochs": 8, "lr": 1e-3}' ['{"core": ...}'] [LOCATOR_SGD_LR]

The second argument holds ``RAMRecipeConfig`` fields (``epochs`` too, default 6; ``train_size`` default 20000;
``task`` default translated), the third ``RAMConfig`` fields (e.g. ``{"start": "learned"}``,
``{"policy": "random"}``) and two probes that are not fields: ``"locator_hidden": N`` (a location network
with a hidden ReLU layer of N units, as kevinzakka's port; the paper's is linear) and ``"repeat": M`` (each
batch is its first 64 / M images M times, so REINFORCE sees M glimpse sequences an image). A fourth
argument trains the location network by SGD with momentum 0.9 at that rate instead of its Adam group.
The final weights are saved to ``/tmp/ram-sweep-NAME.pt``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset

from attnzoo.models.ram import RAM, ram_loss
from attnzoo.recipes.ram.config import RAMRecipeConfig
from attnzoo.recipes.ram.train import _ram_adam, _ram_eval, digit_centres, load_data, ram_config


def main() -> None:
    torch.set_num_threads(1)
    name, kw = sys.argv[1], json.loads(sys.argv[2])
    mkw = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    sgd = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    epochs = int(kw.pop("epochs", 6))
    cfg = RAMRecipeConfig(**{"task": "translated", "train_size": 20000, **kw})
    data = load_data(cfg)
    torch.manual_seed(0)
    hidden, repeat = int(mkw.pop("locator_hidden", 0)), int(mkw.pop("repeat", 1))
    model = RAM(dataclasses.replace(ram_config(cfg), **mkw))
    if hidden:
        lin = torch.nn.Linear
        model.locator = torch.nn.Sequential(lin(model.config.hidden, hidden), torch.nn.ReLU(), lin(hidden, 2))
    opts = [_ram_adam(model, cfg.lr, cfg)]
    if sgd:
        rest = [p for n, p in model.named_parameters() if not n.startswith("locator.")]
        opts = [torch.optim.Adam(rest, lr=cfg.lr), torch.optim.SGD(model.locator.parameters(), sgd, 0.9)]
    ds = Subset(data.train, data.train_idx.tolist())
    val = data.val_idx[:1000]
    t0 = time.time()
    for ep in range(epochs):
        for x, y in DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, collate_fn=data.train.collate):
            if repeat > 1:
                x, y = x[: len(x) // repeat].repeat(repeat, 1, 1, 1), y[: len(y) // repeat].repeat(repeat)
            loss = ram_loss(model(x), y).loss
            for o in opts:
                o.zero_grad()
            loss.backward()
            for o in opts:
                o.step()
        ev = _ram_eval(model, data.train, val, 1, 0)
        d = np.linalg.norm(ev["locations"] - digit_centres(data.train, val)[:, None], axis=-1).mean(0)
        d = " ".join(f"{v:.1f}" for v in d * data.train.size / 2)
        print(f"{name} ep{ep + 1} {time.time() - t0:.0f}s val_err={ev['error']:.1f} dist={d}", flush=True)
    torch.save(model.state_dict(), f"/tmp/ram-sweep-{name}.pt")


if __name__ == "__main__":
    main()
