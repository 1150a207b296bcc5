"""IRFD's measured deviations: split encoders (E_i and E_e learn only their own losses, with a
batch-hard triplet of real images), their warm-up run, weak pose labels, re-encoding that
leaves the encoders' batch-norm statistics alone, and face-weighted G_d-only training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studio.nn.blocks import weighted_mse
from studio.nn.checkpoints import load_checkpoint
from studio.papers.irfd import cli
from studio.papers.irfd.codes import encoder_fingerprint, load_run
from studio.papers.irfd.losses import (
    LossOptions,
    _frozen,
    emotion_losses,
    irfd_losses,
    real_triplet,
)
from studio.papers.irfd.model import Irfd, IrfdConfig
from studio.papers.irfd.train import IrfdOptions, _init_from, pair_batch, train_irfd

TINY = IrfdConfig(
    identity_dim=16, emotion_dim=8, pose_dim=4, encoder_widths=(8, 8, 8, 8, 8), style_dim=32,
    decoder_widths=(16, 16, 8, 8, 8, 8),
)  # fmt: skip


def _grads(module: torch.nn.Module) -> float:
    return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)


def test_the_batch_hard_triplet_takes_the_closest_other_person():
    a = torch.tensor([[1.0, 0.0]])
    p = torch.tensor([[0.0, 1.0]])  # distance √2 from the anchor
    negatives = torch.tensor([[1.0, 0.0], [1.0, 0.1], [-1.0, 0.0]])
    # the first negative is the anchor's own person (masked), the second is the hardest
    loss = real_triplet(a, p, negatives, torch.tensor([7]), torch.tensor([7, 3, 4]))
    hardest = (torch.tensor([1.0, 0.0]) - torch.nn.functional.normalize(negatives[1], dim=0)).norm()
    assert torch.isclose(loss, 2**0.5 - hardest + 0.5)
    only_far = real_triplet(a, a, negatives[2:], torch.tensor([7]), torch.tensor([4]))
    assert float(only_far) == 0.0  # positive at 0, negative at 2: met


def test_pairs_come_with_another_image_of_the_same_person(data):
    index = np.flatnonzero(~data["held_out"])
    angles = np.stack([data["yaw"], data["pitch"], data["roll"]], 1)
    batch = pair_batch(data["images"], data["identity"], data["emotion"], index, 8,
                       np.random.default_rng(1), angles)  # fmt: skip
    ids = batch["ids"].numpy()
    assert (ids[:8] != ids[8:]).all()
    # the positive is a different image of S's person (images are random noise: unique)
    flat = data["images"].reshape(len(data["images"]), -1)
    for k in range(8):
        same = batch["same_s"][k].permute(1, 2, 0).mul(255).round().byte().numpy().reshape(-1)
        (row,) = np.flatnonzero((flat == same).all(1))
        assert data["identity"][row] == ids[k]
        assert not torch.equal(batch["same_s"][k], batch["s"][k])
    assert batch["angles"].shape == (16, 3)


def test_split_encoders_keep_reconstruction_out_of_identity_and_emotion(data):
    torch.manual_seed(0)
    model = Irfd(TINY)
    batch = pair_batch(data["images"], data["identity"], data["emotion"],
                       np.flatnonzero(~data["held_out"]), 4, np.random.default_rng(0))  # fmt: skip
    split = LossOptions(split_encoders=True)

    def grads_of(term: str, options: LossOptions) -> dict[str, float]:
        model.zero_grad()
        out = irfd_losses(model, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"], options,
                          1.0, batch["same_s"], batch["ids"])  # fmt: skip
        out[term].backward()
        return {k: _grads(getattr(model, k)) for k in ("identity", "emotion", "pose", "generator")}

    rec = grads_of("self", split)
    assert rec["identity"] == 0 and rec["emotion"] == 0
    assert rec["pose"] > 0 and rec["generator"] > 0
    assert grads_of("self", LossOptions())["identity"] > 0  # the paper's joint training
    real = grads_of("real_identity", split)
    assert real["identity"] > 0 and real["generator"] == 0
    cls = grads_of("cls", split)
    assert cls["emotion"] > 0 and cls["identity"] == 0
    swap = grads_of("identity", split)  # Eq. 1 on the fakes now trains G_d only
    assert swap["generator"] > 0 and swap["identity"] == 0
    with pytest.raises(ValueError, match="same_s"):
        irfd_losses(model, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"], split)


def test_re_encoding_fakes_leaves_batch_norm_statistics_alone():
    model = Irfd(TINY)
    x = torch.rand(4, 3, 128, 128)
    before = model.pose.stages[0].body[1].running_mean.clone()
    with _frozen([model.pose]):
        model.pose(x)
    torch.testing.assert_close(model.pose.stages[0].body[1].running_mean, before)
    assert model.pose.stages[0].body[1].momentum == 0.1  # restored
    model.pose(x)
    assert not torch.allclose(model.pose.stages[0].body[1].running_mean, before)


def test_pose_labels_train_a_pose_head_that_ships(data, tmp_path):
    options = IrfdOptions(steps=3, pairs=4, split_encoders=True, pose_labels=True)
    train_irfd(data, options, tmp_path / "run", TINY)
    rows = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert {"pose_label", "real_identity"} <= set(rows[-1])
    model = load_run(tmp_path / "run")
    assert model.config.pose_regressor and model.pose_regressor.out_features == 3
    flags = cli._option_flags(json.loads((tmp_path / "run" / "irfd_options.json").read_text()))
    assert "--pose-labels" in flags and "--split-encoders" in flags
    card_text = json.dumps(
        cli.deviations(json.loads((tmp_path / "run" / "irfd_options.json").read_text()))
    )
    assert "split encoders" in card_text and "weak pose supervision" in card_text
    plain = cli.deviations({})
    assert not any(d["what"].startswith(("split encoders", "weak pose")) for d in plain)
    # the swap weight and the schedule are the run's own
    assert any("weigh 0.1" in d["what"] for d in plain)
    shipped_like = cli.deviations({"swap_weight": 0.0, "steps": 600, "init_from": "runs/warm"})
    assert any("are off (weight 0)" in d["what"] for d in shipped_like)
    assert any(d["what"].startswith("600 steps") and "runs/warm" in d["what"] for d in shipped_like)


def test_the_warm_up_trains_the_encoders_only_and_the_next_run_starts_from_it(data, tmp_path):
    torch.manual_seed(0)
    untouched = Irfd(TINY).state_dict()
    train_irfd(data, IrfdOptions(steps=3, pairs=4, encoders_only=True), tmp_path / "warm", TINY)
    warm = load_run(tmp_path / "warm").state_dict()
    for k, v in warm.items():
        moved = not torch.equal(v, untouched[k])
        if k.startswith(("generator.", "pose.")) and "running" not in k and "tracked" not in k:
            assert not moved, k  # nothing trains G_d or E_p in the warm-up
    assert not torch.equal(warm["identity.head.weight"], untouched["identity.head.weight"])
    assert not torch.equal(warm["classifier.weight"], untouched["classifier.weight"])
    model = Irfd(IrfdConfig(**{**TINY.to_dict(), "pose_regressor": True}))
    _init_from(model, tmp_path / "warm")
    torch.testing.assert_close(model.identity.head.weight, warm["identity.head.weight"])
    with pytest.raises(FileNotFoundError):
        _init_from(model, tmp_path / "nothing")


def test_a_run_can_start_from_the_shipped_checkpoint_and_its_card_says_so(data, tmp_path):
    """A fresh machine has no runs: `--init-from checkpoints/irfd.safetensors` continues the
    shipped model, and the new card names the checkpoint (sha256) and its training."""
    train_irfd(data, IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0),
               tmp_path / "first", TINY)  # fmt: skip
    shipped = cli.ship(tmp_path / "first", tmp_path / "no-set", {}, tmp_path / "ckpt")
    first_card = json.loads(shipped.with_suffix(".json").read_text())
    model = Irfd(IrfdConfig(**{**TINY.to_dict(), "pose_regressor": True}))
    _init_from(model, shipped, tmp_path)
    half = load_run(tmp_path / "first").state_dict()["identity.head.weight"].half().float()
    torch.testing.assert_close(model.identity.head.weight, half)  # float16 weights, cast
    options = IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0,
                          pose_labels=True, init_from=str(shipped))  # fmt: skip
    train_irfd(data, options, tmp_path / "second", TINY)
    card = json.loads(
        cli.ship(tmp_path / "second", tmp_path / "no-set", {}, tmp_path / "ckpt2")
        .with_suffix(".json").read_text()
    )  # fmt: skip
    started = card["training"]["started_from"]
    assert started["sha256"] == first_card["sha256"] and started["checkpoint"] == str(shipped)
    assert started["steps"] == first_card["training"]["steps"] == 2
    shipped.write_bytes(shipped.read_bytes()[:-8] + b"tampered")  # weights ≠ their card
    with pytest.raises(ValueError, match="sha256"):
        _init_from(model, shipped)


def test_a_run_continuing_a_run_keeps_the_whole_chain_on_its_card(data, tmp_path):
    """checkpoint → run → run → ship: the card names every stage down to the first checkpoint's
    sha256, and keeps the deviations of stages it no longer repeats (the first's split encoders)."""
    train_irfd(data, IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0),
               tmp_path / "first", TINY)  # fmt: skip
    shipped = cli.ship(tmp_path / "first", tmp_path / "no-set", {}, tmp_path / "ckpt")
    first_sha = json.loads(shipped.with_suffix(".json").read_text())["sha256"]
    train_irfd(data, IrfdOptions(steps=2, pairs=4, swap_weight=0.0, pose_labels=True,
                                 init_from=str(shipped)),
               tmp_path / "second", TINY)  # fmt: skip
    train_irfd(data, IrfdOptions(steps=2, pairs=4, swap_weight=0.0,
                                 init_from=str(tmp_path / "second")),
               tmp_path / "third")  # fmt: skip
    card = json.loads(
        cli.ship(tmp_path / "third", tmp_path / "no-set", {}, tmp_path / "ckpt3")
        .with_suffix(".json").read_text()
    )  # fmt: skip
    second = card["training"]["started_from"]
    assert second["options"]["pose_labels"] and second["started_from"]["sha256"] == first_sha
    assert any(d["what"].startswith("split encoders") for d in card["deviations"])


