"""Can the person be taken out of JEAN's expression code? (issue 16 §2; docs/JEAN.md, "Identity
in the codes").

Run from the repository root:
`PYTHONPATH=. python docs/experiments/jean_identity_adversary.py [WEIGHT ...] [--blendshapes-only]
[--lip-consistency=W] [--lip-emotion-adversary=W]`
(≈ 7 min per weight on 2 cores; the default corpus, the shipped encoders). For each weight of
`--identity-adversary` (its confusion loss; 0 = the shipped options alone) the expression
transformer is trained again for 1,200 steps on the shipped landmark AE and audio encoder,
with the shipped options, then scored on the held-out identities as the t-SNE tab scores them
(2,000 frames, 5-NN with folds by clip) and with the emotion bars of `studio.bench jean`
(silhouette, Spearman, 5-NN emotion against the training identities).
Results: docs/benchmarks/jean_identity_adversary.json.
"""

import dataclasses
import json
import sys
import time

import numpy as np

from studio.data.code_bank import CodeBank, sample_frames
from studio.explore.scores import label_scores
from studio.papers.jean.codes import codes_of
from studio.papers.jean.data import load_data, split
from studio.papers.jean.metrics import code_scores
from studio.papers.jean.train import load_trained, train_jean
from studio.paths import ROOT, default_corpus

SHIPPED_OPTIONS = dict(expr_other_time=True, lip_consistency=0.5, expr_contrast=0.5,
                       expr_consistency=0.5)  # fmt: skip
STEPS = 1200
OUT = ROOT / "docs/benchmarks/jean_identity_adversary.json"


def tab_scores(model, test) -> dict:
    """The t-SNE tab's table for the expression and lip codes (2,000 held-out frames)."""
    keep = sample_frames([c["n"] for c in test.clips], 2000)
    rows = np.concatenate([c["start"] + k for c, k in zip(test.clips, keep, strict=True)])
    codes = codes_of(model, test)
    labels = {
        "emotion": test.column("emotion")[rows].astype(str),
        "identity": test.column("identity_id")[rows].astype(str),
        "sentence": test.column("sentence_id")[rows].astype(str),
        "clip_id": test.column("clip_id")[rows].astype(str),
        "frame": test.frame[rows],
    }
    bank = CodeBank({k: codes[k][rows] for k in ("expression", "lip")}, labels, "", None)
    return {code: label_scores(bank, code) for code in ("expression", "lip")}


def without_landmarks(data):
    """Every frame's landmark features replaced by their mean: the transformer reads (and
    rebuilds) the blendshapes alone — GT blendshapes tell the person apart at 5-NN 0.085,
    below chance (docs/JEAN.md), so whatever identity remains came from the face's shape."""
    flat = np.broadcast_to(data.landmarks.mean(0), data.landmarks.shape).astype(np.float32)
    return dataclasses.replace(data, landmarks=flat)


def main(
    weights: list[float],
    blendshapes_only: bool = False,
    lip_consistency: float = 0.5,
    lip_emotion_adversary: float = 0.0,
) -> None:
    data = load_data(default_corpus(), progress=False)
    if blendshapes_only:
        data = without_landmarks(data)
    parts = split(data)
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for weight in weights:
        key = f"confusion-{weight:g}" if weight else "none"
        key += "-blendshapes-only" if blendshapes_only else ""
        key += f"-lip-consistency-{lip_consistency:g}" if lip_consistency != 0.5 else ""
        key += f"-lip-emotion-adversary-{lip_emotion_adversary:g}" if lip_emotion_adversary else ""
        options = dict(SHIPPED_OPTIONS, lip_consistency=lip_consistency,
                       lip_emotion_adversary=lip_emotion_adversary)  # fmt: skip
        t0 = time.time()
        reuse = load_trained(ROOT / "checkpoints")
        model, _ = train_jean(default_corpus(), ROOT / f"runs/jean-idadv-{key}",
                              {"expr": STEPS}, data=data, reuse=reuse, progress=False,
                              identity_adversary=weight, **options)  # fmt: skip
        train_minutes = (time.time() - t0) / 60
        tr, te = parts["train"], parts["test"]
        ctr, cte = codes_of(model, tr), codes_of(model, te)
        bars = code_scores(ctr["expression"], ctr["lip"], tr, cte["expression"], cte["lip"], te)
        results[key] = {
            "identity_adversary": weight,
            "method": "confusion loss" if weight else "shipped options only",
            "inputs": "blendshapes only" if blendshapes_only else "blendshapes + landmarks",
            "expr_steps": STEPS,
            "train_minutes": round(train_minutes, 1),
            "tab": tab_scores(model, te),
            "bars": {k: v for k, v in bars.items() if isinstance(v, float)},
        }
        OUT.write_text(json.dumps(results, indent=1))
        r = results[key]
        print(f"weight {weight:g}: expression → identity 5-NN "
              f"{r['tab']['expression']['identity']['knn_accuracy']:.3f}, → emotion "
              f"{r['tab']['expression']['emotion']['knn_accuracy']:.3f}; bars {r['bars']}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    numbers = [float(a) for a in sys.argv[1:] if not a.startswith("--")]

    def flag(name: str, default: float) -> float:
        given = [float(f.split("=")[1]) for f in flags if f.startswith(f"--{name}=")]
        return given[0] if given else default

    main(numbers or [0.0, 1.0, 3.0], "--blendshapes-only" in flags, flag("lip-consistency", 0.5),
         flag("lip-emotion-adversary", 0.0))  # fmt: skip
