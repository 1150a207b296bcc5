"""Finding every face in a still: the landmarker's faces as plain arrays, and a second look.

MediaPipe's face detector sees the whole picture squeezed into 128 × 128 pixels, so in a wide
group photo (or any picture where the faces are small) it can miss every face. The second look
runs the landmarker again on overlapping square tiles (`tile_levels`), maps what each tile
finds back into the picture (`face_from_landmarker`), and merges the faces seen by several
tiles (`merge_faces`). Nothing here calls MediaPipe; `studio.face.tracker` drives it.

Poses from a tile: MediaPipe places every image it is given in front of a virtual pinhole camera
with a 63° vertical field of view, centred on that image, so the head transform it gives for a
tile belongs to the tile's camera. `geometry_pose` recomputes the transform from the face's
landmarks in the whole picture, as MediaPipe's geometry pipeline would have (it reproduces the
landmarker's own transforms), so a still tracked either way gets the same kind of pose.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from studio.face.bundle import read_bundle_member
from studio.face.mesh import METADATA_MEMBER, N_MESH_VERTICES, canonical_mesh, proto_fields

MEDIAPIPE_VERTICAL_FOV_DEG = 63.0  # the landmarker's virtual camera (face geometry pipeline)
MIN_TILE_SIDE = 96  # smaller tiles hold faces too small to give useful landmarks
MAX_TILES_PER_LEVEL = 100  # a 512² picture still gets 128 px tiles (faces of ~25 px)
TILE_OVERLAP = 2 / 3  # a face up to 2/3 of a tile's side lies whole in at least one tile


@dataclass
class Tile:
    """A square (or, at the picture's edge, clipped) window: x0, y0 and its size in pixels."""

    x0: int
    y0: int
    width: int
    height: int

    def crop(self, rgb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(
            rgb[self.y0 : self.y0 + self.height, self.x0 : self.x0 + self.width]
        )


@dataclass
class Face:
    """One face in picture pixels: landmarks (478, 3) as `FaceFrame` has them, blendshapes (52,),
    head transform (4, 4) in the picture's camera, box (4,) x0, y0, x1, y1; `edge` is the gap
    in pixels between the box and the border of the tile it was found in (inf: whole picture)."""

    landmarks: np.ndarray
    blendshapes: np.ndarray
    pose: np.ndarray
    box: np.ndarray
    edge: float = math.inf

    @property
    def area(self) -> float:
        return float((self.box[2] - self.box[0]) * (self.box[3] - self.box[1]))


def _starts(length: int, side: int, stride: int) -> list[int]:
    if side >= length:
        return [0]
    starts = list(range(0, length - side, stride))
    return [*starts, length - side]


def tile_grid(height: int, width: int, side: int, overlap: float = TILE_OVERLAP) -> list[Tile]:
    """Square tiles of `side` pixels covering the picture, each overlapping the next by
    `overlap` of a side (clipped to the picture where it is narrower than `side`)."""
    stride = max(1, round(side * (1 - overlap)))
    return [
        Tile(x0, y0, min(side, width), min(side, height))
        for y0 in _starts(height, side, stride)
        for x0 in _starts(width, side, stride)
    ]


def tile_levels(height: int, width: int) -> list[list[Tile]]:
    """The second look's tile grids, coarse to fine: tiles as tall as the picture's short side,
    then half that, and so on down to `MIN_TILE_SIDE`. Tiles overlap by `TILE_OVERLAP`, or by
    half where that would make more than `MAX_TILES_PER_LEVEL`; the levels stop where even that
    is too many. A grid that is just the whole picture (nothing new to see) is left out."""
    levels: list[list[Tile]] = []
    side = min(height, width)
    while side >= MIN_TILE_SIDE:
        grid = tile_grid(height, width, side)
        if len(grid) > MAX_TILES_PER_LEVEL:
            grid = tile_grid(height, width, side, overlap=0.5)
            if len(grid) > MAX_TILES_PER_LEVEL:
                break
        if len(grid) > 1:
            levels.append(grid)
        side //= 2
    return levels


@lru_cache(maxsize=1)
def _procrustes_weights() -> np.ndarray:
    """(468,) the geometry pipeline's landmark weights (33 are non-zero), from the bundle."""
    weights = np.zeros(N_MESH_VERTICES)
    top = proto_fields(read_bundle_member(METADATA_MEMBER))
    for number, wire, value in top:
        if number == 2 and wire == 2:  # procrustes_landmark_basis: {landmark_id: 1, weight: 2}
            ref = {n: v for n, _, v in proto_fields(value)}  # type: ignore[arg-type]
            weights[int(ref.get(1, 0))] = struct.unpack("<f", ref.get(2, b"\0\0\0\0"))[0]
    return weights


def _weighted_similarity(source: np.ndarray, target: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(4, 4) s R x + t minimising the w-weighted squared error (MediaPipe's Procrustes solver)."""
    total = w.sum()
    mu_s = (w[:, None] * source).sum(0) / total
    mu_t = (w[:, None] * target).sum(0) / total
    xs, xt = source - mu_s, target - mu_t
    u, _, vt = np.linalg.svd((w[:, None] * xt).T @ xs)
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = (w * ((xs @ rot.T) * xt).sum(1)).sum() / (w * (xs**2).sum(1)).sum()
    m = np.eye(4)
    m[:3, :3] = scale * rot
    m[:3, 3] = mu_t - scale * rot @ mu_s
    return m


def geometry_pose(landmarks: np.ndarray, picture_size: tuple[int, int]) -> np.ndarray:
    """(4, 4) head transform of a face in a picture, computed as MediaPipe's face geometry
    pipeline does it (`ScreenToMetricSpaceConverter`): landmarks placed in front of a pinhole
    camera with a 63° vertical field of view centred on the picture, depth from the face's
    scale (two passes), then a weighted Procrustes fit of the canonical mesh.

    landmarks (478 or 468, 3) in picture pixels as `FaceFrame` has them. For a face the
    landmarker saw in the whole picture this reproduces its transform; for a face found in a
    tile it gives the transform the whole picture's camera would have.
    """
    height, width = picture_size
    near = 1.0
    frustum_h = 2 * near * math.tan(math.radians(MEDIAPIPE_VERTICAL_FOV_DEG) / 2)
    frustum_w = frustum_h * width / height
    screen = np.asarray(landmarks[:N_MESH_VERTICES], dtype=np.float64) / [width, height, width]
    screen[:, 1] = 1 - screen[:, 1]  # the origin is the picture's top-left corner
    screen = screen * [frustum_w, frustum_h, frustum_w] - [frustum_w / 2, frustum_h / 2, 0]
    depth_offset = screen[:, 2].mean()
    canonical = canonical_mesh().vertices.astype(np.float64)
    weights = _procrustes_weights()

    def metric(scale: float) -> np.ndarray:
        points = screen.copy()
        points[:, 2] = (points[:, 2] - depth_offset + near) / scale
        points[:, :2] *= points[:, 2:3] / near
        points[:, 2] *= -1
        return points

    flipped = screen * [1, 1, -1]
    first = np.linalg.norm(_weighted_similarity(canonical, flipped, weights)[:3, 0])
    second = np.linalg.norm(_weighted_similarity(canonical, metric(first), weights)[:3, 0])
    return _weighted_similarity(canonical, metric(first * second), weights).astype(np.float32)


def face_from_landmarker(
    points: np.ndarray,
    blendshapes: np.ndarray,
    pose: np.ndarray,
    tile: Tile,
    picture_size: tuple[int, int],
) -> Face:
    """One landmarker face seen in `tile` -> a `Face` in picture pixels.

    points (478, 3): MediaPipe's normalised x, y (0-1 across the tile) and z (on x's scale).
    """
    scale = np.array([tile.width, tile.height, tile.width], dtype=np.float32)
    landmarks = np.asarray(points, dtype=np.float32) * scale
    landmarks[:, 0] += tile.x0
    landmarks[:, 1] += tile.y0
    box = np.concatenate([landmarks[:, :2].min(0), landmarks[:, :2].max(0)]).astype(np.float32)
    height, width = picture_size
    whole = tile.width == width and tile.height == height
    edge = math.inf
    if not whole:
        edge = float(
            min(
                box[0] - tile.x0,
                box[1] - tile.y0,
                tile.x0 + tile.width - box[2],
                tile.y0 + tile.height - box[3],
            )
        )
    pose = np.asarray(pose, dtype=np.float32) if whole else geometry_pose(landmarks, picture_size)
    return Face(
        landmarks=landmarks,
        blendshapes=np.asarray(blendshapes, dtype=np.float32),
        pose=pose,
        box=box,
        edge=edge,
    )


def box_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box: 1 when one box lies inside the other."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / max(smaller, 1e-9))


def merge_faces(faces: list[Face], same: float = 0.5) -> list[Face]:
    """One `Face` per person from faces seen by overlapping tiles.

    Two faces whose boxes overlap by more than `same` (of the smaller box) are one person; the
    view that keeps the face farthest from its tile's border (the most complete) is kept, the
    larger one on a tie. The result is ordered largest first.
    """
    ranked = sorted(faces, key=lambda f: (min(f.edge, 1e9), f.area), reverse=True)
    kept: list[Face] = []
    for face in ranked:
        if all(box_overlap(face.box, other.box) <= same for other in kept):
            kept.append(face)
    return sorted(kept, key=lambda f: f.area, reverse=True)
