"""One SynthTalk clip: an identity says a sentence with an emotion; frames + audio + truth.

`make_clip` joins the two halves of SynthTalk: the *performance* (speech, visemes, emotion,
head motion, blinks as ARKit blendshapes and a 6-D pose per frame) and the *renderer* (the
identity's head drawn with those values). Everything is drawn from the clip's seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.synth.identity import Identity
from studio.synth.performance import Performance, perform
from studio.synth.renderer import Camera, HeadRenderer, Light

# Extra calibrated views (camera yaw, pitch offsets in degrees) rendered for held-out frames.
EXTRA_VIEWS: tuple[tuple[float, float], ...] = (
    (-40, 0),
    (-20, 0),
    (20, 0),
    (40, 0),
    (0, -15),
    (0, 15),
)


@dataclass(frozen=True)
class ClipSpec:
    """What to render. `clip_id` names the clip's folder; `seed` drives all its randomness."""

    clip_id: str
    identity_id: int
    sentence_id: int
    sentence_split: str  # "train" or "held_out"
    text: str
    emotion: str
    intensity: int
    seed: int
    identity_split: str  # "train" or "held_out"
    view_every: int = 0  # >0: render EXTRA_VIEWS for every n-th frame


@dataclass
class Clip:
    """A rendered clip. frames (T, H, W, 3) uint8, masks (T, H, W) uint8, audio 16 kHz."""

    spec: ClipSpec
    performance: Performance
    frames: np.ndarray
    masks: np.ndarray
    landmarks: np.ndarray  # (T, 478, 3) projected pixel x, y, depth
    visible: np.ndarray  # (T, 478) bool
    camera: Camera
    light: Light
    background: np.ndarray  # (3,) RGB 0..255
    view_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    view_params: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    view_images: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1, 3), np.uint8))
    view_masks: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 1), np.uint8))
    view_landmarks: np.ndarray = field(default_factory=lambda: np.zeros((0, 478, 3), np.float32))


def sample_scene(rng: np.random.Generator, size: int) -> tuple[Camera, Light, np.ndarray]:
    """A light from the front hemisphere and a muted background colour, varied per clip."""
    azimuth, elevation = np.radians(rng.uniform(-35, 35)), np.radians(rng.uniform(-10, 35))
    direction = np.array(
        [
            np.sin(azimuth) * np.cos(elevation),
            np.sin(elevation),
            np.cos(azimuth) * np.cos(elevation),
        ],
        np.float32,
    )
    light = Light(
        direction=direction,
        ambient=float(rng.uniform(0.35, 0.5)),
        diffuse=float(rng.uniform(0.5, 0.7)),
        colour=(1.0, 1.0, 1.0),
    )
    background = rng.uniform(40, 215, size=3).astype(np.float32)
    return Camera(size=size), light, background


def make_clip(spec: ClipSpec, identity: Identity, renderer: HeadRenderer, size: int) -> Clip:
    """Perform and render one clip (deterministic for a given spec and identity)."""
    rng = np.random.default_rng(spec.seed)
    camera, light, background = sample_scene(rng, size)
    performance = perform(
        spec.text, spec.emotion, spec.intensity, identity.voice, identity.motion, rng
    )
    n = len(performance.blendshapes)
    frames = np.empty((n, size, size, 3), np.uint8)
    masks = np.empty((n, size, size), np.uint8)
    landmarks = np.empty((n, 478, 3), np.float32)
    visible = np.empty((n, 478), bool)
    for t in range(n):
        result = renderer.render(
            performance.blendshapes[t], performance.pose6[t], camera, light, background
        )
        frames[t], masks[t] = result.image, result.mask
        landmarks[t], visible[t] = result.landmarks, result.visible
    clip = Clip(
        spec=spec,
        performance=performance,
        frames=frames,
        masks=masks,
        landmarks=landmarks,
        visible=visible,
        camera=camera,
        light=light,
        background=background,
    )
    if spec.view_every > 0:
        _render_views(clip, renderer, size)
    return clip


def _render_views(clip: Clip, renderer: HeadRenderer, size: int) -> None:
    perf = clip.performance
    picked = np.arange(clip.spec.view_every // 2, len(perf.blendshapes), clip.spec.view_every)
    images, masks, landmarks, frames, params = [], [], [], [], []
    for t in picked:
        for yaw, pitch in EXTRA_VIEWS:
            camera = Camera(size=size, yaw_deg=yaw, pitch_deg=pitch)
            result = renderer.render(
                perf.blendshapes[t], perf.pose6[t], camera, clip.light, clip.background
            )
            images.append(result.image)
            masks.append(result.mask)
            landmarks.append(result.landmarks)
            frames.append(t)
            params.append((yaw, pitch))
    if images:
        clip.view_images, clip.view_masks = np.stack(images), np.stack(masks)
        clip.view_landmarks = np.stack(landmarks).astype(np.float32)
        clip.view_frames = np.array(frames, np.int32)
        clip.view_params = np.array(params, np.float32)
