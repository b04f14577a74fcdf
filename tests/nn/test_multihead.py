"""MultiHeadAttention: torch equivalence, fast path == weights path, masks, cache, causality, invariances."""

import pytest
import torch
from torch import nn

from attnzoo.functional import attention, causal_mask
from attnzoo.nn import KVCache, MultiHeadAttention, RotaryEmbedding, convert_torch_mask

D, H = 16, 4


def _torch_masks(B, L, S, kind):
    """torch-convention masks (True = ignore) that never mask a whole row (torch gives NaN there)."""
    g = torch.Generator().manual_seed(1)
    if kind == "none":
        return None, None
    if kind == "bool":
        am = torch.rand(L, S, generator=g) > 0.6
        kpm = torch.rand(B, S, generator=g) > 0.6
        am[:, 0] = kpm[:, 0] = False
        return am, kpm
    am = torch.randn(L, S, generator=g)  # float: added to the scores
    kpm = torch.zeros(B, S).masked_fill(torch.rand(B, S, generator=g) > 0.6, float("-inf"))
    kpm[:, 0] = 0.0
    return am, kpm


@pytest.mark.parametrize("kv_dims", [None, (12, 10)])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
@pytest.mark.parametrize("need_weights", [False, True])
def test_from_torch_matches_torch(kv_dims, batch_first, masks, need_weights):
    torch.manual_seed(0)
    kdim, vdim = kv_dims or (None, None)
    ref = nn.MultiheadAttention(D, H, kdim=kdim, vdim=vdim, batch_first=batch_first)
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_()  # nonzero biases too
    ours = MultiHeadAttention.from_torch(ref)
    B, L, S = 3, 5, 7
    q = torch.randn(B, L, D)
    k, v = torch.randn(B, S, kdim or D), torch.randn(B, S, vdim or D)
    if kv_dims is None:  # self-attention takes the fused (B, L, 3D) projection
        k = v = q
        S = L
    am, kpm = _torch_masks(B, L, S, masks)
    tq, tk, tv = (q, k, v) if batch_first else (t.transpose(0, 1) for t in (q, k, v))
    if kv_dims is None:
        tk = tv = tq
    for average in (True, False):
        a, aw = ref(
            tq,
            tk,
            tv,
            attn_mask=am,
            key_padding_mask=kpm,
            need_weights=need_weights,
            average_attn_weights=average,
        )
        a = a if batch_first else a.transpose(0, 1)
        out = ours(
            q,
            k,
            v,
            mask=convert_torch_mask(am),
            key_padding_mask=convert_torch_mask(kpm),
            need_weights=need_weights,
            average_weights=average,
        )
        torch.testing.assert_close(out.output, a, atol=1e-5, rtol=1e-5)
        if need_weights:
            torch.testing.assert_close(out.weights, aw, atol=1e-5, rtol=1e-5)
        else:
            assert out.weights is None


def test_gradients_match_torch():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True)
    ours = MultiHeadAttention.from_torch(ref)
    x1 = torch.randn(2, 6, D, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    ref(x1, x1, x1, need_weights=False)[0].square().sum().backward()
    ours(x2).output.square().sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, atol=1e-5, rtol=1e-5)
    for (n, p), (_, r) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        torch.testing.assert_close(p.grad, r.grad, atol=1e-5, rtol=1e-5, msg=n)


