"""Fixtures shared across test packages."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Tiny models: one torch thread (two threads only contend on a shared 2-core box).

    Use it module-wide with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
