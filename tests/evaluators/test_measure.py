"""The evaluator bars' arithmetic and each recipe's ability to learn (tiny corpus, few steps).

What these prove: EER and the sync offset convention are computed right, each recipe's loss
falls on a fixed batch after a few steps, and the training CLI writes a valid model card.
They do NOT prove the shipped models clear their bars — `python -m studio.bench evaluators`
measures that on held-out identities of the default corpus."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
import torch

from studio.eval.sync import sync_scores
from studio.evaluators.measure import eer, identity_bars, sync_bars
from studio.evaluators.sync_expert.model import mel_windows, shift_mel
from studio.nn.loop import TrainConfig, train
from tests.data.tiny import tiny_arrays, tiny_corpus


def test_eer_known_values():
    assert eer(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0], bool)) == 0.0
    assert eer(np.array([0.1, 0.2, 0.8, 0.9]), np.array([1, 1, 0, 0], bool)) == 1.0
    rng = np.random.default_rng(0)
    same = rng.random(4000) < 0.5
    assert abs(eer(rng.random(4000), same) - 0.5) < 0.05  # chance


def test_offset_sign_with_an_oracle_embedding():
    """An 'expert' that embeds a frame by its own mel window: shifted audio by k must give
    offset +k (audio leads), and the clip against itself offset 0."""
    _, held = tiny_arrays()
    clip = held[0]
    T = len(clip.mouth)

    def emb(mel):
        w = mel_windows(mel, T).reshape(T, -1)
        return w / np.linalg.norm(w, axis=1, keepdims=True)

    v = emb(clip.mel)
    assert sync_scores(v, emb(clip.mel)).offset == 0
    for k in (-6, -3, 3, 6):
        assert sync_scores(v, emb(shift_mel(clip.mel, k))).offset == k


RECIPES = ["sync_expert", "emotion_classifier", "identity_embedder"]


@pytest.mark.parametrize("name", RECIPES)
def test_a_few_steps_reduce_the_loss(name, tmp_path):
    recipe = importlib.import_module(f"studio.evaluators.{name}.train")
    torch.manual_seed(0)  # the initial weights, so the test is the same on every run
    model = recipe.make_model()
    clips, _ = tiny_arrays(getattr(model.config, "face_size", 64))  # the model's input size
    get_batch = recipe.batch_fn(clips, 32)
    fixed = get_batch(0, np.random.default_rng(123), 0, 1)

    def loss_on_fixed():
        model.train()  # batch statistics: running BN stats are not settled after 12 steps
        with torch.no_grad():
            torch.manual_seed(0)
            return float(recipe.loss_fn(model, fixed)["loss"])

    before = loss_on_fixed()
    cfg = TrainConfig(
        steps=24 if name == "sync_expert" else 12,
        batch_size=32,
        lr=3e-3,
        warmup=2,
        ckpt_every=0,
        log_every=4,
        out_dir=str(tmp_path / name),
        device="cpu",
    )
    train(model, recipe.loss_fn, get_batch, cfg)
    floor = 0.0
    if name == "identity_embedder":  # SupCon cannot go below mean log(#positives)
        labels = fixed["label"].numpy()
        floor = float(np.mean(np.log([(labels == y).sum() - 1 for y in labels])))
    # the sync task (pick 1 of 160 audio windows, 4 per anchor only 3+ frames off) moves slower
    ratio = 0.9 if name == "sync_expert" else 0.8
    after = loss_on_fixed()
    assert after - floor < ratio * (before - floor)


def test_emotion_batches_follow_the_intensity_weights():
    from studio.evaluators.emotion_classifier.train import batch_fn

    clips, _ = tiny_arrays()
    assert len({c.intensity for c in clips}) > 1  # the tiny corpus mixes intensities
    only_weak = batch_fn(clips, 64, {1: 1.0, 2: 0.0, 3: 0.0})
    weak_emotions = {c.emotion for c in clips if c.intensity == 1}
    for step in range(3):
        batch = only_weak(step, np.random.default_rng(step), 0, 1)
        assert set(batch["label"].tolist()) <= weak_emotions


@pytest.mark.parametrize("text", ["2,1", "a,b,c", "-1,1,1", "0,0,0"])
def test_bad_intensity_weights_are_a_clear_cli_error(text, capsys):
    from studio.train.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["emotion_classifier", f"--intensity-weights={text}"])
    assert exit_info.value.code == 2
    assert "three non-negative weights" in capsys.readouterr().err


def test_cli_ships_a_checkpoint_with_a_model_card(tmp_path):
    from studio.evaluators.emotion_classifier.model import load
    from studio.train.__main__ import main

    tiny_arrays()  # sets the crop cache to a temporary folder
    code = main(
        [
            "emotion_classifier",
            "--corpus",
            str(tiny_corpus()),
            "--quick",
            "--steps",
            "3",
            "--out",
            str(tmp_path / "run"),
            "--checkpoints",
            str(tmp_path / "ck"),
            "--intensity-weights",
            "2,1,0.5",
        ]
    )
    assert code == 0
    card = json.loads((tmp_path / "ck" / "emotion_classifier.json").read_text())
    assert card["training"]["intensity_weights"] == {"1": 2.0, "2": 1.0, "3": 0.5}
    assert card["training"]["command"].startswith("python -m studio.train emotion_classifier")
    assert card["metrics"]["accuracy_all"]["command"] == "python -m studio.bench evaluators"
    assert card["training"]["steps"] == 3 and card["deviations"]
    assert (tmp_path / "ck" / "emotion_classifier.safetensors").stat().st_size < 10_000_000
    assert card["config"]["members"] == ["plain", "regularised"]
    assert set(card["details"]["members"]) == {"plain", "regularised"}
    assert 0 <= card["metrics"]["member[plain].accuracy_all"]["value"] <= 1
    members = card["training"]["members"]
    assert members["regularised"]["label_smoothing"] == 0.1
    assert members["plain"]["run"].endswith("plain") and members["plain"]["wall_minutes"] > 0
    model = load(directory=tmp_path / "ck")
    assert type(model).__name__ == "EmotionEnsemble" and len(model.members) == 2
    assert model.predict(tiny_arrays(model.config.face_size)[1][0].face[:2]).shape == (2,)


def test_bars_run_on_held_out_clips():
    from studio.evaluators.identity_embedder.model import IdentityEmbedder
    from studio.evaluators.sync_expert.model import SyncExpert

    _, held = tiny_arrays()
    s = sync_bars(SyncExpert().eval(), held)
    assert 0 <= s["gt_offset_within_1"] <= 1 and s["n_clips"] == len(held)
    i = identity_bars(IdentityEmbedder().eval(), held, n_pairs=200)
    assert i["n_genuine"] > 0  # the tiny corpus has one held-out identity: no impostors
