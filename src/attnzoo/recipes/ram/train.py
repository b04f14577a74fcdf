"""Data, training and evaluation of the ``ram`` recipe: RAM (learned or random policy) and the conv net."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Subset

from attnzoo.data import MnistTask, load_mnist_like
from attnzoo.models.convnet import ConvNet, ConvNetConfig
from attnzoo.models.ram import RAM, RAMConfig, ram_loss
from attnzoo.recipes.ram.config import TASK_DEFAULTS, RAMRecipeConfig
from attnzoo.train import TrainConfig, Trainer, load_weights, seed_everything

__all__ = ["TaskData", "digit_centres", "load_data", "ram_config", "ram_step", "train_convnet", "train_ram"]

_EVAL_BATCH = 500


@dataclasses.dataclass(frozen=True)
class TaskData:
    train: MnistTask  # generator over the 60k training digits (train and validation indices)
    test: MnistTask  # generator over the test digits (its own seed: distractors come from test digits)
    train_idx: np.ndarray  # (n_train,) indices into train
    val_idx: np.ndarray  # (n_val,) indices into train
    test_idx: np.ndarray  # (n_test,) indices into test


def load_data(cfg: RAMRecipeConfig) -> TaskData:
    """The task's generators over MNIST and the train / validation / test index splits."""
    src = cfg.data_dir if cfg.data_dir is not None else "mnist"
    xtr, ytr = load_mnist_like(src, "train")
    xte, yte = load_mnist_like(src, "test")
    if cfg.val_size >= len(xtr):
        raise ValueError(f"val_size {cfg.val_size} leaves no training images out of {len(xtr)}")
    perm = np.random.default_rng(cfg.data_seed).permutation(len(xtr))
    val_idx, train_idx = perm[: cfg.val_size], perm[cfg.val_size :]
    if cfg.train_size is not None:
        train_idx = train_idx[: cfg.train_size]
    test_idx = np.arange(len(xte) if cfg.test_size is None else min(cfg.test_size, len(xte)))
    train = MnistTask(xtr, ytr, cfg.task, seed=cfg.data_seed)
    test = MnistTask(xte, yte, cfg.task, seed=cfg.data_seed + 1)
    return TaskData(train, test, np.sort(train_idx), val_idx, test_idx)


def ram_config(cfg: RAMRecipeConfig, policy: str = "learned", glimpses: int | None = None) -> RAMConfig:
    """The model config of the recipe's task (the paper's retina unless overridden)."""
    g, k, t = TASK_DEFAULTS[cfg.task]
    return RAMConfig(
        image_size=MnistTask.size_of(cfg.task),
        patch_size=cfg.patch_size or g,
        num_scales=cfg.num_scales or k,
        glimpses=glimpses or cfg.glimpses or t,
        hidden=cfg.hidden,
        core=cfg.core,
        location_std=cfg.location_std,
        policy=policy,
    )


def digit_centres(task: MnistTask, indices: np.ndarray) -> np.ndarray:
    """(n, 2) centre ``(x, y)`` in [-1, 1] of the digit of each generated image."""
    pos = task.positions(indices)  # (n, 2) top-left (row, col)
    h, w = task.images.shape[1:]
    centre = pos[:, ::-1] + np.array([w / 2, h / 2])  # (x, y) in pixels
    return centre / task.size * 2 - 1


@torch.no_grad()
def _ram_eval(model: RAM, task: MnistTask, idx: np.ndarray, samples: int, seed: int, glimpses=None) -> dict:
    """Error (%) with ``samples`` Monte-Carlo sequences, and the locations of the first sequence."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)  # private: evaluation never moves the training RNG
    wrong, locs, preds = 0, [], []
    for s in range(0, len(idx), _EVAL_BATCH):
        x, y = task.batch(idx[s : s + _EVAL_BATCH])
        p = model.predict(x, samples, glimpses=glimpses, generator=gen)
        wrong += int((p.argmax(-1) != y).sum())
        preds.append(p.argmax(-1).numpy())
        locs.append(model(x, glimpses=glimpses, generator=gen).locations.numpy())
    model.train()
    return {
        "error": 100 * wrong / len(idx),
        "locations": np.concatenate(locs),
        "preds": np.concatenate(preds),
    }


def _fit(model, opt, cfg, data, out_dir, seed, resume, step_fn, eval_fn, epochs) -> tuple[list, float]:
    tc = TrainConfig(
        out_dir=str(out_dir), epochs=epochs, batch_size=cfg.batch_size, seed=seed, resume=resume,
        overwrite=not resume, max_steps=cfg.max_steps, eval_every=cfg.eval_every, best_metric="eval/error",
        log_every=100, num_threads=cfg.num_threads, resume_hint="--resume",
    )  # fmt: skip
    dataset = Subset(data.train, data.train_idx.tolist())
    trainer = Trainer(model, opt, dataset, step_fn=step_fn, eval_fn=eval_fn, config=tc,
                      collate_fn=data.train.collate)  # fmt: skip
    history = trainer.fit()
    trainer.raise_if_interrupted()  # TrainingInterrupted: the run is saved, --resume continues it
    load_weights(model, Path(out_dir) / "best.safetensors")
    return history, sum(r.get("seconds", 0.0) for r in history)


def _summary(history: list, seconds: float, cfg: RAMRecipeConfig, model: torch.nn.Module) -> dict[str, Any]:
    steps = history[-1]["step"] if history else 0
    return {
        "epochs": history[-1]["epoch"] if history else 0,
        "steps": steps,
        "train_seconds": seconds,
        "train_images_per_s": steps * cfg.batch_size / seconds if seconds else float("nan"),
        "params": sum(p.numel() for p in model.parameters()),
        "val_curve": [(r["epoch"], r["eval/error"]) for r in history if "eval/error" in r],
    }


def ram_step(model: RAM, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """The Trainer's step of RAM: the hybrid loss of a batch ``(x, y)``, with its action and reward logged."""
    x, y = batch
    parts = ram_loss(model(x), y)
    return parts.loss, {"action": parts.action.item(), "reward": parts.reward.item()}


