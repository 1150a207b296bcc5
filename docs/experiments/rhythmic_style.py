"""Why Φ's style score stops near 0.76 (docs/RHYTHMIC.md, "Where style is lost").

Run from the repository root: `PYTHONPATH=. python docs/experiments/rhythmic_style.py`
(≈ 2 min on 2 cores; needs the default corpus and the shipped checkpoint).

1. Shrinkage: the slope of each clip's mean pose on its reference clip's mean pose, for Φ's
   predictions, for the truth on the held-out people, and for the truth in Φ's training set.
2. What style the predictions would score with their mean replaced by the reference's mean
   pulled towards the training average with slope s.
3. The shipped Φ given longer references at test: k whole clips, or τ frames across clips.
"""

import numpy as np

from studio.papers.rhythmic.bench import predict_all, references, style_accuracy
from studio.papers.rhythmic.data import load_data, split
from studio.papers.rhythmic.model import load
from studio.papers.rhythmic.motion_set import load_motion_set
from studio.paths import default_corpus

YAW, PITCH = 0, 1


def slopes(data, refs, preds=None):
    ref = np.array([data.clip(int(r))["pose6"].mean(0) for r in refs])
    own = np.array(
        [(preds[i] if preds else data.clip(i)["pose6"]).mean(0) for i in range(len(refs))]
    )
    return [float(np.polyfit(ref[:, k], own[:, k], 1)[0]) for k in (YAW, PITCH)]


def main() -> None:
    model = load()
    test = split(load_data(default_corpus()))["test"]
    refs = references(test)
    preds = predict_all(model, test, refs)
    print(f"style, shipped protocol: {style_accuracy(preds, test):.3f}")
    print("slope (yaw, pitch) of a clip's mean on its reference's mean:")
    print("  Φ's predictions, held-out people  ", np.round(slopes(test, refs, preds), 3))
    print("  truth, held-out people            ", np.round(slopes(test, refs), 3))
    motion = load_motion_set()
    print("  truth, Φ's training set           ", np.round(slopes(motion, references(motion)), 3))
    centre = model.motion.pose_norm.mean.numpy()
    for s in (0.76, 0.85, 0.9, 1.0):
        moved = [
            p - p.mean(0) + centre + s * (test.clip(int(r))["pose6"].mean(0) - centre)
            for p, r in zip(preds, refs, strict=True)
        ]
        print(f"style with the reference mean at slope {s}: {style_accuracy(moved, test):.3f}")
    ident = np.array([c["identity_id"] for c in test.clips])
    for how in ("2 clips", "3 clips", "64 frames", "80 frames"):
        scores = []
        for seed in (0, 1, 2):
            rng = np.random.default_rng(seed)
            out = []
            for i in range(len(ident)):
                others = np.flatnonzero((ident == ident[i]) & (np.arange(len(ident)) != i))
                order = rng.permutation(others)
                k = int(how[0]) if "clips" in how else 3
                pose = np.concatenate([test.clip(int(r))["pose6"] for r in order[:k]])
                mel = np.concatenate([test.clip(int(r))["mel"] for r in order[:k]])
                if "frames" in how:
                    tau = int(how.split()[0])
                    pose, mel = pose[:tau], mel[:tau]
                out.append(model.predict_motion(pose, mel, test.clip(i)["mel"]))
            scores.append(style_accuracy(out, test))
        print(f"style, reference = {how} (3 draws): {np.round(scores, 3)}")


if __name__ == "__main__":
    main()
