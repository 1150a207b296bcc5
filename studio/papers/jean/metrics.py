"""JEAN's measures: audio → lip retrieval (the bar's protocol and the lip-sync one), the viseme
oracle, and the cluster, probe and ordering scores of its codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from studio.eval.disentanglement import probe_leakage
from studio.papers.jean.data import JeanData, frames_far_from
from studio.papers.jean.model import Jean


@torch.no_grad()
def mouth_codes_of(model: Jean, data: JeanData) -> np.ndarray:
    return model.landmark_codes(data.landmarks)[1]


@dataclass
class NegativeSampler:
    """Where the retrieval's negatives come from. `same_clip_gap` None: frames of the same
    identity from its other clips (the bar's protocol, like the paper's training negative);
    g: frames of the query's own clip at least g frames away (a lip-sync test: same person,
    sentence and emotion, another moment)."""

    data: JeanData
    n_neg: int = 9
    same_clip_gap: int | None = None

    def __post_init__(self) -> None:
        d = self.data
        ident = d.column("identity_id")
        self._pool_of = {int(i): np.flatnonzero(ident == i) for i in np.unique(ident)}
        self._ident = ident
        self._lens = np.array([c["n"] for c in d.clips])[d.clip_of]
        self._clip_start = np.array([c["start"] for c in d.clips])

    def queries(self, rng, n_query: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Query frames (under `mask`) that have `n_neg` negatives to draw from."""
        cand = np.flatnonzero(mask) if mask is not None else np.arange(len(self._ident))
        if self.same_clip_gap is not None:
            before, after = frames_far_from(self.data.frame, self._lens, self.same_clip_gap)
            cand = cand[(before + after)[cand] >= self.n_neg]
        return rng.choice(cand, min(n_query, len(cand)), replace=False)

    def negatives(self, rng, i: int) -> np.ndarray:
        d = self.data
        if self.same_clip_gap is not None:
            frames = np.arange(self._lens[i])
            far = frames[np.abs(frames - d.frame[i]) >= self.same_clip_gap]
            pool = self._clip_start[d.clip_of[i]] + far
        else:
            pool = self._pool_of[int(self._ident[i])]
            pool = pool[d.clip_of[pool] != d.clip_of[i]]
        return rng.choice(pool, self.n_neg, replace=False)


def retrieval_top1(
    audio_codes: np.ndarray,
    mouth_codes: np.ndarray,
    data: JeanData,
    n_neg: int = 9,
    n_query: int = 3000,
    seed: int = 0,
    mask: np.ndarray | None = None,
    same_clip_gap: int | None = None,
) -> float:
    """Audio → lip retrieval: cosine of each query frame's audio code with its own mouth code
    and with `n_neg` mouth codes of the same identity (from its other clips, or with
    `same_clip_gap` from the query's own clip: `NegativeSampler`); top-1 accuracy."""
    rng = np.random.default_rng(seed)
    sampler = NegativeSampler(data, n_neg, same_clip_gap)
    q = sampler.queries(rng, n_query, mask)
    if len(q) == 0:
        return float("nan")  # no frame has n_neg negatives under this protocol
    a = audio_codes / np.linalg.norm(audio_codes, axis=1, keepdims=True)
    m = mouth_codes / np.linalg.norm(mouth_codes, axis=1, keepdims=True)
    hits = 0
    for i in q:
        sims = m[np.r_[i, sampler.negatives(rng, i)]] @ a[i]
        hits += int(np.argmax(sims) == 0)
    return hits / len(q)


def viseme_oracle_top1(
    data: JeanData,
    n_neg: int = 9,
    n_query: int = 3000,
    seed: int = 0,
    also: tuple[str, ...] = (),
    same_clip_gap: int | None = None,
) -> float:
    """The retrieval task solved by an oracle that knows each frame's viseme (and the clip
    fields named in `also`, e.g. "emotion") and nothing else: candidates that match the query
    on all of them tie, and a tie is broken at random (expected top-1 = 1 / (1 + matching
    negatives)). Many negatives share the positive's viseme (silence above all), so this
    bounds what frame-level retrieval can reach from that knowledge alone."""
    rng = np.random.default_rng(seed)
    sampler = NegativeSampler(data, n_neg, same_clip_gap)
    fields = [data.column(k) for k in also]
    total = 0.0
    q = sampler.queries(rng, n_query)
    if len(q) == 0:
        return float("nan")
    for i in q:
        neg = sampler.negatives(rng, i)
        same = data.viseme[neg] == data.viseme[i]
        for column in fields:
            same &= column[neg] == column[i]
        total += 1.0 / (1 + int(same.sum()))
    return total / len(q)


