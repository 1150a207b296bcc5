"""The one registry: every model and suite is reachable from the CLIs and the app, and a new
paper is one spec — shown here with a toy paper that is registered nowhere but this test."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from studio import registry
from studio.bench.__main__ import main as bench_main
from studio.bench.suites import CORE, all_suites
from studio.errors import StudioError
from studio.nn.checkpoints import load_checkpoint
from studio.nn.spec import Bar, Model, PaperSpec, Suite
from studio.train.__main__ import main as train_main
from studio.ui.app import build_app
from studio.ui.tabs import TABS


def test_names_are_unique_and_every_declared_tab_exists():
    names = [m.name for spec in registry.SPECS for m in spec.models]
    assert len(names) == len(set(names)) and {"jean", "sync_expert"} <= set(names)
    suites = [s.name for s in CORE] + [s.name for spec in registry.SPECS for s in spec.suites]
    assert len(suites) == len(set(suites)) and "jean-audio" in suites
    for spec in registry.SPECS:
        assert set(spec.tabs) <= set(TABS), spec.key


def toy_paper(calls: list) -> PaperSpec:
    def train(args, argv):
        calls.append((args.model, args.toy_width, argv))
        return {}

    def options(parser):
        parser.add_argument_group("toy only").add_argument("--toy-width", type=int, default=1)

    def run(quick=False):
        return {"toy_score": 0.75 if quick else 0.5}

    return PaperSpec(
        key="toy",
        title="Toy",
        paper="a paper that exists only in this test",
        models=(Model("toy", "a toy model", train, options),),
        suites=(Suite("toy-suite", run, "a toy suite", (Bar("toy_score", ">=", 0.6, "toy"),)),),
    )


def test_a_new_paper_is_one_spec_for_both_clis_and_the_checkpoint_message(tmp_path, capsys):
    calls: list = []
    specs = (*registry.SPECS, toy_paper(calls))
    argv = ["toy", "--toy-width", "3", "--quick"]
    assert train_main(argv, models=registry.models(specs)) == 0
    assert calls == [("toy", 3, argv)]
    with pytest.raises(SystemExit):  # the existing models keep their own options
        train_main(["jean", "--toy-width", "3"], models=registry.models(registry.SPECS))

    out = tmp_path / "toy.json"
    suites = {**all_suites(), **registry.suites(specs)}
    assert bench_main(["toy-suite", "--quick", "--json", str(out)], suites=suites) == 0
    assert json.loads(out.read_text())["metrics"] == {"toy_score": 0.75}
    assert "| toy_score | 0.75 |" in capsys.readouterr().out

    with pytest.raises(StudioError, match="python -m studio.train toy"):
        load_checkpoint("toy", tmp_path)


def _untrained_notes(app) -> list[str]:
    return [
        str(b.value)
        for b in app.blocks.values()
        if isinstance(b, gr.Markdown) and "not trained here yet" in str(b.value)
    ]


def test_a_paper_without_its_checkpoints_shows_the_command_instead_of_its_tabs(tmp_path):
    notes = _untrained_notes(build_app(checkpoints=tmp_path))  # nothing is trained there
    assert len(notes) == sum(len(spec.tabs) for spec in registry.SPECS)
    for spec in registry.SPECS:
        for model in spec.models if spec.tabs else ():
            named = any(model.command in n for n in notes)
            assert named == model.required, model.name  # an optional model never hides tabs
    shipped = _untrained_notes(build_app())  # checkpoints/: only the untrained papers' tabs
    missing = [s for s in registry.SPECS if registry.missing_checkpoints(s)]
    assert len(shipped) == sum(len(s.tabs) for s in missing)
    assert not any("python -m studio.train jean" in n for n in shipped)  # JEAN is shipped
