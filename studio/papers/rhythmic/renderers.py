"""The renderers Talk can draw with, by name. Only renderers that exist are listed: the photo
animator and the NeRF join when their papers land.

A renderer draws (T, 52) blendshapes and (T, 6) poses of one SynthTalk person as frames.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from studio.render.camera import Camera
from studio.synth.identity import Identity
from studio.synth.renderer import HeadRenderer, gradient_background

BACKGROUND = ((70, 80, 96), (150, 160, 176))  # top and bottom colours of the backdrop
RENDER_THREADS = max(1, min(4, os.cpu_count() or 1))


_HEADS: dict[tuple[int, int], HeadRenderer] = {}  # built once per (person, size): ≈ 0.4 s


def _head(identity: Identity, size: int) -> HeadRenderer:
    key = (identity.identity_id, size)
    if key not in _HEADS:
        if len(_HEADS) >= 8:
            _HEADS.pop(next(iter(_HEADS)))
        _HEADS[key] = HeadRenderer(identity.look, size)
    return _HEADS[key]


@functools.lru_cache(maxsize=4)
def _backdrop(size: int) -> np.ndarray:
    return gradient_background(size, *BACKGROUND)


def synthtalk(
    person: Identity,
    blendshapes: np.ndarray,
    pose6: np.ndarray,
    size: int,
    done: Callable[[int], None] | None = None,
) -> np.ndarray:
    """The SynthTalk rig, textured and lit, at the corpus's main camera. Frames are drawn by
    RENDER_THREADS threads (numpy releases the GIL in the rasteriser's array work)."""
    head = _head(person, size)
    camera = Camera(size=size)
    backdrop = _backdrop(size * head.supersample)  # drawn at the supersampled size once
    frames = np.empty((len(blendshapes), size, size, 3), np.uint8)

    def draw(i: int) -> int:
        frames[i] = head.render(blendshapes[i], pose6[i], camera=camera, background=backdrop).image
        return i

    with ThreadPoolExecutor(RENDER_THREADS) as pool:
        for k, _ in enumerate(pool.map(draw, range(len(frames)))):
            if done is not None:
                done(k)
    return frames


RENDERERS: dict[str, Callable] = {"synthtalk": synthtalk}


def render_frames(
    name: str,
    person: Identity,
    blendshapes: np.ndarray,
    pose6: np.ndarray,
    size: int,
    done: Callable[[int], None] | None = None,
) -> np.ndarray:
    return RENDERERS[name](person, blendshapes, pose6, size, done)
