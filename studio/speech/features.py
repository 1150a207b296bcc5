"""Audio features shared by every audio-driven model (DESIGN §3).

One definition of the log-mel spectrogram and of the per-video-frame audio window, so that the
audio encoders, the sync expert and SynthTalk all see the same numbers for the same sound:

- 16 kHz mono float32 audio in [-1, 1];
- log-mel: 80 bands, 25 ms Hann window (400 samples) zero-padded to a 512-point FFT, 10 ms hop
  (160 samples), power spectrum, Slaney mel scale with Slaney area normalisation (as librosa's
  default), natural log of max(power, 1e-10);
- video at 25 fps, so 4 mel frames per video frame, and a 16-mel-frame (0.16 s) window per video
  frame centred on that frame's time.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
N_MELS = 80
WIN = 400
HOP = 160
N_FFT = 512
FPS = 25
MEL_PER_FRAME = 4  # SAMPLE_RATE / HOP / FPS
WINDOW_FRAMES = 16
F_MIN = 0.0
F_MAX = SAMPLE_RATE / 2
LOG_FLOOR = 1e-10
DB_FLOOR = -100.0  # frame_energy's value for digital silence

MEL_RATE = SAMPLE_RATE / HOP  # mel frames per second (100)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above (Auditory Toolbox)."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    lin = hz / f_sp
    log = min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep
    return np.where(hz >= min_log_hz, log, lin)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    lin = mel * f_sp
    log = min_log_hz * np.exp(logstep * (np.maximum(mel, min_log_mel) - min_log_mel))
    return np.where(mel >= min_log_mel, log, lin)


def mel_band_edges() -> np.ndarray:
    """(N_MELS + 2,) Hz: the lower edge, centre and upper edge of each triangular band."""
    return _mel_to_hz(np.linspace(_hz_to_mel(F_MIN), _hz_to_mel(F_MAX), N_MELS + 2))


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) float32 triangular filters, Slaney-normalised (equal area).

    Cached and read-only: every caller shares one matrix.
    """
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = mel_band_edges()
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= 2.0 / (upper - lower)  # Slaney norm: each band has the same area
    fb = weights.astype(np.float32)
    fb.setflags(write=False)
    return fb


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    """Periodic Hann window (the STFT convention), length WIN."""
    n = np.arange(WIN)
    w = (0.5 - 0.5 * np.cos(2.0 * np.pi * n / WIN)).astype(np.float32)
    w.setflags(write=False)
    return w


def _as_mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected 1-D mono samples, got shape {x.shape}")
    return x


def n_mel_frames_for(n_samples: int) -> int:
    """Mel frames for n_samples of audio: one per hop, plus the frame centred on the end."""
    return int(n_samples) // HOP + 1


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(n_mel_frames, 80) float32 natural-log mel power of 16 kHz mono audio.

    Mel frame i is centred on sample i * HOP (the signal is zero-padded by WIN // 2 on both
    sides), so n_mel_frames = len(samples) // HOP + 1 and frame times are i / 100 s. Zero
    padding rather than reflection keeps a sound's energy at its true time near the edges.
    """
    x = _as_mono(samples)
    n_frames = n_mel_frames_for(len(x))
    padded = np.pad(x, (WIN // 2, WIN // 2))
    frames = np.lib.stride_tricks.sliding_window_view(padded, WIN)[::HOP][:n_frames]
    spectrum = np.fft.rfft(frames * _hann(), n=N_FFT, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel = power @ mel_filterbank().T
    return np.log(np.maximum(mel, LOG_FLOOR)).astype(np.float32)


def n_video_frames_for(duration_s: float, fps: float = FPS) -> int:
    """Video frames that cover duration_s: frames sit at t / fps for every t / fps < duration.

    At least one frame, so even an empty clip has a picture.
    """
    if duration_s < 0:
        raise ValueError(f"duration must be >= 0, got {duration_s}")
    return max(1, int(np.ceil(duration_s * fps - 1e-9)))


def video_frame_mel_centres(n_video_frames: int, fps: float = FPS) -> np.ndarray:
    """(n_video_frames,) int: the mel frame at each video frame's time t / fps."""
    t = np.arange(n_video_frames, dtype=np.float64)
    return np.rint(t * MEL_RATE / fps).astype(np.int64)


def frame_windows(mel: np.ndarray, n_video_frames: int, fps: float = FPS) -> np.ndarray:
    """(n_video_frames, 16, 80) float32: the audio context of each video frame.

    Window t holds mel frames c - 8 ... c + 7 where c is the mel frame at t / fps, so row 8 of
    every window is "now". Frames outside the clip repeat the first / last mel frame (edge
    padding), so the start and end of a clip look like the clip, not like the log floor.
    """
    mel = np.asarray(mel, dtype=np.float32)
    if mel.ndim != 2 or len(mel) == 0:
        raise ValueError(f"expected a (n_mel_frames, n_mels) array, got shape {mel.shape}")
    centres = video_frame_mel_centres(n_video_frames, fps)
    offsets = np.arange(WINDOW_FRAMES) - WINDOW_FRAMES // 2
    idx = np.clip(centres[:, None] + offsets[None, :], 0, len(mel) - 1)
    return mel[idx]


def audio_windows(
    samples: np.ndarray, n_video_frames: int | None = None, fps: float = FPS
) -> np.ndarray:
    """(T, 16, 80) log-mel windows straight from audio; T defaults to the audio's length."""
    x = _as_mono(samples)
    if n_video_frames is None:
        n_video_frames = n_video_frames_for(len(x) / SAMPLE_RATE, fps)
    return frame_windows(log_mel(x), n_video_frames, fps)


def frame_energy(samples: np.ndarray, n_video_frames: int, fps: float = FPS) -> np.ndarray:
    """(n_video_frames,) float32 RMS level in dB (re full scale 1.0) per video frame.

    Measured over one frame period (1 / fps s) centred on the frame's time, with zeros outside
    the clip; digital silence reads DB_FLOOR. Used to check that lips move when there is sound.
    """
    x = _as_mono(samples).astype(np.float64)
    length = max(1, int(round(SAMPLE_RATE / fps)))
    half = length // 2
    power = np.concatenate([np.zeros(half + 1), x**2, np.zeros(length)])
    cumulative = np.cumsum(power)
    centres = np.rint(np.arange(n_video_frames) * SAMPLE_RATE / fps).astype(np.int64)
    centres = np.minimum(centres, len(x) + half)  # frames past the end read zeros
    energy = (cumulative[centres + length] - cumulative[centres]) / length
    rms = np.sqrt(np.maximum(energy, 0.0))
    db = 20.0 * np.log10(np.maximum(rms, 10.0 ** (DB_FLOOR / 20.0)))
    return db.astype(np.float32)
