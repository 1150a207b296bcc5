"""Talk — the paper's whole pipeline: identity + audio (or text) + head motion + emotion → a
talking clip, an mp4 with sound (`python -m studio talk`, the Talk tab, or from Python).

    result = talk(TalkRequest(identity=33, text="Hello there.", emotion="happy", intensity=2))
    result.write("hello.mp4")

The mouth comes from the audio (the rhythmic checkpoint's audio → mouth learner), the head
motion from the audio in the style of a reference clip of the person (its head-motion learner),
from a pose source (a tracked video's pose, looped or cut to length) or nothing (still). The
emotion is an emotion label + intensity (SynthTalk's recipe) or a JEAN expression code decoded
to blendshapes (the Expression interpolation tab's code). The renderer draws the frames: today
the SynthTalk rig (`RENDERERS`); the photo animator and the NeRF add theirs when they exist.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.face.records import N_BLENDSHAPES
from studio.media import Audio, audio_from_array, is_silent, write_video
from studio.papers.jean.model import load as load_jean
from studio.papers.rhythmic.data import MOUTH_CHANNELS, MOUTH_NAMES
from studio.papers.rhythmic.model import Rhythmic
from studio.papers.rhythmic.model import load as load_rhythmic
from studio.papers.rhythmic.renderers import RENDERERS, render_frames
from studio.speech import FPS, SAMPLE_RATE, frame_windows, log_mel, n_video_frames_for
from studio.synth.corpus import PRESETS
from studio.synth.emotions import EMOTIONS, emotion_blendshapes, emotion_prosody
from studio.synth.identity import Identity, sample_identity
from studio.synth.motion import blinks
from studio.synth.performance import combine_face, perform
from studio.synth.voice import speak

MOTIONS = ("predicted", "pose source", "still")
REFERENCE_TEXT = "Please say what you mean, and mean what you say, every single day."
MAX_TEXT_CHARS = 2000  # about two minutes of speech
MAX_SECONDS = 120.0


@dataclass
class TalkRequest:
    """What to make. identity: a SynthTalk person's id (None: the first held-out person).
    text or audio (16 kHz mono Audio): what is said. motion: "predicted" (from the audio, in
    the style of `reference_pose6` + `reference_audio`, or of the person's own reference
    sentence), "pose source" (`pose6` (T, 6), looped or cut), or "still". emotion + intensity,
    or `expression_code` (64,) of JEAN, which wins when given."""

    identity: int | None = None
    text: str | None = None
    audio: Audio | None = None
    motion: str = "predicted"
    pose6: np.ndarray | None = None
    reference_pose6: np.ndarray | None = None
    reference_audio: np.ndarray | None = None
    emotion: str = "neutral"
    intensity: int = 1
    expression_code: np.ndarray | None = None
    renderer: str = "synthtalk"
    size: int = 256
    seed: int = 0


@dataclass
class TalkResult:
    """frames (T, S, S, 3) uint8 at `fps`; audio; blendshapes (T, 52) and pose6 (T, 6) that
    drove them; mouth (T, 14) the audio's mouth alone; seconds per stage."""

    frames: np.ndarray
    audio: Audio
    fps: float
    blendshapes: np.ndarray
    pose6: np.ndarray
    mouth: np.ndarray
    identity: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.frames) / self.fps

    def write(self, path: str | Path) -> Path:
        """An H.264 mp4 with AAC sound."""
        return write_video(path, self.frames, fps=self.fps, audio=self.audio)


def default_identity() -> int:
    return PRESETS["default"].held_out_ids[0]


def check(request: TalkRequest) -> None:
    """Refuse a request that cannot be made, before any work, with what to change."""
    if request.renderer not in RENDERERS:
        raise StudioError(f"Renderer is one of {', '.join(RENDERERS)}, not '{request.renderer}'")
    if request.motion not in MOTIONS:
        raise StudioError(f"Head motion is one of {', '.join(MOTIONS)}, not '{request.motion}'")
    if request.emotion not in EMOTIONS:
        raise StudioError(f"Unknown emotion '{request.emotion}'; one of {', '.join(EMOTIONS)}")
    if _intensity(request) not in (1, 2, 3):
        raise StudioError("Intensity is 1, 2 or 3")
    if not 32 <= request.size <= 512:
        raise StudioError(f"Frame size is 32 to 512 pixels, not {request.size}")


def speech_of(request: TalkRequest, person: Identity) -> Audio:
    """The request's audio, or its text spoken in the person's voice with the emotion's
    prosody; a clear error for no text, too much text, or text that makes no sound."""
    if request.audio is not None:
        if is_silent(request.audio.samples):
            raise StudioError("The driving audio is silent — there is nothing to lip-sync to")
        return request.audio
    text = (request.text or "").strip()
    if not text:
        raise StudioError("Type something to say, or give an audio file")
    if len(text) > MAX_TEXT_CHARS:
        raise StudioError(f"The text is {len(text)} characters; keep it under {MAX_TEXT_CHARS}")
    prosody = emotion_prosody(request.emotion, _intensity(request))
    speech = speak(text, person.voice, prosody)
    if len(speech.samples) == 0 or is_silent(speech.samples):
        raise StudioError(f"'{text[:40]}' makes no sound when spoken — type words to say")
    return audio_from_array(speech.samples, SAMPLE_RATE, name="the typed text")


