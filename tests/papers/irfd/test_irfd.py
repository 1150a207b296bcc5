"""IRFD: the modulated conv is StyleGAN2's, the losses are the paper's (with the true-negative
triplet and the frozen re-encoding options), a tiny model trains and ships, and the swap tools
(grid, mix, blend, driven video, CLI) draw what they say."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studio.errors import StudioError
from studio.nn.checkpoints import load_checkpoint
from studio.papers.irfd import cli
from studio.papers.irfd.bench import swap_triples, verification_eers
from studio.papers.irfd.codes import (
    Codes,
    blend,
    encode,
    generate,
    load_run,
    model_from_state,
    reconstruct,
)
from studio.papers.irfd.imageset import PRESETS, build_imageset, load_imageset
from studio.papers.irfd.losses import LossOptions, irfd_losses
from studio.papers.irfd.model import Irfd, IrfdConfig, ModulatedConv
from studio.papers.irfd.sources import HELD_OUT_IDS, check_held_out, held_out_person
from studio.papers.irfd.swaps import Source, blend_image, drive_video, grid, mix
from studio.papers.irfd.train import IrfdOptions, train_irfd

TINY_MODEL = IrfdConfig(
    identity_dim=16, emotion_dim=8, pose_dim=4, encoder_widths=(8, 8, 8, 8, 8), style_dim=32,
    decoder_widths=(16, 16, 8, 8, 8, 8),
)  # fmt: skip


def test_modulated_conv_equals_the_per_sample_weight_form():
    torch.manual_seed(0)
    conv = ModulatedConv(6, 5, 8)
    x, style = torch.randn(3, 6, 7, 7), torch.randn(3, 8)
    s = conv.affine(style)
    w = conv.weight[None] * s[:, None, :, None, None]
    w = w * torch.rsqrt(w.pow(2).sum((2, 3, 4), keepdim=True) + 1e-8)
    ref = F.conv2d(x.reshape(1, -1, 7, 7), w.reshape(-1, 6, 3, 3), padding=1, groups=3)
    ref = F.leaky_relu(ref.view(3, 5, 7, 7) + conv.bias[None, :, None, None], 0.2)
    torch.testing.assert_close(conv(x, style), ref, atol=1e-5, rtol=1e-4)  # noise strength is 0


def _pairs(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    s, t = torch.rand(n, 3, 128, 128, generator=g), torch.rand(n, 3, 128, 128, generator=g)
    return s, t, torch.arange(n) % 8, (torch.arange(n) + 1) % 8


def test_losses_have_every_term_and_the_options_change_what_learns():
    torch.manual_seed(0)
    model = Irfd(TINY_MODEL)
    s, t, es, et = _pairs()
    out = irfd_losses(model, s, t, es, et)
    assert set(out) == {"loss", "identity", "cls", "pose", "emotion", "self"}
    assert torch.isclose(out["loss"], sum(out[k] for k in out if k != "loss"))
    literal = irfd_losses(model, s, t, es, et, LossOptions(literal_triplet=True))
    assert not torch.isclose(literal["identity"], out["identity"])
    dropped = irfd_losses(model, s, t, es, et, LossOptions(drop=("self",)))
    assert torch.isclose(dropped["loss"], out["loss"] - out["self"], atol=1e-5)

    def pose_encoder_grad(options: LossOptions) -> torch.Tensor:
        model.zero_grad()
        irfd_losses(model, s, t, es, et, options)["pose"].backward()
        return torch.cat([p.grad.flatten() for p in model.pose.parameters()])

    # frozen re-encoding: the pose encoder learns from the pose term only through the codes it
    # gave G_d, as if a parameter-free copy of it re-encoded the fakes (eval mode: BatchNorm
    # reads its running statistics, so the two computations see the same numbers)
    model.eval()
    frozen = pose_encoder_grad(LossOptions(frozen_reencoding=True))
    model.zero_grad()
    copy = Irfd(TINY_MODEL)
    copy.load_state_dict(model.state_dict())
    copy.requires_grad_(False)
    copy.eval()
    i, e, p = model.encode(torch.cat([s, t]))
    n = len(s)
    fakes = model.generate(torch.cat([i[:n], i[n:]]), torch.cat([e[n:], e[:n]]),
                           torch.cat([p[n:], p[:n]]))  # fmt: skip
    rp = copy.encode(fakes)[2]
    loss = F.mse_loss(rp[n:], p[:n].detach()) + F.mse_loss(rp[:n], p[n:].detach())
    loss.backward()
    expected = torch.cat([q.grad.flatten() for q in model.pose.parameters()])
    torch.testing.assert_close(frozen, expected, atol=1e-6, rtol=1e-4)
    assert not torch.allclose(pose_encoder_grad(LossOptions()), frozen)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("irfd")
    data = load_imageset(build_imageset(PRESETS["tiny"], root / "set", workers=1))
    run = root / "run"
    train_irfd(data, IrfdOptions(steps=30, pairs=4, lr=2e-3), run, TINY_MODEL)
    return root, data, run


def test_a_tiny_irfd_learns_to_reconstruct_and_ships(tiny_run, tmp_path):
    root, data, run = tiny_run
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["self"] < rows[0]["self"]
    assert "val/psnr" in rows[-1] and "val/emotion_acc" in rows[-1]
    path = cli.ship(run, root / "set", {"x": 1.0}, tmp_path, "test")
    assert path.stat().st_size < 10e6
    state, card = load_checkpoint("irfd", tmp_path)
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    assert card["training"]["steps"] == 30 and card["training"]["curve"]
    assert card["data"]["config"]["name"] == "irfd-tiny" and card["deviations"]
    shipped = model_from_state(state, card["config"])
    images = data["images"][:3]
    a, b = encode(shipped, images), encode(load_run(run), images)
    np.testing.assert_allclose(a.identity, b.identity, atol=0.05)  # float16 round trip


def test_codes_generate_reproducibly_and_blend_moves_one_code(tiny_run):
    _, data, run = tiny_run
    model = load_run(run)
    images = data["images"][:4]
    codes = encode(model, images)
    assert codes.identity.shape == (4, 16) and codes.concatenated().shape == (4, 28)
    one = generate(model, codes.identity, codes.emotion, codes.pose)
    np.testing.assert_array_equal(one, generate(model, codes.identity, codes.emotion, codes.pose))
    np.testing.assert_array_equal(one, reconstruct(model, images))
    a = Codes(codes.identity[:1], codes.emotion[:1], codes.pose[:1])
    b = Codes(codes.identity[1:2], codes.emotion[1:2], codes.pose[1:2])
    half = blend(a, b, {"pose": 1.0})
    np.testing.assert_array_equal(half.identity, a.identity)
    np.testing.assert_array_equal(half.pose, b.pose)
    sa, sb = Source(images[0], "a"), Source(images[1], "b")
    np.testing.assert_array_equal(blend_image(model, sa, sb, {}), one[0])
    swapped = mix(model, [sa, sb], {"identity": 0, "emotion": 1, "pose": 1})
    expected = generate(model, codes.identity[:1], codes.emotion[1:2], codes.pose[1:2])[0]
    np.testing.assert_array_equal(swapped, expected)
    with pytest.raises(StudioError, match="each of"):
        mix(model, [sa, sb], {"identity": 0})


def test_grid_is_labelled_with_its_sources_and_a_clip_drives_a_video(tiny_run):
    _, data, run = tiny_run
    model = load_run(run)
    sources = [Source(data["images"][i], f"s{i}") for i in (0, 5, 9)]
    image = grid(model, sources[:2], sources)
    assert image.shape == (3 * (160 + 22), 4 * 160, 3)
    frames = drive_video(model, sources[0], data["images"][:7])
    assert frames.shape == (7, 128, 128, 3)
    with pytest.raises(StudioError):
        grid(model, [], sources)


def test_held_out_people_are_the_sets_images_and_others_are_refused():
    person = held_out_person(HELD_OUT_IDS[0], 2)
    assert person.images.shape == (2, 128, 128, 3) and person.in_domain
    assert "yaw" in person.label(0)
    with pytest.raises(StudioError, match="held-out"):
        check_held_out(3)


def test_verification_eer_reads_identity_only_from_a_code_that_holds_it():
    rng = np.random.default_rng(0)
    ident = np.repeat(np.arange(20), 10)
    held = {"identity": ident}
    people = rng.normal(size=(20, 8))
    codes = Codes(people[ident] + 0.05 * rng.normal(size=(200, 8)),
                  rng.normal(size=(200, 8)), rng.normal(size=(200, 4)))  # fmt: skip
    eers = verification_eers(held, codes, pairs=4000)
    assert eers["identity_eer_from_identity"] < 0.05
    assert eers["identity_eer_from_emotion"] > 0.4 and eers["identity_eer_from_pose"] > 0.4


def test_swap_triples_are_three_people_with_b_at_full_intensity():
    rng = np.random.default_rng(0)
    held = {"identity": np.repeat(np.arange(5), 6), "intensity": rng.integers(1, 4, 30)}
    t = swap_triples(held, 40)
    people = held["identity"][t]
    assert all(len(set(row)) == 3 for row in people)
    assert (held["intensity"][t[:, 1]] == 3).all()


def test_the_swap_cli_writes_a_grid_and_refuses_bad_sources(tiny_run, tmp_path, monkeypatch):
    _, _, run = tiny_run
    monkeypatch.setattr(cli, "load_irfd", lambda: load_run(run))
    out = tmp_path / "grid.png"
    assert cli.main(["swap", f"person:{HELD_OUT_IDS[0]}", f"person:{HELD_OUT_IDS[1]}:1",
                     "--out", str(out)]) == 0  # fmt: skip
    assert cv2.imread(str(out)).shape == (3 * 182, 3 * 160, 3)
    assert cli.main(["swap", "person:3", "--out", str(out)]) == 2
    assert cli.main(["swap", "person:x", "--out", str(out)]) == 2
