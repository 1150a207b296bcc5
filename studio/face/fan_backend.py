"""Optional tracker backend: face-alignment's FAN (68 iBUG points).

face-alignment downloads its weights on first use, which cannot happen offline. We use it only
when both weight files are already in the torch hub cache (a connected machine, or a cache
filled by hand), and load them with `weights_only=True` (no unpickling of arbitrary objects).

What it gives in the shared record: 68 of the 478 landmarks (x, y; z unknown) at the MediaPipe
indices that correspond to the iBUG points, the face box, and a head pose solved by PnP against
the canonical mesh. What it cannot give: blendshapes, irises, the other 410 points, depth, and
therefore the pose-normalised landmarks — those stay NaN and `provides` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.face.geometry import pose6_from_matrix
from studio.face.mesh import canonical_mesh
from studio.face.records import N_LANDMARKS, FaceFrame

FAN_WEIGHTS = "2DFAN4-11f355bf06.pth.tar"
SFD_WEIGHTS = "s3fd-619a316812.pth"
WEIGHTS_URL = "https://www.adrianbulat.com/downloads/python-fan/"

# iBUG-68 index -> MediaPipe mesh index (nearest anatomical counterpart).
IBUG68_TO_MEDIAPIPE = np.array(
    [
        162,
        234,
        93,
        58,
        172,
        136,
        149,
        148,
        152,
        377,
        378,
        365,
        397,
        288,
        323,
        454,
        389,  # jaw
        70,
        63,
        105,
        66,
        107,
        336,
        296,
        334,
        293,
        300,  # brows (subject's right, then left)
        168,
        197,
        5,
        4,
        75,
        97,
        2,
        326,
        305,  # nose bridge and nostrils
        33,
        160,
        158,
        133,
        153,
        144,
        362,
        385,
        387,
        263,
        373,
        380,  # eyes
        61,
        39,
        37,
        0,
        267,
        269,
        291,
        405,
        314,
        17,
        84,
        181,  # outer lips
        78,
        82,
        13,
        312,
        308,
        317,
        14,
        87,  # inner lips
    ]
)
# The jaw contour follows the visible silhouette, not fixed mesh points: leave it out of PnP.
PNP_POINTS = np.arange(17, 68)


def weights_dir() -> Path:
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def missing_weights() -> list[str]:
    """Names of the weight files that are not in the cache (empty when the backend can run)."""
    return [name for name in (FAN_WEIGHTS, SFD_WEIGHTS) if not (weights_dir() / name).exists()]


def pose_from_68(points: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Head transform (4, 4) in MediaPipe's frame from 68 image points, by PnP on the mesh.

    A pinhole camera with a 63° vertical field of view (MediaPipe's own assumption) stands in
    for the unknown intrinsics.
    """
    import cv2

    height, width = image_size
    focal = 0.5 * height / np.tan(np.radians(63.0) / 2)
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], np.float64)
    # cv2's camera looks down +z with y down; the mesh frame has y up and z toward the camera.
    flip = np.diag([1.0, -1.0, -1.0])
    object_points = canonical_mesh().vertices[IBUG68_TO_MEDIAPIPE[PNP_POINTS]].astype(np.float64)
    ok, rvec, tvec = cv2.solvePnP(
        object_points,
        points[PNP_POINTS].astype(np.float64),
        camera,
        None,
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return np.full((4, 4), np.nan, np.float32)
    rotation, _ = cv2.Rodrigues(rvec)
    pose = np.eye(4, dtype=np.float32)
    pose[:3, :3] = flip @ rotation
    pose[:3, 3] = (flip @ tvec).ravel()
    return pose


def frame_from_68(points: np.ndarray, n_faces: int, image_size: tuple[int, int]) -> FaceFrame:
    """Place 68 iBUG points into a shared-representation record."""
    landmarks = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    landmarks[IBUG68_TO_MEDIAPIPE, :2] = points[:, :2]
    box = np.concatenate([points[:, :2].min(0), points[:, :2].max(0)]).astype(np.float32)
    pose = pose_from_68(points[:, :2], image_size)
    return FaceFrame(
        found=True,
        landmarks=landmarks,
        pose=pose,
        pose6=pose6_from_matrix(pose),
        box=box,
        n_faces=n_faces,
    )


@dataclass
class FaceAlignmentBackend:
    """face-alignment (FAN 2D, 68 points) as a tracker backend; frames are tracked one by one."""

    name: str = "face-alignment"
    provides: tuple[str, ...] = ("landmarks (68 of 478, no z)", "pose", "pose6", "box")

    def __post_init__(self) -> None:
        missing = missing_weights()
        if missing:
            raise StudioError(
                "The face-alignment backend needs its weights, which cannot be downloaded here: "
                f"put {', '.join(missing)} (from {WEIGHTS_URL}) into {weights_dir()}, or use "
                "the default 'mediapipe' backend."
            )
        import face_alignment
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        self._fa = face_alignment.FaceAlignment(
            face_alignment.LandmarksType.TWO_D,
            device=device,
            compile=False,
            face_detector="sfd",
            face_detector_kwargs={"path_to_detector": str(weights_dir() / SFD_WEIGHTS)},
        )

    def detect(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> FaceFrame:
        faces = self._fa.get_landmarks_from_image(rgb)
        if not faces:
            return FaceFrame(found=False)
        areas = [np.ptp(f[:, 0]) * np.ptp(f[:, 1]) for f in faces]
        best = faces[int(np.argmax(areas))]
        return frame_from_68(np.asarray(best, np.float32), len(faces), rgb.shape[:2])

    def close(self) -> None:
        self._fa = None
