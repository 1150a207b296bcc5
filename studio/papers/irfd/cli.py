"""`python -m studio.irfd`: build IRFD's image set, ship a training run, draw code swaps.

python -m studio.irfd make --out data/irfd-set            # 1,100 people × 24 images, 128²
python -m studio.irfd make --preset tiny --out /tmp/irfd  # 8 people × 4 images
python -m studio.irfd make --preset more-people --out data/irfd-more-people  # +2,000 people
python -m studio.irfd make-clips --out data/speak-clips   # SPEAK's talking clips, 320 people
python -m studio.irfd ship runs/irfd --metrics docs/benchmarks/irfd.json  # → checkpoints/irfd.*
python -m studio.irfd ship-speak runs/speak --metrics docs/benchmarks/speak.json  # → speak.*
python -m studio.irfd swap person:1000 person:1001 photo.jpg --out grid.png  # SPEAK Fig. 5
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from studio.errors import StudioError
from studio.nn.checkpoints import half_precision, save_checkpoint
from studio.nn.loop import read_log
from studio.papers.irfd.bench import BARS
from studio.papers.irfd.card import PAPER, deviations
from studio.papers.irfd.codes import encoder_fingerprint, load_irfd, load_run
from studio.papers.irfd.imageset import (
    MANIFEST,
    PRESETS,
    add_training_people,
    build_imageset,
    load_imageset,
)
from studio.papers.irfd.losses import TERMS
from studio.papers.irfd.regions import set_landmarks
from studio.papers.irfd.sources import crop_source, held_out_person
from studio.papers.irfd.speak.cli import ship as ship_speak
from studio.papers.irfd.speak.clipset import PRESETS as CLIP_PRESETS
from studio.papers.irfd.speak.clipset import build_clipset
from studio.papers.irfd.swaps import Source, grid
from studio.papers.irfd.train import STARTED_FROM_CARD, IrfdOptions, train_irfd
from studio.provenance import commit
from studio.sources import load_face_source

DEFAULT_SET = "data/irfd-set"
DEFAULT_CLIPS = "data/speak-clips"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m studio.irfd", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="render IRFD's image set (resumes a stopped build)")
    make.add_argument("--out", default=DEFAULT_SET)
    make.add_argument("--preset", choices=sorted(PRESETS), default="default")
    make.add_argument("--workers", type=int, default=0, help="processes (default: up to 2)")
    clips = sub.add_parser("make-clips", help="render SPEAK stage 2's talking clips (resumes)")
    clips.add_argument("--out", default=DEFAULT_CLIPS)
    clips.add_argument("--preset", choices=sorted(CLIP_PRESETS), default="default")
    clips.add_argument("--workers", type=int, default=0, help="processes (default: up to 2)")
    ship = sub.add_parser("ship", help="write checkpoints/irfd.* from a training run")
    ship.add_argument("run", help="the run folder of `python -m studio.train irfd --out RUN`")
    ship.add_argument("--imageset", default=DEFAULT_SET)
    ship.add_argument("--metrics", help="a `python -m studio.bench irfd --json` record")
    ship.add_argument("--checkpoints", help="folder (default: checkpoints/)")
    ship_speak = sub.add_parser("ship-speak", help="write checkpoints/speak.* from a run")
    ship_speak.add_argument("run", help="the run folder of `python -m studio.train speak`")
    ship_speak.add_argument("--clips", default=DEFAULT_CLIPS)
    ship_speak.add_argument("--metrics", help="a `python -m studio.bench speak --json` record")
    ship_speak.add_argument("--checkpoints", help="folder (default: checkpoints/)")
    swap = sub.add_parser("swap", help="SPEAK Fig. 5: every identity × every pose/emotion")
    swap.add_argument(
        "sources", nargs="+",
        help="person:ID (a held-out person, 1000–1099; person:ID:K for their image K) or an "
        "image / video file (its first frame)",
    )  # fmt: skip
    swap.add_argument("--out", default="swap_grid.png")
    return p


def _source(spec: str) -> Source:
    """A CLI source: person:ID[:K] or a file."""
    if spec.startswith("person:"):
        parts = spec.split(":")
        try:
            person = held_out_person(int(parts[1]))
            k = int(parts[2]) if len(parts) > 2 else 0
        except ValueError:
            raise StudioError(f"Bad source {spec!r}: write person:ID or person:ID:K") from None
        if not 0 <= k < len(person.images):
            raise StudioError(f"{spec}: image K must be 0…{len(person.images) - 1}")
        return Source(person.images[k], person.label(k)[:20])
    face = load_face_source(spec, role="IRFD source", max_seconds=1.0)
    return Source(crop_source(face).images[0], Path(spec).name[:14], in_domain=False)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "make":
            folder = build_imageset(
                PRESETS[args.preset],
                args.out,
                args.workers,
                lambda done, total: print(f"chunk {done}/{total}", file=sys.stderr, flush=True),
            )
            print(json.dumps(json.loads((folder / MANIFEST).read_text()), indent=1)[:2000])
        elif args.command == "make-clips":
            folder = build_clipset(
                CLIP_PRESETS[args.preset],
                args.out,
                args.workers,
                lambda done, total: print(f"clip {done}/{total}", file=sys.stderr, flush=True),
            )
            print(folder)
        elif args.command == "ship":
            metrics = card_metrics(args.metrics) if args.metrics else {}
            command = "python -m studio.irfd " + shlex.join(argv or sys.argv[1:])
            print(ship(args.run, args.imageset, metrics, args.checkpoints, command))
        elif args.command == "ship-speak":
            metrics = {}
            if args.metrics:
                record = json.loads(Path(args.metrics).read_text())
                metrics = {**record["metrics"], "measured_by": record.get("command", "")}
            command = "python -m studio.irfd " + shlex.join(argv or sys.argv[1:])
            print(ship_speak(args.run, args.clips, metrics, args.checkpoints, command))
        else:
            sources = [_source(s) for s in args.sources]
            image = grid(load_irfd(), sources, sources)
            cv2.imwrite(args.out, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            print(args.out)
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("irfd only")
    group.add_argument("--imageset", default=DEFAULT_SET, help="built when absent")
    group.add_argument(
        "--more-people", default="", metavar="FOLDER",
        help="train on this set's people too (`make --preset more-people`; built when absent); "
        "the held-out people stay --imageset's",
    )  # fmt: skip
    group.add_argument(
        "--literal-triplet", action="store_true", help="the paper's Eq. 1 as printed"
    )
    group.add_argument(
        "--frozen-reencoding", action="store_true", help="encoders do not learn from the fakes"
    )
    group.add_argument(
        "--swap-weight", type=float, default=IrfdOptions.swap_weight,
        help="weight of the terms read off swapped fakes (the paper: 1)",
    )  # fmt: skip
    group.add_argument(
        "--swap-ramp", type=int, default=IrfdOptions.swap_ramp,
        help="steps over which the swap terms' weight rises from 0 (0: at once)",
    )  # fmt: skip
    group.add_argument(
        "--drop", action="append", choices=TERMS, default=[],
        help="leave a loss term out (repeatable): the paper's Table 3 ablations",
    )  # fmt: skip
    group.add_argument(
        "--split-encoders", action="store_true",
        help="deviation: E_i (real-image triplet) and E_e (cross-entropy) learn only their own "
        "losses; G_d and E_p learn from reconstruction and the swaps",
    )  # fmt: skip
    group.add_argument(
        "--encoders-only", action="store_true",
        help="train E_i and E_e on their own losses only (the warm-up for --split-encoders)",
    )  # fmt: skip
    group.add_argument(
        "--init-from", default="",
        help="start from a run's weights (its folder) or a shipped checkpoint "
        "(checkpoints/irfd.safetensors)",
    )  # fmt: skip
    group.add_argument(
        "--pose-labels", action="store_true",
        help="deviation: a linear head on the pose code regresses yaw, pitch, roll",
    )  # fmt: skip
    group.add_argument(
        "--generator-only", action="store_true",
        help="G_d alone learns, from self-reconstruction of real images; encoders frozen",
    )  # fmt: skip
    group.add_argument(
        "--emotion-only", action="store_true",
        help="E_e and its classifier alone learn, from the emotion cross-entropy; the rest frozen",
    )  # fmt: skip
    group.add_argument(
        "--jaw-weight", type=float, default=0.0,
        help="deviation (with --emotion-only): a linear head on the emotion code regresses the "
        "jaw opening, weighed this much",
    )  # fmt: skip
    group.add_argument(
        "--face-weight", type=float, default=0.0,
        help="deviation: self-reconstruction's face pixels weigh 1 + this",
    )  # fmt: skip
    group.add_argument(
        "--feature-weight", type=float, default=0.0,
        help="deviation: and its eyes' and lips' pixels this much more again",
    )  # fmt: skip


def train_command(args, argv: list[str]) -> dict:
    """Build the set if needed, train, and ship the encoders + G_d with a model card."""
    if getattr(args, "jaw_weight", 0.0) and not getattr(args, "emotion_only", False):
        raise StudioError("--jaw-weight trains the jaw head of an --emotion-only stage: add "
                          "--emotion-only")  # fmt: skip
    folder = Path(getattr(args, "imageset", DEFAULT_SET))
    if not (folder / MANIFEST).exists():
        build_imageset(PRESETS["tiny" if args.quick else "default"], folder)
    data = load_imageset(folder)
    own = len(data["identity"])
    more = Path(getattr(args, "more_people", "") or "")
    if more.name:
        if not (more / MANIFEST).exists():
            build_imageset(PRESETS["more-people"], more)
        data = add_training_people(data, load_imageset(more))
    options = IrfdOptions(
        steps=args.steps or (20 if args.quick else IrfdOptions.steps),
        lr=args.lr or IrfdOptions.lr,
        seed=args.seed,
        literal_triplet=getattr(args, "literal_triplet", False),
        frozen_reencoding=getattr(args, "frozen_reencoding", False),
        swap_weight=getattr(args, "swap_weight", IrfdOptions.swap_weight),
        swap_ramp=getattr(args, "swap_ramp", IrfdOptions.swap_ramp),
        drop=tuple(getattr(args, "drop", ())),
        split_encoders=getattr(args, "split_encoders", False),
        pose_labels=getattr(args, "pose_labels", False),
        encoders_only=getattr(args, "encoders_only", False),
        init_from=getattr(args, "init_from", ""),
        face_weight=getattr(args, "face_weight", 0.0),
        feature_weight=getattr(args, "feature_weight", 0.0),
        generator_only=getattr(args, "generator_only", False),
        emotion_only=getattr(args, "emotion_only", False),
        jaw_weight=getattr(args, "jaw_weight", 0.0),
        more_people=str(more) if more.name else "",
    )
    out = args.out or "runs/irfd"
    landmarks = None
    if options.weighted():  # each set's own (cached) landmarks, in the merged order
        parts = [(folder, slice(0, own))] + ([(more, slice(own, None))] if more.name else [])
        landmarks = np.concatenate([
            set_landmarks(f, {k: v[rows] for k, v in data.items()}) for f, rows in parts
        ])  # fmt: skip
    train_irfd(data, options, out, resume=args.resume, landmarks=landmarks)
    if args.no_ship:
        return {"run": out}
    command = "python -m studio.train " + shlex.join(argv)
    return {"checkpoint": str(ship(out, folder, {}, args.checkpoints, command))}


def card_metrics(record: str) -> dict:
    """The bars' metrics and their companions from a bench record, for the model card."""
    data = json.loads(Path(record).read_text())
    m = data["metrics"]
    keep = [b.metric for b in BARS] + [
        "emotion_probe_accuracy", "identity_eer_from_identity", "roll_r2_from_pose",
        "dci_completeness", "dci_informativeness", "dci_importance_share", "mig",
        "sap_studio", "sap_disentanglement_lib", "self_reconstruction_ssim",
        "swap_identity_nearest_b", "swap_identity_nearest_c", "judge_emotion_ceiling_int3",
        "judge_identity_ceiling", "probe_matrix", "probe_chance",
    ]  # fmt: skip
    out = {k: m[k] for k in keep if k in m}
    out["measured_by"] = data.get("command", "python -m studio.bench irfd")
    return out


