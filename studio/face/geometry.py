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


def similarity_align(
    source: np.ndarray, target: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Umeyama: scale s, rotation R, translation t minimising |s R source + t - target|.

    Both (N, 3); rows with NaN in either are ignored. No reflections.
    """
    ok = np.isfinite(source).all(1) & np.isfinite(target).all(1)
    src, dst = source[ok].astype(np.float64), target[ok].astype(np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    cov = xd.T @ xs / len(src)
    u, sing, vt = np.linalg.svd(cov)
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    var_s = (xs**2).sum() / len(src)
    scale = float((sing * d).sum() / var_s)
    trans = mu_d - scale * rot @ mu_s
    return scale, rot, trans


def image_points_to_3d(landmarks: np.ndarray) -> np.ndarray:
    """Pixel (x, y down, z far) -> a right-handed frame like the mesh's (x, y up, z near)."""
    return landmarks * np.array([1.0, -1.0, -1.0], dtype=np.float32)


def normalise_landmarks(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Remove pose and scale: align the tracked points onto `reference` (canonical mesh, cm).

    landmarks (N>=468, 3) in pixels; reference (468, 3). The alignment is fitted on the 468 mesh
    points (the stable ones) and applied to all of them, irises included.
    """
    pts = image_points_to_3d(landmarks)
    n = len(reference)
    scale, rot, trans = similarity_align(pts[:n], reference)
    return (scale * pts @ rot.T + trans).astype(np.float32)
