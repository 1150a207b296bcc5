"""A tiny random image set with every factor IRFD's losses read, shared by the IRFD tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def data():
    """24 random 128² images of 6 people (4 each), every factor the losses read."""
    rng = np.random.default_rng(0)
    n = 24
    out = {
        "images": rng.integers(0, 255, (n, 128, 128, 3), dtype=np.uint8),
        "identity": np.repeat(np.arange(6), 4),
        "emotion": rng.integers(0, 8, n),
        "yaw": rng.normal(0, 20, n),
        "pitch": rng.normal(0, 10, n),
        "roll": rng.normal(0, 5, n),
    }
    out["held_out"] = out["identity"] >= 5
    out["jaw"] = rng.uniform(0.0, 0.6, n)
    return out
