"""Property tests of ``MultiHeadAttention``: random embed_dim / heads / kdim / vdim / bias / score, batch,
lengths (0 included), bool and float masks and key padding with fully masked rows, causal, weights
averaged or per head, train or eval, with and without autograd, float32/float64; against
``torch.nn.MultiheadAttention`` (``to_torch(batch_first=...)``, both layouts) where torch is defined; and
random wrong arguments.

The contract: a good call never raises; output (B, L, D) finite; weights >= 0, zero on masked keys, summing
to 1 over the allowed ones; a query with no allowed key in any head gets a zero attention output, so the
module returns ``out_proj``'s bias there. A bad call raises ValueError or TypeError naming the argument.
Bounded by the ``attnzoo-ci`` hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from attnzoo.nn import MultiHeadAttention

_SCORES = [("scaled_dot", {}), ("scaled_dot", {"scale": 0.3}), ("dot", {}), ("cosine", {"temperature": 0.5})]
_SCORES += [("gaussian", {"bandwidth": 2.0})]


@st.composite
def _case(draw):
    heads, hd = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    self_attn = draw(st.booleans())
    dims = st.one_of(st.none(), st.integers(1, 6))
    L = draw(st.integers(0, 4))
    return {
        "heads": heads,
        "D": heads * hd,
        "kdim": None if self_attn else draw(dims),
        "vdim": None if self_attn else draw(dims),
        "bias": draw(st.booleans()),
        "score": draw(st.sampled_from(range(len(_SCORES)))),
        "dtype": draw(st.sampled_from([torch.float32, torch.float64])),
        "B": draw(st.integers(0, 3)),
        "L": L,
        "S": L if self_attn else draw(st.integers(0, 5)),
        "self_attn": self_attn,
        "mask": draw(st.sampled_from(["none", "bool", "float"])),
        "mask_shape": draw(st.lists(st.booleans(), min_size=4, max_size=4)),  # per dim: 1 or full
        "mask_ndim": draw(st.integers(2, 4)),
        "kpm": draw(st.sampled_from(["none", "bool", "float"])),
        "empty_row": draw(st.booleans()),
        "is_causal": draw(st.booleans()),
        "need_weights": draw(st.booleans()),
        "average": draw(st.booleans()),
        "train": draw(st.booleans()),
        "grad": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def _module(c: dict) -> MultiHeadAttention:
    torch.manual_seed(c["seed"])
    score, skw = _SCORES[c["score"]]
    drop = 0.3 if c["train"] else 0.0
    mha = MultiHeadAttention(
        c["D"], c["heads"], kdim=c["kdim"], vdim=c["vdim"], bias=c["bias"], dropout=drop, score=score,
        score_kwargs=skw,
    )  # fmt: skip
    if c["bias"]:  # a bias that is not zero, so the fully-masked-row check below means something
        with torch.no_grad():
            mha.out_proj.bias.normal_()
    return mha.to(c["dtype"]).train(c["train"])


def _inputs(c: dict, g: torch.Generator):
    dt, B, L, S = c["dtype"], c["B"], c["L"], c["S"]
    q = torch.randn(B, L, c["D"], generator=g, dtype=dt)
    if c["self_attn"]:
        return q, None, None
    k = torch.randn(B, S, c["kdim"] or c["D"], generator=g, dtype=dt)
    v = torch.randn(B, S, c["vdim"] or c["D"], generator=g, dtype=dt)
    return q, k, v


def _masks(c: dict, g: torch.Generator):
    """``(mask, key_padding_mask, allowed)``: ``allowed`` (B, H, L, S) bool, what every head may attend."""
    B, H, L, S, dt = c["B"], c["heads"], c["L"], c["S"], c["dtype"]
    allowed = torch.ones(B, H, L, S, dtype=torch.bool)
    mask = kpm = None
    if c["mask"] != "none":
        full = (B, H, L, S)[4 - c["mask_ndim"] :]
        shape = tuple(
            1 if one else n for one, n in zip(c["mask_shape"][4 - c["mask_ndim"] :], full, strict=True)
        )
        m = torch.rand(shape, generator=g) > 0.3
        if c["empty_row"] and L and shape[-2] != 1:
            m[..., 0, :] = False
        allowed = allowed & m
        mask = (
            m if c["mask"] == "bool" else torch.randn(shape, generator=g, dtype=dt).masked_fill(~m, -math.inf)
        )
    if c["kpm"] != "none":
        m = torch.rand(B, S, generator=g) > 0.3
        allowed = allowed & m[:, None, None, :]
        kpm = m if c["kpm"] == "bool" else torch.zeros(B, S, dtype=dt).masked_fill(~m, -math.inf)
    if c["is_causal"]:
        allowed = allowed & torch.ones(L, S, dtype=torch.bool).tril(S - L)
    return mask, kpm, allowed


@given(c=_case())
def test_a_good_call_never_raises_and_keeps_the_contract(c):
    g = torch.Generator().manual_seed(c["seed"])
    mha = _module(c)
    q, k, v = _inputs(c, g)
    mask, kpm, allowed = _masks(c, g)
    if c["grad"]:
        q.requires_grad_()
    with torch.set_grad_enabled(c["grad"]):
        res = mha(
            q, k, v, mask=mask, key_padding_mask=kpm, is_causal=c["is_causal"],
            need_weights=c["need_weights"], average_weights=c["average"],
        )  # fmt: skip
    B, H, L, S, D = c["B"], c["heads"], c["L"], c["S"], c["D"]
    assert res.output.shape == (B, L, D) and res.output.dtype == c["dtype"]
    assert torch.isfinite(res.output).all()
    dead = ~allowed.any(-1).any(1)  # (B, L): no head lets the query see any key
    bias = mha.out_proj.bias if c["bias"] else torch.zeros(D, dtype=c["dtype"])
    assert (res.output[dead] == bias.detach()).all()
    if c["need_weights"]:
        w = res.weights
        assert w.shape == ((B, L, S) if c["average"] else (B, H, L, S))
        assert torch.isfinite(w).all() and (w >= 0).all()
        per_head = w if not c["average"] else None
        if per_head is not None:
            assert (per_head[~allowed] == 0).all()
            rows = allowed.any(-1)
            sums = per_head.sum(-1)
            torch.testing.assert_close(sums[rows], torch.ones_like(sums[rows]))
            assert (sums[~rows] == 0).all()
        else:
            assert (w[~allowed.any(1)] == 0).all()  # a key no head may see has zero average weight
    else:
        assert res.weights is None
    if c["grad"] and res.output.numel():
        res.output.sum().backward()
        grads = [q.grad] + [p.grad for p in mha.parameters() if p.grad is not None]
        assert all(torch.isfinite(t).all() for t in grads)


@given(c=_case(), batch_first=st.booleans())
def test_agrees_with_torch_where_torch_is_defined(c, batch_first):
    # torch: eval, its scaled dot score, float masks (its bool masks mean the opposite), every query with a
    # key it may see (torch gives NaN there), lengths >= 1, and no is_causal (torch wants the mask too)
    c = c | {"score": 0, "train": False, "grad": False, "is_causal": False, "empty_row": False}
    L = max(c["L"], 1)
    c |= {"B": max(c["B"], 1), "L": L, "S": L if c["self_attn"] else max(c["S"], 1)}
    g = torch.Generator().manual_seed(c["seed"])
    mha = _module(c)
    q, k, v = _inputs(c, g)
    k = q if k is None else k
    v = k if v is None else v
    L, S = c["L"], c["S"]
    mask = torch.randn(L, S, generator=g, dtype=c["dtype"])
    kpm = torch.randn(c["B"], S, generator=g, dtype=c["dtype"])
    ours = mha(q, k, v, mask=mask, key_padding_mask=kpm, need_weights=True)
    ref = mha.to_torch(batch_first=batch_first)
    t = (lambda x: x) if batch_first else (lambda x: x.transpose(0, 1))
    out, w = ref(t(q), t(k), t(v), attn_mask=mask, key_padding_mask=kpm, need_weights=True)
    tol = {"rtol": 1e-4, "atol": 1e-5} if c["dtype"] == torch.float32 else {"rtol": 1e-10, "atol": 1e-11}
    torch.testing.assert_close(ours.output, t(out), **tol)
    torch.testing.assert_close(ours.weights, w, **tol)
    fused = mha(q, k, v, mask=mask, key_padding_mask=kpm).output  # the SDPA path, no weights
    torch.testing.assert_close(fused, ours.output, **tol)


# --- bad arguments ----------------------------------------------------------------------------------------

_BAD_CONSTRUCTOR = [
    ({"embed_dim": 0}, "embed_dim"),
    ({"embed_dim": -4}, "embed_dim"),
    ({"embed_dim": 4.0}, "embed_dim"),
    ({"embed_dim": "4"}, "embed_dim"),
    ({"num_heads": 3}, "num_heads"),
    ({"num_heads": 0}, "num_heads"),
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
    ({"dropout": math.nan}, "dropout"),
    ({"score": "nope"}, "score"),
    ({"score": 3}, "score"),
    ({"kdim": 0}, "kdim"),
    ({"vdim": -2}, "vdim"),
]


@pytest.mark.parametrize(("change", "word"), _BAD_CONSTRUCTOR)
def test_a_bad_constructor_argument_is_a_clean_error_naming_it(change, word):
    kw = {"embed_dim": 4, "num_heads": 2} | change
    with pytest.raises((ValueError, TypeError), match=word):
        MultiHeadAttention(kw.pop("embed_dim"), kw.pop("num_heads"), **kw)


_BAD_CALLS = [
    "query_2d",
    "query_width",
    "query_dtype",
    "query_int",
    "key_width",
    "key_batch",
    "value_length",
    "value_width",
    "mask_shape",
    "mask_int",
    "mask_list",
    "kpm_shape",
    "kpm_int",
]


def _bad_call(name: str, mha: MultiHeadAttention, q, k, v, c):
    B, L, S, D = c["B"], c["L"], c["S"], c["D"]
    kdim, vdim, dt = c["kdim"] or D, c["vdim"] or D, c["dtype"]
    other = torch.float64 if dt == torch.float32 else torch.float32
    call = {"query": q, "key": k, "value": v}
    words = {
        "query_2d": ("query",), "query_width": ("query",), "query_dtype": ("query", "dtype"),
        "query_int": ("query", "dtype"), "key_width": ("key",), "key_batch": ("key",),
        "value_length": ("value",), "value_width": ("value",), "mask_shape": ("mask",), "mask_int": ("mask",),
        "mask_list": ("mask",), "kpm_shape": ("key_padding_mask",), "kpm_int": ("key_padding_mask",),
    }[name]  # fmt: skip
    edits = {
        "query_2d": lambda: {"query": q[0]},
        "query_width": lambda: {"query": torch.zeros(B, L, D + 1, dtype=dt)},
        "query_dtype": lambda: {"query": q.to(other), "key": k.to(other), "value": v.to(other)},
        "query_int": lambda: {"query": q.long(), "key": k.long(), "value": v.long()},
        "key_width": lambda: {"key": torch.zeros(B, S, kdim + 1, dtype=dt)},
        "key_batch": lambda: {"key": torch.zeros(B + 1, S, kdim, dtype=dt)},
        "value_length": lambda: {"value": torch.zeros(B, S + 1, vdim, dtype=dt)},
        "value_width": lambda: {"value": torch.zeros(B, S, vdim + 1, dtype=dt)},
        "mask_shape": lambda: {"mask": torch.ones(L, S + 2, dtype=torch.bool)},
        "mask_int": lambda: {"mask": torch.ones(L, S, dtype=torch.int64)},
        "mask_list": lambda: {"mask": [[True] * S] * L},
        "kpm_shape": lambda: {"key_padding_mask": torch.ones(B, S + 1, dtype=torch.bool)},
        "kpm_int": lambda: {"key_padding_mask": torch.ones(B, S, dtype=torch.int32)},
    }
    call |= edits[name]()
    return call, words


@given(c=_case(), which=st.sampled_from(_BAD_CALLS))
def test_a_bad_call_raises_a_clean_error_naming_the_argument(c, which):
    c = c | {"self_attn": False, "B": max(c["B"], 1), "L": max(c["L"], 1), "S": max(c["S"], 1)}
    c |= {"kdim": c["kdim"] or c["D"], "vdim": c["vdim"] or c["D"]}
    g = torch.Generator().manual_seed(c["seed"])
    mha = _module(c)
    q, k, v = _inputs(c, g)
    call, words = _bad_call(which, mha, q, k, v, c)
    try:
        mha(call.pop("query"), call.pop("key"), call.pop("value"), **call)
    except (ValueError, TypeError) as e:
        assert any(w in str(e) for w in words), (
            f"{which}: {type(e).__name__}({str(e)!r}) names none of {words}"
        )
    else:
        raise AssertionError(f"{which}: no error")


def test_an_input_of_another_dtype_than_the_weights_is_a_type_error_naming_it():
    # regression (found by the property test above): F.linear's RuntimeError named no argument
    mha = MultiHeadAttention(4, 2, kdim=3, vdim=5)
    q, k, v = torch.zeros(1, 2, 4), torch.zeros(1, 3, 3), torch.zeros(1, 3, 5)
    for call, name in (
        ((q.double(), k, v), "query"),
        ((q, k.double(), v), "key"),
        ((q, k, v.double()), "value"),
    ):
        with pytest.raises(TypeError, match=f"{name} has dtype torch.float64 but the module's weights are"):
            mha(*call)
    with pytest.raises(ValueError, match="kdim must be a positive int, got 0"):
        MultiHeadAttention(4, 2, kdim=0)  # was taken as "not given" (kdim or embed_dim)
