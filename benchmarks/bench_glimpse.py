"""The batched glimpse sensor (attnzoo.nn.GlimpseSensor) against the per-sample crop-and-resize loop that
public RAM ports write (pad, slice each scale's square out of each image, average-pool it down to g x g).

Both run in the same process, interleaved after a warm-up (benchmarks/harness.py); the script first asserts
that they return the same pixels (bit for bit on the exact paths; within float32 rounding, rtol 1e-6 and
atol 1e-7, on the summed-area path). Target (issues 12 and 18): the sensor >= 10x faster at batch 128 at
every size. Three rows a case: one call (the sensor pads the batch itself), and a RAM forward's T glimpses
of one batch, where the model prepares the batch once, either padded (``sensor.prepare(images,
exact=True)``) or as its summed-area table (``exact=False``, the sensor's default with more than one
scale, so RAM's at 60x60 and 100x100; at 28x28, one scale, nothing is pooled and the default is the padded
pixels), and the loop pads at every call as public ports do. The A/A row times the loop against itself: a
cell is met only if its margin to the target, relative, exceeds that distance from 1.

    PYTHONPATH=src python benchmarks/bench_glimpse.py [--batch 128] [--repeats 15] [--threads 1] [--quick]
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
from harness import machine_line, markdown_table, noise, timeit_pair, verdict


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


CASES = [  # name, image side, g, k, T (the paper's glimpses per image at that size)
    ("MNIST 28x28, 1 x 8x8", 28, 8, 1, 6),
    ("60x60, 3 x 12x12", 60, 12, 3, 8),
    ("100x100, 4 x 12x12", 100, 12, 4, 8),
]
TARGET = 10.0  # speed-up
RTOL, ATOL = 1e-6, 1e-7  # summed-area path vs the loop: float32 rounding of the same means


def _glimpses(sensor, images, locs, exact: bool):
    def run():
        c = sensor.prepare(images, exact=exact)
        for loc in locs:
            sensor(images, loc, cache=c)

    return run


def _loops(images, locs, g, k):
    def run():
        for loc in locs:
            loop_reference(images, loc, g, k, 2)

    return run


def main(quick: bool = False, batch: int = 128, repeats: int | None = None) -> str:
    repeats = repeats or (5 if quick else 15)
    gen = torch.Generator().manual_seed(0)
    rows, worst = [], 0.0
    for name, side, g, k, T in CASES:
        images = torch.rand(batch, 1, side, side, generator=gen)
        locs = [torch.rand(batch, 2, generator=gen) * 2.2 - 1.1 for _ in range(T)]
        sensor = GlimpseSensor(g, k, 2)
        ref = loop_reference(images, locs[0], g, k, 2)
        assert torch.equal(sensor(images, locs[0]), ref), f"{name}: the sensor and the loop disagree"
        exact = sensor.prepare(images, exact=True)
        assert torch.equal(sensor(images, locs[0], cache=exact), ref), f"{name}: exact cache"
        summed = sensor(images, locs[0], cache=sensor.prepare(images, exact=False))
        torch.testing.assert_close(summed, ref, rtol=RTOL, atol=ATOL, msg=f"{name}: summed-area cache")
        worst = max(worst, (summed - ref).abs().max().item())
        with torch.no_grad():
            one = functools.partial(sensor, images, locs[0])
            loop = functools.partial(loop_reference, images, locs[0], g, k, 2)
            a_a = timeit_pair(
                loop, functools.partial(loop_reference, images, locs[0], g, k, 2), repeats=repeats
            )
            pairs = [("1 call", timeit_pair(one, loop, repeats=repeats))]
            t_loops = _loops(images, locs, g, k)
            for kind, exact in (("padded once", True), ("summed-area table once", False)):
                run = _glimpses(sensor, images, locs, exact)
                pairs.append((f"{T} glimpses, {kind}", timeit_pair(run, t_loops, repeats=repeats)))
        level = noise(a_a["ratio"])
        rows.append({"case": f"{name} A/A", "calls": "1 call", "B": batch, "sensor ms": 1e3 * a_a["ours_s"],
                     "loop ms": 1e3 * a_a["anchor_s"], "speed-up": 1 / a_a["ratio"]})  # fmt: skip
        for calls, t in pairs:
            up = 1 / t["ratio"]
            rows.append({"case": name, "calls": calls, "B": batch, "sensor ms": 1e3 * t["ours_s"],
                         "loop ms": 1e3 * t["anchor_s"], "speed-up": up, "target": f">= {TARGET:g}",
                         "met": verdict(up / TARGET, 1.0, level, at_least=True)})  # fmt: skip
        print(*rows[-len(pairs) - 1 :], sep="\n", flush=True)
    return (
        "## Glimpse sensor (`python benchmarks/bench_glimpse.py`)\n\n"
        "RAM's retina (`attnzoo.nn.GlimpseSensor`) against the per-sample crop-and-pool loop of public "
        "ports, "
        f"batch {batch}, no_grad; the exact paths (1 call, padded once) asserted bit for bit equal to the "
        "loop, the summed-area path (`sensor.prepare(images, exact=False)`, the default with > 1 scale) "
        "equal within "
        f"rtol={RTOL:g}, atol={ATOL:g} (max abs difference {worst:.2g}); speed-up = loop / sensor (median of "
        f"{repeats} interleaved repeats). A/A = the loop against itself; a cell is met only if its relative "
        "margin to the target exceeds that distance from 1.\n\n"
        + markdown_table(rows, ["case", "calls", "B", "sensor ms", "loop ms", "speed-up", "target", "met"])
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{machine_line()}\n")
    print(main(args.quick, args.batch, args.repeats))
