"""attnzoo MultiHeadAttention against torch.nn.MultiheadAttention, side by side in one process.

Self-attention, batch first, D=512, H=8, same weights (copied with ``from_torch``). For each length L the
two modules run interleaved (the order alternates every repeat) after a warm-up; the table shows median
times and the median of the per-repeat ratios ours/torch.

  forward   eval mode under ``torch.no_grad()`` (torch then takes its native fast path)
  fwd+bwd   training mode (dropout 0), forward and ``backward`` of ``out.sum()``

Run: ``PYTHONPATH=src python benchmarks/bench_mha.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from attnzoo.nn.multihead import MultiHeadAttention

D, H = 512, 8
BATCH = {128: 16, 512: 4, 2048: 1}  # about 2k-4k tokens a batch


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _case(L: int, B: int, need_weights: bool, backward: bool, causal: bool, repeats: int, warmup: int):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True)
    ours = MultiHeadAttention.from_torch(ref)
    x = torch.randn(B, L, D, requires_grad=backward)
    tmask = nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.bool) if causal else None

    def run_ref():
        out, _ = ref(x, x, x, need_weights=need_weights, attn_mask=tmask, is_causal=causal)
        if backward:
            out.sum().backward()

    def run_ours():
        out = ours(x, need_weights=need_weights, is_causal=causal).output
        if backward:
            out.sum().backward()

    for m in (ref, ours):
        m.train(backward)
    ctx = torch.enable_grad() if backward else torch.no_grad()
    with ctx:
        for _ in range(warmup):
            run_ref()
            run_ours()
        t_ours, t_ref, ratios = [], [], []
        for r in range(repeats):
            if r % 2:
                a, b = _time(run_ours), _time(run_ref)
            else:
                b, a = _time(run_ref), _time(run_ours)
            t_ours.append(a)
            t_ref.append(b)
            ratios.append(a / b)
    return statistics.median(t_ours), statistics.median(t_ref), statistics.median(ratios)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[128, 512, 2048])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--causal", action="store_true", help="causal self-attention (torch gets the mask)")
    p.add_argument("--quick", action="store_true", help="L=128 only, 3 repeats")
    args = p.parse_args()
    if args.quick:
        args.lengths, args.repeats, args.warmup = [128], 3, 1
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, D={D}, H={H}, causal={args.causal}")
    print(f"{'L':>5} {'B':>3} {'mode':>8} {'weights':>7} {'ours ms':>9} {'torch ms':>9} {'ratio':>6}")
    for L in args.lengths:
        B = BATCH.get(L, max(1, 2048 // L))
        for backward in (False, True):
            for need_weights in (False, True):
                a, b, r = _case(L, B, need_weights, backward, args.causal, args.repeats, args.warmup)
                mode = "fwd+bwd" if backward else "forward"
                row = f"{L:>5} {B:>3} {mode:>8} {need_weights!s:>7} {a * 1e3:>9.2f} {b * 1e3:>9.2f} {r:>6.3f}"
                print(row, flush=True)


if __name__ == "__main__":
    main()
