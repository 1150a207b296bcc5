"""Code banks: JEAN's per-frame codes of a corpus sample and of the user's clips, with labels.

    bank = corpus_bank("data/synthtalk-default")        # held-out identities, ≤ 5,000 frames
    bank = bank.concat(user_bank(sources.emotion))        # plus the user's emotion source
    scores(bank.codes["expression"], bank.labels["emotion"], groups=bank.labels["clip_id"])

The corpus bank is cached on disk (cache/jean/bank_<hash>.npz, np.load without pickles) keyed
by the checkpoint's sha256, the corpus and the sample size. Without a corpus (a fresh machine,
the hosted Space) the shipped bank `assets/jean_bank.npz` stands in: 5,000 held-out frames'
codes, labels and GT blendshapes, written by `python -m studio.explore ship-bank` for the
shipped checkpoint; points are then re-rendered with the SynthTalk rig instead of read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "cache" / "jean"
DEFAULT_CORPUS = ROOT / "data" / "synthtalk-default"
SHIPPED_BANK = ROOT / "assets" / "jean_bank.npz"
CODE_NAMES = ("expression", "lip", "audio")
_MEMO: dict[tuple, CodeBank] = {}  # banks already read in this process
LABELS = ("emotion", "intensity", "identity", "sentence", "clip_id", "frame", "source")


@dataclass
class CodeBank:
    """codes {name: (N, 64) float32}; labels {name: (N,) array}; corpus (where frames live,
    "" for the shipped bank); blendshapes (N, 52) GT rig values where known (NaN for user
    frames), so a point's face can be re-rendered when the corpus is absent."""

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    corpus: str = ""
    blendshapes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels["frame"])

    def concat(self, other: CodeBank) -> CodeBank:
        blend = None
        if self.blendshapes is not None or other.blendshapes is not None:
            blend = np.concatenate([_blend_or_nan(self), _blend_or_nan(other)])
        return CodeBank(
            {k: np.concatenate([self.codes[k], other.codes[k]]) for k in self.codes},
            {k: np.concatenate([self.labels[k], other.labels[k]]) for k in self.labels},
            self.corpus,
            blend,
        )

    def take(self, rows: np.ndarray) -> CodeBank:
        blend = None if self.blendshapes is None else self.blendshapes[rows]
        return CodeBank(
            {k: v[rows] for k, v in self.codes.items()},
            {k: v[rows] for k, v in self.labels.items()},
            self.corpus,
            blend,
        )

    def point(self, i: int) -> dict:
        """One point's labels as plain Python values."""
        if not 0 <= i < len(self):
            last = len(self) - 1
            raise StudioError(f"No point #{i}; the map has {len(self)} points (#0 … #{last})")
        return {k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in self.labels.items()}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.npz")
        arrays = {f"code_{k}": v for k, v in self.codes.items()}
        arrays.update({f"label_{k}": v for k, v in self.labels.items()})
        if self.blendshapes is not None:
            arrays["blendshapes"] = self.blendshapes
        np.savez(tmp, corpus=np.array(self.corpus), **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> CodeBank:
        with np.load(path, allow_pickle=False) as z:
            codes = {k[5:]: z[k].astype(np.float32) for k in z.files if k.startswith("code_")}
            labels = {k[6:]: z[k] for k in z.files if k.startswith("label_")}
            corpus = str(z["corpus"])
            blend = z["blendshapes"].astype(np.float32) if "blendshapes" in z.files else None
        return cls(codes, labels, corpus, blend)


def _blend_or_nan(bank: CodeBank) -> np.ndarray:
    if bank.blendshapes is not None:
        return bank.blendshapes
    from studio.face.records import N_BLENDSHAPES

    return np.full((len(bank), N_BLENDSHAPES), np.nan, np.float32)


def shipped_bank(max_points: int = 5000, path: Path | None = None) -> CodeBank | None:
    """The bank shipped in assets/, if it was written for the current JEAN checkpoint."""
    from studio.models.checkpoints import load_card

    path = Path(path or SHIPPED_BANK)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        made_for = str(z["checkpoint_sha256"]) if "checkpoint_sha256" in z.files else ""
    if made_for != load_card("jean").get("sha256", "-"):
        return None
    bank = CodeBank.load(path)
    bank.corpus = ""
    if len(bank) > max_points:
        bank = bank.take(np.linspace(0, len(bank) - 1, max_points).round().astype(int))
    return bank


def ship_bank(corpus: str | Path = DEFAULT_CORPUS, out: Path = SHIPPED_BANK) -> Path:
    """Write the held-out bank (5,000 frames, float16 codes, GT blendshapes) for the shipped
    checkpoint, so the JEAN tabs work without a corpus."""
    from studio.models.checkpoints import load_card

    bank = corpus_bank(corpus, max_points=5000, cache=False, progress=True)
    blend = bank.blendshapes.astype(np.float16)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        corpus=np.array(""),
        checkpoint_sha256=np.array(load_card("jean")["sha256"]),
        blendshapes=blend,
        **{f"code_{k}": v.astype(np.float16) for k, v in bank.codes.items()},
        **{f"label_{k}": v for k, v in bank.labels.items()},
    )
    return out


