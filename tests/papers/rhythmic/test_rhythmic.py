"""Rhythmic Head Motion: the data it reads, Φ's dynamic layer, the recipe, and Talk end to end
with a model trained for a few steps on the tiny corpus."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.face.records import BLENDSHAPE_INDEX
from studio.media import audio_from_array
from studio.media.ffmpeg import probe
from studio.nn.loop import read_log
from studio.papers.rhythmic.data import MOUTH_CHANNELS, MOUTH_NAMES, load_data, split
from studio.papers.rhythmic.model import Rhythmic, RhythmicConfig
from studio.papers.rhythmic.talk import TalkRequest, talk
from studio.papers.rhythmic.train import add_noise, train_rhythmic
from studio.synth.emotions import emotion_blendshapes
from tests.data.tiny import tiny_corpus

ROOT = Path(__file__).resolve().parents[3]


@functools.lru_cache(maxsize=1)
def tiny_rhythmic():
    out = Path(tempfile.mkdtemp(prefix="rhythmic_tiny_"))
    data = load_data(tiny_corpus(), progress=False, cache_dir=out / "cache")
    train = split(data)["train"]
    model, report = train_rhythmic(train, train, out / "run", {"motion": 30, "mouth": 30}, seed=0)
    return model, report, data, out


def test_the_mouth_track_is_the_articulation_the_corpus_drew():
    """Recomputed from the stored phonemes, the mouth's jaw is the rendered jaw less the held
    emotion's (which is constant over a clip)."""
    data = load_data(tiny_corpus(), progress=False, cache_dir=tempfile.mkdtemp())
    assert data["mouth"].shape == (len(data), len(MOUTH_NAMES))
    assert data["mel"].shape[1:] == (16, 80) and data["pose6"].shape[1] == 6
    jaw = MOUTH_NAMES.index("jawOpen")
    for i, clip in enumerate(data.clips):
        arrays = data.clip(i)
        held = emotion_blendshapes(clip["emotion"], clip["intensity"])[BLENDSHAPE_INDEX["jawOpen"]]
        drawn = arrays["blendshapes"][:, BLENDSHAPE_INDEX["jawOpen"]]
        np.testing.assert_allclose(arrays["mouth"][:, jaw] + held, drawn, atol=0.06)
    assert {"train", "test"} <= set(split(data))


def test_the_reference_sets_the_dynamic_layer_and_the_ablation_ignores_it():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    mel = rng.normal(size=(30, 16, 80)).astype(np.float32)
    ref_a, ref_b = rng.normal(size=(2, 24, 6)).astype(np.float32) * np.array([5, 1])[:, None, None]
    ref_mel = rng.normal(size=(24, 16, 80)).astype(np.float32)
    model = Rhythmic()
    a = model.predict_motion(ref_a, ref_mel, mel)
    b = model.predict_motion(ref_b, ref_mel, mel)
    assert a.shape == (30, 6) and np.abs(a - b).max() > 1e-3
    static = Rhythmic(RhythmicConfig(reference=False))
    np.testing.assert_array_equal(
        static.predict_motion(ref_a, ref_mel, mel), static.predict_motion(ref_b, ref_mel, mel)
    )


def test_noise_is_mixed_at_the_asked_snr():
    rng = np.random.default_rng(0)
    mel = torch.as_tensor(rng.normal(-4, 2, size=(3, 20, 16, 80)), dtype=torch.float32)
    noisy = add_noise(mel, torch.tensor([6.0, 18.0, 30.0]))
    added = noisy.exp() - mel.exp()
    snr = 10 * torch.log10(mel.exp().mean((1, 2, 3)) / added.mean((1, 2, 3)))
    np.testing.assert_allclose(snr.numpy(), [6, 18, 30], atol=0.2)
    assert (noisy >= mel).all()


