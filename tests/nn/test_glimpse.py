"""Tests of the glimpse sensor (Mnih et al. 2014): exact pixels, padding, clamping, per-sample reference."""

import math

import pytest
import torch
import torch.nn.functional as F

from attnzoo.functional import glimpse, glimpse_cache
from attnzoo.nn import GlimpseSensor


def reference(images, locations, g, k, s):
    """The straightforward per-sample, per-scale crop-and-pool loop that public ports write."""
    B, C, H, W = images.shape
    pad = math.ceil(g * s ** (k - 1) / 2)
    out = torch.zeros(B, k, C, g, g, dtype=images.dtype)
    for b in range(B):
        x, y = locations[b].clamp(-1, 1).tolist()
        cx, cy = math.floor((x + 1) / 2 * W), math.floor((y + 1) / 2 * H)
        padded = F.pad(images[b], (pad, pad, pad, pad))
        for i in range(k):
            n = g * s**i
            r0, c0 = cy - n // 2 + pad, cx - n // 2 + pad
            crop = padded[:, r0 : r0 + n, c0 : c0 + n]
            out[b, i] = F.avg_pool2d(crop[None], s**i)[0]
    return out


def _arange_image(h=10, w=12):
    return torch.arange(h * w, dtype=torch.float32).view(1, 1, h, w)


def test_exact_pixels_at_the_centre():
    img = _arange_image()  # pixel (r, c) = 12 r + c
    out = glimpse(img, torch.tensor([[0.0, 0.0]]), patch_size=2, num_scales=2, scale_factor=2)
    assert out.shape == (1, 2, 1, 2, 2)
    # centre corner (cx, cy) = (6, 5): scale 0 covers rows 4-5, cols 5-6
    assert torch.equal(out[0, 0, 0], torch.tensor([[53.0, 54.0], [65.0, 66.0]]))
    # scale 1: rows 3-6, cols 4-7, averaged over 2x2 blocks
    blocks = img[0, 0, 3:7, 4:8].reshape(2, 2, 2, 2).mean((1, 3))
    assert torch.allclose(out[0, 1, 0], blocks, atol=1e-5)
    assert torch.allclose(out[0, 1, 0], torch.tensor([[46.5, 48.5], [70.5, 72.5]]), atol=1e-5)


def test_x_is_horizontal_and_y_vertical():
    img = _arange_image()
    right = glimpse(img, torch.tensor([[0.5, 0.0]]), patch_size=1)  # cx = floor(0.75 * 12) = 9, cy = 5
    down = glimpse(img, torch.tensor([[0.0, 0.5]]), patch_size=1)  # cx = 6, cy = floor(0.75 * 10) = 7
    assert right.item() == 5 * 12 + 9 and down.item() == 7 * 12 + 6


def test_zero_padding_at_the_border():
    img = torch.ones(1, 1, 8, 8)
    out = glimpse(img, torch.tensor([[-1.0, -1.0]]), patch_size=4)[0, 0, 0]  # top-left corner
    expected = torch.zeros(4, 4)
    expected[2:, 2:] = 1
    assert torch.equal(out, expected)
    coarse = glimpse(img, torch.tensor([[1.0, 1.0]]), patch_size=2, num_scales=2)[0, 1, 0]
    assert torch.allclose(coarse, torch.tensor([[1.0, 0.0], [0.0, 0.0]]))  # only the top-left block is inside


def test_locations_are_clamped():
    img = torch.randn(2, 3, 16, 16)
    far = torch.tensor([[5.0, -3.0], [-1.5, 0.25]])
    assert torch.equal(glimpse(img, far, 4, 2), glimpse(img, far.clamp(-1, 1), 4, 2))


@pytest.mark.parametrize("g,k,s,hw", [(8, 1, 2, (28, 28)), (12, 3, 2, (60, 60)), (5, 3, 3, (17, 23))])
def test_matches_the_per_sample_reference(g, k, s, hw):
    gen = torch.Generator().manual_seed(0)
    img = torch.rand(6, 2, *hw, generator=gen)
    loc = torch.rand(6, 2, generator=gen) * 2.4 - 1.2  # some outside [-1, 1]
    loc[0] = torch.tensor([-1.0, 1.0])
    out = GlimpseSensor(g, k, s)(img, loc)
    assert out.shape == (6, k, 2, g, g) and out.dtype == img.dtype
    assert torch.equal(out, reference(img, loc, g, k, s))  # bit-identical: same avg_pool2d, same pixels
    # the differentiable path (a flat take instead of the strided window view) returns the same pixels
    assert torch.equal(GlimpseSensor(g, k, s)(img.clone().requires_grad_(), loc).detach(), out)


