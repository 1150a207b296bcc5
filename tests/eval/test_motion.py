"""Head-motion diversity, beat alignment, audio beats and style distance."""

from __future__ import annotations

import numpy as np
import pytest

from studio.errors import StudioError
from studio.eval.motion import (
    audio_beats,
    beat_alignment,
    diversity,
    motion_beats,
    style_distance,
)

SR = 16000
FPS = 25
BEATS = np.array([20, 45, 70, 95, 120])


def _nodding(t_frames: int, shift: float = 0.0) -> np.ndarray:
    """(T, 6) pose whose yaw turns (speed minimum) every 25 frames, at 20 + shift, 45 + shift…"""
    t = np.arange(t_frames, dtype=float)
    pose = np.zeros((t_frames, 6))
    pose[:, 0] = 10.0 * np.cos(2 * np.pi * (t - 20 - shift) / 50.0)
    pose[:, 1] = 3.0 * np.cos(2 * np.pi * (t - 20 - shift) / 50.0)
    return pose


def test_diversity_of_constant_and_sinusoidal_motion() -> None:
    still = np.tile([5.0, -2.0, 1.0, 0.0, 3.0, 40.0], (100, 1))
    result = diversity(still)
    np.testing.assert_array_equal(result.per_channel, 0.0)
    assert result.rotation == 0.0 and result.translation == 0.0
    moving = _nodding(200)  # whole periods: std of A·cos = A / sqrt(2)
    result = diversity(moving)
    assert result.per_channel[0] == pytest.approx(10 / np.sqrt(2), rel=1e-9)
    assert result.rotation == pytest.approx((10 + 3) / np.sqrt(2) / 3, rel=1e-9)
    moving[5] = np.nan  # a frame without a face is left out, not propagated
    assert np.isfinite(diversity(moving).rotation)


def test_motion_beats_sit_on_the_turning_points() -> None:
    np.testing.assert_array_equal(motion_beats(_nodding(150)[:, :3]), [20, 45, 70, 95, 120, 145])


def test_beat_alignment_on_and_off_the_beat() -> None:
    assert beat_alignment(BEATS, _nodding(150)[:, :3]) == pytest.approx(1.0)
    off = beat_alignment(BEATS, _nodding(150, shift=10)[:, :3])
    assert off < 0.05  # 10 frames away: exp(-100 / 18) ≈ 0.004
    half = beat_alignment(BEATS, _nodding(150, shift=3)[:, :3])
    assert half == pytest.approx(np.exp(-9 / 18), abs=0.02)  # one sigma away
    still = np.zeros((150, 3))
    assert beat_alignment(BEATS, still) == 0.0  # no motion beats at all
    with pytest.raises(StudioError):
        beat_alignment([], _nodding(150))


def _click_track(times: list[float], seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 1e-3 * rng.standard_normal(int(seconds * SR))  # a quiet noise floor (-60 dB)
    decay = np.exp(-np.arange(80) / 15.0)  # 5 ms click
    for t in times:
        i = int(round(t * SR))
        x[i : i + 80] += 0.8 * decay * rng.choice([-1.0, 1.0], 80)
    return x.astype(np.float32)


def test_audio_beats_find_clicks() -> None:
    times = [0.4, 1.0, 1.56, 2.2, 2.52, 3.3]
    samples = _click_track(times, 4.0)
    n_frames = 100
    beats = audio_beats(samples, n_frames)
    expected = np.rint(np.array(times) * FPS).astype(int)
    assert len(beats) == len(expected), beats
    assert np.all(np.abs(beats - expected) <= 1), (beats, expected)


def test_audio_beats_respect_min_spacing() -> None:
    samples = _click_track([1.0, 1.08], 2.0)  # two clicks 2 frames apart: one beat
    assert len(audio_beats(samples, 50)) == 1
    assert len(audio_beats(np.zeros(SR, np.float32), 25)) == 0  # silence has no beats


def test_style_distance() -> None:
    a = _nodding(200)
    assert style_distance(a, a) == 0.0
    assert style_distance(a, a[::-1].copy()) == pytest.approx(0.0, abs=0.2)
    moved = a + 5.0  # the same motion around another resting pose
    assert style_distance(a, moved) == pytest.approx(5.0 * np.sqrt(6))
    assert style_distance(a, moved, include_mean=False) == pytest.approx(0.0, abs=1e-9)
    assert style_distance(a, 2 * a, include_mean=False) > 5.0
