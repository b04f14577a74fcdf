"""Greedy and beam search on hand-made step functions."""

import itertools
import math
from typing import NamedTuple

import pytest
import torch

from attnzoo.nn import beam_search, greedy_search, length_penalty, reorder_state

EOS = 0


def markov_step(table: torch.Tensor):
    """A first-order 'language model': log P(next | last) = table[last]; the state counts steps."""

    def step(tokens, state):
        return table[tokens], state + 1

    return step


def _random_table(V: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(torch.randn(V, V, generator=g) * 2, dim=-1)


def _exhaustive_best(table, bos, T, alpha):
    """Best sequence of at most T tokens by log P / lp, enumerating every one."""
    V = table.shape[0]
    best = (-math.inf, None)
    for n in range(1, T + 1):
        for seq in itertools.product(range(V), repeat=n):
            if EOS in seq[:-1] or (n < T and seq[-1] != EOS):
                continue  # ended early without eos, or continued after it
            last, lp = bos, 0.0
            for t in seq:
                lp += table[last, t].item()
                last = t
            score = lp / (((5 + n) / 6) ** alpha)
            best = max(best, (score, seq))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_size_one_equals_greedy(seed):
    table = _random_table(6, seed)
    state = torch.zeros(4)
    bos = torch.tensor([1, 2, 3, 4])
    g = greedy_search(markov_step(table), state, bos=bos, eos=EOS, max_len=7)
    b = beam_search(markov_step(table), state, bos=bos, eos=EOS, beam_size=1, max_len=7, length_penalty=0.6)
    assert torch.equal(g.tokens, b.tokens) and torch.equal(g.lengths, b.lengths)
    torch.testing.assert_close(g.scores, b.scores)


def test_beam_finds_what_greedy_misses():
    # from bos=1: token 2 (p=.6) leads to a flat distribution; token 3 (p=.4) leads to eos with p=.9
    V = 5
    probs = torch.full((V, V), 1e-6)
    probs[1, 2], probs[1, 3] = 0.6, 0.4
    probs[2, :] = 0.2  # after 2 anything, eos included, at 0.2
    probs[3, EOS] = 0.9
    probs[3, 4] = 0.1
    probs[4, EOS] = probs[0, EOS] = 1.0
    table = (probs / probs.sum(-1, keepdim=True)).log()
    state = torch.zeros(1)
    g = greedy_search(markov_step(table), state, bos=1, eos=EOS, max_len=4)
    b = beam_search(markov_step(table), state, bos=1, eos=EOS, beam_size=2, max_len=4)
    assert g.tokens[0, :2].tolist() == [2, 0] and b.tokens[0, :2].tolist() == [3, 0]
    assert b.scores[0] > g.scores[0]
    assert b.scores[0].item() == pytest.approx(math.log(0.4 * 0.9), rel=1e-4)


@pytest.mark.parametrize("alpha", [0.0, 0.6, 2.0])
def test_wide_beam_is_exact(alpha):
    V, T = 4, 4
    table = _random_table(V, 7)
    res = beam_search(
        markov_step(table), torch.zeros(1), bos=2, eos=EOS, beam_size=V**T, max_len=T, length_penalty=alpha
    )
    score, seq = _exhaustive_best(table, 2, T, alpha)
    n = int(res.lengths[0])
    assert tuple(res.tokens[0, :n].tolist()) == seq
    assert res.scores[0].item() / (((5 + n) / 6) ** alpha) == pytest.approx(score, rel=1e-6)


def test_finished_rows_are_padded_and_scored_up_to_eos():
    table = torch.full((3, 3), -10.0)
    table[1, 2] = table[2, EOS] = table[0, EOS] = 0.0
    r = greedy_search(markov_step(table), torch.zeros(2), bos=torch.tensor([1, 2]), eos=EOS, max_len=5, pad=9)
    assert r.tokens.tolist() == [[2, 0], [0, 9]]
    assert r.lengths.tolist() == [2, 1]


def test_length_penalty_prefers_longer_hypotheses():
    assert length_penalty(torch.tensor(1), 0.0).item() == 1.0
    assert length_penalty(torch.tensor(1), 1.0).item() == pytest.approx(1.0)
    assert length_penalty(torch.tensor(7), 0.6).item() == pytest.approx(2.0**0.6)


class _State(NamedTuple):
    h: torch.Tensor
    flag: bool


def test_reorder_state_handles_nesting():
    state = {"a": (torch.arange(3), [torch.arange(3) * 10, None]), "b": _State(torch.arange(3) + 1, True)}
    out = reorder_state(state, torch.tensor([2, 2, 0]))
    assert out["a"][0].tolist() == [2, 2, 0] and out["a"][1][0].tolist() == [20, 20, 0]
    assert out["a"][1][1] is None and isinstance(out["b"], _State) and out["b"].flag is True
    assert out["b"].h.tolist() == [3, 3, 1]


def test_bad_arguments():
    table = _random_table(3, 0)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(markov_step(table), torch.zeros(1), bos=1, eos=0, beam_size=0, max_len=3)
    with pytest.raises(ValueError, match="max_len"):
        greedy_search(markov_step(table), torch.zeros(1), bos=1, eos=0, max_len=0)
    with pytest.raises(ValueError, match="batch size"):
        greedy_search(markov_step(table), None, bos=1, eos=0, max_len=3)
    with pytest.raises(ValueError, match="log_probs of shape"):
        greedy_search(lambda t, s: (table[t][:, None], s), torch.zeros(2), bos=1, eos=0, max_len=3)


def test_recurrent_decoder_with_a_dict_state():
    torch.manual_seed(0)
    V, Hd = 7, 12
    emb, cell, out = torch.nn.Embedding(V, Hd), torch.nn.GRUCell(2 * Hd, Hd), torch.nn.Linear(Hd, V)

    def step(tokens, state):  # a tiny RNN decoder that reads a fixed per-row context vector
        h = cell(torch.cat([emb(tokens), state["context"]], -1), state["h"])
        return torch.log_softmax(out(h), -1), {"h": h, "context": state["context"]}

    state = {"h": torch.zeros(3, Hd), "context": torch.randn(3, Hd)}
    g = greedy_search(step, state, bos=1, eos=EOS, max_len=8)
    b1 = beam_search(step, state, bos=1, eos=EOS, beam_size=1, max_len=8)
    assert torch.equal(g.tokens, b1.tokens)
    b3 = beam_search(step, state, bos=1, eos=EOS, beam_size=3, max_len=8)
    assert b3.tokens.shape[0] == 3 and torch.all(b3.lengths >= 1)
    # rows are independent: decoding row 2 alone gives the same hypothesis
    alone = beam_search(step, {k: v[2:] for k, v in state.items()}, bos=1, eos=EOS, beam_size=3, max_len=8)
    n = int(alone.lengths[0])
    assert torch.equal(alone.tokens[0, :n], b3.tokens[2, :n])
