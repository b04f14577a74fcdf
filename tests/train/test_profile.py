"""FLOP counting and inference speed of ``attnzoo.train.profile``."""

import torch
from torch import nn

from attnzoo.models.resnet import ResNet, ResNetConfig
from attnzoo.train import count_flops, inference_speed


def test_flops_of_a_conv_and_a_linear_layer_by_hand():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
    model.train()
    # 2 FLOPs per multiply-add: conv 8*8 outputs x 4 channels x 9 taps, then a 256 x 10 matrix product
    assert count_flops(model, (1, 8, 8)) == 2 * (8 * 8 * 4 * 9 + 256 * 10)
    assert model.training  # its mode is restored


def test_flops_of_a_resnet_by_hand_and_grow_with_se():
    base = ResNet(ResNetConfig(1, 10, (4, 8), (1, 1)))
    convs = 28 * 28 * 9 * (1 * 4 + 2 * 4 * 4) + 14 * 14 * (9 * 4 * 8 + 9 * 8 * 8 + 4 * 8)
    assert count_flops(base, (1, 28, 28)) == 2 * (convs + 8 * 10)
    se = ResNet(ResNetConfig(1, 10, (4, 8), (1, 1), "se"))
    # SE's two linear layers, hidden width 1 (C // 16 floored at 1), in each of the two blocks
    assert count_flops(se, (1, 28, 28)) - count_flops(base, (1, 28, 28)) == 2 * (4 + 4 + 8 + 8)


def test_inference_speed_is_positive_and_leaves_eval_mode():
    model = nn.Linear(3, 2)
    assert inference_speed(model, torch.randn(5, 3), repeats=2) > 0
    assert not model.training
