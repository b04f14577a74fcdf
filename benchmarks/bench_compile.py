"""``torch.compile`` (inductor) against eager for the CNN attention modules and the Bahdanau decoder step.

Vision: forward + backward in train mode, B=32, C=256, 28x28 (as bench_vision). Bahdanau: one decoder step
under no_grad (greedy decoding's inner call), B=32, S=20, sizes 256, 4k vocabulary. ratio = compiled /
eager (median of interleaved repeats, after the compile, which is timed separately); A/A = eager against
itself. A compiled cell is met (worth compiling) only if it beats eager by more than that noise.

Run: ``PYTHONPATH=src python benchmarks/bench_compile.py [--quick] [--only se cbam ... bahdanau]``;
``--only resnet-none resnet-se`` times the vision recipe's whole training step (B=128) instead, the
measurement behind ``VisionConfig.compile``
(inductor needs a C++ compiler; each compile takes about a minute on a loaded 2-core machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import torch.nn.functional as F

from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.resnet import ResNet, ResNetConfig
from attnzoo.nn.vision import create_attention, list_attention
from harness import markdown_table, noise, timeit_pair, verdict


def _vision(name: str, batch: int):
    torch.manual_seed(0)
    module = create_attention(name, 256).train()
    x = torch.randn(batch, 256, 28, 28, requires_grad=True)

    def run(fn):
        def go():
            x.grad = None
            out = fn(x)
            (out if isinstance(out, torch.Tensor) else out[0]).sum().backward()

        return go

    return run(module), run(torch.compile(module, fullgraph=True))


def _resnet(attention: str):
    """The vision recipe's training step: its ResNet (widths 16..128, one block a stage, ``attention`` in
    every block or none), B=128 1x28x28, cross-entropy, SGD with Nesterov momentum; whole model compiled."""

    def make():
        torch.manual_seed(0)
        att = None if attention == "none" else attention
        model = ResNet(ResNetConfig(1, 10, (16, 32, 64, 128), (1, 1, 1, 1), att)).train()
        return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))

    def run(model, opt, fn):
        def go():
            opt.zero_grad()
            out = fn(x)
            F.cross_entropy(out if isinstance(out, torch.Tensor) else out[0], y).backward()
            opt.step()

        return go

    (me, oe), (mc, oc) = make(), make()
    return run(me, oe, me), run(mc, oc, torch.compile(mc))


def _bahdanau(batch: int):
    torch.manual_seed(0)
    V = 4000
    model = Bahdanau(BahdanauConfig(src_vocab=V, tgt_vocab=V, dropout=0.0)).eval()
    src = torch.randint(3, V, (batch, 20))
    lengths = torch.randint(10, 21, (batch,))
    lengths[0] = 20
    with torch.no_grad():
        state = model.encode(src, lengths)
    tokens = torch.randint(3, V, (batch,))

    def step(tokens, s, keys, memory, mask):
        out = model.step(tokens, {"s": s, "keys": keys, "memory": memory, "mask": mask})
        return out.logits, out.state["s"]

    compiled = torch.compile(step, fullgraph=True)
    args = (tokens, state["s"], state["keys"], state["memory"], state["mask"])

    def run(fn):
        def go():
            with torch.no_grad():
                for _ in range(10):
                    fn(*args)

        return go

    return run(step), run(compiled)


def main(quick: bool = False, only: list[str] | None = None) -> str:
    torch.set_num_threads(1)
    batch, repeats = (8, 5) if quick else (32, 15)
    names = only or [*list_attention(), "bahdanau"]
    rows = []
    for name in names:
        if name.startswith("resnet-"):
            eager, compiled = _resnet(name.removeprefix("resnet-"))
        else:
            eager, compiled = _bahdanau(batch) if name == "bahdanau" else _vision(name, batch)
        t0 = time.perf_counter()
        compiled()  # the compile itself
        compile_s = time.perf_counter() - t0
        a_a = timeit_pair(eager, eager, warmup=2, repeats=repeats)["ratio"]
        r = timeit_pair(compiled, eager, warmup=2, repeats=repeats)
        rows.append(
            {
                "module": "bahdanau step x10" if name == "bahdanau" else name,
                "compile s": compile_s,
                "compiled ms": 1e3 * r["ours_s"],
                "eager ms": 1e3 * r["anchor_s"],
                "ratio": r["ratio"],
                "A/A": a_a,
                "pays": verdict(r["ratio"], 1.0, noise(a_a)),
            }
        )
        print(rows[-1], flush=True)
        torch._dynamo.reset()
    cmd = (
        "python benchmarks/bench_compile.py"
        + (" --quick" if quick else "")
        + (" --only " + " ".join(only) if only else "")
    )
    return (
        f"## torch.compile against eager (`{cmd}`)\n\n"
        f"Vision modules forward + backward (train, B={batch}, C=256, 28x28); the Bahdanau decoder step "
        "under no_grad (B as the vision rows, S=20, sizes 256), ten calls per timing. ratio = compiled / "
        "eager; A/A = eager against itself; `pays` = faster by more than that noise. `resnet-X` rows (only "
        "with --only): the vision recipe's whole train step (B=128, SGD) with X in every block.\n\n"
        + markdown_table(rows, ["module", "compile s", "compiled ms", "eager ms", "ratio", "A/A", "pays"])
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument(
        "--only", nargs="*", default=None, help="module names, 'bahdanau', 'resnet-none', 'resnet-<module>'"
    )
    args = p.parse_args()
    print(main(args.quick, args.only))
