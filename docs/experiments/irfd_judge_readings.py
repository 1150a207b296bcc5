"""What the set judge reads in G_d's reconstructions of the held-out people, class by class —
for the shipped IRFD, or a training run given as an argument. (docs/IRFD.md, "Reading the swaps
without a tracker".)

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_judge_readings.py
[runs/RUN]` (≈ 1 min; needs data/irfd-set and checkpoints/irfd_judge).
"""

import sys

import numpy as np

from studio.papers.irfd.codes import encode, generate, load_irfd, load_run
from studio.papers.irfd.imageset import load_imageset
from studio.papers.irfd.judge import load_judge
from studio.synth.emotions import EMOTIONS


def counts(labels: np.ndarray) -> dict[str, int]:
    classes, n = np.unique(labels, return_counts=True)
    return {EMOTIONS[k]: int(c) for k, c in zip(classes, n, strict=True)}


def main() -> None:
    model = load_run(sys.argv[1]) if len(sys.argv) > 1 else load_irfd()
    data = load_imageset("data/irfd-set")
    images = data["images"][data["held_out"]]
    codes = encode(model, images)
    judge = load_judge()
    print("real images:     ", counts(judge.read(images).emotion))
    drawn = generate(model, codes.identity, codes.emotion, codes.pose)
    print("reconstructions: ", counts(judge.read(drawn).emotion))


if __name__ == "__main__":
    main()