def test_weighted_mse_is_the_plain_mse_at_equal_weights_and_counts_weighted_pixels_more():
    drawn, target = torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 4)
    target[:, :, 0, 0] = 1.0
    ones = torch.ones(2, 1, 4, 4)
    torch.testing.assert_close(weighted_mse(drawn, target, ones), F.mse_loss(drawn, target))
    heavy = ones.clone()
    heavy[:, :, 0, 0] = 21.0
    assert weighted_mse(drawn, target, heavy) > 5 * F.mse_loss(drawn, target)


def test_a_generator_only_run_with_face_weights_leaves_every_encoder_as_it_was(data, tmp_path):
    """The last stage of the shipped recipe: G_d alone learns from face-weighted
    self-reconstruction; the encoders (and so SPEAK's codes) stay bit for bit."""
    train_irfd(data, IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0),
               tmp_path / "first", TINY)  # fmt: skip
    shipped = cli.ship(tmp_path / "first", tmp_path / "no-set", {}, tmp_path / "ckpt")
    rng = np.random.default_rng(1)
    landmarks = rng.uniform(30, 98, (len(data["images"]), 478, 2)).astype(np.float32)
    options = IrfdOptions(steps=3, pairs=4, generator_only=True, face_weight=4.0,
                          feature_weight=16.0, init_from=str(shipped))  # fmt: skip
    with pytest.raises(ValueError, match="landmarks"):
        train_irfd(data, options, tmp_path / "second")
    train_irfd(data, options, tmp_path / "second", landmarks=landmarks)  # config: the source's
    before, _ = load_checkpoint("irfd", tmp_path / "ckpt")
    after = load_run(tmp_path / "second").state_dict()
    for k, v in before.items():
        if k.startswith(("identity.", "emotion.", "pose.", "classifier.")):
            torch.testing.assert_close(after[k], v.to(after[k].dtype), msg=k)
    assert not torch.equal(after["generator.to_rgb.weight"].half(),
                           before["generator.to_rgb.weight"])  # fmt: skip
    second = cli.ship(tmp_path / "second", tmp_path / "no-set", {}, tmp_path / "ckpt2")
    assert encoder_fingerprint(load_checkpoint("irfd", tmp_path / "ckpt2")[0]) == (
        encoder_fingerprint(before))  # fmt: skip
    card = json.loads(second.with_suffix(".json").read_text())
    first_card = json.loads(shipped.with_suffix(".json").read_text())
    assert card["encoders_sha256"] == first_card["encoders_sha256"] != ""  # the bank's key
    assert card["sha256"] != first_card["sha256"]
    text = json.dumps(card["deviations"])
    assert "split encoders" in text  # a deviation of the stage it grew from stays on the card
    assert "are off (weight 0)" in text  # the swap weight of the stage that read the fakes
    assert "1 + 4 on the face + 16 on the eyes and lips" in text and "--generator-only" in text
    flags = card["training"]["trained_by"]
    assert "--generator-only" in flags and "--face-weight 4 --feature-weight 16" in flags


