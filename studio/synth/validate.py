"""Does SynthTalk look like faces to a real tracker, and do its labels hold? (issue bars)

Each check samples the corpus, runs the MediaPipe tracker on rendered frames and compares what
it reads with the ground truth. `python -m studio.synth check` prints them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.face.geometry import euler_to_rotation, rotation_to_euler
from studio.face.records import BLENDSHAPE_INDEX
from studio.face.tracker import track_image
from studio.speech import frame_energy
from studio.synth.calibrate import rig_to_tracked
from studio.synth.corpus import load_clip, load_manifest, load_views
from studio.synth.emotions import EMOTIONS
from studio.synth.renderer import Camera

log = logging.getLogger(__name__)
JAW = BLENDSHAPE_INDEX["jawOpen"]


@dataclass
class TrackedSample:
    """Tracker readings against ground truth for sampled frames (N of them)."""

    found: np.ndarray  # (N,) bool
    gt_jaw: np.ndarray  # (N,) rig jawOpen
    tracked_jaw: np.ndarray  # (N,)
    gt_angles: np.ndarray  # (N, 2) yaw, pitch of the head seen from the camera
    tracked_angles: np.ndarray  # (N, 2)
    source: list[str] = field(default_factory=list)  # "main" or "view"

    def metrics(self) -> dict[str, float]:
        """The bars, plus jawOpen correlations that allow for the tracker's non-linear
        response (Pearson after mapping GT through the calibration curve, and Spearman) and
        Pearson per camera (main, extra views), where the tracker reads the jaw differently."""
        from scipy.stats import spearmanr

        ok = self.found
        err = np.abs(self.tracked_angles[ok] - self.gt_angles[ok])
        gt, tracked = self.gt_jaw[ok], self.tracked_jaw[ok]
        source = np.array(self.source)[ok] if len(self.source) == len(ok) else None
        per_camera = {}
        for name in ("main", "view"):
            pick = source == name if source is not None else np.zeros(len(gt), bool)
            if pick.sum() > 2:
                r = float(np.corrcoef(gt[pick], tracked[pick])[0, 1])
                per_camera[f"jawOpen_pearson_r_{name}"] = r
        return {
            "frames": int(len(ok)),
            "detection_rate": float(ok.mean()),
            "jawOpen_pearson_r": float(np.corrcoef(gt, tracked)[0, 1]),
            "jawOpen_pearson_r_calibrated": float(
                np.corrcoef(rig_to_tracked("jawOpen", gt), tracked)[0, 1]
            ),
            "jawOpen_spearman_r": float(spearmanr(gt, tracked).statistic),
            **per_camera,
            "yaw_mae_deg": float(err[:, 0].mean()),
            "pitch_mae_deg": float(err[:, 1].mean()),
            "yaw_bias_deg": float((self.tracked_angles[ok, 0] - self.gt_angles[ok, 0]).mean()),
            "pitch_bias_deg": float((self.tracked_angles[ok, 1] - self.gt_angles[ok, 1]).mean()),
            "max_abs_gt_yaw_deg": float(np.abs(self.gt_angles[:, 0]).max()),
        }


OPENCV_TO_MESH = np.diag([1.0, -1.0, -1.0])  # camera axes (y down, z forward) -> y up, z back


def _camera_angles(pose6: np.ndarray, extrinsics: np.ndarray) -> np.ndarray:
    """Head yaw/pitch as a camera with these (OpenCV-axis) extrinsics sees it."""
    rotation = euler_to_rotation(*pose6[:3]).astype(np.float64)
    return rotation_to_euler(OPENCV_TO_MESH @ extrinsics[:3, :3] @ rotation)[:2]


def track_sample(
    corpus: str | Path,
    n_frames: int = 1000,
    seed: int = 0,
    view_share: float = 0.2,
    progress: Callable[[int, int], None] | None = None,
) -> TrackedSample:
    """Track `n_frames` frames drawn across all clips; `view_share` of them from extra views."""

    manifest = load_manifest(corpus)
    rng = np.random.default_rng(seed)
    clips = manifest["clips"]
    view_clips = [c for c in clips if c["has_views"]]
    n_views = int(round(n_frames * view_share)) if view_clips else 0
    picks = rng.integers(0, len(clips), n_frames - n_views)
    found, gt_jaw, tr_jaw, gt_ang, tr_ang, source = [], [], [], [], [], []

    def record(image, blend, angles, kind):
        frame = track_image(image)
        found.append(frame.found)
        gt_jaw.append(blend[JAW])
        tr_jaw.append(frame.blendshapes[JAW] if frame.found else np.nan)
        gt_ang.append(angles)
        tr_ang.append(frame.pose6[:2] if frame.found else (np.nan, np.nan))
        source.append(kind)
        if progress:
            progress(len(found), n_frames)

    by_clip: dict[int, int] = {}
    for i in picks:
        by_clip[int(i)] = by_clip.get(int(i), 0) + 1
    for i, count in sorted(by_clip.items()):
        clip = load_clip(corpus, clips[i]["clip_id"])
        for t in rng.integers(0, len(clip.frames), count):
            angles = _camera_angles(clip.labels["pose6"][t], clip.labels["extrinsics"])
            record(clip.frames[t], clip.labels["blendshapes"][t], angles, "main")
    for i in rng.integers(0, len(view_clips), n_views):
        entry = view_clips[int(i)]
        clip = load_clip(corpus, entry["clip_id"])
        views = load_views(corpus, entry["clip_id"])
        k = int(rng.integers(0, len(views["frames"])))
        t = int(views["frames"][k])
        yaw, pitch = views["params"][k]
        camera = Camera(**{**clip.meta["camera"], "yaw_deg": float(yaw), "pitch_deg": float(pitch)})
        angles = _camera_angles(clip.labels["pose6"][t], camera.extrinsics())
        record(views["images"][k], clip.labels["blendshapes"][t], angles, "view")
    return TrackedSample(
        found=np.array(found),
        gt_jaw=np.array(gt_jaw, float),
        tracked_jaw=np.array(tr_jaw, float),
        gt_angles=np.array(gt_ang, float),
        tracked_angles=np.array(tr_ang, float),
        source=source,
    )


def blendshape_logits(coefficients: np.ndarray) -> np.ndarray:
    """The tracker's blendshapes are sigmoid outputs; their logits are the linear scale on
    which a logistic regression compares a 0.02 with a 0.05 as it does a 0.5 with a 0.7."""
    p = np.clip(coefficients, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def emotion_probe(
    corpus: str | Path,
    frames_per_clip: int = 8,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Logistic regression on tracked blendshapes of intensity-3 (and neutral) frames:
    fitted on training identities, scored on held-out identities. The headline uses the
    blendshapes' logits (`blendshape_logits`); the raw-coefficient probe is reported too."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    manifest = load_manifest(corpus)
    rng = np.random.default_rng(seed)
    chosen = [c for c in manifest["clips"] if c["intensity"] == 3 or c["emotion"] == "neutral"]
    xs, ys, split = [], [], []
    for n, entry in enumerate(chosen):
        clip = load_clip(corpus, entry["clip_id"])
        for t in rng.choice(
            len(clip.frames), min(frames_per_clip, len(clip.frames)), replace=False
        ):
            frame = track_image(clip.frames[t])
            if frame.found:
                xs.append(frame.blendshapes[1:])
                ys.append(EMOTIONS.index(entry["emotion"]))
                split.append(entry["identity_split"])
        if progress:
            progress(n + 1, len(chosen))
    x, y, split = np.array(xs), np.array(ys), np.array(split)
    train, test = split == "train", split == "held_out"

    def fit_and_predict(features: np.ndarray) -> np.ndarray:
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=1.0))
        return model.fit(features[train], y[train]).predict(features[test])

    pred = fit_and_predict(blendshape_logits(x))
    pred_raw = fit_and_predict(x)
    return {
        "emotion_accuracy_held_out": float((pred == y[test]).mean()),
        "emotion_accuracy_held_out_raw_coefficients": float((pred_raw == y[test]).mean()),
        "train_frames": int(train.sum()),
        "test_frames": int(test.sum()),
        "confusion": confusion_matrix(y[test], pred, labels=range(len(EMOTIONS))).tolist(),
    }


def lips_follow_speech(corpus: str | Path, max_clips: int | None = None) -> dict[str, float]:
    """Pearson r of GT jawOpen with the audio energy envelope (dB), over speech frames."""
    manifest = load_manifest(corpus)
    jaws, energies = [], []
    for entry in manifest["clips"][:max_clips]:
        clip = load_clip(corpus, entry["clip_id"], frames=False)
        n = clip.meta["n_frames"]
        energy = frame_energy(clip.audio, n)
        speech = np.array(
            [
                p not in ("_", "sil", "") and not p.startswith("_")
                for p in clip.meta["frame_phoneme"]
            ]
        )
        jaws.append(clip.labels["blendshapes"][speech, JAW])
        energies.append(energy[speech])
    jaw, energy = np.concatenate(jaws), np.concatenate(energies)
    return {
        "jaw_energy_pearson_r": float(np.corrcoef(jaw, energy)[0, 1]),
        "speech_frames": int(len(jaw)),
    }
