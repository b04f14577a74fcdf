"""Data, batching and training of one Show, Attend and Tell variant for the caption recipe."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from attnzoo.data.scenes import SceneSet, make_scenes, scene_vocabulary
from attnzoo.models.show_attend_tell import ShowAttendTell, ShowAttendTellConfig
from attnzoo.recipes.caption.config import CaptionConfig
from attnzoo.train import TrainConfig, Trainer, seed_everything
from attnzoo.train.schedules import hold_then_cosine

__all__ = [
    "SPECIALS",
    "Vocab",
    "build_scenes",
    "collate",
    "load_captioner",
    "save_captioner",
    "train_variant",
]

SPECIALS = ("<pad>", "<bos>", "<eos>")  # ids 0, 1, 2 (the model config's pad / bos / eos)


class Vocab:
    """Word <-> id for the scene grammar (specials first)."""

    def __init__(self, words: list[str]):
        self.itos = list(SPECIALS) + [w for w in words if w not in SPECIALS]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens) -> list[int]:
        try:
            return [self.stoi[t] for t in tokens]
        except KeyError as e:
            raise ValueError(f"word {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> list[str]:
        out = []
        for i in ids:
            if int(i) == 2:  # eos
                break
            if int(i) > 2:
                out.append(self.itos[int(i)])
        return out


def build_scenes(cfg: CaptionConfig, seed: int, digits: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Train / val / test scene sets: train and val from disjoint MNIST train digits, test from its test."""
    tr_x, tr_y = digits["train"]
    te_x, te_y = digits["test"]
    cut = int(len(tr_x) * 5 / 6)  # 50000 of MNIST's 60000
    kw = dict(size=cfg.canvas, max_digits=cfg.max_digits, sizes=cfg.sizes)
    return {
        "train": make_scenes(tr_x[:cut], tr_y[:cut], cfg.n_train, seed=seed, **kw),
        "val": make_scenes(tr_x[cut:], tr_y[cut:], cfg.n_val, seed=seed + 1, **kw),
        "test": make_scenes(te_x, te_y, cfg.n_test, seed=seed + 2, **kw),
    }


def collate(scenes: SceneSet, vocab: Vocab, idx: list[int]) -> dict[str, Tensor]:
    """Images of scenes ``idx`` with all their captions: bos-led inputs, eos-ended targets, image index."""
    caps, owner = [], []
    for k, i in enumerate(idx):
        for c in scenes.scenes[i].captions:
            caps.append(vocab.encode(c))
            owner.append(k)
    T = max(len(c) for c in caps) + 1
    tin = torch.zeros(len(caps), T, dtype=torch.long)
    tout = torch.zeros(len(caps), T, dtype=torch.long)
    for r, c in enumerate(caps):
        tin[r, : len(c) + 1] = torch.tensor([1, *c])
        tout[r, : len(c) + 1] = torch.tensor([*c, 2])
    images = torch.from_numpy(scenes.images[np.asarray(idx)])[:, None]
    return {"images": images, "tokens_in": tin, "targets": tout, "image_index": torch.tensor(owner)}


def model_config(cfg: CaptionConfig, variant: str, vocab_size: int) -> ShowAttendTellConfig:
    return ShowAttendTellConfig(
        vocab_size=vocab_size,
        attention=variant,
        enc_channels=cfg.enc_channels,
        feat_dim=cfg.feat_dim,
        emb_dim=cfg.emb_dim,
        hidden_dim=cfg.hidden_dim,
        att_dim=cfg.att_dim,
        coords=cfg.coords,
        cell_coords=cfg.cell_coords,
        freeze_encoder=cfg.freeze_encoder,
        init_from_mean=cfg.init_from_mean,
        doubly_stochastic=cfg.doubly_stochastic,
        entropy_weight=cfg.entropy_weight,
        hard_soft_mix=cfg.hard_soft_mix,
    )


class _Indices(torch.utils.data.Dataset):
    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


