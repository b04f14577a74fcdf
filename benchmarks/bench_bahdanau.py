"""Bahdanau decoder training throughput (issue 8, item 6).

attnzoo's RNNsearch projects the source annotations ``U_a h_j`` once per sentence, scores each decoder
step with the memory-bounded additive kernel, and in teacher forcing runs only the recurrence (alignment and
GRU) step by step: the target embeddings and the deep output with its vocabulary projection run once over
all T steps. The anchor is the straightforward decoder (the base class's loop calling ``step`` T times)
whose step recomputes ``U_a h_j`` and broadcasts ``tanh(W_a s + U_a h)`` as a ``(B, S, n')`` tensor. Both
run the same model weights, forward + backward of the teacher-forced loss; the figure is tokens/s.

Run: ``python benchmarks/bench_bahdanau.py [--quick]``.
"""

from __future__ import annotations

import argparse
import copy
import sys
import types
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.encdec import EncoderDecoder, StepOutput
from harness import markdown_table, noise, timeit_pair, verdict


def _naive_step(self, tokens, state):
    """Bahdanau.step written the straightforward way: key projections recomputed, scores broadcast."""
    s = state["s"]
    e = self.drop(self.embed(tokens))
    keys = self.score.key_proj(state["memory"])  # U_a h_j, recomputed every step
    feats = torch.tanh(self.score.query_proj(s).unsqueeze(1) + keys)  # (N, S, n')
    scores = (feats @ self.score.score_proj).masked_fill(~state["mask"], float("-inf"))
    weights = torch.softmax(scores, -1)
    ctx = (weights.unsqueeze(1) @ state["memory"]).squeeze(1)
    logits = self.readout(s, e, ctx)
    return StepOutput(logits, {**state, "s": self.cell(torch.cat([e, ctx], -1), s)}, weights)


def _batch(B: int, S: int, T: int, V: int):
    g = torch.Generator().manual_seed(0)
    src = torch.randint(3, V, (B, S), generator=g)
    lengths = torch.randint(S // 2, S + 1, (B,), generator=g)
    lengths[0] = S
    tgt = torch.randint(3, V, (B, T + 1), generator=g)
    return src, lengths, tgt[:, :-1], tgt[:, 1:]


def main(quick: bool = False) -> str:
    torch.manual_seed(0)
    V = 4000
    cfg = BahdanauConfig(src_vocab=V, tgt_vocab=V, dropout=0.0)
    ours = Bahdanau(cfg)
    naive = copy.deepcopy(ours)
    naive.step = types.MethodType(_naive_step, naive)
    naive.forward = types.MethodType(EncoderDecoder.forward, naive)  # the plain loop over naive steps
    rows = []
    sizes = [(32, 20, 20)] if quick else [(32, 20, 20), (64, 30, 30), (64, 60, 60)]
    for B, S, T in sizes:
        src, lengths, tin, tout = _batch(B, S, T, V)
        with torch.no_grad():  # same function: the two decoders agree
            a, b = ours(src, lengths, tin).logits, naive(src, lengths, tin).logits
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)

        def train_step(model, src=src, lengths=lengths, tin=tin, tout=tout):
            def run():
                model.zero_grad(set_to_none=True)
                logits = model(src, lengths, tin).logits
                F.cross_entropy(logits.reshape(-1, V), tout.reshape(-1)).backward()

            return run

        reps = 3 if quick else 7
        a_a = timeit_pair(train_step(naive), train_step(naive), repeats=reps)["ratio"]
        r = timeit_pair(train_step(ours), train_step(naive), repeats=reps)
        tokens = B * T
        rows.append(
            {
                "B": B,
                "S=T": S,
                "attnzoo tok/s": tokens / r["ours_s"],
                "per-step tok/s": tokens / r["anchor_s"],
                "speed-up": r["anchor_s"] / r["ours_s"],
                "A/A": a_a,
                "met": verdict(r["anchor_s"] / r["ours_s"], 1.5, noise(a_a), at_least=True),
            }
        )
        print(rows[-1], flush=True)
    return (
        "## 6. Bahdanau decoder training throughput (`python benchmarks/bench_bahdanau.py`)\n\n"
        "RNNsearch with emb/hidden/align 256 and a 4k vocabulary, forward + backward of the teacher-forced "
        "loss, against the same model whose step recomputes `U_a h_j` and broadcasts the scores. "
        "Target: >= 1.5x. A/A: the per-step model timed against itself (met only if the margin over 1.5 "
        "exceeds its distance from 1).\n\n" + markdown_table(rows, list(rows[0]))
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    print(main(p.parse_args().quick))
