"""Tests of the small ResNet with pluggable attention (attnzoo.models.resnet)."""

import dataclasses
import inspect

import pytest
import torch
import torch.nn.functional as F

from attnzoo.models.resnet import REPLACES_CONV, BasicBlock, ResNet, ResNetConfig, ResNetOutput
from attnzoo.nn.vision import SqueezeExcite, create_attention, list_attention

ATTENTION = [None, *list_attention()]
WIDTHS, BLOCKS = (4, 8, 8), (1, 2, 1)  # tiny, but with a stride-2 block, a repeated block and 3 stages
# documented attention shapes by key, for (B, C, H, W) features (SK's default M is 2)
SHAPES = {
    "channel": lambda B, C, H, W: (B, C, 1, 1),
    "spatial": lambda B, C, H, W: (B, 1, H, W),
    "branch": lambda B, C, H, W: (B, 2, C),
    "height": lambda B, C, H, W: (B, C, H, 1),
    "width": lambda B, C, H, W: (B, C, 1, W),
}


def _model(attention, in_channels=1, **kw):
    torch.manual_seed(0)
    cfg = ResNetConfig(in_channels, 10, WIDTHS, BLOCKS, attention, **kw)
    return ResNet(cfg)


@pytest.mark.parametrize(("in_channels", "size"), [(1, 28), (3, 32)])
@pytest.mark.parametrize("attention", ATTENTION)
def test_shapes_and_attention_maps(attention, in_channels, size):
    model = _model(attention, in_channels)
    x = torch.randn(2, in_channels, size, size)
    logits = model(x)
    assert logits.shape == (2, 10)
    out = model(x, return_attention=True)
    assert isinstance(out, ResNetOutput)
    assert torch.allclose(out.logits, logits, atol=1e-6)  # asking for the maps changes nothing
    assert len(out.attention) == sum(BLOCKS) == len(model.block_stages)
    for stage, maps in zip(model.block_stages, out.attention, strict=True):
        if attention is None:
            assert maps == {}
            continue
        assert maps, f"{attention}: a block returned no attention"
        C, side = WIDTHS[stage], -(-size // 2**stage)
        for key, value in maps.items():
            assert tuple(value.shape) == SHAPES[key](2, C, side, side), (attention, key)
            assert torch.isfinite(value).all()


@pytest.mark.parametrize("attention", ATTENTION)
def test_gradients_reach_input_and_every_parameter(attention):
    # at these tiny widths the default reduction 16 leaves a bottleneck of one unit, whose ReLU can be dead
    # for a whole batch (a true zero gradient); reduction 2 keeps a few units alive
    takes_reduction = (
        attention and "reduction" in inspect.signature(type(create_attention(attention, 8))).parameters
    )
    model = _model(attention, attention_kwargs={"reduction": 2} if takes_reduction else {})
    x = torch.randn(3, 1, 28, 28, requires_grad=True)
    F.cross_entropy(model(x), torch.tensor([1, 5, 9])).backward()
    assert x.grad.abs().sum() > 0
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("attention", ATTENTION)
def test_no_state_is_stored_by_forward(attention):
    model = _model(attention).eval()
    before = {name: set(vars(m)) for name, m in model.named_modules()}
    model(torch.randn(2, 1, 28, 28), return_attention=True)
    assert {name: set(vars(m)) for name, m in model.named_modules()} == before


def test_gate_sits_on_the_residual_branch_before_the_addition():
    torch.manual_seed(0)
    block = BasicBlock(4, 8, stride=2, attention="se").eval()
    assert isinstance(block.attention, SqueezeExcite)
    x = torch.randn(2, 4, 9, 9)
    branch = block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x)))))
    expected = F.relu(block.attention(branch) + block.shortcut(x))
    torch.testing.assert_close(block(x), expected)
    # without the gate it is the plain block: a different output
    assert not torch.allclose(block(x), F.relu(branch + block.shortcut(x)))


def test_selective_kernel_replaces_the_second_convolution():
    assert "sk" in REPLACES_CONV
    torch.manual_seed(0)
    block = BasicBlock(8, 8, attention="sk").eval()
    assert block.conv2 is None and block.bn2 is None and block.shortcut is None
    x = torch.randn(2, 8, 7, 7)
    expected = F.relu(block.attention(F.relu(block.bn1(block.conv1(x)))) + x)
    torch.testing.assert_close(block(x), expected)


def test_baseline_parameter_count_by_hand():
    model = ResNet(ResNetConfig(1, 10, (4, 8), (1, 1)))
    bn = lambda c: 2 * c  # noqa: E731
    stem = 9 * 1 * 4 + bn(4)
    block1 = 2 * (9 * 4 * 4 + bn(4))
    block2 = 9 * 4 * 8 + bn(8) + 9 * 8 * 8 + bn(8) + 4 * 8 + bn(8)  # with the 1x1 projection shortcut
    assert sum(p.numel() for p in model.parameters()) == stem + block1 + block2 + 8 * 10 + 10


def test_attention_kwargs_reach_every_module():
    model = _model("se", attention_kwargs={"reduction": 2})
    hidden = [m.fc1.out_features for m in model.modules() if isinstance(m, SqueezeExcite)]
    assert hidden == [c // 2 for s, n in enumerate(BLOCKS) for c in [WIDTHS[s]] * n]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"attention": "nope"},
            ValueError,
            r"unknown attention 'nope'; valid: None \(baseline\), cbam, coord",
        ),
        ({"widths": (4, 8), "blocks": (1,)}, ValueError, "one entry per stage"),
        ({"widths": ()}, ValueError, "widths must be a non-empty tuple"),
        ({"blocks": (1, 0)}, ValueError, "blocks must be"),
        ({"in_channels": 0}, ValueError, "in_channels must be an int >= 1"),
        ({"attention_kwargs": {"reduction": 2}}, ValueError, "attention is None"),
        ({"attention": "se", "attention_kwargs": [("reduction", 2)]}, TypeError, "must be a dict"),
        ({"dropout": 1.0}, ValueError, "dropout"),
    ],
)
def test_config_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResNetConfig(**kwargs)


def test_config_is_frozen_and_keeps_its_own_kwargs():
    kw = {"reduction": 4}
    cfg = ResNetConfig(attention="se", attention_kwargs=kw)
    kw["reduction"] = 8
    assert cfg.attention_kwargs == {"reduction": 4}
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.attention = "cbam"
    with pytest.raises(TypeError, match="ResNetConfig"):
        ResNet({"attention": "se"})


def test_bad_input_is_a_clear_error():
    model = _model("cbam")
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\) tensor, got shape \(2, 3, 28, 28\)"):
        model(torch.randn(2, 3, 28, 28))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.zeros(2, 1, 28, 28, dtype=torch.long))
