"""Audio: any rate, channels and sample type become 16 kHz mono float32; bad input is named."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.errors import StudioError
from studio.media import (
    SAMPLE_RATE,
    audio_from_array,
    is_silent,
    read_audio,
    resample,
    to_mono,
    write_wav,
)
from studio.media.ffmpeg import run_ffmpeg


def tone(seconds: float, rate: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def test_8k_stereo_int16_becomes_16k_mono(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    left = tone(1.5, 8000, 300.0, 0.6)
    right = np.zeros_like(left)  # mono must average the channels, not take the first one
    stereo = (np.stack([left, right], axis=1) * 32767).astype(np.int16)
    path = tmp_path / "phone.wav"
    sf.write(path, stereo, 8000, subtype="PCM_16")
    with caplog.at_level(logging.INFO, logger="studio.media"):
        audio = read_audio(path)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == SAMPLE_RATE
    assert (audio.source_rate, audio.source_channels) == (8000, 2)
    assert len(audio.samples) == 24000 and audio.duration == pytest.approx(1.5)
    assert np.abs(audio.samples).max() == pytest.approx(0.3, abs=0.01)
    assert dominant_hz(audio.samples, SAMPLE_RATE) == pytest.approx(300.0, abs=2)
    assert audio.path == str(path)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "8000 Hz to 16000 Hz" in messages and "2 channels" in messages


def test_48k_float_wav_becomes_16k(tmp_path: Path) -> None:
    path = tmp_path / "studio.wav"
    sf.write(path, tone(2.0, 48000, 1000.0), 48000, subtype="FLOAT")
    audio = read_audio(path)
    assert len(audio.samples) == 32000
    assert audio.source_rate == 48000 and audio.source_channels == 1
    assert dominant_hz(audio.samples, SAMPLE_RATE) == pytest.approx(1000.0, abs=2)
    # a band-limited resample keeps the tone's level (no aliasing loss, no gain)
    assert np.abs(audio.samples[1000:-1000]).max() == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("rate", [11025, 22050, 44100])
def test_resample_length_and_pitch(rate: int) -> None:
    out = resample(tone(1.0, rate, 500.0), rate, SAMPLE_RATE)
    assert out.dtype == np.float32 and len(out) == SAMPLE_RATE
    assert dominant_hz(out, SAMPLE_RATE) == pytest.approx(500.0, abs=2)


def test_int32_flac_and_16k_passthrough(tmp_path: Path) -> None:
    samples = tone(0.5, SAMPLE_RATE, 200.0, 0.25)
    path = tmp_path / "voice.flac"
    sf.write(path, (samples * 2**31).astype(np.int32), SAMPLE_RATE, subtype="PCM_24")
    audio = read_audio(path)
    np.testing.assert_allclose(audio.samples, samples, atol=1e-5)


def test_mp3_goes_through_ffmpeg(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "src.wav", np.stack([tone(1.0, 44100)] * 2, axis=1), 44100)
    mp3 = tmp_path / "song.mp3"
    result = run_ffmpeg(["-v", "error", "-i", str(wav), "-c:a", "libmp3lame", str(mp3)])
    if result.returncode != 0:
        pytest.skip(f"this ffmpeg build cannot encode mp3: {result.stderr[-200:]}")
    audio = read_audio(mp3)
    assert (audio.source_rate, audio.source_channels) == (44100, 2)
    assert audio.duration == pytest.approx(1.0, abs=0.06)  # mp3 frames pad a little
    assert dominant_hz(audio.samples, SAMPLE_RATE) == pytest.approx(440.0, abs=3)
    with pytest.raises(StudioError, match=r"'song.mp3' is 1.0 s long.*up to 0.5 s"):
        read_audio(mp3, max_seconds=0.5)


def test_silent_wav_refused_unless_allowed(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "quiet.wav", np.zeros(16000, np.float32))
    with pytest.raises(StudioError, match="silent") as info:
        read_audio(path)
    assert "quiet.wav" in str(info.value)
    assert read_audio(path, allow_silent=True).duration == pytest.approx(1.0)


def test_faint_hum_is_silent_but_speech_level_is_not() -> None:
    assert is_silent(tone(1.0, SAMPLE_RATE, amp=0.0005))  # about -69 dBFS RMS
    assert not is_silent(tone(1.0, SAMPLE_RATE, amp=0.01))  # about -43 dBFS RMS
    click = np.zeros(SAMPLE_RATE, np.float32)
    click[100] = 0.05  # a lone click: clear peak, but -68 dBFS RMS, nothing to lip-sync to
    assert is_silent(click)


def test_zero_sample_wav_refused(tmp_path: Path) -> None:
    path = tmp_path / "nothing.wav"
    sf.write(path, np.zeros(0, np.float32), 16000, subtype="PCM_16")
    assert path.stat().st_size > 0  # a valid header with no samples, not an empty file
    with pytest.raises(StudioError, match="0 seconds") as info:
        read_audio(path)
    assert "nothing.wav" in str(info.value)


def test_too_long_names_length_and_limit(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "lecture.wav", tone(3.0, 8000), 8000)
    with pytest.raises(StudioError, match=r"'lecture.wav' is 3.0 s long.* up to 2.5 s"):
        read_audio(path, max_seconds=2.5)
    assert read_audio(path, max_seconds=3.0).duration == pytest.approx(3.0)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.wav", b"", "empty"),
        ("noise.wav", np.random.default_rng(1).bytes(3000), "Could not read"),
        ("notes.mp3", b"just some text\n" * 20, "Could not read"),
    ],
    ids=["empty", "random-bytes", "text-as-mp3"],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(StudioError, match=reason) as info:
        read_audio(path)
    assert name in str(info.value)


def test_in_memory_arrays() -> None:
    stereo = (np.stack([tone(1.0, 22050)] * 2, axis=1) * 32767).astype(np.int16)
    audio = audio_from_array(stereo, 22050)
    assert len(audio.samples) == SAMPLE_RATE and audio.source_channels == 2
    assert np.abs(audio.samples).max() == pytest.approx(0.5, abs=0.01)
    loud = np.full(1600, 2.0, np.float32)  # float above full scale is scaled, not clipped
    loud[::2] = -1.0
    out = audio_from_array(loud, SAMPLE_RATE).samples
    assert out.max() == pytest.approx(1.0) and out.min() == pytest.approx(-0.5)
    assert to_mono(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)).tolist() == [0.5, 0.5]


def test_write_wav_is_pcm16_and_round_trips(tmp_path: Path) -> None:
    samples = tone(0.25, SAMPLE_RATE)
    samples[0] = 3.0  # out of range: clipped on write, no wrap-around
    path = write_wav(tmp_path / "sub" / "out.wav", samples)
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    back = read_audio(path).samples
    assert back[0] == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(back[1:], samples[1:], atol=1e-4)
