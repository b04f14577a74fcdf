"""The small-call fast path (issue 18, item 2): the empty-row guard may be skipped only where SDPA itself
returns zeros, and the fast argument checks reject what the full checks reject."""

from __future__ import annotations

import pytest
import torch

import attnzoo.functional as AF
from attnzoo.functional import _masked


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
