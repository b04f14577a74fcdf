"""Keyword routing between score and normaliser: short form, explicit dicts, ambiguity errors."""

import pytest
import torch

import attnzoo.functional as AF
from attnzoo.nn import Attention


def _tau_score(q, k, *, tau=1.0):
    return (q @ k.transpose(-2, -1)) / tau


def _qkv():
    g = torch.Generator().manual_seed(0)
    return (
        torch.randn(2, 3, 4, generator=g),
        torch.randn(2, 5, 4, generator=g),
        torch.randn(2, 5, 6, generator=g),
    )


@pytest.mark.parametrize("fn", [AF.attention, AF.attention_weights])
def test_a_keyword_both_take_raises_naming_it_and_both_callables(fn):
    q, k, v = _qkv()
    args = (q, k, v) if fn is AF.attention else (q, k)
    with pytest.raises(TypeError, match=r"'tau' is ambiguous.*_tau_score.*threshold"):
        fn(*args, score=_tau_score, normalize="threshold", tau=0.2)


def test_explicit_dicts_send_each_tau_to_its_owner():
    q, k, v = _qkv()
    out = AF.attention(
        q,
        k,
        v,
        score=_tau_score,
        normalize="threshold",
        score_kwargs={"tau": 0.5},
        normalize_kwargs={"tau": 0.3},
    )
    w = AF.threshold(_tau_score(q, k, tau=0.5), None, tau=0.3)
    torch.testing.assert_close(out.output, w @ v)
    # a different score tau changes the result, so the score really received it
    other = AF.attention(
        q,
        k,
        v,
        score=_tau_score,
        normalize="threshold",
        score_kwargs={"tau": 2.0},
        normalize_kwargs={"tau": 0.3},
    )
    assert not torch.allclose(out.output, other.output)


def test_short_form_still_routes_the_unambiguous_case():
    q, k, v = _qkv()
    a = AF.attention(q, k, v, score="cosine", normalize="topk", temperature=0.5, top_k=2)
    b = AF.attention(
        q,
        k,
        v,
        score="cosine",
        normalize="topk",
        score_kwargs={"temperature": 0.5},
        normalize_kwargs={"top_k": 2},
    )
    torch.testing.assert_close(a.output, b.output)


def test_a_keyword_given_twice_raises():
    q, k, v = _qkv()
    with pytest.raises(TypeError, match="'top_k' given both directly and in normalize_kwargs"):
        AF.attention(q, k, v, normalize="topk", top_k=1, normalize_kwargs={"top_k": 2})


def test_normalize_kwargs_reach_softmax_and_fail_there_not_silently():
    q, k, v = _qkv()
    with pytest.raises(TypeError):
        AF.attention(q, k, v, normalize_kwargs={"top_k": 2})


def test_module_accepts_explicit_dicts_and_rejects_ambiguity():
    q, k, v = _qkv()
    mod = Attention(_tau_score, "threshold", score_kwargs={"tau": 0.5}, normalize_kwargs={"tau": 0.3})
    w = AF.threshold(_tau_score(q, k, tau=0.5), None, tau=0.3)
    torch.testing.assert_close(mod(q, k, v).output, w @ v)
    with pytest.raises(TypeError, match="ambiguous"):
        Attention(_tau_score, "threshold", tau=0.3)(q, k, v)
