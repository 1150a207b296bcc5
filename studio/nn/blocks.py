"""Blocks models share: a small conv encoder (the image evaluators), image augmentation, and
a standardisation layer whose statistics travel in the checkpoint."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class ConvEncoder(nn.Module):
    """(B, C, H, W) float in [0, 1] → (B, widths[-1]) by strided conv blocks + global pooling."""

    def __init__(self, in_channels: int = 3, widths: tuple[int, ...] = (32, 64, 128, 192)):
        super().__init__()
        layers: list[nn.Module] = [nn.BatchNorm2d(in_channels)]
        c = in_channels
        for i, w in enumerate(widths):
            if i > 0:  # the first block downsamples at once: full-resolution convs are costly
                layers += [
                    nn.Conv2d(c, c, 3, padding=1, bias=False),
                    nn.BatchNorm2d(c),
                    nn.ReLU(inplace=True),
                ]
            layers += [
                nn.Conv2d(c, w, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
            ]
            c = w
        self.net = nn.Sequential(*layers)
        self.out_dim = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).mean(dim=(2, 3))


def images_to_tensor(images, device="cpu") -> torch.Tensor:
    """(B, H, W, 3) uint8 numpy/tensor → (B, 3, H, W) float in [0, 1]."""
    x = torch.as_tensor(images, device=device)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def augment_images(x: torch.Tensor, max_shift: int = 4, jitter: float = 0.15) -> torch.Tensor:
    """Colour jitter (brightness, contrast, saturation, per-channel gain) and small shifts.

    x (B, 3, H, W) in [0, 1]; uses the torch RNG (seeded per step by the training loop)."""
    b = x.shape[0]
    dev = x.device
    bright = 1 + jitter * (2 * torch.rand(b, 1, 1, 1, device=dev) - 1)
    gain = 1 + 0.5 * jitter * (2 * torch.rand(b, 3, 1, 1, device=dev) - 1)
    x = x * bright * gain
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 1 + jitter * (2 * torch.rand(b, 1, 1, 1, device=dev) - 1)
    x = (x - mean) * contrast + mean
    gray = x.mean(dim=1, keepdim=True)
    sat = 1 + 2 * jitter * (2 * torch.rand(b, 1, 1, 1, device=dev) - 1)
    x = (x - gray) * sat + gray
    if max_shift > 0:
        pad = nn.functional.pad(x, [max_shift] * 4, mode="replicate")
        h, w = x.shape[2:]
        dx, dy = torch.randint(0, 2 * max_shift + 1, (2,)).tolist()  # one shift per batch
        x = pad[:, :, dy : dy + h, dx : dx + w]
    return x.clamp(0, 1)


def augment_geometry(
    x: torch.Tensor, shift: float = 0.05, scale: float = 0.06, degrees: float = 4.0
) -> torch.Tensor:
    """A random similarity warp per image: shift (fraction of the side), zoom and in-plane
    rotation, as a face tracker's crop jitters from frame to frame and identity to identity.

    x (B, C, H, W); borders are replicated; uses the torch RNG."""
    b = x.shape[0]
    dev = x.device

    def uniform(limit: float) -> torch.Tensor:
        return limit * (2 * torch.rand(b, device=dev) - 1)

    angle = torch.deg2rad(uniform(degrees))
    zoom = 1 + uniform(scale)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [
            torch.stack([cos, -sin, 2 * uniform(shift)], 1),
            torch.stack([sin, cos, 2 * uniform(shift)], 1),
        ],
        1,
    )
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, padding_mode="border", align_corners=False)


def centre(x: torch.Tensor, size: int) -> torch.Tensor:
    """The central size × size window of (B, C, H, W)."""
    h, w = x.shape[2:]
    top, left = (h - size) // 2, (w - size) // 2
    return x[:, :, top : top + size, left : left + size]


CONSTANT_STD = 1e-5  # a fitted std at or below this: the channel never moved in training


class Standardise(nn.Module):
    """x → (x − mean) / std with statistics fitted on training data (saved as buffers).

    A channel that never moved in training (its std is the 1e-6 floor) maps to 0, whatever
    the input: the network learnt nothing from it. Without this, a tracked face's small value
    in a channel the training data never used (SynthTalk's rig never moves eyeLookUp, jawLeft,
    cheekPuff, ...) is divided by 1e-6 and swamps every other feature. Training inputs are
    unchanged (their constant channels gave 0 already)."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, x: np.ndarray) -> None:
        x = np.asarray(x, np.float64).reshape(-1, self.mean.numel())
        self.mean.copy_(torch.as_tensor(x.mean(0), dtype=torch.float32))
        self.std.copy_(torch.as_tensor(x.std(0) + 1e-6, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x - self.mean) / self.std
        return torch.where(self.std > CONSTANT_STD, z, torch.zeros_like(z))

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean


def weighted_mse(drawn: torch.Tensor, target: torch.Tensor, weights: torch.Tensor
                 ) -> torch.Tensor:  # fmt: skip
    """Squared error with per-pixel weights (B, 1, H, W), normalised by the mean weight: the
    plain MSE's scale, with the pixels where expression shows (mouth, eyes) counting more."""
    return (weights * (drawn - target).pow(2)).mean() / weights.mean()