@pytest.mark.parametrize("kv_dims", [None, (12, 10)])
def test_to_torch_round_trip(kv_dims):
    kdim, vdim = kv_dims or (None, None)
    ours = MultiHeadAttention(D, H, kdim=kdim, vdim=vdim)
    mod = ours.to_torch(batch_first=True)
    q, k, v = torch.randn(2, 3, D), torch.randn(2, 4, kdim or D), torch.randn(2, 4, vdim or D)
    torch.testing.assert_close(ours(q, k, v).output, mod(q, k, v)[0], atol=1e-5, rtol=1e-5)
    for a, b in zip(ours.state_dict().values(), mod.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("self_attn", [True, False])
@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
@pytest.mark.parametrize("L", [1, 5])
def test_fused_path_equals_weights_path(grad, self_attn, mask_kind, L):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    with torch.no_grad():
        for p in m.parameters():
            p.normal_()  # nonzero biases: the no-grad weights path adds them in its own pass
    q = torch.randn(2, L, D)
    kv = q if self_attn else torch.randn(2, 6, D)
    S = kv.shape[1]
    mask = {"bool": torch.rand(L, S) > 0.3, "float": torch.randn(2, 1, L, S)}.get(mask_kind)
    kw = dict(mask=mask, is_causal=mask_kind == "causal")
    with torch.set_grad_enabled(grad):
        fast = m(q, kv, kv, **kw).output
        slow = m(q, kv, kv, need_weights=True, average_weights=False, **kw)
    torch.testing.assert_close(fast, slow.output, atol=1e-4, rtol=1e-5)
    rows = slow.weights.sum(-1)
    assert torch.all(((rows - 1).abs() < 1e-5) | (rows == 0))  # rows sum to one, or to zero if all masked


def test_weights_path_equals_core_attention_per_head():
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    x = torch.randn(2, 5, D)
    mask = torch.rand(5, 5) > 0.3
    out = m(x, mask=mask, need_weights=True, average_weights=False)
    q, k, v = (x @ w.T + b for w, b in zip(m.in_proj_weight.chunk(3), m.in_proj_bias.chunk(3), strict=True))
    heads = [t.view(2, 5, H, D // H).transpose(1, 2) for t in (q, k, v)]
    ref = attention(*heads, mask=mask, return_weights=True)
    torch.testing.assert_close(out.weights, ref.weights, atol=1e-6, rtol=1e-5)
    expect = m.out_proj(ref.output.transpose(1, 2).reshape(2, 5, D))
    torch.testing.assert_close(out.output, expect, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("score", ["cosine", "dot", lambda q, k: -torch.cdist(q, k)])
def test_custom_score_per_head(score):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H, score=score)
    x = torch.randn(2, 5, D, requires_grad=True)
    fast = m(x).output
    slow = m(x, need_weights=True, average_weights=False)
    torch.testing.assert_close(fast, slow.output, atol=1e-5, rtol=1e-5)
    q, k, _ = (x @ w.T + b for w, b in zip(m.in_proj_weight.chunk(3), m.in_proj_bias.chunk(3), strict=True))
    qh, kh = (t.view(2, 5, H, D // H).transpose(1, 2) for t in (q, k))
    s = score if callable(score) else {"cosine": torch.cosine_similarity, "dot": None}[score]
    if score == "dot":
        scores = qh @ kh.transpose(-1, -2)
    elif score == "cosine":
        scores = s(qh[..., :, None, :], kh[..., None, :, :], dim=-1)
    else:
        scores = score(qh, kh)
    torch.testing.assert_close(slow.weights, scores.softmax(-1), atol=1e-5, rtol=1e-5)
    fast.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("need_weights", [False, True])
def test_score_kwargs_reach_the_score(need_weights):
    torch.manual_seed(0)
    scaled = MultiHeadAttention(D, H, score="scaled_dot", score_kwargs={"scale": 1.0})
    dot = MultiHeadAttention(D, H, score="dot")
    dot.load_state_dict(scaled.state_dict())
    x = torch.randn(2, 5, D)
    a, b = scaled(x, need_weights=need_weights), dot(x, need_weights=need_weights)
    torch.testing.assert_close(a.output, b.output, atol=1e-5, rtol=1e-5)
    plain = MultiHeadAttention(D, H)
    plain.load_state_dict(scaled.state_dict())
    assert not torch.allclose(a.output, plain(x).output, atol=1e-3)  # the kwarg made a difference
    with pytest.raises(ValueError, match="to_torch"):
        scaled.to_torch()


def test_module_score_is_trained():
    from attnzoo.nn import BilinearScore

    score = BilinearScore(D // H, D // H)
    m = MultiHeadAttention(D, H, score=score)
    assert any(p is score.weight for p in m.parameters())
    m(torch.randn(2, 3, D), need_weights=True).output.sum().backward()
    assert score.weight.grad is not None and score.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("kind", ["bool", "float", "padding"])
def test_fully_masked_rows_are_zero_and_finite(need_weights, kind):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    x = torch.randn(2, 4, D, requires_grad=True)
    mask = kpm = None
    if kind == "bool":
        mask = torch.ones(4, 4, dtype=torch.bool)
        mask[1] = False  # query 1 may attend nothing
    elif kind == "float":
        mask = torch.zeros(4, 4)
        mask[1] = float("-inf")
    else:
        kpm = torch.tensor([[True] * 4, [False] * 4])  # batch row 1 has no real key
    out = m(x, mask=mask, key_padding_mask=kpm, need_weights=need_weights, average_weights=False)
    out.output.sum().backward()
    assert torch.isfinite(out.output).all() and torch.isfinite(x.grad).all()
    empty = (slice(None), 1) if kpm is None else (1, slice(None))
    # the attention output of an empty row is zero, so the module outputs out_proj's bias there
    torch.testing.assert_close(out.output[empty], m.out_proj.bias.expand_as(out.output[empty]))
    if need_weights:
        w = out.weights[:, :, 1] if kpm is None else out.weights[1]
        assert torch.all(w == 0)
    for p in m.parameters():
        assert torch.isfinite(p.grad).all()


@pytest.mark.parametrize("need_weights", [False, True])
def test_causal_output_does_not_depend_on_the_future(need_weights):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    x = torch.randn(1, 6, D, requires_grad=True)
    out = m(x, is_causal=True, need_weights=need_weights).output
    for i in range(6):
        (g,) = torch.autograd.grad(out[0, i].sum(), x, retain_graph=True)
        assert torch.all(g[0, i + 1 :] == 0), f"position {i} sees the future"
        assert g[0, : i + 1].abs().sum() > 0


@pytest.mark.parametrize("need_weights", [False, True])
def test_padding_invariance(need_weights):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H).eval()
    x = torch.randn(2, 5, D)
    padded = torch.cat([x, torch.randn(2, 3, D) * 100], dim=1)  # junk in the padding
    kpm = torch.arange(8) < 5
    a = m(x, need_weights=need_weights).output
    b = m(padded, key_padding_mask=kpm.expand(2, 8), need_weights=need_weights).output[:, :5]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_permutation_equivariance():
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    x = torch.randn(2, 7, D)
    perm = torch.randperm(7)
    torch.testing.assert_close(m(x[:, perm]).output, m(x).output[:, perm], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("rotary", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_self_attention_cache_equals_full_causal(rotary, need_weights):
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H, rotary=RotaryEmbedding(D // H) if rotary else None).eval()
    x = torch.randn(2, 7, D)
    full = m(x, is_causal=True)
    cache, outs = KVCache(), []
    for chunk in (x[:, :3], x[:, 3:4], x[:, 4:5], x[:, 5:]):  # a prompt, then steps and a chunk
        r = m(chunk, is_causal=True, cache=cache, need_weights=need_weights)
        cache = r.cache
        outs.append(r.output)
    assert cache.length == 7 and not cache.static
    torch.testing.assert_close(torch.cat(outs, 1), full.output, atol=1e-5, rtol=1e-5)


def test_cross_attention_cache_computes_memory_once():
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H, kdim=12, vdim=12).eval()
    mem = torch.randn(2, 9, 12)
    y = torch.randn(2, 4, D)
    full = m(y, mem, mem).output
    first = m(y[:, :2], mem, mem, cache=KVCache(static=True))
    cached = first.cache
    second = m(y[:, 2:], cache=cached)  # memory not passed again
    assert second.cache is cached  # reused as it was, not recomputed
    torch.testing.assert_close(torch.cat([first.output, second.output], 1), full, atol=1e-5, rtol=1e-5)
    pre = m.precompute_kv(mem)
    torch.testing.assert_close(m(y, cache=pre).output, full, atol=1e-5, rtol=1e-5)


def test_float_and_bool_masks_combine_with_causal():
    torch.manual_seed(0)
    m = MultiHeadAttention(D, H)
    x = torch.randn(2, 5, D)
    bias = torch.randn(H, 5, 5)
    kpm = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    out = m(x, mask=bias, key_padding_mask=kpm, is_causal=True, need_weights=True, average_weights=False)
    allowed = causal_mask(5) & kpm[:, None, None, :]
    assert torch.all(out.weights[~allowed.expand(2, H, 5, 5)] == 0)
    fast = m(x, mask=bias, key_padding_mask=kpm, is_causal=True).output
    torch.testing.assert_close(fast, out.output, atol=1e-5, rtol=1e-5)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="must divide"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="unknown score"):
        MultiHeadAttention(D, H, score="nope")
    with pytest.raises(ValueError, match="rotary"):
        MultiHeadAttention(D, H, rotary=RotaryEmbedding(8))
    m = MultiHeadAttention(D, H)
    with pytest.raises(ValueError, match="query must be"):
        m(torch.randn(2, 3, D + 1))
    with pytest.raises(ValueError, match="mask has shape"):
        m(torch.randn(2, 3, D), mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(torch.randn(2, 3, D), key_padding_mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be bool"):
        m(torch.randn(2, 3, D), mask=torch.ones(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="key must be"):
        m(torch.randn(2, 3, D), torch.randn(3, 3, D))
    with pytest.raises(ValueError, match="add_bias_kv"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(D, H, add_bias_kv=True))
