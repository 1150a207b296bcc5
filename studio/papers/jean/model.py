"""JEAN (Chakkera, Chatziagapi, Samaras): the three encoders that separate lips from expression.

- `LandmarkAE`: pose-normalised non-contour landmarks (2-D, canonical frame) → eye-nose code
  e_f (64) + mouth code e_m (64); MLPs 256/256/128, LeakyReLU(0.02); trained with mouth-code
  swaps between two frames of the same clip (L1).
- `AudioEncoder`: one video frame's log-mel window (16 × 80) → audio code e_a (64), trained by
  InfoNCE against the frozen mouth code (the negatives are the same speaker's other clips).
- `ExpressionTransformer`: per-frame expression features (52 blendshapes + pose-normalised
  landmarks, standing in for EMOCA features) → MLP 512 → 128, sinusoidal positions, start/end
  tokens, encoder 3 layers × 8 heads (dropout 0.2) over windows of 8 frames; the output splits
  into lip code e_l (64) and expression code e_e (64); a decoder (3 layers × 8 heads, MLP 512)
  reconstructs the features. Trained on DTW-aligned pairs of the same sentence in two emotions
  with expression codes swapped with probability 0.8 (L1).

The NeRF of the paper is not here (DESIGN §5: the Talking NeRF is its own model). The studio
decodes expression codes to blendshapes and renders them with the SynthTalk rig instead.

`load()` reads `checkpoints/jean.safetensors`; `Jean` bundles the three modules with the
per-frame feature functions, so callers pass landmarks / blendshapes / audio and get codes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from studio.face import mesh
from studio.face.geometry import normalise_landmarks_batch
from studio.nn.blocks import Standardise
from studio.nn.checkpoints import load_model

NAME = "jean"
WINDOW = 8  # ω: frames per expression-transformer window

# Non-contour landmarks (the paper's 51 = 68 minus the 17 jaw points): eyes, brows, nose, lips.
NOSE = (1, 2, 4, 5, 6, 19, 94, 97, 98, 168, 195, 197, 326, 327, 64, 294, 48, 278)
EYE_NOSE_POINTS = mesh.LEFT_EYE_LOOP + mesh.RIGHT_EYE_LOOP + mesh.LEFT_BROW + mesh.RIGHT_BROW + NOSE
MOUTH_POINTS = mesh.OUTER_LIP_LOOP + mesh.INNER_LIP_LOOP
LANDMARK_POINTS = EYE_NOSE_POINTS + MOUTH_POINTS  # 70 eye-nose + 40 mouth = 110 points
N_EYE_NOSE, N_MOUTH = len(EYE_NOSE_POINTS), len(MOUTH_POINTS)
LANDMARK_DIM = 2 * len(LANDMARK_POINTS)  # x, y in the canonical frame (cm)
MOUTH_SLICE = slice(2 * N_EYE_NOSE, LANDMARK_DIM)
N_BLENDSHAPES = 52
FEATURE_DIM = N_BLENDSHAPES + LANDMARK_DIM  # expression-transformer input per frame


# ----------------------------------------------------------------------------- features
@functools.lru_cache(maxsize=1)
def _reference() -> np.ndarray:
    return mesh.canonical_mesh().vertices[: mesh.N_MESH_VERTICES].astype(np.float64)


def normalise_batch(landmarks: np.ndarray) -> np.ndarray:
    """(T, N>=468, 3) image landmarks → (T, N, 3) canonical-frame points in cm (NaN frames stay
    NaN): the face layer's batched pose normalisation onto the canonical mesh."""
    return normalise_landmarks_batch(landmarks, _reference())


def landmark_features(landmarks: np.ndarray) -> np.ndarray:
    """(T, 478|468, 3) image landmarks (px, z far) → (T, 220) pose-normalised (x, y) in cm of
    the 110 non-contour points (eye-nose first, mouth last). Frames with NaN give NaN rows."""
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    canon = normalise_batch(lm)
    return canon[:, list(LANDMARK_POINTS), :2].reshape(len(lm), -1)


def expression_features(blendshapes: np.ndarray, landmark_feats: np.ndarray) -> np.ndarray:
    """(T, 52) blendshapes + (T, 220) landmark features → (T, 272) raw expression features."""
    return np.concatenate(
        [np.asarray(blendshapes, np.float32), np.asarray(landmark_feats, np.float32)], axis=1
    )


def frame_windows_idx(n: int, window: int = WINDOW) -> np.ndarray:
    """(n, window) frame indices of the window around every frame (t − ω/2 … t + ω/2 − 1),
    edge-clamped; position ω/2 of row t is frame t (the paper uses the (ω/2)-th output)."""
    t = np.arange(n)[:, None] + np.arange(window)[None, :] - window // 2
    return np.clip(t, 0, n - 1)


