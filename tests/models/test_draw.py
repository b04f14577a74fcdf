"""DRAW: KL against torch.distributions, shapes, learns a tiny set, save -> load -> same samples."""

import pytest
import torch
from safetensors.torch import load_file, save_file

from attnzoo.models.draw import DRAW, DRAWConfig, gaussian_kl

TINY = dict(height=8, width=10, steps=4, enc_hidden=16, dec_hidden=16, z_dim=3, read_n=2, write_n=3)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, log_sigma = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g) * 0.5
    q = torch.distributions.Normal(mu, log_sigma.exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ref = torch.distributions.kl_divergence(q, p).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, log_sigma), ref)


@pytest.mark.parametrize("attention", [True, False])
def test_shapes_and_loss(attention):
    cfg = DRAWConfig(attention=attention, **TINY)
    model = DRAW(cfg)
    x = (torch.rand(3, 1, 8, 10) > 0.5).float()
    out = model(x, return_canvases=True)
    assert out.logits.shape == (3, 1, 8, 10) and out.recon.shape == (3,) and out.kl.shape == (3, 4)
    assert out.canvases.shape == (3, 4, 1, 8, 10)
    torch.testing.assert_close(out.canvases[:, -1], out.logits)
    torch.testing.assert_close(out.loss, out.recon + out.kl.sum(1))
    assert (out.kl >= 0).all()
    bce = torch.nn.functional.binary_cross_entropy(torch.sigmoid(out.logits), x, reduction="sum") / 3
    torch.testing.assert_close(out.recon.mean(), bce, rtol=1e-4, atol=1e-4)
    if attention:
        assert all(t.shape == (3, 4) for t in out.read_params)
        assert all(t.shape == (3, 4) for t in out.write_params)
    else:
        assert out.read_params is None and out.write_params is None
    s = model.sample(2, generator=0)
    assert s.images.shape == (2, 1, 8, 10) and s.canvases.shape == (2, 4, 1, 8, 10)
    assert (s.images >= 0).all() and (s.images <= 1).all()
    out.loss.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_generator_fixes_the_latents():
    model = DRAW(DRAWConfig(**TINY))
    x = (torch.rand(2, 1, 8, 10) > 0.5).float()
    a = model(x, generator=torch.Generator().manual_seed(1)).loss
    b = model(x, generator=torch.Generator().manual_seed(1)).loss
    c = model(x, generator=torch.Generator().manual_seed(2)).loss
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)


@pytest.mark.parametrize("attention", [True, False])
def test_learns_a_tiny_set(attention):
    torch.manual_seed(0)
    cfg = DRAWConfig(attention=attention, **{**TINY, "enc_hidden": 32, "dec_hidden": 32, "write_n": 5})
    model = DRAW(cfg)
    # four fixed binary patterns, each twice: learnable to well below the ~55 nats of a blank canvas
    x = (torch.rand(4, 1, 8, 10, generator=torch.Generator().manual_seed(3)) > 0.6).float().repeat(2, 1, 1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    with torch.no_grad():
        first = float(model(x).loss.mean())
    for _ in range(100):
        loss = model(x).loss.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        last = float(model(x).loss.mean())
    assert last < 0.6 * first, (first, last)


def test_save_load_same_samples(tmp_path):
    torch.manual_seed(4)
    model = DRAW(DRAWConfig(**TINY))
    save_file(model.state_dict(), tmp_path / "draw.safetensors")
    other = DRAW(DRAWConfig(**TINY))
    assert not torch.allclose(other.sample(3, generator=7).images, model.sample(3, generator=7).images)
    other.load_state_dict(load_file(tmp_path / "draw.safetensors"))
    torch.testing.assert_close(other.sample(3, generator=7).images, model.sample(3, generator=7).images)
    torch.testing.assert_close(
        other.sample(3, generator=7).write_params.g_x, model.sample(3, generator=7).write_params.g_x
    )


def test_bad_inputs():
    with pytest.raises(ValueError, match="steps must be a positive int"):
        DRAWConfig(steps=0)
    with pytest.raises(TypeError, match="DRAWConfig"):
        DRAW({"steps": 3})
    model = DRAW(DRAWConfig(**TINY))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 8, 10\)"):
        model(torch.zeros(2, 1, 10, 8))
    with pytest.raises(ValueError, match="n must be a positive int"):
        model.sample(0)


def _digit_like(B=4, H=28, W=28):
    # strokes in the middle, an empty border of 5 pixels, as in MNIST
    x = torch.zeros(B, 1, H, W)
    x[:, :, 5:-5, 12:16] = 1.0
    x[:, :, 8:11, 6:-6] = 1.0
    return x


@pytest.mark.parametrize("window_init", [False, True])
def test_read_window_gets_gradient_from_the_digit(window_init):
    # the cause of the attention model staying at the mean image: with the default biases (the paper's
    # delta~ = 1, sigma = 1 px at h = 0) the 2 x 2 read sits on the four corner pixels, empty in MNIST, so the
    # glimpse and its gradient with respect to where the window looks are zero; window_init fixes it
    torch.manual_seed(0)
    cfg = DRAWConfig(steps=1, enc_hidden=8, dec_hidden=8, z_dim=2, window_init=window_init)
    att = DRAW(cfg).read_att
    if not window_init:
        torch.nn.init.zeros_(att.linear.bias)
    raw = torch.zeros(4, 5, requires_grad=True)  # the layer's output at h = 0, perturbed from its bias
    from attnzoo.nn.filterbank import filterbank, filterbank_params, read

    p = filterbank_params(raw + att.linear.bias, 28, 28, 2)
    x = _digit_like()
    glimpse = read(x, *filterbank(p, 28, 28, 2), p.gamma)
    (glimpse * torch.tensor([1.0, -2.0, 3.0, -4.0]).view(1, 1, 2, 2)).sum().backward()
    centre_and_stride = raw.grad[:, [0, 1, 3]].abs().max()
    if window_init:
        assert glimpse.abs().min() > 0.05 and centre_and_stride > 0.05, (glimpse, raw.grad)
    else:
        assert glimpse.abs().max() < 1e-6 and centre_and_stride < 1e-6, (glimpse, raw.grad)


def test_window_init_write_of_ones_adds_about_one_logit():
    # the write's filters have rows summing to 1 over the image, so a 5 x 5 patch spread over 28 x 28 adds
    # ~1/delta^2 = 1/45 a pixel at gamma = 1 (with sigma = 1 px: 25 dots of peak ~0.16 on zeros), far less
    # than the full write; window_init's sigma = delta / 2 and 1/gamma = delta^2 make it a smooth ~1
    h = torch.zeros(1, 8)
    for window_init, lo, hi in ((True, 0.9, 1.2), (False, -1.0, 0.2)):
        torch.manual_seed(0)
        model = DRAW(DRAWConfig(steps=1, enc_hidden=8, dec_hidden=8, z_dim=2, window_init=window_init))
        if not window_init:
            torch.nn.init.zeros_(model.write_att.linear.bias)
        with torch.no_grad():
            update, _ = model.write_att.write(torch.ones(1, 1, 5, 5), h)
        centre = update[0, 0, 9:19, 9:19]
        assert lo < float(centre.min()) and float(centre.max()) < hi, (window_init, centre)
    with pytest.raises(TypeError, match="window_init"):
        DRAWConfig(window_init=1)
