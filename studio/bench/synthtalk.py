"""The SynthTalk corpus measured against a real tracker (the SynthTalk issue's bars).

`python -m studio.bench synthtalk [--quick] [--corpus DIR]`: tracker detection rate, jawOpen
correlation, yaw/pitch error on sampled frames (extra views included), a logistic-regression
emotion probe on tracked blendshapes (trained on training identities, scored on held-out ones),
how well GT jawOpen follows the audio energy, and the ground truth read by the shipped
evaluators (GT vs GT): the sync expert's offset and LSE-D / LSE-C on in-sync held-out clips, and
the emotion classifier's accuracy on held-out frames.
"""

from __future__ import annotations

from pathlib import Path

from studio.data.corpus_arrays import load_corpus_arrays
from studio.errors import StudioError
from studio.evaluators.emotion_classifier import model as emotion_classifier
from studio.evaluators.measure import emotion_bars, sync_bars
from studio.evaluators.sync_expert import model as sync_expert
from studio.nn.spec import Bar, Suite
from studio.paths import default_corpus
from studio.synth.validate import emotion_probe, lips_follow_speech, track_sample

BARS = (
    Bar("tracker_detection_rate", ">=", 0.99, "tracker finds the face (1,000 frames, views)"),
    Bar("jawOpen_pearson_r", ">=", 0.85, "tracked vs GT jawOpen"),
    Bar("yaw_mae_deg", "<=", 3.0, "tracked vs GT yaw (°)"),
    Bar("pitch_mae_deg", "<=", 3.0, "tracked vs GT pitch (°)"),
    Bar(
        "emotion_probe_accuracy_held_out",
        ">=",
        0.90,
        "logistic regression on tracked blendshapes (logits), held-out identities",
    ),
    Bar("jaw_energy_pearson_r", ">=", 0.5, "GT jawOpen vs audio energy over speech"),
)


def run(quick: bool = False, corpus: Path | None = None) -> dict[str, float]:
    corpus = corpus or default_corpus()
    tracked = track_sample(corpus, n_frames=200 if quick else 1000).metrics()
    lips = lips_follow_speech(corpus, max_clips=200 if quick else None)
    emotion = emotion_probe(corpus, frames_per_clip=2 if quick else 8)
    return {
        "tracker_frames": tracked["frames"],
        "tracker_detection_rate": tracked["detection_rate"],
        "jawOpen_pearson_r": tracked["jawOpen_pearson_r"],
        "jawOpen_pearson_r_calibrated": tracked["jawOpen_pearson_r_calibrated"],
        "jawOpen_spearman_r": tracked["jawOpen_spearman_r"],
        "jawOpen_pearson_r_main_camera": tracked.get("jawOpen_pearson_r_main"),
        "jawOpen_pearson_r_extra_views": tracked.get("jawOpen_pearson_r_view"),
        "yaw_mae_deg": tracked["yaw_mae_deg"],
        "pitch_mae_deg": tracked["pitch_mae_deg"],
        "yaw_bias_deg": tracked["yaw_bias_deg"],
        "pitch_bias_deg": tracked["pitch_bias_deg"],
        "max_abs_gt_yaw_deg": tracked["max_abs_gt_yaw_deg"],
        "emotion_probe_accuracy_held_out": emotion["emotion_accuracy_held_out"],
        "emotion_probe_test_frames": emotion["test_frames"],
        "jaw_energy_pearson_r": lips["jaw_energy_pearson_r"],
        "speech_frames": lips["speech_frames"],
        "emotion_probe_accuracy_raw_coefficients": emotion[
            "emotion_accuracy_held_out_raw_coefficients"
        ],
        **gt_read_by_evaluators(corpus, quick),
    }


def gt_read_by_evaluators(corpus: Path, quick: bool) -> dict[str, float | str]:
    """The held-out GT clips through the shipped sync expert and emotion classifier: the
    ceiling a generated video can reach on these evaluators."""
    clips = load_corpus_arrays(corpus, split="held_out", limit=48 if quick else None)
    out: dict[str, float | str] = {}
    try:
        sync = sync_bars(sync_expert.load().eval(), clips)
        out |= {
            "gt_sync_offset_within_1": sync["gt_offset_within_1"],
            "gt_lse_d_median": sync["lse_d_gt"]["median"],
            "gt_lse_c_median": sync["lse_c_gt"]["median"],
        }
    except StudioError as e:
        out["gt_sync"] = f"missing ({e})"
    try:
        classifier = emotion_classifier.load().eval()
        if classifier.config.face_size != clips[0].face.shape[1]:
            clips = load_corpus_arrays(
                corpus,
                face_size=classifier.config.face_size,
                split="held_out",
                limit=48 if quick else None,
            )
        emotion = emotion_bars(classifier, clips)
        out |= {
            "gt_emotion_accuracy_intensity3": emotion["accuracy_intensity3"],
            "gt_emotion_accuracy_all": emotion["accuracy_all"],
        }
    except StudioError as e:
        out["gt_emotion"] = f"missing ({e})"
    return out


SUITE = Suite("synthtalk", run, "SynthTalk read back by the real tracker and the evaluators", BARS)
