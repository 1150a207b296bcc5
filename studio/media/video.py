"""Reading and writing video as (T, H, W, 3) uint8 RGB frames plus optional 16 kHz audio.

Decoding goes through imageio-ffmpeg's frame pipe; encoding pipes raw frames into ffmpeg to get
a real H.264 MP4 (yuv420p, faststart) that browsers and Gradio play, with the audio muxed in.
Frame-rate and size changes are explicit arguments and are always logged.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media.audio import SAMPLE_RATE, Audio, is_silent, write_wav
from studio.media.ffmpeg import FFmpegError, StreamInfo, decode_audio, ffmpeg_exe, probe
from studio.media.files import check_input_file
from studio.media.images import to_rgb_uint8
from studio.media.limits import (
    DURATION_SLACK_S,
    FFMPEG_TIMEOUT_S,
    MAX_VIDEO_SECONDS,
    MAX_VIDEO_SIDE,
)

log = logging.getLogger(__name__)


class _ExpectedSizeChange(logging.Filter):
    """imageio-ffmpeg warns when frames differ in size from the source; we scale on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("The frame size for reading")


logging.getLogger("imageio_ffmpeg").addFilter(_ExpectedSizeChange())

DEFAULT_FPS = 25.0
VIDEO_FORMATS = "MP4, MOV, WebM, MKV or AVI"
MP4_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv")


@dataclass
class Video:
    """frames (T, H, W, 3) uint8 RGB at `fps`; audio 16 kHz mono or None if the file has none."""

    frames: np.ndarray
    fps: float
    audio: Audio | None = None
    path: str | None = None

    @property
    def duration(self) -> float:
        """Length of the picture in seconds (T / fps)."""
        return len(self.frames) / float(self.fps)


def _probe_checked(path: Path) -> StreamInfo:
    info = probe(path)
    if not info.has_video:
        if info.has_audio:
            raise StudioError(
                f"'{path.name}' has sound but no picture — choose a video file ({VIDEO_FORMATS})."
            )
        raise StudioError(
            f"Could not read '{path.name}' as a video: it is damaged or not a "
            f"video format (ffmpeg says: {info.error}). Use {VIDEO_FORMATS}."
        )
    return info


BROWSER_CODECS = {"h264", "vp8", "vp9", "av1"}  # what a browser's <video> decodes in MP4/WebM


def browser_playable(path: str | Path) -> bool:
    """Whether a browser can show the video as it is (OpenCV's default mp4v cannot be)."""
    try:
        return probe(path).video_codec in BROWSER_CODECS
    except (FFmpegError, OSError, subprocess.SubprocessError):
        return False


def probe_video(path: str | Path) -> dict:
    """Header facts without decoding frames: fps, size (w, h), duration, n_frames, has_audio.

    `duration` and `n_frames` are None when the container does not say (n_frames is an
    estimate from duration × fps).
    """
    path = check_input_file(path, "video")
    info = _probe_checked(path)
    return {
        "fps": info.fps,
        "size": (info.width, info.height),
        "duration": info.duration,
        "n_frames": info.n_frames,
        "has_audio": info.has_audio,
    }


def _too_long(name: str, seconds: float, max_seconds: float) -> StudioError:
    return StudioError(
        f"'{name}' is {seconds:.1f} s long; the studio accepts videos up to "
        f"{max_seconds:g} s — trim it first."
    )


class _FrameBuffer:
    """Growable (T, H, W, 3) array, so a long clip is not held twice (list + np.stack)."""

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self.data: np.ndarray | None = None
        self.n = 0

    def append(self, frame: np.ndarray) -> None:
        if self.data is None:
            self.data = np.empty((self.capacity, *frame.shape), np.uint8)
        elif self.n == len(self.data):
            grown = np.empty((max(2 * self.n, 8), *frame.shape), np.uint8)
            grown[: self.n] = self.data
            self.data = grown
        self.data[self.n] = frame
        self.n += 1

    def array(self) -> np.ndarray:
        assert self.data is not None
        return self.data[: self.n] if self.n == len(self.data) else self.data[: self.n].copy()


