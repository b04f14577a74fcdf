"""Property tests of ``attention()``: every score x normaliser over random shapes (empty batch, L = 0,
S = 0, Ev = 0), random bool/float masks with fully masked rows, float32/float64, and random wrong inputs.

The contract checked (docs/errors.md, "Bad input gets a clear error"): a good call never raises, its output
has the documented shape and is finite where the inputs are, a fully masked query gets a zero output, and
the weights are >= 0, zero on masked keys and sum to 1 over the allowed ones; a bad call raises ValueError
or TypeError (UnknownNameError is both) whose message names the argument at fault. Any other exception,
or a clean error type with a message that names nothing, fails. Bounded by the ``attnzoo-ci`` hypothesis
profile of tests/conftest.py (derandomised, 30 examples a test).
"""

from __future__ import annotations

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

import attnzoo.functional as AF

SCORES = sorted(AF.SCORES)
NORMS = sorted(AF.NORMALIZERS)
DTYPES = (torch.float32, torch.float64)
_HIDDEN = 3  # the additive score's hidden width


@st.composite
def _case(draw):
    """Everything a good call needs, as plain values (tensors are made from ``seed`` in the test)."""
    return {
        "score": draw(st.sampled_from(SCORES)),
        "norm": draw(st.sampled_from(NORMS)),
        "dtype": draw(st.sampled_from(DTYPES)),
        "batch": tuple(draw(st.lists(st.integers(0, 3), max_size=2))),
        "L": draw(st.integers(0, 5)),
        "S": draw(st.integers(0, 6)),
        "E": draw(st.integers(1, 5)),
        "Ek": draw(st.integers(1, 5)),  # used by the scores that allow another key width
        "Ev": draw(st.integers(0, 4)),
        "scale": draw(st.sampled_from([1e-3, 1.0, 30.0])),
        "mask": draw(st.sampled_from(["none", "bool", "float", "float_inf"])),
        "broadcast": draw(st.lists(st.booleans(), min_size=4, max_size=4)),  # per mask dim: 1 or full
        "drop_lead": draw(st.integers(0, 2)),  # leading mask dims left out
        "empty_rows": draw(st.booleans()),
        "return_weights": draw(st.booleans()),
        "dropout_p": draw(st.sampled_from([0.0, 0.0, 0.3])),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }


def _score_kwargs(c: dict, g: torch.Generator) -> dict:
    r = lambda *s: torch.randn(*s, generator=g, dtype=c["dtype"])  # noqa: E731
    return {
        "general": lambda: {"weight": r(c["E"], c["Ek"])},
        "additive": lambda: {
            "query_proj": r(c["E"], _HIDDEN),
            "key_proj": r(c["Ek"], _HIDDEN),
            "score_proj": r(_HIDDEN),
        },
        "cosine": lambda: {"temperature": 0.5},
        "gaussian": lambda: {"bandwidth": 1.5},
    }.get(c["score"], dict)()


def _norm_kwargs(c: dict, g: torch.Generator) -> dict:
    return {
        "topk": {"top_k": 2},
        "threshold": {"tau": 0.2},
        "sample": {"generator": g},
        "gumbel": {"tau": 0.5, "generator": g},
    }.get(c["norm"], {})


def _build(c: dict):
    """``(q, k, v, mask, kwargs, allowed)`` of a good call; ``allowed`` the bool (..., L, S) mask or None."""
    g = torch.Generator().manual_seed(c["seed"])
    dt, batch, L, S = c["dtype"], c["batch"], c["L"], c["S"]
    ek = c["Ek"] if c["score"] in ("general", "additive") else c["E"]
    q = torch.randn(*batch, L, c["E"], generator=g, dtype=dt) * c["scale"]
    k = torch.randn(*batch, S, ek, generator=g, dtype=dt) * c["scale"]
    v = torch.randn(*batch, S, c["Ev"], generator=g, dtype=dt)
    full = (*batch, L, S)
    shape = tuple(1 if b else n for b, n in zip(c["broadcast"][-len(full) :], full, strict=False))
    shape = shape[min(c["drop_lead"], len(batch)) :]  # a mask may leave leading batch dims out
    mask = allowed = None
    if c["mask"] != "none":
        allowed = torch.rand(shape, generator=g) > 0.4
        if c["empty_rows"] and L and shape[-2] != 1:
            allowed[..., 0, :] = False  # the first query sees nothing
        if c["mask"] == "bool":
            mask = allowed
        else:
            bias = (
                torch.randn(shape, generator=g, dtype=dt)
                if c["mask"] == "float"
                else torch.zeros(shape, dtype=dt)
            )
            mask = bias.masked_fill(~allowed, float("-inf"))
    kw = {"score": c["score"], "normalize": c["norm"], "mask": mask, "return_weights": c["return_weights"]}
    kw |= {"dropout_p": c["dropout_p"], **_score_kwargs(c, g), **_norm_kwargs(c, g)}
    allowed = None if allowed is None else allowed.expand(torch.broadcast_shapes(allowed.shape, full))
    return q, k, v, mask, kw, allowed


