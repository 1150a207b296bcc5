"""Render any textured triangle mesh: shade → project → cull → rasterise → texture → image.

`MeshRenderer(triangles, uvs, texture, two_sided, twins)` keeps what does not change between
frames (the topology, the texture, the sparse vertex→triangle incidence for normals); `render`
takes the frame's world-space vertices. SynthTalk's `HeadRenderer` builds its heads on it; the
photo animator and the NeRF checks render other meshes with it. Output is deterministic (the
same inputs give the same bytes); anti-aliasing is `supersample`× supersampling box-filtered
with `cv2.INTER_AREA`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import scipy.sparse

from studio.errors import StudioError
from studio.render.camera import Camera, Light
from studio.render.raster import Fragments, cull, rasterize

DEFAULT_BACKGROUND = (128.0, 128.0, 128.0)
VISIBLE_TOLERANCE_CM = 0.2
_REMAP_ROW = 1024  # cv2.remap maps must stay under 32767 per side


@dataclass
class MeshImage:
    """One rendered mesh: image (H, W, 3) uint8 RGB, mask (H, W) uint8 alpha 0..255, and the
    supersampled fragments (for depth and visibility look-ups)."""

    image: np.ndarray
    mask: np.ndarray
    fragments: Fragments
    supersample: int


def gradient_background(size: int, top, bottom) -> np.ndarray:
    """(size, size, 3) float32 vertical gradient between two RGB colours (0..255)."""
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    column = (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)
    return np.broadcast_to(column, (size, size, 3)).astype(np.float32)


def background_image(background, height: int) -> np.ndarray:
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


class MeshRenderer:
    """A fixed-topology textured mesh. triangles (T, 3); uvs (N, 2) in the texture (0..1);
    texture (h, w, 3) float32 RGB 0..1; two_sided (T,) bool (back faces kept); twins (K, 2)
    vertex pairs on a seam that share one summed normal."""

    def __init__(
        self,
        triangles: np.ndarray,
        uvs: np.ndarray,
        texture: np.ndarray,
        two_sided: np.ndarray | None = None,
        twins: np.ndarray | None = None,
        supersample: int = 2,
    ) -> None:
        self.triangles = np.asarray(triangles)
        self.uvs = np.asarray(uvs, np.float32)
        self.texture = texture
        self.two_sided = (
            np.zeros(len(self.triangles), bool) if two_sided is None else np.asarray(two_sided)
        )
        self.supersample = supersample
        n_vert, n_tri = len(self.uvs), len(self.triangles)
        incidence = scipy.sparse.csr_matrix(
            (
                np.ones(3 * n_tri),
                (self.triangles.reshape(-1), np.repeat(np.arange(n_tri), 3)),
            ),
            shape=(n_vert, n_tri),
        )
        twins = np.zeros((0, 2), np.int64) if twins is None else np.asarray(twins)
        a, b = twins.T
        pairs = np.concatenate([a, b]), np.concatenate([b, a])
        merge = scipy.sparse.identity(n_vert, format="csr") + scipy.sparse.csr_matrix(
            (np.ones(len(pairs[0])), pairs), shape=(n_vert, n_vert)
        )
        self._incidence = (merge @ incidence).tocsr()  # twins share the summed normal

    def vertex_normals(self, verts: np.ndarray) -> np.ndarray:
        p = verts[self.triangles]
        face_n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        normals = self._incidence @ face_n
        return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)

    def shade(self, verts: np.ndarray, light: Light) -> np.ndarray:
        """(N,) per-vertex light intensity: ambient + wrapped Lambert (soft, skin-like)."""
        lambert = self.vertex_normals(verts) @ light.unit_direction()
        wrapped = np.clip((lambert + 0.15) / 1.15, 0.0, 1.0)
        return light.ambient + light.diffuse * wrapped

    def render(self, verts: np.ndarray, camera: Camera, light: Light, background=None) -> MeshImage:
        """Render world-space vertices (N, 3) with `camera` and `light` over `background`: an
        RGB colour (0..255), an (H, W, 3) image (0..255) or None (mid grey)."""
        ss = self.supersample
        size = camera.size
        big = size * ss
        shade = self.shade(verts, light)
        screen = camera.project(verts)
        screen[:, :2] *= ss
        drawn = cull(screen, self.triangles, self.two_sided)
        attributes = np.concatenate([self.uvs, shade[:, None]], axis=1)
        frags = rasterize(screen, self.triangles[drawn], big, big, attributes)
        uv = np.clip(frags.attributes[:, :2], 0.0, 1.0)
        intensity = np.clip(frags.attributes[:, 2:3], 0.0, 2.0)
        colour = self.sample_texture(uv) * (intensity * np.asarray(light.colour, np.float32))

        image = background_image(background, big).reshape(-1, 3)
        image[frags.pixel] = colour
        alpha = np.zeros(big * big, np.float32)
        alpha[frags.pixel] = 1.0
        image = image.reshape(big, big, 3)
        alpha = alpha.reshape(big, big)
        if ss > 1:
            image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
            alpha = cv2.resize(alpha, (size, size), interpolation=cv2.INTER_AREA)
        return MeshImage(
            image=np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8),
            mask=np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8),
            fragments=frags,
            supersample=ss,
        )

    def sample_texture(self, uv: np.ndarray) -> np.ndarray:
        """Bilinear lookup of (M, 2) texture UVs -> (M, 3) float32 RGB."""
        m = len(uv)
        rows = max(1, -(-m // _REMAP_ROW))
        pad = rows * _REMAP_ROW - m
        h, w = self.texture.shape[:2]
        mx = np.pad(uv[:, 0] * w - 0.5, (0, pad)).astype(np.float32).reshape(rows, _REMAP_ROW)
        my = np.pad(uv[:, 1] * h - 0.5, (0, pad)).astype(np.float32).reshape(rows, _REMAP_ROW)
        out = cv2.remap(self.texture, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(-1, 3)[:m]


def visible_points(projected: np.ndarray, rendered: MeshImage) -> np.ndarray:
    """(M,) bool: a projected point (pixel x, y, depth cm) is visible when no rendered surface
    at its pixel is nearer than it (± tolerance)."""
    ss = rendered.supersample
    inv_depth = rendered.fragments.depth_image()
    big = inv_depth.shape[0]
    px = np.floor(projected[:, 0] * ss).astype(np.int64)
    py = np.floor(projected[:, 1] * ss).astype(np.int64)
    inside = (px >= 0) & (px < big) & (py >= 0) & (py < big)
    nearest = np.zeros(len(projected))
    nearest[inside] = inv_depth[py[inside], px[inside]]
    surface_depth = np.where(nearest > 0, 1.0 / np.maximum(nearest, 1e-12), np.inf)
    return inside & (projected[:, 2] <= surface_depth + VISIBLE_TOLERANCE_CM)
