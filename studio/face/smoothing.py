"""Optional temporal smoothing of a track (landmarks, blendshapes, pose).

A centred Gaussian over time, applied only across frames where the face was found, so that
jitter goes down without lag (offline clips can look ahead, unlike a live One-Euro filter).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from studio.face.geometry import matrix_from_pose6
from studio.face.records import FaceTrack


def gaussian_smooth(values: np.ndarray, valid: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth (T, ...) values over time with a Gaussian of `sigma` frames; invalid rows skipped."""
    if sigma <= 0 or len(values) < 2:
        return values.copy()
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    flat = np.nan_to_num(values.reshape(len(values), -1).astype(np.float64))
    weight = valid.astype(np.float64)
    num = np.zeros_like(flat)
    den = np.zeros(len(values))
    for k, w in zip(offsets, kernel, strict=True):
        src = slice(max(0, k), len(values) + min(0, k))
        dst = slice(max(0, -k), len(values) - max(0, k))
        num[dst] += w * flat[src] * weight[src, None]
        den[dst] += w * weight[src]
    out = num / np.maximum(den, 1e-12)[:, None]
    out = out.reshape(values.shape).astype(values.dtype)
    out[~valid] = values[~valid]
    return out


def smooth_track(track: FaceTrack, sigma: float = 1.0) -> FaceTrack:
    """A copy of `track` with landmarks, blendshapes and pose smoothed over time."""
    ok = track.found
    pose6 = gaussian_smooth(track.pose6, ok, sigma)
    pose = track.pose.copy()
    for t in np.flatnonzero(ok):
        pose[t] = matrix_from_pose6(pose6[t])
    return dataclasses.replace(
        track,
        landmarks=gaussian_smooth(track.landmarks, ok, sigma),
        canonical=gaussian_smooth(track.canonical, ok, sigma),
        blendshapes=gaussian_smooth(track.blendshapes, ok, sigma),
        pose6=pose6,
        pose=pose,
    )
