"""The batched glimpse sensor (attnzoo.nn.GlimpseSensor) against the per-sample crop-and-resize loop that
public RAM ports write (pad, slice each scale's square out of each image, average-pool it down to g x g).

Both run in the same process, interleaved after a warm-up (benchmarks/harness.py); the script first asserts
that they return the same pixels (bit for bit). Target: the sensor >= 10x faster at batch 128, 3 scales
of 12x12 on 60x60.

    PYTHONPATH=src python benchmarks/bench_glimpse.py [--batch 128] [--repeats 15] [--threads 1]
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from attnzoo.nn import GlimpseSensor

sys.path.insert(0, str(Path(__file__).parent))
from harness import machine_line, markdown_table, timeit_pair


def loop_reference(images: torch.Tensor, locations: torch.Tensor, g: int, k: int, s: int) -> torch.Tensor:
    """Per sample, per scale: crop the zero-padded square around l, average-pool it to g x g."""
    B, _, H, W = images.shape
    pad = math.ceil(g * s ** (k - 1) / 2)
    padded = F.pad(images, (pad, pad, pad, pad))
    out = []
    for b in range(B):
        x, y = locations[b].clamp(-1, 1).tolist()
        cx, cy = math.floor((x + 1) / 2 * W), math.floor((y + 1) / 2 * H)
        scales = []
        for i in range(k):
            n = g * s**i
            r0, c0 = cy - n // 2 + pad, cx - n // 2 + pad
            crop = padded[b : b + 1, :, r0 : r0 + n, c0 : c0 + n]
            scales.append(F.avg_pool2d(crop, s**i)[0] if i else crop[0])
        out.append(torch.stack(scales))
    return torch.stack(out)  # (B, k, C, g, g)


CASES = [  # name, image side, g, k
    ("MNIST 28x28, 1 x 8x8", 28, 8, 1),
    ("60x60, 3 x 12x12", 60, 12, 3),
    ("100x100, 4 x 12x12", 100, 12, 4),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    rows = []
    for name, side, g, k in CASES:
        images = torch.rand(args.batch, 1, side, side, generator=gen)
        locs = torch.rand(args.batch, 2, generator=gen) * 2.2 - 1.1
        sensor = GlimpseSensor(g, k, 2)
        ours, ref = sensor(images, locs), loop_reference(images, locs, g, k, 2)
        assert torch.equal(ours, ref), f"{name}: the sensor and the loop disagree"  # same pixels, bit for bit
        with torch.no_grad():
            ours_fn = functools.partial(sensor, images, locs)
            loop_fn = functools.partial(loop_reference, images, locs, g, k, 2)
            t = timeit_pair(ours_fn, loop_fn, repeats=args.repeats)
        rows.append({"case": name, "B": args.batch, "sensor ms": 1e3 * t["ours_s"],
                     "loop ms": 1e3 * t["anchor_s"], "speed-up": 1 / t["ratio"]})  # fmt: skip
    print(f"glimpse sensor vs per-sample loop ({machine_line()}); same pixels asserted\n")
    print(markdown_table(rows, ["case", "B", "sensor ms", "loop ms", "speed-up"]))


if __name__ == "__main__":
    main()
