"""Render→track calibration: how the MediaPipe tracker reads each rig channel.

The tracker's response to a rig value is monotone but non-linear (smiles are thresholded, jaw
saturates). We sweep each channel on a few identities, record the mean tracked coefficient of
the same ARKit name, and keep the curves, so ground-truth rig values and tracked blendshapes can
be mapped onto each other (`rig_to_tracked`, `tracked_to_rig`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.face.tracker import track_image
from studio.paths import ASSETS
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer

DEFAULT_PATH = ASSETS / "synthtalk_calibration.json"
SWEEP = np.linspace(0.0, 1.0, 9)
CHANNELS = (
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthShrugLower",
    "mouthShrugUpper",
    "cheekSquintLeft",
    "cheekSquintRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeWideLeft",
    "eyeWideRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
)


def sweep_channel(renderer: HeadRenderer, channel: str, camera: Camera) -> np.ndarray:
    """Tracked coefficient of `channel` for each rig value in SWEEP (NaN where no face)."""
    out = np.full(len(SWEEP), np.nan)
    background = np.array([200, 200, 200], np.float32)
    for i, value in enumerate(SWEEP):
        blend = np.zeros(N_BLENDSHAPES, np.float32)
        blend[BLENDSHAPE_INDEX[channel]] = value
        frame = track_image(
            renderer.render(blend, np.zeros(6, np.float32), camera, None, background).image
        )
        if frame.found:
            out[i] = frame.blendshape(channel)
    return out


def calibrate(
    out: str | Path = DEFAULT_PATH, looks: int = 4, size: int = 256, seed: int = 1000
) -> Path:
    """Sweep every channel on `looks` identities; write {channel: {rig, tracked, per_look}}."""
    renderers = [HeadRenderer(sample_identity(i, seed).look, size=size) for i in range(looks)]
    camera = Camera(size=size)
    curves = {}
    for channel in CHANNELS:
        per_look = np.stack([sweep_channel(r, channel, camera) for r in renderers])
        mean = np.nanmean(per_look, axis=0)
        curves[channel] = {
            "rig": SWEEP.round(4).tolist(),
            "tracked": mean.round(4).tolist(),
            "per_look": per_look.round(4).tolist(),
            "monotone": bool(np.all(np.diff(mean) >= -0.02)),
            "gain": float(mean[-1] - mean[0]),
        }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"size": size, "looks": looks, "seed": seed, "curves": curves}, indent=1)
    )
    return out


@lru_cache(maxsize=4)
def load_curves(path: str | Path = DEFAULT_PATH) -> dict:
    return json.loads(Path(path).read_text())["curves"]


def rig_to_tracked(channel: str, rig: np.ndarray, path: str | Path = DEFAULT_PATH) -> np.ndarray:
    curve = load_curves(path)[channel]
    tracked = np.maximum.accumulate(np.asarray(curve["tracked"]))  # enforce monotone
    return np.interp(rig, curve["rig"], tracked)


def tracked_to_rig(
    channel: str, tracked: np.ndarray, path: str | Path = DEFAULT_PATH
) -> np.ndarray:
    curve = load_curves(path)[channel]
    response = np.maximum.accumulate(np.asarray(curve["tracked"]))
    response = response + np.arange(len(response)) * 1e-6  # strictly increasing for interp
    return np.interp(tracked, response, curve["rig"])