def test_a_few_steps_lower_both_losses():
    _, report, _, out = tiny_rhythmic()
    motion = read_log(out / "run" / "motion" / "log.jsonl")
    mouth = read_log(out / "run" / "mouth" / "log.jsonl")
    assert motion[-1]["G/mse"] < motion[0]["G/mse"]
    assert mouth[-1]["loss"] < mouth[0]["loss"]
    assert {"D/loss", "G/adv"} <= set(report["motion"]["final"])


def test_talk_makes_an_mp4_with_sound_and_the_asked_motion(tmp_path):
    model, *_ = tiny_rhythmic()
    result = talk(TalkRequest(identity=1, text="Hello there.", size=64), model=model)
    assert result.frames.shape[1:] == (64, 64, 3) and len(result.frames) == len(result.pose6)
    path = result.write(tmp_path / "talk.mp4")
    info = probe(path)
    assert info.video_codec == "h264" and info.has_audio and info.audio_rate == 16000
    assert abs(info.duration - result.duration) < 0.1

    still = talk(TalkRequest(identity=1, text="Hello there.", motion="still", size=64), model=model)
    assert not still.pose6.any()
    pose = np.tile(np.array([[10.0, -5, 2, 0, 0, 0]], np.float32), (3, 1))
    pose[1, 0] = 20
    copied = talk(
        TalkRequest(identity=1, text="Hello there.", motion="pose source", pose6=pose, size=64),
        model=model,
    )
    np.testing.assert_array_equal(copied.pose6[:4, 0], [10, 20, 10, 10])  # looped
    happy = talk(
        TalkRequest(identity=1, text="Hello.", emotion="happy", intensity=3, size=64), model
    )
    smile = BLENDSHAPE_INDEX["mouthSmileLeft"]
    assert happy.blendshapes[:, smile].mean() > still.blendshapes[:, smile].mean() + 0.2
    assert set(np.flatnonzero(result.mouth.std(0) > 0)) <= set(range(len(MOUTH_CHANNELS)))


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"text": ""}, "Type something"),
        ({"text": "   "}, "Type something"),
        ({"text": "..."}, "nothing to say|no sound"),
        ({"audio": audio_from_array(np.zeros(16000, np.float32), 16000)}, "silent"),
        ({"text": "Hi.", "motion": "pose source"}, "No pose source"),
        ({"text": "Hi.", "motion": "dance"}, "Head motion is one of"),
        ({"text": "Hi.", "emotion": "bored"}, "Unknown emotion"),
        ({"text": "Hi.", "expression_code": np.zeros(3)}, "64 finite numbers"),
        ({"text": "Hi.", "renderer": "nerf"}, "Renderer is one of"),
        ({"text": "word " * 600}, "keep it under"),
    ],
)
def test_talk_refuses_bad_requests_with_a_message(request_args, message):
    model, *_ = tiny_rhythmic()
    with pytest.raises(StudioError, match=message):
        talk(TalkRequest(identity=1, size=32, **request_args), model=model)


def test_numbers_punctuation_and_several_sentences_make_a_clip():
    model, *_ = tiny_rhythmic()
    text = "It's 10:45 on 3 May 2026 — 42% done! Really? Yes: twice, (maybe) thrice."
    made = talk(TalkRequest(identity=2, text=text, size=32), model=model)
    assert made.duration > 3 and made.mouth[:, MOUTH_NAMES.index("jawOpen")].max() > 0.1


@pytest.mark.skipif(
    not (ROOT / "checkpoints" / "rhythmic.json").exists(), reason="no shipped rhythmic checkpoint"
)
def test_the_cli_talks_with_the_shipped_checkpoint(tmp_path):
    out = tmp_path / "hi.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "talk",
            "--text",
            "Hi there.",
            "--emotion",
            "sad:2",
            "--size",
            "96",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert info.has_video and info.has_audio and "wrote" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "studio", "talk", "--text", "", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    card = json.loads((ROOT / "checkpoints" / "rhythmic.json").read_text())
    assert card["mouth_channels"] == list(MOUTH_NAMES)
