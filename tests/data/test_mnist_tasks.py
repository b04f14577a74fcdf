"""Tests of the translated / cluttered MNIST generators on tiny synthetic digits."""

import numpy as np
import pytest
import torch

from attnzoo.data import MNIST_TASKS, MnistTask, cluttered_mnist, translated_mnist


def _digits(n=20, seed=0):
    """Random 28x28 'digits': values 1..255 inside, so every pixel of a pasted digit is visible."""
    rng = np.random.default_rng(seed)
    return rng.integers(1, 256, size=(n, 28, 28)).astype(np.uint8), np.arange(n) % 10


def test_translated_puts_the_digit_where_it_says():
    images, _ = _digits()
    canvas, pos = translated_mnist(images, np.arange(20), size=60, seed=3)
    assert canvas.shape == (20, 60, 60) and canvas.dtype == np.uint8 and pos.shape == (20, 2)
    assert pos.min() >= 0 and pos.max() <= 32
    for i, (r, c) in enumerate(pos):
        assert np.array_equal(canvas[i, r : r + 28, c : c + 28], images[i])
        assert canvas[i].astype(int).sum() == images[i].astype(int).sum()  # nothing else on the canvas
    assert len({tuple(p) for p in pos}) > 10  # positions vary


def test_deterministic_per_index_and_seed():
    images, _ = _digits()
    a, pa = cluttered_mnist(images, [3, 7, 11], seed=5)
    b, pb = cluttered_mnist(images, [11, 3], seed=5)  # another subset, another order: same samples
    assert np.array_equal(a[2], b[0]) and np.array_equal(a[0], b[1]) and np.array_equal(pa[0], pb[1])
    c, _ = cluttered_mnist(images, [3, 7, 11], seed=6)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("size,distractors", [(60, 4), (100, 8)])
def test_cluttered_adds_the_distractor_pieces(size, distractors):
    images, _ = _digits()
    blank = np.zeros_like(images)
    blank[5] = images[5]  # only image 5 has ink; distractors come from other images, so all are empty
    canvas, pos = cluttered_mnist(blank, [5], size=size, distractors=distractors, seed=1)
    r, c = pos[0]
    assert np.array_equal(canvas[0, r : r + 28, c : c + 28], images[5]) and canvas[0].sum() == images[5].sum()
    ones = np.ones_like(images)  # every piece is 8x8 of ones: count the ink outside the digit
    ones[5] = 0
    canvas, pos = cluttered_mnist(ones, [5], size=size, distractors=distractors, seed=1)
    ink = canvas[0].astype(int).sum()
    assert 0 < ink <= distractors * 64 and canvas.max() == 1
    inks = [
        cluttered_mnist(ones, [5], size=size, distractors=distractors, seed=s)[0].sum() for s in range(30)
    ]
    assert max(inks) == distractors * 64  # exactly this many pieces: some seed's pieces do not overlap


def test_values_stay_in_range_and_digit_is_not_dimmed():
    images, _ = _digits()
    canvas, pos = cluttered_mnist(images, np.arange(20), size=60, distractors=4, seed=2)
    for i, (r, c) in enumerate(pos):
        assert (canvas[i, r : r + 28, c : c + 28] >= images[i]).all()


def test_task_dataset_batches():
    images, labels = _digits()
    for task, (size, _) in MNIST_TASKS.items():
        ds = MnistTask(images, labels, task, seed=0)
        x, y = ds.collate([ds[i] for i in (0, 4, 9)])
        assert x.shape == (3, 1, size, size) and x.dtype == torch.float32 and x.min() >= 0 and x.max() <= 1
        assert y.tolist() == [0, 4, 9]
        assert torch.equal(ds.batch([4])[0][0], x[1])
    with pytest.raises(ValueError, match="task must be one of"):
        MnistTask(images, labels, "rotated")
    with pytest.raises(ValueError, match="images must be a uint8 array"):
        translated_mnist(images.astype(np.float32), [0])
    with pytest.raises(ValueError, match=r"indices must be in \[0, 20\)"):
        translated_mnist(images, [20])
