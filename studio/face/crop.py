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

from studio.errors import StudioError
from studio.face.mesh import FACE_OVAL, N_MESH_VERTICES, OUTER_LIP_LOOP, canonical_mesh
from studio.face.tracker import track_image

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


MOUTH_H, MOUTH_W = 32, 48
MOUTH_SCALE = (0.42, 0.63)  # crop height, width as fractions of the face-oval extent


def mouth_box(landmarks: np.ndarray) -> np.ndarray:
    """(x0, y0, w, h) of the mouth crop in the landmarks' pixels: centred on the outer lip
    loop, its size a fixed fraction of the face's extent measured above the jaw (`crop_box`),
    so it does not breathe with the mouth opening."""
    x0, _, x1, _ = crop_box(landmarks, scale=1.0)
    extent = float(x1 - x0)
    centre = landmarks[list(OUTER_LIP_LOOP), :2].mean(0)
    h, w = MOUTH_SCALE[0] * extent, MOUTH_SCALE[1] * extent
    return np.array([centre[0] - w / 2, centre[1] - h / 2, w, h], np.float64)


def mouth_crop(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(32, 48) uint8 grayscale crop of the mouth (`mouth_box`), the sync expert's input."""
    x0, y0, w, h = (float(v) for v in mouth_box(landmarks))
    sx, sy = MOUTH_W / w, MOUTH_H / h
    affine = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], dtype=np.float32)
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return cv2.warpAffine(
        gray, affine, (MOUTH_W, MOUTH_H), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def face_crops(
    frames: np.ndarray, landmarks: np.ndarray | None = None, size: int = 64
) -> np.ndarray:
    """(T, size, size, 3) crops of RGB frames (T, H, W, 3); tracks them when no landmarks."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    if landmarks is None:
        landmarks = []
        for i, f in enumerate(frames):
            rec = track_image(f)
            if not rec.found:
                raise StudioError(
                    f"No face found in frame {i} — the evaluators need a visible face"
                )
            landmarks.append(rec.landmarks)
    return np.stack([crop_face(f, lm, size) for f, lm in zip(frames, landmarks, strict=True)])
