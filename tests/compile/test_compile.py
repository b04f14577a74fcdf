"""``torch.compile(fullgraph=True)`` captures attnzoo's hot paths in one graph (issue 18, item 3).

Tiny inputs. Most tests capture with the ``eager`` backend (dynamo's tracing, which is where graph breaks
come from, a second or two each); the ``inductor`` ones (C++ codegen, over a minute each on 2 cores) and
most of the rest are marked slow, so the default suite keeps a few: the masked attention, MHA and the
Bahdanau decoder step.
"""

from __future__ import annotations

import pytest
import torch

import attnzoo.functional as AF
from attnzoo.models.bahdanau import Bahdanau, BahdanauConfig
from attnzoo.models.resnet import ResNet, ResNetConfig
from attnzoo.nn import MultiHeadAttention
from attnzoo.nn.vision import create_attention, list_attention

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.usefixtures("fresh_dynamo")]


def _main(out):
    """The main tensor of a model's output (a tensor, or a NamedTuple whose first field it is)."""
    return out if isinstance(out, torch.Tensor) else out[0]


def _same(fn, *args, backend="eager"):
    compiled = torch.compile(fn, fullgraph=True, backend=backend)
    torch.testing.assert_close(compiled(*args), fn(*args))


def _qkvm():
    g = torch.Generator().manual_seed(0)
    q, k, v = (
        torch.randn(2, 3, 4, 8, generator=g),
        torch.randn(2, 3, 5, 8, generator=g),
        torch.randn(2, 3, 5, 8),
    )
    mask = torch.rand(2, 1, 4, 5, generator=g) > 0.3
    mask[0, 0, 1] = False  # a query with no allowed key: the guard must stay branch-free
    return q, k, v, mask


SCORE_KW = {
    "dot": {},
    "scaled_dot": {},
    "cosine": {"temperature": 0.5},
    "general": {"weight": torch.randn(8, 8)},
    "gaussian": {"bandwidth": 2.0},
}


@pytest.mark.slow
@pytest.mark.parametrize("return_weights", [False, True])
@pytest.mark.parametrize("score", sorted(SCORE_KW))
def test_attention_every_score(score, return_weights):
    kw = SCORE_KW[score]
    _same(
        lambda q, k, v, m: (
            AF.attention(q, k, v, mask=m, score=score, return_weights=return_weights, **kw).output
        ),
        *_qkvm(),
    )


@pytest.mark.slow
@pytest.mark.parametrize("normalize, kw", [("hard", {}), ("topk", {"top_k": 2}), ("threshold", {"tau": 0.2})])
def test_attention_deterministic_normalisers(normalize, kw):
    _same(lambda q, k, v, m: AF.attention(q, k, v, mask=m, normalize=normalize, **kw).output, *_qkvm())


@pytest.mark.slow
@pytest.mark.parametrize("normalize", ["gumbel", "sample"])
def test_attention_random_normalisers(normalize):
    # random draws differ from eager's: check what holds for any draw (rows of allowed keys sum to one)
    q, k, v, mask = _qkvm()
    fn = torch.compile(
        lambda q, k, v, m: AF.attention(q, k, v, mask=m, normalize=normalize, return_weights=True).weights,
        fullgraph=True,
        backend="eager",
    )
    w = fn(q, k, v, mask)
    assert torch.isfinite(w).all() and (w[~mask.expand_as(w)] == 0).all()
    sums = w.sum(-1)
    torch.testing.assert_close(sums, mask.expand_as(w).any(-1).to(w.dtype))


@pytest.mark.slow
def test_additive_score():
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 4, 8, generator=g), torch.randn(2, 5, 6, generator=g), torch.randn(2, 5, 3)
    wq, wk, w = torch.randn(8, 7), torch.randn(6, 7), torch.randn(7)

    def fn(q, k, v):
        return AF.attention(q, k, v, score="additive", query_proj=wq, key_proj=wk, score_proj=w).output

    _same(fn, q, k, v)


@pytest.mark.parametrize("need_weights", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_multihead_attention(need_weights):
    torch.manual_seed(0)
    m = MultiHeadAttention(16, 2).eval()
    x = torch.randn(2, 5, 16)
    keep = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    _same(
        lambda x, keep: m(x, key_padding_mask=keep, is_causal=True, need_weights=need_weights).output, x, keep
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list_attention())
def test_vision_modules(name):
    torch.manual_seed(0)
    mod = create_attention(name, 16).eval()
    x = torch.randn(2, 16, 8, 8)
    out = mod(x)
    first = (lambda x: mod(x)) if isinstance(out, torch.Tensor) else (lambda x: mod(x)[0])
    _same(first, x)


@pytest.mark.slow
def test_vision_model_whole():
    torch.manual_seed(0)
    resnet = ResNet(ResNetConfig(1, 10, (4, 8), (1, 1), "se")).eval()
    _same(lambda x: _main(resnet(x)), torch.randn(2, 1, 16, 16))


def test_attention_masked_default_suite():
    _same(lambda q, k, v, m: AF.attention(q, k, v, mask=m).output, *_qkvm())


def test_bahdanau_decoder_step():
    # the translation models' hot path; their forward checks and packs variable lengths (data-dependent)
    torch.manual_seed(0)
    bah = Bahdanau(
        BahdanauConfig(30, 30, emb_dim=8, hidden_dim=8, align_dim=8, maxout_dim=8, dropout=0.0)
    ).eval()
    src, slen = torch.randint(3, 30, (2, 6)), torch.tensor([6, 4])
    state = bah.encode(src, slen)
    tokens = torch.randint(3, 30, (2,))

    def step(tokens, s, keys, memory, mask):
        out = bah.step(tokens, {"s": s, "keys": keys, "memory": memory, "mask": mask})
        return out.logits, out.state["s"], out.attention

    compiled = torch.compile(step, fullgraph=True, backend="eager")
    args = (tokens, state["s"], state["keys"], state["memory"], state["mask"])
    for a, b in zip(compiled(*args), step(*args), strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.slow
def test_inductor_compiles_attention():
    # a real (C++) compile: the fused attention path, masked (about 80 s on 2 loaded cores)
    _same(lambda q, k, v, m: AF.attention(q, k, v, mask=m).output, *_qkvm(), backend="inductor")


@pytest.mark.slow
@pytest.mark.parametrize("name", list_attention())
def test_inductor_vision_modules(name):
    torch.manual_seed(0)
    mod = create_attention(name, 16).eval()
    out = mod(torch.randn(2, 16, 8, 8))
    first = (lambda x: mod(x)) if isinstance(out, torch.Tensor) else (lambda x: mod(x)[0])
    _same(first, torch.randn(2, 16, 8, 8), backend="inductor")


@pytest.mark.slow
def test_inductor_multihead_attention():
    torch.manual_seed(0)
    m = MultiHeadAttention(16, 2).eval()
    _same(lambda x: m(x, is_causal=True).output, torch.randn(2, 5, 16), backend="inductor")
