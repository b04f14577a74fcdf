"""DRAW filterbank attention: normalised rows, exact crops, write = adjoint of read, gradients, errors."""

import pytest
import torch

from attnzoo.nn import FilterbankAttention, FilterbankParams, filterbank, filterbank_params
from attnzoo.nn.filterbank import read, write


def _params(B, g_x, g_y, sigma2, delta, gamma, dtype=torch.float64):
    full = lambda v: torch.full((B,), float(v), dtype=dtype)  # noqa: E731
    return FilterbankParams(full(g_x), full(g_y), full(sigma2), full(delta), full(gamma))


def _per_sample_read(x, F_x, F_y, gamma):
    out = torch.empty(x.shape[0], x.shape[1], F_x.shape[1], F_x.shape[1], dtype=x.dtype)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[b, c] = gamma[b] * F_y[b] @ x[b, c] @ F_x[b].T
    return out


def test_rows_normalised_non_square():
    g = torch.Generator().manual_seed(0)
    # filters inside the image (a filter far outside has its whole mass below eps and reads ~0 instead)
    raw = torch.randn(4, 5, generator=g, dtype=torch.float64) * 0.2
    raw[:, 3] -= 1.0  # stride delta~ = e^-1: the grid spans about a third of the image
    F_x, F_y = filterbank(filterbank_params(raw, 11, 17, 5), 11, 17, 5)
    assert F_x.shape == (4, 5, 17) and F_y.shape == (4, 5, 11)
    torch.testing.assert_close(F_x.sum(-1), torch.ones(4, 5, dtype=torch.float64))
    torch.testing.assert_close(F_y.sum(-1), torch.ones(4, 5, dtype=torch.float64))
    assert (F_x >= 0).all() and (F_y >= 0).all()


def test_reference_formula():
    p = _params(2, 5.3, 3.1, 1.7, 1.4, 1.0)
    F_x, _ = filterbank(p, 8, 9, 3)
    mu = 5.3 + (torch.arange(1, 4, dtype=torch.float64) - 3 / 2 - 0.5) * 1.4
    ref = torch.exp(-((torch.arange(1, 10, dtype=torch.float64)[None] - mu[:, None]) ** 2) / (2 * 1.7))
    ref = ref / ref.sum(1, keepdim=True)
    torch.testing.assert_close(F_x[0], ref)


@pytest.mark.parametrize("N", [2, 3, 4])
def test_one_pixel_filters_read_the_exact_patch(N):
    H, W = 9, 12
    x = torch.randn(3, 2, H, W, dtype=torch.float64)
    r0, c0 = 2, 5  # 0-based top-left of the patch
    # 1-based pixel centres r0+1 .. r0+N: the grid centre is their mean; delta 1, a tiny sigma
    p = _params(3, c0 + 1 + (N - 1) / 2, r0 + 1 + (N - 1) / 2, 1e-3, 1.0, 1.0)
    F_x, F_y = filterbank(p, H, W, N)
    torch.testing.assert_close(read(x, F_x, F_y, p.gamma), x[:, :, r0 : r0 + N, c0 : c0 + N])
    # and writing the patch puts it back in place, zeros elsewhere
    canvas = write(x[:, :, r0 : r0 + N, c0 : c0 + N], F_x, F_y, p.gamma)
    expected = torch.zeros_like(x)
    expected[:, :, r0 : r0 + N, c0 : c0 + N] = x[:, :, r0 : r0 + N, c0 : c0 + N]
    torch.testing.assert_close(canvas, expected)


def test_write_is_the_adjoint_of_read():
    g = torch.Generator().manual_seed(1)
    raw = torch.randn(3, 5, generator=g, dtype=torch.float64) * 0.5
    H, W, N = 10, 7, 4
    p = filterbank_params(raw, H, W, N)
    F_x, F_y = filterbank(p, H, W, N)
    x = torch.randn(3, 2, H, W, generator=g, dtype=torch.float64)
    w = torch.randn(3, 2, N, N, generator=g, dtype=torch.float64)
    lhs = (read(x, F_x, F_y, p.gamma) * w).sum((1, 2, 3))
    rhs = p.gamma**2 * (x * write(w, F_x, F_y, p.gamma)).sum((1, 2, 3))
    torch.testing.assert_close(lhs, rhs)
    one = torch.ones_like(p.gamma)  # at gamma = 1 write is exactly the transpose of read
    torch.testing.assert_close((read(x, F_x, F_y, one) * w).sum(), (x * write(w, F_x, F_y, one)).sum())


def test_batched_equals_per_sample():
    g = torch.Generator().manual_seed(2)
    raw = torch.randn(5, 5, generator=g, dtype=torch.float64) * 0.5
    p = filterbank_params(raw, 8, 6, 3)
    F_x, F_y = filterbank(p, 8, 6, 3)
    x = torch.randn(5, 3, 8, 6, generator=g, dtype=torch.float64)
    torch.testing.assert_close(read(x, F_x, F_y, p.gamma), _per_sample_read(x, F_x, F_y, p.gamma))


