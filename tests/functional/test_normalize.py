"""Normalisers on their own: exact zeros, renormalisation, estimators."""

import pytest
import torch

import attnzoo.functional as AF


def test_topk_keeps_k_largest_and_renormalises():
    s = torch.tensor([[1.0, 3.0, 2.0, 0.0, 5.0]])
    w = AF.topk(s, None, top_k=2)
    expect = torch.zeros(1, 5)
    expect[0, [1, 4]] = torch.softmax(torch.tensor([3.0, 5.0]), -1)
    torch.testing.assert_close(w, expect)
    assert (w[0, [0, 2, 3]] == 0).all()


def test_topk_respects_mask_and_short_rows():
    s = torch.tensor([[9.0, 3.0, 2.0, 1.0]])
    mask = torch.tensor([[False, True, False, True]])
    w = AF.topk(s, mask, top_k=3)  # only two allowed keys: both kept
    kept = torch.softmax(torch.tensor([3.0, 1.0]), -1)
    torch.testing.assert_close(w, torch.tensor([[0.0, kept[0], 0.0, kept[1]]]))
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        AF.topk(s, None, top_k=0)


def test_threshold_zeroes_small_weights_and_renormalises():
    s = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    w = AF.threshold(s, None, tau=0.2)
    torch.testing.assert_close(w, torch.tensor([[0.625, 0.375, 0.0, 0.0]]))
    w = AF.threshold(s, None, tau=0.9)  # nothing passes: the largest survives alone
    torch.testing.assert_close(w, torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"tau must be in \[0, 1\]"):
        AF.threshold(s, None, tau=2.0)


def test_hard_is_one_hot_with_softmax_gradient():
    s = torch.tensor([[0.1, 2.0, -1.0]], requires_grad=True)
    w = AF.hard(s, None)
    assert w.tolist() == [[0.0, 1.0, 0.0]]
    g = torch.tensor([[1.0, -2.0, 0.5]])
    (w * g).sum().backward()
    s2 = s.detach().requires_grad_()
    (torch.softmax(s2, -1) * g).sum().backward()
    torch.testing.assert_close(s.grad, s2.grad)


def test_hard_never_picks_a_masked_key():
    s = torch.tensor([[5.0, 1.0, 2.0]])
    w = AF.hard(s, torch.tensor([[False, True, True]]))
    assert w.tolist() == [[0.0, 0.0, 1.0]]


def test_sample_frequencies_follow_softmax_and_log_prob_is_exact():
    s = torch.tensor([[0.0, 1.0, 2.0]]).expand(20000, 3)
    gen = torch.Generator().manual_seed(0)
    out = AF.sample(s, None, generator=gen)
    freq = out.weights.mean(0)
    torch.testing.assert_close(freq, torch.softmax(s[0], -1), atol=0.015, rtol=0)
    idx = out.weights.argmax(-1)
    torch.testing.assert_close(out.log_prob, torch.log_softmax(s[0], -1)[idx])


def test_sample_reinforce_gradient_is_unbiased_direction():
    # REINFORCE on a 3-armed bandit: reward 1 for key 2; ascending E[reward] raises score 2.
    s = torch.zeros(4000, 3, requires_grad=True)
    out = AF.sample(s, None, generator=torch.Generator().manual_seed(1))
    reward = out.weights[:, 2]
    (-(reward - reward.mean()) * out.log_prob).mean().backward()
    g = s.grad.sum(0)
    assert g[2] < 0 < g[0] and g[1] > 0  # descent direction raises the rewarded score


def test_sample_respects_mask():
    s = torch.zeros(500, 4)
    mask = torch.tensor([True, False, True, False])
    out = AF.sample(s, mask, generator=torch.Generator().manual_seed(2))
    assert (out.weights[:, [1, 3]] == 0).all()
    torch.testing.assert_close(out.log_prob, torch.full((500,), -torch.log(torch.tensor(2.0)).item()))


def test_gumbel_soft_and_hard():
    s = torch.randn(6, 5, requires_grad=True)
    mask = torch.tensor([True, True, False, True, True])
    soft = AF.gumbel(s, mask, tau=0.5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(soft.sum(-1), torch.ones(6))
    assert (soft[:, 2] == 0).all()
    hard = AF.gumbel(s, mask, tau=0.5, hard=True, generator=torch.Generator().manual_seed(0))
    assert ((hard == 0) | (hard == 1)).all() and (hard.sum(-1) == 1).all()
    assert hard.argmax(-1).tolist() == soft.argmax(-1).tolist()
    hard.sum().backward()
    assert torch.isfinite(s.grad).all()
    with pytest.raises(ValueError, match="tau must be > 0"):
        AF.gumbel(s, None, tau=0.0)


def test_masked_softmax_with_float_bias_equals_bool_mask():
    s = torch.randn(3, 4, 6)
    m = torch.rand(3, 4, 6) > 0.5
    torch.testing.assert_close(AF.masked_softmax(s, m), AF.masked_softmax(s, AF.mask_to_bias(m, s.dtype)))


def test_register_normalizer_is_usable_by_name():
    name = "_test_uniform"

    @AF.register_normalizer(name)
    def uniform(scores, mask=None):
        return AF.masked_softmax(torch.zeros_like(scores), mask)

    try:  # removed again, so the registry-parametrised tests see only the package's own
        q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
        out = AF.attention(q, k, v, normalize=name)
        torch.testing.assert_close(out.output, v.mean(1, keepdim=True).expand(2, 3, 2))
    finally:
        del AF.NORMALIZERS[name]
