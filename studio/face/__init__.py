"""Faces: the shared per-frame record, the canonical mesh, tracking, crops and overlays."""

from studio.face.crop import crop_box, crop_face
from studio.face.draw import draw_face
from studio.face.mesh import CanonicalMesh, canonical_mesh
from studio.face.records import (
    BLENDSHAPE_INDEX,
    BLENDSHAPE_NAMES,
    N_BLENDSHAPES,
    N_LANDMARKS,
    POSE6_NAMES,
    FaceFrame,
    FaceTrack,
)
from studio.face.smoothing import smooth_track
from studio.face.tracker import BACKENDS, require_face, track_frames, track_image

__all__ = [
    "BACKENDS",
    "BLENDSHAPE_INDEX",
    "BLENDSHAPE_NAMES",
    "CanonicalMesh",
    "FaceFrame",
    "FaceTrack",
    "N_BLENDSHAPES",
    "N_LANDMARKS",
    "POSE6_NAMES",
    "canonical_mesh",
    "crop_box",
    "crop_face",
    "draw_face",
    "require_face",
    "smooth_track",
    "track_frames",
    "track_image",
]
