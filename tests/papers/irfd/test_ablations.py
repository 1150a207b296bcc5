"""Table 3's ablations: `--drop TERM` leaves a loss term out of training (and says so on the
card and in the command that redoes the run), and `studio.bench irfd-ablations` scores each run
it finds under one name per variant."""

from __future__ import annotations

import argparse
import json

import pytest

from studio.errors import StudioError
from studio.papers.irfd import bench, cli
from studio.papers.irfd.losses import TERMS, LossOptions
from studio.papers.irfd.train import IrfdOptions, train_irfd
from tests.papers.irfd.test_split_encoders import TINY


def test_an_unknown_term_is_refused():
    with pytest.raises(ValueError, match="Unknown IRFD loss terms"):
        LossOptions(drop=("selfie",))


def test_the_command_line_drops_terms_and_the_run_says_so(data, tmp_path):
    parser = argparse.ArgumentParser()
    cli.add_options(parser)
    args = parser.parse_args(["--drop", "cls", "--drop", "self", "--swap-ramp", "0"])
    assert args.drop == ["cls", "self"] and args.swap_ramp == 0
    with pytest.raises(SystemExit):  # argparse refuses a name that is not a term
        parser.parse_args(["--drop", "vgg"])

    options = IrfdOptions(steps=2, pairs=4, swap_weight=1.0, swap_ramp=0, drop=("cls", "self"))
    train_irfd(data, options, tmp_path / "run", TINY)
    rows = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    last = rows[-1]
    # the loss is the sum of the terms kept (every weight 1: no ramp, swap weight 1)
    kept = sum(last[k] for k in TERMS if k not in ("cls", "self"))
    assert last["loss"] == pytest.approx(kept, rel=1e-4)
    assert last["loss"] < kept + last["cls"] + last["self"]

    saved = json.loads((tmp_path / "run" / "irfd_options.json").read_text())
    flags = cli._option_flags(saved)
    assert flags[flags.index("--swap-ramp") + 1] == "0"
    assert [flags[i + 1] for i, f in enumerate(flags) if f == "--drop"] == ["cls", "self"]
    card = cli.deviations(saved)
    assert any(d["what"] == "loss terms left out: cls, self" for d in card)
    # a run grown from an ablated one is still an ablation
    assert any("left out" in d["what"] for d in cli.deviations({}, [saved]))
    assert not any("left out" in d["what"] for d in cli.deviations({}))
    assert "--swap-ramp" not in cli._option_flags({**saved, "swap_ramp": 200})


def test_the_ablation_suite_scores_each_run_under_its_variant(tmp_path, monkeypatch):
    for name in ("no_cls", "full", "stray"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "irfd_config.json").write_text("{}")
    loaded = []
    monkeypatch.setattr(bench, "load_run", lambda run: loaded.append(run.name) or run.name)
    with_trees = []
    monkeypatch.setattr(
        bench, "score",
        lambda model, data, quick, trees=True: with_trees.append(trees)
        or {"psnr": len(model), "matrix": [[1]], "people": 3},
    )  # fmt: skip
    m = bench.ablation_scores({}, tmp_path)
    assert loaded == ["full", "no_cls"]  # the variants' order; a folder not a variant is left
    assert with_trees == [False, False]  # the runs have no bars: no 7-minute tree DCI each
    assert m == {
        "ablation.full.psnr": 4, "ablation.full.people": 3,
        "ablation.no_cls.psnr": 6, "ablation.no_cls.people": 3,
    }  # fmt: skip
    monkeypatch.setattr(bench, "ABLATIONS", tmp_path / "none")
    monkeypatch.setattr(bench, "_image_set", lambda: {})
    with pytest.raises(StudioError, match="--drop"):
        bench.run_ablations()


def test_every_variant_has_a_row_and_a_command():
    names = [name for name, _, _ in bench.ABLATION_VARIANTS]
    assert len(set(names)) == len(names) and "full" in names
    assert {f"no_{t}" for t in TERMS} <= set(names)
    assert [prefix for _, prefix in bench.ABLATION_ROWS] == [f"ablation.{n}." for n in names]
