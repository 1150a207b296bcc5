"""`python -m studio.irfd`: build IRFD's image set (the model and its tab land next).

python -m studio.irfd make --out data/irfd-set            # 1,100 people × 24 images, 128²
python -m studio.irfd make --preset tiny --out /tmp/irfd  # 8 people × 4 images
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import torch

from studio.errors import StudioError
from studio.nn.checkpoints import save_checkpoint
from studio.papers.irfd.card import DEVIATIONS, PAPER
from studio.papers.irfd.imageset import MANIFEST, PRESETS, build_imageset, load_imageset
from studio.papers.irfd.train import IrfdOptions, train_irfd
from studio.provenance import commit

DEFAULT_SET = "data/irfd-set"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m studio.irfd", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="render IRFD's image set (resumes a stopped build)")
    make.add_argument("--out", default=DEFAULT_SET)
    make.add_argument("--preset", choices=sorted(PRESETS), default="default")
    make.add_argument("--workers", type=int, default=0, help="processes (default: up to 2)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        folder = build_imageset(
            PRESETS[args.preset],
            args.out,
            args.workers,
            lambda done, total: print(f"chunk {done}/{total}", file=sys.stderr, flush=True),
        )
        print(json.dumps(json.loads((folder / MANIFEST).read_text()), indent=1)[:2000])
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("irfd only")
    group.add_argument("--imageset", default=DEFAULT_SET, help="built when absent")
    group.add_argument(
        "--literal-triplet", action="store_true", help="the paper's Eq. 1 as printed"
    )
    group.add_argument(
        "--frozen-reencoding", action="store_true", help="encoders do not learn from the fakes"
    )


def train_command(args, argv: list[str]) -> dict:
    """Build the set if needed, train, and ship the encoders + G_d with a model card."""
    folder = Path(getattr(args, "imageset", DEFAULT_SET))
    if not (folder / MANIFEST).exists():
        build_imageset(PRESETS["tiny" if args.quick else "default"], folder)
    data = load_imageset(folder)
    options = IrfdOptions(
        steps=args.steps or (20 if args.quick else IrfdOptions.steps),
        seed=args.seed,
        literal_triplet=getattr(args, "literal_triplet", False),
        frozen_reencoding=getattr(args, "frozen_reencoding", False),
    )
    started = time.time()
    model = train_irfd(data, options, args.out or "runs/irfd", resume=args.resume)
    if args.no_ship:
        return {"run": args.out or "runs/irfd"}
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    card = {
        "name": "irfd",
        "paper": PAPER,
        "version": 1,
        "config": model.config.to_dict(),
        "data": json.loads((folder / MANIFEST).read_text()),
        "training": {
            "options": options.__dict__,
            "minutes": round((time.time() - started) / 60, 1),
            "machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            "commit": commit(),
            "command": "python -m studio.train " + shlex.join(argv),
        },
        "metrics": {},
        "deviations": DEVIATIONS,
    }
    return {"checkpoint": str(save_checkpoint("irfd", state, card, args.checkpoints))}
