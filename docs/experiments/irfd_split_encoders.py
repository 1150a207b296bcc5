"""IRFD training recipes side by side, on the codes alone (no judges, no swaps): linear probes
and verification EERs as `python -m studio.bench irfd` computes them, on a smaller split (100
training people fit the probes, the first 50 held-out people are scored), and held-out
self-reconstruction PSNR. Each run is a `python -m studio.train irfd ... --no-ship` folder.

    PYTHONPATH=. python docs/experiments/irfd_split_encoders.py NAME=RUN [NAME=RUN ...] \
        [--json docs/benchmarks/irfd_split_encoders.json]

The runs of docs/IRFD.md, "Split encoders":
    shipped-before=runs/irfd  warm-up=runs/irfd2-encoders  split-swap-0.1=runs/irfd2
    split-swap-0=runs/irfd2-sw0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from studio.papers.irfd import bench
from studio.papers.irfd.codes import encode, generate, load_run
from studio.papers.irfd.imageset import load_imageset

KEEP = (
    "emotion_probe_accuracy_int23", "emotion_from_identity_above_chance", "yaw_r2_from_pose",
    "pitch_r2_from_pose", "yaw_r2_from_identity", "pitch_r2_from_identity", "yaw_r2_from_emotion",
    "pitch_r2_from_emotion", "identity_eer_from_identity", "identity_eer_from_emotion",
    "identity_eer_from_pose", "self_reconstruction_psnr",
)  # fmt: skip


def measure(run: Path, data: dict) -> dict:
    people = np.unique(data["identity"][~data["held_out"]])
    held_people = np.unique(data["identity"][data["held_out"]])[:50]
    train = bench._subset(data, np.random.default_rng(0).choice(people, 100, replace=False))
    held = bench._subset(data, held_people)
    model = load_run(run)
    c_train, c_held = encode(model, train["images"]), encode(model, held["images"])
    m = bench.probes(train, held, c_train, c_held)
    m.update(bench.verification_eers(held, c_held))
    drawn = generate(model, c_held.identity, c_held.emotion, c_held.pose)
    m.update(bench.reconstruction(held, drawn))
    return {k: round(float(m[k]), 4) for k in KEEP}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="NAME=RUN_DIR")
    parser.add_argument("--set", default="data/irfd-set")
    parser.add_argument("--json", help="write (or add to) this record")
    args = parser.parse_args()
    data = load_imageset(args.set)
    out = {}
    for item in args.runs:
        name, run = item.split("=", 1)
        out[name] = {"run": run, **measure(Path(run), data)}
        print(name, json.dumps(out[name]), flush=True)
    if args.json:  # runs measured earlier stay in the record
        path = Path(args.json)
        earlier = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**earlier, **out}, indent=1) + "\n")


if __name__ == "__main__":
    main()
