"""The audio-input study of `studio.bench jean-audio`: its inputs, its ceilings, its training."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch


def test_two_windows_side_by_side_are_the_32_mel_frames_around_the_frame():
    from studio.papers.jean.bench_audio import AudioVariant, window_fn
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    wide = window_fn(data, AudioVariant("w", span=2))
    first = data.clips[0]
    t = first["start"] + first["n"] // 2  # an interior frame: no edge clamping
    x = wide([t])[0]
    assert x.shape == (32, 80)
    # frames are 4 mel hops apart, so the middle 16 rows are frame t's own window
    np.testing.assert_array_equal(x[8:24], data.mel[t].astype(np.float32))
    assert window_fn(data, AudioVariant("n"))([t]).shape == (1, 16, 80)


def test_speaker_normalisation_removes_each_persons_mean_level():
    from studio.papers.jean.bench_audio import AudioVariant, window_fn
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    plain = window_fn(data, AudioVariant("p"))(np.arange(len(data.viseme)))
    normed = window_fn(data, AudioVariant("s", speaker_norm=True))(np.arange(len(data.viseme)))
    ident = data.column("identity_id")
    raw_means = [plain[ident == i].mean() for i in np.unique(ident)]
    assert np.ptp(raw_means) > 0.05  # the voices differ in level before
    for i in np.unique(ident):
        assert abs(normed[ident == i].mean()) < 0.1 * np.abs(plain[ident == i]).mean()


def test_label_mean_ceiling_rises_with_the_labels_that_shape_the_mouth():
    from studio.papers.jean.bench_audio import label_mean_top1
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    rng = np.random.default_rng(0)
    emotion = (data.column("emotion") == "happy").astype(int)
    by_viseme, by_emotion = rng.normal(size=(40, 16)), rng.normal(size=(2, 16)) * 3
    person = rng.normal(size=(10, 16)) * 5
    codes = (
        by_viseme[data.viseme]
        + by_emotion[emotion]
        + person[data.column("identity_id")]
        + rng.normal(size=(len(emotion), 16)) * 0.1
    )
    viseme_only = label_mean_top1(data, codes, data, codes, nq=300)
    with_emotion = label_mean_top1(data, codes, data, codes, ("emotion",), nq=300)
    assert with_emotion > 0.9  # the code is (viseme, emotion, person) + small noise
    assert viseme_only < with_emotion - 0.2  # the negatives differ in emotion


def test_band_shift_zero_keeps_a_formant_in_its_band():
    from studio.papers.jean.losses import augment_mel

    torch.manual_seed(0)
    x = torch.full((64, 16, 80), -8.0)
    x[:, :, 40] = 2.0  # one strong band
    others = torch.full((64, 16, 80), -8.0)
    kept = augment_mel(x, others, band_shift=0).mean(1).argmax(-1)
    moved = augment_mel(x, others, band_shift=3).mean(1).argmax(-1)
    assert (kept == 40).all()
    assert (moved != 40).any() and (moved - 40).abs().max() <= 3


def test_audio_encoder_span_sets_the_window_and_refuses_odd_spans():
    from studio.papers.jean.model import AudioEncoder, JeanConfig

    assert AudioEncoder(JeanConfig(audio_span=2))(torch.zeros(3, 32, 80)).shape == (3, 64)
    shipped_layout = AudioEncoder(JeanConfig()).state_dict().keys()
    assert {k for k in shipped_layout if k.startswith("conv.")} == {
        f"conv.{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")
    }
    with pytest.raises(ValueError, match="power of two"):
        AudioEncoder(JeanConfig(audio_span=3))


def test_a_variant_trains_against_frozen_mouth_codes(tmp_path):
    from studio.papers.jean.bench_audio import AudioVariant, encode, train_variant
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, _, _ = tiny_jean()
    mouth = model.landmark_codes(data.landmarks)[1]
    variant = AudioVariant("wide speaker-normalised", span=2, speaker_norm=True, band_shift=0)
    encoder, windows = train_variant(variant, data, mouth, steps=3, run_dir=tmp_path)
    assert (tmp_path / "wide_speaker_normalised" / "log.jsonl").exists()
    codes = encode(encoder, windows, len(data.viseme), chunk=50)
    assert codes.shape == (len(data.viseme), 64) and np.isfinite(codes).all()
    assert dataclasses.asdict(variant)["span"] == 2


def test_full_training_refuses_wider_audio_windows_it_cannot_feed():
    from studio.errors import StudioError
    from studio.papers.jean.model import JeanConfig
    from studio.papers.jean.train import train_jean

    with pytest.raises(StudioError, match="jean-audio"):
        train_jean("no-corpus-needed", config=JeanConfig(audio_span=2), progress=False)


@pytest.mark.parametrize("condition", ["emotion labels", "clip summary - speaker mean"])
def test_conditions_are_one_vector_per_clip(condition):
    from studio.papers.jean.bench_audio import AudioVariant, conditions_of
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    cond = conditions_of(data, AudioVariant("c", condition=condition))
    assert cond.shape[0] == len(data.viseme) and np.isfinite(cond).all()
    for clip in data.clips:
        rows = cond[clip["start"] : clip["start"] + clip["n"]]
        assert (rows == rows[0]).all()  # the same vector for every frame of the clip
    distinct = {cond[clip["start"]].tobytes() for clip in data.clips}
    assert len(distinct) > 1
    if condition == "emotion labels":  # one emotion and one intensity switched on
        assert (cond.sum(1) == 2).all()
        happy = data.column("emotion") == "happy"
        assert happy.any() and (cond[happy].argmax(1) == cond[happy][0].argmax()).all()


def test_conditions_refuse_an_unknown_kind_and_none_means_no_vector():
    from studio.papers.jean.bench_audio import AudioVariant, conditions_of
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    assert conditions_of(data, AudioVariant("n")) is None
    with pytest.raises(ValueError, match="unknown condition"):
        conditions_of(data, AudioVariant("x", condition="the weather"))


def test_batches_carry_the_conditions_of_their_positives_then_negatives():
    from studio.papers.jean.batches import audio_batches
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    n = len(data.viseme)
    frame_id = np.arange(n, dtype=np.float32)[:, None]
    batches = audio_batches(data, frame_id, 16, 2, conditions=frame_id * 10)
    batch = batches(0, np.random.default_rng(0), 0, 1)
    cond = batch["cond"][:, 0].numpy() / 10
    anchors = batch["mouth"][:, 0].numpy()
    np.testing.assert_array_equal(cond[:16], anchors)  # positives: the anchor frames
    negatives = cond[16:].astype(int).reshape(16, 2)
    ident = data.column("identity_id")
    assert (ident[negatives] == ident[anchors.astype(int)][:, None]).all()
    assert "cond" not in audio_batches(data, frame_id, 16, 2)(0, np.random.default_rng(0), 0, 1)


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_own_clip_negatives_come_from_the_anchors_clip_far_enough_away(fraction):
    """same_clip_fraction: that share of the negatives is the anchor's own clip, >= gap
    frames away; the rest are the paper's (the same person, another clip)."""
    from studio.papers.jean.batches import audio_batches
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    n = len(data.viseme)
    frame_id = np.arange(n, dtype=np.float32)[:, None]
    batches = audio_batches(
        data, frame_id, 256, 2, conditions=frame_id, same_clip_fraction=fraction, same_clip_gap=4
    )
    batch = batches(0, np.random.default_rng(0), 0, 1)
    anchors = batch["mouth"][:, 0].numpy().astype(int)
    negatives = batch["cond"][256:, 0].numpy().astype(int).reshape(256, 2)
    ident = data.column("identity_id")
    assert (ident[negatives] == ident[anchors][:, None]).all()
    own = data.clip_of[negatives] == data.clip_of[anchors][:, None]
    gap = np.abs(data.frame[negatives] - data.frame[anchors][:, None])
    if fraction == 1.0:  # (the paper's sampler falls back on any frame of the person when
        assert own.all() and (gap >= 4).all()  # its draws all hit the anchor's clip: tiny data)
    share = own.mean()
    assert fraction <= share < fraction + 0.15, share


