"""Numerics and small argument checks of the functional layer (issue 16, item 7)."""

from __future__ import annotations

import pytest
import torch

import attnzoo.functional as AF


def _far_apart(dtype):
    # |q|^2 and |k|^2 are ~ 4e5: beyond fp16's 65504, while the scores / (2 b^2) are not
    g = torch.Generator().manual_seed(0)
    q = (torch.randn(2, 3, 64, generator=g) * 80).to(dtype)
    k = (torch.randn(2, 5, 64, generator=g) * 80).to(dtype)
    v = torch.randn(2, 5, 4, generator=g).to(dtype)
    return q, k, v


@pytest.mark.parametrize("grad", [False, True])
def test_gaussian_fp16_weights_path_is_finite_and_matches_fp32(grad):
    q, k, v = _far_apart(torch.float16)
    q.requires_grad_(grad)
    k.requires_grad_(grad)  # the fused path folds |k|^2 into the vectors then
    ref = AF.attention(q.float(), k.float(), v.float(), score="gaussian", bandwidth=400.0)
    out = AF.attention(q, k, v, score="gaussian", bandwidth=400.0, return_weights=True)
    assert out.output.dtype == out.weights.dtype == torch.float16
    assert torch.isfinite(out.output).all() and torch.isfinite(out.weights).all()
    torch.testing.assert_close(out.output.float(), ref.output, atol=2e-2, rtol=2e-2)
    fused = AF.attention(q, k, v, score="gaussian", bandwidth=400.0).output
    torch.testing.assert_close(out.output, fused, atol=2e-2, rtol=2e-2)


def test_gaussian_score_fp16_has_no_nan():
    q, k, _ = _far_apart(torch.float16)
    s = AF.gaussian_score(q, k, bandwidth=400.0)
    assert s.dtype == torch.float16 and not torch.isnan(s).any()
    torch.testing.assert_close(
        s.float(), AF.gaussian_score(q.float(), k.float(), bandwidth=400.0), rtol=2e-3, atol=1e-2
    )


@pytest.mark.parametrize("which", ["query", "key"])
def test_empty_feature_dim_is_a_clear_error(which):
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4)
    if which == "query":
        q = q[..., :0]
    else:
        k = k[..., :0]
    with pytest.raises(ValueError, match=f"{which} must have a non-empty feature dimension E"):
        AF.attention(q, k, v, score="dot")
    with pytest.raises(ValueError, match=f"{which} must have a non-empty feature dimension E"):
        AF.attention_weights(q, k)


def test_top_k_bool_is_a_type_error():
    s = torch.randn(2, 3, 5)
    with pytest.raises(TypeError, match=r"top_k must be a positive int, got True \(bool\)"):
        AF.topk(s, None, top_k=True)
    with pytest.raises(TypeError, match="top_k must be a positive int"):
        AF.attention(s, s, s, normalize="topk", top_k=2.0)


@pytest.mark.parametrize("return_weights", [False, True])
def test_general_without_weight_names_the_argument(return_weights):
    q = torch.randn(2, 3, 4)
    with pytest.raises(TypeError, match="the 'general' score needs weight=W") as err:
        AF.attention(q, q, q, score="general", return_weights=return_weights)
    assert "_fast" not in str(err.value)


@pytest.mark.parametrize("return_weights", [False, True])
def test_general_weight_of_another_dtype(return_weights):
    q = torch.randn(2, 3, 4)
    w = torch.randn(4, 4, dtype=torch.float64)
    with pytest.raises(
        TypeError, match=r"weight has dtype torch\.float64 but query has dtype torch\.float32"
    ):
        AF.attention(q, q, q, score="general", weight=w, return_weights=return_weights)


@pytest.mark.parametrize("normalize", ["hard", "threshold", "topk", "softmax", "sample", "gumbel"])
def test_no_keys_through_attention_weights(normalize):
    q, k = torch.randn(2, 3, 4), torch.randn(2, 0, 4)
    res = AF.attention_weights(q, k, normalize=normalize)
    w = res.weights if isinstance(res, AF.SampledWeights) else res
    assert w.shape == (2, 3, 0)
    if normalize == "gumbel":
        w = AF.attention_weights(q, k, normalize="gumbel", hard=True)
        assert w.shape == (2, 3, 0)
