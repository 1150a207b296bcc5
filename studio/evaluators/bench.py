"""Bench suite `evaluators`: the shipped sync expert, emotion classifier and identity embedder
measured against their bars on held-out SynthTalk identities (DESIGN §7).

`python -m studio.bench evaluators [--quick]`; STUDIO_CORPUS overrides the corpus
(default data/synthtalk-default). The sync numbers are our expert's on synthetic faces and
are NOT comparable with SyncNet LSE-D / LSE-C in papers.
"""

from __future__ import annotations

from studio.data.corpus_arrays import load_corpus_arrays
from studio.errors import StudioError
from studio.evaluators.emotion_classifier import model as emotion_classifier
from studio.evaluators.identity_embedder import model as identity_embedder
from studio.evaluators.measure import headline, measure
from studio.evaluators.sync_expert import model as sync_expert
from studio.nn.spec import Bar
from studio.paths import default_corpus, shown

BARS = (
    Bar(
        "sync_expert/gt_offset_within_1",
        ">=",
        0.95,
        "sync expert: best offset 0 (±1) on GT clips",
    ),
    Bar(
        "sync_expert/shift_recovered_within_1",
        ">=",
        0.90,
        "sync expert finds shifts of ±3, ±6 frames (±1)",
    ),
    Bar(
        "emotion_classifier/accuracy_intensity3",
        ">=",
        0.95,
        "emotion classifier, intensity-3 frames",
    ),
    Bar("emotion_classifier/accuracy_all", ">=", 0.85, "emotion classifier, all intensities"),
    Bar("identity_embedder/eer", "<=", 0.05, "identity embedder verification EER"),
)


def run(quick: bool = False) -> dict:
    corpus = default_corpus()
    limit = 48 if quick else None
    clips = load_corpus_arrays(corpus, split="held_out", limit=limit)
    metrics: dict = {"corpus": shown(corpus), "held_out_clips": len(clips)}
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
    for bar in BARS:  # the one list of the bars
        if bar.metric in metrics:
            verdict = "pass" if bar.met(metrics[bar.metric]) else "FAIL"
            metrics[f"{bar.metric} (bar {bar.op} {bar.threshold})"] = verdict
    return metrics
