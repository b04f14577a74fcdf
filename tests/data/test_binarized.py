"""Binarised images: fixed binarisation is reproducible and unbiased, dynamic re-samples, the MNIST split."""

import numpy as np
import pytest
import torch

from attnzoo.data import BinarizedImages, binarize, binarized_mnist_splits, write_idx


def _grey(n=64, h=6, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w), dtype=np.uint8)


def test_binarize_is_seeded_and_unbiased():
    imgs = _grey()
    a, b, c = binarize(imgs, 1), binarize(imgs, 1), binarize(imgs, 2)
    assert a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    assert (binarize(np.zeros_like(imgs), 0) == 0).all() and (binarize(np.full_like(imgs, 255), 0) == 1).all()
    # the mean over many draws approaches intensity / 255
    flat = np.full((20000, 1, 1), 64, np.uint8)
    assert abs(binarize(flat, 3).mean() - 64 / 255) < 0.01


def test_fixed_and_dynamic_datasets():
    imgs = _grey()
    fixed = BinarizedImages(imgs, mode="fixed", seed=5)
    (x,) = fixed[3]
    assert x.shape == (1, 6, 5) and x.dtype == torch.float32
    torch.testing.assert_close(fixed[3][0], x)
    np.testing.assert_array_equal(fixed.tensor()[:, 0].numpy(), binarize(imgs, 5))
    dyn = BinarizedImages(imgs, mode="dynamic")
    torch.manual_seed(0)
    draws = torch.stack([dyn[3][0] for _ in range(50)])
    assert set(draws.unique().tolist()) <= {0.0, 1.0}
    assert (draws != draws[0]).any()  # re-sampled on each access
    assert len(dyn) == 64
    torch.testing.assert_close(fixed.head(10).tensor(), fixed.tensor()[:10])
    assert fixed.head(None) is not fixed and len(fixed.head(None)) == 64


def test_bad_inputs():
    with pytest.raises(ValueError, match="uint8 array"):
        binarize(np.zeros((2, 3, 3), np.float32), 0)
    with pytest.raises(ValueError, match="mode must be one of"):
        BinarizedImages(_grey(), mode="sometimes")


def test_mnist_splits_from_idx(tmp_path):
    for split, n in (("train", 30), ("t10k", 12)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte", _grey(n, 28, 28, seed=n))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", np.zeros(n, np.uint8))
    s = binarized_mnist_splits(tmp_path, n_validation=10, seed=0)
    assert [len(s[k]) for k in ("train", "validation", "test")] == [20, 10, 12]
    np.testing.assert_array_equal(
        s["train"].tensor()[:, 0].numpy(), binarize(_grey(30, 28, 28, seed=30)[:20], 0)
    )
    again = binarized_mnist_splits(tmp_path, n_validation=10, seed=0, mode="dynamic")
    torch.testing.assert_close(again["test"].tensor(), s["test"].tensor())  # test stays fixed
    assert len(binarized_mnist_splits(tmp_path, n_validation=10, limit=4)["train"]) == 4
    with pytest.raises(ValueError, match="n_validation"):
        binarized_mnist_splits(tmp_path, n_validation=30)
