"""The small-call fast path (issue 18, item 2): the empty-row guard may be skipped only where SDPA itself
returns zeros, and the fast argument checks reject what the full checks reject."""

from __future__ import annotations

import pytest
import torch

import attnzoo.functional as AF
from attnzoo.functional import _masked, core


def _inputs(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, n, 8, generator=g, dtype=dtype).requires_grad_() for n in (4, 5, 5))
    mask = torch.rand(2, 1, 4, 5, generator=g) > 0.4
    mask[:, :, 1] = False  # a query with no allowed key
    mask[1] = False  # a whole batch row without keys
    return q, k, v, mask


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize("as_float", [False, True])
def test_fully_masked_rows_are_zero_with_and_without_the_guard(monkeypatch, guard, as_float):
    q, k, v, mask = _inputs()
    if as_float:
        mask = AF.mask_to_bias(mask, q.dtype)
    # guard=True forces the guard; guard=False trusts SDPA, as the probe does when it passes
    monkeypatch.setitem(_masked._SDPA_ZEROES_EMPTY_ROWS, torch.float32, not guard)
    monkeypatch.setattr(core, "_PLAIN_SDPA", set())  # no signature remembered under the other setting
    out = AF.attention(q, k, v, mask=mask).output
    ref = AF.attention(q, k, v, mask=mask, return_weights=True).output  # the reference path
    torch.testing.assert_close(out, ref)
    assert torch.isfinite(out).all() and (out[:, :, 1] == 0).all() and (out[1] == 0).all()
    out.sum().backward()
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()
    assert (q.grad[:, :, 1] == 0).all() and (k.grad[1] == 0).all()


def test_probe_is_honest_about_this_torch():
    # the probe may only claim what SDPA does on a fully masked row here (never more)
    q, k, v, mask = _inputs()
    with torch.no_grad():
        raw = torch.nn.functional.scaled_dot_product_attention(q, k, v, mask)
    zeroes = bool(torch.isfinite(raw).all()) and bool((raw[:, :, 1] == 0).all())
    assert zeroes or not _masked._probe_empty_rows(q.device, q.dtype)


@pytest.mark.parametrize(
    "bad, err",
    [
        (dict(query=torch.randn(2, 3, 4)), None),  # fine
        (dict(query=torch.randn(2, 3, 4, dtype=torch.float64)), TypeError),
        (dict(query=torch.ones(2, 3, 4, dtype=torch.long)), TypeError),
        (dict(query=[[1.0]]), TypeError),
        (dict(value=torch.randn(2, 6, 4)), ValueError),
        (dict(query=torch.randn(3, 3, 4)), ValueError),
        (dict(mask=torch.ones(2, 3, 6, dtype=torch.bool)), ValueError),
        (dict(mask=torch.ones(2, 3, 5, dtype=torch.long)), TypeError),
        (dict(mask=torch.ones(3, 1, 5, dtype=torch.bool)), ValueError),
        (dict(mask=torch.ones(1, 2, 3, 5, dtype=torch.bool)), ValueError),  # would enlarge the scores
    ],
)
def test_fast_checks_reject_what_the_full_checks_reject(bad, err):
    args = dict(query=torch.randn(2, 3, 4), key=torch.randn(2, 5, 4), value=torch.randn(2, 5, 4), mask=None)
    args.update(bad)
    call = lambda: AF.attention(args["query"], args["key"], args["value"], mask=args["mask"])  # noqa: E731
    if err is None:
        assert call().output.shape == (2, 3, 4)
    else:
        with pytest.raises(err):
            call()


def _decoder_step(B=3, dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(B, 2, n, 8, generator=g, dtype=dtype) for n in (1, 6, 6))
    mask = (torch.arange(6) < torch.tensor([6, 3, 1][:B])[:, None])[:, None, None, :]
    return q, k, v, mask


def test_a_validated_signature_takes_the_bare_sdpa_call(monkeypatch):
    monkeypatch.setattr(core, "_PLAIN_SDPA", set())
    q, k, v, mask = _decoder_step()
    first = AF.attention(q, k, v, mask=mask)  # validated, then remembered
    assert core._signature(q, k, v, mask, 0.0) in core._PLAIN_SDPA
    calls = []
    monkeypatch.setattr(core, "check_qkv", lambda *a: calls.append(a))  # the checks are not run again
    second = AF.attention(q + 1, k, v, mask=mask)
    assert calls == [] and second.weights is None and second.log_prob is None
    sdpa = torch.nn.functional.scaled_dot_product_attention
    assert torch.equal(first.output, sdpa(q, k, v, mask)) and torch.equal(
        second.output, sdpa(q + 1, k, v, mask)
    )


def test_only_bare_sdpa_calls_are_remembered(monkeypatch):
    q, k, v, mask = _decoder_step()
    bias = AF.mask_to_bias(mask, q.dtype)
    calls = [  # (query, mask, keywords): none is the bare SDPA call
        (q, mask.double(), {}),  # a float mask converted to the inputs' dtype
        (q, bias.clone().requires_grad_(), {}),  # a mask that learns
        (q[:1], mask, {}),  # broadcast batch dims
        (q, mask, {"scale": 0.5}),  # a keyword
        (q, mask, {"score": "dot"}),  # another score
    ]
    for query, m, kw in calls:
        monkeypatch.setattr(core, "_PLAIN_SDPA", set())
        AF.attention(query, k, v, mask=m, **kw)
        assert core._signature(query, k, v, m, 0.0) not in core._PLAIN_SDPA
    monkeypatch.setattr(core, "_PLAIN_SDPA", set())
    monkeypatch.setitem(_masked._SDPA_ZEROES_EMPTY_ROWS, torch.float32, False)  # the empty-row guard runs
    AF.attention(q, k, v, mask=mask)
    assert not core._PLAIN_SDPA


@pytest.mark.parametrize(
    "bad",
    [
        dict(query=torch.randn(3, 2, 1, 8, dtype=torch.float64)),
        dict(value=torch.randn(3, 2, 5, 8)),
        dict(mask=torch.ones(3, 1, 1, 7, dtype=torch.bool)),
        dict(mask=torch.ones(3, 1, 1, 6, dtype=torch.long)),
        dict(query=[[0.0]]),
        dict(dropout_p=1.5),
        dict(dropout_p=[0.0]),
    ],
)
def test_errors_are_the_same_after_a_signature_is_remembered(monkeypatch, bad):
    q, k, v, mask = _decoder_step()

    def message():
        args = dict(query=q, key=k, value=v, mask=mask, dropout_p=0.0) | bad
        with pytest.raises((TypeError, ValueError)) as e:
            AF.attention(args.pop("query"), args.pop("key"), args.pop("value"), **args)
        return type(e.value), str(e.value)

    monkeypatch.setattr(core, "_PLAIN_SDPA", set())
    fresh = message()
    AF.attention(q, k, v, mask=mask)  # this signature remembered
    assert len(core._PLAIN_SDPA) == 1 and message() == fresh


def test_a_nonsense_score_still_gets_the_registry_error():
    q, k, v, mask = _decoder_step()
    AF.attention(q, k, v, mask=mask)
    with pytest.raises((TypeError, ValueError), match="score"):
        AF.attention(q, k, v, mask=mask, score=torch.ones(3))
