"""The networks of "Talking-head Generation with Rhythmic Head Motion" (Chen et al., ECCV 2020)
that the studio trains: the head-motion learner Φ (Sec. 3.1, Fig. 12) and an audio → mouth
learner standing in for the expression learner Ψ.

Φ: the reference clip's motion h_{1:τ} and its audio go through the encoder f, whose output an
MLP turns into the weights {W, b} of one linear layer; the extrapolator turns the driving audio
into a 256-D feature per frame, and that dynamic layer maps each to the 6-D motion (z-scored).
A discriminator judges a motion by its mean and std and those of its velocity. With
`reference=False` (the ablation) W and b are ordinary learned parameters: every person moves
alike.

Ψ here: the mouth blendshapes (the 14 channels speech moves) of each frame from the audio around
it — log-mel windows, or the JEAN audio code of each frame (`audio_input="jean"`). The rig is
written in blendshapes, so the reference face the paper feeds Ψ (landmark PCA of the speaker)
is not needed: the same coefficients move every SynthTalk head.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from studio.nn.blocks import Standardise
from studio.nn.checkpoints import load_model
from studio.papers.rhythmic.data import MOUTH_NAMES

NAME = "rhythmic"
MEL_WINDOW = (16, 80)  # the studio's per-frame log-mel window (0.16 s)
POSE_DIM = 6


@dataclass
class RhythmicConfig:
    audio_dim: int = 128  # per-frame audio feature (window MLP output)
    feature_dim: int = 256  # extrapolator feature per frame (the paper's 256)
    encoder_dim: int = 256  # the reference encoder f's output (paper code: 512)
    motion_hidden: int = 128
    reference: bool = True  # False: the ablation without f (a static linear layer)
    disc_hidden: int = 64
    mouth_hidden: int = 128
    mouth_context: int = 5  # frames of audio features each mouth frame sees (±2)
    audio_input: str = "mel"  # mouth learner input: "mel" windows or "jean" audio codes
    jean_dim: int = 64
    centre_audio: bool = False  # subtract each sequence's mean log-mel (the voice's colour)


class WindowEncoder(nn.Module):
    """(B, T, 16, 80) log-mel windows → (B, T, audio_dim): an MLP on each standardised window
    (the paper: two 2-D convs on 7 × 640 raw samples per frame). With `centre`, each sequence's
    mean log-mel per band is subtracted first, so the voice's timbre does not name the person."""

    def __init__(self, out_dim: int, centre: bool = False):
        super().__init__()
        n = MEL_WINDOW[0] * MEL_WINDOW[1]
        self.centre = centre
        self.norm = Standardise(MEL_WINDOW[1])
        self.net = nn.Sequential(nn.Linear(n, 256), nn.LeakyReLU(0.2), nn.Linear(256, out_dim))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        b, t = mel.shape[:2]
        mel = mel.float()
        if self.centre:
            mel = mel - mel.mean(dim=(1, 2), keepdim=True)
        return self.net(self.norm(mel).reshape(b, t, -1))


