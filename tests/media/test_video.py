"""Video: H.264 MP4 round trips with audio, explicit resampling, clear errors for bad files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from studio.errors import StudioError
from studio.media import (
    SAMPLE_RATE,
    Audio,
    probe_video,
    read_audio,
    read_video,
    resample_frames,
    write_gif,
    write_video,
    write_wav,
)
from studio.media.ffmpeg import probe, run_ffmpeg


def moving_frames(n: int, h: int = 48, w: int = 64) -> np.ndarray:
    """Smooth colour gradients with a bright bar that moves one step per frame, so a dropped,
    repeated or reordered frame changes the picture (and H.264 compresses it well)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = np.empty((n, h, w, 3), np.uint8)
    for t in range(n):
        frame = np.stack([x / w * 200 + 20, y / h * 200 + 20, np.full_like(x, 60 + 2 * t)], -1)
        bar = (t * 3) % (w - 6)
        frame[:, bar : bar + 6] = 235
        frames[t] = frame
    return frames


def speechlike(seconds: float) -> Audio:
    t = np.arange(int(round(seconds * SAMPLE_RATE))) / SAMPLE_RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)  # syllable-rate loudness changes
    samples = (0.4 * envelope * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return Audio(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source_rate=SAMPLE_RATE,
        source_channels=1,
        path=None,
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, Audio]:
    """A 2 s, 25 fps clip with 2 s of audio, written once for several tests."""
    frames, audio = moving_frames(50), speechlike(2.0)
    path = write_video(tmp_path_factory.mktemp("clip") / "talk.mp4", frames, 25.0, audio)
    return path, frames, audio


def test_round_trip_frames_fps_audio(clip: tuple[Path, np.ndarray, Audio]) -> None:
    path, frames, audio = clip
    video = read_video(path)
    assert video.frames.shape == frames.shape and video.frames.dtype == np.uint8
    assert video.fps == pytest.approx(25.0)
    assert video.duration == pytest.approx(2.0)
    per_frame = np.abs(video.frames.astype(np.float32) - frames).mean(axis=(1, 2, 3))
    assert per_frame.max() < 6, per_frame  # each frame in its place, not shifted by one
    assert video.audio is not None
    assert video.audio.sample_rate == SAMPLE_RATE
    assert abs(video.audio.duration - audio.duration) <= 0.04
    # the sound itself survived AAC: same loudness envelope
    n = min(len(audio.samples), len(video.audio.samples))
    corr = np.corrcoef(np.abs(audio.samples[:n]), np.abs(video.audio.samples[:n]))[0, 1]
    assert corr > 0.9


def test_written_file_is_browser_playable_h264(clip: tuple[Path, np.ndarray, Audio]) -> None:
    path, _, _ = clip
    header = run_ffmpeg(["-i", str(path)]).stderr
    assert "Video: h264" in header and "yuv420p" in header
    assert "Audio: aac" in header
    data = path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # +faststart: index first, streams later
    assert not list(path.parent.glob(".*partial*"))  # the temporary name was renamed away


def test_probe_reads_header(clip: tuple[Path, np.ndarray, Audio]) -> None:
    path, _, _ = clip
    info = probe_video(path)
    assert info["fps"] == pytest.approx(25.0)
    assert info["size"] == (64, 48)
    assert info["duration"] == pytest.approx(2.0, abs=0.05)
    assert info["n_frames"] == 50 and info["has_audio"] is True


def test_video_without_audio(tmp_path: Path) -> None:
    path = write_video(tmp_path / "mute.mp4", moving_frames(10))
    video = read_video(path)
    assert video.audio is None and len(video.frames) == 10
    assert probe_video(path)["has_audio"] is False
    with pytest.raises(StudioError, match="no audio track") as info:
        read_audio(path)  # as *driving audio* it is an error, with the file named
    assert "mute.mp4" in str(info.value)


def test_odd_frame_size_is_padded_by_one_pixel(tmp_path: Path) -> None:
    frames = moving_frames(5, h=37, w=51)
    video = read_video(write_video(tmp_path / "odd.mp4", frames))
    assert video.frames.shape == (5, 38, 52, 3)
    assert np.abs(video.frames[:, :37, :51].astype(np.float32) - frames).mean() < 6


def test_longer_audio_trimmed_shorter_kept(tmp_path: Path) -> None:
    frames = moving_frames(25)  # 1.0 s of picture
    long = read_video(write_video(tmp_path / "long.mp4", frames, audio=speechlike(3.0)))
    assert long.audio is not None and abs(long.audio.duration - 1.0) <= 0.04
    short = read_video(write_video(tmp_path / "short.mp4", frames, audio=speechlike(0.5)))
    assert len(short.frames) == 25  # the picture is not cut to the audio (no -shortest)
    assert short.audio is not None and abs(short.audio.duration - 0.5) <= 0.04


def test_audio_track_from_other_rates(tmp_path: Path) -> None:
    """A 44.1 kHz stereo track in a user's clip comes back as 16 kHz mono."""
    wav = tmp_path / "music.wav"
    t = np.arange(44100) / 44100
    write_wav(wav, np.stack([0.3 * np.sin(2 * np.pi * 330 * t)] * 2, axis=1), 44100)
    silent = write_video(tmp_path / "pic.mp4", moving_frames(25))
    path = tmp_path / "user.mp4"
    result = run_ffmpeg(
        ["-v", "error", "-i", str(silent), "-i", str(wav), "-c:v", "copy", "-c:a", "aac", str(path)]
    )
    assert result.returncode == 0, result.stderr
    video = read_video(path)
    assert video.audio is not None
    assert (video.audio.source_rate, video.audio.source_channels) == (44100, 2)
    assert video.audio.sample_rate == SAMPLE_RATE
    assert abs(video.audio.duration - 1.0) <= 0.04


def test_fps_resampling_is_explicit_and_logged(
    clip: tuple[Path, np.ndarray, Audio], caplog: pytest.LogCaptureFixture
) -> None:
    path, frames, _ = clip
    with caplog.at_level(logging.INFO, logger="studio.media"):
        video = read_video(path, fps=10.0)
    assert video.fps == 10.0 and len(video.frames) == 20
    # frame k at 10 fps shows source frame round(k * 2.5)
    expected = frames[np.floor(np.arange(20) * 2.5 + 0.5).astype(int)]
    assert np.abs(video.frames.astype(np.float32) - expected).mean(axis=(1, 2, 3)).max() < 6
    assert "25 fps (50 frames) to 10 fps (20 frames)" in caplog.text


def test_resample_frames_up_and_down() -> None:
    frames = np.arange(10)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    assert resample_frames(frames, 25.0, 50.0)[:, 0, 0, 0].tolist() == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        6,
        6,
        7,
        7,
        8,
        8,
        9,
        9,
        9,
    ]
    assert resample_frames(frames, 30.0, 15.0)[:, 0, 0, 0].tolist() == [0, 2, 4, 6, 8]


