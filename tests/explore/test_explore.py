"""t-SNE, code banks and expression interpolation (studio.explore)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from studio.errors import StudioError
from studio.eval.tsne import embed
from studio.explore.scores import scores
from studio.papers.jean.interpolation import interpolate


def _blobs(n=150, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 8, (3, 64))
    y = np.repeat(np.arange(3), n // 3)
    return (centres[y] + rng.normal(0, 1, (len(y), 64))).astype(np.float32), y


def test_tsne_separates_blobs_and_caches_by_content(tmp_path):
    x, y = _blobs()
    t0 = time.time()
    xy = embed(x, perplexity=20, cache_dir=tmp_path)
    cold = time.time() - t0
    assert xy.shape == (len(x), 2)
    assert scores(xy, y)["knn_accuracy"] > 0.95
    t0 = time.time()
    again = embed(x, perplexity=20, cache_dir=tmp_path)
    assert np.array_equal(xy, again) and time.time() - t0 < cold
    assert len(list(tmp_path.glob("*.npy"))) == 1
    embed(x, perplexity=10, cache_dir=tmp_path)  # another perplexity is another entry
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_new_codes_are_placed_into_the_map_without_moving_it(tmp_path, monkeypatch):
    """openTSNE's transform: frames of a cluster held out of the fit land beside their
    cluster, and the bank's own points keep the coordinates of the bank-only map."""
    import studio.eval.tsne as tsne
    from studio.data.code_bank import CodeBank
    from studio.explore.maps import bank_map

    monkeypatch.setattr(tsne, "CACHE_DIR", tmp_path)
    x, y = _blobs(180)
    new = np.r_[x[y == 2][:5], x[y == 0][:5]] + 0.1
    n, m = len(x), len(new)
    labels = {
        "source": np.array(["SynthTalk"] * n + ["user"] * m),
        "frame": np.arange(n + m),
    }
    bank = CodeBank({"expression": np.r_[x, new].astype(np.float32)}, labels)
    drawn = bank_map(bank, "expression", perplexity=20)
    np.testing.assert_array_equal(drawn.xy[:n], embed(x, perplexity=20))  # the map stands
    assert drawn.placed == m
    for k, cluster in enumerate([2] * 5 + [0] * 5):
        d = np.linalg.norm(drawn.xy[:n] - drawn.xy[n + k], axis=1)
        assert (y[np.argsort(d)[:5]] == cluster).all()


def test_tsne_backends_both_separate_blobs():
    x, y = _blobs()
    for backend in ("sklearn", "opentsne"):
        xy = embed(x, perplexity=20, cache=False, backend=backend)
        assert scores(xy, y)["knn_accuracy"] > 0.95
    with pytest.raises(StudioError, match="backend"):
        embed(x, cache=False, backend="umap")


def test_tsne_refuses_too_few_points():
    with pytest.raises(StudioError):
        embed(np.zeros((3, 8)), cache=False)


def test_cluster_scores_tell_clusters_from_noise():
    x, y = _blobs()
    good = scores(x, y)
    bad = scores(x, np.random.default_rng(1).permutation(y))
    assert good["knn_accuracy"] > 0.95 and good["silhouette"] > 0.5
    assert bad["knn_accuracy"] < 0.6 and bad["silhouette"] < 0.1


def test_grouped_knn_does_not_let_a_clip_vote_for_itself():
    """Frames of one clip sit next to each other in code space; scored with folds that keep a
    clip's frames together, a label that only the clip shares (nothing in the codes but the
    clip) falls to chance instead of reading 1.0."""
    rng = np.random.default_rng(0)
    n_clips, per_clip = 40, 12
    clip = np.repeat(np.arange(n_clips), per_clip)
    centres = rng.normal(0, 5, (n_clips, 16))
    codes = (centres[clip] + rng.normal(0, 0.1, (len(clip), 16))).astype(np.float32)
    label = rng.integers(0, 4, n_clips)[clip]  # a random label per clip
    order = rng.permutation(len(clip))  # a bank's frames need not come clip by clip
    clip, codes, label = clip[order], codes[order], label[order]
    frames_pooled = scores(codes, label)
    by_clip = scores(codes, label, groups=clip)
    assert frames_pooled["knn_accuracy"] > 0.95
    assert by_clip["knn_accuracy"] < 0.5
    counts = np.bincount(label)
    assert by_clip["chance"] == pytest.approx(counts.max() / counts.sum())


def test_a_point_outside_the_bank_is_a_clear_error():
    from studio.data.code_bank import CodeBank

    bank = CodeBank(
        {"expression": np.zeros((3, 4), np.float32)},
        {"frame": np.arange(3), "clip_id": np.array(["a", "a", "b"])},
    )
    assert bank.point(2)["clip_id"] == "b"
    for bad in (3, 99999, -1):
        with pytest.raises(StudioError, match="the map has 3 points"):
            bank.point(bad)


