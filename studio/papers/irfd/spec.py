"""IRFD (SPEAK stage 1) as the registry sees it: its checkpoint, the `irfd` suite and the
Code-swap tab."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.irfd import bench, cli
from studio.papers.irfd.card import PAPER

SPEC = PaperSpec(
    key="irfd",
    title="SPEAK / IRFD",
    paper=PAPER,
    models=(
        Model(
            "irfd",
            "identity / emotion / pose encoders + generator on IRFD's image set (builds "
            "data/irfd-set when absent); shipped: --encoders-only warm-up (33 min), then "
            "--split-encoders --swap-weight 0 --init-from it (600 steps, 40–73 min)",
            cli.train_command,
            cli.add_options,
        ),
    ),
    suites=(
        Suite(
            "irfd",
            bench.run,
            "probes, DCI / MIG / SAP, self-reconstruction and judged code swaps on 100 "
            "held-out people of IRFD's image set",
            bench.BARS,
            ("SPEAK / IRFD",),
            (("PSNR", "self_reconstruction_psnr"), ("SSIM", "self_reconstruction_ssim")),
            (("this studio: IRFD self-reconstruction, 128²", ""),),
        ),
    ),
    tabs=("code_swap",),
)
