"""`python -m studio.bench irfd`: IRFD's three codes on held-out people of its image set.

- Probes (SPEAK's claim that each code holds one factor): linear probes fitted on 200 training
  people's images, scored on the 100 held-out people's: every factor from every code; emotion
  from the emotion code at intensity 2–3; identity verification EER from each code (cosine of
  two images' codes; 50% = the code cannot tell people apart).
- DCI, MIG and SAP (both variants) of the 176 code dimensions over (identity, emotion,
  intensity, yaw, pitch, roll, jaw) on the held-out images, and which code block each factor's
  DCI importance falls in.
- Self-reconstruction G_d(E(x)) at 128²: PSNR, SSIM.
- Swaps (identity from A, emotion from B at intensity 3, pose from C; three held-out people),
  judged by networks IRFD never saw: the tracker's yaw/pitch against C's tracked pose, the
  emotion classifier against B's label, the identity embedder's nearest of A, B, C. Each judge's
  ceiling is measured on the set's own images (the judges were trained on the default corpus).
  The same judges read G_d's reconstructions of B and C (a swap keeps no more than G_d(E(x))).
  Where the tracker finds a face in fewer than a tenth of the swaps, their readings are NaN
  (not measurable), not a verdict drawn from a handful.
  The tracker finds no face in G_d's output, so the swaps are also read by the set judge
  (`judge.py`, trained on the set's training people; a deviation), beside its reading of the
  held-out people's real images and of G_d's reconstructions of them.
  The swaps' emotion is read once more by the tracked emotion judge (a linear read of the
  tracker's blendshapes and landmarks that has seen turned heads; it reads the held-out
  people's real intensity-3 images at 0.89 where the emotion classifier reads 0.51, so it can
  show the 0.8 bar): on the swaps, on B's real image and on G_d's reconstruction of B.
- Speed: the 3×3 swap grid (6 encodes + 9 images), medians after warm-up.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.eval.disentanglement import dci, mig, probe_leakage, sap
from studio.eval.images import psnr_batch, ssim_batch
from studio.evaluators.emotion_classifier.model import load as load_emotion
from studio.evaluators.identity_embedder.model import load as load_identity
from studio.evaluators.measure import eer
from studio.face.crop import crop_face
from studio.face.tracker import track_image
from studio.nn.checkpoints import checkpoint_exists
from studio.nn.spec import Bar
from studio.papers.irfd.codes import Codes, encode, generate, load_irfd, load_run, swap_grid
from studio.papers.irfd.imageset import load_imageset
from studio.papers.irfd.judge import NAME as JUDGE_NAME
from studio.papers.irfd.judge import load_judge
from studio.papers.irfd.regions import region_masks, set_landmarks
from studio.papers.jean.tracked_emotion_judge import NAME as TRACKED_JUDGE_NAME
from studio.papers.jean.tracked_emotion_judge import load_judge as load_tracked_judge
from studio.papers.jean.tracked_emotion_judge import still_features
from studio.synth.emotions import EMOTIONS

BARS = (
    Bar("emotion_probe_accuracy_int23", ">=", 0.90, "emotion from the emotion code, int. 2–3"),
    Bar("emotion_from_identity_above_chance", "<=", 0.10, "emotion from the identity code"),
    Bar("yaw_r2_from_pose", ">=", 0.9, "yaw from the pose code (R²)"),
    Bar("pitch_r2_from_pose", ">=", 0.9, "pitch from the pose code (R²)"),
    Bar("yaw_r2_from_identity", "<=", 0.2, "yaw from the identity code (R²)"),
    Bar("pitch_r2_from_identity", "<=", 0.2, "pitch from the identity code (R²)"),
    Bar("identity_eer_from_emotion", ">=", 0.30, "identity verification EER, emotion code"),
    Bar("identity_eer_from_pose", ">=", 0.30, "identity verification EER, pose code"),
    Bar("dci_disentanglement_trees", ">=", 0.7, "DCI over the 7 factors, tree importances"),
    Bar("swap_yaw_error_deg", "<=", 5.0, "swap: tracked yaw vs the pose source's"),
    Bar("swap_pitch_error_deg", "<=", 5.0, "swap: tracked pitch vs the pose source's"),
    Bar("swap_emotion_agreement_int3", ">=", 0.8, "swap: emotion classifier = B's emotion"),
    Bar("swap_identity_nearest_a", ">=", 0.9, "swap: identity embedder nearest to A"),
    Bar("self_reconstruction_psnr", ">=", 26.0, "G_d(E(x)) on held-out images, 128²"),
    Bar("grid_3x3_seconds", "<=", 1.0, "a 3×3 swap grid from 6 source images"),
)
DEFAULT_SET = Path("data/irfd-set")
FACTORS = ("identity", "emotion", "intensity", "yaw", "pitch", "roll", "jaw")
DISCRETE = (True, True, True, False, False, False, False)
PROBE_TRAIN_PEOPLE = 200
JUDGE_SIZE = 256  # judges track and crop at the size the default corpus's frames have


def _subset(data: dict, people: np.ndarray) -> dict:
    keep = np.isin(data["identity"], people)
    return {k: v[keep] for k, v in data.items()}


def split(data: dict, quick: bool) -> tuple[dict, dict]:
    """(probe-training images from training people, held-out people's images)."""
    train_people = np.unique(data["identity"][~data["held_out"]])
    held_people = np.unique(data["identity"][data["held_out"]])
    n_train, n_held = (40, 20) if quick else (PROBE_TRAIN_PEOPLE, len(held_people))
    rng = np.random.default_rng(0)
    n_train = min(n_train, len(train_people))
    train = _subset(data, rng.choice(train_people, n_train, replace=False))
    return train, _subset(data, held_people[:n_held])


def _factor_columns(data: dict) -> dict[str, np.ndarray]:
    return {f: data[f] for f in FACTORS if f != "identity"}


def probes(train: dict, held: dict, c_train: Codes, c_held: Codes) -> dict:
    """Linear probes of every factor from every code, trained on training people."""
    codes = {
        k: np.concatenate([c_train.get(k), c_held.get(k)]) for k in ("identity", "emotion", "pose")
    }
    factors = {k: np.concatenate([train[k], held[k]]) for k in _factor_columns(held)}
    mask = np.r_[np.ones(len(c_train), bool), np.zeros(len(c_held), bool)]
    table = probe_leakage(codes, factors, mask)
    m: dict = {"probe_table": table.to_markdown()}
    m["probe_matrix"] = {
        code: {f: round(float(table.matrix[i, j]), 4) for j, f in enumerate(table.factors)}
        for i, code in enumerate(table.codes)
    }
    m["probe_chance"] = {
        f: round(float(c), 4) for f, c in zip(table.factors, table.chance, strict=True)
    }
    above = table.above_chance()
    col = {f: j for j, f in enumerate(table.factors)}
    row = {c: i for i, c in enumerate(table.codes)}
    m["emotion_from_identity_above_chance"] = float(above[row["identity"], col["emotion"]])
    m["emotion_from_pose_above_chance"] = float(above[row["pose"], col["emotion"]])
    for angle in ("yaw", "pitch", "roll"):
        for code in ("pose", "identity", "emotion"):
            m[f"{angle}_r2_from_{code}"] = float(table.matrix[row[code], col[angle]])
    m.update(emotion_probe(train, held, c_train.emotion, c_held.emotion))
    return m


def fit_emotion_probe(x_train: np.ndarray, emotion: np.ndarray):
    """The emotion bar's probe: a logistic regression on standardised emotion codes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=10.0, max_iter=3000)).fit(
        x_train, emotion
    )


def emotion_probe(train: dict, held: dict, x_train: np.ndarray, x_held: np.ndarray) -> dict:
    """Emotion from the emotion code on held-out people, by intensity (neutral is intensity 1)."""
    right = fit_emotion_probe(x_train, train["emotion"]).predict(x_held) == held["emotion"]
    strong = held["intensity"] >= 2
    return {
        "emotion_probe_accuracy": float(right.mean()),
        "emotion_probe_accuracy_int23": float(right[strong].mean()),
        "emotion_probe_accuracy_int1": float(right[~strong].mean()),
    }


def verification_eers(held: dict, codes: Codes, pairs: int = 20000) -> dict:
    """Identity verification EER from each code: half the pairs are one person's two images."""
    rng = np.random.default_rng(1)
    ident = held["identity"]
    a = rng.integers(len(ident), size=pairs)
    b = rng.integers(len(ident), size=pairs)
    same_person = rng.random(pairs) < 0.5
    for i in np.flatnonzero(same_person):  # a second image of a's person
        choices = np.flatnonzero(ident == ident[a[i]])
        b[i] = rng.choice(choices[choices != a[i]])
    same = ident[a] == ident[b]
    keep = a != b
    out = {}
    for factor in ("identity", "emotion", "pose"):
        x = codes.get(factor)
        x = x / np.linalg.norm(x, axis=1, keepdims=True).clip(1e-8)
        out[f"identity_eer_from_{factor}"] = eer((x[a] * x[b]).sum(1)[keep], same[keep])
    return out


def _factor_matrix(held: dict) -> np.ndarray:
    """(N, 7) the held-out images' factors, in FACTORS order (DCI's targets)."""
    return np.stack([held[f].astype(np.float64) for f in FACTORS], 1)


def disentanglement(held: dict, codes: Codes, predictor: str = "linear") -> dict:
    """DCI, MIG and SAP over all 176 code dimensions, and per code block DCI importance.
    `predictor` is DCI's importance model: "linear" (the record's `dci_disentanglement`) or
    "gbt" (trees, as disentanglement_lib: the bar's, see `tree_dci`)."""
    x, y = codes.concatenated(), _factor_matrix(held)
    result = dci(x, y, split=0.8, discrete=DISCRETE, model=predictor)
    blocks = np.cumsum([0, codes.identity.shape[1], codes.emotion.shape[1], codes.pose.shape[1]])
    importance = result.importance / result.importance.sum(0, keepdims=True).clip(1e-12)
    share = {
        code: {
            f: round(float(importance[blocks[i] : blocks[i + 1], k].sum()), 4)
            for k, f in enumerate(FACTORS)
        }  # fmt: skip
        for i, code in enumerate(("identity", "emotion", "pose"))
    }
    m = {
        "dci_disentanglement": result.disentanglement,
        "dci_completeness": result.completeness,
        "dci_informativeness": result.informativeness,
        "dci_importance_share": share,
        "mig": mig(x, y, discrete=DISCRETE).score,
    }
    for variant in ("studio", "disentanglement_lib"):
        m[f"sap_{variant}"] = sap(x, y, discrete=DISCRETE, compat=variant).score
    return m


def tree_dci(held: dict, codes: Codes) -> dict:
    """DCI with gradient-boosted trees' importances (disentanglement_lib's predictor), the DCI
    bar's reading: their importances sum to one per factor, so a code of one clean dimension per
    factor reads near 1, where the linear predictors' read 0.68 on this set (docs/IRFD.md, "DCI:
    what a perfect code of IRFD's layout scores"). ≈ 5 min of the full bench's 10.4–11.1 here."""
    result = dci(codes.concatenated(), _factor_matrix(held), split=0.8, discrete=DISCRETE,
                 model="gbt")  # fmt: skip
    return {
        "dci_disentanglement_trees": result.disentanglement,
        "dci_completeness_trees": result.completeness,
        "dci_informativeness_trees": result.informativeness,
    }


@dataclass
class Drawn:
    """What G_d draws for the bench, made once and read by every judge: each held-out image's
    reconstruction G_d(E(x)), and the swap triples with their swaps."""

    reconstructed: np.ndarray  # (N, S, S, 3), the held-out images' order
    triples: np.ndarray  # (n, 3) image indices: A (identity), B (emotion, int. 3), C (pose)
    swapped: np.ndarray  # (n, S, S, 3)


def draw(model, held: dict, codes: Codes, n: int) -> Drawn:
    """G_d's reconstructions of the held-out images and `n` swaps (`swap_triples`)."""
    triples = swap_triples(held, n)
    a, b, c = triples.T
    return Drawn(
        generate(model, codes.identity, codes.emotion, codes.pose),
        triples,
        generate(model, codes.identity[a], codes.emotion[b], codes.pose[c]),
    )


def reconstruction(held: dict, reconstructed: np.ndarray) -> dict:
    """PSNR / SSIM of G_d(E(x)) over the crop (the bar), and PSNR inside the face oval and
    inside the eyes and lips (`held["landmarks"]`, `regions.py`): where the expression is."""
    images, out = held["images"], reconstructed
    m = {
        "self_reconstruction_psnr": float(psnr_batch(out, images).mean()),
        "self_reconstruction_ssim": float(ssim_batch(out, images).mean()),
        "reconstruction_images": len(images),
    }
    err = ((out.astype(np.float64) - images) / 255.0) ** 2
    for name, masks in zip(("face", "features"), region_masks(held["landmarks"], images.shape[1]),
                           strict=True):  # fmt: skip
        inside = [e[m > 0].mean() for e, m in zip(err, masks, strict=True) if m.any()]
        m[f"self_reconstruction_{name}_psnr"] = float(np.mean(-10 * np.log10(inside)))
    return m


class Judges:
    """The tracker, emotion classifier and identity embedder, on IRFD-sized images."""

    def __init__(self):
        self.emotion = load_emotion()
        self.identity = load_identity()

    def track(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found (N,), landmarks (N, 478, 3), pose6 (N, 6)) at JUDGE_SIZE."""
        big = _upscale(images)
        frames = [track_image(f) for f in big]
        return (
            np.array([f.found for f in frames]),
            np.stack([f.landmarks for f in frames]),
            np.stack([f.pose6 for f in frames]),
        )

    def emotions(self, images: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        if not len(images):
            return np.zeros(0, np.int64)
        size = self.emotion.config.face_size
        crops = np.stack(
            [crop_face(f, lm, size) for f, lm in zip(_upscale(images), landmarks, strict=True)]
        )
        return self.emotion.predict(crops)

    def embed(self, images: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        if not len(images):
            return np.zeros((0, self.identity.config.dim), np.float32)
        size = self.identity.config.face_size
        crops = np.stack(
            [crop_face(f, lm, size) for f, lm in zip(_upscale(images), landmarks, strict=True)]
        )
        return self.identity.embed_numpy(crops)


def _upscale(images: np.ndarray) -> np.ndarray:
    return np.stack(
        [cv2.resize(f, (JUDGE_SIZE, JUDGE_SIZE), interpolation=cv2.INTER_CUBIC) for f in images]
    )


def swap_triples(held: dict, n: int, seed: int = 2) -> np.ndarray:
    """(n, 3) image indices (A, B, C) of three different people; B at intensity 3."""
    rng = np.random.default_rng(seed)
    ident = held["identity"]
    strong = np.flatnonzero(held["intensity"] == 3)
    if len(np.unique(ident)) < 3 or not len(strong):
        raise StudioError("Swaps need three held-out people and images at intensity 3")
    rows = []
    while len(rows) < n:
        a, b, c = rng.integers(len(ident)), rng.choice(strong), rng.integers(len(ident))
        if len({ident[a], ident[b], ident[c]}) == 3:
            rows.append((a, b, c))
    return np.array(rows)


def _prototypes(judges: Judges, held: dict, people: np.ndarray) -> dict[int, np.ndarray]:
    """Each person's mean identity embedding over their tracked set images."""
    out = {}
    for p in people:
        idx = np.flatnonzero(held["identity"] == p)
        found, lms, _ = judges.track(held["images"][idx])
        if found.any():
            e = judges.embed(held["images"][idx][found], lms[found]).mean(0)
            out[int(p)] = e / np.linalg.norm(e)
    return out


def _nearest_of_three(emb: np.ndarray, trio: np.ndarray, proto: dict) -> np.ndarray:
    if not len(emb):
        return np.zeros(0, np.int64)
    sims = np.stack([[emb[i] @ proto[int(p)] for p in row] for i, row in enumerate(trio)])
    return sims.argmax(1)


def _mean(x: np.ndarray, least: int = 1) -> float:
    """The mean, NaN for fewer than `least` values (e.g. no output was tracked) instead of a
    warning or a verdict drawn from a handful."""
    return float(np.mean(x)) if len(x) >= least else float("nan")


MIN_JUDGED_SHARE = 0.1  # swaps read only where the tracker finds a face in a tenth of them


def swaps(held: dict, drawn: Drawn) -> dict:
    """Identity from A, emotion from B, pose from C, judged by the three evaluators."""
    judges = Judges()
    triples, out, n = drawn.triples, drawn.swapped, len(drawn.triples)
    a, b, c = triples.T
    found, lms, pose = judges.track(out)
    c_found, c_lms, c_pose = judges.track(held["images"][c])
    both = found & c_found
    yaw_err = np.abs(pose[both, 0] - c_pose[both, 0])
    pitch_err = np.abs(pose[both, 1] - c_pose[both, 1])
    emotion_right = judges.emotions(out[found], lms[found]) == held["emotion"][b[found]]
    b_found, b_lms, _ = judges.track(held["images"][b])
    b_right = (
        judges.emotions(held["images"][b][b_found], b_lms[b_found]) == held["emotion"][b[b_found]]
    )
    trio = held["identity"][triples]
    proto = _prototypes(judges, held, np.unique(trio))
    have = np.array([all(int(p) in proto for p in row) for row in trio])
    ok = found & have
    nearest = _nearest_of_three(judges.embed(out[ok], lms[ok]), trio[ok], proto)
    ok_c = c_found & have
    c_nearest = _nearest_of_three(
        judges.embed(held["images"][c][ok_c], c_lms[ok_c]), trio[ok_c], proto
    )
    gt_yaw_err = np.abs(c_pose[c_found, 0] - held["yaw"][c[c_found]])
    least = int(np.ceil(MIN_JUDGED_SHARE * n))  # fewer say nothing of the n (NaN; count kept)
    # the same judges on G_d's reconstructions of B and of C: a swap draws no more of B's
    # emotion or of a person than G_d(E(x)) keeps of x's own
    recon_b, recon_c = drawn.reconstructed[b], drawn.reconstructed[c]
    rb_found, rb_lms, _ = judges.track(recon_b)
    rb_right = judges.emotions(recon_b[rb_found], rb_lms[rb_found]) == held["emotion"][b[rb_found]]
    rc_found, rc_lms, _ = judges.track(recon_c)
    ok_rc = rc_found & have
    rc_nearest = _nearest_of_three(judges.embed(recon_c[ok_rc], rc_lms[ok_rc]), trio[ok_rc], proto)
    return {
        "swap_triples": int(n),
        "swap_tracked_rate": _mean(found),
        "swap_tracked_count": int(found.sum()),
        "swap_yaw_error_deg": _mean(yaw_err, least),
        "swap_pitch_error_deg": _mean(pitch_err, least),
        "swap_emotion_agreement_int3": _mean(emotion_right, least),
        "swap_identity_nearest_a": _mean(nearest == 0, least),
        "swap_identity_nearest_b": _mean(nearest == 1, least),
        "swap_identity_nearest_c": _mean(nearest == 2, least),
        "judge_emotion_ceiling_int3": _mean(b_right),
        "judge_identity_ceiling": _mean(c_nearest == 2),
        "judge_emotion_reconstructed_int3": _mean(rb_right, least),
        "judge_identity_reconstructed": _mean(rc_nearest == 2, least),
        "judge_tracker_yaw_error_vs_rig_deg": _mean(gt_yaw_err),
        "judge_tracked_rate_set_images": _mean(c_found),
    }


def _top_share(labels: np.ndarray) -> float:
    """The share of the most common reading: near 1 when the judge reads every image alike (an
    agreement rate is then the label's base rate, not a reading)."""
    return float(np.bincount(labels).max() / len(labels)) if len(labels) else float("nan")


def judged_by_set_judge(held: dict, drawn: Drawn) -> dict:
    """The swaps again, read by the set judge (`judge.py`; a deviation: the tracker finds no
    face in G_d's output), beside its reading of the same people's real images and of G_d's
    reconstructions of them — the ceilings a swap is read against. Empty when no judge is
    shipped."""
    if not checkpoint_exists(JUDGE_NAME):
        return {}
    judge = load_judge()
    triples = drawn.triples
    a, b, c = triples.T
    trio = held["identity"][triples]
    real = judge.read(held["images"])
    proto = {}
    for p in np.unique(held["identity"]):
        e = real.embedding[held["identity"] == p].mean(0)
        proto[int(p)] = e / np.linalg.norm(e)
    recon = judge.read(drawn.reconstructed)
    swap = judge.read(drawn.swapped)
    strong = held["intensity"] == 3
    nearest = _nearest_of_three(swap.embedding, trio, proto)
    out = {
        "swap_judge_yaw_error_deg": _mean(np.abs(swap.angles[:, 0] - real.angles[c, 0])),
        "swap_judge_pitch_error_deg": _mean(np.abs(swap.angles[:, 1] - real.angles[c, 1])),
        "swap_judge_emotion_agreement_int3": _mean(swap.emotion == held["emotion"][b]),
        "swap_judge_emotion_agreement_with_a": _mean(swap.emotion == held["emotion"][a]),
        "swap_judge_top_emotion_share": _top_share(swap.emotion),
        "swap_judge_identity_nearest_a": _mean(nearest == 0),
        "swap_judge_identity_nearest_b": _mean(nearest == 1),
    }
    for name, r in (("real", real), ("reconstructed", recon)):
        out[f"set_judge_{name}_emotion_int3"] = _mean(r.emotion[strong] == held["emotion"][strong])
        out[f"set_judge_{name}_top_emotion_share"] = _top_share(r.emotion)
        out[f"set_judge_{name}_yaw_error_deg"] = _mean(np.abs(r.angles[:, 0] - held["yaw"]))
        out[f"set_judge_{name}_pitch_error_deg"] = _mean(np.abs(r.angles[:, 1] - held["pitch"]))
        # the pose source C's own image read as the swap is: nearest of (A, B, C) is C
        out[f"set_judge_{name}_identity_nearest_of_three"] = _mean(
            _nearest_of_three(r.embedding[c], trio, proto) == 2
        )
    return out


def judged_by_tracked_emotion(held: dict, drawn: Drawn) -> dict:
    """The swaps' emotion read by the tracked emotion judge (`studio/papers/jean/
    tracked_emotion_judge.py`, fitted on the set's training people and the default corpus; a
    deviation: the bar names the emotion classifier, whose own read of real set images is
    below the bar), beside its read of B's real image and of G_d's reconstruction of B — what
    G_d keeps of an expression before any swap. Empty when no judge is shipped."""
    if not checkpoint_exists(TRACKED_JUDGE_NAME):
        return {}
    judge = load_tracked_judge()
    a, b, _ = drawn.triples.T
    least = int(np.ceil(MIN_JUDGED_SHARE * len(drawn.triples)))
    images = {
        "real": held["images"][b],
        "reconstructed": drawn.reconstructed[b],
        "swap": drawn.swapped,
    }
    out: dict = {}
    for name, batch in images.items():
        features, found = still_features(batch)
        read = judge.predict(features[found]) if found.any() else np.zeros(0, np.int64)
        prefix = f"tracked_judge_{name}"
        out[f"{prefix}_emotion_int3"] = _mean(read == held["emotion"][b[found]], least)
        out[f"{prefix}_tracked_rate"] = _mean(found)
        out[f"{prefix}_top_emotion_share"] = _top_share(read)
        if name == "swap":
            out["swap_tracked_judge_emotion_with_a"] = _mean(
                read == held["emotion"][a[found]], least
            )
    out["swap_tracked_judge_emotion_agreement_int3"] = out.pop("tracked_judge_swap_emotion_int3")
    return out


def speed(model, held: dict, repeats: int) -> dict:
    sources = held["images"][:6]
    times = []
    for _ in range(repeats + 2):
        t0 = time.perf_counter()
        codes = encode(model, sources)
        ident = Codes(codes.identity[:3], codes.emotion[:3], codes.pose[:3])
        drive = Codes(codes.identity[3:], codes.emotion[3:], codes.pose[3:])
        swap_grid(model, ident, drive)
        times.append(time.perf_counter() - t0)
    return {"grid_3x3_seconds": float(np.median(times[2:]))}


def score(model, data: dict, quick: bool = False, trees: bool = True) -> dict:
    """Every bar's metric but speed, and their companions, for one model on the image set
    (`data` from `load_imageset`, with its landmarks). `trees=False` leaves out the tree DCI
    (the ablation table's runs, which have no bars)."""
    train, held = split(data, quick)
    if not len(held["images"]):
        raise StudioError("The image set has no held-out people")
    c_train, c_held = encode(model, train["images"]), encode(model, held["images"])
    m: dict = {
        "held_out_images": int(len(held["images"])),
        "held_out_people": int(len(np.unique(held["identity"]))),
    }
    m.update(probes(train, held, c_train, c_held))
    m.update(verification_eers(held, c_held))
    m.update(disentanglement(held, c_held))
    if trees:
        m.update(tree_dci(held, c_held))
    drawn = draw(model, held, c_held, 60 if quick else 500)
    m.update(reconstruction(held, drawn.reconstructed))
    m.update(swaps(held, drawn))
    m.update(judged_by_set_judge(held, drawn))
    m.update(judged_by_tracked_emotion(held, drawn))
    return m


def _image_set() -> dict:
    folder = Path(os.environ.get("IRFD_SET", DEFAULT_SET))
    data = load_imageset(folder)
    data["landmarks"] = set_landmarks(folder, data, progress=False)
    return data


def run(quick: bool = False, corpus: Path | None = None) -> dict:
    """The record of the shipped checkpoint; with IRFD_RUN=<run dir> in the environment, of
    that training run's latest weights (to measure a run before shipping it)."""
    data = _image_set()
    model = load_run(os.environ["IRFD_RUN"]) if os.environ.get("IRFD_RUN") else load_irfd()
    m = score(model, data, quick)
    _, held = split(data, quick)
    m.update(speed(model, held, 3 if quick else 10))
    m["emotions"] = list(EMOTIONS)
    return m


# The paper's Table 3 at one short budget: each of its five losses left out, and Eq. 1 as
# printed, each run continuing the shipped model with the paper's recipe (every term weight 1,
# the encoders learning from the fakes) for the same steps as the full recipe's run `full`.
# From scratch, the paper's weights kept G_d at the mean image and the nearest recipe that
# trained learned no emotion in 52 CPU-minutes (docs/IRFD.md, "Training"): a from-scratch table
# on this budget would compare untrained models.
ABLATIONS = Path("runs/irfd-ablations")
ABLATION_VARIANTS = (
    ("full", "full recipe", ""),
    ("no_identity", "w/o L_identity", "--drop identity"),
    ("literal_triplet", "Eq. 1 as printed (no negative)", "--literal-triplet"),
    ("no_cls", "w/o L_cls", "--drop cls"),
    ("no_pose", "w/o L_pose", "--drop pose"),
    ("no_emotion", "w/o L_emotion", "--drop emotion"),
    ("no_self", "w/o L_self", "--drop self"),
)
ABLATION_COMMAND = (
    "python -m studio.train irfd --init-from checkpoints/irfd.safetensors --swap-weight 1 "
    "--swap-ramp 0 --steps 120 --no-ship --out runs/irfd-ablations/NAME FLAGS "
    "(NAME, FLAGS: " + "; ".join(f"{n}, {f or 'none'}" for n, _, f in ABLATION_VARIANTS) + ")"
)
ABLATION_ROWS = tuple((f"this studio: {label}", f"ablation.{name}.")
                      for name, label, _ in ABLATION_VARIANTS)  # fmt: skip


def ablation_scores(data: dict, folder: Path = ABLATIONS, quick: bool = False) -> dict:
    """`score` of each ablation run found in `folder`, as `ablation.<name>.<metric>`."""
    out: dict = {}
    for name, _, _ in ABLATION_VARIANTS:
        run_dir = Path(folder) / name
        if not (run_dir / "irfd_config.json").exists():
            continue
        for k, v in score(load_run(run_dir), data, quick, trees=False).items():
            if isinstance(v, (int, float)):
                out[f"ablation.{name}.{k}"] = v
    return out


def run_ablations(quick: bool = False, corpus: Path | None = None) -> dict:
    """`python -m studio.bench irfd-ablations`: the runs in runs/irfd-ablations/, made by
    `ABLATION_COMMAND`."""
    m = ablation_scores(_image_set(), ABLATIONS, quick)
    if not m:
        raise StudioError(f"No ablation runs in {ABLATIONS}: " + ABLATION_COMMAND)
    return m
