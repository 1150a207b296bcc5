"""`python -m studio.train rhythmic`: its options, and the run that trains the head-motion and
mouth learners, measures them on held-out identities and ships the checkpoint + model card."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from studio.errors import StudioError
from studio.eval.motion import audio_beats
from studio.nn.checkpoints import half_precision, measured, save_checkpoint, trained_by
from studio.papers.jean.model import load as load_jean
from studio.papers.rhythmic.bench import motion_scores, mouth_scores, predict_all, references
from studio.papers.rhythmic.card import DEVIATIONS, PAPER
from studio.papers.rhythmic.data import MOUTH_NAMES, load_data, split
from studio.papers.rhythmic.model import RhythmicConfig, config_dict
from studio.papers.rhythmic.motion_set import CLIPS_PER_PERSON, PEOPLE, SEED, load_motion_set
from studio.papers.rhythmic.train import QUICK_STEPS, STEPS, train_rhythmic
from studio.synth.corpus import load_clip, load_manifest

STAGES = ("motion", "mouth")


def _stage_steps(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in STAGES or not value.strip().isdigit() or int(value) < 1:
            raise argparse.ArgumentTypeError("give STAGE=N pairs, e.g. motion=3000,mouth=2000")
        out[name.strip()] = int(value)
    return out


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rhythmic only")
    group.add_argument(
        "--mouth-input",
        choices=("mel", "jean"),
        default="mel",
        help="the mouth learner's audio input: log-mel windows or JEAN's audio codes",
    )
    group.add_argument(
        "--rhythmic-steps",
        type=_stage_steps,
        metavar="STAGE=N,...",
        help="steps of single stages (motion, mouth), e.g. motion=3000,mouth=2000",
    )


def run(args, argv: list[str]) -> dict:
    corpus = Path(args.corpus)
    started = time.time()
    parts = split(load_data(corpus))
    steps = dict(QUICK_STEPS if args.quick else STEPS)
    if args.steps:
        steps = {k: args.steps for k in steps}
    steps.update(getattr(args, "rhythmic_steps", None) or {})
    config = RhythmicConfig(audio_input=getattr(args, "mouth_input", "mel"))
    jean = load_jean() if config.audio_input == "jean" else None
    codes = jean.audio_codes(parts["train"]["mel"].astype("float32")) if jean else None
    t0 = time.time()
    motion_set = load_motion_set(workers=min(4, os.cpu_count() or 1))
    model, report = train_rhythmic(
        motion_set,
        parts["train"],
        args.out or "runs/rhythmic",
        steps,
        args.seed,
        config,
        codes,
        args.resume,
    )
    train_minutes = (time.time() - t0) / 60
    test = parts["test"]
    refs = references(test)
    beats = [
        audio_beats(load_clip(corpus, c["clip_id"], frames=False).audio, c["n"]) for c in test.clips
    ]
    metrics = motion_scores(predict_all(model, test, refs), test, beats)
    test_codes = jean.audio_codes(test["mel"].astype("float32")) if jean else None

    def audio_of(i: int):
        c = test.clips[i]
        return test_codes[c["start"] : c["start"] + c["n"]] if jean else test.clip(i)["mel"]

    metrics.update(mouth_scores(model, test, audio_of))
    for k, v in metrics.items():
        print(f"{k}: {v:.4f}")
    if args.no_ship or int(os.environ.get("RANK", "0")) != 0:
        return metrics
    if not metrics:
        raise StudioError("nothing was measured")
    manifest = load_manifest(corpus)
    card = {
        "name": "rhythmic",
        "paper": PAPER,
        "version": 1,
        "config": config_dict(model),
        "mouth_channels": list(MOUTH_NAMES),
        "data": {
            "corpus": corpus.name,
            "corpus_build": manifest.get("build"),
            "seed": args.seed,
            "split": "head motion: the head-motion set (studio.papers.rhythmic.motion_set: "
            f"{PEOPLE} people of world seed {SEED}, {CLIPS_PER_PERSON} clips each, audio + pose "
            "only); mouth: training identities × training sentences",
            "evaluated_on": "held-out identities" + (" (quick run)" if args.quick else ""),
        },
        "training": {
            "steps": steps,
            "stages": report,
            "wall_minutes": round(train_minutes, 2),
            "total_minutes": round((time.time() - started) / 60, 2),
            **trained_by(argv),
        },
        "metrics": measured(metrics, "python -m studio.bench headmotion"),
        "deviations": DEVIATIONS,
    }
    path = save_checkpoint("rhythmic", half_precision(model.state_dict()), card, args.checkpoints)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return metrics
