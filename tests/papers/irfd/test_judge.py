"""The set judge (the swaps' reader): it learns from the set's training people only, reads
emotion, angles and a unit identity embedding, ships with its held-out scores, and loads back."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from studio.nn.checkpoints import load_checkpoint
from studio.papers.irfd import judge
from studio.papers.irfd.imageset import PRESETS, build_imageset, load_imageset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    return build_imageset(PRESETS["tiny"], tmp_path_factory.mktemp("judge") / "set", workers=1)


def test_training_arrays_hold_only_training_people(tiny_set):
    data = load_imageset(tiny_set)
    arrays = judge.training_arrays(data)
    assert len(arrays["images"]) == int((~data["held_out"]).sum())
    assert arrays["person"].min() == 0 and arrays["person"].max() == 5  # 6 people, renumbered
    assert np.abs(arrays["angles"]).max() <= 1.0  # yaw / pitch / roll scaled by the set's ranges


def test_a_tiny_judge_learns_ships_and_reads(tiny_set, tmp_path):
    args = SimpleNamespace(imageset=str(tiny_set), out=str(tmp_path / "run"), steps=40,
                           batch_size=16, lr=2e-3, seed=0, resume=False, quick=True,
                           no_ship=False, checkpoints=str(tmp_path / "ck"))  # fmt: skip
    judge.train_command(args, ["irfd_judge", "--steps", "40"])
    rows = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["loss"] < rows[0]["loss"]
    state, card = load_checkpoint(judge.NAME, tmp_path / "ck")
    assert card["data"]["people"] == 6 and card["config"]["n_people"] == 6
    assert 0 <= card["metrics"]["emotion_accuracy_int23"] <= 1
    assert card["metrics"]["people"] == 2 and card["deviations"]
    model = judge.from_config(card["config"])
    model.load_state_dict(state)
    images = load_imageset(tiny_set)["images"][:5]
    r = model.read(images)
    assert r.emotion.shape == (5,) and r.angles.shape == (5, 3)
    np.testing.assert_allclose(np.linalg.norm(r.embedding, axis=1), 1.0, atol=1e-5)
    again = model.read(images, batch=2)  # batching does not change a reading
    np.testing.assert_allclose(again.angles, r.angles, atol=1e-4)
