"""Forward + backward time of each attnzoo.nn.vision module against a straightforward reference.

Each reference is the plain way these modules are usually written (adaptive pooling layers, expand_as,
stack-then-sum, separate MLP calls, ...), computed from the *same* parameter tensors as the attnzoo
module, so both do the same maths; the script checks that first. Timings are interleaved in one process
(ours, reference, reference, ours, ...) after a warm-up. "ratio" is the ratio of the two medians
(attnzoo / reference, as in the other suites), "pair ratio" the median of the per-pair ratios, "minima"
the quotient of the two fastest times; the "se A/A" row times the reference against itself, so its
spread around 1 is the noise floor of the run. Targets: ratio <= 1.1.

    PYTHONPATH=src python benchmarks/bench_vision.py [--quick]    # B=32, C=256, 28x28, one thread
    PYTHONPATH=src python benchmarks/bench_vision.py --only se eca --repeats 41 --threads 2
    python benchmarks/run_all.py --only vision                    # the section of docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from attnzoo.nn.vision import create_attention, list_attention

sys.path.insert(0, str(Path(__file__).parent))
from harness import markdown_table, noise, verdict

# ---- straightforward references (same parameters as the attnzoo module `m`) -------------------------


def ref_se(m, x):
    b, c, _, _ = x.size()
    y = F.adaptive_avg_pool2d(x, 1).view(b, c)
    y = torch.sigmoid(F.linear(F.relu(F.linear(y, m.fc1.weight, m.fc1.bias)), m.fc2.weight, m.fc2.bias))
    return x * y.view(b, c, 1, 1).expand_as(x)


def ref_eca(m, x):
    y = F.adaptive_avg_pool2d(x, 1)  # (B, C, 1, 1)
    y = F.conv1d(y.squeeze(-1).transpose(-1, -2), m.conv.weight, padding=m.conv.padding)
    y = torch.sigmoid(y.transpose(-1, -2).unsqueeze(-1))
    return x * y.expand_as(x)


def ref_cbam(m, x):
    def mlp(v):
        return F.linear(F.relu(F.linear(v, m.fc1.weight, m.fc1.bias)), m.fc2.weight, m.fc2.bias)

    b, c, h, w = x.size()
    avg = F.avg_pool2d(x, (h, w)).view(b, c)
    mx = F.max_pool2d(x, (h, w)).view(b, c)
    x = x * torch.sigmoid(mlp(avg) + mlp(mx)).unsqueeze(2).unsqueeze(3).expand_as(x)
    comp = torch.cat((torch.mean(x, 1).unsqueeze(1), torch.max(x, 1)[0].unsqueeze(1)), dim=1)
    scale = torch.sigmoid(F.conv2d(comp, m.spatial.weight, padding=m.spatial.padding))
    return x * scale


def ref_sk(m, x):
    b, c = x.shape[:2]
    feats = []
    for branch in m.branches:
        conv, bn = branch[0], branch[1]
        y = F.conv2d(x, conv.weight, padding=conv.padding, dilation=conv.dilation, groups=conv.groups)
        y = F.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias, True, bn.momentum, bn.eps)
        feats.append(F.relu(y))
    feats = torch.stack(feats, dim=1)  # (B, M, C, H, W)
    s = F.adaptive_avg_pool2d(feats.sum(dim=1), 1)  # (B, C, 1, 1)
    lin, bn = m.fuse[0], m.fuse[1]
    z = F.conv2d(s, lin.weight[:, :, None, None])
    z = F.batch_norm(z, bn.running_mean, bn.running_var, bn.weight, bn.bias, True, bn.momentum, bn.eps)
    z = F.relu(z)
    a = F.conv2d(z, m.select.weight[:, :, None, None]).view(b, len(m.branches), c, 1, 1)
    a = torch.softmax(a, dim=1)
    return (feats * a).sum(dim=1)


def ref_sse(m, x):
    return x * torch.sigmoid(m.conv(x))


def ref_scse(m, x):
    return torch.max(ref_se(m.cse, x), ref_sse(m.sse, x))


def ref_coord(m, x):
    identity = x
    h, w = x.shape[2:]
    x_h = F.adaptive_avg_pool2d(x, (h, 1))
    x_w = F.adaptive_avg_pool2d(x, (1, w)).permute(0, 1, 3, 2)
    y = torch.cat([x_h, x_w], dim=2)
    y = m.conv1(y)
    y = F.batch_norm(
        y, m.bn.running_mean, m.bn.running_var, m.bn.weight, m.bn.bias, True, m.bn.momentum, m.bn.eps
    )
    y = y * F.relu6(y + 3) / 6
    x_h, x_w = torch.split(y, [h, w], dim=2)
    a_h = torch.sigmoid(m.conv_h(x_h))
    a_w = torch.sigmoid(m.conv_w(x_w.permute(0, 1, 3, 2)))
    return identity * a_w * a_h


REFERENCES = {
    "se": ref_se,
    "cse": ref_se,
    "eca": ref_eca,
    "cbam": ref_cbam,
    "sk": ref_sk,
    "sse": ref_sse,
    "scse": ref_scse,
    "coord": ref_coord,
}


def _step(fn, x, grad):
    x.grad = None
    out = fn(x)
    out.backward(grad)
    return out


def _time(fn, x, grad):
    t0 = time.perf_counter()
    _step(fn, x, grad)
    return time.perf_counter() - t0


def bench(name, batch, channels, size, warmup, repeats, a_a=False):
    """Time one registered module against its reference; return a table row (a dict).

    With ``a_a`` the reference is timed against itself: the spread of that ratio around 1 is the noise
    floor of the measurement on this machine at this moment.
    """
    torch.manual_seed(0)
    module = create_attention(name, channels)
    x = torch.randn(batch, channels, size, size, requires_grad=True)
    grad = torch.randn(batch, channels, size, size)

    def ours(v):
        return REFERENCES[name](module, v) if a_a else module(v)

    def ref(v):
        return REFERENCES[name](module, v)

    # same maths: outputs and input gradients agree (train mode: BatchNorm uses the batch statistics)
    out_ours = _step(ours, x, grad)
    g_ours = x.grad.clone()
    out_ref = _step(ref, x, grad)
    torch.testing.assert_close(out_ours, out_ref, rtol=1e-4, atol=1e-5)
    if name == "scse" and not a_a:
        # attnzoo's max-out sends the whole gradient to one side at a tie where torch.max halves it; a
        # couple of ties reach the input gradient through the pooled gates, so allow a sliver to differ
        close = torch.isclose(x.grad, g_ours, rtol=1e-4, atol=1e-5)
        assert close.float().mean() > 0.999, f"scse input gradients differ at {(~close).sum()} elements"
    else:
        torch.testing.assert_close(x.grad, g_ours, rtol=1e-4, atol=1e-5)
    for _ in range(warmup):
        _step(ours, x, grad)
        _step(ref, x, grad)
    t_ours, t_ref, ratios = [], [], []
    for i in range(repeats):  # alternate the order so drift on the shared CPU hits both sides alike
        if i % 2 == 0:
            a, b = _time(ours, x, grad), _time(ref, x, grad)
        else:
            b, a = _time(ref, x, grad), _time(ours, x, grad)
        t_ours.append(a)
        t_ref.append(b)
        ratios.append(a / b)
    med_ours, med_ref = statistics.median(t_ours), statistics.median(t_ref)
    return {
        "module": f"{name} A/A" if a_a else name,
        "attnzoo ms": 1e3 * med_ours,
        "reference ms": 1e3 * med_ref,
        "ratio": med_ours / med_ref,
        "pair ratio": statistics.median(ratios),
        "minima": min(t_ours) / min(t_ref),
    }


COLUMNS = ["module", "attnzoo ms", "reference ms", "ratio", "pair ratio", "minima", "met"]


def run(batch=32, channels=256, size=28, warmup=3, repeats=21, sk_repeats=7, only=None, threads=1, a_a=True):
    """Benchmark the modules in ``only`` (default: all) with ``threads`` torch threads; return the rows.

    One thread by default: on a shared 2-core machine a second thread mostly adds waiting, which
    drowns a 10 % difference. The previous thread count is restored afterwards.
    """
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        rows = []
        for name in only or list_attention():
            reps = sk_repeats if name == "sk" else repeats
            rows.append(bench(name, batch, channels, size, warmup, reps))
            print(rows[-1], flush=True)
        if a_a:
            rows.append(bench("se", batch, channels, size, warmup, repeats, a_a=True))
            level = noise(rows[-1]["ratio"])
            for row in rows[:-1]:
                row["met"] = verdict(row["ratio"], 1.1, level)
        return rows
    finally:
        torch.set_num_threads(previous)


def main(quick: bool = False) -> str:
    """The markdown section for ``run_all.py``: B=32, C=256, 28x28 (quick: B=8, fewer repeats)."""
    batch, repeats, sk_repeats = (8, 7, 3) if quick else (32, 21, 7)
    rows = run(batch=batch, repeats=repeats, sk_repeats=sk_repeats)
    return (
        f"## CNN attention modules (`python benchmarks/bench_vision.py{' --quick' if quick else ''}`)\n\n"
        f"Forward + backward, B={batch}, C=256, 28x28, one thread, each module against a straightforward "
        "reference on the same weights (train mode). Target: ratio <= 1.1. The `se A/A` row times the "
        "reference against itself: its distance from 1 is the noise of this run, and a module's ratio is met "
        "only if its margin to 1.1 exceeds it.\n\n" + markdown_table(rows, COLUMNS)
    )


def _cli(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="B=8 and fewer repeats (a smoke check)")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--sk-repeats", type=int, default=None, help="repeats for 'sk' (two 3x3 convs)")
    parser.add_argument("--only", nargs="*", choices=list_attention(), default=list_attention())
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, see run())")
    parser.add_argument("--no-a-a", action="store_true", help="skip the reference-vs-itself 'se' row")
    args = parser.parse_args(argv)
    batch, repeats, sk_repeats = (8, 7, 3) if args.quick else (32, 21, 7)
    batch = args.batch or batch
    repeats = args.repeats or repeats
    sk_repeats = args.sk_repeats or sk_repeats
    print(f"forward+backward, B={batch} C={args.channels} {args.size}x{args.size}, torch {torch.__version__}")
    rows = run(batch, args.channels, args.size, args.warmup, repeats, sk_repeats, args.only, args.threads,
               not args.no_a_a)  # fmt: skip
    print(markdown_table(rows, COLUMNS))


if __name__ == "__main__":
    _cli()
