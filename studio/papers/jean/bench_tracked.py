"""`python -m studio.bench jean-tracked`: JEAN's expression codes of what a user's clip gives —
the MediaPipe tracker's blendshapes and landmarks — instead of the rig's ground truth.

The held-out identities' rendered frames are tracked once (cached); their codes are compared
with the codes of the same frames' ground-truth inputs, which is what JEAN was trained on:
- 5-NN emotion (intensity 2–3) of tracked codes against the training identities' GT codes
  (the bank a user's point is read against), and their silhouette by emotion;
- each clip's mean tracked code and mean GT code are each other's nearest clip;
- the mean tracked code of each intensity-3 clip, decoded with a closed mouth and rendered on
  its person, read by the emotion classifier as the clip's emotion;
- the tracked codes' novelty (`studio.eval.novelty`) against the GT bank.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from studio.errors import StudioError
from studio.eval.novelty import novelty
from studio.evaluators.emotion_classifier.model import classify_frames
from studio.evaluators.emotion_classifier.model import load as load_emotion
from studio.face.tracker import track_frames
from studio.nn.spec import Bar
from studio.papers.jean.data import features_key, load_data
from studio.papers.jean.data import split as split_data
from studio.papers.jean.interpolation import portrait_camera, renderer
from studio.papers.jean.metrics import emotion_mask, knn_accuracy, silhouette
from studio.papers.jean.model import expression_features, landmark_features, load
from studio.paths import CACHE, cache_key, default_corpus
from studio.synth.corpus import load_clip
from studio.synth.emotions import EMOTIONS

log = logging.getLogger(__name__)
TRACKER_VERSION = 1  # part of the cache key: bump when the tracker's output changes

BARS = (
    Bar("tracked_knn5_emotion", ">=", 0.90, "tracked inputs: 5-NN emotion (int. 2–3)"),
    Bar("tracked_silhouette_emotion", ">=", 0.3, "tracked inputs: silhouette by emotion"),
    Bar("tracked_gt_mutual_nearest_clip", ">=", 0.8, "a clip's tracked and GT codes pair up"),
    Bar("tracked_decoded_emotion_int3", ">=", 0.85, "decoded tracked code, re-rendered, read"),
)


def tracked_features(corpus: Path, test, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(N, 272) expression features of the tracker's read of every frame of `test` (its
    frame order) and (N,) whether a face was found; tracked once and cached."""
    key = cache_key(features=features_key(corpus), split="test", tracker=TRACKER_VERSION)
    path = CACHE / "jean" / f"tracked_{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return z["features"], z["found"]
    feats, found = [], []
    for c in tqdm(test.clips, desc="tracking held-out clips", disable=not progress):
        clip = load_clip(corpus, c["clip_id"], frames=True)
        frames = clip.frames[: c["n"]]
        track = track_frames(iter(frames), fps=25.0)
        ok = np.asarray(track.found, bool) & np.isfinite(track.blendshapes).all(1)
        f = np.full((len(frames), 272), np.nan, np.float32)
        if ok.any():
            lm = landmark_features(track.landmarks[ok])
            f[ok] = expression_features(track.blendshapes[ok], lm)
        feats.append(f)
        found.append(ok)
    out = np.concatenate(feats), np.concatenate(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(tmp, features=out[0], found=out[1])
    tmp.replace(path)
    return out


def _clip_means(codes: np.ndarray, ok: np.ndarray, test) -> np.ndarray:
    return np.stack(
        [
            codes[c["start"] : c["start"] + c["n"]][ok[c["start"] : c["start"] + c["n"]]].mean(0)
            for c in test.clips
        ]
    )


def mutual_nearest(a: np.ndarray, b: np.ndarray) -> float:
    """Share of rows i whose nearest row of b is b[i] and whose nearest row of a is a[i]."""
    d = ((a[:, None] - b[None]) ** 2).sum(-1)
    i = np.arange(len(a))
    return float(((d.argmin(1) == i) & (d.argmin(0) == i)).mean())


def decoded_emotion(model, tracked_means: np.ndarray, test, lip: np.ndarray) -> float:
    """The emotion classifier on each intensity-3 clip's decoded mean tracked code, rendered
    frontally on the clip's person with a closed mouth."""
    classifier = load_emotion()
    hits = []
    for k, c in enumerate(test.clips):
        if c["intensity"] != 3:
            continue
        bs = model.decode_blendshapes(lip[None], tracked_means[k : k + 1])[0]
        shot = renderer(int(c["identity_id"]), 128).render(
            bs, np.zeros(6), camera=portrait_camera(128)
        )
        p = classify_frames(shot.image[None], shot.landmarks[None], classifier)
        hits.append(EMOTIONS[int(p[0].argmax())] == c["emotion"])
    if not hits:
        raise StudioError("no intensity-3 clip among the held-out identities")
    return float(np.mean(hits))


def run(quick: bool = False, corpus: Path | None = None) -> dict:
    corpus = Path(corpus or default_corpus())
    t0 = time.time()
    model = load()
    parts = split_data(load_data(corpus, progress=not quick))
    train, test = parts["train"], parts["test"]
    feats, ok = tracked_features(corpus, test)
    tracking_seconds = time.time() - t0
    lip_gt, expr_gt = model.expression_codes(test.features)
    _, expr_tr = model.expression_codes(np.nan_to_num(feats))
    _, expr_ref = model.expression_codes(train.features)
    q = np.flatnonzero(emotion_mask(test) & ok)
    ref = np.flatnonzero(emotion_mask(train))
    ref = np.random.default_rng(0).choice(ref, min(20000, len(ref)), replace=False)
    emo_tr, emo_te = train.column("emotion"), test.column("emotion")
    m: dict = {
        "tracked_found_share": float(ok.mean()),
        "tracked_knn5_emotion": knn_accuracy(expr_ref[ref], emo_tr[ref], expr_tr[q], emo_te[q]),
        "tracked_silhouette_emotion": silhouette(expr_tr[q], emo_te[q]),
        "gt_knn5_emotion": knn_accuracy(expr_ref[ref], emo_tr[ref], expr_gt[q], emo_te[q]),
        "gt_silhouette_emotion": silhouette(expr_gt[q], emo_te[q]),
    }
    means_tr, means_gt = _clip_means(expr_tr, ok, test), _clip_means(expr_gt, ok, test)
    m["tracked_gt_mutual_nearest_clip"] = mutual_nearest(means_tr, means_gt)
    lip = rest_lip_code_of(lip_gt, test)
    m["tracked_decoded_emotion_int3"] = decoded_emotion(model, means_tr, test, lip)
    m["gt_decoded_emotion_int3"] = decoded_emotion(model, means_gt, test, lip)
    clips = np.asarray(train.column("clip_id")).astype(str)[ref]
    scored = novelty(expr_ref[ref], clips, expr_tr[q][:: 10 if not quick else 40])
    m["tracked_novelty_median_percentile"] = float(np.median(scored.percentile))
    m["tracked_novelty_share_past_99"] = float(scored.past_warning.mean())
    m["tracking_and_eval_seconds"] = round(time.time() - t0, 1)
    m["tracking_seconds"] = round(tracking_seconds, 1)
    return m


def rest_lip_code_of(lip_codes: np.ndarray, test) -> np.ndarray:
    """The closed-mouth lip code: the first two frames of every clip (as the tabs use)."""
    rows = np.concatenate([c["start"] + np.arange(min(2, c["n"])) for c in test.clips])
    return lip_codes[rows].mean(0).astype(np.float32)
