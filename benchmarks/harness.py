"""Side-by-side timing and peak-memory helpers for attnzoo's benchmarks (not imported by the package).

Timing: the two functions run in the same process, interleaved (A B, B A, A B, ...) after warm-up, and the
median of each is taken; the reported figure is the ratio of medians, which is what survives a noisy
machine. Peak memory: each case runs in a fresh subprocess and we report the growth of its peak resident
set size (``ru_maxrss``) over the level reached after building the inputs (Linux reports KiB).
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def timeit_pair(
    fn_a: Callable[[], object], fn_b: Callable[[], object], *, warmup: int = 2, repeats: int = 7
) -> dict:
    """Median seconds of ``fn_a`` and ``fn_b`` run alternately, and ``ratio = a / b``."""
    for _ in range(warmup):
        fn_a()
        fn_b()
    ta, tb = [], []
    for i in range(repeats):
        order = ((fn_a, ta), (fn_b, tb)) if i % 2 == 0 else ((fn_b, tb), (fn_a, ta))
        for fn, acc in order:
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    a, b = statistics.median(ta), statistics.median(tb)
    return {"ours_s": a, "anchor_s": b, "ratio": a / b}


def noise(aa_ratio: float) -> float:
    """The noise of a run, from an A/A ratio (the anchor timed against itself): its distance from 1."""
    return abs(aa_ratio - 1.0)


def verdict(value: float, target: float, noise_level: float, *, at_least: bool = False) -> str:
    """``met`` only if the value beats the target by more than the run's noise (``value <= target`` by
    default, ``value >= target`` with ``at_least``), else ``not met``: a margin inside the noise proves
    nothing."""
    margin = value - target if at_least else target - value
    return "met" if margin > noise_level else "not met"


def fwd(fn: Callable[[], torch.Tensor]) -> Callable[[], None]:
    def run() -> None:
        with torch.no_grad():
            fn()

    return run


def fwd_bwd(fn: Callable[[], torch.Tensor], inputs: list[torch.Tensor]) -> Callable[[], None]:
    def run() -> None:
        for t in inputs:
            t.grad = None
        fn().sum().backward()

    return run


_PEAK_SCRIPT = """
import json, sys, torch
sys.path.insert(0, {bench_dir!r})
torch.manual_seed(0)
import {module} as m


def status(field):  # kB figures of this process's own address space (fresh at exec, unlike ru_maxrss)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


case = m.{factory}(**json.loads({kwargs!r}))
with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark to the current RSS
    f.write("5")
base = status("VmRSS")
case()
print(json.dumps({{"peak_mib": (status("VmHWM") - base) / 1024}}))
"""


def peak_memory_mib(module: str, factory: str, **kwargs) -> float:
    """Peak RSS growth (MiB) of ``module.factory(**kwargs)()`` in a fresh process (inputs built first).

    The high-water mark is the new process's own ``VmHWM``, reset to its RSS once the inputs exist (Linux
    ``/proc/self/clear_refs``). ``getrusage().ru_maxrss`` is not used: Linux carries it across ``exec`` from
    the parent, so a child of a process that once held several GiB reported zero growth."""
    script = _PEAK_SCRIPT.format(
        bench_dir=str(Path(__file__).parent), module=module, factory=factory, kwargs=json.dumps(kwargs)
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def machine_line() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
