"""The shared audio features: frame counts, band placement, window centring, energy."""

from __future__ import annotations

import numpy as np
import pytest

from studio.speech import features as F


def _reference_log_mel(x: np.ndarray) -> np.ndarray:
    """A slow, obvious implementation: one frame at a time, centred on i * HOP."""
    padded = np.concatenate([np.zeros(F.WIN // 2), x, np.zeros(F.WIN // 2)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(F.WIN) / F.WIN)
    rows = []
    for i in range(len(x) // F.HOP + 1):
        frame = padded[i * F.HOP : i * F.HOP + F.WIN] * window
        power = np.abs(np.fft.rfft(frame, n=F.N_FFT)) ** 2
        rows.append(np.log(np.maximum(F.mel_filterbank().astype(np.float64) @ power, 1e-10)))
    return np.array(rows)


def test_log_mel_shape_for_one_second() -> None:
    x = np.random.default_rng(0).standard_normal(F.SAMPLE_RATE).astype(np.float32) * 0.1
    mel = F.log_mel(x)
    assert mel.shape == (101, F.N_MELS)
    assert mel.dtype == np.float32
    assert np.isfinite(mel).all()


@pytest.mark.parametrize("n", [0, 1, 159, 160, 161, 12345])
def test_log_mel_frame_count_rule(n: int) -> None:
    assert F.log_mel(np.zeros(n, np.float32)).shape == (n // F.HOP + 1, F.N_MELS)


def test_log_mel_matches_a_frame_by_frame_reference() -> None:
    x = np.random.default_rng(1).uniform(-0.5, 0.5, 4321).astype(np.float32)
    np.testing.assert_allclose(F.log_mel(x), _reference_log_mel(x.astype(np.float64)), atol=1e-3)


def test_log_mel_rejects_stereo() -> None:
    with pytest.raises(ValueError):
        F.log_mel(np.zeros((100, 2), np.float32))


def test_mel_filterbank_is_sane_and_cached() -> None:
    fb = F.mel_filterbank()
    assert fb.shape == (F.N_MELS, F.N_FFT // 2 + 1)
    assert (fb >= 0).all() and (fb.sum(axis=1) > 0).all()  # no empty band
    centres = F.mel_band_edges()[1:-1]
    assert np.all(np.diff(centres) > 0) and centres[-1] < F.SAMPLE_RATE / 2
    assert F.mel_filterbank() is fb


def test_1khz_sine_lands_in_the_1khz_band() -> None:
    t = np.arange(F.SAMPLE_RATE) / F.SAMPLE_RATE
    mel = F.log_mel((0.5 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32))
    profile = mel[5:-5].mean(axis=0)
    centres = F.mel_band_edges()[1:-1]
    expected = int(np.argmin(np.abs(centres - 1000.0)))
    assert abs(int(np.argmax(profile)) - expected) <= 1
    far = int(np.argmin(np.abs(centres - 4000.0)))
    assert profile[expected] - profile[far] > 10.0  # > 10 nats (43 dB) below the peak


def test_frame_windows_shape_and_edge_padding() -> None:
    mel = np.arange(30 * F.N_MELS, dtype=np.float32).reshape(30, F.N_MELS)
    win = F.frame_windows(mel, 8)
    assert win.shape == (8, F.WINDOW_FRAMES, F.N_MELS)
    np.testing.assert_array_equal(win[0, : F.WINDOW_FRAMES // 2 + 1], np.repeat(mel[:1], 9, 0))
    np.testing.assert_array_equal(win[7, -1], mel[-1])  # 4 * 7 + 7 = 35 > 29: last frame repeats


def test_click_sits_at_the_centre_of_its_video_frame_window() -> None:
    t0 = 20  # video frame at 0.8 s
    x = np.zeros(2 * F.SAMPLE_RATE, np.float32)
    x[t0 * F.SAMPLE_RATE // F.FPS] = 1.0
    n_video = F.n_video_frames_for(2.0)
    win = F.frame_windows(F.log_mel(x), n_video)
    loudest_row = win.sum(axis=2).argmax(axis=1)
    centre = F.WINDOW_FRAMES // 2
    assert loudest_row[t0] == centre
    assert loudest_row[t0 + 1] == centre - F.MEL_PER_FRAME
    assert loudest_row[t0 - 1] == centre + F.MEL_PER_FRAME
    np.testing.assert_array_equal(F.audio_windows(x), win)


def test_n_video_frames_for() -> None:
    assert F.n_video_frames_for(1.0) == 25
    assert F.n_video_frames_for(1.01) == 26
    assert F.n_video_frames_for(0.0) == 1
    assert F.n_video_frames_for(0.04) == 1


def test_frame_energy_reads_silence_then_tone() -> None:
    t = np.arange(F.SAMPLE_RATE) / F.SAMPLE_RATE
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    x = np.concatenate([np.zeros(F.SAMPLE_RATE), tone]).astype(np.float32)
    db = F.frame_energy(x, 50)
    assert db.shape == (50,) and db.dtype == np.float32
    np.testing.assert_allclose(db[:24], F.DB_FLOOR)
    np.testing.assert_allclose(db[26:], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.1)
    assert F.DB_FLOOR < db[25] < db[26]  # half silence, half tone
