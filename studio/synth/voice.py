"""An identity's voice, and how a momentary prosody (e.g. an emotion) bends it.

A SynthTalk identity keeps one eSpeak voice for all its clips: accent, variant (timbre),
base pitch, intonation range and speaking rate. Emotions then shift pitch, range, rate and
loudness on top (`Prosody`), as they do in people, so the same person sounds angry or sad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.speech import Speech, list_variants, synthesize
from studio.speech.tts import PITCH_RANGE, PITCH_SPAN_RANGE, RATE_RANGE, VOLUME_RANGE

# Accents, weighted toward the default; all map through studio.speech's English viseme table.
ACCENTS: tuple[str, ...] = ("en-us", "en-us", "en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland")

# Human-sounding variants only: whispers, robots and novelty voices have no clear voicing,
# which would break the link between loudness and mouth opening that SynthTalk relies on.
# klatt, klatt2, anika and robert are left out too: their fricatives are as loud as their vowels,
# so jaw opening and loudness part ways (jaw-energy r below 0.5 on the sentence list).
HUMAN_VARIANTS: tuple[str, ...] = (
    *(f"m{i}" for i in range(1, 9)),
    *(f"f{i}" for i in range(1, 6)),
    "klatt3",
    "adam",
    "belinda",
    "benjamin",
    "david",
    "edward",
    "ian",
    "john",
    "linda",
    "max",
    "paul",
    "steph",
    "travis",
    "victor",
)


@dataclass
class VoiceStyle:
    """How one identity speaks: the eSpeak voice and its base settings (eSpeak units)."""

    voice: str = "en-us"
    variant: str | None = None
    pitch: int = 50  # 0..100, 50 = the variant's own pitch
    pitch_range: int = 50  # 0..100 intonation span
    rate: int = 165  # words per minute


@dataclass(frozen=True)
class Prosody:
    """A momentary change of the voice: added pitch (eSpeak units) and scale factors."""

    pitch_shift: float = 0.0
    pitch_range_scale: float = 1.0
    rate_scale: float = 1.0
    volume_scale: float = 1.0


def available_variants() -> tuple[str, ...]:
    """The human-sounding variants this eSpeak installation has (absent ones are skipped)."""
    installed = set(list_variants())
    return tuple(v for v in HUMAN_VARIANTS if v in installed)


def sample_voice(rng: np.random.Generator) -> VoiceStyle:
    """A plausible speaker: an accent, a timbre, a base pitch, an intonation range, a pace."""
    variants = available_variants()
    return VoiceStyle(
        voice=str(rng.choice(ACCENTS)),
        variant=str(rng.choice(variants)) if variants else None,
        pitch=int(rng.integers(30, 71)),
        pitch_range=int(rng.integers(35, 76)),
        rate=int(rng.integers(145, 186)),
    )


def _within(value: float, bounds: tuple[int, int]) -> int:
    return int(np.clip(round(value), *bounds))


def voice_settings(style: VoiceStyle, prosody: Prosody | None = None) -> dict[str, int]:
    """eSpeak's rate, pitch, pitch_range and volume for a style bent by a prosody."""
    p = prosody or Prosody()
    return {
        "rate": _within(style.rate * p.rate_scale, RATE_RANGE),
        "pitch": _within(style.pitch + p.pitch_shift, PITCH_RANGE),
        "pitch_range": _within(style.pitch_range * p.pitch_range_scale, PITCH_SPAN_RANGE),
        "volume": _within(100 * p.volume_scale, VOLUME_RANGE),
    }


def speak(text: str, style: VoiceStyle, prosody: Prosody | None = None) -> Speech:
    """Say text in this identity's voice with the given prosody (deterministic)."""
    return synthesize(
        text, voice=style.voice, variant=style.variant, **voice_settings(style, prosody)
    )