def test_centre_and_stride_scaling():
    raw = torch.zeros(1, 5, dtype=torch.float64)  # g~ = 0, delta~ = 1: centred grid over the longer side
    p = filterbank_params(raw, 10, 28, 5)
    assert float(p.g_x) == pytest.approx(14.5) and float(p.g_y) == pytest.approx(5.5)
    assert float(p.delta) == pytest.approx(27 / 4)
    assert float(p.sigma2) == 1 and float(p.gamma) == 1
    one = filterbank_params(raw, 10, 28, 1)  # N = 1 does not divide by zero
    assert float(one.delta) == pytest.approx(27)


def test_gradients_reach_all_five_parameters():
    H, W, N = 6, 5, 3
    g = torch.Generator().manual_seed(3)
    raw = (torch.randn(2, 5, generator=g, dtype=torch.float64) * 0.3).requires_grad_()
    x = torch.randn(2, 1, H, W, generator=g, dtype=torch.float64)
    w = torch.randn(2, 1, N, N, generator=g, dtype=torch.float64)

    def f(raw):
        p = filterbank_params(raw, H, W, N)
        F_x, F_y = filterbank(p, H, W, N)
        return read(x, F_x, F_y, p.gamma), write(w, F_x, F_y, p.gamma)

    assert torch.autograd.gradcheck(f, (raw,))
    r, wr = f(raw)
    (r.sum() + wr.sum()).backward()
    assert (raw.grad.abs() > 0).all()  # every one of the five parameters, every sample


def test_module_shapes_and_gradients():
    att = FilterbankAttention(16, 28, 20, 5)
    h = torch.randn(4, 16)
    x = torch.randn(4, 2, 28, 20)
    glimpse, p = att.read(x, h)
    assert glimpse.shape == (4, 2, 5, 5) and all(t.shape == (4,) for t in p)
    canvas, _ = att.write(torch.randn(4, 3, 5, 5), h)
    assert canvas.shape == (4, 3, 28, 20)
    (glimpse.sum() + canvas.sum()).backward()
    assert att.linear.weight.grad is not None and att.linear.weight.grad.abs().sum() > 0


def test_far_outside_window_reads_zero_not_nan():
    p = _params(1, 1e4, 1e4, 1e-2, 1.0, 1.0)
    F_x, F_y = filterbank(p, 8, 8, 2)
    out = read(torch.randn(1, 1, 8, 8, dtype=torch.float64), F_x, F_y, p.gamma)
    assert torch.isfinite(out).all() and out.abs().max() == 0


def test_bad_inputs():
    p = _params(2, 3, 3, 1, 1, 1)
    F_x, F_y = filterbank(p, 6, 7, 3)
    with pytest.raises(ValueError, match="x must be"):
        read(torch.randn(2, 1, 7, 6, dtype=torch.float64), F_x, F_y, p.gamma)
    with pytest.raises(ValueError, match="w must be"):
        write(torch.randn(2, 1, 4, 4, dtype=torch.float64), F_x, F_y, p.gamma)
    with pytest.raises(ValueError, match="gamma must have shape"):
        read(torch.randn(2, 1, 6, 7, dtype=torch.float64), F_x, F_y, torch.ones(3))
    with pytest.raises(ValueError, match="raw must have shape"):
        filterbank_params(torch.zeros(2, 4), 6, 7, 3)
    with pytest.raises(ValueError, match="N must be a positive int"):
        filterbank(p, 6, 7, 0)
    with pytest.raises(TypeError, match="FilterbankParams"):
        filterbank((1, 2, 3, 4, 5), 6, 7, 3)
    with pytest.raises(ValueError, match="h must have shape"):
        FilterbankAttention(8, 6, 7, 3)(torch.zeros(2, 9))


def test_box_outlines_the_pixels_read():
    from attnzoo.nn import filterbank_box

    p = _params(2, 6 + 1 + 1.5, 2 + 1 + 1.5, 1e-3, 1.0, 1.0)  # one-pixel filters on columns 6..9, rows 2..5
    box = filterbank_box(p, 4)
    assert box.shape == (2, 4)
    torch.testing.assert_close(box[0], torch.tensor([5.5, 1.5, 9.5, 5.5], dtype=torch.float64))


def test_init_window_places_a_centred_smooth_grid():
    att = FilterbankAttention(6, 11, 17, 4)
    att.init_window(extent=8.0, gain=0.5)
    p = att(torch.zeros(3, 6))
    torch.testing.assert_close(p.g_x, torch.full((3,), 9.0))  # (17 + 1)/2: the centre, 1-based
    torch.testing.assert_close(p.g_y, torch.full((3,), 6.0))
    torch.testing.assert_close(p.delta, torch.full((3,), 2.0))  # N delta = extent
    torch.testing.assert_close(p.sigma2, torch.full((3,), 1.0))  # sigma = delta / 2
    torch.testing.assert_close(p.gamma, torch.full((3,), 0.5))
    att.init_window(sigma=3.0)
    p = att(torch.zeros(1, 6))
    torch.testing.assert_close(p.delta, torch.full((1,), 16 / 3))  # the paper's delta~ = 1 spread
    torch.testing.assert_close(p.sigma2, torch.full((1,), 9.0))
    for bad in (dict(extent=0), dict(sigma=-1.0), dict(gain=True), dict(extent="8")):
        with pytest.raises(ValueError, match=next(iter(bad))):
            att.init_window(**bad)
