import numpy as np
import pytest
import torch

from attnzoo.models.show_attend_tell import ShowAttendTell, ShowAttendTellConfig
from attnzoo.recipes.caption.pretrain import pretrain_encoder


def _bars(n=200):
    """Ten 'digit' classes: a class-specific random 4 x 4 binary pattern drawn 4x (noisy brightness), so a
    mean-pooled grid can tell them apart (a shape, not a place, as for digits)."""
    rng = np.random.default_rng(0)
    shapes = rng.random((10, 4, 4)) < 0.5
    labels = np.arange(n) % 10
    imgs = np.zeros((n, 28, 28), dtype=np.uint8)
    for i, y in enumerate(labels):
        imgs[i, 6:22, 6:22] = np.kron(shapes[y], np.ones((4, 4))) * rng.integers(150, 256)
    return imgs, labels


def _encoder(freeze):
    torch.manual_seed(0)
    cfg = ShowAttendTellConfig(
        vocab_size=5,
        enc_channels=(8, 16),
        feat_dim=16,
        emb_dim=8,
        hidden_dim=8,
        att_dim=8,
        freeze_encoder=freeze,
    )
    return ShowAttendTell(cfg).encoder


def test_pretraining_learns_the_digits_and_is_seeded():
    x, y = _bars()
    short = pretrain_encoder(_encoder(True), x, y, steps=2, batch=16, lr=3e-3, seed=0)
    enc = _encoder(True)  # handed over frozen, as the recipe's captioner builds it: still trains
    info = pretrain_encoder(enc, x, y, steps=150, batch=16, lr=3e-3, seed=0)
    assert info["accuracy"] >= 0.8 and info["loss"] < short["loss"] / 2
    assert not enc.training
    one, two = _encoder(True), _encoder(True)
    pretrain_encoder(one, x, y, steps=5, batch=16, lr=3e-3, seed=0)
    pretrain_encoder(two, x, y, steps=5, batch=16, lr=3e-3, seed=0)
    for k, v in one.state_dict().items():
        torch.testing.assert_close(two.state_dict()[k], v)


def test_pretraining_bad_input():
    x, y = _bars(20)
    with pytest.raises(ValueError, match="steps"):
        pretrain_encoder(_encoder(False), x, y, steps=0, batch=4, lr=1e-3, seed=0)
    with pytest.raises(ValueError, match="batch"):
        pretrain_encoder(_encoder(False), x, y, steps=1, batch=0, lr=1e-3, seed=0)


def test_pretraining_names_the_size_when_the_scenes_have_two():
    """With small and large digits the head also names the size (the captions do), and learns to."""
    x, y = _bars()
    one = pretrain_encoder(_encoder(True), x, y, steps=150, batch=16, lr=3e-3, seed=0)
    assert one["size_accuracy"] == 1.0  # one size: nothing to tell apart, reported as met
    sizes = ("small", "large")  # the half-size patterns take longer: 11 % digit accuracy at 150 steps
    two = pretrain_encoder(_encoder(True), x, y, steps=400, batch=16, lr=3e-3, seed=0, sizes=sizes)
    assert two["size_accuracy"] >= 0.95 and two["accuracy"] >= 0.8
