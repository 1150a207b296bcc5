"""IRFD's networks (SPEAK, Sec. 3.1): three residual encoders — identity, emotion, pose — and
the generator G_d = a mapping MLP + a modulated (StyleGAN2-style) conv decoder, at 128².

The paper's encoders are ResNet50s and G_d a StyleGAN2 at 256²; ours keep the structure (residual
encoders, one per factor; a style-modulated decoder fed by a mapping network) at a size that
trains on a CPU (`../shared/notes/irfd-feasibility-facts.md`: 16 pairs per step ran at ≈ 2 s).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from studio.synth.emotions import EMOTIONS

NAME = "irfd"


@dataclass
class IrfdConfig:
    size: int = 128
    identity_dim: int = 128
    emotion_dim: int = 32
    pose_dim: int = 16
    encoder_widths: tuple[int, ...] = (32, 64, 96, 128, 128)  # stride-2 stages: 128² → 4²
    style_dim: int = 256
    decoder_widths: tuple[int, ...] = (192, 160, 128, 64, 32, 16)  # 4² → 128²
    n_emotions: int = len(EMOTIONS)
    pose_regressor: bool = False  # a linear (yaw, pitch, roll) head on the pose code: weak labels
    jaw_regressor: bool = False  # a linear jaw-opening head on the emotion code: weak labels

    def to_dict(self) -> dict:
        return asdict(self)


class ResidualDown(nn.Module):
    """A residual block that halves the side: two 3×3 convs beside a strided 1×1 shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.skip = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=2, bias=False),
                                  nn.BatchNorm2d(c_out))  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.body(x) + self.skip(x), 0.2)


class Encoder(nn.Module):
    """(B, 3, S, S) in [0, 1] → (B, dim): residual stages down to a 4² grid, a linear head on
    the whole grid, and a layer norm. Emotion and pose are *placed* changes (mouth corners,
    where the nose points), so the head keeps where a feature is instead of averaging it away."""

    def __init__(self, dim: int, widths: tuple[int, ...], size: int = 128):
        super().__init__()
        stages, c = [], 3
        for w in widths:
            stages.append(ResidualDown(c, w))
            c = w
        self.stages = nn.Sequential(*stages)
        grid = size // 2 ** len(widths)
        self.head = nn.Linear(c * grid * grid, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = self.head(self.stages(x * 2 - 1).flatten(1))
        # standardised per sample: the re-encoding losses compare codes of one fixed scale, so
        # an encoder cannot lower them by shrinking its codes or raise them by growing them
        return F.layer_norm(code, code.shape[-1:])


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated 3×3 conv: the style scales the input channels of the weight, which
    is then demodulated (each output channel renormalised), per sample. Computed as StyleGAN2's
    non-fused form — scale the activations, one shared conv, rescale the outputs — which is the
    same function and ≈ 2× faster on a CPU than a per-sample grouped conv."""

    def __init__(self, c_in: int, c_out: int, style_dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, 3, 3) / (c_in * 9) ** 0.5)
        self.affine = nn.Linear(style_dim, c_in)
        nn.init.ones_(self.affine.bias)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.noise_strength = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        s = self.affine(style)  # (B, c_in)
        # Σ over (c_in, 3, 3) of (weight · s)² = s² @ (Σ over 3×3 of weight²)ᵀ, per sample
        demod = torch.rsqrt(s.pow(2) @ self.weight.pow(2).sum((2, 3)).T + 1e-8)  # (B, c_out)
        out = F.conv2d(x * s[:, :, None, None], self.weight, padding=1)
        out = out * demod[:, :, None, None] + self.bias[None, :, None, None]
        if self.training:
            noise = torch.randn(b, 1, h, w, device=x.device)
        else:  # StyleGAN2's "const" noise: the same codes give the same image in any batch
            noise = const_noise(h, w).to(x.device)
        return F.leaky_relu(out + noise * self.noise_strength, 0.2)


@lru_cache(maxsize=16)
def const_noise(h: int, w: int) -> torch.Tensor:
    """(1, 1, h, w) standard normal noise, fixed per resolution."""
    return torch.randn(1, 1, h, w, generator=torch.Generator().manual_seed(h * 10_000 + w))


class Generator(nn.Module):
    """G_d: codes → mapping MLP → style w; a learned 4² constant, then per resolution an
    upsample and two modulated convs; an RGB head at the end."""

    def __init__(self, config: IrfdConfig):
        super().__init__()
        c = config
        codes = c.identity_dim + c.emotion_dim + c.pose_dim
        self.mapping = nn.Sequential(
            nn.Linear(codes, c.style_dim), nn.LeakyReLU(0.2),
            nn.Linear(c.style_dim, c.style_dim), nn.LeakyReLU(0.2),
            nn.Linear(c.style_dim, c.style_dim),
        )  # fmt: skip
        widths = c.decoder_widths
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))
        self.first = ModulatedConv(widths[0], widths[0], c.style_dim)
        self.blocks = nn.ModuleList(
            nn.ModuleList([ModulatedConv(a, b, c.style_dim), ModulatedConv(b, b, c.style_dim)])
            for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.to_rgb = nn.Conv2d(widths[-1], 3, 1)

    def forward(self, identity: torch.Tensor, emotion: torch.Tensor, pose: torch.Tensor):
        w = self.mapping(torch.cat([identity, emotion, pose], -1))
        x = self.first(self.const.expand(len(w), -1, -1, -1), w)
        for conv_a, conv_b in self.blocks:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = conv_b(conv_a(x, w), w)
        return torch.sigmoid(self.to_rgb(x))


class Irfd(nn.Module):
    """E_i, E_e, E_p, the emotion classifier C_m on the emotion code, and G_d (and, with
    `pose_regressor` / `jaw_regressor`, the weakly supervised pose and jaw heads: deviations, see
    losses.py)."""

    def __init__(self, config: IrfdConfig | None = None):
        super().__init__()
        self.config = c = config or IrfdConfig()
        self.identity = Encoder(c.identity_dim, c.encoder_widths, c.size)
        self.emotion = Encoder(c.emotion_dim, c.encoder_widths, c.size)
        self.pose = Encoder(c.pose_dim, c.encoder_widths, c.size)
        self.classifier = nn.Linear(c.emotion_dim, c.n_emotions)
        if c.pose_regressor:
            self.pose_regressor = nn.Linear(c.pose_dim, 3)
        if c.jaw_regressor:
            self.jaw_regressor = nn.Linear(c.emotion_dim, 1)
        self.generator = Generator(c)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 3, H, W) → identity, emotion, pose codes."""
        images = images.contiguous()  # channels-last input crashes the CPU conv backward here
        return self.identity(images), self.emotion(images), self.pose(images)

    def generate(self, identity, emotion, pose) -> torch.Tensor:
        return self.generator(identity, emotion, pose)
