"""JEAN as the registry sees it: one checkpoint, five bench suites, two tabs."""

from __future__ import annotations

from studio.nn.spec import Model, PaperSpec, Suite
from studio.papers.jean import (
    bench,
    bench_audio,
    bench_per_identity,
    bench_tracked,
    cli,
    tracked_cli,
)

JEAN = "JEAN"  # its tables in assets/paper_tables.json

SPEC = PaperSpec(
    key="jean",
    title="JEAN",
    paper="JEAN: Joint Expression and Audio-guided NeRF talking faces (000_0457fe19e37730eb)",
    models=(
        Model(
            "jean",
            "landmark autoencoder, self-supervised audio encoder, expression transformer",
            cli.run,
            cli.add_options,
        ),
        Model(
            "jean_tracked",
            "JEAN's expression and landmark encoders for tracked inputs, distilled into JEAN's "
            "code space",
            tracked_cli.run,
            required=False,
        ),
    ),
    suites=(
        Suite(
            "jean",
            bench.run,
            "JEAN's bars on held-out identities, with the Table 2 style ablation",
            bench.BARS,
            (JEAN,),
        ),
        Suite(
            "jean-per-identity",
            bench_per_identity.run,
            "the paper's per-person expression transformers beside our multi-identity one",
            papers=(JEAN,),
        ),
        Suite(
            "jean-audio",
            bench_audio.run,
            "what limits audio → lip retrieval: input variants and label-mean ceilings",
            papers=(JEAN,),
        ),
        Suite(
            "jean-audio-emotion",
            bench_audio.run_emotion,
            "the audio encoder told or given the clip's emotion",
            papers=(JEAN,),
        ),
        Suite(
            "jean-audio-negatives",
            bench_audio.run_negatives,
            "the audio encoder trained with negatives from the anchor's own clip",
            papers=(JEAN,),
        ),
        Suite(
            "jean-tracked",
            bench_tracked.run,
            "codes of the tracker's read of held-out clips (what a user's clip gives)",
            bench_tracked.BARS,
            (JEAN,),
        ),
    ),
    tabs=("interpolation", "tsne"),
)
