"""Bench suite `evaluators`: the shipped sync expert, emotion classifier and identity embedder
measured against their bars on held-out SynthTalk identities (DESIGN §7).

`python -m studio.bench evaluators [--quick]`; STUDIO_CORPUS overrides the corpus
(default data/synthtalk-default). The sync numbers are our expert's on synthetic faces and
are NOT comparable with SyncNet LSE-D / LSE-C in papers.
"""

from __future__ import annotations

import os

from studio.bench.bars import BARS
from studio.errors import StudioError


def run(quick: bool = False) -> dict:
    from studio.models import emotion_classifier, identity_embedder, sync_expert
    from studio.train.__main__ import headline, measure
    from studio.train.synth_data import load_corpus_arrays

    corpus = os.environ.get("STUDIO_CORPUS", "data/synthtalk-default")
    limit = 48 if quick else None
    clips = load_corpus_arrays(corpus, split="held_out", limit=limit)
    metrics: dict = {"corpus": corpus, "held_out_clips": len(clips)}
    for name, module in (
        ("sync_expert", sync_expert),
        ("emotion_classifier", emotion_classifier),
        ("identity_embedder", identity_embedder),
    ):
        try:
            model = module.load()
        except StudioError as e:  # not trained yet: say so, measure the others
            metrics[f"{name}"] = f"missing ({e})"
            continue
        size = getattr(model.config, "face_size", None)
        held_out = clips  # crops at the size the model was trained on
        if size is not None and size != clips[0].face.shape[1]:
            held_out = load_corpus_arrays(corpus, face_size=size, split="held_out", limit=limit)
        for key, value in headline(name, measure(name, model, held_out)).items():
            metrics[f"{name}/{key}"] = value
    for bar in BARS["evaluators"]:  # the one list of the bars
        if bar.metric in metrics:
            verdict = "pass" if bar.met(metrics[bar.metric]) else "FAIL"
            metrics[f"{bar.metric} (bar {bar.op} {bar.threshold})"] = verdict
    return metrics