def _option_flags(options: dict) -> list[str]:
    """The `studio.train irfd` flags that reproduce a run's saved options."""
    flags = ["--steps", str(options["steps"]), "--lr", str(options["lr"]),
             "--swap-weight", str(options["swap_weight"])]  # fmt: skip
    if options.get("swap_ramp", IrfdOptions.swap_ramp) != IrfdOptions.swap_ramp:
        flags += ["--swap-ramp", str(options["swap_ramp"])]
    for term in options.get("drop", ()):
        flags += ["--drop", term]
    switches = ("literal_triplet", "frozen_reencoding", "split_encoders", "pose_labels",
                "encoders_only", "generator_only", "emotion_only")  # fmt: skip
    flags += [f"--{k.replace('_', '-')}" for k in switches if options.get(k)]
    for k in ("face_weight", "feature_weight", "jaw_weight"):
        if options.get(k):
            flags += [f"--{k.replace('_', '-')}", f"{options[k]:g}"]
    if options.get("init_from"):
        flags += ["--init-from", options["init_from"]]
    if options.get("more_people"):
        flags += ["--more-people", options["more_people"]]
    return flags


def _training_record(run: Path, options: dict, command: str) -> dict:
    """How a run was trained: its options, the command that redoes it, its curve, where."""
    log = read_log(run / "log.jsonl")
    trained_by = shlex.join(["python", "-m", "studio.train", "irfd", "--out", str(run), "--no-ship",
                             *_option_flags(options)])  # fmt: skip
    return {
        "options": options,
        "trained_by": trained_by,
        "steps": log[-1]["step"] if log else 0,
        "minutes": round(log[-1]["seconds"] / 60, 1) if log else 0.0,
        "curve": [
            {
                "step": r["step"],
                "minutes": round(r["seconds"] / 60, 2),
                "psnr": round(r["val/psnr"], 2),
                "emotion_acc": round(r["val/emotion_acc"], 3),
            }
            for r in log
            if "val/psnr" in r
        ],
        "machine": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "commit": commit(),
        "command": command,
    }