def test_interpolation_hits_the_end_points_and_extrapolates():
    a, b = np.zeros(64, np.float32), np.ones(64, np.float32)
    assert np.allclose(interpolate(a, b, 0), a) and np.allclose(interpolate(a, b, 1), b)
    assert np.allclose(interpolate(a, b, 1.5), 1.5) and np.allclose(interpolate(a, b, -0.5), -0.5)


@pytest.mark.slow
def test_bank_interpolator_and_export_on_the_tiny_corpus(tmp_path, monkeypatch):
    import studio.papers.jean.codes as bank_mod
    from studio.explore.scores import point_frame
    from studio.papers.jean.codes import corpus_bank
    from studio.papers.jean.interpolation import (
        Interpolator,
        export_strip,
        expression_code_of_clip,
        expression_code_of_label,
        rest_lip_code,
    )
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, corpus, out = tiny_jean()
    import studio.papers.jean.data as tj

    monkeypatch.setattr(tj, "CACHE_DIR", out / "cache")
    monkeypatch.setattr(bank_mod, "CACHE_DIR", tmp_path)
    bank = corpus_bank(corpus, model=model, max_points=60)
    assert 0 < len(bank) <= 60 and bank.codes["expression"].shape == (len(bank), 64)
    assert set(bank.labels["emotion"]) <= {"neutral", "happy"}
    assert (bank.labels["source"] == "SynthTalk").all()
    again = corpus_bank(corpus, model=model, max_points=60)  # from the disk cache
    assert np.array_equal(again.codes["lip"], bank.codes["lip"])
    frame = point_frame(bank, 3)
    assert frame.ndim == 3 and frame.shape[2] == 3

    happy = expression_code_of_label(bank, "happy")
    neutral = expression_code_of_label(bank, "neutral")
    clip_code = expression_code_of_clip(model, corpus, bank.point(0)["clip_id"])
    assert clip_code.shape == (64,)
    it = Interpolator(model, neutral, happy, lip=rest_lip_code(bank), identity_id=2, size=96)
    img0, bs0 = it.frame(0.0)
    img1, bs1 = it.frame(1.0)
    assert img0.shape == (96, 96, 3) and bs0.shape == (52,)
    assert not np.array_equal(img0, img1) and np.abs(bs0 - bs1).max() > 1e-4
    strip = it.strip([-0.5, 0.5, 1.5])
    assert strip.shape == (3, 96, 96, 3)
    gif = export_strip(strip, tmp_path / "path.gif")
    mp4 = export_strip(strip, tmp_path / "path.mp4")
    assert gif.stat().st_size > 0 and mp4.stat().st_size > 0
    with pytest.raises(StudioError):
        export_strip(strip, tmp_path / "path.png")


def test_a_shipped_bank_stands_in_for_a_missing_corpus(tmp_path, monkeypatch):
    """Write a bank from the tiny corpus, then read it back as the shipped one: labels, codes
    (float16 round trip), GT blendshapes re-rendered as the point's frame, a clip's code."""
    import studio.papers.jean.codes as bank_mod
    from studio.data.code_bank import CodeBank
    from studio.explore.scores import point_frame
    from studio.papers.jean.codes import corpus_bank, shipped_bank
    from studio.papers.jean.interpolation import code_from_choice
    from tests.papers.jean.tiny import tiny_jean

    model, _, data, corpus, out = tiny_jean()
    import studio.papers.jean.data as tj

    monkeypatch.setattr(tj, "CACHE_DIR", out / "cache")
    monkeypatch.setattr(bank_mod, "CACHE_DIR", tmp_path)
    bank = corpus_bank(corpus, model=model, max_points=60)
    assert bank.blendshapes.shape == (len(bank), 52)
    shipped = tmp_path / "jean_bank.npz"
    np.savez_compressed(
        shipped,
        corpus=np.array(""),
        checkpoint_sha256=np.array("sha-of-the-tiny-model"),
        blendshapes=bank.blendshapes.astype(np.float16),
        **{f"code_{k}": v.astype(np.float16) for k, v in bank.codes.items()},
        **{f"label_{k}": v for k, v in bank.labels.items()},
    )
    monkeypatch.setattr(bank_mod, "load_card", lambda name: {"sha256": "sha-of-the-tiny-model"})
    read = shipped_bank(40, path=shipped)
    assert isinstance(read, CodeBank) and len(read) == 40 and read.corpus == ""
    row = np.linspace(0, len(bank) - 1, 40).round().astype(int)[7]
    assert read.point(7)["clip_id"] == bank.point(row)["clip_id"]
    assert np.allclose(read.codes["expression"][7], bank.codes["expression"][row], atol=2e-2)
    frame = point_frame(read, 7)  # no corpus behind it: the rig re-renders the GT expression
    assert frame.shape == (128, 128, 3) and frame.std() > 5

    monkeypatch.setattr(bank_mod, "SHIPPED_BANK", shipped)
    missing = tmp_path / "no-corpus"
    monkeypatch.setenv("STUDIO_CORPUS", str(missing))
    clip_id = read.point(0)["clip_id"]
    code = code_from_choice("SynthTalk clip", "", clip_id, corpus=missing)
    assert code.shape == (64,) and np.isfinite(code).all()
    with pytest.raises(StudioError, match="not in the shipped code bank"):
        code_from_choice("SynthTalk clip", "", "id999_s00_happy3", corpus=missing)
    monkeypatch.setattr(bank_mod, "load_card", lambda name: {"sha256": "another checkpoint"})
    assert shipped_bank(path=shipped) is None  # written for another checkpoint: not used


