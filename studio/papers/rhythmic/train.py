"""The recipe: the head-motion learner Φ as the paper trains it (MSE + the mean/std
discriminator, z-scored motion, noisy audio) on the head-motion set (`motion_set`: hundreds of
SynthTalk people), then the audio → mouth learner (L1) on the corpus's training clips.

A sample is a window of `WINDOW` frames of one clip to predict, and a reference window of the
same person from another of their clips (`REFERENCE` frames): SynthTalk clips last about two
seconds, so the paper's reference — the 64 frames before the prediction in one long video —
becomes another clip of the same speaker (a style is the person's, not the clip's).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from studio.data.frames import ClipFrames
from studio.errors import StudioError
from studio.nn.loop import Phase, TrainConfig, read_log, set_seed, train
from studio.papers.rhythmic.model import Rhythmic, RhythmicConfig

log = logging.getLogger(__name__)
WINDOW = 40  # frames predicted per sample (1.6 s)
REFERENCE = 40  # frames of the reference clip (τ)
SNR_DB = np.arange(6, 31, 3)  # the paper's noise augmentation: 6–30 dB in 3 dB steps
NOISE_P = 0.5  # share of samples whose audio gets noise
ADV_WEIGHT = 0.2  # the discriminator's weight beside the MSE in Φ's loss (measured: docs)
STEPS = {"motion": 2000, "mouth": 2000}
MOTION_LR = 1e-3
QUICK_STEPS = {"motion": 40, "mouth": 40}
BATCH = {"motion": 32, "mouth": 32}


def add_noise(mel: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    """Mix white noise into natural-log mel power windows (B, T, 16, 80) at per-sample SNRs
    (B,): noise power per band = the sample's mean power ÷ 10^(SNR/10) (the paper mixes noise
    into the waveform; our inputs are already log-mel)."""
    power = mel.float().exp()
    noise = power.mean(dim=(1, 2, 3), keepdim=True) / 10 ** (snr_db.view(-1, 1, 1, 1) / 10)
    jitter = torch.rand_like(power) * 2  # white noise's band power fluctuates around its mean
    return torch.log(power + noise * jitter)


def _windows_of(data: ClipFrames, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Clips long enough for `length` frames, and their identities."""
    lens = np.array([c["n"] for c in data.clips])
    ok = np.flatnonzero(lens >= length)
    if len(ok) == 0:
        raise StudioError(f"no clip has {length} frames: the corpus is too short to train on")
    return ok, np.array([data.clips[i]["identity_id"] for i in ok])


def sample_window(data: ClipFrames, clip: int, length: int, rng) -> np.ndarray:
    """Frame indices of a random `length`-frame window of `clip`."""
    c = data.clips[clip]
    start = c["start"] + int(rng.integers(0, c["n"] - length + 1))
    return np.arange(start, start + length)


def motion_batches(data: ClipFrames, batch_size: int, noise: bool = True):
    """Batches of (reference motion + audio, driving audio, target motion), z-scoring left to
    the model (its pose_norm)."""
    clips, idents = _windows_of(data, max(WINDOW, REFERENCE))
    by_person = {int(p): clips[idents == p] for p in np.unique(idents)}

    def get_batch(step, rng, rank, world):
        b = batch_size // world
        target = rng.choice(clips, b)
        ref = np.array(
            [_other(by_person[data.clips[t]["identity_id"]], t, rng) for t in target], np.int64
        )
        ti = np.stack([sample_window(data, t, WINDOW, rng) for t in target])
        ri = np.stack([sample_window(data, r, REFERENCE, rng) for r in ref])
        mel, ref_mel = torch.as_tensor(data["mel"][ti]), torch.as_tensor(data["mel"][ri])
        if noise:
            noisy = torch.as_tensor(rng.random(b) < NOISE_P)
            snr = torch.as_tensor(rng.choice(SNR_DB, b), dtype=torch.float32)
            mel = torch.where(noisy.view(-1, 1, 1, 1), add_noise(mel, snr), mel.float())
            ref_mel = torch.where(noisy.view(-1, 1, 1, 1), add_noise(ref_mel, snr), ref_mel.float())
        return {
            "mel": mel.float(),
            "ref_mel": ref_mel.float(),
            "pose": torch.as_tensor(data["pose6"][ti]),
            "ref_pose": torch.as_tensor(data["pose6"][ri]),
        }

    return get_batch


def _other(pool: np.ndarray, clip: int, rng) -> int:
    """Another clip of the same person (the clip itself when it is their only one)."""
    others = pool[pool != clip]
    return int(rng.choice(others)) if len(others) else int(clip)


def _fake(nets, batch) -> tuple[torch.Tensor, torch.Tensor]:
    g = nets["G"]
    norm = g.module.pose_norm if hasattr(g, "module") else g.pose_norm
    fake = g(norm(batch["ref_pose"]), batch["ref_mel"], batch["mel"])
    return fake, norm(batch["pose"])


def d_loss(nets, batch) -> dict[str, torch.Tensor]:
    """The discriminator's: real motions score high, generated ones low (non-saturating)."""
    fake, real = _fake(nets, batch)
    loss = F.softplus(-nets["D"](real)).mean() + F.softplus(nets["D"](fake.detach())).mean()
    return {"loss": loss}


