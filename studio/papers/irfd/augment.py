"""Label-preserving image augmentation for training the emotion encoder E_e.

E_e reads emotion from 1,000 training people; what it must ignore (skin and hair colour,
light, where the head sits in the fixed crop) varies between people, so varying it within a
person teaches E_e to look past it. Everything here keeps the emotion label true: no flips
(contempt is one-sided in the rig), small moves only (the crop stays FOMM-style, pose in it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augmentation:
    shift: float = 0.06  # of the half-side: ±4 px at 128²
    scale: float = 0.08  # zoom 0.92–1.08
    rotate_degrees: float = 5.0
    brightness: float = 0.25  # × 0.75–1.25
    channel_gain: float = 0.15  # each of R, G, B × 0.85–1.15: skin and light colour
    contrast: float = 0.25  # around the image's mean, × 0.75–1.25
    grayscale: float = 0.2  # the share of images turned grey


def augment(images: torch.Tensor, generator: torch.Generator, aug: Augmentation = Augmentation()):
    """(B, 3, H, W) in [0, 1] → the same batch, each image moved and recoloured at random."""
    b = images.shape[0]

    def uniform(*shape: int) -> torch.Tensor:  # in [-1, 1]
        return torch.rand(*shape, generator=generator) * 2 - 1

    angle = uniform(b) * math.radians(aug.rotate_degrees)
    zoom = 1 + uniform(b) * aug.scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [torch.stack([cos, -sin, uniform(b) * aug.shift], 1),
         torch.stack([sin, cos, uniform(b) * aug.shift], 1)], 1,
    )  # fmt: skip
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, padding_mode="border", align_corners=False)

    gain = (1 + uniform(b, 1, 1, 1) * aug.brightness) * (1 + uniform(b, 3, 1, 1) * aug.channel_gain)
    out = out * gain
    mean = out.mean((1, 2, 3), keepdim=True)
    out = (out - mean) * (1 + uniform(b, 1, 1, 1) * aug.contrast) + mean
    grey = torch.rand(b, generator=generator) < aug.grayscale
    if grey.any():
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        out[grey] = (out[grey] * weights).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    return out.clamp(0, 1)
