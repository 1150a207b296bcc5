"""A whole performance: reproducible, covers the audio, and shows emotion, speech and blinks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studio.face.records import BLENDSHAPE_INDEX
from studio.synth.emotions import emotion_blendshapes, emotion_prosody
from studio.synth.motion import MotionStyle
from studio.synth.performance import Performance, combine_face, perform
from studio.synth.voice import VoiceStyle, sample_voice, voice_settings

TEXT = "The birch canoe slid on the smooth planks."
VOICE = VoiceStyle(voice="en-us", variant="m3", pitch=45, pitch_range=55, rate=160)
MOTION = MotionStyle()
IDX = BLENDSHAPE_INDEX


def run(emotion: str = "happy", intensity: int = 3, seed: int = 0) -> Performance:
    return perform(TEXT, emotion, intensity, VOICE, MOTION, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def happy() -> Performance:
    return run()


def test_frames_cover_the_audio(happy):
    duration = len(happy.audio) / 16000
    n = math.ceil(duration * happy.fps - 1e-9)
    assert happy.fps == 25.0 and happy.audio.dtype == np.float32
    assert happy.blendshapes.shape == (n, 52) and happy.pose6.shape == (n, 6)
    assert len(happy.frame_phoneme) == len(happy.frame_viseme) == n
    assert (n - 1) / happy.fps < duration <= n / happy.fps


def test_labels_mark_silence_and_speech(happy):
    assert happy.frame_phoneme[0] == "_" and happy.frame_viseme[0] == "sil"
    spoken = [p for p in happy.frame_phoneme if p != "_"]
    assert len(spoken) > 0.7 * len(happy.frame_phoneme)
    assert {"PP", "aa", "ou"} <= set(happy.frame_viseme)
    assert happy.phonemes[0].start == 0.0 and happy.phonemes[-1].end <= len(happy.audio) / 16000
    assert (happy.text, happy.emotion, happy.intensity) == (TEXT, "happy", 3)


def test_same_seed_same_performance_other_seed_differs(happy):
    again, other = run(seed=0), run(seed=1)
    assert np.array_equal(happy.blendshapes, again.blendshapes)
    assert np.array_equal(happy.pose6, again.pose6)
    assert np.array_equal(happy.audio, other.audio)  # the voice is the same person's
    assert not np.allclose(happy.pose6, other.pose6)
    assert not np.allclose(happy.blendshapes, other.blendshapes)


def test_emotion_and_speech_both_show(happy):
    face = happy.blendshapes
    assert face.min() >= 0 and face.max() <= 1
    smile = face[:, [IDX["mouthSmileLeft"], IDX["mouthSmileRight"]]]
    assert np.median(smile) > 0.8  # held throughout, strong enough for the tracker
    talking = np.array([p != "_" for p in happy.frame_phoneme])
    jaw = face[:, IDX["jawOpen"]]
    assert jaw[talking].max() > 0.5 and jaw[talking].std() > 0.1
    assert jaw[~talking].mean() < jaw[talking].mean() / 3


def test_contempt_stays_one_sided_while_speaking():
    face = run("contempt", 3).blendshapes
    assert np.all(face[:, IDX["mouthSmileLeft"]] > face[:, IDX["mouthSmileRight"]] + 0.4)


def test_emotion_changes_the_voice():
    sad, angry = run("sad", 3), run("angry", 3)
    assert len(sad.audio) > 1.15 * len(angry.audio)  # sad is slower
    rms = [float(np.sqrt(np.mean(p.audio**2))) for p in (sad, angry)]
    assert rms[1] > 1.3 * rms[0]  # anger is louder


def test_combining_lets_speech_open_a_pressed_mouth_and_blinks_close_eyes():
    n = 3
    expression = np.repeat(emotion_blendshapes("angry", 3)[None], n, axis=0)
    expression[:, IDX["eyeWideLeft"]] = 0.8
    mouth = np.zeros((n, 52), np.float32)
    mouth[:, IDX["jawOpen"]] = [0.0, 0.3, 0.6]
    face = combine_face(expression, mouth, closure=np.array([0.0, 0.5, 1.0]))
    press = face[:, IDX["mouthPressLeft"]]
    assert press[0] == pytest.approx(expression[0, IDX["mouthPressLeft"]]) and press[2] == 0.0
    assert list(face[:, IDX["eyeBlinkLeft"]]) == [0.0, 0.5, 1.0]
    assert face[2, IDX["eyeWideLeft"]] == 0.0
    assert face[0, IDX["browDownLeft"]] == pytest.approx(expression[0, IDX["browDownLeft"]])


def test_voices_vary_within_espeak_ranges():
    voices = [sample_voice(np.random.default_rng(s)) for s in range(40)]
    assert len({v.variant for v in voices}) >= 10 and len({v.voice for v in voices}) >= 2
    assert len({v.pitch for v in voices}) >= 15
    extreme = voice_settings(
        VoiceStyle(pitch=95, rate=440, pitch_range=90), emotion_prosody("surprised", 3)
    )
    assert extreme["pitch"] == 100 and extreme["rate"] <= 450 and extreme["pitch_range"] <= 100
