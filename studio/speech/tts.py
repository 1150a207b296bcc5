"""Text to speech with exact phoneme timing: eSpeak NG through its C API (ctypes).

eSpeak is the studio's only offline voice (DESIGN §2). Besides audio it reports an event at the
start of every phoneme and word, with the sample position in its output, which gives SynthTalk
ground-truth phoneme timing for free. The library and its data come from `espeakng_loader`.

eSpeak keeps global state and is not thread-safe, so every call that touches it holds `_LOCK`,
and each utterance gets a freshly loaded library (see `_Engine`) so that the same arguments give
the same bytes. It runs in synchronous retrieval mode: audio and events come back through a
callback, nothing is played.

Phoneme symbols are eSpeak's ASCII mnemonics (Kirshenbaum-like: "h", "@", "l", "oU", "3:",
"tS", "aI@"), taken from the 8-byte field of each phoneme event. The event puts the stress mark
in front of a stressed vowel ("'oU" primary, ",aU" secondary); `PhonemeEvent` splits it off into
`stress`. Pauses come as phonemes whose symbol starts with "_" ("_:" after a comma, "_" at a
clause end); the silence before the first phoneme is given the same way, so the phonemes of a
`Speech` tile [0, duration] without gaps.
"""

from __future__ import annotations

import _ctypes
import ctypes
import logging
import string
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np

from studio.errors import StudioError
from studio.speech.features import SAMPLE_RATE

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 1000
ESPEAK_RATE_HZ = 22050  # eSpeak NG's native output rate (checked at initialisation)
RATE_RANGE = (80, 450)  # words per minute
PITCH_RANGE = (0, 100)
PITCH_SPAN_RANGE = (0, 100)
VOLUME_RANGE = (0, 200)
RAND_SEED = 0  # eSpeak adds random jitter/noise for some variants; a fixed seed makes bytes repeat

STRESS_MARKS = {"'": 2, ",": 1, "%": 0, "=": 0}  # primary, secondary, explicitly unstressed
PAUSE_PREFIX = "_"
_TRAILING_PUNCTUATION = ".,;:!?\"')]}…“”‘’«»-–—"

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_PHONEMES = 0x100  # text inside [[ ]] is read as eSpeak phoneme mnemonics
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4
_EE_OK = 0


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PhonemeEvent:
    """One phoneme and where it sounds, in seconds from the start of the audio.

    symbol: eSpeak mnemonic without stress mark ("oU", "tS"; pauses start with "_").
    stress: 2 primary, 1 secondary, 0 none (as eSpeak marks it on vowels).
    """

    symbol: str
    start: float
    end: float
    stress: int = 0

    @property
    def is_pause(self) -> bool:
        return self.symbol.startswith(PAUSE_PREFIX)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class WordEvent:
    """One word of the text and the span of its (non-pause) phonemes, in seconds.

    eSpeak speaks some short function words together with a neighbour ("I am", "not a") and
    reports one word event for both; `text` then holds both words.
    """

    text: str
    start: float
    end: float
    index: int  # 0-based position of the word in the utterance


@dataclass
class Speech:
    """Synthesised speech: samples (n,) float32 in [-1, 1] at `sample_rate` Hz, mono.

    phonemes tile [0, duration] in order; voice is the canonical "language+variant" name
    (e.g. "en-us+f2"); settings holds rate, pitch, pitch_range and volume, so that the call
    can be repeated exactly.
    """

    samples: np.ndarray
    phonemes: list[PhonemeEvent]
    words: list[WordEvent]
    voice: str
    text: str
    sample_rate: int = SAMPLE_RATE
    settings: dict[str, int] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class VoiceInfo:
    """An eSpeak voice: `languages` in preference order, the first being its main one."""

    name: str
    identifier: str
    languages: tuple[str, ...]
    gender: str  # "male", "female" or "unknown"


# ----------------------------------------------------------------------------- ctypes glue


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # sample index in the output (finer than audio_position)
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, name, NUL)* NUL
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _RawEvent:
    kind: int
    sample: int  # at ESPEAK_RATE_HZ
    text_position: int  # 1-based character index into the text
    length: int
    label: str  # phoneme mnemonic for phoneme events, else ""


def _loader() -> ModuleType:
    """The espeakng_loader package, which ships the library and its data."""
    try:
        import espeakng_loader
    except ImportError as e:
        raise StudioError(
            "Speech needs eSpeak NG: install it with `pip install espeakng-loader`"
        ) from e
    return espeakng_loader


