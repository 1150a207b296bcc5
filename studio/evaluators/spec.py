"""The evaluators as the registry sees them: three checkpoints trained by one shared recipe and
measured together by the `evaluators` suite."""

from __future__ import annotations

from functools import partial

from studio.evaluators import bench
from studio.evaluators.emotion_classifier import train as emotion_classifier
from studio.evaluators.identity_embedder import train as identity_embedder
from studio.evaluators.recipe import train_and_ship
from studio.evaluators.sync_expert import train as sync_expert
from studio.nn.spec import Model, PaperSpec, Suite

SPEC = PaperSpec(
    key="evaluators",
    title="Evaluators",
    paper="the studio's judges of generated faces (DESIGN §7), trained on SynthTalk",
    models=(
        Model(
            "sync_expert",
            "SyncNet-style audio/mouth sync expert: LSE-D / LSE-C and the sync loss",
            partial(train_and_ship, sync_expert, "sync_expert"),
        ),
        Model(
            "emotion_classifier",
            "8-class emotion classifier of face crops (a two-member ensemble)",
            partial(train_and_ship, emotion_classifier, "emotion_classifier"),
            emotion_classifier.add_options,
        ),
        Model(
            "identity_embedder",
            "identity embedding of face crops: CSIM and verification EER",
            partial(train_and_ship, identity_embedder, "identity_embedder"),
        ),
    ),
    suites=(
        Suite(
            "evaluators",
            bench.run,
            "the shipped evaluators against their bars on held-out SynthTalk identities",
            bench.BARS,
            ("SPEAK / IRFD", "AE-NeRF"),  # papers whose tables report LSE / CSIM / emotion
        ),
    ),
)
