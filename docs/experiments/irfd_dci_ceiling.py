"""What DCI can a code laid out as IRFD's reach on this bench? (docs/IRFD.md, "DCI: what a
perfect code of IRFD's layout scores".)

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_dci_ceiling.py`
(≈ 3 min of CPU; `--run runs/X` also scores that run's codes; `--predictor gbt` scores with
trees, as disentanglement_lib, ≈ 7 min of CPU a code set).

IRFD has three codes for the bench's seven factors: identity (128 dimensions), emotion (32) and
pose (16). The bench's DCI scores each *dimension* by how much of its importance falls on one
factor, so a dimension of the pose code that carries yaw and pitch together counts as half
entangled even when the pose code holds pose and nothing else. This script builds oracle codes
from the held-out images' true factors — the code a perfect IRFD would produce, with no
leakage between codes at all — and scores them with the bench's own `disentanglement()`:

- `block oracle`: each code holds exactly its factors, mixed inside the code by a random
  linear map (a trained encoder has no reason to align them with single dimensions):
  identity = a random 128-d vector per person; emotion = a random 32-d direction per emotion ×
  intensity, plus jaw along a random direction; pose = (yaw, pitch, roll) through a random
  3 × 16 map. A little per-image noise (σ = `--noise` per dimension) stands in for what a real
  encoder adds.
- `axis oracle`: the same information, one factor per dimension (a code nobody trains IRFD to
  make), with the same noise: the metric's own ceiling.
- the shipped model's codes (and `--run`'s) for comparison.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from studio.papers.irfd.bench import FACTORS, disentanglement, split
from studio.papers.irfd.codes import Codes, encode, load_irfd, load_run
from studio.papers.irfd.imageset import load_imageset

SET = Path("data/irfd-set")
DIMS = {"identity": 128, "emotion": 32, "pose": 16}


def block_oracle(held: dict, noise: float, rng: np.random.Generator) -> Codes:
    """Each code holds its own factors and nothing else, mixed within the code."""
    people = {p: rng.standard_normal(DIMS["identity"]) for p in np.unique(held["identity"])}
    identity = np.stack([people[p] for p in held["identity"]])
    directions = rng.standard_normal((int(held["emotion"].max()) + 1, DIMS["emotion"]))
    jaw_direction = rng.standard_normal(DIMS["emotion"])
    emotion = (directions[held["emotion"]] * held["intensity"][:, None]
               + held["jaw"][:, None] * jaw_direction)  # fmt: skip
    angles = np.stack([held["yaw"], held["pitch"], held["roll"]], 1).astype(np.float64)
    pose = angles / angles.std(0) @ rng.standard_normal((3, DIMS["pose"]))
    return _noisy_codes((identity, emotion, pose), noise, rng)


def axis_oracle(held: dict, noise: float, rng: np.random.Generator) -> Codes:
    """One dimension (one-hot block for a class) per factor; the rest of each code is noise."""
    n = len(held["identity"])
    people = {p: rng.standard_normal(DIMS["identity"]) for p in np.unique(held["identity"])}
    identity = np.stack([people[p] for p in held["identity"]])
    emotion = np.zeros((n, DIMS["emotion"]))
    emotion[np.arange(n), held["emotion"]] = 1.0
    emotion[:, 8], emotion[:, 9] = held["intensity"], held["jaw"]
    pose = np.zeros((n, DIMS["pose"]))
    pose[:, :3] = np.stack([held["yaw"], held["pitch"], held["roll"]], 1)
    return _noisy_codes((identity, emotion, pose), noise, rng)


def _noisy_codes(parts: tuple, noise: float, rng: np.random.Generator) -> Codes:
    """Each part standardised per dimension, plus noise of σ = `noise`."""
    standardised = [(p - p.mean(0)) / p.std(0).clip(1e-9) for p in parts]
    return Codes(
        *((p + noise * rng.standard_normal(p.shape)).astype(np.float32) for p in standardised)
    )


def score(name: str, held: dict, codes: Codes, predictor: str) -> dict:
    m = disentanglement(held, codes, predictor)
    row = {"codes": name, "dci_disentanglement": round(m["dci_disentanglement"], 3),
           "dci_completeness": round(m["dci_completeness"], 3),
           "dci_informativeness": round(m["dci_informativeness"], 3),
           "dci_importance_share": m["dci_importance_share"]}  # fmt: skip
    print(json.dumps({k: v for k, v in row.items() if k != "dci_importance_share"}), flush=True)
    return row


def main(noise: float, run: Path | None, predictor: str, oracles: bool, out: Path) -> None:
    data = load_imageset(SET)
    _, held = split(data, quick=False)
    rng = np.random.default_rng(0)
    codes = {}
    if oracles:
        codes = {f"block oracle, noise {noise}": block_oracle(held, noise, rng),
                 "block oracle, no noise": block_oracle(held, 0.0, rng),
                 f"axis oracle, noise {noise}": axis_oracle(held, noise, rng)}  # fmt: skip
    codes["shipped IRFD"] = encode(load_irfd(), held["images"])
    if run is not None:
        codes[str(run)] = encode(load_run(run), held["images"])
    rows = [score(name, held, c, predictor) for name, c in codes.items()]
    out.write_text(json.dumps({"factors": FACTORS, "predictor": predictor, "rows": rows}, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--run", type=Path)
    parser.add_argument("--predictor", choices=("linear", "gbt"), default="linear",
                        help="DCI's importance model: the bench's (linear) or trees")  # fmt: skip
    parser.add_argument("--json", type=Path, default=Path("docs/benchmarks/irfd_dci_ceiling.json"))
    parser.add_argument("--no-oracles", action="store_true", help="score the models' codes only")
    args = parser.parse_args()
    main(args.noise, args.run, args.predictor, not args.no_oracles, args.json)
