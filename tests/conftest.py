"""Shared by every test: one torch thread (restored after each test), and a fixed-seed, bounded hypothesis
profile (HYPOTHESIS_PROFILE picks another).

The tests use small tensors; on the shared 2-core machine a second thread only adds synchronisation waits,
and several test processes each taking every core would stall one another.
"""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# derandomize: the same examples on every run and machine, so a property test cannot fail by chance in CI
settings.register_profile(
    "attnzoo-ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "attnzoo-deep", parent=settings.get_profile("attnzoo-ci"), derandomize=False, max_examples=2000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "attnzoo-ci"))


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def fresh_dynamo():
    """dynamo's caches cleared before and after a test, so no compiled graph leaks between tests."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
