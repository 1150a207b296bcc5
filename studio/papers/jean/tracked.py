"""JEAN's encoders for what a user's clip gives: the MediaPipe tracker's blendshapes and
landmarks, not the SynthTalk rig's ground truth.

Trained on the ground truth, JEAN reads tracked inputs as noise (held-out clips: 5-NN emotion
at chance, `python -m studio.bench jean-tracked`). This module holds copies of JEAN's
expression encoder and of its landmark autoencoder's two encoder heads (eye-nose, mouth), input
scaling refitted on tracked features, fine-tuned so that the tracker's read of a frame (window)
gives the codes JEAN gives the same frame's ground truth (distillation): user codes then live in
the shipped code space, beside the bank, the decoder and the NeRF that was conditioned on it.
The GT-only encoders stay the measured ablation.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from studio.face.tracker import track_frames
from studio.nn.checkpoints import checkpoint_exists, load_card, load_model
from studio.papers.jean.data import features_key
from studio.papers.jean.model import (
    WINDOW,
    ExpressionTransformer,
    Jean,
    JeanConfig,
    LandmarkAE,
    expression_features,
    frame_windows_idx,
    landmark_features,
)
from studio.papers.jean.model import load as load_jean
from studio.paths import CACHE, cache_key
from studio.synth.corpus import load_clip

NAME = "jean_tracked"
TRACKER_VERSION = 1  # part of the cache key: bump when the tracker's output changes
STEPS, BATCH, LR = 3000, 64, 3e-4  # 600 steps: 5-NN 0.87; 3,000: 0.92 (docs/JEAN.md)
LANDMARK_BATCH = 256  # the landmark heads are per-frame MLPs: as many steps take seconds


class TrackedEncoder(nn.Module):
    """JEAN's expression encoder path (scaling, input MLP, transformer stack) and its landmark
    autoencoder's encoder (scaling, eye-nose and mouth heads), without the decoders."""

    encode = ExpressionTransformer.encode  # the same path: norm → inp → enc → lip | expression

    def __init__(self, config: JeanConfig):
        super().__init__()
        full, landmarks = ExpressionTransformer(config), LandmarkAE(config)
        self.c = config
        self.norm, self.inp, self.enc = full.norm, full.inp, full.enc
        self.lm_norm, self.enc_f, self.enc_m = landmarks.norm, landmarks.enc_f, landmarks.enc_m

    def encode_landmarks(self, lm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 220) landmark features → eye-nose, mouth codes (B, 64) each."""
        x = self.lm_norm(lm)
        return self.enc_f(x), self.enc_m(x)

    @torch.no_grad()
    def landmark_codes(self, lm_feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, 220) tracked landmark features → eye-nose, mouth codes (T, 64) each."""
        e_f, e_m = self.encode_landmarks(torch.as_tensor(np.asarray(lm_feats, np.float32)))
        return e_f.numpy(), e_m.numpy()

    @torch.no_grad()
    def expression_codes(self, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, 272) tracked features of one clip → lip, expression codes (T, 64) each."""
        x = torch.as_tensor(np.asarray(feats, np.float32)[frame_windows_idx(len(feats))])
        lip, expr = self.encode(x)
        return lip[:, WINDOW // 2].numpy(), expr[:, WINDOW // 2].numpy()


def tracked_frame_features(
    blendshapes: np.ndarray, landmarks: np.ndarray, found: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The tracker's per-frame blendshapes (T, 52) and landmarks (T, 478, 3) → (T, 272) expression
    features (NaN rows where no face or no blendshapes) and (T,) whether the row is usable."""
    ok = np.asarray(found, bool) & np.isfinite(blendshapes).all(1)
    out = np.full((len(ok), 272), np.nan, np.float32)
    if ok.any():
        out[ok] = expression_features(blendshapes[ok], landmark_features(landmarks[ok]))
    return out, ok


def tracked_features(
    corpus: Path, data, name: str = "test", progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 272) expression features of the tracker's read of every frame of `data` (a split,
    in its frame order; `name` tells splits apart in the cache) and (N,) whether a face was
    found; tracked once and cached."""
    clips = [c["clip_id"] for c in data.clips]
    key = cache_key(features=features_key(corpus), split=name, clips=clips, tracker=TRACKER_VERSION)
    path = CACHE / "jean" / f"tracked_{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return z["features"], z["found"]
    feats, found = [], []
    for c in tqdm(data.clips, desc=f"tracking {name} clips", disable=not progress):
        clip = load_clip(corpus, c["clip_id"], frames=True)
        frames = clip.frames[: c["n"]]
        track = track_frames(iter(frames), fps=25.0)
        f, ok = tracked_frame_features(track.blendshapes, track.landmarks, track.found)
        feats.append(f)
        found.append(ok)
    out = np.concatenate(feats), np.concatenate(found)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    np.savez_compressed(tmp, features=out[0], found=out[1])
    tmp.replace(path)
    return out


def clip_windows(clips: list[dict]) -> np.ndarray:
    """(N, ω) frame indices of each frame's window, inside its own clip."""
    return np.concatenate([c["start"] + frame_windows_idx(c["n"]) for c in clips])


