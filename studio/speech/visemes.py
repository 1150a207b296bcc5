"""Phonemes to visemes: what the mouth shows for each sound eSpeak makes.

SynthTalk drives its mouth rig from visemes, not phonemes, because many sounds look alike on
the lips (p/b/m, f/v, k/g/ng). The inventory is the 15 Oculus (MPEG-4-style) visemes. The
table covers every mnemonic of eSpeak NG's English phoneme tables (en and its regional
tables: en-us, en-us-nyc, en-rp, en-sc, en-n, en-wi, en-wm) plus the consonants and pauses
those tables inherit from eSpeak's base table. A symbol outside it is mapped by its base
letters (or to "E", a neutral half-open mouth) and logged once as a warning.

Choices worth knowing: h, x and other back consonants use "kk" (mouth neutral, slightly
open); the glottal stop "?" and the flap "*" use "DD" (they stand in for /t/); the r-coloured
and central vowels "3", "3:", "@" use "E"; diphthongs take the viseme of their first, longer
part ("aI" -> aa, "oU" -> oh, "eI" -> E); "@L" (syllabic dark l) and syllabic "n-" use "nn".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from studio.speech.features import FPS
from studio.speech.tts import PhonemeEvent

log = logging.getLogger(__name__)

# fmt: off
VISEMES: list[str] = [
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
]
VISEME_INDEX = {name: i for i, name in enumerate(VISEMES)}
DEFAULT_VISEME = "E"

# eSpeak mnemonic -> viseme, grouped by viseme (stress marks are stripped before lookup).
_GROUPS: dict[str, tuple[str, ...]] = {
    "sil": ("_", "_:", "_!", "_|", "_::", "_^_", "_X1", "_;_", "||"),
    "PP": ("p", "b", "m", "m-", "B"),
    "FF": ("f", "v", "v#"),
    "TH": ("T", "D"),
    "DD": ("t", "d", "t#", "t2", "d#", "t[", "d[", "*", "**", "?"),
    "kk": ("k", "g", "N", "N-", "h", "x", "X", "C", "c", "J", "q", "Q", "Q^", 'Q"', "#X1"),
    "CH": ("tS", "dZ", "S", "Z", "tS;", "dZ;", "S;", "Z;", "J^", "s.", "z."),
    "SS": ("s", "z", "z#", "z/2", "s;", "z;"),
    "nn": (
        "n", "n-", "n.", "n^", "l", "l/", "l/2", "l/3", "l^", "l.", "l-", "l#", "L", "L/",
        "@L",
    ),
    "RR": ("r", "r-", "r/", "r.", 'r"', "R", "R2", "R3", "IR", "VR"),
    "aa": (
        "a", "a#", "a2", "a#2", "a/", "aa", "A:", "A@", "A#", "A~", "V", "aI", "aI@", "aI3",
        "aI2", "aU", "aU@",
    ),
    "E": ("E", "E#", "E2", "e", "e:", "e#", "e@", "eI", "@", "@-", "@#", "@2", "3", "3:"),
    "ih": ("I", "I2", "I#", "I2#", "i", "i:", "i@", "i@3", "j", ";"),
    "oh": ("0", "0#", "02", "O", "O:", "O2", "O@", "O~", "o", "o:", "o@", "oU", "oU#", "OI"),
    "ou": ("u", "u:", "U", "U@", "@5", "w", "w#"),
}
# fmt: on


def _build_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for viseme, symbols in _GROUPS.items():
        assert viseme in VISEME_INDEX, viseme
        for symbol in symbols:
            assert symbol not in table, f"{symbol} is listed twice"
            table[symbol] = viseme
    return table


PHONEME_TO_VISEME: dict[str, str] = _build_table()
_STRESS_CHARS = "'," + "%="
_MODIFIER_CHARS = '#:;/.^-"[0123456789'
_warned: set[str] = set()


def _strip_stress(symbol: str) -> str:
    return symbol.lstrip(_STRESS_CHARS)


def is_known_phoneme(symbol: str) -> bool:
    """True when the table maps this mnemonic directly (no fallback)."""
    return _strip_stress(symbol) in PHONEME_TO_VISEME


def _fallback(symbol: str) -> str:
    """A look-alike for an unknown mnemonic: strip modifiers, then try its first letter."""
    if symbol.startswith("_"):
        return "sil"
    base = symbol.rstrip(_MODIFIER_CHARS)
    for candidate in (base, base[:2], base[:1]):
        if candidate in PHONEME_TO_VISEME:
            return PHONEME_TO_VISEME[candidate]
    return DEFAULT_VISEME


def phoneme_to_viseme(symbol: str) -> str:
    """The viseme for an eSpeak phoneme mnemonic (with or without a stress mark)."""
    key = _strip_stress(symbol)
    viseme = PHONEME_TO_VISEME.get(key)
    if viseme is not None:
        return viseme
    viseme = _fallback(key)
    if key not in _warned:
        _warned.add(key)
        log.warning("No viseme for eSpeak phoneme %r; using %r", key, viseme)
    return viseme


def frame_phoneme_indices(
    phonemes: Sequence[PhonemeEvent], n_frames: int, fps: float = FPS
) -> np.ndarray:
    """(n_frames,) int64: the phoneme sounding at each video frame's time t / fps, -1 for none.

    Phonemes are [start, end) intervals in seconds, sorted by start (as `synthesize` gives).
    """
    times = np.arange(n_frames, dtype=np.float64) / fps
    if not phonemes:
        return np.full(n_frames, -1, dtype=np.int64)
    starts = np.array([p.start for p in phonemes], dtype=np.float64)
    ends = np.array([p.end for p in phonemes], dtype=np.float64)
    if np.any(np.diff(starts) < 0):
        raise ValueError("phonemes must be sorted by start time")
    idx = np.searchsorted(starts, times, side="right") - 1
    inside = (idx >= 0) & (times < ends[np.clip(idx, 0, None)])
    return np.where(inside, idx, -1).astype(np.int64)


def viseme_track(phonemes: Sequence[PhonemeEvent], n_frames: int, fps: float = FPS) -> list[str]:
    """The viseme at each video frame's time; "sil" where no phoneme sounds."""
    visemes = [phoneme_to_viseme(p.symbol) for p in phonemes]
    return [visemes[i] if i >= 0 else "sil" for i in frame_phoneme_indices(phonemes, n_frames, fps)]