def retrieval_top1_windows(
    audio_codes: np.ndarray,
    mouth_codes: np.ndarray,
    data: JeanData,
    width: int = 5,
    n_neg: int = 9,
    n_query: int = 3000,
    seed: int = 0,
) -> float:
    """Like `retrieval_top1` but over `width` consecutive frames: the score of a candidate is
    the mean cosine of a[t + k] with m[s + k], k < width (SyncNet-style windows)."""
    rng = np.random.default_rng(seed)
    ident = data.column("identity_id")
    lens = np.array([c["n"] for c in data.clips])
    a = audio_codes / np.linalg.norm(audio_codes, axis=1, keepdims=True)
    m = mouth_codes / np.linalg.norm(mouth_codes, axis=1, keepdims=True)
    ok = data.frame <= lens[data.clip_of] - width
    q = rng.choice(np.flatnonzero(ok), min(n_query, int(ok.sum())), replace=False)
    valid = np.flatnonzero(ok)
    pool_of = {int(i): valid[ident[valid] == i] for i in np.unique(ident)}
    k = np.arange(width)
    hits = 0
    for i in q:
        pool = pool_of[int(ident[i])]
        pool = pool[data.clip_of[pool] != data.clip_of[i]]
        cands = np.r_[i, rng.choice(pool, n_neg, replace=False)]
        sims = (m[cands[:, None] + k] * a[i + k][None]).sum(-1).mean(1)
        hits += int(np.argmax(sims) == 0)
    return hits / len(q)


K = 5
SAME_CLIP_GAP = 5  # frames (0.2 s): the lip-sync retrieval's negatives are this far or further


def emotion_mask(data) -> np.ndarray:
    """Frames used for the emotion bars: intensity 2–3 of the 7 emotions, plus neutral."""
    emo, inten = data.column("emotion"), data.column("intensity")
    return (emo == "neutral") | (inten >= 2)


def knn_accuracy(ref: np.ndarray, ref_y: np.ndarray, q: np.ndarray, q_y: np.ndarray, k=K) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(ref, ref_y)
    return float((clf.predict(q) == q_y).mean())


def silhouette(x: np.ndarray, y: np.ndarray, n: int = 3000, seed: int = 0) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(y)) < 2:
        return float("nan")
    return float(silhouette_score(x, y, sample_size=min(n, len(x)), random_state=seed))


def intensity_spearman(
    codes_tr: np.ndarray, tr, codes_te: np.ndarray, te
) -> tuple[float, dict[str, float]]:
    """Direction per emotion = mean code (emotion, intensity 3) − mean neutral code, on the
    training identities; each held-out clip's mean code is projected on it, and the Spearman
    correlation with intensity (neutral = 0) is taken per emotion, then averaged."""
    from scipy.stats import spearmanr

    def clip_means(codes, data):
        return np.stack([codes[c["start"] : c["start"] + c["n"]].mean(0) for c in data.clips]), [
            (c["emotion"], c["intensity"]) for c in data.clips
        ]

    mtr, ctr = clip_means(codes_tr, tr)
    mte, cte = clip_means(codes_te, te)
    emo_tr = np.array([c[0] for c in ctr])
    int_tr = np.array([c[1] for c in ctr])
    emo_te = np.array([c[0] for c in cte])
    int_te = np.array([0 if c[0] == "neutral" else c[1] for c in cte])
    neutral = mtr[emo_tr == "neutral"].mean(0)
    per = {}
    for e in sorted(set(emo_tr) - {"neutral"}):
        sel = (emo_tr == e) & (int_tr == 3)
        if not sel.any():
            continue
        d = mtr[sel].mean(0) - neutral
        keep = (emo_te == e) | (emo_te == "neutral")
        if len(np.unique(int_te[keep])) < 2:
            continue
        proj = mte[keep] @ d
        per[e] = float(spearmanr(proj, int_te[keep]).statistic)
    return (float(np.mean(list(per.values()))) if per else float("nan")), per


def probes(
    codes_tr: dict,
    tr,
    codes_te: dict,
    te,
    n_train: int = 8000,
    n_test: int = 4000,
    seed=0,
    chance: str = "train_majority",
    c: float = 1.0,
) -> dict:
    """Linear probes (logistic regression, inverse regularisation `c`) trained on
    training-identity frames, scored on held-out identities (`chance`: the constant-guess rule
    of `probe_leakage`)."""
    rng = np.random.default_rng(seed)
    itr = rng.choice(len(tr.viseme), min(n_train, len(tr.viseme)), replace=False)
    ite = rng.choice(len(te.viseme), min(n_test, len(te.viseme)), replace=False)
    mask = np.r_[np.ones(len(itr), bool), np.zeros(len(ite), bool)]
    codes = {k: np.concatenate([codes_tr[k][itr], codes_te[k][ite]]) for k in codes_tr}
    factors = {
        "viseme": np.concatenate([tr.viseme[itr], te.viseme[ite]]),
        "emotion": np.concatenate([tr.column("emotion")[itr], te.column("emotion")[ite]]),
    }
    table = probe_leakage(codes, factors, mask, c=c, chance=chance)
    out = {}
    for i, code in enumerate(table.codes):
        for j, f in enumerate(table.factors):
            out[f"{code}->{f}"] = float(table.matrix[i, j])
    out["chance_viseme"] = float(table.chance[0])
    out["chance_emotion"] = float(table.chance[1])
    return out


