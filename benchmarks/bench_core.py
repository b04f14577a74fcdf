"""Core attention paths against their anchors (issue 8, items 1-4 and 7).

Run: ``python benchmarks/bench_core.py [--quick]``; ``python benchmarks/run_all.py`` runs every benchmark
and writes docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
import attnzoo.functional as AF
from harness import ROOT, fwd, fwd_bwd, markdown_table, noise, peak_memory_mib, timeit_pair, verdict

TEMP, BW = 0.5, 4.0


def _qkv(L: int, B: int = 1, H: int = 8, E: int = 64, grad: bool = False):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(B, H, L, E, generator=g).requires_grad_(grad) for _ in range(3)]


def _score_kwargs(score: str, E: int) -> dict:
    g = torch.Generator().manual_seed(1)
    return {
        "scaled_dot": {},
        "cosine": {"temperature": TEMP},
        "general": {"weight": torch.randn(E, E, generator=g) / math.sqrt(E)},
        "gaussian": {"bandwidth": BW},
    }[score]


def _eager(score: str, q, k, v, kw):
    """The plain eager implementation of each score: scores -> softmax -> @ v."""
    if score == "scaled_dot":
        s = (q / math.sqrt(q.shape[-1])) @ k.transpose(-2, -1)
    elif score == "cosine":
        s = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1) / TEMP
    elif score == "general":
        s = q @ kw["weight"] @ k.transpose(-2, -1)
    else:
        s = -torch.cdist(q, k).square() / (2 * BW**2)
    return torch.softmax(s, -1) @ v


def case_sdpa_family(score: str, impl: str, L: int, backward: bool = False):
    """A zero-argument callable running one implementation once (used for timing and peak memory)."""
    q, k, v = _qkv(L, grad=backward)
    kw = _score_kwargs(score, q.shape[-1])
    fn = {
        "attnzoo": lambda: AF.attention(q, k, v, score=score, **kw).output,
        "sdpa": lambda: F.scaled_dot_product_attention(q, k, v),
        "eager": lambda: _eager(score, q, k, v, kw),
    }[impl]
    return fwd_bwd(fn, [q, k, v]) if backward else fwd(fn)


def _additive_inputs(B: int, L: int, h: int, E: int = 64, grad: bool = False):
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(B, L, E, generator=g), torch.randn(B, L, E, generator=g)
    v = torch.randn(B, L, E, generator=g)
    wq, wk = torch.randn(E, h, generator=g) / 8, torch.randn(E, h, generator=g) / 8
    w = torch.randn(h, generator=g) / 8
    return [t.requires_grad_(grad) for t in (q, k, v, wq, wk, w)]


def case_additive(impl: str, B: int = 4, L: int = 1024, h: int = 64, backward: bool = False):
    q, k, v, wq, wk, w = ins = _additive_inputs(B, L, h, grad=backward)

    def textbook():  # the (B, L, S, h) broadcast everyone writes first
        feats = torch.tanh((q @ wq).unsqueeze(2) + (k @ wk).unsqueeze(1))
        return torch.softmax(feats @ w, -1) @ v

    def ours():
        return AF.attention(q, k, v, score="additive", query_proj=wq, key_proj=wk, score_proj=w).output

    fn = ours if impl == "attnzoo" else textbook
    return fwd_bwd(fn, ins) if backward else fwd(fn)


def case_weights(impl: str, L: int, backward: bool = False):
    q, k, v = _qkv(L, grad=backward)

    def anchor():  # what torch.nn.MultiheadAttention(need_weights=True) computes after its projections
        w = torch.softmax((q * (1 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1), -1)
        return w @ v + 0 * w.sum()

    def ours():
        out = AF.attention(q, k, v, return_weights=True)
        return out.output + 0 * out.weights.sum()

    fn = ours if impl == "attnzoo" else anchor
    return fwd_bwd(fn, [q, k, v]) if backward else fwd(fn)


TARGETS = {"scaled_dot": 1.05, "cosine": 1.2, "general": 1.2, "gaussian": 1.2}


def bench_sdpa_family(lengths: list[int], repeats: int) -> tuple[list[dict], list[dict]]:
    """Every score against SDPA, with an A/A row per L (SDPA against itself, and eager scaled_dot against
    itself): a cell is met only if its margin to the target exceeds that L's A/A noise."""
    rows, eager_rows = [], []
    aa, eager_aa = {}, {}
    for L in lengths:
        row, erow = {"score": "A/A (SDPA vs SDPA)", "L": L}, {"score": "A/A (eager vs eager)", "L": L}
        for mode, bwd in (("fwd", False), ("fwd+bwd", True)):
            sd = case_sdpa_family("scaled_dot", "sdpa", L, bwd)
            r = timeit_pair(sd, case_sdpa_family("scaled_dot", "sdpa", L, bwd), repeats=repeats)
            row[f"{mode} ms"], row[f"{mode} vs SDPA"] = 1e3 * r["ours_s"], r["ratio"]
            aa[L, mode] = noise(r["ratio"])
            e = case_sdpa_family("scaled_dot", "eager", L, bwd)
            r = timeit_pair(e, case_sdpa_family("scaled_dot", "eager", L, bwd), repeats=max(3, repeats // 2))
            erow[f"{mode} vs eager"] = r["ratio"]
            eager_aa[L, mode] = noise(r["ratio"])
        rows.append(row)
        eager_rows.append(erow)
        print(row, erow, flush=True)
    for score in ("scaled_dot", "cosine", "general", "gaussian"):
        for L in lengths:
            row = {"score": score, "L": L}
            erow = {"score": score, "L": L}
            for mode, bwd in (("fwd", False), ("fwd+bwd", True)):
                ours = case_sdpa_family(score, "attnzoo", L, bwd)
                r = timeit_pair(ours, case_sdpa_family(score, "sdpa", L, bwd), repeats=repeats)
                row[f"{mode} ms"] = 1e3 * r["ours_s"]
                row[f"{mode} vs SDPA"] = r["ratio"]
                row[f"{mode} met"] = verdict(r["ratio"], TARGETS[score], aa[L, mode])
                e = timeit_pair(ours, case_sdpa_family(score, "eager", L, bwd), repeats=max(3, repeats // 2))
                erow[f"{mode} vs eager"] = e["ratio"]
            rows.append(row)
            eager_rows.append(erow)
            print(row, erow, flush=True)
    return rows, eager_rows


def bench_memory(lengths: list[int]) -> list[dict]:
    rows = []
    for L in lengths:
        row = {"L": L}
        for score in ("scaled_dot", "gaussian"):
            for impl in ("attnzoo", "eager"):
                row[f"{score} {impl} MiB"] = peak_memory_mib(
                    "bench_core", "case_sdpa_family", score=score, impl=impl, L=L
                )
        row["additive attnzoo MiB"] = peak_memory_mib("bench_core", "case_additive", impl="attnzoo", L=L, B=1)
        row["additive textbook MiB"] = peak_memory_mib(
            "bench_core", "case_additive", impl="textbook", L=L, B=1
        )
        rows.append(row)
        print(row, flush=True)
    return rows


def main(quick: bool = False) -> str:
    torch.manual_seed(0)
    repeats = 3 if quick else 7
    lengths = [256, 1024] if quick else [256, 1024, 4096]
    sections = ["## Core attention paths (`python benchmarks/bench_core.py`)\n"]

    rows, eager_rows = bench_sdpa_family(lengths, repeats)
    sections.append(
        "### 1-2. Scores through SDPA, no weights (B=1, 8 heads of 64), ratio = attnzoo / anchor\n\n"
        "Targets: scaled_dot <= 1.05 x SDPA; cosine, general, gaussian <= 1.2 x SDPA on the same inputs. "
        "The A/A rows time SDPA against itself at each L: a cell is met only if its margin to the target "
        "exceeds that distance from 1.\n\n"
        + markdown_table(
            rows,
            [
                "score",
                "L",
                "fwd ms",
                "fwd vs SDPA",
                "fwd met",
                "fwd+bwd ms",
                "fwd+bwd vs SDPA",
                "fwd+bwd met",
            ],
        )
        + "\n\nAgainst the plain eager implementation of each score (softmax(scores) @ V):\n\n"
        + markdown_table(eager_rows, ["score", "L", "fwd vs eager", "fwd+bwd vs eager"])
    )

    add_rows = []
    B, L, h = (2, 512, 64) if quick else (4, 1024, 64)
    for mode, bwd in (("fwd", False), ("fwd+bwd", True)):
        tb = case_additive("textbook", B, L, h, bwd)
        a_a = timeit_pair(tb, case_additive("textbook", B, L, h, bwd), repeats=repeats)["ratio"]
        r = timeit_pair(case_additive("attnzoo", B, L, h, bwd), tb, repeats=repeats)
        mem_ours = peak_memory_mib("bench_core", "case_additive", impl="attnzoo", B=B, L=L, h=h, backward=bwd)
        mem_tb = peak_memory_mib("bench_core", "case_additive", impl="textbook", B=B, L=L, h=h, backward=bwd)
        add_rows.append(
            {
                "mode": mode,
                "attnzoo ms": 1e3 * r["ours_s"],
                "textbook ms": 1e3 * r["anchor_s"],
                "speed-up": 1 / r["ratio"],
                "A/A": a_a,
                "speed-up met": verdict(1 / r["ratio"], 2.0, noise(a_a), at_least=True),
                "attnzoo MiB": mem_ours,
                "textbook MiB": mem_tb,
                "memory ratio": mem_ours / mem_tb if mem_tb > 0 else float("nan"),
            }
        )
        print(add_rows[-1], flush=True)
    sections.append(
        f"### 3. Additive attention (B={B}, L=S={L}, h={h}) against the textbook (B, L, S, h) broadcast\n\n"
        "Targets: >= 2x faster and <= 1/8 of the peak memory. A/A: the textbook timed against itself "
        "(the speed-up is met only if its margin over 2 exceeds that distance from 1).\n\n"
        + markdown_table(
            add_rows,
            [
                "mode",
                "attnzoo ms",
                "textbook ms",
                "speed-up",
                "A/A",
                "speed-up met",
                "attnzoo MiB",
                "textbook MiB",
                "memory ratio",
            ],
        )
    )

    w_rows = []
    for L in lengths[:2]:
        for mode, bwd in (("fwd", False), ("fwd+bwd", True)):
            anchor = case_weights("anchor", L, bwd)
            a_a = timeit_pair(anchor, case_weights("anchor", L, bwd), repeats=repeats)["ratio"]
            r = timeit_pair(case_weights("attnzoo", L, bwd), anchor, repeats=repeats)
            w_rows.append(
                {
                    "L": L,
                    "mode": mode,
                    "attnzoo ms": 1e3 * r["ours_s"],
                    "ratio": r["ratio"],
                    "A/A": a_a,
                    "met": verdict(r["ratio"], 1.0, noise(a_a)),
                }
            )
    sections.append(
        "### 4. With weights: `attention(..., return_weights=True)` against torch's eager path (what\n"
        "`nn.MultiheadAttention(need_weights=True)` runs after its projections). Target <= 1.0; A/A = the "
        "anchor against itself at the same L and mode.\n\n"
        + markdown_table(w_rows, ["L", "mode", "attnzoo ms", "ratio", "A/A", "met"])
    )

    mem_rows = bench_memory(lengths)
    cols = list(mem_rows[0])
    sections.append(
        "### 7. Peak memory (MiB, forward, fresh process; growth of peak RSS after the inputs are built)\n\n"
        + markdown_table(mem_rows, cols)
    )
    _plot(rows, mem_rows)
    sections.append("![time and memory against L](benchmarks_core.png)")
    return "\n\n".join(sections)


def _plot(rows: list[dict], mem_rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    rows = [r for r in rows if not r["score"].startswith("A/A")]
    lengths = sorted({r["L"] for r in rows})
    for score in ("scaled_dot", "cosine", "general", "gaussian"):
        rs = [r for r in rows if r["score"] == score]
        a.plot([r["L"] for r in rs], [r["fwd+bwd ms"] for r in rs], marker="o", label=f"attnzoo {score}")
    sd = [r for r in rows if r["score"] == "scaled_dot"]
    a.plot(
        [r["L"] for r in sd],
        [r["fwd+bwd ms"] / r["fwd+bwd vs SDPA"] for r in sd],
        "k--",
        label="torch SDPA (anchor)",
    )
    a.set(xscale="log", yscale="log", xlabel="sequence length L", ylabel="fwd+bwd time (ms)", title="time")
    a.legend(fontsize=8)
    for col in mem_rows[0]:
        if col != "L":
            b.plot([r["L"] for r in mem_rows], [max(r[col], 0.1) for r in mem_rows], marker="o", label=col)
    b.set(
        xscale="log", yscale="log", xlabel="sequence length L", ylabel="peak RSS growth (MiB)", title="memory"
    )
    b.legend(fontsize=7)
    for ax in (a, b):
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.minorticks_off()
    fig.tight_layout()
    (ROOT / "docs").mkdir(exist_ok=True)
    fig.savefig(ROOT / "docs" / "benchmarks_core.png", dpi=110)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    print(main(p.parse_args().quick))
