"""SPEAK's lip sync read by a sync expert it was never trained against.

SPEAK's L_sync is the shipped sync expert's distance, and its LSE-C bar is read by the same
network — a generator can learn a pattern that this one judge scores as speech (docs/IRFD.md:
without L_GAN it drew a slash that scored 0.92 × the truth). This script trains nothing; it
scores the shipped talker and every run in runs/speak-ablations/ on the 20 held-out clips with
the shipped expert and with a second one trained the same way from another seed:

    python -m studio.train sync_expert --seed 1 --out runs/sync-judge/run \\
        --checkpoints runs/sync-judge
    PYTHONPATH=. python docs/experiments/speak_second_judge.py --judge runs/sync-judge \\
        --json docs/benchmarks/speak_second_judge.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from studio.evaluators.sync_expert.model import load as load_sync
from studio.evaluators.sync_expert.model import lse
from studio.papers.irfd.codes import load_irfd
from studio.papers.irfd.speak.bench import ABLATION_VARIANTS, ABLATIONS
from studio.papers.irfd.speak.clipset import load_clipset
from studio.papers.irfd.speak.drive import drive, load_speak, load_speak_run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--judge", default="runs/sync-judge", help="folder of the second expert")
    parser.add_argument("--clips", default="data/speak-clips")
    parser.add_argument("--limit", type=int, default=None, help="the first N clips only")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    started = time.time()
    judges = {"shipped": load_sync(), "second": load_sync(directory=args.judge)}
    irfd = load_irfd()
    talkers = {"full": load_speak()}
    for name, _, _ in ABLATION_VARIANTS:
        if (ABLATIONS / name / "speak_config.json").exists():
            talkers[name] = load_speak_run(ABLATIONS / name, irfd)
    clips = load_clipset(Path(args.clips), held_out=True)[: args.limit]
    scores: dict[str, dict[str, list[float]]] = {}
    for clip in clips:
        videos = {"ground_truth": clip.frames}
        for name, model in talkers.items():
            videos[name] = drive(model, clip.frames[0], clip.audio, clip.frames)
        for name, frames in videos.items():
            for judge, net in judges.items():
                s = lse(frames, clip.audio, net, landmarks=clip.landmarks)
                scores.setdefault(name, {}).setdefault(f"{judge}_lse_c", []).append(s.lse_c)
    metrics = {
        f"{name}.{k}": float(np.mean(v)) for name, row in scores.items() for k, v in row.items()
    }
    for name in scores:
        for judge in judges:
            truth = metrics[f"ground_truth.{judge}_lse_c"]
            metrics[f"{name}.{judge}_lse_c_ratio"] = metrics[f"{name}.{judge}_lse_c"] / truth
    print(f"{'talker':<16}{'shipped judge':>22}{'second judge':>22}")
    for name in scores:
        cells = [
            f"{metrics[f'{name}.{j}_lse_c']:.3f} ({metrics[f'{name}.{j}_lse_c_ratio']:.2f} ×)"
            for j in judges
        ]
        print(f"{name:<16}{cells[0]:>22}{cells[1]:>22}")
    if args.json:
        record = {
            "experiment": "speak_second_judge",
            "metrics": metrics,
            "held_out_clips": len(clips),
            "second_judge": json.loads((Path(args.judge) / "sync_expert.json").read_text())[
                "training"
            ],
            "command": "PYTHONPATH=. python docs/experiments/speak_second_judge.py "
            f"--judge {args.judge} --json {args.json}",
            "seconds": round(time.time() - started, 1),
        }
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
