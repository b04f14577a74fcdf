"""Nadaraya-Watson against a NumPy implementation of each kernel."""

import numpy as np
import pytest
import torch

import attnzoo.functional as AF


def _np_nw(x, xi, yi, kernel, h):
    u = (x[:, None] - xi[None, :]) / h
    k = {
        "gaussian": np.exp(-(u**2) / 2),
        "boxcar": (np.abs(u) <= 1).astype(float),
        "epanechnikov": np.clip(1 - u**2, 0, None),
        "constant": np.ones_like(u),
    }[kernel]
    tot = k.sum(1, keepdims=True)
    w = np.divide(k, tot, out=np.zeros_like(k), where=tot > 0)
    return w @ yi, w


@pytest.mark.parametrize("kernel", sorted(AF.KERNELS))
def test_kernels_match_numpy(kernel):
    rng = np.random.default_rng(0)
    xi = np.sort(rng.uniform(0, 5, 50))
    yi = 2 * np.sin(xi) + xi**0.8
    x = np.arange(-1, 6, 0.1)  # queries outside the data exercise empty compact windows
    pred, w = AF.nadaraya_watson(
        torch.tensor(x), torch.tensor(xi), torch.tensor(yi), kernel=kernel, bandwidth=0.4
    )
    ref_pred, ref_w = _np_nw(x, xi, yi, kernel, 0.4)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    np.testing.assert_allclose(pred.numpy(), ref_pred, atol=1e-10)
    assert pred.shape == (len(x),) and w.shape == (len(x), 50)


def test_constant_kernel_is_average_pooling():
    y = torch.randn(10, 2)
    pred, _ = AF.nadaraya_watson(torch.randn(4), torch.randn(10), y, kernel="constant")
    torch.testing.assert_close(pred, y.mean(0).expand(4, 2))


def test_gaussian_equals_attention_with_gaussian_score():
    x, xi, yi = torch.randn(6, 2), torch.randn(9, 2), torch.randn(9, 3)
    pred, w = AF.nadaraya_watson(x, xi, yi, bandwidth=0.8)
    out = AF.attention(x, xi, yi, score="gaussian", bandwidth=0.8, return_weights=True)
    torch.testing.assert_close(pred, out.output)
    torch.testing.assert_close(w, out.weights)


def test_learnable_bandwidth_gets_gradient_and_mask_leaves_one_out():
    x = torch.linspace(0, 5, 20)
    h = torch.tensor(0.5, requires_grad=True)
    mask = ~torch.eye(20, dtype=torch.bool)
    pred, w = AF.nadaraya_watson(x, x, torch.sin(x), bandwidth=h, mask=mask)
    assert (w.diagonal() == 0).all()
    pred.square().sum().backward()
    assert h.grad is not None and torch.isfinite(h.grad)


def test_errors():
    with pytest.raises(ValueError, match="unknown kernel 'tri'; valid: boxcar, constant"):
        AF.nadaraya_watson(torch.randn(3), torch.randn(4), torch.randn(4), kernel="tri")
    with pytest.raises(ValueError, match="values has 3 rows but keys has 4"):
        AF.nadaraya_watson(torch.randn(3), torch.randn(4), torch.randn(3))
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        AF.nadaraya_watson(torch.randn(3), torch.randn(4), torch.randn(4), bandwidth=0.0)
