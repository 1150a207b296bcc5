"""Benchmark records, bars and the papers' tables."""

import json
import os
import subprocess
import sys
from pathlib import Path

from studio.bench.papers import extract_tables, load_paper_tables, name_ours, with_our_rows
from studio.bench.report import command, markdown, record
from studio.bench.synthtalk import BARS as SYNTHTALK_BARS
from studio.nn.spec import Bar

ROOT = Path(__file__).resolve().parents[2]


def test_bars_compare_in_the_right_direction():
    assert Bar("a", ">=", 0.9, "").met(0.95) and not Bar("a", ">=", 0.9, "").met(0.5)
    assert Bar("b", "<=", 3.0, "").met(2.0) and not Bar("b", "<=", 3.0, "").met(3.5)
    assert {b.metric for b in SYNTHTALK_BARS} >= {"jawOpen_pearson_r", "yaw_mae_deg"}


def test_extract_tables_keeps_result_tables_with_captions():
    text = """Intro.

**Table 1** (results):
| Method | PSNR | SSIM |
|---|---|---|
| Ours | 30.1 | 0.93 |

| Module | Optimiser |
|---|---|
| A | Adam |

Table 3 ablation (CSIM SSIM FID): Full 0.44 0.71 40.8.
"""
    tables = extract_tables(text)
    assert [t["caption"] for t in tables] == [
        "**Table 1** (results):",
        "Table 3 ablation (CSIM SSIM FID): Full 0.44 0.71 40.8.",
    ]
    assert "| Ours | 30.1 | 0.93 |" in tables[0]["markdown"]
    assert tables[1]["markdown"] == ""  # one row and no dataset: not a table to rebuild
    named = name_ours(tables[0]["markdown"], "JEAN")
    assert named.endswith("| JEAN (the paper's own) | 30.1 | 0.93 |")


def test_list_and_prose_tables_become_tables():
    text = """Table 1 (audio-driven). LMD↓ CSIM↑, LRW | Vox:
- Chung [8]: 3.15 0.44 | 5.4 0.29
- Ours K=1: 3.13 0.49 | 3.37 0.42
Table 3 ablation (Vox; CSIM SSIM): Base 0.19 0.67; Full 0.44 "0. 71"; w/o warp 0.34 0.67. Note.
"""
    first, third = extract_tables(text)
    header = "| Method | LRW LMD↓ | LRW CSIM↑ | Vox LMD↓ | Vox CSIM↑ |"
    assert first["markdown"].splitlines()[0] == header
    assert "| Chung [8] | 3.15 | 0.44 | 5.4 | 0.29 |" in first["markdown"]
    assert third["caption"] == "Table 3 ablation (Vox; CSIM SSIM)"
    assert third["markdown"].splitlines()[-1] == "| w/o warp | 0.34 | 0.67 |"
    assert "| Full | 0.44 | 0.71 |" in third["markdown"]  # the dump's broken "0. 71" joined


def test_our_rows_join_the_columns_of_our_metrics():
    table = "\n".join(
        [
            "| Method | MEAD PSNR↑ | MEAD Sync↑ | HDTF PSNR↑ |",
            "|---|---|---|---|",
            "| A | 29 | 3.8 | 28 |",
        ]
    )
    joined = with_our_rows(table, {"PSNR": "psnr"}, [("us", {"psnr": 31.25})])
    assert joined.splitlines()[-1] == "| **us** | **31.25** | — | — |"  # the first dataset only
    assert with_our_rows(table, {"FID": "fid"}, [("us", {"fid": 3.0})]) is None
    assert with_our_rows(table, {"PSNR": "psnr"}, [("us", {})]) is None  # nothing measured


def test_packed_cells_get_a_column_per_metric_named_in_the_caption():
    text = """- **Table 1** (SSIM↑ PSNR↑ Sync↑; MEAD | HDTF):

| Method | MEAD | HDTF |
|---|---|---|
| ATVG | 0.73 29.33 3.81 | 0.67 28.13 3.93 |
| GT | 1 - 5.41 | 1 - 5.23 |
"""
    (table,) = extract_tables(text)
    assert table["caption"].startswith("**Table 1**")  # no list marker
    rows = [line.split("|")[1:-1] for line in table["markdown"].splitlines()]
    metrics = ["SSIM↑", "PSNR↑", "Sync↑"]
    header = ["Method"] + [f"{d} {m}" for d in ("MEAD", "HDTF") for m in metrics]
    assert [c.strip() for c in rows[0]] == header
    assert [c.strip() for c in rows[3]] == ["GT", "1", "-", "5.41", "1", "-", "5.23"]
    ragged = text.replace("| GT | 1 - 5.41 |", "| GT | 1 5.41 |")  # not every cell packs 3
    assert "| MEAD |" in extract_tables(ragged)[0]["markdown"]


def test_shipped_paper_tables_cover_the_five_papers():
    tables = load_paper_tables()
    assert len(tables) == 5 and sum(len(v) for v in tables.values()) >= 5


def test_record_has_the_conventional_fields():
    rec = record("demo", {"x": 1.5, "n": 3}, started=0.0, seconds=2.0)
    assert {"suite", "metrics", "command", "commit", "machine", "started", "seconds"} <= set(rec)
    assert "| x | 1.5 |" in markdown(rec)


def test_bench_cli_writes_json(tmp_path):
    out = tmp_path / "foundation.json"
    result = subprocess.run(
        [sys.executable, "-m", "studio.bench", "foundation", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["suite"] == "foundation" and data["metrics"]["track_video_256_fps"] > 1
    assert "| track_image_256_ms |" in result.stdout


def test_bench_without_a_corpus_says_what_to_run(tmp_path):
    env = {**os.environ, "STUDIO_CORPUS": str(tmp_path / "none")}
    proc = subprocess.run(
        [sys.executable, "-m", "studio.bench", "synthtalk", "--quick"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "python -m studio.synth make" in proc.stderr and "Traceback" not in proc.stderr


def test_a_record_of_a_training_run_names_the_run_in_its_command(monkeypatch):
    monkeypatch.setattr("sys.argv", ["studio.bench", "nerf", "--json", "x.json"])
    monkeypatch.delenv("NERF_RUN", raising=False)
    assert command() == "python -m studio.bench nerf --json x.json"
    monkeypatch.setenv("NERF_RUN", "runs/nerf-a")
    assert command() == "NERF_RUN=runs/nerf-a python -m studio.bench nerf --json x.json"
