"""Speed of the foundation: tracking, speech synthesis, features, video writing."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.face import track_frames, track_image
from studio.media import audio_from_array, write_video
from studio.nn.spec import Suite
from studio.paths import ASSETS
from studio.speech import log_mel, synthesize


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool = False) -> dict[str, float]:
    import cv2

    portrait = cv2.cvtColor(cv2.imread(str(ASSETS / "portrait.jpg")), cv2.COLOR_BGR2RGB)
    frame256 = cv2.resize(portrait, (256, 256), interpolation=cv2.INTER_AREA)
    n = 25 if quick else 100
    clip = [np.roll(frame256, t % 20, axis=1) for t in range(n)]
    repeats = 3 if quick else 5
    video_s = _median_seconds(lambda: track_frames(clip, fps=25.0), repeats)
    image_s = _median_seconds(lambda: track_image(frame256), 10 if quick else 30)
    text = (
        "The studio synthesises speech with exact phoneme timing, so that every lip "
        "movement can be checked against the sound that caused it."
    )
    speech = synthesize(text)
    tts_s = _median_seconds(lambda: synthesize(text), repeats * 3)
    duration = len(speech.samples) / speech.sample_rate
    mel_s = _median_seconds(lambda: log_mel(speech.samples), repeats * 3)
    audio = audio_from_array(speech.samples, 16000)
    frames = np.stack(clip)
    with tempfile.TemporaryDirectory() as tmp:
        write_s = _median_seconds(
            lambda: write_video(Path(tmp) / "a.mp4", frames, 25.0, audio), repeats
        )
    return {
        "track_video_256_fps": n / video_s,
        "track_image_256_ms": image_s * 1000,
        "tts_seconds_of_speech_per_second": duration / tts_s,
        "tts_call_ms": tts_s * 1000,
        "log_mel_ms_per_second_of_audio": mel_s * 1000 / duration,
        "write_mp4_256_fps": n / write_s,
    }


SUITE = Suite("foundation", run, "speed of the basics: tracking, speech, features, mp4 writing")