def _sample(n_clips_frames: list[int], max_points: int) -> list[np.ndarray]:
    """Per clip, the frame indices kept: every k-th frame so the total stays ≤ max_points."""
    total = sum(n_clips_frames)
    step = max(1, int(np.ceil(total / max_points)))
    return [np.arange(0, n, step) for n in n_clips_frames]


def corpus_bank(
    corpus: str | Path = DEFAULT_CORPUS,
    model=None,
    max_points: int = 5000,
    split: str = "test",
    cache: bool = True,
    progress: bool = False,
) -> CodeBank:
    """Codes of a corpus's held-out identities (split "test") or training identities."""
    from studio.models.checkpoints import load_card
    from studio.models.jean import load
    from studio.train.jean import _key, load_data
    from studio.train.jean import split as split_data

    corpus = Path(corpus)
    if not (corpus / "manifest.json").exists():
        if model is None and corpus.resolve() == DEFAULT_CORPUS.resolve():
            bank = shipped_bank(max_points)
            if bank is not None:
                return bank
        raise StudioError(
            f"No SynthTalk corpus at '{corpus}'. Build one with: "
            f"python -m studio.synth make --out {corpus} --preset default"
        )
    fast = (str(corpus), max_points, split)
    if model is None and cache:
        weights = ROOT / "checkpoints" / "jean.safetensors"
        fast = (*fast, weights.stat().st_mtime if weights.exists() else 0.0)
        if fast in _MEMO:  # no manifest / card parsing on every slider move
            return _MEMO[fast]
    if model is None:
        model = load()
        sha = load_card("jean").get("sha256", "")
    else:
        sha = hashlib.sha1(
            b"".join(v.numpy().tobytes() for v in model.state_dict().values())
        ).hexdigest()
    key = hashlib.sha1(json.dumps([_key(corpus), sha, max_points, split]).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"bank_{key}.npz"
    if cache and path.exists():
        _MEMO[fast] = CodeBank.load(path)
        return _MEMO[fast]
    data = split_data(load_data(corpus, progress=progress))[split]
    keep = _sample([c["n"] for c in data.clips], max_points)
    rows = np.concatenate([c["start"] + k for c, k in zip(data.clips, keep, strict=True)])
    if len(rows) > max_points:  # per-clip rounding can overshoot a little
        rows = rows[np.linspace(0, len(rows) - 1, max_points).round().astype(int)]
    from studio.bench.jean import codes_of

    allc = codes_of(model, data)
    codes = {k: allc[k][rows].astype(np.float32) for k in CODE_NAMES}
    labels = {
        "emotion": data.column("emotion")[rows].astype(str),
        "intensity": data.column("intensity")[rows].astype(np.int64),
        "identity": data.column("identity_id")[rows].astype(str),
        "sentence": data.column("sentence_id")[rows].astype(str),
        "clip_id": data.column("clip_id")[rows].astype(str),
        "frame": data.frame[rows].astype(np.int64),
        "source": np.array(["SynthTalk"] * len(rows)),
    }
    bank = CodeBank(codes, labels, str(corpus), data.blendshapes[rows].astype(np.float32))
    if cache:
        bank.save(path)
        _MEMO[fast] = bank
    return bank


def face_source_codes(model, track, audio=None) -> dict[str, np.ndarray]:
    """Codes of a tracked clip (a `FaceTrack` from MediaPipe): frames without a face or
    without blendshapes are dropped. Returns codes + "frame" (the kept frame indices)."""
    from studio.models.jean import expression_features, landmark_features
    from studio.speech.features import frame_windows, log_mel

    ok = np.asarray(track.found, bool) & np.isfinite(track.blendshapes).all(1)
    if ok.sum() == 0:
        raise StudioError(
            "No tracked face with blendshapes in this source — use a video with one visible "
            "face (MediaPipe tracking)"
        )
    idx = np.flatnonzero(ok)
    lm = landmark_features(track.landmarks[idx])
    feats = expression_features(track.blendshapes[idx], lm)
    lip, expr = model.expression_codes(feats)
    out = {"expression": expr, "lip": lip, "frame": idx}
    if audio is not None and len(audio) > 0:
        win = frame_windows(log_mel(np.asarray(audio, np.float32)), len(track.found))[idx]
        out["audio"] = model.audio_codes(win)
    else:
        out["audio"] = np.full_like(expr, np.nan)
    return out


def user_bank(model, source, label: str = "your clip") -> CodeBank:
    """A `studio.sources.FaceSource` (e.g. the emotion source) as a bank of codes."""
    audio = source.audio.samples if getattr(source, "audio", None) is not None else None
    c = face_source_codes(model, source.track, audio)
    n = len(c["frame"])
    return CodeBank(
        {k: c[k].astype(np.float32) for k in CODE_NAMES},
        {
            "emotion": np.array([label] * n),
            "intensity": np.zeros(n, np.int64),
            "identity": np.array([label] * n),
            "sentence": np.array([label] * n),
            "clip_id": np.array([f"user:{source.name}"] * n),
            "frame": c["frame"].astype(np.int64),
            "source": np.array(["user"] * n),
        },
    )


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
    clip label, and k-NN reads near 1.0 for any of them."""
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


def label_scores(bank: CodeBank, code: str) -> dict[str, dict[str, float]]:
    """`scores` of one code against each clip label, folds by clip (the t-SNE tab's table)."""
    clips = bank.labels["clip_id"]
    return {by: scores(bank.codes[code], bank.labels[by], groups=clips) for by in SCORED_LABELS}


def point_frame(bank: CodeBank, i: int, user_frames: np.ndarray | None = None) -> np.ndarray:
    """The video frame behind point i: read from the corpus (SynthTalk) or the user's clip."""
    from studio.synth.corpus import load_clip

    p = bank.point(i)
    if p["source"] == "user":
        if user_frames is None:
            raise StudioError("The user's clip is no longer loaded")
        return user_frames[int(p["frame"])]
    if bank.corpus and (Path(bank.corpus) / "manifest.json").exists():
        return load_clip(bank.corpus, str(p["clip_id"]), frames=True).frames[int(p["frame"])]
    if bank.blendshapes is None or not np.isfinite(bank.blendshapes[i]).all():
        raise StudioError("This point's frame needs the corpus: python -m studio.synth make")
    from studio.explore.interpolation import renderer

    face = renderer(int(p["identity"]), size=128)  # the GT expression, re-rendered frontally
    return face.render(bank.blendshapes[i], np.zeros(6, np.float32)).image
