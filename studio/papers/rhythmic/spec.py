"""Rhythmic Head Motion as the registry sees it: one checkpoint (the head-motion and mouth
learners), the `headmotion` suite, and the Talk tab."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.rhythmic import bench, cli
from studio.papers.rhythmic.card import PAPER

SPEC = PaperSpec(
    key="rhythmic",
    title="Rhythmic Head Motion",
    paper=PAPER,
    models=(
        Model(
            "rhythmic",
            "head motion from audio in a reference's style (Φ), and the mouth from audio",
            cli.run,
            cli.add_options,
        ),
    ),
    suites=(
        Suite(
            "headmotion",
            bench.run,
            "head motion, audio → face and Talk renders on held-out identities",
            bench.BARS,
            ("Rhythmic Head Motion",),
            (("LMD", "table1_lmd_px"), ("CSIM", "table1_csim"), ("SSIM", "table1_ssim")),
        ),
    ),
    tabs=("talk",),
)
