"""What drives the field per frame: JEAN's audio code and expression code, smoothed over time.

AD-NeRF and AE-NeRF smooth their per-frame audio features over a short window so the lips do
not jitter; we do the same with a Gaussian (σ in frames) on each code. The expression code moves
slowly (an emotion is held), so it gets a wider window than the audio code.
"""

from __future__ import annotations

import numpy as np

from studio.nn.checkpoints import checkpoint_exists, load_card
from studio.papers.jean.model import expression_features, landmark_features, load
from studio.papers.jean.tracked import NAME as TRACKED
from studio.papers.jean.tracked import tracked_encoder_for
from studio.paths import CACHE, cache_key
from studio.speech.features import frame_windows, log_mel

AUDIO_SMOOTH = 1.0  # frames (σ)
EXPRESSION_SMOOTH = 4.0


def smooth(codes: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along time (axis 0), edges repeated."""
    if sigma <= 0 or len(codes) < 2:
        return codes.astype(np.float32)
    radius = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.concatenate([codes[:1].repeat(radius, 0), codes, codes[-1:].repeat(radius, 0)])
    out = np.stack([np.convolve(padded[:, j], k, mode="valid") for j in range(codes.shape[1])], 1)
    return out.astype(np.float32)


def audio_codes(audio: np.ndarray, n_frames: int, model=None) -> np.ndarray:
    """(n_frames, 64) smoothed JEAN audio codes of 16 kHz mono audio."""
    model = model or load()
    windows = frame_windows(log_mel(np.asarray(audio, np.float32)), n_frames)
    return smooth(model.audio_codes(windows), AUDIO_SMOOTH)


def expression_codes(
    blendshapes: np.ndarray, landmarks: np.ndarray, model=None, tracked: bool = False
) -> np.ndarray:
    """(T, 64) smoothed JEAN expression codes from per-frame blendshapes and image landmarks;
    `tracked`: the tracker's read of a real clip, through the encoder distilled for it when it
    ships (docs/JEAN.md), so that the codes land where JEAN's own codes of such faces lie."""
    model = model or load()
    feats = expression_features(blendshapes, landmark_features(landmarks))
    encoder = (tracked_encoder_for(model) or model) if tracked else model
    _, expr = encoder.expression_codes(feats)
    return smooth(expr, EXPRESSION_SMOOTH)


def preset_codes(preset) -> dict[str, np.ndarray]:
    """The preset's per-frame codes ("audio", "expression"), cached by content."""
    key = cache_key(
        what="nerf-codes",
        preset=preset.manifest,
        audio=AUDIO_SMOOTH,
        expression=EXPRESSION_SMOOTH,
        jean=_jean_sha(),
        tracked_encoder=_tracked_sha() if preset.manifest.get("tracked") else "",
    )
    path = CACHE / "nerf" / f"codes-{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    model = load()
    n = len(preset["pose6"])
    out = {
        "audio": audio_codes(preset["audio"], n, model),
        "expression": expression_codes(
            preset["blendshapes"], preset["landmarks"], model, preset.manifest.get("tracked", False)
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def _jean_sha() -> str:
    return str(load_card("jean").get("sha256", ""))


def _tracked_sha() -> str:
    return str(load_card(TRACKED).get("sha256", "")) if checkpoint_exists(TRACKED) else ""
