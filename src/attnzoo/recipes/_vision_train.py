"""The ``vision`` recipe's training glue: data splits, batched augmentation, models by name, one training run,
and the measurements (accuracy, parameters, FLOPs, throughput) of a trained model."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from attnzoo.models.residual_attention import ResidualAttentionNetwork, attention56
from attnzoo.models.resnet import ResNet, ResNetConfig
from attnzoo.nn.vision import list_attention
from attnzoo.train import BEST, TrainConfig, Trainer, load_weights, read_metrics, seed_everything

if TYPE_CHECKING:
    from attnzoo.recipes.vision import VisionConfig

BASELINE = "baseline"
RAN = {"ran": True, "ran-naive": False}  # name -> attention_residual: (1 + M) * T, or the naive M * T


def model_names() -> list[str]:
    """Every name the recipe can train: the baseline, each registered attention module, the RANs."""
    return [BASELINE, *list_attention(), *RAN]


@dataclass
class Split:
    """One split as tensors: ``images`` uint8 (N, 1, H, W), ``labels`` int64 (N,)."""

    images: Tensor
    labels: Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def split_data(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    val_size: int,
    train_limit: int | None,
    test_limit: int | None,
) -> dict[str, Split]:
    """Hold ``val_size`` random training images out for model selection (the same ones for every model and
    seed: a generator seeded 0), keep ``train_limit`` of the rest and the first ``test_limit`` test images."""
    images, labels = train
    n = len(labels)
    if not 0 < val_size < n:
        raise ValueError(f"val_size must be in [1, {n - 1}] (the training split has {n}), got {val_size}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0)).numpy()
    val_idx, train_idx = perm[:val_size], perm[val_size:]
    if train_limit is not None:
        train_idx = train_idx[:train_limit]

    def make(imgs: np.ndarray, labs: np.ndarray) -> Split:
        return Split(torch.from_numpy(np.ascontiguousarray(imgs)).unsqueeze(1), torch.from_numpy(labs))

    test_images, test_labels = test[0][:test_limit], test[1][:test_limit]
    return {
        "train": make(images[train_idx], labels[train_idx]),
        "val": make(images[val_idx], labels[val_idx]),
        "test": make(test_images, test_labels),
    }


def augment(x: Tensor, pad: int, flip: bool) -> Tensor:
    """Random crop after zero padding by ``pad`` pixels, and random horizontal flips, one draw per image.

    Uses the global torch RNG (saved in every checkpoint, so a resumed run draws the same crops).

    Shape:
        x: (B, C, H, W) -> (B, C, H, W).
    """
    B, C, H, W = x.shape
    if pad > 0:
        xp = F.pad(x, (pad, pad, pad, pad))  # (B, C, H + 2p, W + 2p); zero is the background here
        dy, dx = torch.randint(0, 2 * pad + 1, (2, B, 1))
        rows = (torch.arange(H) + dy)[:, None, :, None]  # (B, 1, H, 1)
        cols = (torch.arange(W) + dx)[:, None, None, :]  # (B, 1, 1, W)
        x = xp[torch.arange(B)[:, None, None, None], torch.arange(C)[None, :, None, None], rows, cols]
    if flip:
        x = torch.where(torch.rand(B, 1, 1, 1) < 0.5, x.flip(-1), x)
    return x


def build_model(name: str, cfg: VisionConfig, in_channels: int, num_classes: int) -> nn.Module:
    """The model called ``name`` (see :func:`model_names`) at the widths of the recipe config ``cfg``."""
    if name in RAN:
        return attention56(in_channels, num_classes, width=cfg.ran_width, attention_residual=RAN[name])
    if name not in model_names():
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(model_names())}")
    attention = None if name == BASELINE else name
    return ResNet(ResNetConfig(in_channels, num_classes, cfg.widths, cfg.blocks, attention))


def forward_maps(model: nn.Module, x: Tensor) -> tuple[Tensor, list[dict[str, Tensor]]]:
    """``(logits, maps)``: a ResNet's per-block attention dicts, or a RAN's masks as ``{"mask": ...}``."""
    if isinstance(model, ResidualAttentionNetwork):
        out = model(x, return_attention=True)
        return out.logits, [{"mask": m} for m in out.masks]
    out = model(x, return_attention=True)
    return out.logits, out.attention


def count_flops(model: nn.Module, image_shape: tuple[int, ...]) -> int:
    """FLOPs of one forward pass on one image (eval mode), as ``torch.utils.flop_counter`` counts them:
    convolutions and matrix products (2 per multiply-add); element-wise gating, pooling, BN, activations
    and softmax are not counted."""
    was = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *image_shape))
    finally:
        model.train(was)
    return int(counter.get_total_flops())


def inference_speed(model: nn.Module, x: Tensor, repeats: int = 3) -> float:
    """Images per second of eval-mode forward passes on the batch ``x``: the best of ``repeats`` timed passes
    after one warm-up (the best, because other processes on a shared machine only ever slow a pass down)."""
    model.eval()
    times = []
    with torch.no_grad():
        model(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return len(x) / min(times)


class Normalise:
    """uint8 images -> float, standardised by the training split's pixel mean and std."""

    def __init__(self, train: Split) -> None:
        pixels = train.images.float().div_(255)
        self.mean, self.std = float(pixels.mean()), float(pixels.std())

    def __call__(self, images: Tensor) -> Tensor:
        return self.standardise(images.float() / 255)

    def standardise(self, x: Tensor) -> Tensor:
        """Float images in [0, 1] -> standardised."""
        return (x - self.mean) / self.std


