"""Run every benchmark and write docs/benchmarks.md (machine, versions, command, tables).

    python benchmarks/run_all.py [--quick] [--only core small mha vision bahdanau glimpse filterbank caption
        ocr compile]

Each benchmark module exposes ``main(quick: bool) -> str`` returning a markdown section; the anchors run in
the same process, interleaved with attnzoo, and ratios are medians (see harness.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import ROOT, machine_line

SUITES = {
    "core": "bench_core",
    "small": "bench_small",
    "mha": "bench_mha",
    "vision": "bench_vision",
    "bahdanau": "bench_bahdanau",
    "glimpse": "bench_glimpse",  # RAM's retina against the per-sample crop loop (issues 12, 18)
    "filterbank": "bench_filterbank",  # DRAW's read / write against the per-sample loop (issue 13)
    "caption": "bench_caption",  # Show, Attend and Tell's step over the regions vs plain torch (issue 14)
    "ocr": "bench_ocr",  # Attention OCR's step over the columns against plain torch (issue 15)
    "compile": "bench_compile",  # opt-in (--only compile): inductor compiles take minutes
}
DEFAULT = [name for name in SUITES if name != "compile"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (a smoke check)")
    p.add_argument("--only", nargs="*", choices=list(SUITES), default=DEFAULT)
    p.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = p.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    command = "python benchmarks/run_all.py" + (" --quick" if args.quick else "")
    command += f" --threads {args.threads}" if args.threads else ""
    if args.only != DEFAULT:
        command += " --only " + " ".join(args.only)
    sections = []
    for name in args.only:
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        sections.append(importlib.import_module(SUITES[name]).main(args.quick))
        print(f"   {time.perf_counter() - t0:.0f} s", flush=True)
    head = (
        "# Benchmarks\n\n"
        f"Command: `{command}`  \nMachine: {machine_line()}  \n"
        f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}\n\n"
        "Every figure is a ratio of medians measured in one process, attnzoo and its anchor interleaved "
        "after "
        "warm-up (ratio < 1: attnzoo is faster). Peak memory is the growth of the resident-set high-water "
        "mark (`VmHWM`, reset once the inputs are built) of a fresh subprocess per case.\n"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + "\n\n".join(sections) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
