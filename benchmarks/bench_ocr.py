"""OCR's per-step attention over the image columns (Attention OCR, arXiv 1603.03101; Bahdanau additive score)
against a straightforward torch implementation of the same step.

One decoder step of ``attnzoo.models.AttentionOCR``: the state ``s`` scores every column through the additive
MLP on the keys projected once per image, padding columns masked, softmax, context = weighted sum of the
column features. attnzoo runs it as the model does (``attention(..., score=_additive_on_projected,
return_weights=True)``); the anchor writes ``v^T tanh(W_q s + keys)``, ``masked_fill``, ``softmax``, ``bmm``
on the same weights. Both return the context and the weights; the script checks they agree first. Each timed
unit is ``STEPS`` steps (a word), interleaved in one process (benchmarks/harness.py); ratio = attnzoo /
anchor; the A/A row times the anchor against itself, and a cell is met only if its margin to the target
(ratio <= 1.1, as for the vision modules) exceeds that distance from 1.

    PYTHONPATH=src python benchmarks/bench_ocr.py [--quick]   # one thread
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import Tensor

from attnzoo.functional import attention
from attnzoo.models._rnn import _additive_on_projected
from attnzoo.nn import AdditiveScore

sys.path.insert(0, str(Path(__file__).parent))
from harness import fwd, fwd_bwd, markdown_table, noise, timeit_pair, verdict

STEPS = 12  # the recipe's longest word
TARGET = 1.1

# name, N rows, S columns, D column features, n decoder state, A attention MLP width
CASES = [
    ("OCR recipe (full config)", 32, 40, 128, 128, 128),
    ("long line, 4x the columns", 32, 160, 128, 128, 128),
]


def ref_step(score: AdditiveScore, s: Tensor, keys: Tensor, memory: Tensor, mask: Tensor):
    """The step as plainly written: (context (N, D), weights (N, S))."""
    e = torch.tanh(score.query_proj(s)[:, None] + keys) @ score.score_proj  # (N, S)
    w = torch.softmax(e.masked_fill(~mask, float("-inf")), -1)
    return torch.bmm(w[:, None], memory)[:, 0], w


def ours_step(score: AdditiveScore, s: Tensor, keys: Tensor, memory: Tensor, mask: Tensor):
    """The step as ``AttentionOCR.step`` runs it."""
    ctx, w = attention(
        s[:, None], keys, memory, score=_additive_on_projected, score_module=score, mask=mask[:, None],
        return_weights=True,
    )  # fmt: skip
    return ctx[:, 0], w[:, 0]


def make_inputs(N: int, S: int, D: int, n: int, A: int, seed: int = 0):
    """(score module, s, projected keys, memory, mask) with rows of S/2 ... S real columns."""
    torch.manual_seed(seed)
    score = AdditiveScore(n, D, A)
    memory = torch.randn(N, S, D, requires_grad=True)
    keys = score.project_keys(memory).detach().requires_grad_()  # once per image, as the model does
    s = torch.randn(N, n, requires_grad=True)
    mask = torch.arange(S) < torch.randint(S // 2, S + 1, (N,))[:, None]
    return score, s, keys, memory, mask


def _steps(step, args):
    def run():
        out = None
        for _ in range(STEPS):
            out = step(*args)[0]
        return out

    return run


def table(cases, make, ours, ref, repeats: int) -> list[dict]:
    """Rows (forward, forward+backward, A/A) for each case; ``make(*case) -> args`` for the steps."""
    rows = []
    for name, *shape in cases:
        args = make(*shape)
        with torch.no_grad():
            a, b = ours(*args), ref(*args)
        for x, y in zip(a, b, strict=True):
            torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)
        grads = [t for t in args if isinstance(t, Tensor) and t.requires_grad]
        a_a = timeit_pair(fwd(_steps(ref, args)), fwd(_steps(ref, args)), repeats=repeats)["ratio"]
        level = noise(a_a)
        rows.append({"case": f"{name} A/A", "shape": " x ".join(map(str, shape)), "pass": "forward",
                     "ratio": a_a})  # fmt: skip
        ours_f, ref_f = _steps(ours, args), _steps(ref, args)
        passes = (
            ("forward", fwd(ours_f), fwd(ref_f)),
            ("fwd+bwd", fwd_bwd(ours_f, grads), fwd_bwd(ref_f, grads)),
        )
        for kind, a_fn, b_fn in passes:
            t = timeit_pair(a_fn, b_fn, repeats=repeats)
            us = {"attnzoo us/step": 1e6 * t["ours_s"] / STEPS, "anchor us/step": 1e6 * t["anchor_s"] / STEPS}
            met = verdict(t["ratio"], TARGET, level)
            rows.append({"case": name, "shape": " x ".join(map(str, shape)), "pass": kind, **us,
                         "ratio": t["ratio"], "target": TARGET, "met": met})  # fmt: skip
            print(rows[-1], flush=True)
    return rows


COLUMNS = ["case", "shape", "pass", "attnzoo us/step", "anchor us/step", "ratio", "target", "met"]


def main(quick: bool = False) -> str:
    rows = table(CASES, make_inputs, ours_step, ref_step, repeats=5 if quick else 15)
    return (
        "## OCR: one decoder step's attention over the columns (`python benchmarks/bench_ocr.py`)\n\n"
        "`attention(s, keys, memory, score=additive on projected keys, mask=padding, return_weights=True)` "
        "as `AttentionOCR.step` calls it, against `v^T tanh(W_q s + keys)` -> `masked_fill` -> `softmax` -> "
        f"`bmm` in plain torch, same weights; shape = N rows x S columns x D features x n state x A MLP; "
        f"{STEPS} steps a timed unit, one thread; ratio = attnzoo / anchor; A/A = the anchor against itself, "
        "a cell is met only if its margin to the target exceeds that distance from 1.\n\n"
        + markdown_table(rows, COLUMNS)
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    torch.set_num_threads(1)
    print(main(p.parse_args().quick))
