"""IRFD at use time: load the encoders + G_d, encode face crops into identity, emotion and pose
codes, and draw any mix of codes — the code swap of SPEAK's Fig. 5.

    model = load_irfd()
    codes = encode(model, crops)                    # crops (N, 128, 128, 3) uint8
    image = generate(model, codes.identity[:1], codes.emotion[1:2], codes.pose[2:3])
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from studio.nn.checkpoints import load_checkpoint
from studio.papers.irfd.model import NAME, Irfd, IrfdConfig

FACTOR_CODES = ("identity", "emotion", "pose")


@dataclass
class Codes:
    """Codes of N images: identity (N, 128), emotion (N, 32), pose (N, 16)."""

    identity: np.ndarray
    emotion: np.ndarray
    pose: np.ndarray

    def __len__(self) -> int:
        return len(self.identity)

    def get(self, factor: str) -> np.ndarray:
        return getattr(self, factor)

    def concatenated(self) -> np.ndarray:
        """(N, 176): the three codes side by side (for DCI, MIG, SAP over all dimensions)."""
        return np.concatenate([self.identity, self.emotion, self.pose], 1)


def config_from_dict(d: dict) -> IrfdConfig:
    return IrfdConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


ENCODER_PREFIXES = ("identity.", "emotion.", "pose.")


def encoder_fingerprint(state: dict[str, torch.Tensor]) -> str:
    """sha256 of the three encoders' tensors (float16, sorted by name): what SPEAK's codes
    depend on. A new G_d over the same encoders (`--generator-only`) keeps it."""
    digest = hashlib.sha256()
    for name in sorted(k for k in state if k.startswith(ENCODER_PREFIXES)):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().half().contiguous().numpy().tobytes())
    return digest.hexdigest()


def model_from_state(state: dict[str, torch.Tensor], config: dict) -> Irfd:
    model = Irfd(config_from_dict(config))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


@lru_cache(maxsize=2)
def load_irfd(directory: str | None = None) -> Irfd:
    """The shipped checkpoint (float16 on disk, float32 here); cached for the UI."""
    state, card = load_checkpoint(NAME, directory)
    return model_from_state(state, card["config"])


def load_run(run_dir: str | Path) -> Irfd:
    """The latest weights of a training run (`python -m studio.train irfd --out RUN`)."""
    run_dir = Path(run_dir)
    config = json.loads((run_dir / "irfd_config.json").read_text())
    return model_from_state(load_file(str(run_dir / "model.safetensors")), config)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 → (N, 3, H, W) float in [0, 1], contiguous (see `Irfd.encode`)."""
    return torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float().contiguous() / 255.0


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return (images.clamp(0, 1) * 255 + 0.5).byte().permute(0, 2, 3, 1).numpy()


@torch.no_grad()
def encode(model: Irfd, images: np.ndarray, batch: int = 128) -> Codes:
    """Codes of (N, S, S, 3) uint8 crops, S = the model's size (BatchNorm in eval mode)."""
    model.eval()
    parts = [model.encode(to_tensor(images[i : i + batch])) for i in range(0, len(images), batch)]
    identity, emotion, pose = (torch.cat([p[k] for p in parts]).numpy() for k in range(3))
    return Codes(identity, emotion, pose)


@torch.no_grad()
def generate(
    model: Irfd, identity: np.ndarray, emotion: np.ndarray, pose: np.ndarray, batch: int = 64
) -> np.ndarray:
    """(N, S, S, 3) uint8 images from N rows of codes (in eval mode G_d's noise is fixed, so the
    same codes give the same image)."""
    model.eval()
    out = []
    for i in range(0, len(identity), batch):
        rows = (torch.as_tensor(c[i : i + batch]).float() for c in (identity, emotion, pose))
        out.append(to_uint8(model.generate(*rows)))
    return np.concatenate(out)


def reconstruct(model: Irfd, images: np.ndarray) -> np.ndarray:
    """G_d(E(x)): each image from its own three codes."""
    codes = encode(model, images)
    return generate(model, codes.identity, codes.emotion, codes.pose)


def swap_grid(model: Irfd, identity: Codes, drivers: Codes, emotion: Codes | None = None):
    """SPEAK Fig. 5: row r takes its identity from identity[r], column c its pose from
    drivers[c] and its emotion from drivers[c] (or from emotion[c] when given) →
    (rows, columns, S, S, 3) uint8."""
    emotion = drivers if emotion is None else emotion
    rows, cols = len(identity), len(drivers)
    r, c = np.repeat(np.arange(rows), cols), np.tile(np.arange(cols), rows)
    images = generate(model, identity.identity[r], emotion.emotion[c], drivers.pose[c])
    return images.reshape(rows, cols, *images.shape[1:])


def blend(a: Codes, b: Codes, weights: dict[str, float]) -> Codes:
    """Per factor, move from a's code (weight 0) to b's (weight 1) along the straight line."""
    mixed = {}
    for factor in FACTOR_CODES:
        t = float(weights.get(factor, 0.0))
        mixed[factor] = (1 - t) * a.get(factor) + t * b.get(factor)
    return Codes(**mixed)


def smooth_codes(codes: np.ndarray, sigma: float) -> np.ndarray:
    """Codes over time (axis 0) smoothed by a Gaussian of `sigma` frames (cut at 3σ), the
    clip's ends reflected: a driven video does not flicker with the encoders' jitter."""
    if sigma <= 0 or len(codes) < 2:
        return codes
    r = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    pad = [(r, r)] + [(0, 0)] * (codes.ndim - 1)
    padded = np.pad(codes, pad, mode="reflect" if len(codes) > r else "edge")
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * r + 1, axis=0) @ kernel