def dtw_path(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For every frame of `a` (len m), the index of its DTW match in `b` (L2 costs).

    Returns (m,) int: the last `b` frame matched to each `a` frame on the optimal path.
    """
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    m, n = cost.shape
    acc = np.full((m + 1, n + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, m + 1):
        row_prev, row = acc[i - 1], acc[i]
        c = cost[i - 1]
        # acc[i, j] = c[j-1] + min(acc[i-1, j-1], acc[i-1, j], acc[i, j-1]); the last term is a
        # running minimum along the row, done in one python loop over j
        best = np.minimum(row_prev[:-1], row_prev[1:])
        for j in range(1, n + 1):
            row[j] = c[j - 1] + min(best[j - 1], row[j - 1])
    i, j = m, n
    match = np.zeros(m, np.int64)
    match[m - 1] = n - 1
    while (i, j) != (1, 1):
        steps = []
        if i > 1 and j > 1:
            steps.append((acc[i - 1, j - 1], i - 1, j - 1))
        if i > 1:
            steps.append((acc[i - 1, j], i - 1, j))
        if j > 1:
            steps.append((acc[i, j - 1], i, j - 1))
        _, i, j = min(steps, key=lambda s: s[0])
        match[i - 1] = j - 1
    return match


# ----------------------------------------------------------------------------- modules
def mlp(sizes: list[int], slope: float = 0.02) -> nn.Sequential:
    """Linear layers with LeakyReLU(slope) between them (none after the last)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(slope))
    return nn.Sequential(*layers)


@dataclass
class JeanConfig:
    landmark_dim: int = LANDMARK_DIM
    feature_dim: int = FEATURE_DIM
    code: int = 64  # e_f, e_m, e_a, e_l, e_e
    hidden: tuple[int, ...] = (256, 256, 128)
    audio_width: int = 128
    audio_span: int = 1  # 16-mel-frame windows side by side per frame: 1 = 0.16 s, 2 = 0.32 s
    d_model: int = 128
    heads: int = 8
    layers: int = 3
    ff: int = 512
    dropout: float = 0.2
    window: int = WINDOW
    pool_expression: bool = True  # e_e = mean of the window's expression outputs
    tau: float = 0.1
    audio_negatives: int = 1
    extra: dict = field(default_factory=dict)