def test_a_conditioned_variant_trains_and_its_code_depends_on_the_condition(tmp_path):
    from studio.papers.jean.bench_audio import AudioVariant, conditions_of, encode, train_variant
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, _, _ = tiny_jean()
    mouth = model.landmark_codes(data.landmarks)[1]
    variant = AudioVariant("told", span=2, condition="emotion labels")
    encoder, windows = train_variant(variant, data, mouth, steps=3, run_dir=tmp_path)
    cond = conditions_of(data, variant)
    codes = encode(encoder, windows, len(data.viseme), cond, chunk=50)
    assert codes.shape == (len(data.viseme), 64) and np.isfinite(codes).all()
    other = encode(encoder, windows, len(data.viseme), np.roll(cond, 1, axis=1), chunk=50)
    assert np.abs(codes - other).max() > 1e-4


def test_clip_prosody_sees_a_louder_clip_in_its_mean_only():
    import copy

    from studio.papers.jean.bench_audio import clip_prosody
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    x, emotions = clip_prosody(data, speaker_norm=False)
    assert x.shape == (len(data.clips), 243)
    assert list(emotions) == [c["emotion"] for c in data.clips]
    louder = copy.copy(data)
    louder.mel = data.mel.astype(np.float32).copy()
    first = data.clips[0]
    louder.mel[first["start"] : first["start"] + first["n"]] += 1.0  # ×e in power
    y, _ = clip_prosody(louder, speaker_norm=False)
    np.testing.assert_allclose(y[0, :80], x[0, :80] + 1.0, atol=1e-4)  # band means move
    np.testing.assert_allclose(y[0, 80:], x[0, 80:], atol=1e-3)  # spread and change do not
    np.testing.assert_allclose(y[1:], x[1:], atol=1e-5)
