"""Face crops at a fixed scale, for the image models (IRFD, the evaluators).

The crop is a square centred on the face-oval centre, with a side proportional to the face's
size, so that faces of any image size land at the same scale. Head pose is kept (no rotation):
the pose encoders must see it.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.face.mesh import FACE_OVAL

CROP_SCALE = 1.6  # crop side / face-oval extent: room for hair and chin at modest head turns


def crop_box(landmarks: np.ndarray, scale: float = CROP_SCALE) -> np.ndarray:
    """Square crop box (x0, y0, x1, y1) around a face. landmarks (478, 3) or (N, 2) pixels."""
    oval = landmarks[list(FACE_OVAL), :2]
    oval = oval[np.isfinite(oval).all(1)]
    if len(oval) < 3:  # e.g. 68-point tracks: fall back to every known point
        oval = landmarks[np.isfinite(landmarks[:, :2]).all(1), :2]
    centre = (oval.min(0) + oval.max(0)) / 2
    side = float((oval.max(0) - oval.min(0)).max()) * scale
    return np.concatenate([centre - side / 2, centre + side / 2]).astype(np.float32)


def crop_face(
    rgb: np.ndarray, landmarks: np.ndarray, size: int = 128, scale: float = CROP_SCALE
) -> np.ndarray:
    """A (size, size, 3) crop of the face; pixels outside the image repeat the border."""
    x0, y0, x1, y1 = crop_box(landmarks, scale)
    s = size / (x1 - x0)
    affine = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float32)
    return cv2.warpAffine(
        rgb,
        affine,
        (size, size),
        flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
