"""Tests of attnzoo.nn.vision: every registered module, plus paper-specific checks per mechanism."""

import math

import pytest
import torch
import torch.nn.functional as F

from attnzoo.nn.vision import (
    CBAM,
    ChannelSpatialSE,
    CoordinateAttention,
    EfficientChannelAttention,
    SelectiveKernel,
    SqueezeExcite,
    VisionAttentionOutput,
    create_attention,
    eca_kernel_size,
    list_attention,
)

# read from the registry, so a new mechanism runs through every test here; KEYS and _expected_params
# below must then cover it (test_registry_lists_every_mechanism checks KEYS)
NAMES = list_attention()
CHANNELS = [1, 3, 8, 16, 64, 256]
# documented attention shapes, by key, as functions of (B, C, H, W); SK's default M is 2
SHAPES = {
    "channel": lambda B, C, H, W: (B, C, 1, 1),
    "spatial": lambda B, C, H, W: (B, 1, H, W),
    "branch": lambda B, C, H, W: (B, 2, C),
    "height": lambda B, C, H, W: (B, C, H, 1),
    "width": lambda B, C, H, W: (B, C, 1, W),
}
KEYS = {
    "se": {"channel"},
    "cse": {"channel"},
    "eca": {"channel"},
    "cbam": {"channel", "spatial"},
    "scse": {"channel", "spatial"},
    "sse": {"spatial"},
    "sk": {"branch"},
    "coord": {"height", "width"},
}


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _randomise_bn(module):
    """Give every BatchNorm non-trivial running statistics and affine parameters (for eval-mode tests)."""
    g = torch.Generator().manual_seed(3)
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return module


def test_registry_lists_every_mechanism():
    assert set(NAMES) >= {"cbam", "coord", "cse", "eca", "scse", "se", "sk", "sse"}
    missing = set(NAMES) - set(KEYS)
    assert not missing, f"registered but without documented attention keys in KEYS: {sorted(missing)}"


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown attention 'bam'") as info:
        create_attention("bam", 16)
    for name in NAMES:
        assert name in str(info.value)


def test_unknown_keyword_is_not_dropped():
    with pytest.raises(TypeError):
        create_attention("eca", 16, reduction=8)


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_attention_ranges(name, channels):
    torch.manual_seed(0)
    B, H, W = 2, 5, 7
    module = create_attention(name, channels)
    x = torch.randn(B, channels, H, W)
    out = module(x)
    assert isinstance(out, torch.Tensor) and out.shape == x.shape
    res = module(x, return_attention=True)
    assert isinstance(res, VisionAttentionOutput)
    assert res.output.shape == x.shape
    assert set(res.attention) == KEYS[name]
    for key, att in res.attention.items():
        assert att.shape == SHAPES[key](B, channels, H, W), key
        assert att.min() >= 0 and att.max() <= 1, key
    if name == "sk":
        torch.testing.assert_close(res.attention["branch"].sum(1), torch.ones(B, channels))


@pytest.mark.parametrize("name", NAMES)
def test_smoke_forward_backward(name):
    torch.manual_seed(0)
    module = create_attention(name, 32)
    x = torch.randn(4, 32, 6, 6, requires_grad=True)
    module(x).square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("channels", [3, 64])
@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_input_and_every_parameter(name, channels):
    torch.manual_seed(1)
    module = create_attention(name, channels)
    x = torch.randn(4, channels, 6, 5, requires_grad=True)
    (module(x) * torch.randn(4, channels, 6, 5)).sum().backward()
    assert x.grad.abs().sum() > 0
    for pname, p in module.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        if channels == 64:  # wide enough that no bottleneck is entirely dead under ReLU
            assert p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", NAMES)
