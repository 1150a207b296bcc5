"""Talking to the ffmpeg binary that ships with imageio-ffmpeg.

One place runs ffmpeg, so probing, audio decoding and encoding share the same binary, timeouts
and error handling. `probe` reads only the container header (no frames are decoded).
"""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media.limits import FFMPEG_TIMEOUT_S

log = logging.getLogger(__name__)


class FFmpegError(RuntimeError):
    """ffmpeg exited with an error; `reason` is the last meaningful line it printed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (bundled with imageio-ffmpeg, so no system install needed)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as err:  # ImportError or "no ffmpeg found"
        raise StudioError(
            "ffmpeg is not available, so audio/video files cannot be read or "
            "written — run `pip install imageio-ffmpeg`."
        ) from err


def run_ffmpeg(args: list[str], timeout: float = FFMPEG_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run ffmpeg with `args` (stdout as bytes, stderr as text); never raises on exit status."""
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", *args]
    log.debug("ffmpeg %s", " ".join(args))
    try:
        result = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise StudioError(
            f"ffmpeg took longer than {timeout:.0f} s and was stopped — "
            "try a shorter or smaller file."
        ) from err
    return subprocess.CompletedProcess(
        cmd, result.returncode, result.stdout, result.stderr.decode("utf-8", "replace")
    )


def last_error_line(stderr: str) -> str:
    """The most telling line of ffmpeg's stderr, without its "[demuxer @ 0x…]" prefix."""
    lines = [re.sub(r"^\[[^\]]*\]\s*", "", ln).strip() for ln in stderr.splitlines()]
    lines = [
        ln
        for ln in lines
        if ln
        and not ln.startswith(
            ("Input #", "Duration:", "Stream #", "Metadata:", "At least one output")
        )
    ]
    for ln in lines:  # the first error usually names the cause; later ones just cascade
        if re.search(r"invalid|error|not|no such|unknown|fail|matches no", ln, re.IGNORECASE):
            return ln.rstrip(".")
    return lines[-1].rstrip(".") if lines else "no readable streams"


@dataclass
class StreamInfo:
    """What the container header says. Sizes are after rotation (as decoded frames come out)."""

    has_video: bool = False
    video_codec: str = ""  # e.g. "h264", "mpeg4" (OpenCV's mp4v), "vp9"
    width: int = 0
    height: int = 0
    fps: float = 0.0
    has_audio: bool = False
    audio_rate: int = 0
    audio_channels: int = 0
    duration: float | None = None
    error: str = ""

    @property
    def n_frames(self) -> int | None:
        """Frame-count estimate from duration × fps (exact count needs decoding)."""
        if self.duration is None or self.fps <= 0:
            return None
        return max(1, int(round(self.duration * self.fps)))


_CHANNEL_LAYOUTS = {
    "mono": 1,
    "stereo": 2,
    "2.1": 3,
    "3.0": 3,
    "quad": 4,
    "4.0": 4,
    "5.0": 5,
    "5.1": 6,
    "6.1": 7,
    "7.1": 8,
}


def parse_header(stderr: str) -> StreamInfo:
    """Parse the stream summary `ffmpeg -i FILE` prints (first video and audio stream)."""
    info = StreamInfo()
    m = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", stderr)
    if m:
        info.duration = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
    for line in stderr.splitlines():
        line = line.strip()
        if not line.startswith("Stream #"):
            continue
        if " Video: " in line and "(attached pic)" not in line and not info.has_video:
            size = re.search(r", (\d+)x(\d+)", line)
            if not size:
                continue
            info.has_video = True
            codec = re.search(r" Video: (\w+)", line)
            info.video_codec = codec[1] if codec else ""
            info.width, info.height = int(size[1]), int(size[2])
            rate = re.search(r"(\d+(?:\.\d+)?) fps", line) or re.search(
                r"(\d+(?:\.\d+)?) tbr", line
            )
            info.fps = float(rate[1]) if rate else 0.0
        elif " Audio: " in line and not info.has_audio:
            info.has_audio = True
            rate = re.search(r"(\d+) Hz", line)
            info.audio_rate = int(rate[1]) if rate else 0
            after = line.split(" Hz, ", 1)[1].split(",")[0].strip() if " Hz, " in line else ""
            n = re.match(r"(\d+) channels", after)
            info.audio_channels = int(n[1]) if n else _CHANNEL_LAYOUTS.get(after.split("(")[0], 0)
    rotation = re.search(r"rotation of (-?\d+(?:\.\d+)?) degrees", stderr)
    if rotation and round(abs(float(rotation[1]))) % 180 == 90:
        info.width, info.height = info.height, info.width
    if not info.has_video and not info.has_audio:
        info.error = last_error_line(stderr)
    return info


def probe(path: str | Path) -> StreamInfo:
    """Read the header of a media file without decoding it (one short ffmpeg run)."""
    # With no output file ffmpeg always exits non-zero; the header on stderr is what we want.
    result = run_ffmpeg(["-i", str(path)], timeout=60.0)
    return parse_header(result.stderr)


def decode_audio(
    path: str | Path, sample_rate: int, max_seconds: float | None = None
) -> np.ndarray:
    """Decode the first audio stream of any file ffmpeg knows to mono float32 at `sample_rate`.

    Raises FFmpegError when the file has no audio stream or cannot be decoded; the caller
    decides whether that is an error for the user (driving audio) or not (a silent video).
    `max_seconds` stops decoding early so an hour-long file is not decoded just to be refused.
    """
    args = ["-v", "error", "-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if max_seconds is not None:
        args += ["-t", f"{max_seconds:.3f}"]
    args += ["-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    result = run_ffmpeg(args)
    if result.returncode != 0:
        raise FFmpegError(last_error_line(result.stderr))
    usable = len(result.stdout) // 4 * 4
    return np.frombuffer(result.stdout[:usable], dtype="<f4").astype(np.float32)