def test_an_emotion_only_run_trains_the_emotion_encoder_and_classifier_and_nothing_else(
    data, tmp_path
):
    """`--emotion-only`: E_e and C_m learn from the cross-entropy; E_i, E_p, G_d and their
    batch-norm statistics stay bit for bit, and the card names the stage."""
    train_irfd(data, IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0),
               tmp_path / "first", TINY)  # fmt: skip
    before = load_run(tmp_path / "first").state_dict()
    options = IrfdOptions(steps=3, pairs=4, emotion_only=True, init_from=str(tmp_path / "first"))
    train_irfd(data, options, tmp_path / "second")
    after = load_run(tmp_path / "second").state_dict()
    for k, v in before.items():
        moved = not torch.equal(after[k], v)
        if k.startswith(("identity.", "pose.", "generator.")):
            assert not moved, k
    assert not torch.equal(after["emotion.head.weight"], before["emotion.head.weight"])
    assert not torch.equal(after["classifier.weight"], before["classifier.weight"])
    card = json.loads(
        cli.ship(tmp_path / "second", tmp_path / "no-set", {}, tmp_path / "ckpt")
        .with_suffix(".json").read_text()
    )  # fmt: skip
    assert any("--emotion-only" in d["what"] for d in card["deviations"])
    assert "--emotion-only" in card["training"]["trained_by"]


