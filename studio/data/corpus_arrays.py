"""SynthTalk clips as training arrays, cached on disk.

For each clip: face crops (T, S, S, 3) uint8 from the ground-truth landmarks (`crop_face`),
grayscale mouth crops (T, 32, 48) uint8 (`studio.face.crop.mouth_crop`), the clip's
log-mel (n_mel, 80) float32 (100 frames/s, 4 per video frame) and its labels. The cache lives
under `cache/synth_data/<key>/` where key hashes the corpus path, its build record and the
crop parameters; it is built once (tqdm bar) and read back with `np.load` (no pickles).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.face.crop import MOUTH_H, MOUTH_SCALE, MOUTH_W, crop_face, mouth_crop
from studio.paths import CACHE, cache_key
from studio.speech.features import log_mel
from studio.synth.corpus import load_clip, load_manifest
from studio.synth.emotions import EMOTIONS

log = logging.getLogger(__name__)

CACHE_DIR = CACHE / "synth_data"
CACHE_VERSION = 2  # 2: crops on the jaw-independent box


@dataclass
class ClipArrays:
    clip_id: str
    identity: int
    emotion: int  # index into EMOTIONS
    intensity: int
    identity_split: str  # "train" / "held_out"
    sentence_split: str
    face: np.ndarray  # (T, S, S, 3) uint8
    mouth: np.ndarray  # (T, 32, 48) uint8
    mel: np.ndarray  # (n_mel, 80) float32
    pose6: np.ndarray  # (T, 6) float32


def arrays_key(corpus: str | Path, face_size: int) -> str:
    manifest = load_manifest(corpus)
    params = {
        "corpus": str(Path(corpus).resolve()),
        "build": manifest.get("build"),  # a rebuilt corpus in the same folder gets a new key
        "face_size": face_size,
        "mouth": [MOUTH_H, MOUTH_W, MOUTH_SCALE],
        "version": CACHE_VERSION,
    }
    return cache_key(**params)


def clip_arrays(corpus: str | Path, clip_id: str, face_size: int = 64) -> dict[str, np.ndarray]:
    """Crop one clip (no cache)."""
    clip = load_clip(corpus, clip_id)
    lm = clip.labels["landmarks"]
    face = np.stack([crop_face(f, p, face_size) for f, p in zip(clip.frames, lm, strict=True)])
    mouth = np.stack([mouth_crop(f, p) for f, p in zip(clip.frames, lm, strict=True)])
    return {
        "face": face,
        "mouth": mouth,
        "mel": log_mel(clip.audio).astype(np.float32),
        "pose6": clip.labels["pose6"].astype(np.float32),
    }


def load_corpus_arrays(
    corpus: str | Path,
    face_size: int = 64,
    split: str | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> list[ClipArrays]:
    """Every clip of the corpus (or of one identity split) as `ClipArrays`, cropping and
    caching the clips not yet in the cache. `limit` keeps the first N clips (for --quick)."""
    manifest = load_manifest(corpus)
    entries = [e for e in manifest["clips"] if split is None or e["identity_split"] == split]
    if limit is not None:
        entries = _spread(entries, limit)
    folder = CACHE_DIR / arrays_key(corpus, face_size)
    folder.mkdir(parents=True, exist_ok=True)
    todo = [e for e in entries if not (folder / f"{e['clip_id']}.npz").exists()]
    if todo:
        from tqdm import tqdm

        log.info("caching %d clips into %s", len(todo), folder)
        for e in tqdm(todo, desc="caching crops", disable=not progress):
            arrays = clip_arrays(corpus, e["clip_id"], face_size)
            tmp = folder / f".{e['clip_id']}.tmp.npz"
            np.savez(tmp, **arrays)
            tmp.replace(folder / f"{e['clip_id']}.npz")
    out = []
    for e in entries:
        with np.load(folder / f"{e['clip_id']}.npz") as z:
            arrays = {k: z[k] for k in z.files}
        out.append(
            ClipArrays(
                clip_id=e["clip_id"],
                identity=int(e["identity_id"]),
                emotion=EMOTIONS.index(e["emotion"]),
                intensity=int(e["intensity"]),
                identity_split=e["identity_split"],
                sentence_split=e["sentence_split"],
                **arrays,
            )
        )
    return out


def _spread(entries: list[dict], limit: int) -> list[dict]:
    """`limit` entries spread evenly over the list (so every identity / emotion shows up)."""
    if limit >= len(entries):
        return entries
    idx = np.linspace(0, len(entries) - 1, limit).round().astype(int)
    return [entries[i] for i in sorted(set(idx))]
