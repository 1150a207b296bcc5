"""The limits on user media, in one place with the reason for each.

The studio keeps whole clips in memory and runs on a laptop CPU, so the limits are about
memory and waiting time, not about what the codecs can do. Callers may pass tighter limits.
"""

from __future__ import annotations

#: 40 MP is above any phone camera; decoding it takes ~120 MB as RGB uint8. Bigger images are
#: almost always scans or panoramas, and a face model needs a few hundred pixels anyway.
MAX_IMAGE_PIXELS = 40_000_000

#: Driving audio: two minutes of speech already makes a long talking-head clip to render.
MAX_AUDIO_SECONDS = 120.0

#: Source videos are decoded fully into memory: 60 s × 25 fps × 1024² × 3 B ≈ 4.7 GB worst case.
MAX_VIDEO_SECONDS = 60.0

#: Container headers round durations, audio often runs a few frames past the picture and
#: compressed audio carries codec padding, so 60.1 s for a 60 s clip is not "too long".
#: Exact counts (WAV/FLAC samples, decoded video frames) get no slack beyond one frame.
DURATION_SLACK_S = 0.25

#: Long side of decoded video frames; trackers and models work at 512 px or below.
MAX_VIDEO_SIDE = 1024

#: Audio whose peak is below this (about -80 dBFS) carries nothing a model can lip-sync to.
SILENCE_PEAK = 1e-4

#: ... and neither does audio whose RMS level is below -60 dBFS (e.g. only a faint click).
SILENCE_RMS_DBFS = -60.0

#: Longest any single ffmpeg call may run; a hung decoder must not hang the UI forever.
FFMPEG_TIMEOUT_S = 600.0
