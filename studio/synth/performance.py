"""A performance: one identity says one sentence with one emotion; every per-frame factor.

`perform` joins the parts of SynthTalk's actor: the voice (bent by the emotion's prosody),
the mouth (visemes with coarticulation and vocal effort), the emotion's expression, blinks and
speech-driven head motion. The renderer turns a performance into frames; the corpus stores it
as ground truth.

The emotion is *held throughout* the clip (as MEAD's actors hold it from before they speak),
so every frame carries its clip's emotion label; it breathes by a few percent, slowly, so the
face is never frozen. Emotion and speech share the mouth: speech channels add to the
expression, lip seals of the expression (press, roll, close) give way as the jaw opens, and
rounding for /u/ relaxes a smile, so both stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.face.records import BLENDSHAPE_INDEX
from studio.speech import (
    FPS,
    SAMPLE_RATE,
    PhonemeEvent,
    frame_energy,
    frame_phoneme_indices,
    n_video_frames_for,
    phoneme_to_viseme,
)
from studio.synth.articulation import mouth_track
from studio.synth.emotions import emotion_blendshapes, emotion_prosody
from studio.synth.motion import MotionStyle, blinks, head_motion, smooth
from studio.synth.voice import VoiceStyle, speak

SILENCE = "_"
EMOTION_BREATH = 0.05  # relative slow variation of the held expression
_JAW = BLENDSHAPE_INDEX["jawOpen"]
_PUCKER = BLENDSHAPE_INDEX["mouthPucker"]
_SEALS = [
    BLENDSHAPE_INDEX[n]
    for n in ("mouthPressLeft", "mouthPressRight", "mouthClose", "mouthRollLower", "mouthRollUpper")
]
_SMILES = [BLENDSHAPE_INDEX[n] for n in ("mouthSmileLeft", "mouthSmileRight")]
_BLINKS = [BLENDSHAPE_INDEX[n] for n in ("eyeBlinkLeft", "eyeBlinkRight")]
_WIDE = [BLENDSHAPE_INDEX[n] for n in ("eyeWideLeft", "eyeWideRight")]


@dataclass
class Performance:
    """Everything a clip shows, per video frame (T frames at `fps`).

    audio: (n,) float32, 16 kHz mono. blendshapes: (T, 52) rig values in [0, 1], MediaPipe
    order. pose6: (T, 6) yaw, pitch, roll (deg), tx, ty, tz (cm). phonemes: eSpeak events
    (times in s). frame_phoneme / frame_viseme: what sounds at each frame's time t / fps
    ("_" / "sil" in pauses).
    """

    audio: np.ndarray
    fps: float
    blendshapes: np.ndarray
    pose6: np.ndarray
    phonemes: list[PhonemeEvent]
    frame_phoneme: list[str]
    frame_viseme: list[str]
    text: str
    emotion: str
    intensity: int

    @property
    def n_frames(self) -> int:
        return len(self.blendshapes)

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def combine_face(emotion: np.ndarray, mouth: np.ndarray, closure: np.ndarray) -> np.ndarray:
    """(T, 52) rig values: held expression (T, 52) + speech mouth (T, 52) + eyelids (T,)."""
    face = emotion + mouth
    jaw = mouth[:, _JAW : _JAW + 1]
    face[:, _SEALS] = emotion[:, _SEALS] * (1 - np.clip(2 * jaw, 0, 1)) + mouth[:, _SEALS]
    face[:, _SMILES] = emotion[:, _SMILES] * (1 - 0.5 * mouth[:, _PUCKER : _PUCKER + 1])
    face[:, _BLINKS] = np.maximum(face[:, _BLINKS], closure[:, None])
    face[:, _WIDE] *= 1 - closure[:, None]
    return np.clip(face, 0.0, 1.0).astype(np.float32)


def _held_emotion(
    emotion: str, intensity: int, n_frames: int, rng: np.random.Generator, fps: float
):
    """(T, 52) the expression, held, with a slow few-percent breathing of its strength."""
    base = emotion_blendshapes(emotion, intensity)
    wobble = smooth(rng.standard_normal(n_frames + 2 * int(fps)), 0.8, fps)[:n_frames]
    wobble = wobble / max(float(np.abs(wobble).max()), 1e-6) * EMOTION_BREATH
    return base[None, :] * (1 + wobble[:, None])


def frame_labels(
    phonemes: list[PhonemeEvent], n_frames: int, fps: float
) -> tuple[list[str], list[str]]:
    """Phoneme and viseme at each frame's time; pauses and uncovered frames are silence."""
    idx = frame_phoneme_indices(phonemes, n_frames, fps)
    symbols = [SILENCE if i < 0 or phonemes[i].is_pause else phonemes[i].symbol for i in idx]
    return symbols, [("sil" if s == SILENCE else phoneme_to_viseme(s)) for s in symbols]


def perform(
    text: str,
    emotion: str,
    intensity: int,
    voice: VoiceStyle,
    motion: MotionStyle,
    rng: np.random.Generator,
    fps: float = FPS,
) -> Performance:
    """Speak `text` in `voice` with the emotion, and animate face and head to match.

    T = ceil(duration * fps) frames cover the whole audio. The audio depends only on text,
    voice and emotion (a parallel corpus across seeds); the expression's breathing, blinks and
    head motion come from `rng`, so the same generator state gives the same performance.
    """
    prosody = emotion_prosody(emotion, intensity)
    speech = speak(text, voice, prosody)
    n_frames = n_video_frames_for(speech.duration, fps)
    energy = frame_energy(speech.samples, n_frames, fps)
    mouth = mouth_track(speech.phonemes, n_frames, fps, prosody.rate_scale, energy_db=energy)
    expression = _held_emotion(emotion, intensity, n_frames, rng, fps)
    closure = blinks(n_frames, rng, fps)
    pose6 = head_motion(speech, n_frames, motion, rng, fps)
    frame_phoneme, frame_viseme = frame_labels(speech.phonemes, n_frames, fps)
    return Performance(
        audio=speech.samples,
        fps=float(fps),
        blendshapes=combine_face(expression, mouth, closure),
        pose6=pose6,
        phonemes=list(speech.phonemes),
        frame_phoneme=frame_phoneme,
        frame_viseme=frame_viseme,
        text=speech.text,
        emotion=emotion,
        intensity=intensity,
    )
