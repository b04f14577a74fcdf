"""Tests of the Residual Attention Network (attnzoo.models.residual_attention)."""

import dataclasses

import pytest
import torch

from attnzoo.models.residual_attention import (
    AttentionModule,
    ResidualAttentionConfig,
    ResidualAttentionNetwork,
    ResidualAttentionOutput,
    attention56,
    attention92,
)

FACTORIES = {"attention56": (attention56, (1, 1, 1), 56), "attention92": (attention92, (1, 2, 3), 92)}
WIDTH = 0.0625  # base 4 channels: stages 16/32/64, last 128


def _attention_modules(model):
    return [m for m in model.modules() if isinstance(m, AttentionModule)]


@pytest.mark.parametrize(("in_channels", "size"), [(1, 28), (3, 32)])
@pytest.mark.parametrize("name", FACTORIES)
def test_forward_shapes_and_masks(name, in_channels, size):
    torch.manual_seed(0)
    factory, per_stage, _ = FACTORIES[name]
    model = factory(in_channels, 10, width=WIDTH)
    x = torch.randn(2, in_channels, size, size)
    assert model(x).shape == (2, 10)
    res = model(x, return_attention=True)
    assert isinstance(res, ResidualAttentionOutput)
    assert res.logits.shape == (2, 10)
    b = model.config.base_channels
    expected = []
    for s, n in enumerate(per_stage):  # stage s runs at size / 2**s (rounded up) with 4 * 2**s * b channels
        side = -(-size // 2**s)
        expected += [(2, 4 * 2**s * b, side, side)] * n
    assert [tuple(m.shape) for m in res.masks] == expected
    for mask in res.masks:
        assert mask.min() >= 0 and mask.max() <= 1


@pytest.mark.parametrize("name", FACTORIES)
def test_module_counts_and_depth(name):
    factory, per_stage, depth = FACTORIES[name]
    model = factory(3, 10, width=WIDTH)
    assert len(_attention_modules(model)) == sum(per_stage)
    assert [sum(isinstance(m, AttentionModule) for m in stage) for stage in model.stages] == list(per_stage)
    # depth as the paper counts it: weighted layers on the trunk path = stem + 3 per unit + linear
    units = sum(len(m.pre) + len(m.trunk) + len(m.post) for m in _attention_modules(model))
    units += sum(1 for stage in model.stages for m in stage if not isinstance(m, AttentionModule))
    units += len(model.final)
    assert 1 + 3 * units + 1 == depth == model.config.depth


@pytest.mark.parametrize(("stage", "pools"), [(0, 3), (1, 2), (2, 1)])
def test_mask_branch_pools_per_stage(stage, pools):
    model = attention92(3, 10, width=WIDTH)
    modules = [m for m in model.stages[stage] if isinstance(m, AttentionModule)]
    for module in modules:
        assert len(module.mask.down) == pools
        assert len(module.mask.skip) == len(module.mask.up) == pools - 1


@pytest.mark.parametrize(("name", "expected"), [("attention56", 31_810_728), ("attention92", 52_466_344)])
def test_full_width_parameter_count_matches_the_authors_network(name, expected):
    # `expected` is the count of the authors' released ImageNet deploy prototxt (github fwang91/
    # residual-attention-network, imagenet_model/Attention-{56,92}-deploy.prototxt): every convolution,
    # BN (scale + shift) and the 1000-way classifier. Ours differs only in the stem: a 3x3 conv without
    # BN instead of the 7x7 conv with BN.
    factory = FACTORIES[name][0]
    with torch.device("meta"):
        model = factory(3, 1000)
    stem_difference = (3 * 64 * 7 * 7 + 2 * 64) - 3 * 64 * 3 * 3
    assert sum(p.numel() for p in model.parameters()) == expected - stem_difference


@pytest.mark.parametrize("attention_residual", [True, False])
def test_attention_residual_vs_naive(attention_residual):
    torch.manual_seed(0)
    module = AttentionModule(8, downsamples=2, attention_residual=attention_residual).eval()
    x = torch.randn(2, 8, 12, 12)
    out, mask = module(x, return_attention=True)
    h = module.pre(x)
    trunk, expected_mask = module.trunk(h), module.mask(h)
    torch.testing.assert_close(mask, expected_mask)
    merged = (1 + mask) * trunk if attention_residual else mask * trunk
    torch.testing.assert_close(out, module.post(merged))
    other = (mask * trunk) if attention_residual else (1 + mask) * trunk
    assert not torch.allclose(out, module.post(other))


def test_config_option_reaches_every_module():
    model = attention92(1, 10, width=WIDTH, attention_residual=False)
    assert all(not m.attention_residual for m in _attention_modules(model))
    assert all(m.attention_residual for m in _attention_modules(attention92(1, 10, width=WIDTH)))


@pytest.mark.parametrize(("kwargs", "match"), [({"downsamples": 0}, "downsamples"), ({"r": 0}, "r must")])
def test_attention_module_validates_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttentionModule(4, **kwargs)


def test_mask_keeps_odd_resolutions():
    module = AttentionModule(4, downsamples=3).eval()
    for side in (7, 13, 28):
        x = torch.randn(1, 4, side, side + 1)
        out, mask = module(x, return_attention=True)
        assert out.shape == mask.shape == x.shape


def test_gradients_reach_input_and_every_parameter():
    torch.manual_seed(0)
    model = attention56(1, 10, width=WIDTH)
    x = torch.randn(2, 1, 28, 28, requires_grad=True)
    torch.nn.functional.cross_entropy(model(x), torch.tensor([3, 7])).backward()
    assert x.grad.abs().sum() > 0
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_eval_mode_is_deterministic():
    torch.manual_seed(0)
    model = attention56(3, 10, width=WIDTH).eval()
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(model(x), model(x))


def test_config_is_frozen_and_validated():
    cfg = ResidualAttentionConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.width = 2.0
    for bad in (
        {"width": 0},
        {"modules_per_stage": (1, 1)},
        {"modules_per_stage": [1, 1, 1]},
        {"mask_downsamples": (3, 2, 0)},
        {"in_channels": 0},
        {"r": 0},
        {"attention_residual": 1},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ResidualAttentionConfig(**bad)
    with pytest.raises(TypeError, match="ResidualAttentionConfig"):
        ResidualAttentionNetwork({"width": 1.0})


def test_bad_input_raises_clear_errors():
    model = attention56(1, 10, width=WIDTH)
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        model(torch.randn(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        model(torch.randn(1, 28, 28))
    with pytest.raises(TypeError, match="floating"):
        model(torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


def test_width_multiplier_scales_channels():
    assert ResidualAttentionConfig(width=1.0).base_channels == 64
    assert ResidualAttentionConfig(width=0.125).base_channels == 8
    small, large = attention56(3, 10, width=0.0625), attention56(3, 10, width=0.125)
    n_small = sum(p.numel() for p in small.parameters())
    n_large = sum(p.numel() for p in large.parameters())
    assert 3 < n_large / n_small < 4.1  # parameters grow about with width squared
