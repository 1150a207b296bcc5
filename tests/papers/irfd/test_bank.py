"""IRFD's codes for the t-SNE explorer: the held-out people's images with their factors, the
shipped bank matching the shipped checkpoint, a user's face through the same encoders."""

from __future__ import annotations

import numpy as np
import pytest

from studio.explore.scores import label_scores
from studio.nn.checkpoints import checkpoint_exists
from studio.papers.irfd import bank
from studio.papers.irfd.sources import HELD_OUT_IDS, held_out_person
from studio.sources import load_face_source

pytestmark = pytest.mark.skipif(not checkpoint_exists("irfd"), reason="no irfd checkpoint")


def test_yaw_bins_cover_every_angle():
    assert [bank.yaw_bin(y) for y in (-30, -10, 0, 10, 30)] == list(bank.YAW_NAMES)


def test_the_held_out_bank_labels_every_image_with_its_factors(monkeypatch, tmp_path):
    monkeypatch.setattr(bank, "HELD_OUT_IDS", HELD_OUT_IDS[:3])  # computed, not the shipped one
    monkeypatch.setattr(bank, "CACHE", tmp_path)
    b = bank.held_out_bank()
    n = 3 * len(held_out_person(HELD_OUT_IDS[0]).images)
    assert len(b) == n and {c: v.shape[0] for c, v in b.codes.items()} == dict.fromkeys(
        ("identity", "emotion", "pose"), n
    )
    assert set(b.labels["identity"]) == {str(i) for i in HELD_OUT_IDS[:3]}
    assert len(set(b.labels["clip_id"])) == n  # each image its own fold group
    person = held_out_person(HELD_OUT_IDS[1])
    k = int(np.flatnonzero(b.labels["identity"] == str(HELD_OUT_IDS[1]))[2])
    assert b.labels["emotion"][k] == person.factors[2]["emotion"]
    assert b.labels["yaw"][k] == bank.yaw_bin(person.factors[2]["yaw"])
    assert np.array_equal(bank.point_image(b, k), person.images[2])
    # identity is scored over the other images of the same people
    assert label_scores(b, "identity", bank.SCORED_LABELS)["identity"]["chance"] == pytest.approx(
        1 / 3
    )
    assert (tmp_path / "irfd").exists()  # cached


def test_the_shipped_bank_is_the_shipped_checkpoints():
    path = bank.shipped_path()
    assert path.exists(), "python -m studio.explore ship-irfd-bank"
    b = bank.held_out_bank()
    assert len(b) == len(HELD_OUT_IDS) * len(held_out_person(HELD_OUT_IDS[0]).images)
    assert np.isfinite(b.codes["pose"]).all()


def test_a_users_photo_goes_through_the_same_encoders(portrait_path):
    source = load_face_source(portrait_path, role="emotion source")
    mine = bank.user_irfd_bank(source)
    assert len(mine) == 1 and set(mine.labels["source"]) == {"user"}
    joined = bank.held_out_bank().concat(mine)  # labels of both kinds join
    assert joined.codes["identity"].shape[1] == mine.codes["identity"].shape[1]
    assert bank.point_image(joined, len(joined) - 1, source).shape == (128, 128, 3)
