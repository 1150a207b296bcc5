"""LSE-D / LSE-C / AV offset, checked against a literal port of syncnet_python's loop."""

from __future__ import annotations

import numpy as np
import pytest

from studio.errors import StudioError
from studio.eval.sync import frame_distances, sync_scores

T, D = 120, 32


def _reference(video: np.ndarray, audio: np.ndarray, vshift: int) -> tuple[float, float, int]:
    """syncnet_python's calc_pdist + evaluate, transcribed loop for loop (numpy for torch)."""
    win = 2 * vshift + 1
    padded = np.concatenate([np.zeros((vshift, D)), audio, np.zeros((vshift, D))])
    dists = [
        np.linalg.norm(video[[i]].repeat(win, 0) - padded[i : i + win] + 1e-6, axis=1)
        for i in range(len(video))
    ]
    mdist = np.stack(dists, 1).mean(1)
    minidx = int(np.argmin(mdist))
    return float(mdist[minidx]), float(np.median(mdist) - mdist[minidx]), vshift - minidx


@pytest.fixture(scope="module")
def video() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((T, D))


def _delay(x: np.ndarray, k: int, seed: int = 1) -> np.ndarray:
    """y[t] = x[t − k]: the same stream k frames later (fresh random frames fill the gap)."""
    fill = np.random.default_rng(seed).standard_normal((abs(k), x.shape[1]))
    if k > 0:
        return np.concatenate([fill, x[:-k]])
    if k < 0:
        return np.concatenate([x[-k:], fill])
    return x.copy()


def test_matches_syncnet_python(video: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    audio = _delay(video, 3) + 0.3 * rng.standard_normal((T, D))
    result = sync_scores(video, audio, vshift=15)
    lse_d, lse_c, offset = _reference(video, audio, 15)
    assert result.lse_d == pytest.approx(lse_d, rel=1e-12)
    assert result.lse_c == pytest.approx(lse_c, rel=1e-12)
    assert result.offset == offset
    assert result.dists.shape == (31,)


@pytest.mark.parametrize("k", [0, 4, -6])
def test_offset_sign(video: np.ndarray, k: int) -> None:
    # audio[t] = video[t + k]: the sound of lip frame t + k is heard at frame t, i.e. the audio
    # runs k frames ahead of the lips, and syncnet_python reports offset = +k.
    audio = _delay(video, -k)
    result = sync_scores(video, audio)
    assert result.offset == k
    assert result.lse_c > 3.0  # a deep, sharp minimum
    assert result.lse_d < 0.5 * np.median(result.dists)


def test_delayed_audio_gives_a_negative_offset(video: np.ndarray) -> None:
    audio = _delay(video, 5)  # heard 5 frames after the lips move
    assert sync_scores(video, audio).offset == -5


def test_random_embeddings_have_low_confidence(video: np.ndarray) -> None:
    audio = np.random.default_rng(3).standard_normal((T, D))
    result = sync_scores(video, audio)
    synced = sync_scores(video, video)
    assert result.lse_c < 0.1 * synced.lse_c
    assert result.lse_d > synced.lse_d


def test_valid_padding_ignores_missing_audio(video: np.ndarray) -> None:
    # Zero padding adds |v| to the edge frames of shifted columns; "valid" leaves them out,
    # so for perfectly synced embeddings the curve's minimum is exactly 0 either way but the
    # shifted entries differ.
    zeros = sync_scores(video, video, vshift=5)
    valid = sync_scores(video, video, vshift=5, padding="valid")
    assert zeros.offset == valid.offset == 0
    assert valid.lse_d == pytest.approx(zeros.lse_d)
    assert not np.allclose(valid.dists, zeros.dists)
    d = frame_distances(video, video, vshift=5)
    expected = np.mean(np.linalg.norm(video[5:] - video[:-5] + 1e-6, axis=1))
    assert valid.dists[0] == pytest.approx(expected)  # column 0: audio t − 5, t >= 5 only
    assert d.shape == (T, 11)
    with pytest.raises(StudioError):
        sync_scores(video, video, padding="same")


def test_shape_errors(video: np.ndarray) -> None:
    with pytest.raises(StudioError):
        sync_scores(video, video[:, :5])
