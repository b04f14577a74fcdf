"""Image splits, batched augmentation and normalisation of ``attnzoo.data.images``."""

import numpy as np
import pytest
import torch

from attnzoo.data import ImageSplit, Normalise, augment_images, split_images


def test_augment_crops_windows_of_the_padded_image_and_flips():
    x = torch.arange(4 * 2 * 6 * 5, dtype=torch.float).view(4, 2, 6, 5) + 1
    torch.testing.assert_close(augment_images(x, 0, False), x)
    torch.manual_seed(0)
    out = augment_images(x, 2, False)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for b in range(4):  # every image is one 6x5 window of its padded self, the same for both channels
        windows = [(i, j) for i in range(5) for j in range(5)
                   if torch.equal(padded[b, :, i : i + 6, j : j + 5], out[b])]  # fmt: skip
        assert len(windows) == 1
    flipped = augment_images(x, 0, True)
    for b in range(4):
        assert torch.equal(flipped[b], x[b]) or torch.equal(flipped[b], x[b].flip(-1))


def test_augment_draws_from_the_global_rng():
    x = torch.rand(8, 1, 5, 5)
    torch.manual_seed(3)
    a = augment_images(x, 1, True)
    torch.manual_seed(3)
    assert torch.equal(a, augment_images(x, 1, True))


def test_split_is_fixed_disjoint_and_limited():
    images = np.zeros((100, 2, 2), dtype=np.uint8)
    images[:, 0, 0] = np.arange(100)  # the first pixel names the image
    labels = np.arange(100) % 10
    test = (images[:30], labels[:30])
    a = split_images((images, labels), test, val_size=20, train_limit=50, test_limit=10)
    b = split_images((images, labels), test, val_size=20)
    assert (len(a["train"]), len(a["val"]), len(a["test"])) == (50, 20, 10)
    assert (len(b["train"]), len(b["test"])) == (80, 30)
    assert torch.equal(a["val"].images, b["val"].images)  # the same hold-out whatever the limits
    ids = lambda s: set(s.images[:, 0, 0, 0].tolist())  # noqa: E731
    assert not ids(a["val"]) & ids(b["train"])
    assert ids(b["val"]) | ids(b["train"]) == set(range(100))
    assert a["train"].images.shape[1:] == (1, 2, 2)
    other = split_images((images, labels), test, val_size=20, seed=1)
    assert ids(other["val"]) != ids(a["val"])
    with pytest.raises(ValueError, match="val_size must be in"):
        split_images((images, labels), test, val_size=100)


def test_normalise_standardises_by_the_training_pixels():
    images = torch.tensor([0, 51, 102, 255], dtype=torch.uint8).view(4, 1, 1, 1)
    norm = Normalise(ImageSplit(images, torch.zeros(4, dtype=torch.long)))
    out = norm(images)
    assert out.dtype == torch.float32 and out.shape == images.shape
    torch.testing.assert_close(out.mean(), torch.tensor(0.0), atol=1e-6, rtol=0)
    torch.testing.assert_close(out.std(), torch.tensor(1.0))
    torch.testing.assert_close(norm.standardise(images.float() / 255), out)
