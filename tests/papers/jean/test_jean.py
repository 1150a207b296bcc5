"""JEAN: feature maths, losses, and a few training steps on the tiny corpus."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.errors import StudioError
from studio.papers.jean.model import (
    FEATURE_DIM,
    LANDMARK_DIM,
    MOUTH_SLICE,
    Jean,
    JeanConfig,
    dtw_path,
    from_config,
    info_nce,
    normalise_batch,
)


def test_batched_normalisation_matches_the_geometry_module():
    from studio.face.geometry import euler_to_rotation, normalise_landmarks
    from studio.papers.jean.model import _reference

    ref = _reference()
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(4):
        rot = euler_to_rotation(*rng.uniform(-30, 30, 3))
        pts = 7.0 * ref @ rot.T + rng.uniform(-50, 50, 3)
        frames.append(np.concatenate([pts, pts[:10]]) * np.array([1, -1, -1]))
    lm = np.stack(frames)
    out = normalise_batch(lm)
    for t in range(4):
        np.testing.assert_allclose(out[t], normalise_landmarks(lm[t], ref), atol=1e-4)
    # the pose is gone: every frame lands on the reference
    np.testing.assert_allclose(out[:, :468], np.broadcast_to(ref, (4, 468, 3)), atol=1e-3)


def test_dtw_recovers_a_known_time_warp():
    t = np.linspace(0, 1, 40)
    a = np.stack([np.sin(6 * t), np.cos(3 * t)], 1)
    warp = np.clip((np.linspace(0, 1, 60) ** 1.5), 0, 1)
    b = np.stack([np.sin(6 * warp), np.cos(3 * warp)], 1)
    match = dtw_path(a, b)
    assert match[0] == 0 and match[-1] == 59
    assert np.all(np.diff(match) >= 0)
    # each a-frame is matched to the b-frame at the same warped time
    expected = np.array([np.argmin(np.abs(warp - x)) for x in t])
    assert np.abs(match - expected).max() <= 2


def test_info_nce_prefers_the_matching_audio():
    torch.manual_seed(0)
    anchor = torch.randn(32, 64)
    good, _ = info_nce(anchor, anchor + 0.01 * torch.randn(32, 64), torch.randn(32, 10, 64), 0.1)
    bad, acc = info_nce(anchor, torch.randn(32, 64), anchor[:, None].expand(-1, 10, -1), 0.1)
    assert good < 0.1 < bad and acc == 0


def test_mouth_swap_target_takes_the_other_frames_mouth():
    from studio.papers.jean.losses import lmae_loss

    model = Jean(JeanConfig())
    a, b = torch.randn(4, LANDMARK_DIM), torch.randn(4, LANDMARK_DIM)
    captured = {}
    orig = model.lmae.decode

    def decode(e_f, e_m):
        out = orig(e_f, e_m)
        captured.setdefault("calls", []).append(out)
        return out

    model.lmae.decode = decode
    swap = torch.tensor([True, False, True, False])
    loss = lmae_loss(model.lmae, {"a": a, "b": b, "swap": swap})["loss"]
    assert torch.isfinite(loss)
    # with mouth codes swapped, decoding (e_fA, e_mB) must be judged against B's mouth:
    # check the construction directly
    xa, xb = model.lmae.norm(a), model.lmae.norm(b)
    target = xa.clone()
    target[:, MOUTH_SLICE] = torch.where(swap[:, None], xb[:, MOUTH_SLICE], xa[:, MOUTH_SLICE])
    assert torch.equal(target[0, MOUTH_SLICE], xb[0, MOUTH_SLICE])
    assert torch.equal(target[1, MOUTH_SLICE], xa[1, MOUTH_SLICE])


def test_checkpoint_is_small_and_round_trips(tmp_path):
    from studio.nn.checkpoints import load_checkpoint, save_checkpoint

    model = Jean()
    card = {
        "name": "jean",
        "paper": "JEAN",
        "version": 1,
        "config": {**model.config.__dict__},
        "data": {},
        "training": {},
        "metrics": {},
        "deviations": [],
    }
    path = save_checkpoint("jean", model.state_dict(), card, tmp_path)
    assert path.stat().st_size < 10_000_000
    state, card = load_checkpoint("jean", tmp_path)
    again = from_config(card["config"])
    again.load_state_dict(state)
    x = np.random.default_rng(0).normal(size=(20, FEATURE_DIM)).astype(np.float32)
    np.testing.assert_allclose(
        model.eval().expression_codes(x)[1], again.eval().expression_codes(x)[1], atol=1e-6
    )


@pytest.mark.slow
def test_tiny_training_runs_all_stages_and_learns():
    from studio.nn.loop import read_log
    from tests.papers.jean.tiny import tiny_jean

    model, report, data, _, out = tiny_jean()
    assert set(report["audio_variants"]) == {"paper_1neg_tau0.1", "dhnerf_10neg_tau0.5"}
    assert report["audio_kept"] in report["audio_variants"]
    rows = read_log(out / "run" / "lmae" / "log.jsonl")
    assert rows[-1]["loss"] < 0.8 * rows[0]["loss"]  # the landmark AE learns
    n = data.clips[0]["n"]
    feats = data.features[:n]
    lip, expr = model.expression_codes(feats)
    assert lip.shape == expr.shape == (n, 64)
    bs = model.decode_blendshapes(lip[:3], expr[:3])
    assert bs.shape == (3, 52) and bs.min() >= 0 and bs.max() <= 1
    assert model.audio_codes(data.mel[:n].astype(np.float32)).shape == (n, 64)


def test_expression_options_read_codes_elsewhere_and_pull_lip_codes_together():
    """--expr-other-time: batches carry a second window of each clip and the loss reads the
    expression codes there (moving that window moves the loss); --lip-consistency adds a
    finite term."""
    from studio.papers.jean.batches import alignment_groups, expr_batches
    from studio.papers.jean.losses import expr_loss_fn
    from studio.papers.jean.model import WINDOW
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, _, _ = tiny_jean()
    feats = data.features
    groups = alignment_groups(data, (feats - feats.mean(0)) / (feats.std(0) + 1e-6))
    batch = expr_batches(data, groups, 6, other_time=True)(0, np.random.default_rng(0), 0, 1)
    assert batch["a2"].shape == batch["a"].shape == (6, WINDOW, feats.shape[1])
    plain = expr_batches(data, groups, 6)(0, np.random.default_rng(0), 0, 1)
    assert "a2" not in plain
    expr = model.expr.eval()
    batch["swap"] = torch.zeros(6, dtype=torch.bool)
    with torch.no_grad():
        base = expr_loss_fn(0.5)(expr, batch)
        assert torch.isfinite(base["loss"]) and base["lip_gap"] > 0
        moved = dict(batch, a2=batch["a2"] + 1.0)
        assert not torch.isclose(
            expr_loss_fn(0.0)(expr, moved)["loss"], expr_loss_fn(0.0)(expr, batch)["loss"]
        )
        doubled = {k: (v * 2 if k in ("a", "b", "a2", "b2") else v) for k, v in batch.items()}
        assert torch.isfinite(expr_loss_fn(0.5)(expr, doubled)["lip_gap"])


def test_contrastive_options_reward_the_right_match():
    """frame_contrast / clip_contrast: the loss is low when each anchor's positive is the
    nearest candidate and high when the negatives are; expr_loss_fn reports both terms."""
    from studio.papers.jean.batches import alignment_groups, expr_batches
    from studio.papers.jean.losses import clip_contrast, expr_loss_fn, frame_contrast
    from studio.papers.jean.model import WINDOW
    from tests.papers.jean.tiny import tiny_jean

    g = torch.Generator().manual_seed(0)
    z = torch.randn(4, 8, 16, generator=g)
    good, acc = frame_contrast(z, z + 0.01 * torch.randn(4, 8, 16, generator=g))
    bad, bad_acc = frame_contrast(z, z.roll(1, 1))
    assert acc == 1.0 and bad_acc == 0.0 and good < 0.1 < bad
    ea, eb = torch.randn(8, 16, generator=g), torch.randn(8, 16, generator=g)
    own, own_acc = clip_contrast(ea, eb, ea, eb)
    crossed, crossed_acc = clip_contrast(ea, eb, eb, ea)
    assert own_acc == 1.0 and crossed_acc == 0.0 and own < crossed

    model, _, data, _, _ = tiny_jean()
    feats = data.features
    groups = alignment_groups(data, (feats - feats.mean(0)) / (feats.std(0) + 1e-6))
    batch = expr_batches(data, groups, 6, other_time=True)(0, np.random.default_rng(0), 0, 1)
    assert batch["a"].shape[1] == WINDOW
    with torch.no_grad():
        row = expr_loss_fn(lip_contrast=0.5, expr_contrast=0.5, expr_consistency=0.5)(
            model.expr.eval(), batch
        )
    assert torch.isfinite(row["loss"]) and row["loss"] > row["rec"]
    assert {"lip_nce", "lip_nce_acc", "expr_nce", "expr_nce_acc", "expr_gap"} <= set(row)
    assert row["expr_gap"] > 0
    plain = expr_batches(data, groups, 6)(0, np.random.default_rng(0), 0, 1)
    with pytest.raises(StudioError, match="another time"):
        expr_loss_fn(expr_contrast=0.5)(model.expr, plain)


def test_viseme_oracle_bounds_frame_retrieval():
    import dataclasses

    from studio.papers.jean.metrics import viseme_oracle_top1
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    shared = viseme_oracle_top1(data, n_neg=9, n_query=300)
    assert 0.1 <= shared < 1.0  # tiny clips share visemes (silence above all)
    unique = dataclasses.replace(data, viseme=np.arange(len(data.viseme)))
    assert viseme_oracle_top1(unique, n_neg=9, n_query=300) == 1.0
    # knowing the emotion too can only remove ties (same queries, same negatives)
    with_emotion = viseme_oracle_top1(data, n_neg=9, n_query=300, also=("emotion",))
    assert shared < with_emotion <= 1.0  # the tiny corpus has neutral and happy clips


def test_negative_sampler_draws_from_the_protocol_it_names():
    """Bar protocol: the same identity's other clips; lip-sync protocol: the query's own clip,
    at least `same_clip_gap` frames away. Codes that match only their own frame retrieve
    perfectly under both; codes unrelated to the mouth retrieve near chance (1 in 10)."""
    from studio.papers.jean.metrics import NegativeSampler, retrieval_top1
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    ident = data.column("identity_id")
    rng = np.random.default_rng(0)
    other = NegativeSampler(data, 9)
    for i in other.queries(rng, 50):
        neg = other.negatives(rng, i)
        assert (ident[neg] == ident[i]).all() and (data.clip_of[neg] != data.clip_of[i]).all()
    own = NegativeSampler(data, 9, same_clip_gap=4)
    for i in own.queries(rng, 50):
        neg = own.negatives(rng, i)
        assert (data.clip_of[neg] == data.clip_of[i]).all()
        assert (np.abs(data.frame[neg] - data.frame[i]) >= 4).all()
    mouth = rng.standard_normal((len(ident), 16))
    for gap in (None, 4):
        exact = retrieval_top1(
            mouth + 0.01 * rng.standard_normal(mouth.shape),
            mouth,
            data,
            n_query=200,
            same_clip_gap=gap,
        )
        unrelated = retrieval_top1(
            rng.standard_normal(mouth.shape), mouth, data, n_query=200, same_clip_gap=gap
        )
        assert exact == 1.0 and unrelated < 0.25


def _card(command: str, build: dict, viseme_from_lip: float) -> dict:
    return {
        "name": "jean",
        "data": {"corpus_build": build},
        "training": {"command": command, "expression_transformer_options": {"other_time": False}},
        "details": {"viseme_from_lip": viseme_from_lip, "emotion_from_lip": 0.2, "extra": 1.0},
    }


def test_comparison_puts_both_runs_with_their_commands_and_builds():
    from studio.papers.jean.card import comparison

    this = _card("python -m studio.train jean --lip-consistency 0.5", {"seconds": 1}, 0.38)
    other = _card("python -m studio.train jean", {"seconds": 2}, 0.46)
    table = comparison(this, other)
    assert table["this run"]["viseme_from_lip"] == 0.38
    assert table["compared run"]["viseme_from_lip"] == 0.46
    assert table["compared run"]["command"] == "python -m studio.train jean"
    assert table["this run"]["corpus_build"] != table["compared run"]["corpus_build"]
    assert "extra" not in table["this run"]


def test_compare_with_a_file_that_is_not_a_jean_card_fails_before_training(tmp_path, capsys):
    from studio.train.__main__ import main

    bad = tmp_path / "card.json"
    bad.write_text('{"name": "emotion_classifier"}')
    missing_corpus = tmp_path / "no_corpus"
    assert main(["jean", "--corpus", str(missing_corpus), "--compare-with", str(bad)]) == 2
    assert "not a jean model card" in capsys.readouterr().err
    bad.write_bytes(b"\x00\xff not json")
    assert main(["jean", "--corpus", str(missing_corpus), "--compare-with", str(bad)]) == 2
    assert "cannot read a model card" in capsys.readouterr().err


def test_expr_contrast_without_other_time_fails_before_training(tmp_path, capsys):
    from studio.train.__main__ import main

    argv = ["jean", "--corpus", str(tmp_path / "no_corpus"), "--expr-contrast", "0.5"]
    assert main(argv) == 2
    assert "need --expr-other-time" in capsys.readouterr().err
    argv[-2:] = ["--expr-consistency", "0.5"]
    assert main(argv) == 2
    assert "need --expr-other-time" in capsys.readouterr().err


def test_stage_steps_name_single_stages_and_refuse_unknown_ones(capsys):
    import argparse

    from studio.papers.jean.cli import _stage_steps
    from studio.train.__main__ import main

    assert _stage_steps("audio=12000, expr=3000") == {"audio": 12000, "expr": 3000}
    for bad in ("decoder=5", "audio=", "audio=-3", "audio=0"):
        with pytest.raises(argparse.ArgumentTypeError):
            _stage_steps(bad)
    with pytest.raises(SystemExit) as stop:
        main(["jean", "--stage-steps", "audio=many"])
    assert stop.value.code == 2
    assert "STAGE=N" in capsys.readouterr().err


def test_cross_identity_pairs_group_one_sentence_over_its_speakers():
    """The paper pairs one identity's clips of a sentence; --cross-identity-pairs groups every
    identity that speaks the sentence, so a batch can pair two faces saying the same words."""
    import dataclasses

    from studio.papers.jean.batches import alignment_groups, expr_batches
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    same_sentence = dataclasses.replace(data, clips=[{**c, "sentence_id": 0} for c in data.clips])
    feats = data.features
    std = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
    per_identity = alignment_groups(same_sentence, std)
    across = alignment_groups(same_sentence, std, cross_identity=True)
    n_ids = len(set(data.column("identity_id")))
    assert len(per_identity) == n_ids and all(len(g["rows"]) == 2 for g in per_identity)
    assert len(across) == 1 and len(across[0]["rows"]) == len(data.clips)
    assert {c[0] for c in across[0]["cond"]} == set(int(i) for i in data.column("identity_id"))
    ref_len = across[0]["ref_len"]
    assert all(len(rows) == ref_len for rows in across[0]["rows"])  # one shared timeline
    assert across[0]["cond"][0][1] == "neutral"  # aligned to a neutral clip
    batch = expr_batches(same_sentence, across, 8)(0, np.random.default_rng(0), 0, 1)
    assert batch["a"].shape == batch["b"].shape


def test_bench_evaluation_reports_every_bar_quantity_and_the_oracles():
    from studio.papers.jean.bench import bars, evaluate, headline
    from studio.papers.jean.data import split
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, _, _ = tiny_jean()
    parts = split(data)
    m = evaluate(model, parts["test"], parts["train"], timings=False)
    flat = headline(m)
    for key in (
        "audio_lip_top1",
        "audio_lip_top1_viseme_oracle",
        "audio_lip_top1_viseme_emotion_oracle",
        "audio_lip_top1_same_clip",
        "audio_lip_top1_same_clip_viseme_oracle",
        "viseme_from_audio",
        "emotion_from_audio",
        "knn5_emotion",
        "viseme_from_lip",
        "emotion_from_lip",
    ):
        assert 0.0 <= flat[key] <= 1.0, key
    assert flat["audio_lip_top1_viseme_oracle"] <= flat["audio_lip_top1_viseme_emotion_oracle"]
    assert set(m["ablation"]) >= {"full JEAN", "no SSL audio encoder (ridge mel→mouth code)"}
    verdicts = bars({**m, "tsne_5000_seconds": 1.0, "slider_render_ms_median": 10.0})
    assert len(verdicts) == 9 and verdicts["tsne_5000 <= 15 s"]
    # the probe-regularisation sweep: C = 1 is the bars' probe, the others a sensitivity check
    sweep = m["probe_c_sensitivity"]
    assert list(sweep) == ["C=0.1", "C=1", "C=10", "C=100"]
    assert sweep["C=1"]["viseme_from_lip"] == pytest.approx(m["viseme_from_lip"])
    assert sweep["C=1"]["emotion_from_lip"] == pytest.approx(m["emotion_from_lip"])


def test_reuse_encoders_trains_only_the_transformer(tmp_path):
    """--reuse-encoders: the landmark AE and audio encoder are the trained model's, their
    stage records come from its card, and only the transformer learns."""
    from studio.papers.jean.train import train_jean
    from tests.papers.jean.tiny import tiny_jean

    trained, report, data, corpus, _ = tiny_jean()
    card = {
        "sha256": "abc",
        "training": {
            "command": "python -m studio.train jean",
            "steps": {"lmae": 30, "audio": 6, "expr": 8},
            "stages": report["stages"],
        },
        "audio_variants": {
            "compared": report["audio_variants"],
            "kept": report["audio_kept"],
            "selected_on": "test",
        },
    }
    model, again = train_jean(
        corpus, tmp_path, {"expr": 3}, data=data, progress=False, reuse=(trained, card)
    )
    for part in ("lmae", "audio"):
        ours, theirs = getattr(model, part).state_dict(), getattr(trained, part).state_dict()
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    assert not (tmp_path / "lmae").exists() and (tmp_path / "expr" / "log.jsonl").exists()
    assert again["stages"]["lmae"] == report["stages"]["lmae"]
    assert again["stages"]["expr"]["steps"] == 3
    assert again["encoders_from"]["steps"] == {"lmae": 30, "audio": 6}
    assert again["audio_kept"] == report["audio_kept"]
    ours, theirs = model.expr.state_dict(), trained.expr.state_dict()
    assert not all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_identity_adversary_trains_its_head_and_asks_the_codes_for_a_uniform_guess():
    """--identity-adversary: batches name each window's person; the head's loss moves only the
    head, the confusion loss moves only the codes, and it is lowest (log of the number of
    people) when the head cannot tell anyone apart."""
    import math

    from studio.papers.jean.batches import alignment_groups, expr_batches
    from studio.papers.jean.losses import adversary_loss
    from studio.papers.jean.model import mlp
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, _, _ = tiny_jean()
    feats = data.features
    groups = alignment_groups(data, (feats - feats.mean(0)) / (feats.std(0) + 1e-6))
    batch = expr_batches(data, groups, 8)(0, np.random.default_rng(0), 0, 1)
    people = len(np.unique(data.column("identity_id")))
    assert set(batch["ids_a"].tolist()) <= set(range(people))
    assert (batch["ids_a"] == batch["ids_b"]).all()  # pairs are one person's clips
    assert (batch["emotions_a"] != batch["emotions_b"]).any()  # ... in two conditions
    torch.manual_seed(0)
    codes = torch.randn(8, 5, 16, requires_grad=True)
    head = mlp([16, 32, people])
    head_loss, confusion, _ = adversary_loss(head, codes, batch["ids_a"])
    head_loss.backward(retain_graph=True)
    assert codes.grad is None  # the head learns from codes it cannot move
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())
    head.zero_grad()
    confusion.backward()
    assert codes.grad.abs().sum() > 0  # the codes answer it ...
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in head.parameters())  # ... alone
    blind = mlp([16, 32, people])
    for p in blind.parameters():
        torch.nn.init.zeros_(p)  # a head that cannot tell anyone apart
    _, uniform, _ = adversary_loss(blind, codes.detach(), batch["ids_a"])
    assert math.isclose(float(uniform), math.log(people), rel_tol=1e-5)
    assert float(confusion.detach()) > math.log(people)
