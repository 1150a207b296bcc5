"""`python -m studio.bench jean-tracked`: JEAN's expression codes of what a user's clip gives —
the MediaPipe tracker's blendshapes and landmarks — instead of the rig's ground truth.

The held-out identities' rendered frames are tracked once (cached); their codes are compared
with the codes of the same frames' ground-truth inputs, which is what JEAN was trained on:
- 5-NN emotion (intensity 2–3) of tracked codes against the training identities' GT codes
  (the bank a user's point is read against), and their silhouette by emotion;
- each clip's mean tracked code and mean GT code are each other's nearest clip;
- the mean tracked code of each intensity-3 clip, decoded with a closed mouth and rendered on
  its person, read by the emotion classifier as the clip's emotion;
- the tracked codes' novelty (`studio.eval.novelty`) against the GT bank;
- the landmark path: how much of the GT frames' eye-nose and mouth codes the tracked frames'
  codes explain (R²), and audio → mouth retrieval (JEAN's lip-sync protocol) with the tracked
  frames' mouth codes as the candidates, beside the same queries on GT mouth codes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.eval.novelty import novelty
from studio.evaluators.emotion_classifier.model import classify_frames
from studio.evaluators.emotion_classifier.model import load as load_emotion
from studio.nn.spec import Bar
from studio.papers.jean.data import load_data
from studio.papers.jean.data import split as split_data
from studio.papers.jean.interpolation import portrait_camera, renderer
from studio.papers.jean.metrics import emotion_mask, knn_accuracy, retrieval_top1, silhouette
from studio.papers.jean.model import load
from studio.papers.jean.tracked import load_tracked, tracked_features
from studio.paths import default_corpus
from studio.synth.emotions import EMOTIONS

log = logging.getLogger(__name__)

BARS = (
    Bar("tracked_knn5_emotion", ">=", 0.90, "tracked inputs: 5-NN emotion (int. 2–3)"),
    Bar("tracked_silhouette_emotion", ">=", 0.3, "tracked inputs: silhouette by emotion"),
    Bar("tracked_gt_mutual_nearest_clip", ">=", 0.8, "a clip's tracked and GT codes pair up"),
    Bar("tracked_decoded_emotion_int3", ">=", 0.85, "decoded tracked code, re-rendered, read"),
)


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


def nearest_in_group(a: np.ndarray, b: np.ndarray, clips: list[dict]) -> float:
    """Share of rows i whose nearest row of b belongs to a clip of the same person, emotion and
    intensity as clip i (clips that differ only in their sentence share one expression code by
    design, so two reads of one clip pair up exactly only 34% of the time: see
    docs/experiments/jean_clip_pairing_ceiling.py)."""
    group = [(c["identity_id"], c["emotion"], c["intensity"]) for c in clips]
    nearest = ((a[:, None] - b[None]) ** 2).sum(-1).argmin(1)
    return float(np.mean([group[j] == group[i] for i, j in enumerate(nearest)]))


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


def run(quick: bool = False, corpus: Path | None = None, tracked_encoder=None) -> dict:
    corpus = Path(corpus or default_corpus())
    t0 = time.time()
    model = load()
    parts = split_data(load_data(corpus, progress=not quick))
    train, test = parts["train"], parts["test"]
    feats, ok = tracked_features(corpus, test)
    tracking_seconds = time.time() - t0
    lip_gt, expr_gt = model.expression_codes(test.features)
    _, expr_ref = model.expression_codes(train.features)
    m: dict = {"tracked_found_share": float(ok.mean())}
    encoders = {"tracked": model}  # the GT-trained encoders on tracked inputs
    adapter = load_tracked() if tracked_encoder is None else tracked_encoder
    if adapter is not None:  # the tracked-input encoders: the bars; the GT-only ones: ablation
        encoders = {"tracked": adapter, "gt_only_encoder": model}
    landmarks = LandmarkTruth.of(model, test, ok, quick)
    for name, encoder in encoders.items():
        expr_tr = per_clip(encoder.expression_codes, np.nan_to_num(feats), test.clips)
        m.update(_scores(name, model, expr_tr, expr_gt, expr_ref, lip_gt, ok, train, test, quick))
        m.update(landmarks.scores(name, encoder, feats, test))
    m.update(_gt_scores(model, expr_gt, expr_ref, lip_gt, train, test))
    m["gt_audio_mouth_top1"] = landmarks.gt_retrieval
    m["tracking_and_eval_seconds"] = round(time.time() - t0, 1)
    m["tracking_seconds"] = round(tracking_seconds, 1)
    return m


@dataclass
class LandmarkTruth:
    """The held-out frames' GT landmark codes and audio codes, read once for every encoder."""

    eye_nose: np.ndarray
    mouth: np.ndarray
    audio: np.ndarray
    ok: np.ndarray  # frames the tracker found a face in
    n_query: int
    gt_retrieval: float  # audio → GT mouth codes, the same queries

    @classmethod
    def of(cls, model, test, ok: np.ndarray, quick: bool) -> LandmarkTruth:
        eye_nose, mouth = model.landmark_codes(test.landmarks)
        audio = model.audio_codes(test.mel.astype(np.float32))
        n_query = 500 if quick else 3000
        gt = retrieval_top1(audio, mouth, test, mask=ok, n_query=n_query)
        return cls(eye_nose, mouth, audio, ok, n_query, gt)

    def scores(self, name: str, encoder, feats: np.ndarray, test) -> dict:
        lm = np.nan_to_num(feats[:, -test.landmarks.shape[1] :])
        eye_nose, mouth = encoder.landmark_codes(lm)
        # queries are tracked frames; a negative from a frame without a face keeps its GT code
        mouth = np.where(self.ok[:, None], mouth, self.mouth)
        return {
            f"{name}_eye_nose_code_r2": r2(eye_nose[self.ok], self.eye_nose[self.ok]),
            f"{name}_mouth_code_r2": r2(mouth[self.ok], self.mouth[self.ok]),
            f"{name}_audio_mouth_top1": retrieval_top1(
                self.audio, mouth, test, mask=self.ok, n_query=self.n_query
            ),
        }