def train_variant(
    variant: str,
    cfg: CaptionConfig,
    data: dict,
    vocab: Vocab,
    out_dir: Path,
    *,
    seed: int,
    resume: bool,
    encoder_state: dict | None = None,
) -> tuple[ShowAttendTell, dict]:
    """Train one variant (best validation loss kept) and save it as a captioner in ``out_dir``.

    ``encoder_state``: a pretrained encoder's state dict (:func:`.pretrain.pretrain_encoder`), loaded
    before training; every variant of a run starts from the same one."""
    seed_everything(seed)
    model = ShowAttendTell(model_config(cfg, variant, len(vocab)))
    if encoder_state is not None:
        model.encoder.load_state_dict(encoder_state)
    baseline = {"b": 0.0}  # REINFORCE moving average; restarts at 0 on resume (it settles in ~10 steps)
    decay = model.config.baseline_decay

    def step_fn(m, batch):
        out = m(batch["images"], batch["tokens_in"], image_index=batch["image_index"])
        loss = m.loss(out, batch["targets"], baseline["b"])
        baseline["b"] = decay * baseline["b"] + (1 - decay) * float(loss.reward.mean())
        return loss.loss, {"nll": float(loss.nll), "penalty": float(loss.penalty)}

    val_batches = [
        collate(data["val"], vocab, list(range(i, min(i + 64, len(data["val"])))))
        for i in range(0, len(data["val"]), 64)
    ]

    def eval_fn(m):
        tot, n = 0.0, 0
        for b in val_batches:
            out = m(b["images"], b["tokens_in"], image_index=b["image_index"])
            k = int((b["targets"] != 0).sum())
            tot += float(m.loss(out, b["targets"]).nll) * k
            n += k
        return {"loss": tot / n}

    steps = cfg.epochs * math.ceil(len(data["train"]) / cfg.batch_images)  # the Trainer keeps the last batch
    tc = TrainConfig(
        out_dir=str(out_dir),
        epochs=cfg.epochs,
        log_every=max(1, min(50, steps // 20)),  # about 20 points on the loss curve, at least
        batch_size=cfg.batch_images,
        seed=seed,
        grad_clip=cfg.grad_clip,
        resume=resume,
        overwrite=not resume,
        progress=True,
        num_threads=None,
    )
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hold_then_cosine(steps, cfg.lr_decay_start))
    trainer = Trainer(
        model,
        opt,
        _Indices(len(data["train"])),
        step_fn=step_fn,
        eval_fn=eval_fn,
        config=tc,
        collate_fn=lambda idx: collate(data["train"], vocab, idx),
        scheduler=sched,
    )
    history = trainer.fit()
    trainer.raise_if_interrupted()
    trainer.load_best()
    model.eval()
    save_captioner(model, vocab, cfg, out_dir)
    return model, {"history": history}


def save_captioner(model: ShowAttendTell, vocab: Vocab, cfg: CaptionConfig, out_dir: Path) -> None:
    """``model.safetensors`` + ``captioner.json`` (model config, vocabulary, canvas size)."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, out_dir / "model.safetensors")
    meta = {"model": asdict(model.config), "vocab": vocab.itos, "canvas": cfg.canvas, "max_len": cfg.max_len}
    (out_dir / "captioner.json").write_text(json.dumps(meta, indent=2))


# a loaded captioner's canvas and caption length are read from its folder: past these they are not a run of
# this recipe but a corrupt or hostile file (a canvas of 10^6 would allocate 10^12 pixels before any check)
_MAX_CANVAS, _MAX_LEN = 4096, 1000


def load_captioner(ckpt_dir: str | Path) -> tuple[ShowAttendTell, Vocab, dict]:
    """Load what :func:`save_captioner` wrote, checking it before anything is built.

    ``captioner.json`` is checked (keys, types, ranges; the model config against its dataclass; the
    vocabulary against the config's ``vocab_size``) and the weights' shapes against the config (the model
    built first on the ``meta`` device): anything malformed is a ``ValueError`` naming the file and field.
    """
    from attnzoo.train import load_weights
    from attnzoo.train.schema import build_checked, config_from_dict, read_json

    d = Path(ckpt_dir)
    for f in ("captioner.json", "model.safetensors"):
        if not (d / f).is_file():
            raise ValueError(f"checkpoint dir {d} has no {f} (expected the output of `attnzoo run caption`)")
    path, weights = d / "captioner.json", d / "model.safetensors"
    meta = read_json(path, {"model": dict, "vocab": list, "canvas": int, "max_len": int})
    for key, top in (("canvas", _MAX_CANVAS), ("max_len", _MAX_LEN)):
        if not 1 <= meta[key] <= top:
            raise ValueError(f"{path}: {key!r} must be in [1, {top}], got {meta[key]}")
    if not all(isinstance(t, str) for t in meta["vocab"]):
        raise ValueError(f"{path}: 'vocab' must be a list of strings")
    vocab = Vocab(meta["vocab"])
    config = config_from_dict(ShowAttendTellConfig, meta["model"], source=f"{path}: 'model'")
    if config.vocab_size != len(vocab):
        raise ValueError(
            f"{path}: 'vocab' has {len(vocab)} words but the model's vocab_size is {config.vocab_size}"
        )
    model = load_weights(build_checked(ShowAttendTell, config, weights), weights)
    return model.eval(), vocab, meta


def default_vocab() -> Vocab:
    return Vocab(scene_vocabulary())
