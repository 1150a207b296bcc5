"""Head motion and blinks of a speaking person, driven by the speech and shaped by a style.

Speakers move their heads in time with their speech: small nods and turns land on stressed
syllables (beat gestures), the head rises with the voice's pitch and is livelier when the
voice is louder, and under it all the head drifts slowly. Each identity has its own way of
doing this (`MotionStyle`): how much, how fast, nodding or turning, where it rests. Pose is
the studio's 6-D vector: yaw, pitch, roll in degrees (+pitch = nose down), tx, ty, tz in cm.
Angles are softly limited to the range where the MediaPipe tracker stays reliable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.speech import FPS, SAMPLE_RATE, Speech, frame_energy, frame_phoneme_indices
from studio.synth.articulation import loudness_level

# Soft limits (degrees): yaw, pitch, roll. Beyond these the tracker's pose and blendshapes drift.
ANGLE_LIMITS = np.array([25.0, 12.0, 8.0])
TRANSLATION_LIMIT_CM = 1.5


@dataclass
class MotionStyle:
    """One identity's head-motion habits."""

    amplitude_deg: float = 3.0  # size of a beat gesture on a primary-stressed syllable
    tempo: float = 1.0  # >1: quicker, shorter gestures and faster drift
    yaw_bias_deg: float = 0.0  # where the head rests
    pitch_bias_deg: float = 0.0
    nod_vs_turn: float = 0.6  # probability that a beat is a nod rather than a turn
    roll_per_yaw: float = 0.2  # head tilt that goes with a turn (deg per deg)
    drift_deg: float = 2.0  # size of the slow wander
    pitch_follow: float = 0.5  # how much the head rises with the voice's pitch (deg/semitone)


def sample_motion_style(rng: np.random.Generator) -> MotionStyle:
    """A plausible mover, from a still, frontal speaker to a lively one with a habitual tilt."""
    return MotionStyle(
        amplitude_deg=float(rng.uniform(1.5, 5.0)),
        tempo=float(rng.uniform(0.75, 1.35)),
        yaw_bias_deg=float(rng.normal(0.0, 5.0)),
        pitch_bias_deg=float(rng.normal(0.0, 3.0)),
        nod_vs_turn=float(rng.uniform(0.25, 0.9)),
        roll_per_yaw=float(rng.uniform(-0.35, 0.35)),
        drift_deg=float(rng.uniform(1.0, 3.5)),
        pitch_follow=float(rng.uniform(0.2, 0.8)),
    )


# ----------------------------------------------------------------------------- speech cues


def stress_beats(speech: Speech) -> tuple[np.ndarray, np.ndarray]:
    """(times s, weights) of stressed syllables: vowel onsets eSpeak marks primary (1.0) or
    secondary (0.5)."""
    beats = [(p.start, 1.0 if p.stress == 2 else 0.5) for p in speech.phonemes if p.stress >= 1]
    if not beats:
        return np.zeros(0), np.zeros(0)
    times, weights = zip(*beats, strict=True)
    return np.array(times), np.array(weights)


def speaking_mask(speech: Speech, n_frames: int, fps: float = FPS) -> np.ndarray:
    """(T,) bool: a (non-pause) phoneme sounds at the frame's time."""
    idx = frame_phoneme_indices(speech.phonemes, n_frames, fps)
    pause = np.array([p.is_pause for p in speech.phonemes] + [True])  # index -1 -> pause
    return ~pause[idx]