def _started_from(run: Path, source: Path) -> dict:
    """The record of what a run started from: a shipped checkpoint (its card's training record,
    which names what *it* started from, and sha256), or a run folder (its training record and,
    the same way, what that run started from — so a chain of runs keeps its whole recipe)."""
    card = run / STARTED_FROM_CARD
    if card.exists():
        record = json.loads(card.read_text())
        return {"checkpoint": str(source), "sha256": record["sha256"], **record["training"]}
    options = json.loads((source / "irfd_options.json").read_text())
    record = _training_record(source, options, "")
    if options.get("init_from"):
        record["started_from"] = _started_from(source, Path(options["init_from"]))
    return record


def _earlier_options(training: dict) -> list[dict]:
    """The options of every run a training record grew from, newest first."""
    out, record = [], training.get("started_from")
    while record:
        if record.get("options"):
            out.append(record["options"])
        record = record.get("started_from")
    return out


def ship(run: str | Path, imageset: str | Path, metrics: dict, checkpoints=None,
         command: str = "") -> Path:  # fmt: skip
    """checkpoints/irfd.safetensors (float16) + its card, from a run's latest weights."""
    run, folder = Path(run), Path(imageset)
    if not (run / "model.safetensors").exists():
        raise StudioError(f"No trained weights in {run} — train with `python -m studio.train irfd`")
    model = load_run(run)
    state = half_precision(model.state_dict())
    manifest = folder / MANIFEST
    options = json.loads((run / "irfd_options.json").read_text())
    training = _training_record(run, options, command)
    if options.get("init_from"):  # what it started from is part of the recipe
        training["started_from"] = _started_from(run, Path(options["init_from"]))
    card = {
        "name": "irfd",
        "paper": PAPER,
        "version": 1,
        "config": model.config.to_dict(),
        "data": json.loads(manifest.read_text())
        if manifest.exists()
        else {"imageset": str(folder)},
        # what the codes depend on: banks and SPEAK stay valid across a new G_d
        "encoders_sha256": encoder_fingerprint(state),
        "training": training,
        "metrics": metrics,
        "deviations": deviations(options, _earlier_options(training)),
    }
    return save_checkpoint("irfd", state, card, checkpoints)
