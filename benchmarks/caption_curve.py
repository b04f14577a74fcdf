"""A learning curve of one caption variant: BLEU and grounding on test scenes every N steps, resumable.

Usage: ``OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/caption_curve.py OUT [key=value ...]
[--every N] [--steps N] [--test N]`` (keys: :class:`attnzoo.recipes.caption.config.CaptionConfig`, on top
of the ``full`` budget). Appends one JSON line per point to ``OUT/curve.jsonl`` (steps, CPU seconds of
training, the variant's metrics; batches of scenes drawn at random, not by epochs) and keeps
``OUT/state.pt`` to continue from on the next call.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from attnzoo.models.show_attend_tell import ShowAttendTell
from attnzoo.recipes._common import parse_overrides_into
from attnzoo.recipes.caption import _load_digits, pretrained_encoder
from attnzoo.recipes.caption.config import BUDGETS
from attnzoo.recipes.caption.evaluate import evaluate_variant
from attnzoo.recipes.caption.train import build_scenes, collate, default_vocab, model_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("overrides", nargs="*")
    ap.add_argument("--variant", default="soft")
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--test", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ov = dict(kv.split("=", 1) for kv in a.overrides)
    cfg = parse_overrides_into(BUDGETS["full"], {**ov, "n_test": a.test})
    digits = _load_digits(cfg)
    data, vocab = build_scenes(cfg, 0, digits), default_vocab()
    torch.manual_seed(0)
    model = ShowAttendTell(model_config(cfg, a.variant, len(vocab)))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    step, cpu, baseline = 0, 0.0, 0.0
    state = out / "state.pt"
    if not state.is_file() and cfg.pretrain_steps:  # counted in the curve's CPU seconds at step 0
        t0 = time.process_time()
        enc_state, info = pretrained_encoder(cfg, digits, 0)
        model.encoder.load_state_dict(enc_state)
        cpu = time.process_time() - t0
        with open(out / "curve.jsonl", "a") as f:
            f.write(json.dumps({"step": 0, "pretrain": info, "train_cpu_s": round(cpu, 1)}) + "\n")
    if state.is_file():
        s = torch.load(state, weights_only=False)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, cpu, baseline = s["step"], s["cpu"], s["baseline"]
    rng = np.random.default_rng(step)
    n = len(data["train"])
    while step < a.steps:
        t0 = time.process_time()
        model.train()
        for _ in range(a.every):
            b = collate(data["train"], vocab, rng.choice(n, cfg.batch_images, replace=False).tolist())
            o = model(b["images"], b["tokens_in"], image_index=b["image_index"])
            loss = model.loss(o, b["targets"], baseline)
            baseline = 0.9 * baseline + 0.1 * float(loss.reward.mean())
            opt.zero_grad()
            loss.loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.grad_clip)
            opt.step()
            step += 1
        cpu += time.process_time() - t0
        ev = evaluate_variant(model.eval(), data["test"], vocab, beam_size=0, max_len=cfg.max_len)["metrics"]
        rec = {
            "step": step,
            "scenes_seen": step * cfg.batch_images,
            "train_cpu_s": round(cpu, 1),
            "nll": float(loss.nll),
            **{f"{k}/{m}": v for k, d in ev.items() for m, v in d.items()},
        }
        with open(out / "curve.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        torch.save(
            {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "cpu": cpu,
                "baseline": baseline,
            },
            state,
        )


if __name__ == "__main__":
    main()
