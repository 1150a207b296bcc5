"""Shared fixtures: the example portrait, a cat, two faces side by side."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PORTRAIT = ROOT / "assets" / "portrait.jpg"


def load_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="session")
def portrait_path() -> Path:
    return PORTRAIT


@pytest.fixture(scope="session")
def portrait() -> np.ndarray:
    return load_rgb(PORTRAIT)


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    """Chelsea the cat (public domain, shipped with scikit-image): an image with no human face."""
    import skimage.data

    return np.ascontiguousarray(skimage.data.chelsea())


@pytest.fixture(scope="session")
def two_faces(portrait: np.ndarray) -> np.ndarray:
    """Two copies of the portrait side by side, the right one smaller."""
    small = cv2.resize(portrait, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    canvas = np.full((portrait.shape[0], portrait.shape[1] + small.shape[1], 3), 200, np.uint8)
    canvas[:, : portrait.shape[1]] = portrait
    canvas[: small.shape[0], portrait.shape[1] :] = small
    return canvas


@pytest.fixture(scope="session")
def portrait_clip(tmp_path_factory, portrait: np.ndarray) -> Path:
    """A 1-second 25 fps mp4 with sound: the portrait sliding right, with synthesised speech."""
    from studio.media import audio_from_array, write_video
    from studio.speech import synthesize

    frames = np.stack([np.roll(portrait, 2 * t, axis=1) for t in range(25)])
    speech = synthesize("One second of speech.")
    audio = audio_from_array(speech.samples[:16000], 16000)
    path = tmp_path_factory.mktemp("clips") / "portrait_clip.mp4"
    write_video(path, frames, fps=25.0, audio=audio)
    return path


@pytest.fixture(scope="session")
def mp4v_clip(tmp_path_factory, portrait: np.ndarray) -> Path:
    """10 frames written with OpenCV's default MP4 codec (mp4v), which browsers cannot play."""
    import cv2

    path = tmp_path_factory.mktemp("clips") / "opencv_clip.mp4"
    size = portrait.shape[1::-1]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, size)
    for t in range(10):
        writer.write(np.ascontiguousarray(np.roll(portrait, 2 * t, axis=1)[:, :, ::-1]))
    writer.release()
    return path
