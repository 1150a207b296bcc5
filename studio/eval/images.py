"""Image fidelity: PSNR and SSIM, whole-frame or inside a mask (DESIGN §7 "Images").

Images are (H, W) or (H, W, C) arrays on a 0..data_range scale (uint8 frames: 255); batches
are (T, H, W, C). A mask is (H, W) (or (T, H, W) for batches), True / non-zero where pixels
count, e.g. a face or mouth crop.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from studio.errors import StudioError

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # radius int(3.5 * 1.5 + 0.5) = 5 -> the 11 x 11 window of Wang et al.
SSIM_RADIUS = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
SSIM_K1, SSIM_K2 = 0.01, 0.03
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as Wang et al.'s reference code


def _pair(a: np.ndarray, b: np.ndarray, batched: bool) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise StudioError(f"images differ in shape: {a.shape} vs {b.shape}")
    if batched:
        a = a[..., None] if a.ndim == 3 else a
        b = b[..., None] if b.ndim == 3 else b
        if a.ndim != 4:
            raise StudioError(f"expected a (T, H, W[, C]) batch, got shape {a.shape}")
    else:
        a = a[..., None] if a.ndim == 2 else a
        b = b[..., None] if b.ndim == 2 else b
        if a.ndim != 3:
            raise StudioError(f"expected an (H, W[, C]) image, got shape {a.shape}")
    return a, b


def _batch_mask(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """(T, H, W) bool mask for a (T, H, W, C) batch, from (H, W) or (T, H, W)."""
    if mask is None:
        return None
    mask = np.asarray(mask).astype(bool)
    t, h, w = shape[:3]
    if mask.shape == (h, w):
        mask = np.broadcast_to(mask, (t, h, w))
    if mask.shape != (t, h, w):
        raise StudioError(f"mask must be ({h}, {w}) or ({t}, {h}, {w}), got {mask.shape}")
    return mask


# ---------------------------------------------------------------------------------------------
# PSNR


def psnr_batch(
    a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, data_range: float = 255.0
) -> np.ndarray:
    """(T,) PSNR in dB per frame of two (T, H, W[, C]) batches; see `psnr`."""
    a, b = _pair(a, b, batched=True)
    mask = _batch_mask(mask, a.shape)
    sq = ((a - b) ** 2).mean(axis=-1)  # (T, H, W): mean over channels
    if mask is None:
        mse = sq.mean(axis=(1, 2))
    else:
        count = mask.sum(axis=(1, 2))
        if np.any(count == 0):
            raise StudioError("the mask is empty in at least one frame — nothing to compare")
        mse = (sq * mask).sum(axis=(1, 2)) / count
    with np.errstate(divide="ignore"):
        return np.where(mse > 0, 10.0 * np.log10(data_range**2 / np.maximum(mse, 1e-300)), np.inf)


def psnr(
    a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, data_range: float = 255.0
) -> float:
    """Peak signal-to-noise ratio in dB: 10 · log10(data_range² / MSE).

    MSE is the mean squared difference over all pixels and channels, or over the pixels where
    `mask` (H, W) is true (every channel of them). Identical images give +inf (no cap): average
    finite values, or report the inf, rather than hide it behind an arbitrary ceiling.
    """
    a, b = _pair(a, b, batched=False)
    batch_mask = None if mask is None else np.asarray(mask)[None]
    return float(psnr_batch(a[None], b[None], batch_mask, data_range)[0])


# ---------------------------------------------------------------------------------------------
# SSIM


def ssim_map(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> np.ndarray:
    """(T, H, W, C) SSIM at every pixel of two (T, H, W, C) float batches.

    Local statistics come from a Gaussian window (σ = 1.5, 11 × 11) applied per frame and per
    channel with reflected borders; variances are the window-weighted population variances.
    """
    sigma = (0.0, SSIM_SIGMA, SSIM_SIGMA, 0.0)

    def blur(x: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(x, sigma=sigma, truncate=SSIM_TRUNCATE, mode="reflect")

    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    return ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )


def ssim_batch(
    a: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray | None = None,
    data_range: float = 255.0,
    luminance: bool = False,
) -> np.ndarray:
    """(T,) SSIM per frame of two (T, H, W[, C]) batches; see `ssim`."""
    a, b = _pair(a, b, batched=True)
    if luminance and a.shape[-1] == 3:
        a, b = a @ LUMA, b @ LUMA
        a, b = a[..., None], b[..., None]
    t, h, w, _ = a.shape
    r = SSIM_RADIUS
    if h <= 2 * r or w <= 2 * r:
        raise StudioError(f"images must be larger than {2 * r + 1} px for SSIM, got {h} x {w}")
    smap = ssim_map(a, b, data_range).mean(axis=-1)  # (T, H, W): channels averaged
    valid = np.zeros((t, h, w), dtype=bool)
    valid[:, r : h - r, r : w - r] = True  # skimage drops the border the window overhangs
    mask = _batch_mask(mask, a.shape)
    if mask is not None:
        valid &= mask
    count = valid.sum(axis=(1, 2))
    if np.any(count == 0):
        raise StudioError("the mask holds no pixel away from the image border in some frame")
    return (smap * valid).sum(axis=(1, 2)) / count


def ssim(
    a: np.ndarray,
    b: np.ndarray,
    mask: np.ndarray | None = None,
    data_range: float = 255.0,
    luminance: bool = False,
) -> float:
    """Structural similarity (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004).

    SSIM = (2 μa μb + C1)(2 σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2)), C1 = (0.01 L)²,
    C2 = (0.03 L)², L = data_range, with local statistics under an 11 × 11 Gaussian window
    (σ = 1.5). Colour images are scored per channel and the per-pixel maps averaged over
    channels (as skimage's `structural_similarity(..., channel_axis=-1)`); `luminance=True`
    scores the BT.601 luma instead, as Wang et al.'s grey-scale original. The map is averaged
    over pixels at least 5 px from the border (matching skimage with `gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False`), and over `mask` (H, W) when one is given.
    """
    a, b = _pair(a, b, batched=False)
    batch_mask = None if mask is None else np.asarray(mask)[None]
    return float(ssim_batch(a[None], b[None], batch_mask, data_range, luminance)[0])