def test_gradient_flows_to_the_image_only_inside_the_patch():
    img = torch.rand(1, 1, 12, 12, requires_grad=True)
    glimpse(img, torch.tensor([[0.0, 0.0]]), patch_size=2, num_scales=2).sum().backward()
    grad = img.grad[0, 0]
    assert torch.allclose(grad[4:8, 4:8].sum(), torch.tensor(8.0))  # scale 0: 4 pixels; scale 1: 4 means of 4
    assert grad[5:7, 5:7].eq(1.25).all() and grad[4, 4] == 0.25
    grad[4:8, 4:8] = 0
    assert grad.abs().sum() == 0


def test_bad_input_errors():
    img = torch.rand(2, 1, 8, 8)
    with pytest.raises(ValueError, match="images must be a \\(B, C, H, W\\)"):
        glimpse(img[0], torch.zeros(2, 2), 4)
    with pytest.raises(TypeError, match="images must be a floating"):
        glimpse(img.long(), torch.zeros(2, 2), 4)
    with pytest.raises(ValueError, match="locations must have shape \\(2, 2\\)"):
        glimpse(img, torch.zeros(3, 2), 4)
    with pytest.raises(ValueError, match="NaN"):
        glimpse(img, torch.tensor([[0.0, float("nan")], [0.0, 0.0]]), 4)
    with pytest.raises(ValueError, match="num_scales must be >= 1"):
        GlimpseSensor(4, 0)
    with pytest.raises(TypeError, match="scale_factor must be an int"):
        GlimpseSensor(4, 2, 1.5)


def test_glimpse_boxes_are_the_pixels_the_sensor_reads():
    from attnzoo.functional import glimpse_boxes

    img = torch.zeros(1, 1, 20, 20)
    loc = torch.tensor([[0.3, -0.55]])
    boxes = glimpse_boxes(loc, 20, patch_size=4, num_scales=2)  # (1, 2, 4)
    assert boxes.shape == (1, 2, 4)
    x0, y0, x1, y1 = boxes[0, 1].long().tolist()
    assert (x1 - x0, y1 - y0) == (8, 8)
    img[..., y0:y1, x0:x1] = 1.0  # exactly the coarse box lit: its glimpse is all ones, and no more
    out = glimpse(img, loc, patch_size=4, num_scales=2)
    assert out[0, 1].eq(1).all() and out[0, 0].eq(1).all()
    img[..., y0 : y0 + 1, x0:x1] = 0.0  # one row of the box dark: the coarse patch sees it
    assert glimpse(img, loc, 4, 2)[0, 1].lt(1).any()
    assert torch.equal(
        glimpse_boxes(torch.tensor([[9.0, -9.0]]), 20, 4), glimpse_boxes(torch.tensor([[1.0, -1.0]]), 20, 4)
    )


@pytest.mark.parametrize(
    "g,k,s,hw,dtype",
    [
        (12, 3, 2, (60, 60), torch.float32),
        (4, 2, 2, (3, 5), torch.float64),
        (5, 3, 3, (17, 23), torch.float32),
    ],
)
def test_an_exact_cache_gives_the_same_pixels_for_every_glimpse(g, k, s, hw, dtype):
    # (3, 5) with a 8 x 8 square: the square is wider than a padded row, every read wraps into the padding
    gen = torch.Generator().manual_seed(1)
    img = torch.rand(4, 2, *hw, generator=gen, dtype=dtype)
    sensor = GlimpseSensor(g, k, s)
    cache = sensor.prepare(img, exact=True)
    assert cache.sums is None
    for t in range(3):
        loc = torch.rand(4, 2, generator=gen, dtype=dtype) * 2.4 - 1.2
        loc[t] = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]][t], dtype=dtype)
        ref = reference(img, loc, g, k, s)
        assert torch.equal(sensor(img, loc, cache=cache), ref)
        assert torch.equal(sensor(img, loc), ref)
        # a cache built for a larger square serves a smaller sensor too
        small = GlimpseSensor(g, 1, s)
        assert torch.equal(small(img, loc, cache=cache), reference(img, loc, g, 1, s))


SUMMED_CASES = [  # g, k, s, (H, W), dtype
    (12, 4, 2, (100, 100), torch.float32),  # the paper's cluttered 100x100 retina
    (12, 3, 2, (60, 60), torch.float32),
    (5, 3, 3, (17, 23), torch.float32),  # non-square, odd scale factor (area 9: an inexact division)
    (4, 2, 2, (3, 5), torch.float64),  # squares wider than the image: every read runs off it
    (6, 3, 2, (30, 41), torch.float16),
    (6, 3, 2, (30, 41), torch.bfloat16),
    (8, 1, 2, (28, 28), torch.float32),  # one scale: the pixels themselves
]


def _glimpse_locations(gen, B, dtype, t):
    loc = torch.rand(B, 2, generator=gen, dtype=torch.float64) * 2.4 - 1.2  # some clamped
    corners = [[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-3.0, 0.2], [0.0, 0.0]]
    loc[: len(corners)] = torch.tensor(corners, dtype=torch.float64).roll(t, 0)
    return loc.to(dtype)


