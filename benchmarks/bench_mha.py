"""attnzoo MultiHeadAttention against torch.nn.MultiheadAttention, side by side in one process.

Self-attention, batch first, D=512, H=8, the same weights (copied with ``from_torch``). For each length L
the two modules run interleaved after warm-up (``harness.timeit_pair``: ratio of medians, ours / torch).

  forward   eval mode under ``torch.no_grad()`` (torch then takes its native fast path)
  fwd+bwd   training mode (dropout 0), forward and ``backward`` of ``out.sum()``

Targets (issue 4): ratio <= 1.05 without weights, <= 1.0 with weights.

Run: ``PYTHONPATH=src python benchmarks/bench_mha.py [--causal] [--quick]``; ``run_all.py`` calls ``main``.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from attnzoo.nn import MultiHeadAttention
from harness import machine_line, markdown_table, noise, timeit_pair, verdict

D, H = 512, 8
BATCH = {128: 16, 512: 4, 2048: 1}  # 2k-4k tokens a batch


def case(L: int, B: int, need_weights: bool, backward: bool, causal: bool):
    """(ours, torch) callables for one configuration."""
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True).train(backward)
    ours = MultiHeadAttention.from_torch(ref).train(backward)
    x = torch.randn(B, L, D, requires_grad=backward)
    tmask = nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.bool) if causal else None

    def wrap(fn):
        def run():
            with torch.set_grad_enabled(backward):
                out = fn()
                if backward:
                    x.grad = None
                    out.sum().backward()

        return run

    run_ours = wrap(lambda: ours(x, need_weights=need_weights, is_causal=causal).output)
    run_ref = wrap(lambda: ref(x, x, x, need_weights=need_weights, attn_mask=tmask, is_causal=causal)[0])
    return run_ours, run_ref


def main(quick: bool = False, causal: bool = False, lengths=None, repeats: int | None = None) -> str:
    """Run the table; return it as a markdown section (rows are printed as they come)."""
    cmd = "python benchmarks/bench_mha.py" + (" --causal" if causal else "") + (" --quick" if quick else "")
    cmd += f" --lengths {' '.join(map(str, lengths))}" if lengths else ""
    cmd += f" --repeats {repeats}" if repeats else ""
    lengths = lengths or ([128, 512] if quick else [128, 512, 2048])
    repeats = repeats or (3 if quick else 15)
    rows = []
    for L in lengths:
        B = BATCH.get(L, max(1, 2048 // L))
        for backward in (False, True):
            # A/A: torch's module against itself (without weights: its fastest, noisiest path)
            ref = case(L, B, False, backward, causal)[1]
            a_a = timeit_pair(ref, case(L, B, False, backward, causal)[1], warmup=2, repeats=repeats)["ratio"]
            rows.append(
                {
                    "L": L,
                    "B": B,
                    "mode": "fwd+bwd" if backward else "forward",
                    "weights": "A/A (torch vs torch)",
                    "attnzoo ms": "",
                    "torch ms": "",
                    "ratio": a_a,
                }
            )
            for need_weights in (False, True):
                r = timeit_pair(*case(L, B, need_weights, backward, causal), warmup=2, repeats=repeats)
                row = {
                    "L": L,
                    "B": B,
                    "mode": "fwd+bwd" if backward else "forward",
                    "weights": need_weights,
                    "attnzoo ms": 1e3 * r["ours_s"],
                    "torch ms": 1e3 * r["anchor_s"],
                    "ratio": r["ratio"],
                    "target": 1.0 if need_weights else 1.05,
                    "met": verdict(r["ratio"], 1.0 if need_weights else 1.05, noise(a_a)),
                }
                rows.append(row)
                print(f"  L={L} B={B} {row['mode']} weights={need_weights}: {r['ratio']:.3f}", flush=True)
    kind = "causal self-attention" if causal else "self-attention"
    return (
        f"## MultiHeadAttention vs torch.nn.MultiheadAttention (`{cmd}`)\n\n"
        f"{kind}, D={D}, H={H}, batch first; forward in eval mode under no_grad (torch's native fast path), "
        f"fwd+bwd in training mode; ratio = attnzoo / torch (median of {repeats} interleaved repeats). The "
        "A/A rows time torch's module against itself at each L and mode: a cell is met only if its margin "
        "to the target exceeds that distance from 1.\n\n"
        + markdown_table(
            rows, ["L", "B", "mode", "weights", "attnzoo ms", "torch ms", "ratio", "target", "met"]
        )
    )


def _cli() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--causal", action="store_true", help="causal self-attention (torch gets the mask too)")
    p.add_argument("--quick", action="store_true", help="L in {128, 512}, 3 repeats")
    args = p.parse_args()
    print(machine_line())
    print(main(args.quick, args.causal, args.lengths, args.repeats))


if __name__ == "__main__":
    _cli()
