"""Speech: eSpeak NG text-to-speech with phoneme timing, visemes, and the shared audio features.

Everything audio-driven in the studio goes through here: `synthesize` for speech with ground-
truth phoneme timing, `viseme_track` for what the mouth should show at each video frame, and
`log_mel` / `frame_windows` for the one audio representation every model reads (DESIGN §3).
"""

from studio.speech.features import (
    FPS,
    HOP,
    MEL_PER_FRAME,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    WIN,
    WINDOW_FRAMES,
    audio_windows,
    frame_energy,
    frame_windows,
    log_mel,
    mel_filterbank,
    n_video_frames_for,
)
from studio.speech.tts import (
    MAX_TEXT_CHARS,
    PhonemeEvent,
    Speech,
    VoiceInfo,
    WordEvent,
    list_variants,
    list_voices,
    resolve_voice,
    synthesize,
)
from studio.speech.visemes import (
    VISEMES,
    frame_phoneme_indices,
    is_known_phoneme,
    phoneme_to_viseme,
    viseme_track,
)

__all__ = [
    "FPS",
    "HOP",
    "MAX_TEXT_CHARS",
    "MEL_PER_FRAME",
    "N_FFT",
    "N_MELS",
    "SAMPLE_RATE",
    "VISEMES",
    "WIN",
    "WINDOW_FRAMES",
    "PhonemeEvent",
    "Speech",
    "VoiceInfo",
    "WordEvent",
    "audio_windows",
    "frame_energy",
    "frame_phoneme_indices",
    "frame_windows",
    "is_known_phoneme",
    "list_variants",
    "list_voices",
    "log_mel",
    "mel_filterbank",
    "n_video_frames_for",
    "phoneme_to_viseme",
    "resolve_voice",
    "synthesize",
    "viseme_track",
]
