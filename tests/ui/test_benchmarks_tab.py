"""The Benchmarks tab's table and bar figure from a record (no browser)."""

from __future__ import annotations

import json

import plotly.graph_objects as go


def _record(metrics: dict) -> dict:
    return {
        "suite": "jean",
        "metrics": metrics,
        "command": "python -m studio.bench jean",
        "commit": "abc1234",
        "machine": "2-core test machine",
        "started": "2026-11-23T19:00:00",
        "seconds": 1.0,
    }


def test_table_marks_bars_and_leaves_per_item_details_to_the_json(monkeypatch):
    from studio.ui import benchmarks_tab

    record = _record(
        {
            "knn5_emotion": 0.99,
            "silhouette_emotion": 0.2,
            "identities": 8,
            "details": {"32": {"per_identity": {"knn5_emotion": 0.5}}},
        }
    )
    monkeypatch.setattr(benchmarks_tab, "load_record", lambda suite: record)
    table = benchmarks_tab.suite_markdown("jean")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("|")}
    assert rows["knn5_emotion"].rstrip().endswith("| yes |")
    assert rows["silhouette_emotion"].rstrip().endswith("| **no** |")
    assert "identities" in rows and "details" not in rows
    assert "per_identity" not in table

    fig = benchmarks_tab.bars_figure("jean")
    assert isinstance(fig, go.Figure)
    bars = dict(zip(fig.data[0].y, fig.data[0].x, strict=True))
    assert abs(bars["knn5_emotion"] - 0.99 / 0.95) < 1e-9
    assert abs(bars["silhouette_emotion"] - 0.2 / 0.3) < 1e-9


def test_bar_figure_caps_ratios_so_one_bar_cannot_flatten_the_rest(monkeypatch):
    """A ≤ bar met at or below zero (a leakage probe under chance) has an infinite ratio; a
    bar met by a mile a huge one: both are drawn at the cap and labelled with their values."""
    from studio.ui import benchmarks_tab

    record = _record(
        {
            "audio_lip_top1": 0.287,
            "viseme_from_expression_above_chance": -0.025,
            "tsne_5000_seconds": 0.001,
        }
    )
    monkeypatch.setattr(benchmarks_tab, "load_record", lambda suite: record)
    fig = benchmarks_tab.bars_figure("jean")
    bars = dict(zip(fig.data[0].y, fig.data[0].x, strict=True))
    labels = dict(zip(fig.data[0].y, fig.data[0].text, strict=True))
    cap = benchmarks_tab.RATIO_CAP
    assert bars["viseme_from_expression_above_chance"] == cap
    assert bars["tsne_5000_seconds"] == cap
    assert abs(bars["audio_lip_top1"] - 0.287 / 0.80) < 1e-9
    assert "-0.025" in labels["viseme_from_expression_above_chance"]
    assert "0.287 (bar >= 0.8)" in labels["audio_lip_top1"]
    assert max(fig.layout.xaxis.range) < 2 * cap


def test_missing_record_says_which_command_writes_it(monkeypatch):
    from studio.ui import benchmarks_tab

    monkeypatch.setattr(benchmarks_tab, "load_record", lambda suite: None)
    for suite in ("jean-per-identity", "jean_per_identity"):  # CLI name or record file stem
        text = benchmarks_tab.suite_markdown(suite)
        assert "python -m studio.bench jean-per-identity --json" in text
        assert "docs/benchmarks/jean_per_identity.json" in text
    assert benchmarks_tab.bars_figure("jean-per-identity") is None


def test_paper_tables_only_where_they_share_a_metric_with_our_numbers_in_them():
    from studio.bench.records import load_record
    from studio.ui.benchmarks_tab import papers_markdown

    for suite in ("jean", "jean_per_identity", "jean_audio"):  # codes, not rendered video
        assert "No paper table shares a metric" in papers_markdown(suite)
    nerf = papers_markdown("nerf")
    assert "**AE-NeRF**" in nerf and "**Disentangling Head NeRF**" in nerf
    assert "SPEAK / IRFD" not in nerf and "JEAN" not in nerf
    assert "| Disentangling Head NeRF (the paper's own) |" in nerf and "| Ours |" not in nerf
    ours = [line for line in nerf.splitlines() if line.startswith("| **this studio")]
    psnr = f"**{load_record('nerf')['metrics']['held_out_psnr_256']:.4g}**"
    assert ours and all(line.split("|")[2].strip() == psnr for line in ours)  # PSNR column
    ablations = papers_markdown("nerf_ablations").splitlines()
    labels = {ln.split("|")[1].strip() for ln in ablations if ln.startswith("| **this studio")}
    assert {"**this studio: full**", "**this studio: no upsampler**"} <= labels
    rhythmic = papers_markdown("headmotion")
    assert "| Chung [8] | 3.15 | 0.44 |" in rhythmic  # a listed table read as a table
    assert "| w/o Hybrid-Attention | 0.37 | 0.73 | 57.8 |" in rhythmic  # a prose one too


def test_long_values_are_left_to_the_json_so_metric_names_stay_readable():
    from studio.ui.benchmarks_tab import suite_markdown

    text = suite_markdown("nerf")  # its record holds the fit's PSNR curve, a long list
    curve = next(line for line in text.splitlines() if line.startswith("| fit_curve |"))
    assert "entries, in the JSON record" in curve and len(curve) < 80


def test_a_bar_the_suite_could_not_measure_reads_not_measurable_not_a_verdict(monkeypatch):
    """NaN (e.g. IRFD's swaps when the tracker finds a face in too few of them) is neither
    met nor a number on the chart."""
    from studio.ui import benchmarks_tab

    record = _record({"knn5_emotion": 0.99, "silhouette_emotion": float("nan")})
    monkeypatch.setattr(benchmarks_tab, "load_record", lambda suite: record)
    table = benchmarks_tab.suite_markdown("jean")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("|")}
    assert "| not measurable |" in rows["silhouette_emotion"]
    assert rows["silhouette_emotion"].rstrip().endswith("| **no** |")
    fig = benchmarks_tab.bars_figure("jean")
    assert list(fig.data[0].y) == ["knn5_emotion"]


def test_the_suite_list_leaves_out_experiment_results_in_other_shapes(tmp_path):
    """docs/benchmarks/ also holds docs/experiments/ outputs (a list, or a dict with no
    `metrics`), and a file may be damaged: listed, the tab would fail on them."""
    from studio.bench.records import available_suites
    from studio.ui import benchmarks_tab

    (tmp_path / "irfd.json").write_text(json.dumps(_record({"psnr": 20.0})))
    (tmp_path / "steps.json").write_text(json.dumps([{"step": 0}]))
    (tmp_path / "cross.json").write_text(json.dumps({"cross.lse_c": 0.3}))
    (tmp_path / "cut.json").write_text('{"metrics": {')  # written half when a run was stopped
    assert available_suites(tmp_path) == ["irfd"]
    for suite in available_suites():
        assert benchmarks_tab.suite_markdown(suite).startswith(f"**{suite}**")
