"""SynthTalk head renderer: rig -> pose -> camera -> rasterise -> texture and shade -> image.

`HeadRenderer(look)` builds the identity's head, rig and texture once; `render(...)` then costs a
few tens of milliseconds at 256² on one core. Output is deterministic: the same inputs give the
same bytes. Anti-aliasing is `supersample`× supersampling, box-filtered with `cv2.INTER_AREA`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import scipy.sparse

from studio.errors import StudioError
from studio.face.records import N_BLENDSHAPES
from studio.synth.camera import FRONTAL_LIGHT, HEAD_CENTRE, Camera, Light
from studio.synth.head import HeadMesh, build_head
from studio.synth.look import FaceLook
from studio.synth.raster import cull, rasterize
from studio.synth.rig import Rig, build_rig
from studio.synth.texture import paint_atlas

__all__ = ["Camera", "Light", "RenderResult", "HeadRenderer", "gradient_background", "HEAD_CENTRE"]

POSE_PIVOT = np.array([0.0, -4.0, -4.0])  # head yaw/pitch/roll turn about the top of the neck
VISIBLE_TOLERANCE_CM = 0.2
DEFAULT_BACKGROUND = (128.0, 128.0, 128.0)
_REMAP_ROW = 1024  # cv2.remap maps must stay under 32767 per side


@dataclass
class RenderResult:
    """One rendered frame.

    image (H, W, 3) uint8 RGB; mask (H, W) uint8 head alpha 0..255; landmarks (478, 3) pixel
    x, y and camera depth (cm) of the 468 mesh vertices + 10 iris points (MediaPipe order);
    visible (478,) bool: the point is the nearest surface at its pixel (not occluded).
    """

    image: np.ndarray
    mask: np.ndarray
    landmarks: np.ndarray
    visible: np.ndarray


def gradient_background(size: int, top, bottom) -> np.ndarray:
    """(size, size, 3) float32 vertical gradient between two RGB colours (0..255)."""
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    column = (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)
    return np.broadcast_to(column, (size, size, 3)).astype(np.float32)


def _background(background, height: int) -> np.ndarray:
    """Background as a float32 (H, W, 3) image in 0..1 (inputs are RGB 0..255)."""
    if background is None:
        background = DEFAULT_BACKGROUND
    arr = np.asarray(background, dtype=np.float32)
    if arr.shape == (3,):
        return np.broadcast_to(arr / 255.0, (height, height, 3)).copy()
    if arr.ndim == 3 and arr.shape[2] == 3:
        if arr.shape[0] != height:
            arr = cv2.resize(arr, (height, height), interpolation=cv2.INTER_LINEAR)
        return arr / 255.0
    raise StudioError(f"background must be an RGB colour or an (H, W, 3) image, got {arr.shape}")


def _rotation_about(angles: np.ndarray) -> np.ndarray:
    from studio.face.geometry import euler_to_rotation

    return euler_to_rotation(*angles).astype(np.float64)


class HeadRenderer:
    """Renders one identity. Build once per identity (≈50 ms), then call `render` per frame."""

    def __init__(self, look: FaceLook, size: int = 256, supersample: int = 2) -> None:
        self.look = look
        self.size = size
        self.supersample = supersample
        self.head: HeadMesh = build_head(look)
        self.rig: Rig = build_rig(self.head)
        self.atlas = paint_atlas(look, self.head.vertices[: self.head.n_face])
        tris = self.head.triangles
        n_vert, n_tri = len(self.head.vertices), len(tris)
        incidence = scipy.sparse.csr_matrix(
            (np.ones(3 * n_tri), (tris.reshape(-1), np.repeat(np.arange(n_tri), 3))),
            shape=(n_vert, n_tri),
        )
        a, b = self.head.twins.T
        pairs = np.concatenate([a, b]), np.concatenate([b, a])
        merge = scipy.sparse.identity(n_vert, format="csr") + scipy.sparse.csr_matrix(
            (np.ones(len(pairs[0])), pairs), shape=(n_vert, n_vert)
        )
        self._incidence = (merge @ incidence).tocsr()  # twins share the summed normal
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

    def _vertex_normals(self, verts: np.ndarray) -> np.ndarray:
        p = verts[self.head.triangles]
        face_n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        normals = self._incidence @ face_n
        return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)

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
        light = light or FRONTAL_LIGHT
        ss = self.supersample
        size = camera.size
        big = size * ss

        verts = self.posed_vertices(blendshapes, pose6)
        shade = self._shade(verts, light)
        screen = camera.project(verts)
        screen[:, :2] *= ss
        tris = self.head.triangles
        drawn = cull(screen, tris, self.head.two_sided)
        attributes = np.concatenate([self.head.uvs, shade[:, None]], axis=1)
        frags = rasterize(screen, tris[drawn], big, big, attributes)
        uv = np.clip(frags.attributes[:, :2], 0.0, 1.0)
        intensity = np.clip(frags.attributes[:, 2:3], 0.0, 2.0)
        colour = self._sample_atlas(uv) * (intensity * np.asarray(light.colour, np.float32))

        image = _background(background, big).reshape(-1, 3)
        image[frags.pixel] = colour
        alpha = np.zeros(big * big, np.float32)
        alpha[frags.pixel] = 1.0
        image = image.reshape(big, big, 3)
        alpha = alpha.reshape(big, big)
        if ss > 1:
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            alpha = cv2.resize(alpha, (size, size), interpolation=cv2.INTER_AREA)
        out_image = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
        out_mask = np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)

        points = self.landmarks_3d(blendshapes, pose6)
        projected = camera.project(points)
        visible = self._visibility(projected, frags.depth_image(), ss)
        return RenderResult(
            image=out_image,
            mask=out_mask,
            landmarks=projected.astype(np.float32),
            visible=visible,
        )

    def _shade(self, verts: np.ndarray, light: Light) -> np.ndarray:
        """(N,) per-vertex light intensity: ambient + wrapped Lambert (soft, skin-like)."""
        normals = self._vertex_normals(verts)
        lambert = normals @ light.unit_direction()
        wrapped = np.clip((lambert + 0.15) / 1.15, 0.0, 1.0)
        return light.ambient + light.diffuse * wrapped

    def _sample_atlas(self, uv: np.ndarray) -> np.ndarray:
        """Bilinear lookup of (M, 2) atlas UVs -> (M, 3) float32 RGB."""
        m = len(uv)
        rows = max(1, -(-m // _REMAP_ROW))
        pad = rows * _REMAP_ROW - m
        h, w = self.atlas.shape[:2]
        mx = np.pad(uv[:, 0] * w - 0.5, (0, pad)).astype(np.float32).reshape(rows, _REMAP_ROW)
        my = np.pad(uv[:, 1] * h - 0.5, (0, pad)).astype(np.float32).reshape(rows, _REMAP_ROW)
        out = cv2.remap(self.atlas, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(-1, 3)[:m]

    @staticmethod
    def _visibility(projected: np.ndarray, inv_depth: np.ndarray, ss: int) -> np.ndarray:
        """A landmark is visible when no surface at its pixel is nearer than it (± tolerance)."""
        big = inv_depth.shape[0]
        px = np.floor(projected[:, 0] * ss).astype(np.int64)
        py = np.floor(projected[:, 1] * ss).astype(np.int64)
        inside = (px >= 0) & (px < big) & (py >= 0) & (py < big)
        nearest = np.zeros(len(projected))
        nearest[inside] = inv_depth[py[inside], px[inside]]
        surface_depth = np.where(nearest > 0, 1.0 / np.maximum(nearest, 1e-12), np.inf)
        return inside & (projected[:, 2] <= surface_depth + VISIBLE_TOLERANCE_CM)