def r2(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Share of the truth's variance (summed over its dimensions) that `predicted` explains."""
    return float(1 - ((predicted - truth) ** 2).sum() / ((truth - truth.mean(0)) ** 2).sum())


def per_clip(encode, feats: np.ndarray, clips: list[dict]) -> np.ndarray:
    """Expression codes of each clip on its own (windows never cross into another clip)."""
    return np.concatenate([encode(feats[c["start"] : c["start"] + c["n"]])[1] for c in clips])


def _scores(name, model, expr_tr, expr_gt, expr_ref, lip_gt, ok, train, test, quick) -> dict:
    q = np.flatnonzero(emotion_mask(test) & ok)
    ref = np.flatnonzero(emotion_mask(train))
    ref = np.random.default_rng(0).choice(ref, min(20000, len(ref)), replace=False)
    emo_tr, emo_te = train.column("emotion"), test.column("emotion")
    m = {
        f"{name}_knn5_emotion": knn_accuracy(expr_ref[ref], emo_tr[ref], expr_tr[q], emo_te[q]),
        f"{name}_silhouette_emotion": silhouette(expr_tr[q], emo_te[q]),
    }
    means_tr, means_gt = _clip_means(expr_tr, ok, test), _clip_means(expr_gt, ok, test)
    m[f"{name}_gt_mutual_nearest_clip"] = mutual_nearest(means_tr, means_gt)
    m[f"{name}_nearest_gt_clip_same_group"] = nearest_in_group(means_tr, means_gt, test.clips)
    lip = rest_lip_code_of(lip_gt, test)
    m[f"{name}_decoded_emotion_int3"] = decoded_emotion(model, means_tr, test, lip)
    clips = np.asarray(train.column("clip_id")).astype(str)[ref]
    scored = novelty(expr_ref[ref], clips, expr_tr[q][:: 10 if not quick else 40])
    m[f"{name}_novelty_median_percentile"] = float(np.median(scored.percentile))
    m[f"{name}_novelty_share_past_99"] = float(scored.past_warning.mean())
    return m


def _gt_scores(model, expr_gt, expr_ref, lip_gt, train, test) -> dict:
    """The same measures on the ground-truth inputs (what JEAN was trained on)."""
    q = np.flatnonzero(emotion_mask(test))
    ref = np.flatnonzero(emotion_mask(train))
    ref = np.random.default_rng(0).choice(ref, min(20000, len(ref)), replace=False)
    emo_tr, emo_te = train.column("emotion"), test.column("emotion")
    means_gt = _clip_means(expr_gt, np.ones(len(expr_gt), bool), test)
    return {
        "gt_knn5_emotion": knn_accuracy(expr_ref[ref], emo_tr[ref], expr_gt[q], emo_te[q]),
        "gt_silhouette_emotion": silhouette(expr_gt[q], emo_te[q]),
        "gt_decoded_emotion_int3": decoded_emotion(
            model, means_gt, test, rest_lip_code_of(lip_gt, test)
        ),
    }


def rest_lip_code_of(lip_codes: np.ndarray, test) -> np.ndarray:
    """The closed-mouth lip code: the first two frames of every clip (as the tabs use)."""
    rows = np.concatenate([c["start"] + np.arange(min(2, c["n"])) for c in test.clips])
    return lip_codes[rows].mean(0).astype(np.float32)
