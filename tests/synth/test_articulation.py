"""Mouth articulation: viseme targets, coarticulation, and a jaw that follows the sound."""

from __future__ import annotations

import numpy as np
import pytest

from studio.face.records import BLENDSHAPE_INDEX
from studio.speech import (
    VISEMES,
    PhonemeEvent,
    frame_energy,
    frame_phoneme_indices,
    n_video_frames_for,
    phoneme_to_viseme,
    synthesize,
)
from studio.synth.articulation import MOUTH_CHANNELS, mouth_track, viseme_targets
from studio.synth.sentences import HELD_OUT_SENTENCES, TRAIN_SENTENCES, phoneme_coverage

JAW, CLOSE = BLENDSHAPE_INDEX["jawOpen"], BLENDSHAPE_INDEX["mouthClose"]
PUCKER = BLENDSHAPE_INDEX["mouthPucker"]
FPS = 25
SENTENCES = (TRAIN_SENTENCES[0], TRAIN_SENTENCES[8], HELD_OUT_SENTENCES[1])


def events(*spec: tuple[str, float, int]) -> list[PhonemeEvent]:
    """Phonemes from (symbol, duration s, stress), tiling time from 0."""
    out, t = [], 0.0
    for symbol, duration, stress in spec:
        out.append(PhonemeEvent(symbol, t, t + duration, stress))
        t += duration
    return out


def at(track: np.ndarray, seconds: float, channel: int) -> float:
    return float(track[int(round(seconds * FPS)), channel])


@pytest.fixture(scope="module")
def spoken():
    return [synthesize(text) for text in SENTENCES]


def speech_frames(speech, n_frames):
    idx = frame_phoneme_indices(speech.phonemes, n_frames)
    return np.array([i >= 0 and not speech.phonemes[i].is_pause for i in idx])


# ----------------------------------------------------------------------------- targets


def test_every_viseme_has_targets_on_mouth_channels():
    for viseme in VISEMES:
        targets = viseme_targets(viseme)
        assert tuple(targets) == MOUTH_CHANNELS
        assert all(0.0 <= v <= 1.0 for v in targets.values())
    assert not any(viseme_targets("sil").values())
    assert viseme_targets("aa")["jawOpen"] > viseme_targets("E")["jawOpen"] > 0.3
    assert viseme_targets("ou")["mouthPucker"] > 0.5 > viseme_targets("aa")["mouthPucker"]
    with pytest.raises(ValueError, match="unknown viseme"):
        viseme_targets("xx")


# ----------------------------------------------------------------------------- sentences


def test_sentence_lists_are_disjoint_and_sized():
    assert 18 <= len(TRAIN_SENTENCES) <= 25 and 4 <= len(HELD_OUT_SENTENCES) <= 8
    assert not set(TRAIN_SENTENCES) & set(HELD_OUT_SENTENCES)
    assert len(set(TRAIN_SENTENCES)) == len(TRAIN_SENTENCES)


def test_sentences_cover_english_phonemes_and_all_visemes():
    train = phoneme_coverage(TRAIN_SENTENCES)
    assert len(train) >= 35
    assert not any(symbol.startswith("_") for symbol in train)
    spoken_visemes = {phoneme_to_viseme(s) for s in train}
    assert spoken_visemes == set(VISEMES) - {"sil"}
    assert len(phoneme_coverage(HELD_OUT_SENTENCES)) >= 25


# ----------------------------------------------------------------------------- coarticulation

BA = events(("_", 0.5, 0), ("b", 0.06, 0), ("a", 0.2, 2), ("_", 0.74, 0))


def test_track_shape_and_channels():
    track = mouth_track(BA, 38)
    assert track.shape == (38, 52) and track.dtype == np.float32
    others = [i for i in range(52) if i not in {BLENDSHAPE_INDEX[c] for c in MOUTH_CHANNELS}]
    assert not track[:, others].any()
    assert track.min() >= 0 and track.max() <= 1


def test_silence_closes_and_vowels_open():
    track = mouth_track(BA, 38)
    assert at(track, 0.2, JAW) < 0.02 and at(track, 1.35, JAW) < 0.02
    assert at(track, 0.66, JAW) > 0.5


def test_bilabial_seals_the_lips_even_with_the_jaw_moving():
    track = mouth_track(BA, 38)
    assert np.all(track[:, CLOSE] <= track[:, JAW] + 1e-6)
    frame = int(round(0.53 * FPS))
    assert track[frame, CLOSE] >= 0.5 * track[frame, JAW] > 0


def test_attack_and_release_are_smooth(spoken):
    for speech in spoken:
        n = n_video_frames_for(speech.duration)
        jumps = np.abs(np.diff(mouth_track(speech.phonemes, n), axis=0))
        # piecewise-constant visemes would jump by the full target (0.7 for "aa")
        stepwise = np.array(
            [viseme_targets(phoneme_to_viseme(p.symbol))["jawOpen"] for p in speech.phonemes]
        )[frame_phoneme_indices(speech.phonemes, n)]
        assert jumps.max() < 0.4 < np.abs(np.diff(stepwise)).max()


def test_rounding_is_anticipated_across_consonants():
    def pucker_during_s(vowel: str) -> float:
        track = mouth_track(
            events(("_", 0.4, 0), ("s", 0.1, 0), ("t", 0.06, 0), (vowel, 0.2, 2), ("_", 0.44, 0)),
            30,
        )
        return at(track, 0.44, PUCKER)

    assert pucker_during_s("u:") > 0.2 > 0.05 > pucker_during_s("i:")


def test_stressed_vowels_open_wider():
    def peak(stress: int) -> float:
        return mouth_track(
            events(("_", 0.4, 0), ("d", 0.06, 0), ("a", 0.2, stress), ("_", 0.34, 0)), 25
        )[:, JAW].max()

    assert peak(2) > 1.1 * peak(0)


def test_faster_speech_shortens_the_reach():
    slow = mouth_track(events(("_", 0.4, 0), ("s", 0.1, 0), ("u:", 0.2, 2), ("_", 0.3, 0)), 25)
    fast = mouth_track(
        events(("_", 0.4, 0), ("s", 0.1, 0), ("u:", 0.2, 2), ("_", 0.3, 0)), 25, rate_scale=2.0
    )
    assert at(fast, 0.36, PUCKER) < at(slow, 0.36, PUCKER)


# ----------------------------------------------------------------------------- jaw and sound


def jaw_energy_r(spoken, with_energy: bool) -> tuple[float, list[float]]:
    jaws, levels, per = [], [], []
    for speech in spoken:
        n = n_video_frames_for(speech.duration)
        energy = frame_energy(speech.samples, n)
        jaw = mouth_track(speech.phonemes, n, energy_db=energy if with_energy else None)[:, JAW]
        talk = speech_frames(speech, n)
        jaws.append(jaw[talk])
        levels.append(energy[talk])
        per.append(float(np.corrcoef(jaw[talk], energy[talk])[0, 1]))
    return float(np.corrcoef(np.concatenate(jaws), np.concatenate(levels))[0, 1]), per


def test_jaw_follows_the_audio_energy(spoken):
    pooled, per = jaw_energy_r(spoken, with_energy=True)
    assert pooled >= 0.5 and min(per) >= 0.4, (pooled, per)


def test_jaw_follows_the_energy_from_phonemes_alone(spoken):
    pooled, _ = jaw_energy_r(spoken, with_energy=False)
    assert pooled >= 0.45


def test_energy_length_must_match():
    with pytest.raises(ValueError, match="frames"):
        mouth_track(BA, 38, energy_db=np.zeros(10))
