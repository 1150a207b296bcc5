"""`python -m studio.train jean_tracked`: track every third training clip of the corpus (once,
cached), distil JEAN's codes of their ground truth into the tracked-input encoder, measure it
with the `jean-tracked` suite and ship it with its model card."""

from __future__ import annotations

import time
from pathlib import Path

from studio.data.frames import every_nth_clip
from studio.nn.checkpoints import load_card, measured, save_checkpoint, trained_by
from studio.papers.jean import bench_tracked
from studio.papers.jean.data import load_data, split
from studio.papers.jean.model import config_dict, load
from studio.papers.jean.tracked import NAME, STEPS, tracked_features, train_tracked

EVERY = 3  # every third training clip is tracked (≈ 9 CPU-minutes)


def run(args, argv: list[str]) -> dict:
    corpus = Path(args.corpus)
    started = time.time()
    jean = load()
    train = every_nth_clip(split(load_data(corpus))["train"], EVERY)
    feats, found = tracked_features(corpus, train, f"train-every-{EVERY}")
    t0 = time.time()
    steps = args.steps or (40 if args.quick else STEPS)

    def tell(step: int, total: int, loss: float) -> None:
        print(f"step {step}/{total} loss {loss:.4f}", flush=True)

    encoder, report = train_tracked(
        jean, feats, found, train.features, train.clips, steps, args.seed, tell
    )
    train_minutes = (time.time() - t0) / 60
    metrics = {
        k: v
        for k, v in bench_tracked.run(args.quick, corpus, tracked_encoder=encoder).items()
        if isinstance(v, int | float)
    }
    for k, v in metrics.items():
        print(f"{k}: {v:.4f}")
    card = {
        "name": NAME,
        "paper": "JEAN (000_0457fe19e37730eb): its expression and landmark encoders, for "
        "tracked inputs",
        "version": 1,
        "config": config_dict(jean),
        "distilled_from": {"checkpoint": "jean", "sha256": load_card("jean").get("sha256")},
        "data": {
            "corpus": corpus.name,
            "split": f"every {EVERY}rd training clip (training identities × training "
            "sentences), tracked with MediaPipe; targets: the shipped JEAN's codes of the "
            "same windows' ground truth",
            "frames": report["frames"],
        },
        "training": {
            **{k: report[k] for k in ("steps", "batch", "lr", "landmark_steps", "landmark_batch")},
            "curve": report["log"],
            "landmark_curve": report["landmark_log"],
            "wall_minutes": round(train_minutes, 2),
            "total_minutes": round((time.time() - started) / 60, 2),
            **trained_by(argv),
        },
        "metrics": measured(metrics, "python -m studio.bench jean-tracked"),
        "deviations": [
            {
                "what": "a second expression encoder and landmark encoder (eye-nose and mouth "
                "heads) for tracked inputs, distilled into the shipped JEAN's code space (MSE to "
                "its codes of the same windows' and frames' ground truth)",
                "why": "JEAN trains per person on one kind of input; the studio's JEAN is "
                "trained on the SynthTalk rig's ground truth, and read tracked inputs at chance "
                "(held-out 5-NN emotion 0.15); distilling keeps every code (bank, decoder, the "
                "NeRF's conditioning) in one space",
            }
        ],
    }
    if not args.no_ship:
        path = save_checkpoint(NAME, encoder.state_dict(), card, args.checkpoints)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return metrics
