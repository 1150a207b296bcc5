"""Recipe: the identity embedder, supervised-contrastive loss (Khosla et al. 2020, τ = 0.1)
on batches of P identities × K frames drawn from different clips (emotions, poses, sentences
differ), with colour jitter and small shifts."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from studio.evaluators.identity_embedder.model import (
    IdentityEmbedder,
    IdentityEmbedderConfig,
    config_dict,  # noqa: F401 (the recipe's)
)
from studio.nn.blocks import augment_images, images_to_tensor

TEMPERATURE = 0.1
PER_ID = 4
DEFAULTS = {"steps": 1000, "batch_size": 64, "lr": 2e-3}


def make_model() -> IdentityEmbedder:
    return IdentityEmbedder(IdentityEmbedderConfig())


def batch_fn(clips: list, batch_size: int):
    by_id = defaultdict(list)
    for c in clips:
        by_id[c.identity].append(c)
    ids = sorted(by_id)

    def get_batch(step, rng, rank, world):
        n_ids = max(2, batch_size // world // PER_ID)
        chosen = rng.choice(ids, size=n_ids, replace=len(ids) < n_ids)
        faces, labels = [], []
        for ident in chosen:
            for c in rng.choice(by_id[ident], size=PER_ID):  # mostly different clips
                faces.append(c.face[rng.integers(0, len(c.face))])
                labels.append(ident)
        return {
            "face": torch.as_tensor(np.stack(faces)),
            "label": torch.as_tensor(np.array(labels)),
        }

    return get_batch


def supcon(
    emb: torch.Tensor, labels: torch.Tensor, temperature: float = TEMPERATURE
) -> torch.Tensor:
    """Supervised contrastive loss (L_out form) of unit embeddings (B, D) with labels (B,)."""
    sim = emb @ emb.T / temperature
    eye = torch.eye(len(emb), dtype=torch.bool, device=emb.device)
    sim = sim.masked_fill(eye, -1e9)
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    n_pos = pos.sum(1).clamp(min=1)
    return -((log_prob * pos).sum(1) / n_pos).mean()


def loss_fn(model, batch):
    emb = model(augment_images(images_to_tensor(batch["face"])))
    return {"loss": supcon(emb, batch["label"])}


PAPER = "evaluator: identity embedder for CSIM (DESIGN §7)"
DEVIATIONS = [
    {
        "what": "small CNN + supervised contrastive loss on 32 synthetic identities instead of "
        "ArcFace",
        "why": "no face-recognition weights offline; CSIM values are not comparable with ArcFace "
        "CSIM in papers",
    }
]
