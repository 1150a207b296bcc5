"""JEAN's codes of any clip: a corpus's frames (`codes_of`), a user's tracked source, and the
banks of codes the explorer tabs read (held-out corpus frames, the shipped bank, a user clip).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from studio.data.code_bank import CodeBank, sample_frames
from studio.errors import StudioError
from studio.nn.checkpoints import load_card
from studio.papers.jean.data import features_key, load_data
from studio.papers.jean.data import split as split_data
from studio.papers.jean.model import expression_features, landmark_features, load
from studio.papers.jean.tracked import tracked_encoder_for
from studio.paths import ASSETS, CACHE, CHECKPOINTS, cache_key, default_corpus, shown
from studio.speech.features import frame_windows, log_mel
from studio.synth.emotions import EMOTIONS


def codes_of(model, data) -> dict[str, np.ndarray]:
    """Every per-frame code of a JeanData: eye-nose, mouth, audio, lip, expression."""
    e_f, e_m = model.landmark_codes(data.landmarks)
    lip, expr = expression_codes_of(model, data)
    return {
        "eye_nose": e_f,
        "mouth": e_m,
        "audio": model.audio_codes(data.mel.astype(np.float32)),
        "lip": lip,
        "expression": expr,
    }


def expression_codes_of(model, data) -> tuple[np.ndarray, np.ndarray]:
    feats = data.features
    lips, exprs = [], []
    for c in data.clips:
        lip, expr = model.expression_codes(feats[c["start"] : c["start"] + c["n"]])
        lips.append(lip)
        exprs.append(expr)
    return np.concatenate(lips), np.concatenate(exprs)


SHIPPED_BANK = ASSETS / "jean_bank.npz"
CACHE_DIR = CACHE / "jean"  # banks beside the feature cache
# the expression transformer's two codes, the audio encoder's, and the landmark autoencoder's
# two (eye-nose e_f, mouth e_m: the audio code's retrieval target)
CODE_NAMES = ("expression", "lip", "audio", "mouth", "eye_nose")
_MEMO: dict[tuple, CodeBank] = {}  # banks already read in this process


def shipped_bank(max_points: int = 5000, path: Path | None = None) -> CodeBank | None:
    """The bank shipped in assets/, if it was written for the current JEAN checkpoint."""
    path = Path(path or SHIPPED_BANK)
    if not path.exists():
        return None
    sha = load_card("jean").get("sha256", "-")
    key = ("shipped", str(path), path.stat().st_mtime, max_points, sha)
    if key in _MEMO:  # read once per process, not on every slider move
        return _MEMO[key]
    with np.load(path, allow_pickle=False) as z:
        made_for = str(z["checkpoint_sha256"]) if "checkpoint_sha256" in z.files else ""
        has_every_code = all(f"code_{k}" in z.files for k in CODE_NAMES)
    if made_for != sha or not has_every_code:  # written for another checkpoint or code set
        return None
    bank = CodeBank.load(path)
    bank.corpus = ""
    if len(bank) > max_points:
        bank = bank.take(np.linspace(0, len(bank) - 1, max_points).round().astype(int))
    _MEMO[key] = bank
    return bank


def ship_bank(corpus: str | Path | None = None, out: Path = SHIPPED_BANK) -> Path:
    """Write the held-out bank (5,000 frames, float16 codes, GT blendshapes) for the shipped
    checkpoint, so the JEAN tabs work without a corpus."""
    bank = corpus_bank(corpus or default_corpus(), max_points=5000, cache=False, progress=True)
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


def corpus_bank(
    corpus: str | Path | None = None,
    model=None,
    max_points: int = 5000,
    split: str = "test",
    cache: bool = True,
    progress: bool = False,
) -> CodeBank:
    """Codes of a corpus's held-out identities (split "test") or training identities.

    Without an explicit `corpus`, the default corpus is used only when its held-out people
    speak in every emotion the tabs offer; otherwise (a tiny corpus, or none) the shipped bank.
    `bank_source(bank)` says which one a bank came from."""
    asked = corpus is not None
    corpus = Path(corpus or default_corpus())
    if not (corpus / "manifest.json").exists() or (not asked and corpus_lacks(corpus)):
        if model is None and corpus.resolve() == default_corpus().resolve():
            bank = shipped_bank(max_points)
            if bank is not None:
                return bank
        if (corpus / "manifest.json").exists():
            raise StudioError(f"The corpus at '{shown(corpus)}' {corpus_lacks(corpus)}")
        raise StudioError(
            f"No SynthTalk corpus at '{corpus}'. Build one with: "
            f"python -m studio.synth make --out {shown(corpus)} --preset default"
        )
    fast = (str(corpus), max_points, split)
    if model is None and cache:
        weights = CHECKPOINTS / "jean.safetensors"
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
    key = cache_key(
        features=features_key(corpus), checkpoint=sha, points=max_points, split=split,
        codes=",".join(CODE_NAMES),
    )  # fmt: skip
    path = CACHE_DIR / f"bank_{key}.npz"
    if cache and path.exists():
        _MEMO[fast] = CodeBank.load(path)
        return _MEMO[fast]
    data = split_data(load_data(corpus, progress=progress))[split]
    keep = sample_frames([c["n"] for c in data.clips], max_points)
    rows = np.concatenate([c["start"] + k for c, k in zip(data.clips, keep, strict=True)])
    if len(rows) > max_points:  # per-clip rounding can overshoot a little
        rows = rows[np.linspace(0, len(rows) - 1, max_points).round().astype(int)]

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


@functools.lru_cache(maxsize=8)
def _lacks(manifest: str, mtime: float) -> str:
    clips = json.loads(Path(manifest).read_text())["clips"]
    held_out = [c for c in clips if c["identity_split"] != "train"]
    if not held_out:
        return "has no held-out identities"
    missing = sorted(set(EMOTIONS) - {c["emotion"] for c in held_out})
    return f"lacks held-out clips of {', '.join(missing)}" if missing else ""


def corpus_lacks(corpus: Path) -> str:
    """What a corpus lacks that the explorer tabs need (held-out people in every emotion), in
    words; "" when it has it all."""
    manifest = Path(corpus) / "manifest.json"
    return _lacks(str(manifest), manifest.stat().st_mtime)


def bank_source(bank: CodeBank) -> str:
    """Where a bank's codes come from, in words (the tabs say it under their maps)."""
    if bank.corpus:
        return f"the corpus at `{shown(Path(bank.corpus))}`"
    return f"the shipped bank `{shown(SHIPPED_BANK)}` (held-out SynthTalk people)"


def face_source_codes(model, track, audio=None) -> dict[str, np.ndarray]:
    """Codes of a tracked clip (a `FaceTrack` from MediaPipe): frames without a face or
    without blendshapes are dropped. Returns every code `codes_of` gives a corpus (expression,
    lip, eye-nose, mouth; audio when `audio` is given, else NaN) + "frame" (the kept frame
    indices)."""
    ok = np.asarray(track.found, bool) & np.isfinite(track.blendshapes).all(1)
    if ok.sum() == 0:
        raise StudioError(
            "No tracked face with blendshapes in this source — use a video with one visible "
            "face (MediaPipe tracking)"
        )
    idx = np.flatnonzero(ok)
    lm = landmark_features(track.landmarks[idx])
    feats = expression_features(track.blendshapes[idx], lm)
    # the tracker's read, through the encoders distilled for it when they ship (docs/JEAN.md)
    encoder = tracked_encoder_for(model) or model
    lip, expr = encoder.expression_codes(feats)
    eye_nose, mouth = encoder.landmark_codes(lm)
    out = {"expression": expr, "lip": lip, "eye_nose": eye_nose, "mouth": mouth, "frame": idx}
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
