"""Layout of the single texture atlas every SynthTalk head is drawn from.

One atlas means one texture lookup per frame for all materials. Each material owns a rectangle;
`to_atlas` maps a material's local UV (0..1) into atlas UV, leaving a margin so that bilinear
lookups never bleed across rectangles.
"""

from __future__ import annotations

import numpy as np

ATLAS_W, ATLAS_H = 512, 768
# name -> (x, y, width, height) in atlas pixels
REGIONS: dict[str, tuple[int, int, int, int]] = {
    "face": (0, 0, 512, 512),
    "shell": (0, 512, 256, 256),
    "eye": (256, 512, 128, 128),
    "skin": (384, 512, 128, 128),
    "teeth": (256, 640, 64, 64),
    "tongue": (320, 640, 64, 64),
    "mouth": (384, 640, 64, 64),
    "socket": (448, 640, 64, 64),
    "ear": (256, 704, 64, 64),
}


def to_atlas(region: str, local_uv: np.ndarray) -> np.ndarray:
    """(N, 2) local UV in [0, 1] (v down) -> atlas UV in [0, 1]."""
    x, y, w, h = REGIONS[region]
    margin = 0.0 if region == "face" else 1.5
    uv = np.clip(np.asarray(local_uv, dtype=np.float64), 0.0, 1.0)
    u = (x + margin + uv[:, 0] * (w - 2 * margin)) / ATLAS_W
    v = (y + margin + uv[:, 1] * (h - 2 * margin)) / ATLAS_H
    return np.stack([u, v], axis=1).astype(np.float32)


def region_view(atlas: np.ndarray, region: str) -> np.ndarray:
    """The writable sub-image of `atlas` that belongs to `region`."""
    x, y, w, h = REGIONS[region]
    return atlas[y : y + h, x : x + w]
