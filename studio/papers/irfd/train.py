"""Train IRFD on its image set with the shared loop: each step draws pairs (S, T) of training
images of different people and takes the losses of `studio.papers.irfd.losses`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from studio.nn.loop import TrainConfig, train
from studio.papers.irfd.losses import LossOptions, irfd_losses
from studio.papers.irfd.model import Irfd, IrfdConfig


@dataclass
class IrfdOptions:
    steps: int = 6000
    pairs: int = 16
    lr: float = 1e-4  # the paper's Adam learning rate
    seed: int = 0
    literal_triplet: bool = False
    frozen_reencoding: bool = False


def pair_batch(images: np.ndarray, identity: np.ndarray, emotion: np.ndarray, index: np.ndarray,
               n: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:  # fmt: skip
    """n pairs of images (from `index`) whose people differ."""
    s = rng.choice(index, n)
    t = rng.choice(index, n)
    same = identity[s] == identity[t]
    while same.any():
        t[same] = rng.choice(index, int(same.sum()))
        same = identity[s] == identity[t]

    def tensor(idx: np.ndarray) -> torch.Tensor:
        # contiguous: channels-last inputs crash this torch build's CPU conv backward
        return torch.as_tensor(images[idx]).permute(0, 3, 1, 2).float().contiguous() / 255.0

    return {
        "s": tensor(s),
        "t": tensor(t),
        "emo_s": torch.as_tensor(emotion[s]),
        "emo_t": torch.as_tensor(emotion[t]),
    }


def train_irfd(
    data: dict[str, np.ndarray],
    options: IrfdOptions,
    out_dir: str | Path,
    config: IrfdConfig | None = None,
    resume: bool = False,
    progress=None,
) -> Irfd:
    """Train on the set's training people (`data` from `load_imageset`)."""
    torch.manual_seed(options.seed)
    model = Irfd(config)
    index = np.flatnonzero(~data["held_out"])
    losses = LossOptions(options.literal_triplet, options.frozen_reencoding)

    def get_batch(step, rng, rank, world):
        n = options.pairs // world
        return pair_batch(data["images"], data["identity"], data["emotion"], index, n, rng)

    def loss_fn(m: Irfd, batch: dict) -> dict[str, torch.Tensor]:
        return irfd_losses(m, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"], losses)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "irfd_options.json").write_text(json.dumps(asdict(options)))
    (out_dir / "irfd_config.json").write_text(json.dumps(model.config.to_dict()))
    config_ = TrainConfig(
        steps=options.steps,
        batch_size=options.pairs,
        lr=options.lr,
        weight_decay=0.0,
        warmup=100,
        seed=options.seed,
        log_every=25,
        ckpt_every=250,
        out_dir=str(out_dir),
    )
    return train(model, loss_fn, get_batch, config_, resume, progress)
