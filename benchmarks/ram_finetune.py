"""RAM's lower-rate phase by hand: fine-tune a finished run's weights at lr x SCALE for EPOCHS epochs.

    python benchmarks/ram_finetune.py WEIGHTS [--scale 0.1] [--epochs 10] [--out /tmp/ram-finetune]

WEIGHTS is a ``last`` or ``best.safetensors`` of ``attnzoo run ram --budget full`` (MNIST). A fresh Adam, as
the recipe's ``finetune_epochs`` phase, but from the given weights (the recipe starts from the best epoch);
prints validation error (one sequence) at the start and the test error (MC and one sequence) at the end.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch.utils.data import Subset

from attnzoo.models.ram import RAM
from attnzoo.recipes.ram.config import BUDGETS
from attnzoo.recipes.ram.train import _ram_adam, _ram_eval, load_data, ram_config, ram_step
from attnzoo.train import TrainConfig, Trainer, load_weights, seed_everything


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights")
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", default="/tmp/ram-finetune")
    args = p.parse_args()
    torch.set_num_threads(1)
    cfg = BUDGETS["full"]
    data = load_data(cfg)
    seed_everything(0)
    model = RAM(ram_config(cfg))
    load_weights(model, args.weights)
    val = data.val_idx[: cfg.val_eval_size]

    def eval_fn(m):
        return {"error": _ram_eval(m, data.train, val, 1, 0)["error"]}

    print("validation error at the start:", eval_fn(model)["error"], flush=True)
    tc = TrainConfig(out_dir=args.out, epochs=args.epochs, batch_size=cfg.batch_size, seed=1, resume=True,
                     best_metric="eval/error", log_every=200, num_threads=1)  # fmt: skip
    Trainer(model, _ram_adam(model, cfg.lr * args.scale, cfg), Subset(data.train, data.train_idx.tolist()),
            step_fn=ram_step, eval_fn=eval_fn, config=tc, collate_fn=data.train.collate).fit()  # fmt: skip
    for name in ("last", "best"):
        load_weights(model, Path(args.out) / f"{name}.safetensors")
        mc = _ram_eval(model, data.test, data.test_idx, cfg.mc_samples, 1)["error"]
        one = _ram_eval(model, data.test, data.test_idx, 1, 2)["error"]
        print(f"{name}: test error {mc:.2f} % (MC {cfg.mc_samples}), {one:.2f} % (one sequence)", flush=True)


if __name__ == "__main__":
    main()
