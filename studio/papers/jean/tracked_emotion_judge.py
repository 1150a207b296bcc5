"""An emotion judge that has seen turned heads: the MediaPipe tracker's blendshapes and landmarks
(JEAN's 272 tracked expression features) → emotion, by a linear read.

Why here: it reads JEAN's tracked features, and two papers judge with it — the NeRF's driven
renders (its bench) and IRFD's swaps (its bench, beside the emotion classifier, whose ceiling on
the IRFD set's real images, 0.51, sits below that bar). This module holds the judge, its fit and
its reads; what it learns from (the IRFD set's training people, the default corpus's tracked
frames) and its shipping are in `studio/papers/nerf/emotion_judge.py`, run by
`python -m studio.train nerf_emotion_judge`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from studio.face.tracker import make_backend, track_frames
from studio.nn.checkpoints import load_checkpoint
from studio.papers.jean.tracked import tracked_frame_features
from studio.synth.emotions import EMOTIONS

NAME = "nerf_emotion_judge"  # the checkpoint's name (first trained for the NeRF's bench)
C = 0.1  # inverse L2 strength: 0.1 and 1 read the NeRF preset's GT frames alike (0.895 both)


@dataclass
class TrackedEmotionJudge:
    """Standardisation + a multinomial logistic regression over the 272 tracked features
    (52 blendshapes, 220 pose-normalised landmark coordinates: JEAN's `expression_features`)."""

    mean: np.ndarray  # (272,)
    scale: np.ndarray  # (272,)
    coef: np.ndarray  # (8, 272), rows in EMOTIONS order
    intercept: np.ndarray  # (8,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, 272) tracked features → (N, 8) probabilities in EMOTIONS order."""
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(1, keepdims=True)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """(N, 272) → (N,) EMOTIONS indices."""
        return self.probabilities(features).argmax(1)

    def state_dict(self) -> dict[str, torch.Tensor]:
        names = ("mean", "scale", "coef", "intercept")
        return {k: torch.as_tensor(np.asarray(getattr(self, k), np.float32)) for k in names}


def fit_judge(features: np.ndarray, labels: np.ndarray, c: float = C) -> TrackedEmotionJudge:
    """Fit on (N, 272) tracked features and (N,) EMOTIONS indices (every class present)."""
    scaler = StandardScaler().fit(features)
    clf = LogisticRegression(max_iter=3000, C=c).fit(scaler.transform(features), labels)
    if list(clf.classes_) != list(range(len(EMOTIONS))):
        raise ValueError(f"the judge needs all {len(EMOTIONS)} emotions among its labels")
    return TrackedEmotionJudge(
        scaler.mean_.astype(np.float32),
        scaler.scale_.astype(np.float32),
        clf.coef_.astype(np.float32),
        clf.intercept_.astype(np.float32),
    )


def load_judge(directory=None) -> TrackedEmotionJudge:
    state, _ = load_checkpoint(NAME, directory)
    return TrackedEmotionJudge(**{k: v.numpy() for k, v in state.items()})


def clip_features(frames: np.ndarray, fps: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """A clip (T, H, W, 3) → (T, 272) tracked features (NaN rows where no face) and (T,) found;
    tracked as a video, as the bench's renders and GT frames are."""
    track = track_frames(iter(frames), fps)
    return tracked_frame_features(track.blendshapes, track.landmarks, track.found)


def still_features(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Independent stills (N, H, W, 3) → (N, 272) tracked features and (N,) found."""
    backend = make_backend("mediapipe", video=False)
    try:
        faces = [backend.detect(image) for image in images]
    finally:
        backend.close()
    found = np.array([f.found for f in faces], bool)
    blendshapes = np.stack([f.blendshapes for f in faces])  # NaN where no face (FaceFrame)
    return tracked_frame_features(blendshapes, np.stack([f.landmarks for f in faces]), found)


def read_emotions(judge: TrackedEmotionJudge, frames: np.ndarray) -> tuple[np.ndarray, float]:
    """The judge's emotion (EMOTIONS index; −1 where the tracker found no face) of every frame
    of a clip, and the share of frames tracked."""
    features, found = clip_features(frames)
    out = np.full(len(frames), -1)
    if found.any():
        out[found] = judge.predict(features[found])
    return out, float(found.mean())
