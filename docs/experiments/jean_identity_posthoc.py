"""Where the person sits in JEAN's expression code, and what no training can take out
(issue 16 §2; docs/JEAN.md, "Identity in the codes").

Run from the repository root: `PYTHONPATH=. python docs/experiments/jean_identity_posthoc.py`
(≈ 1 min; the shipped JEAN's codes of the held-out people, 2,000 frames as the t-SNE tab has
them). 5-NN with folds by clip, as the tab scores: the GT blendshapes alone (the expression
without the face's shape), then the shipped expression codes as they are and after three
post-hoc corrections — each person's mean removed (over all their clips, or over their neutral
clips only, what a user could give), each person's codes z-scored, and a nuisance-attribute
projection (the directions in which the training identities' means differ within one emotion
and intensity, projected out).
"""

import numpy as np

from studio.explore.scores import scores
from studio.papers.jean.codes import corpus_bank


def show(name: str, codes: np.ndarray, labels: dict) -> None:
    who = scores(codes, labels["identity"], groups=labels["clip_id"])
    emotion = scores(codes, labels["emotion"], groups=labels["clip_id"])
    print(
        f"| {name} | {who['knn_accuracy']:.3f} | {emotion['knn_accuracy']:.3f} "
        f"| {emotion['silhouette']:.3f} |"
    )


def identity_directions(train) -> np.ndarray:
    """Rows: unit directions of the training identities' spread within (emotion, intensity)."""
    codes, labels = train.codes["expression"], train.labels
    spread = []
    for emotion, intensity in set(zip(labels["emotion"], labels["intensity"], strict=True)):
        group = (labels["emotion"] == emotion) & (labels["intensity"] == intensity)
        mean = codes[group].mean(0)
        for person in np.unique(labels["identity"][group]):
            spread.append(codes[group & (labels["identity"] == person)].mean(0) - mean)
    spread = np.asarray(spread)
    return np.linalg.svd(spread - spread.mean(0), full_matrices=False)[2]


def main() -> None:
    bank = corpus_bank(max_points=2000)
    labels, codes = bank.labels, bank.codes["expression"]
    people, emotion = labels["identity"], labels["emotion"]
    print(f"{len(bank)} held-out frames; identity chance 0.138, emotion chance 0.153")
    print("| codes | identity 5-NN | emotion 5-NN | emotion silhouette |")
    print("|---|---|---|---|")
    show("GT blendshapes alone (input, no face shape)", bank.blendshapes, labels)
    show("shipped expression code", codes, labels)
    minus_mean, minus_neutral, zscored = codes.copy(), codes.copy(), codes.copy()
    for person in np.unique(people):
        mine = people == person
        minus_mean[mine] = codes[mine] - codes[mine].mean(0)
        minus_neutral[mine] = codes[mine] - codes[mine & (emotion == "neutral")].mean(0)
        zscored[mine] = (codes[mine] - codes[mine].mean(0)) / (codes[mine].std(0) + 1e-6)
    show("− the person's mean code (all their clips)", minus_mean, labels)
    show("− the person's neutral clips' mean code", minus_neutral, labels)
    show("z-scored per person", zscored, labels)
    directions = identity_directions(corpus_bank(max_points=6000, split="train"))
    for k in (4, 16, 48):
        top = directions[:k]
        show(f"training identities' top {k} directions projected out", codes - codes @ top.T @ top,
             labels)  # fmt: skip


if __name__ == "__main__":
    main()
