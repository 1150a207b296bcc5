"""The bars our trained evaluators must clear on held-out SynthTalk identities.

Each function takes a model and `ClipArrays` (studio.data.corpus_arrays) of held-out clips and
returns plain floats/lists, so the training CLI (model cards) and `python -m studio.bench
evaluators` report the same numbers. The sync numbers come from our own expert on synthetic
faces and are not comparable with SyncNet LSE values in papers.
"""

from __future__ import annotations

import numpy as np
import torch

from studio.eval.sync import sync_scores
from studio.evaluators.sync_expert.model import audio_embeddings, clip_embeddings, shift_mel
from studio.synth.emotions import EMOTIONS

SHIFTS = (-6, -3, 3, 6)


def eer(scores: np.ndarray, same: np.ndarray) -> float:
    """Equal error rate of a verifier: scores (N,) higher = more alike, same (N,) bool."""
    scores = np.asarray(scores, np.float64)
    same = np.asarray(same, bool)
    if same.all() or not same.any():
        return float("nan")  # needs both genuine and impostor pairs
    order = np.argsort(-scores, kind="stable")
    s = same[order]
    tp = np.cumsum(s)
    fp = np.cumsum(~s)
    frr = 1 - tp / max(1, s.sum())  # genuine rejected when threshold just below each score
    far = fp / max(1, (~s).sum())
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def _summary(x: np.ndarray) -> dict:
    x = np.asarray(x, np.float64)
    return {
        "mean": float(x.mean()),
        "median": float(np.median(x)),
        "p10": float(np.percentile(x, 10)),
        "p90": float(np.percentile(x, 90)),
    }


def sync_bars(model, clips: list, vshift: int = 15) -> dict:
    """Offset of GT clips (0 ± 1), recovery of audio shifts k ∈ SHIFTS (k ± 1), and LSE-D /
    LSE-C of GT audio vs another clip's audio (mismatched)."""
    gt_ok, shift_ok, lse_c_gt, lse_c_bad, lse_d_gt, lse_d_bad = [], [], [], [], [], []
    for i, clip in enumerate(clips):
        v, a = clip_embeddings(model, clip.mouth, clip.mel)
        r = sync_scores(v, a, vshift)
        gt_ok.append(abs(r.offset) <= 1)
        lse_c_gt.append(r.lse_c)
        lse_d_gt.append(r.lse_d)
        for k in SHIFTS:
            ak = audio_embeddings(model, shift_mel(clip.mel, k), len(clip.mouth))
            shift_ok.append(abs(sync_scores(v, ak, vshift).offset - k) <= 1)
        other = _other_clip(clips, i)
        mel = other.mel
        ab = audio_embeddings(model, mel, len(clip.mouth))
        rb = sync_scores(v, ab, vshift)
        lse_c_bad.append(rb.lse_c)
        lse_d_bad.append(rb.lse_d)
    return {
        "gt_offset_within_1": float(np.mean(gt_ok)),
        "shift_recovered_within_1": float(np.mean(shift_ok)),
        "lse_c_gt": _summary(lse_c_gt),
        "lse_c_mismatched": _summary(lse_c_bad),
        "lse_d_gt": _summary(lse_d_gt),
        "lse_d_mismatched": _summary(lse_d_bad),
        "n_clips": len(clips),
    }


def _other_clip(clips: list, i: int):
    """Another clip with a different sentence (the next one in the list that differs)."""
    me = clips[i]
    for j in range(1, len(clips)):
        c = clips[(i + j) % len(clips)]
        if c.clip_id.split("_")[1] != me.clip_id.split("_")[1]:
            return c
    return clips[(i + 1) % len(clips)]


@torch.no_grad()
def _predict(fn, faces: np.ndarray, batch: int = 512) -> np.ndarray:
    return np.concatenate([fn(faces[i : i + batch]) for i in range(0, len(faces), batch)])


