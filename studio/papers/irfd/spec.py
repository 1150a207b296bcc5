"""IRFD (SPEAK stage 1) as the registry sees it: its checkpoint. Its bench suite and the
code-swap tab join when they land."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec
from studio.papers.irfd import cli
from studio.papers.irfd.card import PAPER

SPEC = PaperSpec(
    key="irfd",
    title="SPEAK / IRFD",
    paper=PAPER,
    models=(
        Model(
            "irfd",
            "identity / emotion / pose encoders + generator on IRFD's image set "
            "(builds data/irfd-set when absent; hours on 2 cores)",
            cli.train_command,
            cli.add_options,
        ),
    ),
)
