"""The tracked emotion judge (the NeRF's and IRFD's second judge): a linear read of tracked features
that has seen turned heads."""

from __future__ import annotations

import numpy as np
import pytest

from studio.nn.checkpoints import checkpoint_exists, save_checkpoint
from studio.papers.jean.tracked_emotion_judge import (
    NAME,
    fit_judge,
    load_judge,
    read_emotions,
    still_features,
)
from studio.synth.emotions import EMOTIONS, emotion_blendshapes
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer


def _toy(n_per_class: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Eight separable classes in 272 dimensions, with noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (len(EMOTIONS), 272))
    labels = np.repeat(np.arange(len(EMOTIONS)), n_per_class)
    return centres[labels] + rng.normal(0, 1, (len(labels), 272)), labels


def test_the_judge_reads_what_it_was_fitted_on_and_survives_a_checkpoint(tmp_path):
    x, y = _toy()
    judge = fit_judge(x, y)
    probabilities = judge.probabilities(x)
    assert np.allclose(probabilities.sum(1), 1.0, atol=1e-5)
    x_new, y_new = _toy(seed=0)[0] + np.random.default_rng(1).normal(0, 1, x.shape), y
    assert (judge.predict(x_new) == y_new).mean() > 0.9
    card = {k: {} for k in ("config", "data", "training", "metrics")}
    card.update(name=NAME, paper="test", version=1, deviations=[])
    save_checkpoint(NAME, judge.state_dict(), card, tmp_path)
    loaded = load_judge(tmp_path)
    assert np.array_equal(loaded.predict(x_new), judge.predict(x_new))


def test_a_judge_needs_every_emotion_among_its_labels():
    x, y = _toy()
    keep = y != EMOTIONS.index("contempt")
    with pytest.raises(ValueError, match="all 8 emotions"):
        fit_judge(x[keep], y[keep])


def test_frames_without_a_face_are_marked_unread():
    x, y = _toy()
    blank = np.full((3, 128, 128, 3), 90, np.uint8)
    pred, share = read_emotions(fit_judge(x, y), blank)
    assert share == 0.0 and (pred == -1).all()


def _face(emotion: str, yaw: float) -> np.ndarray:
    renderer = HeadRenderer(sample_identity(40, 0).look, size=256)
    pose6 = np.array([yaw, 0.0, 0.0, 0.0, 0.0, 0.0], np.float32)
    return renderer.render(emotion_blendshapes(emotion, 3), pose6, Camera(size=256)).image


@pytest.mark.skipif(not checkpoint_exists(NAME), reason="needs the shipped nerf_emotion_judge")
def test_the_shipped_judge_reads_turned_heads():
    """Faces the judge never saw (a held-out person), turned 25° either way: the emotion is read
    where the default corpus's frontal heads would not have taught it to."""
    emotions = tuple(e for e in EMOTIONS if e != "neutral")
    faces = np.stack([_face(e, yaw) for e in emotions for yaw in (-25.0, 25.0)])
    features, found = still_features(faces)
    assert found.all()
    read = load_judge().predict(features)
    truth = np.repeat([EMOTIONS.index(e) for e in emotions], 2)
    assert (read == truth).mean() >= 0.85  # 14 of 14 when written
