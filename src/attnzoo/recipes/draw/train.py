"""Training and evaluation of one DRAW variant through :class:`attnzoo.train.Trainer`."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from attnzoo.data import BinarizedImages
from attnzoo.models.draw import DRAW, DRAWConfig
from attnzoo.recipes.draw.config import VARIANTS, DrawRecipeConfig
from attnzoo.train import TrainConfig, Trainer, read_metrics

__all__ = ["evaluate", "model_config", "train_variant"]


def model_config(cfg: DrawRecipeConfig, variant: str, height: int = 28, width: int = 28) -> DRAWConfig:
    """The :class:`DRAWConfig` of ``variant`` ("attention" or "no-attention") under the recipe's settings."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return DRAWConfig(
        height=height,
        width=width,
        steps=cfg.steps,
        enc_hidden=cfg.hidden,
        dec_hidden=cfg.hidden,
        z_dim=cfg.z_dim,
        attention=variant == "attention",
        read_n=cfg.read_n,
        write_n=cfg.write_n,
        window_init=cfg.window_init,
    )


@torch.no_grad()
def evaluate(model: DRAW, x: torch.Tensor, batch_size: int, seed: int = 0) -> dict:
    """NLL bound (nats an image, one latent sample each, fixed by ``seed``), its parts, the KL per step."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)
    recon, kl = [], []
    for i in range(0, len(x), batch_size):
        out = model(x[i : i + batch_size], generator=g)
        recon.append(out.recon)
        kl.append(out.kl)
    model.train(was_training)
    r, k = torch.cat(recon), torch.cat(kl)  # (N,), (N, T)
    return {
        "loss": float((r + k.sum(1)).mean()),
        "recon": float(r.mean()),
        "kl": float(k.sum(1).mean()),
        "kl_per_step": k.mean(0).tolist(),
    }


def train_variant(
    variant: str,
    cfg: DrawRecipeConfig,
    splits: dict[str, BinarizedImages],
    run_dir: Path,
    *,
    seed: int,
    resume: bool,
) -> dict:
    """Train ``variant``, keep the best validation epoch, evaluate on test; model, curve and numbers."""
    H, W = splits["train"].tensor().shape[-2:]
    torch.manual_seed(seed)
    model = DRAW(model_config(cfg, variant, H, W))
    val_x = splits["validation"].tensor()

    def step_fn(m, batch):
        (x,) = batch
        out = m(x)
        loss = out.loss.mean()  # nats per image, the negative ELBO
        return loss, {"recon": float(out.recon.detach().mean()), "kl": float(out.kl.detach().sum(1).mean())}

    def eval_fn(m):
        r = evaluate(m, val_x, cfg.batch_size, seed=seed)
        return {k: v for k, v in r.items() if k != "kl_per_step"}

    tc = TrainConfig(
        out_dir=str(run_dir),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=seed,
        eval_every=cfg.eval_every,
        grad_clip=cfg.grad_clip,
        num_threads=cfg.num_threads,
        log_every=50,
        resume=resume,
        overwrite=not resume,
        resume_hint="--resume",
    )
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    trainer = Trainer(model, opt, splits["train"], step_fn=step_fn, eval_fn=eval_fn, config=tc)
    trainer.fit()
    trainer.raise_if_interrupted()
    trainer.load_best()
    epochs = read_metrics(run_dir, kind="epoch")
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.num_threads)
    try:
        start = time.perf_counter()
        test = evaluate(model, splits["test"].tensor(), cfg.batch_size, seed=seed)
        test_s = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    seconds = [e.get("seconds") for e in epochs if e.get("seconds") is not None]
    n_train = len(splits["train"])
    return {
        "variant": variant,
        "model": model,
        "epochs": epochs,
        "test": test,
        "s_per_epoch": float(np.mean(seconds)) if seconds else None,
        "train_images_per_s": n_train / float(np.mean(seconds)) if seconds else None,
        "test_seconds": test_s,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
