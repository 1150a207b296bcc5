"""Drive a fitted person with other audio or another expression, and film it: the per-frame
codes of a driving request, and the orbit video (the camera sweeps around the talking head).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media import Audio, audio_from_array, is_silent, write_video
from studio.papers.nerf.conditioning import audio_codes
from studio.papers.nerf.render import FittedNerf, NerfRenderer, Quality, View
from studio.speech import FPS, SAMPLE_RATE, n_video_frames_for, synthesize
from studio.synth.emotions import emotion_prosody
from studio.synth.identity import sample_identity
from studio.synth.voice import speak

MAX_TEXT_CHARS = 600


@dataclass
class Drive:
    """Per-frame codes (T, 64) and the audio they were made from."""

    audio_codes: np.ndarray
    expression_codes: np.ndarray
    audio: Audio

    @property
    def n_frames(self) -> int:
        return len(self.audio_codes)


def speech_for(fitted: FittedNerf, text: str, emotion: str = "neutral") -> Audio:
    """`text` spoken in the fitted SynthTalk person's own voice, with the emotion's prosody."""
    text = (text or "").strip()
    if not text:
        raise StudioError("Type something to say, or give an audio file")
    if len(text) > MAX_TEXT_CHARS:
        raise StudioError(f"The text is {len(text)} characters; keep it under {MAX_TEXT_CHARS}")
    preset = fitted.card["data"]["preset_config"]
    if "identity_id" in preset:  # a SynthTalk person: their own voice and the emotion's prosody
        person = sample_identity(preset["identity_id"], preset["corpus_seed"])
        prosody = emotion_prosody(emotion, 1 if emotion == "neutral" else 3)
        speech = speak(text, person.voice, prosody)
    else:  # a user's clip: eSpeak's default voice (the field follows the audio, not the voice)
        speech = synthesize(text)
    if len(speech.samples) == 0 or is_silent(speech.samples):
        raise StudioError(f"'{text[:40]}' makes no sound when spoken — type words to say")
    return audio_from_array(speech.samples, SAMPLE_RATE, name="the typed text")


def drive(
    fitted: FittedNerf,
    audio: Audio,
    emotion: str | None = "neutral",
    expression_code: np.ndarray | None = None,
    n_frames: int | None = None,
) -> Drive:
    """Codes for `audio` (16 kHz mono) with a held expression: `expression_code` when given,
    else the fitted clip's mean code for `emotion`; n_frames defaults to the audio's length."""
    if is_silent(audio.samples):
        raise StudioError("The driving audio is silent — there is nothing to lip-sync to")
    n = n_frames or n_video_frames_for(len(audio.samples) / SAMPLE_RATE, FPS)
    a = audio_codes(audio.samples, n)
    e = expression_code if expression_code is not None else fitted.emotion_code(emotion or "")
    return Drive(a, np.repeat(np.asarray(e, np.float32)[None], n, 0), audio)


def clip_drive(fitted: FittedNerf, start: int = 0, n: int | None = None) -> Drive:
    """The fitted clip's own codes and audio from frame `start` (n frames, default all)."""
    n = fitted.n_frames - start if n is None else n
    audio = fitted.audio[int(start * SAMPLE_RATE / FPS) : int((start + n) * SAMPLE_RATE / FPS)]
    return Drive(
        fitted.audio_codes[start : start + n],
        fitted.expression_codes[start : start + n],
        audio_from_array(audio, SAMPLE_RATE, name="the fitted clip"),
    )


def orbit_yaws(n: int, max_yaw: float = 35.0, turns: float = 1.0) -> np.ndarray:
    """Camera yaw per frame: a smooth back-and-forth sweep over ±max_yaw."""
    t = np.arange(n) / max(n - 1, 1)
    return max_yaw * np.sin(2 * np.pi * turns * t)


def ping_pong(t: int, n: int) -> int:
    """Frame t of a walk forth and back through n frames (AD-NeRF plays its torso and
    background frames this way when the audio outlasts the clip)."""
    if n < 2:
        return 0
    k = t % (2 * n - 2)
    return k if k < n else 2 * n - 2 - k


def render_orbit(
    renderer: NerfRenderer,
    drive_: Drive,
    pitch: float = 0.0,
    max_yaw: float = 35.0,
    quality: Quality = Quality.FULL,
    done: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(T, S, S, 3) frames of the driven head as the camera orbits it: a SynthTalk fit's head
    held still; a user clip's head as in its plates, played forth and back, over them."""
    yaws = orbit_yaws(drive_.n_frames, max_yaw)
    fitted = renderer.fitted
    frames = []
    for t in range(drive_.n_frames):
        view = View(yaw=float(yaws[t]), pitch=pitch)
        plate = None
        if fitted.is_user_clip:  # the head as in its plate's frame, over that frame
            k = ping_pong(t, fitted.n_frames)
            view.pose6, plate = fitted.pose6[k], fitted.plate(k)
        frames.append(
            renderer.render(view, drive_.audio_codes[t], drive_.expression_codes[t], quality, plate)
        )
        if done is not None:
            done(t + 1, drive_.n_frames)
    return np.stack(frames)


def write_orbit(path: str | Path, frames: np.ndarray, audio: Audio) -> Path:
    """An H.264 mp4 at 25 fps with the driving audio as AAC."""
    return write_video(path, frames, fps=FPS, audio=audio)