def _decode_frames(
    path: Path, info: StreamInfo, max_seconds: float, max_side: int
) -> tuple[np.ndarray, float]:
    """All frames, downscaled so the long side ≤ max_side, and the source frame rate."""
    import imageio_ffmpeg

    name = path.name
    # ffmpeg scales while decoding (area filter, aspect kept, after auto-rotation), so a 4K
    # clip never crosses the pipe at full size. Unknown header sizes get the filter too: it
    # is a no-op for frames that already fit.
    output_params = []
    if not info.width or max(info.width, info.height) > max_side:
        m = int(max_side)
        output_params = [
            "-vf",
            f"scale=w='if(gte(iw,ih),min(iw,{m}),-1)':h='if(gte(iw,ih),-1,min(ih,{m}))':flags=area",
        ]
    reader = imageio_ffmpeg.read_frames(str(path), output_params=output_params)
    try:
        meta = next(reader)
    except Exception as err:
        raise StudioError(
            f"Could not read '{name}' as a video: ffmpeg could not open it "
            f"({str(err).splitlines()[0]}). Use {VIDEO_FORMATS}."
        ) from None
    src_fps = float(meta.get("fps") or info.fps or 0.0)
    width, height = meta["size"]
    if info.width and (width, height) != (info.width, info.height):
        log.info(
            "Downscaling '%s' from %d×%d to %d×%d (long side ≤ %d).",
            name,
            info.width,
            info.height,
            width,
            height,
            max_side,
        )
    # Stop decoding once the clip is clearly too long (the header may not know its duration).
    max_frames = int((max_seconds + 1.0) * (src_fps or DEFAULT_FPS)) + 1
    buffer = _FrameBuffer(min(info.n_frames or 64, max_frames))
    try:
        for raw in reader:
            buffer.append(np.frombuffer(raw, np.uint8).reshape(height, width, 3))
            if buffer.n > max_frames:
                raise _too_long(name, buffer.n / (src_fps or DEFAULT_FPS), max_seconds)
    except RuntimeError as err:
        if buffer.n == 0:
            raise StudioError(
                f"Could not decode any frame of '{name}': the file is damaged or "
                f"uses an unsupported codec. Use {VIDEO_FORMATS}."
            ) from None
        log.warning(
            "'%s' is damaged after frame %d; keeping the %d frames read (%s).",
            name,
            buffer.n,
            buffer.n,
            str(err).splitlines()[0],
        )
    finally:
        reader.close()
    if buffer.n == 0:
        raise StudioError(f"'{name}' contains no video frames — choose another clip.")
    if src_fps <= 0:
        if info.duration:
            src_fps = buffer.n / info.duration
        else:
            src_fps = DEFAULT_FPS
            log.warning("'%s' does not state its frame rate; assuming %g fps.", name, src_fps)
    return buffer.array(), src_fps


def resample_frames(frames: np.ndarray, src_fps: float, fps: float) -> np.ndarray:
    """Pick the nearest source frame for each time k / fps (drops or repeats frames).

    The clip keeps its duration: T_out = round(T × fps / src_fps).
    """
    n_out = max(1, int(round(len(frames) * fps / src_fps)))
    index = np.floor(np.arange(n_out) * (src_fps / fps) + 0.5).astype(np.int64)
    return frames[np.minimum(index, len(frames) - 1)]


def _read_track(path: Path, info: StreamInfo, max_seconds: float) -> Audio | None:
    """The first audio stream as 16 kHz mono, or None when there is none or it is unreadable."""
    if not info.has_audio:
        return None
    try:
        samples = decode_audio(path, SAMPLE_RATE, max_seconds=max_seconds + 1.0)
    except FFmpegError as err:
        log.warning("Ignoring the audio track of '%s': %s", path.name, err.reason)
        return None
    if len(samples) == 0:
        return None
    if is_silent(samples):
        log.info("The audio track of '%s' is silent.", path.name)
    return Audio(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source_rate=info.audio_rate or SAMPLE_RATE,
        source_channels=info.audio_channels or 1,
        path=str(path),
    )


def read_video(
    path: str | Path,
    max_seconds: float = MAX_VIDEO_SECONDS,
    max_side: int = MAX_VIDEO_SIDE,
    fps: float | None = None,
) -> Video:
    """Read a video file: frames (long side ≤ max_side), its fps, and its audio (or None).

    With `fps` given, frames are resampled to that rate by nearest-frame picking (logged).
    Raises StudioError naming the file when it is missing, empty, not a video, has no frames
    or is longer than `max_seconds`.
    """
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    path = check_input_file(path, "video")
    info = _probe_checked(path)
    if info.duration is not None and info.duration > max_seconds + DURATION_SLACK_S:
        raise _too_long(path.name, info.duration, max_seconds)
    frames, src_fps = _decode_frames(path, info, max_seconds, max_side)
    if len(frames) / src_fps > max_seconds + 1.0 / src_fps:  # one frame of rounding
        raise _too_long(path.name, len(frames) / src_fps, max_seconds)
    out_fps = src_fps
    if fps is not None and abs(fps - src_fps) > 1e-3:
        resampled = resample_frames(frames, src_fps, fps)
        log.info(
            "Resampled '%s' from %.3g fps (%d frames) to %.3g fps (%d frames) by nearest frame.",
            path.name,
            src_fps,
            len(frames),
            fps,
            len(resampled),
        )
        frames, out_fps = resampled, float(fps)
    audio = _read_track(path, info, max_seconds)
    return Video(frames=frames, fps=out_fps, audio=audio, path=str(path))


