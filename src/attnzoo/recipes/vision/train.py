"""One training run of the ``vision`` recipe: SGD + one-cycle through :class:`attnzoo.train.Trainer`, the
best epoch on validation kept, then measured on the test split (accuracy, parameters, FLOPs, throughput)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnzoo.data.images import ImageSplit, Normalise, augment_images
from attnzoo.recipes.vision.config import VisionConfig
from attnzoo.recipes.vision.models import build_model
from attnzoo.train import TrainConfig, Trainer, read_metrics, seed_everything
from attnzoo.train.profile import count_flops, inference_speed

__all__ = ["evaluate", "train_one"]


def evaluate(model: nn.Module, split: ImageSplit, norm: Normalise, batch: int = 500) -> dict[str, float]:
    """Accuracy and mean cross-entropy of ``model`` on ``split`` (call it in eval mode, under no_grad)."""
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
    data: dict[str, ImageSplit],
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
        x = augment_images(
            x.float() / 255, cfg.crop_pad, cfg.flip
        )  # pad with black, the background, then crop
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
        overwrite=not resume,  # run() has refused an earlier run unless --force (prepare_run_dir)
        progress=True,
        resume_hint="--resume",
        compile=cfg.compile,
    )
    trainer = Trainer(
        model,
        opt,
        train_set,
        step_fn=step_fn,
        eval_fn=lambda m: evaluate(m, data["val"], norm),
        config=tc,
        scheduler=sched,
    )
    trainer.fit(load_best=True)
    trainer.raise_if_interrupted()
    epochs = read_metrics(run_dir, kind="epoch")
    threads = torch.get_num_threads()
    if cfg.num_threads is not None:
        torch.set_num_threads(cfg.num_threads)
    try:
        model.eval()
        with torch.no_grad():
            test = evaluate(model, data["test"], norm)
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
