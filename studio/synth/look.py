"""How one SynthTalk identity looks: face shape coefficients and appearance, drawn from a seed.

Shape: `SHAPE_FIELDS` are smooth, left/right-symmetric displacement fields (cm) on the canonical
mesh, each a sum of Gaussian bumps centred on landmarks. A look's `shape` holds one coefficient
per field, drawn from N(0, 1) and clipped to ±2, and the amplitudes are set so that ±2 is still a
plausible face. Appearance: skin, lip, brow, iris and hair colours, skin detail and hair style;
the texture itself is painted from these by `studio.synth.texture`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from studio.face.mesh import LEFT_EYE_LOOP, canonical_mesh

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class ShapeField:
    """One deformation: Gaussian bumps at landmarks (mirrored to -x when `mirror`)."""

    name: str
    centre: int | tuple[int, ...]  # landmark index, or several whose mean is the centre
    sigma: float  # cm
    move: tuple[float, float, float]  # displacement at the centre for coefficient 1 (cm)
    mirror: bool = True


# Left-side landmarks (+x); mirrored fields act on both sides symmetrically.
SHAPE_FIELDS: tuple[ShapeField, ...] = (
    ShapeField("face_width", 454, 4.0, (0.45, 0.0, 0.0)),
    ShapeField("jaw_width", 397, 2.6, (0.55, 0.0, 0.1)),
    ShapeField("chin_length", 152, 2.4, (0.0, -0.55, 0.0), mirror=False),
    ShapeField("chin_protrusion", 152, 2.2, (0.0, 0.0, 0.45), mirror=False),
    ShapeField("cheek_fullness", 425, 1.9, (0.3, 0.0, 0.3)),
    ShapeField("cheekbone", 345, 1.6, (0.2, 0.15, 0.25)),
    ShapeField("nose_length", (2, 1), 1.1, (0.0, -0.3, 0.05), mirror=False),
    ShapeField("nose_projection", 1, 1.5, (0.0, 0.0, 0.4), mirror=False),
    ShapeField("nose_width", 358, 0.9, (0.22, 0.0, 0.0)),
    ShapeField("nose_bridge", 6, 1.2, (0.0, 0.0, 0.25), mirror=False),
    ShapeField("eye_spacing", LEFT_EYE_LOOP, 1.5, (0.2, 0.0, 0.0)),
    ShapeField("eye_height", LEFT_EYE_LOOP, 1.8, (0.0, 0.25, 0.0)),
    ShapeField("mouth_width", 291, 0.9, (0.25, 0.0, -0.05)),
    ShapeField("upper_lip", 0, 0.7, (0.0, 0.12, 0.15), mirror=False),
    ShapeField("lower_lip", 17, 0.7, (0.0, -0.12, 0.15), mirror=False),
    ShapeField("mouth_height", (0, 17), 1.6, (0.0, 0.3, 0.0), mirror=False),
    ShapeField("brow_height", 334, 1.5, (0.0, 0.3, 0.0)),
    ShapeField("brow_ridge", 334, 1.7, (0.0, 0.0, 0.25)),
    ShapeField("forehead_slope", 10, 3.5, (0.0, 0.2, -0.5), mirror=False),
)
N_SHAPE = len(SHAPE_FIELDS)
SHAPE_LIMIT = 2.0

HAIR_STYLES = ("short", "medium", "buzz", "receding", "long")
REST_SHAPE = {"mouth_width": 1.5}
# Added to every look's coefficients: the canonical mouth, once closed, is narrow enough that the
# tracker reads it as mouthPucker ≈ 0.3–0.7 at rest; a slightly wider mouth reads ≈ 0.


def _bump(vertices: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-((vertices - centre) ** 2).sum(1) / (2 * sigma**2))


def field_displacement(field: ShapeField, vertices: np.ndarray) -> np.ndarray:
    """(N, 3) displacement (cm) of `field` at coefficient 1, evaluated at rest `vertices`."""
    rest = canonical_mesh().vertices.astype(np.float64)
    idx = [field.centre] if isinstance(field.centre, int) else list(field.centre)
    centre = rest[idx].mean(0)
    move = np.asarray(field.move, dtype=np.float64)
    out = _bump(vertices, centre, field.sigma)[:, None] * move
    if field.mirror:
        flip = np.array([-1.0, 1.0, 1.0])
        out += _bump(vertices, centre * flip, field.sigma)[:, None] * move * flip
    return out


@lru_cache(maxsize=1)
def shape_basis() -> np.ndarray:
    """(K, 468, 3) displacement of each shape field on the canonical mesh, cm per unit."""
    rest = canonical_mesh().vertices.astype(np.float64)
    return np.stack([field_displacement(f, rest) for f in SHAPE_FIELDS]).astype(np.float32)


@dataclass
class FaceLook:
    """Everything about how one identity looks. Colours are RGB in [0, 1]."""

    shape: np.ndarray  # (K,) coefficients of SHAPE_FIELDS, each in [-2, 2]
    skin_rgb: RGB
    lip_rgb: RGB
    brow_rgb: RGB
    iris_rgb: RGB
    hair_rgb: RGB
    skin_detail: float = 0.04  # amplitude of multi-scale skin noise
    blush: float = 0.3  # cheek redness, 0..1
    freckles: bool = False
    stubble: float = 0.0  # 0 = none, up to 1 = dark beard shadow
    brow_thickness: float = 1.0  # scales brow band height
    hair_style: int = 0  # index into HAIR_STYLES
    hair_volume: float = 0.8  # cm the hair stands off the skull
    texture_seed: int = 0  # seeds the noise of the painted texture

    def face_vertices(self) -> np.ndarray:
        """(468, 3) canonical vertices deformed by this identity's shape (cm)."""
        rest = canonical_mesh().vertices.astype(np.float32)
        coeffs = self.shape.astype(np.float32).copy()
        for name, value in REST_SHAPE.items():
            coeffs[[f.name for f in SHAPE_FIELDS].index(name)] += value
        return rest + np.tensordot(coeffs, shape_basis(), axes=1)

    @property
    def hair_style_name(self) -> str:
        return HAIR_STYLES[self.hair_style]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["shape"] = [round(float(c), 5) for c in self.shape]
        out["shape_names"] = [f.name for f in SHAPE_FIELDS]
        out["hair_style_name"] = self.hair_style_name
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = [round(float(c), 5) for c in value]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> FaceLook:
        names = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["shape"] = np.asarray(kwargs["shape"], dtype=np.float32)
        for key in ("skin_rgb", "lip_rgb", "brow_rgb", "iris_rgb", "hair_rgb"):
            kwargs[key] = tuple(float(c) for c in kwargs[key])
        return cls(**kwargs)


