"""IRFD's image set: many people with wider looks, every factor drawn and saved, one crop box
per person (a head turn moves the face inside it)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.papers.irfd.imageset import (
    PRESETS,
    add_training_people,
    build_imageset,
    face_values,
    load_imageset,
    person,
    render_person,
)
from studio.synth.emotions import EMOTIONS

TINY = PRESETS["tiny"]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    return load_imageset(build_imageset(TINY, tmp_path_factory.mktemp("irfd") / "set", workers=1))


def test_every_image_has_its_factors_and_held_out_people_are_marked(tiny_set):
    n = (TINY.train_identities + TINY.held_out_identities) * TINY.images_per_identity
    assert tiny_set["images"].shape == (n, 128, 128, 3)
    for key in ("identity", "emotion", "intensity", "viseme", "jaw", "yaw", "pitch", "roll"):
        assert len(tiny_set[key]) == n
    assert np.abs(tiny_set["yaw"]).max() <= 35 and np.abs(tiny_set["roll"]).max() <= 10
    held = np.unique(tiny_set["identity"][tiny_set["held_out"]])
    assert held.tolist() == list(range(TINY.train_identities, n // TINY.images_per_identity))
    neutral = tiny_set["emotion"] == EMOTIONS.index("neutral")
    assert (tiny_set["intensity"][neutral] == 1).all()


def test_more_people_are_new_training_people_and_the_held_out_people_stay(tiny_set, tmp_path):
    more_config = dataclasses.replace(TINY, train_identities=2, held_out_identities=0,
                                      first_identity=8)  # fmt: skip
    more = load_imageset(build_imageset(more_config, tmp_path / "more", workers=1))
    assert sorted(np.unique(more["identity"]).tolist()) == [8, 9]
    assert not more["held_out"].any()
    merged = add_training_people(tiny_set, more)
    assert len(merged["images"]) == len(tiny_set["images"]) + 2 * TINY.images_per_identity
    held = np.unique(merged["identity"][merged["held_out"]])
    assert held.tolist() == np.unique(tiny_set["identity"][tiny_set["held_out"]]).tolist()
    # person 8 of the added set is the person 8 of any set of this world
    np.testing.assert_array_equal(more["images"][:4], render_person(TINY, 8)["images"])
    with pytest.raises(StudioError, match="repeats 8 of the set's people"):
        add_training_people(tiny_set, tiny_set)


def test_people_differ_in_geometry_and_are_the_same_in_any_set_size():
    a, b = person(TINY, 0), person(TINY, 1)
    assert a.proportions != b.proportions
    bigger = dataclasses.replace(TINY, train_identities=50)
    assert person(bigger, 1).proportions == b.proportions
    np.testing.assert_array_equal(person(bigger, 1).look.shape, b.look.shape)
    narrow = dataclasses.replace(TINY, wide=False)
    assert person(narrow, 1).proportions is None


def test_rendering_is_deterministic_and_the_crop_does_not_follow_the_head():
    one = render_person(TINY, 3)
    again = render_person(TINY, 3)
    np.testing.assert_array_equal(one["images"], again["images"])
    # the same person turned left and right: the face sits elsewhere in the fixed box
    config = dataclasses.replace(TINY, images_per_identity=12)
    many = render_person(config, 3)
    left, right = np.argmin(many["yaw"]), np.argmax(many["yaw"])
    assert many["yaw"][right] - many["yaw"][left] > 20
    assert np.abs(many["images"][left].astype(int) - many["images"][right]).mean() > 10


def test_face_values_keep_the_jaw_and_stay_in_range():
    values = face_values({"emotion": "happy", "intensity": 3, "viseme": "aa", "jaw": 0.45})
    assert values.min() >= 0 and values.max() <= 1
    assert np.isclose(values[25], 0.45)  # jawOpen


def test_a_missing_set_names_the_command(tmp_path):
    with pytest.raises(StudioError, match="python -m studio.irfd make"):
        load_imageset(tmp_path)


def test_irfd_trains_a_few_steps_on_the_tiny_set_with_every_loss(tiny_set, tmp_path):
    import json

    from studio.papers.irfd.losses import LossOptions, irfd_losses
    from studio.papers.irfd.model import Irfd, IrfdConfig
    from studio.papers.irfd.train import IrfdOptions, pair_batch, train_irfd

    small = IrfdConfig(encoder_widths=(8, 16, 16, 32, 32), decoder_widths=(32, 32, 16, 16, 8, 8))
    train_irfd(tiny_set, IrfdOptions(steps=6, pairs=4), tmp_path, small)
    rows = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 6
    for term in ("identity", "cls", "pose", "emotion", "self"):
        assert np.isfinite(rows[-1][term])
    index = np.flatnonzero(~tiny_set["held_out"])
    batch = pair_batch(
        tiny_set["images"], tiny_set["identity"], tiny_set["emotion"], index, 8,
        np.random.default_rng(0),
    )  # fmt: skip
    assert batch["s"].shape == (8, 3, 128, 128)
    model = Irfd(small)
    literal = irfd_losses(model, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"],
                          LossOptions(literal_triplet=True))  # fmt: skip
    assert (tiny_set["identity"][0] is not None) and float(literal["loss"]) > 0
    terms = ("identity", "cls", "pose", "emotion", "self")
    out = irfd_losses(model, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"],
                      LossOptions(drop=("self",)))  # fmt: skip
    assert np.isclose(float(out["loss"]), sum(float(out[k]) for k in terms if k != "self"))
    # frozen re-encoding: the fakes' re-encoding no longer trains the pose encoder (its
    # gradient then comes only through the codes it gave the generator)
    grads = []
    for frozen in (False, True):
        only_pose = LossOptions(
            frozen_reencoding=frozen, drop=tuple(k for k in terms if k != "pose")
        )
        model.zero_grad()
        torch.manual_seed(0)  # the generator's noise
        irfd_losses(model, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"], only_pose)[
            "loss"
        ].backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.pose.parameters()]))
    assert not torch.allclose(grads[0], grads[1])


def test_train_cli_ships_a_checkpoint_under_10_mb_that_loads(tmp_path):
    from studio.nn.checkpoints import load_checkpoint
    from studio.papers.irfd.model import Irfd, IrfdConfig
    from studio.train.__main__ import main as train_main

    argv = ["irfd", "--quick", "--steps", "2", "--out", str(tmp_path / "run"),
            "--checkpoints", str(tmp_path / "ck"), "--imageset", str(tmp_path / "set")]  # fmt: skip
    assert train_main(argv) == 0
    state, card = load_checkpoint("irfd", tmp_path / "ck")
    assert (tmp_path / "ck" / "irfd.safetensors").stat().st_size < 10_000_000
    model = Irfd(IrfdConfig(**card["config"]))
    model.load_state_dict(state)
    assert next(model.parameters()).dtype == torch.float32
    assert card["training"]["command"].startswith("python -m studio.train irfd")


def test_train_cli_adds_more_people_as_training_people_with_their_landmarks(tmp_path, monkeypatch):
    from studio.papers.irfd import cli
    from studio.train.__main__ import main as train_main

    build_imageset(TINY, tmp_path / "set", workers=1)
    more = dataclasses.replace(TINY, name="more", train_identities=2, held_out_identities=0,
                               first_identity=8)  # fmt: skip
    build_imageset(more, tmp_path / "more", workers=1)
    seen = {}
    monkeypatch.setattr(cli, "train_irfd", lambda data, options, out, **kw: seen.update(
        data=data, options=options, **kw))  # fmt: skip
    argv = ["irfd", "--quick", "--steps", "2", "--no-ship", "--out", str(tmp_path / "run"),
            "--imageset", str(tmp_path / "set"), "--more-people", str(tmp_path / "more"),
            "--generator-only", "--face-weight", "4"]  # fmt: skip
    assert train_main(argv) == 0
    data = seen["data"]
    assert set(np.unique(data["identity"][~data["held_out"]]).tolist()) == {*range(6), 8, 9}
    assert set(np.unique(data["identity"][data["held_out"]]).tolist()) == {6, 7}
    own = load_imageset(tmp_path / "set")
    assert len(seen["landmarks"]) == len(data["identity"]) == len(own["identity"]) + 8
    options = dataclasses.asdict(seen["options"])
    flags = cli._option_flags(options)
    assert flags[flags.index("--more-people") + 1] == str(tmp_path / "more")
    # a model grown from such a run says so on its card
    assert any("more-people" in d["what"] for d in cli.deviations({}, [options]))
    assert not any("more-people" in d["what"] for d in cli.deviations({}))