def emotion_bars(model, clips: list, frame_step: int = 1) -> dict:
    """Accuracy on intensity-3 frames, on all frames, per intensity, and the confusion matrix
    (rows = true emotion, columns = predicted, in EMOTIONS order)."""
    faces = np.concatenate([c.face[::frame_step] for c in clips])
    truth = np.concatenate([np.full(len(c.face[::frame_step]), c.emotion) for c in clips])
    inten = np.concatenate([np.full(len(c.face[::frame_step]), c.intensity) for c in clips])
    pred = _predict(model.predict, faces)
    ok = pred == truth
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    np.add.at(confusion, (truth, pred), 1)
    return {
        "accuracy_intensity3": float(ok[inten == 3].mean()),
        "accuracy_all": float(ok.mean()),
        "accuracy_per_intensity": {int(i): float(ok[inten == i].mean()) for i in np.unique(inten)},
        "confusion": confusion.tolist(),
        "labels": list(EMOTIONS),
        "n_frames": int(len(faces)),
    }


def identity_bars(model, clips: list, n_pairs: int = 20000, seed: int = 0) -> dict:
    """Verification EER on frame pairs: genuine = same identity from two clips with different
    emotions (so pose and expression differ too); impostor = two different identities."""
    rng = np.random.default_rng(seed)
    frames, ids, emos = [], [], []
    for c in clips:
        idx = np.arange(0, len(c.face), 4)
        frames.append(c.face[idx])
        ids.append(np.full(len(idx), c.identity))
        emos.append(np.full(len(idx), c.emotion))
    faces, ids, emos = np.concatenate(frames), np.concatenate(ids), np.concatenate(emos)
    emb = _predict(model.embed_numpy, faces)
    a = rng.integers(0, len(ids), 4 * n_pairs)
    b = rng.integers(0, len(ids), 4 * n_pairs)
    genuine = (ids[a] == ids[b]) & (emos[a] != emos[b])
    impostor = ids[a] != ids[b]
    g = np.flatnonzero(genuine)[: n_pairs // 2]
    m = np.flatnonzero(impostor)[: n_pairs // 2]
    pa, pb = np.concatenate([a[g], a[m]]), np.concatenate([b[g], b[m]])
    same = np.concatenate([np.ones(len(g), bool), np.zeros(len(m), bool)])
    scores = (emb[pa] * emb[pb]).sum(1)
    return {
        "eer": eer(scores, same),
        "csim_genuine_mean": float(scores[same].mean()),
        "csim_impostor_mean": float(scores[~same].mean()) if len(m) else float("nan"),
        "n_genuine": int(len(g)),
        "n_impostor": int(len(m)),
        "n_identities": int(len(np.unique(ids))),
    }


def measure(name: str, model, held_out: list) -> dict:
    model.eval()
    if name == "sync_expert":
        return sync_bars(model, held_out)
    if name == "emotion_classifier":
        out = emotion_bars(model, held_out)
        for member, net in zip(
            getattr(model, "names", []), getattr(model, "members", []), strict=True
        ):
            m = emotion_bars(net, held_out)  # an ensemble: each member alone too
            keys = ("accuracy_intensity3", "accuracy_all", "accuracy_per_intensity")
            out.setdefault("members", {})[member] = {k: m[k] for k in keys}
        return out
    return identity_bars(model, held_out)


def headline(name: str, m: dict) -> dict[str, float]:
    """The bar values (floats) for model cards and bench tables."""
    if name == "sync_expert":
        return {
            "gt_offset_within_1": m["gt_offset_within_1"],
            "shift_recovered_within_1": m["shift_recovered_within_1"],
            "lse_c_gt_median": m["lse_c_gt"]["median"],
            "lse_c_mismatched_median": m["lse_c_mismatched"]["median"],
            "lse_d_gt_median": m["lse_d_gt"]["median"],
            "lse_d_mismatched_median": m["lse_d_mismatched"]["median"],
        }
    if name == "emotion_classifier":
        out = {"accuracy_intensity3": m["accuracy_intensity3"], "accuracy_all": m["accuracy_all"]}
        out.update({f"accuracy_intensity{i}": v for i, v in m["accuracy_per_intensity"].items()})
        for member, row in m.get("members", {}).items():
            out[f"member[{member}].accuracy_intensity3"] = row["accuracy_intensity3"]
            out[f"member[{member}].accuracy_all"] = row["accuracy_all"]
        return out
    return {
        "eer": m["eer"],
        "csim_genuine_mean": m["csim_genuine_mean"],
        "csim_impostor_mean": m["csim_impostor_mean"],
    }