def speech_windows(request: TalkRequest, person: Identity) -> tuple[Audio, np.ndarray]:
    """The request's speech (`speech_of`, at most MAX_SECONDS) and the (T, 16, 80) log-mel
    window of each of its T video frames: what every renderer's Talk starts from."""
    audio = speech_of(request, person)
    if len(audio.samples) / SAMPLE_RATE > MAX_SECONDS:
        raise StudioError(f"The speech lasts over {MAX_SECONDS:.0f} s; give a shorter one")
    n = n_video_frames_for(len(audio.samples) / SAMPLE_RATE, FPS)
    return audio, frame_windows(log_mel(audio.samples), n)


def _intensity(request: TalkRequest) -> int:
    return 1 if request.emotion == "neutral" else int(request.intensity)


def expression_track(request: TalkRequest, n: int) -> np.ndarray:
    """(n, 52) the held expression: JEAN's decoded code (mouth channels left to the audio) or
    the emotion's SynthTalk recipe."""
    if request.expression_code is not None:
        code = np.asarray(request.expression_code, np.float32)
        if code.shape != (64,) or not np.isfinite(code).all():
            raise StudioError("An expression code is 64 finite numbers (JEAN's expression code)")
        jean = load_jean()
        face = jean.decode_blendshapes(np.zeros(64, np.float32), code)[0]
        face[MOUTH_CHANNELS] = 0.0  # the mouth is the audio's
    else:
        face = emotion_blendshapes(request.emotion, _intensity(request))
    return np.repeat(np.clip(face, 0, 1)[None].astype(np.float32), n, axis=0)


def reference_of(request: TalkRequest, person: Identity) -> tuple[np.ndarray, np.ndarray]:
    """(pose6 (τ, 6), mel windows (τ, 16, 80)) of the motion reference: the given one, or the
    person speaking a fixed sentence in their own motion style (SynthTalk knows it)."""
    if request.reference_pose6 is not None and request.reference_audio is not None:
        pose = np.asarray(request.reference_pose6, np.float32)
        ok = np.isfinite(pose).all(1)
        if ok.sum() < 8:
            raise StudioError("The pose source has fewer than 8 tracked frames to learn a style")
        mel = frame_windows(log_mel(np.asarray(request.reference_audio, np.float32)), len(pose))
        return pose[ok], mel[ok]
    return _own_reference(person.identity_id, request.seed)


@functools.lru_cache(maxsize=16)
def _own_reference(identity_id: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A SynthTalk person saying REFERENCE_TEXT in their own motion style (made once)."""
    person = sample_identity(identity_id)
    rng = np.random.default_rng(seed + 7)
    perf = perform(REFERENCE_TEXT, "neutral", 1, person.voice, person.motion, rng)
    return perf.pose6, frame_windows(log_mel(perf.audio), perf.n_frames)


def motion_track(
    request: TalkRequest, person: Identity, mel: np.ndarray, model: Rhythmic
) -> np.ndarray:
    """(n, 6) head pose for n = len(mel) frames."""
    n = len(mel)
    if request.motion == "still":
        return np.zeros((n, 6), np.float32)
    if request.motion == "pose source":
        if request.pose6 is None or not np.isfinite(request.pose6).all(1).any():
            raise StudioError("No pose source loaded — load one in the Sources tab")
        pose = np.asarray(request.pose6, np.float32)
        pose = pose[np.isfinite(pose).all(1)]
        return pose[np.arange(n) % len(pose)]  # looped when shorter than the speech
    ref_pose, ref_mel = reference_of(request, person)
    return model.predict_motion(ref_pose, ref_mel, mel).astype(np.float32)


def talk(
    request: TalkRequest,
    model: Rhythmic | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> TalkResult:
    """Make the clip. `progress(fraction, what)` is called as the stages go."""
    tell = progress or (lambda f, what: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    check(request)
    person = sample_identity(default_identity() if request.identity is None else request.identity)
    model = model or load_rhythmic()
    tell(0.0, "speech")
    audio, mel = speech_windows(request, person)
    n = len(mel)
    timings["speech"] = time.perf_counter() - t0
    tell(0.1, "mouth and head motion")
    t = time.perf_counter()
    if model.config.audio_input == "jean":
        mouth = model.predict_mouth(load_jean().audio_codes(mel))
    else:
        mouth = model.predict_mouth(mel)
    mouth52 = np.zeros((n, N_BLENDSHAPES), np.float32)
    mouth52[:, MOUTH_CHANNELS] = mouth
    closure = blinks(n, np.random.default_rng(request.seed), FPS)
    face = combine_face(expression_track(request, n), mouth52, closure)
    pose6 = motion_track(request, person, mel, model)
    timings["animation"] = time.perf_counter() - t
    t = time.perf_counter()

    def frame_done(i: int) -> None:
        tell(0.15 + 0.8 * (i + 1) / n, f"rendering frame {i + 1} of {n}")

    frames = render_frames(request.renderer, person, face, pose6, request.size, frame_done)
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    tell(1.0, "done")
    return TalkResult(frames, audio, FPS, face, pose6, mouth, person.identity_id, timings)


__all__ = ["MOUTH_NAMES", "MOTIONS", "TalkRequest", "TalkResult", "talk", "RENDERERS"]
