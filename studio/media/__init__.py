"""Media I/O: every image, sound and clip enters and leaves the studio through here.

Images become (H, W, 3) uint8 RGB, audio 16 kHz mono float32 in [-1, 1], video (T, H, W, 3)
uint8 RGB frames with their fps and optional audio. Bad input raises `StudioError` with a
message naming the file; limits and their reasons are in `studio.media.limits`.
"""

from studio.media.audio import (
    SAMPLE_RATE,
    Audio,
    audio_from_array,
    is_silent,
    level_dbfs,
    read_audio,
    resample,
    to_float32,
    to_mono,
    write_wav,
)
from studio.media.images import fit_within, read_image, to_rgb_uint8, write_image
from studio.media.video import (
    DEFAULT_FPS,
    Video,
    probe_video,
    read_video,
    resample_frames,
    write_gif,
    write_video,
)

__all__ = [
    "DEFAULT_FPS",
    "SAMPLE_RATE",
    "Audio",
    "Video",
    "audio_from_array",
    "fit_within",
    "is_silent",
    "level_dbfs",
    "probe_video",
    "read_audio",
    "read_image",
    "read_video",
    "resample",
    "resample_frames",
    "to_float32",
    "to_mono",
    "to_rgb_uint8",
    "write_gif",
    "write_image",
    "write_video",
    "write_wav",
]
