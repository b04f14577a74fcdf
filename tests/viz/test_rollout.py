"""Attention rollout (Abnar & Zuidema 2020): a case worked out by hand, and its properties."""

import numpy as np
import pytest
import torch

from attnzoo.nn import TransformerEncoder, TransformerEncoderLayer
from attnzoo.viz import attention_rollout

# Layer 1 (one head): token 0 looks at itself, token 1 half at 0 and 1, token 2 half at 1 and 2.
A1 = [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]
# Layer 2: every token looks at the next one (cyclic).
A2 = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]


def test_hand_computed_two_layers_three_tokens():
    # With the residual, 0.5 A + 0.5 I:
    #   A~1 = [[1, 0, 0], [.25, .75, 0], [0, .25, .75]]     A~2 = [[.5, .5, 0], [0, .5, .5], [.5, 0, .5]]
    # rollout = A~2 @ A~1:
    #   row 0 = .5 [1, 0, 0]     + .5 [.25, .75, 0]  = [.625, .375, 0]
    #   row 1 = .5 [.25, .75, 0] + .5 [0, .25, .75]  = [.125, .5, .375]
    #   row 2 = .5 [1, 0, 0]     + .5 [0, .25, .75]  = [.5, .125, .375]
    expect = torch.tensor([[0.625, 0.375, 0.0], [0.125, 0.5, 0.375], [0.5, 0.125, 0.375]])
    layers = [torch.tensor([A1]), torch.tensor([A2])]  # (H=1, L, L) each
    got = attention_rollout(layers, batched=False)
    assert got.shape == (3, 3)
    torch.testing.assert_close(got, expect)
    # batched input gives a batched answer; without the residual it is the plain product A2 @ A1
    batched = attention_rollout([t[None] for t in layers])  # (B=1, H=1, L, L)
    assert batched.shape == (1, 3, 3)
    torch.testing.assert_close(batched[0], expect)
    # head-averaged (B, L, L) maps, and single (L, L) maps, give the same
    torch.testing.assert_close(attention_rollout(layers)[0], expect)
    torch.testing.assert_close(attention_rollout([t[0] for t in layers], batched=False), expect)
    plain = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    torch.testing.assert_close(attention_rollout(layers, residual=False, batched=False), plain)
    # start_layer=1 leaves only A~2
    torch.testing.assert_close(
        attention_rollout(layers, start_layer=1, batched=False), 0.5 * torch.tensor(A2) + 0.5 * torch.eye(3)
    )


def test_head_fusion_by_hand():
    # two heads: identity and the cyclic shift
    heads = torch.stack([torch.eye(3), torch.tensor(A2)])  # (H=2, L, L)
    # mean: (I + P) / 2, + I, renormalised: diagonal 3/4, shift 1/4
    mean = attention_rollout([heads], batched=False)
    torch.testing.assert_close(mean, 0.75 * torch.eye(3) + 0.25 * torch.tensor(A2))
    # max: I + P (rows sum to 2), + I: diagonal 2/3, shift 1/3
    torch.testing.assert_close(
        attention_rollout([heads], head_fusion="max", batched=False),
        (2 * torch.eye(3) + torch.tensor(A2)) / 3,
    )
    # min: all zero, + I: the identity
    torch.testing.assert_close(attention_rollout([heads], head_fusion="min", batched=False), torch.eye(3))


def test_properties_on_a_real_encoder():
    torch.manual_seed(0)
    enc = TransformerEncoder(TransformerEncoderLayer(8, 2, 16), 3)
    out = enc(torch.randn(2, 5, 8), return_attention=True, average_weights=False)  # (B, H, L, L) a layer
    for fusion in ("mean", "max", "min"):
        for residual in (True, False):
            r = attention_rollout(out.weights, head_fusion=fusion, residual=residual)
            assert r.shape == (2, 5, 5)
            torch.testing.assert_close(r.sum(-1), torch.ones(2, 5))
            assert (r >= 0).all()
    stacked = torch.stack([w.detach() for w in out.weights])  # (layers, B, H, L, L)
    torch.testing.assert_close(attention_rollout(stacked), attention_rollout(out.weights).detach())
    # the head-averaged output of the same encoder is the mean head fusion of the per-head one
    averaged = enc(torch.randn(2, 5, 8), return_attention=True).weights
    assert averaged[0].shape == (2, 5, 5)
    assert attention_rollout(averaged).shape == (2, 5, 5)
    # a single identity layer gives the identity, with or without the residual; numpy is accepted
    eye = np.broadcast_to(np.eye(4), (2, 4, 4)).copy()
    for residual in (True, False):
        got = attention_rollout([eye], residual=residual)  # (B=2, L, L) head-averaged
        torch.testing.assert_close(got, torch.eye(4, dtype=torch.float64).expand(2, 4, 4))
        got = attention_rollout([np.eye(4)], residual=residual, batched=False)
        torch.testing.assert_close(got, torch.eye(4, dtype=torch.float64))


@pytest.mark.parametrize(
    ("layers", "kwargs", "error", "message"),
    [
        ([], {}, ValueError, "layers is empty"),
        ("abc", {}, TypeError, "layers must be a list"),
        ([torch.rand(2, 3, 4)], {}, ValueError, r"square self-attention maps, got shape \(2, 3, 4\)"),
        ([torch.rand(2, 2)], {}, ValueError, r"must be \(B, H, L, L\) or \(B, L, L\) \(batched=True\)"),
        ([torch.rand(2, 3, 3), torch.rand(1, 3, 3)], {}, ValueError, r"layers\[1\] has shape \(1, 3, 3\)"),
        ([torch.full((1, 2, 2), float("nan"))], {}, ValueError, "NaN or inf"),
        ([-torch.ones(1, 2, 2)], {}, ValueError, "negative entries"),
        ([torch.rand(1, 2, 2)], {"head_fusion": "sum"}, ValueError, "head_fusion must be one of"),
        ([torch.rand(1, 2, 2)], {"start_layer": 1}, ValueError, r"start_layer must be an int in \[0, 0\]"),
    ],
)
def test_errors(layers, kwargs, error, message):
    with pytest.raises(error, match=message):
        attention_rollout(layers, **kwargs)
