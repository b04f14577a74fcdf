import pytest
import torch

import attnzoo.functional as AF
from attnzoo.nn import AdditiveScore, Attention, BilinearScore, NadarayaWatson
from tests.functional.conftest import score_kwargs


def test_additive_score_module_matches_functional_and_projected_keys():
    m = AdditiveScore(6, 4, 5, bias=False)
    q, k = torch.randn(2, 3, 6), torch.randn(2, 7, 4)
    ref = AF.additive_score(
        q, k, query_proj=m.query_proj.weight.T, key_proj=m.key_proj.weight.T, score_proj=m.score_proj
    )
    torch.testing.assert_close(m(q, k), ref)
    torch.testing.assert_close(m(q, projected_keys=m.project_keys(k)), ref)
    with pytest.raises(ValueError, match="exactly one of key and projected_keys"):
        m(q)


def test_bilinear_score_module_fast_path_matches_reference():
    att = Attention(BilinearScore(6, 4))
    q, k, v = torch.randn(2, 3, 6), torch.randn(2, 7, 4), torch.randn(2, 7, 2)
    fast = att(q, k, v).output
    ref = att(q, k, v, return_attention=True)
    torch.testing.assert_close(fast, ref.output)
    torch.testing.assert_close(ref.weights, torch.softmax(att.score(q, k), -1))


@pytest.mark.parametrize("score", sorted(AF.SCORES))
def test_attention_module_named_scores(score):
    kw = score_kwargs(score, 4)
    att = Attention(score, dropout=0.5, score_kwargs=kw)
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
    att.eval()
    torch.testing.assert_close(att(q, k, v).output, AF.attention(q, k, v, score=score, **kw).output)
    att.train()
    assert not torch.allclose(att(q, k, v).output, AF.attention(q, k, v, score=score, **kw).output)


def test_learnable_scores_train():
    torch.manual_seed(0)
    att = Attention(AdditiveScore(4, 4, 8), normalize="softmax")
    q, k, v = torch.randn(8, 3, 4), torch.randn(8, 5, 4), torch.randn(8, 5, 1)
    target = v[:, :1].expand(8, 3, 1)  # learn to attend the first key
    opt = torch.optim.Adam(att.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = (att(q, k, v).output - target).square().mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


def test_attention_module_options_and_errors():
    att = Attention("dot", normalize="topk", top_k=1)
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 2)
    w = att(q, k, v, return_attention=True).weights
    assert ((w > 0).sum(-1) == 1).all()
    with pytest.raises(ValueError, match="unknown score"):
        Attention("euclid")
    with pytest.raises(ValueError, match="dropout"):
        Attention(dropout=1.5)


def test_nadaraya_watson_module_parametric_learns_width():
    torch.manual_seed(0)
    x = torch.sort(torch.rand(50) * 5).values
    y = 2 * torch.sin(x) + x**0.8 + 0.5 * torch.randn(50)
    nw = NadarayaWatson(learnable=True)
    opt = torch.optim.SGD(nw.parameters(), lr=0.5)
    mask = ~torch.eye(50, dtype=torch.bool)  # leave-one-out training
    for _ in range(50):
        pred, _ = nw(x, x, y, mask)
        loss = (pred - y).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert nw.w.item() > 1.5  # a narrower kernel than the initial w = 1
    fixed = NadarayaWatson(learnable=False)
    assert list(fixed.parameters()) == []
    with pytest.raises(ValueError, match="unknown kernel"):
        NadarayaWatson("cosine")
