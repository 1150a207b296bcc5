"""Identity embedder: a small CNN on 64² face crops → a 128-D unit vector, trained with a
supervised-contrastive loss across emotions and poses of SynthTalk training identities.

CSIM (identity similarity of generated frames to the source, DESIGN §7) is the cosine
similarity of these embeddings. Not comparable with ArcFace CSIM values in papers."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from studio.face.crop import face_crops
from studio.nn.blocks import ConvEncoder, centre, images_to_tensor
from studio.nn.checkpoints import load_checkpoint

NAME = "identity_embedder"
FACE_SIZE = 64


@dataclass
class IdentityEmbedderConfig:
    widths: tuple[int, ...] = (32, 64, 128, 192)
    dim: int = 128
    face_size: int = FACE_SIZE
    inner: int = 44  # centre crop seen by the network: the face (oval ≈ 40 px), little background


class IdentityEmbedder(nn.Module):
    def __init__(self, config: IdentityEmbedderConfig | None = None):
        super().__init__()
        self.config = config = config or IdentityEmbedderConfig()
        self.encoder = ConvEncoder(3, config.widths)
        self.proj = nn.Linear(self.encoder.out_dim, config.dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 64, 64) in [0, 1] → (B, dim) unit vectors."""
        return F.normalize(self.proj(self.encoder(centre(x, self.config.inner))), dim=1)

    @torch.no_grad()
    def embed_numpy(self, faces: np.ndarray) -> np.ndarray:
        """(B, 64, 64, 3) uint8 face crops → (B, dim) float32 unit vectors."""
        self.eval()
        dev = next(self.parameters()).device
        return self(images_to_tensor(faces, dev)).cpu().numpy()


def load(name: str = NAME, directory=None, device: str = "cpu") -> IdentityEmbedder:
    state, card = load_checkpoint(name, directory)
    cfg = card["config"]
    model = IdentityEmbedder(
        IdentityEmbedderConfig(
            widths=tuple(cfg["widths"]), dim=cfg["dim"], face_size=cfg["face_size"]
        )
    )
    model.load_state_dict(state)
    return model.to(device).eval()


def config_dict(model: IdentityEmbedder) -> dict:
    return asdict(model.config)


def csim(
    a: np.ndarray,
    b: np.ndarray,
    model: IdentityEmbedder | None = None,
    landmarks_a=None,
    landmarks_b=None,
) -> np.ndarray:
    """Cosine identity similarity of frames a (N, H, W, 3) and b (N or 1, H, W, 3), per pair.
    Pass 64² face crops with landmarks=None only via `csim_crops`."""
    model = model if model is not None else load()
    ea = model.embed_numpy(face_crops(a, landmarks_a, model.config.face_size))
    eb = model.embed_numpy(face_crops(b, landmarks_b, model.config.face_size))
    return (ea * eb).sum(1)


def csim_crops(a: np.ndarray, b: np.ndarray, model: IdentityEmbedder) -> np.ndarray:
    """Cosine similarity of already-cropped 64² faces (N, 64, 64, 3) vs (N or 1, 64, 64, 3)."""
    return (model.embed_numpy(a) * model.embed_numpy(b)).sum(1)
