"""SPEAK stage 2's losses (Eq. 10–13): conditional GAN, sync, perceptual — weight 1 each — and
L1 on pixels, a stated deviation (the paper has none; without ImageNet VGG the perceptual term
is weaker, and a few hundred CPU steps of a GAN alone do not pin the colours).

- L_GAN (Eq. 10): the non-saturating form of log D(x, y) + log(1 − D(x, G(x))), summed over
  the discriminator's scales.
- L_sync (Eq. 11, the matched case y = 1): d² between the frozen sync expert's embedding of the
  generated mouths (5 frames, cut differentiably at the true mouth box) and of the audio.
- L_perc: L1 between the frozen IRFD encoders' feature maps of the generated and the true
  frame — trained networks of our own standing in for VGG (none can be downloaded here).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from studio.evaluators.sync_expert.model import SyncExpert
from studio.face.crop import MOUTH_H, MOUTH_W
from studio.papers.irfd.model import Irfd
from studio.papers.irfd.speak.data import WINDOW
from studio.papers.irfd.speak.model import Talker

GRAY = (0.299, 0.587, 0.114)  # cv2's RGB → gray weights, as `mouth_crop` uses


@dataclass
class LossWeights:
    gan: float = 1.0
    sync: float = 1.0
    perceptual: float = 1.0
    l1: float = 1.0  # deviation (see the module docstring)


@dataclass
class Judges:
    """The frozen networks the losses read: IRFD (features) and the sync expert."""

    irfd: Irfd
    sync: SyncExpert


def mouth_crops(frames: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """(B, 3, S, S) in [0, 1], (B, 4) x0, y0, w, h pixels → (B, 32, 48) gray in [0, 255]:
    `studio.face.crop.mouth_crop`'s box and pixel grid, sampled bilinearly where it averages
    areas (within 4 grey levels of it on a clip's frame, tested), differentiable in the frames."""
    size = frames.shape[-1]
    j = torch.arange(MOUTH_W, dtype=frames.dtype, device=frames.device)
    i = torch.arange(MOUTH_H, dtype=frames.dtype, device=frames.device)
    x0, y0, w, h = boxes.unbind(1)
    xs = x0[:, None] + j[None] * (w[:, None] / MOUTH_W)  # (B, 48) source pixels
    ys = y0[:, None] + i[None] * (h[:, None] / MOUTH_H)  # (B, 32)
    grid = torch.stack(
        [
            ((xs + 0.5) * 2 / size - 1)[:, None, :].expand(-1, MOUTH_H, -1),
            ((ys + 0.5) * 2 / size - 1)[:, :, None].expand(-1, -1, MOUTH_W),
        ],
        -1,
    )
    weights = torch.tensor(GRAY, dtype=frames.dtype, device=frames.device)
    gray = (frames * weights[None, :, None, None]).sum(1, True)
    out = F.grid_sample(gray, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[:, 0] * 255.0


def sync_distance(sync: SyncExpert, frames, boxes, sync_mel) -> torch.Tensor:
    """(n·5, 3, S, S) frames in windows of 5 → (n,) distances to their audio windows."""
    mouths = mouth_crops(frames, boxes).view(-1, WINDOW, MOUTH_H, MOUTH_W)
    return (sync.embed_video(mouths) - sync.embed_audio(sync_mel)).norm(dim=1)


def encoder_features(irfd: Irfd, images: torch.Tensor) -> list[torch.Tensor]:
    """Every residual stage's output of the three IRFD encoders."""
    feats = []
    for encoder in (irfd.identity, irfd.emotion, irfd.pose):
        x = images * 2 - 1
        for stage in encoder.stages:
            x = stage(x)
            feats.append(x)
    return feats


def perceptual(irfd: Irfd, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        targets = encoder_features(irfd, real)
    return sum(
        F.l1_loss(f, t) for f, t in zip(encoder_features(irfd, fake), targets, strict=True)
    ) / len(targets)


def d_loss(nets: dict, batch: dict) -> dict[str, torch.Tensor]:
    """The discriminator's: real frames (given the identity frame) high, generated ones low."""
    with torch.no_grad():
        fake = generate(nets["G"], batch)
    real_logits = nets["D"](batch["first"], batch["frames"])
    fake_logits = nets["D"](batch["first"], fake)
    loss = sum(
        F.softplus(-r).mean() + F.softplus(f).mean()
        for r, f in zip(real_logits, fake_logits, strict=True)
    )
    return {"loss": loss}


def g_loss(nets: dict, batch: dict, judges: Judges, w: LossWeights) -> dict[str, torch.Tensor]:
    """The talker's (audio encoder, editing module, G_g): Eq. 13 + L1."""
    fake = generate(nets["G"], batch)
    real = batch["frames"]
    terms = {
        "gan": sum(F.softplus(-f).mean() for f in nets["D"](batch["first"], fake)),
        "sync": sync_distance(judges.sync, fake, batch["boxes"], batch["sync_mel"]).pow(2).mean(),
        "perceptual": perceptual(judges.irfd, fake, real),
        "l1": F.l1_loss(fake, real),
    }
    loss = sum(getattr(w, k) * v for k, v in terms.items())
    return {"loss": loss, **terms}


def generate(talker: Talker, batch: dict) -> torch.Tensor:
    return talker(batch["mel"], batch["identity"], batch["emotion"], batch["pose"])
