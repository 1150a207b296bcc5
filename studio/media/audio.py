"""Reading and writing audio as 16 kHz mono float32 in [-1, 1].

Speech features, lip-sync models and the UI all assume that one format, so every input (any
rate, any channel count, integer or float samples, WAV/FLAC/OGG via soundfile or anything else
via ffmpeg) is converted here, and each conversion is logged rather than done silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media.ffmpeg import FFmpegError, decode_audio, probe
from studio.media.files import check_input_file
from studio.media.limits import DURATION_SLACK_S, MAX_AUDIO_SECONDS, SILENCE_PEAK, SILENCE_RMS_DBFS

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
#: Formats libsndfile reads exactly (sample-accurate length); others go through ffmpeg.
SOUNDFILE_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".au"}
AUDIO_FORMATS = "WAV, FLAC, OGG, MP3 or M4A (or a video with sound)"


@dataclass
class Audio:
    """Mono audio. samples (N,) float32 in [-1, 1] at `sample_rate` (16 kHz after reading).

    `source_rate` / `source_channels` record what the file had, so the UI can say what was
    converted; `path` is None for audio made in memory (e.g. synthesised speech).
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    source_channels: int
    path: str | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.sample_rate)


def to_float32(samples: np.ndarray) -> np.ndarray:
    """Integer PCM (int16, int32, uint8) or float samples -> float32 in the [-1, 1] scale."""
    a = np.asarray(samples)
    if a.dtype == np.int16:
        return a.astype(np.float32) / 32768.0
    if a.dtype == np.int32:
        return (a.astype(np.float64) / 2147483648.0).astype(np.float32)
    if a.dtype == np.uint8:  # 8-bit WAV is unsigned, centred on 128
        return (a.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(a.dtype, np.floating):
        return np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    raise StudioError(f"Cannot use audio samples of type {a.dtype}; use 16-bit, 32-bit or float.")


def to_mono(samples: np.ndarray) -> np.ndarray:
    """(N,) or (N, channels) -> (N,) by averaging the channels."""
    a = np.asarray(samples)
    if a.ndim == 1:
        return a
    if a.ndim == 2:
        return a.mean(axis=1, dtype=np.float32) if a.shape[1] > 1 else a[:, 0]
    raise ValueError(f"audio must be (N,) or (N, channels), got shape {a.shape}")


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited polyphase resampling along axis 0 with the exact gcd-reduced ratio.

    Output length is ceil(N × dst / src), so durations are preserved to one sample.
    """
    samples = np.asarray(samples, dtype=np.float32)
    src_rate, dst_rate = int(src_rate), int(dst_rate)
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    if src_rate == dst_rate or len(samples) == 0:
        return samples.copy()
    from scipy.signal import resample_poly

    g = gcd(src_rate, dst_rate)
    return resample_poly(samples, dst_rate // g, src_rate // g, axis=0).astype(np.float32)


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level in dB relative to full scale (-inf for digital silence)."""
    if len(samples) == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def is_silent(
    samples: np.ndarray, peak: float = SILENCE_PEAK, rms_dbfs: float = SILENCE_RMS_DBFS
) -> bool:
    """True when there is nothing to lip-sync to: peak below `peak` or RMS below `rms_dbfs`."""
    a = np.asarray(samples)
    if a.size == 0:
        return True
    return float(np.max(np.abs(a))) < peak or level_dbfs(a.ravel()) < rms_dbfs


def _level_text(samples: np.ndarray) -> str:
    level = level_dbfs(samples)
    return "all zeros" if level == float("-inf") else f"level {level:.0f} dBFS"


def _too_long(label: str, seconds: float | None, max_seconds: float) -> StudioError:
    length = f"{seconds:.1f} s" if seconds else f"longer than {max_seconds:g} s"
    return StudioError(
        f"{label} is {length} long; the studio accepts audio up to "
        f"{max_seconds:g} s — trim it first."
    )


def audio_from_array(
    samples: np.ndarray,
    sample_rate: int,
    path: str | None = None,
    name: str = "the recording",
    max_seconds: float | None = None,
    allow_silent: bool = True,
) -> Audio:
    """Convert in-memory samples (N,) or (N, channels), any dtype and rate, to 16 kHz mono.

    This is what `read_audio` does after decoding; the UI uses it for Gradio's (rate, array).
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    label = f"'{name}'" if path is not None else name  # a file name is quoted, "the recording" not
    a = to_float32(samples)
    if a.ndim not in (1, 2):
        raise StudioError(
            f"Cannot use {name}: expected (samples,) or (samples, channels), got shape {a.shape}."
        )
    channels = 1 if a.ndim == 1 else a.shape[1]
    if a.shape[0] == 0 or channels == 0:
        raise StudioError(
            f"{label} contains no audio (0 seconds) — choose a recording with speech in it."
        )
    duration = a.shape[0] / float(sample_rate)
    if max_seconds is not None and duration > max_seconds:
        raise _too_long(label, duration, max_seconds)
    mono = to_mono(a)
    if channels > 1:
        log.info("Mixed %d channels of '%s' down to mono.", channels, name)
    peak = float(np.max(np.abs(mono)))
    if peak > 1.0:
        log.warning(
            "'%s' peaks at %.2f (above full scale); scaled it down to fit [-1, 1].", name, peak
        )
        mono = mono / peak
    if sample_rate != SAMPLE_RATE:
        log.info("Resampled '%s' from %d Hz to %d Hz.", name, sample_rate, SAMPLE_RATE)
        mono = np.clip(resample(mono, sample_rate, SAMPLE_RATE), -1.0, 1.0)
    if not allow_silent and is_silent(mono):
        raise StudioError(
            f"{label} is silent ({_level_text(mono)}) — choose a "
            "recording where someone speaks, or turn up its volume."
        )
    return Audio(
        samples=np.ascontiguousarray(mono, dtype=np.float32),
        sample_rate=SAMPLE_RATE,
        source_rate=int(sample_rate),
        source_channels=int(channels),
        path=path,
    )


def _read_soundfile(path: Path, max_seconds: float) -> tuple[np.ndarray, int] | None:
    """(samples (N, C) float32, rate) via libsndfile, or None if it cannot read the file."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception:  # libsndfile refuses: not its format, or damaged -> let ffmpeg try
        return None
    if info.samplerate > 0 and info.frames / info.samplerate > max_seconds:
        raise _too_long(f"'{path.name}'", info.frames / info.samplerate, max_seconds)
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as err:
        log.info("soundfile could not decode '%s' (%s); trying ffmpeg.", path.name, err)
        return None
    return samples, int(rate)


def _read_ffmpeg(path: Path, max_seconds: float) -> Audio:
    """Decode any format ffmpeg knows straight to 16 kHz mono (ffmpeg does the conversion)."""
    info = probe(path)
    if not info.has_audio:
        if info.has_video:
            raise StudioError(
                f"'{path.name}' has no audio track — choose a file with sound, "
                "or type text to speak instead."
            )
        raise StudioError(
            f"Could not read '{path.name}' as audio: it is damaged or not an "
            f"audio format (ffmpeg says: {info.error}). Use {AUDIO_FORMATS}."
        )
    if info.duration is not None and info.duration > max_seconds + DURATION_SLACK_S:
        raise _too_long(f"'{path.name}'", info.duration, max_seconds)
    try:
        # Decode a little past the limit: enough to know the file is too long, no more.
        samples = decode_audio(path, SAMPLE_RATE, max_seconds=max_seconds + 1.0)
    except FFmpegError as err:
        raise StudioError(
            f"Could not read '{path.name}' as audio: it is damaged or not an "
            f"audio format (ffmpeg says: {err.reason}). Use {AUDIO_FORMATS}."
        ) from None
    if len(samples) / SAMPLE_RATE > max_seconds + DURATION_SLACK_S:  # codec padding
        raise _too_long(f"'{path.name}'", info.duration, max_seconds)
    if info.audio_rate and info.audio_rate != SAMPLE_RATE:
        log.info(
            "Resampled '%s' from %d Hz to %d Hz (ffmpeg).", path.name, info.audio_rate, SAMPLE_RATE
        )
    if info.audio_channels > 1:
        log.info("Mixed %d channels of '%s' down to mono (ffmpeg).", info.audio_channels, path.name)
    return Audio(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source_rate=info.audio_rate or SAMPLE_RATE,
        source_channels=info.audio_channels or 1,
        path=str(path),
    )


def read_audio(
    path: str | Path, max_seconds: float = MAX_AUDIO_SECONDS, allow_silent: bool = False
) -> Audio:
    """Read an audio (or video) file as 16 kHz mono float32.

    Raises StudioError naming the file when it is missing, empty, damaged, not audio, has no
    audio track, is 0 s or longer than `max_seconds`, or is silent (unless `allow_silent`).
    """
    path = check_input_file(path, "audio")
    decoded = (
        _read_soundfile(path, max_seconds) if path.suffix.lower() in SOUNDFILE_SUFFIXES else None
    )
    if decoded is not None:
        samples, rate = decoded
        return audio_from_array(
            samples,
            rate,
            path=str(path),
            name=path.name,
            max_seconds=max_seconds,
            allow_silent=allow_silent,
        )
    audio = _read_ffmpeg(path, max_seconds)
    if len(audio.samples) == 0:
        raise StudioError(
            f"'{path.name}' contains no audio (0 seconds) — choose a recording with speech in it."
        )
    if not allow_silent and is_silent(audio.samples):
        raise StudioError(
            f"'{path.name}' is silent ({_level_text(audio.samples)})"
            " — choose a recording where someone speaks, or turn up its volume."
        )
    return audio


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write 16-bit PCM WAV (what every player and browser accepts); clips to [-1, 1]."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(to_float32(samples), -1.0, 1.0)
    sf.write(str(path), data, int(sample_rate), subtype="PCM_16", format="WAV")
    return path
