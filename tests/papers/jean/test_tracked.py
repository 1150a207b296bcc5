"""The tracked-input encoder: distilled into JEAN's code space, and the bench's pairing
measures."""

import numpy as np

from studio.papers.jean.bench_tracked import mutual_nearest, nearest_in_group
from studio.papers.jean.tracked import clip_windows, train_tracked
from tests.papers.jean.tiny import tiny_jean


def test_distillation_brings_distorted_inputs_back_into_the_code_space():
    """'Tracked' features = the GT's, scaled, shifted and noisy, with a channel the GT never
    moves switched on: after a short distillation the encoder's codes of them are nearer the
    GT encoder's codes of the GT than the GT encoder's own codes of them — both the expression
    encoder's and the landmark encoder's."""
    model, _, data, _, _ = tiny_jean()
    truth = data.features.astype(np.float32)
    rng = np.random.default_rng(0)
    tracked = truth * 0.7 + 0.2 + rng.normal(0, 0.05, truth.shape).astype(np.float32)
    tracked[:, 6] = 0.3  # cheekPuff: never moved by the rig
    found = np.ones(len(truth), bool)
    encoder, report = train_tracked(model, tracked, found, truth, data.clips, steps=60)
    clip = data.clips[0]
    rows = slice(clip["start"], clip["start"] + clip["n"])
    _, target = model.expression_codes(truth[rows])
    _, naive = model.expression_codes(tracked[rows])
    _, adapted = encoder.expression_codes(tracked[rows])
    assert np.abs(adapted - target).mean() < np.abs(naive - target).mean()
    assert report["log"][-1]["loss"] < report["log"][0]["loss"] * 1.5
    # the landmark path too: eye-nose and mouth codes of the distorted landmarks
    dim = model.config.landmark_dim
    targets = model.landmark_codes(truth[rows, -dim:])
    naives = model.landmark_codes(tracked[rows, -dim:])
    adapteds = encoder.landmark_codes(tracked[rows, -dim:])
    for target, naive, adapted in zip(targets, naives, adapteds, strict=True):
        assert np.abs(adapted - target).mean() < 0.5 * np.abs(naive - target).mean()
    assert report["landmark_log"][-1]["loss"] < report["landmark_log"][0]["loss"]
    windows = clip_windows(data.clips)
    assert windows.shape == (len(truth), model.config.window)
    for c in data.clips:  # a window never reaches into another clip
        w = windows[c["start"] : c["start"] + c["n"]]
        assert w.min() >= c["start"] and w.max() < c["start"] + c["n"]


def test_pairing_measures():
    a = np.array([[0.0, 0], [1, 0], [0, 1]])
    assert mutual_nearest(a, a + 0.01) == 1.0
    assert mutual_nearest(a, a[[1, 0, 2]]) == 1 / 3
    clips = [
        {"identity_id": 1, "emotion": "happy", "intensity": 3},
        {"identity_id": 1, "emotion": "happy", "intensity": 3},
        {"identity_id": 2, "emotion": "sad", "intensity": 3},
    ]
    assert nearest_in_group(a, a[[1, 0, 2]], clips) == 1.0  # swapped within a group: fine
    assert nearest_in_group(a, a[[2, 1, 0]], clips) == 1 / 3
