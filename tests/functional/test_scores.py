"""Each score against an independent NumPy implementation written here."""

import numpy as np
import pytest
import torch

import attnzoo.functional as AF

rng = np.random.default_rng(0)


def _np_scores(name, q, k, kw):
    if name == "dot":
        return np.einsum("ble,bse->bls", q, k)
    if name == "scaled_dot":
        return np.einsum("ble,bse->bls", q, k) / np.sqrt(q.shape[-1])
    if name == "cosine":
        qn = q / np.linalg.norm(q, axis=-1, keepdims=True)
        kn = k / np.linalg.norm(k, axis=-1, keepdims=True)
        return np.einsum("ble,bse->bls", qn, kn) / kw["temperature"]
    if name == "general":
        return np.einsum("ble,ef,bsf->bls", q, kw["weight"], k)
    if name == "additive":
        out = np.zeros((q.shape[0], q.shape[1], k.shape[1]))
        for b in range(q.shape[0]):
            for i in range(q.shape[1]):
                for j in range(k.shape[1]):
                    hid = np.tanh(q[b, i] @ kw["query_proj"] + k[b, j] @ kw["key_proj"])
                    out[b, i, j] = hid @ kw["score_proj"]
        return out
    if name == "gaussian":
        d = q[:, :, None, :] - k[:, None, :, :]
        return -(d**2).sum(-1) / (2 * kw["bandwidth"] ** 2)
    raise AssertionError(name)


def _kwargs(name, eq, ek, h=5):
    return {
        "dot": {},
        "scaled_dot": {},
        "cosine": {"temperature": 0.3},
        "general": {"weight": rng.standard_normal((eq, ek))},
        "additive": {
            "query_proj": rng.standard_normal((eq, h)),
            "key_proj": rng.standard_normal((ek, h)),
            "score_proj": rng.standard_normal(h),
        },
        "gaussian": {"bandwidth": 0.7},
    }[name]


@pytest.mark.parametrize("name", sorted(AF.SCORES))
def test_score_matches_numpy(name):
    eq = 6
    ek = 4 if name in ("general", "additive") else eq
    q, k = rng.standard_normal((2, 3, eq)), rng.standard_normal((2, 7, ek))
    kw = _kwargs(name, eq, ek)
    tkw = {a: torch.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
    got = AF.SCORES[name](torch.tensor(q), torch.tensor(k), **tkw)
    assert got.shape == (2, 3, 7)
    np.testing.assert_allclose(got.numpy(), _np_scores(name, q, k, kw), rtol=1e-6, atol=1e-8)


def test_scaled_dot_custom_scale():
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    torch.testing.assert_close(AF.scaled_dot_score(q, k, scale=0.1), 0.1 * AF.dot_score(q, k))


def test_additive_backward_matches_broadcast_reference():
    q = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)
    wq = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    wk = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    v = torch.randn(3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(
        lambda *a: AF.additive_score(a[0], a[1], query_proj=a[2], key_proj=a[3], score_proj=a[4]),
        (q, k, wq, wk, v),
    )


def test_additive_chunks_match_unchunked(monkeypatch):
    from attnzoo.functional import _additive

    q, k = torch.randn(2, 33, 8, requires_grad=True), torch.randn(2, 17, 8, requires_grad=True)
    wq, wk, v = torch.randn(8, 4), torch.randn(8, 4), torch.randn(4)
    full = AF.additive_score(q, k, query_proj=wq, key_proj=wk, score_proj=v)
    (gq_full,) = torch.autograd.grad(full.square().sum(), q)
    monkeypatch.setattr(_additive, "_CHUNK_ELEMENTS", 2 * 17 * 4 * 5)  # 5 queries a chunk, a ragged last
    chunked = AF.additive_score(q, k, query_proj=wq, key_proj=wk, score_proj=v)
    (gq_chunk,) = torch.autograd.grad(chunked.square().sum(), q)
    torch.testing.assert_close(chunked, full)
    torch.testing.assert_close(gq_chunk, gq_full)


@pytest.mark.parametrize(
    ("name", "kw", "match"),
    [
        ("dot", {}, "same last dimension"),
        ("general", {"weight": torch.randn(3, 3)}, r"weight must have shape \(E_q, E_k\) = \(4, 5\)"),
        (
            "additive",
            {"query_proj": torch.randn(4, 2), "key_proj": torch.randn(5, 3), "score_proj": torch.randn(2)},
            "must agree on h",
        ),
        ("gaussian", {}, "same last dimension"),
    ],
)
def test_score_shape_errors(name, kw, match):
    with pytest.raises(ValueError, match=match):
        AF.SCORES[name](torch.randn(2, 3, 4), torch.randn(2, 6, 5), **kw)


def test_bad_temperature_and_bandwidth():
    q = torch.randn(1, 2, 3)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        AF.cosine_score(q, q, temperature=0)
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        AF.gaussian_score(q, q, bandwidth=-1.0)


def test_register_score_and_unknown_name():
    with pytest.raises(ValueError, match="valid: additive, cosine, dot, gaussian, general, scaled_dot"):
        AF.get_score("manhattan")
    with pytest.raises(ValueError, match="already registered"):
        AF.register_score("dot")(lambda q, k: q)


def test_unit_rows_fused_backward_matches_autograd_including_clamped_rows():
    from attnzoo.functional._unit import unit_rows

    x = torch.randn(3, 4, 5, dtype=torch.float64)
    x[0, 0] = 0.0  # a zero row: the clamp holds
    x[1, 1] = 1e-10  # a row shorter than eps
    x.requires_grad_()
    g = torch.randn(3, 4, 5, dtype=torch.float64)
    ours = unit_rows(x, 1e-8)
    ref = x / x.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    torch.testing.assert_close(torch.autograd.grad(ours, x, g)[0], torch.autograd.grad(ref, x, g)[0])
    y = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: unit_rows(t, 1e-8), (y,))