class LandmarkAE(nn.Module):
    """LE: landmarks → (e_f, e_m), two MLP heads; LD: (e_f, e_m) → landmarks."""

    def __init__(self, c: JeanConfig):
        super().__init__()
        h = list(c.hidden)
        self.norm = Standardise(c.landmark_dim)
        self.enc_f = mlp([c.landmark_dim, *h, c.code])
        self.enc_m = mlp([c.landmark_dim, *h, c.code])
        self.dec = mlp([2 * c.code, *h[::-1], c.landmark_dim])

    def encode(self, lm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.norm(lm)
        return self.enc_f(x), self.enc_m(x)

    def decode(self, e_f: torch.Tensor, e_m: torch.Tensor) -> torch.Tensor:
        """Standardised landmarks (compare with `self.norm(lm)`)."""
        return self.dec(torch.cat([e_f, e_m], -1))

    def forward(self, lm: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.encode(lm))


class AudioEncoder(nn.Module):
    """(B, 16·span, 80) log-mel window → (B, 64): conv1d stack over time (AD-NeRF-style) + FC.
    Each stride-2 layer halves the time axis until 2 steps are left (16 → 8 → 4 → 2 at span 1,
    the shipped checkpoint's layout)."""

    def __init__(self, c: JeanConfig):
        super().__init__()
        w = c.audio_width
        self.norm = Standardise(80)
        layers: list[nn.Module] = [nn.Conv1d(80, w, 3, padding=1), nn.LeakyReLU(0.02)]
        steps = 16 * c.audio_span
        if steps & (steps - 1):
            raise ValueError(f"audio_span must be a power of two, got {c.audio_span}")
        while steps > 2:
            layers += [nn.Conv1d(w, w, 3, stride=2, padding=1), nn.LeakyReLU(0.02)]
            steps //= 2
        self.conv = nn.Sequential(*layers)
        self.fc = mlp([2 * w, 128, c.code])

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.norm(mel).transpose(1, 2)
        return self.fc(self.conv(x).flatten(1))


def sinusoid(n: int, d: int) -> torch.Tensor:
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(n, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class _Stack(nn.Module):
    """Start token + frames + end token, sinusoidal positions, a transformer encoder stack."""

    def __init__(self, c: JeanConfig):
        super().__init__()
        self.start = nn.Parameter(torch.randn(c.d_model) * 0.02)
        self.end = nn.Parameter(torch.randn(c.d_model) * 0.02)
        self.register_buffer("pe", sinusoid(c.window + 2, c.d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(
            c.d_model, c.heads, c.ff, c.dropout, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, c.layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        tokens = torch.cat([self.start.expand(b, 1, d), x, self.end.expand(b, 1, d)], 1)
        return self.blocks(tokens + self.pe[: n + 2])[:, 1:-1]


class ExpressionTransformer(nn.Module):
    """EE: features (B, ω, 272) → lip codes (B, ω, 64), expression codes (B, ω, 64);
    ED: codes → features (standardised)."""

    def __init__(self, c: JeanConfig):
        super().__init__()
        self.c = c
        self.norm = Standardise(c.feature_dim)
        self.inp = mlp([c.feature_dim, 512, c.d_model])
        self.enc = _Stack(c)
        self.dec = _Stack(c)
        self.out = mlp([c.d_model, 512, c.feature_dim])

    def encode(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc(self.inp(self.norm(feats)))
        lip, expr = h[..., : self.c.code], h[..., self.c.code :]
        if self.c.pool_expression:
            expr = expr.mean(1, keepdim=True).expand_as(expr)
        return lip, expr

    def decode(self, lip: torch.Tensor, expr: torch.Tensor) -> torch.Tensor:
        return self.out(self.dec(torch.cat([lip, expr], -1)))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.encode(feats))


class Jean(nn.Module):
    """The three JEAN encoders in one module (one checkpoint)."""

    def __init__(self, config: JeanConfig | None = None):
        super().__init__()
        self.config = config = config or JeanConfig()
        self.lmae = LandmarkAE(config)
        self.audio = AudioEncoder(config)
        self.expr = ExpressionTransformer(config)

    # -- per-frame codes of whole clips (numpy in, numpy out) ------------------------------
    @torch.no_grad()
    def landmark_codes(self, lm_feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, 220) → e_f (T, 64), e_m (T, 64)."""
        e_f, e_m = self.lmae.encode(torch.as_tensor(np.asarray(lm_feats, np.float32)))
        return e_f.numpy(), e_m.numpy()

    @torch.no_grad()
    def audio_codes(self, mel_windows: np.ndarray) -> np.ndarray:
        """(T, 16, 80) log-mel windows (`studio.speech.frame_windows`) → (T, 64)."""
        return self.audio(torch.as_tensor(np.asarray(mel_windows, np.float32))).numpy()

    @torch.no_grad()
    def expression_codes(self, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, 272) expression features → lip codes (T, 64), expression codes (T, 64): frame t's
        codes are the (ω/2)-th outputs of the window around t."""
        x = torch.as_tensor(np.asarray(feats, np.float32)[frame_windows_idx(len(feats))])
        lips, exprs = [], []
        for i in range(0, len(x), 512):
            lip, expr = self.expr.encode(x[i : i + 512])
            lips.append(lip[:, WINDOW // 2])
            exprs.append(expr[:, WINDOW // 2])
        return torch.cat(lips).numpy(), torch.cat(exprs).numpy()

    @torch.no_grad()
    def decode_features(self, lip: np.ndarray, expr: np.ndarray) -> np.ndarray:
        """Lip code(s) + expression code(s) (N, 64) each → raw features (N, 272): each pair is
        held for a whole window (a still face) and the middle output is read."""
        lip = torch.as_tensor(np.atleast_2d(lip).astype(np.float32))
        expr = torch.as_tensor(np.atleast_2d(expr).astype(np.float32))
        lip, expr = torch.broadcast_tensors(lip, expr)
        w = self.config.window
        out = self.expr.decode(lip[:, None].expand(-1, w, -1), expr[:, None].expand(-1, w, -1))
        return self.expr.norm.inverse(out[:, w // 2]).numpy()

    def decode_blendshapes(self, lip: np.ndarray, expr: np.ndarray) -> np.ndarray:
        """(N, 52) blendshapes in [0, 1] decoded from lip + expression codes."""
        return np.clip(self.decode_features(lip, expr)[:, :N_BLENDSHAPES], 0.0, 1.0)


def config_dict(model: Jean) -> dict:
    return asdict(model.config)


def from_config(cfg: dict) -> Jean:
    cfg = dict(cfg)
    cfg["hidden"] = tuple(cfg.get("hidden", (256, 256, 128)))
    return Jean(JeanConfig(**cfg))


def load(name: str = NAME, directory=None) -> Jean:
    """The shipped JEAN encoders (loaded once per process); StudioError with the training
    command when the checkpoint is missing."""
    return load_model(name, from_config, None if directory is None else str(directory))[0]


def load_with_card(name: str = NAME, directory=None) -> tuple[Jean, dict]:
    return load_model(name, from_config, None if directory is None else str(directory))


def info_nce(anchor: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor, tau: float):
    """Eq. 2 of the paper, generalised to K negatives: anchor = frozen mouth code (B, D),
    positive audio code (B, D), negatives (B, K, D); d = cosine / τ. Returns (loss, accuracy)."""
    a = F.normalize(anchor, dim=-1)
    pos = (F.normalize(positive, dim=-1) * a).sum(-1, keepdim=True)
    neg = torch.einsum("bkd,bd->bk", F.normalize(negatives, dim=-1), a)
    logits = torch.cat([pos, neg], 1) / tau
    target = torch.zeros(len(a), dtype=torch.long, device=a.device)
    return F.cross_entropy(logits, target), (logits.argmax(1) == 0).float().mean()