def train_tracked(
    jean: Jean,
    tracked: np.ndarray,
    found: np.ndarray,
    truth: np.ndarray,
    clips: list[dict],
    steps: int = STEPS,
    seed: int = 0,
    progress=None,
) -> tuple[TrackedEncoder, dict]:
    """Fine-tune a copy of `jean`'s expression encoder on tracked features (N, 272) so that
    each window's codes match JEAN's codes of the same window's ground truth (N, 272)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    enc = TrackedEncoder(jean.config)
    enc.inp.load_state_dict(copy.deepcopy(jean.expr.inp.state_dict()))
    enc.enc.load_state_dict(copy.deepcopy(jean.expr.enc.state_dict()))
    enc.norm.fit(tracked[found])
    windows = clip_windows(clips)
    usable = np.flatnonzero(found[windows].all(1))
    with torch.no_grad():
        lip_t, expr_t = [], []
        for i in range(0, len(windows), 512):
            lip, expr = jean.expr.encode(torch.as_tensor(truth[windows[i : i + 512]]))
            lip_t.append(lip[:, WINDOW // 2])
            expr_t.append(expr[:, WINDOW // 2])
        target_lip, target_expr = torch.cat(lip_t), torch.cat(expr_t)
    scale_lip, scale_expr = target_lip.std(), target_expr.std()
    opt = torch.optim.AdamW(enc.parameters(), lr=LR, weight_decay=1e-4)
    log, t0 = [], time.time()
    enc.train()
    for step in range(1, steps + 1):
        rows = rng.choice(usable, BATCH)
        x = torch.as_tensor(tracked[windows[rows]])
        lip, expr = enc.encode(x)
        loss = nn.functional.mse_loss(
            lip[:, WINDOW // 2] / scale_lip, target_lip[rows] / scale_lip
        ) + nn.functional.mse_loss(
            expr[:, WINDOW // 2] / scale_expr, target_expr[rows] / scale_expr
        )
        if _optimise(opt, loss, step, steps, log, t0) and progress:
            progress(step, steps, log[-1]["loss"])
    landmark_log = distil_landmarks(jean, enc, tracked[found], truth[found], steps, rng)
    enc.eval()
    return enc, {
        "steps": steps,
        "batch": BATCH,
        "lr": LR,
        "log": log,
        "frames": int(len(usable)),
        "landmark_steps": steps,
        "landmark_batch": LANDMARK_BATCH,
        "landmark_log": landmark_log,
    }


def distil_landmarks(
    jean: Jean, enc: TrackedEncoder, tracked: np.ndarray, truth: np.ndarray, steps: int, rng
) -> list[dict]:
    """Fine-tune `enc`'s copy of the landmark encoder on tracked frames (N, 272 features; the
    last 220 are the landmarks) so that their eye-nose and mouth codes match JEAN's codes of
    the same frames' ground truth; per frame, as the landmark autoencoder reads them."""
    dim = jean.config.landmark_dim
    keep = np.isfinite(tracked[:, -dim:]).all(1)
    lm_tracked = torch.as_tensor(tracked[keep, -dim:])
    enc.enc_f.load_state_dict(copy.deepcopy(jean.lmae.enc_f.state_dict()))
    enc.enc_m.load_state_dict(copy.deepcopy(jean.lmae.enc_m.state_dict()))
    enc.lm_norm.fit(lm_tracked.numpy())
    with torch.no_grad():
        target_f, target_m = jean.lmae.encode(torch.as_tensor(truth[keep, -dim:]))
    scale_f, scale_m = target_f.std(), target_m.std()
    params = [*enc.enc_f.parameters(), *enc.enc_m.parameters()]
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=1e-4)
    log, t0 = [], time.time()
    for step in range(1, steps + 1):
        rows = torch.as_tensor(rng.choice(len(lm_tracked), LANDMARK_BATCH))
        e_f, e_m = enc.encode_landmarks(lm_tracked[rows])
        loss = nn.functional.mse_loss(e_f / scale_f, target_f[rows] / scale_f) + (
            nn.functional.mse_loss(e_m / scale_m, target_m[rows] / scale_m)
        )
        _optimise(opt, loss, step, steps, log, t0)
    return log


def _optimise(opt, loss: torch.Tensor, step: int, steps: int, log: list[dict], t0: float) -> bool:
    """One optimiser step; the loss joins `log` every 50 steps and at the last (True then)."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 and step != steps:
        return False
    log.append({"step": step, "loss": float(loss.detach()), "seconds": round(time.time() - t0, 1)})
    return True


def _from_config(cfg: dict) -> TrackedEncoder:
    known = JeanConfig.__dataclass_fields__
    return TrackedEncoder(JeanConfig(**{k: v for k, v in cfg.items() if k in known}))


def load_tracked() -> TrackedEncoder | None:
    """The shipped tracked-input encoder, or None when it is not on disk."""
    return tracked_encoder_for(load_jean())


def tracked_encoder_for(model) -> TrackedEncoder | None:
    """The shipped tracked-input encoder when `model` is the shipped JEAN it was distilled
    from (a user's codes then land in that JEAN's code space); otherwise None."""
    if not checkpoint_exists(NAME) or not checkpoint_exists("jean"):
        return None
    encoder, card = load_model(NAME, _from_config)
    made_for = card.get("distilled_from", {}).get("sha256")
    if made_for != load_card("jean").get("sha256") or model is not load_jean():
        return None
    return encoder
