"""The evaluators' shared recipe: one run of the training loop (one per member of an ensemble)
on cached SynthTalk crops, the held-out measurement, and the shipped checkpoint + model card.

Each evaluator's `train.py` gives make_model, batch_fn, loss_fn (or MEMBERS + member_loss_fn +
make_ensemble), DEFAULTS, PAPER, DEVIATIONS and config_dict, and optionally batch_options /
card_record for its own command-line options; `python -m studio.train <name>` runs it here.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from studio.data.corpus_arrays import load_corpus_arrays
from studio.evaluators.measure import headline, measure
from studio.nn.checkpoints import measured, save_checkpoint, trained_by
from studio.nn.loop import TrainConfig, read_log, set_seed, train

BENCH_COMMAND = "python -m studio.bench evaluators"


def train_and_ship(recipe, model_name: str, args, argv: list[str]) -> dict:
    """Train the evaluator `model_name` whose recipe module is `recipe`, measure it on the
    held-out identities and (unless --no-ship) write its checkpoint and model card."""
    d = recipe.DEFAULTS
    steps = args.steps or (60 if args.quick else d["steps"])
    config = TrainConfig(
        steps=steps,
        batch_size=args.batch_size or d["batch_size"],
        lr=args.lr or d["lr"],
        seed=args.seed,
        warmup=min(100, steps // 10),
        log_every=max(1, min(50, steps // 20)),
        ckpt_every=max(100, steps // 5),
        out_dir=args.out or f"runs/{model_name}",
    )
    started = time.time()
    set_seed(args.seed)  # the initial weights too
    model = recipe.make_model()
    size = getattr(model.config, "face_size", 64)  # crops at the model's input size
    train_clips = load_corpus_arrays(args.corpus, face_size=size, split="train")
    held_out = load_corpus_arrays(
        args.corpus, face_size=size, split="held_out", limit=48 if args.quick else None
    )
    bar = tqdm(total=steps, desc=f"training {model_name}")

    def progress(step, row):
        bar.n = step
        bar.set_postfix(
            {k: f"{v:.3f}" for k, v in row.items() if k not in ("step", "seconds", "lr")}
        )
        bar.refresh()

    options = recipe.batch_options(args) if hasattr(recipe, "batch_options") else {}
    get_batch = recipe.batch_fn(train_clips, config.batch_size, **options)
    members = getattr(recipe, "MEMBERS", None)
    if members:  # an ensemble: one run of the loop per member, each from the same seed
        trained, runs = {}, []
        for member, member_options in members.items():
            set_seed(args.seed)
            trained[member] = recipe.make_model()
            run_config = replace(
                config,
                weight_decay=member_options["weight_decay"],
                out_dir=f"{config.out_dir}/{member}",
            )
            bar.reset()
            bar.set_description(f"training {model_name} [{member}]")
            train(
                trained[member],
                recipe.member_loss_fn(member),
                get_batch,
                run_config,
                resume=args.resume,
                progress=progress,
            )
            runs.append(run_config.out_dir)
        model = recipe.make_ensemble(trained)
    else:
        train(model, recipe.loss_fn, get_batch, config, resume=args.resume, progress=progress)
        runs = [config.out_dir]
    bar.close()
    member_minutes = [_run_minutes(r) for r in runs]
    train_minutes = sum(member_minutes) if all(member_minutes) else (time.time() - started) / 60
    eval_started = time.time()
    metrics = measure(model_name, model, held_out)
    eval_minutes = (time.time() - eval_started) / 60
    summary = headline(model_name, metrics)
    for k, v in summary.items():
        print(f"{k}: {v:.4f}")
    if args.no_ship or int(os.environ.get("RANK", "0")) != 0:
        return metrics
    corpus = Path(args.corpus)
    manifest = json.loads((corpus / "manifest.json").read_text())
    card = {
        "name": model_name,
        "paper": recipe.PAPER,
        "version": 1,
        "config": recipe.config_dict(model),
        "data": {
            "corpus": corpus.name,
            "corpus_build": manifest.get("build"),  # which build: rig and recipes change
            "seed": args.seed,
            "split": "train identities",
            "evaluated_on": "held-out identities" + (" (quick sample)" if args.quick else ""),
        },
        "training": {
            "steps": steps,
            "batch_size": config.batch_size,
            "lr": config.lr,
            "wall_minutes": round(train_minutes, 2),  # optimisation steps (over resumes)
            "eval_minutes": round(eval_minutes, 2),
            **trained_by(argv),
            **(recipe.card_record(args) if hasattr(recipe, "card_record") else {}),
            **_members_record(recipe, model, runs, member_minutes),
        },
        "metrics": measured(summary, BENCH_COMMAND),
        "details": metrics,
        "deviations": recipe.DEVIATIONS,
    }
    path = save_checkpoint(model_name, model.state_dict(), card, args.checkpoints)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return metrics


def _run_minutes(out_dir: str) -> float | None:
    """Optimisation minutes of one loop run, from its log (cumulative over resumes)."""
    rows = read_log(Path(out_dir) / "log.jsonl")
    return rows[-1]["seconds"] / 60 if rows else None


def _members_record(recipe, model, runs: list[str], minutes: list) -> dict:
    """An ensemble's members for its card: recipe options and training minutes each."""
    names = getattr(model, "names", None)
    if not names:
        return {}
    return {
        "members": {
            name: {
                **recipe.MEMBERS[name],
                "run": run,
                "wall_minutes": round(m, 2) if m else None,
            }
            for name, run, m in zip(names, runs, minutes, strict=True)
        }
    }
