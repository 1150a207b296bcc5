"""JEAN's recipe: the three encoders trained in the paper's order, each with its own loss.

1. Landmark autoencoder (L1, mouth-code swap between two frames of one clip, p = 0.8).
2. Audio encoder, InfoNCE against the frozen mouth code; two variants are trained and the one
   with the better validation retrieval is kept: the paper's (1 same-speaker negative, τ 0.1)
   and the Disentangling-head-NeRF form (10 negatives, τ 0.5). Audio is augmented in the
   log-mel domain (gain, noise, band shift ≈ pitch, time stretch ≈ tempo, another speaker
   mixed in) so the code does not carry the voice.
3. Expression transformer on DTW-aligned pairs (same identity, same sentence, two emotion
   conditions), expression codes swapped with p = 0.8, L1 reconstruction of the features.

Training uses the training identities' training-sentence clips; their held-out-sentence clips
are the validation set (variant choice); the held-out identities are only for the bench.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.nn.checkpoints import load_checkpoint
from studio.nn.loop import TrainConfig, read_log, set_seed, train
from studio.papers.jean.batches import alignment_groups, audio_batches, expr_batches, lmae_batches
from studio.papers.jean.data import JeanData, load_data, split
from studio.papers.jean.losses import audio_loss_fn, expr_loss_fn, lmae_loss
from studio.papers.jean.metrics import mouth_codes_of, retrieval_top1
from studio.papers.jean.model import Jean, JeanConfig, from_config, mlp

log = logging.getLogger(__name__)


STEPS = {"lmae": 2000, "audio": 1500, "expr": 1200}
QUICK_STEPS = {"lmae": 60, "audio": 60, "expr": 40}
BATCH = {"lmae": 256, "audio": 256, "expr": 64}  # expr: pairs (2 sequences each)
AUDIO_WINDOWS = 1024  # audio windows per step: anchors × (1 + negatives) stays near this
AUDIO_VARIANTS = {"paper_1neg_tau0.1": (1, 0.1), "dhnerf_10neg_tau0.5": (10, 0.5)}


def stage_config(steps: int, batch_size: int, lr: float, seed: int, out_dir) -> TrainConfig:
    """The TrainConfig of one JEAN stage (also the benches that retrain a stage): Adam with
    weight decay 1e-5 as in the paper, warm-up, log and checkpoint intervals scaled to `steps`."""
    return TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight_decay=1e-5,
        seed=seed,
        warmup=min(100, max(1, steps // 10)),
        log_every=max(1, min(50, steps // 20)),
        ckpt_every=max(200, steps // 4),
        out_dir=str(out_dir),
    )


def train_jean(
    corpus: str | Path,
    out_dir: str | Path = "runs/jean",
    steps: dict | None = None,
    seed: int = 0,
    config: JeanConfig | None = None,
    data: JeanData | None = None,
    progress: bool = True,
    variants: dict | None = None,
    resume: bool = False,
    expr_other_time: bool = False,
    lip_consistency: float = 0.0,
    lip_contrast: float = 0.0,
    expr_contrast: float = 0.0,
    expr_consistency: float = 0.0,
    cross_identity: bool = False,
    reuse: tuple[Jean, dict] | None = None,
    identity_adversary: float = 0.0,
    lip_emotion_adversary: float = 0.0,
) -> tuple[Jean, dict]:
    """Train all three stages; returns (model, report) where report holds the stage wall
    times, the audio-variant comparison and the final losses. expr_other_time and the weights
    after it are the transformer options of `expr_loss_fn` (off = the paper). `reuse` = (model,
    card) of a trained JEAN whose landmark AE and audio encoder are taken as they are (their
    stage records come from its card): then only the transformer is trained."""
    if config is not None and config.audio_span != 1:
        raise StudioError(
            "audio_span > 1 is measured by `python -m studio.bench jean-audio` only: the corpus "
            "cache, the app and the bench read 0.16 s windows (audio_span 1)"
        )
    steps = {**STEPS, **(steps or {})}
    variants = variants or AUDIO_VARIANTS
    out_dir = Path(out_dir)
    set_seed(seed)
    data = data or load_data(corpus, progress=progress)
    parts = split(data)
    tr = parts["train"]
    model = Jean(config or JeanConfig())
    model.lmae.norm.fit(tr.landmarks)
    model.audio.norm.fit(tr.mel[::7].astype(np.float32).reshape(-1, 80))
    model.expr.norm.fit(tr.features)
    report: dict = {"frames": {k: len(v.viseme) for k, v in parts.items()}, "stages": {}}

    def cfg(stage, lr):
        return stage_config(steps[stage], BATCH[stage], lr, seed, out_dir / stage)

    def stage_done(name, c):
        rows = read_log(Path(c.out_dir) / "log.jsonl")
        last = rows[-1] if rows else {}
        report["stages"][name] = {
            "steps": c.steps,
            "batch_size": c.batch_size,
            "lr": c.lr,
            "seconds": last.get("seconds"),
            "final": {k: v for k, v in last.items() if k not in ("step", "seconds", "lr")},
        }

    if reuse is not None:
        reuse_encoders(model, report, *reuse)
    else:
        # 1. landmark autoencoder
        c = cfg("lmae", 1e-3)
        t0 = time.time()
        train(model.lmae, lmae_loss, lmae_batches(tr, c.batch_size), c, resume=resume)
        stage_done("lmae", c)
        log.info("LM-AE done in %.0f s", time.time() - t0)

        # 2. audio encoder against the frozen mouth code, two InfoNCE variants
        model.lmae.eval()
        mouth_tr = mouth_codes_of(model, tr)
        val = parts.get("val", parts["test"])
        mouth_val = mouth_codes_of(model, val)
        base = {k: v.clone() for k, v in model.audio.state_dict().items()}
        best, compare = None, {}
        for name, (k, tau) in variants.items():
            model.audio.load_state_dict(base)
            c = cfg("audio", 1e-3)
            c.batch_size = min(BATCH["audio"], max(16, AUDIO_WINDOWS // (1 + k)))
            c.out_dir = str(out_dir / f"audio_{name}")
            set_seed(seed)
            train(
                model.audio,
                audio_loss_fn(tau, k),
                audio_batches(tr, mouth_tr, c.batch_size, k),
                c,
                resume=resume,
            )
            stage_done(f"audio_{name}", c)
            model.audio.eval()
            top1 = retrieval_top1(model.audio_codes(val.mel), mouth_val, val, n_query=1500)
            compare[name] = {"negatives": k, "tau": tau, "val_top1": round(top1, 4)}
            log.info("audio variant %s: validation top-1 %.3f", name, top1)
            if best is None or top1 > compare[best[0]]["val_top1"]:
                best = (name, {kk: v.clone() for kk, v in model.audio.state_dict().items()})
        model.audio.load_state_dict(best[1])
        model.config.audio_negatives, model.config.tau = variants[best[0]]
        report["audio_variants"] = compare
        report["audio_kept"] = best[0]
        report["audio_validation"] = (
            "training identities, held-out sentences" if "val" in parts else "test"
        )

    # 3. expression transformer on DTW-aligned pairs
    options = ExpressionOptions(
        expr_other_time,
        lip_consistency,
        lip_contrast,
        expr_contrast,
        expr_consistency,
        cross_identity,
        identity_adversary,
        lip_emotion_adversary,
    )
    c = cfg("expr", 5e-4)
    report.update(train_expression_transformer(model.expr, tr, options, c, resume=resume))
    stage_done("expr", c)
    model.eval()
    return model, report


def reuse_encoders(model: Jean, report: dict, trained: Jean, card: dict) -> None:
    """Copy the landmark AE and the audio encoder (weights, input norms, kept InfoNCE variant)
    of a trained JEAN into `model`, and its card's records of those stages into `report`."""
    model.lmae.load_state_dict(trained.lmae.state_dict())
    model.audio.load_state_dict(trained.audio.state_dict())
    model.config.audio_negatives = trained.config.audio_negatives
    model.config.tau = trained.config.tau
    training = card.get("training", {})
    report["stages"].update({k: v for k, v in training.get("stages", {}).items() if k != "expr"})
    variants = card.get("audio_variants", {})
    report["audio_variants"] = variants.get("compared", {})
    report["audio_kept"] = variants.get("kept")
    report["audio_validation"] = variants.get("selected_on")
    report["encoders_from"] = {
        "sha256": card.get("sha256"),
        "command": training.get("command"),
        "steps": {k: v for k, v in training.get("steps", {}).items() if k != "expr"},
    }