# Skin tones along a light-to-dark axis (sRGB 0..1), loosely after the Monk skin tone scale.
SKIN_TONES = np.array(
    [
        (0.96, 0.85, 0.78),
        (0.93, 0.78, 0.68),
        (0.87, 0.70, 0.58),
        (0.78, 0.60, 0.46),
        (0.66, 0.48, 0.35),
        (0.52, 0.37, 0.26),
        (0.40, 0.28, 0.20),
        (0.30, 0.21, 0.16),
    ]
)
IRIS_COLOURS = np.array(
    [
        (0.20, 0.12, 0.07),
        (0.33, 0.20, 0.10),
        (0.45, 0.33, 0.16),
        (0.30, 0.40, 0.25),
        (0.30, 0.45, 0.62),
        (0.45, 0.50, 0.55),
    ]
)
HAIR_COLOURS = np.array(
    [
        (0.06, 0.05, 0.05),
        (0.16, 0.10, 0.07),
        (0.30, 0.19, 0.11),
        (0.55, 0.40, 0.24),
        (0.80, 0.66, 0.42),
        (0.55, 0.25, 0.12),
        (0.62, 0.60, 0.58),
    ]
)


def _tone(rng: np.random.Generator, darkness: float) -> np.ndarray:
    position = darkness * (len(SKIN_TONES) - 1)
    lo = int(np.floor(position))
    hi = min(lo + 1, len(SKIN_TONES) - 1)
    base = SKIN_TONES[lo] + (position - lo) * (SKIN_TONES[hi] - SKIN_TONES[lo])
    warmth = rng.normal(0, 0.025)  # red-yellow vs olive shift
    return np.clip(base * (1 + np.array([warmth, 0.0, -warmth])), 0, 1)


def _rgb(values: np.ndarray) -> RGB:
    return tuple(float(round(c, 4)) for c in np.clip(values, 0, 1))  # type: ignore[return-value]


def sample_look(rng: np.random.Generator) -> FaceLook:
    """Draw one identity's look. Dark skin makes light hair and light eyes less likely."""
    shape = np.clip(rng.normal(0, 1, N_SHAPE), -SHAPE_LIMIT, SHAPE_LIMIT).astype(np.float32)
    darkness = float(rng.uniform(0, 1))
    skin = _tone(rng, darkness)
    hair_weights = np.array([3, 3, 2, 1 - darkness, 1 - darkness, 0.5 - 0.5 * darkness, 0.5])
    hair = HAIR_COLOURS[rng.choice(len(HAIR_COLOURS), p=hair_weights / hair_weights.sum())]
    hair = hair * rng.uniform(0.85, 1.15)
    iris_weights = np.array([3, 3, 2, 1.2 - darkness, 1.2 - darkness, 1 - darkness])
    iris = IRIS_COLOURS[rng.choice(len(IRIS_COLOURS), p=iris_weights / iris_weights.sum())]
    lip = skin * np.array([0.86, 0.62, 0.62]) + np.array([0.06, 0.0, 0.02]) * rng.uniform(0.5, 1.5)
    brow_dark = rng.uniform(0.35, 0.7)
    brow = hair * (1 - brow_dark) + skin * 0.25 * brow_dark
    brow = np.minimum(brow, skin * 0.55)
    stubble = float(rng.uniform(0.2, 0.8)) if rng.random() < 0.3 else 0.0
    return FaceLook(
        shape=shape,
        skin_rgb=_rgb(skin),
        lip_rgb=_rgb(lip),
        brow_rgb=_rgb(brow),
        iris_rgb=_rgb(iris * rng.uniform(0.85, 1.15)),
        hair_rgb=_rgb(hair),
        skin_detail=float(rng.uniform(0.02, 0.06)),
        blush=float(rng.uniform(0.1, 0.6)),
        freckles=bool(rng.random() < 0.2 * (1 - darkness)),
        stubble=stubble,
        brow_thickness=float(rng.uniform(0.8, 1.3)),
        hair_style=int(rng.integers(0, len(HAIR_STYLES))),
        hair_volume=float(rng.uniform(0.4, 1.4)),
        texture_seed=int(rng.integers(0, 2**31 - 1)),
    )
