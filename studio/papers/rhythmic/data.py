"""What the head-motion and audio → face learners read from a SynthTalk corpus, per frame:
the head pose (6-D), the audio window (16 × 80 log-mel), and the mouth the speech makes (the
articulation track the performance drew, before the held emotion was added). Computed once for
the whole corpus and cached in `cache/rhythmic/<key>/features.npz` (np.load, no pickles).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.data.frames import ClipFrames, cached_clip_arrays, split_clips
from studio.face.records import BLENDSHAPE_INDEX
from studio.paths import CACHE, cache_key
from studio.speech import PhonemeEvent, frame_energy, frame_windows, log_mel
from studio.speech.visemes import VISEMES
from studio.synth.articulation import mouth_track, viseme_targets
from studio.synth.corpus import load_clip, load_manifest
from studio.synth.emotions import emotion_prosody

CACHE_DIR = CACHE / "rhythmic"
CACHE_VERSION = 1
# the blendshapes speech moves (every viseme's targets): the audio → face learner's outputs
MOUTH_NAMES = tuple(sorted({n for v in VISEMES for n in viseme_targets(v)}))
MOUTH_CHANNELS = np.array([BLENDSHAPE_INDEX[n] for n in MOUTH_NAMES])


def clip_arrays(corpus: str | Path, clip_id: str) -> dict[str, np.ndarray]:
    """One clip's per-frame arrays (no cache): pose6 (T, 6), mel (T, 16, 80) float16, mouth
    (T, len(MOUTH_NAMES)) articulation, blendshapes (T, 52) the rendered face."""
    clip = load_clip(corpus, clip_id, frames=False)
    n = len(clip.labels["pose6"])
    spec = clip.meta["spec"]
    phonemes = [PhonemeEvent(**p) for p in clip.meta["phonemes"]]
    rate = emotion_prosody(spec["emotion"], spec["intensity"]).rate_scale
    mouth = mouth_track(phonemes, n, clip.meta["fps"], rate, frame_energy(clip.audio, n))
    return {
        "pose6": clip.labels["pose6"].astype(np.float32),
        "mel": frame_windows(log_mel(clip.audio), n).astype(np.float16),
        "mouth": mouth[:, MOUTH_CHANNELS].astype(np.float32),
        "blendshapes": clip.labels["blendshapes"].astype(np.float32),
    }


def features_key(corpus: Path) -> str:
    manifest = load_manifest(corpus)
    return cache_key(
        corpus=str(corpus.resolve()),
        build=manifest.get("build"),
        n=len(manifest["clips"]),
        version=CACHE_VERSION,
        mouth=list(MOUTH_NAMES),
    )


def load_data(
    corpus: str | Path, progress: bool = True, cache_dir: str | Path | None = None
) -> ClipFrames:
    """Every clip's arrays, computed once and cached on disk."""
    corpus = Path(corpus)
    folder = Path(cache_dir or CACHE_DIR) / features_key(corpus)
    return cached_clip_arrays(
        folder / "features.npz",
        load_manifest(corpus)["clips"],
        lambda clip_id: clip_arrays(corpus, clip_id),
        "head-motion features",
        progress,
    )


def split(data: ClipFrames) -> dict[str, ClipFrames]:
    """train / val / test as every model of the studio splits a corpus (`split_clips`)."""
    return split_clips(data)
