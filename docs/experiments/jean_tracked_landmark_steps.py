"""How many distillation steps the tracked-input landmark encoder needs: held-out R² of its
eye-nose and mouth codes, and audio → mouth retrieval on them, after N steps (N = 3,000 ships).

Run: `PYTHONPATH=. python docs/experiments/jean_tracked_landmark_steps.py` (needs the default
corpus and its tracked caches, made by `python -m studio.train jean_tracked`)."""

import json
import time

import numpy as np
import torch

from studio.data.frames import every_nth_clip
from studio.papers.jean.bench_tracked import LandmarkTruth
from studio.papers.jean.data import load_data, split
from studio.papers.jean.model import load
from studio.papers.jean.tracked import TrackedEncoder, distil_landmarks, tracked_features
from studio.paths import default_corpus

corpus = default_corpus()
jean = load()
parts = split(load_data(corpus, progress=False))
train = every_nth_clip(parts["train"], 3)
feats, found = tracked_features(corpus, train, "train-every-3")
test = parts["test"]
test_feats, ok = tracked_features(corpus, test)
truth = LandmarkTruth.of(jean, test, ok, quick=False)
rows = []
for steps in (3000, 12000, 30000):
    torch.manual_seed(0)
    enc = TrackedEncoder(jean.config)
    t0 = time.time()
    log = distil_landmarks(
        jean, enc, feats[found], train.features[found], steps, np.random.default_rng(0)
    )
    enc.eval()
    row = {"steps": steps, "train_loss": round(log[-1]["loss"], 4)}
    row |= {k: round(v, 4) for k, v in truth.scores("tracked", enc, test_feats, test).items()}
    row["seconds"] = round(time.time() - t0, 1)
    rows.append(row)
    print(json.dumps(row), flush=True)
print(f"GT mouth codes: audio → mouth top-1 {truth.gt_retrieval:.4f}")
