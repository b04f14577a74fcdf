"""Small calls (issue 18, item 2): a decoder step's attention, where Python around the kernel is the cost.

``attention()`` with a padding mask at decoder-step shapes (L = 1 query over S = 20 keys, 8 heads of 64)
against ``F.scaled_dot_product_attention`` with the same mask, and ``MultiHeadAttention`` at L = 20 against
``nn.MultiheadAttention`` (self-attention with a key padding mask, D = 512, same weights). Each timed unit
runs the call ``CALLS`` times; the A/A row times the anchor against itself. Targets: <= 1.10 (attention),
<= 1.0 (MHA).

Run: ``PYTHONPATH=src python benchmarks/bench_small.py [--quick]`` (one thread); ``run_all.py --only small``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
import attnzoo.functional as AF
from attnzoo.nn import MultiHeadAttention
from harness import markdown_table, noise, timeit_pair, verdict

CALLS = 50


def _loop(fn):
    def run():
        for _ in range(CALLS):
            fn()

    return run


def case_attention(B: int, H: int = 8, L: int = 1, S: int = 20, E: int = 64):
    """(attnzoo, SDPA) callables under no_grad, a padding mask (B, 1, 1, S) with rows of 5..S keys."""
    g = torch.Generator().manual_seed(0)
    q = torch.randn(B, H, L, E, generator=g)
    k, v = torch.randn(B, H, S, E, generator=g), torch.randn(B, H, S, E, generator=g)
    lengths = torch.randint(5, S + 1, (B,), generator=g)
    mask = (torch.arange(S) < lengths[:, None])[:, None, None, :]

    def wrap(fn):
        def run():
            with torch.no_grad():
                fn()

        return run

    return (
        wrap(_loop(lambda: AF.attention(q, k, v, mask=mask))),
        wrap(_loop(lambda: F.scaled_dot_product_attention(q, k, v, mask))),
    )


def case_mha(B: int = 32, L: int = 20, D: int = 512, H: int = 8, backward: bool = False):
    """(attnzoo, torch) MHA callables; forward in eval under no_grad, fwd+bwd in train mode."""
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True).train(backward)
    ours = MultiHeadAttention.from_torch(ref).train(backward)
    x = torch.randn(B, L, D, requires_grad=backward)
    lengths = torch.randint(L // 2, L + 1, (B,))
    keep = torch.arange(L) < lengths[:, None]  # attnzoo: True = real token; torch: True = padding

    def wrap(fn):
        def run():
            with torch.set_grad_enabled(backward):
                out = fn()
                if backward:
                    x.grad = None
                    out.sum().backward()

        return run

    n = CALLS // 10 if backward else CALLS // 5
    return (
        wrap(lambda: [ours(x, key_padding_mask=keep).output for _ in range(n)][-1]),
        wrap(lambda: [ref(x, x, x, key_padding_mask=~keep, need_weights=False)[0] for _ in range(n)][-1]),
    )


def main(quick: bool = False) -> str:
    repeats = 5 if quick else 21
    rows = []
    specs = [("attention", {"B": 32}, 1.10), ("attention", {"B": 1}, 1.10)]
    specs += [("MHA", {"backward": False}, 1.0), ("MHA", {"backward": True}, 1.0)]
    for kind, kw, target in specs:
        make = case_attention if kind == "attention" else case_mha
        ours, anchor = make(**kw)
        a_a = timeit_pair(anchor, make(**kw)[1], warmup=3, repeats=repeats)["ratio"]
        r = timeit_pair(ours, anchor, warmup=3, repeats=repeats)
        shape = (
            f"B={kw['B']}, H=8, L=1, S=20, E=64"
            if kind == "attention"
            else f"B=32, L=S=20, D=512, H=8, {'fwd+bwd' if kw['backward'] else 'forward'}"
        )
        rows.append(
            {
                "call": kind,
                "shape": shape,
                "attnzoo us": 1e6 * r["ours_s"] / CALLS if kind == "attention" else "",
                "anchor us": 1e6 * r["anchor_s"] / CALLS if kind == "attention" else "",
                "ratio": r["ratio"],
                "A/A": a_a,
                "target": target,
                "met": verdict(r["ratio"], target, noise(a_a)),
            }
        )
        print(rows[-1], flush=True)
    return (
        "## Small calls (`python benchmarks/bench_small.py`)\n\n"
        "A decoder step's attention under no_grad: `attention(q, k, v, mask=padding)` against "
        "`F.scaled_dot_product_attention(q, k, v, padding)`, and `MultiHeadAttention` against "
        "`nn.MultiheadAttention` with a key padding mask, one thread; ratio = attnzoo / anchor (median of "
        f"{repeats} interleaved repeats of {CALLS} calls); A/A = the anchor against itself, a cell is met "
        "only if its margin to the target exceeds that distance from 1.\n\n"
        + markdown_table(rows, ["call", "shape", "attnzoo us", "anchor us", "ratio", "A/A", "target", "met"])
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    print(main(args.quick))
