"""attention(): every score x normaliser, masks, fast path == reference path, errors."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import attnzoo.functional as AF
from tests.functional.conftest import NORM_NAMES, SCORE_NAMES, norm_kwargs, score_kwargs

B, L, S, E, EV = 2, 5, 7, 8, 3


def _inputs(dtype=torch.float32, requires_grad=False):
    q, k, v = (
        torch.randn(B, L, E, dtype=dtype),
        torch.randn(B, S, E, dtype=dtype),
        torch.randn(B, S, EV, dtype=dtype),
    )
    return [t.requires_grad_(requires_grad) for t in (q, k, v)]


def _key_mask():
    lengths = torch.tensor([S, 4])
    mask = AF.lengths_to_mask(lengths, S)[:, None, :]  # (B, 1, S)
    return mask


@pytest.mark.parametrize(("score", "norm"), list(itertools.product(SCORE_NAMES, NORM_NAMES)))
def test_every_score_and_normaliser(score, norm):
    q, k, v = _inputs(requires_grad=True)
    mask = _key_mask()
    kw = {**score_kwargs(score, E), **norm_kwargs(norm)}
    out = AF.attention(q, k, v, score=score, normalize=norm, mask=mask, return_weights=True, **kw)
    assert out.output.shape == (B, L, EV)
    w = out.weights
    assert w.shape == (B, L, S)
    assert torch.isfinite(w).all() and (w >= 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(B, L))
    assert (w[1, :, 4:] == 0).all(), "masked keys must get exactly zero weight"
    torch.testing.assert_close(out.output, w @ v)
    if norm in ("hard", "sample"):
        assert ((w == 0) | (w == 1)).all()
    if norm == "topk":
        assert ((w > 0).sum(-1) <= 2).all()
    # gradients flow (REINFORCE: through the log-probability)
    loss = out.output.sum() + (out.log_prob.sum() if norm == "sample" else 0)
    loss.backward()
    assert q.grad is not None and torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0
    assert torch.isfinite(k.grad).all()


@pytest.mark.parametrize("score", SCORE_NAMES)
@pytest.mark.parametrize("mask_kind", ["none", "bool_keys", "bool_full", "float"])
def test_fast_path_equals_reference(score, mask_kind):
    q, k, v = _inputs(dtype=torch.float64, requires_grad=True)
    mask = {
        "none": None,
        "bool_keys": _key_mask(),
        "bool_full": torch.rand(B, L, S) > 0.3,
        "float": torch.randn(B, L, S, dtype=torch.float64),
    }[mask_kind]
    kw = score_kwargs(score, E, dtype=torch.float64)
    fast = AF.attention(q, k, v, score=score, mask=mask, **kw)
    assert fast.weights is None
    gf = torch.autograd.grad(fast.output.sum(), (q, k, v))
    ref = AF.attention(q, k, v, score=score, mask=mask, return_weights=True, **kw)
    gr = torch.autograd.grad(ref.output.sum(), (q, k, v))
    torch.testing.assert_close(fast.output, ref.output, rtol=1e-9, atol=1e-10)
    for a, b in zip(gf, gr, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-9)


# The fast path exists for softmax without weights only; every normaliser runs the reference path.
@pytest.mark.parametrize("score", SCORE_NAMES)
@pytest.mark.parametrize(("norm", "fast"), [("softmax", True)] + [(n, False) for n in NORM_NAMES])
def test_fully_masked_rows_zero_not_nan(score, norm, fast):
    q, k, v = _inputs(requires_grad=True)
    mask = torch.ones(B, L, S, dtype=torch.bool)
    mask[0, 2] = False  # one query with no key
    mask[1] = False  # a whole batch element with no key
    kw = {**score_kwargs(score, E), **norm_kwargs(norm)}
    out = AF.attention(q, k, v, score=score, normalize=norm, mask=mask, return_weights=not fast, **kw)
    assert torch.isfinite(out.output).all()
    assert (out.output[0, 2] == 0).all() and (out.output[1] == 0).all()
    if not fast:
        assert (out.weights[0, 2] == 0).all() and (out.weights[1] == 0).all()
    (out.output.square().sum() + (out.log_prob.sum() if norm == "sample" else 0)).backward()
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()


@pytest.mark.parametrize("fast", [True, False])
def test_float_mask_all_neg_inf_row(fast):
    q, k, v = _inputs()
    mask = torch.zeros(B, L, S)
    mask[0, 1] = float("-inf")
    out = AF.attention(q, k, v, mask=mask, return_weights=not fast)
    assert torch.isfinite(out.output).all() and (out.output[0, 1] == 0).all()


def test_empty_keys_give_zero_output():
    q = torch.randn(B, L, E, requires_grad=True)
    k, v = torch.randn(B, 0, E), torch.randn(B, 0, EV)
    out = AF.attention(q, k, v, return_weights=True)
    assert out.output.shape == (B, L, EV) and (out.output == 0).all()
    assert out.weights.shape == (B, L, 0)
    out.output.sum().backward()
    assert torch.isfinite(q.grad).all()


def test_heads_and_broadcast_batch():
    q = torch.randn(2, 4, 5, 8)  # (B, H, L, E)
    k, v = torch.randn(1, 4, 6, 8), torch.randn(1, 4, 6, 3)  # keys shared across the batch
    fast = AF.attention(q, k, v).output
    ref = AF.attention(q, k, v, return_weights=True).output
    assert fast.shape == (2, 4, 5, 3)
    torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-6)


def test_dropout_only_when_asked():
    q, k, v = _inputs()
    torch.testing.assert_close(AF.attention(q, k, v, dropout_p=0.0).output, AF.attention(q, k, v).output)
    a = AF.attention(q, k, v, dropout_p=0.5, return_weights=True)
    assert not torch.allclose(a.output, a.weights @ v)
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\)"):
        AF.attention(q, k, v, dropout_p=1.0)


def test_matches_numpy_end_to_end():
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 6)), rng.standard_normal((2, 5, 3))
    mask = rng.random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True
    s = np.einsum("ble,bse->bls", q, k) / np.sqrt(6)
    s = np.where(mask, s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    got = AF.attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), mask=torch.tensor(mask))
    np.testing.assert_allclose(got.output.numpy(), w @ v, rtol=1e-7, atol=1e-9)


def test_custom_callables():
    q, k, v = _inputs()
    neg_l1 = lambda q, k: -(q.unsqueeze(-2) - k.unsqueeze(-3)).abs().sum(-1)  # noqa: E731
    sharpen = lambda s, m, power=2.0: AF.softmax(s, m) ** power / (AF.softmax(s, m) ** power).sum(-1, True)  # noqa: E731
    out = AF.attention(q, k, v, score=neg_l1, normalize=sharpen, power=3.0, return_weights=True)
    torch.testing.assert_close(out.weights.sum(-1), torch.ones(B, L))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"score": "nope"}, ValueError, "unknown score 'nope'; valid: additive, cosine"),
        ({"normalize": "nope"}, ValueError, "unknown normaliser 'nope'; valid: gumbel, hard"),
        (
            {"mask": torch.ones(2, 5, 8, dtype=torch.bool)},
            ValueError,
            r"mask has shape \(2, 5, 8\) but scores are \(2, 5, 7\)",
        ),
        ({"mask": torch.ones(2, 5, 7, dtype=torch.int64)}, TypeError, "mask must be bool"),
        ({"temprature": 2.0, "score": "cosine"}, TypeError, "unexpected keyword argument.*'temprature'"),
    ],
)
def test_argument_errors(kwargs, exc, match):
    q, k, v = _inputs()
    with pytest.raises(exc, match=match):
        AF.attention(q, k, v, **kwargs)


def test_input_errors():
    q, k, v = _inputs()
    with pytest.raises(ValueError, match=r"key has shape .* and value has shape .*must agree"):
        AF.attention(q, k, v[:, :-1])
    with pytest.raises(TypeError, match=r"value has dtype torch.float64 but query has dtype torch.float32"):
        AF.attention(q, k, v.double())
    with pytest.raises(TypeError, match="query must be a floating-point tensor"):
        AF.attention(q.long(), k, v)
    with pytest.raises(ValueError, match="query must have at least 2 dimensions"):
        AF.attention(q[0, 0], k, v)
    with pytest.raises(ValueError, match="do not broadcast"):
        AF.attention(torch.randn(3, L, E), k, v)
    with pytest.raises(TypeError, match=r"key must be a torch\.Tensor"):
        AF.attention(q, k.numpy(), v)


@settings(max_examples=25, deadline=None)
@given(
    score=st.sampled_from(SCORE_NAMES),
    seed=st.integers(0, 2**16),
    l_len=st.integers(1, 6),
    s_len=st.integers(1, 9),
)
def test_permuting_keys_and_values_together_changes_nothing(score, seed, l_len, s_len):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(2, l_len, 4, generator=g, dtype=torch.float64)
    k = torch.randn(2, s_len, 4, generator=g, dtype=torch.float64)
    v = torch.randn(2, s_len, 3, generator=g, dtype=torch.float64)
    mask = torch.rand(2, 1, s_len, generator=g) > 0.4
    perm = torch.randperm(s_len, generator=g)
    kw = score_kwargs(score, 4, dtype=torch.float64)
    a = AF.attention(q, k, v, score=score, mask=mask, **kw).output
    b = AF.attention(q, k[:, perm], v[:, perm], score=score, mask=mask[..., perm], **kw).output
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), shift=st.floats(-50, 50), s_len=st.integers(1, 9))
def test_softmax_invariant_to_adding_a_constant(seed, shift, s_len):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(3, 4, s_len, generator=g, dtype=torch.float64)
    mask = torch.rand(3, 4, s_len, generator=g) > 0.3
    torch.testing.assert_close(
        AF.softmax(scores, mask), AF.softmax(scores + shift, mask), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("ev", [1, 4, 7, 12])
@pytest.mark.parametrize("key_grad", [True, False])
def test_gaussian_fast_path_value_widths_and_key_grad(ev, key_grad):
    # the key-gradient path folds |k|^2 into padded vectors (functional/_gaussian.py): any value width,
    # narrower or wider than the padded width, and the constant-bias path when keys need no gradient
    g = torch.Generator().manual_seed(ev)
    q = torch.randn(2, 3, 5, 6, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 3, 9, 6, generator=g, dtype=torch.float64, requires_grad=key_grad)
    v = torch.randn(2, 3, 9, ev, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.rand(2, 1, 5, 9, generator=g) > 0.4
    mask[..., 0] = True
    inputs = (q, k, v) if key_grad else (q, v)
    fast = AF.attention(q, k, v, score="gaussian", bandwidth=0.8, mask=mask).output
    ref = AF.attention(q, k, v, score="gaussian", bandwidth=0.8, mask=mask, return_weights=True).output
    assert fast.shape == (2, 3, 5, ev)
    torch.testing.assert_close(fast, ref, rtol=1e-9, atol=1e-10)
    cot = torch.randn(fast.shape, generator=g, dtype=torch.float64)
    grads_fast, grads_ref = torch.autograd.grad(fast, inputs, cot), torch.autograd.grad(ref, inputs, cot)
    for a, b in zip(grads_fast, grads_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-9)

    def fn(*t):
        return AF.attention(*(t if key_grad else (t[0], k, t[1])), score="gaussian", bandwidth=0.8).output

    assert torch.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("score", SCORE_NAMES)
@pytest.mark.parametrize("mask_kind", ["none", "bool_keys", "bool_rows_empty", "float", "float_neg_inf"])
def test_no_grad_weights_path_normalises_in_place_with_the_same_numbers(score, mask_kind):
    # without autograd the weights are normalised in place (masked_softmax_); with it, out of place
    q, k, v = _inputs(dtype=torch.float64)
    mask = {
        "none": None,
        "bool_keys": _key_mask(),
        "bool_rows_empty": torch.rand(B, L, S) > 0.5,
        "float": torch.randn(B, 1, S, dtype=torch.float64),
        "float_neg_inf": torch.zeros(B, L, S, dtype=torch.float64).masked_fill(
            torch.rand(B, L, S) > 0.6, float("-inf")
        ),
    }[mask_kind]
    if mask_kind == "bool_rows_empty":
        mask[0, 1] = False
    kw = score_kwargs(score, E, dtype=torch.float64)
    snapshot = [t.clone() for t in (q, k, v)] + ([mask.clone()] if mask is not None else [])
    with torch.no_grad():
        fast = AF.attention(q, k, v, score=score, mask=mask, return_weights=True, **kw)
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    ref = AF.attention(q, k, v, score=score, mask=mask, return_weights=True, **kw)
    torch.testing.assert_close(fast.weights, ref.weights.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(fast.output, ref.output.detach(), rtol=1e-12, atol=1e-12)
    for before, after in zip(snapshot, (q, k, v, mask), strict=False):
        assert torch.equal(before, after.detach()), "inputs must not be modified"


def test_in_place_softmax_refuses_a_mask_that_would_broadcast_the_scores():
    from attnzoo.functional.normalize import masked_softmax, masked_softmax_

    scores = torch.randn(3, 4)
    mask = torch.rand(2, 3, 4) > 0.5
    assert masked_softmax_(scores.clone(), mask) is None
    s = torch.randn(2, 3, 4)
    m = torch.rand(2, 1, 4) > 0.3
    torch.testing.assert_close(masked_softmax_(s.clone(), m), masked_softmax(s, m))


def test_attention_output_keeps_log_prob_through_replace_copy_and_pickle():
    import copy
    import pickle

    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
    res = AF.attention(q, k, v, normalize="sample", generator=torch.Generator().manual_seed(0))
    assert res.log_prob is not None and res.log_prob.shape == (2, 3)
    out, weights = res  # still unpacks as a pair
    assert weights is None and out is res.output
    moved = res._replace(output=res.output * 2)
    assert moved.log_prob is res.log_prob and torch.equal(moved.output, res.output * 2)
    assert res._replace(log_prob=None).log_prob is None
    with pytest.raises(ValueError):
        res._replace(nope=1)
    for again in (copy.copy(res), copy.deepcopy(res), pickle.loads(pickle.dumps(res))):
        assert isinstance(again, AF.AttentionOutput) and torch.equal(again.log_prob, res.log_prob)
    assert AF.AttentionOutput._make([out, None]).log_prob is None