def temporal(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Conv1d:
    return nn.Conv1d(c_in, c_out, k, stride=stride, padding=k // 2)


class Extrapolator(nn.Module):
    """Driving audio → (B, T, feature_dim): window encoder, then 1-D temporal convolutions."""

    def __init__(self, c: RhythmicConfig):
        super().__init__()
        self.audio = WindowEncoder(c.audio_dim, c.centre_audio)
        self.conv = nn.Sequential(
            temporal(c.audio_dim, c.feature_dim, 3),
            nn.LeakyReLU(0.2),
            temporal(c.feature_dim, c.feature_dim, 3),
        )

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.conv(self.audio(mel).transpose(1, 2)).transpose(1, 2)


class ReferenceEncoder(nn.Module):
    """f: the reference clip's motion (z-scored) and audio → the weights {W, b} of the linear
    layer that maps the extrapolator's features to motion (the paper's dynamic layer)."""

    def __init__(self, c: RhythmicConfig):
        super().__init__()
        self.feature_dim = c.feature_dim
        self.audio = WindowEncoder(c.audio_dim, c.centre_audio)
        self.motion = nn.Sequential(
            nn.Linear(POSE_DIM, c.motion_hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(c.motion_hidden, c.motion_hidden),
        )
        width = c.motion_hidden + c.audio_dim
        self.conv = nn.Sequential(
            temporal(width, c.encoder_dim, 5, stride=2),
            nn.LeakyReLU(0.2),
            temporal(c.encoder_dim, c.encoder_dim, 5, stride=2),
            nn.LeakyReLU(0.2),
        )
        self.to_weights = nn.Linear(c.encoder_dim, c.feature_dim * POSE_DIM + POSE_DIM)

    def forward(self, motion: torch.Tensor, mel: torch.Tensor):
        x = torch.cat([self.motion(motion), self.audio(mel)], dim=-1)
        code = self.conv(x.transpose(1, 2)).mean(-1)
        wb = self.to_weights(code)
        w = wb[:, : self.feature_dim * POSE_DIM].reshape(-1, self.feature_dim, POSE_DIM)
        return w, wb[:, self.feature_dim * POSE_DIM :]


class HeadMotionLearner(nn.Module):
    """Φ(f(h_ref, x_ref), x) → ĥ (B, T, 6) in z-scored units (`pose_norm` maps to degrees/cm)."""

    def __init__(self, c: RhythmicConfig):
        super().__init__()
        self.config = c
        self.pose_norm = Standardise(POSE_DIM)
        self.extrapolator = Extrapolator(c)
        if c.reference:
            self.reference = ReferenceEncoder(c)
        else:
            self.static = nn.Linear(c.feature_dim, POSE_DIM)

    def forward(
        self, ref_motion: torch.Tensor, ref_mel: torch.Tensor, mel: torch.Tensor
    ) -> torch.Tensor:
        feats = self.extrapolator(mel)
        if not self.config.reference:
            return self.static(feats)
        w, b = self.reference(ref_motion, ref_mel)
        return torch.bmm(feats, w) + b[:, None]


class MotionDiscriminator(nn.Module):
    """D: real or generated, from [mean(h), std(h), mean(Δh), std(Δh)] of a z-scored motion."""

    def __init__(self, c: RhythmicConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(4 * POSE_DIM, c.disc_hidden), nn.LeakyReLU(0.2), nn.Linear(c.disc_hidden, 1)
        )

    @staticmethod
    def statistics(h: torch.Tensor) -> torch.Tensor:
        d = h[:, 1:] - h[:, :-1]
        return torch.cat([h.mean(1), h.std(1), d.mean(1), d.std(1)], dim=-1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(self.statistics(h))[:, 0]


class MouthLearner(nn.Module):
    """Audio around each frame → its mouth blendshapes (B, T, 14) in [0, 1]."""

    def __init__(self, c: RhythmicConfig):
        super().__init__()
        self.config = c
        if c.audio_input == "mel":
            self.audio = WindowEncoder(c.audio_dim)
            width = c.audio_dim
        else:  # per-frame JEAN audio codes, given
            self.code_norm = Standardise(c.jean_dim)
            width = c.jean_dim
        self.net = nn.Sequential(
            temporal(width, c.mouth_hidden, c.mouth_context),
            nn.LeakyReLU(0.2),
            temporal(c.mouth_hidden, c.mouth_hidden, 3),
            nn.LeakyReLU(0.2),
            temporal(c.mouth_hidden, len(MOUTH_NAMES), 1),
        )

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """audio: (B, T, 16, 80) mel windows, or (B, T, 64) JEAN audio codes."""
        x = self.audio(audio) if self.config.audio_input == "mel" else self.code_norm(audio)
        return torch.sigmoid(self.net(x.transpose(1, 2)).transpose(1, 2))


class Rhythmic(nn.Module):
    """Everything one checkpoint ships: Φ, its discriminator, and the mouth learner."""

    def __init__(self, config: RhythmicConfig | None = None):
        super().__init__()
        self.config = c = config or RhythmicConfig()
        self.motion = HeadMotionLearner(c)
        self.disc = MotionDiscriminator(c)
        self.mouth = MouthLearner(c)

    @torch.no_grad()
    def predict_motion(
        self, ref_pose6: np.ndarray, ref_mel: np.ndarray, mel: np.ndarray
    ) -> np.ndarray:
        """(T, 6) head motion in degrees / cm for driving mel windows (T, 16, 80), in the style
        of the reference clip (its pose6 (τ, 6) and mel windows (τ, 16, 80))."""
        self.eval()
        norm = self.motion.pose_norm
        ref = norm(torch.as_tensor(np.asarray(ref_pose6, np.float32)))[None]
        rm = torch.as_tensor(np.asarray(ref_mel, np.float32))[None]
        m = torch.as_tensor(np.asarray(mel, np.float32))[None]
        return norm.inverse(self.motion(ref, rm, m))[0].numpy()

    @torch.no_grad()
    def predict_mouth(self, audio: np.ndarray) -> np.ndarray:
        """(T, 14) mouth blendshapes (MOUTH_NAMES) from mel windows (T, 16, 80) or JEAN audio
        codes (T, 64), whichever `config.audio_input` names."""
        self.eval()
        return self.mouth(torch.as_tensor(np.asarray(audio, np.float32))[None])[0].numpy()


def config_dict(model: Rhythmic) -> dict:
    return asdict(model.config)


def from_config(cfg: dict) -> Rhythmic:
    known = RhythmicConfig.__dataclass_fields__
    return Rhythmic(RhythmicConfig(**{k: v for k, v in cfg.items() if k in known}))


def load(name: str = NAME, directory=None) -> Rhythmic:
    """The shipped model (read once per process)."""
    return load_model(name, from_config, None if directory is None else str(directory))[0]


def load_with_card(name: str = NAME, directory=None) -> tuple[Rhythmic, dict]:
    return load_model(name, from_config, None if directory is None else str(directory))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
