"""Shared by every test: one torch thread (restored after each test).

The tests use small tensors; on the shared 2-core machine a second thread only adds synchronisation waits,
and several test processes each taking every core would stall one another.
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
