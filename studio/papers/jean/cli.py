"""`python -m studio.train jean`: its command-line options and the run that trains, measures and
ships the checkpoint with its model card."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from studio.errors import StudioError
from studio.nn.checkpoints import measured, save_checkpoint, trained_by
from studio.papers.jean.bench import evaluate, headline
from studio.papers.jean.card import DEVIATIONS, OPTIONS_DEVIATION, comparison, load_card_file
from studio.papers.jean.data import load_data, split
from studio.papers.jean.model import config_dict
from studio.papers.jean.train import QUICK_STEPS, STEPS, load_trained, train_jean
from studio.synth.corpus import load_manifest


def add_options(parser: argparse.ArgumentParser) -> None:
    jean = parser.add_argument_group("jean only (expression transformer options beyond the paper)")
    jean.add_argument(
        "--expr-other-time",
        action="store_true",
        help="read the expression code from another time of the same clips",
    )
    jean.add_argument(
        "--lip-consistency",
        type=float,
        help="weight of the L1 between the aligned pair's lip codes",
    )
    jean.add_argument(
        "--lip-contrast",
        type=float,
        help="weight of InfoNCE matching each frame's lip code to its aligned partner's "
        "among the partner window's frames",
    )
    jean.add_argument(
        "--expr-contrast",
        type=float,
        help="weight of InfoNCE matching a clip's expression code across time "
        "(needs --expr-other-time)",
    )
    jean.add_argument(
        "--expr-consistency",
        type=float,
        help="weight of the L1 between a clip's expression codes at two times "
        "(needs --expr-other-time)",
    )
    jean.add_argument(
        "--cross-identity-pairs",
        action="store_true",
        help="pair clips of one sentence spoken by different identities too (the paper pairs "
        "one identity's clips)",
    )
    jean.add_argument(
        "--identity-adversary",
        type=float,
        help="weight of a person classifier on the expression code through a reversed "
        "gradient (takes identity out of the expression code)",
    )
    jean.add_argument(
        "--lip-emotion-adversary",
        type=float,
        help="weight of the same confusion loss with an emotion classifier on the lip code",
    )
    jean.add_argument(
        "--stage-steps",
        type=_stage_steps,
        metavar="STAGE=N,...",
        help="steps of single stages, e.g. audio=12000,expr=3000 (the others keep the default)",
    )
    jean.add_argument(
        "--reuse-encoders",
        metavar="FOLDER",
        help="take the landmark AE and audio encoder of the jean checkpoint in FOLDER (e.g. "
        "checkpoints) and train only the expression transformer",
    )
    jean.add_argument(
        "--compare-with",
        metavar="CARD",
        help="another jean run's model card (e.g. the paper's loss) to measure beside this one",
    )


def _stage_steps(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in ("lmae", "audio", "expr") or not value.strip().isdigit():
            raise argparse.ArgumentTypeError("give STAGE=N pairs, e.g. audio=12000,expr=3000")
        out[name.strip()] = int(value)
    if min(out.values()) < 1:
        raise argparse.ArgumentTypeError("steps must be at least 1")
    return out


def run(args, argv: list[str]) -> dict:
    """`python -m studio.train jean` (called by studio.train.__main__)."""
    expression_options = getattr(args, "expr_contrast", None) or getattr(
        args, "expr_consistency", None
    )
    if expression_options and not getattr(args, "expr_other_time", False):
        raise StudioError(
            "--expr-contrast / --expr-consistency need --expr-other-time (codes at two times)"
        )
    compare_with = getattr(args, "compare_with", None)
    compared = load_card_file(compare_with) if compare_with else None  # fail before training
    reuse_from = getattr(args, "reuse_encoders", None)
    reuse = load_trained(reuse_from) if reuse_from else None
    steps = dict(QUICK_STEPS if args.quick else STEPS)
    if args.steps:
        steps = {k: args.steps for k in steps}
    steps.update(getattr(args, "stage_steps", None) or {})
    if reuse is not None:  # the encoders' steps are the ones they were trained with
        trained_steps = reuse[1].get("training", {}).get("steps", {})
        steps.update({k: v for k, v in trained_steps.items() if k in ("lmae", "audio")})
    started = time.time()
    data = load_data(args.corpus)
    feat_minutes = (time.time() - started) / 60
    t0 = time.time()
    model, report = train_jean(
        args.corpus,
        args.out or "runs/jean",
        steps,
        args.seed,
        data=data,
        resume=args.resume,
        expr_other_time=getattr(args, "expr_other_time", False),
        lip_consistency=getattr(args, "lip_consistency", None) or 0.0,
        lip_contrast=getattr(args, "lip_contrast", None) or 0.0,
        expr_contrast=getattr(args, "expr_contrast", None) or 0.0,
        expr_consistency=getattr(args, "expr_consistency", None) or 0.0,
        cross_identity=getattr(args, "cross_identity_pairs", False),
        reuse=reuse,
        identity_adversary=getattr(args, "identity_adversary", None) or 0.0,
        lip_emotion_adversary=getattr(args, "lip_emotion_adversary", None) or 0.0,
    )
    stage_seconds = [stage.get("seconds") for stage in report["stages"].values()]
    if all(stage_seconds):  # from the stage logs: a resumed run counts its earlier steps too
        train_minutes = sum(stage_seconds) / 60
    else:
        train_minutes = (time.time() - t0) / 60
    t0 = time.time()
    metrics = evaluate(model, split(data)["test"], train=split(data)["train"], quick=args.quick)
    eval_minutes = (time.time() - t0) / 60
    summary = headline(metrics)
    for k, v in summary.items():
        print(f"{k}: {v:.4f}")
    if args.no_ship:
        return metrics
    manifest = load_manifest(args.corpus)
    options = report["expr_options"]
    paper_loss_changed = any(bool(v) for v in options.values())
    card = {
        "name": "jean",
        "paper": "JEAN: Joint Expression and Audio-guided NeRF talking faces "
        "(000_0457fe19e37730eb)",
        "version": 1,
        "config": config_dict(model),
        "data": {
            "corpus": Path(args.corpus).name,
            "corpus_build": manifest.get("build"),
            "corpus_config": manifest.get("config"),
            "seed": args.seed,
            "split": "training identities × training sentences "
            "(validation: their held-out sentences)",
            "evaluated_on": "held-out identities" + (" (quick sample)" if args.quick else ""),
            "expression_features": "ground-truth rig blendshapes + GT landmarks (not tracked)",
        },
        "training": {
            "steps": steps,
            "wall_minutes": round(train_minutes, 2),
            "feature_cache_minutes": round(feat_minutes, 2),
            "eval_minutes": round(eval_minutes, 2),
            "stages": report["stages"],
            "expression_transformer_options": report["expr_options"],
            **trained_by(argv),
            **({"encoders_from": report["encoders_from"]} if "encoders_from" in report else {}),
        },
        "audio_variants": {
            "compared": report["audio_variants"],
            "kept": report["audio_kept"],
            "selected_on": report["audio_validation"],
        },
        "metrics": measured(summary, "python -m studio.bench jean"),
        "details": metrics,
        "deviations": DEVIATIONS + ([OPTIONS_DEVIATION] if paper_loss_changed else []),
    }
    if compared is not None:
        card["expression_transformer_comparison"] = comparison(card, compared)
    path = save_checkpoint("jean", model.state_dict(), card, args.checkpoints)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return metrics
