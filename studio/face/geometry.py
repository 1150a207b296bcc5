"""Head pose maths: rotation <-> (yaw, pitch, roll), and pose normalisation of landmarks.

Convention: R = Ry(yaw) @ Rx(pitch) @ Rz(roll), angles in degrees, in the canonical mesh frame
(+x subject's left, +y up, +z toward the camera). +yaw turns the nose toward +x (image right),
+pitch turns it down, +roll tilts the top of the head toward -x (the subject's right shoulder).
These are the axes of MediaPipe's facial transformation matrix.
"""

from __future__ import annotations

import numpy as np


def rotation_to_euler(rotation: np.ndarray) -> np.ndarray:
    """(3, 3) rotation -> (yaw, pitch, roll) in degrees, for R = Ry @ Rx @ Rz."""
    r = np.asarray(rotation, dtype=np.float64)
    yaw = np.arctan2(r[0, 2], r[2, 2])
    pitch = np.arcsin(np.clip(-r[1, 2], -1.0, 1.0))
    roll = np.arctan2(r[1, 0], r[1, 1])
    return np.degrees(np.array([yaw, pitch, roll])).astype(np.float32)


def euler_to_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """(yaw, pitch, roll) in degrees -> (3, 3) rotation R = Ry @ Rx @ Rz."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return (ry @ rx @ rz).astype(np.float32)


def pose6_from_matrix(pose: np.ndarray) -> np.ndarray:
    """(4, 4) head transform -> (yaw, pitch, roll, tx, ty, tz)."""
    return np.concatenate([rotation_to_euler(pose[:3, :3]), pose[:3, 3]]).astype(np.float32)


def matrix_from_pose6(pose6: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll, tx, ty, tz) -> (4, 4) head transform."""
    m = np.eye(4, dtype=np.float32)
    m[:3, :3] = euler_to_rotation(*pose6[:3])
    m[:3, 3] = pose6[3:]
    return m


def image_points_to_3d(landmarks: np.ndarray) -> np.ndarray:
    """Pixel (x, y down, z far) -> a right-handed frame like the mesh's (x, y up, z near)."""
    return landmarks * np.array([1.0, -1.0, -1.0], dtype=np.float32)


def normalise_landmarks(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Remove pose and scale: align the tracked points onto `reference` (canonical mesh, cm).

    landmarks (N>=468, 3) in pixels; reference (468, 3). The alignment is fitted on the 468 mesh
    points (the stable ones) and applied to all of them, irises included.
    """
    return normalise_landmarks_batch(np.asarray(landmarks)[None], reference)[0]


def normalise_landmarks_batch(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`normalise_landmarks` for a whole clip at once (a batched Umeyama similarity fit, no
    reflections): (T, N>=468, 3) image landmarks → (T, N, 3) points in the reference's frame.
    Frames with any NaN in their first len(reference) points come back NaN."""
    pts = image_points_to_3d(np.asarray(landmarks, np.float64))
    ref = np.asarray(reference, np.float64)
    n = len(ref)
    src = pts[:, :n]
    ok = np.isfinite(src).all((1, 2))
    src = np.where(ok[:, None, None], src, 0.0)
    mu_s, mu_d = src.mean(1, keepdims=True), ref.mean(0)
    xs, xd = src - mu_s, ref - mu_d
    cov = np.einsum("ni,tnj->tij", xd, xs) / n
    u, sing, vt = np.linalg.svd(cov)
    d = np.ones((len(src), 3))
    d[np.linalg.det(u) * np.linalg.det(vt) < 0, -1] = -1.0
    rot = u @ (d[:, :, None] * vt)
    var_s = (xs**2).sum((1, 2)) / n
    scale = (sing * d).sum(1) / np.maximum(var_s, 1e-12)
    trans = mu_d - scale[:, None] * np.einsum("tij,tj->ti", rot, mu_s[:, 0])
    out = scale[:, None, None] * np.einsum("tnj,tij->tni", pts, rot) + trans[:, None]
    out[~ok] = np.nan
    return out.astype(np.float32)