def g_loss(nets, batch) -> dict[str, torch.Tensor]:
    """Φ's: MSE to the true motion (z-scored) + ADV_WEIGHT × fooling the discriminator."""
    fake, real = _fake(nets, batch)
    mse = F.mse_loss(fake, real)
    adv = F.softplus(-nets["D"](fake)).mean()
    return {"loss": mse + ADV_WEIGHT * adv, "mse": mse, "adv": adv}


def mouth_batches(data: ClipFrames, batch_size: int, jean_codes: np.ndarray | None = None):
    """Windows of audio (mel windows, or per-frame JEAN audio codes) and their mouth tracks."""
    clips, _ = _windows_of(data, WINDOW)

    def get_batch(step, rng, rank, world):
        b = batch_size // world
        idx = np.stack([sample_window(data, c, WINDOW, rng) for c in rng.choice(clips, b)])
        audio = data["mel"][idx] if jean_codes is None else jean_codes[idx]
        return {
            "audio": torch.as_tensor(audio).float(),
            "mouth": torch.as_tensor(data["mouth"][idx]),
        }

    return get_batch


def mouth_loss(mouth, batch) -> dict[str, torch.Tensor]:
    return {"loss": F.l1_loss(mouth(batch["audio"]), batch["mouth"])}


def stage_config(steps: int, batch_size: int, lr: float, seed: int, out_dir) -> TrainConfig:
    return TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight_decay=2e-5,  # the paper's code
        seed=seed,
        warmup=min(100, max(1, steps // 10)),
        log_every=max(1, min(50, steps // 20)),
        ckpt_every=max(200, steps // 4),
        out_dir=str(out_dir),
    )


def prepare(model: Rhythmic, motion_data: ClipFrames, mouth_data: ClipFrames) -> None:
    """Fit the input and motion standardisations on training frames."""
    mel = motion_data["mel"][::7].astype(np.float32).reshape(-1, 80)
    centred = mel - mel.mean(0) if model.config.centre_audio else mel  # ≈ per-sequence centring
    model.motion.extrapolator.audio.norm.fit(centred)
    if model.config.reference:
        model.motion.reference.audio.norm.fit(centred)
    if model.config.audio_input == "mel":
        model.mouth.audio.norm.fit(mouth_data["mel"][::7].astype(np.float32).reshape(-1, 80))
    model.motion.pose_norm.fit(motion_data["pose6"])


def train_rhythmic(
    motion_data: ClipFrames,
    mouth_data: ClipFrames,
    out_dir: str | Path = "runs/rhythmic",
    steps: dict | None = None,
    seed: int = 0,
    config: RhythmicConfig | None = None,
    jean_codes: np.ndarray | None = None,
    resume: bool = False,
    progress=None,
    stages: tuple[str, ...] = ("motion", "mouth"),
) -> tuple[Rhythmic, dict]:
    """Train Φ with its discriminator (phases D then G each step) on `motion_data`, then the
    mouth learner on `mouth_data`. `jean_codes` (N, 64): mouth_data's JEAN audio codes when
    config.audio_input is "jean". Returns (model, report of each stage's steps, seconds and
    last losses)."""
    steps = {**STEPS, **(steps or {})}
    set_seed(seed)
    model = Rhythmic(config or RhythmicConfig())
    if model.config.audio_input == "jean" and jean_codes is None:
        raise StudioError("audio_input 'jean' needs the training frames' JEAN audio codes")
    prepare(model, motion_data, mouth_data)
    if model.config.audio_input == "jean":
        model.mouth.code_norm.fit(jean_codes)
    out_dir = Path(out_dir)
    report: dict = {}
    if "motion" in stages:
        c = stage_config(steps["motion"], BATCH["motion"], MOTION_LR, seed, out_dir / "motion")
        phases = [
            Phase("D", model.disc, d_loss, betas=(0.5, 0.999)),
            Phase("G", model.motion, g_loss, betas=(0.5, 0.999)),
        ]
        train(
            model,
            None,
            motion_batches(motion_data, c.batch_size),
            c,
            resume=resume,
            progress=progress,
            phases=phases,
        )
        report["motion"] = _stage_record(c)
    if "mouth" in stages:
        c = stage_config(steps["mouth"], BATCH["mouth"], 1e-3, seed, out_dir / "mouth")
        batches = mouth_batches(mouth_data, c.batch_size, jean_codes)
        train(model.mouth, mouth_loss, batches, c, resume=resume, progress=progress)
        report["mouth"] = _stage_record(c)
    model.eval()
    return model, report


def _stage_record(c: TrainConfig) -> dict:
    rows = read_log(Path(c.out_dir) / "log.jsonl")
    last = rows[-1] if rows else {}
    return {
        "steps": c.steps,
        "batch_size": c.batch_size,
        "lr": c.lr,
        "seconds": last.get("seconds"),
        "final": {k: v for k, v in last.items() if k not in ("step", "seconds") and "lr" not in k},
    }
