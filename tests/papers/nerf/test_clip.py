"""A user's own clip for the Talking NeRF: tracked into a preset whose head poses match the truth,
fitted and shipped into its own folder, rendered over the clip's own frame, stopped and resumed,
and clear messages for clips the fit cannot use.

The "user clip" is a SynthTalk performance written as an mp4 with sound, so the tracked head pose
can be checked against the pose it was rendered with."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.errors import StudioError
from studio.media import audio_from_array, write_video
from studio.papers.nerf.cli import main as nerf_cli
from studio.papers.nerf.clip import LABEL, build_clip_preset, read_clip
from studio.papers.nerf.drive import drive, ping_pong, render_orbit, speech_for
from studio.papers.nerf.preset import PresetConfig, build_preset, load_preset
from studio.papers.nerf.render import NerfRenderer, Quality, View, load_fitted
from studio.papers.nerf.user_fits import FitStopped, fit_name, fit_user_clip, renderer_of

SECONDS = 4.0


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A 4-s SynthTalk performance at 256² with head turns (the NeRF preset's recipe)."""
    config = PresetConfig(
        name="clip-test", train_seconds=3.0, held_out_seconds=1.0, ring_every=50, seed=3
    )
    return load_preset(build_preset(config, tmp_path_factory.mktemp("synth") / "preset"))


@pytest.fixture(scope="module")
def clip_path(synth, tmp_path_factory):
    n = int(SECONDS * 25)
    path = tmp_path_factory.mktemp("clip") / "My Clip.mp4"
    audio = audio_from_array(synth["audio"][: n * 640], 16000, name="speech")
    write_video(path, synth["frames"][:n], fps=25.0, audio=audio)
    return path


@pytest.fixture(scope="module")
def clip_preset(clip_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("clip_preset")
    return load_preset(build_clip_preset(read_clip(clip_path), out, min_seconds=3.0))


def test_the_tracked_head_pose_follows_the_rendered_one(clip_preset, synth):
    est = clip_preset["pose6"]
    truth = synth["pose6"][: len(est)]
    assert np.ptp(truth[:, 0]) > 10  # the clip really turns
    assert np.abs(est[:, 0] - truth[:, 0]).mean() < 3.0  # yaw, degrees
    assert np.abs(est[:, 1] - truth[:, 1]).mean() < 5.0  # pitch
    assert np.corrcoef(est[:, 0], truth[:, 0])[0, 1] > 0.95


def test_the_clip_preset_is_a_preset(clip_preset):
    n = clip_preset.manifest["frames"]
    assert n == int(SECONDS * 25) and clip_preset.manifest["tracked"] is True
    assert clip_preset["frames"].shape == (n, 256, 256, 3)
    assert clip_preset["held_out"][-1] and not clip_preset["held_out"][0]
    assert 0.05 < clip_preset["held_out"].mean() < 0.15
    masks = clip_preset["masks"]
    assert 0.05 < (masks > 127).mean() < 0.5  # the face, not the whole frame
    # outside the face the fit's target is flat; the plate keeps the clip's own frame there
    outside = masks[0] == 0
    assert clip_preset["frames"][0][outside].std(0).max() < 1.0
    assert (folder_plates := clip_preset.folder / "plates.mp4").exists()
    assert folder_plates.stat().st_size > 0
    assert set(clip_preset["emotion"]) == {LABEL}


def test_clips_the_fit_cannot_use_get_clear_messages(clip_path, synth, tmp_path, capsys):
    short = read_clip(clip_path)
    with pytest.raises(StudioError, match="at least 10 s"):
        build_clip_preset(short, tmp_path / "a")
    mute = tmp_path / "mute.mp4"
    write_video(mute, synth["frames"][:100], fps=25.0)
    with pytest.raises(StudioError, match="no sound"):
        build_clip_preset(read_clip(mute), tmp_path / "b", min_seconds=3.0)
    blank = tmp_path / "blank.mp4"
    frames = np.full((100, 256, 256, 3), 120, np.uint8)
    write_video(blank, frames, fps=25.0, audio=audio_from_array(synth["audio"][:64000], 16000))
    with pytest.raises(StudioError, match="A face was found in 0%"):
        build_clip_preset(read_clip(blank), tmp_path / "c", min_seconds=3.0)
    assert nerf_cli(["fit", str(clip_path), "--out", str(tmp_path / "d")]) == 2
    assert "at least 10 s" in capsys.readouterr().err
    assert not (tmp_path / "b" / "arrays.npz").exists()  # nothing half-written


def test_a_user_fit_ships_renders_over_its_plate_stops_and_resumes(clip_path, tmp_path):
    video = read_clip(clip_path)
    folder = tmp_path / fit_name("My Clip.mp4")
    assert folder.name == "my-clip"
    with pytest.raises(FitStopped, match="resume"):
        fit_user_clip(video, folder, 8, should_stop=lambda: True, min_seconds=3.0, quick=True)
    assert not (folder / "nerf.json").exists()
    stopped_at = json.loads((folder / "run" / "log.jsonl").read_text().splitlines()[-1])["step"]
    messages: list[str] = []
    fit_user_clip(video, folder, 8, messages.append, min_seconds=3.0, val_every=4, quick=True)
    log = (folder / "run" / "log.jsonl").read_text().splitlines()
    steps = [json.loads(line)["step"] for line in log]
    assert stopped_at == 1 and steps == [1, 4, 8]  # resumed after step 1, not restarted
    assert any("step 8/8" in m for m in messages) and (folder / "run" / "preview.png").exists()

    fitted = load_fitted(directory=folder)
    assert fitted.is_user_clip and fitted.plates.shape == (fitted.n_frames, 256, 256, 3)
    renderer = NerfRenderer(fitted)
    view = View(pose6=fitted.pose6[5])
    over_plate = renderer.frame(5, view, Quality.FULL)
    bare = renderer.render(view, fitted.audio_codes[5], fitted.expression_codes[5])
    corner = (slice(0, 24), slice(0, 24))  # far from the face: the clip's own frame shows
    plate = fitted.plate(5).astype(float)
    assert (
        np.abs(over_plate[corner] - plate[corner]).mean()
        < np.abs(bare[corner] - plate[corner]).mean()
    )
    assert renderer_of(folder).fitted.n_frames == fitted.n_frames
    other = type(video)(video.frames, video.fps, video.audio, "another.mp4")
    with pytest.raises(StudioError, match="already holds another clip"):
        fit_user_clip(other, folder, 8, min_seconds=3.0, quick=True)

    # driving it with typed text (eSpeak's default voice: a user clip has no SynthTalk voice)
    driven = drive(fitted, speech_for(fitted, "Hello."), LABEL)
    frames = render_orbit(renderer, driven, quality=Quality.DRAFT)
    assert frames.shape[1:] == (128, 128, 3) and len(frames) == driven.n_frames


def test_ping_pong_walks_forth_and_back():
    assert [ping_pong(t, 4) for t in range(9)] == [0, 1, 2, 3, 2, 1, 0, 1, 2]
    assert ping_pong(5, 1) == 0