@dataclass
class ExpressionOptions:
    """The expression-transformer loss options beyond the paper (all off = the paper's Eq. 4);
    see `expr_loss_fn`."""

    other_time: bool = False
    lip_consistency: float = 0.0
    lip_contrast: float = 0.0
    expr_contrast: float = 0.0
    expr_consistency: float = 0.0
    cross_identity: bool = False
    identity_adversary: float = 0.0
    lip_emotion_adversary: float = 0.0

    @classmethod
    def from_card(cls, card: dict) -> ExpressionOptions:
        """The options a model card records (training.expression_transformer_options)."""
        saved = card.get("training", {}).get("expression_transformer_options", {})
        return cls(**{k: v for k, v in saved.items() if k in cls.__dataclass_fields__})


def train_expression_transformer(
    expr, data: JeanData, options: ExpressionOptions, config, resume: bool = False
) -> dict:
    """Stage 3 alone: DTW-align every (identity, sentence) group of `data`, then train `expr`
    (an ExpressionTransformer whose `norm` is already fitted) with `config` (a TrainConfig).
    Shared by the multi-identity run and the per-identity comparison. Returns the alignment
    time, the number of groups and the options used."""
    from dataclasses import asdict

    t0 = time.time()
    feats = data.features
    groups = alignment_groups(
        data, (feats - feats.mean(0)) / (feats.std(0) + 1e-6), options.cross_identity
    )
    if not groups:
        raise StudioError("no (identity, sentence) has two conditions to align: nothing to pair")
    report = {
        "dtw_seconds": round(time.time() - t0, 1),
        "pairs_groups": len(groups),
        "expr_options": asdict(options),
    }
    # the adversaries' heads are trained with the transformer and dropped after it
    if options.identity_adversary > 0:
        people = len(np.unique(data.column("identity_id")))
        expr.identity_head = mlp([expr.c.d_model - expr.c.code, 128, people])
    if options.lip_emotion_adversary > 0:
        emotions = len(np.unique(data.column("emotion")))
        expr.lip_emotion_head = mlp([expr.c.code, 128, emotions])
    train(
        expr,
        expr_loss_fn(
            options.lip_consistency,
            options.lip_contrast,
            options.expr_contrast,
            options.expr_consistency,
            options.identity_adversary,
            options.lip_emotion_adversary,
        ),
        expr_batches(data, groups, config.batch_size, other_time=options.other_time),
        config,
        resume=resume,
    )
    for head in ("identity_head", "lip_emotion_head"):
        if hasattr(expr, head):
            delattr(expr, head)
    return report


def load_trained(folder: str | Path) -> tuple[Jean, dict]:
    """(model, card) of the jean checkpoint in `folder`, its weights checked against the card
    (for --reuse-encoders); a clear error when there is none."""
    state, card = load_checkpoint("jean", folder)
    model = from_config(card["config"])
    model.load_state_dict(state)
    return model.eval(), card
