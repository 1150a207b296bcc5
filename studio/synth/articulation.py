"""Phonemes to mouth motion: viseme targets blended by coarticulation (Cohen & Massaro 1993).

A mouth never jumps from one viseme to the next. In the Cohen–Massaro model every speech
segment pulls each articulator toward its target with a *dominance* that rises before the
segment (anticipation), holds during it and decays after it (carry-over); the articulator's
value at any time is the dominance-weighted mean of all targets. Segments differ in how much
they care about an articulator: /p b m/ must close the lips, /f v/ must tuck the lower lip,
vowels own the jaw, while /t d n k/ barely constrain the lips, so rounding from a coming /u/
spreads back across them (look-ahead: "st" in "stew" is already rounded). Pauses dominate
everything with a closed, relaxed mouth.

Articulators are grouped (jaw, rounding, spreading, lip closure); each group has its own
dominance per viseme and its own anticipation and carry-over time constants (rounding looks
furthest ahead). Stressed vowels open wider, unstressed ones less, so the jaw follows the
loudness of the speech (checked in the tests against the audio's energy envelope).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.speech import FPS, VISEMES, PhonemeEvent, phoneme_to_viseme


@dataclass(frozen=True)
class Articulator:
    """A group of rig channels moved together, with its coarticulation time constants (s)."""

    channels: tuple[str, ...]
    look_ahead: float  # anticipation: how early a coming segment starts to pull
    carry_over: float  # how long a past segment keeps pulling


ARTICULATORS: dict[str, Articulator] = {
    "jaw": Articulator(
        (
            "jawOpen",
            "mouthLowerDownLeft",
            "mouthLowerDownRight",
            "mouthUpperUpLeft",
            "mouthUpperUpRight",
        ),
        look_ahead=0.035,
        carry_over=0.03,
    ),
    "round": Articulator(("mouthFunnel", "mouthPucker"), look_ahead=0.15, carry_over=0.08),
    "spread": Articulator(
        ("mouthStretchLeft", "mouthStretchRight"), look_ahead=0.08, carry_over=0.06
    ),
    "seal": Articulator(
        ("mouthClose", "mouthPressLeft", "mouthPressRight", "mouthRollLower", "mouthRollUpper"),
        look_ahead=0.05,
        carry_over=0.04,
    ),
}
MOUTH_CHANNELS: tuple[str, ...] = tuple(c for a in ARTICULATORS.values() for c in a.channels)
_CHANNEL_GROUP: dict[str, str] = {c: g for g, a in ARTICULATORS.items() for c in a.channels}


def _pair(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


# Where each viseme puts the mouth (rig values; unlisted mouth channels are 0).
# mouthClose is ARKit's "lips together although the jaw is open"; it is capped by jawOpen.
_TARGETS: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {
        "jawOpen": 0.02,
        "mouthClose": 0.6,
        **_pair("mouthPress", 0.35),
        "mouthRollLower": 0.1,
        "mouthRollUpper": 0.1,
    },
    "FF": {"jawOpen": 0.06, "mouthRollLower": 0.6, **_pair("mouthUpperUp", 0.2)},
    "TH": {"jawOpen": 0.08, **_pair("mouthLowerDown", 0.15), **_pair("mouthUpperUp", 0.1)},
    "DD": {"jawOpen": 0.08, **_pair("mouthLowerDown", 0.1), **_pair("mouthStretch", 0.1)},
    "kk": {"jawOpen": 0.1, **_pair("mouthLowerDown", 0.1), **_pair("mouthStretch", 0.1)},
    "CH": {
        "jawOpen": 0.08,
        "mouthFunnel": 0.5,
        "mouthPucker": 0.2,
        **_pair("mouthUpperUp", 0.15),
        **_pair("mouthLowerDown", 0.15),
    },
    "SS": {
        "jawOpen": 0.04,
        **_pair("mouthStretch", 0.3),
        **_pair("mouthUpperUp", 0.15),
        **_pair("mouthLowerDown", 0.15),
    },
    "nn": {"jawOpen": 0.14, **_pair("mouthLowerDown", 0.1)},
    "RR": {"jawOpen": 0.2, "mouthFunnel": 0.3, "mouthPucker": 0.3},
    "aa": {
        "jawOpen": 0.7,
        **_pair("mouthLowerDown", 0.35),
        **_pair("mouthUpperUp", 0.15),
        **_pair("mouthStretch", 0.1),
    },
    "E": {
        "jawOpen": 0.52,
        **_pair("mouthLowerDown", 0.25),
        **_pair("mouthUpperUp", 0.1),
        **_pair("mouthStretch", 0.3),
    },
    "ih": {
        "jawOpen": 0.42,
        **_pair("mouthLowerDown", 0.15),
        **_pair("mouthUpperUp", 0.15),
        **_pair("mouthStretch", 0.45),
    },
    "oh": {"jawOpen": 0.58, "mouthFunnel": 0.6, "mouthPucker": 0.2, **_pair("mouthLowerDown", 0.1)},
    "ou": {"jawOpen": 0.4, "mouthPucker": 0.75, "mouthFunnel": 0.35},
}

# How strongly each viseme holds each articulator (Cohen–Massaro dominance magnitude).
_VOWEL = {"jaw": 1.0, "round": 0.6, "spread": 0.8, "seal": 0.5}
_LOOSE = {"jaw": 0.9, "round": 0.2, "spread": 0.4, "seal": 0.5}  # t d n k th: lips borrow
_DOMINANCE: dict[str, dict[str, float]] = {
    "sil": {"jaw": 1.0, "round": 1.0, "spread": 1.0, "seal": 1.0},
    "PP": {"jaw": 2.0, "round": 0.3, "spread": 0.3, "seal": 3.0},
    "FF": {"jaw": 1.2, "round": 0.3, "spread": 0.3, "seal": 2.5},
    "TH": _LOOSE,
    "DD": _LOOSE,
    "kk": _LOOSE,
    "nn": _LOOSE,
    "CH": {"jaw": 0.7, "round": 1.5, "spread": 0.6, "seal": 0.5},
    "RR": {"jaw": 0.7, "round": 1.5, "spread": 0.6, "seal": 0.5},
    "SS": {"jaw": 1.0, "round": 0.4, "spread": 0.8, "seal": 0.5},
    "aa": _VOWEL,
    "E": _VOWEL,
    "ih": _VOWEL,
    "oh": {**_VOWEL, "round": 1.5},
    "ou": {**_VOWEL, "round": 1.5},
}
VOWEL_VISEMES = frozenset({"aa", "E", "ih", "oh", "ou"})
# Jaw-group gain by eSpeak stress (0 none, 1 secondary, 2 primary): stressed vowels open wider.
STRESS_GAIN = {0: 0.92, 1: 1.0, 2: 1.12}
# eSpeak marks a stop at its release burst; its silent closure (30-40 ms) lies before the event,
# inside the previous phoneme. The articulators close at the closure, so stops start earlier.
STOPS = frozenset({"p", "b", "t", "d", "k", "g", "tS", "dZ", "t#", "d#", "t2", "?"})
STOP_CLOSURE_LEAD = 0.035
STOP_JAW_DOMINANCE = 2.0
SHAPE_EXPONENT = 2.0  # c in exp(-(d / tau) ** c): 2 gives smooth, bell-like attack and release
EFFORT_GAIN = 0.5  # jaw gain spread between the quietest and loudest syllables
OVERSAMPLE = 8  # sub-samples per video frame, averaged over the frame period


def viseme_targets(viseme: str) -> dict[str, float]:
    """Rig value of every mouth channel (MOUTH_CHANNELS) for a held viseme."""
    if viseme not in _TARGETS:
        raise ValueError(f"unknown viseme {viseme!r}; use one of {', '.join(VISEMES)}")
    return {c: _TARGETS[viseme].get(c, 0.0) for c in MOUTH_CHANNELS}


@dataclass
class _Segments:
    """Per phoneme: start/end (s), targets and dominance per mouth channel (N, C)."""

    starts: np.ndarray
    ends: np.ndarray
    targets: np.ndarray
    dominance: np.ndarray


def _segments(phonemes: Sequence[PhonemeEvent]) -> _Segments:
    groups = [_CHANNEL_GROUP[c] for c in MOUTH_CHANNELS]
    targets, dominance = [], []
    for p in phonemes:
        viseme = phoneme_to_viseme(p.symbol)
        target = np.array(list(viseme_targets(viseme).values()))
        if viseme in VOWEL_VISEMES:
            gain = STRESS_GAIN.get(p.stress, 1.0)
            target = np.where([g == "jaw" for g in groups], target * gain, target)
        targets.append(target)
        hold = _DOMINANCE[viseme]
        if p.symbol in STOPS:  # a full oral closure pins the jaw harder than /n l h/ do
            hold = {**hold, "jaw": max(hold["jaw"], STOP_JAW_DOMINANCE)}
        dominance.append([hold[g] for g in groups])
    starts = np.array([p.start for p in phonemes], np.float64)
    for i, p in enumerate(phonemes[1:], start=1):
        if p.symbol in STOPS:
            previous = phonemes[i - 1]
            starts[i] = max(p.start - STOP_CLOSURE_LEAD, (previous.start + previous.end) / 2)
    return _Segments(
        starts=starts,
        ends=np.array([p.end for p in phonemes], np.float64),
        targets=np.array(targets, np.float64).reshape(len(phonemes), len(MOUTH_CHANNELS)),
        dominance=np.array(dominance, np.float64).reshape(len(phonemes), len(MOUTH_CHANNELS)),
    )


def _blend(seg: _Segments, times: np.ndarray, rate_scale: float, chunk: int = 512) -> np.ndarray:
    """(len(times), C) dominance-weighted mean of the segment targets at the given times.

    Works through the times in chunks so long passages stay small in memory.
    """
    look_ahead = np.array([ARTICULATORS[_CHANNEL_GROUP[c]].look_ahead for c in MOUTH_CHANNELS])
    carry_over = np.array([ARTICULATORS[_CHANNEL_GROUP[c]].carry_over for c in MOUTH_CHANNELS])
    look_ahead, carry_over = look_ahead / rate_scale, carry_over / rate_scale
    rest = 1e-6  # a faint pull toward a closed mouth where no segment reaches
    out = np.empty((len(times), len(MOUTH_CHANNELS)))
    for i in range(0, len(times), chunk):
        t = times[i : i + chunk, None, None]
        before = np.maximum(seg.starts[None, :, None] - t, 0.0) / look_ahead
        after = np.maximum(t - seg.ends[None, :, None], 0.0) / carry_over
        # A time is before, inside (both 0) or after a segment: the sum is its scaled distance.
        weight = seg.dominance[None] * np.exp(-((before + after) ** SHAPE_EXPONENT))
        out[i : i + chunk] = (weight * seg.targets[None]).sum(axis=1) / (weight.sum(axis=1) + rest)
    return out


def vocal_effort(energy_db: np.ndarray, width: int = 3) -> np.ndarray:
    """(T,) jaw gain in [1 - EFFORT_GAIN / 2, 1 + EFFORT_GAIN / 2] from the frame loudness.

    Louder syllables are spoken with a wider jaw (vocal effort, the Lombard effect). Loudness
    is ranked within the clip (10th to 90th percentile), so the gain does not depend on a
    voice's overall level, and lightly smoothed so it shapes syllables, not single frames.
    """
    return 1.0 + EFFORT_GAIN * (loudness_level(energy_db, width) - 0.5)


def loudness_level(energy_db: np.ndarray, width: int = 3) -> np.ndarray:
    """(T,) frame loudness ranked within the clip: 0 at its 10th, 1 at its 90th percentile."""
    e = np.asarray(energy_db, np.float64)
    if len(e) >= width:
        e = np.convolve(np.pad(e, width // 2, mode="edge"), np.ones(width) / width, mode="valid")
    lo, hi = np.percentile(e, [10, 90])
    return np.clip((e - lo) / max(hi - lo, 1e-6), 0.0, 1.0)


def mouth_track(
    phonemes: Sequence[PhonemeEvent],
    n_frames: int,
    fps: float = FPS,
    rate_scale: float = 1.0,
    energy_db: np.ndarray | None = None,
) -> np.ndarray:
    """(n_frames, 52) float32 mouth blendshapes for the phonemes; other channels are 0.

    Frame t shows the mean over its frame period centred on t / fps (like the audio's frame
    energy), sampled OVERSAMPLE times, so short phonemes between frames still leave a trace.
    rate_scale > 1 (faster speech) shortens the coarticulation reach in time. energy_db, the
    audio's per-frame level (`studio.speech.frame_energy`), optionally scales the jaw by vocal
    effort; without it the track depends on the phonemes alone.
    """
    out = np.zeros((n_frames, N_BLENDSHAPES), np.float32)
    if n_frames <= 0 or not phonemes:
        return out
    if rate_scale <= 0:
        raise ValueError(f"rate_scale must be positive, got {rate_scale}")
    offsets = (np.arange(OVERSAMPLE) + 0.5) / OVERSAMPLE - 0.5
    times = (np.arange(n_frames)[:, None] + offsets[None, :]).ravel() / fps
    mouth = _blend(_segments(phonemes), times, rate_scale)
    mouth = mouth.reshape(n_frames, OVERSAMPLE, -1).mean(axis=1)
    if energy_db is not None:
        if len(energy_db) != n_frames:
            raise ValueError(f"energy_db has {len(energy_db)} frames, expected {n_frames}")
        jaw_group = [_CHANNEL_GROUP[c] == "jaw" for c in MOUTH_CHANNELS]
        mouth[:, jaw_group] *= vocal_effort(energy_db)[:, None]
    columns = [BLENDSHAPE_INDEX[c] for c in MOUTH_CHANNELS]
    out[:, columns] = np.clip(mouth, 0.0, 1.0)
    jaw, close = BLENDSHAPE_INDEX["jawOpen"], BLENDSHAPE_INDEX["mouthClose"]
    out[:, close] = np.minimum(out[:, close], out[:, jaw])  # lips cannot close past the teeth
    return out
