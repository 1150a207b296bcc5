"""The batches of JEAN's three stages, as `get_batch(step, rng, rank, world)` functions for the
shared loop: frame pairs of one clip (landmark AE), audio windows with their negatives (audio
encoder), DTW-aligned window pairs of one sentence in two emotions (expression transformer).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from studio.papers.jean.data import JeanData, frames_far_from
from studio.papers.jean.model import WINDOW, dtw_path

SWAP_P = 0.8


def lmae_batches(data: JeanData, batch_size: int):
    """Pairs (A, B) of frames from one clip."""
    starts = np.array([c["start"] for c in data.clips])
    lens = np.array([c["n"] for c in data.clips])

    def get_batch(step, rng, rank, world):
        b = batch_size // world
        ci = rng.integers(0, len(data.clips), b)
        fa = starts[ci] + (rng.random(b) * lens[ci]).astype(int)
        fb = starts[ci] + (rng.random(b) * lens[ci]).astype(int)
        return {
            "a": torch.as_tensor(data.landmarks[fa]),
            "b": torch.as_tensor(data.landmarks[fb]),
            "swap": torch.as_tensor(rng.random(b) < SWAP_P),
        }

    return get_batch


def audio_batches(
    data: JeanData,
    mouth_codes: np.ndarray,
    batch_size: int,
    negatives: int,
    windows=None,
    conditions: np.ndarray | None = None,
    same_clip_fraction: float = 0.0,
    same_clip_gap: int = 5,
):
    """Anchor frame (its frozen mouth code), its audio window, `negatives` audio windows of the
    same identity from other clips, and random windows of other speakers (for mixing).
    `windows(idx)` → float32 (len(idx), T, 80) audio inputs of frames idx; default: data.mel.
    `conditions` (N, k): a per-frame vector given to the encoder beside the window ("cond",
    positives then negatives; only the jean-audio bench's conditioned variants use it).
    `same_clip_fraction`: each negative is instead, with this probability, the anchor's own
    clip at least `same_clip_gap` frames away (same voice, sentence and emotion: only the
    mouth differs; the paper's negative is always another clip, fraction 0)."""
    if windows is None:

        def windows(idx):
            return data.mel[idx].astype(np.float32)

    ident = data.column("identity_id")
    by_id = defaultdict(list)
    for i, v in enumerate(ident):
        by_id[int(v)].append(i)
    by_id = {k: np.array(v) for k, v in by_id.items()}

    starts = np.array([c["start"] for c in data.clips])[data.clip_of]
    lengths = np.array([c["n"] for c in data.clips])[data.clip_of]

    def own_clip_frames(idx: np.ndarray, rng) -> np.ndarray:
        """A frame of each anchor's clip >= same_clip_gap frames away (-1 if none)."""
        t = data.frame[idx]
        before, after = frames_far_from(t, lengths[idx], same_clip_gap)
        pick = np.floor(rng.random(len(idx)) * np.maximum(before + after, 1)).astype(np.int64)
        frame = np.where(pick < before, pick, t + same_clip_gap + pick - before)
        return np.where(before + after > 0, starts[idx] + frame, -1)

    def get_batch(step, rng, rank, world):
        b = batch_size // world
        idx = rng.integers(0, len(ident), b)
        neg = np.empty((b, negatives), np.int64)
        for r, i in enumerate(idx):
            pool = by_id[int(ident[i])]
            cand = pool[rng.integers(0, len(pool), negatives * 2)]
            cand = cand[data.clip_of[cand] != data.clip_of[i]]
            if len(cand) < negatives:
                cand = pool[rng.integers(0, len(pool), negatives)]
            neg[r] = cand[:negatives]
        if same_clip_fraction > 0:
            own = own_clip_frames(np.repeat(idx, negatives), rng).reshape(b, negatives)
            swap = (rng.random((b, negatives)) < same_clip_fraction) & (own >= 0)
            neg = np.where(swap, own, neg)
        others = rng.integers(0, len(ident), b * (1 + negatives))
        batch = {
            "mouth": torch.as_tensor(mouth_codes[idx]),
            "pos": torch.as_tensor(windows(idx)),
            "neg": torch.as_tensor(windows(neg.reshape(-1))),
            "others": torch.as_tensor(windows(others)),
        }
        if conditions is not None:
            batch["cond"] = torch.as_tensor(conditions[np.r_[idx, neg.reshape(-1)]])
        return batch

    return get_batch


def alignment_groups(
    data: JeanData, feats_std: np.ndarray, cross_identity: bool = False
) -> list[dict]:
    """Per (identity, sentence), or per sentence over every identity that speaks it when
    `cross_identity`: every clip DTW-aligned to the group's first (neutral) clip.

    Returns [{"ref_len": N, "rows": [(clip index, (N,) frame rows in `data`)], "cond": [...]}]
    where cond = (identity, emotion, intensity). The DTW cost uses each clip's mean-centred
    features, so an emotion's (or a face's) constant offset does not pull the path; pairs are
    aligned through the shared reference timeline.
    """
    groups = defaultdict(list)
    for ci, c in enumerate(data.clips):
        key = c["sentence_id"] if cross_identity else (c["identity_id"], c["sentence_id"])
        groups[key].append(ci)
    out = []
    for key in sorted(groups):
        members = sorted(
            groups[key],
            key=lambda ci: (data.clips[ci]["emotion"] != "neutral", data.clips[ci]["identity_id"]),
        )
        if len(members) < 2:
            continue

        def centred(ci):
            c = data.clips[ci]
            x = feats_std[c["start"] : c["start"] + c["n"]]
            return x - x.mean(0)

        ref = centred(members[0])
        rows, cond = [], []
        for ci in members:
            c = data.clips[ci]
            match = dtw_path(ref, centred(ci)) if ci != members[0] else np.arange(len(ref))
            rows.append(c["start"] + match)
            cond.append((c["identity_id"], c["emotion"], c["intensity"]))
        if len(set(cond)) > 1:
            out.append({"ref_len": len(ref), "rows": rows, "cond": cond})
    return out


def expr_batches(data: JeanData, groups: list[dict], batch_size: int, other_time: bool = False):
    """Aligned windows (a, b) of one sentence in two conditions (`alignment_groups`). With
    other_time, also a window of each clip at another, random time (a2, b2): the expression
    codes are read there, so they cannot carry the current frame's lips (see `expr_loss_fn`)."""
    feats = data.features
    # each frame's person as a class index (the identity adversary's target)
    _, person = np.unique(data.column("identity_id"), return_inverse=True)
    _, emotion = np.unique(data.column("emotion"), return_inverse=True)  # the lip adversary's

    def window(g, rng):
        r0 = int(rng.integers(0, max(1, g["ref_len"] - WINDOW + 1)))
        return np.clip(np.arange(r0, r0 + WINDOW), 0, g["ref_len"] - 1)

    def get_batch(step, rng, rank, world):
        b = max(1, batch_size // world)
        xa, xb, xa2, xb2, ids_a, ids_b, emo_a, emo_b = [], [], [], [], [], [], [], []
        for _ in range(b):
            g = groups[int(rng.integers(0, len(groups)))]
            k = len(g["rows"])
            i = int(rng.integers(0, k))
            j = int(rng.integers(0, k - 1))
            j = j + (j >= i)
            while g["cond"][j] == g["cond"][i]:  # repeated conditions are not a pair
                j = int(rng.integers(0, k))
            r = window(g, rng)
            xa.append(feats[g["rows"][i][r]])
            xb.append(feats[g["rows"][j][r]])
            ids_a.append(person[g["rows"][i][0]])
            ids_b.append(person[g["rows"][j][0]])
            emo_a.append(emotion[g["rows"][i][0]])
            emo_b.append(emotion[g["rows"][j][0]])
            if other_time:
                r2 = window(g, rng)
                xa2.append(feats[g["rows"][i][r2]])
                xb2.append(feats[g["rows"][j][r2]])
        batch = {
            "a": torch.as_tensor(np.stack(xa)),
            "b": torch.as_tensor(np.stack(xb)),
            "swap": torch.as_tensor(rng.random(b) < SWAP_P),
            "ids_a": torch.as_tensor(np.asarray(ids_a, np.int64)),
            "ids_b": torch.as_tensor(np.asarray(ids_b, np.int64)),
            "emotions_a": torch.as_tensor(np.asarray(emo_a, np.int64)),
            "emotions_b": torch.as_tensor(np.asarray(emo_b, np.int64)),
        }
        if other_time:
            batch["a2"] = torch.as_tensor(np.stack(xa2))
            batch["b2"] = torch.as_tensor(np.stack(xb2))
        return batch

    return get_batch
