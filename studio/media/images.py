"""Reading and writing still images as (H, W, 3) uint8 RGB.

Everything downstream (trackers, models, the UI) assumes 8-bit RGB, so every input — grayscale,
RGBA, 16-bit, float, files or in-memory arrays — is normalised here, once.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.media.files import check_input_file
from studio.media.limits import MAX_IMAGE_PIXELS

log = logging.getLogger(__name__)

IMAGE_FORMATS = "PNG, JPEG, WebP, BMP or TIFF"
WRITE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of PNG/JPEG/BMP/WebP bytes, or None if unknown.

    Lets a 300-megapixel file be refused before decoding allocates a gigabyte for it.
    """
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:2] == b"BM" and len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    return None
                marker = data[i + 1]
                if marker == 0xFF:  # fill byte
                    i += 1
                    continue
                length = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


def _check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise StudioError(
            f"'{name}' is {width}×{height} pixels; the studio accepts up to "
            f"{max_pixels / 1e6:g} megapixels — downscale it first."
        )


def read_image(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB; transparency is composited over white.

    Raises StudioError (naming the file) for missing, empty, corrupt, truncated, non-image or
    oversized files.
    """
    path = check_input_file(path, "image")
    name = path.name
    data = path.read_bytes()
    size = _header_size(data)
    if size is not None:
        _check_pixels(name, *size, max_pixels)
    buf = np.frombuffer(data, dtype=np.uint8)
    # JPEG is always 8-bit without alpha; IMREAD_COLOR applies its EXIF orientation, which
    # IMREAD_UNCHANGED would ignore (phone photos would come out sideways).
    flags = cv2.IMREAD_COLOR if data[:2] == b"\xff\xd8" else cv2.IMREAD_UNCHANGED
    try:
        decoded = cv2.imdecode(buf, flags)
    except cv2.error:
        decoded = None
    if decoded is None or decoded.size == 0:
        raise StudioError(
            f"Could not read '{name}' as an image: it is not a {IMAGE_FORMATS} "
            "file, or it is damaged or incomplete."
        )
    _check_pixels(name, decoded.shape[1], decoded.shape[0], max_pixels)
    return _normalise(decoded, bgr=True, name=name)


def to_rgb_uint8(array: np.ndarray) -> np.ndarray:
    """Normalise an in-memory image (as the UI or a Python user passes it) to (H, W, 3) uint8.

    Accepts (H, W), (H, W, 1|2|3|4) in RGB order; uint8, uint16 (÷257), other integers (as
    0-255), bool, and floats (0-1 if the maximum is ≤ 1, else 0-255). Alpha goes over white.
    """
    return _normalise(np.asarray(array), bgr=False, name="the image")


def _to_unit_float(a: np.ndarray) -> np.ndarray:
    """Scale any dtype to float32 in [0, 1]."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if np.issubdtype(a.dtype, np.integer):
        top = 65535.0 if a.size and a.max() > 255 else 255.0
        return np.clip(a.astype(np.float32) / top, 0.0, 1.0)
    if np.issubdtype(a.dtype, np.floating):
        f = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        if f.size and f.max() > 1.0 + 1e-6:
            f = f / 255.0
        return np.clip(f, 0.0, 1.0)
    raise StudioError(f"Cannot use an image of type {a.dtype}; use 8- or 16-bit pixels.")


def _normalise(a: np.ndarray, bgr: bool, name: str) -> np.ndarray:
    """Any channel layout and depth -> (H, W, 3) uint8 RGB."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)) or a.size == 0:
        raise StudioError(
            f"Cannot use {name}: expected an (H, W) or (H, W, 3|4) picture, got "
            f"an array of shape {a.shape}."
        )
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3:  # the common, fast path
        return np.ascontiguousarray(a[:, :, ::-1] if bgr else a)
    if a.dtype == np.uint16 and (a.ndim == 2 or a.shape[2] == 3):  # round(x / 257), exactly
        a8 = ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)
        return _normalise(a8, bgr, name)
    f = _to_unit_float(a)
    if f.ndim == 2:
        rgb, alpha = np.repeat(f[:, :, None], 3, axis=2), None
    elif f.shape[2] == 2:
        rgb, alpha = np.repeat(f[:, :, :1], 3, axis=2), f[:, :, 1:]
    else:
        rgb = f[:, :, :3][:, :, ::-1] if bgr else f[:, :, :3]
        alpha = f[:, :, 3:] if f.shape[2] == 4 else None
    if alpha is not None:
        rgb = rgb * alpha + (1.0 - alpha)  # over a white background
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def write_image(path: str | Path, rgb: np.ndarray) -> Path:
    """Write an RGB image (any layout `to_rgb_uint8` accepts); the suffix picks the format."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise StudioError(f"Cannot write '{path.name}': use one of {', '.join(WRITE_SUFFIXES)}.")
    bgr = cv2.cvtColor(to_rgb_uint8(rgb), cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(suffix, bgr)
    if not ok:
        raise StudioError(f"Could not encode '{path.name}' as {suffix[1:].upper()}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded.tobytes())
    return path


def fit_within(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale (never upscale) so the long side is at most `max_side`, with area averaging.

    Trackers gain nothing from 6000-pixel photos but pay for them in time and memory.
    """
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    log.info("Downscaled a %d×%d image to %d×%d (long side ≤ %d).", w, h, *size, max_side)
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
