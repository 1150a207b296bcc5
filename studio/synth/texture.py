"""Procedural texture atlas of one identity (float32 RGB in [0, 1], see `studio.synth.atlas`).

Painted once per identity in UV space: the face region uses the canonical mesh's own UVs, so
features are drawn at their landmarks' UVs (lips between the outer and inner lip loops, brows on
the brow chains, lid lines on the eye loops). The shell region is painted from the 3-D point each
texel lands on, so the hairline is a smooth curve rather than a triangle staircase.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.face.mesh import (
    FACE_OVAL,
    INNER_LIP_LOOP,
    LEFT_BROW,
    LEFT_EYE_LOOP,
    OUTER_LIP_LOOP,
    RIGHT_BROW,
    RIGHT_EYE_LOOP,
    canonical_mesh,
)
from studio.synth.atlas import ATLAS_H, ATLAS_W, REGIONS, region_view
from studio.synth.head import (
    EYE_RADIUS,
    IRIS_RADIUS,
    SHELL_RINGS,
    _shell_point,
    hair_amount,
)
from studio.synth.look import FaceLook

FACE_SIZE = REGIONS["face"][2]


def noise(
    rng: np.random.Generator, shape: tuple[int, int], scales=(4, 16, 64), weights=None
) -> np.ndarray:
    """Multi-octave value noise in about [-1, 1]: smooth random grids upsampled and summed.

    Coarser octaves weigh more unless `weights` says otherwise."""
    if weights is None:
        weights = 0.6 ** np.arange(len(scales))
        weights = weights / weights.sum()
    out = np.zeros(shape, np.float32)
    for scale, weight in zip(scales, weights, strict=True):
        grid = rng.standard_normal((scale, scale)).astype(np.float32)
        out += weight * cv2.resize(grid, shape[::-1], interpolation=cv2.INTER_CUBIC)
    return out


def _blend(image: np.ndarray, mask: np.ndarray, colour, strength: float = 1.0) -> None:
    a = np.clip(mask * strength, 0, 1)[..., None]
    image[:] = image * (1 - a) + np.asarray(colour, np.float32) * a


def _uv_px(indices) -> np.ndarray:
    return canonical_mesh().uvs[list(indices)] * FACE_SIZE


def _poly_mask(size: int, polygons: list[np.ndarray], blur: float) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    for poly in polygons:
        cv2.fillPoly(
            mask, [np.round(poly * 4).astype(np.int32)], 1.0, lineType=cv2.LINE_AA, shift=2
        )
    return cv2.GaussianBlur(mask, (0, 0), blur) if blur > 0 else mask


def _line_mask(size: int, chains: list[np.ndarray], thickness: int, blur: float) -> np.ndarray:
    mask = np.zeros((size, size), np.float32)
    for chain in chains:
        cv2.polylines(
            mask,
            [np.round(chain * 4).astype(np.int32)],
            False,
            1.0,
            thickness,
            lineType=cv2.LINE_AA,
            shift=2,
        )
    return cv2.GaussianBlur(mask, (0, 0), blur)


def _gauss_spot(size: int, centre: np.ndarray, sigma: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * sigma**2))


def _paint_face(tex: np.ndarray, look: FaceLook, rng: np.random.Generator) -> None:
    size = tex.shape[0]
    skin = np.asarray(look.skin_rgb, np.float32)
    tex[:] = skin * (1 + look.skin_detail * noise(rng, (size, size), (8, 32, 128)))[..., None]
    tex[:] *= (1 + 0.02 * rng.standard_normal((size, size)).astype(np.float32))[..., None]
    redness = np.array([0.78, 0.42, 0.42], np.float32)
    for cheek in (205, 425):
        _blend(
            tex, _gauss_spot(size, _uv_px([cheek])[0], 28), redness * skin * 1.1, 0.35 * look.blush
        )
    _blend(tex, _gauss_spot(size, _uv_px([4])[0], 16), redness * skin * 1.1, 0.2 * look.blush)
    # Orbit shadow and lid crease.
    for loop in (LEFT_EYE_LOOP, RIGHT_EYE_LOOP):
        pts = _uv_px(loop)
        centre = pts.mean(0)
        _blend(tex, _gauss_spot(size, centre, 22), skin * 0.72, 0.45)
        upper = pts[8:].copy()
        crease = np.concatenate([pts[:1], upper, pts[8:9]])
        crease_up = crease + (crease - centre) * 0.45 - [0, 4]
        _blend(tex, _line_mask(size, [crease_up], 2, 1.5), skin * 0.6, 0.5)
    # Stubble: speckled shadow on the jaw, chin and upper lip.
    if look.stubble > 0:
        beard = _poly_mask(size, [_uv_px(FACE_OVAL[9:28])], 0)
        keep_out = _poly_mask(
            size, [_uv_px((234, 93, 132, 58, 205, 50, 4, 280, 425, 288, 361, 323, 454))], 0
        )
        beard = cv2.GaussianBlur(np.clip(beard - keep_out, 0, 1), (0, 0), 8)
        speckle = np.clip(rng.random((size, size)).astype(np.float32) * 1.6 - 0.4, 0, 1)
        colour = np.asarray(look.hair_rgb, np.float32) * 0.6 + skin * 0.15
        _blend(tex, beard * speckle, colour, 0.55 * look.stubble)
    if look.freckles:
        for cx, cy in rng.normal([0.5, 0.55], [0.12, 0.06], (140, 2)) * size:
            cv2.circle(
                tex,
                (int(cx), int(cy)),
                int(rng.integers(1, 3)),
                (skin * 0.72).tolist(),
                -1,
                cv2.LINE_AA,
            )
    # Lips: between the outer and inner loops, with a darker line where they meet.
    lips = np.clip(
        _poly_mask(size, [_uv_px(OUTER_LIP_LOOP)], 1.2)
        - _poly_mask(size, [_uv_px(INNER_LIP_LOOP)], 0),
        0,
        1,
    )
    lip = np.asarray(look.lip_rgb, np.float32)
    _blend(tex, lips, lip, 0.9)
    _blend(
        tex,
        _line_mask(size, [_uv_px(INNER_LIP_LOOP + INNER_LIP_LOOP[:1])], 2, 1.0),
        lip * 0.45,
        0.8,
    )
    # Nostrils: dark ovals beside the columella.
    for ala in (98, 327):
        centre = _uv_px([2])[0] * 0.45 + _uv_px([ala])[0] * 0.55
        cv2.ellipse(
            tex,
            (int(centre[0]), int(centre[1])),
            (7, 4),
            0,
            0,
            360,
            (skin * 0.3).tolist(),
            -1,
            cv2.LINE_AA,
        )
    # Brows: lower chain + reversed upper chain, thickened about the centre line.
    brow_mask = np.zeros((size, size), np.float32)
    for brow in (LEFT_BROW, RIGHT_BROW):
        pts = _uv_px(brow)
        mid = pts.mean(0)
        poly = mid + (pts - mid) * [1.0, look.brow_thickness]
        brow_mask = np.maximum(brow_mask, _poly_mask(size, [poly], 2.0))
    hairs = 0.75 + 0.25 * np.clip(noise(rng, (size, size), (64, 256), (0.5, 0.5)), -1, 1)
    _blend(tex, brow_mask * hairs, look.brow_rgb, 0.9)
    # Lid lines and lashes along the eye openings.
    for loop in (LEFT_EYE_LOOP, RIGHT_EYE_LOOP):
        pts = _uv_px(loop)
        _blend(
            tex,
            _line_mask(size, [np.concatenate([pts[8:], pts[:1]])], 3, 0.8),
            (0.05, 0.04, 0.04),
            0.85,
        )
        _blend(tex, _line_mask(size, [pts[:9]], 1, 0.8), skin * 0.55, 0.6)


def _paint_shell(
    tex: np.ndarray, look: FaceLook, face: np.ndarray, rng: np.random.Generator
) -> None:
    """Hair and scalp skin over the shell's (around, ring) parameterisation."""
    h, w = tex.shape[:2]
    half = len(FACE_OVAL) // 2
    oval = face[list(FACE_OVAL[: half + 1])]  # top -> chin along the +x side
    u = (np.arange(w) + 0.5) / w * half
    lo = np.floor(u).astype(int).clip(0, half - 1)
    oval_u = oval[lo] + (u - lo)[:, None] * (oval[lo + 1] - oval[lo])
    t = (np.arange(h) + 0.5) / h
    t = np.interp(
        t, [0, SHELL_RINGS[0], SHELL_RINGS[-1], 1], [0, SHELL_RINGS[0], SHELL_RINGS[-1], 1]
    )
    points = _shell_point(oval_u, t).reshape(-1, 3)
    hair = hair_amount(points, look.hair_style_name).reshape(h, w)
    skin = np.asarray(look.skin_rgb, np.float32)
    tex[:] = skin * (1 + look.skin_detail * noise(rng, (h, w), (8, 32)))[..., None]
    streaks = noise(rng, (h, w), (64, 128), (0.6, 0.4))
    streaks = cv2.resize(cv2.resize(streaks, (w, h // 8)), (w, h), interpolation=cv2.INTER_CUBIC)
    strands = (
        np.asarray(look.hair_rgb, np.float32) * (0.85 + 0.3 * np.clip(streaks, -1, 1))[..., None]
    )
    if look.hair_style_name == "buzz":
        strands = strands * 0.6 + skin * 0.4
    tex[:] = tex * (1 - hair[..., None]) + strands * hair[..., None]


def _paint_eye(tex: np.ndarray, look: FaceLook, rng: np.random.Generator) -> None:
    size = tex.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = np.hypot(xx - size / 2 + 0.5, yy - size / 2 + 0.5) / (size / 2)  # 1 = ball silhouette
    iris_r = IRIS_RADIUS / EYE_RADIUS
    sclera = np.array([0.9, 0.87, 0.84], np.float32)
    tex[:] = sclera * (1 - 0.12 * np.clip(r, 0, 1) ** 2)[..., None]
    tex[..., 0] += 0.03 * np.clip(r - 0.5, 0, 1)
    angle = np.arctan2(yy - size / 2, xx - size / 2)
    fibres = 0.8 + 0.25 * np.sin(angle * 23 + 3 * rng.random()) * np.sin(angle * 7)
    iris = np.asarray(look.iris_rgb, np.float32) * fibres[..., None]
    iris *= (0.55 + 0.45 * np.clip((iris_r - r) / (0.25 * iris_r), 0, 1))[..., None]
    inside = np.clip((iris_r - r) * size / 2, 0, 1)
    tex[:] = tex * (1 - inside[..., None]) + iris * inside[..., None]
    pupil = np.clip((0.42 * iris_r - r) * size / 2, 0, 1)
    tex[:] = tex * (1 - pupil[..., None]) + 0.03 * pupil[..., None]


def _paint_small(atlas: np.ndarray, look: FaceLook, rng: np.random.Generator) -> None:
    skin = np.asarray(look.skin_rgb, np.float32)
    teeth = region_view(atlas, "teeth")
    n = teeth.shape[0]
    u = (np.arange(n) + 0.5) / n
    gaps = 1 - 0.35 * np.exp(-(((u * 10) % 1 - 0.5) ** 2) / 0.004)  # tooth boundaries
    side = 1 - 0.55 * np.abs(u - 0.5) * 2
    v = (np.arange(n) + 0.5) / n
    gum = np.exp(-((np.minimum(v, 1 - v) / 0.06) ** 2))
    base = np.array([0.92, 0.89, 0.8], np.float32) * (gaps * side)[None, :, None]
    teeth[:] = base * (1 - gum[:, None, None]) + np.array([0.75, 0.42, 0.42]) * gum[:, None, None]
    size = region_view(atlas, "tongue").shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    r = np.hypot(xx, yy) * 2
    region_view(atlas, "tongue")[:] = (
        np.array([0.72, 0.36, 0.38]) * (0.7 + 0.3 * (1 - r.clip(0, 1)))[..., None]
    )
    region_view(atlas, "mouth")[:] = (
        np.array([0.32, 0.1, 0.1]) * (0.25 + 0.75 * r.clip(0, 1))[..., None]
    )
    region_view(atlas, "socket")[:] = (
        np.array([0.45, 0.25, 0.23]) * skin / skin.mean() * (0.3 + 0.6 * r.clip(0, 1))[..., None]
    )
    ear = region_view(atlas, "ear")
    ear[:] = skin * (1 + 0.03 * noise(rng, ear.shape[:2], (4, 16), (0.5, 0.5)))[..., None]
    concha = np.exp(-((xx * 2.4) ** 2 + (yy * 1.4) ** 2) / 0.12)
    ear *= (1 - 0.4 * concha)[..., None]
    flat = region_view(atlas, "skin")
    flat[:] = skin * (1 + look.skin_detail * noise(rng, flat.shape[:2], (4, 16)))[..., None]


def paint_atlas(look: FaceLook, face: np.ndarray) -> np.ndarray:
    """(ATLAS_H, ATLAS_W, 3) float32 texture of `look`; `face` is its rest face (468, 3)."""
    rng = np.random.default_rng(look.texture_seed)
    atlas = np.zeros((ATLAS_H, ATLAS_W, 3), np.float32)
    _paint_face(region_view(atlas, "face"), look, rng)
    _paint_shell(region_view(atlas, "shell"), look, face, rng)
    _paint_eye(region_view(atlas, "eye"), look, rng)
    _paint_small(atlas, look, rng)
    return np.clip(atlas, 0, 1)
