"""Every bench suite: the studio's own (foundation, synthtalk) and each paper's, from the
registry. A suite's record is docs/benchmarks/<name with _ for ->.json."""

from __future__ import annotations

from studio import registry
from studio.bench import foundation, synthtalk, ui_latency, ui_load
from studio.nn.spec import Suite

CORE: tuple[Suite, ...] = (foundation.SUITE, synthtalk.SUITE, ui_latency.SUITE, ui_load.SUITE)


def all_suites() -> dict[str, Suite]:
    return {**{s.name: s for s in CORE}, **registry.suites()}


def record_name(suite: str) -> str:
    """The record file's stem of a suite (jean-audio → jean_audio)."""
    return suite.replace("-", "_")


def suite_of_record(stem: str) -> Suite | None:
    """The suite that writes docs/benchmarks/<stem>.json, if any."""
    return {record_name(name): s for name, s in all_suites().items()}.get(stem)