class _Engine:
    """One freshly loaded eSpeak instance, for one job; use only while holding `_LOCK`.

    eSpeak keeps hidden state between utterances (the pitch-flutter phase is a function-static
    in its wave generator), so the same text twice gives different samples. Loading the library
    anew for every job and unloading it after (about 5 ms) resets that state, which makes
    `synthesize` a pure function of its arguments. This holds as long as nothing else in the
    process keeps the same libespeak-ng loaded.
    """

    def __init__(self) -> None:
        loader = _loader()
        self.data_path = Path(loader.get_data_path())
        self.lib: ctypes.CDLL | None = ctypes.CDLL(loader.get_library_path())
        self._declare(self.lib)
        rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data_path).encode(), _INITIALIZE_PHONEME_EVENTS
        )
        if rate != ESPEAK_RATE_HZ:
            self.close()
            raise RuntimeError(f"eSpeak NG initialisation returned {rate}, expected 22050 Hz")
        self._chunks: list[bytes] = []
        self._events: list[_RawEvent] = []
        self._callback = _SynthCallback(self._on_audio)  # keep a reference: C holds a pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def __enter__(self) -> _Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Terminates eSpeak and unloads the library, so the next engine starts clean."""
        if self.lib is None:
            return
        self.lib.espeak_Terminate()
        unload = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
        if unload is not None:
            unload(self.lib._handle)
        self.lib = None

    @staticmethod
    def _declare(lib: ctypes.CDLL) -> None:
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        # text, size, position, position_type, end_position, flags, unique_id, user_data
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int]
        lib.espeak_Synth.argtypes += [
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = None
        lib.espeak_Terminate.argtypes = []
        lib.espeak_Terminate.restype = ctypes.c_int

    def _on_audio(self, wav, n_samples: int, events) -> int:  # noqa: ANN001 (ctypes types)
        """Collects one buffer of audio and its events; runs inside espeak_Synth."""
        try:
            if wav and n_samples > 0:
                self._chunks.append(ctypes.string_at(wav, n_samples * 2))
            i = 0
            while events and events[i].type != _EVENT_LIST_TERMINATED:
                e = events[i]
                label = ""
                if e.type == _EVENT_PHONEME:
                    label = bytes(e.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                self._events.append(_RawEvent(e.type, e.sample, e.text_position, e.length, label))
                i += 1
        except Exception:  # an exception must not unwind through C
            log.exception("eSpeak callback failed")
            return 1
        return 0

    def synth(
        self, espeak_voice: str, text: str, params: dict[int, int]
    ) -> tuple[bytes, list[_RawEvent]]:
        """Raw int16 audio at 22050 Hz and the event list for one utterance."""
        assert self.lib is not None, "engine already closed"
        if self.lib.espeak_SetVoiceByName(espeak_voice.encode()) != _EE_OK:
            raise StudioError(f"eSpeak could not load voice '{espeak_voice}'")
        for param, value in params.items():
            self.lib.espeak_SetParameter(param, int(value), 0)
        self.lib.espeak_ng_SetRandSeed(RAND_SEED)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        status = self.lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES, None, None
        )
        if status != _EE_OK:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        return b"".join(self._chunks), list(self._events)

    def voices(self) -> list[VoiceInfo]:
        assert self.lib is not None, "engine already closed"
        out = []
        table = self.lib.espeak_ListVoices(None)
        i = 0
        while table[i]:
            v = table[i].contents
            out.append(
                VoiceInfo(
                    name=(v.name or b"").decode("utf-8", "replace"),
                    identifier=(v.identifier or b"").decode("utf-8", "replace"),
                    languages=tuple(_parse_languages(v.languages)),
                    gender={1: "male", 2: "female"}.get(v.gender, "unknown"),
                )
            )
            i += 1
        return out


def _parse_languages(ptr: int | None) -> list[str]:
    """Decodes eSpeak's packed language list: (priority byte, name, NUL)* then NUL."""
    langs: list[str] = []
    if not ptr:
        return langs
    while True:
        if ctypes.string_at(ptr, 1)[0] == 0:
            return langs
        name = ctypes.string_at(ptr + 1)
        langs.append(name.decode("utf-8", "replace"))
        ptr += 2 + len(name)


# eSpeak is not thread-safe and each engine must be the only one loaded: one job at a time.
_LOCK = threading.Lock()


# ----------------------------------------------------------------------------- voices


@lru_cache(maxsize=1)
def _all_voices() -> tuple[VoiceInfo, ...]:
    with _LOCK, _Engine() as engine:
        return tuple(engine.voices())


def list_voices(language_prefix: str = "en") -> list[VoiceInfo]:
    """Voices with a language starting with language_prefix ("" for all), sorted by name."""
    prefix = language_prefix.lower()
    found = [v for v in _all_voices() if any(x.lower().startswith(prefix) for x in v.languages)]
    return sorted(found, key=lambda v: v.name)


@lru_cache(maxsize=1)
def list_variants() -> list[str]:
    """Voice variants ("m3", "f2", "klatt", ...) from espeak-ng-data/voices/!v, sorted."""
    folder = Path(_loader().get_data_path()) / "voices" / "!v"
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def _find_voice(base: str) -> VoiceInfo | None:
    """Matches a language code (best voice for it), an identifier, its file name or a name."""
    key = base.strip().lower()
    voices = _all_voices()
    for v in voices:
        if key in (v.identifier.lower(), v.identifier.rsplit("/", 1)[-1].lower(), v.name.lower()):
            return v
    best: tuple[int, VoiceInfo] | None = None
    for v in voices:
        langs = [x.lower() for x in v.languages]
        if key in langs:
            rank = langs.index(key)  # the voice's own main language beats a secondary listing
            if best is None or rank < best[0]:
                best = (rank, v)
    return best[1] if best else None


def resolve_voice(voice: str, variant: str | None = None) -> tuple[str, str]:
    """(name eSpeak loads, canonical "language+variant" name) for a user's voice choice.

    eSpeak itself silently ignores unknown variants and does not find every language code by
    name (e.g. "en-gb"), so choices are checked here against the installed voice files.
    """
    if not isinstance(voice, str) or not voice.strip():
        raise StudioError("No voice given — use a language code such as 'en-us' or 'en-gb'")
    base, _, inline_variant = voice.strip().partition("+")
    if inline_variant and variant and inline_variant != variant:
        raise StudioError(
            f"Voice '{voice}' names variant '{inline_variant}' but variant='{variant}' was also "
            "given — give the variant once"
        )
    variant = variant or inline_variant or None
    info = _find_voice(base)
    if info is None:
        examples = ", ".join(v.languages[0] for v in list_voices("en")[:6])
        raise StudioError(
            f"Unknown voice '{base}' — use a language code such as {examples} "
            "(studio.speech.list_voices() lists them all)"
        )
    if variant is not None and variant not in list_variants():
        raise StudioError(
            f"Unknown voice variant '{variant}' — use one of m1..m8, f1..f5, klatt, ... "
            "(studio.speech.list_variants() lists them all)"
        )
    suffix = f"+{variant}" if variant else ""
    return info.identifier + suffix, info.languages[0] + suffix


# ----------------------------------------------------------------------------- synthesis


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> int:
    lo, hi = bounds
    if not lo <= value <= hi:
        raise StudioError(f"{name} must be between {lo} and {hi}, got {value}")
    return int(value)


def _split_stress(label: str) -> tuple[str, int]:
    stress = 0
    while label and label[0] in STRESS_MARKS:
        stress = max(stress, STRESS_MARKS[label[0]])
        label = label[1:]
    return label, stress


def _events_to_timing(
    events: list[_RawEvent], n_samples: int, text: str
) -> tuple[list[PhonemeEvent], list[WordEvent]]:
    """Phoneme and word spans from eSpeak's start-of-phoneme / start-of-word events.

    A phoneme lasts until the next phoneme starts (the last one until the audio ends); a word
    is owned by the phonemes that follow its word event, pauses excluded. Text positions in the
    events count characters (1-based) because the text is passed as UTF-8.
    """
    to_s = 1.0 / ESPEAK_RATE_HZ
    end_sample = n_samples
    starts: list[tuple[int, str, int, int]] = []  # sample, symbol, stress, word index
    word_events: list[_RawEvent] = []
    for e in events:
        if e.kind == _EVENT_WORD:
            word_events.append(e)
        elif e.kind == _EVENT_PHONEME and e.label:
            symbol, stress = _split_stress(e.label)
            sample = min(max(e.sample, 0), end_sample)
            if starts and sample < starts[-1][0]:
                sample = starts[-1][0]  # never let a late-reported event run time backwards
            starts.append((sample, symbol, stress, len(word_events) - 1))
    if starts and starts[0][0] > 0:
        starts.insert(0, (0, PAUSE_PREFIX, 0, -1))

    phonemes: list[PhonemeEvent] = []
    owners: list[int] = []
    for i, (sample, symbol, stress, word) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else end_sample
        if stop <= sample:
            continue  # zero-length markers, e.g. the clause-end "_" at the last sample
        phonemes.append(PhonemeEvent(symbol, sample * to_s, stop * to_s, stress))
        owners.append(-1 if symbol.startswith(PAUSE_PREFIX) else word)

    words: list[WordEvent] = []
    for w, e in enumerate(word_events):
        mine = [p for p, owner in zip(phonemes, owners, strict=True) if owner == w]
        begin = max(e.text_position - 1, 0)
        # eSpeak speaks some short words as one ("I am", "not a") and reports only the first;
        # the span up to the next word event holds them all.
        stop = word_events[w + 1].text_position - 1 if w + 1 < len(word_events) else len(text)
        stop = max(stop, begin + e.length)
        word_text = text[begin:stop].rstrip(_TRAILING_PUNCTUATION + string.whitespace)
        if mine:
            words.append(WordEvent(word_text, mine[0].start, mine[-1].end, w))
        else:
            t = min(e.sample, end_sample) * to_s
            words.append(WordEvent(word_text, t, t, w))
    return phonemes, words


def synthesize(
    text: str,
    voice: str = "en-us",
    rate: int = 175,
    pitch: int = 50,
    pitch_range: int = 50,
    volume: int = 100,
    variant: str | None = None,
) -> Speech:
    """Speaks text with eSpeak NG: 16 kHz mono audio plus phoneme and word timing.

    voice: a language code ("en-us", "en-gb"), an eSpeak voice name or identifier, optionally
        with a variant ("en-us+f2"); variant= does the same ("m3", "f2", "klatt", ...).
    rate: words per minute (80-450). pitch: base pitch 0-100 (50 = the voice's own).
    pitch_range: intonation range 0-100 (0 = monotone). volume: 0-200 (100 = normal).
    Text inside [[ ]] is read as eSpeak phoneme mnemonics. The same arguments give the same
    bytes (eSpeak's noise generator is re-seeded every call).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    clean = text.strip()
    if not clean:
        raise StudioError("The text is empty — type a sentence to speak")
    if len(clean) > MAX_TEXT_CHARS:
        raise StudioError(
            f"The text has {len(clean)} characters; the limit is {MAX_TEXT_CHARS} — "
            "split it into shorter passages"
        )
    settings = {
        "rate": _check_range("rate", rate, RATE_RANGE),
        "pitch": _check_range("pitch", pitch, PITCH_RANGE),
        "pitch_range": _check_range("pitch_range", pitch_range, PITCH_SPAN_RANGE),
        "volume": _check_range("volume", volume, VOLUME_RANGE),
    }
    espeak_voice, canonical = resolve_voice(voice, variant)
    params = {
        _PARAM_RATE: settings["rate"],
        _PARAM_PITCH: settings["pitch"],
        _PARAM_RANGE: settings["pitch_range"],
        _PARAM_VOLUME: settings["volume"],
    }
    with _LOCK, _Engine() as engine:
        raw, events = engine.synth(espeak_voice, clean, params)

    pcm = np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0
    phonemes, words = _events_to_timing(events, len(pcm), clean)
    if len(pcm) == 0 or not any(not p.is_pause for p in phonemes):
        raise StudioError(f"eSpeak found nothing to say in {clean[:40]!r} — use words")
    # 22050 -> 16000 Hz is 320/441; the polyphase filter is zero-phase, so event times hold.
    from scipy.signal import resample_poly  # imported here: scipy.signal costs ~1 s at start-up

    samples = resample_poly(pcm, 320, 441).astype(np.float32)
    np.clip(samples, -1.0, 1.0, out=samples)
    duration = len(samples) / SAMPLE_RATE
    # ceil(n * 320 / 441) output samples last at least as long as the n input samples.
    if phonemes[-1].end > duration + 1e-9:
        raise RuntimeError(f"phoneme timing ({phonemes[-1].end:.3f} s) overruns the audio")
    log.debug("synthesised %.2f s for %d characters with %s", duration, len(clean), canonical)
    return Speech(
        samples=samples,
        phonemes=phonemes,
        words=words,
        voice=canonical,
        text=clean,
        settings=settings,
    )
