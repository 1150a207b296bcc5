"""Phoneme -> viseme table: complete for what eSpeak's English voices say, sane per frame."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from studio.speech import (
    VISEMES,
    PhonemeEvent,
    frame_energy,
    frame_phoneme_indices,
    is_known_phoneme,
    n_video_frames_for,
    phoneme_to_viseme,
    synthesize,
    viseme_track,
)
from studio.speech.visemes import PHONEME_TO_VISEME

RICH_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "She sells seashells by the seashore, but the shells she sells are surely seashells.",
    "Judge the measure of vision and the pleasure of genre.",
    "Thin thoughts, though, rather bother them both.",
    "The boy's toy coin annoyed Roy, and our loud cow found a mouse outside.",
    "Where there's air, care and fair hair, near here the clear beer is pure; tour the moor.",
    "The tired fire hired a choir for an hour.",
    "Sing a long song and bring the ring to the king.",
    "Hugh's huge hat went up the hill with a little bottle of butter and a button.",
    "Father parked his car far from the good book of wool, and cut up the nut.",
    "Yes, we will visit the zoo at noon, then watch a few birds and weigh the red apples.",
    "Nothing is certain, yet the orchestra played Mozart's thirtieth symphony beautifully.",
]


def test_inventory_is_the_fifteen_oculus_visemes() -> None:
    assert len(VISEMES) == len(set(VISEMES)) == 15
    assert VISEMES[0] == "sil"
    assert set(PHONEME_TO_VISEME.values()) == set(VISEMES)


@pytest.mark.parametrize(
    ("symbol", "viseme"),
    [
        ("p", "PP"), ("b", "PP"), ("m", "PP"), ("f", "FF"), ("v", "FF"), ("T", "TH"),
        ("D", "TH"), ("t", "DD"), ("d", "DD"), ("k", "kk"), ("g", "kk"), ("N", "kk"),
        ("tS", "CH"), ("dZ", "CH"), ("S", "CH"), ("s", "SS"), ("z", "SS"), ("n", "nn"),
        ("l", "nn"), ("r", "RR"), ("A:", "aa"), ("E", "E"), ("i:", "ih"), ("I", "ih"),
        ("O:", "oh"), ("oU", "oh"), ("u:", "ou"), ("U", "ou"), ("w", "ou"), ("_", "sil"),
        ("_:", "sil"), ("'aI", "aa"), (",aU", "aa"),
    ],
)  # fmt: skip
def test_familiar_phonemes(symbol: str, viseme: str) -> None:
    assert phoneme_to_viseme(symbol) == viseme
    assert is_known_phoneme(symbol)


@pytest.mark.parametrize("voice", ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029"])
def test_table_covers_every_phoneme_english_voices_emit(
    voice: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="studio.speech.visemes")
    emitted: set[str] = set()
    for text in RICH_SENTENCES:
        speech = synthesize(text, voice=voice)
        emitted |= {p.symbol for p in speech.phonemes}
        track = viseme_track(speech.phonemes, n_video_frames_for(speech.duration))
        assert set(track) <= set(VISEMES)
    unknown = sorted(s for s in emitted if not is_known_phoneme(s))
    assert not unknown, f"{voice} emits phonemes with no viseme: {unknown}"
    assert not caplog.records
    assert len(emitted) > 45  # the sentences really are rich


def test_unknown_symbol_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="studio.speech.visemes")
    assert not is_known_phoneme("zz9")
    assert phoneme_to_viseme("zz9") in VISEMES
    assert phoneme_to_viseme("zz9") in VISEMES
    assert len([r for r in caplog.records if "zz9" in r.getMessage()]) == 1
    assert phoneme_to_viseme("_weird") == "sil"


def test_viseme_track_samples_frame_centres() -> None:
    phonemes = [
        PhonemeEvent("_", 0.0, 0.1),
        PhonemeEvent("p", 0.1, 0.2),
        PhonemeEvent("a", 0.2, 0.4, stress=2),
    ]
    track = viseme_track(phonemes, 12)  # frames at 0, 0.04, ..., 0.44 s
    assert track == ["sil"] * 3 + ["PP"] * 2 + ["aa"] * 5 + ["sil"] * 2
    np.testing.assert_array_equal(
        frame_phoneme_indices(phonemes, 12), [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, -1, -1]
    )
    assert viseme_track([], 3) == ["sil"] * 3


def test_mouth_moves_when_there_is_sound() -> None:
    speech = synthesize("Hello world, how are you today? I am fine, thanks.")
    n = n_video_frames_for(speech.duration)
    track = np.array(viseme_track(speech.phonemes, n))
    energy = frame_energy(speech.samples, n)
    talking = track != "sil"
    assert 0.6 < talking.mean() < 1.0
    assert energy[talking].mean() > energy[~talking].mean() + 20
