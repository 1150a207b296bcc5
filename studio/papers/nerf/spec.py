"""The Talking NeRF as the registry sees it: one checkpoint (a field fitted to the SynthTalk
NeRF preset, with its clip's codes), the `nerf` suite and the Novel-view tab."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.nerf import bench, cli, emotion_judge
from studio.papers.nerf.card import PAPER

SPEC = PaperSpec(
    key="nerf",
    title="Talking NeRF",
    paper=PAPER,
    models=(
        Model(
            "nerf",
            "a tri-plane dual field + upsampler fitted to one SynthTalk person "
            "(builds data/nerf-synth when absent)",
            cli.train_command,
        ),
        Model(
            "nerf_emotion_judge",
            "a second emotion judge for the renders: a linear read of the tracker's blendshapes "
            "and landmarks, trained on turned heads (IRFD's image set + the default corpus)",
            emotion_judge.train_command,
            required=False,
        ),
    ),
    suites=(
        Suite(
            "nerf",
            bench.run,
            "held-out frames, the GT camera ring, lips, expression, code swaps and speed",
            bench.BARS,
            ("AE-NeRF", "Disentangling Head NeRF"),
            bench.PAPER_COLUMNS,
        ),
        Suite(
            "nerf-ablations",
            bench.run_ablations,
            "the papers' ablations at one short budget: no dual field, no region-wise "
            "sampling, no upsampler",
            (),
            ("AE-NeRF", "Disentangling Head NeRF"),
            bench.ABLATION_COLUMNS,
            bench.ABLATION_ROWS,
        ),
    ),
    tabs=("novel_view",),
)
