"""Where does the emotion code go wrong, and is it new people or the images? (docs/IRFD.md,
"Emotion: where the last points are".)

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_emotion_confusion.py`
(≈ 1.5 min; `--run runs/X` reads a run folder instead of the shipped checkpoint).
The bench's emotion probe (`bench.emotion_probe`: fitted on the bench's 200 training people) is
read twice: on the 100 held-out people, as the bar, and on 100 *other training people* — people
E_e was trained on but the probe was not fitted to. A gap between the two is generalisation to
new people; what is wrong on both is what E_e did not learn from the images at all. The
confusion matrices (intensities 2–3, rows the true emotion) say which emotions it mixes up.
`--tracker` reads the MediaPipe tracker's 272 features of every image instead of a code (the
NeRF emotion judge's cache of the tracked set; ≈ 5 min to track when absent), through the same
probe fitted on 8,000 training images: a second reader of the same pixels.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix

from studio.papers.irfd.bench import _subset, fit_emotion_probe, split
from studio.papers.irfd.codes import encode, load_irfd, load_run
from studio.papers.irfd.imageset import load_imageset
from studio.papers.nerf.emotion_judge import irfd_set_features
from studio.synth.emotions import EMOTIONS

SET = Path("data/irfd-set")


def confusion(emotion: np.ndarray, intensity: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy over every image and at intensities 2–3, and the confusion matrix there."""
    right, strong = predicted == emotion, intensity >= 2
    matrix = confusion_matrix(emotion[strong], predicted[strong], labels=range(len(EMOTIONS)))
    out = {"accuracy": float(right.mean()), "accuracy_int23": float(right[strong].mean())}
    print(json.dumps(out))
    print(matrix)
    return {**out, "confusion_int23": matrix.tolist()}


def tracker(out: Path | None) -> None:
    tracked = irfd_set_features()
    found = tracked["found"].astype(bool)
    fit = np.random.default_rng(0).choice(np.flatnonzero(found & ~tracked["held_out"]), 8000,
                                          replace=False)  # fmt: skip
    probe = fit_emotion_probe(tracked["features"][fit], tracked["emotion"][fit])
    held = found & tracked["held_out"]
    print(f"held-out images tracked: {held.sum()} of {tracked['held_out'].sum()}")
    predicted = probe.predict(tracked["features"][held])
    record = {"model": "tracker", "emotions": list(EMOTIONS),
              "held_out_people": confusion(tracked["emotion"][held],
                                           tracked["intensity"][held], predicted)}  # fmt: skip
    if out:
        out.write_text(json.dumps(record, indent=1))


def main(run: Path | None, out: Path | None) -> None:
    data = load_imageset(SET)
    probe_train, held = split(data, quick=False)
    train_people = np.unique(data["identity"][~data["held_out"]])
    others = np.setdiff1d(train_people, np.unique(probe_train["identity"]))
    seen = _subset(data, np.random.default_rng(1).choice(others, 100, replace=False))
    model = load_run(run) if run else load_irfd()
    probe = fit_emotion_probe(encode(model, probe_train["images"]).emotion, probe_train["emotion"])
    record: dict = {"model": str(run or "shipped"), "emotions": list(EMOTIONS)}
    for name, part in (("held_out_people", held), ("training_people", seen)):
        print(name)
        predicted = probe.predict(encode(model, part["images"]).emotion)
        record[name] = confusion(part["emotion"], part["intensity"], predicted)
    if out:
        out.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, help="a run folder (default: the shipped checkpoint)")
    parser.add_argument("--tracker", action="store_true", help="the tracker's features instead")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.tracker:
        tracker(args.json)
    else:
        main(args.run, args.json)
