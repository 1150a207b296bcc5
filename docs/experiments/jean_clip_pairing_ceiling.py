"""How often can two reads of one clip pick each other out among the 416 held-out clips?
(docs/JEAN.md, "Your own face": the ceiling of the mutual-nearest-clip bar.)

Run from the repository root: `PYTHONPATH=. python docs/experiments/jean_clip_pairing_ceiling.py`
(≈ 1 min; the default corpus and the shipped JEAN). Both reads are ground truth: the mean
expression code of each clip's first half against that of its second half.
"""

import numpy as np

from studio.papers.jean.bench_tracked import mutual_nearest, per_clip
from studio.papers.jean.data import load_data, split
from studio.papers.jean.model import load
from studio.paths import default_corpus


def main() -> None:
    model = load()
    test = split(load_data(default_corpus(), progress=False))["test"]
    codes = per_clip(model.expression_codes, test.features, test.clips)
    first, second = [], []
    for c in test.clips:
        half = c["n"] // 2
        first.append(codes[c["start"] : c["start"] + half].mean(0))
        second.append(codes[c["start"] + half : c["start"] + c["n"]].mean(0))
    share = mutual_nearest(np.stack(first), np.stack(second))
    same = {}
    for i, c in enumerate(test.clips):
        same.setdefault((c["identity_id"], c["emotion"], c["intensity"]), []).append(i)
    print(f"{len(test.clips)} clips; {len(same)} (person, emotion, intensity) groups")
    print(f"GT first half ↔ GT second half, mutual nearest clip: {share:.3f}")
    print(f"chance of picking the right clip within its group: {len(same) / len(test.clips):.3f}")


if __name__ == "__main__":
    main()
