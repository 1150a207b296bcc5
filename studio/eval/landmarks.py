"""Landmark, expression and pose distances between a generated clip and its reference.

M-LMD / F-LMD (Chen et al. 2018, "Lip Movements Generation at a Glance"; used as M-LMD and
F-LMD by SPEAK/IRFD) measure lips and the whole face, `exp_diff` the expression (JEAN's
Exp-Diff, with MediaPipe blendshapes standing in for 3DMM expression parameters), and
`pose_error` the head pose. Every function takes either `FaceTrack`s or plain arrays with
optional `found` flags. A frame where either side has no face (found false, or a NaN among the
values used) is skipped and counted in `n_skipped`, never silently scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studio.errors import StudioError
from studio.face.mesh import (
    INNER_LIP_LOOP,
    LEFT_EYE_LOOP,
    LOWER_INNER_LIP,
    OUTER_LIP_LOOP,
    RIGHT_EYE_LOOP,
    UPPER_INNER_LIP,
)
from studio.face.records import BLENDSHAPE_NAMES, FaceTrack

MOUTH_POINTS: tuple[int, ...] = tuple(sorted(set(INNER_LIP_LOOP) | set(OUTER_LIP_LOOP)))
NORMALISATIONS = ("canonical", "interocular")
POSE_ANGLES = ("yaw", "pitch", "roll")


@dataclass
class SequenceScore:
    """A distance averaged over the frames both sides have.

    value: mean of per_frame over used frames (NaN when none); per_frame (T,): NaN where
    skipped; n_frames: frames used; n_skipped: frames left out because a face was missing.
    """

    value: float
    per_frame: np.ndarray
    n_frames: int
    n_skipped: int


@dataclass
class ExpDiff(SequenceScore):
    """`SequenceScore` plus per_blendshape (len(names),): mean |difference| of each one."""

    names: tuple[str, ...] = ()
    per_blendshape: np.ndarray | None = None


@dataclass
class PoseError(SequenceScore):
    """Mean absolute angle error in degrees. value = mean of yaw, pitch, roll errors;
    per_frame (T,) = mean of the three angles per frame; per_angle (T, 3)."""

    yaw: float = float("nan")
    pitch: float = float("nan")
    roll: float = float("nan")
    per_angle: np.ndarray | None = None


def _field(
    x: FaceTrack | np.ndarray, name: str, found: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The array of a FaceTrack field (or the array itself) and its (T,) found flags."""
    if isinstance(x, FaceTrack):
        array, flags = getattr(x, name), x.found
    else:
        array = np.asarray(x)
        flags = np.ones(len(array), dtype=bool)
    if found is not None:
        flags = flags & np.asarray(found, dtype=bool)
    return np.asarray(array, dtype=np.float64), np.asarray(flags, dtype=bool)


