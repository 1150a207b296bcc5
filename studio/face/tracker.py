"""Face tracking: images and clips -> `FaceFrame` / `FaceTrack` records.

`track_image` and `track_frames` are the entry points; they pick a backend by name:
- "mediapipe" (default, offline): MediaPipe Face Landmarker from the bundled `.task` file —
  478 landmarks, 52 blendshapes and the head transform. IMAGE mode for stills, VIDEO mode
  (temporal tracking) for clips.
- "face-alignment": the FAN 68-point model, used only when its weights are already on disk;
  see `studio.face.fan_backend` for what it can and cannot fill in.

Several faces: every face is found (up to `MAX_FACES` in one look) and the largest is tracked.
In a still where the first look finds none (a wide group photo, small faces), a second look
runs on overlapping tiles (`studio.face.detect`). `track_image` returns an `ImageFrame` whose
`note` says so ("3 faces found; tracking the largest.") and logs it as a warning.

MediaPipe's C++ side logs to the process's stderr (fd 2), past Python's logging. Its lines are
silenced (GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL, and fd 2 sent to /dev/null while a
landmarker starts) unless `show_native_logs(True)` is called, as `python -m studio --verbose`
does.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

from studio.errors import StudioError
from studio.face.bundle import face_landmarker_task
from studio.face.detect import Face, Tile, face_from_landmarker, merge_faces, tile_levels
from studio.face.geometry import normalise_landmarks, pose6_from_matrix
from studio.face.mesh import canonical_mesh
from studio.face.records import N_BLENDSHAPES, FaceFrame, FaceTrack

log = logging.getLogger(__name__)

MAX_FACES = 4  # faces the landmarker reports in one look
FIRST_LOOK_CONFIDENCE = 0.5  # face detector threshold on the whole picture / video frame
SECOND_LOOK_FINER_LEVELS = 1  # tile levels looked at after the first that finds a face
SECOND_LOOK_CONFIDENCE = 0.7  # on tiles: 0.5 finds Chelsea the cat's eye, 0.6 no longer does
MEDIAPIPE_PROVIDES = ("landmarks", "canonical", "blendshapes", "pose", "pose6", "box")


class Backend(Protocol):
    name: str
    provides: tuple[str, ...]

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None) -> FaceFrame: ...

    def close(self) -> None: ...


@dataclass
class ImageFrame(FaceFrame):
    """A tracked still: the `FaceFrame` of its largest face, plus what a person should know.

    note: "" for one face found at once; otherwise e.g. "3 faces found; tracking the largest."
    (and whether the faces were only found on a second look at tiles of the picture).
    second_look: the faces were found only by the second look at tiles.
    """

    note: str = ""
    second_look: bool = False


def faces_note(n_faces: int, second_look: bool = False) -> str:
    """What to tell a person about the faces found in a still ("" when there is nothing to say)."""
    closer = " on a closer look at parts of the picture (they are small in it)"
    if n_faces > 1:
        return f"{n_faces} faces found{closer if second_look else ''}; tracking the largest."
    if n_faces == 1 and second_look:
        return "1 face found, only" + closer.replace("they are", "it is") + "."
    return ""


class _NativeLogs:
    """Whether MediaPipe's C++ log lines reach stderr, and the fd 2 redirection that hides them.

    The redirection is process-wide, so it is counted: nested or concurrent users (the UI tracks
    in threads) share one, and fd 2 is restored when the last one leaves.
    """

    def __init__(self) -> None:
        self.show = False
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: int | None = None

    @contextmanager
    def quiet(self) -> Iterator[None]:
        if self.show:
            yield
            return
        with self._lock:
            if self._depth == 0:
                self._saved = _redirect_stderr_to_devnull()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._saved is not None:
                    _restore_stderr(self._saved)
                    self._saved = None


def _redirect_stderr_to_devnull() -> int | None:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        return None  # no usable fd 2: nothing to hide
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
    finally:
        os.close(devnull)
    return saved


def _restore_stderr(saved: int) -> None:
    try:
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    os.dup2(saved, 2)
    os.close(saved)


_native_logs = _NativeLogs()


def show_native_logs(show: bool = True) -> None:
    """Let MediaPipe's C++ log lines through to stderr (the CLI's `--verbose`), or hide them.

    Call it before the first landmarker is created: the log levels are read when MediaPipe loads.
    """
    _native_logs.show = show


def _import_mediapipe():
    if not _native_logs.show:
        # Before MediaPipe loads: glog / TensorFlow Lite read these once. Lines that ignore them
        # (absl's "Logging before InitGoogle()", XNNPACK) are hidden by `_native_logs.quiet`.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    return mp, BaseOptions, vision


@dataclass
class MediaPipeBackend:
    """MediaPipe Face Landmarker; `video=True` uses VIDEO mode (needs increasing timestamps).

    In IMAGE mode a picture where the whole-picture look finds no face gets a second look at
    overlapping tiles (`studio.face.detect.tile_levels`) with a stricter detector threshold
    (`SECOND_LOOK_CONFIDENCE`: many small looks see more face-like things, such as a cat's eye).
    VIDEO mode tracks whole frames only.
    """

    video: bool = False
    name: str = "mediapipe"
    provides: tuple[str, ...] = MEDIAPIPE_PROVIDES

    def __post_init__(self) -> None:
        self._mp, self._base_options, self._vision = _import_mediapipe()
        self._landmarker = self._create(self.video, FIRST_LOOK_CONFIDENCE)
        self._tile_landmarker = None  # the second look's, made when first needed
        self._used: set[int] = set()

    def _create(self, video: bool, detection_confidence: float):
        vision = self._vision
        options = vision.FaceLandmarkerOptions(
            base_options=self._base_options(model_asset_buffer=_model_bytes()),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_faces=MAX_FACES,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            min_face_detection_confidence=detection_confidence,
            min_face_presence_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        with _native_logs.quiet():  # its C++ side logs while the graph starts
            landmarker = vision.FaceLandmarker.create_from_options(options)
        _open_landmarkers.append(landmarker)
        return landmarker

    def _look(
        self, landmarker, rgb: np.ndarray, tile: Tile, timestamp_ms: int | None = None
    ) -> list[Face]:
        """The faces `landmarker` finds in `tile` of `rgb`, in `rgb`'s pixels."""
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=tile.crop(rgb))
        if id(landmarker) in self._used:
            result = self._infer(landmarker, image, timestamp_ms)
        else:  # the first inference may still log from C++
            with _native_logs.quiet():
                result = self._infer(landmarker, image, timestamp_ms)
            self._used.add(id(landmarker))
        faces = []
        for i, points in enumerate(result.face_landmarks):
            blend = np.array([c.score for c in result.face_blendshapes[i]], dtype=np.float32)
            if blend.shape != (N_BLENDSHAPES,):
                raise RuntimeError(
                    f"MediaPipe returned {blend.shape[0]} blendshapes, expected {N_BLENDSHAPES}"
                )
            xyz = np.array([[p.x, p.y, p.z] for p in points], dtype=np.float32)
            pose = np.asarray(result.facial_transformation_matrixes[i], dtype=np.float32)
            faces.append(face_from_landmarker(xyz, blend, pose, tile, rgb.shape[:2]))
        return faces

    def _infer(self, landmarker, image, timestamp_ms: int | None):
        if self.video:
            return landmarker.detect_for_video(image, int(timestamp_ms or 0))
        return landmarker.detect(image)

    def find_faces(
        self, rgb: np.ndarray, timestamp_ms: int | None = None
    ) -> tuple[list[Face], bool]:
        """Every face found (largest first), and whether only the second look found them."""
        rgb = np.ascontiguousarray(rgb)
        height, width = rgb.shape[:2]
        faces = self._look(self._landmarker, rgb, Tile(0, 0, width, height), timestamp_ms)
        if faces or self.video:
            return sorted(faces, key=lambda f: f.area, reverse=True), False
        seen: list[Face] = []
        found_at: int | None = None
        for level, grid in enumerate(tile_levels(height, width)):
            if found_at is not None and level > found_at + SECOND_LOOK_FINER_LEVELS:
                break
            seen += self.look_at_tiles(rgb, grid)
            if seen and found_at is None:
                found_at = level
        faces = merge_faces(seen)
        if faces:
            log.info(
                "No face in the whole %d×%d picture; %d found in tiles.", width, height, len(faces)
            )
        return faces, bool(faces)

    def look_at_tiles(self, rgb: np.ndarray, tiles: list[Tile]) -> list[Face]:
        """The second look: every face seen in each tile (duplicates included), in `rgb`'s
        pixels, with head transforms for the whole picture's camera."""
        if self.video:
            raise ValueError("the second look at tiles is for stills (IMAGE mode)")
        if self._tile_landmarker is None:
            self._tile_landmarker = self._create(False, SECOND_LOOK_CONFIDENCE)
        rgb = np.ascontiguousarray(rgb)
        return [face for tile in tiles for face in self._look(self._tile_landmarker, rgb, tile)]

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> FaceFrame:
        faces, second_look = self.find_faces(rgb, timestamp_ms)
        if not faces:
            return FaceFrame(found=False) if self.video else ImageFrame(found=False)
        best = faces[0]
        frame = FaceFrame(
            found=True,
            landmarks=best.landmarks,
            canonical=normalise_landmarks(best.landmarks, canonical_mesh().vertices),
            blendshapes=best.blendshapes,
            pose=best.pose,
            pose6=pose6_from_matrix(best.pose),
            box=best.box,
            n_faces=len(faces),
        )
        return frame if self.video else _image_frame(frame, second_look)

    def close(self) -> None:
        for landmarker in (self._landmarker, self._tile_landmarker):
            if landmarker is not None and landmarker in _open_landmarkers:
                _open_landmarkers.remove(landmarker)
                landmarker.close()


def _image_frame(frame: FaceFrame, second_look: bool = False) -> ImageFrame:
    if isinstance(frame, ImageFrame):
        return frame
    values = {f.name: getattr(frame, f.name) for f in fields(FaceFrame)}
    note = faces_note(frame.n_faces, second_look) if frame.found else ""
    return ImageFrame(**values, note=note, second_look=second_look)


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


def track_image(rgb: np.ndarray, backend: str = "mediapipe") -> ImageFrame:
    """Track one still image (RGB uint8): its largest face. Backends for stills are created once
    and reused. With several faces (or faces found only on a second look) the result's `note`
    says so (callers show it; it is logged at INFO so that it is not said twice)."""
    with _image_lock:
        if backend not in _image_backends:
            _image_backends[backend] = make_backend(backend, video=False)
        frame = _image_frame(_image_backends[backend].detect(rgb, None))
    if frame.note:
        log.info(frame.note)
    return frame


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
