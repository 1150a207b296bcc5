"""What a paper folder declares to the registry (`studio.registry`): its checkpoints and how to
train them, its bench suites and their bars, and the studio tabs its checkpoints drive.

The train and bench CLIs, the Benchmarks tab and the app read these; adding a model is one
folder that builds a `PaperSpec` and one line in `studio/registry.py`. A checkpoint's name is
also its `python -m studio.train <name>` command, which is what a missing checkpoint's error
message tells the user to run.
"""

from __future__ import annotations

import argparse
import operator
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    """An acceptance bar of an issue: a metric of a suite's record, compared to a threshold."""

    metric: str
    op: str  # ">=" or "<="
    threshold: float
    meaning: str

    def met(self, value: float) -> bool:
        return {">=": operator.ge, "<=": operator.le}[self.op](value, self.threshold)


@dataclass(frozen=True)
class Suite:
    """`python -m studio.bench <name> [--quick]`: run(quick) returns the record's metrics."""

    name: str
    run: Callable[..., dict]
    about: str
    bars: tuple[Bar, ...] = ()
    papers: tuple[str, ...] = ()  # papers whose tables share its metrics ("JEAN")
    # (a paper table's metric, our metric): our numbers join the papers' tables in those columns
    paper_columns: tuple[tuple[str, str], ...] = ()
    # (row label, prefix of our metric names): one row per variant (ablation suites)
    paper_rows: tuple[tuple[str, str], ...] = (("this studio (SynthTalk)", ""),)


@dataclass(frozen=True)
class Model:
    """One checkpoint a folder ships: `python -m studio.train <name>` calls train(args, argv);
    options(parser) adds the model's own command-line options (an argument group)."""

    name: str
    about: str
    train: Callable[[argparse.Namespace, list[str]], dict]
    options: Callable[[argparse.ArgumentParser], None] | None = None
    required: bool = True  # False: the paper's tabs work without it (they use it when present)

    @property
    def command(self) -> str:
        return f"python -m studio.train {self.name}"


@dataclass(frozen=True)
class PaperSpec:
    """One paper (or the evaluators): its folder's models, suites and tabs."""

    key: str  # the folder under studio/papers (or "evaluators")
    title: str
    paper: str  # the paper it implements, as the model cards name it
    models: tuple[Model, ...] = ()
    suites: tuple[Suite, ...] = ()
    tabs: tuple[str, ...] = ()  # ids of the UI tabs that need every model of this folder
    notes: dict[str, str] = field(default_factory=dict)
