"""PSNR and SSIM against their closed forms and against scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from studio.errors import StudioError
from studio.eval.images import psnr, psnr_batch, ssim, ssim_batch


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """A smooth colour image with edges (64 x 80 x 3, uint8)."""
    y, x = np.mgrid[0:64, 0:80]
    r = 128 + 100 * np.sin(x / 7.0)
    g = 128 + 100 * np.cos(y / 5.0)
    b = np.where((x - 40) ** 2 + (y - 32) ** 2 < 300, 220, 30)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def _noisy(image: np.ndarray, scale: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, scale, image.shape), 0, 255).astype(np.uint8)


def test_identical_images(image: np.ndarray) -> None:
    assert psnr(image, image) == np.inf
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-12)


def test_psnr_matches_closed_form(image: np.ndarray) -> None:
    noisy = _noisy(image, 10.0, 0)
    mse = np.mean((image.astype(float) - noisy.astype(float)) ** 2)
    assert psnr(image, noisy) == pytest.approx(10 * np.log10(255.0**2 / mse), rel=1e-12)
    # A constant offset of 5 grey levels: MSE = 25 exactly.
    shifted = image.astype(float) + 5.0
    assert psnr(image, shifted) == pytest.approx(10 * np.log10(255.0**2 / 25.0), rel=1e-12)
    assert psnr(image / 255.0, shifted / 255.0, data_range=1.0) == pytest.approx(
        psnr(image, shifted), rel=1e-9
    )


def test_psnr_mask_only_counts_masked_pixels(image: np.ndarray) -> None:
    damaged = image.astype(float).copy()
    damaged[:, 40:] += 20.0  # only the right half differs
    left = np.zeros(image.shape[:2], bool)
    left[:, :40] = True
    right = ~left
    assert psnr(image, damaged, mask=left) == np.inf
    assert psnr(image, damaged, mask=right) == pytest.approx(10 * np.log10(255.0**2 / 400.0))
    with pytest.raises(StudioError):
        psnr(image, damaged, mask=np.zeros_like(left))


@pytest.mark.parametrize("scale", [5.0, 25.0, 60.0])
def test_ssim_matches_skimage(image: np.ndarray, scale: float) -> None:
    noisy = _noisy(image, scale, 1)
    reference = structural_similarity(
        image,
        noisy,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
        channel_axis=-1,
    )
    assert ssim(image, noisy) == pytest.approx(reference, abs=1e-3)
    assert ssim(image, noisy) < 1.0


def test_ssim_luminance_matches_skimage_on_grey(image: np.ndarray) -> None:
    noisy = _noisy(image, 20.0, 2)
    luma = np.array([0.299, 0.587, 0.114])
    reference = structural_similarity(
        image @ luma,
        noisy @ luma,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert ssim(image, noisy, luminance=True) == pytest.approx(reference, abs=1e-3)


def test_ssim_full_mask_equals_unmasked_and_mask_localises(image: np.ndarray) -> None:
    damaged = image.astype(float).copy()
    damaged[:, 50:] = _noisy(image, 40.0, 3)[:, 50:]
    full = np.ones(image.shape[:2], bool)
    assert ssim(image, damaged, mask=full) == pytest.approx(ssim(image, damaged), abs=1e-12)
    left = np.zeros_like(full)
    left[:, :30] = True  # far (> 5 px window radius) from the damage
    assert ssim(image, damaged, mask=left) == pytest.approx(1.0, abs=1e-9)
    right = ~left & (np.arange(80)[None, :] >= 50)
    assert ssim(image, damaged, mask=right) < 0.8


def test_batches_equal_per_frame_calls(image: np.ndarray) -> None:
    frames = np.stack([_noisy(image, s, i) for i, s in enumerate([3.0, 15.0, 40.0])])
    reference = np.stack([image] * 3)
    p = psnr_batch(reference, frames)
    s = ssim_batch(reference, frames)
    assert p.shape == s.shape == (3,)
    for t in range(3):
        assert p[t] == pytest.approx(psnr(image, frames[t]), rel=1e-12)
        assert s[t] == pytest.approx(ssim(image, frames[t]), abs=1e-12)
    assert np.all(np.diff(p) < 0) and np.all(np.diff(s) < 0)  # more noise, lower scores
