"""Shared fixtures; the random-network helpers live in ``dietsnn.testing``."""

from __future__ import annotations

import numpy as np
import pytest

from dietsnn.testing import fmnist_available, random_network  # noqa: F401  (re-exported for the tests)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
