"""The command line as a user runs it: real subprocesses, real files, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import soundfile as sf

from tests.face.group_images import small_faces_wide

ROOT = Path(__file__).resolve().parents[1]
# What MediaPipe's C++ side (absl, glog, TensorFlow Lite) writes to fd 2 when it is not hushed.
NATIVE_LOG_MARKERS = (
    "Logging before InitGoogle",
    "inference_feedback_manager",
    "face_landmarker_graph",
    "TensorFlow Lite",
    "XNNPACK",
    "W0000",
    "I0000",
)


def run(*args: str) -> subprocess.CompletedProcess:
    # As a user's shell would start it: none of the log-level variables the studio sets itself.
    env = {
        k: v for k, v in os.environ.items() if k not in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL")
    }
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def native_log_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(m in line for m in NATIVE_LOG_MARKERS)]


def test_track_image_writes_records_and_overlay(tmp_path):
    out = tmp_path / "portrait.npz"
    result = run("track", "assets/portrait.jpg", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
        assert z["landmarks"].shape == (1, 478, 3) and z["found"].all()
        assert z["blendshapes"].shape == (1, 52)
    assert meta["backend"] == "mediapipe" and meta["frames_with_face"] == 1
    assert meta["most_faces"] == 1
    assert (tmp_path / "portrait_overlay.png").stat().st_size > 10_000
    assert not native_log_lines(result.stderr), result.stderr
    assert result.stderr == ""  # one face, nothing to warn about


def test_verbose_lets_mediapipe_log_lines_through(tmp_path):
    for args in (
        ("track", "assets/portrait.jpg", "--verbose"),
        ("-v", "track", "assets/portrait.jpg"),
    ):
        result = run(*args, "--out", str(tmp_path / "v.npz"))
        assert result.returncode == 0, result.stderr
        assert "tracked 1/1 frames" in result.stdout
        assert native_log_lines(result.stderr), result.stderr  # what --verbose is for


def test_group_photo_tracks_the_larger_face_and_says_so(tmp_path, portrait):
    group = small_faces_wide(portrait)  # a 1200 × 300 panorama with two small faces
    path = tmp_path / "group.jpg"
    cv2.imwrite(str(path), group.rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    out = tmp_path / "g.npz"
    result = run("track", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "No face" not in result.stdout + result.stderr
    notes = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert any("2 faces" in n and "largest" in n for n in notes), result.stdout
    assert "tracked 1/1 frames" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "2 faces" in line]
    assert len(warnings) == 1, result.stderr  # said once, not by the tracker and the source
    assert not native_log_lines(result.stderr), result.stderr
    with np.load(out) as z:
        meta = json.loads(str(z["meta"]))
        assert z["found"].all() and z["n_faces"].tolist() == [2]
        box = z["box"][0]
    assert meta["most_faces"] == 2
    height, width = meta["image_size"]
    k = width / group.rgb.shape[1]  # tracked at the loaded size (long side 512)
    x_centre = (box[0] + box[2]) / 2 / k
    assert 200 < x_centre < 300  # the larger face, on the left (the smaller is near x = 850)


def test_track_video_writes_an_overlay_video_with_sound(tmp_path, portrait_clip):
    out = tmp_path / "clip.npz"
    result = run("track", str(portrait_clip), "--out", str(out), "--smooth", "1")
    assert result.returncode == 0, result.stderr
    assert not native_log_lines(result.stderr), result.stderr
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