@given(c=_case())
def test_a_good_call_never_raises_and_keeps_the_contract(c):
    torch.manual_seed(c["seed"])  # dropout draws from the global generator
    q, k, v, _, kw, allowed = _build(c)
    out = AF.attention(q, k, v, **kw)
    batch, L, S = c["batch"], c["L"], c["S"]
    full_batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2])
    assert out.output.shape == (*full_batch, L, c["Ev"])
    assert out.output.dtype == c["dtype"]
    assert torch.isfinite(out.output).all()
    # the queries with an allowed key (none when S = 0)
    rows = torch.full((*batch, L), S > 0) if allowed is None else allowed.any(-1)
    rows = rows.expand(*full_batch, L)
    # a query with no allowed key: exactly zero output, on every path and with dropout
    assert (out.output[~rows] == 0).all()
    if c["return_weights"]:
        w = out.weights
        assert w.shape == (*full_batch, L, S)
        assert torch.isfinite(w).all() and (w >= 0).all()
        if allowed is not None:
            assert (w[~allowed] == 0).all()
        sums = w.sum(-1)
        torch.testing.assert_close(sums[rows], torch.ones_like(sums[rows]))
        assert (sums[~rows] == 0).all()
    else:
        assert out.weights is None
    if c["norm"] == "sample" and L and S:
        assert out.log_prob.shape == (*full_batch, L) and torch.isfinite(out.log_prob).all()


@given(c=_case())
def test_the_fast_path_agrees_with_the_weights_path(c):
    # softmax, no dropout: the fused SDPA path (no weights) and the reference path (weights) give one output
    c = c | {"norm": "softmax", "dropout_p": 0.0, "return_weights": False}
    q, k, v, _, kw, _ = _build(c)
    fast = AF.attention(q, k, v, **kw).output
    ref = AF.attention(q, k, v, **(kw | {"return_weights": True})).output
    tol = {"rtol": 1e-4, "atol": 1e-4} if c["dtype"] == torch.float32 else {"rtol": 1e-9, "atol": 1e-9}
    torch.testing.assert_close(fast, ref, **tol)


# --- bad input: each corruption -> (what it changes, the words the message must name) -------------------


def _corrupt(name: str, q, k, v, kw, c):
    """Apply one corruption; return the call's arguments and the words one of which the message names."""
    kw = dict(kw)
    if name == "value_length":
        v = torch.zeros(*v.shape[:-2], v.shape[-2] + 1, v.shape[-1], dtype=v.dtype)
        return (q, k, v), kw, ("value",)
    if name == "value_dtype":
        other = torch.float64 if v.dtype == torch.float32 else torch.float32
        return (q, k, v.to(other)), kw, ("value", "dtype")
    if name == "int_query":
        return (q.long(), k, v), kw, ("query",)
    if name == "not_a_tensor":
        return (q.tolist(), k, v), kw, ("query",)
    if name == "one_dim_key":
        return (q, k.reshape(-1), v), kw, ("key",)
    if name == "empty_feature":
        return (q[..., :0], k, v), kw, ("query",)
    if name == "key_width":  # another E for a score that needs the same one
        kw |= {"score": "scaled_dot"}
        for drop in ("weight", "query_proj", "key_proj", "score_proj", "temperature", "bandwidth"):
            kw.pop(drop, None)
        k2 = torch.zeros(*k.shape[:-1], q.shape[-1] + 1, dtype=k.dtype)
        return (q, k2, v), kw, ("query", "key")
    if name == "batch_mismatch":
        q2 = torch.zeros(5, 7, *q.shape[-2:], dtype=q.dtype)
        k2 = torch.zeros(6, *k.shape[-2:], dtype=k.dtype)
        v2 = torch.zeros(6, *v.shape[-2:], dtype=v.dtype)
        return (q2, k2, v2), kw, ("batch", "query")
    if name == "mask_shape":
        kw["mask"] = torch.ones(*q.shape[:-1], k.shape[-2] + 2, dtype=torch.bool)
        return (q, k, v), kw, ("mask",)
    if name == "mask_dtype":
        kw["mask"] = torch.ones(*q.shape[:-1], k.shape[-2], dtype=torch.int64)
        return (q, k, v), kw, ("mask",)
    if name == "mask_list":
        kw["mask"] = [[True]]
        return (q, k, v), kw, ("mask",)
    if name == "dropout":
        kw["dropout_p"] = c["bad_float"]
        return (q, k, v), kw, ("dropout_p",)
    if name == "unknown_score":
        kw |= {"score": "no_such_score"}
        return (q, k, v), kw, ("score",)
    if name == "unknown_normaliser":
        kw |= {"normalize": "no_such_norm"}
        for drop in ("top_k", "tau", "generator"):
            kw.pop(drop, None)
        return (q, k, v), kw, ("normaliser",)
    if name == "unknown_keyword":
        kw["bogus"] = 1
        return (q, k, v), kw, ("bogus",)
    if name == "general_weight_shape":
        kw |= {
            "score": "general",
            "normalize": "softmax",
            "weight": torch.zeros(q.shape[-1] + 1, 2, dtype=q.dtype),
        }
        return (q, k, v), _only(kw, "weight"), ("weight",)
    if name == "general_weight_dtype":
        other = torch.float64 if q.dtype == torch.float32 else torch.float32
        w = torch.zeros(q.shape[-1], k.shape[-1], dtype=other)
        kw |= {"score": "general", "normalize": "softmax", "weight": w}
        return (q, k, v), _only(kw, "weight"), ("weight",)
    if name == "general_no_weight":
        kw |= {"score": "general", "normalize": "softmax"}
        return (q, k, v), _only(kw), ("weight",)
    if name == "top_k":
        kw |= {"score": "dot", "normalize": "topk", "top_k": c["bad_int"]}
        k2 = k[..., : q.shape[-1]] if k.shape[-1] >= q.shape[-1] else None
        if k2 is None:
            k2 = torch.zeros(*k.shape[:-1], q.shape[-1], dtype=k.dtype)
        return (q, k2, v), _only(kw, "top_k"), ("top_k",)
    if name == "tau":
        kw |= {"score": "dot", "normalize": "threshold", "tau": c["bad_float"]}
        k2 = torch.zeros(*k.shape[:-1], q.shape[-1], dtype=k.dtype)
        return (q, k2, v), _only(kw, "tau"), ("tau",)
    if name == "temperature":
        kw |= {"score": "cosine", "normalize": "softmax", "temperature": c["bad_float"]}
        k2 = torch.zeros(*k.shape[:-1], q.shape[-1], dtype=k.dtype)
        return (q, k2, v), _only(kw, "temperature"), ("temperature",)
    raise AssertionError(name)


