"""The Talking NeRF: the preset's geometry and light, the dual field's split, a tiny fit shipped
and rendered, the CLI, the bench, and clear errors."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.media import audio_from_array
from studio.media.ffmpeg import probe
from studio.nerf.talk import talk_nerf
from studio.nn.checkpoints import checkpoint_exists
from studio.papers.jean.tracked_emotion_judge import NAME as JUDGE
from studio.papers.nerf import bench
from studio.papers.nerf.cli import main as nerf_cli
from studio.papers.nerf.drive import clip_drive, drive, speech_for
from studio.papers.nerf.export import ship
from studio.papers.nerf.field import NerfConfig, TalkingNerf
from studio.papers.nerf.fit import FitOptions, fit, reconstruction_loss
from studio.papers.nerf.preset import LIGHT, PRESETS, build_preset, load_preset, orbit_light
from studio.papers.nerf.rays import BOX_MAX, BOX_MIN, camera_in_head, frame_rays
from studio.papers.nerf.render import NerfRenderer, Quality, View, load_fitted
from studio.papers.rhythmic.talk import TalkRequest
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer

FIT_STEPS = 40


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    return load_preset(build_preset(PRESETS["tiny"], tmp_path_factory.mktemp("nerf") / "preset"))


@pytest.fixture(scope="module")
def shipped(tiny_preset, tmp_path_factory):
    """A field fitted for a few steps on the tiny preset and shipped to a temporary folder."""
    run = tmp_path_factory.mktemp("nerf_run")
    fit(tiny_preset, FitOptions(steps=FIT_STEPS, val_every=FIT_STEPS), run)
    folder = tmp_path_factory.mktemp("nerf_checkpoints")
    ship(tiny_preset, run, directory=folder, quick=True)
    return {"run": run, "folder": folder, "fitted": load_fitted(directory=folder)}


def test_the_camera_is_the_inverse_head_pose(tiny_preset):
    """Head-frame landmarks seen through camera_in_head land on the renderer's landmarks."""
    p = tiny_preset
    person = sample_identity(p.manifest["config"]["identity_id"], 0)
    head = HeadRenderer(person.look, size=p["frames"].shape[1], rigid_neck=True)
    for t in (0, len(p["pose6"]) // 2, len(p["pose6"]) - 1):
        in_head = head.landmarks_3d(p["blendshapes"][t], np.zeros(6))
        to_cam = np.linalg.inv(camera_in_head(p["pose6"][t], p["extrinsics"]))
        cam = in_head @ to_cam[:3, :3].T + to_cam[:3, 3]
        k = p["intrinsics"]
        pixels = cam[:, :2] / cam[:, 2:] * k[0, 0] + k[0, 2]
        assert np.abs(pixels - p["landmarks"][t][:, :2]).max() < 1e-3


def test_ring_views_turn_the_light_with_the_camera():
    """An orbit view lit by orbit_light shades the face as the main camera sees the head
    turned by the same angle; a light left fixed in the world does not."""
    head = HeadRenderer(sample_identity(32, 0).look, size=96, rigid_neck=True)
    rest = np.zeros(52, np.float32)
    turned = head.render(rest, np.array([20.0, 0, 0, 0, 0, 0]), Camera(size=96), LIGHT)
    orbit = head.render(rest, np.zeros(6), Camera(size=96, yaw_deg=20), orbit_light(20, 0))
    fixed = head.render(rest, np.zeros(6), Camera(size=96, yaw_deg=20), LIGHT)

    def face(r):
        return r.image[r.mask > 250].astype(float).mean(0)

    assert np.abs(face(turned) - face(orbit)).max() < 1.0
    assert np.abs(face(turned) - face(fixed)).max() > 3.0


def test_preset_has_head_turns_held_out_frames_and_a_ring(tiny_preset):
    m = tiny_preset.manifest
    assert max(-m["yaw_range_deg"][0], m["yaw_range_deg"][1]) > 25
    assert m["held_out_frames"] > 0 and m["train_frames"] > 0
    p = tiny_preset
    assert not np.intersect1d(p["ring_frames"], p.train_index).size  # ring only on held-out
    assert set(map(tuple, p["ring_params"].tolist())) >= {(-40.0, 0.0), (40.0, 0.0), (0.0, 15.0)}
    assert p["depth"].shape == p["masks"].shape and (p["depth"][p["masks"] > 250] > 0).all()


def _frontal_rays():
    camera = Camera(size=64)
    return frame_rays(np.zeros(6), camera.extrinsics(), camera.intrinsics(), 64, 8)


def test_only_the_audio_field_hears_the_audio():
    """Region-wise sampling: rays through F_ai alone ignore the audio code; F_aa rays don't."""
    torch.manual_seed(0)
    nerf = TalkingNerf(NerfConfig(feature_res=8))
    o, d = frame_rays(
        np.zeros(6), Camera(size=64).extrinsics(), Camera(size=64).intrinsics(), 64, 8
    )
    expr = torch.randn(1, 64).expand(len(o), -1)
    a1, a2 = torch.randn(1, 64).expand(len(o), -1), torch.randn(1, 64).expand(len(o), -1)
    with torch.no_grad():
        for region, hears in ((0, False), (1, True), (2, True)):
            r = torch.full((len(o),), region)
            f1 = nerf.render_rays(o, d, a1, expr, region=r)["feature"]
            f2 = nerf.render_rays(o, d, a2, expr, region=r)["feature"]
            assert (not torch.allclose(f1, f2)) == hears


def test_rays_enter_and_leave_the_head_box():
    o, d = frame_rays(
        np.zeros(6), Camera(size=64).extrinsics(), Camera(size=64).intrinsics(), 64, 8
    )
    nerf = TalkingNerf(NerfConfig(feature_res=8, samples=8))
    pts, t, _ = nerf.sample_points(o, d, jitter=False)
    centre = pts[len(pts) // 2 + 4]  # a ray through the middle of the image crosses the box
    assert (centre >= torch.as_tensor(BOX_MIN) - 1e-3).all()
    assert (centre <= torch.as_tensor(BOX_MAX) + 1e-3).all()


def test_a_short_fit_lowers_its_loss_and_ships_under_10_mb(shipped):
    rows = [json.loads(line) for line in (shipped["run"] / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == FIT_STEPS
    assert rows[-1]["rec"] < rows[0]["rec"]
    assert "val/psnr256" in rows[-1] and np.isfinite(rows[-1]["val/psnr256"])
    weights = shipped["folder"] / "nerf.safetensors"
    assert weights.stat().st_size < 10_000_000
    card = json.loads((shipped["folder"] / "nerf.json").read_text())
    assert card["deviations"] and card["training"]["curve"]
    fitted = shipped["fitted"]
    assert fitted.audio_codes.shape == (fitted.n_frames, 64)
    assert len(fitted.emotions) == fitted.n_frames


def test_renderer_sizes_and_empty_space(shipped):
    fitted = shipped["fitted"]
    renderer = NerfRenderer(fitted)
    view = View(yaw=25, pitch=5, pose6=fitted.pose6[2])
    assert renderer.frame(2, view, Quality.DRAFT).shape == (128, 128, 3)
    full = renderer.frame(2, view, Quality.FULL)
    assert full.shape == (256, 256, 3) and full.dtype == np.uint8
    # samples outside the occupancy grid are skipped: an empty grid leaves the background
    fitted.occupancy[:] = False
    empty = NerfRenderer(fitted).frame(2, view, Quality.FULL)
    assert empty.std(axis=(0, 1)).max() < full.std(axis=(0, 1)).max()


def test_cli_view_and_orbit_with_sound(shipped, tmp_path):
    folder = str(shipped["folder"])
    png = tmp_path / "view.png"
    assert nerf_cli(["view", "--checkpoints", folder, "--yaw", "30", "--out", str(png)]) == 0
    assert png.stat().st_size > 0
    mp4 = tmp_path / "orbit.mp4"
    args = ["orbit", "--checkpoints", folder, "--text", "Hello there.", "--draft"]
    assert nerf_cli([*args, "--emotion", "happy", "--out", str(mp4)]) == 0
    info = probe(mp4)
    assert info.video_codec == "h264" and info.has_audio and info.duration > 0.4


def test_bad_requests_get_clear_messages(shipped, capsys):
    fitted = shipped["fitted"]
    with pytest.raises(StudioError, match="silent"):
        drive(fitted, audio_from_array(np.zeros(16000, np.float32), 16000), "neutral")
    with pytest.raises(StudioError, match="Type something"):
        speech_for(fitted, "   ")
    with pytest.raises(StudioError, match="has no 'contempt' frames"):
        fitted.emotion_code("contempt")
    with pytest.raises(StudioError, match="outside the fitted clip"):
        NerfRenderer(fitted).frame(10_000, View())
    assert clip_drive(fitted, 0, 10).n_frames == 10
    assert nerf_cli(["view", "--checkpoints", "/nonexistent", "--out", "x.png"]) == 2
    assert "python -m studio.train nerf" in capsys.readouterr().err


def test_bench_measures_every_bar(shipped, tiny_preset, monkeypatch):
    monkeypatch.setattr(bench, "load_fitted", lambda: load_fitted(directory=shipped["folder"]))
    m = bench.run(quick=True, preset=tiny_preset.folder)
    for bar in bench.BARS:
        assert bar.metric in m
    assert np.isfinite(m["held_out_psnr_256"]) and 5 < m["held_out_psnr_256"] < 60
    assert np.isfinite(m["ring_psnr_yaw40"]) and m["ms_256"] > 0
    if checkpoint_exists(JUDGE):  # the second judge reads the same renders, and the GT frames
        for stage in ("", "_gt", "_own_codes"):
            value = m[f"emotion_accuracy_intensity3{stage}_tracked_judge"]
            assert 0.0 <= value <= 1.0


def test_a_fit_run_is_benched_as_it_would_ship(shipped, tiny_preset, monkeypatch):
    """NERF_RUN=<run> measures an unshipped fit: shipped into <run>/checkpoint first."""
    monkeypatch.setenv("NERF_RUN", str(shipped["run"]))
    fitted = bench.fitted_for_bench(tiny_preset)
    assert (shipped["run"] / "checkpoint" / "nerf.safetensors").exists()
    assert fitted.card["training"]["steps"] == FIT_STEPS
    assert fitted.occupancy.any()
    card_path = shipped["run"] / "checkpoint" / "nerf.json"  # a copy of an earlier state of the run
    card = json.loads(card_path.read_text())
    card["training"]["steps"] = FIT_STEPS // 2
    card_path.write_text(json.dumps(card))
    assert (
        bench.fitted_for_bench(tiny_preset).card["training"]["steps"] == FIT_STEPS
    )  # shipped anew


def test_region_weights_are_the_plain_mse_at_zero_and_lean_on_their_region():
    rng = np.random.default_rng(0)
    g = 8
    lower, face = torch.zeros(2, g, g), torch.zeros(2, g, g)
    lower[:, g // 2 :] = 1.0  # the bottom half is "lower face"
    face[:, 1:-1, 1:-1] = 1.0
    truth = {s: torch.as_tensor(rng.random((2, 3, s, s)), dtype=torch.float32) for s in (128, 256)}
    images = {s: truth[s].clone() for s in truth}
    for s in images:  # an error in the lower half only
        images[s][..., s // 2 :, :] += 0.1
    batch = {"lower": lower.view(2, -1), "face": face.view(2, -1)}
    batch.update({f"rgb{s}": truth[s] for s in truth})
    plain = reconstruction_loss(images, batch, 0.0)
    assert torch.isclose(plain, sum(((images[s] - truth[s]) ** 2).mean() for s in truth))
    assert torch.isclose(reconstruction_loss(images, batch, 0.0, {"lower": 0.0}), plain)
    assert reconstruction_loss(images, batch, 0.0, {"lower": 4.0}) > 1.5 * plain
    upper_error = {s: truth[s].clone() for s in truth}
    for s in upper_error:  # the same error in the upper half, outside "lower"
        upper_error[s][..., : s // 2, :] += 0.1
    assert reconstruction_loss(upper_error, batch, 0.0, {"lower": 4.0}) < 0.5 * plain


def test_talk_with_the_nerf_draws_its_own_person_with_predicted_motion(shipped):
    request = TalkRequest(identity=3, text="Hello there.", emotion="happy", intensity=3, size=128)
    result = talk_nerf(request, NerfRenderer(shipped["fitted"]))
    assert result.identity == PRESETS["tiny"].identity_id  # the fitted person, not person 3
    assert result.frames.shape[1:] == (128, 128, 3) and len(result.frames) == len(result.pose6)
    assert result.pose6[:, 0].std() > 0.1  # Rhythmic's predicted head motion moves the camera
    with pytest.raises(StudioError, match="has no 'contempt' frames"):
        talk_nerf(replace(request, emotion="contempt"), NerfRenderer(shipped["fitted"]))
