"""Camera and light of the SynthTalk renderer.

World space is MediaPipe's canonical frame in centimetres (+x the subject's left, +y up, +z toward
the viewer); the head rests at the origin of that frame and `pose6` moves it. The camera frame is
OpenCV's (x right, y down, z forward), so `pixel = K @ (R @ p + t)` divided by depth, with
`K = intrinsics()` and `[R | t] = extrinsics()[:3]`.

An orbit camera: it looks at `HEAD_CENTRE` from `distance_cm`. `yaw_deg`/`pitch_deg` orbit it so
that the view equals the head turned by (yaw, pitch) in the head's own convention (+yaw nose to
image right, +pitch nose down) seen by the frontal camera — extra calibrated views read like poses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.face.geometry import euler_to_rotation

HEAD_CENTRE = np.array([0.0, 0.5, -3.0], dtype=np.float64)
# Canonical (y up, z toward the viewer) -> OpenCV camera axes (y down, z forward).
GL_TO_CV = np.diag([1.0, -1.0, -1.0])


@dataclass
class Camera:
    """Perspective orbit camera. Defaults frame the face at about half the image height."""

    fov_y_deg: float = 30.0
    distance_cm: float = 72.0
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    size: int = 256

    def intrinsics(self) -> np.ndarray:
        """(3, 3) pinhole K in pixels, principal point at the image centre."""
        focal = 0.5 * self.size / np.tan(np.radians(self.fov_y_deg) / 2)
        c = self.size / 2
        return np.array([[focal, 0, c], [0, focal, c], [0, 0, 1]], dtype=np.float64)

    def extrinsics(self) -> np.ndarray:
        """(4, 4) world -> camera (OpenCV axes)."""
        orbit = euler_to_rotation(self.yaw_deg, self.pitch_deg, 0.0).astype(np.float64)
        rotation = GL_TO_CV @ orbit
        translation = -rotation @ HEAD_CENTRE + np.array([0.0, 0.0, self.distance_cm])
        out = np.eye(4)
        out[:3, :3], out[:3, 3] = rotation, translation
        return out

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world cm -> (N, 3) pixel x, pixel y, camera depth (cm)."""
        ext = self.extrinsics()
        cam = points.astype(np.float64) @ ext[:3, :3].T + ext[:3, 3]
        k = self.intrinsics()
        depth = cam[:, 2]
        x = k[0, 0] * cam[:, 0] / depth + k[0, 2]
        y = k[1, 1] * cam[:, 1] / depth + k[1, 2]
        return np.stack([x, y, depth], axis=1)

    def view_direction(self) -> np.ndarray:
        """Unit vector from the head toward the camera, in world space."""
        return self.extrinsics()[2, :3] * -1.0


@dataclass
class Light:
    """A directional light (direction points from the head toward the light) plus ambient."""

    direction: np.ndarray = field(default_factory=lambda: np.array([0.25, 0.35, 1.0]))
    ambient: float = 0.42
    diffuse: float = 0.62
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def unit_direction(self) -> np.ndarray:
        d = np.asarray(self.direction, dtype=np.float64)
        return d / max(float(np.linalg.norm(d)), 1e-9)


FRONTAL_LIGHT = Light(direction=np.array([0.0, 0.2, 1.0]), ambient=0.42, diffuse=0.62)