def test_the_shipped_bank_belongs_to_the_shipped_checkpoint():
    from studio.papers.jean.codes import SHIPPED_BANK, shipped_bank

    if not SHIPPED_BANK.exists():
        pytest.skip("no shipped bank: python -m studio.explore ship-bank")
    bank = shipped_bank()
    assert bank is not None, "assets/jean_bank.npz is stale: python -m studio.explore ship-bank"
    assert len(bank) == 5000 and set(bank.labels["emotion"]) >= {"neutral", "happy", "sad"}
    assert np.isfinite(bank.blendshapes).all()


def test_scores_cli_prints_every_code_against_every_label(tmp_path, capsys):
    """`python -m studio.explore scores`: every code × 3 labels, from the shipped bank when no
    corpus is there; the expression code tells the emotion far above chance."""
    from studio.explore.__main__ import main
    from studio.papers.jean.codes import CODE_NAMES, SHIPPED_BANK

    if not SHIPPED_BANK.exists():
        pytest.skip("no shipped bank: python -m studio.explore ship-bank")
    assert main(["scores", "--corpus", str(tmp_path / "no corpus"), "--points", "800"]) == 2
    assert main(["scores", "--points", "800"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()]
    rows = {(r[0].strip(), r[1].strip()): [float(x) for x in r[2:]] for r in rows[3:] if r}
    assert len(rows) == 3 * len(CODE_NAMES)
    knn, chance, _ = rows[("expression", "emotion")]
    assert knn > 3 * chance


def test_strip_image_writes_each_alpha_under_its_frame():
    from studio.papers.jean.interpolation import strip_image

    frames = np.full((3, 64, 64, 3), 128, np.uint8)
    plain = strip_image(frames)
    assert plain.shape == (64, 192, 3)
    labelled = strip_image(frames, [-0.5, 0.5, 1.5])
    assert labelled.shape[0] > 64 and labelled.shape[1] == 192
    band = labelled[64:]
    assert (band < 128).any() and (band == 255).mean() > 0.5  # dark text on white
    with pytest.raises(ValueError):
        strip_image(frames, [0.0, 1.0])


def test_a_corpus_that_lacks_emotions_does_not_replace_the_shipped_bank(monkeypatch):
    """The tiny corpus's held-out people speak in 2 of 8 emotions: as the default corpus it
    would leave six emotion labels without codes; the shipped bank is used and named."""
    from studio.papers.jean.codes import SHIPPED_BANK, bank_source, corpus_bank, corpus_lacks
    from tests.data.tiny import tiny_corpus

    if not SHIPPED_BANK.exists():
        pytest.skip("no shipped bank")
    tiny = tiny_corpus()
    assert "lacks held-out clips of angry" in corpus_lacks(tiny)
    monkeypatch.setenv("STUDIO_CORPUS", str(tiny))
    bank = corpus_bank(max_points=300)
    assert bank.corpus == "" and "shipped bank" in bank_source(bank)
    assert len(set(bank.labels["emotion"])) == 8
    from studio.papers.jean.interpolation import code_from_choice

    angry = code_from_choice("emotion label", "angry", "")  # the interpolation tab's picker
    assert angry.shape == (64,) and np.isfinite(angry).all()
    with pytest.raises(StudioError, match="tiny.*lacks held-out clips of angry"):
        corpus_bank(max_points=300, model=object())  # no shipped bank for another model


def test_the_shipped_maps_belong_to_the_shipped_bank():
    """`python -m studio.explore ship-maps` wrote the tab's default maps of the shipped bank:
    a fresh machine (no corpus, no cache) opens the t-SNE tab with a map, not a 5-s fit."""
    from studio.eval.tsne import BACKEND, SHIPPED_DIR, map_path
    from studio.explore.__main__ import TAB_PERPLEXITY, TAB_POINTS
    from studio.papers.jean.codes import CODE_NAMES, shipped_bank

    bank = shipped_bank(TAB_POINTS)
    if bank is None:
        pytest.skip("no shipped bank for this checkpoint")
    for code in CODE_NAMES:
        path = map_path(bank.codes[code], TAB_PERPLEXITY, 0, BACKEND, SHIPPED_DIR)
        assert path.exists(), f"stale t-SNE maps: python -m studio.explore ship-maps ({code})"
        assert np.load(path).shape == (TAB_POINTS, 2)
