"""Where does the tree DCI of the shipped IRFD codes lose its points? (docs/IRFD.md, "DCI:
where the shipped codes lose".)

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_dci_breakdown.py`
(≈ 6 min of CPU a code set; `--variants as_is,jaw` picks some; `--run runs/X` reads that run's
codes instead of the shipped checkpoint's).

The bench's DCI bar (`bench.tree_dci`) scores each of the 176 code dimensions by how much of its
tree importance falls on one of the seven factors, weighted by the dimension's share of all
importance. So a dimension loses in two ways: its code holds a factor that belongs elsewhere
(pose in the emotion code), or a factor no code holds well spreads its importance — which the
trees still sum to one per factor — over dimensions that carry other factors. This script
prints, for the codes as they are (`as_is`) and for label-made counterfactuals of them, the
DCI, each code block's importance by factor, and each block's share of what DCI loses
(Σ_d ρ_d · H(P_d) over the block's dimensions). The counterfactuals use the held-out images' own
labels, so they are upper bounds on what training could give, not models:

- `jaw`: the emotion code also holds the jaw opening (its z-score along a random direction of
  the code, scaled to the code's spread), as the IRFD-layout oracle of `irfd_dci_ceiling.py`;
- `no_pose`: the emotion code's linear fit on (yaw, pitch, roll) subtracted from it;
- `jaw_no_pose`: both.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from studio.eval.disentanglement import _entropy, dci
from studio.papers.irfd.bench import DISCRETE, FACTORS, _factor_matrix, split
from studio.papers.irfd.codes import Codes, encode, load_irfd, load_run
from studio.papers.irfd.imageset import load_imageset

SET = Path("data/irfd-set")
VARIANTS = ("as_is", "jaw", "no_pose", "jaw_no_pose")


def with_jaw(held: dict, codes: Codes, rng: np.random.Generator) -> Codes:
    """The emotion code plus the jaw's z-score along a random unit direction, scaled so that
    the added part has the spread of one of the code's dimensions."""
    e = codes.emotion.astype(np.float64)
    direction = rng.standard_normal(e.shape[1])
    direction /= np.linalg.norm(direction)
    jaw = (held["jaw"] - held["jaw"].mean()) / held["jaw"].std()
    scale = float(np.sqrt(e.shape[1]) * e.std(0).mean())
    return Codes(codes.identity, (e + scale * jaw[:, None] * direction).astype(np.float32),
                 codes.pose)  # fmt: skip


def without_pose(held: dict, codes: Codes) -> Codes:
    """The emotion code less its least-squares fit on the true (yaw, pitch, roll)."""
    angles = np.stack([held[a] for a in ("yaw", "pitch", "roll")], 1).astype(np.float64)
    design = np.c_[angles - angles.mean(0), np.ones(len(angles))]
    e = codes.emotion.astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, e, rcond=None)
    fitted = design[:, :3] @ coef[:3]
    return Codes(codes.identity, (e - fitted).astype(np.float32), codes.pose)


def breakdown(held: dict, codes: Codes) -> dict:
    """Tree DCI (the bench's bar), each block's importance by factor, each block's DCI loss."""
    result = dci(codes.concatenated(), _factor_matrix(held), split=0.8, discrete=DISCRETE,
                 model="gbt")  # fmt: skip
    r = result.importance
    rho = r.sum(1) / r.sum()
    loss = rho * _entropy(r, axis=1) / np.log(r.shape[1])  # per dimension (dci's); Σ = 1 − D
    ends = np.cumsum([0, codes.identity.shape[1], codes.emotion.shape[1], codes.pose.shape[1]])
    share = r / r.sum(0, keepdims=True).clip(1e-12)
    blocks = {}
    for i, name in enumerate(("identity", "emotion", "pose")):
        rows = slice(ends[i], ends[i + 1])
        blocks[name] = {
            "importance_share": {
                f: round(float(share[rows, k].sum()), 4) for k, f in enumerate(FACTORS)
            },
            "dci_loss": round(float(loss[rows].sum()), 4),
            "weight": round(float(rho[rows].sum()), 4),
        }
    return {
        "dci_disentanglement_trees": round(result.disentanglement, 4),
        "dci_completeness_trees": round(result.completeness, 4),
        "dci_informativeness_trees": round(result.informativeness, 4),
        "informativeness_per_factor": {
            f: round(float(v), 4)
            for f, v in zip(FACTORS, result.informativeness_per_factor, strict=True)
        },
        "blocks": blocks,
    }


def variant_codes(name: str, held: dict, codes: Codes) -> Codes:
    rng = np.random.default_rng(0)
    if name == "as_is":
        return codes
    if name == "jaw":
        return with_jaw(held, codes, rng)
    if name == "no_pose":
        return without_pose(held, codes)
    return with_jaw(held, without_pose(held, codes), rng)


def main(variants: list[str], run: Path | None, out: Path) -> None:
    data = load_imageset(SET)
    _, held = split(data, quick=False)
    model = load_run(run) if run else load_irfd()
    codes = encode(model, held["images"])
    rows = {}
    for name in variants:
        rows[name] = breakdown(held, variant_codes(name, held, codes))
        print(name, json.dumps(rows[name]), flush=True)
        out.write_text(json.dumps({"factors": FACTORS, "codes": str(run or "shipped"),
                                   "variants": rows}, indent=1))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--run", type=Path)
    parser.add_argument(
        "--json", type=Path, default=Path("docs/benchmarks/irfd_dci_breakdown.json")
    )
    args = parser.parse_args()
    chosen = args.variants.split(",")
    unknown = set(chosen) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    main(chosen, args.run, args.json)
