"""eSpeak NG synthesis: audio, phoneme timing that matches the sound, voices, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from studio.errors import StudioError
from studio.speech import (
    SAMPLE_RATE,
    Speech,
    list_variants,
    list_voices,
    resolve_voice,
    synthesize,
)

HELLO_EN_US = ["h", "@", "l", "oU", "w", "3:", "l", "d"]


@pytest.fixture(scope="module")
def hello() -> Speech:
    return synthesize("Hello world")


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9))


def _segment(speech: Speech, start: float, end: float) -> np.ndarray:
    return speech.samples[int(start * speech.sample_rate) : int(end * speech.sample_rate)]


def _f0(speech: Speech, symbol: str) -> float:
    """Fundamental frequency (Hz) of the first `symbol` vowel, by autocorrelation."""
    p = next(p for p in speech.phonemes if p.symbol == symbol)
    x = _segment(speech, p.start, p.end).astype(np.float64)
    x = sosfiltfilt(butter(4, 400, fs=SAMPLE_RATE, output="sos"), x)  # keep F0, drop formants
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    lo, hi = SAMPLE_RATE // 400, SAMPLE_RATE // 60
    return SAMPLE_RATE / (lo + int(np.argmax(ac[lo:hi])))


def test_hello_world_is_plausible_16khz_speech(hello: Speech) -> None:
    x = hello.samples
    assert hello.sample_rate == SAMPLE_RATE == 16000
    assert x.dtype == np.float32 and x.ndim == 1
    assert 0.5 < hello.duration < 3.0
    assert np.abs(x).max() <= 1.0
    assert np.abs(x).max() > 0.1 and _rms_db(x) > -30
    assert hello.voice == "en-us" and hello.text == "Hello world"


def test_phoneme_events_are_decoded_ordered_and_inside_the_audio(hello: Speech) -> None:
    ph = hello.phonemes
    assert [p.symbol for p in ph if not p.is_pause] == HELLO_EN_US
    assert {p.symbol: p.stress for p in ph if p.stress} == {"oU": 2, "3:": 2}
    assert ph[0].start == 0.0
    assert all(0 <= p.start < p.end <= hello.duration for p in ph)
    for a, b in zip(ph, ph[1:], strict=False):
        assert a.end == b.start  # monotone and gap-free
    assert hello.duration - ph[-1].end < 0.01


def test_words_span_their_phonemes(hello: Speech) -> None:
    assert [w.text for w in hello.words] == ["Hello", "world"]
    first, second = hello.words
    assert 0 <= first.start < first.end <= second.start < second.end <= hello.duration
    # "world" starts with /w/
    w_start = next(p.start for p in hello.phonemes if p.symbol == "w")
    assert second.start == pytest.approx(w_start)


def test_sound_is_where_the_phonemes_say() -> None:
    speech = synthesize("Hello world, how are you?")
    vowels = [p for p in speech.phonemes if p.symbol in {"oU", "3:", "aU", "A@", "u:"}]
    pauses = [p for p in speech.phonemes if p.is_pause and p.duration > 0.05]
    assert len(vowels) >= 4 and pauses, [p.symbol for p in speech.phonemes]
    vowel_db = [_rms_db(_segment(speech, p.start, p.end)) for p in vowels]
    pause_db = [_rms_db(_segment(speech, p.start, p.end)) for p in pauses]
    assert min(vowel_db) > -35
    assert min(vowel_db) > max(pause_db) + 30


def test_pitch_rate_and_variant_change_the_voice(hello: Speech) -> None:
    low = synthesize("Hello world", pitch=10)
    high = synthesize("Hello world", pitch=90)
    assert _f0(high, "3:") > 1.3 * _f0(low, "3:")
    female = synthesize("Hello world", variant="f2")
    assert female.voice == "en-us+f2"
    assert _f0(female, "3:") > 1.3 * _f0(hello, "3:")
    fast = synthesize("Hello world", rate=350)
    assert fast.duration < 0.75 * hello.duration
    british = synthesize("Hello world", voice="en-gb")
    assert british.voice == "en-gb"
    assert british.samples.tobytes() != hello.samples.tobytes()


def test_same_call_gives_the_same_bytes(hello: Speech) -> None:
    synthesize("Something else in between.", voice="en-gb+klatt", pitch=80)
    again = synthesize("Hello world")
    assert again.samples.tobytes() == hello.samples.tobytes()
    assert again.phonemes == hello.phonemes
    a, b = (synthesize("Rough voices too.", variant="f2") for _ in range(2))
    assert a.samples.tobytes() == b.samples.tobytes()


def test_parallel_calls_match_serial_ones() -> None:
    texts = ["One fish.", "Two fish.", "Red fish.", "Blue fish."]
    serial = [synthesize(t).samples.tobytes() for t in texts]
    parallel: list[bytes] = [b""] * len(texts)

    def work(i: int) -> None:
        parallel[i] = synthesize(texts[i]).samples.tobytes()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert parallel == serial


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": ""},
        {"text": "   \n"},
        {"text": "a" * 1001},
        {"text": "Hello", "voice": "xx-nowhere"},
        {"text": "Hello", "voice": "en-us+nosuchvariant"},
        {"text": "Hello", "variant": "nosuchvariant"},
        {"text": "Hello", "voice": "en-us+f2", "variant": "m3"},
        {"text": "Hello", "rate": 10},
        {"text": "Hello", "pitch": 101},
        {"text": "...", "voice": "en-us"},
    ],
)
def test_bad_input_raises_studio_error(kwargs: dict) -> None:
    with pytest.raises(StudioError):
        synthesize(**kwargs)


def test_voice_names_resolve() -> None:
    assert resolve_voice("en-gb") == ("gmw/en", "en-gb")
    assert resolve_voice("EN-US", "f2") == ("gmw/en-US+f2", "en-us+f2")
    assert resolve_voice("English (America)")[1] == "en-us"
    assert resolve_voice("gmw/en-US+klatt")[1] == "en-us+klatt"


def test_every_english_voice_speaks() -> None:
    voices = list_voices("en")
    languages = {lang for v in voices for lang in v.languages}
    assert {"en-us", "en-gb"} <= languages
    assert all(v.gender in {"male", "female", "unknown"} for v in voices)
    for v in voices:
        speech = synthesize("Hello", voice=v.identifier)
        assert any(not p.is_pause for p in speech.phonemes), v
    assert len(list_voices("")) > len(voices)


def test_variants_are_listed() -> None:
    variants = list_variants()
    assert {"m3", "f2", "klatt"} <= set(variants)
    assert variants == sorted(variants)