def pitch_track(samples: np.ndarray, n_frames: int, fps: float = FPS) -> np.ndarray:
    """(T,) fundamental frequency in Hz per video frame, 0 where unvoiced.

    Normalised autocorrelation over a 40 ms window, searching 70–400 Hz: coarse, but enough to
    follow intonation, which is all head motion needs.
    """
    win, lo, hi = int(0.04 * SAMPLE_RATE), SAMPLE_RATE // 400, SAMPLE_RATE // 70
    x = np.pad(np.asarray(samples, np.float64), (win // 2, win))
    starts = np.rint(np.arange(n_frames) * SAMPLE_RATE / fps).astype(int)
    starts = np.minimum(starts, len(x) - win)
    frames = x[starts[:, None] + np.arange(win)] * np.hanning(win)
    spectrum = np.fft.rfft(frames, n=2 * win, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, : hi + 1]
    norm = acf[:, lo : hi + 1] / np.maximum(acf[:, :1], 1e-12)
    lag = lo + np.argmax(norm, axis=1)
    voiced = (norm.max(axis=1) > 0.45) & (acf[:, 0] > 1e-6 * win)
    return np.where(voiced, SAMPLE_RATE / lag, 0.0)


def smooth(x: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """Gaussian smoothing along time (axis 0) with edge padding."""
    sigma = max(seconds * fps, 1e-3)
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(x, [(radius, radius)] + [(0, 0)] * (x.ndim - 1), mode="edge")
    return np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="valid"), 0, padded)


def intonation(samples: np.ndarray, n_frames: int, fps: float = FPS) -> np.ndarray:
    """(T,) pitch in semitones around the clip's median, bridged over unvoiced frames, smooth."""
    f0 = pitch_track(samples, n_frames, fps)
    voiced = f0 > 0
    if voiced.sum() < 2:
        return np.zeros(n_frames)
    semitones = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    frames = np.arange(n_frames)
    filled = np.interp(frames, frames[voiced], semitones)
    return smooth(np.clip(filled, -6, 6), 0.1, fps)


# ----------------------------------------------------------------------------- motion parts


def _beat_kernel(t: np.ndarray, onset: float, rise: float, fall: float) -> np.ndarray:
    """A gesture's excursion: a quick move (smoothstep over `rise`) centred on the onset, then a
    slow return (raised cosine over `fall`). Its speed peaks on the stressed syllable itself,
    as beat gestures do; the slower return leaves smaller speed peaks off the beat.
    """
    u = np.clip((t - onset) / rise + 0.5, 0.0, 1.0)
    up = u * u * (3 - 2 * u)
    v = np.clip((t - onset - rise / 2) / fall, 0.0, 1.0)
    return up * (0.5 + 0.5 * np.cos(np.pi * v))


def _beat_gestures(
    speech: Speech,
    t: np.ndarray,
    level: np.ndarray,
    style: MotionStyle,
    rng: np.random.Generator,
    fps: float,
) -> np.ndarray:
    """(T, 3) yaw, pitch, roll of the nods and turns on stressed syllables."""
    out = np.zeros((len(t), 3))
    times, weights = stress_beats(speech)
    rise, fall = 0.14 / style.tempo, 0.5 / style.tempo
    for onset, weight in zip(times, weights, strict=True):
        loud = level[min(int(round(onset * fps)), len(t) - 1)]
        size = style.amplitude_deg * weight * (0.6 + 0.8 * loud) * rng.uniform(0.7, 1.3)
        if rng.random() < style.nod_vs_turn:
            direction = np.array([rng.normal(0, 0.2), 1.0, 0.0])  # nod: nose down and back
        else:
            direction = np.array([rng.choice((-1.0, 1.0)), rng.normal(0, 0.2), 0.0])  # turn
        direction[2] = style.roll_per_yaw * direction[0]
        out += size * direction[None, :] * _beat_kernel(t, onset, rise, fall)[:, None]
    return out


def _drift(
    n_frames: int, scale: np.ndarray, tempo: float, rng: np.random.Generator, fps: float
) -> np.ndarray:
    """(T, k) slow, smooth wander with per-channel standard deviation `scale`.

    Gaussian-smoothed white noise, divided by its theoretical standard deviation so the size
    does not depend on the clip's length. Extra frames at both ends avoid edge effects.
    """
    sigma = 0.6 / tempo * fps
    margin = int(3 * sigma) + 1
    noise = rng.standard_normal((n_frames + 2 * margin, len(scale)))
    slow = smooth(noise, 0.6 / tempo, fps)[margin : margin + n_frames]
    return slow * np.sqrt(2 * np.sqrt(np.pi) * sigma) * scale[None, :]


def head_motion(
    speech: Speech,
    n_frames: int,
    style: MotionStyle,
    rng: np.random.Generator,
    fps: float = FPS,
) -> np.ndarray:
    """(n_frames, 6) float32 pose: yaw, pitch, roll (deg), tx, ty, tz (cm) for the speech.

    Beats on stressed syllables, scaled by loudness; head rising with pitch and livelier while
    speaking; slow drift; the style's resting bias. Angles are softly limited (`ANGLE_LIMITS`).
    """
    t = np.arange(n_frames) / fps
    level = loudness_level(frame_energy(speech.samples, n_frames, fps))
    talking = smooth(speaking_mask(speech, n_frames, fps).astype(float), 0.25, fps)

    angles = _beat_gestures(speech, t, level, style, rng, fps)
    angles[:, 1] -= style.pitch_follow * intonation(speech.samples, n_frames, fps) * talking
    # While talking the head is livelier: a speech-locked sway in yaw that follows loudness.
    sway = smooth(level - level.mean(), 0.15 / style.tempo, fps) * talking
    angles[:, 0] += style.amplitude_deg * 0.8 * rng.choice((-1.0, 1.0)) * sway
    drift_scale = style.drift_deg * np.array([1.0, 0.6, 0.35])
    angles += _drift(n_frames, drift_scale, style.tempo, rng, fps)
    angles += np.array([style.yaw_bias_deg, style.pitch_bias_deg, 0.0])
    angles = ANGLE_LIMITS * np.tanh(angles / ANGLE_LIMITS)

    # The head turns about the neck, so the face shifts with it; plus a slow lean.
    translation = np.stack([0.03 * angles[:, 0], -0.03 * angles[:, 1], 0.25 * talking], axis=1)
    translation += _drift(n_frames, np.array([0.2, 0.15, 0.4]), style.tempo, rng, fps)
    translation = TRANSLATION_LIMIT_CM * np.tanh(translation / TRANSLATION_LIMIT_CM)
    return np.concatenate([angles, translation], axis=1).astype(np.float32)


def blinks(n_frames: int, rng: np.random.Generator, fps: float = FPS) -> np.ndarray:
    """(n_frames,) float32 eyelid closure 0..1: blinks every ~2–6 s, each 150–250 ms.

    A blink closes fast (a third of its time), stays shut for one frame period so a frame
    sees it fully closed, then opens more slowly.
    """
    closure = np.zeros(n_frames)
    t = np.arange(n_frames) / fps
    hold = 1.0 / fps
    start = rng.uniform(0.2, 3.0)
    while start < n_frames / fps:
        duration = rng.uniform(0.15, 0.25)
        closing, opening = duration / 3, duration * 2 / 3
        u = t - start
        shape = np.select(
            [
                (u >= 0) & (u < closing),
                (u >= closing) & (u < closing + hold),
                (u >= closing + hold) & (u < closing + hold + opening),
            ],
            [u / closing, np.ones_like(u), 1 - (u - closing - hold) / opening],
            0.0,
        )
        closure = np.maximum(closure, shape)
        start += duration + hold + float(np.clip(rng.gamma(4.0, 0.85), 1.8, 6.0))
    return closure.astype(np.float32)
