"""Face tracking: images and clips -> `FaceFrame` / `FaceTrack` records.

`track_image` and `track_frames` are the entry points; they pick a backend by name:
- "mediapipe" (default, offline): MediaPipe Face Landmarker from the bundled `.task` file —
  478 landmarks, 52 blendshapes and the head transform. IMAGE mode for stills, VIDEO mode
  (temporal tracking) for clips.
- "face-alignment": the FAN 68-point model, used only when its weights are already on disk;
  see `studio.face.fan_backend` for what it can and cannot fill in.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from studio.errors import StudioError
from studio.face.bundle import face_landmarker_task
from studio.face.geometry import normalise_landmarks, pose6_from_matrix
from studio.face.mesh import canonical_mesh
from studio.face.records import N_BLENDSHAPES, FaceFrame, FaceTrack

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging quiet
log = logging.getLogger(__name__)

MAX_FACES = 4
MEDIAPIPE_PROVIDES = ("landmarks", "canonical", "blendshapes", "pose", "pose6", "box")


class Backend(Protocol):
    name: str
    provides: tuple[str, ...]

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None) -> FaceFrame: ...

    def close(self) -> None: ...


def _largest(boxes: list[np.ndarray]) -> int:
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
    return int(np.argmax(areas))


@dataclass
class MediaPipeBackend:
    """MediaPipe Face Landmarker; `video=True` uses VIDEO mode (needs increasing timestamps)."""

    video: bool = False
    name: str = "mediapipe"
    provides: tuple[str, ...] = MEDIAPIPE_PROVIDES

    def __post_init__(self) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        mode = vision.RunningMode.VIDEO if self.video else vision.RunningMode.IMAGE
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=_model_bytes()),
            running_mode=mode,
            num_faces=MAX_FACES,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            min_face_detection_confidence=0.5,
            min_face_presence_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._landmarker = vision.FaceLandmarker.create_from_options(options)
        _open_landmarkers.append(self._landmarker)

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> FaceFrame:
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )
        if self.video:
            result = self._landmarker.detect_for_video(image, int(timestamp_ms or 0))
        else:
            result = self._landmarker.detect(image)
        if not result.face_landmarks:
            return FaceFrame(found=False)
        height, width = rgb.shape[:2]
        scale = np.array([width, height, width], dtype=np.float32)
        points = [
            np.array([[p.x, p.y, p.z] for p in face], dtype=np.float32) * scale
            for face in result.face_landmarks
        ]
        boxes = [np.concatenate([p[:, :2].min(0), p[:, :2].max(0)]) for p in points]
        best = _largest(boxes)
        landmarks = points[best]
        blend = np.array([c.score for c in result.face_blendshapes[best]], dtype=np.float32)
        if blend.shape != (N_BLENDSHAPES,):
            raise RuntimeError(f"MediaPipe returned {blend.shape[0]} blendshapes, expected 52")
        pose = np.asarray(result.facial_transformation_matrixes[best], dtype=np.float32)
        return FaceFrame(
            found=True,
            landmarks=landmarks,
            canonical=normalise_landmarks(landmarks, canonical_mesh().vertices),
            blendshapes=blend,
            pose=pose,
            pose6=pose6_from_matrix(pose),
            box=boxes[best].astype(np.float32),
            n_faces=len(points),
        )

    def close(self) -> None:
        if self._landmarker in _open_landmarkers:
            _open_landmarkers.remove(self._landmarker)
            self._landmarker.close()


_open_landmarkers: list = []
_model_lock = threading.Lock()
_model_cache: list[bytes] = []


def _model_bytes() -> bytes:
    with _model_lock:
        if not _model_cache:
            _model_cache.append(face_landmarker_task().read_bytes())
        return _model_cache[0]


@atexit.register
def _close_all() -> None:
    # Closing explicitly avoids MediaPipe's noisy destructor errors at interpreter exit.
    for landmarker in list(_open_landmarkers):
        landmarker.close()
    _open_landmarkers.clear()


BACKENDS = ("mediapipe", "face-alignment")
_image_backends: dict[str, Backend] = {}
_image_lock = threading.Lock()


def make_backend(name: str, video: bool) -> Backend:
    """A fresh backend; `video` asks for temporal tracking where the backend has it."""
    if name == "mediapipe":
        return MediaPipeBackend(video=video)
    if name == "face-alignment":
        from studio.face.fan_backend import FaceAlignmentBackend

        return FaceAlignmentBackend()
    raise StudioError(f"Unknown tracker backend '{name}'. Choose one of: {', '.join(BACKENDS)}.")


def track_image(rgb: np.ndarray, backend: str = "mediapipe") -> FaceFrame:
    """Track one still image (RGB uint8). Backends for stills are created once and reused."""
    with _image_lock:
        if backend not in _image_backends:
            _image_backends[backend] = make_backend(backend, video=False)
        return _image_backends[backend].detect(rgb, None)


def track_frames(
    frames: Iterable[np.ndarray],
    fps: float,
    backend: str = "mediapipe",
    image_size: tuple[int, int] | None = None,
    progress=None,
) -> FaceTrack:
    """Track a clip frame by frame with temporal tracking; `progress(i)` is called per frame."""
    tracker = make_backend(backend, video=True)
    records: list[FaceFrame] = []
    size = image_size
    try:
        for i, frame in enumerate(frames):
            size = size or frame.shape[:2]
            records.append(tracker.detect(frame, round(i * 1000.0 / fps)))
            if progress is not None:
                progress(i)
    finally:
        tracker.close()
    if not records:
        raise StudioError("The clip has no frames to track.")
    return FaceTrack.stack(
        records, fps=fps, image_size=tuple(size), backend=tracker.name, provides=tracker.provides
    )


def require_face(frame: FaceFrame, what: str) -> FaceFrame:
    """Raise a clear error when no face was found; note several faces in the log."""
    if not frame.found:
        raise StudioError(
            f"No face found in {what} — use a picture with one clearly visible, "
            "roughly frontal face."
        )
    if frame.n_faces > 1:
        log.warning("%s shows %d faces; the largest one is used.", what, frame.n_faces)
    return frame
