"""Head motion and blinks: bounded, speech-driven, beat-aligned, natural blink timing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from studio.speech import SAMPLE_RATE, PhonemeEvent, Speech, n_video_frames_for, synthesize
from studio.synth.motion import (
    ANGLE_LIMITS,
    MotionStyle,
    blinks,
    head_motion,
    pitch_track,
    sample_motion_style,
    speaking_mask,
    stress_beats,
)
from studio.synth.sentences import TRAIN_SENTENCES

FPS = 25


def padded(speech: Speech, seconds: float) -> Speech:
    """The same speech with `seconds` of silence before and after (a listening pause)."""
    pad = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    shift = len(pad) / SAMPLE_RATE
    moved = [
        dataclasses.replace(p, start=p.start + shift, end=p.end + shift) for p in speech.phonemes
    ]
    end = moved[-1].end
    phonemes = [PhonemeEvent("_", 0.0, shift), *moved, PhonemeEvent("_", end, end + shift)]
    return dataclasses.replace(
        speech, samples=np.concatenate([pad, speech.samples, pad]), phonemes=phonemes
    )


@pytest.fixture(scope="module")
def sentences():
    return [synthesize(text) for text in TRAIN_SENTENCES[:3]]


def speed(pose: np.ndarray) -> np.ndarray:
    """(T,) angular speed in degrees per frame (0 at frame 0)."""
    return np.r_[0.0, np.linalg.norm(np.diff(pose[:, :3], axis=0), axis=1)]


def test_styles_are_reproducible_and_varied():
    a, b = (
        sample_motion_style(np.random.default_rng(3)),
        sample_motion_style(np.random.default_rng(3)),
    )
    assert a == b != sample_motion_style(np.random.default_rng(4))


def test_pose_stays_where_the_tracker_is_reliable(sentences):
    wild = MotionStyle(
        amplitude_deg=8.0,
        tempo=1.5,
        yaw_bias_deg=20.0,
        pitch_bias_deg=-10.0,
        nod_vs_turn=0.5,
        roll_per_yaw=0.6,
        drift_deg=6.0,
        pitch_follow=1.5,
    )
    for seed, speech in enumerate(sentences):
        n = n_video_frames_for(speech.duration)
        for style in (wild, sample_motion_style(np.random.default_rng(seed))):
            pose = head_motion(speech, n, style, np.random.default_rng(seed))
            assert pose.shape == (n, 6) and pose.dtype == np.float32
            assert np.all(np.abs(pose[:, :3]) <= ANGLE_LIMITS)
            assert np.all(np.abs(pose[:, 3:]) <= 1.5)
    rest = head_motion(
        sentences[0], 50, dataclasses.replace(wild, drift_deg=0.0), np.random.default_rng(0)
    )
    assert rest[:, 0].mean() > 10  # the yaw bias is kept, only softly limited


def test_head_moves_more_while_speaking_than_in_silence(sentences):
    ratios = []
    for seed, speech in enumerate(sentences):
        speech = padded(speech, 1.5)
        n = n_video_frames_for(speech.duration)
        talking = speaking_mask(speech, n)
        quiet = np.convolve(talking, np.ones(9), mode="same") == 0  # 0.16 s clear of speech
        for k in range(4):
            rng = np.random.default_rng([seed, k])
            s = speed(head_motion(speech, n, sample_motion_style(rng), rng))
            ratios.append(s[talking].mean() / s[quiet].mean())
    assert np.median(ratios) > 2.0, ratios


def test_speed_peaks_land_on_stressed_syllables(sentences):
    hits = chance = peaks = 0.0
    for seed, speech in enumerate(sentences):
        n = n_video_frames_for(speech.duration)
        near = np.zeros(n, bool)
        for t in stress_beats(speech)[0]:
            f = int(round(t * FPS))
            near[max(f - 1, 0) : f + 2] = True
        talking = speaking_mask(speech, n)
        for k in range(6):
            rng = np.random.default_rng([seed, k])
            s = speed(head_motion(speech, n, sample_motion_style(rng), rng))
            local = (s[1:-1] >= s[:-2]) & (s[1:-1] > s[2:]) & talking[1:-1]
            frames = np.flatnonzero(local) + 1
            hits += near[frames].sum()
            chance += near[talking].mean() * len(frames)
            peaks += len(frames)
    assert peaks > 50
    assert hits / peaks > 1.5 * chance / peaks, (hits / peaks, chance / peaks)


def test_motion_is_reproducible(sentences):
    speech, style = sentences[0], MotionStyle()
    n = n_video_frames_for(speech.duration)
    one = head_motion(speech, n, style, np.random.default_rng(1))
    assert np.array_equal(one, head_motion(speech, n, style, np.random.default_rng(1)))
    assert not np.allclose(one, head_motion(speech, n, style, np.random.default_rng(2)))


def test_pitch_track_finds_a_tone():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    f0 = pitch_track(0.3 * np.sin(2 * np.pi * 150 * t), 25)
    assert np.all(np.abs(f0[2:-2] - 150) < 5)
    assert not pitch_track(np.zeros(SAMPLE_RATE), 25).any()


def test_blinks_have_natural_timing():
    closure = blinks(25 * 120, np.random.default_rng(0))
    assert closure.dtype == np.float32 and closure.min() >= 0 and closure.max() <= 1
    shut = closure > 0
    starts = np.flatnonzero(shut[1:] & ~shut[:-1]) + 1
    ends = np.flatnonzero(shut[:-1] & ~shut[1:]) + 1
    gaps = np.diff(starts) / FPS
    lengths = (ends - starts[: len(ends)]) / FPS
    assert 15 <= len(starts) <= 60  # 7.5 to 30 blinks a minute
    assert gaps.min() >= 1.8 and gaps.max() <= 7.0
    assert lengths.min() >= 0.1 and lengths.max() <= 0.3
    peaks = [closure[a:b].max() for a, b in zip(starts, ends, strict=False)]
    assert min(peaks) == 1.0  # every blink shows one fully closed frame


def test_blinks_are_reproducible():
    assert np.array_equal(
        blinks(500, np.random.default_rng(5)), blinks(500, np.random.default_rng(5))
    )
