"""Train SPEAK stage 2 self-driven (Sec. 3.3) with the shared loop's two phases: D, then the
talker (audio encoder + editing module + G_g). IRFD's encoders and the sync expert are frozen
judges outside the trained model."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from studio.evaluators.sync_expert.model import SyncExpert
from studio.nn.loop import Phase, TrainConfig, resolve_device, train
from studio.papers.irfd.model import Irfd
from studio.papers.irfd.speak.clipset import Clip
from studio.papers.irfd.speak.data import ClipCodes, batches, clip_codes
from studio.papers.irfd.speak.losses import Judges, LossWeights, d_loss, g_loss, generate
from studio.papers.irfd.speak.model import Speak, SpeakConfig
from studio.papers.jean.model import Jean
from studio.papers.jean.model import load as load_jean


@dataclass
class SpeakOptions:
    steps: int = 600
    windows: int = 6  # windows of 5 frames per step: 30 generated frames
    lr: float = 1e-4  # the paper's Adam lr, both phases
    seed: int = 0
    weights: LossWeights = field(default_factory=LossWeights)


def freeze(*nets: torch.nn.Module) -> None:
    for net in nets:
        net.eval().requires_grad_(False)


def held_out_validation(clips: list[Clip], codes: list[ClipCodes], frames: int = 25):
    """A `validate` hook: PSNR of the first `frames` frames of each held-out clip, redrawn from
    its own codes and audio."""
    picks = [(c, k) for c, k in zip(clips, codes, strict=True)]

    def validate(model: Speak) -> dict[str, float]:
        device = next(model.parameters()).device
        psnrs = []
        for clip, code in picks:
            n = min(frames, len(clip))
            rows = {
                "mel": code.mel[:n],
                "identity": np.repeat(code.identity[None], n, 0),
                "emotion": code.emotion[:n],
                "pose": code.pose[:n],
            }
            batch = {k: torch.as_tensor(v, device=device) for k, v in rows.items()}
            fake = generate(model.talker, batch)
            real = torch.as_tensor(clip.frames[:n], device=device).permute(0, 3, 1, 2) / 255.0
            mse = (fake - real).pow(2).mean((1, 2, 3))
            psnrs.append(float((-10 * torch.log10(mse)).mean()))
        return {"psnr": float(np.mean(psnrs))}

    return validate


def train_speak(
    irfd: Irfd,
    sync: SyncExpert,
    clips: list[Clip],
    options: SpeakOptions,
    out_dir: str | Path,
    config: SpeakConfig | None = None,
    resume: bool = False,
    progress: Callable | None = None,
    validation: list[Clip] | None = None,
    jean: Jean | None = None,
) -> Speak:
    """Train on `clips` (training people); `validation` clips are scored as it trains. With
    the JEAN audio encoder, its weights come from `jean` (the shipped JEAN when None)."""
    torch.manual_seed(options.seed)
    freeze(irfd, sync)
    model = Speak(irfd.config, config)
    model.start_from(irfd)
    if model.config.audio_encoder == "jean":
        model.start_audio_from(jean or load_jean())
    reference = model.config.reference
    codes = [clip_codes(irfd, c, reference) for c in clips]  # on the CPU, once
    validate = None
    if validation:
        validate = held_out_validation(
            validation, [clip_codes(irfd, c, reference) for c in validation]
        )
    device = resolve_device("auto")  # the loop's choice: the judges go where the model goes
    judges = Judges(irfd.to(device), sync.to(device))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "speak_options.json").write_text(json.dumps(asdict(options)))
    (out_dir / "speak_config.json").write_text(json.dumps(model.config.to_dict()))
    (out_dir / "irfd_config.json").write_text(json.dumps(irfd.config.to_dict()))
    phases = [
        Phase("D", model.disc, d_loss, betas=(0.5, 0.999)),
        Phase(
            "G",
            model.talker,
            lambda nets, b: g_loss(nets, b, judges, options.weights),
            betas=(0.5, 0.999),
        ),  # fmt: skip
    ]
    config_ = TrainConfig(
        steps=options.steps,
        batch_size=options.windows,
        lr=options.lr,
        weight_decay=0.0,
        warmup=20,
        min_lr_ratio=0.2,
        seed=options.seed,
        log_every=10,
        ckpt_every=50,
        val_every=100,
        out_dir=str(out_dir),
    )
    try:
        return train(
            model, None, batches(clips, codes, options.windows), config_, resume, progress,
            phases=phases, validate=validate,
        )  # fmt: skip
    finally:  # the caller's IRFD and sync expert (cached by the loaders) stay on the CPU
        irfd.cpu()
        sync.cpu()