# what `code_scores` reports of a model's codes (the ablation rows and the per-identity form)
CODE_SCORES = (
    "knn5_emotion",
    "silhouette_emotion",
    "intensity_spearman",
    "viseme_from_expression",
    "viseme_from_lip",
    "emotion_from_lip",
    "chance_viseme",
    "chance_emotion",
)


def code_scores(
    expr_tr,
    lip_tr,
    tr,
    expr_te,
    lip_te,
    te,
    ident_sample: int = 20000,
    seed: int = 0,
    chance: str = "train_majority",
) -> dict:
    """kNN / silhouette / Spearman / probes for one (expression code, lip code) pair."""
    rng = np.random.default_rng(seed)
    mtr, mte = emotion_mask(tr), emotion_mask(te)
    ref = np.flatnonzero(mtr)
    ref = rng.choice(ref, min(ident_sample, len(ref)), replace=False)
    q = np.flatnonzero(mte)
    emo_tr, emo_te = tr.column("emotion"), te.column("emotion")
    out = {
        "knn5_emotion": knn_accuracy(expr_tr[ref], emo_tr[ref], expr_te[q], emo_te[q]),
        "silhouette_emotion": silhouette(expr_te[q], emo_te[q]),
    }
    out["intensity_spearman"], out["intensity_spearman_per_emotion"] = intensity_spearman(
        expr_tr, tr, expr_te, te
    )
    p = probes(
        {"expression": expr_tr, "lip": lip_tr},
        tr,
        {"expression": expr_te, "lip": lip_te},
        te,
        chance=chance,
    )
    out.update(
        viseme_from_expression=p["expression->viseme"],
        viseme_from_lip=p["lip->viseme"],
        emotion_from_lip=p["lip->emotion"],
        emotion_from_expression=p["expression->emotion"],
        chance_viseme=p["chance_viseme"],
        chance_emotion=p["chance_emotion"],
    )
    return out


def over_chance(score: float, chance: float) -> float:
    """score ÷ chance; nan when chance is 0 (the training majority absent from the test)."""
    return score / chance if chance > 0 else float("nan")


def clip_bounds(data) -> tuple[np.ndarray, np.ndarray]:
    """(N,) first and last frame index (global) of each frame's clip."""
    starts = np.array([c["start"] for c in data.clips])[data.clip_of]
    ends = starts + np.array([c["n"] for c in data.clips])[data.clip_of] - 1
    return starts, ends


def shifted_index(data, offset: int) -> np.ndarray:
    """(N,) the index of frame t + offset of the same clip (edge-clamped)."""
    starts, ends = clip_bounds(data)
    return np.clip(np.arange(len(data.clip_of)) + offset, starts, ends)


def label_mean_top1(
    train,
    mouth_tr,
    test,
    mouth_te,
    fields=(),
    context: int = 0,
    nq=3000,
    same_clip_gap: int | None = None,
):
    """Retrieval by the label-mean predictor: the mean training mouth code (minus each training
    person's mean) of the frame's viseme + `fields` (+ the visemes `context` frames before and
    after), plus the test person's own mean mouth code. Unseen label combinations fall back on
    the person's mean. `same_clip_gap`: negatives from the query's own clip (`retrieval_top1`)."""

    def person_mean(data, codes):
        ident = data.column("identity_id")
        out = np.zeros_like(codes)
        for person in np.unique(ident):
            out[ident == person] = codes[ident == person].mean(0)
        return out

    def keys(data):
        cols = [data.viseme] + [data.column(f) for f in fields]
        if context:
            cols += [data.viseme[shifted_index(data, k)] for k in (-context, context)]
        return np.array(["|".join(map(str, row)) for row in zip(*cols, strict=True)])

    residual = mouth_tr - person_mean(train, mouth_tr)
    k_tr, k_te = keys(train), keys(test)
    labels, inverse = np.unique(k_tr, return_inverse=True)
    sums = np.zeros((len(labels), residual.shape[1]))
    np.add.at(sums, inverse, residual)
    means = dict(zip(labels, sums / np.bincount(inverse)[:, None], strict=True))
    zero = np.zeros(residual.shape[1])
    predicted = np.stack([means.get(k, zero) for k in k_te]) + person_mean(test, mouth_te)
    return retrieval_top1(predicted, mouth_te, test, n_query=nq, same_clip_gap=same_clip_gap)