def test_the_jaw_term_regresses_the_opening_scaled_to_one_from_the_emotion_code():
    """`emotion_losses` with a jaw weight: MSE of the jaw head on the emotion code against the
    opening / 0.6, added to the cross-entropy at its weight; its gradient reaches E_e."""
    torch.manual_seed(0)
    model = Irfd(IrfdConfig(**{**TINY.to_dict(), "jaw_regressor": True}))
    with torch.no_grad():
        model.jaw_regressor.weight.zero_()
        model.jaw_regressor.bias.fill_(0.5)  # reads 0.5 whatever the code: the middle opening
    images, labels = torch.rand(4, 3, 128, 128), torch.tensor([0, 1, 2, 3])
    half_open = emotion_losses(model, images, labels, torch.full((4,), 0.3), jaw_weight=10.0)
    assert float(half_open["jaw_label"]) == pytest.approx(0.0, abs=1e-10)
    wide = emotion_losses(model, images, labels, torch.full((4,), 0.6), jaw_weight=10.0)
    assert float(wide["jaw_label"]) == pytest.approx(0.25)  # (1.0 - 0.5)²
    assert float(wide["loss"]) == pytest.approx(float(wide["cls"]) + 2.5, rel=1e-5)
    with torch.no_grad():
        model.jaw_regressor.weight.normal_()
    model.zero_grad()
    emotion_losses(model, images, labels, torch.full((4,), 0.6), jaw_weight=10.0)[
        "jaw_label"
    ].backward()
    assert _grads(model.emotion) > 0
    with pytest.raises(ValueError, match="jaw head"):
        emotion_losses(Irfd(TINY), images, labels, torch.full((4,), 0.6), jaw_weight=1.0)


def test_a_jaw_stage_trains_the_emotion_encoder_and_its_heads_only_and_ships_its_deviation(
    data, tmp_path
):
    """`--emotion-only --jaw-weight W`: E_e, C_m and the new jaw head learn; E_i, E_p and G_d
    stay bit for bit; the term is logged; the card and the flags name the stage."""
    with pytest.raises(ValueError, match="emotion_only"):
        train_irfd(data, IrfdOptions(steps=1, pairs=4, jaw_weight=1.0), tmp_path / "bad", TINY)
    train_irfd(data, IrfdOptions(steps=2, pairs=4, split_encoders=True, swap_weight=0.0),
               tmp_path / "first", TINY)  # fmt: skip
    before = load_run(tmp_path / "first").state_dict()
    options = IrfdOptions(steps=3, pairs=4, emotion_only=True, jaw_weight=10.0,
                          init_from=str(tmp_path / "first"))  # fmt: skip
    train_irfd(data, options, tmp_path / "second")
    model = load_run(tmp_path / "second")
    assert model.config.jaw_regressor and model.jaw_regressor.in_features == TINY.emotion_dim
    after = model.state_dict()
    for k, v in before.items():
        if k.startswith(("identity.", "pose.", "generator.")):
            assert torch.equal(after[k], v), k
    assert not torch.equal(after["emotion.head.weight"], before["emotion.head.weight"])
    rows = [
        json.loads(line) for line in (tmp_path / "second" / "log.jsonl").read_text().splitlines()
    ]
    assert rows[-1]["jaw_label"] > 0
    saved = json.loads((tmp_path / "second" / "irfd_options.json").read_text())
    flags = cli._option_flags(saved)
    assert flags[flags.index("--jaw-weight") + 1] == "10" and "--emotion-only" in flags
    assert any("weak jaw supervision" in d["what"] for d in cli.deviations(saved))
    assert not any("weak jaw" in d["what"] for d in cli.deviations({}))