@pytest.mark.parametrize("g,k,s,hw,dtype", SUMMED_CASES)
def test_the_summed_area_cache_is_the_float64_mean_rounded_once(g, k, s, hw, dtype):
    # The default cache: its patches equal the exact path's within float32 rounding (tolerances tighter
    # than assert_close's float32 defaults, 1.3e-6 / 1e-5), and are bit for bit the float64 means of the
    # very same pixels rounded once to the images' dtype (the sums of these pixels are exact in float64).
    gen = torch.Generator().manual_seed(2)
    img = torch.rand(8, 2, *hw, generator=gen).to(dtype)
    sensor = GlimpseSensor(g, k, s)
    assert (sensor.prepare(img).sums is None) == (k == 1)  # the default: summed-area only when pooling
    cache = sensor.prepare(img, exact=False)
    assert cache.buffer is None and cache.sums.dtype == torch.float64
    for t in range(3):
        loc = _glimpse_locations(gen, 8, dtype if dtype == torch.float64 else torch.float32, t)
        out = sensor(img, loc, cache=cache)
        assert out.dtype == dtype and out.shape == (8, k, 2, g, g) and out.is_contiguous()
        exact = sensor(img, loc)
        if dtype == torch.float32:
            torch.testing.assert_close(out, exact, rtol=1e-6, atol=1e-7)
        elif dtype == torch.float64:
            torch.testing.assert_close(out, exact, rtol=1e-12, atol=1e-12)
        assert torch.equal(out, sensor(img.double(), loc).to(dtype))
        if k == 1:
            assert torch.equal(out, exact)  # scale 0 is the pixels, read back exactly from the sums


def test_the_summed_area_cache_is_as_close_to_the_mean_on_images_far_from_zero_one():
    # Large values of both signs: the float64 sums need not be exact, and the exact path's float32 pooling
    # loses up to eps_32 * max|x| on a mean near zero (5e-5 here). The summed-area patches stay within
    # float32 rounding of the float64 means, and never further from them than the exact path's.
    gen = torch.Generator().manual_seed(3)
    img = torch.randn(6, 3, 50, 70, generator=gen) * 1000 + 300
    sensor = GlimpseSensor(12, 3, 2)
    cache = sensor.prepare(img)
    for t in range(3):
        loc = _glimpse_locations(gen, 6, torch.float32, t)
        out, exact, mean = sensor(img, loc, cache=cache), sensor(img, loc), sensor(img.double(), loc)
        torch.testing.assert_close(out, mean.float(), rtol=1e-6, atol=1e-7)
        assert (out.double() - mean).abs().max() <= (exact.double() - mean).abs().max()


def test_images_that_need_a_gradient_get_the_exact_cache():
    img = torch.rand(2, 1, 12, 12, requires_grad=True)
    sensor = GlimpseSensor(2, 2)
    assert sensor.prepare(img).sums is None  # autograd records: exact, differentiable
    with torch.no_grad():
        assert sensor.prepare(img).buffer is None  # nothing to differentiate: the summed-area table
    assert sensor.prepare(img.detach()).buffer is None


def test_a_cache_of_images_that_need_a_gradient_keeps_it():
    img = torch.rand(2, 1, 12, 12, requires_grad=True)
    sensor = GlimpseSensor(2, 2)
    cache = sensor.prepare(img)
    loc = torch.zeros(2, 2)
    out = sensor(img, loc, cache=cache)
    assert torch.equal(out.detach(), sensor(img.detach(), loc))
    out.sum().backward()
    assert img.grad[:, 0, 4:8, 4:8].sum() == 16.0 and img.grad.abs().sum() == 16.0  # 8 per image


def test_cache_errors():
    img = torch.rand(2, 1, 8, 8)
    with pytest.raises(ValueError, match="cache must be built from these images' shape \\(2, 1, 8, 8\\)"):
        glimpse(img, torch.zeros(2, 2), 4, 2, cache=GlimpseSensor(4, 1).prepare(img))  # side 4 < 8
    with pytest.raises(ValueError, match="got one for shape \\(3, 1, 8, 8\\)"):
        glimpse(img, torch.zeros(2, 2), 4, cache=GlimpseSensor(4).prepare(torch.rand(3, 1, 8, 8)))
    with pytest.raises(TypeError, match="cache must be a GlimpseCache"):
        glimpse(img, torch.zeros(2, 2), 4, cache=img)
    with pytest.raises(ValueError, match="max_size must be an int >= 1"):
        glimpse_cache(img, 0)
    with pytest.raises(TypeError, match="exact must be a bool, got int 1"):
        glimpse_cache(img, 4, exact=1)
    with pytest.raises(ValueError, match="got one for shape \\(3, 1, 8, 8\\) and side 4"):  # summed-area
        glimpse(img, torch.zeros(2, 2), 4, cache=glimpse_cache(torch.rand(3, 1, 8, 8), 4))
