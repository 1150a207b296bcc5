"""Training the second emotion judge of the NeRF's renders, one that has seen turned heads: the
tracker's blendshapes and landmarks → emotion, by a linear read (the judge itself, which IRFD's
bench reads too: `studio/papers/jean/tracked_emotion_judge.py`).

Why: the shipped emotion classifier (a CNN on face crops) learned on the default corpus, whose
heads barely turn. On the NeRF preset's own ground-truth frames (head turns to ±40°) it reads
the intensity-3 emotions at 0.648, so the bar (≥ 0.85 on renders) could not be shown by it. A
linear read of the tracker's 52 blendshapes trained on the default corpus alone reads those frames
at 0.62 — 0.96 where |yaw| < 10°, 0.40 beyond 20° — so the judge, not the faces, was losing them.
This one learns from turned heads as well: the IRFD image set's 1,000 training people (yaw ±35°,
pitch ±20°, roll ±10°, random lips and jaw, every image labelled) and the default corpus's
tracked training frames at intensities 2–3. It never sees the preset's person (the default
corpus's held-out identity 32) nor IRFD's held-out people. A deviation (the issue names the
emotion classifier): the bench reports both judges, each with its ceiling on the GT frames.

    python -m studio.train nerf_emotion_judge   # tracks the IRFD set once (5 min here), then fits
"""

from __future__ import annotations

import json
import platform
import shlex
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from studio.data.frames import every_nth_clip
from studio.nn.checkpoints import save_checkpoint
from studio.papers.irfd.imageset import MANIFEST, imageset_chunks
from studio.papers.jean.data import load_data, split
from studio.papers.jean.tracked import TRACKER_VERSION, tracked_features
from studio.papers.jean.tracked_emotion_judge import (
    NAME,
    C,
    TrackedEmotionJudge,
    fit_judge,
    still_features,
)
from studio.paths import CACHE, cache_key, default_corpus
from studio.provenance import commit
from studio.synth.emotions import EMOTIONS

DEFAULT_CORPUS_EVERY = 3  # the default corpus's training clips JEAN's tracked encoder tracked
IRFD_SET = Path("data/irfd-set")


def irfd_set_features(folder: Path = IRFD_SET, progress: bool = True) -> dict[str, np.ndarray]:
    """Tracked features, emotion, intensity, yaw and held-out flag of every image of the IRFD
    set; tracked once (≈ 10 ms an image) and cached."""
    manifest = (folder / MANIFEST).read_text() if (folder / MANIFEST).exists() else ""
    key = cache_key(manifest=manifest, tracker=TRACKER_VERSION)
    path = CACHE / "nerf" / f"judge_irfd_{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    parts: dict[str, list] = {}
    chunks = json.loads(manifest)["chunks"] if manifest else None
    bar = tqdm(imageset_chunks(folder), "tracking the IRFD set", chunks, disable=not progress)
    for chunk in bar:
        features, found = still_features(chunk["images"])
        values = {"features": features, "found": found}
        values.update({k: chunk[k] for k in ("emotion", "intensity", "yaw", "held_out")})
        for k, v in values.items():
            parts.setdefault(k, []).append(v)
    out = {k: np.concatenate(v) for k, v in parts.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(path)
    return out


def default_corpus_features(corpus: Path) -> dict[str, dict[str, np.ndarray]]:
    """The default corpus's tracked frames (JEAN's caches): training clips (every third) and the
    held-out identities' clips, with emotion index and intensity."""
    parts = split(load_data(corpus, progress=False))
    out = {}
    for name, data, cache_name in (
        ("train", every_nth_clip(parts["train"], DEFAULT_CORPUS_EVERY), "train-every-3"),
        ("test", parts["test"], "test"),
    ):
        features, found = tracked_features(corpus, data, cache_name)
        emotion = np.array([EMOTIONS.index(e) for e in data.column("emotion")])
        out[name] = {
            "features": features,
            "found": found,
            "emotion": emotion,
            "intensity": np.asarray(data.column("intensity")),
        }
    return out


def accuracy_at(judge: TrackedEmotionJudge, part: dict, intensity: int = 3) -> float:
    keep = part["found"] & (part["intensity"] == intensity)
    return float((judge.predict(part["features"][keep]) == part["emotion"][keep]).mean())


def train_command(args, argv: list[str]) -> dict:
    """`python -m studio.train nerf_emotion_judge`: track, fit, measure on held-out people, ship."""
    started = time.time()
    if not (IRFD_SET / MANIFEST).exists():
        raise SystemExit(
            f"The judge learns turned heads from the IRFD image set: build it first with "
            f"`python -m studio.irfd make --out {IRFD_SET}` (≈ 5 min)."
        )
    irfd = irfd_set_features(IRFD_SET)
    corpus = default_corpus_features(Path(args.corpus) if args.corpus else default_corpus())
    train_irfd = irfd["found"] & ~irfd["held_out"]
    train_default = corpus["train"]["found"] & (corpus["train"]["intensity"] >= 2)
    features = np.concatenate(
        [irfd["features"][train_irfd], corpus["train"]["features"][train_default]]
    )
    labels = np.concatenate(
        [irfd["emotion"][train_irfd], corpus["train"]["emotion"][train_default]]
    )
    judge = fit_judge(features, labels)
    held_irfd = {k: v[irfd["held_out"]] for k, v in irfd.items()}
    metrics = {
        "irfd_held_out_intensity3": accuracy_at(judge, held_irfd, 3),
        "irfd_held_out_intensity2": accuracy_at(judge, held_irfd, 2),
        "default_held_out_intensity3": accuracy_at(judge, corpus["test"], 3),
        "default_held_out_intensity2": accuracy_at(judge, corpus["test"], 2),
        "irfd_tracked_share": float(irfd["found"].mean()),
        "measured_by": "python -m studio.train nerf_emotion_judge (held-out people of both sets)",
    }
    card = {
        "name": NAME,
        "paper": "the studio's judge of driven NeRF renders (a deviation: see the docstring of "
        "studio/papers/nerf/emotion_judge.py)",
        "version": 1,
        "config": {"features": "JEAN expression_features of the MediaPipe track (272)", "C": C},
        "data": {
            "irfd_set": str(IRFD_SET),
            "irfd_images": int(train_irfd.sum()),
            "default_corpus_frames": int(train_default.sum()),
        },
        "training": {
            "minutes": round((time.time() - started) / 60, 1),
            "machine": platform.processor() or platform.machine(),
            "commit": commit(),
            "command": "python -m studio.train " + shlex.join(argv),
        },
        "metrics": metrics,
        "deviations": [
            "The issue's emotion bar names the emotion classifier; this second judge reads the "
            "tracker's blendshapes and landmarks and has seen turned heads. Both judges and both "
            "ceilings (their reads of the preset's GT frames) are reported by the nerf bench."
        ],
    }
    if args.no_ship:
        return {"metrics": metrics}
    path = save_checkpoint(NAME, judge.state_dict(), card, args.checkpoints)
    return {"checkpoint": str(path), "metrics": metrics}