def _pair(
    pred: FaceTrack | np.ndarray,
    gt: FaceTrack | np.ndarray,
    name: str,
    found_pred: np.ndarray | None,
    found_gt: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p, fp = _field(pred, name, found_pred)
    g, fg = _field(gt, name, found_gt)
    if p.shape != g.shape:
        raise StudioError(
            f"prediction and reference differ in shape ({p.shape} vs {g.shape}) — "
            "score clips of the same length (resample one of them first)"
        )
    if fp.shape != (len(p),) or fg.shape != (len(g),):
        raise StudioError("found flags must have one entry per frame")
    return p, g, fp & fg


def _summarise(per_frame: np.ndarray, use: np.ndarray) -> tuple[float, np.ndarray, int, int]:
    per_frame = np.where(use, per_frame, np.nan)
    n = int(use.sum())
    value = float(np.nanmean(per_frame)) if n else float("nan")
    return value, per_frame, n, int(len(use) - n)


def interocular_distance(points: np.ndarray) -> np.ndarray:
    """(T,) 2-D distance between the centroids of the two eye-contour loops."""
    left = points[:, list(LEFT_EYE_LOOP), :2].mean(axis=1)
    right = points[:, list(RIGHT_EYE_LOOP), :2].mean(axis=1)
    return np.linalg.norm(left - right, axis=-1)


def landmark_distance(
    pred: FaceTrack | np.ndarray,
    gt: FaceTrack | np.ndarray,
    points: Sequence[int] | None = None,
    normalise: str = "canonical",
    found_pred: np.ndarray | None = None,
    found_gt: np.ndarray | None = None,
) -> SequenceScore:
    """Mean Euclidean distance between corresponding landmarks, averaged over frames.

    normalise="canonical" (default): both sides are pose-normalised canonical landmarks
    (T, N, 3) in cm (a FaceTrack's `canonical`); the distance is 3-D, in cm, and needs no
    further scaling because the tracker already removed pose and scale.
    normalise="interocular": image landmarks (a FaceTrack's `landmarks`); x, y only, each
    frame's distances divided by the reference frame's inter-ocular distance (eye-loop
    centroids), i.e. the normalised mean error of face alignment. Head position and rotation
    errors then count as landmark error, as in the papers that score raw detected landmarks.
    points: landmark indices to use; None = every landmark in the arrays.
    """
    if normalise not in NORMALISATIONS:
        raise StudioError(f"normalise must be one of {NORMALISATIONS}, got {normalise!r}")
    field = "canonical" if normalise == "canonical" else "landmarks"
    p, g, use = _pair(pred, gt, field, found_pred, found_gt)
    if p.ndim != 3 or p.shape[2] < 2:
        raise StudioError(f"landmarks must be (T, N, 2 or 3), got shape {p.shape}")
    idx = np.arange(p.shape[1]) if points is None else np.asarray(points)
    if normalise == "interocular":
        scale = interocular_distance(g)
        dims = slice(0, 2)
    else:
        scale = np.ones(len(g))
        dims = slice(None)
    d = np.linalg.norm(p[:, idx, dims] - g[:, idx, dims], axis=-1).mean(axis=1)
    use = use & np.isfinite(d) & np.isfinite(scale) & (scale > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_frame = d / scale
    return SequenceScore(*_summarise(per_frame, use))


def m_lmd(
    pred: FaceTrack | np.ndarray,
    gt: FaceTrack | np.ndarray,
    normalise: str = "canonical",
    found_pred: np.ndarray | None = None,
    found_gt: np.ndarray | None = None,
) -> SequenceScore:
    """Mouth landmark distance: `landmark_distance` over the inner + outer lip loops (40
    points). Lower is better; cm with the default canonical normalisation."""
    return landmark_distance(pred, gt, MOUTH_POINTS, normalise, found_pred, found_gt)


def mouth_opening(points: np.ndarray) -> np.ndarray:
    """(T,) gap between the inner lips' middle points over the inter-ocular distance."""
    gap = np.linalg.norm(points[:, UPPER_INNER_LIP, :2] - points[:, LOWER_INNER_LIP, :2], axis=-1)
    return gap / interocular_distance(points)


def mouth_opening_r(
    pred: np.ndarray, gt: np.ndarray, found_pred: np.ndarray, found_gt: np.ndarray
) -> float:
    """Pearson r over time between the generated and the true mouth opening (MediaPipe
    landmarks, frames where both have a face): does the mouth open when the truth's does? A
    judge no generator here trains against; NaN when fewer than 3 frames or either is constant."""
    use = np.asarray(found_pred, bool) & np.asarray(found_gt, bool)
    if use.sum() < 3:
        return float("nan")
    a, b = mouth_opening(pred[use]), mouth_opening(gt[use])
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def f_lmd(
    pred: FaceTrack | np.ndarray,
    gt: FaceTrack | np.ndarray,
    normalise: str = "canonical",
    found_pred: np.ndarray | None = None,
    found_gt: np.ndarray | None = None,
) -> SequenceScore:
    """Face landmark distance: `landmark_distance` over every landmark (478 with irises).
    With canonical landmarks it measures expression and identity shape, not pose; with
    normalise="interocular" head pose errors count too (SPEAK's "proxy for pose")."""
    return landmark_distance(pred, gt, None, normalise, found_pred, found_gt)


def exp_diff(
    pred_blend: FaceTrack | np.ndarray,
    gt_blend: FaceTrack | np.ndarray,
    names: Sequence[str] | None = None,
    found_pred: np.ndarray | None = None,
    found_gt: np.ndarray | None = None,
) -> ExpDiff:
    """Expression difference: mean |pred − gt| of blendshape coefficients (T, 52), averaged
    over the chosen blendshapes (`names`, default all 52 in BLENDSHAPE_NAMES order) and frames.

    JEAN's Exp-Diff is the same average on 3DMM expression parameters; ARKit blendshapes in
    [0, 1] are our expression parameters.
    """
    p, g, use = _pair(pred_blend, gt_blend, "blendshapes", found_pred, found_gt)
    if p.ndim != 2 or p.shape[1] != len(BLENDSHAPE_NAMES):
        raise StudioError(f"blendshapes must be (T, {len(BLENDSHAPE_NAMES)}), got {p.shape}")
    names = tuple(BLENDSHAPE_NAMES) if names is None else tuple(names)
    unknown = [n for n in names if n not in BLENDSHAPE_NAMES]
    if unknown:
        raise StudioError(f"unknown blendshape name(s): {', '.join(unknown)}")
    idx = [BLENDSHAPE_NAMES.index(n) for n in names]
    diff = np.abs(p[:, idx] - g[:, idx])
    use = use & np.all(np.isfinite(diff), axis=1)
    value, per_frame, n, skipped = _summarise(diff.mean(axis=1), use)
    per_shape = diff[use].mean(axis=0) if n else np.full(len(idx), np.nan)
    return ExpDiff(value, per_frame, n, skipped, names=names, per_blendshape=per_shape)


def pose_error(
    pred_pose6: FaceTrack | np.ndarray,
    gt_pose6: FaceTrack | np.ndarray,
    found_pred: np.ndarray | None = None,
    found_gt: np.ndarray | None = None,
) -> PoseError:
    """Mean absolute yaw / pitch / roll error in degrees between two (T, 6) pose6 sequences.

    Differences are wrapped to [-180, 180) so 179° vs −179° is a 2° error. Translation
    (columns 3-5) is not scored here.
    """
    p, g, use = _pair(pred_pose6, gt_pose6, "pose6", found_pred, found_gt)
    if p.ndim != 2 or p.shape[1] < 3:
        raise StudioError(f"pose6 must be (T, 6), got shape {p.shape}")
    err = np.abs((p[:, :3] - g[:, :3] + 180.0) % 360.0 - 180.0)
    use = use & np.all(np.isfinite(err), axis=1)
    value, per_frame, n, skipped = _summarise(err.mean(axis=1), use)
    per_angle = np.where(use[:, None], err, np.nan)
    means = np.nanmean(per_angle, axis=0) if n else np.full(3, np.nan)
    return PoseError(
        value,
        per_frame,
        n,
        skipped,
        yaw=float(means[0]),
        pitch=float(means[1]),
        roll=float(means[2]),
        per_angle=per_angle,
    )
