"""Fixtures for attnzoo.data tests: a private cache folder and a registry that is restored afterwards."""

import pytest

from attnzoo.data import CLIENTS, DATASETS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, used through $ATTNZOO_DATA."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ATTNZOO_DATA", str(root))
    return root


@pytest.fixture
def sandbox():
    """Lets a test register datasets and clients; both registries are restored afterwards."""
    datasets, clients = dict(DATASETS), dict(CLIENTS)
    yield
    DATASETS.clear()
    DATASETS.update(datasets)
    CLIENTS.clear()
    CLIENTS.update(clients)
