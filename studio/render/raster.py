"""A vectorised numpy triangle rasteriser with a z-buffer and perspective-correct barycentrics.

Why spans and not bounding boxes: each (triangle, row) pair is clipped to its exact x-span, so
every candidate fragment is a covered pixel and no inside test is wasted on bbox corners. The
z-test packs (1/depth, triangle id) into one int64 and resolves all fragments with a single
`np.maximum.at`, which makes ties deterministic (the higher triangle id wins).

Pixel centres are at integer + 0.5; a pixel is covered when its centre is inside the triangle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TRI_BITS = 21  # up to 2M triangles


@dataclass
class Fragments:
    """The visible surface: one entry per covered pixel.

    pixel (M,) flat index y*W+x; tri (M,) index into the triangles given; attributes (M, K)
    perspective-correct interpolation of the per-vertex attributes; inv_depth (M,) 1/depth.
    """

    pixel: np.ndarray
    tri: np.ndarray
    attributes: np.ndarray
    inv_depth: np.ndarray
    height: int
    width: int

    def depth_image(self) -> np.ndarray:
        """(H, W) 1/depth, 0 where nothing was drawn."""
        out = np.zeros(self.height * self.width, np.float32)
        out[self.pixel] = self.inv_depth
        return out.reshape(self.height, self.width)


def _spans(xy: np.ndarray, tris: np.ndarray, height: int, width: int):
    """Per (triangle, row) pair: triangle id, row, first and last covered column."""
    p = xy[tris]  # (T, 3, 2)
    ymin = np.clip(np.ceil(p[:, :, 1].min(1) - 0.5), 0, height).astype(np.int64)
    ymax = np.clip(np.floor(p[:, :, 1].max(1) - 0.5), -1, height - 1).astype(np.int64)
    rows = np.maximum(ymax - ymin + 1, 0)
    tri = np.repeat(np.arange(len(tris)), rows)
    start = np.repeat(np.cumsum(rows) - rows, rows)
    row = np.arange(len(tri)) - start + ymin[tri]
    yc = row + 0.5
    lo = np.full(len(tri), np.inf)
    hi = np.full(len(tri), -np.inf)
    corner_x, corner_y = p[:, :, 0].T.copy(), p[:, :, 1].T.copy()  # (3, T): rows gather fast
    for a, b in ((0, 1), (1, 2), (2, 0)):
        xa, ya = corner_x[a].take(tri), corner_y[a].take(tri)
        xb, yb = corner_x[b].take(tri), corner_y[b].take(tri)
        crosses = (np.minimum(ya, yb) <= yc) & (yc <= np.maximum(ya, yb)) & (ya != yb)
        t = np.where(crosses, (yc - ya) / np.where(ya != yb, yb - ya, 1.0), 0.0)
        x = xa + t * (xb - xa)
        lo = np.where(crosses, np.minimum(lo, x), lo)
        hi = np.where(crosses, np.maximum(hi, x), hi)
    x0 = np.clip(np.ceil(lo - 0.5), 0, width).astype(np.int64)
    x1 = np.clip(np.floor(hi - 0.5), -1, width - 1).astype(np.int64)
    return tri, row, x0, np.maximum(x1 - x0 + 1, 0)


def _planes(xy: np.ndarray, values: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Per triangle and value column, (a, b, c) with value = a*x + b*y + c on screen.

    xy (N, 2); values (N, K) -> (T, K, 3).
    """
    p = xy[tris]  # (T, 3, 2)
    v = values[tris]  # (T, 3, K)
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    det = np.where(np.abs(det) < 1e-9, 1e-9, det)[:, None]
    d1, d2 = v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]
    a = (d1 * e2[:, 1:2] - d2 * e1[:, 1:2]) / det
    b = (d2 * e1[:, 0:1] - d1 * e2[:, 0:1]) / det
    c = v[:, 0] - a * p[:, 0, 0:1] - b * p[:, 0, 1:2]
    return np.stack([a, b, c], axis=2)


def cull(screen: np.ndarray, tris: np.ndarray, two_sided: np.ndarray) -> np.ndarray:
    """Indices of triangles to draw: in front of the camera and front-facing unless two-sided.

    Front-facing = counter-clockwise in the canonical frame = clockwise in image (y down).
    """
    p = screen[tris]
    e1, e2 = p[:, 1, :2] - p[:, 0, :2], p[:, 2, :2] - p[:, 0, :2]
    area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    in_front = (p[:, :, 2] > 1.0).all(1)
    facing = (area < 0) | (two_sided & (area != 0))
    return np.flatnonzero(in_front & facing)


def rasterize(
    screen: np.ndarray, tris: np.ndarray, height: int, width: int, attributes: np.ndarray
) -> Fragments:
    """Draw `tris` (already culled) of `screen` (N, 3: pixel x, y, camera depth).

    attributes (N, K) per-vertex values, interpolated perspective-correctly: value/z and 1/z
    are affine over the screen, so each is one plane per triangle.
    """
    xy = screen[:, :2].astype(np.float64)
    inv_z = 1.0 / screen[:, 2].astype(np.float64)
    tri, row, x0, count = _spans(xy, tris, height, width)
    values = np.concatenate([inv_z[:, None], attributes * inv_z[:, None]], axis=1)
    planes = _planes(xy, values, tris)  # (T, 1 + K, 3)
    # Expand spans to fragments; 1/z decides the nearest fragment per pixel.
    frag_span = np.repeat(np.arange(len(tri)), count)
    offset = np.arange(len(frag_span)) - np.repeat(np.cumsum(count) - count, count)
    col = x0[frag_span] + offset
    frag_row = row[frag_span]
    span_tri = tri[frag_span]
    za, zb, zc = planes[:, 0].T
    inv_depth = za[span_tri] * (col + 0.5) + zb[span_tri] * (frag_row + 0.5) + zc[span_tri]
    pixel = frag_row * width + col
    # Pack (1/z, tri id) so one maximum.at keeps the nearest fragment per pixel.
    z_bits = np.maximum(inv_depth, 0).astype(np.float32).view(np.int32).astype(np.int64)
    zbuf = np.full(height * width, -1, dtype=np.int64)
    np.maximum.at(zbuf, pixel, (z_bits << _TRI_BITS) | span_tri)
    covered = np.flatnonzero(zbuf >= 0)
    winner = zbuf[covered] & ((1 << _TRI_BITS) - 1)
    # Evaluate the winners' planes at the pixel centres: each coefficient a contiguous (T, 1 + K)
    # table, so `take` gathers whole rows (3-D fancy indexing here cost 4x the arithmetic).
    a, b, c = (np.ascontiguousarray(planes[:, :, i], dtype=np.float32) for i in range(3))
    px = ((covered % width) + 0.5).astype(np.float32)[:, None]
    py = ((covered // width) + 0.5).astype(np.float32)[:, None]
    interp = a.take(winner, axis=0) * px + b.take(winner, axis=0) * py + c.take(winner, axis=0)
    inv_d = np.maximum(interp[:, 0], 1e-9)
    return Fragments(
        pixel=covered,
        tri=winner,
        attributes=interp[:, 1:] / inv_d[:, None],
        inv_depth=inv_d,
        height=height,
        width=width,
    )
