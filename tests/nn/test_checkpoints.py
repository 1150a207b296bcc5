"""Checkpoint + model card round trip, the 10 MB limit, tamper detection, missing weights."""

from __future__ import annotations

import json

import pytest
import torch

from studio.errors import StudioError
from studio.nn.checkpoints import load_checkpoint, save_checkpoint


def card(**kw):
    base = {
        "name": "x",
        "paper": "test",
        "version": 1,
        "config": {"dim": 4},
        "data": {"corpus": "synthtalk-tiny", "seed": 0, "split": "train"},
        "training": {
            "steps": 1,
            "wall_minutes": 0,
            "machine": "cpu",
            "command": "python -m studio.train x",
        },
        "metrics": {"acc": {"value": 1.0, "command": "python -m studio.bench evaluators"}},
        "deviations": [],
    }
    return {**base, **kw}


def test_round_trip(tmp_path):
    state = {"w": torch.randn(3, 4), "b": torch.arange(3)}
    path = save_checkpoint("x", state, card(), tmp_path)
    assert path == tmp_path / "x.safetensors"
    loaded, c = load_checkpoint("x", tmp_path)
    assert torch.equal(loaded["w"], state["w"]) and torch.equal(loaded["b"], state["b"])
    assert len(c["sha256"]) == 64 and c["metrics"]["acc"]["value"] == 1.0
    assert json.loads((tmp_path / "x.json").read_text())["sha256"] == c["sha256"]


def test_refuses_more_than_10_mb(tmp_path):
    with pytest.raises(StudioError, match="10 MB"):
        save_checkpoint("big", {"w": torch.zeros(3 * 1024 * 1024)}, card(), tmp_path)  # 12 MB
    with pytest.raises(StudioError, match="10.2 MB"):  # over 10 MB, though under 10 MiB
        save_checkpoint("big", {"w": torch.zeros(2_550_000)}, card(), tmp_path)
    assert not list(tmp_path.iterdir())


def test_refuses_weights_that_do_not_match_the_card(tmp_path):
    save_checkpoint("x", {"w": torch.zeros(8)}, card(), tmp_path)
    data = bytearray((tmp_path / "x.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "x.safetensors").write_bytes(bytes(data))
    with pytest.raises(StudioError, match="does not match"):
        load_checkpoint("x", tmp_path)


def test_card_must_have_the_conventions_fields(tmp_path):
    bad = card()
    del bad["deviations"]
    with pytest.raises(StudioError, match="deviations"):
        save_checkpoint("x", {"w": torch.zeros(2)}, bad, tmp_path)


def test_missing_checkpoint_names_the_training_command(tmp_path):
    with pytest.raises(StudioError, match="python -m studio.train sync_expert"):
        load_checkpoint("sync_expert", tmp_path)