def _frames_uint8(frames: np.ndarray | Iterable[np.ndarray]) -> np.ndarray:
    """Frames as (T, H, W, 3) uint8 with even H and W (yuv420p needs both even)."""
    if (
        isinstance(frames, np.ndarray)
        and frames.dtype == np.uint8
        and frames.ndim == 4
        and frames.shape[3] == 3
    ):
        arr = frames
    else:
        frames = list(frames)
        arr = np.stack([to_rgb_uint8(f) for f in frames]) if frames else np.empty(0)
    if arr.ndim != 4 or len(arr) == 0:
        raise ValueError(f"frames must be a non-empty (T, H, W, 3) sequence, got {arr.shape}")
    t, h, w, _ = arr.shape
    if h % 2 or w % 2:
        arr = np.pad(arr, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return arr


def _rate(fps: float) -> str:
    """fps as an exact ffmpeg rational, e.g. 29.97 -> 30000/1001."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


def _encode(
    path: Path, frames: np.ndarray, fps: float, input_extra: list[str], output_args: list[str]
) -> Path:
    """Pipe raw RGB frames into ffmpeg; write to a temporary name and rename when complete,
    so a failed write never leaves a half file where the UI expects a video."""
    t, h, w, _ = frames.shape
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    cmd = [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-framerate",
        _rate(fps),
        "-i",
        "-",
        *input_extra,
        *output_args,
        str(partial),
    ]
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err_file
        )
        try:
            for frame in frames:
                proc.stdin.write(np.ascontiguousarray(frame).tobytes())
            proc.stdin.close()
            code = proc.wait(timeout=FFMPEG_TIMEOUT_S)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            code = proc.wait()
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace").strip()
    if code != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise StudioError(
            f"Could not write '{path.name}': ffmpeg failed "
            f"({stderr.splitlines()[-1] if stderr else f'exit status {code}'})."
        )
    os.replace(partial, path)
    return path


def write_video(
    path: str | Path,
    frames: np.ndarray | Iterable[np.ndarray],
    fps: float = 25.0,
    audio: Audio | None = None,
    crf: int = 18,
) -> Path:
    """Write an H.264 MP4 (yuv420p, +faststart) that browsers play, with AAC audio if given.

    Odd sizes are padded by one edge pixel. Audio longer than the picture is cut to its length;
    shorter audio is kept as it is (the end of the clip is then silent), not padded or looped.
    """
    path = Path(path)
    if path.suffix.lower() == ".gif":
        return write_gif(path, frames, fps)
    if path.suffix.lower() not in MP4_SUFFIXES:
        raise StudioError(
            f"Cannot write '{path.name}': use one of {', '.join(MP4_SUFFIXES)} (or .gif)."
        )
    arr = _frames_uint8(frames)
    video_args = [
        "-map",
        "0:v:0",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(int(crf)),
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
    ]
    if audio is None or len(audio.samples) == 0:
        return _encode(path, arr, fps, [], [*video_args, "-an"])
    samples = np.asarray(audio.samples, np.float32)
    n_keep = int(round(len(arr) / fps * audio.sample_rate))
    if len(samples) > n_keep:
        log.info(
            "Trimmed the audio from %.2f s to the video's %.2f s.",
            len(samples) / audio.sample_rate,
            len(arr) / fps,
        )
        samples = samples[:n_keep]
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "audio.wav", samples, audio.sample_rate)
        return _encode(
            path,
            arr,
            fps,
            ["-i", str(wav)],
            [*video_args, "-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"],
        )


def write_gif(
    path: str | Path,
    frames: np.ndarray | Iterable[np.ndarray],
    fps: float = 25.0,
    max_side: int | None = 480,
) -> Path:
    """Write a looping GIF with one optimised palette (for previews in docs and issues)."""
    arr = _frames_uint8(frames)
    scale = []
    if max_side and max(arr.shape[1:3]) > max_side:
        scale = [
            f"scale='min({max_side},iw)':'min({max_side},ih)'"
            ":force_original_aspect_ratio=decrease:flags=area"
        ]
    graph = ",".join([*scale, "split[a][b]"]) + (
        ";[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer"
    )
    return _encode(Path(path), arr, fps, [], ["-vf", graph, "-loop", "0", "-f", "gif"])
