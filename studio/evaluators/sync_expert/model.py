"""Sync expert: a small SyncNet (Chung & Zisserman 2016) trained on SynthTalk.

Video stream: 5 consecutive grayscale mouth crops (5, 32, 48) → 128-D. Audio stream: the
matching 0.2 s of log-mel (20 mel frames × 80) → 128-D. Both L2-normalised and compared by
Euclidean distance, so syncnet_python's LSE-D / LSE-C (`studio.eval.sync.sync_scores`) apply.
The per-frame embedding of video frame t uses frames t−2 … t+2 and mel frames 4t−8 … 4t+11
(edge padding at the clip's ends).

These LSE numbers come from *our* expert on synthetic faces: they are NOT comparable with the
SyncNet LSE-D / LSE-C values printed in papers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from studio.errors import StudioError
from studio.eval.sync import SyncResult, sync_scores
from studio.face.crop import MOUTH_H, MOUTH_W, mouth_crop
from studio.nn.checkpoints import load_checkpoint
from studio.speech.features import log_mel

NAME = "sync_expert"
N_FRAMES = 5  # video frames per window
MEL_PER_FRAME = 4
N_MEL = N_FRAMES * MEL_PER_FRAME  # 20 mel frames = 0.2 s
SAMPLES_PER_FRAME = 640  # 16 kHz / 25 fps


@dataclass
class SyncExpertConfig:
    dim: int = 128
    video_widths: tuple[int, ...] = (32, 64, 128, 128)
    audio_width: int = 128


class SyncExpert(nn.Module):
    def __init__(self, config: SyncExpertConfig | None = None):
        super().__init__()
        self.config = config = config or SyncExpertConfig()
        layers: list[nn.Module] = [nn.BatchNorm2d(N_FRAMES)]
        c = N_FRAMES
        for w in config.video_widths:
            layers += [
                nn.Conv2d(c, w, 3, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2) if w != config.video_widths[-1] else nn.Identity(),
            ]
            c = w
        self.video = nn.Sequential(*layers)
        self.video_fc = nn.Linear(c * 2 * 3, config.dim)  # 32×48 / 8 = 4×6 → pooled to 2×3
        a = config.audio_width
        self.audio = nn.Sequential(
            nn.BatchNorm1d(80),
            nn.Conv1d(80, a, 3, padding=1, bias=False),
            nn.BatchNorm1d(a),
            nn.ReLU(inplace=True),
            nn.Conv1d(a, a, 3, stride=2, padding=1, bias=False),  # 20 → 10
            nn.BatchNorm1d(a),
            nn.ReLU(inplace=True),
            nn.Conv1d(a, a, 3, stride=2, padding=1, bias=False),  # 10 → 5
            nn.BatchNorm1d(a),
            nn.ReLU(inplace=True),
        )
        self.audio_fc = nn.Linear(a * 5, config.dim)

    def forward(self, mouths: torch.Tensor, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both embeddings (DDP needs one forward that touches every parameter)."""
        return self.embed_video(mouths), self.embed_audio(mel)

    def embed_video(self, mouths: torch.Tensor) -> torch.Tensor:
        """(B, 5, 32, 48) uint8 or float in [0, 255] → (B, dim) unit vectors."""
        x = self.video(mouths.float() / 255.0)
        x = F.adaptive_avg_pool2d(x, (2, 3)).flatten(1)
        return F.normalize(self.video_fc(x), dim=1)

    def embed_audio(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, 20, 80) log-mel → (B, dim) unit vectors."""
        x = self.audio(mel.float().transpose(1, 2)).flatten(1)
        return F.normalize(self.audio_fc(x), dim=1)


# ----------------------------------------------------------------------------- windows
def video_windows(mouth: np.ndarray) -> np.ndarray:
    """(T, 32, 48) → (T, 5, 32, 48): frames t−2 … t+2 around every frame (edge padded)."""
    t = np.arange(len(mouth))[:, None] + np.arange(N_FRAMES)[None, :] - N_FRAMES // 2
    return mouth[np.clip(t, 0, len(mouth) - 1)]


def mel_windows(mel: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_mel, 80) → (n_frames, 20, 80): mel frames 4t − 8 … 4t + 11 for video frame t."""
    start = MEL_PER_FRAME * (np.arange(n_frames) - N_FRAMES // 2)
    idx = start[:, None] + np.arange(N_MEL)[None, :]
    return mel[np.clip(idx, 0, len(mel) - 1)]


def shift_audio(audio: np.ndarray, k: int) -> np.ndarray:
    """Audio moved k video frames *earlier* (k > 0: the sound leads the lips by k frames, so
    `sync_scores` should report offset +k); zeros fill the gap, the length is kept."""
    n = k * SAMPLES_PER_FRAME
    out = np.zeros_like(audio)
    if n >= 0:
        out[: len(audio) - n] = audio[n:]
    else:
        out[-n:] = audio[: len(audio) + n]
    return out


# ----------------------------------------------------------------------------- inference
def load(name: str = NAME, directory=None, device: str = "cpu") -> SyncExpert:
    state, card = load_checkpoint(name, directory)
    cfg = card["config"]
    model = SyncExpert(
        SyncExpertConfig(
            dim=cfg["dim"],
            video_widths=tuple(cfg["video_widths"]),
            audio_width=cfg["audio_width"],
        )
    )
    model.load_state_dict(state)
    return model.to(device).eval()


def config_dict(model: SyncExpert) -> dict:
    return asdict(model.config)


@torch.no_grad()
def clip_embeddings(
    model: SyncExpert, mouth: np.ndarray, mel: np.ndarray, batch: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame (T, dim) video and audio embeddings of one clip."""
    model.eval()
    vw, aw = video_windows(mouth), mel_windows(mel, len(mouth))
    dev = next(model.parameters()).device
    v = [
        model.embed_video(torch.as_tensor(vw[i : i + batch], device=dev))
        for i in range(0, len(vw), batch)
    ]
    a = [
        model.embed_audio(torch.as_tensor(aw[i : i + batch], device=dev))
        for i in range(0, len(aw), batch)
    ]
    return torch.cat(v).cpu().numpy(), torch.cat(a).cpu().numpy()


@torch.no_grad()
def audio_embeddings(model: SyncExpert, mel: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, dim) audio embeddings of a log-mel, one per video frame."""
    model.eval()
    dev = next(model.parameters()).device
    return model.embed_audio(torch.as_tensor(mel_windows(mel, n_frames), device=dev)).cpu().numpy()


def lse(
    frames_or_mouths: np.ndarray,
    audio: np.ndarray,
    model: SyncExpert | None = None,
    landmarks: np.ndarray | None = None,
    fps: float = 25.0,
    vshift: int = 15,
) -> SyncResult:
    """LSE-D / LSE-C / offset of a talking-face clip against 16 kHz audio.

    frames_or_mouths: (T, H, W, 3) uint8 RGB frames (landmarks (T, 478, 3) given, or tracked
    with MediaPipe) or (T, 32, 48) mouth crops. The video must be 25 fps.
    """
    if abs(fps - 25.0) > 1e-3:
        raise StudioError(f"the sync expert needs 25 fps video, got {fps} — resample it first")
    x = np.asarray(frames_or_mouths)
    if x.ndim == 4:
        if landmarks is None:
            from studio.face.tracker import track_frames

            track = track_frames(list(x), fps)
            if not track.found.any():
                raise StudioError(
                    "No face found in the clip — the sync expert needs a visible mouth"
                )
            landmarks = _fill_missing(track.landmarks, track.found)
        mouths = np.stack([mouth_crop(f, lm) for f, lm in zip(x, landmarks, strict=True)])
    elif x.ndim == 3 and x.shape[1:] == (MOUTH_H, MOUTH_W):
        mouths = x
    else:
        raise StudioError(f"expected (T, H, W, 3) frames or (T, 32, 48) mouth crops, got {x.shape}")
    model = model if model is not None else load()
    v, a = clip_embeddings(model, mouths, log_mel(np.asarray(audio, np.float32)))
    return sync_scores(v, a, vshift=vshift)


def _fill_missing(landmarks: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Frames without a face reuse the nearest tracked frame's landmarks."""
    good = np.flatnonzero(found)
    nearest = good[np.abs(np.arange(len(found))[:, None] - good[None, :]).argmin(1)]
    return landmarks[nearest]


def shift_mel(mel: np.ndarray, k: int) -> np.ndarray:
    """The log-mel of `shift_audio(audio, k)` up to edge effects: mel frames moved 4k earlier,
    the gap filled with the clip's quietest frame (silence)."""
    n = MEL_PER_FRAME * k
    floor = mel[np.argmin(mel.mean(1))]
    out = np.repeat(floor[None], len(mel), 0)
    if n >= 0:
        out[: len(mel) - n] = mel[n:]
    else:
        out[-n:] = mel[: len(mel) + n]
    return out
