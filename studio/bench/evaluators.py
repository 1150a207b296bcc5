"""Bench suite `evaluators`: the shipped sync expert, emotion classifier and identity embedder
measured against their bars on held-out SynthTalk identities (DESIGN §7).

`python -m studio.bench evaluators [--quick]`; STUDIO_CORPUS overrides the corpus
(default data/synthtalk-default). The sync numbers are our expert's on synthetic faces and
are NOT comparable with SyncNet LSE-D / LSE-C in papers.
"""

from __future__ import annotations

import os

from studio.errors import StudioError

BARS = {
    "sync_expert/gt_offset_within_1": (">=", 0.95),
    "sync_expert/shift_recovered_within_1": (">=", 0.90),
    "emotion_classifier/accuracy_intensity3": (">=", 0.95),
    "emotion_classifier/accuracy_all": (">=", 0.85),
    "identity_embedder/eer": ("<=", 0.05),
}


def run(quick: bool = False) -> dict:
    from studio.models import emotion_classifier, identity_embedder, sync_expert
    from studio.train.__main__ import headline, measure
    from studio.train.synth_data import load_corpus_arrays

    corpus = os.environ.get("STUDIO_CORPUS", "data/synthtalk-default")
    clips = load_corpus_arrays(corpus, split="held_out", limit=48 if quick else None)
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
        for key, value in headline(name, measure(name, model, clips)).items():
            metrics[f"{name}/{key}"] = value
    for key, (op, bar) in BARS.items():
        if key not in metrics:
            continue
        value = metrics[key]
        ok = value >= bar if op == ">=" else value <= bar
        metrics[f"{key} (bar {op} {bar})"] = "pass" if ok else "FAIL"
    return metrics