def test_eval_mode_is_deterministic(name):
    torch.manual_seed(0)
    module = _randomise_bn(create_attention(name, 16)).eval()
    x = torch.randn(3, 16, 7, 7)
    a = module(x)
    b = module(x)
    assert torch.equal(a, b)
    # and independent of the other examples in the batch
    torch.testing.assert_close(module(x[1:2]), a[1:2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_channels_last_gives_same_output(name, training):
    torch.manual_seed(0)
    module = _randomise_bn(create_attention(name, 24)).train(training)
    x = torch.randn(2, 24, 9, 8)
    ref = module(x)
    out = module(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_nothing_stored_on_self_in_forward(name):
    module = create_attention(name, 8).eval()
    attributes = {k for k in vars(module) if not k.startswith("_")}
    buffers = {n for n, _ in module.named_buffers()}
    module(torch.randn(2, 8, 4, 4), return_attention=True)
    assert {k for k in vars(module) if not k.startswith("_")} == attributes
    assert {n for n, _ in module.named_buffers()} == buffers
    assert not any(isinstance(v, torch.Tensor) for m in module.modules() for v in vars(m).values())


@pytest.mark.parametrize("name", NAMES)
def test_bad_inputs_raise_clear_errors(name):
    module = create_attention(name, 8)
    with pytest.raises(ValueError, match="4-D"):
        module(torch.randn(8, 4, 4))
    with pytest.raises(ValueError, match="channels=8"):
        module(torch.randn(2, 5, 4, 4))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        module([[1.0]])
    with pytest.raises(TypeError, match="floating"):
        module(torch.ones(2, 8, 4, 4, dtype=torch.long))


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "match"),
    [
        ("se", {"reduction": 0}, ValueError, "reduction must be >= 1"),
        ("cbam", {"reduction": 2.5}, TypeError, "reduction must be an int"),
        ("sk", {"groups": 3}, ValueError, "groups=3 must divide channels=16"),
        ("sk", {"branches": 0}, ValueError, "branches"),
        ("scse", {"combine": "concat"}, ValueError, "max, add, mul"),
        ("eca", {"kernel_size": 4}, ValueError, "odd"),
        ("cbam", {"spatial_kernel": 6}, ValueError, "odd"),
        ("coord", {"min_channels": 0}, ValueError, "min_channels"),
    ],
)
def test_bad_constructor_arguments(name, kwargs, error, match):
    with pytest.raises(error, match=match):
        create_attention(name, 16, **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_bad_channels_argument(name):
    with pytest.raises(TypeError, match="channels"):
        create_attention(name, "16")
    with pytest.raises(ValueError, match="channels"):
        create_attention(name, 0)


# ---- parameter counts from the papers' formulas --------------------------------------------------


def _se_params(C, r, floor=1):
    d = max(C // r, floor)
    return 2 * C * d + d + C  # W1 (d x C) + b1 (d) + W2 (C x d) + b2 (C)


def _expected_params(name, C):
    if name == "se":
        return _se_params(C, 16)
    if name == "cse":
        return _se_params(C, 2)
    if name == "eca":
        return eca_kernel_size(C)
    if name == "cbam":
        return _se_params(C, 16) + 2 * 7 * 7  # shared MLP + bias-free 7x7 conv over 2 maps
    if name == "sse":
        return C + 1
    if name == "scse":
        return _se_params(C, 2) + C + 1
    if name == "sk":
        M, G, d = 2, 1, max(C // 16, 32)
        return M * (9 * C * C // G + 2 * C) + C * d + 2 * d + M * d * C
    if name == "coord":
        d = max(C // 32, 8)
        return C * d + d + 2 * d + 2 * (d * C + C)
    raise AssertionError(name)


@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("name", NAMES)
def test_parameter_counts_follow_the_papers(name, channels):
    assert _n_params(create_attention(name, channels)) == _expected_params(name, channels)


@pytest.mark.parametrize(("channels", "branches", "groups"), [(64, 3, 1), (128, 2, 32), (256, 2, 32)])
def test_sk_parameter_count_with_groups_and_branches(channels, branches, groups):
    d = max(channels // 16, 32)
    expected = branches * (9 * channels * channels // groups + 2 * channels) + channels * d + 2 * d
    expected += branches * d * channels
    assert _n_params(SelectiveKernel(channels, branches=branches, groups=groups)) == expected


def test_se_without_bias_has_no_bias_parameters():
    assert _n_params(SqueezeExcite(64, bias=False)) == 2 * 64 * 4


# ---- ECA kernel size ----------------------------------------------------------------------------


def _nearest_odd(t):
    """Nearest odd integer to t, ties to the larger one (the paper's |t|_odd, as its code rounds)."""
    lower = 2 * math.floor((t - 1) / 2) + 1
    return lower if t - lower < lower + 2 - t else lower + 2


@pytest.mark.parametrize("channels", [64, 128, 256, 512])
def test_eca_kernel_size_follows_the_formula(channels):
    expected = _nearest_odd(math.log2(channels) / 2 + 1 / 2)
    assert expected == {64: 3, 128: 5, 256: 5, 512: 5}[channels]
    assert eca_kernel_size(channels) == expected
    module = EfficientChannelAttention(channels)
    assert module.conv.weight.numel() == expected and module.conv.bias is None


def test_eca_fixed_kernel_size():
    assert EfficientChannelAttention(64, kernel_size=7).conv.weight.shape == (1, 1, 7)


def test_eca_matches_explicit_neighbourhood_sum():
    torch.manual_seed(0)
    C = 10
    module = EfficientChannelAttention(C, kernel_size=5)
    x = torch.randn(2, C, 3, 4)
    w = module.conv.weight.detach().view(-1)
    z = x.mean((2, 3))
    logits = torch.zeros(2, C)
    for c in range(C):
        for j in range(5):  # channel c looks at c - 2 .. c + 2, zeros outside
            if 0 <= c + j - 2 < C:
                logits[:, c] += w[j] * z[:, c + j - 2]
    expected = x * torch.sigmoid(logits)[:, :, None, None]
    torch.testing.assert_close(module(x), expected)


# ---- independent references ---------------------------------------------------------------------


def test_se_equals_a_few_line_reference_with_copied_weights():
    torch.manual_seed(0)
    module = SqueezeExcite(32, reduction=4)
    W1, b1 = module.fc1.weight.detach().clone(), module.fc1.bias.detach().clone()
    W2, b2 = module.fc2.weight.detach().clone(), module.fc2.bias.detach().clone()
    x = torch.randn(3, 32, 5, 6)
    z = x.sum(dim=(2, 3)) / (5 * 6)  # squeeze
    h = torch.clamp(z @ W1.T + b1, min=0)  # excitation
    s = 1 / (1 + torch.exp(-(h @ W2.T + b2)))
    expected = x * s.reshape(3, 32, 1, 1)  # scale
    torch.testing.assert_close(module(x), expected)
    torch.testing.assert_close(module(x, return_attention=True).attention["channel"], s.reshape(3, 32, 1, 1))


def test_cbam_output_is_x_times_mc_times_ms_without_residual():
    torch.manual_seed(0)
    module = CBAM(32, reduction=8)
    x = torch.randn(2, 32, 6, 7)
    W1, b1, W2, b2 = (
        t.detach() for t in (module.fc1.weight, module.fc1.bias, module.fc2.weight, module.fc2.bias)
    )

    def mlp(v):
        return torch.clamp(v @ W1.T + b1, min=0) @ W2.T + b2

    avg = x.flatten(2).mean(-1)
    mx = x.flatten(2).max(-1).values
    mc = torch.sigmoid(mlp(avg) + mlp(mx)).reshape(2, 32, 1, 1)
    f1 = x * mc
    desc = torch.stack([f1.mean(1), f1.max(1).values], 1)
    ms = torch.sigmoid(F.conv2d(desc, module.spatial.weight.detach(), padding=3))
    res = module(x, return_attention=True)
    torch.testing.assert_close(res.attention["channel"], mc)
    torch.testing.assert_close(res.attention["spatial"], ms)
    torch.testing.assert_close(res.output, x * mc * ms)


def test_cbam_with_zeroed_weights_scales_by_a_quarter():
    # zero MLP output and zero spatial conv give Mc = Ms = 1/2: out = x / 4 (an inner residual gives 1.25 x)
    module = CBAM(16)
    with torch.no_grad():
        for p in (module.fc2.weight, module.fc2.bias, module.spatial.weight):
            p.zero_()
    x = torch.randn(2, 16, 5, 5)
    torch.testing.assert_close(module(x), x / 4)


def test_sk_branches_are_dilated_3x3_with_bn_relu_and_mix_by_softmax():
    torch.manual_seed(0)
    module = _randomise_bn(SelectiveKernel(16, branches=3)).eval()
    assert [b[0].kernel_size for b in module.branches] == [(3, 3)] * 3
    assert [b[0].dilation for b in module.branches] == [(1, 1), (2, 2), (3, 3)]
    assert [type(b[1]).__name__ for b in module.branches] == ["BatchNorm2d"] * 3
    assert isinstance(module.fuse[1], torch.nn.BatchNorm1d)
    x = torch.randn(2, 16, 8, 8)
    res = module(x, return_attention=True)
    # independent: each branch's conv + BN + ReLU, then the fuse / select maths from the paper
    U = []
    for m, branch in enumerate(module.branches, start=1):
        conv, bn = branch[0], branch[1]
        y = F.conv2d(x, conv.weight, padding=m, dilation=m)
        y = (y - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] + bn.eps)
        U.append(torch.relu(y * bn.weight[:, None, None] + bn.bias[:, None, None]))
    s = sum(U).mean((2, 3))
    lin, bn = module.fuse[0], module.fuse[1]
    z = torch.relu(
        (s @ lin.weight.T - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    )
    logits = (z @ module.select.weight.T).view(2, 3, 16)
    a = torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True)
    torch.testing.assert_close(res.attention["branch"], a)
    torch.testing.assert_close(res.output, sum(a[:, m, :, None, None] * U[m] for m in range(3)))


def test_sk_training_needs_a_batch_of_two():
    with pytest.raises(ValueError, match="batch of at least 2"):
        SelectiveKernel(8)(torch.randn(1, 8, 4, 4))
    SelectiveKernel(8).eval()(torch.randn(1, 8, 4, 4))


@pytest.mark.parametrize("combine", ["max", "add", "mul"])
def test_scse_combination_rules(combine):
    torch.manual_seed(0)
    module = ChannelSpatialSE(16, combine=combine)
    x = torch.randn(2, 16, 5, 4)
    res = module(x, return_attention=True)
    xc = x * res.attention["channel"]
    xs = x * res.attention["spatial"]
    expected = {"max": torch.maximum(xc, xs), "add": xc + xs, "mul": xc * xs}[combine]
    torch.testing.assert_close(res.output, expected)
    # the gates are those of the cSE and sSE parts run alone
    torch.testing.assert_close(module.cse(x), xc)
    torch.testing.assert_close(module.sse(x), xs)


def test_scse_default_is_max_and_reduction_two():
    module = ChannelSpatialSE(16)
    assert module.combine == "max"
    assert module.cse.fc1.out_features == 8


def test_coordinate_attention_matches_reference():
    torch.manual_seed(0)
    C, H, W = 16, 5, 7
    module = _randomise_bn(CoordinateAttention(C)).eval()
    x = torch.randn(2, C, H, W)
    d = module.conv1.out_channels
    assert d == 8

    def conv1x1(conv, v):  # v: (B, C_in, L) -> (B, C_out, L)
        return torch.einsum("oi,bil->bol", conv.weight[:, :, 0, 0], v) + conv.bias[None, :, None]

    bn = module.bn
    zh, zw = x.mean(3), x.mean(2)  # (B, C, H), (B, C, W)
    f = conv1x1(module.conv1, torch.cat([zh, zw], 2))
    f = (f - bn.running_mean[None, :, None]) / torch.sqrt(bn.running_var[None, :, None] + bn.eps)
    f = f * bn.weight[None, :, None] + bn.bias[None, :, None]
    f = f * torch.clamp(f + 3, 0, 6) / 6  # h-swish
    gh = torch.sigmoid(conv1x1(module.conv_h, f[:, :, :H]))  # (B, C, H)
    gw = torch.sigmoid(conv1x1(module.conv_w, f[:, :, H:]))  # (B, C, W)
    expected = x * gh[:, :, :, None] * gw[:, :, None, :]
    res = module(x, return_attention=True)
    torch.testing.assert_close(res.attention["height"], gh[:, :, :, None])
    torch.testing.assert_close(res.attention["width"], gw[:, :, None, :])
    torch.testing.assert_close(res.output, expected)
