"""The renderers Talk can draw with, by name. Only renderers that exist are listed: the photo
animator and the NeRF join when their papers land.

A renderer draws (T, 52) blendshapes and (T, 6) poses of one SynthTalk person as frames.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from studio.render.camera import Camera
from studio.synth.identity import Identity
from studio.synth.renderer import HeadRenderer, gradient_background

BACKGROUND = ((70, 80, 96), (150, 160, 176))  # top and bottom colours of the backdrop


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
    """The SynthTalk rig, textured and lit, at the corpus's main camera."""
    head = _head(person, size)
    camera, backdrop = Camera(size=size), _backdrop(size)
    frames = np.empty((len(blendshapes), size, size, 3), np.uint8)
    for i, (bs, pose) in enumerate(zip(blendshapes, pose6, strict=True)):
        frames[i] = head.render(bs, pose, camera=camera, background=backdrop).image
        if done is not None:
            done(i)
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