def _evaluate(model: nn.Module, split: Split, norm: Normalise, batch: int = 500) -> dict[str, float]:
    correct, loss = 0, 0.0
    for i in range(0, len(split), batch):
        x, y = norm(split.images[i : i + batch]), split.labels[i : i + batch]
        logits = model(x)
        loss += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(1) == y).sum())
    return {"acc": correct / len(split), "loss": loss / len(split)}


def train_one(
    name: str,
    seed: int,
    cfg: VisionConfig,
    data: dict[str, Split],
    norm: Normalise,
    num_classes: int,
    run_dir: Path,
    resume: bool,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train model ``name`` with ``seed``; keep the epoch best on validation; measure it on the test split.

    Returns:
        ``(model with the best weights, result)``; the result is also written to ``run_dir/result.json``.
    """
    in_channels = data["train"].images.shape[1]
    seed_everything(seed)
    model = build_model(name, cfg, in_channels, num_classes)
    train_set = torch.utils.data.TensorDataset(data["train"].images, data["train"].labels)

    def step_fn(m: nn.Module, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, dict[str, float]]:
        x, y = batch
        x = augment(x.float() / 255, cfg.crop_pad, cfg.flip)  # pad with black, the background, then crop
        logits = m(norm.standardise(x))
        loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
        return loss, {"acc": float((logits.argmax(1) == y).float().mean())}

    steps = cfg.epochs * -(-len(train_set) // cfg.batch_size)
    opt = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True, weight_decay=cfg.weight_decay
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps)
    tc = TrainConfig(
        out_dir=str(run_dir),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=seed,
        best_metric="eval/acc",
        best_mode="max",
        num_threads=cfg.num_threads,
        resume=resume,
        overwrite=not resume,
        progress=True,
        resume_hint="--resume",
    )
    trainer = Trainer(
        model,
        opt,
        train_set,
        step_fn=step_fn,
        eval_fn=lambda m: _evaluate(m, data["val"], norm),
        config=tc,
        scheduler=sched,
    )
    trainer.fit()
    if trainer.interrupted:
        raise KeyboardInterrupt(f"training of {name} (seed {seed}) stopped by {trainer.interrupted}")
    load_weights(model, run_dir / BEST)
    epochs = read_metrics(run_dir, kind="epoch")
    threads = torch.get_num_threads()
    if cfg.num_threads is not None:
        torch.set_num_threads(cfg.num_threads)
    try:
        model.eval()
        with torch.no_grad():
            test = _evaluate(model, data["test"], norm)
        infer = inference_speed(model, norm(data["test"].images[:256]))
    finally:
        torch.set_num_threads(threads)
    result = {
        "model": name,
        "seed": seed,
        "test_acc": test["acc"],
        "test_loss": test["loss"],
        "best_val_acc": max(r["eval/acc"] for r in epochs),
        "best_epoch": max(epochs, key=lambda r: r["eval/acc"])["epoch"],
        "val_acc_per_epoch": [r["eval/acc"] for r in epochs],
        "params": sum(p.numel() for p in model.parameters()),
        "flops": count_flops(model, tuple(data["train"].images.shape[1:])),
        "train_images_per_s": statistics.median(len(train_set) / r["seconds"] for r in epochs),
        "infer_images_per_s": infer,
        "train_seconds": sum(r["seconds"] for r in epochs),
    }
    (run_dir / "result.json").write_text(json.dumps(result, indent=2))
    return model, result
