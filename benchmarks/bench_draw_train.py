"""DRAW training throughput (images/s, s an epoch of 50,000) for the paper's MNIST models at several T.

One optimizer step (forward, backward, Adam) on a random binary batch, timed after a warm-up; the median
of the rest is reported. For planning the ``draw`` recipe's long runs; not a comparison.

    PYTHONPATH=src python benchmarks/bench_draw_train.py                 # one thread, batch 100
    PYTHONPATH=src python benchmarks/bench_draw_train.py --steps 64 16 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from attnzoo.models.draw import DRAW, DRAWConfig

sys.path.insert(0, str(Path(__file__).parent))
from harness import machine_line, markdown_table


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--steps", type=int, nargs="+", default=[64, 32, 16])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for attention in (True, False):
        for T in args.steps:
            model = DRAW(DRAWConfig(steps=T, attention=attention))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            x = (torch.rand(args.batch, 1, 28, 28) > 0.8).float()
            times = []
            for _ in range(args.repeats + 1):
                t0 = time.perf_counter()
                loss = model(x).loss.mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t0)
            s = statistics.median(times[1:])
            rows.append(
                {
                    "model": "attention" if attention else "no attention",
                    "T": T,
                    "s / step": s,
                    "images / s": args.batch / s,
                    "s / epoch (50k)": 50_000 / args.batch * s,
                    "load avg": os.getloadavg()[0],
                }
            )
    print(machine_line(), f"batch {args.batch}")
    print(markdown_table(rows, list(rows[0])))
    return rows


if __name__ == "__main__":
    main()
