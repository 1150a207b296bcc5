"""Shapes and conventions of the three evaluator networks (untrained: this proves wiring,
not quality — the bars are measured by `python -m studio.bench evaluators`)."""

from __future__ import annotations

import numpy as np
import torch

from studio.evaluators.emotion_classifier.model import EmotionClassifier, EmotionClassifierConfig
from studio.evaluators.identity_embedder.model import IdentityEmbedder, csim_crops
from studio.evaluators.sync_expert.model import (
    SyncExpert,
    clip_embeddings,
    lse,
    mel_windows,
    mouth_crop,
    shift_audio,
    shift_mel,
    video_windows,
)
from studio.speech.features import log_mel
from tests.data.tiny import tiny_arrays, tiny_corpus


def test_sync_expert_shapes_and_unit_norm():
    m = SyncExpert().eval()
    v, a = m(torch.zeros(3, 5, 32, 48, dtype=torch.uint8), torch.randn(3, 20, 80))
    assert v.shape == a.shape == (3, 128)
    assert torch.allclose(v.norm(dim=1), torch.ones(3)) and torch.allclose(
        a.norm(dim=1), torch.ones(3)
    )


def test_windows_line_up_video_frame_t_with_its_audio():
    mouth = np.arange(10)[:, None, None] * np.ones((1, 32, 48), np.uint8)
    vw = video_windows(mouth)
    assert vw.shape == (10, 5, 32, 48) and list(vw[4, :, 0, 0]) == [2, 3, 4, 5, 6]
    assert list(vw[0, :, 0, 0]) == [0, 0, 0, 1, 2]  # edge padding
    mel = np.arange(40)[:, None] * np.ones((1, 80), np.float32)
    mw = mel_windows(mel, 10)
    assert mw.shape == (10, 20, 80) and mw[4, 0, 0] == 8 and mw[4, -1, 0] == 27  # 4t−8 … 4t+11


def test_shift_audio_sign_and_mel_equivalent():
    rng = np.random.default_rng(0)
    audio = (rng.normal(size=16000) * 0.1).astype(np.float32)
    shifted = shift_audio(audio, 3)  # sound 3 frames earlier
    assert np.array_equal(shifted[:-1920], audio[1920:]) and not shifted[-1920:].any()
    assert np.array_equal(shift_audio(audio, -2)[1280:], audio[:-1280])
    mel = log_mel(audio)
    assert np.allclose(log_mel(shifted)[5:60], shift_mel(mel, 3)[5:60], atol=1e-4)


def test_mouth_crop_and_lse_on_a_tiny_clip():
    from studio.synth.corpus import load_clip, load_manifest

    corpus = tiny_corpus()
    entry = load_manifest(corpus)["clips"][0]
    clip = load_clip(corpus, entry["clip_id"])
    crop = mouth_crop(clip.frames[0], clip.labels["landmarks"][0])
    assert crop.shape == (32, 48) and crop.dtype == np.uint8 and crop.std() > 5
    r = lse(clip.frames, clip.audio, model=SyncExpert().eval(), landmarks=clip.labels["landmarks"])
    assert (
        r.dists.shape == (31,) and np.isfinite(r.lse_d) and r.lse_c >= 0 and -15 <= r.offset <= 15
    )


def test_image_evaluators_shapes():
    train, _ = tiny_arrays()
    faces = train[0].face[:5]
    emo = EmotionClassifier(EmotionClassifierConfig(face_size=faces.shape[1])).eval()
    p = emo.predict_proba(faces)
    assert p.shape == (5, 8) and np.allclose(p.sum(1), 1, atol=1e-5)
    ide = IdentityEmbedder().eval()
    e = ide.embed_numpy(faces)
    assert e.shape == (5, 128) and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert np.allclose(csim_crops(faces, faces, ide), 1, atol=1e-5)
    v, a = clip_embeddings(SyncExpert().eval(), train[0].mouth, train[0].mel)
    assert v.shape == a.shape == (len(train[0].mouth), 128)


def test_emotion_ensemble_is_the_mean_of_its_members_probabilities(tmp_path):
    from studio.evaluators.emotion_classifier.model import EmotionEnsemble, config_dict, load
    from studio.nn.checkpoints import save_checkpoint

    torch.manual_seed(0)
    config = EmotionClassifierConfig(widths=(8, 8, 8), face_size=32)
    members = [EmotionClassifier(config).eval() for _ in range(2)]
    ensemble = EmotionEnsemble(members, names=["a", "b"]).eval()
    faces = np.random.default_rng(0).integers(0, 255, (5, 32, 32, 3), dtype=np.uint8)
    mean = (members[0].predict_proba(faces) + members[1].predict_proba(faces)) / 2
    assert np.allclose(ensemble.predict_proba(faces), mean, atol=1e-6)
    assert not np.allclose(members[0].predict_proba(faces), mean, atol=1e-3)
    card = {"name": "emotion_classifier", "config": config_dict(ensemble)}
    card.update(paper="-", version=1, data={}, training={}, metrics={}, deviations=[])
    assert card["config"]["members"] == ["a", "b"]
    save_checkpoint("emotion_classifier", ensemble.state_dict(), card, tmp_path)
    loaded = load(directory=tmp_path)
    assert loaded.names == ["a", "b"]
    assert np.allclose(loaded.predict_proba(faces), mean, atol=1e-6)
