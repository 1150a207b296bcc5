"""Is the emotion of an IRFD set image in what it was rendered from? (docs/IRFD.md, "Reading
the swaps without a tracker": the label-only ceiling of the emotion bars.)

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_emotion_label_ceiling.py`
(≈ 5 s; needs no image set). Draws factors exactly as the set does (`draw_factors`), turns
them into the 52 rig values the renderer draws (`face_values`: the emotion's expression, the
viseme's lips, the jaw), fits a linear classifier on 24,000 draws and scores 8,000 fresh ones.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression

from studio.papers.irfd.imageset import ImageSetConfig, draw_factors, face_values
from studio.synth.emotions import EMOTIONS


def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    factors = [draw_factors(rng, ImageSetConfig()) for _ in range(n)]
    values = np.stack([face_values(f) for f in factors])
    emotion = np.array([EMOTIONS.index(f["emotion"]) for f in factors])
    intensity = np.array([f["intensity"] for f in factors])
    return values, emotion, intensity


def main() -> None:
    x_fit, y_fit, _ = draw(24_000, 1)
    x, y, intensity = draw(8_000, 2)
    right = LogisticRegression(C=10, max_iter=3000).fit(x_fit, y_fit).predict(x) == y
    for name, keep in (("intensity 2-3", intensity >= 2), ("intensity 3", intensity == 3),
                       ("every image", intensity >= 0)):  # fmt: skip
        print(f"emotion from the rig values, {name}: {right[keep].mean():.3f} ({keep.sum()} draws)")


if __name__ == "__main__":
    main()
