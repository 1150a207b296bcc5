"""Face crops at a fixed scale, for the image models (IRFD, the evaluators).

The crop is a square around the face, with a side proportional to the face's size, so that
faces of any image size land at the same scale. Head pose is kept (no rotation): the pose
encoders must see it. The box is measured on the part of the face oval that the jaw does not
move (forehead, temples, cheekbones) and extended to the chin by the canonical face's
proportions: a box on the whole oval grows and slides down every time the mouth opens, so a
talking face would be cropped at a scale that follows the speech.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.face.mesh import FACE_OVAL, N_MESH_VERTICES, canonical_mesh

CROP_SCALE = 1.6  # crop side / face-oval extent: room for hair and chin at modest head turns
RIGID_BELOW_CM = -2.0  # oval points above this canonical height do not move with the jaw


def _rigid_oval() -> tuple[tuple[int, ...], float]:
    """Oval landmarks above the jaw, and (whole oval height) / (their height) at rest."""
    v = canonical_mesh().vertices
    oval = np.array(FACE_OVAL)
    rigid = oval[v[oval, 1] > RIGID_BELOW_CM]
    whole = v[oval, 1].max() - v[oval, 1].min()
    return tuple(int(i) for i in rigid), float(whole / (v[rigid, 1].max() - v[rigid, 1].min()))


RIGID_OVAL, OVAL_HEIGHT_RATIO = _rigid_oval()


def crop_box(landmarks: np.ndarray, scale: float = CROP_SCALE) -> np.ndarray:
    """Square crop box (x0, y0, x1, y1) around a face. landmarks (478, 3) or (N, 2) pixels."""
    if len(landmarks) >= N_MESH_VERTICES:
        rigid = landmarks[list(RIGID_OVAL), :2]
        if np.isfinite(rigid).all():
            top, bottom = rigid[:, 1].min(), rigid[:, 1].max()
            height = (bottom - top) * OVAL_HEIGHT_RATIO  # forehead to chin, mouth closed
            width = rigid[:, 0].max() - rigid[:, 0].min()
            centre = np.array([(rigid[:, 0].min() + rigid[:, 0].max()) / 2, top + height / 2])
            side = float(max(width, height)) * scale
            return np.concatenate([centre - side / 2, centre + side / 2]).astype(np.float32)
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
