"""The eight MEAD emotions as FACS-based recipes in ARKit blendshapes, and their voices.

Each recipe lists the action units of the prototypical expression (Ekman & Friesen's FACS,
EMFACS prototypes) written as the ARKit channels that implement them, at full strength
(intensity 3). Intensities 1 and 2 scale the recipe down. Intensity 3 is deliberately strong:
the MediaPipe tracker reads the rig non-linearly (a smile shows only above about 0.6 rig), and
the classes must stay separable through it. Every pair of emotions differs in at least one
strong channel: fear vs surprise by the stretched lips and drawn brows, disgust vs anger by the
raised upper lip and the absent lid tightening, contempt by being one-sided.
"""

from __future__ import annotations

import numpy as np

from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.synth.voice import Prosody

EMOTIONS: tuple[str, ...] = (
    "neutral",
    "angry",
    "contempt",
    "disgusted",
    "fear",
    "happy",
    "sad",
    "surprised",
)
INTENSITIES: tuple[int, ...] = (1, 2, 3)

# Fraction of the full recipe shown at each intensity: 1 is subtle, 3 is the full expression.
INTENSITY_SCALE: dict[int, float] = {1: 0.4, 2: 0.7, 3: 1.0}


def _both(name: str, value: float) -> dict[str, float]:
    """A symmetric action: the Left and Right ARKit channels of `name` at the same value."""
    return {f"{name}Left": value, f"{name}Right": value}


# Full-strength recipes (intensity 3). Comments give the FACS action units.
RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "angry": {
        **_both("browDown", 1.0),  # AU4 brow lowerer
        **_both("eyeSquint", 1.0),  # AU7 lid tightener
        **_both("mouthPress", 1.0),  # AU23/24 lip tightener / presser
        "mouthRollLower": 0.35,  # pressed lips thin out (AU24)
        "mouthRollUpper": 0.35,
        **_both("noseSneer", 0.5),  # AU9 (mild), common in anger displays
        "mouthShrugLower": 0.6,  # AU17 chin raiser, pushes the pressed lower lip up
    },
    "contempt": {
        # AU12 + AU14 on one side only (R14 in FACS; here the subject's left, +x).
        "mouthSmileLeft": 0.85,
        "mouthDimpleLeft": 0.8,
        "cheekSquintLeft": 0.25,
        "mouthPressLeft": 0.3,
    },
    "disgusted": {
        **_both("noseSneer", 1.0),  # AU9 nose wrinkler
        **_both("mouthUpperUp", 1.0),  # AU10 upper lip raiser
        **_both("browDown", 0.5),  # AU4
        **_both("mouthFrown", 0.35),  # AU15 lip corner depressor
        **_both("cheekSquint", 0.6),  # AU6 pushed up by AU9
        "mouthShrugUpper": 0.4,
    },
    "fear": {
        "browInnerUp": 0.9,  # AU1
        **_both("browOuterUp", 0.35),  # AU2 (weaker than in surprise)
        **_both("browDown", 0.3),  # AU4: the drawn-together fearful brow
        **_both("eyeWide", 0.8),  # AU5 upper lid raiser
        **_both("mouthStretch", 1.0),  # AU20 lip stretcher
        "jawOpen": 0.08,  # AU25/26, slight
    },
    "happy": {
        **_both("mouthSmile", 1.0),  # AU12 lip corner puller
        **_both("cheekSquint", 0.7),  # AU6 cheek raiser (Duchenne)
        **_both("eyeSquint", 0.45),  # AU6 narrows the eyes
        **_both("mouthDimple", 0.2),
    },
    "sad": {
        "browInnerUp": 0.9,  # AU1 inner brow raiser
        **_both("browDown", 0.35),  # AU4: the oblique sad brow
        **_both("mouthFrown", 0.85),  # AU15 lip corner depressor
        "mouthShrugLower": 0.7,  # AU17 chin raiser
        **_both("eyeSquint", 0.15),
        **_both("eyeLookDown", 0.25),  # gaze drops
    },
    "surprised": {
        "browInnerUp": 0.9,  # AU1
        **_both("browOuterUp", 0.9),  # AU2 outer brow raiser
        **_both("eyeWide", 0.9),  # AU5
        "jawOpen": 0.35,  # AU26 jaw drop
        "mouthFunnel": 0.15,  # the rounded "oh" of surprise
    },
}

# Prosody at full intensity, from the vocal-affect literature (Scherer 2003; Banse & Scherer
# 1996): anger and fear raise pitch, loudness and rate; sadness lowers pitch, narrows the range,
# slows and softens; happiness raises pitch and widens the range; disgust and contempt are
# slower and lower. pitch_shift is in eSpeak pitch units (0..100).
PROSODY: dict[str, Prosody] = {
    "neutral": Prosody(),
    "angry": Prosody(pitch_shift=8, pitch_range_scale=1.35, rate_scale=1.10, volume_scale=1.35),
    "contempt": Prosody(pitch_shift=-6, pitch_range_scale=0.85, rate_scale=0.90, volume_scale=0.9),
    "disgusted": Prosody(pitch_shift=-8, pitch_range_scale=1.1, rate_scale=0.85, volume_scale=1.0),
    "fear": Prosody(pitch_shift=14, pitch_range_scale=0.8, rate_scale=1.15, volume_scale=0.95),
    "happy": Prosody(pitch_shift=12, pitch_range_scale=1.45, rate_scale=1.08, volume_scale=1.15),
    "sad": Prosody(pitch_shift=-10, pitch_range_scale=0.55, rate_scale=0.80, volume_scale=0.75),
    "surprised": Prosody(pitch_shift=16, pitch_range_scale=1.6, rate_scale=1.0, volume_scale=1.2),
}


def _check(emotion: str, intensity: int) -> None:
    if emotion not in RECIPES:
        raise ValueError(f"unknown emotion {emotion!r}; use one of {', '.join(EMOTIONS)}")
    allowed = (1,) if emotion == "neutral" else INTENSITIES
    if intensity not in allowed:
        raise ValueError(f"{emotion} has intensities {allowed}, got {intensity!r}")


def emotion_conditions() -> list[tuple[str, int]]:
    """The 22 (emotion, intensity) pairs of the corpus, MEAD order: neutral once, others 1–3."""
    return [(e, i) for e in EMOTIONS for i in ((1,) if e == "neutral" else INTENSITIES)]


def emotion_blendshapes(emotion: str, intensity: int) -> np.ndarray:
    """(52,) float32 rig values of the expression, in MediaPipe order, within [0, 1]."""
    _check(emotion, intensity)
    values = np.zeros(N_BLENDSHAPES, np.float32)
    scale = INTENSITY_SCALE[intensity]
    for name, value in RECIPES[emotion].items():
        values[BLENDSHAPE_INDEX[name]] = value * scale
    return np.clip(values, 0.0, 1.0)


def emotion_prosody(emotion: str, intensity: int) -> Prosody:
    """How the emotion bends the voice: the full-intensity change scaled toward neutral."""
    _check(emotion, intensity)
    full, scale = PROSODY[emotion], INTENSITY_SCALE[intensity]

    def toward(value: float, rest: float) -> float:
        return rest + (value - rest) * scale

    return Prosody(
        pitch_shift=toward(full.pitch_shift, 0.0),
        pitch_range_scale=toward(full.pitch_range_scale, 1.0),
        rate_scale=toward(full.rate_scale, 1.0),
        volume_scale=toward(full.volume_scale, 1.0),
    )
