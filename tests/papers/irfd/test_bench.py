"""The irfd suite end to end on a tiny set and a briefly trained tiny model: every section runs,
every bar's metric is in the record, and the numbers are in their ranges (the tiny model is
weak; the test checks the bench, not the model)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from studio.errors import StudioError
from studio.papers.irfd import bench
from studio.papers.irfd.codes import Codes
from studio.papers.irfd.imageset import PRESETS, build_imageset, load_imageset
from studio.papers.irfd.train import IrfdOptions, train_irfd
from tests.papers.irfd.test_irfd import TINY_MODEL

pytestmark = pytest.mark.slow


def test_the_quick_bench_measures_every_bar(tmp_path, monkeypatch):
    config = dataclasses.replace(PRESETS["tiny"], held_out_identities=4, images_per_identity=8)
    folder = build_imageset(config, tmp_path / "set", workers=1)
    run = tmp_path / "run"
    train_irfd(load_imageset(folder), IrfdOptions(steps=4, pairs=4), run, TINY_MODEL)
    monkeypatch.setenv("IRFD_SET", str(folder))
    monkeypatch.setenv("IRFD_RUN", str(run))
    m = bench.run(quick=True)
    for b in bench.BARS:
        assert b.metric in m, b.metric
    assert m["held_out_people"] == 4 and m["swap_triples"] == 60
    assert 0 <= m["emotion_probe_accuracy"] <= 1 and 0 <= m["identity_eer_from_pose"] <= 1
    assert 0 <= m["dci_disentanglement"] <= 1 and m["self_reconstruction_psnr"] > 5
    assert 0 <= m["dci_disentanglement_trees"] <= 1
    assert m["self_reconstruction_face_psnr"] > 5 and m["self_reconstruction_features_psnr"] > 5
    assert 0 <= m["judge_tracked_rate_set_images"] <= 1
    # the set's own images are faces the tracker finds; an untrained G_d's output may not be
    assert m["judge_tracked_rate_set_images"] > 0.5
    assert math.isnan(m["swap_yaw_error_deg"]) or m["swap_yaw_error_deg"] >= 0
    # swaps are read only when the tracker finds a face in a tenth of them: not from a handful
    if m["swap_tracked_count"] < 0.1 * m["swap_triples"]:
        assert math.isnan(m["swap_identity_nearest_a"]) and math.isnan(m["swap_yaw_error_deg"])
    else:
        assert 0 <= m["swap_identity_nearest_a"] <= 1
    for name in ("judge_emotion_reconstructed_int3", "judge_identity_reconstructed"):
        assert math.isnan(m[name]) or 0 <= m[name] <= 1
    assert set(m["dci_importance_share"]) == {"identity", "emotion", "pose"}
    assert m["grid_3x3_seconds"] > 0
    # the shipped set judge reads the swaps, real images and reconstructions (no tracking)
    assert 0 <= m["swap_judge_emotion_agreement_int3"] <= 1
    assert 0 <= m["swap_judge_identity_nearest_a"] + m["swap_judge_identity_nearest_b"] <= 1
    assert 1 / 8 <= m["set_judge_reconstructed_top_emotion_share"] <= 1
    assert m["set_judge_real_yaw_error_deg"] >= 0 and m["swap_judge_pitch_error_deg"] >= 0
    # the tracked emotion judge reads B's real images (faces it finds) beside the swaps
    assert m["tracked_judge_real_tracked_rate"] > 0.5
    assert 0 <= m["tracked_judge_real_emotion_int3"] <= 1
    swapped = m["swap_tracked_judge_emotion_agreement_int3"]
    assert math.isnan(swapped) or 0 <= swapped <= 1


def _clean_codes(people: int = 12, images: int = 30, seed: int = 0):
    """Factors of `people` × `images` draws and a code laid out as IRFD's (128 + 32 + 16) that
    holds each factor in a dimension of its own and noise everywhere else."""
    rng = np.random.default_rng(seed)
    n = people * images
    held = {
        "identity": np.repeat(np.arange(people), images),
        "emotion": rng.integers(0, 8, n),
        "intensity": rng.integers(1, 4, n),
        "yaw": rng.uniform(-35, 35, n),
        "pitch": rng.uniform(-20, 20, n),
        "roll": rng.uniform(-10, 10, n),
        "jaw": rng.uniform(0, 1, n),
    }
    identity = 0.1 * rng.standard_normal((n, 128))
    identity[:, :people] += np.eye(people)[held["identity"]]
    emotion = 0.1 * rng.standard_normal((n, 32))
    emotion[:, :8] += np.eye(8)[held["emotion"]]
    emotion[:, 8] += held["intensity"]
    emotion[:, 9] += held["jaw"]
    pose = 0.1 * rng.standard_normal((n, 16))
    pose[:, :3] += np.stack([held["yaw"], held["pitch"], held["roll"]], 1) / 20
    return held, Codes(identity, emotion, pose)


def test_the_tree_dci_scores_a_clean_code_near_one_and_the_linear_one_lower():
    """The finding of docs/experiments/irfd_dci_ceiling.py on a small set: with trees DCI
    reads a code of one clean dimension per factor as disentangled; the bench's linear
    predictors spread importance over the noise dimensions and read it lower."""
    held, codes = _clean_codes()
    trees = bench.disentanglement(held, codes, predictor="gbt")["dci_disentanglement"]
    linear = bench.disentanglement(held, codes)["dci_disentanglement"]
    assert trees > 0.85
    assert linear < trees - 0.1


def test_an_unknown_dci_predictor_is_refused():
    held, codes = _clean_codes(people=4, images=10)
    with pytest.raises(StudioError, match="linear"):
        bench.disentanglement(held, codes, predictor="forest")
