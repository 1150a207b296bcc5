"""Images: every layout and depth becomes (H, W, 3) uint8 RGB; bad files give StudioError."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.errors import StudioError
from studio.media import fit_within, read_image, to_rgb_uint8, write_image


@pytest.fixture()
def rgb() -> np.ndarray:
    """A 40×56 image with distinct R, G, B ramps, so a channel swap or flip shows."""
    y, x = np.mgrid[0:40, 0:56]
    return np.stack([x * 4, y * 6, 255 - x * 4], axis=-1).astype(np.uint8)


def _write_bgr(path: Path, array: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), array)
    return path


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff", ".webp"])
def test_rgb_round_trip_lossless(tmp_path: Path, rgb: np.ndarray, suffix: str) -> None:
    if suffix == ".webp":
        path = tmp_path / "a.webp"
        ok, buf = cv2.imencode(
            ".webp", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_WEBP_QUALITY, 101]
        )  # >100 = lossless
        path.write_bytes(buf.tobytes())
    else:
        path = write_image(tmp_path / f"a{suffix}", rgb)
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (40, 56, 3)
    np.testing.assert_array_equal(out, rgb)


def test_jpeg_is_rgb_not_bgr(tmp_path: Path, rgb: np.ndarray) -> None:
    out = read_image(write_image(tmp_path / "a.jpg", rgb))
    assert np.abs(out.astype(int) - rgb).mean() < 4


def test_jpeg_exif_orientation_is_applied(tmp_path: Path, rgb: np.ndarray) -> None:
    """A phone photo stored sideways with EXIF orientation 6 must come out upright."""
    pil = pytest.importorskip("PIL.Image")
    exif = pil.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "phone.jpg"
    pil.fromarray(rgb).save(path, quality=95, exif=exif)
    out = read_image(path)
    assert out.shape == (56, 40, 3)
    expected = np.rot90(rgb, k=-1)
    assert np.abs(out.astype(int) - expected).mean() < 4


def test_grayscale_becomes_three_equal_channels(tmp_path: Path, rgb: np.ndarray) -> None:
    gray = rgb[:, :, 1]
    out = read_image(_write_bgr(tmp_path / "g.png", gray))
    assert out.shape == (40, 56, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_rgba_is_composited_over_white(tmp_path: Path, rgb: np.ndarray) -> None:
    alpha = np.zeros((40, 56), np.uint8)
    alpha[:, :28] = 255  # left half opaque, right half fully transparent
    alpha[:, 28:30] = 128  # a half-transparent stripe
    bgra = np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), alpha])
    out = read_image(_write_bgr(tmp_path / "t.png", bgra))
    np.testing.assert_array_equal(out[:, :28], rgb[:, :28])
    assert (out[:, 30:] == 255).all()
    half = rgb[:, 28:30].astype(float) * 128 / 255 + 255 * 127 / 255
    assert np.abs(out[:, 28:30] - half).max() <= 1


def test_gray_alpha_array(rgb: np.ndarray) -> None:
    la = np.dstack([rgb[:, :, 0], np.zeros((40, 56), np.uint8)])
    assert (to_rgb_uint8(la) == 255).all()  # fully transparent -> white


def test_16bit_png_is_scaled_by_257(tmp_path: Path, rgb: np.ndarray) -> None:
    deep = rgb.astype(np.uint16) * 257
    deep[0, 0] = (128, 65535, 0)  # 128 / 257 rounds to 0
    out = read_image(_write_bgr(tmp_path / "d.png", cv2.cvtColor(deep, cv2.COLOR_RGB2BGR)))
    expected = rgb.copy()
    expected[0, 0] = (0, 255, 0)
    np.testing.assert_array_equal(out, expected)


def test_16bit_gray_and_rgba(tmp_path: Path) -> None:
    gray = np.full((8, 8), 40000, np.uint16)
    out = read_image(_write_bgr(tmp_path / "g16.png", gray))
    assert (out == round(40000 / 257)).all()
    rgba = np.zeros((8, 8, 4), np.uint16)
    rgba[..., 3] = 0  # transparent
    assert (read_image(_write_bgr(tmp_path / "a16.png", rgba)) == 255).all()


def test_float_arrays() -> None:
    unit = np.full((4, 4, 3), 0.5, np.float32)
    assert (to_rgb_uint8(unit) == 128).all()
    wide = np.full((4, 4), 200.0, np.float64)  # floats above 1 are taken as 0-255
    assert (to_rgb_uint8(wide) == 200).all()
    nan = np.full((2, 2, 3), np.nan, np.float32)
    assert (to_rgb_uint8(nan) == 0).all()


def test_float_tiff(tmp_path: Path) -> None:
    f = np.zeros((6, 6, 3), np.float32)
    f[..., 2] = 1.0  # BGR: red
    out = read_image(_write_bgr(tmp_path / "f.tiff", f))
    assert out.dtype == np.uint8
    assert (out[..., 0] == 255).all() and (out[..., 1:] == 0).all()


def test_bad_array_shape_is_refused() -> None:
    with pytest.raises(StudioError, match="shape"):
        to_rgb_uint8(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(StudioError):
        to_rgb_uint8(np.zeros((0, 4, 3), np.uint8))


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("noise.png", np.random.default_rng(0).bytes(4096), "damaged"),
        ("empty.png", b"", "empty"),
        ("notes.png", b"these are my notes, not a picture\n" * 10, "damaged"),
        ("half.jpg", None, "damaged"),
    ],
    ids=["random-bytes", "empty", "text-as-png", "truncated-jpeg"],
)
def test_bad_files_name_the_file(
    tmp_path: Path, rgb: np.ndarray, name: str, content: bytes | None, reason: str
) -> None:
    if content is None:  # a JPEG cut in half, as an interrupted download leaves it
        ok, buf = cv2.imencode(".jpg", cv2.resize(rgb, (400, 300)))
        content = buf.tobytes()[: len(buf) // 2]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(StudioError, match=reason) as info:
        read_image(path)
    assert name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StudioError, match="does not exist") as info:
        read_image(tmp_path / "nowhere.png")
    assert "nowhere.png" in str(info.value)


def test_huge_image_refused(tmp_path: Path, rgb: np.ndarray) -> None:
    path = write_image(tmp_path / "big.png", rgb)
    with pytest.raises(StudioError, match=r"56×40 pixels.*0\.002 megapixels.*downscale"):
        read_image(path, max_pixels=2000)
    assert read_image(path, max_pixels=56 * 40).shape == (40, 56, 3)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
def test_huge_image_refused_from_header(
    tmp_path: Path, rgb: np.ndarray, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oversized files are refused from their header, before decoding allocates the pixels."""
    path = write_image(tmp_path / f"big{suffix}", rgb)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded an image that its header already showed to be too big")

    monkeypatch.setattr(cv2, "imdecode", no_decode)
    with pytest.raises(StudioError, match="56×40 pixels"):
        read_image(path, max_pixels=2000)


def test_fit_within(rgb: np.ndarray) -> None:
    assert fit_within(rgb, 100) is rgb  # never upscales, no copy
    small = fit_within(rgb, 28)
    assert small.shape == (20, 28, 3) and small.dtype == np.uint8
    # area averaging keeps the mean colour of a smooth ramp
    assert np.abs(small.mean(axis=(0, 1)) - rgb.mean(axis=(0, 1))).max() < 2


def test_write_image_refuses_unknown_suffix(tmp_path: Path, rgb: np.ndarray) -> None:
    with pytest.raises(StudioError, match="out.xyz"):
        write_image(tmp_path / "out.xyz", rgb)