def _only(kw: dict, *keep: str) -> dict:
    """``kw`` without the score's and normaliser's keywords, except ``keep``."""
    extra = {
        "weight",
        "query_proj",
        "key_proj",
        "score_proj",
        "temperature",
        "bandwidth",
        "top_k",
        "tau",
        "generator",
    }
    return {k: v for k, v in kw.items() if k not in extra or k in keep}


CORRUPTIONS = [
    "value_length",
    "value_dtype",
    "int_query",
    "not_a_tensor",
    "one_dim_key",
    "empty_feature",
    "key_width",
    "batch_mismatch",
    "mask_shape",
    "mask_dtype",
    "mask_list",
    "dropout",
    "unknown_score",
    "unknown_normaliser",
    "unknown_keyword",
    "general_weight_shape",
    "general_weight_dtype",
    "general_no_weight",
    "top_k",
    "tau",
    "temperature",
]


@given(
    c=_case(),
    corruption=st.sampled_from(CORRUPTIONS),
    bad_float=st.sampled_from([-0.5, 1.5, math.nan, math.inf, -math.inf]),
    bad_int=st.sampled_from([0, -2, 1.5, True, "2"]),
)
def test_a_bad_call_raises_a_clean_error_naming_the_argument(c, corruption, bad_float, bad_int):
    c = c | {"L": max(c["L"], 1), "S": max(c["S"], 1), "bad_float": bad_float, "bad_int": bad_int}
    if corruption == "dropout" and 0.0 <= bad_float < 1.0:
        return
    if corruption == "temperature" and bad_float > 0:
        c["bad_float"] = -0.5  # 1.5 and inf are fine temperatures: make it bad
    if corruption == "tau" and 0.0 <= bad_float <= 1.0:
        return
    q, k, v, _, kw, _ = _build(c)
    args, kw, names = _corrupt(corruption, q, k, v, kw, c)
    try:
        AF.attention(*args, **kw)
    except (ValueError, TypeError) as e:
        msg = str(e)
        assert any(n in msg for n in names), (
            f"{corruption}: {type(e).__name__}({msg!r}) names none of {names}"
        )
    else:
        raise AssertionError(f"{corruption}: no error")


def test_additive_score_with_no_query_or_an_empty_batch_is_empty_not_a_reshape_error():
    # regression (found by the property test above): reshape(-1, 0, h) raised torch's RuntimeError
    g = torch.Generator().manual_seed(0)
    qp, kp, v = torch.randn(1, 3, generator=g), torch.randn(1, 3, generator=g), torch.randn(3, generator=g)
    for q, k in ((torch.randn(0, 1), torch.randn(4, 1)), (torch.randn(0, 2, 1), torch.randn(0, 4, 1))):
        s = AF.additive_score(q, k, query_proj=qp, key_proj=kp, score_proj=v)
        assert s.shape == (*q.shape[:-2], q.shape[-2], 4) and s.numel() == 0
        out = AF.attention(q, k, k, score="additive", query_proj=qp, key_proj=kp, score_proj=v)
        assert out.output.shape == (*q.shape[:-1], 1)
