"""What JEAN reads from a corpus: per-frame landmarks, GT blendshapes, log-mel windows and
visemes of every clip, computed once and cached in `cache/jean/<key>/features.npz`; the
train / validation / test split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.data.frames import cached_clip_arrays, clip_mask, column, split_clips, subset_table
from studio.papers.jean.model import expression_features, landmark_features
from studio.paths import CACHE, cache_key
from studio.speech.features import frame_windows, log_mel
from studio.speech.visemes import VISEME_INDEX
from studio.synth.corpus import load_clip, load_manifest

CACHE_DIR = CACHE / "jean"
CACHE_VERSION = 1


@dataclass
class JeanData:
    """Per-frame arrays of a corpus (N frames in clip order) and a per-clip table."""

    clips: list[dict]  # manifest entries + start, n
    clip_of: np.ndarray  # (N,) clip index
    frame: np.ndarray  # (N,) frame index in its clip
    landmarks: np.ndarray  # (N, 220) pose-normalised landmark features
    blendshapes: np.ndarray  # (N, 52) GT rig values
    mel: np.ndarray  # (N, 16, 80) float16 log-mel windows
    viseme: np.ndarray  # (N,) index into studio.speech.visemes.VISEMES

    @property
    def features(self) -> np.ndarray:
        return expression_features(self.blendshapes, self.landmarks)

    def column(self, key: str) -> np.ndarray:
        """(N,) a manifest field per frame (identity_id, emotion, intensity, sentence_id…)."""
        return column(self.clips, self.clip_of, key)

    def clip_mask(self, fn) -> np.ndarray:
        """(N,) bool: the frames of the clips for which fn(entry) is true."""
        return clip_mask(self.clips, self.clip_of, fn)

    def subset(self, mask: np.ndarray) -> JeanData:
        clips, clip_of = subset_table(self.clips, self.clip_of, mask)
        return JeanData(
            clips=clips,
            clip_of=clip_of,
            frame=self.frame[mask],
            landmarks=self.landmarks[mask],
            blendshapes=self.blendshapes[mask],
            mel=self.mel[mask],
            viseme=self.viseme[mask],
        )


def features_key(corpus: Path) -> str:
    manifest = json.loads((corpus / "manifest.json").read_text())
    params = {
        "corpus": str(corpus.resolve()),
        "build": manifest.get("build"),
        "n": len(manifest["clips"]),
        "version": CACHE_VERSION,
    }
    return cache_key(**params)


def clip_features(corpus: str | Path, clip_id: str) -> dict[str, np.ndarray]:
    """One clip's per-frame arrays (no cache)."""
    clip = load_clip(corpus, clip_id, frames=False)
    n = len(clip.labels["blendshapes"])
    visemes = clip.meta.get("frame_viseme") or ["sil"] * n
    return {
        "landmarks": landmark_features(clip.labels["landmarks"]),
        "blendshapes": clip.labels["blendshapes"].astype(np.float32),
        "mel": frame_windows(log_mel(clip.audio), n).astype(np.float16),
        "viseme": np.array([VISEME_INDEX.get(v, 0) for v in visemes[:n]], np.int16),
    }


def load_data(
    corpus: str | Path, progress: bool = True, cache_dir: str | Path | None = None
) -> JeanData:
    """Every clip's per-frame JEAN inputs, computed once and cached on disk (np.load, no
    pickles)."""
    corpus = Path(corpus)
    folder = Path(cache_dir or CACHE_DIR) / features_key(corpus)
    frames = cached_clip_arrays(
        folder / "features.npz",
        load_manifest(corpus)["clips"],
        lambda clip_id: clip_features(corpus, clip_id),
        "JEAN features",
        progress,
    )
    return JeanData(
        clips=frames.clips,
        clip_of=frames.clip_of,
        frame=frames.frame,
        landmarks=frames["landmarks"],
        blendshapes=frames["blendshapes"],
        mel=frames["mel"],
        viseme=frames["viseme"].astype(np.int64),
    )


def split(data: JeanData) -> dict[str, JeanData]:
    """train / val / test as every model of the studio splits a corpus (`split_clips`)."""
    return split_clips(data)


def frames_far_from(t: np.ndarray, n: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """How many frames of a clip of n frames lie at least `gap` frames from frame t: before it
    (frames 0 .. t − gap) and after it (frames t + gap .. n − 1)."""
    return np.maximum(t - gap + 1, 0), np.maximum(n - t - gap, 0)
