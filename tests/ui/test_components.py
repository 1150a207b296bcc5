"""Array outputs reach Gradio's cache whole: written under a temporary name, then renamed."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import soundfile as sf

from studio.ui.components import AtomicAudio, AtomicImage, cache_bytes


def test_cache_bytes_reuses_a_copy_and_leaves_no_staging_files(tmp_path):
    a = cache_bytes(b"x" * 1000, tmp_path, "image.png")
    assert cache_bytes(b"x" * 1000, tmp_path, "image.png") == a
    assert cache_bytes(b"y" * 1000, tmp_path, "image.png") != a
    assert not [p for p in tmp_path.rglob(".*")]  # no half-written staging file left


def test_readers_never_see_a_partial_file_while_writers_race(tmp_path):
    data = np.random.default_rng(0).bytes(2_000_000)
    path = cache_bytes(data, tmp_path, "big.bin")
    sizes: list[int] = []
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            (tmp_path / "big.bin").unlink(missing_ok=True)  # force the slow path each time
            cache_bytes(data, tmp_path, "big.bin")

    writers = [threading.Thread(target=write) for _ in range(2)]
    for w in writers:
        w.start()
    for _ in range(200):
        try:
            with open(path, "rb") as f:
                sizes.append(len(f.read()))
        except FileNotFoundError:  # between an unlink (this test's) and the next rename
            continue
    stop.set()
    for w in writers:
        w.join()
    assert sizes and set(sizes) == {len(data)}


def test_atomic_components_cache_arrays_as_decodable_files():
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, :30] = 255
    data = AtomicImage(format="png").postprocess(image)
    decoded = cv2.imread(data.path)
    assert decoded.shape == (40, 60, 3) and decoded[:, :30].min() == 255
    tone = np.sin(np.arange(16000) / 10).astype(np.float32) * 0.5
    wav = AtomicAudio().postprocess((16000, tone))
    samples, rate = sf.read(wav.path)
    assert rate == 16000 and len(samples) == 16000


def test_png_bytes_keep_every_pixel_and_the_channel_order():
    """The OpenCV PNG path is lossless and RGB(A) stays RGB(A) (a swap would turn red blue)."""
    import io

    import PIL.Image

    from studio.ui.components import image_bytes

    rng = np.random.default_rng(1)
    for shape, mode in (((24, 32, 3), "RGB"), ((24, 32, 4), "RGBA"), ((24, 32), "L")):
        array = rng.integers(0, 256, shape, dtype=np.uint8)
        decoded = PIL.Image.open(io.BytesIO(image_bytes(array, "png")))
        assert decoded.mode == mode
        np.testing.assert_array_equal(np.asarray(decoded), array)
