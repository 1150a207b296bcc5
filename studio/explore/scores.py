"""How well a bank's codes cluster by each label (k-NN with folds by clip, silhouette, chance),
and the frame behind any point of the map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.data.code_bank import CodeBank
from studio.errors import StudioError
from studio.eval.tsne import content_key
from studio.explore.memo import Memo, labels_digest
from studio.papers.jean.interpolation import renderer
from studio.synth.corpus import load_clip

_MEMO: Memo[dict[str, float]] = Memo(64)


def scores(
    codes: np.ndarray,
    labels: np.ndarray,
    k: int = 5,
    seed: int = 0,
    groups: np.ndarray | None = None,
) -> dict[str, float]:
    """Cluster scores of codes against labels: k-NN accuracy (5-fold cross-validation),
    silhouette (≤ 3,000 samples) and chance (the most frequent label's share). NaN rows are
    ignored. With `groups` (e.g. clip ids) no fold holds frames of a group it is scored on:
    otherwise a frame's nearest neighbours are its own clip's next frames, which share every
    clip label, and k-NN reads near 1.0 for any of them.

    Memoised on the inputs' bytes: the t-SNE tab asks again for the same bank on every map, and
    scoring was 80% of that request's sampled time under the ui-load bench."""
    key = content_key(codes, labels=labels_digest(labels, groups), k=k, seed=seed)
    return dict(_MEMO.get(key, lambda: _scores(codes, labels, k, seed, groups)))


def _scores(codes, labels, k: int, seed: int, groups) -> dict[str, float]:
    from sklearn.metrics import silhouette_score
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    codes = np.asarray(codes, np.float32)
    labels = np.asarray(labels).astype(str)
    ok = np.isfinite(codes).all(1)
    codes, labels = codes[ok], labels[ok]
    classes, counts = np.unique(labels, return_counts=True)
    nan = float("nan")
    if len(classes) < 2 or len(codes) < 10:
        return {"knn_accuracy": nan, "silhouette": nan, "chance": nan}
    knn = KNeighborsClassifier(n_neighbors=k)
    if groups is not None:
        groups = np.asarray(groups).astype(str)[ok]
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            return {"knn_accuracy": nan, "silhouette": nan, "chance": nan}
        cv = GroupKFold(n_splits=min(5, n_groups))
        acc = cross_val_score(knn, codes, labels, cv=cv, groups=groups).mean()
    else:
        acc = cross_val_score(knn, codes, labels, cv=max(2, int(min(5, counts.max())))).mean()
    sil = silhouette_score(codes, labels, sample_size=min(3000, len(codes)), random_state=seed)
    chance = counts.max() / counts.sum()
    return {"knn_accuracy": float(acc), "silhouette": float(sil), "chance": float(chance)}


SCORED_LABELS = ("emotion", "identity", "sentence")


def label_scores(
    bank: CodeBank, code: str, labels: tuple[str, ...] = SCORED_LABELS
) -> dict[str, dict[str, float]]:
    """`scores` of one code against each label, folds by clip (the t-SNE tab's table)."""
    clips = bank.labels["clip_id"]
    return {by: scores(bank.codes[code], bank.labels[by], groups=clips) for by in labels}


def point_frame(bank: CodeBank, i: int, user_frames: np.ndarray | None = None) -> np.ndarray:
    """The video frame behind point i: read from the corpus (SynthTalk) or the user's clip."""
    p = bank.point(i)
    if p["source"] == "user":
        if user_frames is None:
            raise StudioError("The user's clip is no longer loaded")
        return user_frames[int(p["frame"])]
    if bank.corpus and (Path(bank.corpus) / "manifest.json").exists():
        return load_clip(bank.corpus, str(p["clip_id"]), frames=True).frames[int(p["frame"])]
    if bank.blendshapes is None or not np.isfinite(bank.blendshapes[i]).all():
        raise StudioError("This point's frame needs the corpus: python -m studio.synth make")

    face = renderer(int(p["identity"]), size=128)  # the GT expression, re-rendered frontally
    return face.render(bank.blendshapes[i], np.zeros(6, np.float32)).image
