"""scikit-learn's t-SNE against openTSNE on the t-SNE tab's codes (docs/JEAN.md, "t-SNE maps").

Run from the repository root: `PYTHONPATH=. python docs/experiments/tsne_backends.py`
(≈ 3 min on 2 cores; the shipped JEAN bank, 5,000 held-out frames × 64-D expression codes).

Fit: wall time, and how well the 2-D map keeps what the codes know — 5-NN emotion accuracy in
the map with folds by clip (a frame's own clip never votes) and trustworthiness (k = 10).
Placement (openTSNE's `transform`): 8 clips (one per emotion) are held out of the map and
placed into it afterwards; each placed frame's 5 nearest map points vote for its emotion.
"""

import time

import numpy as np
from sklearn.manifold import trustworthiness

from studio.eval.tsne import embed, place
from studio.explore.scores import scores
from studio.papers.jean.codes import shipped_bank


def main() -> None:
    bank = shipped_bank(5000)
    codes = bank.codes["expression"].astype(np.float32)
    emotion = bank.labels["emotion"].astype(str)
    clips = bank.labels["clip_id"].astype(str)
    sub = np.random.default_rng(0).choice(len(codes), 2000, replace=False)
    for backend in ("sklearn", "opentsne"):
        t = time.perf_counter()
        xy = embed(codes, perplexity=30, cache=False, backend=backend)
        seconds = time.perf_counter() - t
        knn = scores(xy, emotion, groups=clips)["knn_accuracy"]
        trust = trustworthiness(codes[sub], xy[sub], n_neighbors=10)
        print(
            f"{backend:9s} fit {seconds:6.1f} s   5-NN emotion in the map {knn:.3f}   "
            f"trustworthiness {trust:.3f}"
        )
    held = np.zeros(len(codes), bool)
    for e in sorted(set(emotion)):
        held |= clips == sorted(set(clips[emotion == e]))[0]
    base = embed(codes[~held], perplexity=30, cache=False, backend="opentsne")
    t = time.perf_counter()
    placed = place(codes[~held], base, codes[held])
    seconds = time.perf_counter() - t
    d = ((placed[:, None] - base[None]) ** 2).sum(-1)
    votes = emotion[~held][np.argsort(d, axis=1)[:, :5]]
    guess = np.array([max(set(v), key=list(v).count) for v in votes])
    print(
        f"placement: {held.sum()} frames of 8 held-out clips in {seconds:.2f} s; their 5 "
        f"nearest map points name their emotion for {np.mean(guess == emotion[held]):.3f}"
    )


if __name__ == "__main__":
    main()
