"""Tests of RAM (Mnih et al. 2014): REINFORCE, the loss's gradients, detaching, learning, saving."""

import functools
import math

import pytest
import torch

from attnzoo.models.convnet import ConvNet, ConvNetConfig
from attnzoo.models.ram import RAM, RAMConfig, RAMOutput, ram_loss
from attnzoo.nn import GlimpseSensor
from attnzoo.train import load_weights, save_checkpoint

TINY = dict(
    start="learned",
    image_size=16,
    patch_size=4,
    num_scales=2,
    glimpses=3,
    glimpse_hidden=16,
    glimpse_out=32,
    hidden=32,
)


def _cfg(**kw):
    return RAMConfig(**{**TINY, **kw})


def _params(model, prefix):
    return [p for n, p in model.named_parameters() if n.startswith(prefix)]


def test_output_shapes_and_ranges():
    for core in ("rnn", "lstm"):
        m = RAM(_cfg(core=core, location_std=0.5))
        out = m(torch.rand(5, 1, 16, 16))
        assert out.logits.shape == (5, 10) and out.log_probs.shape == (5, 3) and out.baselines.shape == (5, 3)
        assert out.locations.shape == (5, 3, 2) and out.locations.abs().max() <= 1


def test_log_prob_is_of_the_unclamped_sample():
    m = RAM(_cfg(glimpses=1, location_std=0.1))
    with torch.no_grad():
        m.locator.bias.fill_(0.3)  # mu = tanh(0.3) at t = 0 (h = 0)
    gen = torch.Generator().manual_seed(0)
    out = m(torch.rand(64, 1, 16, 16), generator=gen)
    mu = torch.full((64, 2), math.tanh(0.3))
    sample = mu + 0.1 * torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    expected = torch.distributions.Normal(mu, 0.1).log_prob(sample).sum(-1)
    torch.testing.assert_close(out.log_probs[:, 0], expected)
    m2 = RAM(_cfg(glimpses=1, location_std=2.0))  # most samples fall outside [-1, 1]
    out2 = m2(torch.rand(64, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    sample2 = torch.tanh(m2.locator.bias) + 2.0 * torch.randn(
        64, 2, generator=torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(out2.locations[:, 0], sample2.clamp(-1, 1).detach())
    expected2 = torch.distributions.Normal(torch.tanh(m2.locator.bias), 2.0).log_prob(sample2).sum(-1)
    torch.testing.assert_close(out2.log_probs[:, 0], expected2.detach())


def test_clamp_squash_keeps_the_mean_linear_inside():
    m = RAM(_cfg(glimpses=1, location_std=0.1, location_squash="clamp"))
    with torch.no_grad():
        m.locator.bias.copy_(torch.tensor([0.3, 1.7]))  # mu = (0.3, 1.0): identity inside, clamped outside
    out = m(torch.rand(8, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    sample = torch.tensor([0.3, 1.0]) + 0.1 * torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    expected = torch.distributions.Normal(torch.tensor([0.3, 1.0]), 0.1).log_prob(sample).sum(-1)
    torch.testing.assert_close(out.log_probs[:, 0], expected)
    with pytest.raises(ValueError, match="location_squash must be one of"):
        _cfg(location_squash="sigmoid")


def test_reinforce_and_baseline_gradients_are_the_formulas():
    std = 0.1
    m = RAM(_cfg(glimpses=1, location_std=std))
    images, targets = torch.rand(32, 1, 16, 16), torch.randint(0, 10, (32,))
    out = m(images, generator=torch.Generator().manual_seed(1))
    parts = ram_loss(out, targets)
    parts.loss.backward()
    R = (out.logits.argmax(-1) == targets).float()  # (B,)
    b = out.baselines[:, 0].detach()
    mu = torch.tanh(m.locator.bias.detach())  # (2,), at h = 0
    l = out.locations[:, 0]  # std 0.1 around tanh(~0): never clamped
    # d/d bias of -mean (R - b) log N(l; mu, std): -mean (R - b) (l - mu) / std^2 * (1 - mu^2)
    expected = -((R - b)[:, None] * (l - mu) / std**2).mean(0) * (1 - mu**2)
    torch.testing.assert_close(m.locator.bias.grad, expected, rtol=1e-4, atol=1e-6)
    # the baseline gets only its MSE gradient, 2 mean (b - R); nothing from the detached REINFORCE term
    torch.testing.assert_close(m.baseliner.bias.grad, (2 * (b - R).mean()).view(1))
    assert parts.reward == R.mean()


def test_location_is_detached_from_the_core():
    m = RAM(_cfg(location_std=0.3))
    images, targets = torch.rand(8, 1, 16, 16), torch.randint(0, 10, (8,))
    parts = ram_loss(m(images), targets)
    parts.action.backward(retain_graph=True)  # the classification loss never reaches the policy through l
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in _params(m, "locator"))
    m.zero_grad()
    parts.reinforce.backward()  # and REINFORCE reaches only the location network
    for prefix in ("core", "what", "where", "classifier", "baseliner"):
        assert all(p.grad is None or p.grad.abs().sum() == 0 for p in _params(m, prefix)), prefix
    assert m.locator.weight.grad.abs().sum() > 0
    m2 = RAM(_cfg(location_std=0.3, policy_grad_to_core=True))  # the switch does reach it
    ram_loss(m2(images), targets).reinforce.backward()
    assert m2.core_rec.weight.grad.abs().sum() > 0


def test_reinforce_on_a_bandit_makes_the_rewarded_location_more_likely():
    """One glimpse, right iff its x > 0: REINFORCE must move the start to the right."""
    torch.manual_seed(0)
    m = RAM(_cfg(glimpses=1, location_std=0.3))
    opt = torch.optim.SGD(m.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(2)
    images, targets = torch.zeros(64, 1, 16, 16), torch.ones(64, dtype=torch.long)

    def p_right():
        mu = torch.tanh(m.locator.bias[0]).item()
        return 0.5 * (1 + math.erf(mu / (0.3 * math.sqrt(2))))

    before = p_right()
    for _ in range(60):
        out = m(images, generator=gen)
        x = out.locations[:, 0, 0]
        logits = torch.stack([-x, x], 1) * 10  # class 1 iff x > 0
        parts = ram_loss(RAMOutput(logits, out.log_probs, out.baselines, out.locations), targets)
        opt.zero_grad()
        (parts.reinforce + parts.baseline).backward()
        opt.step()
    assert p_right() > max(0.9, before + 0.3)


def _bars(n, gen):
    """4 classes: a bright 4x4 square in one quadrant of a dim noisy 16x16 image."""
    labels = torch.arange(n) % 4
    images = torch.rand(n, 1, 16, 16, generator=gen) * 0.2
    for q in range(4):
        r, c = 2 + 8 * (q // 2), 2 + 8 * (q % 2)
        images[labels == q, :, r : r + 4, c : c + 4] = 1.0
    return images, labels


def test_a_tiny_set_is_learned():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    images, labels = _bars(64, gen)
    m = RAM(_cfg(num_classes=4, num_scales=3, location_std=0.1))  # the coarsest patch sees it all
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for _ in range(150):
        idx = torch.randint(0, 64, (32,), generator=gen)
        parts = ram_loss(m(images[idx], generator=gen), labels[idx])
        opt.zero_grad()
        parts.loss.backward()
        opt.step()
    m.eval()
    acc = (m.predict(images, samples=4, generator=gen).argmax(-1) == labels).float().mean()
    assert acc > 0.95


def test_predict_averages_probabilities_and_save_load_keeps_predictions(tmp_path):
    torch.manual_seed(0)
    m = RAM(_cfg(location_std=0.2))
    images = torch.rand(6, 1, 16, 16)
    p = m.predict(images, samples=5, generator=torch.Generator().manual_seed(3))
    assert p.shape == (6, 10) and torch.allclose(p.sum(-1), torch.ones(6))
    one = m.predict(images, samples=1, generator=torch.Generator().manual_seed(3))
    ref = m(images, generator=torch.Generator().manual_seed(3)).logits.softmax(-1)
    torch.testing.assert_close(one, ref)
    save_checkpoint(tmp_path / "ram.safetensors", m)
    torch.manual_seed(1)
    m2 = load_weights(RAM(_cfg(location_std=0.2)), tmp_path / "ram.safetensors")
    torch.testing.assert_close(m2.predict(images, samples=5, generator=torch.Generator().manual_seed(3)), p)


def test_random_policy_and_bad_input():
    m = RAM(_cfg(policy="random"))
    out = m(torch.rand(200, 1, 16, 16))
    assert out.log_probs.eq(0).all() and out.locations.abs().max() <= 1 and out.locations.std() > 0.4
    first = RAM(RAMConfig(**{**TINY, "start": "random"}))(torch.rand(200, 1, 16, 16))  # only l_0 is random
    assert first.log_probs[:, 0].eq(0).all() and first.log_probs[:, 1:].ne(0).all()
    assert first.locations[:, 0].std() > 0.4
    with pytest.raises(ValueError, match=r"images must have shape \(B, 1, 16, 16\)"):
        m(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"RAMConfig\.core must be one of"):
        RAMConfig(core="gru")
    with pytest.raises(ValueError, match=r"RAMConfig\.location_std"):
        RAMConfig(location_std=0)
    with pytest.raises(ValueError, match="samples must be an int"):
        m.predict(torch.rand(2, 1, 16, 16), samples=0)
    with pytest.raises(ValueError, match=r"targets must have shape \(200,\)"):
        ram_loss(out, torch.zeros(3, dtype=torch.long))


def test_the_summed_area_glimpses_give_the_predictions_of_the_exact_ones():
    # RAM prepares a summed-area cache once per batch (images that need no gradient); the exact padded
    # cache gives the same logits, locations and baselines within float32 rounding
    torch.manual_seed(0)
    m = RAM(_cfg(image_size=24, patch_size=4, num_scales=3, location_std=0.3))
    images = torch.rand(32, 1, 24, 24)
    outputs = {}
    for exact in (False, True):
        m.sensor.prepare = functools.partial(GlimpseSensor.prepare, m.sensor, exact=exact)
        assert (m.sensor.prepare(images).sums is None) == exact
        outputs[exact] = m(images, generator=torch.Generator().manual_seed(5))
    for a, b in zip(outputs[False], outputs[True], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_convnet_baseline_has_the_size_of_ram():
    conv = ConvNet(ConvNetConfig(image_size=60))
    ram = RAM(RAMConfig(image_size=60, patch_size=12, num_scales=3))
    n_conv, n_ram = (sum(p.numel() for p in m.parameters()) for m in (conv, ram))
    assert conv(torch.rand(2, 1, 60, 60)).shape == (2, 10)
    assert 0.5 < n_conv / n_ram < 2
