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


@pytest.fixture(autouse=True, scope="session")
def _matmul_choices_in_memory():
    """The suite measures MKL against oneDNN (seqlab.recurrent._matmul) on a loaded machine:
    keep those answers in the process instead of saving them into the user's cache."""
    from seqlab.recurrent import _matmul

    _matmul.PERSIST = False
    yield
    _matmul.PERSIST = True
