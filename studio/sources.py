"""Sources: the identity, driving audio, pose and emotion inputs a user brings to the studio.

Loading a source reads the file, checks it (clear `StudioError`s for bad input), tracks the
face and computes what the tabs show. The Sources tab, the CLI and Python users all call these.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.face import FaceTrack, draw_face, smooth_track, track_frames, track_image
from studio.face.records import FaceFrame
from studio.media import Audio, fit_within, read_audio, read_image, read_video, to_rgb_uint8
from studio.media.video import browser_playable, write_video
from studio.speech import Speech, log_mel, synthesize

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
MAX_SOURCE_SIDE = 512  # frames are tracked and kept at this size: enough for 128-256² models
MAX_SOURCE_SECONDS = 20.0  # a session keeps the frames in memory
MAX_AUDIO_SECONDS = 60.0
SHORT_AUDIO_SECONDS = 0.5  # shorter driving audio is loaded with a note: a few frames only


@dataclass
class FaceSource:
    """A face image or clip with its track. frames (T, H, W, 3) uint8 RGB; T = 1 for an image."""

    role: str
    name: str
    frames: np.ndarray
    fps: float
    track: FaceTrack
    audio: Audio | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_image(self) -> bool:
        return len(self.frames) == 1

    def overlay(self, t: int = 0) -> np.ndarray:
        """Frame t with the tracked landmarks drawn on it."""
        t = int(np.clip(t, 0, len(self.frames) - 1))
        return draw_face(self.frames[t], self.track.frame(t))


@dataclass
class AudioSource:
    """Driving audio with its log-mel features (and phoneme events when it was synthesised)."""

    name: str
    audio: Audio
    mel: np.ndarray
    speech: Speech | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Sources:
    """What a session has loaded so far; later tabs read it."""

    identity: FaceSource | None = None
    audio: AudioSource | None = None
    pose: FaceSource | None = None
    emotion: FaceSource | None = None


def _describe_faces(track: FaceTrack, role: str, name: str) -> list[str]:
    notes: list[str] = []
    found = int(track.found.sum())
    if found == 0:
        raise StudioError(
            f"No face found in the {role} '{name}' — use a picture or clip with one "
            "clearly visible face."
        )
    if len(track) > 1 and found < len(track):
        notes.append(f"The face was found in {found} of {len(track)} frames of '{name}'.")
    most = int(track.n_faces.max())
    if most > 1:
        notes.append(f"'{name}' shows {most} faces; the studio follows the largest one.")
    return notes


def load_face_source(
    path: str | Path,
    role: str = "identity",
    backend: str = "mediapipe",
    smooth_sigma: float = 0.0,
    max_seconds: float = MAX_SOURCE_SECONDS,
    progress=None,
) -> FaceSource:
    """Read and track an image or a video. `role` names it in messages ("pose source", ...)."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() in IMAGE_SUFFIXES:
        rgb = fit_within(read_image(path), MAX_SOURCE_SIDE)
        frame = track_image(rgb, backend=backend)
        track = FaceTrack.stack(
            [frame],
            fps=25.0,
            image_size=rgb.shape[:2],
            backend=backend,
            provides=_provides(backend),
        )
        frames, fps, audio = rgb[None], 25.0, None
    else:
        video = read_video(path, max_seconds=max_seconds, max_side=MAX_SOURCE_SIDE)
        track = track_frames(iter(video.frames), fps=video.fps, backend=backend, progress=progress)
        if smooth_sigma > 0:
            track = smooth_track(track, smooth_sigma)
        frames, fps, audio = video.frames, video.fps, video.audio
    notes = _describe_faces(track, role, name)
    for note in notes:
        log.warning(note)
    return FaceSource(
        role=role, name=name, frames=frames, fps=fps, track=track, audio=audio, notes=notes
    )


def playable_preview(path: str | Path, source: FaceSource) -> Path | None:
    """For a video a browser cannot play as uploaded (e.g. OpenCV's default mp4v), an H.264
    copy of the loaded frames with their sound, so the upload box shows what was tracked;
    None for images and playable videos."""
    import tempfile

    if source.is_image or browser_playable(path):
        return None
    out = Path(tempfile.mkdtemp(prefix="studio_preview_")) / f"{Path(path).stem}.mp4"
    return write_video(out, source.frames, fps=source.fps, audio=source.audio)


def _provides(backend: str) -> tuple[str, ...]:
    from studio.face.tracker import MEDIAPIPE_PROVIDES

    if backend == "mediapipe":
        return MEDIAPIPE_PROVIDES
    from studio.face.fan_backend import FaceAlignmentBackend

    return FaceAlignmentBackend.provides


def load_audio_source(path: str | Path) -> AudioSource:
    """Read driving audio (any common format, rate and channel count) as 16 kHz mono."""
    audio = read_audio(path, max_seconds=MAX_AUDIO_SECONDS)
    name = Path(path).name
    notes = [note] if (note := conversion_note(audio, name)) else []
    if audio.duration < SHORT_AUDIO_SECONDS:
        frames = max(1, round(audio.duration * 25))
        notes.append(
            f"'{name}' is only {audio.duration * 1000:.0f} ms long: about {frames} video "
            "frame(s) of speech at 25 fps."
        )
    return AudioSource(name=name, audio=audio, mel=log_mel(audio.samples), notes=notes)


def conversion_note(audio: Audio, name: str) -> str | None:
    """What reading `name` changed (rate, channels), in words; None when nothing was."""
    if audio.source_rate == audio.sample_rate and audio.source_channels == 1:
        return None
    was = f"{audio.source_rate / 1000:g} kHz {_channels(audio.source_channels)}"
    return (
        f"'{name}' was converted from {was} to {audio.sample_rate / 1000:g} kHz mono, the "
        "audio the models read."
    )


def _channels(n: int) -> str:
    return {1: "mono", 2: "stereo"}.get(n, f"{n}-channel")


def speak_source(text: str, voice: str = "en-us") -> AudioSource:
    """Synthesise driving audio from text with eSpeak NG (phoneme timings included)."""
    speech = synthesize(text, voice=voice)
    audio = Audio(
        samples=speech.samples,
        sample_rate=speech.sample_rate,
        source_rate=speech.sample_rate,
        source_channels=1,
        path=None,
    )
    return AudioSource(
        name=f"“{text[:40]}”", audio=audio, mel=log_mel(speech.samples), speech=speech
    )


def track_still(rgb: np.ndarray, backend: str = "mediapipe") -> FaceFrame:
    """Track one in-memory image (any dtype/channels), e.g. from the Python API."""

    return track_image(to_rgb_uint8(rgb), backend=backend)