def _ram_adam(model: RAM, lr: float, cfg: RAMRecipeConfig) -> torch.optim.Adam:
    """Adam with the location network at ``lr * location_lr_scale`` (see the config field)."""
    locator = list(model.locator.parameters())
    rest = [p for n, p in model.named_parameters() if not n.startswith("locator.")]
    return torch.optim.Adam([{"params": rest}, {"params": locator, "lr": lr * cfg.location_lr_scale}], lr=lr)


def train_ram(
    cfg: RAMRecipeConfig, data: TaskData, seed: int, out_dir: Path, resume: bool, *,
    policy: str = "learned", glimpses: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Train one RAM, keep its best validation epoch, score it on the test set; returns numbers and model."""
    seed_everything(seed)
    model = RAM(ram_config(cfg, policy, glimpses))
    val = data.val_idx[: cfg.val_eval_size]

    def eval_fn(m):
        return {"error": _ram_eval(m, data.train, val, cfg.val_samples, seed)["error"]}

    history, seconds = _fit(model, _ram_adam(model, cfg.lr, cfg), cfg, data, out_dir, seed, resume, ram_step,
                            eval_fn, cfg.epochs)  # fmt: skip
    if cfg.finetune_epochs:  # the lower-rate phase from the best epoch, its own run directory and seed
        opt = _ram_adam(model, cfg.lr * cfg.finetune_lr_scale, cfg)
        more, secs = _fit(model, opt, cfg, data, Path(f"{out_dir}-finetune"), seed + 1, resume, ram_step,
                          eval_fn, cfg.finetune_epochs)  # fmt: skip
        epoch, step = (history[-1]["epoch"], history[-1]["step"]) if history else (0, 0)
        history = history + [{**r, "epoch": r["epoch"] + epoch, "step": r["step"] + step} for r in more]
        seconds += secs
    test = _ram_eval(model, data.test, data.test_idx, cfg.mc_samples, seed + 1)
    single = _ram_eval(model, data.test, data.test_idx, 1, seed + 2)
    return {
        **_summary(history, seconds, cfg, model),
        "seed": seed,
        "test_error": test["error"],
        "test_error_1_sample": single["error"],
        "model": model,
        "test_locations": test["locations"],
        "test_preds": test["preds"],
    }


def glimpse_curve(model: RAM, cfg: RAMRecipeConfig, data: TaskData, seed: int) -> list[tuple[int, float]]:
    """Test error (%) when the action network reads the state after t = 1 ... T glimpses (one model)."""
    T = model.config.glimpses
    return [(t, _ram_eval(model, data.test, data.test_idx, cfg.mc_samples, seed + t, t)["error"])
            for t in range(1, T + 1)]  # fmt: skip


@torch.no_grad()
def _conv_error(model: ConvNet, task: MnistTask, idx: np.ndarray) -> float:
    model.eval()
    wrong = 0
    for s in range(0, len(idx), _EVAL_BATCH):
        x, y = task.batch(idx[s : s + _EVAL_BATCH])
        wrong += int((model(x).argmax(-1) != y).sum())
    model.train()
    return 100 * wrong / len(idx)


def train_convnet(cfg: RAMRecipeConfig, data: TaskData, seed: int, out_dir: Path, resume: bool) -> dict:
    """Train the paper's conv net on the same task and splits; returns its numbers."""
    seed_everything(seed)
    model = ConvNet(ConvNetConfig(image_size=MnistTask.size_of(cfg.task)))
    val = data.val_idx[: cfg.val_eval_size]

    def step_fn(m, batch):
        x, y = batch
        loss = F.cross_entropy(m(x), y)
        return loss, {}

    def eval_fn(m):
        return {"error": _conv_error(m, data.train, val)}

    opt = torch.optim.Adam(model.parameters(), lr=cfg.conv_lr)
    epochs = cfg.conv_epochs or cfg.epochs
    history, seconds = _fit(model, opt, cfg, data, out_dir, seed, resume, step_fn, eval_fn, epochs)
    return {
        **_summary(history, seconds, cfg, model),
        "seed": seed,
        "test_error": _conv_error(model, data.test, data.test_idx),
    }
