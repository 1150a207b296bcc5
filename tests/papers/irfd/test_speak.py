"""SPEAK stage 2: its clip set, the differentiable mouth crop, the code smoothing, the start from
G_d, and a few training steps of both phases on a tiny set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.evaluators.sync_expert.model import SyncExpert
from studio.face.crop import mouth_box, mouth_crop
from studio.papers.irfd.codes import encode, generate
from studio.papers.irfd.codes import smooth_codes as smooth
from studio.papers.irfd.model import Irfd, IrfdConfig
from studio.papers.irfd.speak.clipset import PRESETS, build_clipset, load_clipset
from studio.papers.irfd.speak.data import EMOTION_SIGMA, clip_codes
from studio.papers.irfd.speak.losses import mouth_crops
from studio.papers.irfd.speak.model import Speak
from studio.papers.irfd.speak.train import SpeakOptions, train_speak
from studio.speech.features import SAMPLE_RATE
from studio.synth.sentences import HELD_OUT_SENTENCES

SMALL = IrfdConfig(encoder_widths=(8, 8, 8, 8, 8), decoder_widths=(16, 16, 8, 8, 8, 8))


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speak") / "clips"
    build_clipset(PRESETS["tiny"], folder, workers=1)
    return folder


def test_clip_set_keeps_frames_audio_and_landmarks_together(tiny_set):
    clips = load_clipset(tiny_set)
    assert len(clips) == 4 and [c.held_out for c in clips] == [False, False, False, True]
    for clip in clips:
        n = len(clip)
        assert 0 < n <= PRESETS["tiny"].max_frames
        assert clip.frames.shape == (n, 128, 128, 3) and clip.frames.dtype == np.uint8
        assert len(clip.audio) == n * SAMPLE_RATE // 25
        # the face sits inside the fixed crop
        assert (clip.landmarks > 0).all() and (clip.landmarks < 128).all()
    assert clips[-1].text in HELD_OUT_SENTENCES
    assert len(load_clipset(tiny_set, held_out=True)) == 1


def test_differentiable_mouth_crop_matches_the_sync_experts_input(tiny_set):
    clip = load_clipset(tiny_set)[0]
    truth = mouth_crop(clip.frames[5], clip.landmarks[5]).astype(np.float32)
    frames = torch.as_tensor(clip.frames[5:6]).permute(0, 3, 1, 2).float() / 255
    box = torch.as_tensor(mouth_box(clip.landmarks[5])[None]).float()
    ours = mouth_crops(frames.requires_grad_(), box)
    assert ours.shape == (1, 32, 48)
    assert np.abs(ours[0].detach().numpy() - truth).mean() < 4.0  # gray levels of 255
    ours.sum().backward()
    assert frames.grad.abs().sum() > 0


def test_smoothing_keeps_the_held_emotion_and_drops_lip_rate_motion():
    t = np.arange(100, dtype=np.float64)
    held = np.full((100, 2), 3.0)
    fast = held + np.sin(2 * np.pi * t / 4)[:, None]  # a 4-frame (160 ms) oscillation
    out = smooth(fast, EMOTION_SIGMA)
    assert np.allclose(smooth(held, EMOTION_SIGMA), 3.0)
    inside = slice(20, 80)  # away from the reflected edges
    assert np.abs(out[inside] - 3.0).max() < 0.01
    assert np.abs(out - 3.0).max() < 0.1


def test_speak_starts_as_irfds_reconstruction(tiny_set):
    torch.manual_seed(0)
    irfd = Irfd(SMALL).eval()
    clip = load_clipset(tiny_set)[0]
    codes = clip_codes(irfd, clip)
    speak = Speak(SMALL)
    speak.start_from(irfd)
    speak.eval()
    n = 4
    with torch.no_grad():
        ours = speak.talker(
            torch.as_tensor(codes.mel[:n]),
            torch.as_tensor(np.repeat(codes.identity[None], n, 0)),
            torch.as_tensor(codes.emotion[:n]),
            torch.as_tensor(codes.pose[:n]),
        )
    identity = np.repeat(codes.identity[None], n, 0)
    theirs = generate(irfd, identity, codes.emotion[:n], codes.pose[:n])
    assert np.abs((ours.permute(0, 2, 3, 1).numpy() * 255) - theirs).max() < 1.0
    # the identity code is the first frame's
    assert np.allclose(codes.identity, encode(irfd, clip.frames[:1]).identity[0], atol=1e-5)


def test_a_few_steps_train_both_phases_and_log_every_term(tiny_set, tmp_path):
    torch.manual_seed(0)
    irfd = Irfd(SMALL)
    sync = SyncExpert()
    clips = load_clipset(tiny_set, held_out=False)
    held = load_clipset(tiny_set, held_out=True)
    start = Speak(SMALL)
    start.start_from(irfd)
    model = train_speak(
        irfd, sync, clips, SpeakOptions(steps=3, windows=2), tmp_path / "run", validation=held
    )
    rows = [line for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    last = __import__("json").loads(rows[-1])
    for key in ("D/loss", "G/gan", "G/sync", "G/perceptual", "G/l1", "val/psnr"):
        assert np.isfinite(last[key]), key
    moved = lambda a, b: any(  # noqa: E731
        not torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True)
    )
    assert moved(model.talker.editing, start.talker.editing)
    assert moved(model.disc, start.disc)
    # the judges stayed frozen
    assert not any(p.requires_grad for p in irfd.parameters())


# ----------------------------------------------------------------------------- ship, drive, talk
@pytest.fixture(scope="module")
def shipped(tiny_set, tmp_path_factory):
    """A tiny IRFD and a 2-step SPEAK, both shipped into one checkpoints folder."""
    from studio.nn.checkpoints import save_checkpoint
    from studio.papers.irfd.speak import cli

    folder = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    irfd = Irfd(SMALL)
    card = {"name": "irfd", "paper": "test", "version": 1, "config": SMALL.to_dict(), "data": {},
            "training": {}, "metrics": {}, "deviations": []}  # fmt: skip
    save_checkpoint("irfd", {k: v.half() for k, v in irfd.state_dict().items()}, card, folder)
    run = folder.parent / "speak-run"
    train_speak(irfd, SyncExpert(), load_clipset(tiny_set, held_out=False),
                SpeakOptions(steps=2, windows=2), run)  # fmt: skip
    cli.ship(run, tiny_set, {"lse_c": 1.0}, folder, "test")
    return folder, run


def test_the_shipped_talker_is_the_runs_and_names_its_irfd(shipped, tiny_set):
    from studio.errors import StudioError
    from studio.nn.checkpoints import load_checkpoint
    from studio.papers.irfd.codes import load_irfd
    from studio.papers.irfd.speak.drive import drive, load_speak, load_speak_run

    folder, run = shipped
    state, card = load_checkpoint("speak", folder)
    assert all(v.dtype == torch.float16 for v in state.values())
    assert not any(k.startswith("disc.") for k in state)  # D is not shipped
    assert card["training"]["trained_by"].startswith("python -m studio.train speak")
    assert card["deviations"] and card["irfd_sha256"]
    model = load_speak(str(folder))
    clip = load_clipset(tiny_set, held_out=True)[0]
    ours = drive(model, clip.frames[0], clip.audio, clip.frames)
    theirs = drive(load_speak_run(run, load_irfd(str(folder))), clip.frames[0], clip.audio,
                   clip.frames)  # fmt: skip
    assert ours.shape == (len(clip), 128, 128, 3)
    assert np.abs(ours.astype(int) - theirs).mean() < 2.0  # float16 on disk
    with pytest.raises(StudioError, match="128"):
        drive(model, clip.frames[0, :64], clip.audio, clip.frames)
    # an IRFD file with the same encoders (a new G_d: `--generator-only`) still serves SPEAK
    card_path = folder / "speak.json"
    saved = card_path.read_text()
    card_path.write_text(saved.replace(card["irfd_sha256"], "0" * 64))
    try:
        load_speak.cache_clear()
        assert load_speak(str(folder)).talker is not None
        # another IRFD's encoders under it: SPEAK refuses rather than draw nonsense
        card_path.write_text(saved.replace(card["irfd_sha256"], "0" * 64)
                             .replace(card["irfd_encoders_sha256"], "1" * 64))  # fmt: skip
        load_speak.cache_clear()
        with pytest.raises(StudioError, match="another IRFD"):
            load_speak(str(folder))
    finally:
        card_path.write_text(saved)
        load_speak.cache_clear()


def test_sources_are_looped_back_and_forth_to_the_audio():
    from studio.papers.irfd.speak.drive import fit_length

    x = np.arange(4)
    assert fit_length(x, 3).tolist() == [0, 1, 2]
    assert fit_length(x, 9).tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2]
    assert fit_length(x[:1], 3).tolist() == [0, 0, 0]


def test_talk_with_speak_writes_an_mp4_with_sound(shipped, tmp_path):
    from studio.errors import StudioError
    from studio.irfd.talk import talk_speak
    from studio.media.video import probe_video
    from studio.papers.irfd.speak.drive import load_speak
    from studio.papers.rhythmic.talk import TalkRequest

    model = load_speak(str(shipped[0]))
    seen = []
    result = talk_speak(
        TalkRequest(identity=1001, text="Hello there.", motion="still", emotion="happy",
                    intensity=3),
        model, lambda f, what: seen.append(f),
    )  # fmt: skip
    n = len(result.frames)
    assert result.frames.shape[1:] == (128, 128, 3) and result.identity == 1001
    assert abs(n / 25 - len(result.audio.samples) / 16000) < 0.05
    assert seen[-1] == 1.0 and seen == sorted(seen)
    info = probe_video(result.write(tmp_path / "speak.mp4"))
    assert info["has_audio"] and info["n_frames"] == n
    with pytest.raises(StudioError, match="1000"):
        talk_speak(TalkRequest(identity=3, text="Hi."), model)


def test_the_bench_scores_the_truth_as_perfect_and_a_drawn_clip_below_it(shipped, tiny_set):
    from studio.face.tracker import track_frames
    from studio.papers.irfd.speak import bench
    from studio.papers.irfd.speak.drive import load_speak

    model = load_speak(str(shipped[0]))
    clip = load_clipset(tiny_set, held_out=True)[0]
    truth = track_frames(list(bench._upscale(clip.frames)), 25.0)
    sync = SyncExpert().eval()
    perfect = bench.score(clip.frames, clip, truth, sync)
    assert perfect["ssim"] == pytest.approx(1.0) and perfect["psnr"] == np.inf
    assert perfect["m_lmd"] == 0 and perfect["f_lmd"] == 0 and perfect["face_found"] == 1
    assert perfect["mouth_open_r"] == pytest.approx(1.0)
    rows = bench._rows(model, clip)
    assert set(rows) == {"speak", "gd_smoothed", "gd_own_codes"}
    drawn = bench.score(rows["speak"], clip, truth, sync)
    assert np.isfinite(drawn["psnr"]) and drawn["psnr"] < 40 and drawn["ssim"] < 1
    speed = bench.speed(model, clip, repeats=1)
    assert speed["talker_fps"] > 0 and speed["speed_frames"] == len(clip)


# ------------------------------------------------------------ Table 4's variants of the talker
def test_without_irfd_the_talker_sees_only_the_identity_frame(shipped, tiny_set, tmp_path):
    from studio.papers.irfd.codes import load_irfd
    from studio.papers.irfd.speak.drive import drive, load_speak_run
    from studio.papers.irfd.speak.model import SpeakConfig

    irfd = load_irfd(str(shipped[0]))
    clip = load_clipset(tiny_set, held_out=True)[0]
    codes = clip_codes(irfd, clip, "identity_frame")
    first = encode(irfd, clip.frames[:1])
    assert codes.emotion.shape == (len(clip), SMALL.emotion_dim)
    assert np.allclose(codes.emotion, first.emotion[0], atol=1e-5)
    assert np.allclose(codes.pose, first.pose[0], atol=1e-5)
    run = tmp_path / "no-irfd"
    train_speak(irfd, SyncExpert(), load_clipset(tiny_set, held_out=False),
                SpeakOptions(steps=2, windows=2), run,
                config=SpeakConfig(reference="identity_frame"))  # fmt: skip
    without = load_speak_run(run, irfd)
    assert without.talker.config.reference == "identity_frame"
    other = clip.frames[::-1].copy()  # another pose and emotion source of the same length
    a = drive(without, clip.frames[0], clip.audio, clip.frames)
    assert np.array_equal(a, drive(without, clip.frames[0], clip.audio, other))
    # SPEAK proper follows its sources
    speak = load_speak_run(shipped[1], irfd)
    assert not np.array_equal(drive(speak, clip.frames[0], clip.audio, clip.frames),
                              drive(speak, clip.frames[0], clip.audio, other))  # fmt: skip


def test_the_jean_audio_encoder_starts_from_jean_with_its_conv_stack_frozen(tiny_set, tmp_path):
    from studio.papers.irfd.speak.drive import load_speak_run
    from studio.papers.irfd.speak.model import SpeakConfig
    from studio.papers.jean.model import Jean

    torch.manual_seed(0)
    jean = Jean()
    irfd = Irfd(SMALL)
    model = train_speak(irfd, SyncExpert(), load_clipset(tiny_set, held_out=False),
                        SpeakOptions(steps=2, windows=2), tmp_path / "run",
                        config=SpeakConfig(audio_encoder="jean"), jean=jean)  # fmt: skip
    ours, theirs = model.talker.audio.state_dict(), jean.audio.state_dict()
    assert ours.keys() == theirs.keys()
    for key in ours:  # the normalisation and the conv stack are JEAN's; the head was tuned
        same = torch.equal(ours[key], theirs[key])
        assert same == (not key.startswith("fc.")), key
    reloaded = load_speak_run(tmp_path / "run", irfd)
    assert reloaded.talker.config.audio_encoder == "jean"
    mel = torch.randn(3, 16, 80)
    assert torch.allclose(reloaded.talker.audio(mel), model.talker.audio.eval()(mel), atol=1e-5)


def test_the_variants_flags_rebuild_their_config_and_name_their_deviation():
    import argparse

    from studio.papers.irfd.speak import cli
    from studio.papers.irfd.speak.card import deviations

    parser = argparse.ArgumentParser()
    cli.add_options(parser)
    plain = cli.config_from(parser.parse_args([]))
    assert cli.config_flags(plain.to_dict()) == []
    argv = ["--no-irfd", "--audio-encoder", "jean"]
    config = cli.config_from(parser.parse_args(argv)).to_dict()
    assert cli.config_flags(config) == argv
    assert cli.config_from(parser.parse_args(cli.config_flags(config))).to_dict() == config
    assert len(deviations(config)) == len(deviations(plain.to_dict())) + 1
    assert "JEAN" in deviations(config)[0]["what"] and "w/o IRFD" in deviations(config)[-1]["what"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--audio-encoder", "wav2vec"])


def test_the_ablation_suite_scores_each_talker_on_the_same_clips(shipped, tiny_set, monkeypatch,
                                                                 tmp_path):  # fmt: skip
    from studio.errors import StudioError
    from studio.papers.irfd.speak import bench
    from studio.papers.irfd.speak.drive import load_speak

    model = load_speak(str(shipped[0]))
    clips = load_clipset(tiny_set, held_out=True)[:1]
    m = bench.ablation_scores({"full": model, "same": model}, clips, SyncExpert().eval())
    assert m["held_out_clips"] == 1
    for key in ("psnr", "ssim", "m_lmd", "f_lmd", "lse_c", "lse_c_ratio"):
        assert m[f"ablation.full.{key}"] == pytest.approx(m[f"ablation.same.{key}"], nan_ok=True)
    assert m["ablation.full.psnr"] < 40
    monkeypatch.setattr(bench, "ABLATIONS", tmp_path / "none")
    monkeypatch.setattr(bench, "load_speak", lambda: model)
    monkeypatch.setattr(bench, "load_irfd", lambda: model.irfd)
    with pytest.raises(StudioError, match="--no-irfd"):
        bench.run_ablations()
