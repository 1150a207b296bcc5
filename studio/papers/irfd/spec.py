"""IRFD (SPEAK stage 1) as the registry sees it: its checkpoint, the `irfd` suite and the
Code-swap tab."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.irfd import bench, cli, judge
from studio.papers.irfd.card import PAPER
from studio.papers.irfd.speak import bench as speak_bench
from studio.papers.irfd.speak import cli as speak_cli

# SPEAK's Table 1 and 4 columns, each with the key of our number
TABLE_1_COLUMNS = (
    ("SSIM", "ssim"),
    ("PSNR", "psnr"),
    ("F-LMD", "f_lmd"),
    ("M-LMD", "m_lmd"),
    ("Sync", "lse_c"),
)

SPEC = PaperSpec(
    key="irfd",
    title="SPEAK / IRFD",
    paper=PAPER,
    models=(
        Model(
            "irfd",
            "identity / emotion / pose encoders + generator on IRFD's image set (builds "
            "data/irfd-set when absent); shipped: four stages (--encoders-only, "
            "--split-encoders, --pose-labels, --generator-only; docs/IRFD.md, 2.6–3.1 h)",
            cli.train_command,
            cli.add_options,
        ),
        Model(
            "speak",
            "SPEAK stage 2: audio encoder + editing module + G_g on the frozen IRFD encoders "
            "(builds data/speak-clips when absent)",
            speak_cli.train_command,
            speak_cli.add_options,
            required=False,
        ),
        Model(
            "irfd_judge",
            "a CNN that reads emotion, yaw / pitch / roll and identity from IRFD set images "
            "without tracking: the swaps' judge (the tracker finds no face in G_d's output)",
            judge.train_command,
            required=False,
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
        Suite(
            "irfd-ablations",
            bench.run_ablations,
            "the paper's Table 3 at one short budget: each IRFD loss left out, and Eq. 1 as "
            "printed, each continuing the shipped model with the paper's recipe",
            (),
            ("SPEAK / IRFD",),
            (("PSNR", "self_reconstruction_psnr"), ("SSIM", "self_reconstruction_ssim")),
            bench.ABLATION_ROWS,
        ),
        Suite(
            "speak",
            speak_bench.run,
            "SPEAK self-driven on 20 held-out people saying held-out sentences: Table 1's "
            "columns, beside G_d without audio and the true frames",
            speak_bench.BARS,
            ("SPEAK / IRFD",),
            TABLE_1_COLUMNS,
            (
                ("this studio: SPEAK, 128², our sync expert", ""),
                ("this studio: G_d, smoothed codes, no audio", "gd_smoothed_"),
                ("this studio: G_d, each frame's own codes", "gd_own_codes_"),
                ("this studio: ground truth", "ground_truth_"),
            ),
        ),
        Suite(
            "speak-ablations",
            speak_bench.run_ablations,
            "the paper's Table 4 on the SPEAK clips: the shipped talker (JEAN's audio encoder) "
            "beside runs with our log-mel one, and with it without IRFD's sources or each loss",
            (),
            ("SPEAK / IRFD",),
            TABLE_1_COLUMNS,
            speak_bench.ABLATION_ROWS,
        ),
    ),
    tabs=("code_swap",),
)
