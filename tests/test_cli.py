"""The command line as a user runs it: real subprocesses, real files, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_track_image_writes_records_and_overlay(tmp_path):
    out = tmp_path / "portrait.npz"
    result = run("track", "assets/portrait.jpg", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
        assert z["landmarks"].shape == (1, 478, 3) and z["found"].all()
        assert z["blendshapes"].shape == (1, 52)
    assert meta["backend"] == "mediapipe" and meta["frames_with_face"] == 1
    assert (tmp_path / "portrait_overlay.png").stat().st_size > 10_000


def test_track_video_writes_an_overlay_video_with_sound(tmp_path, portrait_clip):
    out = tmp_path / "clip.npz"
    result = run("track", str(portrait_clip), "--out", str(out), "--smooth", "1")
    assert result.returncode == 0, result.stderr
    with np.load(out) as z:
        assert z["found"].sum() == 25 and z["pose6"].shape == (25, 6)
    from studio.media import read_video

    overlay = read_video(tmp_path / "clip_overlay.mp4")
    assert len(overlay.frames) == 25 and overlay.audio is not None


def test_speak_writes_wav_and_phoneme_timings(tmp_path):
    out = tmp_path / "hello.wav"
    result = run("speak", "Hello there, general.", "--voice", "en-gb", "--out", str(out))
    assert result.returncode == 0, result.stderr
    samples, rate = sf.read(out)
    timings = json.loads(out.with_suffix(".json").read_text())
    assert rate == 16000 and len(samples) > 8000
    assert timings["phonemes"] and timings["phonemes"][-1]["end"] <= len(samples) / rate + 0.01


def test_bad_inputs_exit_2_with_a_message_and_no_traceback(tmp_path, cat):
    import cv2

    cat_path = tmp_path / "cat.png"
    cv2.imwrite(str(cat_path), cat[:, :, ::-1])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = [
        (("track", str(cat_path), "--out", str(tmp_path / "x.npz")), "No face found"),
        (("track", str(empty), "--out", str(tmp_path / "y.npz")), "empty"),
        (("track", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "z.npz")), "missing"),
        (("track", str(cat_path), "--out", str(tmp_path / "s.npz"), "--smooth", "-3"), "--smooth"),
        (("speak", "", "--out", str(tmp_path / "e.wav")), "text"),
        (("speak", "hi", "--voice", "martian", "--out", str(tmp_path / "k.wav")), "martian"),
    ]
    for args, words in cases:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert words.lower() in result.stderr.lower(), (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.npz").exists()
