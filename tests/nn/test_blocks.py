"""Standardise: the input scaling every model's checkpoint carries."""

import numpy as np
import torch

from studio.nn.blocks import Standardise


def test_a_channel_that_never_moved_in_training_maps_to_zero():
    """SynthTalk's rig never moves some blendshapes (eyeLookUp, jawLeft, cheekPuff, ...); a
    tracked face's 0.04 there once became 40,000σ and swamped JEAN's code of a real smile."""
    rng = np.random.default_rng(0)
    train = np.stack([rng.normal(2.0, 3.0, 500), np.zeros(500)], 1)
    norm = Standardise(2)
    norm.fit(train)
    z = norm(torch.tensor([[5.0, 0.04]], dtype=torch.float32))
    assert abs(z[0, 0].item() - 1.0) < 0.1 and z[0, 1].item() == 0.0
    fitted = norm(torch.as_tensor(train, dtype=torch.float32)).numpy()
    assert fitted[:, 1].max() == 0.0 and abs(fitted[:, 0].std() - 1) < 1e-3
    back = norm.inverse(torch.tensor([[1.0, 0.0]])).numpy()  # decoding is unchanged
    np.testing.assert_allclose(back, [[train[:, 0].mean() + train[:, 0].std(), 0.0]], atol=1e-4)
