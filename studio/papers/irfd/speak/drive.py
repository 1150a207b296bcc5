"""SPEAK at inference: identity frame + audio + pose source + emotion source → frames.

    model = load_speak()                       # checkpoints/speak + the IRFD it was trained on
    frames = drive(model, identity_frame, audio, pose_frames, emotion_frames)

Every input is a 128² crop as IRFD makes them (one fixed box per source). The pose and emotion
sources are looped back and forth (no jump at the seam) or cut to the audio's length; their
codes are smoothed over time as in training (`data.py`), so the video does not flicker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from studio.errors import StudioError
from studio.nn.checkpoints import _dir, load_checkpoint, sha256_file
from studio.papers.irfd.codes import config_from_dict, encoder_fingerprint, load_irfd, to_uint8
from studio.papers.irfd.model import NAME as IRFD_NAME
from studio.papers.irfd.model import Irfd
from studio.papers.irfd.speak.data import audio_windows, driving_codes, identity_frame_codes
from studio.papers.irfd.speak.model import NAME, SpeakConfig, Talker
from studio.speech import SAMPLE_RATE, n_video_frames_for

BATCH = 32


@dataclass
class SpeakModel:
    talker: Talker
    irfd: Irfd


def talker_from_state(state: dict[str, torch.Tensor], irfd_config: dict, config: dict) -> Talker:
    c = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    talker = Talker(config_from_dict(irfd_config), SpeakConfig(**c))
    talker.load_state_dict({k: v.float() for k, v in state.items()})
    return talker.eval()


@lru_cache(maxsize=1)
def load_speak(directory: str | None = None) -> SpeakModel:
    """checkpoints/speak.* and the IRFD checkpoint it was trained with: the card names that
    file's sha256 and its encoders' fingerprint — SPEAK's codes mean nothing with other
    encoders; a new G_d over the same encoders is fine (SPEAK draws with its own G_g)."""
    state, card = load_checkpoint(NAME, directory)
    irfd_file = _dir(directory) / f"{IRFD_NAME}.safetensors"
    if irfd_file.exists() and not _same_encoders(irfd_file, card):
        raise StudioError(
            "checkpoints/speak was trained on another IRFD checkpoint than the one shipped now — "
            f"retrain it: {card['training']['trained_by']}"
        )
    return SpeakModel(
        talker_from_state(state, card["irfd_config"], card["config"]), load_irfd(directory)
    )


def _same_encoders(irfd_file: Path, card: dict) -> bool:
    if sha256_file(irfd_file) == card["irfd_sha256"]:
        return True
    fingerprint = card.get("irfd_encoders_sha256")
    return bool(fingerprint) and encoder_fingerprint(load_file(str(irfd_file))) == fingerprint


def load_speak_run(run: str | Path, irfd: Irfd) -> SpeakModel:
    """A training run's latest talker (`python -m studio.train speak --out RUN`)."""
    run = Path(run)
    state = load_file(str(run / "model.safetensors"))
    talker_state = {k[len("talker.") :]: v for k, v in state.items() if k.startswith("talker.")}
    config = json.loads((run / "speak_config.json").read_text())
    return SpeakModel(talker_from_state(talker_state, irfd.config.to_dict(), config), irfd)


def fit_length(frames: np.ndarray, n: int) -> np.ndarray:
    """`n` frames of a clip: cut, or played forward then backward until long enough."""
    if len(frames) == 0:
        raise StudioError("A pose or emotion source has no frames.")
    if len(frames) >= n:
        return frames[:n]
    cycle = np.concatenate([np.arange(len(frames)), np.arange(len(frames) - 2, 0, -1)])
    return frames[cycle[np.arange(n) % len(cycle)]]


@torch.no_grad()
def drive(
    model: SpeakModel,
    identity_frame: np.ndarray,
    audio: np.ndarray,
    pose_frames: np.ndarray,
    emotion_frames: np.ndarray | None = None,
    done: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(T, S, S, 3) uint8 frames at 25 fps covering 16 kHz `audio`."""
    size = model.irfd.config.size
    for what, x in (("identity frame", identity_frame[None]), ("pose source", pose_frames)):
        if x.ndim != 4 or x.shape[1:] != (size, size, 3):
            raise StudioError(f"SPEAK's {what} must be {size}² RGB crops, got {x.shape[1:]}")
    n = n_video_frames_for(len(audio) / SAMPLE_RATE)
    if model.talker.config.reference == "identity_frame":  # Table 4's w/o IRFD: sources unused
        identity, emotion, pose = identity_frame_codes(model.irfd, identity_frame, n)
    else:
        poses = fit_length(pose_frames, n)
        emotions = None if emotion_frames is None else fit_length(emotion_frames, n)
        identity, emotion, pose = driving_codes(model.irfd, identity_frame, poses, emotions)
    mel, _ = audio_windows(audio, n)
    return generate(model.talker, identity, emotion, pose, mel, done)


@torch.no_grad()
def generate(talker: Talker, identity, emotion, pose, mel, done=None) -> np.ndarray:
    """Frames from per-frame codes and audio windows (identity: one code for every frame)."""
    talker.eval()
    n = len(mel)
    out = []
    for i in range(0, n, BATCH):
        j = min(n, i + BATCH)
        rows = [
            torch.as_tensor(np.repeat(identity[None], j - i, 0)),
            torch.as_tensor(emotion[i:j]),
            torch.as_tensor(pose[i:j]),
        ]
        out.append(to_uint8(talker(torch.as_tensor(mel[i:j]), *rows)))
        if done is not None:
            done(j, n)
    return np.concatenate(out)
