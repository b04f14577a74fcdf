"""Positional encodings: the paper's sinusoid table, learned, RoPE's relative property, ALiBi."""

import math

import pytest
import torch

from attnzoo.nn import (
    LearnedPositionalEncoding,
    MultiHeadAttention,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    alibi_bias,
    alibi_slopes,
    sinusoidal_encoding,
)


@pytest.mark.parametrize("d_model", [8, 7])
def test_sinusoidal_matches_the_formula(d_model):
    pe = sinusoidal_encoding(50, d_model)
    assert pe.shape == (50, d_model)
    for pos in (0, 1, 17, 49):
        for i in range(d_model):
            angle = pos / 10000 ** ((i - i % 2) / d_model)
            expect = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert pe[pos, i].item() == pytest.approx(expect, abs=1e-6)


def test_sinusoidal_module_adds_the_table_at_an_offset():
    enc = SinusoidalPositionalEncoding(6, max_len=20)
    x = torch.randn(2, 4, 6)
    torch.testing.assert_close(enc(x, offset=3), x + sinusoidal_encoding(20, 6)[3:7])
    with pytest.raises(ValueError, match="max_len"):
        enc(x, offset=17)


def test_learned_module_adds_trained_rows():
    enc = LearnedPositionalEncoding(6, max_len=10)
    x = torch.randn(2, 3, 6)
    torch.testing.assert_close(enc(x, offset=2), x + enc.embedding.weight[2:5])
    enc(x).sum().backward()
    assert enc.embedding.weight.grad[:3].abs().sum() > 0 and enc.embedding.weight.grad[3:].abs().sum() == 0


def test_rope_score_depends_only_on_the_offset():
    torch.manual_seed(0)
    rope = RotaryEmbedding(16)
    q, k = torch.randn(16), torch.randn(16)

    def score(m: int, n: int) -> float:
        rq = rope(q.expand(1, 16), offset=m)[0]
        rk = rope(k.expand(1, 16), offset=n)[0]
        return float(rq @ rk)

    for delta in (-5, 0, 3):
        ref = score(10, 10 - delta)
        for shift in (0, 7, 100):
            assert score(10 + shift, 10 - delta + shift) == pytest.approx(ref, rel=1e-4, abs=1e-4)
    assert score(10, 7) != pytest.approx(score(10, 9), abs=1e-3)  # but it does depend on the offset


def test_rope_is_a_rotation_of_adjacent_pairs():
    rope = RotaryEmbedding(4, base=10000.0)
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    out = rope(x, offset=2)[0]
    t0, t1 = 2.0, 2.0 * 10000 ** (-2 / 4)
    torch.testing.assert_close(out, torch.tensor([math.cos(t0), math.sin(t0), math.cos(t1), math.sin(t1)]))
    y = torch.randn(3, 5, 4)
    torch.testing.assert_close(rope(y).norm(dim=-1), y.norm(dim=-1))  # norms kept
    with pytest.raises(ValueError, match="even"):
        RotaryEmbedding(5)


def test_alibi_slopes_follow_the_paper():
    torch.testing.assert_close(alibi_slopes(8), torch.tensor([2.0 ** -(i + 1) for i in range(8)]))
    s4 = [2.0 ** (-2 * (i + 1)) for i in range(4)]
    s8 = [2.0 ** -(i + 1) for i in range(8)]
    torch.testing.assert_close(alibi_slopes(6), torch.tensor(s4 + s8[0::2][:2]))


def test_alibi_bias_values_and_use_as_a_float_mask():
    bias = alibi_bias(2, 3, 5, causal=True)  # (H, L, S), queries aligned to the end
    m = alibi_slopes(2)
    assert bias.shape == (2, 3, 5)
    assert bias[1, 0, 0].item() == pytest.approx(-m[1].item() * 2)  # query 0 sits at key position 2
    assert bias[0, 2, 4].item() == 0.0
    assert bias[0, 0, 3].item() == float("-inf")
    sym = alibi_bias(2, 4)
    torch.testing.assert_close(sym, sym.transpose(-1, -2))
    attn = MultiHeadAttention(8, 2)
    x = torch.randn(2, 5, 8)
    out = attn(x, mask=alibi_bias(2, 5, causal=True), need_weights=True, average_weights=False)
    assert torch.isfinite(out.output).all()
    ref = attn(x, is_causal=True, mask=alibi_bias(2, 5), need_weights=True, average_weights=False)
    torch.testing.assert_close(out.weights, ref.weights)
