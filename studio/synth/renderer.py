"""SynthTalk head renderer: rig → pose → the generic mesh renderer (`studio.render`) → image.

`HeadRenderer(look)` builds the identity's head, rig and texture once; `render(...)` then costs a
few tens of milliseconds at 256² on one core. Output is deterministic: the same inputs give the
same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.errors import StudioError
from studio.face.geometry import euler_to_rotation
from studio.face.records import N_BLENDSHAPES
from studio.render.camera import FRONTAL_LIGHT, HEAD_CENTRE, Camera, Light
from studio.render.mesh_renderer import MeshRenderer, gradient_background, visible_points
from studio.synth.head import SKULL_CENTRE, HeadMesh, build_head
from studio.synth.look import FaceLook
from studio.synth.rig import Rig, build_rig
from studio.synth.texture import paint_atlas

__all__ = ["Camera", "Light", "RenderResult", "HeadRenderer", "gradient_background", "HEAD_CENTRE"]

POSE_PIVOT = np.array([0.0, -4.0, -4.0])  # head yaw/pitch/roll turn about the top of the neck


@dataclass
class RenderResult:
    """One rendered frame.

    image (H, W, 3) uint8 RGB; mask (H, W) uint8 head alpha 0..255; landmarks (478, 3) pixel
    x, y and camera depth (cm) of the 468 mesh vertices + 10 iris points (MediaPipe order);
    visible (478,) bool: the point is the nearest surface at its pixel (not occluded);
    depth (H, W) float32 camera depth in cm (0 where no surface), only when asked for.
    """

    image: np.ndarray
    mask: np.ndarray
    landmarks: np.ndarray
    visible: np.ndarray
    depth: np.ndarray | None = None


def _rotation_about(angles: np.ndarray) -> np.ndarray:
    return euler_to_rotation(*angles).astype(np.float64)


class HeadRenderer:
    """Renders one identity. Build once per identity (≈50 ms), then call `render` per frame."""

    def __init__(
        self,
        look: FaceLook,
        size: int = 256,
        supersample: int = 2,
        rigid_neck: bool = False,
        proportions: tuple[float, float, float] | None = None,
    ) -> None:
        """rigid_neck: the neck turns with the head (every vertex takes the whole pose), so the
        whole figure is one rigid body — what a head-frame radiance field assumes.
        proportions: (x, y, z) scale of the whole rest head about the skull's centre (a wider,
        longer or deeper head), applied before the rig is built; None keeps SynthTalk's."""
        self.look = look
        self.size = size
        self.supersample = supersample
        self.head: HeadMesh = build_head(look)
        if rigid_neck:
            self.head.pose_weight = np.ones_like(self.head.pose_weight)
        if proportions is not None:
            scale = np.asarray(proportions, np.float64)
            self.head.vertices = (self.head.vertices - SKULL_CENTRE) * scale + SKULL_CENTRE
            self.head.eye_centres = {
                k: (v - SKULL_CENTRE) * scale + SKULL_CENTRE
                for k, v in self.head.eye_centres.items()
            }
        self.rig: Rig = build_rig(self.head)
        self.atlas = paint_atlas(look, self.head.vertices[: self.head.n_face])
        self.mesh = MeshRenderer(
            self.head.triangles,
            self.head.uvs,
            self.atlas,
            self.head.two_sided,
            self.head.twins,
            supersample,
        )
        self._pose_levels = np.unique(self.head.pose_weight)

    # -- geometry ---------------------------------------------------------------------------
    def posed_vertices(self, blendshapes: np.ndarray, pose6: np.ndarray) -> np.ndarray:
        """Deformed vertices moved by the head pose (world cm). The neck follows partially."""
        verts = self.rig.deform(blendshapes)
        return self._apply_pose(verts, np.asarray(pose6, np.float64), self.head.pose_weight)

    def _apply_pose(self, verts: np.ndarray, pose6: np.ndarray, weight: np.ndarray) -> np.ndarray:
        out = np.empty_like(verts)
        for level in (
            self._pose_levels if len(weight) == len(self.head.vertices) else np.unique(weight)
        ):
            idx = np.flatnonzero(weight == level)
            rotation = _rotation_about(pose6[:3] * level)
            out[idx] = (verts[idx] - POSE_PIVOT) @ rotation.T + POSE_PIVOT + pose6[3:] * level
        return out

    def landmarks_3d(self, blendshapes: np.ndarray, pose6: np.ndarray) -> np.ndarray:
        """(478, 3) world positions of the 468 mesh vertices and 10 iris points."""
        posed = self.posed_vertices(blendshapes, pose6)
        iris = self.rig.iris_points(blendshapes)
        iris = self._apply_pose(iris, np.asarray(pose6, np.float64), np.ones(len(iris)))
        return np.concatenate([posed[: self.head.n_face], iris])

    # -- image ------------------------------------------------------------------------------
    def render(
        self,
        blendshapes: np.ndarray,
        pose6: np.ndarray,
        camera: Camera | None = None,
        light: Light | None = None,
        background: tuple | np.ndarray | None = None,
        with_depth: bool = False,
    ) -> RenderResult:
        """Render one frame. blendshapes (52,) rig values; pose6 (yaw, pitch, roll deg, t cm).

        background: RGB colour (0..255), an (H, W, 3) image (0..255) or None (mid grey).
        """
        blendshapes = np.asarray(blendshapes, dtype=np.float32)
        pose6 = np.asarray(pose6, dtype=np.float64)
        if blendshapes.shape != (N_BLENDSHAPES,) or pose6.shape != (6,):
            raise StudioError(
                "render needs 52 blendshapes and a 6-D pose, "
                f"got {blendshapes.shape} and {pose6.shape}"
            )
        camera = camera or Camera(size=self.size)
        drawn = self.mesh.render(
            self.posed_vertices(blendshapes, pose6), camera, light or FRONTAL_LIGHT, background
        )
        projected = camera.project(self.landmarks_3d(blendshapes, pose6))
        depth = None
        if with_depth:  # the supersampled depth at each pixel's first sub-sample
            inv = drawn.fragments.depth_image()[:: self.supersample, :: self.supersample]
            depth = np.where(inv > 0, 1.0 / np.maximum(inv, 1e-12), 0.0).astype(np.float32)
        return RenderResult(
            image=drawn.image,
            mask=drawn.mask,
            landmarks=projected.astype(np.float32),
            visible=visible_points(projected, drawn),
            depth=depth,
        )
