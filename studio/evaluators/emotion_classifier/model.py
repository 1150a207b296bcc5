"""Emotion classifier: a small CNN on 96² face crops → the 8 MEAD emotions (EMOTIONS order).

Used to score the expression of generated frames (DESIGN §7). Trained on SynthTalk training
identities only (`studio/train/emotion_classifier.py`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from studio.face.crop import face_crops
from studio.nn.blocks import images_to_tensor
from studio.nn.checkpoints import load_checkpoint
from studio.synth.emotions import EMOTIONS

NAME = "emotion_classifier"
FACE_SIZE = 96  # SynthTalk faces span ~110 px of a 128² frame; 64² crops halve brows and lids


@dataclass
class EmotionClassifierConfig:
    widths: tuple[int, ...] = (24, 32, 48, 64, 96)
    dropout: float = 0.3
    face_size: int = FACE_SIZE


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()
    )


class EmotionClassifier(nn.Module):
    """A full-resolution stem, stride-2 blocks down to 4 × 4, and a linear head on the whole
    grid: expressions are small, placed changes (mouth corners, brows), so the head keeps where
    a feature is instead of averaging it away. Each image's mean colour is removed first, so
    background and skin tone (which vary per clip and identity) carry no label."""

    def __init__(self, config: EmotionClassifierConfig | None = None):
        super().__init__()
        self.config = config = config or EmotionClassifierConfig()
        w = config.widths
        blocks = [_block(3, w[0], 1)] + [_block(a, b, 2) for a, b in zip(w, w[1:], strict=False)]
        self.encoder = nn.Sequential(*blocks, nn.Flatten())
        grid = config.face_size // 2 ** (len(w) - 1)
        self.head = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(w[-1] * grid * grid, len(EMOTIONS))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) in [0, 1], S = config.face_size → (B, 8) logits."""
        x = x - x.mean(dim=(2, 3), keepdim=True)
        return self.head(self.encoder(x))

    @torch.no_grad()
    def predict_proba(self, faces: np.ndarray) -> np.ndarray:
        """(B, S, S, 3) uint8 face crops (`crop_face`) → (B, 8) probabilities."""
        self.eval()
        dev = next(self.parameters()).device
        return torch.softmax(self(images_to_tensor(faces, dev)), 1).cpu().numpy()

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """(B,) indices into EMOTIONS."""
        return self.predict_proba(faces).argmax(1)


class EmotionEnsemble(nn.Module):
    """Soft voting: the mean of its members' probabilities. Members trained with different
    recipes err on different weak-expression frames, so the mean errs less than either
    (the shipped card has each member's accuracy beside the ensemble's)."""

    def __init__(self, members: list[EmotionClassifier], names: list[str] | None = None):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        self.names = list(names) if names else [str(i) for i in range(len(members))]
        self.config = members[0].config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) → (B, 8) log of the mean member probability (softmax gives it back)."""
        probs = torch.stack([torch.softmax(m(x), 1) for m in self.members]).mean(0)
        return probs.clamp_min(1e-12).log()

    predict_proba = EmotionClassifier.predict_proba
    predict = EmotionClassifier.predict


def load(name: str = NAME, directory=None, device: str = "cpu"):
    """The shipped classifier: an EmotionEnsemble when its card names members, else one
    EmotionClassifier."""
    state, card = load_checkpoint(name, directory)
    cfg = card["config"]
    config = EmotionClassifierConfig(
        widths=tuple(cfg["widths"]), dropout=cfg["dropout"], face_size=cfg["face_size"]
    )
    members = cfg.get("members")
    model = (
        EmotionEnsemble([EmotionClassifier(config) for _ in members], names=members)
        if members
        else EmotionClassifier(config)
    )
    model.load_state_dict(state)
    return model.to(device).eval()


def config_dict(model) -> dict:
    out = asdict(model.config)
    if isinstance(model, EmotionEnsemble):
        out["members"] = model.names
    return out


def classify_frames(
    frames: np.ndarray, landmarks: np.ndarray | None = None, model=None
) -> np.ndarray:
    """Emotion probabilities (T, 8) of arbitrary RGB frames (tracked with MediaPipe when no
    landmarks are given)."""
    model = model if model is not None else load()
    return model.predict_proba(face_crops(frames, landmarks, model.config.face_size))
