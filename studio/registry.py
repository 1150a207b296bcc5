"""The one registry: every paper folder's spec, in the order the studio shows them.

Adding a model is one folder under studio/papers/ that declares a `PaperSpec`, plus one line
here. The train and bench CLIs, the Benchmarks tab and the app's tabs are read from this list.
"""

from __future__ import annotations

from studio.errors import StudioError
from studio.evaluators.spec import SPEC as EVALUATORS
from studio.nn.checkpoints import checkpoint_exists
from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.irfd.spec import SPEC as IRFD
from studio.papers.jean.spec import SPEC as JEAN
from studio.papers.nerf.spec import SPEC as NERF
from studio.papers.rhythmic.spec import SPEC as RHYTHMIC

SPECS: tuple[PaperSpec, ...] = (
    EVALUATORS,
    RHYTHMIC,
    JEAN,
    NERF,
    IRFD,
)


def models(specs: tuple[PaperSpec, ...] = SPECS) -> dict[str, Model]:
    """Every trainable checkpoint, by name."""
    return {m.name: m for spec in specs for m in spec.models}


def suites(specs: tuple[PaperSpec, ...] = SPECS) -> dict[str, Suite]:
    """Every paper's bench suite, by name."""
    return {s.name: s for spec in specs for s in spec.suites}


def spec_of_tab(tab: str, specs: tuple[PaperSpec, ...] = SPECS) -> PaperSpec:
    for spec in specs:
        if tab in spec.tabs:
            return spec
    raise StudioError(f"No paper declares the tab '{tab}'")


def missing_checkpoints(spec: PaperSpec, directory=None) -> list[Model]:
    """The required models of `spec` whose checkpoint is not on disk (their tabs are not
    shown)."""
    return [m for m in spec.models if m.required and not checkpoint_exists(m.name, directory)]
