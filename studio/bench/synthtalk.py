"""The SynthTalk corpus measured against a real tracker (the SynthTalk issue's bars).

`python -m studio.bench synthtalk [--quick] [--corpus DIR]`: tracker detection rate, jawOpen
correlation, yaw/pitch error on sampled frames (extra views included), a logistic-regression
emotion probe on tracked blendshapes (trained on training identities, scored on held-out ones),
and how well GT jawOpen follows the audio energy.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CORPUS = Path(os.environ.get("STUDIO_CORPUS", "data/synthtalk-default"))


def run(quick: bool = False, corpus: Path = DEFAULT_CORPUS) -> dict[str, float]:
    from studio.synth.validate import emotion_probe, lips_follow_speech, track_sample

    tracked = track_sample(corpus, n_frames=200 if quick else 1000).metrics()
    lips = lips_follow_speech(corpus, max_clips=200 if quick else None)
    emotion = emotion_probe(corpus, frames_per_clip=2 if quick else 8)
    return {
        "tracker_frames": tracked["frames"],
        "tracker_detection_rate": tracked["detection_rate"],
        "jawOpen_pearson_r": tracked["jawOpen_pearson_r"],
        "yaw_mae_deg": tracked["yaw_mae_deg"],
        "pitch_mae_deg": tracked["pitch_mae_deg"],
        "yaw_bias_deg": tracked["yaw_bias_deg"],
        "pitch_bias_deg": tracked["pitch_bias_deg"],
        "max_abs_gt_yaw_deg": tracked["max_abs_gt_yaw_deg"],
        "emotion_probe_accuracy_held_out": emotion["emotion_accuracy_held_out"],
        "emotion_probe_test_frames": emotion["test_frames"],
        "jaw_energy_pearson_r": lips["jaw_energy_pearson_r"],
        "speech_frames": lips["speech_frames"],
    }