def test_rotated_phone_clip_comes_out_upright(tmp_path: Path) -> None:
    """A portrait phone clip is stored landscape with a 90° display matrix."""
    frames = moving_frames(5)
    stored = write_video(tmp_path / "stored.mp4", frames)
    path = tmp_path / "phone.mp4"
    result = run_ffmpeg(
        ["-v", "error", "-display_rotation:v:0", "90", "-i", str(stored), "-c", "copy", str(path)]
    )
    if result.returncode != 0:
        pytest.skip(f"this ffmpeg cannot set a display matrix: {result.stderr[-200:]}")
    assert probe_video(path)["size"] == (48, 64)
    assert read_video(path).frames.shape == (5, 64, 48, 3)
    assert read_video(path, max_side=32).frames.shape == (5, 32, 24, 3)


def test_max_side_downscales(
    clip: tuple[Path, np.ndarray, Audio], caplog: pytest.LogCaptureFixture
) -> None:
    path, _, _ = clip
    with caplog.at_level(logging.INFO, logger="studio.media"):
        video = read_video(path, max_side=32)
    assert video.frames.shape == (50, 24, 32, 3)
    assert "64×48 to 32×24" in caplog.text


def test_too_long_refused(clip: tuple[Path, np.ndarray, Audio]) -> None:
    path, _, _ = clip
    with pytest.raises(StudioError, match=r"'talk.mp4' is 2.0 s long.*up to 1.5 s"):
        read_video(path, max_seconds=1.5)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("notes.mp4", b"this is not a video\n" * 50, "damaged or not a video"),
        ("noise.mov", np.random.default_rng(2).bytes(5000), "Could not read"),
        ("empty.mp4", b"", "empty"),
    ],
    ids=["text-as-mp4", "random-bytes", "empty"],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for read in (read_video, probe_video):
        with pytest.raises(StudioError, match=reason) as info:
            read(path)
        assert name in str(info.value)


def test_audio_file_is_not_a_video(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "voice.wav", speechlike(0.5).samples)
    with pytest.raises(StudioError, match="no picture"):
        read_video(path)


def test_truncated_mp4_is_refused(clip: tuple[Path, np.ndarray, Audio], tmp_path: Path) -> None:
    path, _, _ = clip
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.find(b"moov") + 100])  # the download stopped in the index
    with pytest.raises(StudioError, match="cut.mp4"):
        read_video(cut)


def test_write_gif(tmp_path: Path) -> None:
    path = write_gif(tmp_path / "preview.gif", moving_frames(10), fps=10.0)
    info = probe(path)
    assert info.has_video and (info.width, info.height) == (64, 48)
    assert path.read_bytes()[:6] == b"GIF89a"


def test_write_video_refuses_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(StudioError, match="clip.xyz"):
        write_video(tmp_path / "clip.xyz", moving_frames(2))
