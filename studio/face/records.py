"""The shared face representation (DESIGN §3): one record per frame, stacked for clips.

Every model of the studio reads these records, whether they come from the tracker on a real
video or from SynthTalk's ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_LANDMARKS = 478

# The 52 ARKit blendshapes in MediaPipe's order ("_neutral" first, as the landmarker emits them).
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeLookDownLeft",
    "eyeLookDownRight",
    "eyeLookInLeft",
    "eyeLookInRight",
    "eyeLookOutLeft",
    "eyeLookOutRight",
    "eyeLookUpLeft",
    "eyeLookUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeWideLeft",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawOpen",
    "jawRight",
    "mouthClose",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthFunnel",
    "mouthLeft",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthPucker",
    "mouthRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
)
N_BLENDSHAPES = len(BLENDSHAPE_NAMES)
BLENDSHAPE_INDEX = {name: i for i, name in enumerate(BLENDSHAPE_NAMES)}
POSE6_NAMES = ("yaw", "pitch", "roll", "tx", "ty", "tz")


def _nan(*shape: int) -> np.ndarray:
    return np.full(shape, np.nan, dtype=np.float32)


@dataclass
class FaceFrame:
    """What the tracker knows about one frame.

    landmarks (478, 3): pixel x, y and relative depth z (pixel scale, smaller = nearer), in
        MediaPipe topology; NaN where the backend gives no such point.
    canonical (478, 3): the same points similarity-aligned to the canonical mesh (cm, +y up,
        +z toward the camera): pose and scale removed.
    blendshapes (52,): ARKit coefficients in `BLENDSHAPE_NAMES` order; NaN if not estimated.
    pose (4, 4): head transform, canonical mesh -> camera space (cm).
    pose6 (6,): yaw, pitch, roll in degrees (+yaw turns the nose to image right, +pitch nose
        down), tx, ty, tz in cm.
    box (4,): face box x0, y0, x1, y1 in pixels.
    n_faces: faces seen in the frame (the largest is the one described).
    """

    found: bool
    landmarks: np.ndarray = field(default_factory=lambda: _nan(N_LANDMARKS, 3))
    canonical: np.ndarray = field(default_factory=lambda: _nan(N_LANDMARKS, 3))
    blendshapes: np.ndarray = field(default_factory=lambda: _nan(N_BLENDSHAPES))
    pose: np.ndarray = field(default_factory=lambda: _nan(4, 4))
    pose6: np.ndarray = field(default_factory=lambda: _nan(6))
    box: np.ndarray = field(default_factory=lambda: _nan(4))
    n_faces: int = 0

    def blendshape(self, name: str) -> float:
        """One blendshape by its ARKit name, e.g. `frame.blendshape("jawOpen")`."""
        return float(self.blendshapes[BLENDSHAPE_INDEX[name]])


@dataclass
class FaceTrack:
    """Per-frame records of a clip stacked on a leading time axis (T = number of frames).

    found (T,) bool, landmarks (T, 478, 3), canonical (T, 478, 3), blendshapes (T, 52),
    pose (T, 4, 4), pose6 (T, 6), box (T, 4), n_faces (T,) int.
    `backend` names the tracker; `provides` lists the fields it really estimates (the others
    are NaN), e.g. face-alignment gives no blendshapes.
    """

    found: np.ndarray
    landmarks: np.ndarray
    canonical: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    pose6: np.ndarray
    box: np.ndarray
    n_faces: np.ndarray
    fps: float
    image_size: tuple[int, int]  # (height, width)
    backend: str
    provides: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.found)

    @classmethod
    def stack(
        cls,
        frames: list[FaceFrame],
        fps: float,
        image_size: tuple[int, int],
        backend: str,
        provides: tuple[str, ...],
    ) -> FaceTrack:
        return cls(
            found=np.array([f.found for f in frames], dtype=bool),
            landmarks=np.stack([f.landmarks for f in frames]).astype(np.float32),
            canonical=np.stack([f.canonical for f in frames]).astype(np.float32),
            blendshapes=np.stack([f.blendshapes for f in frames]).astype(np.float32),
            pose=np.stack([f.pose for f in frames]).astype(np.float32),
            pose6=np.stack([f.pose6 for f in frames]).astype(np.float32),
            box=np.stack([f.box for f in frames]).astype(np.float32),
            n_faces=np.array([f.n_faces for f in frames], dtype=np.int32),
            fps=float(fps),
            image_size=image_size,
            backend=backend,
            provides=provides,
        )

    def frame(self, t: int) -> FaceFrame:
        return FaceFrame(
            found=bool(self.found[t]),
            landmarks=self.landmarks[t],
            canonical=self.canonical[t],
            blendshapes=self.blendshapes[t],
            pose=self.pose[t],
            pose6=self.pose6[t],
            box=self.box[t],
            n_faces=int(self.n_faces[t]),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The numeric fields, for saving with `np.savez` or safetensors."""
        return {
            name: getattr(self, name)
            for name in (
                "found",
                "landmarks",
                "canonical",
                "blendshapes",
                "pose",
                "pose6",
                "box",
                "n_faces",
            )
        }
