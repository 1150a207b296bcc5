"""`python -m studio.train speak`: train SPEAK stage 2 on the clip set and ship
checkpoints/speak.* (the talker, float16) with its model card.

python -m studio.irfd make-clips --out data/speak-clips      # 320 talking clips (≈ 7 min)
python -m studio.train speak --audio-encoder jean --steps 600 --out runs/speak   # as shipped
python -m studio.train speak --no-sync --out runs/speak-ablations/no_sync --no-ship   # Table 4
python -m studio.train speak --no-irfd --out runs/speak-ablations/no_irfd --no-ship   # Table 4
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
from pathlib import Path

import torch
from safetensors.torch import load_file

from studio.errors import StudioError
from studio.evaluators.sync_expert.model import load as load_sync
from studio.nn.checkpoints import _dir, half_precision, save_checkpoint, sha256_file
from studio.nn.loop import read_log
from studio.papers.irfd.card import PAPER
from studio.papers.irfd.codes import encoder_fingerprint, load_irfd
from studio.papers.irfd.model import NAME as IRFD_NAME
from studio.papers.irfd.speak.card import deviations
from studio.papers.irfd.speak.clipset import MANIFEST, PRESETS, build_clipset, load_clipset
from studio.papers.irfd.speak.drive import load_speak_run
from studio.papers.irfd.speak.losses import LossWeights
from studio.papers.irfd.speak.model import AUDIO_ENCODERS, NAME, SpeakConfig
from studio.papers.irfd.speak.train import SpeakOptions, train_speak
from studio.papers.jean.model import NAME as JEAN_NAME
from studio.provenance import commit

DEFAULT_CLIPS = "data/speak-clips"
TERMS = ("gan", "sync", "perceptual", "l1")


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("speak only")
    group.add_argument("--clips", default=DEFAULT_CLIPS, help="the clip set (built when absent)")
    for term in TERMS:
        group.add_argument(f"--no-{term}", action="store_true", help=f"ablation: without L_{term}")
    group.add_argument(
        "--no-irfd", action="store_true",
        help="Table 4's w/o IRFD: the talker sees only the identity frame's codes, never a "
        "pose or emotion source (IRFD's split of them is unused)",
    )  # fmt: skip
    group.add_argument(
        "--audio-encoder", choices=AUDIO_ENCODERS, default="logmel",
        help="logmel: a conv trained with the talker; jean: the shipped JEAN audio encoder, "
        "conv frozen, head fine-tuned",
    )  # fmt: skip


def config_from(args) -> SpeakConfig:
    return SpeakConfig(
        audio_encoder=getattr(args, "audio_encoder", "logmel"),
        reference="identity_frame" if getattr(args, "no_irfd", False) else "sources",
    )


def config_flags(config: dict) -> list[str]:
    """The command-line flags that rebuild a saved SpeakConfig's variant."""
    flags = []
    if config.get("reference", "sources") == "identity_frame":
        flags.append("--no-irfd")
    if config.get("audio_encoder", "logmel") != "logmel":
        flags += ["--audio-encoder", config["audio_encoder"]]
    return flags


def options_from(args) -> SpeakOptions:
    weights = LossWeights(**{t: 0.0 for t in TERMS if getattr(args, f"no_{t}", False)})
    return SpeakOptions(
        steps=args.steps or (3 if args.quick else SpeakOptions.steps),
        windows=args.batch_size or SpeakOptions.windows,
        lr=args.lr or SpeakOptions.lr,
        seed=args.seed,
        weights=weights,
    )


def train_command(args, argv: list[str]) -> dict:
    """Build the clip set if needed, train on its training people, ship the talker."""
    folder = Path(getattr(args, "clips", DEFAULT_CLIPS))
    if not (folder / MANIFEST).exists():
        build_clipset(PRESETS["tiny" if args.quick else "default"], folder)
    irfd = load_irfd()
    out = args.out or "runs/speak"
    train_speak(
        irfd, load_sync(), load_clipset(folder, held_out=False), options_from(args), out,
        config=config_from(args), resume=args.resume,
        validation=load_clipset(folder, held_out=True)[:4],
    )  # fmt: skip
    if args.no_ship:
        return {"run": out}
    command = "python -m studio.train " + shlex.join(argv)
    return {"checkpoint": str(ship(out, folder, {}, args.checkpoints, command))}


def ship(run: str | Path, clips: str | Path, metrics: dict, checkpoints=None,
         command: str = "") -> Path:  # fmt: skip
    """checkpoints/speak.* from a run: the talker in float16, and a card naming the IRFD
    checkpoint (sha256) whose encoders it was trained on."""
    run = Path(run)
    if not (run / "model.safetensors").exists():
        raise StudioError(f"No trained weights in {run} — train: `python -m studio.train speak`")
    irfd_file = _dir(checkpoints) / f"{IRFD_NAME}.safetensors"
    model = load_speak_run(run, load_irfd(str(checkpoints) if checkpoints else None))
    state = half_precision(model.talker.state_dict())
    options = json.loads((run / "speak_options.json").read_text())
    log = read_log(run / "log.jsonl")
    skipped = [f"--no-{t}" for t in TERMS if options["weights"][t] == 0]
    config = json.loads((run / "speak_config.json").read_text())
    card = {
        "name": NAME,
        "paper": PAPER.replace("IRFD", "stage 2"),
        "version": 1,
        "config": config,
        "irfd_config": model.irfd.config.to_dict(),
        "irfd_sha256": sha256_file(irfd_file),
        "irfd_encoders_sha256": encoder_fingerprint(load_file(str(irfd_file))),
        "data": json.loads((Path(clips) / MANIFEST).read_text()),
        "training": {
            "options": options,
            "trained_by": shlex.join(
                [
                    "python",
                    "-m",
                    "studio.train",
                    "speak",
                    "--out",
                    str(run),
                    "--no-ship",
                    "--steps",
                    str(options["steps"]),
                    "--lr",
                    str(options["lr"]),
                    *skipped,
                    *config_flags(config),
                ]
            ),  # fmt: skip
            "steps": log[-1]["step"] if log else 0,
            "minutes": round(log[-1]["seconds"] / 60, 1) if log else 0.0,
            "curve": [
                {"step": r["step"], "psnr": round(r["val/psnr"], 2)} for r in log if "val/psnr" in r
            ],  # fmt: skip
            "machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            "commit": commit(),
            "command": command,
        },
        "metrics": metrics,
        "deviations": deviations(config),
    }
    if config.get("audio_encoder") == "jean":  # the JEAN checkpoint its audio encoder began as
        jean_file = _dir(checkpoints) / f"{JEAN_NAME}.safetensors"
        card["audio_started_from"] = {"checkpoint": f"checkpoints/{JEAN_NAME}.safetensors",
                                      "sha256": sha256_file(jean_file)}  # fmt: skip
    return save_checkpoint(NAME, state, card, checkpoints)
