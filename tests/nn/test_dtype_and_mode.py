"""Issue 16 item 10: modules keep precision when cast to float64, to_torch/from_torch keep the mode, and
Bahdanau's s_0 has the paper's form (no bias)."""

import math

import pytest
import torch

from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.nn import MultiHeadAttention, NadarayaWatson
from attnzoo.nn.positional import RotaryEmbedding, SinusoidalPositionalEncoding, sinusoidal_encoding


def test_sinusoidal_table_is_exact_after_a_cast_to_float64():
    pe = SinusoidalPositionalEncoding(8, max_len=300).to(torch.float64)
    exact = sinusoidal_encoding(300, 8, dtype=torch.float64)
    assert pe.pe.dtype == torch.float64 and torch.equal(pe.pe, exact)  # not float32's rounding, cast up
    assert not torch.equal(exact.float().double(), exact)  # (which would differ: the test can fail)
    x = torch.zeros(1, 300, 8, dtype=torch.float64)
    assert torch.equal(pe(x)[0], exact)
    assert pe.float().pe.dtype == torch.float32  # and back down


def test_rotary_frequencies_stay_float64_whatever_the_cast():
    rot = RotaryEmbedding(8).float()
    assert rot.inv_freq.dtype == torch.float64
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    ref = RotaryEmbedding(8)(x)
    torch.testing.assert_close(rot.double()(x), ref, rtol=0, atol=0)


@pytest.mark.parametrize("learnable", [True, False])
def test_nadaraya_watson_w_is_exact_in_float64(learnable):
    nw = NadarayaWatson("gaussian", learnable=learnable, w=0.1).to(torch.float64)
    assert nw.w.dtype == torch.float64 and nw.w.item() == 0.1  # float32's 0.1 would be 0.10000000149
    built = NadarayaWatson("gaussian", learnable=learnable, w=0.1, dtype=torch.float64)
    assert built.w.item() == 0.1
    assert isinstance(nw.w, torch.nn.Parameter) is learnable


def test_nadaraya_watson_trained_w_is_cast_not_reset():
    nw = NadarayaWatson("gaussian", w=1.0)
    with torch.no_grad():
        nw.w.fill_(0.75)
    assert nw.double().w.item() == 0.75


@pytest.mark.parametrize("w", [0.0, -1.0, math.inf, math.nan, True])
def test_nadaraya_watson_refuses_a_bad_w(w):
    with pytest.raises(ValueError, match="w must be a finite number > 0"):
        NadarayaWatson("gaussian", w=w)


@pytest.mark.parametrize("training", [True, False])
def test_to_torch_and_from_torch_keep_the_mode(training):
    mha = MultiHeadAttention(8, 2, dropout=0.5).train(training)
    theirs = mha.to_torch()
    assert theirs.training is training
    assert MultiHeadAttention.from_torch(theirs).training is training


def test_bahdanau_s0_is_tanh_of_w_s_backward_h1_without_bias():
    model = Bahdanau(BahdanauConfig(11, 13, emb_dim=4, hidden_dim=6, align_dim=5, maxout_dim=3))
    assert model.init_state.bias is None
    assert "init_state.bias" not in model.state_dict()
