"""The head-motion learner's own training set: many SynthTalk people, each speaking a few
training sentences in random emotions, as audio + head pose only (no frames are rendered, so
hundreds of people cost minutes).

Why: the default corpus has 32 training people with ~44 clips each. Φ trained on them learns to
recognise each training clip (its MSE falls while held-out people get worse) instead of reading
the style off the reference; with hundreds of people, the reference is the only way to know how
this person moves. The people are drawn from another seed of the same world (corpus seed
`SEED`), so none of them is a default-corpus held-out person, on whom the bench measures.

Where their heads rest is spread `REST_SPREAD` × wider than the world's own (yaw sd 5° → 10°,
pitch 3° → 6°), as the issue allows ("widen the range of styles"): from a narrow world Φ learns
to pull every person's rest towards the average, since a SynthTalk person's clips vary around
their rest almost as much as people differ (docs/RHYTHMIC.md, "Where style was lost").
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from studio.data.frames import ClipFrames, cached_clip_arrays
from studio.paths import CACHE, cache_key
from studio.speech import frame_windows, log_mel
from studio.synth.emotions import emotion_conditions
from studio.synth.identity import sample_identity
from studio.synth.performance import perform
from studio.synth.sentences import TRAIN_SENTENCES

SEED = 7  # the world's seed for these people (the default corpus uses 0)
PEOPLE = 320
CLIPS_PER_PERSON = 6
REST_SPREAD = 3.0  # × the world's spread of resting yaw / pitch
VERSION = 2


def entries(
    people: int = PEOPLE, clips: int = CLIPS_PER_PERSON, rest_spread: float = REST_SPREAD
) -> list[dict]:
    """One manifest-like entry per clip: who says which sentence in which emotion."""
    conditions = emotion_conditions()
    out = []
    for person in range(people):
        rng = np.random.default_rng([SEED, person])
        for k in range(clips):
            emotion, intensity = conditions[int(rng.integers(len(conditions)))]
            out.append(
                {
                    "clip_id": f"m{person:04d}_{k}",
                    "identity_id": person,
                    "sentence": int(rng.integers(len(TRAIN_SENTENCES))),
                    "emotion": emotion,
                    "intensity": int(intensity),
                    "seed": int(rng.integers(2**31)),
                    "rest_spread": rest_spread,
                }
            )
    return out


def clip_arrays(entry: dict) -> dict[str, np.ndarray]:
    """pose6 (T, 6) and mel windows (T, 16, 80) float16 of one performance."""
    person = sample_identity(entry["identity_id"], corpus_seed=SEED)
    style = person.motion
    style = dataclasses.replace(
        style,
        yaw_bias_deg=style.yaw_bias_deg * entry["rest_spread"],
        pitch_bias_deg=style.pitch_bias_deg * entry["rest_spread"],
    )
    perf = perform(
        TRAIN_SENTENCES[entry["sentence"]],
        entry["emotion"],
        entry["intensity"],
        person.voice,
        style,
        np.random.default_rng(entry["seed"]),
    )
    return {
        "pose6": perf.pose6.astype(np.float32),
        "mel": frame_windows(log_mel(perf.audio), perf.n_frames).astype(np.float16),
    }


def load_motion_set(
    people: int = PEOPLE,
    clips: int = CLIPS_PER_PERSON,
    rest_spread: float = REST_SPREAD,
    workers: int = 2,
    progress: bool = True,
    cache_dir: str | Path | None = None,
) -> ClipFrames:
    """The set, generated once (in `workers` processes) and cached."""
    todo = entries(people, clips, rest_spread)
    key = cache_key(seed=SEED, people=people, clips=clips, rest_spread=rest_spread, version=VERSION)
    path = Path(cache_dir or CACHE / "rhythmic") / f"motion_set_{key}.npz"
    if not path.exists() and workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            made = dict(
                zip(
                    (e["clip_id"] for e in todo),
                    tqdm(
                        pool.map(clip_arrays, todo, chunksize=8),
                        total=len(todo),
                        desc="head-motion set",
                        disable=not progress,
                    ),
                    strict=True,
                )
            )
        return cached_clip_arrays(path, todo, made.__getitem__, "head-motion set", False)
    by_id = {e["clip_id"]: e for e in todo}
    return cached_clip_arrays(
        path, todo, lambda clip_id: clip_arrays(by_id[clip_id]), "head-motion set", progress
    )
