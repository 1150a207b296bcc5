"""Emotion recipes: the right channels, ordered intensities, separable classes, voices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.synth.emotions import (
    EMOTIONS,
    emotion_blendshapes,
    emotion_conditions,
    emotion_prosody,
)
from studio.synth.voice import Prosody

# Channels each FACS prototype must show strongly at intensity 3 (DESIGN §4).
KEY_CHANNELS = {
    "happy": ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "eyeSquintLeft"),
    "sad": ("browInnerUp", "mouthFrownLeft", "mouthFrownRight", "mouthShrugLower"),
    "angry": ("browDownLeft", "eyeSquintRight", "mouthPressLeft", "noseSneerRight"),
    "surprised": ("browInnerUp", "browOuterUpLeft", "eyeWideLeft", "eyeWideRight", "jawOpen"),
    "fear": ("browInnerUp", "eyeWideLeft", "mouthStretchLeft", "mouthStretchRight"),
    "disgusted": ("noseSneerLeft", "mouthUpperUpLeft", "browDownRight"),
    "contempt": ("mouthSmileLeft", "mouthDimpleLeft"),
}


def top(emotion: str) -> np.ndarray:
    return emotion_blendshapes(emotion, 1 if emotion == "neutral" else 3)


def test_conditions_are_the_22_mead_pairs():
    conditions = emotion_conditions()
    assert len(conditions) == 22 == len(set(conditions))
    assert [e for e, _ in conditions if e == "neutral"] == ["neutral"]
    assert conditions[0] == ("neutral", 1) and conditions[1:4] == [("angry", i) for i in (1, 2, 3)]
    assert {e for e, _ in conditions} == set(EMOTIONS)


@pytest.mark.parametrize("emotion,intensity", emotion_conditions())
def test_recipes_are_rig_vectors(emotion, intensity):
    values = emotion_blendshapes(emotion, intensity)
    assert values.shape == (N_BLENDSHAPES,) and values.dtype == np.float32
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert values[BLENDSHAPE_INDEX["_neutral"]] == 0.0


def test_neutral_is_the_rest_face():
    assert not top("neutral").any()


@pytest.mark.parametrize("emotion", sorted(KEY_CHANNELS))
def test_recipes_use_their_facs_channels(emotion):
    values = top(emotion)
    for name in KEY_CHANNELS[emotion]:
        floor = 0.1 if name == "jawOpen" else 0.4
        assert values[BLENDSHAPE_INDEX[name]] >= floor, name


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_intensity_orders_strength(emotion):
    norms = [np.linalg.norm(emotion_blendshapes(emotion, i)) for i in (1, 2, 3)]
    assert 0 < norms[0] < norms[1] < norms[2]


def test_every_pair_differs_strongly_at_intensity_3():
    for a, b in itertools.combinations(EMOTIONS, 2):
        assert np.abs(top(a) - top(b)).max() >= 0.3, (a, b)


def test_smile_crosses_the_tracker_threshold_only_when_strong():
    smile = [emotion_blendshapes("happy", i)[BLENDSHAPE_INDEX["mouthSmileLeft"]] for i in (1, 3)]
    assert smile[0] < 0.6 <= 0.8 <= smile[1]  # the tracker reads smiles from about 0.6 rig


def test_contempt_is_one_sided():
    values = top("contempt")
    for side in ("mouthSmile", "mouthDimple"):
        left, right = (
            values[BLENDSHAPE_INDEX[side + "Left"]],
            values[BLENDSHAPE_INDEX[side + "Right"]],
        )
        assert left >= 0.5 and right == 0.0, side


def test_unknown_conditions_are_refused():
    with pytest.raises(ValueError, match="unknown emotion"):
        emotion_blendshapes("bored", 1)
    with pytest.raises(ValueError, match="intensities"):
        emotion_blendshapes("neutral", 3)
    with pytest.raises(ValueError, match="intensities"):
        emotion_prosody("happy", 4)


def test_emotion_changes_the_voice_as_in_people():
    assert emotion_prosody("neutral", 1) == Prosody()
    sad, angry = emotion_prosody("sad", 3), emotion_prosody("angry", 3)
    assert sad.pitch_shift < 0 and sad.rate_scale < 1 and sad.volume_scale < 1
    assert sad.pitch_range_scale < 1 < angry.pitch_range_scale
    assert angry.volume_scale > 1 and angry.rate_scale > 1
    mild = emotion_prosody("sad", 1)
    assert sad.pitch_shift < mild.pitch_shift < 0  # intensity scales the change
